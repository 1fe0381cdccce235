// Package api is Atende's HTTP surface: the JSON API under /api/v1, the
// OpenAPI document and the operational endpoints. Handlers decode, call a
// domain package with the caller's principal, and encode; authorisation
// lives in the domain packages, error-to-status mapping in writeError.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/canned"
	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/web/agent"
)

// Pinger is something /readyz checks: the database, the NATS bus.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps is what the API needs from the rest of the process.
type Deps struct {
	Auth        *auth.Service
	Departments *department.Service
	// Engine is the conversation engine: presence, queues, offers,
	// conversations and their lifecycle, routing settings.
	Engine    *routing.Engine
	Contacts  *contact.Service
	Messaging *messaging.Service
	Canned    *canned.Service
	// Attachments keeps uploaded files.
	Attachments *attachment.Service
	// Hub serves the WebSockets.
	Hub *realtime.Hub
	// Webchat administers website chat channels; Visitors shows their
	// visitors to agents; Widget serves the visitors' sockets.
	Webchat  *webchat.Service
	Visitors *webchat.Visitors
	Widget   *webchat.Gateway
	// PublicURL, when set, is an origin WebSockets are accepted from besides
	// the server's own host.
	PublicURL string
	// Ready lists what must answer for /readyz, by name.
	Ready    map[string]Pinger
	Registry *prometheus.Registry
	Log      *slog.Logger
	// SecureCookies marks cookies Secure even on plain HTTP (TLS ends at a
	// proxy and the public URL is https).
	SecureCookies bool
	// BehindProxy trusts X-Forwarded-For and X-Forwarded-Proto.
	BehindProxy bool
}

// Server answers HTTP requests.
type Server struct {
	auth          *auth.Service
	departments   *department.Service
	engine        *routing.Engine
	contacts      *contact.Service
	messaging     *messaging.Service
	canned        *canned.Service
	attachments   *attachment.Service
	hub           *realtime.Hub
	webchat       *webchat.Service
	visitors      *webchat.Visitors
	widget        *webchat.Gateway
	publicURL     string
	wsOrigins     []string
	ready         map[string]Pinger
	registry      *prometheus.Registry
	log           *slog.Logger
	metrics       *metrics
	secureCookies bool
	behindProxy   bool

	mux       *http.ServeMux
	protected http.Handler
	// app is the agent workspace, served at every GET no route matches.
	app            http.Handler
	metricsHandler http.Handler
}

// New returns a Server with every route registered.
func New(d Deps) *Server {
	s := &Server{
		auth: d.Auth, departments: d.Departments, engine: d.Engine, contacts: d.Contacts, messaging: d.Messaging, canned: d.Canned, attachments: d.Attachments, hub: d.Hub, webchat: d.Webchat, visitors: d.Visitors, widget: d.Widget,
		publicURL: strings.TrimRight(d.PublicURL, "/"), wsOrigins: originPatterns(d.PublicURL), ready: d.Ready, registry: d.Registry, log: d.Log,
		metrics: newMetrics(d.Registry), secureCookies: d.SecureCookies, behindProxy: d.BehindProxy,
		mux:            http.NewServeMux(),
		app:            agent.Handler(),
		metricsHandler: promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}),
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	// Browsers may not write across origins: a form or fetch from another
	// site is refused even with the user's cookie. API clients with a
	// bearer token send no Origin or Sec-Fetch-Site and pass.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, errorBody{Error: errorDetail{Code: "cross_origin", Message: "cross-origin requests that change data are refused"}})
	}))
	// The widget uploads from the company's site, another origin, with the
	// visitor's token rather than a cookie: nothing to forge.
	cop.AddInsecureBypassPattern("POST /widget/v1/uploads")
	s.protected = cop.Handler(s.mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serveHTTP(w, r) }

// Route is one registered endpoint; the OpenAPI test walks them all.
type Route struct {
	Method string
	Path   string
	// Public routes need no signed-in user.
	Public  bool
	handler func(w http.ResponseWriter, r *http.Request, p auth.Principal) error
}

// Routes lists every endpoint the server answers.
func (s *Server) Routes() []Route { return s.routes() }

func (s *Server) routes() []Route {
	return []Route{
		{Method: "GET", Path: "/healthz", Public: true, handler: s.healthz},
		{Method: "GET", Path: "/readyz", Public: true, handler: s.readyz},
		{Method: "GET", Path: "/metrics", Public: true, handler: s.metricsPage},
		{Method: "GET", Path: "/api/v1/openapi.json", Public: true, handler: s.openAPI},

		{Method: "POST", Path: "/api/v1/auth/login", Public: true, handler: s.login},
		{Method: "POST", Path: "/api/v1/auth/logout", handler: s.logout},
		{Method: "GET", Path: "/api/v1/me", handler: s.me},
		{Method: "GET", Path: "/api/v1/me/day", handler: s.myDay},
		{Method: "GET", Path: "/api/v1/ws", handler: s.websocket},
		{Method: "GET", Path: "/api/v1/events/last", handler: s.lastEventSeq},

		{Method: "GET", Path: "/api/v1/users", handler: s.listUsers},
		{Method: "POST", Path: "/api/v1/users", handler: s.createUser},
		{Method: "GET", Path: "/api/v1/users/{id}", handler: s.getUser},
		{Method: "PATCH", Path: "/api/v1/users/{id}", handler: s.updateUser},
		{Method: "DELETE", Path: "/api/v1/users/{id}", handler: s.deleteUser},

		{Method: "GET", Path: "/api/v1/departments", handler: s.listDepartments},
		{Method: "POST", Path: "/api/v1/departments", handler: s.createDepartment},
		{Method: "GET", Path: "/api/v1/departments/{id}", handler: s.getDepartment},
		{Method: "PATCH", Path: "/api/v1/departments/{id}", handler: s.updateDepartment},
		{Method: "DELETE", Path: "/api/v1/departments/{id}", handler: s.deleteDepartment},
		{Method: "GET", Path: "/api/v1/departments/{id}/members", handler: s.listMembers},
		{Method: "PUT", Path: "/api/v1/departments/{id}/members/{user_id}", handler: s.addMember},
		{Method: "DELETE", Path: "/api/v1/departments/{id}/members/{user_id}", handler: s.removeMember},

		{Method: "GET", Path: "/api/v1/tokens", handler: s.listTokens},
		{Method: "POST", Path: "/api/v1/tokens", handler: s.createToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", handler: s.deleteToken},

		{Method: "GET", Path: "/api/v1/audit-log", handler: s.auditLog},

		{Method: "GET", Path: "/api/v1/presence", handler: s.getPresence},
		{Method: "POST", Path: "/api/v1/presence", handler: s.setPresence},
		{Method: "GET", Path: "/api/v1/pause-reasons", handler: s.listPauseReasons},
		{Method: "POST", Path: "/api/v1/pause-reasons", handler: s.createPauseReason},
		{Method: "PATCH", Path: "/api/v1/pause-reasons/{id}", handler: s.updatePauseReason},
		{Method: "DELETE", Path: "/api/v1/pause-reasons/{id}", handler: s.deletePauseReason},

		{Method: "GET", Path: "/api/v1/queues", handler: s.listQueues},
		{Method: "GET", Path: "/api/v1/agents", handler: s.listAgents},
		{Method: "GET", Path: "/api/v1/queues/{department_id}/conversations", handler: s.listQueueConversations},

		{Method: "GET", Path: "/api/v1/conversations", handler: s.listConversations},
		{Method: "GET", Path: "/api/v1/conversations/finished", handler: s.listFinished},
		{Method: "GET", Path: "/api/v1/conversations/{id}", handler: s.getConversation},
		{Method: "GET", Path: "/api/v1/conversations/{id}/messages", handler: s.listMessages},
		{Method: "POST", Path: "/api/v1/conversations/{id}/messages", handler: s.sendMessage},
		{Method: "POST", Path: "/api/v1/conversations/{id}/notes", handler: s.addNote},
		{Method: "POST", Path: "/api/v1/conversations/{id}/attachments", handler: s.uploadAttachment},
		{Method: "GET", Path: "/api/v1/conversations/{id}/draft", handler: s.getDraft},
		{Method: "PUT", Path: "/api/v1/conversations/{id}/draft", handler: s.saveDraft},
		{Method: "POST", Path: "/api/v1/conversations/{id}/read", handler: s.markRead},
		{Method: "POST", Path: "/api/v1/conversations/{id}/unread", handler: s.markUnread},
		{Method: "POST", Path: "/api/v1/conversations/{id}/pull", handler: s.pullConversation},
		{Method: "POST", Path: "/api/v1/conversations/{id}/accept", handler: s.acceptOffer},
		{Method: "POST", Path: "/api/v1/conversations/{id}/decline", handler: s.declineOffer},
		{Method: "POST", Path: "/api/v1/conversations/{id}/transfer", handler: s.transferConversation},
		{Method: "GET", Path: "/api/v1/conversations/{id}/transfer-targets", handler: s.transferTargets},
		{Method: "POST", Path: "/api/v1/conversations/{id}/close", handler: s.closeConversation},
		{Method: "POST", Path: "/api/v1/conversations/{id}/park", handler: s.parkConversation},
		{Method: "POST", Path: "/api/v1/conversations/{id}/resume", handler: s.resumeConversation},
		{Method: "PUT", Path: "/api/v1/conversations/{id}/contact", handler: s.setConversationContact},
		{Method: "PUT", Path: "/api/v1/conversations/{id}/tags/{tag}", handler: s.addTag},
		{Method: "DELETE", Path: "/api/v1/conversations/{id}/tags/{tag}", handler: s.removeTag},

		{Method: "GET", Path: "/api/v1/attachments/{id}", handler: s.downloadAttachment},

		{Method: "GET", Path: "/api/v1/tags", handler: s.listTags},
		{Method: "POST", Path: "/api/v1/tags", handler: s.createTag},
		{Method: "PATCH", Path: "/api/v1/tags/{id}", handler: s.renameTag},
		{Method: "DELETE", Path: "/api/v1/tags/{id}", handler: s.deleteTag},

		{Method: "GET", Path: "/api/v1/close-reasons", handler: s.listCloseReasons},
		{Method: "POST", Path: "/api/v1/close-reasons", handler: s.createCloseReason},
		{Method: "PATCH", Path: "/api/v1/close-reasons/{id}", handler: s.updateCloseReason},
		{Method: "DELETE", Path: "/api/v1/close-reasons/{id}", handler: s.deleteCloseReason},

		{Method: "GET", Path: "/api/v1/canned-responses", handler: s.listCanned},
		{Method: "POST", Path: "/api/v1/canned-responses", handler: s.createCanned},
		{Method: "GET", Path: "/api/v1/canned-responses/{id}", handler: s.getCanned},
		{Method: "PATCH", Path: "/api/v1/canned-responses/{id}", handler: s.updateCanned},
		{Method: "DELETE", Path: "/api/v1/canned-responses/{id}", handler: s.deleteCanned},

		{Method: "GET", Path: "/api/v1/contacts", handler: s.searchContacts},
		{Method: "POST", Path: "/api/v1/contacts", handler: s.createContact},
		{Method: "GET", Path: "/api/v1/contacts/{id}", handler: s.getContact},
		{Method: "PATCH", Path: "/api/v1/contacts/{id}", handler: s.updateContact},
		{Method: "POST", Path: "/api/v1/contacts/{id}/merge", handler: s.mergeContact},
		{Method: "GET", Path: "/api/v1/contacts/{id}/conversations", handler: s.contactConversations},

		{Method: "GET", Path: "/api/v1/bindings", handler: s.listBindings},
		{Method: "PUT", Path: "/api/v1/bindings/{department_id}/{contact_id}", handler: s.setBinding},
		{Method: "DELETE", Path: "/api/v1/bindings/{department_id}/{contact_id}", handler: s.deleteBinding},

		{Method: "GET", Path: "/api/v1/departments/{id}/routing", handler: s.getDepartmentRouting},
		{Method: "PUT", Path: "/api/v1/departments/{id}/routing", handler: s.setDepartmentRouting},
		{Method: "GET", Path: "/api/v1/users/{id}/routing", handler: s.getUserRouting},
		{Method: "PUT", Path: "/api/v1/users/{id}/routing", handler: s.setUserRouting},
		{Method: "GET", Path: "/api/v1/account/settings", handler: s.getAccountSettings},
		{Method: "PATCH", Path: "/api/v1/account/settings", handler: s.updateAccountSettings},

		{Method: "GET", Path: "/api/v1/webchat/channels", handler: s.listWebchatChannels},
		{Method: "POST", Path: "/api/v1/webchat/channels", handler: s.createWebchatChannel},
		{Method: "GET", Path: "/api/v1/webchat/channels/{id}", handler: s.getWebchatChannel},
		{Method: "PATCH", Path: "/api/v1/webchat/channels/{id}", handler: s.updateWebchatChannel},
		{Method: "DELETE", Path: "/api/v1/webchat/channels/{id}", handler: s.deleteWebchatChannel},
		{Method: "POST", Path: "/api/v1/webchat/channels/{id}/identity-secret", handler: s.rotateWebchatIdentitySecret},
		{Method: "GET", Path: "/api/v1/visitors", handler: s.listVisitors},
		{Method: "GET", Path: "/api/v1/visitors/{id}", handler: s.getVisitor},
		{Method: "POST", Path: "/api/v1/visitors/{id}/invitations", handler: s.inviteVisitor},
		{Method: "GET", Path: "/api/v1/conversations/{id}/visitor", handler: s.conversationVisitor},

		// The website chat widget: public, for any site; the socket checks
		// the site's origin itself.
		{Method: "GET", Path: "/widget.js", Public: true, handler: s.widgetScript},
		{Method: "GET", Path: "/widget/v1/ws", Public: true, handler: s.widgetSocket},
		{Method: "OPTIONS", Path: "/widget/v1/uploads", Public: true, handler: s.widgetPreflight},
		{Method: "POST", Path: "/widget/v1/uploads", Public: true, handler: s.widgetUpload},
		{Method: "GET", Path: "/widget/v1/files/{id}", Public: true, handler: s.widgetFile},
	}
}

// wrap authenticates (unless the route is public) and maps a returned error
// to its answer.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p auth.Principal
		if !rt.Public {
			var err error
			if p, err = s.authenticate(r); err != nil {
				writeError(w, r, s.log, err)
				return
			}
		}
		if err := rt.handler(w, r, p); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

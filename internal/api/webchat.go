package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/web/widget"
)

// webchatChannel is a channel as administrators get it: with the snippet
// to paste into the site.
type webchatChannel struct {
	webchat.Channel
	Snippet string `json:"snippet"`
}

// baseURL is where browsers reach Atende: the public URL when configured,
// the request's own scheme and host otherwise.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) withSnippet(r *http.Request, c webchat.Channel) webchatChannel {
	return webchatChannel{Channel: c, Snippet: webchat.Snippet(s.baseURL(r), c.PublicKey)}
}

func (s *Server) listWebchatChannels(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cs, err := s.webchat.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]webchatChannel, len(cs))
	for i, c := range cs {
		out[i] = s.withSnippet(r, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
	return nil
}

func (s *Server) createWebchatChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in webchat.ChannelInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := s.webchat.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.withSnippet(r, c))
	return nil
}

func (s *Server) getWebchatChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.webchat.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withSnippet(r, c))
	return nil
}

func (s *Server) updateWebchatChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in webchat.ChannelInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := s.webchat.Update(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withSnippet(r, c))
	return nil
}

func (s *Server) rotateWebchatIdentitySecret(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.webchat.RotateIdentitySecret(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withSnippet(r, c))
	return nil
}

func (s *Server) deleteWebchatChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.webchat.Delete(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listVisitors(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	channelID, err := queryID(r, "channel_id")
	if err != nil {
		return err
	}
	vs, err := s.visitors.Online(r.Context(), p, channelID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"visitors": vs})
	return nil
}

func (s *Server) getVisitor(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.visitors.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) conversationVisitor(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.visitors.OfConversation(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) inviteVisitor(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Message string `json:"message"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	inv, err := s.visitors.Invite(r.Context(), p, id, req.Message)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

// widgetScript serves the widget's bundle to any site.
func (s *Server) widgetScript(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	w.Write(widget.Script)
	return nil
}

// widgetSocket is a visitor's WebSocket (docs/widget-protocol.md): the
// channel named by its public key, the Origin one of its sites, the client
// address within its connection rate; then the gateway runs it.
func (s *Server) widgetSocket(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if s.widget == nil {
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "the website chat is not available"}
	}
	row, ch, err := s.widget.Channel(r.Context(), r.URL.Query().Get("channel"))
	if errors.Is(err, webchat.ErrUnknownChannel) {
		return &requestError{status: http.StatusNotFound, code: "unknown_channel", message: "no website chat has this key"}
	}
	if err != nil {
		return err
	}
	origin := r.Header.Get("Origin")
	if !ch.AllowsOrigin(origin) {
		return &requestError{status: http.StatusForbidden, code: "origin_not_allowed",
			message: "the page's origin " + strconv.Quote(clipString(origin, 100)) + " is not one of this website chat's allowed origins"}
	}
	ip := s.clientIP(r)
	if ok, after := s.widget.AllowConnection(ip); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
		return &requestError{status: http.StatusTooManyRequests, code: "rate_limited", message: "too many connections from this address; try again later"}
	}
	u, _ := url.Parse(origin)
	conn, err := realtime.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{u.Host}})
	if err != nil {
		return nil // Accept has answered
	}
	conn.SetReadLimit(webchat.MaxFrame)
	// The socket outlives the request: it is set up here, then gets a
	// goroutine of its own that only reads it, with a shallow stack (see
	// Gateway.Open), and the request's goroutine returns, which lets
	// net/http drop the request and its buffers. It ends when either side
	// closes it. The gateway logs how it failed, if it did: nothing here
	// waits for it, and a closure that did would keep this request's copy
	// of the channel alive with the socket.
	go s.widget.Open(context.Background(), &row, &ch, wsSocket{conn}, webchat.Client{IP: ip, UserAgent: r.UserAgent()}).Run()
	return nil
}

// wsSocket is a WebSocket as the gateway uses it.
type wsSocket struct{ c *realtime.Conn }

func (ws wsSocket) Read() ([]byte, error) {
	typ, data, err := ws.c.Read()
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		ws.c.Close(websocket.StatusUnsupportedData, "text frames only")
		return nil, errors.New("binary frame")
	}
	return data, nil
}

func (ws wsSocket) Write(frame []byte) error {
	return ws.c.Write(websocket.MessageText, frame)
}

func (ws wsSocket) Close(code int, reason string) error {
	return ws.c.Close(websocket.StatusCode(code), reason)
}

func (ws wsSocket) CloseNow() error { return ws.c.CloseNow() }

func clipString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// widgetCORS lets the channel's sites read the answer: the widget calls
// these routes from the company's page, another origin.
func (s *Server) widgetCORS(w http.ResponseWriter, r *http.Request) bool {
	if s.widget == nil {
		return false
	}
	_, ch, err := s.widget.Channel(r.Context(), r.URL.Query().Get("channel"))
	origin := r.Header.Get("Origin")
	if err != nil || !ch.AllowsOrigin(origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	return true
}

// widgetPreflight answers the browser's question before an upload.
func (s *Server) widgetPreflight(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if !s.widgetCORS(w, r) {
		return &requestError{status: http.StatusForbidden, code: "origin_not_allowed", message: "the page's origin is not one of this website chat's allowed origins"}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Authorization")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// widgetUpload stores a visitor's file (multipart part "file"), to be sent
// with their next message. The visitor token comes as a bearer token; the
// page's origin must be one of the channel's.
func (s *Server) widgetUpload(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if s.widget == nil || s.attachments == nil {
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "uploads are not available"}
	}
	s.widgetCORS(w, r)
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	up, err := s.widget.Uploader(r.Context(), r.URL.Query().Get("channel"), r.Header.Get("Origin"), strings.TrimSpace(token), s.clientIP(r))
	if err != nil {
		return widgetError(w, err)
	}
	name, body, err := s.filePart(w, r)
	if err != nil {
		return err
	}
	a, err := s.attachments.Upload(r.Context(), up.AccountID, up.ConversationID, up.Owner, name, body)
	if err != nil {
		return uploadError(err)
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// widgetFile answers a file of the visitor's conversation. Images and
// media may be shown in the company's page (the widget's <img>); the rest
// downloads, and nothing runs as a page of ours.
func (s *Server) widgetFile(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if s.widget == nil {
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "the website chat is not available"}
	}
	q := r.URL.Query()
	f, err := s.widget.File(r.Context(), q.Get("channel"), q.Get("token"), r.PathValue("id"))
	if err != nil {
		return widgetError(w, err)
	}
	defer f.Content.Close()
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	serveFile(w, r, f)
	return nil
}

// widgetError maps the gateway's refusals to answers.
func widgetError(w http.ResponseWriter, err error) error {
	var limited *webchat.RateLimited
	var fe *webchat.FrameError
	switch {
	case errors.Is(err, webchat.ErrUnknownChannel):
		return &requestError{status: http.StatusNotFound, code: "unknown_channel", message: "no website chat has this key"}
	case errors.Is(err, webchat.ErrOriginNotAllowed):
		return &requestError{status: http.StatusForbidden, code: "origin_not_allowed", message: err.Error()}
	case errors.Is(err, webchat.ErrBadToken):
		return &requestError{status: http.StatusUnauthorized, code: "bad_token", message: err.Error()}
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(int((limited.After+time.Second-1)/time.Second)))
		return &requestError{status: http.StatusTooManyRequests, code: "rate_limited", message: "too many uploads; try again later"}
	case errors.As(err, &fe):
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: fe.Error()}
	}
	return err
}

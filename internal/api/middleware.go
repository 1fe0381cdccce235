package api

import (
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/atende/atende/internal/auth"
)

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushing,
// hijacking for WebSockets).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveHTTP is the outermost layer: it finds the route, answers unknown
// routes and wrong methods in JSON, recovers panics, and records metrics and
// a log line labelled by route pattern.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	_, pattern := s.mux.Handler(r)
	route := pattern
	if route == "" {
		route = "unmatched"
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeError(sw, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
		s.metrics.latency.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
		s.log.Debug("request", "method", r.Method, "route", route, "path", r.URL.Path, "status", code, "duration", elapsed, "ip", s.clientIP(r))
	}()
	if pattern == "" {
		if s.isAppPath(r) {
			route = "app"
			s.app.ServeHTTP(sw, r)
			return
		}
		s.noRoute(sw, r)
		return
	}
	s.protected.ServeHTTP(sw, r)
}

// isAppPath says whether a request no route matched is for the agent
// workspace: a GET or HEAD outside the API's, the widget's and the
// operational paths, which keep their JSON 404s.
func (s *Server) isAppPath(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	for _, reserved := range []string{"/api/", "/widget", "/healthz", "/readyz", "/metrics"} {
		if p == strings.TrimSuffix(reserved, "/") || strings.HasPrefix(p, reserved) {
			return false
		}
	}
	return true
}

// noRoute answers a request that matches no route with JSON 404 or 405,
// keeping the Allow header the mux computes.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	probe := &headerProbe{header: http.Header{}}
	h, _ := s.mux.Handler(r)
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed",
			Message: fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, probe.header.Get("Allow"))}})
		return
	}
	writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "no such route"}})
}

// headerProbe captures what the mux's own 404/405 handler would write.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

// clientIP is the address a request came from: the peer, or behind a
// trusted reverse proxy the last address it appended to X-Forwarded-For.
func (s *Server) clientIP(r *http.Request) string {
	if s.behindProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isHTTPS reports whether the client reached us over TLS, directly or at the
// proxy, so cookies are marked Secure.
func (s *Server) isHTTPS(r *http.Request) bool {
	return r.TLS != nil || s.secureCookies || (s.behindProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// sessionCookie is the name of the cookie that holds the session token.
const sessionCookie = "atende_session"

// authenticate resolves the request's bearer token or session cookie to a
// principal.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	client := auth.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return auth.Principal{}, fmt.Errorf("%w: Authorization must be \"Bearer <token>\"", auth.ErrUnauthenticated)
		}
		return s.auth.TokenPrincipal(r.Context(), strings.TrimSpace(token), client)
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return s.auth.SessionPrincipal(r.Context(), c.Value, client)
}

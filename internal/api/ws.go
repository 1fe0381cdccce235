package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/coder/websocket"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/realtime"
)

// websocket upgrades to the event stream: /api/v1/ws?after=SEQ replays what
// the client missed after SEQ, then forwards live events. It is
// authenticated like every route (cookie or bearer token); browsers may
// connect only from the server's own origin (or the public URL's).
func (s *Server) websocket(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest("invalid_query", "after must be the last event sequence you saw (0 or more)")
		}
		after = n
	}
	if s.hub == nil {
		return &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "real-time events are not available"}
	}
	conn, err := realtime.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.wsOrigins})
	if err != nil {
		return nil // Accept has answered (403 for a foreign origin, 426 otherwise)
	}
	// The socket outlives the request: it is set up here, then gets a
	// goroutine of its own that only reads it, with a shallow stack (see
	// Hub.Open), and the request's goroutine returns, which lets net/http
	// drop the request and its buffers. It ends when either side closes
	// it. The hub logs how it failed, if it did.
	go s.hub.Open(context.Background(), conn, p, after).Run()
	return nil
}

// originPatterns lists origins allowed besides the request's own host.
func originPatterns(publicURL string) []string {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil || u.Host == "" {
		return nil
	}
	return []string{u.Host}
}

// lastEventSeq is where a client starting afresh opens the event stream.
func (s *Server) lastEventSeq(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	seq, err := s.engine.LastEventSeq(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"seq": seq})
	return nil
}

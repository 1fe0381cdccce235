package api

import (
	"context"
	_ "embed"
	"net/http"
	"sort"
	"time"

	"github.com/atende/atende/internal/auth"
)

//go:embed openapi.json
var openAPIDocument []byte

// healthz answers while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers 200 when the database and NATS answer, 503 naming what does
// not.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	failed := map[string]string{}
	names := make([]string, 0, len(s.ready))
	for name := range s.ready {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.ready[name].Ping(ctx); err != nil {
			failed[name] = err.Error()
		}
	}
	if len(failed) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failed": failed})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checked": names})
	return nil
}

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s.metricsHandler.ServeHTTP(w, r)
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDocument)
	return nil
}

package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/routing"
)

func (s *Server) getPresence(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	st, err := s.engine.Status(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type presenceRequest struct {
	Presence      string `json:"presence"`
	PauseReasonID int64  `json:"pause_reason_id"`
}

func (s *Server) setPresence(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req presenceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.engine.SetPresence(r.Context(), p, routing.Presence(req.Presence), req.PauseReasonID); err != nil {
		return err
	}
	return s.getPresence(w, r, p)
}

// myDay answers the caller's day in numbers: today, or ?date=YYYY-MM-DD.
func (s *Server) myDay(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	day, err := s.engine.MyDay(r.Context(), p, r.URL.Query().Get("date"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, day)
	return nil
}

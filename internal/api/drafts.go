package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
)

func (s *Server) getDraft(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.messaging.Draft(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

type draftRequest struct {
	Body string `json:"body"`
}

func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req draftRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.messaging.SaveDraft(r.Context(), p, id, req.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

type readRequest struct {
	Seq int64 `json:"seq"`
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req readRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	st, err := s.messaging.MarkRead(r.Context(), p, id, req.Seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) markUnread(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.messaging.MarkUnread(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

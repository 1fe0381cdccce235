package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/canned"
)

func (s *Server) listCanned(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	conv, err := queryID(r, "conversation_id")
	if err != nil {
		return err
	}
	dep, err := queryID(r, "department_id")
	if err != nil {
		return err
	}
	list, err := s.canned.Lookup(r.Context(), p, r.URL.Query().Get("q"), conv, dep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned_responses": list})
	return nil
}

func (s *Server) createCanned(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req canned.NewResponse
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.canned.Create(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) getCanned(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	conv, err := queryID(r, "conversation_id")
	if err != nil {
		return err
	}
	c, err := s.canned.Get(r.Context(), p, id, conv)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateCanned(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req canned.Changes
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.canned.Update(r.Context(), p, id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.canned.Delete(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
)

// The tag catalogue: everybody reads it; administrators and supervisors
// create, rename and remove tags (routing.CreateTag and the rest).

func (s *Server) listTags(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tags, err := s.engine.TagCatalogue(r.Context(), p, r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
	return nil
}

type tagRequest struct {
	Tag string `json:"tag"`
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req tagRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tag, err := s.engine.CreateTag(r.Context(), p, req.Tag)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tag)
	return nil
}

func (s *Server) renameTag(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req tagRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tag, err := s.engine.RenameTag(r.Context(), p, id, req.Tag)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tag)
	return nil
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.engine.DeleteTag(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

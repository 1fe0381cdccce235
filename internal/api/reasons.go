package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/routing"
)

// Pause and close reasons: everybody reads them, administrators write them;
// deleting one deactivates it, so the records that name it keep working.

type reasonRequest struct {
	Name         string `json:"name"`
	DepartmentID int64  `json:"department_id"`
}

type reasonChanges struct {
	Name         *string `json:"name"`
	Active       *bool   `json:"active"`
	DepartmentID *int64  `json:"department_id"`
}

func (s *Server) listPauseReasons(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	list, err := s.engine.PauseReasons(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"pause_reasons": list})
	return nil
}

type pauseReasonRequest struct {
	Name string `json:"name"`
}

type pauseReasonChanges struct {
	Name   *string `json:"name"`
	Active *bool   `json:"active"`
}

func (s *Server) createPauseReason(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req pauseReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, err := s.engine.CreatePauseReason(r.Context(), p, req.Name)
	if err != nil {
		return err
	}
	reason, err := s.engine.PauseReason(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, reason)
	return nil
}

func (s *Server) updatePauseReason(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req pauseReasonChanges
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reason, err := s.engine.UpdatePauseReason(r.Context(), p, id, routing.ReasonChanges{Name: req.Name, Active: req.Active})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reason)
	return nil
}

func (s *Server) deletePauseReason(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inactive := false
	if _, err := s.engine.UpdatePauseReason(r.Context(), p, id, routing.ReasonChanges{Active: &inactive}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listCloseReasons(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	dep, err := queryID(r, "department_id")
	if err != nil {
		return err
	}
	list, err := s.engine.CloseReasons(r.Context(), p, dep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"close_reasons": list})
	return nil
}

func (s *Server) createCloseReason(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req reasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, err := s.engine.CreateCloseReason(r.Context(), p, req.DepartmentID, req.Name)
	if err != nil {
		return err
	}
	reason, err := s.engine.CloseReason(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, reason)
	return nil
}

func (s *Server) updateCloseReason(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req reasonChanges
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reason, err := s.engine.UpdateCloseReason(r.Context(), p, id, routing.ReasonChanges(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reason)
	return nil
}

func (s *Server) deleteCloseReason(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inactive := false
	if _, err := s.engine.UpdateCloseReason(r.Context(), p, id, routing.ReasonChanges{Active: &inactive}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

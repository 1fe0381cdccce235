package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/validate"
)

func (s *Server) listBindings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var f routing.BindingFilter
	var err error
	if f.AgentID, err = queryID(r, "agent_id"); err != nil {
		return err
	}
	if f.DepartmentID, err = queryID(r, "department_id"); err != nil {
		return err
	}
	f.ContactEmail = r.URL.Query().Get("contact_email")
	list, err := s.engine.Bindings(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"bindings": list})
	return nil
}

// bindingPath reads /bindings/{department_id}/{contact_id}.
func bindingPath(r *http.Request) (departmentID, contactID int64, err error) {
	if departmentID, err = pathID(r, "department_id"); err != nil {
		return 0, 0, err
	}
	contactID, err = pathID(r, "contact_id")
	return departmentID, contactID, err
}

type bindingRequest struct {
	AgentID int64 `json:"agent_id"`
}

func (s *Server) setBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	dep, contactID, err := bindingPath(r)
	if err != nil {
		return err
	}
	var req bindingRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.AgentID <= 0 {
		return validate.Errorf("agent_id", "is required")
	}
	if err := s.engine.SetBinding(r.Context(), p, dep, contactID, req.AgentID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	dep, contactID, err := bindingPath(r)
	if err != nil {
		return err
	}
	if err := s.engine.DeleteBinding(r.Context(), p, dep, contactID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

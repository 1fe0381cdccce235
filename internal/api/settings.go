package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/validate"
)

func (s *Server) getDepartmentRouting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.engine.DepartmentSettings(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// setDepartmentRouting replaces a department's routing settings: every
// field is required (a missing one is refused by the settings' rules).
func (s *Server) setDepartmentRouting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req routing.Settings
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.engine.SetDepartmentSettings(r.Context(), p, id, req); err != nil {
		return err
	}
	return s.getDepartmentRouting(w, r, p)
}

type userRoutingRequest struct {
	Capacity         *int32 `json:"capacity"`
	AutoDistribution *bool  `json:"auto_distribution"`
}

func (s *Server) getUserRouting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rt, err := s.engine.AgentRoutingOf(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rt)
	return nil
}

func (s *Server) setUserRouting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req userRoutingRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Capacity == nil:
		return validate.Errorf("capacity", "is required")
	case req.AutoDistribution == nil:
		return validate.Errorf("auto_distribution", "is required")
	}
	if err := s.engine.SetAgentRouting(r.Context(), p, id, *req.Capacity, *req.AutoDistribution); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"capacity": *req.Capacity, "auto_distribution": *req.AutoDistribution})
	return nil
}

func (s *Server) getAccountSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	st, err := s.engine.AccountSettings(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type accountSettingsChanges struct {
	ExternalProtocolRequired *bool `json:"external_protocol_required"`
}

func (s *Server) updateAccountSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req accountSettingsChanges
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := s.engine.UpdateAccountSettings(r.Context(), p, routing.AccountChanges(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
)

type departmentRequest struct {
	Name string `json:"name"`
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	deps, err := s.departments.List(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": deps})
	return nil
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req departmentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.departments.Create(r.Context(), p, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) getDepartment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.departments.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req departmentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.departments.Rename(r.Context(), p, id, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) deleteDepartment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.departments.Delete(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	members, err := s.departments.Members(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": members})
	return nil
}

// memberPath reads /departments/{id}/members/{user_id}.
func memberPath(r *http.Request) (departmentID, userID int64, err error) {
	if departmentID, err = pathID(r, "id"); err != nil {
		return 0, 0, err
	}
	userID, err = pathID(r, "user_id")
	return departmentID, userID, err
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, userID, err := memberPath(r)
	if err != nil {
		return err
	}
	if err := s.departments.AddMember(r.Context(), p, id, userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, userID, err := memberPath(r)
	if err != nil {
		return err
	}
	if err := s.departments.RemoveMember(r.Context(), p, id, userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

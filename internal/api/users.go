package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	users, err := s.auth.Users(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}

type createUserRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.auth.CreateUser(r.Context(), p, auth.NewUser(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.auth.User(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type updateUserRequest struct {
	Name            *string `json:"name"`
	Email           *string `json:"email"`
	Role            *string `json:"role"`
	Password        *string `json:"password"`
	CurrentPassword *string `json:"current_password"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req updateUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.auth.UpdateUser(r.Context(), p, id, auth.UserChanges(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.auth.DeleteUser(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

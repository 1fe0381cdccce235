package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/atende/atende/internal/auth"
)

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tokens, err := s.auth.Tokens(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": tokens})
	return nil
}

type createTokenRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type createTokenResponse struct {
	auth.Token
	// Secret is shown once; only its hash is kept.
	Secret string `json:"secret"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, secret, err := s.auth.CreateToken(r.Context(), p, req.Name, req.ExpiresAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createTokenResponse{Token: t, Secret: secret})
	return nil
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.auth.DeleteToken(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditLog pages backwards: ?before=ID&limit=N (default 50, at most 200).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	before, limit := int64(0), 50
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest("invalid_query", "before must be an entry id")
		}
		before = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return badRequest("invalid_query", "limit must be between 1 and 200")
		}
		limit = n
	}
	entries, err := s.auth.AuditLog(r.Context(), p, before, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
	return nil
}

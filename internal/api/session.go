package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login checks the credentials, sets a new session cookie and answers the
// signed-in user as /me does.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sess, p, err := s.auth.Login(r.Context(), req.Email, req.Password, auth.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	// A session cookie (no Expires): it ends with the browser, which suits
	// shared workstations; the server ends idle sessions on its own.
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sess.Token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isHTTPS(r),
	})
	me, err := s.auth.Me(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.auth.Logout(r.Context(), p); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isHTTPS(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	me, err := s.auth.Me(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

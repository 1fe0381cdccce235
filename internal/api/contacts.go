package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/validate"
)

// Contacts belong to the whole account: everybody in it reads and edits
// them. Their conversations are listed as the caller may see them.

func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := queryInt(r, "limit", 1, contact.MaxSearchLimit)
	if err != nil {
		return err
	}
	list, err := s.contacts.Search(r.Context(), p, r.URL.Query().Get("q"), int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": list})
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req contact.NewContact
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.contacts.Create(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.contacts.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req contact.Changes
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.contacts.Update(r.Context(), p, id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type mergeRequest struct {
	MergeID int64 `json:"merge_id"`
}

func (s *Server) mergeContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req mergeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.MergeID <= 0 {
		return validate.Errorf("merge_id", "is required: the id of the contact to fold into this one")
	}
	c, err := s.contacts.Merge(r.Context(), p, id, req.MergeID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) contactConversations(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1, 100)
	if err != nil {
		return err
	}
	// A merged contact's id answers the contact it was merged into.
	c, err := s.contacts.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	list, err := s.engine.ContactConversations(r.Context(), p, c.ID, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": list})
	return nil
}

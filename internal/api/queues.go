package api

import (
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/routing"
)

func (s *Server) listQueues(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	queues, err := s.engine.Queues(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"queues": queues})
	return nil
}

func (s *Server) listQueueConversations(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	dep, err := pathID(r, "department_id")
	if err != nil {
		return err
	}
	var f routing.QueueFilter
	if f.ChannelID, err = queryID(r, "channel_id"); err != nil {
		return err
	}
	if f.QueuedFrom, err = queryTime(r, "queued_from", false); err != nil {
		return err
	}
	if f.QueuedTo, err = queryTime(r, "queued_to", true); err != nil {
		return err
	}
	q := r.URL.Query()
	f.Phone, f.Contact, f.Subject, f.Order, f.Cursor = q.Get("phone"), q.Get("contact"), q.Get("subject"), q.Get("order"), q.Get("cursor")
	f.Content = q.Get("content")
	page, err := s.engine.QueueConversations(r.Context(), p, dep, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

package api

import (
	"math"
	"net/http"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/routing"
)

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tab := r.URL.Query().Get("tab")
	if tab == "" {
		tab = routing.TabActive
	}
	list, err := s.engine.MyConversations(r.Context(), p, tab)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": list})
	return nil
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.engine.Conversation(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before_seq", 1, math.MaxInt64)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1, routing.MaxMessagePage)
	if err != nil {
		return err
	}
	msgs, next, err := s.engine.Messages(r.Context(), p, id, before, int(limit))
	if err != nil {
		return err
	}
	var nextBefore *int64
	if next != 0 {
		nextBefore = &next
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs, "next_before_seq": nextBefore})
	return nil
}

// idempotencyHeader names the header that makes a POST safe to retry.
const idempotencyHeader = "Idempotency-Key"

type messageRequest struct {
	Body            string   `json:"body"`
	QuotedMessageID int64    `json:"quoted_message_id"`
	AttachmentIDs   []string `json:"attachment_ids"`
}

// writeMessage answers a written message: 201, with Idempotent-Replayed
// when an earlier request with the same key wrote it.
func writeMessage(w http.ResponseWriter, res messaging.Result) {
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, res.Message)
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req messageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.messaging.Send(r.Context(), p, id, messaging.Reply{Body: req.Body, QuotedMessageID: req.QuotedMessageID, AttachmentIDs: req.AttachmentIDs}, r.Header.Get(idempotencyHeader))
	if err != nil {
		return err
	}
	writeMessage(w, res)
	return nil
}

type noteRequest struct {
	Body          string   `json:"body"`
	AttachmentIDs []string `json:"attachment_ids"`
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req noteRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.messaging.Note(r.Context(), p, id, req.Body, req.AttachmentIDs, r.Header.Get(idempotencyHeader))
	if err != nil {
		return err
	}
	writeMessage(w, res)
	return nil
}

// act runs one of the engine's actions on the conversation in the path and
// answers 204.
func (s *Server) act(w http.ResponseWriter, r *http.Request, fn func(id int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := fn(id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) pullConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Pull(r.Context(), p, id) })
}

func (s *Server) acceptOffer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Accept(r.Context(), p, id) })
}

func (s *Server) declineOffer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Decline(r.Context(), p, id) })
}

func (s *Server) parkConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Park(r.Context(), p, id) })
}

func (s *Server) resumeConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Resume(r.Context(), p, id) })
}

type transferRequest struct {
	AgentID      int64  `json:"agent_id"`
	DepartmentID int64  `json:"department_id"`
	Note         string `json:"note"`
}

func (s *Server) transferConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req transferRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	return s.act(w, r, func(id int64) error { return s.engine.Transfer(r.Context(), p, id, routing.TransferInput(req)) })
}

type closeRequest struct {
	CloseReasonID    int64  `json:"close_reason_id"`
	Resolved         *bool  `json:"resolved"`
	ExternalProtocol string `json:"external_protocol"`
}

func (s *Server) closeConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req closeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	return s.act(w, r, func(id int64) error {
		return s.engine.Close(r.Context(), p, id, routing.CloseInput{ReasonID: req.CloseReasonID, Resolved: req.Resolved, ExternalProtocol: req.ExternalProtocol})
	})
}

func (s *Server) addTag(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Tag(r.Context(), p, id, r.PathValue("tag")) })
}

func (s *Server) removeTag(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.act(w, r, func(id int64) error { return s.engine.Untag(r.Context(), p, id, r.PathValue("tag")) })
}

func (s *Server) listFinished(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var f routing.FinishedFilter
	var err error
	for name, dst := range map[string]*int64{"department_id": &f.DepartmentID, "channel_id": &f.ChannelID, "agent_id": &f.AgentID} {
		if *dst, err = queryID(r, name); err != nil {
			return err
		}
	}
	if f.ClosedFrom, err = queryTime(r, "closed_from", false); err != nil {
		return err
	}
	if f.ClosedTo, err = queryTime(r, "closed_to", true); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1, routing.MaxFinishedPage)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	q := r.URL.Query()
	switch v := q.Get("out_of_hours"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.OutOfHours = &b
	default:
		return badField("invalid_query", "out_of_hours", "must be true or false")
	}
	f.Period, f.Status, f.Tag, f.Protocol, f.Contact, f.Cursor = q.Get("period"), q.Get("status"), q.Get("tag"), q.Get("protocol"), q.Get("contact"), q.Get("cursor")
	f.ChannelKind = q.Get("channel_kind")
	f.Q = q.Get("q")
	page, err := s.engine.Finished(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	dep, err := queryID(r, "department_id")
	if err != nil {
		return err
	}
	agents, err := s.engine.Agents(r.Context(), p, dep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
	return nil
}

type contactRequest struct {
	ContactID int64 `json:"contact_id"`
}

// setConversationContact says who the conversation's customer is: the
// contact it was opened for is merged into the one given.
func (s *Server) setConversationContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req contactRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.engine.SetContact(r.Context(), p, id, req.ContactID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// transferTargets lists who "@" may transfer the conversation to now.
func (s *Server) transferTargets(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	agents, err := s.engine.TransferTargets(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
	return nil
}

package routing_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
	"github.com/atende/atende/internal/validate"
)

func TestNewMessageIsOfferedAndAcceptedAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, offerMode)
		ana := w.agent("Ana")
		w.ready(ana)
		r := w.writes("+5511987654321", "Olá, quero um orçamento")
		if !r.Opened {
			t.Fatal("the first message did not open a conversation")
		}
		w.wantOffered(r.ConversationID, ana)
		if s := w.state(ana); s.Load != 1 {
			t.Fatalf("an open offer holds a slot: load %d", s.Load)
		}
		w.must(w.engine.Accept(w.ctx, ana, r.ConversationID))
		w.wantWith(r.ConversationID, conversation.Active, ana)
		if got := w.events(r.ConversationID); !slices.Equal(got, []string{"opened", "offered", "accepted"}) {
			t.Fatalf("events %v", got)
		}
		// Accepting twice, or someone else accepting, is refused.
		if err := w.engine.Accept(w.ctx, ana, r.ConversationID); !errors.Is(err, routing.ErrOfferGone) {
			t.Fatalf("second accept: %v", err)
		}
		// The next message goes to the same conversation.
		if r2 := w.writes("+55 11 8765-4321", "e o frete?"); r2.ConversationID != r.ConversationID || r2.Opened {
			t.Fatalf("second message (ninth digit omitted) went to %+v", r2)
		}
	})
}

func TestDeclinedOfferGoesToTheNextAgentAndBackWhenNobodyElse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, offerMode)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		w.ready(bia)
		r := w.writes("+5511911111111", "oi")
		w.wantOffered(r.ConversationID, ana) // equally idle: lowest id first
		w.must(w.engine.Decline(w.ctx, ana, r.ConversationID))
		w.wantOffered(r.ConversationID, bia)
		if w.state(ana).Load != 0 {
			t.Fatal("declining did not free Ana's slot")
		}
		w.must(w.engine.Decline(w.ctx, bia, r.ConversationID))
		w.wantOffered(r.ConversationID, ana) // nobody else: back to the first
		w.must(w.engine.Accept(w.ctx, ana, r.ConversationID))
		w.wantWith(r.ConversationID, conversation.Active, ana)
	})
}

func TestExpiredOfferGoesToTheNextAgent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, offerMode)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		w.ready(bia)
		r := w.writes("+5511922222222", "oi")
		w.wantOffered(r.ConversationID, ana)
		w.advance(29 * time.Second)
		w.wantOffered(r.ConversationID, ana)
		w.advance(2 * time.Second)
		w.wantOffered(r.ConversationID, bia)
		if got := w.events(r.ConversationID); !slices.Contains(got, "offer_expired") {
			t.Fatalf("events %v lack offer_expired", got)
		}
		if err := w.engine.Accept(w.ctx, ana, r.ConversationID); !errors.Is(err, routing.ErrOfferGone) {
			t.Fatalf("accepting an expired offer: %v", err)
		}
	})
}

func TestDirectModeAssignsWithoutAsking(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		r := w.writes("+5511933333333", "oi")
		w.wantWith(r.ConversationID, conversation.Active, ana)
	})
}

func TestCapacityHoldsAndAFreedSlotIsFilledAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.must(w.engine.SetAgentRouting(w.ctx, w.admin, ana.UserID, 2, true))
		w.ready(ana)
		a := w.writes("+5511900000001", "1")
		b := w.writes("+5511900000002", "2")
		c := w.writes("+5511900000003", "3")
		w.wantWith(a.ConversationID, conversation.Active, ana)
		w.wantWith(b.ConversationID, conversation.Active, ana)
		w.wantQueued(c.ConversationID)
		w.must(w.engine.Close(w.ctx, ana, a.ConversationID, routing.CloseInput{}))
		w.wantWith(c.ConversationID, conversation.Active, ana) // no periodic job: at once
	})
}

func TestAgentsOutsideAutomaticDistributionGetNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, offerMode)
		ana := w.agent("Ana")
		w.must(w.engine.SetAgentRouting(w.ctx, w.admin, ana.UserID, 5, false))
		w.ready(ana)
		r := w.writes("+5511900000004", "oi")
		w.wantQueued(r.ConversationID)
		// She can still pull it by hand.
		w.must(w.engine.Pull(w.ctx, ana, r.ConversationID))
		w.wantWith(r.ConversationID, conversation.Active, ana)
	})
}

func TestPauseWhileServingWaitsForTheLastConversation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		lunch, err := w.engine.CreatePauseReason(w.ctx, w.admin, "Almoço")
		w.must(err)
		w.ready(ana)
		r := w.writes("+5511900000005", "oi")
		w.must(w.engine.SetPresence(w.ctx, ana, routing.Paused, lunch))
		if st := w.state(ana); st.Presence != string(routing.PausePending) || st.PauseReasonID.Int64 != lunch {
			t.Fatalf("pause while serving: %s reason %v", st.Presence, st.PauseReasonID)
		}
		// Nothing new arrives while the pause is pending...
		other := w.writes("+5511900000006", "oi")
		w.wantQueued(other.ConversationID)
		// ...and the pause starts when the last conversation ends.
		w.must(w.engine.Close(w.ctx, ana, r.ConversationID, routing.CloseInput{}))
		if st := w.state(ana); st.Presence != string(routing.Paused) {
			t.Fatalf("after the last conversation: %s", st.Presence)
		}
		w.wantQueued(other.ConversationID)
		// Back from the pause, the waiting conversation arrives.
		w.ready(ana)
		w.wantWith(other.ConversationID, conversation.Active, ana)
		// An idle agent pauses at once; an unknown reason is refused.
		w.must(w.engine.Close(w.ctx, ana, other.ConversationID, routing.CloseInput{}))
		w.must(w.engine.SetPresence(w.ctx, ana, routing.Paused, lunch))
		if st := w.state(ana); st.Presence != string(routing.Paused) {
			t.Fatalf("idle pause: %s", st.Presence)
		}
		var ve *validate.Error
		if err := w.engine.SetPresence(w.ctx, ana, routing.Paused, 999999); !errors.As(err, &ve) {
			t.Fatalf("unknown pause reason: %v", err)
		}
		log, err := w.db.Read().ListPresenceLog(w.ctx, ana.UserID)
		w.must(err)
		var seen []string
		for _, l := range log {
			seen = append(seen, l.Presence)
		}
		if strings.Join(seen, ",") != "ready,pause_pending,paused,ready,paused" {
			t.Fatalf("presence log %v", seen)
		}
	})
}

func TestDisconnectedAgentsConversationsReturnToTheQueueAheadOfNewerOnes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		w.must(w.engine.Connected(w.ctx, ana))
		old := w.writes("+5511900000007", "oi")
		w.wantWith(old.ConversationID, conversation.Active, ana)
		w.must(w.engine.Close(w.ctx, ana, w.writes("+5511900000099", "x").ConversationID, routing.CloseInput{}))
		w.must(w.engine.SetAgentRouting(w.ctx, w.admin, ana.UserID, 1, true))

		// A short drop within the grace period changes nothing.
		w.must(w.engine.Disconnected(w.ctx, ana))
		w.advance(30 * time.Second)
		w.must(w.engine.Connected(w.ctx, ana))
		w.advance(60 * time.Second)
		w.wantWith(old.ConversationID, conversation.Active, ana)

		w.clock.Advance(time.Minute)
		newer := w.writes("+5511900000008", "oi") // queued: Ana is full
		w.wantQueued(newer.ConversationID)
		w.must(w.engine.Disconnected(w.ctx, ana))
		w.advance(59 * time.Second)
		w.wantWith(old.ConversationID, conversation.Active, ana)
		w.advance(2 * time.Second)
		if st := w.state(ana); st.Presence != string(routing.Offline) {
			t.Fatalf("after the grace period Ana is %s", st.Presence)
		}
		w.wantQueued(old.ConversationID)
		// Bia arrives: she continues the old conversation first.
		w.must(w.engine.SetAgentRouting(w.ctx, w.admin, bia.UserID, 1, true))
		w.ready(bia)
		w.wantWith(old.ConversationID, conversation.Active, bia)
		w.wantQueued(newer.ConversationID)
		if got := w.events(old.ConversationID); !slices.Contains(got, "returned_to_queue") {
			t.Fatalf("events %v", got)
		}
	})
}

func TestLoggingOffReturnsConversationsAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, offerMode)
		ana := w.agent("Ana")
		w.ready(ana)
		served := w.writes("+5511900000010", "oi")
		w.must(w.engine.Accept(w.ctx, ana, served.ConversationID))
		offered := w.writes("+5511900000011", "oi")
		w.wantOffered(offered.ConversationID, ana)
		w.must(w.engine.SetPresence(w.ctx, ana, routing.Offline, 0))
		w.wantQueued(served.ConversationID)
		w.wantQueued(offered.ConversationID)
		if w.state(ana).Load != 0 {
			t.Fatal("load not reset on logoff")
		}
	})
}

func TestBindingSendsAReturningContactToTheirAgentOutOfTurn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		s.Policy = routing.RoundRobin
		s.Binding = true
		w := newWorld(t, db, s)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		w.ready(bia)
		first := w.writes("+5511900000020", "oi") // round robin: Ana
		w.wantWith(first.ConversationID, conversation.Active, ana)
		w.must(w.engine.Close(w.ctx, ana, first.ConversationID, routing.CloseInput{}))
		binds, err := w.engine.Bindings(w.ctx, w.admin, routing.BindingFilter{DepartmentID: w.dept})
		w.must(err)
		if len(binds) != 1 || binds[0].AgentID != ana.UserID || binds[0].ContactID != first.ContactID {
			t.Fatalf("bindings after the first service: %+v", binds)
		}
		turnBefore := w.state(ana).LastAssignedAt

		// The contact returns: a new conversation, to Ana, although it is
		// Bia's turn...
		again := w.writes("+5511900000020", "voltei")
		if again.ConversationID == first.ConversationID || !again.Opened {
			t.Fatal("a closed conversation reopened")
		}
		w.wantWith(again.ConversationID, conversation.Active, ana)
		// ...without costing Ana her turn: the next stranger goes to Bia,
		// the one after to Ana.
		if w.state(ana).LastAssignedAt != turnBefore {
			t.Fatal("the bound conversation cost Ana her turn")
		}
		w.wantWith(w.writes("+5511900000021", "oi").ConversationID, conversation.Active, bia)
		w.wantWith(w.writes("+5511900000022", "oi").ConversationID, conversation.Active, ana)

		// Ana paused: the bound contact goes to the normal queue (Bia), and
		// Ana is told who served instead.
		w.must(w.engine.Close(w.ctx, ana, again.ConversationID, routing.CloseInput{}))
		lunch, err := w.engine.CreatePauseReason(w.ctx, w.admin, "Almoço")
		w.must(err)
		w.must(w.engine.SetAgentRouting(w.ctx, w.admin, ana.UserID, 5, true))
		mine, err := w.db.Read().ListAgentConversations(w.ctx, store.NullID(ana.UserID))
		w.must(err)
		for _, c := range mine {
			w.must(w.engine.Close(w.ctx, ana, c.ID, routing.CloseInput{}))
		}
		w.must(w.engine.SetPresence(w.ctx, ana, routing.Paused, lunch))
		third := w.writes("+5511900000020", "de novo")
		w.wantWith(third.ConversationID, conversation.Active, bia)
		notes, err := w.db.Read().ListNotifications(w.ctx, ana.UserID)
		w.must(err)
		if len(notes) != 1 || notes[0].Kind != "binding.served_by_other" || !strings.Contains(notes[0].Body, `"served_by":`) {
			t.Fatalf("Ana's notifications %+v", notes)
		}
		// The binding stays with Ana.
		binds, _ = w.engine.Bindings(w.ctx, w.admin, routing.BindingFilter{DepartmentID: w.dept})
		for _, b := range binds {
			if b.ContactID == first.ContactID && b.AgentID != ana.UserID {
				t.Fatalf("binding moved after fallback: %+v", b)
			}
		}
	})
}

func TestBoundAgentWhoDeclinesFallsBackToTheQueue(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.Binding = true
		w := newWorld(t, db, s)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		r := w.writes("+5511900000030", "oi")
		w.must(w.engine.Accept(w.ctx, ana, r.ConversationID))
		w.must(w.engine.Close(w.ctx, ana, r.ConversationID, routing.CloseInput{}))
		busy := w.writes("+5511900000031", "x")
		w.must(w.engine.Accept(w.ctx, ana, busy.ConversationID))
		w.ready(bia)
		// Bia is less busy... but the contact is bound to Ana.
		again := w.writes("+5511900000030", "voltei")
		w.wantOffered(again.ConversationID, ana)
		w.must(w.engine.Decline(w.ctx, ana, again.ConversationID))
		w.wantOffered(again.ConversationID, bia)
		w.must(w.engine.Accept(w.ctx, bia, again.ConversationID))
		notes, _ := w.db.Read().ListNotifications(w.ctx, ana.UserID)
		if len(notes) != 1 {
			t.Fatalf("Ana was not told: %+v", notes)
		}
	})
}

func TestAnonymousVisitorsNeverBind(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		s.Binding = true
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		r, err := w.recv.Receive(w.ctx, visitorMessage(w.channel, "visitor-abc", "m1"))
		w.must(err)
		w.wantWith(r.ConversationID, conversation.Active, ana)
		binds, err := w.engine.Bindings(w.ctx, w.admin, routing.BindingFilter{})
		w.must(err)
		if len(binds) != 0 {
			t.Fatalf("an anonymous visitor was bound: %+v", binds)
		}
	})
}

func TestReceiveAnswersWithTheMessageAndConversationAsStored(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		// Receive's answer stands in for reading the rows again: it must be
		// what a read finds.
		same := func(what string, got, stored any) {
			t.Helper()
			g, err := json.Marshal(got)
			w.must(err)
			st, err := json.Marshal(stored)
			w.must(err)
			if string(g) != string(st) {
				t.Fatalf("%s answered\n%s\nstored\n%s", what, g, st)
			}
		}
		receive := func(id string, conversationToo bool) channel.Received {
			t.Helper()
			w.advance(time.Minute)
			r, err := w.recv.Receive(w.ctx, visitorMessage(w.channel, "visitor-as-stored", id))
			w.must(err)
			m, err := w.db.Read().GetMessage(w.ctx, store.GetMessageParams{AccountID: w.account, ID: r.MessageID})
			w.must(err)
			same("message "+id, r.Message, m)
			if conversationToo {
				same("conversation after "+id, r.Conversation, w.conv(r.ConversationID))
			}
			return r
		}
		// The first opens the conversation, which is then assigned: only
		// the message is as Receive left it.
		first := receive("m1", false)
		w.wantWith(first.ConversationID, conversation.Active, ana)
		receive("m2", true)
		w.must(w.engine.Park(w.ctx, ana, first.ConversationID))
		receive("m3", true) // wakes it up
		w.wantWith(first.ConversationID, conversation.Active, ana)
		again, err := w.recv.Receive(w.ctx, visitorMessage(w.channel, "visitor-as-stored", "m2"))
		w.must(err)
		if !again.Duplicate || again.MessageID == 0 || again.Message.ID != 0 {
			t.Fatalf("a redelivery: %+v", again)
		}
	})
}

func TestTransferToAnAgentNeedsOneWhoIsReadyWithRoom(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		r := w.writes("+5511900000040", "oi")
		w.wantWith(r.ConversationID, conversation.Active, ana)
		if err := w.engine.TransferToAgent(w.ctx, ana, r.ConversationID, bia.UserID, "cliente VIP"); !errors.Is(err, routing.ErrUnavailable) {
			t.Fatalf("transfer to an offline agent: %v", err)
		}
		w.must(w.engine.SetPresence(w.ctx, bia, routing.NotReady, 0))
		if err := w.engine.TransferToAgent(w.ctx, ana, r.ConversationID, bia.UserID, ""); !errors.Is(err, routing.ErrUnavailable) {
			t.Fatalf("transfer to a not-ready agent: %v", err)
		}
		w.ready(bia)
		if err := w.engine.TransferToAgent(w.ctx, bia, r.ConversationID, bia.UserID, ""); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("an agent taking someone else's conversation: %v", err)
		}
		w.must(w.engine.TransferToAgent(w.ctx, ana, r.ConversationID, bia.UserID, "cliente VIP"))
		w.wantWith(r.ConversationID, conversation.Active, bia)
		if w.state(ana).Load != 0 || w.state(bia).Load != 1 {
			t.Fatalf("loads after transfer: Ana %d Bia %d", w.state(ana).Load, w.state(bia).Load)
		}
		msgs, _ := w.db.Read().ListMessages(w.ctx, r.ConversationID)
		if last := msgs[len(msgs)-1]; last.Direction != "note" || last.Body != "cliente VIP" {
			t.Fatalf("transfer note not kept as an internal note: %+v", last)
		}
	})
}

func TestTransferToADepartmentKeepsTheOriginalQueueTime(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		suporte := w.department("Suporte", s)
		suporteLine := w.whatsapp(suporte)
		ana := w.agent("Ana")
		caio := w.agent("Caio", suporte)
		w.ready(ana)
		r := w.writes("+5511900000050", "oi")
		queuedAt := w.conv(r.ConversationID).QueuedAt
		w.clock.Advance(10 * time.Minute)
		newer := w.writesOn(suporteLine, "+5511900000051", "oi") // queued in Suporte, nobody there yet
		w.must(w.engine.TransferToDepartment(w.ctx, ana, r.ConversationID, suporte, "é suporte"))
		moved := w.conv(r.ConversationID)
		if moved.DepartmentID != suporte || moved.Status != "queued" || !moved.QueuedAt.Time.Equal(queuedAt.Time) {
			t.Fatalf("after transfer: department %d status %s queued at %v (was %v)", moved.DepartmentID, moved.Status, moved.QueuedAt, queuedAt)
		}
		w.must(w.engine.SetAgentRouting(w.ctx, w.admin, caio.UserID, 1, true))
		w.ready(caio)
		w.wantWith(r.ConversationID, conversation.Active, caio) // older queue time: first
		w.wantQueued(newer.ConversationID)
		m, err := conversation.Measure(w.ctx, w.db.Read(), w.clock.Now(), w.conv(r.ConversationID))
		w.must(err)
		if m.TTA != 10*time.Minute {
			t.Fatalf("TTA %v: it must count from opening, never reset by the transfer", m.TTA)
		}
	})
}

func TestInactivityAfterThirtyMinutesAndAbandonmentFortyEightHoursLater(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		r := w.writes("+5511900000060", "oi")
		w.advance(29 * time.Minute)
		w.wantWith(r.ConversationID, conversation.Active, ana)
		w.advance(2 * time.Minute)
		w.wantWith(r.ConversationID, conversation.Inactive, ana)
		// The customer writes: active again, with the same agent.
		w.writes("+5511900000060", "ainda aí?")
		w.wantWith(r.ConversationID, conversation.Active, ana)
		// Parked as waiting, silence also makes it inactive.
		w.must(w.engine.Park(w.ctx, ana, r.ConversationID))
		w.wantWith(r.ConversationID, conversation.Waiting, ana)
		w.advance(31 * time.Minute)
		w.wantWith(r.ConversationID, conversation.Inactive, ana)
		w.advance(47 * time.Hour)
		w.wantWith(r.ConversationID, conversation.Inactive, ana)
		w.advance(time.Hour + time.Minute)
		c := w.conv(r.ConversationID)
		if c.Status != "abandoned" || !c.ClosedAt.Valid {
			t.Fatalf("after 48 h inactive: %s", c.Status)
		}
		if w.state(ana).Load != 0 {
			t.Fatal("abandonment did not free the slot")
		}
		// Abandoned never reopens: the next message opens a new conversation
		// whose history shows the old one.
		next := w.writes("+5511900000060", "oi de novo")
		if !next.Opened || next.ConversationID == r.ConversationID {
			t.Fatal("an abandoned conversation reopened")
		}
		history, err := w.db.Read().ListContactConversations(w.ctx, store.ListContactConversationsParams{AccountID: w.account, ContactID: next.ContactID, Limit: 10})
		w.must(err)
		if len(history) != 2 || history[1].ID != r.ConversationID {
			t.Fatalf("contact history %+v", history)
		}
		if w.conv(next.ConversationID).Protocol == c.Protocol {
			t.Fatal("protocol numbers repeat")
		}
	})
}

func TestEachCustomerMessageRestartsTheInactivityPeriod(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		r := w.writes("+5511900000061", "oi")
		w.advance(20 * time.Minute)
		w.writes("+5511900000061", "ainda estou aqui")
		// Thirty-one minutes after the first message, eleven after the last:
		// the timer set at assignment fires, finds the newer message, and
		// waits again.
		w.advance(11 * time.Minute)
		w.wantWith(r.ConversationID, conversation.Active, ana)
		w.advance(18 * time.Minute)
		w.wantWith(r.ConversationID, conversation.Active, ana)
		w.advance(2 * time.Minute) // thirty-one after the last
		w.wantWith(r.ConversationID, conversation.Inactive, ana)
	})
}

func TestCustomerReplyResumesAWaitingConversation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		r := w.writes("+5511900000070", "oi")
		w.must(w.engine.Park(w.ctx, ana, r.ConversationID))
		w.writes("+5511900000070", "voltei")
		w.wantWith(r.ConversationID, conversation.Active, ana)
	})
}

func TestClosingAsksForWhatTheDepartmentAndAccountRequire(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		s.CloseReasonRequired = true
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		w.ready(ana)
		w.must(w.engine.SetExternalProtocolRequired(w.ctx, w.admin, true))
		reason, err := w.engine.CreateCloseReason(w.ctx, w.admin, w.dept, "Dúvida sobre produto")
		w.must(err)
		r := w.writes("+5511900000080", "oi")
		yes := true
		for _, tc := range []struct {
			in    routing.CloseInput
			field string
		}{
			{routing.CloseInput{}, "close_reason_id"},
			{routing.CloseInput{ReasonID: reason}, "resolved"},
			{routing.CloseInput{ReasonID: 424242, Resolved: &yes}, "close_reason_id"},
			{routing.CloseInput{ReasonID: reason, Resolved: &yes}, "external_protocol"},
			{routing.CloseInput{ReasonID: reason, Resolved: &yes, ExternalProtocol: "12345678901234"}, "external_protocol"},
		} {
			var ve *validate.Error
			if err := w.engine.Close(w.ctx, ana, r.ConversationID, tc.in); !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("close %+v: %v, want an error on %s", tc.in, err, tc.field)
			}
		}
		w.must(w.engine.Close(w.ctx, ana, r.ConversationID, routing.CloseInput{ReasonID: reason, Resolved: &yes, ExternalProtocol: "OS-2026-0042"}))
		c := w.conv(r.ConversationID)
		if c.Status != "closed" || c.CloseReasonID.Int64 != reason || !c.Resolved.Bool || c.ExternalProtocol != "OS-2026-0042" {
			t.Fatalf("closed conversation %+v", c)
		}
	})
}

func TestManualDepartmentsWaitForAPull(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.Distribution = routing.Manual
		w := newWorld(t, db, s)
		ana := w.agent("Ana")
		outsider := w.agent("Zé", w.department("Financeiro", offerMode))
		w.ready(ana)
		r := w.writes("+5511900000090", "oi")
		w.wantQueued(r.ConversationID)
		if err := w.engine.Pull(w.ctx, outsider, r.ConversationID); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("pull by a non-member: %v", err)
		}
		w.must(w.engine.Pull(w.ctx, ana, r.ConversationID))
		w.wantWith(r.ConversationID, conversation.Active, ana)
		if err := w.engine.Pull(w.ctx, ana, r.ConversationID); !errors.Is(err, conversation.ErrNotAllowed) {
			t.Fatalf("pulling an assigned conversation: %v", err)
		}
	})
}

func TestPoliciesChooseTheRightAgent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		w := newWorld(t, db, s)
		ana, bia, caio := w.agent("Ana"), w.agent("Bia"), w.agent("Caio")
		for _, p := range []auth.Principal{ana, bia, caio} {
			w.ready(p)
		}
		got := func() int64 { return w.conv(w.writes(phoneN(), "oi").ConversationID).AgentID.Int64 }
		// Least busy: spreads the load, then the longest idle.
		for i, want := range []auth.Principal{ana, bia, caio, ana} {
			w.clock.Advance(time.Second)
			if a := got(); a != want.UserID {
				t.Fatalf("least busy, conversation %d went to %d, want %s", i, a, want.Name)
			}
		}
		// Round robin: strict rotation, whatever the load.
		s.Policy = routing.RoundRobin
		w.must(w.engine.SetDepartmentSettings(w.ctx, w.admin, w.dept, s))
		var order []int64
		for range 4 {
			order = append(order, got())
		}
		if order[0] == order[1] || order[1] == order[2] || order[0] == order[2] || order[3] != order[0] {
			t.Fatalf("round robin order %v", order)
		}
	})
}

func TestMetricsFollowTheEvents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, offerMode)
		ana := w.agent("Ana")
		r := w.writes("+5511900000100", "oi")
		w.clock.Advance(2 * time.Minute)
		w.ready(ana)
		w.clock.Advance(10 * time.Second)
		w.must(w.engine.Accept(w.ctx, ana, r.ConversationID))
		w.clock.Advance(50 * time.Second)
		reply(w, ana, r.ConversationID, "Olá! Como posso ajudar?") // 3 min after the first message
		w.clock.Advance(time.Minute)
		w.writes("+5511900000100", "preço?")
		w.clock.Advance(time.Minute)
		reply(w, ana, r.ConversationID, "R$ 10") // 1 min response
		w.clock.Advance(time.Minute)
		w.must(w.engine.Close(w.ctx, ana, r.ConversationID, routing.CloseInput{}))
		m, err := conversation.Measure(w.ctx, w.db.Read(), w.clock.Now(), w.conv(r.ConversationID))
		w.must(err)
		want := conversation.Metrics{TTA: 6 * time.Minute, QueueWait: 2*time.Minute + 10*time.Second, TM1R: 3 * time.Minute, TMR: 2 * time.Minute, Responses: 2}
		if m.TTA != want.TTA || m.QueueWait != want.QueueWait || m.TM1R != want.TM1R || m.TMR != want.TMR || m.Responses != 2 {
			t.Fatalf("metrics %+v, want %+v", m, want)
		}
		if m.Handling[ana.UserID] != 3*time.Minute+50*time.Second { // from accepting to closing
			t.Fatalf("handling %v", m.Handling)
		}
	})
}

// reply stores an agent's message the way the messaging API will.
func reply(w *world, p auth.Principal, id int64, text string) {
	w.t.Helper()
	w.must(w.db.Tx(w.ctx, func(q *store.Queries) error {
		_, err := conversation.Append(w.ctx, q, w.clock.Now(), conversation.NewMessage{
			AccountID: w.account, ConversationID: id, ChannelID: w.channel, Direction: conversation.Out, SenderType: "agent", SenderID: p.UserID, Body: text,
		})
		return err
	}))
}

func TestTagsAndBindingFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := offerMode
		s.OfferMode = routing.DirectMode
		s.Binding = true
		w := newWorld(t, db, s)
		ana, bia := w.agent("Ana"), w.agent("Bia")
		w.ready(ana)
		r := w.writes("+5511900000110", "oi")
		w.must(w.engine.Tag(w.ctx, ana, r.ConversationID, " Orçamento "))
		w.must(w.engine.Tag(w.ctx, ana, r.ConversationID, "orçamento"))
		w.must(w.engine.Tag(w.ctx, ana, r.ConversationID, "vip"))
		if err := w.engine.Tag(w.ctx, bia, r.ConversationID, "x"); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("someone else's conversation tagged: %v", err)
		}
		w.must(w.engine.Untag(w.ctx, ana, r.ConversationID, "vip"))
		tags, err := w.engine.Tags(w.ctx, ana, r.ConversationID)
		w.must(err)
		if strings.Join(tags, ",") != "orçamento" {
			t.Fatalf("tags %v", tags)
		}
		// Bindings filtered by the contact's e-mail.
		emails := []string{"maria@cliente.test"}
		_, err = contact.New(w.db, w.clock).Update(w.ctx, ana, r.ContactID, contact.Changes{Emails: &emails})
		w.must(err)
		for email, want := range map[string]int{"MARIA@cliente.test": 1, "outra@cliente.test": 0, "": 1} {
			binds, err := w.engine.Bindings(w.ctx, w.admin, routing.BindingFilter{ContactEmail: email})
			w.must(err)
			if len(binds) != want {
				t.Fatalf("bindings for %q: %+v", email, binds)
			}
		}
		if _, err := w.engine.Bindings(w.ctx, ana, routing.BindingFilter{}); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("an agent listed bindings: %v", err)
		}
	})
}

package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// "@" in the composer offers only who can take the conversation now: ready
// (or waiting to pause) with a free slot, never the one serving it.
func TestTransferTargetsAreTheAvailableAgents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		duduID, dudu := d.staff("acme", "Dudu", "agent")
		_, otto := d.staff("other", "Otto", "agent")
		vendas := d.department(ana, "Vendas", manualRouting, caioID, biaID, duduID)
		ch := d.channel(d.accountOf(caioID), vendas, "WhatsApp")
		r := d.writes(ch, "+5511977776666", "Zé", "oi")
		conv := "/api/v1/conversations/" + itoa(r.ConversationID)
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		caio.do("POST", conv+"/pull", nil).want(http.StatusNoContent)
		bia.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		dudu.do("POST", "/api/v1/presence", map[string]string{"presence": "not_ready"}).want(http.StatusOK)

		var got struct {
			Agents []struct {
				ID       int64
				Name     string
				Presence string
			}
		}
		caio.do("GET", conv+"/transfer-targets", nil).want(http.StatusOK).decode(&got)
		if len(got.Agents) != 1 || got.Agents[0].ID != biaID || got.Agents[0].Presence != "ready" {
			t.Fatalf("targets %+v, want only Bia (ready); Caio serves it, Dudu is not ready (%d)", got.Agents, duduID)
		}
		// An agent of another account sees no such conversation; one of the
		// department who does not serve it may not transfer it.
		otto.do("GET", conv+"/transfer-targets", nil).wantError(http.StatusNotFound, "not_found")
		if res := bia.do("GET", conv+"/transfer-targets", nil); res.status != http.StatusForbidden && res.status != http.StatusNotFound {
			t.Fatalf("Bia, who does not serve it: status %d, want 403 or 404", res.status)
		}
	})
}

// The workspace answers every GET outside the API, the widget and the
// operational endpoints; those keep their own answers.
func TestWorkspaceIsServedBesideTheAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		c := d.client()
		for _, path := range []string{"/", "/conversations/12", "/supervisor"} {
			res := c.do("GET", path, nil).want(http.StatusOK)
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(res.body), "Atende") {
				t.Fatalf("GET %s: %s %.200s, want the workspace's page", path, ct, res.body)
			}
		}
		c.do("GET", "/api/v1/nothing-here", nil).wantError(http.StatusNotFound, "not_found")
		c.do("GET", "/api", nil).wantError(http.StatusNotFound, "not_found")
		c.do("GET", "/widget/v1/nothing", nil).wantError(http.StatusNotFound, "not_found")
		c.do("POST", "/conversations/12", nil).wantError(http.StatusNotFound, "not_found")
		c.do("GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
		if res := c.do("GET", "/healthz", nil).want(http.StatusOK); strings.Contains(string(res.body), "<html") {
			t.Fatalf("/healthz answered the workspace: %s", res.body)
		}
	})
}

// A client starting afresh opens the stream after the newest sequence.
func TestLastEventSeqIsWhereTheStreamGoesOn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		caioID, caio := d.staff("acme", "Caio", "agent")
		_, otto := d.staff("other", "Otto", "agent")
		var before, after, others struct{ Seq int64 }
		caio.do("GET", "/api/v1/events/last", nil).want(http.StatusOK).decode(&before)
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		seq := events.NewSequencer(db, func(context.Context, []events.Stored) {}, slog.New(slog.DiscardHandler))
		if err := seq.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		caio.do("GET", "/api/v1/events/last", nil).want(http.StatusOK).decode(&after)
		otto.do("GET", "/api/v1/events/last", nil).want(http.StatusOK).decode(&others)
		if after.Seq <= before.Seq || others.Seq != 0 {
			t.Fatalf("sequence %d then %d after Caio (%d) got ready; other account %d, want it to grow and the other's 0", before.Seq, after.Seq, caioID, others.Seq)
		}
	})
}

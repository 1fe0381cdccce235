package contact_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
	"github.com/atende/atende/internal/validate"
)

func TestMergeMovesEverything(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		acc := f.bruno.AccountID
		vendas, suporte := f.department(t, "Vendas"), f.department(t, "Suporte")
		wa, tg := f.channel(t, acc, "whatsapp", "WhatsApp"), f.channel(t, acc, "telegram", "Telegram")

		keep := f.create(t, p, contact.NewContact{Name: "Ana Souza", Notes: "Cliente desde 2019.",
			CustomFields: map[string]string{"plano": "ouro"},
			Emails:       []string{"ana@example.com"}, Phones: []string{"11 98765-4321"},
			Identities: []contact.Identity{{Kind: "whatsapp", Value: "5511987654321"}}})
		merge := f.create(t, p, contact.NewContact{Name: "Ana S.", TradeName: "Ana Doces", Document: "529.982.247-25",
			Notes: "Pediu boleto.", CustomFields: map[string]string{"plano": "prata", "cidade": "Santos"},
			Emails: []string{"ana@example.com", "ana.doces@example.com"}, Phones: []string{"13 3222-1111"},
			Identities: []contact.Identity{{Kind: "telegram", Value: "555"}, {Kind: "visitor", Value: "v-9"}, {Kind: "instagram", Value: "1784"}}})
		before := f.get(t, p, merge.ID)

		keepConv := f.conversation(t, acc, wa, vendas.ID, keep.ID, "active")
		openTG := f.conversation(t, acc, tg, vendas.ID, merge.ID, "queued")
		closedWA := f.conversation(t, acc, wa, vendas.ID, merge.ID, "closed")
		abandonedWA := f.conversation(t, acc, wa, suporte.ID, merge.ID, "abandoned")
		inPerson := f.conversation(t, acc, 0, suporte.ID, merge.ID, "active")
		f.bind(t, acc, vendas.ID, keep.ID, f.bruno.ID)
		f.bind(t, acc, vendas.ID, merge.ID, f.carla.ID) // both bound in Vendas: keep's stays
		f.bind(t, acc, suporte.ID, merge.ID, f.carla.ID)

		got, err := f.contacts.Merge(ctx, p, keep.ID, merge.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != keep.ID || got.Name != "Ana Souza" || got.TradeName != "Ana Doces" || got.Document != "52998224725" {
			t.Errorf("kept = %+v", got)
		}
		if got.Notes != "Cliente desde 2019.\n\nPediu boleto." {
			t.Errorf("notes = %q", got.Notes)
		}
		if want := map[string]string{"plano": "ouro", "cidade": "Santos"}; !mapsEqual(got.CustomFields, want) {
			t.Errorf("custom fields = %v, want %v", got.CustomFields, want)
		}
		// Nothing is lost: every identity, e-mail and phone of the merged
		// contact is the kept one's now, without duplicates.
		for _, e := range before.Emails {
			if !slices.Contains(got.Emails, e) {
				t.Errorf("e-mail %s lost", e)
			}
		}
		for _, ph := range before.Phones {
			if !slices.Contains(got.Phones, ph) {
				t.Errorf("phone %s lost", ph)
			}
		}
		for _, id := range before.Identities {
			if !slices.Contains(got.Identities, id) {
				t.Errorf("identity %v lost", id)
			}
		}
		if len(got.Emails) != 2 || len(got.Phones) != 2 || len(got.Identities) != 4 {
			t.Errorf("kept identities = %v %v %v", got.Emails, got.Phones, got.Identities)
		}
		if n := f.count(t, "SELECT count(*) FROM contact_identities WHERE contact_id = $1", merge.ID); n != 0 {
			t.Errorf("the merged contact still has %d identities", n)
		}
		for _, conv := range []int64{keepConv, openTG, closedWA, abandonedWA, inPerson} {
			if owner := f.count(t, "SELECT contact_id FROM conversations WHERE id = $1", conv); owner != keep.ID {
				t.Errorf("conversation %d belongs to %d, want %d", conv, owner, keep.ID)
			}
		}
		if n := f.count(t, "SELECT count(*) FROM conversations WHERE contact_id = $1", merge.ID); n != 0 {
			t.Errorf("%d conversations left on the merged contact", n)
		}
		if agent := f.count(t, "SELECT agent_id FROM bindings WHERE department_id = $1 AND contact_id = $2", vendas.ID, keep.ID); agent != f.bruno.ID {
			t.Errorf("Vendas binding = agent %d, want keep's (%d)", agent, f.bruno.ID)
		}
		if agent := f.count(t, "SELECT agent_id FROM bindings WHERE department_id = $1 AND contact_id = $2", suporte.ID, keep.ID); agent != f.carla.ID {
			t.Errorf("Suporte binding = agent %d, want the merged contact's (%d)", agent, f.carla.ID)
		}
		if n := f.count(t, "SELECT count(*) FROM bindings WHERE contact_id = $1", merge.ID); n != 0 {
			t.Errorf("%d bindings left on the merged contact", n)
		}
		if into := f.count(t, "SELECT merged_into_id FROM contacts WHERE id = $1", merge.ID); into != keep.ID {
			t.Errorf("merged_into_id = %d", into)
		}

		// The merged id answers the kept contact; search shows only the kept one.
		if c := f.get(t, p, merge.ID); c.ID != keep.ID {
			t.Errorf("Get(merged) = contact %d, want %d", c.ID, keep.ID)
		}
		if res, _ := f.contacts.Search(ctx, p, "ana s.", 10); len(res) != 0 {
			t.Errorf("the merged contact is still found by its name: %v", idsOf(res))
		}
		for _, q := range []string{"ana", "ana doces", "52998224725", "13 3222-1111", "ana.doces@"} {
			res, err := f.contacts.Search(ctx, p, q, 10)
			if err != nil || !equalIDs(idsOf(res), []int64{keep.ID}) {
				t.Errorf("Search(%q) = %v, %v; want only the kept contact", q, idsOf(res), err)
			}
		}
		// The merged contact's channel ids resolve to the kept one.
		if id, created := f.resolve(t, acc, contact.Identity{Kind: "telegram", Value: "555"}, contact.Profile{}); id != keep.ID || created {
			t.Errorf("Resolve(telegram) = %d, %v; want %d", id, created, keep.ID)
		}
		// Writes through the merged id reach the kept contact.
		name := "Ana Souza Lima"
		if c, err := f.contacts.Update(ctx, p, merge.ID, contact.Changes{Name: &name}); err != nil || c.ID != keep.ID || c.Name != name {
			t.Errorf("Update(merged id) = %+v, %v", c, err)
		}
		// Merging again is refused.
		_, err = f.contacts.Merge(ctx, p, keep.ID, merge.ID)
		wantValidation(t, err, "merge")
		_, err = f.contacts.Merge(ctx, p, keep.ID, keep.ID)
		wantValidation(t, err, "merge")
	})
}

func TestMergeRefusesOpenConversationsOnOneChannel(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.carla)
		acc := f.carla.AccountID
		dep := f.department(t, "Vendas")
		wa := f.channel(t, acc, "whatsapp", "WhatsApp Vendas")
		keep := f.create(t, p, contact.NewContact{Name: "Keep", Emails: []string{"k@example.com"}})
		merge := f.create(t, p, contact.NewContact{Name: "Merge", Emails: []string{"m@example.com"}})
		a := f.conversation(t, acc, wa, dep.ID, keep.ID, "waiting")
		b := f.conversation(t, acc, wa, dep.ID, merge.ID, "inactive")

		_, err := f.contacts.Merge(ctx, p, keep.ID, merge.ID)
		ve := wantValidation(t, err, "merge")
		if !strings.Contains(ve.Message, "WhatsApp Vendas") {
			t.Errorf("message %q does not name the channel", ve.Message)
		}
		// Nothing moved.
		if c := f.get(t, p, merge.ID); c.ID != merge.ID || !slices.Equal(c.Emails, []string{"m@example.com"}) {
			t.Errorf("merged contact after the refusal = %+v", c)
		}
		if owner := f.count(t, "SELECT contact_id FROM conversations WHERE id = $1", b); owner != merge.ID {
			t.Errorf("conversation moved despite the refusal")
		}

		// Once one of them is closed the merge goes through.
		f.exec(t, "UPDATE conversations SET status = 'closed' WHERE id = $1", a)
		got, err := f.contacts.Merge(ctx, p, keep.ID, merge.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Emails, []string{"k@example.com", "m@example.com"}) {
			t.Errorf("emails = %v", got.Emails)
		}
		if n := f.count(t, "SELECT count(*) FROM conversations WHERE contact_id = $1", keep.ID); n != 2 {
			t.Errorf("kept contact has %d conversations, want 2", n)
		}
	})
}

func TestMergeChainsAndAccounts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		a := f.create(t, p, contact.NewContact{Name: "A", Identities: []contact.Identity{{Kind: "telegram", Value: "1"}}})
		b := f.create(t, p, contact.NewContact{Name: "B"})
		c := f.create(t, p, contact.NewContact{Name: "C"})
		if _, err := f.contacts.Merge(ctx, p, b.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.contacts.Merge(ctx, p, c.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		// A was merged into B, B into C: A's id leads to C in one step.
		if into := f.count(t, "SELECT merged_into_id FROM contacts WHERE id = $1", a.ID); into != c.ID {
			t.Errorf("A merged_into_id = %d, want C (%d)", into, c.ID)
		}
		if got := f.get(t, p, a.ID); got.ID != c.ID || !slices.Equal(got.Identities, []contact.Identity{{Kind: "telegram", Value: "1"}}) {
			t.Errorf("Get(A) = %+v", got)
		}
		// Merging through merged ids lands on the live contacts.
		d := f.create(t, p, contact.NewContact{Name: "D"})
		if got, err := f.contacts.Merge(ctx, p, a.ID, d.ID); err != nil || got.ID != c.ID {
			t.Errorf("Merge(into A's id) = %+v, %v; want C", got, err)
		}
		_, err := f.contacts.Merge(ctx, p, a.ID, b.ID)
		wantValidation(t, err, "merge")

		beta := f.create(t, as(f.bia), contact.NewContact{Name: "Beta"})
		if _, err := f.contacts.Merge(ctx, p, c.ID, beta.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("merging another account's contact: %v", err)
		}
		if _, err := f.contacts.Merge(ctx, as(f.bia), beta.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("merging into another account's contact: %v", err)
		}
		if got := f.get(t, as(f.bia), beta.ID); got.ID != beta.ID {
			t.Errorf("Beta's contact changed: %+v", got)
		}
	})
}

func TestConcurrentMergesOfOnePair(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		a := f.create(t, p, contact.NewContact{Name: "A", Emails: []string{"a@example.com"}})
		b := f.create(t, p, contact.NewContact{Name: "B", Emails: []string{"b@example.com"}})
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				keep, merge := a.ID, b.ID
				if i%2 == 1 {
					keep, merge = b.ID, a.ID
				}
				_, errs[i] = f.contacts.Merge(ctx, p, keep, merge)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			var ve *validate.Error
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &ve) || ve.Field != "merge":
				t.Errorf("merge failed with %v, want success or a *validate.Error on merge", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d merges succeeded, want 1", ok)
		}
		// Exactly one of the two is live and holds both e-mails; no cycle.
		live := f.count(t, "SELECT count(*) FROM contacts WHERE id IN ($1, $2) AND merged_into_id IS NULL", a.ID, b.ID)
		if live != 1 {
			t.Fatalf("%d of the pair are live, want 1", live)
		}
		got := f.get(t, p, a.ID)
		if other := f.get(t, p, b.ID); other.ID != got.ID {
			t.Errorf("the pair leads to two contacts: %d, %d", got.ID, other.ID)
		}
		if !slices.Contains(got.Emails, "a@example.com") || !slices.Contains(got.Emails, "b@example.com") {
			t.Errorf("survivor e-mails = %v", got.Emails)
		}
	})
}

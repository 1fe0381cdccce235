package contact_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// resolve runs contact.Resolve in a transaction of its own, as an adapter
// handling one inbound message would.
func (f *fixture) resolve(t *testing.T, accountID int64, id contact.Identity, prof contact.Profile) (int64, bool) {
	t.Helper()
	var cid int64
	var created bool
	err := f.db.Tx(context.Background(), func(q *store.Queries) error {
		var err error
		cid, created, err = contact.Resolve(context.Background(), q, f.clock.Now(), accountID, id, prof)
		return err
	})
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", id, err)
	}
	return cid, created
}

func (f *fixture) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	return f.id(t, query, args...)
}

func TestResolveChannelIdentity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := as(f.bruno)
		acc := f.bruno.AccountID
		id, created := f.resolve(t, acc, contact.Identity{Kind: "whatsapp", Value: "551187654321"},
			contact.Profile{Name: "Ana\x00 Souza\n", Email: "Ana@Example.com"})
		if !created {
			t.Fatal("first Resolve did not create")
		}
		c := f.get(t, p, id)
		if c.Name != "Ana Souza" || !slices.Equal(c.Emails, []string{"ana@example.com"}) || !slices.Equal(c.Phones, []string{"+5511987654321"}) ||
			!slices.Equal(c.Identities, []contact.Identity{{Kind: "whatsapp", Value: "+5511987654321"}}) {
			t.Fatalf("resolved contact = %+v", c)
		}
		if got, _ := f.contacts.Search(context.Background(), p, "ana souza", 10); len(got) != 1 || got[0].ID != id {
			t.Errorf("the new contact is not searchable: %+v", got)
		}
		// Any written form of the number is the same identity.
		for _, v := range []string{"5511987654321", "+55 11 8765-4321"} {
			if again, created := f.resolve(t, acc, contact.Identity{Kind: "whatsapp", Value: v}, contact.Profile{Name: "Other"}); again != id || created {
				t.Errorf("Resolve(%s) = %d, %v; want %d, false", v, again, created, id)
			}
		}
		// No profile: named after the identity; bad profile values are left out.
		tg, created := f.resolve(t, acc, contact.Identity{Kind: "telegram", Value: "987654"}, contact.Profile{Email: "not an email", Phone: "12"})
		if c := f.get(t, p, tg); !created || c.Name != "987654" || len(c.Emails) != 0 || len(c.Phones) != 0 {
			t.Errorf("telegram contact = %+v", c)
		}
		// Another account is another contact.
		if other, created := f.resolve(t, f.bia.AccountID, contact.Identity{Kind: "whatsapp", Value: "5511987654321"}, contact.Profile{}); !created || other == id {
			t.Errorf("Resolve in Beta = %d, %v", other, created)
		}
		// Bad identities are validation errors.
		err := f.db.Tx(context.Background(), func(q *store.Queries) error {
			_, _, err := contact.Resolve(context.Background(), q, t0, acc, contact.Identity{Kind: "fax", Value: "1"}, contact.Profile{})
			return err
		})
		wantValidation(t, err, "identity")
	})
}

func TestResolveConcurrentNewIdentity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		acc := f.bruno.AccountID
		for _, id := range []contact.Identity{
			{Kind: "whatsapp", Value: "5511912345678"},
			{Kind: "visitor", Value: "v-3f9a"},
			{Kind: "email", Value: "first@example.com"},
			{Kind: "phone", Value: "(11) 3456-7890"},
		} {
			const n = 10
			ids := make([]int64, n)
			errs := make([]error, n)
			var createdN int
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = f.db.Tx(context.Background(), func(q *store.Queries) error {
						cid, created, err := contact.Resolve(context.Background(), q, t0, acc, id, contact.Profile{Name: "Racer"})
						ids[i] = cid
						if created {
							mu.Lock()
							createdN++
							mu.Unlock()
						}
						return err
					})
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("%s: goroutine %d: %v", id.Kind, i, err)
				}
				if ids[i] != ids[0] {
					t.Errorf("%s: goroutines resolved to different contacts: %v", id.Kind, ids)
					break
				}
			}
			if createdN != 1 {
				t.Errorf("%s: %d resolutions said they created the contact, want 1", id.Kind, createdN)
			}
		}
		t.Logf("highest contact id %d (above 4: losing racers created and dropped theirs)", f.count(t, "SELECT max(id) FROM contacts"))
		if got := f.count(t, "SELECT count(*) FROM contacts WHERE account_id = $1", acc); got != 4 {
			t.Errorf("%d contacts, want 4 (one per identity)", got)
		}
		if got := f.count(t, "SELECT count(*) FROM contact_identities WHERE account_id = $1 AND kind = 'whatsapp'", acc); got != 1 {
			t.Errorf("%d WhatsApp identities, want 1", got)
		}
	})
}

func TestResolveSharedIdentity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		acc := f.bruno.AccountID
		email := contact.Identity{Kind: "email", Value: "Casa@Example.com"}

		// Nobody has it: a new contact.
		first, created := f.resolve(t, acc, email, contact.Profile{Name: "Casa", Phone: "(11) 3456-7890"})
		if c := f.get(t, p, first); !created || c.Name != "Casa" || !slices.Equal(c.Emails, []string{"casa@example.com"}) || !slices.Equal(c.Phones, []string{"+551134567890"}) {
			t.Fatalf("new contact by e-mail = %+v, created %v", c, created)
		}
		// Exactly one has it: that one.
		if again, created := f.resolve(t, acc, email, contact.Profile{Name: "Other"}); again != first || created {
			t.Errorf("one holder: Resolve = %d, %v; want %d", again, created, first)
		}
		// Several have it: ambiguous, so a new contact.
		second := f.create(t, p, contact.NewContact{Name: "Outra pessoa", Emails: []string{"casa@example.com"}})
		third, created := f.resolve(t, acc, email, contact.Profile{})
		if !created || third == first || third == second.ID {
			t.Errorf("two holders: Resolve = %d, %v; want a new contact", third, created)
		}
		if c := f.get(t, p, third); c.Name != "casa@example.com" {
			t.Errorf("unnamed contact = %q, want the e-mail", c.Name)
		}
		// Merged contacts do not count: merge two of the three away.
		if _, err := f.contacts.Merge(ctx, p, first, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.contacts.Merge(ctx, p, first, third); err != nil {
			t.Fatal(err)
		}
		if again, created := f.resolve(t, acc, email, contact.Profile{}); again != first || created {
			t.Errorf("after merging: Resolve = %d, %v; want %d", again, created, first)
		}
		// Phones work the same way, in any written form.
		ph, _ := f.resolve(t, acc, contact.Identity{Kind: "phone", Value: "+55 11 98888-7777"}, contact.Profile{})
		if again, created := f.resolve(t, acc, contact.Identity{Kind: "phone", Value: "11 8888-7777"}, contact.Profile{}); again != ph || created {
			t.Errorf("phone Resolve = %d, %v; want %d", again, created, ph)
		}
	})
}

func TestIdentify(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		acc := f.bruno.AccountID
		dep := f.department(t, "Vendas")
		widget := f.channel(t, acc, "webchat", "Site")
		identify := func(contactID int64, email string) (int64, error) {
			var got int64
			err := f.db.Tx(ctx, func(q *store.Queries) error {
				var err error
				got, err = contact.Identify(ctx, q, f.clock.Now(), acc, contactID, email)
				return err
			})
			return got, err
		}

		known := f.create(t, p, contact.NewContact{Name: "Ana Souza", Emails: []string{"ana@example.com"}, Phones: []string{"11 98765-4321"}})
		visitor, _ := f.resolve(t, acc, contact.Identity{Kind: "visitor", Value: "v-1"}, contact.Profile{Name: "Ana"})
		conv := f.conversation(t, acc, widget, dep.ID, visitor, "opening")

		// Exactly one contact has the e-mail: the visitor joins it.
		got, err := identify(visitor, "ANA@example.com")
		if err != nil || got != known.ID {
			t.Fatalf("Identify = %d, %v; want %d", got, err, known.ID)
		}
		c := f.get(t, p, known.ID)
		if c.Name != "Ana Souza" || !slices.Equal(c.Identities, []contact.Identity{{Kind: "visitor", Value: "v-1"}}) || !slices.Equal(c.Emails, []string{"ana@example.com"}) {
			t.Errorf("identified contact = %+v", c)
		}
		if owner := f.count(t, "SELECT contact_id FROM conversations WHERE id = $1", conv); owner != known.ID {
			t.Errorf("the visitor's conversation belongs to %d, want %d", owner, known.ID)
		}
		if f.get(t, p, visitor).ID != known.ID {
			t.Errorf("the visitor's id does not lead to the identified contact")
		}
		if again, _ := f.resolve(t, acc, contact.Identity{Kind: "visitor", Value: "v-1"}, contact.Profile{}); again != known.ID {
			t.Errorf("the visitor id now resolves to %d, want %d", again, known.ID)
		}

		// Nobody has it: the visitor keeps its contact and gains the e-mail.
		v2, _ := f.resolve(t, acc, contact.Identity{Kind: "visitor", Value: "v-2"}, contact.Profile{})
		if got, err := identify(v2, "novo@example.com"); err != nil || got != v2 {
			t.Fatalf("Identify(new e-mail) = %d, %v; want %d", got, err, v2)
		}
		if c := f.get(t, p, v2); !slices.Equal(c.Emails, []string{"novo@example.com"}) {
			t.Errorf("visitor e-mails = %v", c.Emails)
		}
		if got, _ := f.contacts.Search(ctx, p, "novo@", 10); len(got) != 1 || got[0].ID != v2 {
			t.Errorf("search by the pre-chat e-mail = %v", idsOf(got))
		}

		// Two others have it: ambiguous, the visitor keeps its contact.
		f.create(t, p, contact.NewContact{Name: "X", Emails: []string{"shared@example.com"}})
		f.create(t, p, contact.NewContact{Name: "Y", Emails: []string{"shared@example.com"}})
		v3, _ := f.resolve(t, acc, contact.Identity{Kind: "visitor", Value: "v-3"}, contact.Profile{})
		if got, err := identify(v3, "shared@example.com"); err != nil || got != v3 {
			t.Errorf("Identify(shared e-mail) = %d, %v; want %d", got, err, v3)
		}

		// Both with an open conversation on the widget: no merge, no error.
		busy := f.create(t, p, contact.NewContact{Name: "Busy", Emails: []string{"busy@example.com"}})
		f.conversation(t, acc, widget, dep.ID, busy.ID, "active")
		v4, _ := f.resolve(t, acc, contact.Identity{Kind: "visitor", Value: "v-4"}, contact.Profile{})
		f.conversation(t, acc, widget, dep.ID, v4, "queued")
		if got, err := identify(v4, "busy@example.com"); err != nil || got != v4 {
			t.Errorf("Identify with clashing conversations = %d, %v; want %d", got, err, v4)
		}
		if c := f.get(t, p, v4); c.ID != v4 || !slices.Equal(c.Emails, []string{"busy@example.com"}) {
			t.Errorf("visitor after refused merge = %+v", c)
		}

		_, err = identify(v2, "nope")
		wantValidation(t, err, "email")
		if _, err := identify(999999, "a@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Identify of a missing contact: %v", err)
		}
	})
}

package contact_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
	"github.com/atende/atende/internal/validate"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixture is two accounts: Acme with an administrator (Ana) and two agents
// (Bruno, Carla); Beta with an agent (Bia).
type fixture struct {
	db       *store.DB
	clock    *clock.Fake
	contacts *contact.Service

	ana, bruno, carla, bia auth.User
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	f := &fixture{db: db, clock: clk, contacts: contact.New(db, clk)}
	users := auth.New(db, clk, auth.DefaultLimits, slog.New(slog.DiscardHandler))
	user := func(account, name, email string, role auth.Role) auth.User {
		u, err := users.CreateUserInAccount(context.Background(), account, auth.NewUser{Name: name, Email: email, Role: string(role), Password: "12345678"})
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return u
	}
	f.ana = user("Acme", "Ana", "ana@acme.test", auth.Admin)
	f.bruno = user("Acme", "Bruno", "bruno@acme.test", auth.Agent)
	f.carla = user("Acme", "Carla", "carla@acme.test", auth.Agent)
	f.bia = user("Beta", "Bia", "bia@beta.test", auth.Agent)
	return f
}

func as(u auth.User) auth.Principal {
	return auth.Principal{UserID: u.ID, AccountID: u.AccountID, Role: u.Role, Name: u.Name, Email: u.Email}
}

func (f *fixture) create(t *testing.T, p auth.Principal, n contact.NewContact) contact.Contact {
	t.Helper()
	c, err := f.contacts.Create(context.Background(), p, n)
	if err != nil {
		t.Fatalf("create contact %+v: %v", n, err)
	}
	return c
}

func (f *fixture) get(t *testing.T, p auth.Principal, id int64) contact.Contact {
	t.Helper()
	c, err := f.contacts.Get(context.Background(), p, id)
	if err != nil {
		t.Fatalf("get contact %d: %v", id, err)
	}
	return c
}

func (f *fixture) department(t *testing.T, name string) department.Department {
	t.Helper()
	d, err := department.New(f.db, f.clock).Create(context.Background(), as(f.ana), name)
	if err != nil {
		t.Fatalf("create department %s: %v", name, err)
	}
	return d
}

// exec runs SQL behind the services' back, for rows other packages own
// (channels, conversations, bindings) and for checks.
func (f *fixture) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	_, w := f.db.SQL()
	if _, err := w.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (f *fixture) id(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	_, w := f.db.SQL()
	var id int64
	if err := w.QueryRow(query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

func (f *fixture) channel(t *testing.T, accountID int64, kind, name string) int64 {
	t.Helper()
	return f.id(t, "INSERT INTO channels (account_id, kind, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
		accountID, kind, name, t0)
}

var protocols int

func (f *fixture) conversation(t *testing.T, accountID, channelID, departmentID, contactID int64, status string) int64 {
	t.Helper()
	protocols++
	var ch any
	if channelID != 0 {
		ch = channelID
	}
	return f.id(t, `INSERT INTO conversations (account_id, protocol, channel_id, department_id, contact_id, status, opened_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		accountID, "P"+string(rune('A'+protocols/1000))+time.Duration(protocols).String(), ch, departmentID, contactID, status, t0)
}

func (f *fixture) bind(t *testing.T, accountID, departmentID, contactID, agentID int64) {
	t.Helper()
	f.exec(t, "INSERT INTO bindings (account_id, department_id, contact_id, agent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
		accountID, departmentID, contactID, agentID, t0)
}

func wantValidation(t *testing.T, err error, field string) *validate.Error {
	t.Helper()
	var ve *validate.Error
	if !errors.As(err, &ve) || ve.Field != field {
		t.Fatalf("err = %v, want a *validate.Error on %q", err, field)
	}
	return ve
}

func TestCreateNormalisesEverything(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c := f.create(t, as(f.bruno), contact.NewContact{
			Name:         "  João da Silva ",
			TradeName:    "Padaria Pão Quente",
			Document:     "529.982.247-25",
			Notes:        "Prefere WhatsApp.",
			CustomFields: map[string]string{"plano": "ouro", " cidade ": "São Paulo"},
			Emails:       []string{"Joao@Example.COM", "joao@example.com", "jsilva@example.com"},
			Phones:       []string{"(11) 8765-4321", "+55 11 98765-4321", "(11) 3456-7890"},
			Identities:   []contact.Identity{{Kind: "whatsapp", Value: "5521987650000"}, {Kind: "telegram", Value: " 123456789 "}},
		})
		if c.ID == 0 || c.Name != "João da Silva" || c.TradeName != "Padaria Pão Quente" || c.Notes != "Prefere WhatsApp." {
			t.Fatalf("contact = %+v", c)
		}
		if c.Document != "52998224725" || c.DocumentKind != "cpf" {
			t.Errorf("document = %q (%s), want 52998224725 (cpf)", c.Document, c.DocumentKind)
		}
		if want := map[string]string{"plano": "ouro", "cidade": "São Paulo"}; !mapsEqual(c.CustomFields, want) {
			t.Errorf("custom fields = %v, want %v", c.CustomFields, want)
		}
		if want := []string{"joao@example.com", "jsilva@example.com"}; !slices.Equal(c.Emails, want) {
			t.Errorf("emails = %v, want %v", c.Emails, want)
		}
		// The 8-digit mobile and the 9-digit one are one phone; the WhatsApp
		// number is a phone too.
		if want := []string{"+5511987654321", "+551134567890", "+5521987650000"}; !slices.Equal(c.Phones, want) {
			t.Errorf("phones = %v, want %v", c.Phones, want)
		}
		if want := []contact.Identity{{Kind: "whatsapp", Value: "+5521987650000"}, {Kind: "telegram", Value: "123456789"}}; !slices.Equal(c.Identities, want) {
			t.Errorf("identities = %v, want %v", c.Identities, want)
		}
		if !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
			t.Errorf("timestamps = %v, %v", c.CreatedAt, c.UpdatedAt)
		}
		got, err := f.contacts.Get(ctx, as(f.ana), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != c.Name || !slices.Equal(got.Emails, c.Emails) || !slices.Equal(got.Phones, c.Phones) ||
			!slices.Equal(got.Identities, c.Identities) || !mapsEqual(got.CustomFields, c.CustomFields) || got.Document != c.Document {
			t.Errorf("Get = %+v, want %+v", got, c)
		}

		cnpj := f.create(t, as(f.bruno), contact.NewContact{Name: "ABC", Document: "12.abc.345/01de-35"})
		if cnpj.Document != "12ABC34501DE35" || cnpj.DocumentKind != "cnpj" {
			t.Errorf("alphanumeric CNPJ = %q (%s)", cnpj.Document, cnpj.DocumentKind)
		}
		if len(cnpj.Emails) != 0 || cnpj.Emails == nil || cnpj.Identities == nil || cnpj.CustomFields == nil {
			t.Errorf("empty sets should be empty, not nil: %+v", cnpj)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCreateDefaultsNameAndValidates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		if c := f.create(t, p, contact.NewContact{Emails: []string{"Ana@Acme.test"}}); c.Name != "ana@acme.test" {
			t.Errorf("name = %q, want the e-mail", c.Name)
		}
		if c := f.create(t, p, contact.NewContact{Phones: []string{"(11) 98765-4321"}}); c.Name != "+5511987654321" {
			t.Errorf("name = %q, want the phone", c.Name)
		}
		if c := f.create(t, p, contact.NewContact{Identities: []contact.Identity{{Kind: "instagram", Value: "17841400000000000"}}}); c.Name != "17841400000000000" {
			t.Errorf("name = %q, want the identity", c.Name)
		}
		for _, tc := range []struct {
			n     contact.NewContact
			field string
		}{
			{contact.NewContact{}, "name"},
			{contact.NewContact{Name: "   "}, "name"},
			{contact.NewContact{Name: "A", Emails: []string{"not-an-email"}}, "emails"},
			{contact.NewContact{Name: "A", Phones: []string{"12345"}}, "phones"},
			{contact.NewContact{Name: "A", Document: "111.111.111-11"}, "document"},
			{contact.NewContact{Name: "A", Document: "11.222.333/0001-80"}, "document"},
			{contact.NewContact{Name: "A", Identities: []contact.Identity{{Kind: "fax", Value: "1"}}}, "identities"},
			{contact.NewContact{Name: "A", Identities: []contact.Identity{{Kind: "telegram", Value: "a b"}}}, "identities"},
			{contact.NewContact{Name: "A", Identities: []contact.Identity{{Kind: "whatsapp", Value: "abc"}}}, "identities"},
			{contact.NewContact{Name: "A", CustomFields: map[string]string{"": "x"}}, "custom_fields"},
		} {
			_, err := f.contacts.Create(ctx, p, tc.n)
			wantValidation(t, err, tc.field)
		}
	})
}

func TestChannelIdentityBelongsToOneContact(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		ana := f.create(t, p, contact.NewContact{Name: "Ana", Emails: []string{"casa@example.com"}, Phones: []string{"11 3456-7890"},
			Identities: []contact.Identity{{Kind: "whatsapp", Value: "5511987654321"}}})

		// E-mails and phones may be shared.
		bob := f.create(t, p, contact.NewContact{Name: "Bob", Emails: []string{"casa@example.com"}, Phones: []string{"(11) 3456-7890"}})

		// Channel ids may not: on Create…
		_, err := f.contacts.Create(ctx, p, contact.NewContact{Name: "Eve", Identities: []contact.Identity{{Kind: "whatsapp", Value: "+55 11 8765-4321"}}})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second owner of a WhatsApp id: err = %v, want ErrConflict", err)
		}
		wantValidation(t, err, "identities")
		if got, _ := f.contacts.Search(ctx, p, "Eve", 10); len(got) != 0 {
			t.Errorf("the refused contact was stored: %+v", got)
		}
		// …and on AddIdentity.
		_, err = f.contacts.AddIdentity(ctx, p, bob.ID, contact.Identity{Kind: "whatsapp", Value: "551187654321"})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("AddIdentity of another contact's WhatsApp id: err = %v, want ErrConflict", err)
		}
		wantValidation(t, err, "identities")

		// Adding what the contact has already is harmless.
		again, err := f.contacts.AddIdentity(ctx, p, ana.ID, contact.Identity{Kind: "whatsapp", Value: "+5511987654321"})
		if err != nil || len(again.Identities) != 1 {
			t.Fatalf("re-adding own identity: %+v, %v", again, err)
		}
		// The same channel id in another account is another person.
		if _, err := f.contacts.Create(ctx, as(f.bia), contact.NewContact{Identities: []contact.Identity{{Kind: "whatsapp", Value: "5511987654321"}}}); err != nil {
			t.Fatalf("same WhatsApp id in another account: %v", err)
		}
	})
}

func TestUpdate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		c := f.create(t, p, contact.NewContact{Name: "Maria", Document: "529.982.247-25", Notes: "n1",
			CustomFields: map[string]string{"a": "1"}, Emails: []string{"old@example.com", "keep@example.com"},
			Phones: []string{"11 98765-4321"}, Identities: []contact.Identity{{Kind: "telegram", Value: "42"}}})
		f.clock.Advance(time.Hour)

		name, trade, doc := "Maria Conceição", "Doces da Maria", ""
		emails := []string{"KEEP@example.com", "new@example.com"}
		phones := []string{}
		fields := map[string]string{"b": "2"}
		u, err := f.contacts.Update(ctx, p, c.ID, contact.Changes{Name: &name, TradeName: &trade, Document: &doc,
			Emails: &emails, Phones: &phones, CustomFields: &fields})
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != name || u.TradeName != trade || u.Document != "" || u.DocumentKind != "" || u.Notes != "n1" {
			t.Errorf("updated = %+v", u)
		}
		if !slices.Equal(u.Emails, []string{"keep@example.com", "new@example.com"}) || len(u.Phones) != 0 {
			t.Errorf("emails, phones = %v, %v", u.Emails, u.Phones)
		}
		if !slices.Equal(u.Identities, []contact.Identity{{Kind: "telegram", Value: "42"}}) {
			t.Errorf("channel identities changed: %v", u.Identities)
		}
		if !mapsEqual(u.CustomFields, fields) || !u.UpdatedAt.Equal(t0.Add(time.Hour)) || !u.CreatedAt.Equal(t0) {
			t.Errorf("fields, timestamps = %v, %v, %v", u.CustomFields, u.CreatedAt, u.UpdatedAt)
		}
		// The search text follows.
		for q, want := range map[string]int{"conceicao": 1, "doces": 1, "new@example": 1, "old@example": 0, "98765": 0, "52998224725": 0} {
			if got, err := f.contacts.Search(ctx, p, q, 10); err != nil || len(got) != want {
				t.Errorf("Search(%q) = %d contacts, %v; want %d", q, len(got), err, want)
			}
		}
		// Nil fields stay; an empty name falls back to the first e-mail.
		empty := ""
		u, err = f.contacts.Update(ctx, p, c.ID, contact.Changes{Name: &empty})
		if err != nil || u.Name != "keep@example.com" || u.TradeName != trade {
			t.Errorf("Update(name \"\") = %+v, %v", u, err)
		}
		bad := "123"
		_, err = f.contacts.Update(ctx, p, c.ID, contact.Changes{Document: &bad})
		wantValidation(t, err, "document")
		badEmails := []string{"x"}
		_, err = f.contacts.Update(ctx, p, c.ID, contact.Changes{Emails: &badEmails})
		wantValidation(t, err, "emails")
		if _, err := f.contacts.Update(ctx, p, 999999, contact.Changes{Name: &name}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Update of a missing contact: %v", err)
		}
	})
}

func TestAddAndRemoveIdentity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.carla)
		c := f.create(t, p, contact.NewContact{Name: "Zé"})
		c, err := f.contacts.AddIdentity(ctx, p, c.ID, contact.Identity{Kind: "whatsapp", Value: "5511987654321"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.Phones, []string{"+5511987654321"}) || !slices.Equal(c.Identities, []contact.Identity{{Kind: "whatsapp", Value: "+5511987654321"}}) {
			t.Errorf("after AddIdentity(whatsapp): %+v", c)
		}
		if c, err = f.contacts.AddIdentity(ctx, p, c.ID, contact.Identity{Kind: "email", Value: "Ze@Example.com"}); err != nil || !slices.Equal(c.Emails, []string{"ze@example.com"}) {
			t.Errorf("AddIdentity(email) = %+v, %v", c, err)
		}
		if got, _ := f.contacts.Search(ctx, p, "ze@example", 10); len(got) != 1 {
			t.Errorf("search by the added e-mail found %d", len(got))
		}
		_, err = f.contacts.AddIdentity(ctx, p, c.ID, contact.Identity{Kind: "email", Value: "nope"})
		wantValidation(t, err, "identities")

		// Removing takes any written form of the value.
		if c, err = f.contacts.RemoveIdentity(ctx, p, c.ID, contact.Identity{Kind: "phone", Value: "(11) 98765-4321"}); err != nil || len(c.Phones) != 0 {
			t.Errorf("RemoveIdentity(phone) = %+v, %v", c, err)
		}
		if c, err = f.contacts.RemoveIdentity(ctx, p, c.ID, contact.Identity{Kind: "whatsapp", Value: "551187654321"}); err != nil || len(c.Identities) != 0 {
			t.Errorf("RemoveIdentity(whatsapp) = %+v, %v", c, err)
		}
		if _, err = f.contacts.RemoveIdentity(ctx, p, c.ID, contact.Identity{Kind: "telegram", Value: "1"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removing an identity the contact lacks: %v", err)
		}
		if got, _ := f.contacts.Search(ctx, p, "987654321", 10); len(got) != 0 {
			t.Errorf("search still finds the removed phone")
		}
	})
}

func TestAnotherAccountsContactIsNotFound(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		mine := f.create(t, as(f.bruno), contact.NewContact{Name: "João", Emails: []string{"joao@example.com"}, Document: "529.982.247-25",
			Phones: []string{"11 98765-4321"}})
		other := f.create(t, as(f.bruno), contact.NewContact{Name: "Outro"})
		beta := as(f.bia)
		name := "Hacked"
		for what, err := range map[string]error{
			"Get":            second(f.contacts.Get(ctx, beta, mine.ID)),
			"Update":         second(f.contacts.Update(ctx, beta, mine.ID, contact.Changes{Name: &name})),
			"AddIdentity":    second(f.contacts.AddIdentity(ctx, beta, mine.ID, contact.Identity{Kind: "telegram", Value: "1"})),
			"RemoveIdentity": second(f.contacts.RemoveIdentity(ctx, beta, mine.ID, contact.Identity{Kind: "email", Value: "joao@example.com"})),
			"Merge keep":     second(f.contacts.Merge(ctx, beta, mine.ID, other.ID)),
			"Merge merge":    second(f.contacts.Merge(ctx, as(f.bruno), mine.ID, f.create(t, beta, contact.NewContact{Name: "B"}).ID)),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s across accounts: err = %v, want ErrNotFound", what, err)
			}
		}
		for _, q := range []string{"", "joao", "João", "joao@example.com", "52998224725", "(11) 98765-4321"} {
			got, err := f.contacts.Search(ctx, beta, q, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range got {
				if c.ID == mine.ID || c.ID == other.ID {
					t.Errorf("Search(%q) in Beta found Acme's contact %d", q, c.ID)
				}
			}
		}
		if got := f.get(t, as(f.bruno), mine.ID); got.Name != "João" || len(got.Emails) != 1 {
			t.Errorf("Acme's contact changed: %+v", got)
		}
	})
}

func second[T any](_ T, err error) error { return err }

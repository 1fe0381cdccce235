package contact_test

import (
	"context"
	"testing"

	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p := as(f.bruno)
		joao := f.create(t, p, contact.NewContact{Name: "João da Silva", Document: "529.982.247-25",
			Phones: []string{"(11) 98765-4321"}, Emails: []string{"joao.silva@example.com"}})
		padaria := f.create(t, p, contact.NewContact{Name: "Antônio Souza", TradeName: "Padaria Pão Quente", Document: "11.222.333/0001-81",
			Phones: []string{"(21) 3456-7890"}})
		abc := f.create(t, p, contact.NewContact{Name: "Ábaco Tecnologia", Document: "12ABC34501DE35",
			Identities: []contact.Identity{{Kind: "whatsapp", Value: "447911123456"}}})
		promo := f.create(t, p, contact.NewContact{Name: "50% off_sale"})
		maria := f.create(t, p, contact.NewContact{Name: "MARIA JOSÉ", Emails: []string{"maria@exemplo.com.br"}})

		for _, tc := range []struct {
			q    string
			want []int64
		}{
			{"joao", []int64{joao.ID}},
			{"JOÃO", []int64{joao.ID}},
			{"João da", []int64{joao.ID}},
			{"silva", []int64{joao.ID}},
			{"antonio", []int64{padaria.ID}},
			{"pao quente", []int64{padaria.ID}},
			{"PADARIA", []int64{padaria.ID}},
			{"maria jose", []int64{maria.ID}},
			{"joao.silva@example.com", []int64{joao.ID}},
			{"JOAO.SILVA@", []int64{joao.ID}},
			{"exemplo.com.br", []int64{maria.ID}},
			// Phones in several forms.
			{"(11) 98765-4321", []int64{joao.ID}},
			{"11987654321", []int64{joao.ID}},
			{"987654321", []int64{joao.ID}},
			{"98765-4321", []int64{joao.ID}},
			{"+55 11 98765-4321", []int64{joao.ID}},
			{"11 8765-4321", []int64{joao.ID}}, // without the ninth digit
			{"5511987654321", []int64{joao.ID}},
			{"551187654321", []int64{joao.ID}},
			{"3456-7890", []int64{padaria.ID}},
			{"+44 7911 123456", []int64{abc.ID}},
			// Documents with and without punctuation, and partly.
			{"529.982.247-25", []int64{joao.ID}},
			{"52998224725", []int64{joao.ID}},
			{"529.982", []int64{joao.ID}},
			{"11.222.333/0001-81", []int64{padaria.ID}},
			{"11222333000181", []int64{padaria.ID}},
			{"12.abc.345/01de-35", []int64{abc.ID}},
			{"12ABC345", []int64{abc.ID}},
			// LIKE's wildcards are plain characters.
			{"50%", []int64{promo.ID}},
			{"off_sale", []int64{promo.ID}},
			{"%", []int64{promo.ID}},
			{"jo_o", nil},
			{"nobody", nil},
			// Everything, by name regardless of accents and case.
			{"", []int64{promo.ID, abc.ID, padaria.ID, joao.ID, maria.ID}},
			{"  ", []int64{promo.ID, abc.ID, padaria.ID, joao.ID, maria.ID}},
		} {
			got, err := f.contacts.Search(ctx, p, tc.q, 0)
			if err != nil {
				t.Fatalf("Search(%q): %v", tc.q, err)
			}
			if ids := idsOf(got); !equalIDs(ids, tc.want) {
				t.Errorf("Search(%q) = %v, want %v", tc.q, ids, tc.want)
			}
		}

		// Results carry their identities.
		got, _ := f.contacts.Search(ctx, p, "abaco", 10)
		if len(got) != 1 || len(got[0].Identities) != 1 || got[0].Identities[0].Value != "+447911123456" || len(got[0].Phones) != 1 || got[0].DocumentKind != "cnpj" {
			t.Errorf("Search result = %+v", got)
		}
		got, _ = f.contacts.Search(ctx, p, "joao", 10)
		if len(got) != 1 || len(got[0].Emails) != 1 || len(got[0].Phones) != 1 || got[0].Document != "52998224725" {
			t.Errorf("Search result = %+v", got)
		}
		// The limit holds.
		if got, _ := f.contacts.Search(ctx, p, "", 2); !equalIDs(idsOf(got), []int64{promo.ID, abc.ID}) {
			t.Errorf("Search limit 2 = %v", idsOf(got))
		}
	})
}

func idsOf(cs []contact.Contact) []int64 {
	ids := []int64{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

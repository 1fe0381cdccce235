package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// LastMessages answers, for any number of conversations, the newest message
// to or from the customer of each (notes and system lines after it do not
// count), only for the account asked about, and at most the first
// LastMessageBodyRunes characters of its body.
func TestLastMessagesOfAPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 300 // more than one statement's worth
		var account, other int64
		var ids []int64
		err := db.Tx(ctx, func(q *store.Queries) error {
			acc, err := q.CreateAccount(ctx, store.CreateAccountParams{Name: "Acme", CreatedAt: t0})
			if err != nil {
				return err
			}
			oth, err := q.CreateAccount(ctx, store.CreateAccountParams{Name: "Outra", CreatedAt: t0})
			if err != nil {
				return err
			}
			account, other = acc.ID, oth.ID
			dep, err := q.CreateDepartment(ctx, store.CreateDepartmentParams{AccountID: acc.ID, Name: "Vendas", CreatedAt: t0})
			if err != nil {
				return err
			}
			for i := range n {
				ct, err := q.ContactCreate(ctx, store.ContactCreateParams{AccountID: acc.ID, Name: fmt.Sprint("Contato ", i), CustomFields: "{}", CreatedAt: t0})
				if err != nil {
					return err
				}
				c, err := q.CreateConversation(ctx, store.CreateConversationParams{AccountID: acc.ID, Protocol: fmt.Sprint(i), DepartmentID: dep.ID,
					ContactID: ct.ID, Status: "queued", OpenedAt: t0, QueuedAt: store.Null(t0)})
				if err != nil {
					return err
				}
				ids = append(ids, c.ID)
				// Conversation i: i%4 messages from the customer and replies,
				// then a note and a system line.
				seq := int64(0)
				add := func(direction, body string) error {
					seq++
					_, err := q.InsertMessage(ctx, store.InsertMessageParams{AccountID: acc.ID, ConversationID: c.ID, Seq: seq, Direction: direction,
						Kind: "text", SenderType: map[string]string{"in": "contact", "out": "agent", "note": "agent", "system": "system"}[direction],
						Body: body, Attachments: "[]", Metadata: "{}", Status: "received", CreatedAt: t0.Add(time.Duration(seq) * time.Second)})
					return err
				}
				for k := range i % 4 {
					if err := add([]string{"in", "out"}[k%2], fmt.Sprintf("mensagem %d de %d", k, i)); err != nil {
						return err
					}
				}
				if i == 7 {
					if err := add("in", strings.Repeat("á", 1000)); err != nil {
						return err
					}
				}
				if err := add("note", "nota"); err != nil {
					return err
				}
				if err := add("system", "transferida"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		for _, size := range []int{1, 8, 9, n} {
			got, err := db.Read().LastMessages(ctx, account, ids[:size])
			if err != nil {
				t.Fatalf("%d conversations: %v", size, err)
			}
			byID := map[int64]store.LastMessage{}
			for _, m := range got {
				byID[m.ConversationID] = m
			}
			for i, id := range ids[:size] {
				m, ok := byID[id]
				k := i%4 - 1 // the last customer-facing message's index
				switch {
				case i == 7:
					if !ok || m.Direction != "in" || m.Body != strings.Repeat("á", store.LastMessageBodyRunes) {
						t.Fatalf("conversation %d: %+v", i, m)
					}
				case k < 0:
					if ok {
						t.Fatalf("conversation %d has only a note and a system line, yet %+v", i, m)
					}
				case !ok || m.Direction != []string{"in", "out"}[k%2] || m.Body != fmt.Sprintf("mensagem %d de %d", k, i):
					t.Fatalf("conversation %d of %d: %+v (found %v)", i, size, m, ok)
				}
			}
		}
		if got, err := db.Read().LastMessages(ctx, other, ids); err != nil || len(got) != 0 {
			t.Fatalf("another account asking: %+v, %v", got, err)
		}
		if got, err := db.Read().LastMessages(ctx, account, nil); err != nil || len(got) != 0 {
			t.Fatalf("no conversations: %+v, %v", got, err)
		}
	})
}

package routing_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
	"github.com/atende/atende/internal/validate"
)

// manualMode: conversations wait in the queue until an agent pulls them, so
// the tests decide who serves what.
var manualMode = func() routing.Settings { s := offerMode; s.Distribution = routing.Manual; return s }()

// searchWorld is a world whose agents pull, answer and close conversations.
type searchWorld struct {
	*world
	msgs *messaging.Service
}

func newSearchWorld(t *testing.T, db *store.DB) *searchWorld {
	t.Helper()
	w := newWorld(t, db, manualMode)
	return &searchWorld{world: w, msgs: messaging.New(db, w.clock, w.engine)}
}

// supervisor creates a supervisor of the departments.
func (w *searchWorld) supervisor(name string, depts ...int64) auth.Principal {
	w.t.Helper()
	p := w.user(name, auth.Supervisor)
	for _, d := range depts {
		_, err := w.db.Write().AddDepartmentMember(w.ctx, store.AddDepartmentMemberParams{AccountID: w.account, DepartmentID: d, UserID: p.UserID, CreatedAt: start})
		w.must(err)
	}
	return p
}

// served is a customer writing on ch, the agent pulling the conversation
// and answering; it returns the conversation.
func (w *searchWorld) served(agent auth.Principal, ch int64, customer, reply string) int64 {
	w.t.Helper()
	id := w.writesOn(ch, phoneN(), customer).ConversationID
	w.must(w.engine.Pull(w.ctx, agent, id))
	if reply != "" {
		_, err := w.msgs.Send(w.ctx, agent, id, messaging.Reply{Body: reply}, "")
		w.must(err)
	}
	return id
}

func (w *searchWorld) close(agent auth.Principal, id int64) {
	w.t.Helper()
	w.clock.Advance(time.Minute)
	w.must(w.engine.Close(w.ctx, agent, id, routing.CloseInput{}))
}

// finished returns every finished conversation p finds with q, page by
// page.
func (w *searchWorld) finished(p auth.Principal, q string, limit int) (ids []int64, pages []int) {
	w.t.Helper()
	f := routing.FinishedFilter{Q: q, Limit: limit}
	for range 20 {
		page, err := w.engine.Finished(w.ctx, p, f)
		if err != nil {
			w.t.Fatalf("%s searches finished conversations for %q: %v", p.Name, q, err)
		}
		pages = append(pages, len(page.Conversations))
		for _, c := range page.Conversations {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			return ids, pages
		}
		f.Cursor = page.NextCursor
	}
	w.t.Fatalf("%s's search for %q never ends", p.Name, q)
	return nil, nil
}

// wantInvalid fails unless err is a validation error naming field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var v *validate.Error
	if !errors.As(err, &v) || v.Field != field {
		t.Fatalf("err = %v, want a validation error on %s", err, field)
	}
}

// q finds the finished conversations with a customer message, an agent's
// reply or an internal note holding every word, ignoring case and accents,
// among those the caller may see: their own for agents, their departments'
// for supervisors, the account's for administrators, never another
// account's.
func TestFinishedSearchFindsMessageWordsAmongWhatTheCallerMaySee(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newSearchWorld(t, db)
		caio, bia := w.agent("Caio"), w.agent("Bia")
		suporte := w.department("Suporte", manualMode)
		duda := w.agent("Duda", suporte)
		silvia := w.supervisor("Silvia", w.dept)
		for _, p := range []auth.Principal{caio, bia, duda} {
			w.ready(p)
		}
		chSuporte := w.whatsapp(suporte)

		a := w.served(caio, w.channel, "Minha GELADEIRA parou de gelar", "Vamos agendar a visita técnica")
		_, err := w.msgs.Note(w.ctx, caio, a, "Cliente pediu desconto na próxima compra", nil, "")
		w.must(err)
		w.must(w.db.Tx(w.ctx, func(q *store.Queries) error {
			_, err := conversation.Append(w.ctx, q, w.clock.Now(), conversation.NewMessage{
				AccountID: w.account, ConversationID: a, Direction: conversation.System, SenderType: "system", Body: "Conversa transferida",
			})
			return err
		}))
		w.close(caio, a)
		b := w.served(bia, w.channel, "A geladeira chegou amassada", "")
		w.close(bia, b)
		c := w.served(duda, chSuporte, "Geladeira nova não liga", "")
		w.close(duda, c)
		w.served(caio, w.channel, "Outra geladeira", "") // not finished

		other := newSearchWorld(t, db)
		ana := other.agent("Ana")
		other.ready(ana)
		elsewhere := other.served(ana, other.channel, "geladeira e fogão", "")
		other.close(ana, elsewhere)

		for _, tc := range []struct {
			who  auth.Principal
			q    string
			want []int64
		}{
			{w.admin, "geladeira", []int64{c, b, a}},
			{w.admin, "GELADEIRA", []int64{c, b, a}},
			{w.admin, "  geladeira  ", []int64{c, b, a}},
			{w.admin, "geladeira amassada", []int64{b}},
			{w.admin, "amassada geladeira", []int64{b}},
			{w.admin, "visita tecnica", []int64{a}},    // the agent's reply
			{w.admin, "proxima COMPRA", []int64{a}},    // the internal note
			{w.admin, "geladeira desconto", nil},       // two messages, not one
			{w.admin, "transferida", nil},              // Atende's own messages are not searched
			{w.admin, "fogao", nil},                    // another account's
			{w.admin, "outra", nil},                    // not finished
			{w.admin, "", []int64{c, b, a}},            // no filter
			{w.admin, " \t ", []int64{c, b, a}},        // no filter
			{caio, "geladeira", []int64{a}},            // only his own
			{bia, "geladeira", []int64{b}},             //
			{bia, "visita", nil},                       // Caio's conversation
			{silvia, "geladeira", []int64{b, a}},       // her department's
			{duda, "geladeira", []int64{c}},            //
			{ana, "geladeira", []int64{elsewhere}},     // her account's only
			{w.admin, `"geladeira*`, []int64{c, b, a}}, // quotes and stars are no syntax
			{w.admin, `(geladeira) OR:`, nil},          // "or" is a word like any other
		} {
			if got, _ := w.finished(tc.who, tc.q, 0); !slices.Equal(got, tc.want) {
				t.Errorf("%s searches %q: %v, want %v", tc.who.Name, tc.q, got, tc.want)
			}
		}
		if db.Engine == store.Postgres {
			if got, _ := w.finished(w.admin, "agendando visitas", 0); !slices.Equal(got, []int64{a}) {
				t.Errorf("PostgreSQL matches by stem: %v, want %v", got, []int64{a})
			}
		} else if got, _ := w.finished(w.admin, "gelad", 0); !slices.Equal(got, []int64{c, b, a}) {
			t.Errorf("SQLite matches by prefix: %v, want %v", got, []int64{c, b, a})
		}

		// A note written after closing is found at once.
		_, err = w.msgs.Note(w.ctx, bia, b, "Reembolso aprovado", nil, "")
		w.must(err)
		if got, _ := w.finished(silvia, "reembolso", 0); !slices.Equal(got, []int64{b}) {
			t.Errorf("a note written after closing: %v, want %v", got, []int64{b})
		}
	})
}

// The search narrows the pages without breaking them: every match once, in
// order, page after page; text beyond 200 bytes or with nothing to look for
// is refused naming q.
func TestFinishedSearchPagesAndValidates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newSearchWorld(t, db)
		caio := w.agent("Caio")
		w.ready(caio)
		var boletos []int64
		for i := range 17 {
			body := "olá, bom dia"
			if i%4 != 3 {
				body = fmt.Sprintf("Preciso da segunda via do BOLETO %d", i)
			}
			id := w.served(caio, w.channel, body, "")
			w.close(caio, id)
			if i%4 != 3 {
				boletos = append(boletos, id)
			}
		}
		slices.Reverse(boletos) // most recently finished first
		ids, pages := w.finished(caio, "boleto", 5)
		if !slices.Equal(ids, boletos) || !slices.Equal(pages, []int{5, 5, 3}) {
			t.Fatalf("boletos in pages of 5: %v in %v; want %v in [5 5 3]", ids, pages, boletos)
		}
		ids, _ = w.finished(caio, "segunda via boleto 5", 2)
		if !slices.Equal(ids, []int64{boletos[len(boletos)-5]}) { // the fifth boleto written: i = 5
			t.Fatalf("boleto 5: %v", ids)
		}

		_, err := w.engine.Finished(w.ctx, caio, routing.FinishedFilter{Q: strings.Repeat("a", 201)})
		wantInvalid(t, err, "q")
		for _, q := range []string{`"`, "*", `"*" ( )`, "-- ; ''"} {
			_, err := w.engine.Finished(w.ctx, caio, routing.FinishedFilter{Q: q})
			wantInvalid(t, err, "q")
		}
		if _, err := w.engine.Finished(w.ctx, caio, routing.FinishedFilter{Q: strings.Repeat("boleto ", 28)}); err != nil {
			t.Fatalf("196 bytes of words: %v", err)
		}
	})
}

// The queue's content filter keeps the queued conversations whose messages
// (an e-mail's body, a chat message) hold every word, in either order, page
// by page.
func TestQueueContentFilter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newSearchWorld(t, db)
		caio := w.agent("Caio")
		var notas []int64
		for i := range 15 {
			body := "Olá, gostaria de um orçamento"
			if i%5 != 4 {
				body = fmt.Sprintf("Bom dia,\r\n\r\nsegue em anexo a Nota Fiscal nº %d do pedido.\r\n\r\nAtt.,\r\nJoão Conceição", 1000+i)
			}
			id := w.writes(phoneN(), body).ConversationID
			if i%5 != 4 {
				notas = append(notas, id)
			}
			w.clock.Advance(time.Minute)
		}
		served := w.writes(phoneN(), "outra nota fiscal").ConversationID // pulled: no longer queued
		w.ready(caio)
		w.must(w.engine.Pull(w.ctx, caio, served))

		walk := func(f routing.QueueFilter) (ids []int64, pages []int) {
			t.Helper()
			for range 10 {
				page, err := w.engine.QueueConversations(w.ctx, caio, w.dept, f)
				if err != nil {
					t.Fatalf("queue with %+v: %v", f, err)
				}
				pages = append(pages, len(page.Conversations))
				for _, c := range page.Conversations {
					ids = append(ids, c.ID)
				}
				if page.NextCursor == "" {
					return ids, pages
				}
				f.Cursor = page.NextCursor
			}
			t.Fatal("the queue never ends")
			return nil, nil
		}
		ids, pages := walk(routing.QueueFilter{Content: "NOTA fiscal"})
		if !slices.Equal(ids, notas) || !slices.Equal(pages, []int{10, 2}) {
			t.Fatalf("oldest first: %v in %v; want %v in [10 2]", ids, pages, notas)
		}
		ids, _ = walk(routing.QueueFilter{Content: "joao conceicao", Order: routing.Newest})
		want := slices.Clone(notas)
		slices.Reverse(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("newest first: %v; want %v", ids, want)
		}
		if ids, _ = walk(routing.QueueFilter{Content: "1007"}); !slices.Equal(ids, []int64{notas[6]}) { // i = 7
			t.Fatalf("nota 1007: %v, want %v", ids, notas[6:7])
		}
		if ids, _ = walk(routing.QueueFilter{Content: "orcamento", Subject: "x"}); len(ids) != 0 {
			t.Fatalf("with another filter that matches nothing: %v", ids)
		}
		_, err := w.engine.QueueConversations(w.ctx, caio, w.dept, routing.QueueFilter{Content: strings.Repeat("é", 101)})
		wantInvalid(t, err, "content")
		_, err = w.engine.QueueConversations(w.ctx, caio, w.dept, routing.QueueFilter{Content: "()"})
		wantInvalid(t, err, "content")
	})
}

// The two ways a search finds finished conversations — walking them newest
// first and testing their messages, or asking the search index for every
// matching message — answer the same pages, with the same cursors, for
// common and rare words, with every filter, for every kind of caller; and
// so does the mix of the two, whichever way a page starts and ends.
func TestFinishedSearchWalkAndIndexAnswerAlike(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newSearchWorld(t, db)
		suporte := w.department("Suporte", manualMode)
		caio, duda := w.agent("Caio"), w.agent("Duda", suporte)
		silvia := w.supervisor("Silvia", w.dept)
		_, wr := db.SQL()
		now := w.clock.Now()

		// 60 finished conversations over 40 days, some closed at the same
		// instant (the cursor's tie on id); "comum" in most of them,
		// "medio" in some, "raro" in two, each word written in several
		// ways, in customer messages, replies, notes and Atende's own
		// lines (which are not searched).
		common := []string{"Comum", "COMUM", "comum", "cómum", "comuns"}
		var seq int64
		for i := range 60 {
			var ct store.Contact
			w.must(db.Tx(w.ctx, func(q *store.Queries) error {
				var err error
				ct, err = q.ContactCreate(w.ctx, store.ContactCreateParams{AccountID: w.account, Name: fmt.Sprintf("Cliente %d", i), CustomFields: "{}", CreatedAt: start})
				return err
			}))
			dept, agent, status := w.dept, caio.UserID, "closed"
			if i%3 == 1 {
				dept, agent = suporte, duda.UserID
			}
			if i%7 == 3 {
				status = "abandoned"
			}
			c, err := db.Write().CreateConversation(w.ctx, store.CreateConversationParams{
				AccountID: w.account, Protocol: fmt.Sprintf("P%d", i), DepartmentID: dept, ContactID: ct.ID, Status: "queued", OpenedAt: start, QueuedAt: store.Null(start),
			})
			w.must(err)
			closed := now.Add(-time.Duration(i/2) * 16 * time.Hour) // pairs closed together
			_, err = wr.ExecContext(w.ctx, `UPDATE conversations SET status = $1, agent_id = $2, closed_at = $3 WHERE id = $4`, status, agent, closed, c.ID)
			w.must(err)
			if i%4 == 0 {
				_, err = wr.ExecContext(w.ctx, `INSERT INTO conversation_tags (account_id, conversation_id, tag) VALUES ($1, $2, 'vip')`, w.account, c.ID)
				w.must(err)
			}
			bodies := []string{fmt.Sprintf("Olá, pedido %d", i)}
			if i%5 != 2 {
				bodies = append(bodies, "Preciso de ajuda, é "+common[i%len(common)]+" isso?")
			}
			if i%9 == 4 {
				bodies = append(bodies, "Um caso médio, não "+common[(i+1)%len(common)])
			}
			if i == 13 || i == 44 {
				bodies = append(bodies, "Quero um quindim RARO")
			}
			bodies = append(bodies, "Obrigado!")
			for j, body := range bodies {
				seq++
				dir, sender := "in", "contact"
				switch j % 3 {
				case 1:
					dir, sender = "out", "agent"
				case 2:
					dir, sender = "note", "agent"
				}
				_, err := db.Write().InsertMessage(w.ctx, store.InsertMessageParams{
					AccountID: w.account, ConversationID: c.ID, Seq: seq, Direction: dir, Kind: "text", SenderType: sender,
					Body: body, Attachments: "[]", Metadata: "{}", Status: "received", CreatedAt: start,
				})
				w.must(err)
			}
			seq++
			_, err = db.Write().InsertMessage(w.ctx, store.InsertMessageParams{
				AccountID: w.account, ConversationID: c.ID, Seq: seq, Direction: "system", Kind: "text", SenderType: "system",
				Body: "medio raro sistema", Attachments: "[]", Metadata: "{}", Status: "received", CreatedAt: start,
			})
			w.must(err)
		}

		engine := func(first, maxChunk, maxWalk int) *routing.Engine {
			return routing.New(db, w.clock, routing.WithSearchWalk(routing.DefaultOptions, first, maxChunk, maxWalk))
		}
		ways := map[string]*routing.Engine{
			"walk":      engine(1, 4, 1<<30),
			"mixed":     engine(2, 8, 12),
			"early mix": engine(1, 2, 3),
			"default":   w.engine,
		}
		index := engine(1, 1, 0)
		out := false
		filters := []routing.FinishedFilter{
			{}, {Status: "closed"}, {Status: "abandoned"}, {DepartmentID: suporte}, {AgentID: caio.UserID}, {Tag: "vip"},
			{Period: routing.PeriodLast10Days}, {ClosedFrom: now.AddDate(0, 0, -30), ClosedTo: now.AddDate(0, 0, -5)},
			{OutOfHours: &out}, {DepartmentID: w.dept, Status: "closed", Tag: "VIP"},
		}
		pages := func(e *routing.Engine, p auth.Principal, f routing.FinishedFilter) []routing.FinishedPage {
			t.Helper()
			var all []routing.FinishedPage
			for range 100 {
				page, err := e.Finished(w.ctx, p, f)
				if err != nil {
					t.Fatalf("%s: %+v: %v", p.Name, f, err)
				}
				all = append(all, page)
				if page.NextCursor == "" {
					return all
				}
				f.Cursor = page.NextCursor
			}
			t.Fatalf("%s: %+v: never ends", p.Name, f)
			return nil
		}
		found := 0
		for _, q := range []string{"comum", "COMUNS", "com", "medio", "médio comum", "quindim", "raro quindim", "sistema", "ausente"} {
			for _, p := range []auth.Principal{w.admin, silvia, caio, duda} {
				for _, f := range filters {
					for _, limit := range []int{4, 20} {
						f.Q, f.Limit = q, limit
						want := pages(index, p, f)
						found += len(want[0].Conversations)
						for name, e := range ways {
							if got := pages(e, p, f); !reflect.DeepEqual(got, want) {
								t.Errorf("%s, %s, %+v: the %s way answers\n%v\nthe index\n%v", q, p.Name, f, name, got, want)
							}
						}
					}
				}
			}
		}
		if found == 0 {
			t.Fatal("no search found anything")
		}
	})
}

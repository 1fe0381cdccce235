package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// searchFixture is one account with a conversation to write messages into.
type searchFixture struct {
	t            *testing.T
	db           *store.DB
	account      int64
	department   int64
	conversation int64
	seq          int64
}

func newSearchFixture(t *testing.T, db *store.DB) *searchFixture {
	t.Helper()
	ctx := context.Background()
	f := &searchFixture{t: t, db: db}
	err := db.Tx(ctx, func(q *store.Queries) error {
		acc, err := q.CreateAccount(ctx, store.CreateAccountParams{Name: "Acme", CreatedAt: t0})
		if err != nil {
			return err
		}
		dep, err := q.CreateDepartment(ctx, store.CreateDepartmentParams{AccountID: acc.ID, Name: "Vendas", CreatedAt: t0})
		if err != nil {
			return err
		}
		ct, err := q.ContactCreate(ctx, store.ContactCreateParams{AccountID: acc.ID, Name: "Alice", CustomFields: "{}", CreatedAt: t0})
		if err != nil {
			return err
		}
		c, err := q.CreateConversation(ctx, store.CreateConversationParams{
			AccountID: acc.ID, Protocol: "1", DepartmentID: dep.ID, ContactID: ct.ID, Status: "queued", OpenedAt: t0, QueuedAt: store.Null(t0),
		})
		f.account, f.department, f.conversation = acc.ID, dep.ID, c.ID
		return err
	})
	if err != nil {
		t.Fatalf("create the conversation: %v", err)
	}
	return f
}

// write stores a customer message and returns its id.
func (f *searchFixture) write(body string) int64 {
	f.t.Helper()
	f.seq++
	id, err := f.db.Write().InsertMessage(context.Background(), store.InsertMessageParams{
		AccountID: f.account, ConversationID: f.conversation, Seq: f.seq, Direction: "in", Kind: "text", SenderType: "contact",
		Body: body, Attachments: "[]", Metadata: "{}", Status: "received", CreatedAt: t0,
	})
	if err != nil {
		f.t.Fatalf("insert message %.80q: %v", body, err)
	}
	return id
}

// find returns the ids of the messages matching what was typed, through
// the same messages_fts the listing queries use.
func (f *searchFixture) find(typed string) []int64 {
	f.t.Helper()
	match := f.db.MessageMatch(typed)
	if match == "" {
		f.t.Fatalf("%q holds no word", typed)
	}
	if _, err := f.db.IndexMessages(context.Background()); err != nil {
		f.t.Fatalf("index messages before searching %q: %v", typed, err)
	}
	rows, err := f.db.SQLRead().Query("SELECT f.rowid FROM messages_fts($1) f ORDER BY f.rowid", match)
	if err != nil {
		f.t.Fatalf("search %q (match %q): %v", typed, match, err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatalf("search %q (match %q): %v", typed, match, err)
	}
	return ids
}

func (f *searchFixture) want(typed string, want ...int64) {
	f.t.Helper()
	if want == nil {
		want = []int64{}
	}
	if got := f.find(typed); !slices.Equal(got, want) {
		f.t.Errorf("%s: searching %q finds messages %v, want %v", f.db.Engine, typed, got, want)
	}
}

// Words match whatever their case and accents, every word must be in the
// message, and "pedido" finds "Pedidos": by stem on PostgreSQL, by prefix on
// SQLite (where "pedid" does too).
func TestMessageSearchIgnoresCaseAndAccents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		info := f.write("Preciso de uma INFORMAÇÃO sobre a entrega")
		orders := f.write("Meus Pedidos não chegaram, é um absurdo!")
		email := f.write("Segue a nota fiscal em anexo.\r\n\r\n--\r\nJoão Conceição\r\nfinanceiro@cliente.com.br")
		f.write("")

		f.want("informacao", info)
		f.want("Informação", info)
		f.want("INFORMACAO ENTREGA", info)
		f.want("entrega informação", info) // in any order
		f.want("informação pedidos")       // not both in one message
		f.want("pedido", orders)
		f.want("nao chegaram", orders)
		f.want("ABSURDO", orders)
		f.want("joao conceicao", email)
		f.want("financeiro", email)
		f.want("cliente.com.br", email)
		f.want("financeiro@cliente.com.br", email)
		f.want("nota fiscal", email)
		f.want("geladeira")
		if db.Engine == store.SQLite {
			f.want("pedid", orders)
			f.want("inform", info)
		} else {
			f.want("pedidos", orders)
			f.want("chegou", orders) // "chegaram": the same stem
		}
	})
}

// Characters that mean something to FTS5 or tsquery are only separators:
// no input makes the query fail, and the words around them still match.
func TestMessageSearchTakesAnyInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		boleto := f.write("O boleto venceu ontem")
		for _, typed := range []string{
			`"boleto"`, `boleto"`, `"boleto`, `boleto*`, `*boleto`, `boleto:*`, `boleto^`, `-boleto`,
			`+boleto`, `(boleto)`, `{boleto}`, `boleto!`, `'boleto'`, `boleto\`, `boleto & `, `| boleto`, `!boleto`, `boleto <->`,
			"boleto\x00", "boleto\xff", "\u0301boleto",
		} {
			f.want(typed, boleto)
		}
		for _, typed := range []string{
			`NEAR(boleto`, `body:boleto`, `boleto OR ontem`, `boleto AND NOT ontem`, `"boleto" NEAR "ontem"`, `boleto''); DROP TABLE messages; --`,
			"日本語", "🙂 boleto", "a", "x1y2z3", "١٢٣", "ǅemal", "ΣΊΣΥΦΟΣ",
		} {
			f.find(typed) // matches or not, but never fails
		}
		// And a few hundred jumbles of query syntax and words.
		pieces := []string{`"`, `'`, "*", "(", ")", ":", "^", "-", "+", "&", "|", "!", "<->", `\`, "{", "}", ",", " ",
			"NEAR", "AND", "OR", "NOT", "body", "boleto", "ç", "ã", "1", "a", "\u0301", "\x00"}
		r := rand.New(rand.NewPCG(13, 0))
		for range 300 {
			var b strings.Builder
			for range 1 + r.IntN(12) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			if db.MessageMatch(b.String()) != "" {
				f.find(b.String())
			}
		}
	})
}

// The index follows the messages: a new message is found at once, an edited
// one by its new words only, a deleted one no more. Delivery-status updates
// leave it alone.
func TestMessageSearchFollowsChanges(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		ctx := context.Background()
		id := f.write("Quero trocar a geladeira")
		f.want("geladeira", id)
		_, w := db.SQL()
		if _, err := w.ExecContext(ctx, "UPDATE messages SET status = $1 WHERE id = $2", "read", id); err != nil {
			t.Fatal(err)
		}
		f.want("geladeira", id)
		if _, err := w.ExecContext(ctx, "UPDATE messages SET body = $1 WHERE id = $2", "Quero trocar o fogão", id); err != nil {
			t.Fatal(err)
		}
		f.want("geladeira")
		f.want("fogao", id)
		other := f.write("Outro fogão")
		if _, err := w.ExecContext(ctx, "DELETE FROM messages WHERE id = $1", id); err != nil {
			t.Fatal(err)
		}
		f.want("fogao", other)

		// Edited or deleted before the index took them in (SQLite indexes
		// in batches): the index gets the current text, and nothing of the
		// deleted one.
		edited := f.write("Chaleira quebrada")
		gone := f.write("Torradeira nova")
		if _, err := w.ExecContext(ctx, "UPDATE messages SET body = $1 WHERE id = $2", "Cafeteira quebrada", edited); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ExecContext(ctx, "DELETE FROM messages WHERE id = $1", gone); err != nil {
			t.Fatal(err)
		}
		f.want("chaleira")
		f.want("cafeteira", edited)
		f.want("torradeira")
		f.want("quebrada", edited)
	})
}

// SQLite indexes new messages in batches: a backlog larger than a batch is
// taken in several, and nothing is indexed twice.
func TestIndexMessagesTakesABacklogInBatches(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		ctx := context.Background()
		var ids []int64
		for i := range 2500 {
			ids = append(ids, f.write(fmt.Sprintf("pedido %d", i)))
		}
		n, err := db.IndexMessages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := 2500
		if db.Engine == store.Postgres {
			want = 0 // its index follows each message at once
		}
		if n != want {
			t.Fatalf("indexed %d messages, want %d", n, want)
		}
		if n, err := db.IndexMessages(ctx); err != nil || n != 0 {
			t.Fatalf("second run indexed %d (%v), want 0", n, err)
		}
		f.want("pedido", ids...)
		f.want("2499", ids[2499])
	})
}

// A huge message (an e-mail of a megabyte and more) is stored like any
// other, and found by its words; PostgreSQL indexes its first 100,000
// characters (a tsvector holds at most 1 MB).
func TestMessageSearchTakesHugeMessages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		var b strings.Builder
		for i := range 40000 {
			fmt.Fprintf(&b, "w%031d ", i*7919)
		}
		b.WriteString("lastword")
		huge := f.write("Relatório anexo: " + b.String())
		f.want("relatorio", huge)
		f.want(fmt.Sprintf("w%031d", 100*7919), huge)
		if db.Engine == store.SQLite {
			f.want("lastword", huge)
		}
	})
}

// Messages written before migration 00013 are found after it: going down to
// 00012 and up again indexes what was written in between.
func TestMessageSearchIndexesEarlierMessages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		ctx := context.Background()
		_, w := db.SQL()
		dialect := goose.DialectSQLite3
		if db.Engine == store.Postgres {
			dialect = goose.DialectPostgres
		}
		p, err := goose.NewProvider(dialect, w, os.DirFS("migrations/"+string(db.Engine)))
		if err != nil {
			t.Fatal(err)
		}
		before := f.write("Pedido 4711 atrasado")
		if _, err := p.DownTo(ctx, 12); err != nil {
			t.Fatalf("migrate down to 12: %v", err)
		}
		var n int
		if err := db.SQLRead().QueryRow("SELECT count(*) FROM messages_fts($1)", "x").Scan(&n); err == nil {
			t.Fatal("messages_fts is still there after migrating down")
		}
		during := f.write("Pedido 4712 atrasado")
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
		f.want("atrasado", before, during)
		f.want("4712", during)
		after := f.write("Pedido 4713 atrasado")
		f.want("atrasado", before, during, after)
	})
}

// The listing queries' message filter on a search that finds nothing and
// on an empty one (no filter) — a guard that "" never reaches FTS5, which
// rejects an empty query.
func TestEmptyMessageMatchDoesNotFilter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newSearchFixture(t, db)
		f.write("olá")
		if _, err := db.IndexMessages(context.Background()); err != nil {
			t.Fatal(err)
		}
		for match, want := range map[string]int{"": 1, db.MessageMatch("geladeira"): 0, db.MessageMatch("ola"): 1} {
			rows, err := db.Read().ListQueueOldest(context.Background(), store.ListQueueOldestParams{
				AccountID: f.account, DepartmentID: f.department, MessageMatch: match,
				QueuedFrom: store.Null(t0.AddDate(-1, 0, 0)), QueuedTo: store.Null(t0.AddDate(1, 0, 0)),
				AfterAt: store.Null(t0.AddDate(-1, 0, 0)), Max: 10,
			})
			if err != nil {
				t.Fatalf("queue with match %q: %v", match, err)
			}
			if len(rows) != want {
				t.Errorf("%s: queue with match %q: %d conversations, want %d", db.Engine, match, len(rows), want)
			}
		}
	})
}

// Tricky bodies for the Go matcher: accents composed and not, case, ç and
// ã, punctuation, digits, prefixes, short words, scripts and characters
// Go's Unicode and SQLite's tokenizer disagree about.
var matcherBodies = []string{
	"Preciso de uma INFORMAÇÃO sobre a entrega", "informacao", "Informação", "INFORMAÇÃO!", "informac\u0327a\u0303o",
	"Meus Pedidos não chegaram, é um absurdo!", "pedido", "PEDIDOS", "pedido123", "123pedido", "ped ido",
	"Segue a nota fiscal em anexo.\r\n\r\n--\r\nJoão Conceição\r\nfinanceiro@cliente.com.br", "joao.conceicao",
	"É ótimo, ação, coração, pão, mãe, avô, avó, você, três", "Ç ç Ã ã Õ õ Â â Ê ê Ô ô À à Ü ü Ñ ñ",
	"e-mail: fulano_de_tal@exemplo.com", "R$ 1.234,56 em 3x", "CEP 01310-100", "tel (11) 98765-4321", "nº 12/2026", "1º 2ª",
	"it's o'clock", "a b c de do da", "x1y2z3", "١٢٣ ٤٥٦", "ǅemal ǈ ǋ", "ΣΊΣΥΦΟΣ σίσυφος", "Straße STRASSE", "ﬁm ﬂor",
	"日本語のテキスト", "한국어", "emoji 🙂 ok🤣ok 👍🏽", "\u19b0\u19b1 tai", "a\u0305b", "\u0301ab", "ab\u0301c",
	"tab\tnew\nline", "\x00nul\x00", "inválido \xff\xfe utf8 \xc3", "ＦＵＬＬＷＩＤＴＨ", "ⅰⅱⅲ Ⅻ", "x²", "ĳ Ĳ", "İstanbul ıı",
	"", "   ", "...", "entregas entregue entregar", "boleto boletos", "quindim", "jabuticabas",
}

var matcherQueries = []string{
	"informacao", "Informação", "INFORMACAO ENTREGA", "entrega informação", "informação pedidos", "pedido", "pedid", "ped",
	"pe", "ido", "123", "pedido123", "nao chegaram", "joao conceicao", "financeiro@cliente.com.br", "cliente.com.br",
	"ç", "c", "a", "ã", "cao", "coração", "acao", "tres", "avo", "voce", "mae", "pao", "otimo", "e", "é",
	"1.234,56", "234", "3x", "01310", "01310-100", "98765", "nº", "n", "12", "1º", "2ª", "it's", "s", "o'clock",
	"de", "do", "da", "x1y", "x1y2z3", "١٢٣", "ǆemal", "ǅ", "σίσυφος", "ΣΊΣΥΦΟΣ", "sisyphos", "straße", "strasse",
	"ﬁm", "fim", "日本語", "テキスト", "한국어", "ok", "ok🤣ok", "🙂", "\u19b0", "\u19b0 tai", "tai", "ab", "abc", "a\u0305b",
	"tab", "line", "nul", "utf8", "inválido", "ＦＵＬＬ", "full", "ⅰⅱ", "ⅲ", "x²", "x2", "ĳ", "ij", "istanbul", "İstanbul",
	"ıı", "ii", "entreg", "entrega", "entregas", "boleto", "boletos", "quindim", "jabuticaba", "JABUTICABAS",
}

// MessageMatcher, which the finished-conversation search uses for common
// words, finds exactly the messages messages_fts does.
func TestMessageMatcherAgreesWithFTS5(t *testing.T) {
	f := newSearchFixture(t, storetest.SQLite(t))
	bodies := map[int64]string{}
	write := func(body string) {
		bodies[f.write(body)] = body
	}
	for _, b := range matcherBodies {
		write(b)
	}
	// And jumbles of the pieces of words the queries are made of.
	pieces := []string{"a", "A", "á", "Á", "ç", "Ç", "ã", "e", "é", "o", "õ", "c", "ao", "de", "ped", "ido", "s", "1", "23", "x",
		" ", " ", " ", ".", "-", "'", "@", "\u0301", "\u0327", "\u0305", "ǅ", "σ", "Σ", "ς", "🤣", "ﬁ", "ı", "İ", "\xc3", "\u19b0"}
	r := rand.New(rand.NewPCG(61, 1))
	var jumbles []string
	for range 400 {
		var b strings.Builder
		for range 1 + r.IntN(10) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		jumbles = append(jumbles, b.String())
	}
	for _, b := range jumbles {
		write(b)
	}
	queries := append(slices.Clone(matcherQueries), jumbles[:200]...)
	for _, typed := range queries {
		m := store.NewMessageMatcher(typed)
		if m == nil {
			if db := f.db; db.MessageMatch(typed) != "" {
				t.Errorf("%q: no matcher, but match %q", typed, db.MessageMatch(typed))
			}
			continue
		}
		want := f.find(typed)
		got := []int64{}
		for id, body := range bodies {
			if m.Match(body) {
				got = append(got, id)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%q (match %s): Go finds %d messages, FTS5 %d; only Go: %q; only FTS5: %q", typed, f.db.MessageMatch(typed),
				len(got), len(want), bodiesOf(bodies, minus(got, want)), bodiesOf(bodies, minus(want, got)))
		}
	}
}

func minus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func bodiesOf(bodies map[int64]string, ids []int64) []string {
	var out []string
	for _, id := range ids {
		out = append(out, bodies[id])
	}
	return out
}

// ConversationsWithMessage keeps, of the conversations asked about, those
// with a customer, agent or note message holding every word — as
// messages_fts finds them — and never for a system line or another
// account's conversation; more conversations than one statement takes
// are asked in several.
func TestConversationsWithMessage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSearchFixture(t, db)
		other := &searchFixture{t: t, db: db}
		err := db.Tx(ctx, func(q *store.Queries) error {
			acc, err := q.CreateAccount(ctx, store.CreateAccountParams{Name: "Outra", CreatedAt: t0})
			if err != nil {
				return err
			}
			dep, err := q.CreateDepartment(ctx, store.CreateDepartmentParams{AccountID: acc.ID, Name: "Vendas", CreatedAt: t0})
			if err != nil {
				return err
			}
			_, err = q.ContactCreate(ctx, store.ContactCreateParams{AccountID: acc.ID, Name: "Bia", CustomFields: "{}", CreatedAt: t0})
			other.account, other.department = acc.ID, dep.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		conv := func(f *searchFixture, i int, msgs ...[2]string) int64 {
			t.Helper()
			c, err := db.Write().CreateConversation(ctx, store.CreateConversationParams{
				AccountID: f.account, Protocol: fmt.Sprintf("c%d", i), DepartmentID: f.department, ContactID: contactOf(t, db, f), Status: "queued", OpenedAt: t0, QueuedAt: store.Null(t0),
			})
			if err != nil {
				t.Fatal(err)
			}
			for seq, m := range msgs {
				_, err := db.Write().InsertMessage(ctx, store.InsertMessageParams{
					AccountID: f.account, ConversationID: c.ID, Seq: int64(seq + 1), Direction: m[0], Kind: "text", SenderType: "contact",
					Body: m[1], Attachments: "[]", Metadata: "{}", Status: "received", CreatedAt: t0,
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			return c.ID
		}
		in := conv(f, 1, [2]string{"in", "Cadê meu BOLETO?"})
		out := conv(f, 2, [2]string{"in", "olá"}, [2]string{"out", "Segue o boleto atualizado"})
		note := conv(f, 3, [2]string{"note", "boleto pago em duplicidade"})
		system := conv(f, 4, [2]string{"system", "boleto"}, [2]string{"in", "obrigado"})
		split := conv(f, 5, [2]string{"in", "boleto"}, [2]string{"in", "atualizado"})
		elsewhere := conv(other, 6, [2]string{"in", "boleto atualizado"})
		var many []int64
		for i := range 600 {
			many = append(many, conv(f, 100+i, [2]string{"in", fmt.Sprintf("pedido %d", i)}))
		}
		ask := append([]int64{in, out, note, system, split, elsewhere}, many...)
		for typed, want := range map[string][]int64{
			"boleto":            {in, out, note, split},
			"BOLETO atualizado": {out},
			"pedido 599":        {many[599]},
			"pedido":            many,
			"inexistente":       {},
			"  ":                {},
		} {
			hit, err := db.ConversationsWithMessage(ctx, f.account, ask, typed)
			if err != nil {
				t.Fatalf("%q: %v", typed, err)
			}
			got := []int64{}
			for id := range hit {
				got = append(got, id)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q: %v, want %v", db.Engine, typed, got, want)
			}
		}
	})
}

func contactOf(t *testing.T, db *store.DB, f *searchFixture) int64 {
	t.Helper()
	var id int64
	if err := db.SQLRead().QueryRow(`SELECT id FROM contacts WHERE account_id = $1 LIMIT 1`, f.account).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

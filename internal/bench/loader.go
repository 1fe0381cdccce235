package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/atende/atende/internal/store"
)

// history says how much conversation history the loader writes, and for
// whom.
type history struct {
	accountID int64
	// benchAgentID is the agent the list scenario signs in as; benchActive
	// of the active conversations are theirs.
	benchAgentID int64
	benchActive  int

	conversations int
	messages      int
	// agents are the other agents who served the history (besides the
	// bench agent); departments split it.
	agents      int
	departments int
	// span is how far back the history goes.
	span time.Duration
	seed uint64
}

// loaded is what the loader made, for the timed queries to use.
type loaded struct {
	departmentIDs []int64
	channelID     int64
	rows          int64 // every row written
	active        int   // active conversations in all
	open          int   // conversations not finished (active, waiting, queued)
	benchActive   int
}

// Shares of the history that are still open. The rest is finished: closed,
// or abandoned (one in ten).
const (
	activePerAgent = 20   // each history agent serves this many now
	queuedShare    = 200  // one conversation in this many waits in a queue
	maxQueued      = 2000 // a queue longer than this is not a working contact centre
)

// Tags put on one finished conversation in ten, for the tag filter.
var tagNames = []string{"vendas", "suporte", "financeiro", "reclamacao", "duvida", "cancelamento"}

// load writes the history straight into the database with multi-row
// INSERTs in large transactions: the API would take hours for a million
// conversations. It writes what the server itself would have: protocols
// unique in the account, messages numbered 1..n in each conversation with
// the conversation's last_seq, closed conversations with closed_at, active
// ones assigned (a share to the bench agent) with the agents' load to
// match, contacts with identities. It writes no conversation_events rows
// (the transitions reports read), which no timed query touches.
func load(ctx context.Context, db *store.DB, h history, progress func(string, ...any)) (loaded, error) {
	_, w := db.SQL()
	l := &loader{ctx: ctx, db: w, engine: db.Engine, commitEvery: 200_000}
	if db.Engine == store.Postgres {
		// PostgreSQL loads with COPY, on one connection of the pool held
		// for the whole load.
		conn, err := w.Conn(ctx)
		if err != nil {
			return loaded{}, fmt.Errorf("loader: connect: %w", err)
		}
		defer conn.Close()
		var out loaded
		err = conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("loader: the PostgreSQL driver is %T, not pgx", dc)
			}
			l.pg = sc.Conn()
			// A scratch database: a crash mid-load loses nothing worth an
			// fsync per commit.
			if _, err := l.pg.Exec(ctx, "SET synchronous_commit = off"); err != nil {
				return fmt.Errorf("loader: %w", err)
			}
			// Foreign-key checks (a trigger per row) take two thirds of the
			// load: skip them where the role may (superusers). The rows are
			// the ones SQLite loads with its checks on.
			if _, err := l.pg.Exec(ctx, "SET session_replication_role = replica"); err != nil {
				progress("loading with foreign-key checks (this role may not turn them off: %v)", err)
			}
			out, err = l.run(h, progress)
			if err != nil {
				l.abort()
			}
			return err
		})
		return out, err
	}
	// SQLite: the loader's own connection settings. A crash mid-load loses
	// a scratch database, nothing else; the big page cache keeps the indexes
	// being appended to in memory.
	for _, pragma := range []string{"PRAGMA synchronous=OFF", "PRAGMA cache_size=-262144"} {
		if _, err := w.ExecContext(ctx, pragma); err != nil {
			return loaded{}, fmt.Errorf("loader %s: %w", pragma, err)
		}
	}
	defer w.ExecContext(context.Background(), "PRAGMA synchronous=NORMAL")
	out, err := l.run(h, progress)
	if err != nil {
		l.abort()
		return out, err
	}
	// The server indexes messages for search in batches as they arrive;
	// a load takes them all in at the end.
	progress("indexing the messages for search")
	if _, err := db.IndexBacklog(ctx); err != nil {
		return out, fmt.Errorf("loader: %w", err)
	}
	return out, nil
}

// loader batches rows per table and writes them in transactions.
type loader struct {
	ctx    context.Context
	db     *sql.DB
	engine store.Engine
	// On SQLite: a transaction of the database/sql pool, and its prepared
	// statements.
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// On PostgreSQL: the pgx connection and its transaction.
	pg          *pgx.Conn
	pgTx        pgx.Tx
	sinceCommit int
	commitEvery int
	rows        int64
}

// table collects the rows of one table until a statement's worth is ready.
// Its parents are flushed first, so foreign keys hold at every statement.
type table struct {
	l       *loader
	name    string
	cols    []string
	perStmt int
	args    []any
	n       int
	parents []*table
	// suffix ends the statement (ON CONFLICT …).
	suffix string
}

func (l *loader) table(name string, cols []string, parents ...*table) *table {
	// SQLite binds at most 32,766 parameters a statement; 500 rows a
	// statement is past the point of diminishing returns. A COPY takes
	// thousands.
	per := min(500, 30000/len(cols))
	if l.pg != nil {
		per = 5000
	}
	return &table{l: l, name: name, cols: cols, perStmt: per, parents: parents}
}

// add queues one row: values in the order of the table's columns.
func (t *table) add(values ...any) error {
	if len(values) != len(t.cols) {
		return fmt.Errorf("loader: %s row has %d values for %d columns", t.name, len(values), len(t.cols))
	}
	// Times are kept as the server keeps them (clock.System): UTC, to the
	// microsecond, so a value read back (a page cursor) equals the stored
	// one on SQLite, whose timestamps are text.
	for i, v := range values {
		switch tv := v.(type) {
		case time.Time:
			values[i] = tv.UTC().Truncate(time.Microsecond)
		case sql.NullTime:
			if tv.Valid {
				tv.Time = tv.Time.UTC().Truncate(time.Microsecond)
				values[i] = tv
			}
		}
	}
	t.args = append(t.args, values...)
	t.n++
	if t.n == t.perStmt {
		return t.flush()
	}
	return nil
}

// flush writes the queued rows (and first those of the parent tables).
func (t *table) flush() error {
	for _, p := range t.parents {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if t.n == 0 {
		return nil
	}
	l := t.l
	if err := l.begin(); err != nil {
		return err
	}
	var err error
	switch {
	case l.pg != nil && t.suffix == "":
		rows := make([][]any, t.n)
		for i := range rows {
			rows[i] = t.args[i*len(t.cols) : (i+1)*len(t.cols)]
		}
		_, err = l.pgTx.CopyFrom(l.ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(rows))
	case l.pg != nil:
		_, err = l.pgTx.Exec(l.ctx, insertSQL(l.engine, t.name, t.cols, t.n)+t.suffix, t.args...)
	case t.n == t.perStmt:
		// Full statements repeat: prepare once per transaction.
		query := insertSQL(l.engine, t.name, t.cols, t.n) + t.suffix
		stmt := l.stmts[query]
		if stmt == nil {
			if stmt, err = l.tx.PrepareContext(l.ctx, query); err != nil {
				return fmt.Errorf("loader: prepare insert into %s: %w", t.name, err)
			}
			l.stmts[query] = stmt
		}
		_, err = stmt.ExecContext(l.ctx, t.args...)
	default:
		_, err = l.tx.ExecContext(l.ctx, insertSQL(l.engine, t.name, t.cols, t.n)+t.suffix, t.args...)
	}
	if err != nil {
		return fmt.Errorf("loader: insert %d rows into %s: %w", t.n, t.name, err)
	}
	l.rows += int64(t.n)
	l.sinceCommit += t.n
	t.args, t.n = t.args[:0], 0
	return nil
}

// maybeCommit commits when the transaction has grown past commitEvery
// rows. Call it only when every table has been flushed or holds rows whose
// parents are committed or queued ahead of them.
func (l *loader) maybeCommit() error {
	if l.sinceCommit < l.commitEvery {
		return nil
	}
	return l.commit()
}

// begin starts a transaction unless one is open.
func (l *loader) begin() error {
	var err error
	switch {
	case l.pg != nil && l.pgTx == nil:
		l.pgTx, err = l.pg.Begin(l.ctx)
	case l.pg == nil && l.tx == nil:
		l.tx, err = l.db.BeginTx(l.ctx, nil)
		l.stmts = map[string]*sql.Stmt{}
	}
	if err != nil {
		return fmt.Errorf("loader: begin: %w", err)
	}
	return nil
}

// exec runs one statement in the load's transaction.
func (l *loader) exec(query string, args ...any) error {
	if err := l.begin(); err != nil {
		return err
	}
	var err error
	if l.pg != nil {
		_, err = l.pgTx.Exec(l.ctx, query, args...)
	} else {
		_, err = l.tx.ExecContext(l.ctx, query, args...)
	}
	return err
}

func (l *loader) commit() error {
	var err error
	switch {
	case l.pgTx != nil:
		err = l.pgTx.Commit(l.ctx)
		l.pgTx = nil
	case l.tx != nil:
		for _, s := range l.stmts {
			s.Close()
		}
		err = l.tx.Commit()
		l.tx, l.stmts = nil, nil
	}
	l.sinceCommit = 0
	if err != nil {
		return fmt.Errorf("loader: commit: %w", err)
	}
	return nil
}

func (l *loader) abort() {
	if l.pgTx != nil {
		l.pgTx.Rollback(context.Background())
		l.pgTx = nil
	}
	if l.tx != nil {
		l.tx.Rollback()
		l.tx = nil
	}
}

// insertSQL is a multi-row INSERT. PostgreSQL takes $N parameters; SQLite
// gets plain ? ones, because the driver looks every named or numbered
// parameter up by a linear scan, which makes binding thousands of them
// quadratic.
func insertSQL(engine store.Engine, name string, cols []string, rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", name, strings.Join(cols, ", "))
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if engine == store.SQLite {
				b.WriteByte('?')
			} else {
				fmt.Fprintf(&b, "$%d", n)
			}
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// nextID is the id after the largest in a table, so the loader can name
// rows (and point at them) before they are written.
func (l *loader) nextID(name string) (int64, error) {
	var id sql.NullInt64
	if err := l.db.QueryRowContext(l.ctx, "SELECT max(id) FROM "+name).Scan(&id); err != nil {
		return 0, fmt.Errorf("loader: largest id of %s: %w", name, err)
	}
	return id.Int64 + 1, nil
}

// run writes the history.
func (l *loader) run(h history, progress func(string, ...any)) (loaded, error) {
	var out loaded
	rng := newRand(h.seed)
	now := time.Now().UTC().Truncate(time.Microsecond)
	start := now.Add(-h.span)

	ids := map[string]int64{}
	for _, name := range []string{"departments", "channels", "users", "contacts", "conversations", "messages"} {
		id, err := l.nextID(name)
		if err != nil {
			return out, err
		}
		ids[name] = id
	}

	departments := l.table("departments", []string{"id", "account_id", "name", "created_at", "updated_at"})
	for d := 0; d < h.departments; d++ {
		id := ids["departments"] + int64(d)
		out.departmentIDs = append(out.departmentIDs, id)
		if err := departments.add(id, h.accountID, fmt.Sprintf("History %d (%d)", d+1, id), start, start); err != nil {
			return out, err
		}
	}
	out.channelID = ids["channels"]
	channels := l.table("channels", []string{"id", "account_id", "kind", "name", "department_id", "settings", "created_at", "updated_at"}, departments)
	if err := channels.add(out.channelID, h.accountID, "webchat", fmt.Sprintf("History site (%d)", out.channelID), out.departmentIDs[0], "{}", start, start); err != nil {
		return out, err
	}

	// Agents: the bench agent (made by `atende user create`) and the
	// history's own, who cannot sign in (no password verifies against "!").
	agentIDs := []int64{}
	users := l.table("users", []string{"id", "account_id", "name", "email", "role", "password_hash", "created_at", "updated_at", "password_changed_at"})
	for a := 0; a < h.agents; a++ {
		id := ids["users"] + int64(a)
		agentIDs = append(agentIDs, id)
		if err := users.add(id, h.accountID, fmt.Sprintf("%s %s", firstNames[a%len(firstNames)], lastNames[(a/len(firstNames))%len(lastNames)]),
			fmt.Sprintf("history-agent-%d@bench.invalid", id), "agent", "!", start, start, start); err != nil {
			return out, err
		}
	}
	members := l.table("department_members", []string{"account_id", "department_id", "user_id", "created_at"}, departments, users)
	for i, id := range agentIDs {
		if err := members.add(h.accountID, out.departmentIDs[i%len(out.departmentIDs)], id, start); err != nil {
			return out, err
		}
	}
	for _, d := range out.departmentIDs {
		if err := members.add(h.accountID, d, h.benchAgentID, start); err != nil {
			return out, err
		}
	}
	if err := members.flush(); err != nil {
		return out, err
	}

	// How the conversations divide: the newest are still open.
	n := h.conversations
	queued := min(n/queuedShare, maxQueued)
	active := min(h.agents*activePerAgent+h.benchActive, n/20)
	benchActive := min(h.benchActive, active)
	waiting := active / 5
	active -= waiting
	if benchActive > active {
		benchActive = active
	}
	open := active + waiting + queued
	finished := n - open
	out.active, out.open, out.benchActive = active, open, benchActive

	// Contacts: returning customers come back, so there are fewer contacts
	// than conversations; every open conversation has a contact of its own
	// (one open conversation per contact and channel).
	nContacts := max(open, n/2, 1)
	contacts := l.table("contacts", []string{"id", "account_id", "name", "search_text", "created_at", "updated_at"})
	identities := l.table("contact_identities", []string{"account_id", "contact_id", "kind", "value", "created_at"}, contacts)
	for c := 0; c < nContacts; c++ {
		id := ids["contacts"] + int64(c)
		name := fmt.Sprintf("%s %s %d", firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))], id)
		email := fmt.Sprintf("cliente%d@example.com", id)
		phone := fmt.Sprintf("55119%08d", id%100_000_000)
		search := strings.ToLower(name) + "\n" + email + "\n" + phone
		if err := contacts.add(id, h.accountID, name, search, start, start); err != nil {
			return out, err
		}
		if err := identities.add(h.accountID, id, "visitor", fmt.Sprintf("v_bench%015d", id), start); err != nil {
			return out, err
		}
		if err := identities.add(h.accountID, id, "email", email, start); err != nil {
			return out, err
		}
		if err := l.maybeCommitAfter(identities); err != nil {
			return out, err
		}
	}
	if err := identities.flush(); err != nil {
		return out, err
	}
	progress("loaded %d contacts", nContacts)

	// Conversations, oldest first (ids grow with time, as they do live),
	// each followed by its messages.
	convCols := []string{"id", "account_id", "protocol", "channel_id", "department_id", "contact_id", "agent_id", "status",
		"out_of_hours", "last_seq", "opened_at", "queued_at", "assigned_at", "first_response_at", "last_customer_at",
		"last_agent_at", "closed_at", "updated_at"}
	conversations := l.table("conversations", convCols, contacts, channels, users)
	tags := l.table("conversation_tags", []string{"account_id", "conversation_id", "tag"}, conversations)
	messages := l.table("messages", []string{"id", "account_id", "conversation_id", "seq", "direction", "kind", "sender_type",
		"sender_id", "body", "status", "channel_id", "created_at", "updated_at"}, conversations)
	states := l.table("agent_states", []string{"user_id", "account_id", "presence", "presence_since", "capacity", "load"}, users)
	// The bench agent may have a row already.
	states.suffix = " ON CONFLICT (user_id) DO UPDATE SET capacity = excluded.capacity, load = excluded.load"

	counts := messageCounts(rng, n, h.messages)
	messageID := ids["messages"]
	step := h.span / time.Duration(max(n, 1))
	load := map[int64]int{}
	reportEvery := max(n/10, 1)
	type msg struct {
		dir string
		at  time.Time
	}
	var msgs []msg
	for i := 0; i < n; i++ {
		id := ids["conversations"] + int64(i)
		dep := out.departmentIDs[rng.IntN(len(out.departmentIDs))]
		// The open conversations are the newest: opened in the last hours,
		// each with a contact of its own (the first `open` contacts). The
		// finished ones spread over the span, with any contact.
		status, agent := "closed", int64(0)
		var contactID int64
		var opened time.Time
		isOpen := i >= finished
		if isOpen {
			k := i - finished // 0..open-1
			contactID = ids["contacts"] + int64(k)
			opened = now.Add(-time.Duration(rng.Int64N(int64(4 * time.Hour))))
			switch {
			case k < benchActive:
				status, agent = "active", h.benchAgentID
			case k < active && len(agentIDs) > 0:
				status, agent = "active", agentIDs[(k-benchActive)%len(agentIDs)]
			case k < active+waiting && len(agentIDs) > 0:
				status, agent = "waiting", agentIDs[(k-active)%len(agentIDs)]
			default:
				status = "queued"
			}
			if agent != 0 {
				load[agent]++
			}
		} else {
			contactID = ids["contacts"] + int64(rng.IntN(nContacts))
			opened = start.Add(step*time.Duration(i) + time.Duration(rng.Int64N(int64(max(step, time.Microsecond)))))
			if rng.IntN(10) == 0 {
				status = "abandoned"
			} else if len(agentIDs) > 0 {
				agent = agentIDs[rng.IntN(len(agentIDs))]
				if rng.IntN(50) == 0 {
					agent = h.benchAgentID
				}
			}
		}

		// Its messages alternate customer and agent (only the customer's
		// when nobody served it), a few minutes apart, never in the future.
		gap := time.Duration(30+rng.IntN(300)) * time.Second
		msgs = msgs[:0]
		var firstResponse, lastCustomer, lastAgent sql.NullTime
		at := opened
		for s := 1; s <= counts[i]; s++ {
			dir := "in"
			if s%2 == 0 && agent != 0 {
				dir = "out"
			}
			if dir == "in" {
				lastCustomer = sql.NullTime{Time: at, Valid: true}
			} else {
				if !firstResponse.Valid {
					firstResponse = sql.NullTime{Time: at, Valid: true}
				}
				lastAgent = sql.NullTime{Time: at, Valid: true}
			}
			msgs = append(msgs, msg{dir, at})
			if next := at.Add(gap); !next.After(now) {
				at = next
			}
		}
		var agentCol sql.NullInt64
		var assignedAt, closedAt sql.NullTime
		if agent != 0 {
			agentCol = sql.NullInt64{Int64: agent, Valid: true}
			assignedAt = sql.NullTime{Time: opened, Valid: true}
		}
		updated := at
		if !isOpen {
			end := at.Add(time.Duration(60+rng.IntN(600)) * time.Second)
			if status == "abandoned" {
				end = at.Add(48 * time.Hour)
			}
			if end.After(now) {
				end = now
			}
			closedAt, updated = sql.NullTime{Time: end, Valid: true}, end
		}
		protocol := fmt.Sprintf("%s%06d", opened.Format("20060102"), i+1)
		if err := conversations.add(id, h.accountID, protocol, out.channelID, dep, contactID, agentCol, status,
			rng.IntN(8) == 0, counts[i], opened, sql.NullTime{Time: opened, Valid: true}, assignedAt, firstResponse, lastCustomer,
			lastAgent, closedAt, updated); err != nil {
			return out, err
		}
		for s, m := range msgs {
			sender, senderID, mstatus := "contact", sql.NullInt64{}, "received"
			if m.dir == "out" {
				sender, senderID, mstatus = "agent", agentCol, "read"
			}
			if err := messages.add(messageID, h.accountID, id, s+1, m.dir, "text", sender, senderID, sentence(rng), mstatus, out.channelID, m.at, m.at); err != nil {
				return out, err
			}
			messageID++
		}
		if !isOpen && rng.IntN(10) == 0 {
			if err := tags.add(h.accountID, id, tagNames[rng.IntN(len(tagNames))]); err != nil {
				return out, err
			}
		}
		if err := l.maybeCommitAfter(tags, messages); err != nil {
			return out, err
		}
		if (i+1)%reportEvery == 0 {
			progress("loaded %d of %d conversations, %d messages", i+1, n, messageID-ids["messages"])
		}
	}
	if err := flushAll(tags, messages); err != nil {
		return out, err
	}

	// The agents' routing state matches what they serve: load counts their
	// active and waiting conversations.
	for _, a := range append(agentIDs, h.benchAgentID) {
		if err := states.add(a, h.accountID, "offline", now, max(activePerAgent, load[a], h.benchActive), load[a]); err != nil {
			return out, err
		}
	}
	if err := states.flush(); err != nil {
		return out, err
	}
	// New conversations must number after the loaded ones.
	if err := l.exec("UPDATE accounts SET next_protocol = $1 WHERE id = $2", n+1, h.accountID); err != nil {
		return out, fmt.Errorf("loader: next protocol number: %w", err)
	}
	if err := l.commit(); err != nil {
		return out, err
	}
	if l.engine == store.Postgres {
		// Rows were given their ids: move the identity sequences past them.
		for _, name := range []string{"departments", "channels", "users", "contacts", "conversations", "messages", "contact_identities"} {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))", name, name)
			if _, err := l.db.ExecContext(l.ctx, q); err != nil {
				return out, fmt.Errorf("loader: move the id sequence of %s: %w", name, err)
			}
		}
		// Autovacuum would analyze the new rows soon; the timed queries
		// should not depend on when. SQLite gets no ANALYZE: the server
		// never runs one, so its planner works without statistics.
		if _, err := l.db.ExecContext(l.ctx, "ANALYZE"); err != nil {
			return out, fmt.Errorf("loader: analyze: %w", err)
		}
	}
	out.rows = l.rows
	return out, nil
}

// maybeCommitAfter flushes tables (children after their parents) and
// commits when the transaction is big enough: every row queued so far is
// then written, so nothing refers to an uncommitted parent in a later
// transaction.
func (l *loader) maybeCommitAfter(tables ...*table) error {
	if l.sinceCommit+pendingRows(tables) < l.commitEvery {
		return nil
	}
	if err := flushAll(tables...); err != nil {
		return err
	}
	return l.maybeCommit()
}

func pendingRows(tables []*table) int {
	n := 0
	for _, t := range tables {
		n += t.n
	}
	return n
}

func flushAll(tables ...*table) error {
	for _, t := range tables {
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// Words of the messages: what customers of a Brazilian shop write, with a
// few rare words so a search finds a handful among millions.
var (
	commonWords = strings.Fields(`olá bom dia boa tarde noite obrigado obrigada por favor pedido entrega
		prazo produto troca devolução boleto pix cartão parcela nota fiscal endereço cep frete rastreio código
		atraso chegou ainda não recebi quero saber sobre minha compra cancelar cancelamento reembolso valor
		desconto cupom promoção estoque tamanho cor modelo garantia defeito assistência técnica loja site
		aplicativo senha cadastro conta email telefone atendimento protocolo retorno ligação whatsapp ajuda
		problema resolvido certo perfeito aguardo confirmação hoje amanhã semana semana passada ontem agora
		consegue verificar pode confirmar vou enviar foto comprovante pagamento aprovado recusado análise`)
	rareWords = strings.Fields(`orquídea pergaminho zabumba xilogravura quindim jabuticaba maracatu
		berimbau caleidoscópio pirilampo`)
	firstNames = strings.Fields(`Ana Bruno Carla Daniel Eduarda Felipe Gabriela Henrique Isabela João
		Larissa Marcos Natália Otávio Paula Rafael Sofia Thiago Vitória William`)
	lastNames = strings.Fields(`Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes
		Costa Ribeiro Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa`)
)

// searchWords are what the search is timed with: common, middling and
// rare words, as people type them (no accents).
var searchWords = []string{"boleto", "entrega", "reembolso", "garantia", "comprovante", "quindim", "berimbau", "jabuticaba"}

// sentence is a message body of 4 to 16 words; one in a thousand carries a
// rare word.
func sentence(rng *rand.Rand) string {
	n := 4 + rng.IntN(13)
	words := make([]string, n)
	for i := range words {
		words[i] = commonWords[rng.IntN(len(commonWords))]
	}
	if rng.IntN(1000) == 0 {
		words[rng.IntN(n)] = rareWords[rng.IntN(len(rareWords))]
	}
	return strings.Join(words, " ") + "."
}

// newRand is the loader's generator: the same seed loads the same history.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// messageCounts splits total messages among n conversations: total/n on
// average, neighbours trading some so that lengths vary, at least one each
// when there are enough.
func messageCounts(rng *rand.Rand, n, total int) []int {
	counts := make([]int, n)
	if n == 0 {
		return counts
	}
	base, rest := total/n, total%n
	for i := range counts {
		counts[i] = base
		if i < rest {
			counts[i]++
		}
	}
	for i := 0; i+1 < n; i += 2 {
		if counts[i+1] > 1 {
			d := rng.IntN(counts[i+1])
			counts[i] += d
			counts[i+1] -= d
		}
	}
	return counts
}

package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Full-text search over messages is the one place where the engines' SQL
// differs in substance, so it is kept here and in migration 00013.
//
// The queries themselves are shared: they keep the conversations with a
// message among
//
//	SELECT f.rowid FROM messages_fts(:match) f
//
// On SQLite messages_fts is an FTS5 table (unicode61 tokenizer, diacritics
// removed) called as a table-valued function, and :match is an FTS5 query. On
// PostgreSQL it is a SQL function, inlined by the planner into a lookup in
// the GIN index over to_tsvector('portuguese', unaccent(body)), and :match is
// plain words for plainto_tsquery. MessageMatch builds :match from what
// someone typed, for the engine at hand; user text never reaches either
// engine's query syntax.

// MaxSearchBytes bounds what someone may type into a message search.
const MaxSearchBytes = 200

// minPrefixRunes: on SQLite, words at least this long also find the words
// they begin ("pedid" finds "pedidos"), which stands in for PostgreSQL's
// stemming. Shorter words match whole only: a one- or two-letter prefix
// would expand to a large part of the vocabulary.
const minPrefixRunes = 3

// searchWords splits typed text into the words a message search looks for:
// runs of letters and digits (combining accents kept with their letter).
// Everything else separates words, so quotes, asterisks, parentheses and the
// like are never operators. Case and accents are left to the engines, which
// ignore both.
func searchWords(typed string) []string {
	var words []string
	var b strings.Builder
	hasAlnum := false
	flush := func() {
		if hasAlnum {
			words = append(words, b.String())
		}
		b.Reset()
		hasAlnum = false
	}
	// NFC puts accents back on their letters: SQLite's tokenizer would split
	// a word at a loose combining mark.
	for _, r := range norm.NFC.String(typed) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			hasAlnum = true
		case unicode.Is(unicode.Mn, r) && b.Len() > 0:
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// MessageMatch is the argument of messages_fts for the words in typed, on
// this database's engine; "" when typed holds no word, which the queries
// read as "no message filter". Every word must match (AND). On SQLite a word
// of three letters or more also matches as a prefix; on PostgreSQL words
// match by their Portuguese stem and stop words are ignored.
func (db *DB) MessageMatch(typed string) string {
	return messageMatch(db.Engine, typed)
}

func messageMatch(engine Engine, typed string) string {
	words := searchWords(typed)
	if len(words) == 0 {
		return ""
	}
	if engine == Postgres {
		return strings.Join(words, " ")
	}
	// Each word becomes an FTS5 string (double quotes, inner quotes
	// doubled; searchWords leaves none, but the quoting must not depend on
	// it), so AND, OR, NOT, NEAR and column names typed as words are words.
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		if utf8.RuneCountInString(w) >= minPrefixRunes {
			terms[i] += "*"
		}
	}
	return strings.Join(terms, " AND ")
}

// indexBatch bounds one indexing transaction, so that a backlog (after a
// bulk import) never holds the writer for long.
const indexBatch = 1000

// IndexMessages adds the messages stored since its last run to SQLite's
// full-text index (migration 00030) and says how many it added. Every node
// runs it every second; a search runs it first, so that it finds every
// message stored before it started. On PostgreSQL the index follows each
// message in its own transaction and there is nothing to do.
func (db *DB) IndexMessages(ctx context.Context) (int, error) {
	return db.indexMessages(ctx, indexBatch)
}

// IndexBacklog is IndexMessages in one transaction, however many messages
// are pending: for bulk loads, before the server starts.
func (db *DB) IndexBacklog(ctx context.Context) (int, error) {
	return db.indexMessages(ctx, math.MaxInt32)
}

func (db *DB) indexMessages(ctx context.Context, batch int) (int, error) {
	if db.Engine != SQLite {
		return 0, nil
	}
	total := 0
	for {
		// Nothing pending costs a read, not a write transaction.
		var last, newest int64
		if err := db.read.QueryRowContext(ctx, `SELECT (SELECT last_id FROM messages_fts_indexed WHERE id = 1),
			COALESCE((SELECT MAX(id) FROM messages), 0)`).Scan(&last, &newest); err != nil {
			return total, fmt.Errorf("messages to index: %w", err)
		}
		if newest <= last {
			return total, nil
		}
		var n int64
		err := db.Tx(ctx, func(q *Queries) error {
			var from, upto int64
			if err := q.db.QueryRowContext(ctx, `SELECT last_id FROM messages_fts_indexed WHERE id = 1`).Scan(&from); err != nil {
				return err
			}
			if err := q.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), $1) FROM
				(SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT $2)`, from, batch).Scan(&upto); err != nil {
				return err
			}
			res, err := q.db.ExecContext(ctx, `INSERT INTO messages_fts (rowid, body)
				SELECT id, body FROM messages WHERE id > $1 AND id <= $2`, from, upto)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			_, err = q.db.ExecContext(ctx, `UPDATE messages_fts_indexed SET last_id = $1 WHERE id = 1`, upto)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("index messages for search: %w", err)
		}
		total += int(n)
		if n < int64(batch) {
			return total, nil
		}
	}
}

// withMessageBatch is the most conversations one ConversationsWithMessage
// statement asks about.
const withMessageBatch = 512

// ConversationsWithMessage returns which of the account's conversations ids
// have a message from the customer, an agent or an internal note holding
// every word of typed: the conversations ListFinished keeps for
// MessageMatch(typed), found by reading these conversations' messages
// rather than everything the index holds for the words. For a common word
// that is what makes a search fast (a few dozen conversations, newest first,
// fill a page, where the index's match is a tenth of all messages); for a
// rare one the index is (routing.Engine.Finished chooses).
//
// On SQLite the bodies are tested in Go by MessageMatcher, which tokenizes
// as messages_fts does: FTS5 cannot test one message against a prefix query
// without reading the query's whole match. On PostgreSQL each message is
// tested with the expression of messages_fts, word for word, on the rows the
// conversation index finds.
func (db *DB) ConversationsWithMessage(ctx context.Context, accountID int64, ids []int64, typed string) (map[int64]bool, error) {
	hit := map[int64]bool{}
	var matcher *MessageMatcher
	if db.Engine == SQLite {
		if matcher = NewMessageMatcher(typed); matcher == nil {
			return hit, nil
		}
	} else if db.MessageMatch(typed) == "" {
		return hit, nil
	}
	for len(ids) > 0 {
		n := min(len(ids), withMessageBatch)
		if err := db.conversationsWithMessage(ctx, accountID, ids[:n], typed, matcher, hit); err != nil {
			return nil, fmt.Errorf("conversations with a message matching %q: %w", typed, err)
		}
		ids = ids[n:]
	}
	return hit, nil
}

func (db *DB) conversationsWithMessage(ctx context.Context, accountID int64, ids []int64, typed string, matcher *MessageMatcher, hit map[int64]bool) error {
	// +account_id keeps SQLite on the conversation index.
	in, args := idList(accountID, ids)
	where := `m.conversation_id IN (` + in + `) AND +m.account_id = $1 AND m.direction <> 'system'`
	if db.Engine == Postgres {
		args = append(args, db.MessageMatch(typed))
		rows, err := db.Read().db.QueryContext(ctx, `SELECT DISTINCT m.conversation_id FROM messages m WHERE `+where+`
  AND to_tsvector('portuguese'::regconfig, atende_search_text(m.body))
      @@ plainto_tsquery('portuguese'::regconfig, atende_search_text($`+strconv.Itoa(len(args))+`))`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			hit[id] = true
		}
		return rows.Err()
	}
	rows, err := db.Read().db.QueryContext(ctx, `SELECT m.conversation_id, m.body FROM messages m WHERE `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return err
		}
		if !hit[id] && matcher.Match(body) {
			hit[id] = true
		}
	}
	return rows.Err()
}

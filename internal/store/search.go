package store

import (
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

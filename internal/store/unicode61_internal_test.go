package store

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"go/format"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var updateUnicode61 = flag.Bool("update-unicode61", false, "rewrite unicode61_tables.go from this SQLite's FTS5 tokenizer")

// fts5Probe is an FTS5 table tokenizing as messages_fts does, to ask the
// real tokenizer how it splits texts.
type fts5Probe struct {
	t  testing.TB
	db *sql.DB
}

func newFTS5Probe(t testing.TB) *fts5Probe {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/probe.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, s := range []string{
		`CREATE VIRTUAL TABLE probe USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, instance)`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return &fts5Probe{t: t, db: db}
}

// tokens returns FTS5's tokens of each text. Texts go in as bytes cast to
// TEXT, so that invalid UTF-8 reaches the tokenizer unchanged.
func (p *fts5Probe) tokens(texts []string) [][]string {
	p.t.Helper()
	if _, err := p.db.Exec(`DELETE FROM probe`); err != nil {
		p.t.Fatal(err)
	}
	tx, err := p.db.Begin()
	if err != nil {
		p.t.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO probe (rowid, body) VALUES ($1, CAST($2 AS TEXT))`)
	if err != nil {
		p.t.Fatal(err)
	}
	for i, s := range texts {
		if _, err := st.Exec(i, []byte(s)); err != nil {
			p.t.Fatalf("insert %q: %v", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		p.t.Fatal(err)
	}
	out := make([][]string, len(texts))
	rows, err := p.db.Query(`SELECT doc, CAST(term AS BLOB) FROM probe_terms ORDER BY doc, offset`)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc int
		var term []byte
		if err := rows.Scan(&doc, &term); err != nil {
			p.t.Fatal(err)
		}
		out[doc] = append(out[doc], string(term))
	}
	if err := rows.Err(); err != nil {
		p.t.Fatal(err)
	}
	return out
}

func goTokens(text string) []string {
	buf, ends := unicode61Tokens(text, nil, nil)
	var out []string
	start := 0
	for _, end := range ends {
		out = append(out, string(buf[start:end]))
		start = end
	}
	return out
}

// codePointTexts puts c inside a token and at the start of one: the two
// places where the tokenizer treats a character differently.
func codePointTexts(c rune) []string {
	return []string{"x" + string(c) + "y", "x " + string(c) + "y"}
}

// The Go tokenizer splits and folds every code point as FTS5 does: all of
// the Basic Multilingual Plane and of the planes where SQLite's tables
// have separators (1 and 14), one in 61 elsewhere.
func TestUnicode61AgreesWithFTS5OnEveryCodePoint(t *testing.T) {
	p := newFTS5Probe(t)
	var cps []rune
	for c := rune(0); c <= utf8.MaxRune; c++ {
		if c >= 0xd800 && c <= 0xdfff {
			continue
		}
		plane := c >> 16
		if plane == 0 || plane == 1 || plane == 14 || c%61 == 0 {
			cps = append(cps, c)
		}
	}
	// A text per 256 code points, each in both places: FTS5 takes far
	// longer over many small rows than over fewer long ones.
	var texts []string
	var firsts []rune
	for batch := range slices.Chunk(cps, 256) {
		var b strings.Builder
		for _, c := range batch {
			for _, s := range codePointTexts(c) {
				b.WriteString(s + " ")
			}
		}
		texts, firsts = append(texts, b.String()), append(firsts, batch[0])
	}
	want := p.tokens(texts)
	bad := 0
	for i, text := range texts {
		if got := goTokens(text); !slices.Equal(got, want[i]) {
			j := 0
			for j < min(len(got), len(want[i])) && got[j] == want[i][j] {
				j++
			}
			t.Errorf("from U+%04X on: Go and FTS5 tokenize alike up to token %d, then Go has %q, FTS5 %q", firsts[i], j,
				got[j:min(j+3, len(got))], want[i][j:min(j+3, len(want[i]))])
			if bad++; bad > 20 {
				t.FailNow()
			}
		}
	}
}

// Invalid UTF-8 (a message body is not checked) reads the same too.
func TestUnicode61AgreesWithFTS5OnInvalidUTF8(t *testing.T) {
	texts := []string{"a\xaab", "a\xc3b", "a\xc3\xa9\xa9b", "a\xf4\x90\x80\x80b", "a\xf7\xbf\xbf\xbfb", "a\xfb\xbf\xbf\xbf\xbfb",
		"a\xfd\xbf\xbf\xbf\xbf\xbfb", "a\xc0\x80b", "a\xed\xa0\x80b", "a\xef\xbf\xbeb", "a\xe0\x80\xa9b", "a\xff\x80b", "a\xfe\x80\x80b",
		"a\xfd\xbf\xbf\xbf\xbf\xbf\xbf\xbf\xbfb", "a\xc3\xa9\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80b", "\xcc\x81ab", "\x80", "\xc3", "É\xcc"}
	alphabet := []byte{'a', 'B', ' ', '0', 0x80, 0x81, 0xa9, 0xbf, 0xc3, 0xcc, 0xc0, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf7, 0xfb, 0xfd, 0xfe, 0xff}
	r := rand.New(rand.NewPCG(61, 0))
	for range 5000 {
		b := make([]byte, 1+r.IntN(16))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		texts = append(texts, string(b))
	}
	want := newFTS5Probe(t).tokens(texts)
	for i, text := range texts {
		if got := goTokens(text); !slices.Equal(got, want[i]) {
			t.Errorf("%q tokenizes as %q in Go, %q in FTS5", text, got, want[i])
		}
	}
}

// The tokenizer the tables were read from is the one messages_fts uses.
func TestUnicode61IsMessagesFTSTokenizer(t *testing.T) {
	db, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ddl string
	if err := db.SQLRead().QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'messages_fts'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "tokenize = 'unicode61 remove_diacritics 2'") {
		t.Fatalf("messages_fts is no longer tokenized as MessageMatcher assumes: %s", ddl)
	}
}

// TestUnicode61Tables rewrites unicode61_tables.go with -update-unicode61:
// what the tokenizer does with each code point, inside a token and at its
// start.
func TestUnicode61Tables(t *testing.T) {
	if !*updateUnicode61 {
		t.Skip("rewrites unicode61_tables.go with -update-unicode61")
	}
	p := newFTS5Probe(t)
	var seps [][2]rune
	var diacritics []rune
	folds := map[rune]rune{}
	var cps []rune
	for c := rune(0x80); c <= utf8.MaxRune; c++ {
		if c < 0xd800 || c > 0xdfff {
			cps = append(cps, c)
		}
	}
	for batch := range slices.Chunk(cps, 100_000) {
		var texts []string
		for _, c := range batch {
			texts = append(texts, codePointTexts(c)...)
		}
		toks := p.tokens(texts)
		for i, c := range batch {
			inside, start := toks[2*i], toks[2*i+1]
			switch {
			case slices.Equal(inside, []string{"x", "y"}) && slices.Equal(start, []string{"x", "y"}):
				if n := len(seps); n > 0 && seps[n-1][1] == c-1 {
					seps[n-1][1] = c
				} else {
					seps = append(seps, [2]rune{c, c})
				}
			case slices.Equal(inside, []string{"xy"}) && slices.Equal(start, []string{"x", "y"}):
				diacritics = append(diacritics, c)
			case len(inside) == 1 && len(start) == 2 && "x"+start[1] == inside[0] && strings.HasSuffix(inside[0], "y"):
				f, size := utf8.DecodeRuneInString(inside[0][1:])
				if size != len(inside[0])-2 || f == utf8.RuneError {
					t.Fatalf("U+%04X folds to %q, not one character", c, inside[0])
				}
				if f != c {
					folds[c] = f
				}
			default:
				t.Fatalf("U+%04X: %q inside a token, %q at its start: not a tokenizer this code knows", c, inside, start)
			}
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go test ./internal/store -run TestUnicode61Tables -update-unicode61; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package store\n\n// FTS5's unicode61 tokenizer with remove_diacritics 2, as read from SQLite %s (see unicode61.go).\n\n", sqliteVersion(t, p.db))
	fmt.Fprintf(&b, "// unicode61Separators are the code points beyond ASCII that separate tokens, as sorted ranges.\nvar unicode61Separators = [...][2]rune{\n")
	for _, r := range seps {
		fmt.Fprintf(&b, "{0x%04X, 0x%04X},\n", r[0], r[1])
	}
	fmt.Fprintf(&b, "}\n\n// unicode61Diacritics continue a token and are dropped from it; before a token they are skipped.\nvar unicode61Diacritics = map[rune]struct{}{\n")
	for _, c := range diacritics {
		fmt.Fprintf(&b, "0x%04X: {},\n", c)
	}
	fmt.Fprintf(&b, "}\n\n// unicode61Folds are the token characters beyond ASCII that the tokenizer changes: to lower case, without accents.\nvar unicode61Folds = map[rune]rune{\n")
	keys := make([]rune, 0, len(folds))
	for c := range folds {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	for _, c := range keys {
		fmt.Fprintf(&b, "0x%04X: 0x%04X,\n", c, folds[c])
	}
	fmt.Fprintf(&b, "}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("unicode61_tables.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sqliteVersion(t *testing.T, db *sql.DB) string {
	var v string
	if err := db.QueryRow(`SELECT sqlite_version()`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// matches says whether FTS5 finds body for typed, through a table
// tokenizing as messages_fts does.
func (p *fts5Probe) matches(body, typed string) bool {
	p.t.Helper()
	p.tokens([]string{body})
	var n int
	if err := p.db.QueryRow(`SELECT count(*) FROM probe($1)`, messageMatch(SQLite, typed)).Scan(&n); err != nil {
		p.t.Fatalf("search %q for %q: %v", body, typed, err)
	}
	return n > 0
}

// Whatever the body and the words, MessageMatcher and FTS5 agree.
func FuzzMessageMatcherAgreesWithFTS5(f *testing.F) {
	for _, s := range [][2]string{
		{"Preciso de uma INFORMAÇÃO sobre a entrega", "informacao entreg"}, {"Pedidos", "pedid"}, {"ok🤣ok", "ok"},
		{"a\u0305b", "a\u0305b"}, {"ᦰ tai", "ᦰ tai"}, {"x\xc3\xa9\xa9y", "x"}, {"Straße", "strasse"}, {"ǅemal", "ǆ"},
	} {
		f.Add(s[0], s[1])
	}
	p := newFTS5Probe(f)
	f.Fuzz(func(t *testing.T, body, typed string) {
		if len(typed) > MaxSearchBytes {
			return
		}
		m := NewMessageMatcher(typed)
		if m == nil {
			return
		}
		probe := &fts5Probe{t: t, db: p.db}
		if got, want := m.Match(body), probe.matches(body, typed); got != want {
			t.Fatalf("body %q, search %q (match %s): Go says %v, FTS5 %v", body, typed, messageMatch(SQLite, typed), got, want)
		}
	})
}

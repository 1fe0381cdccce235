package store

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// What someone types becomes words, never query syntax.
func TestSearchWordsKeepOnlyLettersAndDigits(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"", nil},
		{"   \t\n", nil},
		{`"*()^:-+`, nil},
		{"\u0301", nil}, // a lone combining accent is no word
		{"pedido", []string{"pedido"}},
		{"  Informação   sobre o PEDIDO 123 ", []string{"Informação", "sobre", "o", "PEDIDO", "123"}},
		{"informac\u0327a\u0303o", []string{"informação"}}, // decomposed accents are put back on their letters
		{`"pedido*" NEAR(entrega, 2) OR body:boleto`, []string{"pedido", "NEAR", "entrega", "2", "OR", "body", "boleto"}},
		{"e-mail joão@acme.com.br", []string{"e", "mail", "joão", "acme", "com", "br"}},
		{"nº 12/2026", []string{"nº", "12", "2026"}},
		{"日本語 テキスト", []string{"日本語", "テキスト"}},
		{"it's", []string{"it", "s"}},
	} {
		if got := searchWords(tc.typed); !slices.Equal(got, tc.want) {
			t.Errorf("searchWords(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}

// The FTS5 query quotes every word, ANDs them, and lets words of three
// letters or more match as prefixes; PostgreSQL gets the plain words.
func TestMessageMatchPerEngine(t *testing.T) {
	for _, tc := range []struct {
		typed, sqlite, postgres string
	}{
		{"", "", ""},
		{" \" * ( ", "", ""},
		{"pedido", `"pedido"*`, "pedido"},
		{"de pedido", `"de" AND "pedido"*`, "de pedido"},
		{"Informação sobre o PEDIDO", `"Informação"* AND "sobre"* AND "o" AND "PEDIDO"*`, "Informação sobre o PEDIDO"},
		{`"pedido" OR NOT NEAR(x`, `"pedido"* AND "OR" AND "NOT"* AND "NEAR"* AND "x"`, "pedido OR NOT NEAR x"},
	} {
		if got := messageMatch(SQLite, tc.typed); got != tc.sqlite {
			t.Errorf("SQLite match for %q = %s, want %s", tc.typed, got, tc.sqlite)
		}
		if got := messageMatch(Postgres, tc.typed); got != tc.postgres {
			t.Errorf("PostgreSQL match for %q = %s, want %s", tc.typed, got, tc.postgres)
		}
	}
}

// Whatever is typed, the FTS5 query is a sequence of quoted strings joined
// by AND, each perhaps followed by *, and the PostgreSQL words hold letters,
// digits and accents only. (The store conformance test runs such queries on
// both engines; this checks the shape on many more inputs.)
func FuzzMessageMatchShape(f *testing.F) {
	for _, s := range []string{"pedido", `"`, `""`, "*", "NEAR(", `a" OR "b`, "body:x", "\x00", "\xff\xfe", "a\u0301", "-x ^y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		lite, pg := messageMatch(SQLite, typed), messageMatch(Postgres, typed)
		if (lite == "") != (pg == "") {
			t.Fatalf("%q: SQLite %q, PostgreSQL %q", typed, lite, pg)
		}
		if lite == "" {
			for _, r := range typed {
				if unicode.IsLetter(r) || unicode.IsDigit(r) {
					t.Fatalf("%q has a letter or digit but no match", typed)
				}
			}
			return
		}
		for _, term := range strings.Split(lite, " AND ") {
			term = strings.TrimSuffix(term, "*")
			if len(term) < 3 || term[0] != '"' || term[len(term)-1] != '"' || strings.Contains(term[1:len(term)-1], `"`) {
				t.Fatalf("%q: FTS5 term %s is not one quoted string", typed, term)
			}
		}
		for _, r := range pg {
			if !(r == ' ' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) {
				t.Fatalf("%q: PostgreSQL words %q hold %q", typed, pg, r)
			}
		}
	})
}

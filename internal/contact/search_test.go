package contact

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"João", "joao"},
		{"CONCEIÇÃO", "conceicao"},
		{"  Ana   Lúcia\tMüller ", "ana lucia muller"},
		{"Straße Ørsted", "strasse orsted"},
		{"ana@acme.test", "ana@acme.test"},
	} {
		if got := fold(tc.in); got != tc.want {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSearchTerms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"João", []string{"joao"}},
		{"(11) 98765-4321", []string{"5511987654321", "11987654321", "(11) 98765-4321"}},
		{"11 8765-4321", []string{"5511987654321", "1187654321", "11 8765-4321"}},
		{"529.982.247-25", []string{"52998224725", "529.982.247-25"}},
		{"12.ABC.345/01DE-35", []string{"12abc34501de35", "12.abc.345/01de-35"}},
		{"8765-4321", []string{"87654321", "8765-4321"}},
		{"", []string{}},
	} {
		if got := searchTerms(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("searchTerms(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if n := len(searchTerms(tc.in)); n > maxTerms {
			t.Errorf("searchTerms(%q) has %d terms, more than %d", tc.in, n, maxTerms)
		}
	}
}

func TestLikePattern(t *testing.T) {
	if got := likePattern(`50%_off\`); got != `%50\%\_off\\%` {
		t.Errorf("likePattern = %q", got)
	}
}

package contact

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// fold lower-cases s, takes the accents off ("João" → "joao", "Conceição" →
// "conceicao") and collapses runs of white space into one space: the form
// both the stored search text and the query are compared in.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if t, ok := foldTable[r]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// foldTable covers the Latin letters that carry no combining mark once
// decomposed.
var foldTable = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o",
	'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l", 'ı': "i", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th",
}

// searchSeparator joins the fields of the search text, so a query cannot
// match across two of them.
const searchSeparator = "\n"

// searchText is what contacts.search_text holds: the folded name, trade
// name, e-mails, the digits of each phone in E.164 (which contain the
// national forms, so "11987654321" and "987654321" match as substrings) and
// the document.
func searchText(name, tradeName, document string, emails, phones []string) string {
	parts := []string{fold(name)}
	if tradeName != "" {
		parts = append(parts, fold(tradeName))
	}
	for _, e := range emails {
		parts = append(parts, fold(e))
	}
	for _, p := range phones {
		parts = append(parts, phoneDigits(p))
	}
	if document != "" {
		parts = append(parts, strings.ToLower(document))
	}
	return strings.Join(parts, searchSeparator)
}

// searchTerms turns what someone typed into the search box into up to
// maxTerms strings to look for in the search text (any may match): the
// folded text; the E.164 digits when it reads as a phone; the normalised
// document when it reads as a CPF/CNPJ; and, when it is only digits and
// punctuation, the bare digits (part of a phone or document:
// "987.654", "8765-4321").
func searchTerms(query string) []string {
	terms := []string{}
	add := func(t string) {
		if t == "" {
			return
		}
		for _, have := range terms {
			if have == t {
				return
			}
		}
		terms = append(terms, t)
	}
	if e164, err := NormalizePhone(query); err == nil {
		add(phoneDigits(e164))
	}
	if doc, _, err := NormalizeDocument(query); err == nil {
		add(strings.ToLower(doc))
	}
	if digits, ok := numeric(query); ok {
		add(digits)
	}
	add(fold(strings.TrimSpace(query)))
	return terms
}

const maxTerms = 4

// numeric returns the digits of s when s is digits and the punctuation of
// phones and documents only.
func numeric(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" +()-./\u00a0", r):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// likePattern makes term a LIKE pattern matching it anywhere, with LIKE's
// wildcards escaped (the queries say ESCAPE '\').
func likePattern(term string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(term) + "%"
}

// SearchTextPattern is a LIKE pattern (ESCAPE '\') for contacts whose search
// text contains query — their name, trade name, e-mail, phone or document —
// ignoring case and accents; "" when query is blank.
func SearchTextPattern(query string) string {
	t := fold(strings.TrimSpace(query))
	if t == "" {
		return ""
	}
	return likePattern(t)
}

// PhonePattern is a LIKE pattern (ESCAPE '\') for stored phone and WhatsApp
// identities (E.164) that contain what was typed: a whole number in any
// form ("(11) 98765-4321", with or without the ninth digit) or part of one
// ("8765-4321"). It is "" when query holds no digits.
func PhonePattern(query string) string {
	if e164, err := NormalizePhone(query); err == nil {
		return likePattern(e164)
	}
	var b strings.Builder
	for _, r := range query {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return likePattern(b.String())
}

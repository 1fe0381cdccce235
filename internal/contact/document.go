package contact

import (
	"errors"
	"fmt"
	"strings"
)

// Document kinds.
const (
	CPF  = "cpf"  // Cadastro de Pessoas Físicas: people, 11 digits
	CNPJ = "cnpj" // Cadastro Nacional da Pessoa Jurídica: companies, 14 characters
)

// ErrDocument is wrapped by every error NormalizeDocument returns.
var ErrDocument = errors.New("invalid CPF/CNPJ")

type documentError struct {
	raw    string
	reason string
}

func (e *documentError) Error() string {
	return fmt.Sprintf("%q is not a valid CPF or CNPJ: %s", e.raw, e.reason)
}

func (e *documentError) Unwrap() error { return ErrDocument }

// NormalizeDocument reads a CPF or a CNPJ as people write it — with or
// without the dots, slash, dash and spaces ("123.456.789-09",
// "11.222.333/0001-81") — and returns it bare and upper-cased with its kind,
// CPF or CNPJ, after checking its check digits.
//
// CNPJs may be alphanumeric, as the Receita Federal introduced: twelve
// characters 0–9/A–Z and two numeric check digits ("12.ABC.345/01DE-35"),
// each character worth its ASCII code minus 48. Numeric CNPJs are the special
// case where all twelve are digits. Numbers made of one repeated character
// (111.111.111-11) pass the arithmetic but are refused.
func NormalizeDocument(raw string) (normalized, kind string, err error) {
	shown := raw
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	fail := func(reason string) (string, string, error) {
		return "", "", &documentError{raw: shown, reason: reason}
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == '.' || r == '/' || r == '-' || r == ' ' || r == '\u00a0':
		default:
			return fail("unexpected character " + fmt.Sprintf("%q", r))
		}
		if b.Len() > 14 {
			return fail("too long (a CPF has 11 digits, a CNPJ 14 characters)")
		}
	}
	s := b.String()
	switch len(s) {
	case 11:
		if !allDigits(s) {
			return fail("a CPF has digits only")
		}
		if repeated(s) {
			return fail("a CPF cannot repeat one digit")
		}
		if !validCPF(s) {
			return fail("wrong check digits")
		}
		return s, CPF, nil
	case 14:
		if !allDigits(s[12:]) {
			return fail("a CNPJ ends with two numeric check digits")
		}
		if repeated(s) {
			return fail("a CNPJ cannot repeat one character")
		}
		if !validCNPJ(s) {
			return fail("wrong check digits")
		}
		return s, CNPJ, nil
	case 0:
		return fail("it is empty")
	}
	return fail("a CPF has 11 digits, a CNPJ 14 characters")
}

// documentKind tells the kind of an already normalised document.
func documentKind(doc string) string {
	switch len(doc) {
	case 11:
		return CPF
	case 14:
		return CNPJ
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func repeated(s string) bool { return strings.Count(s, s[:1]) == len(s) }

// mod11 is the check digit both documents use: the weighted sum of the
// values, 0 when its remainder by 11 is below 2, else 11 minus it.
func mod11(vals []int, weights []int) int {
	sum := 0
	for i, w := range weights {
		sum += vals[i] * w
	}
	if r := sum % 11; r >= 2 {
		return 11 - r
	}
	return 0
}

var (
	cpfWeights1  = []int{10, 9, 8, 7, 6, 5, 4, 3, 2}
	cpfWeights2  = []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2}
	cnpjWeights1 = []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	cnpjWeights2 = []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
)

// values are the characters' worth: ASCII code minus 48, so '0'–'9' are
// 0–9 and 'A'–'Z' are 17–42.
func values(s string) []int {
	v := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		v[i] = int(s[i]) - '0'
	}
	return v
}

func validCPF(s string) bool {
	v := values(s)
	return mod11(v, cpfWeights1) == v[9] && mod11(v, cpfWeights2) == v[10]
}

func validCNPJ(s string) bool {
	v := values(s)
	return mod11(v, cnpjWeights1) == v[12] && mod11(v, cnpjWeights2) == v[13]
}

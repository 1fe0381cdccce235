package contact

import (
	"errors"
	"testing"
)

// completeCPF and completeCNPJ compute the check digits of a base number the
// way the Receita Federal describes, independently of validCPF/validCNPJ.
func completeCPF(base string) string {
	d := func(s string) byte {
		sum := 0
		for i := 0; i < len(s); i++ {
			sum += int(s[i]-'0') * (len(s) + 1 - i)
		}
		if r := sum % 11; r >= 2 {
			return byte('0' + 11 - r)
		}
		return '0'
	}
	s := base + string(d(base))
	return s + string(d(s))
}

func completeCNPJ(base string) string {
	d := func(s string) byte {
		sum := 0
		w := 2
		for i := len(s) - 1; i >= 0; i-- { // weights 2..9 from the right, repeating
			sum += (int(s[i]) - 48) * w
			if w++; w > 9 {
				w = 2
			}
		}
		if r := sum % 11; r >= 2 {
			return byte('0' + 11 - r)
		}
		return '0'
	}
	s := base + string(d(base))
	return s + string(d(s))
}

func TestNormalizeDocument(t *testing.T) {
	for _, tc := range []struct{ in, want, kind string }{
		{"529.982.247-25", "52998224725", CPF},
		{"52998224725", "52998224725", CPF},
		{" 529 982 247 25 ", "52998224725", CPF},
		{"111.444.777-35", "11144477735", CPF},
		{completeCPF("123456789"), "12345678909", CPF},
		{"11.222.333/0001-81", "11222333000181", CNPJ},
		{"11222333000181", "11222333000181", CNPJ},
		{"33.000.167/0001-01", "33000167000101", CNPJ}, // Petrobras
		// The alphanumeric CNPJ (Receita Federal's example).
		{"12.ABC.345/01DE-35", "12ABC34501DE35", CNPJ},
		{"12.abc.345/01de-35", "12ABC34501DE35", CNPJ},
		{"12ABC34501DE35", "12ABC34501DE35", CNPJ},
		{completeCNPJ("A1B2C3D4E5F6"), completeCNPJ("A1B2C3D4E5F6"), CNPJ},
		{completeCNPJ("ZZZZZZZZ0001"), completeCNPJ("ZZZZZZZZ0001"), CNPJ},
	} {
		got, kind, err := NormalizeDocument(tc.in)
		if err != nil || got != tc.want || kind != tc.kind {
			t.Errorf("NormalizeDocument(%q) = %q, %q, %v; want %q, %q", tc.in, got, kind, err, tc.want, tc.kind)
		}
	}
	if got := completeCNPJ("12ABC34501DE"); got != "12ABC34501DE35" {
		t.Errorf("reference algorithm gives %s for the Receita's example", got)
	}
	if got := completeCNPJ("112223330001"); got != "11222333000181" {
		t.Errorf("reference algorithm gives %s for 11.222.333/0001-81", got)
	}
}

func TestNormalizeDocumentRefuses(t *testing.T) {
	for _, in := range []string{
		"",
		"529.982.247-24", // wrong second check digit
		"529.982.247-15", // wrong first check digit
		"111.111.111-11", // one repeated digit, arithmetically valid
		"000.000.000-00",
		"11.222.333/0001-80", // wrong check digit
		"11.111.111/1111-11",
		"00000000000000",
		"12.ABC.345/01DE-36",
		"12.ABC.345/01DE-3A", // check digits are numeric
		"5299822472A",        // a CPF has digits only
		"1234567890",         // 10 characters
		"123456789012",       // 12 characters
		"123456789012345",    // 15 characters
		"12.ABÇ.345/01DE-35", // not A–Z
		"529_982_247_25",
		"529.982.247-25; DROP TABLE contacts",
	} {
		got, kind, err := NormalizeDocument(in)
		if err == nil {
			t.Errorf("NormalizeDocument(%q) = %q, %q; want an error", in, got, kind)
			continue
		}
		if !errors.Is(err, ErrDocument) {
			t.Errorf("NormalizeDocument(%q) error %v does not wrap ErrDocument", in, err)
		}
	}
}

func TestDocumentCheckDigitsAgree(t *testing.T) {
	// Every base completed by the reference algorithm validates, and every
	// other pair of check digits does not.
	bases := []string{"000000001", "123456789", "987654321", "529982247", "100000000"}
	for _, b := range bases {
		good := completeCPF(b)
		for d := 0; d < 100; d++ {
			s := b + string(rune('0'+d/10)) + string(rune('0'+d%10))
			if _, _, err := NormalizeDocument(s); (err == nil) != (s == good) {
				t.Errorf("CPF %s: err = %v, valid is %s", s, err, good)
			}
		}
	}
	for _, b := range []string{"112223330001", "12ABC34501DE", "AAAAAAAA0001", "0000000000Z1", "9Z8Y7X6W5V4U"} {
		good := completeCNPJ(b)
		for d := 0; d < 100; d++ {
			s := b + string(rune('0'+d/10)) + string(rune('0'+d%10))
			if _, _, err := NormalizeDocument(s); (err == nil) != (s == good) {
				t.Errorf("CNPJ %s: err = %v, valid is %s", s, err, good)
			}
		}
	}
}

package contact

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		// The ninth digit: the old 8-digit mobile and the 9-digit one are one line.
		{"mobile with ninth digit", "+55 11 98765-4321", "+5511987654321"},
		{"mobile without ninth digit", "+55 11 8765-4321", "+5511987654321"},
		{"mobile without ninth digit, national", "(11) 8765-4321", "+5511987654321"},
		{"mobile without ninth digit, starting with 6", "+55 21 6543-2109", "+5521965432109"},
		{"mobile without ninth digit, starting with 7", "(61) 7123-4567", "+5561971234567"},
		{"national with parentheses", "(11) 98765-4321", "+5511987654321"},
		{"national with trunk zero", "011 98765 4321", "+5511987654321"},
		{"national with carrier code", "0 15 11 98765-4321", "+5511987654321"},
		{"national digits only", "11987654321", "+5511987654321"},
		{"national with dots", "11.98765.4321", "+5511987654321"},
		{"area code 55 is national", "(55) 9876-5432", "+5555998765432"},
		{"wa_id with ninth digit", "5511987654321", "+5511987654321"},
		{"wa_id without ninth digit", "551187654321", "+5511987654321"},
		{"country code without plus", "55 11 98765-4321", "+5511987654321"},
		{"landline", "(11) 3456-7890", "+551134567890"},
		{"landline starting with 2", "+55 21 2345-6789", "+552123456789"},
		{"landline starting with 5", "+55 11 5555-1234", "+551155551234"},
		{"landline digits only", "1134567890", "+551134567890"},
		{"toll free", "0800 123 4567", "+558001234567"},
		{"foreign US", "+1 415 555 2671", "+14155552671"},
		{"foreign UK", "+44 20 7946 0958", "+442079460958"},
		{"foreign Portugal mobile", "+351 912 345 678", "+351912345678"},
		{"foreign with parentheses", "(+351) 912 345 678", "+351912345678"},
		{"spaces around", "  +55 11 98765-4321\t", "+5511987654321"},
	} {
		got, err := NormalizePhone(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s: NormalizePhone(%q) = %q, %v; want %q", tc.name, tc.in, got, err, tc.want)
		}
		// Canonical forms are fixed points.
		if again, err := NormalizePhone(got); err == nil && again != got {
			t.Errorf("%s: NormalizePhone(%q) = %q, not a fixed point", tc.name, got, again)
		}
	}
}

func TestNormalizePhoneRefusesGarbage(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"abc",
		"11 9876-ABCD",
		"1-800-FLOWERS",
		"+55 11 98765-4321 ramal 12",
		"123",
		"98765-4321",          // no area code
		"11 2345-678",         // too short for a landline
		"+55 11 1234-5678",    // subscriber numbers do not start with 1
		"+55 00 98765-4321",   // no area code 00
		"+999 1234567",        // no such country
		"12345678901",         // not Brazilian; foreign numbers need +
		"14155552671",         // a US number without '+' is not taken as one
		"+55 11 98765-4321+1", // '+' in the middle
		"++55 11 98765-4321",  // two '+'
		"5511987654321234567", // far too many digits
		"<script>alert(1)</script>",
		"+55 11 98765-4321; DROP TABLE contacts",
	} {
		got, err := NormalizePhone(in)
		if err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want an error", in, got)
			continue
		}
		if !errors.Is(err, ErrPhone) {
			t.Errorf("NormalizePhone(%q) error %v does not wrap ErrPhone", in, err)
		}
	}
}

func TestNormalizeWhatsApp(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"5511987654321", "+5511987654321"},
		{"551187654321", "+5511987654321"},
		{"14155552671", "+14155552671"},
		{"447911123456", "+447911123456"},
		{"+55 11 98765-4321", "+5511987654321"},
	} {
		got, err := normalizeWhatsApp(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("normalizeWhatsApp(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if got, err := normalizeWhatsApp("99999"); err == nil {
		t.Errorf("normalizeWhatsApp(99999) = %q, want an error", got)
	}
}

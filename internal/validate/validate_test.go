package validate

import (
	"errors"
	"testing"
)

func TestEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Ana@Acme.Test", "ana@acme.test", true},
		{"  ana@acme.test ", "ana@acme.test", true},
		{"ana.souza+vendas@empresa.com.br", "ana.souza+vendas@empresa.com.br", true},
		{"", "", false},
		{"ana", "", false},
		{"ana@localhost", "", false},
		{"Ana <ana@acme.test>", "", false},
		{"ana@acme.test, bob@acme.test", "", false},
	} {
		got, err := Email("email", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Email(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		var ve *Error
		if err != nil && (!errors.As(err, &ve) || ve.Field != "email") {
			t.Errorf("Email(%q) error %v does not name the field", tc.in, err)
		}
	}
}

func TestName(t *testing.T) {
	if got, err := Name("name", "  João da Silva ", 10); err == nil {
		t.Errorf("over-long name accepted: %q", got)
	}
	if got, err := Name("name", "  João ", 10); err != nil || got != "João" {
		t.Errorf("Name = %q, %v", got, err)
	}
	if _, err := Name("name", "a\nb", 10); err == nil {
		t.Error("control character accepted")
	}
	if _, err := Name("name", "   ", 10); err == nil {
		t.Error("blank name accepted")
	}
}

func TestPassword(t *testing.T) {
	if Password("password", "1234567") == nil {
		t.Error("7-character password accepted")
	}
	if err := Password("password", "senhaçã1"); err != nil {
		t.Errorf("8-character password refused: %v", err)
	}
	long := make([]byte, 257)
	for i := range long {
		long[i] = 'a'
	}
	if Password("password", string(long)) == nil {
		t.Error("257-byte password accepted")
	}
}

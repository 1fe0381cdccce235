// Package validate checks what people type: names, e-mail addresses,
// passwords. Its Error names the field so a form can point at it.
package validate

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Error is input that breaks a rule. The API answers it with 422 and the
// field's name.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// Errorf returns an *Error for field.
func Errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Name trims a display name and checks it is between 1 and max characters.
func Name(field, value string, max int) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", Errorf(field, "is required")
	}
	if utf8.RuneCountInString(v) > max {
		return "", Errorf(field, "must be at most %d characters", max)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", Errorf(field, "must not contain control characters")
	}
	return v, nil
}

// Email returns the address lower-cased and trimmed, or an error when it is
// not a bare address ("Ana <ana@x>" is refused: only the address is stored).
func Email(field, value string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(value))
	if v == "" {
		return "", Errorf(field, "is required")
	}
	if len(v) > 254 {
		return "", Errorf(field, "must be at most 254 characters")
	}
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Address != v || addr.Name != "" || !strings.Contains(v[strings.LastIndex(v, "@")+1:], ".") {
		return "", Errorf(field, "is not a valid e-mail address")
	}
	return v, nil
}

// Password checks length only: at least 8 characters, as NIST SP 800-63B
// advises, and at most 256 bytes so hashing cannot be made expensive.
func Password(field, value string) error {
	if utf8.RuneCountInString(value) < 8 {
		return Errorf(field, "must be at least 8 characters")
	}
	if len(value) > 256 {
		return Errorf(field, "must be at most 256 bytes")
	}
	return nil
}

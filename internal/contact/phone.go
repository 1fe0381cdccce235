package contact

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds what NormalizePhone looks at: no real number written
// with its punctuation comes near it.
const maxPhoneInput = 40

// ErrPhone is wrapped by every error NormalizePhone returns.
var ErrPhone = errors.New("invalid phone number")

type phoneError struct {
	raw    string
	reason string
}

func (e *phoneError) Error() string {
	return fmt.Sprintf("%q is not a valid phone number: %s", e.raw, e.reason)
}

func (e *phoneError) Unwrap() error { return ErrPhone }

func phoneErr(raw, reason string) error {
	if len(raw) > maxPhoneInput {
		raw = raw[:maxPhoneInput] + "…"
	}
	return &phoneError{raw: raw, reason: reason}
}

// NormalizePhone returns raw in E.164 (+5511987654321), reading numbers
// without a country code as Brazilian.
//
// It accepts what people and providers write: national forms with or
// without the trunk 0 ("(11) 98765-4321", "011 98765 4321", "11987654321"),
// international forms ("+55 11 98765-4321", "+351 912 345 678") and
// WhatsApp wa_ids, which are international numbers without the '+'
// ("5511987654321"; only Brazilian ones are recognised without the '+'; use
// normalizeWhatsApp for wa_ids of any country).
//
// Brazil's ninth digit: a mobile written the old way, with an 8-digit
// subscriber number starting with 6–9 ("+55 11 8765-4321"), is the same line
// as the 9-digit one, and the canonical form always has the 9
// ("+5511987654321"). Landlines (subscriber numbers starting with 2–5) stay
// as they are.
//
// Letters, extensions and numbers that are not valid for their country are
// refused with an error wrapping ErrPhone.
func NormalizePhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", phoneErr(raw, "it is empty")
	}
	if len(s) > maxPhoneInput {
		return "", phoneErr(raw, "it is too long")
	}
	var digits strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+':
			if plus || digits.Len() > 0 || strings.TrimLeft(s[:i], " (") != "" {
				return "", phoneErr(raw, "'+' may only start the number")
			}
			plus = true
		case r == ' ' || r == '(' || r == ')' || r == '-' || r == '.' || r == '/' || r == '\u00a0':
		default:
			return "", phoneErr(raw, "only digits, spaces and ( ) - . / are allowed")
		}
	}
	d := digits.String()
	if len(d) < 8 {
		return "", phoneErr(raw, "too few digits")
	}
	if len(d) > 17 {
		return "", phoneErr(raw, "too many digits")
	}
	// A Brazilian wa_id (or a number written with its country code but no
	// '+'): national numbers have at most 11 digits without the trunk 0, so
	// 12 or 13 digits starting with 55 can only be international.
	if !plus && (len(d) == 12 || len(d) == 13) && strings.HasPrefix(d, "55") {
		plus = true
	}
	if plus {
		d = "+" + d
	}
	num, err := phonenumbers.Parse(d, "BR")
	if err != nil {
		if plus {
			return "", phoneErr(raw, "unknown country code")
		}
		return "", phoneErr(raw, "not a Brazilian number; write foreign numbers with + and the country code")
	}
	if num.GetCountryCode() == 55 {
		nsn := ninthDigit(phonenumbers.GetNationalSignificantNumber(num))
		if num, err = phonenumbers.Parse("+55"+nsn, "BR"); err != nil {
			return "", phoneErr(raw, "not a Brazilian number")
		}
	}
	if !phonenumbers.IsValidNumber(num) {
		if num.GetCountryCode() == 55 {
			if !plus {
				return "", phoneErr(raw, "not a valid Brazilian number (area code and number, or + and the country code for foreign numbers)")
			}
			return "", phoneErr(raw, "not a valid Brazilian number")
		}
		return "", phoneErr(raw, "not a valid number for country code +"+strconv.Itoa(int(num.GetCountryCode())))
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// ninthDigit puts the ninth digit in a Brazilian national significant number
// written the old way: area code (two digits, 1–9 each) and an 8-digit
// mobile number starting with 6–9.
func ninthDigit(nsn string) string {
	if len(nsn) == 10 && isDDD(nsn[:2]) && nsn[2] >= '6' && nsn[2] <= '9' {
		return nsn[:2] + "9" + nsn[2:]
	}
	return nsn
}

func isDDD(s string) bool {
	return len(s) == 2 && s[0] >= '1' && s[0] <= '9' && s[1] >= '1' && s[1] <= '9'
}

// normalizeWhatsApp turns a WhatsApp wa_id (the international number without
// the '+': "5511987654321", "14155552671") into E.164. Values written with
// a '+' are read as phones.
func normalizeWhatsApp(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s != "" && !strings.HasPrefix(s, "+") && strings.Trim(s, "0123456789") == "" {
		s = "+" + s
	}
	return NormalizePhone(s)
}

// phoneDigits are the digits of an E.164 number: what the search text keeps.
// They contain the national forms too ("11987654321", "987654321"), so a
// search for any of them matches by substring.
func phoneDigits(e164 string) string { return strings.TrimPrefix(e164, "+") }

package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Identity kinds: how a contact is recognised on each channel.
const (
	KindEmail     = "email"
	KindPhone     = "phone"
	KindWhatsApp  = "whatsapp"  // the wa_id, stored in E.164 ("+5511987654321")
	KindTelegram  = "telegram"  // the Telegram user id
	KindMessenger = "messenger" // the page-scoped id (PSID)
	KindInstagram = "instagram" // the Instagram-scoped id (IGSID)
	KindVisitor   = "visitor"   // the website widget's visitor id
)

// Kinds lists every identity kind.
var Kinds = []string{KindEmail, KindPhone, KindWhatsApp, KindTelegram, KindMessenger, KindInstagram, KindVisitor}

// IsChannelKind reports whether an identity of kind belongs to one contact
// per account (everything but e-mail and phone, which several contacts may
// share: a family's phone, a company's mailbox).
func IsChannelKind(kind string) bool {
	return kind != KindEmail && kind != KindPhone && slices.Contains(Kinds, kind)
}

// Identity is one way of reaching a contact.
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

const maxIdentityValue = 255

// normalizeIdentity checks an identity and returns it in the form it is
// stored in: e-mails lower-cased, phones and WhatsApp ids in E.164, channel
// ids trimmed. Errors name field.
func normalizeIdentity(field string, id Identity) (Identity, error) {
	kind := strings.ToLower(strings.TrimSpace(id.Kind))
	switch kind {
	case KindEmail:
		v, err := validate.Email(field, id.Value)
		if err != nil {
			return Identity{}, validate.Errorf(field, "%q is not a valid e-mail address", clip(id.Value))
		}
		return Identity{Kind: kind, Value: v}, nil
	case KindPhone:
		v, err := NormalizePhone(id.Value)
		if err != nil {
			return Identity{}, validate.Errorf(field, "%v", err)
		}
		return Identity{Kind: kind, Value: v}, nil
	case KindWhatsApp:
		v, err := normalizeWhatsApp(id.Value)
		if err != nil {
			return Identity{}, validate.Errorf(field, "WhatsApp: %v", err)
		}
		return Identity{Kind: kind, Value: v}, nil
	case KindTelegram, KindMessenger, KindInstagram, KindVisitor:
		v := strings.TrimSpace(id.Value)
		switch {
		case v == "":
			return Identity{}, validate.Errorf(field, "%s id is required", kind)
		case len(v) > maxIdentityValue:
			return Identity{}, validate.Errorf(field, "%s id must be at most %d bytes", kind, maxIdentityValue)
		case !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			return Identity{}, validate.Errorf(field, "%s id must not contain spaces or control characters", kind)
		}
		return Identity{Kind: kind, Value: v}, nil
	}
	return Identity{}, validate.Errorf(field, "unknown kind %q (want one of %s)", clip(id.Kind), strings.Join(Kinds, ", "))
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// identityTaken is the error for a channel identity another contact owns.
func identityTaken(id Identity, owner int64) error {
	return fmt.Errorf("%w: %w", store.ErrConflict,
		validate.Errorf("identities", "%s %s already belongs to another contact (%d)", id.Kind, id.Value, owner))
}

// addIdentity gives contactID an identity. Having it already is harmless; a
// channel identity another contact owns is store.ErrConflict wrapping a
// *validate.Error on "identities".
func addIdentity(ctx context.Context, q *store.Queries, now time.Time, accountID, contactID int64, id Identity) error {
	_, err := q.IdentityInsert(ctx, store.IdentityInsertParams{
		AccountID: accountID, ContactID: contactID, Kind: id.Kind, Value: id.Value, CreatedAt: now,
	})
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !IsChannelKind(id.Kind) {
		return nil // the contact has it already
	}
	owner, err := q.IdentityOwner(ctx, store.IdentityOwnerParams{AccountID: accountID, Kind: id.Kind, Value: id.Value})
	if err != nil {
		return fmt.Errorf("owner of %s %s: %w", id.Kind, id.Value, err)
	}
	if owner == contactID {
		return nil
	}
	return identityTaken(id, owner)
}

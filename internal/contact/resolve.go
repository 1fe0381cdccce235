package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Profile is what a channel tells about the sender of an inbound message: a
// display name, and an e-mail or phone when it knows them. It fills a
// contact Resolve creates; values that do not parse are left out rather
// than failing the message.
type Profile struct {
	Name  string
	Email string
	Phone string
}

// clean sanitises a profile that came from outside.
func (p Profile) clean() Profile {
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(p.Name, ""))
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > MaxName {
		name = string([]rune(name)[:MaxName])
	}
	out := Profile{Name: name}
	if e, err := validate.Email("email", p.Email); err == nil {
		out.Email = e
	}
	if ph, err := NormalizePhone(p.Phone); err == nil {
		out.Phone = ph
	}
	return out
}

// Resolve finds or creates the contact behind an inbound message, inside the
// caller's transaction (q). It takes no principal: the caller is a channel
// adapter that has verified the message and knows its account.
//
// For channel kinds (whatsapp, telegram, messenger, instagram, visitor) the
// contact is the one owning the identity; otherwise a new contact is created
// with it, named after the profile (or the identity) and given the
// profile's e-mail and phone. WhatsApp ids may be wa_ids ("5511987654321")
// and are stored in E.164; the contact gets the phone identity too. Two
// transactions resolving the same new identity at once end with one contact:
// the loser's insert of the identity returns nothing (ON CONFLICT DO
// NOTHING; on PostgreSQL it waits for the winner to commit), so it deletes
// the contact it had just created and answers the winner's.
//
// For email and phone (the e-mail channel, SMS, voice), several contacts may
// share the value: the contact is used only when exactly one live contact
// has it; none or several create a new contact. Creation is serialised per
// account, so two first messages from one address make one contact.
//
// The contact found is row-locked until the transaction ends, so a merge
// cannot move its conversations away while the caller opens one.
func Resolve(ctx context.Context, q *store.Queries, now time.Time, accountID int64, id Identity, profile Profile) (contactID int64, created bool, err error) {
	id, err = normalizeIdentity("identity", id)
	if err != nil {
		return 0, false, err
	}
	prof := profile.clean()
	if IsChannelKind(id.Kind) {
		return resolveChannel(ctx, q, now, accountID, id, prof)
	}
	return resolveShared(ctx, q, now, accountID, id, prof)
}

func resolveChannel(ctx context.Context, q *store.Queries, now time.Time, accountID int64, id Identity, prof Profile) (int64, bool, error) {
	if owner, ok, err := ownerOf(ctx, q, accountID, id); err != nil || ok {
		return owner, false, err
	}
	c, err := createBare(ctx, q, now, accountID, id, prof)
	if err != nil {
		return 0, false, err
	}
	_, err = q.IdentityInsert(ctx, store.IdentityInsertParams{AccountID: accountID, ContactID: c.ID, Kind: id.Kind, Value: id.Value, CreatedAt: now})
	if errors.Is(err, sql.ErrNoRows) {
		// Another transaction created it first: ours goes, theirs answers.
		if err := q.ContactDelete(ctx, store.ContactDeleteParams{AccountID: accountID, ID: c.ID}); err != nil {
			return 0, false, fmt.Errorf("drop duplicate contact %d: %w", c.ID, err)
		}
		owner, ok, err := ownerOf(ctx, q, accountID, id)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			return 0, false, fmt.Errorf("%s %s: conflicting identity vanished; retry", id.Kind, id.Value)
		}
		return owner, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("add %s identity: %w", id.Kind, err)
	}
	if err := fillNew(ctx, q, now, c, id, prof); err != nil {
		return 0, false, err
	}
	return c.ID, true, nil
}

func resolveShared(ctx context.Context, q *store.Queries, now time.Time, accountID int64, id Identity, prof Profile) (int64, bool, error) {
	if c, ok, err := soleHolder(ctx, q, accountID, id, 0); err != nil || ok {
		return c, false, err
	}
	// No unique index guards e-mails and phones: serialise creation within
	// the account and look again, now that earlier creators have committed.
	if err := q.ContactLockAccount(ctx, accountID); err != nil {
		return 0, false, fmt.Errorf("lock account %d: %w", accountID, err)
	}
	if c, ok, err := soleHolder(ctx, q, accountID, id, 0); err != nil || ok {
		return c, false, err
	}
	c, err := createBare(ctx, q, now, accountID, id, prof)
	if err != nil {
		return 0, false, err
	}
	if err := addIdentity(ctx, q, now, accountID, c.ID, id); err != nil {
		return 0, false, err
	}
	if err := fillNew(ctx, q, now, c, id, prof); err != nil {
		return 0, false, err
	}
	return c.ID, true, nil
}

// ownerOf returns the live, locked contact owning a channel identity.
func ownerOf(ctx context.Context, q *store.Queries, accountID int64, id Identity) (int64, bool, error) {
	// Every message from a channel asks, and the owner was almost never
	// merged: one statement finds and locks it then.
	if owner, err := q.LockIdentityOwner(ctx, store.LockIdentityOwnerParams{AccountID: accountID, Kind: id.Kind, Value: id.Value}); err == nil {
		return owner, true, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("owner of %s %s: %w", id.Kind, id.Value, err)
	}
	for range maxMergeHops {
		owner, err := q.IdentityOwner(ctx, store.IdentityOwnerParams{AccountID: accountID, Kind: id.Kind, Value: id.Value})
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("owner of %s %s: %w", id.Kind, id.Value, err)
		}
		n, err := q.ContactLock(ctx, store.ContactLockParams{AccountID: accountID, ID: owner})
		if err != nil {
			return 0, false, fmt.Errorf("lock contact %d: %w", owner, err)
		}
		if n == 1 {
			return owner, true, nil
		}
		// Merged meanwhile: its identities moved to the kept contact.
	}
	return 0, false, fmt.Errorf("owner of %s %s keeps changing; retry", id.Kind, id.Value)
}

// soleHolder returns the live contact, other than except, that has an
// e-mail or phone, when exactly one has it; the contact is locked.
func soleHolder(ctx context.Context, q *store.Queries, accountID int64, id Identity, except int64) (int64, bool, error) {
	ids, err := q.IdentityContacts(ctx, store.IdentityContactsParams{AccountID: accountID, Kind: id.Kind, Value: id.Value, ExceptID: except})
	if err != nil {
		return 0, false, fmt.Errorf("contacts with %s %s: %w", id.Kind, id.Value, err)
	}
	if len(ids) != 1 {
		return 0, false, nil
	}
	c, err := lockLive(ctx, q, accountID, ids[0])
	if err != nil {
		return 0, false, err
	}
	return c.ID, true, nil
}

// createBare inserts a contact for a new identity, named after the profile
// or, failing that, the identity.
func createBare(ctx context.Context, q *store.Queries, now time.Time, accountID int64, id Identity, prof Profile) (store.Contact, error) {
	name := prof.Name
	if name == "" {
		name = id.Value
	}
	c, err := q.ContactCreate(ctx, store.ContactCreateParams{
		AccountID: accountID, Name: name, CustomFields: "{}", SearchText: searchText(name, "", "", nil, nil), CreatedAt: now,
	})
	if err != nil {
		return c, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// fillNew gives a contact just created for id the e-mail and phone it comes
// with (a WhatsApp id is a phone), then its search text.
func fillNew(ctx context.Context, q *store.Queries, now time.Time, c store.Contact, id Identity, prof Profile) error {
	extra := []Identity{}
	if id.Kind == KindWhatsApp {
		extra = append(extra, Identity{Kind: KindPhone, Value: id.Value})
	}
	if prof.Email != "" {
		extra = append(extra, Identity{Kind: KindEmail, Value: prof.Email})
	}
	if prof.Phone != "" {
		extra = append(extra, Identity{Kind: KindPhone, Value: prof.Phone})
	}
	for _, e := range extra {
		if err := addIdentity(ctx, q, now, c.AccountID, c.ID, e); err != nil {
			return err
		}
	}
	return save(ctx, q, now, c)
}

// Identify is for the website widget's pre-chat form, which gave an e-mail
// for the visitor contactID, inside the caller's transaction. When exactly
// one other live contact has that e-mail the visitor is merged into it —
// identities, conversations and bindings move, as Merge does — and its id
// is returned; the visitor's id then answers that contact. Otherwise (no
// such contact, several, or both with an open conversation on the same
// channel) the e-mail is added to contactID and contactID is returned.
//
// The e-mail is not verified: the widget must not show the visitor anything
// of the contact it was merged into (earlier conversations, for instance).
func Identify(ctx context.Context, q *store.Queries, now time.Time, accountID, contactID int64, email string) (int64, error) {
	id, err := normalizeIdentity("email", Identity{Kind: KindEmail, Value: email})
	if err != nil {
		return 0, err
	}
	visitor, err := lockLive(ctx, q, accountID, contactID)
	if err != nil {
		return 0, err
	}
	other, ok, err := soleHolder(ctx, q, accountID, id, visitor.ID)
	if err != nil {
		return 0, err
	}
	if ok && other != visitor.ID {
		keep, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: accountID, ID: other})
		if err != nil {
			return 0, fmt.Errorf("contact %d: %w", other, err)
		}
		err = mergeInto(ctx, q, now, keep, visitor)
		if err == nil {
			return keep.ID, nil
		}
		if !errors.Is(err, errMergeClash) {
			return 0, err
		}
		// Cannot merge now: keep the visitor and give it the e-mail.
	}
	if err := addIdentity(ctx, q, now, accountID, visitor.ID, id); err != nil {
		return 0, err
	}
	if err := save(ctx, q, now, visitor); err != nil {
		return 0, err
	}
	return visitor.ID, nil
}

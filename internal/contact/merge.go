package contact

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Merge folds contact mergeID into keepID in one transaction and returns the
// kept contact. Every identity, e-mail and phone moves over (exact
// duplicates dropped), and so do conversations and bindings (where both are
// bound in the same department, keepID's binding stays). Notes are
// appended; custom fields, trade name and document fill what keepID lacks;
// a name that is only an identity gives way to a real one. The merged
// contact is marked merged_into_id = keepID: it leaves Search, and its id
// answers the kept contact from then on (see the package comment).
//
// When both have an unfinished conversation on the same channel the merge
// is refused with a *validate.Error on "merge": a contact has at most one
// open conversation per channel, so one must be closed first. A contact of
// another account is store.ErrNotFound.
func (s *Service) Merge(ctx context.Context, p auth.Principal, keepID, mergeID int64) (Contact, error) {
	if keepID == mergeID {
		return Contact{}, validate.Errorf("merge", "a contact cannot be merged into itself")
	}
	var out Contact
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		// Lock in id order, so two merges of the same pair cannot deadlock.
		first, second := min(keepID, mergeID), max(keepID, mergeID)
		a, err := lockLive(ctx, q, p.AccountID, first)
		if err != nil {
			return err
		}
		b, err := lockLive(ctx, q, p.AccountID, second)
		if err != nil {
			return err
		}
		keep, merge := a, b
		if first != keepID {
			keep, merge = b, a
		}
		if keep.ID == merge.ID {
			return validate.Errorf("merge", "contact %d is already merged into contact %d", mergeID, keep.ID)
		}
		if err := mergeInto(ctx, q, s.clock.Now(), keep, merge); err != nil {
			return err
		}
		out, err = load(ctx, q, p.AccountID, keep.ID)
		return err
	})
	return out, err
}

// errMergeClash is wrapped by the *validate.Error of a refused merge.
var errMergeClash = errors.New("open conversations on the same channel")

// mergeInto moves everything of merge onto keep; both are live and locked.
// It writes nothing before deciding whether the merge can happen, so a
// caller may carry on with its transaction after an errMergeClash.
func mergeInto(ctx context.Context, q *store.Queries, now time.Time, keep, merge store.Contact) error {
	acc := keep.AccountID
	clashes, err := q.ContactOpenConversationClashes(ctx, store.ContactOpenConversationClashesParams{
		AccountID: acc, MergeID: merge.ID, KeepID: keep.ID,
	})
	if err != nil {
		return fmt.Errorf("open conversations of contacts %d and %d: %w", keep.ID, merge.ID, err)
	}
	if len(clashes) > 0 {
		names := make([]string, len(clashes))
		for i, c := range clashes {
			names[i] = fmt.Sprintf("%q (channel %d)", c.ChannelName, c.ChannelID)
		}
		return fmt.Errorf("%w: %w", errMergeClash, validate.Errorf("merge",
			"both contacts have an open conversation on %s; close one of them before merging", strings.Join(names, ", ")))
	}
	keepC, err := load(ctx, q, acc, keep.ID)
	if err != nil {
		return err
	}
	mergeC, err := load(ctx, q, acc, merge.ID)
	if err != nil {
		return err
	}
	merged := mergeFields(keepC, mergeC)

	if err := q.IdentityMoveAll(ctx, store.IdentityMoveAllParams{KeepID: keep.ID, AccountID: acc, MergeID: merge.ID}); err != nil {
		return fmt.Errorf("move identities: %w", err)
	}
	if err := q.IdentityDeleteAll(ctx, store.IdentityDeleteAllParams{AccountID: acc, ContactID: merge.ID}); err != nil {
		return fmt.Errorf("drop duplicate identities: %w", err)
	}
	if _, err := q.ContactMoveConversations(ctx, store.ContactMoveConversationsParams{KeepID: keep.ID, AccountID: acc, MergeID: merge.ID}); err != nil {
		if errors.Is(store.Translate(err), store.ErrConflict) {
			// A conversation opened between the check and the move.
			return fmt.Errorf("%w: %w", store.ErrConflict, validate.Errorf("merge",
				"both contacts now have an open conversation on the same channel; close one of them before merging"))
		}
		return fmt.Errorf("move conversations: %w", err)
	}
	if err := q.ContactMoveBindings(ctx, store.ContactMoveBindingsParams{KeepID: keep.ID, AccountID: acc, MergeID: merge.ID}); err != nil {
		return fmt.Errorf("move bindings: %w", err)
	}
	if err := q.ContactDeleteBindings(ctx, store.ContactDeleteBindingsParams{AccountID: acc, ContactID: merge.ID}); err != nil {
		return fmt.Errorf("drop duplicate bindings: %w", err)
	}
	if err := q.ContactRepointMerged(ctx, store.ContactRepointMergedParams{
		KeepID: store.NullID(keep.ID), AccountID: acc, MergeID: store.NullID(merge.ID),
	}); err != nil {
		return fmt.Errorf("repoint merged contacts: %w", err)
	}
	n, err := q.ContactMarkMerged(ctx, store.ContactMarkMergedParams{
		KeepID: store.NullID(keep.ID), UpdatedAt: now, AccountID: acc, MergeID: merge.ID,
	})
	if err != nil {
		return fmt.Errorf("mark contact %d merged: %w", merge.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("contact %d: %w", merge.ID, store.ErrNotFound)
	}
	keep.Name, keep.TradeName, keep.Document, keep.Notes = merged.Name, merged.TradeName, merged.Document, merged.Notes
	keep.CustomFields = encodeFields(merged.CustomFields)
	return save(ctx, q, now, keep)
}

// Associate says, inside the caller's transaction, that conversation c's
// customer is contact keepID: the contact the conversation was opened for
// (a website visitor, a number nobody had named) is merged into keepID, as
// Merge does, so the conversation, its channel identity and the customer's
// next messages all belong to keepID. The caller has checked that it may
// act on c. keepID must be one of the account's contacts (a
// *validate.Error on "contact_id" otherwise).
func Associate(ctx context.Context, q *store.Queries, now time.Time, c store.Conversation, keepID int64) (Contact, error) {
	if keepID <= 0 {
		return Contact{}, validate.Errorf("contact_id", "is required")
	}
	mergeID := c.ContactID
	first, second := min(keepID, mergeID), max(keepID, mergeID)
	a, err := lockLive(ctx, q, c.AccountID, first)
	if err != nil {
		return Contact{}, associateMissing(err, first == keepID)
	}
	b, err := lockLive(ctx, q, c.AccountID, second)
	if err != nil {
		return Contact{}, associateMissing(err, second == keepID)
	}
	keep, merge := a, b
	if first != keepID {
		keep, merge = b, a
	}
	if keep.ID != merge.ID {
		if err := mergeInto(ctx, q, now, keep, merge); err != nil {
			return Contact{}, err
		}
	}
	return load(ctx, q, c.AccountID, keep.ID)
}

// associateMissing: a missing contact to associate with is a bad field, not
// a missing route.
func associateMissing(err error, isKeep bool) error {
	if isKeep && errors.Is(store.Translate(err), store.ErrNotFound) {
		return validate.Errorf("contact_id", "is not one of the account's contacts")
	}
	return err
}

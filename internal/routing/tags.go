package routing

import (
	"context"
	"fmt"
	"strings"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Tag labels a conversation; tagging twice is harmless. The assigned agent,
// the department's supervisors and administrators may tag.
func (e *Engine) Tag(ctx context.Context, p auth.Principal, conversationID int64, tag string) error {
	return e.changeTag(ctx, p, conversationID, tag, true)
}

// Untag removes a label from a conversation.
func (e *Engine) Untag(ctx context.Context, p auth.Principal, conversationID int64, tag string) error {
	return e.changeTag(ctx, p, conversationID, tag, false)
}

func (e *Engine) changeTag(ctx context.Context, p auth.Principal, id int64, tag string, add bool) error {
	tag, err := tagName(tag)
	if err != nil {
		return err
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, err := handled(ctx, q, p, id)
		if err != nil {
			return err
		}
		if add {
			// A new word joins the catalogue, so everything conversations
			// carry can be renamed or removed there.
			if err = q.EnsureTag(ctx, store.EnsureTagParams{AccountID: p.AccountID, Name: tag, CreatedAt: e.clock.Now()}); err != nil {
				return err
			}
			err = q.AddConversationTag(ctx, store.AddConversationTagParams{AccountID: p.AccountID, ConversationID: id, Tag: tag})
		} else {
			err = q.RemoveConversationTag(ctx, store.RemoveConversationTagParams{AccountID: p.AccountID, ConversationID: id, Tag: tag})
		}
		if err != nil {
			return err
		}
		fx.Publish(p.AccountID, Event{Kind: "conversation.updated", ConversationID: id, Status: c.Status})
		return nil
	})
}

// Tags lists the tags of a conversation the caller may see (MaySee).
func (e *Engine) Tags(ctx context.Context, p auth.Principal, conversationID int64) ([]string, error) {
	q := e.db.Read()
	if _, err := visible(ctx, q, p, conversationID); err != nil {
		return nil, err
	}
	return q.ListConversationTags(ctx, conversationID)
}

// MaxTagRunes is the longest tag.
const MaxTagRunes = 50

// tagName is a tag as stored: trimmed and lower-cased, so "VIP" and "vip"
// are one tag.
func tagName(typed string) (string, error) {
	return validate.Name("tag", strings.ToLower(typed), MaxTagRunes)
}

// TagCount is a tag of the account's catalogue and how many conversations
// carry it.
type TagCount struct {
	ID            int64  `json:"id"`
	Tag           string `json:"tag"`
	Conversations int64  `json:"conversations"`
}

// Tags in the catalogue: at most this many per lookup.
const MaxTagCatalogue = 500

// TagCatalogue lists the account's tags (starting with prefix, when
// given), with how many conversations carry each. Everybody in the account
// may read it, to pick tags consistently.
func (e *Engine) TagCatalogue(ctx context.Context, p auth.Principal, prefix string) ([]TagCount, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if len(prefix) > MaxTagRunes {
		return nil, validate.Errorf("q", "must be at most %d characters", MaxTagRunes)
	}
	pattern := ""
	if prefix != "" {
		pattern = escapeLike(prefix) + "%"
	}
	rows, err := e.db.Read().ListTags(ctx, store.ListTagsParams{AccountID: p.AccountID, Prefix: pattern, Max: MaxTagCatalogue})
	if err != nil {
		return nil, err
	}
	out := make([]TagCount, len(rows))
	for i, r := range rows {
		out[i] = TagCount{ID: r.ID, Tag: r.Name, Conversations: r.Conversations}
	}
	return out, nil
}

// CatalogueTag returns one tag of the catalogue.
func (e *Engine) CatalogueTag(ctx context.Context, p auth.Principal, id int64) (TagCount, error) {
	r, err := e.db.Read().GetTag(ctx, store.GetTagParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return TagCount{}, fmt.Errorf("tag %d: %w", id, store.Translate(err))
	}
	return TagCount{ID: r.ID, Tag: r.Name, Conversations: r.Conversations}, nil
}

// mayCurateTags: administrators and supervisors keep the catalogue. Tags
// are the account's shared vocabulary rather than a department's, and
// agents already add words to it by tagging; deciding what a tag is called
// or that it goes is for the people who read the reports.
func mayCurateTags(p auth.Principal) error {
	if p.IsAdmin() || p.Role == auth.Supervisor {
		return nil
	}
	return fmt.Errorf("%w: only administrators and supervisors manage tags", auth.ErrForbidden)
}

// CreateTag adds a tag to the catalogue; a name the account has already is
// refused on the field "tag".
func (e *Engine) CreateTag(ctx context.Context, p auth.Principal, name string) (TagCount, error) {
	if err := mayCurateTags(p); err != nil {
		return TagCount{}, err
	}
	name, err := tagName(name)
	if err != nil {
		return TagCount{}, err
	}
	var t store.Tag
	err = e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		if err := nameFree(ctx, q, p.AccountID, name); err != nil {
			return err
		}
		if t, err = q.CreateTag(ctx, store.CreateTagParams{AccountID: p.AccountID, Name: name, CreatedAt: e.clock.Now()}); err != nil {
			return err
		}
		fx.Publish(p.AccountID, Event{Kind: "tag.changed", TagID: t.ID, Status: "created"})
		return e.audit(ctx, q, p, "tag.create", "tag", t.ID, map[string]any{"tag": name})
	})
	if err != nil {
		return TagCount{}, err
	}
	return TagCount{ID: t.ID, Tag: t.Name}, nil
}

// RenameTag renames a tag, on every conversation that carries it too, in
// one transaction. Renaming it to a name the account has already is
// refused on the field "tag" (merging two tags is not a rename).
func (e *Engine) RenameTag(ctx context.Context, p auth.Principal, id int64, name string) (TagCount, error) {
	if err := mayCurateTags(p); err != nil {
		return TagCount{}, err
	}
	name, err := tagName(name)
	if err != nil {
		return TagCount{}, err
	}
	err = e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		t, err := q.GetTag(ctx, store.GetTagParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("tag %d: %w", id, err)
		}
		if t.Name == name {
			return nil
		}
		if err := nameFree(ctx, q, p.AccountID, name); err != nil {
			return err
		}
		if _, err := q.RenameTag(ctx, store.RenameTagParams{AccountID: p.AccountID, ID: id, Name: name}); err != nil {
			return err
		}
		n, err := q.RenameConversationTags(ctx, store.RenameConversationTagsParams{AccountID: p.AccountID, OldName: t.Name, NewName: name})
		if err != nil {
			return err
		}
		fx.Publish(p.AccountID, Event{Kind: "tag.changed", TagID: id, Status: "renamed"})
		return e.audit(ctx, q, p, "tag.rename", "tag", id, map[string]any{"from": t.Name, "to": name, "conversations": n})
	})
	if err != nil {
		return TagCount{}, err
	}
	return e.CatalogueTag(ctx, p, id)
}

// DeleteTag removes a tag from the catalogue and from every conversation
// that carries it, finished ones included: a removed tag no longer exists.
func (e *Engine) DeleteTag(ctx context.Context, p auth.Principal, id int64) error {
	if err := mayCurateTags(p); err != nil {
		return err
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		t, err := q.GetTag(ctx, store.GetTagParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return fmt.Errorf("tag %d: %w", id, err)
		}
		n, err := q.DeleteConversationTags(ctx, store.DeleteConversationTagsParams{AccountID: p.AccountID, Tag: t.Name})
		if err != nil {
			return err
		}
		if _, err := q.DeleteTag(ctx, store.DeleteTagParams{AccountID: p.AccountID, ID: id}); err != nil {
			return err
		}
		fx.Publish(p.AccountID, Event{Kind: "tag.changed", TagID: id, Status: "deleted"})
		return e.audit(ctx, q, p, "tag.delete", "tag", id, map[string]any{"tag": t.Name, "conversations": n})
	})
}

// nameFree refuses a name the account's catalogue has already. It answers
// a validation error rather than store.ErrConflict: the engine runs a
// transaction that hit a unique key again (it lost a race), and that run
// finds the name taken here.
func nameFree(ctx context.Context, q *store.Queries, accountID int64, name string) error {
	n, err := q.TagNameTaken(ctx, store.TagNameTakenParams{AccountID: accountID, Name: name})
	if err != nil {
		return err
	}
	if n > 0 {
		return validate.Errorf("tag", "the account has a tag %q already", name)
	}
	return nil
}

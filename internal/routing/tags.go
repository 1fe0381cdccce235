package routing

import (
	"context"
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
	tag, err := validate.Name("tag", strings.ToLower(tag), 50)
	if err != nil {
		return err
	}
	return e.Tx(ctx, func(q *store.Queries, fx *Effects) error {
		c, err := handled(ctx, q, p, id)
		if err != nil {
			return err
		}
		if add {
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

// TagCount is a tag of the account's catalogue and how many conversations
// carry it.
type TagCount struct {
	Tag           string `json:"tag"`
	Conversations int64  `json:"conversations"`
}

// Tags in use, for the catalogue: at most this many per lookup.
const MaxTagCatalogue = 500

// TagCatalogue lists the tags used in the account (starting with prefix,
// when given), with how many conversations carry each. Everybody in the
// account may read it, to pick tags consistently.
func (e *Engine) TagCatalogue(ctx context.Context, p auth.Principal, prefix string) ([]TagCount, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if len(prefix) > 50 {
		return nil, validate.Errorf("q", "must be at most 50 characters")
	}
	pattern := ""
	if prefix != "" {
		pattern = escapeLike(prefix) + "%"
	}
	rows, err := e.db.Read().ListTagCatalogue(ctx, store.ListTagCatalogueParams{AccountID: p.AccountID, Prefix: pattern, Max: MaxTagCatalogue})
	if err != nil {
		return nil, err
	}
	out := make([]TagCount, len(rows))
	for i, r := range rows {
		out[i] = TagCount{Tag: r.Tag, Conversations: r.Conversations}
	}
	return out, nil
}

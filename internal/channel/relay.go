package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
)

// RelayOptions tune retries.
type RelayOptions struct {
	// MaxAttempts before a message is marked failed.
	MaxAttempts int
	// BaseDelay is the first retry's delay; each retry doubles it, up to
	// MaxDelay, with full jitter.
	BaseDelay, MaxDelay time.Duration
	Log                 *slog.Logger
}

// DefaultRelayOptions: 8 attempts, 2 s doubling to 10 min.
var DefaultRelayOptions = RelayOptions{MaxAttempts: 8, BaseDelay: 2 * time.Second, MaxDelay: 10 * time.Minute}

// Relay sends outbox rows through their channel's adapter.
type Relay struct {
	db       *store.DB
	clock    clock.Clock
	engine   *routing.Engine    // its transactions record the status events
	adapters map[string]Adapter // by channel kind
	opts     RelayOptions
	log      *slog.Logger

	mu       sync.Mutex
	limiters map[int64]*rate.Limiter // by channel id
}

// NewRelay returns a Relay for the given adapters, keyed by channel kind.
func NewRelay(db *store.DB, clk clock.Clock, engine *routing.Engine, adapters map[string]Adapter, opts RelayOptions) *Relay {
	if opts.MaxAttempts == 0 {
		opts = DefaultRelayOptions
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{db: db, clock: clk, engine: engine, adapters: adapters, opts: opts, log: log, limiters: map[int64]*rate.Limiter{}}
}

// Queue writes an outbound message and its outbox row in the caller's
// transaction, so the message is sent if and only if it is stored, and asks
// fx to wake the relay once it commits.
func Queue(ctx context.Context, q *store.Queries, fx *routing.Effects, now time.Time, m conversation.NewMessage) (store.Message, error) {
	m.Direction = conversation.Out
	msg, err := conversation.Append(ctx, q, now, m)
	if err != nil {
		return msg, err
	}
	if m.ChannelID == 0 {
		return msg, nil // an in-person record has nobody to deliver to
	}
	err = q.CreateOutboxItem(ctx, store.CreateOutboxItemParams{AccountID: m.AccountID, MessageID: msg.ID, ChannelID: m.ChannelID, NextAttemptAt: now})
	fx.Outbound()
	return msg, err
}

// relayBatch is how many outbox rows one pass claims.
const relayBatch = 100

// RunOnce sends every outbox row due now and reports how many it handled.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	now := r.clock.Now()
	due, err := r.db.Read().ListDueOutbox(ctx, store.ListDueOutboxParams{NextAttemptAt: now, Limit: relayBatch})
	if err != nil {
		return 0, fmt.Errorf("list due outbox: %w", err)
	}
	handled := 0
	for _, item := range due {
		n, err := r.db.Write().ClaimOutboxItem(ctx, store.ClaimOutboxItemParams{ID: item.ID, Now: store.Null(now), Until: store.Null(now.Add(time.Minute))})
		if err != nil {
			return handled, err
		}
		if n == 0 {
			continue
		}
		if err := r.send(ctx, item); err != nil {
			return handled, err
		}
		handled++
	}
	return handled, nil
}

// Run relays until ctx ends, every interval and whenever wake is notified
// (routing.Options.Outbox: a reply was just queued on this node). A full
// batch is followed at once by the next, so a backlog drains without
// waiting for ticks.
func (r *Relay) Run(ctx context.Context, interval time.Duration, wake *clock.Signal) {
	clock.EveryOr(ctx, interval, wake, func(ctx context.Context) {
		for ctx.Err() == nil {
			n, err := r.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				r.log.Warn("outbox relay", "err", err)
			}
			if err != nil || n < relayBatch {
				return
			}
		}
	})
}

func (r *Relay) limiter(ch store.Channel) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limiters[ch.ID]
	if !ok {
		per := max(int(ch.RatePerS), 1)
		l = rate.NewLimiter(rate.Limit(per), per)
		r.limiters[ch.ID] = l
	}
	return l
}

func (r *Relay) send(ctx context.Context, item store.Outbox) error {
	q := r.db.Read()
	msg, err := q.GetMessageByID(ctx, item.MessageID)
	if err != nil {
		return fmt.Errorf("outbox %d: message %d: %w", item.ID, item.MessageID, err)
	}
	ch, err := q.GetChannelByID(ctx, item.ChannelID)
	if err != nil {
		return fmt.Errorf("outbox %d: channel %d: %w", item.ID, item.ChannelID, err)
	}
	conv, err := q.GetConversationByID(ctx, msg.ConversationID)
	if err != nil {
		return fmt.Errorf("outbox %d: conversation %d: %w", item.ID, msg.ConversationID, err)
	}
	adapter, ok := r.adapters[ch.Kind]
	if !ok {
		return r.finish(ctx, item, msg, "", Permanent(fmt.Errorf("no adapter for channel kind %q", ch.Kind)))
	}
	if err := r.limiter(ch).Wait(ctx); err != nil {
		return err
	}
	providerID, sendErr := adapter.Send(ctx, Outbound{MessageID: msg.ID, Channel: ch, Conversation: conv, Message: msg})
	return r.finish(ctx, item, msg, providerID, sendErr)
}

// finish records the outcome: the provider id and "sent", a retry after
// backoff, or "failed" with the provider's error.
func (r *Relay) finish(ctx context.Context, item store.Outbox, msg store.Message, providerID string, sendErr error) error {
	now := r.clock.Now()
	return r.engine.Tx(ctx, func(q *store.Queries, fx *routing.Effects) error {
		status := func(s string) {
			fx.Publish(msg.AccountID, routing.Event{Kind: "message.status", ConversationID: msg.ConversationID, MessageID: msg.ID, Status: s})
		}
		if sendErr == nil {
			if err := q.SetProviderMessageID(ctx, store.SetProviderMessageIDParams{ID: msg.ID, ProviderMessageID: store.NullString{String: providerID, Valid: providerID != ""}, UpdatedAt: now}); err != nil {
				return err
			}
			if moved, err := conversation.AdvanceStatus(ctx, q, now, msg.ID, conversation.Sent, ""); err != nil {
				return err
			} else if moved {
				status(conversation.Sent)
			}
			return q.FinishOutboxItem(ctx, store.FinishOutboxItemParams{ID: item.ID, DoneAt: store.Null(now)})
		}
		attempts := int(item.Attempts) + 1
		var perm permanentError
		if errors.As(sendErr, &perm) || attempts >= r.opts.MaxAttempts {
			r.log.Warn("outbound message failed", "message", msg.ID, "attempts", attempts, "err", sendErr)
			if moved, err := conversation.AdvanceStatus(ctx, q, now, msg.ID, conversation.Failed, sendErr.Error()); err != nil {
				return err
			} else if moved {
				status(conversation.Failed)
			}
			return q.FinishOutboxItem(ctx, store.FinishOutboxItemParams{ID: item.ID, DoneAt: store.Null(now), LastError: sendErr.Error()})
		}
		delay := Backoff(attempts, r.opts.BaseDelay, r.opts.MaxDelay)
		var limited *RateLimited
		if errors.As(sendErr, &limited) && limited.RetryAfter > delay {
			delay = limited.RetryAfter
		}
		return q.RetryOutboxItem(ctx, store.RetryOutboxItemParams{ID: item.ID, NextAttemptAt: now.Add(delay), LastError: sendErr.Error()})
	})
}

// Backoff is the delay before retry number attempt (1-based): exponential
// from base, capped at max, with "equal jitter" (a random half on top of
// half the delay) so retries of many messages spread out instead of
// arriving together, yet never come back at once.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base << min(attempt-1, 30)
	if d <= 0 || d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

package auth

import (
	"log/slog"
	"time"

	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/store"
)

// Limits are the sign-in and session rules.
type Limits struct {
	// SessionIdle ends a session unused for this long.
	SessionIdle time.Duration
	// FailureWindow is how long failed sign-ins are remembered.
	FailureWindow time.Duration
	// FailuresPerEmail and FailuresPerIP are how many failed sign-ins a
	// window allows for one e-mail and for one client address; the next
	// attempt is refused until the window ends.
	FailuresPerEmail int
	FailuresPerIP    int
}

// DefaultLimits: ten failures per e-mail and fifty per address in fifteen
// minutes (an office behind one address signs many people in); sessions end
// after a week unused.
var DefaultLimits = Limits{
	SessionIdle:      7 * 24 * time.Hour,
	FailureWindow:    15 * time.Minute,
	FailuresPerEmail: 10,
	FailuresPerIP:    50,
}

// Service signs people in and manages users and API tokens.
type Service struct {
	db     *store.DB
	clock  clock.Clock
	limits Limits
	log    *slog.Logger
}

// New returns a Service on db.
func New(db *store.DB, clk clock.Clock, limits Limits, log *slog.Logger) *Service {
	return &Service{db: db, clock: clk, limits: limits, log: log}
}

package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
	"github.com/atende/atende/internal/validate"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

// t0 is when every test starts; the fake clock moves only when told to.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// pw is everybody's password unless a test says otherwise.
const pw = "correct horse battery"

var (
	office = auth.Client{IP: "203.0.113.7", UserAgent: "Firefox"}
	home   = auth.Client{IP: "198.51.100.20", UserAgent: "Safari"}
)

type fixture struct {
	db    *store.DB
	clock *clock.Fake
	auth  *auth.Service
	deps  *department.Service
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	return newFixtureWithLimits(t, db, auth.DefaultLimits)
}

func newFixtureWithLimits(t *testing.T, db *store.DB, limits auth.Limits) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	return &fixture{
		db:    db,
		clock: clk,
		auth:  auth.New(db, clk, limits, slog.New(slog.DiscardHandler)),
		deps:  department.New(db, clk),
	}
}

// user creates a user with password pw in the account, creating the account
// when it is missing. The name is the e-mail's local part, capitalised.
func (f *fixture) user(t *testing.T, account, email string, role auth.Role) auth.User {
	t.Helper()
	local := email[:strings.Index(email, "@")]
	u, err := f.auth.CreateUserInAccount(context.Background(), account, auth.NewUser{
		Name: strings.ToUpper(local[:1]) + local[1:], Email: email, Role: string(role), Password: pw,
	})
	if err != nil {
		t.Fatalf("create user %s in %s: %v", email, account, err)
	}
	return u
}

// login signs in with pw and fails the test when it is refused.
func (f *fixture) login(t *testing.T, email string, c auth.Client) (auth.Session, auth.Principal) {
	t.Helper()
	return f.loginWith(t, email, pw, c)
}

func (f *fixture) loginWith(t *testing.T, email, password string, c auth.Client) (auth.Session, auth.Principal) {
	t.Helper()
	sess, p, err := f.auth.Login(context.Background(), email, password, c)
	if err != nil {
		t.Fatalf("login as %s: %v", email, err)
	}
	return sess, p
}

// as is the principal the API would build for u from a session or token;
// tests that are not about signing in use it to skip the slow password hash.
func as(u auth.User) auth.Principal {
	return auth.Principal{UserID: u.ID, AccountID: u.AccountID, Role: u.Role, Name: u.Name, Email: u.Email, IP: office.IP}
}

func ptr[T any](v T) *T { return &v }

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func wantField(t *testing.T, err error, field, what string) {
	t.Helper()
	var ve *validate.Error
	if !errors.As(err, &ve) {
		t.Fatalf("%s: err = %v, want a *validate.Error for %q", what, err, field)
	}
	if ve.Field != field {
		t.Fatalf("%s: error names field %q (%v), want %q", what, ve.Field, err, field)
	}
}

func wantThrottled(t *testing.T, err error, what string) *auth.ThrottledError {
	t.Helper()
	var te *auth.ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("%s: err = %v, want *auth.ThrottledError", what, err)
	}
	if te.RetryAfter <= 0 {
		t.Fatalf("%s: RetryAfter = %v, want > 0", what, te.RetryAfter)
	}
	return te
}

// wantUnauthenticated checks a refused sign-in is plain wrong credentials,
// not the throttle.
func wantUnauthenticated(t *testing.T, err error, what string) {
	t.Helper()
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		t.Fatalf("%s: throttled (%v), want ErrUnauthenticated", what, err)
	}
	wantErr(t, err, auth.ErrUnauthenticated, what)
}

func (f *fixture) sessionOK(t *testing.T, token string, what string) auth.Principal {
	t.Helper()
	p, err := f.auth.SessionPrincipal(context.Background(), token, office)
	if err != nil {
		t.Fatalf("%s: SessionPrincipal: %v", what, err)
	}
	return p
}

func (f *fixture) sessionGone(t *testing.T, token string, what string) {
	t.Helper()
	_, err := f.auth.SessionPrincipal(context.Background(), token, office)
	wantErr(t, err, auth.ErrUnauthenticated, what)
}

func actions(entries []audit.Logged) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Action
	}
	return out
}

// ---- Password hashing ----

func TestHashPasswordRoundTrip(t *testing.T) {
	hash, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.CheckPassword(hash, "correct horse"); err != nil || !ok {
		t.Fatalf("CheckPassword(right password) = %v, %v; want true, nil", ok, err)
	}
	for _, wrong := range []string{"correct horsE", "correct horse ", "", "correct"} {
		if ok, err := auth.CheckPassword(hash, wrong); err != nil || ok {
			t.Errorf("CheckPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
}

func TestHashPasswordIsPHCArgon2id(t *testing.T) {
	hash, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt, 16 bytes>$<key, 32 bytes>
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	m := phc.FindStringSubmatch(hash)
	if m == nil {
		t.Fatalf("hash %q is not a PHC argon2id string with a 16-byte salt and 32-byte key", hash)
	}
	memory, _ := strconv.Atoi(m[1])
	passes, _ := strconv.Atoi(m[2])
	lanes, _ := strconv.Atoi(m[3])
	// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
	if memory < 19*1024 || passes < 2 || lanes < 1 {
		t.Errorf("argon2id parameters m=%d,t=%d,p=%d are below OWASP's minimum m=19456,t=2,p=1", memory, passes, lanes)
	}
}

func TestHashPasswordSaltsEveryHash(t *testing.T) {
	a, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal (%q): no random salt", a)
	}
	if saltOf(a) == saltOf(b) {
		t.Fatalf("two hashes share the salt %q", saltOf(a))
	}
	for _, h := range []string{a, b} {
		if ok, err := auth.CheckPassword(h, "correct horse"); err != nil || !ok {
			t.Errorf("CheckPassword(%q) = %v, %v; want true", h, ok, err)
		}
	}
}

func saltOf(hash string) string {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		return hash
	}
	return parts[4]
}

func TestCheckPasswordRejectsMalformedHashes(t *testing.T) {
	good, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"",
		"correct horse",
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", // bcrypt
		strings.Replace(good, "$argon2id$", "$argon2i$", 1),
		strings.Replace(good, "$v=19$", "$v=16$", 1),
		good[:strings.LastIndex(good, "$")], // no key
	} {
		ok, err := auth.CheckPassword(bad, "correct horse")
		if err == nil || ok {
			t.Errorf("CheckPassword(%q) = %v, %v; want false and an error", bad, ok, err)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, s := range []string{"admin", "supervisor", "agent"} {
		if r, err := auth.ParseRole(s); err != nil || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "Admin", "owner", " agent"} {
		if _, err := auth.ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
}

// ---- Bootstrap ----

func TestCreateUserInAccountCreatesAccountOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if has, err := f.auth.HasUsers(ctx); err != nil || has {
			t.Fatalf("HasUsers on a fresh database = %v, %v; want false", has, err)
		}
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		if has, err := f.auth.HasUsers(ctx); err != nil || !has {
			t.Fatalf("HasUsers after creating a user = %v, %v; want true", has, err)
		}
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		bia := f.user(t, "Beta", "bia@beta.test", auth.Admin)
		if bruno.AccountID != ana.AccountID {
			t.Errorf("second user of Acme is in account %d, want Acme's %d", bruno.AccountID, ana.AccountID)
		}
		if bia.AccountID == ana.AccountID {
			t.Errorf("Beta's user landed in Acme's account %d", ana.AccountID)
		}
		if ana.Role != auth.Admin || bruno.Role != auth.Agent || !ana.CreatedAt.Equal(t0) {
			t.Errorf("users = %+v, %+v", ana, bruno)
		}
		me, err := f.auth.Me(ctx, as(bruno))
		if err != nil || me.Account.Name != "Acme" {
			t.Fatalf("Me(bruno) = %+v, %v; want account Acme", me, err)
		}
	})
}

func TestCreateUserInAccountValidates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		_, err := f.auth.CreateUserInAccount(ctx, "  ", auth.NewUser{Name: "Ana", Email: "ana@acme.test", Role: "admin", Password: pw})
		wantField(t, err, "account", "blank account name")
		_, err = f.auth.CreateUserInAccount(ctx, "Acme", auth.NewUser{Name: "Ana", Email: "ana", Role: "admin", Password: pw})
		wantField(t, err, "email", "bad e-mail")
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		_, err = f.auth.CreateUserInAccount(ctx, "Beta", auth.NewUser{Name: "Ana", Email: "ANA@acme.test", Role: "admin", Password: pw})
		wantErr(t, err, store.ErrConflict, "e-mail already used in another account")
	})
}

// ---- Sign-in and sessions ----

func TestLoginOpensSession(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)

		sess, p := f.login(t, "ana@acme.test", office)
		if sess.Token == "" {
			t.Fatal("empty session token")
		}
		if want := t0.Add(auth.DefaultLimits.SessionIdle); !sess.ExpiresAt.Equal(want) {
			t.Errorf("session expires at %v, want %v", sess.ExpiresAt, want)
		}
		if p.UserID != ana.ID || p.AccountID != ana.AccountID || p.Role != auth.Admin ||
			p.Name != "Ana" || p.Email != "ana@acme.test" || p.IP != office.IP || p.TokenID != 0 {
			t.Errorf("principal = %+v, want Ana, admin of account %d, from %s", p, ana.AccountID, office.IP)
		}
		if p.SessionHash == "" || p.SessionHash == sess.Token {
			t.Errorf("principal's SessionHash = %q; want the hash of the token, not the token", p.SessionHash)
		}

		got := f.sessionOK(t, sess.Token, "ana's session")
		if got.UserID != ana.ID || got.AccountID != ana.AccountID || got.Role != auth.Admin || got.SessionHash != p.SessionHash {
			t.Errorf("SessionPrincipal = %+v, want the principal of the sign-in %+v", got, p)
		}

		_, pb := f.login(t, "bruno@acme.test", home)
		if pb.UserID != bruno.ID || pb.Role != auth.Agent || pb.IP != home.IP {
			t.Errorf("bruno's principal = %+v", pb)
		}
	})
}

func TestLoginRejectsWrongPassword(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		sess, p, err := f.auth.Login(context.Background(), "ana@acme.test", "wrong password", office)
		wantUnauthenticated(t, err, "wrong password")
		if sess.Token != "" || p.UserID != 0 {
			t.Errorf("refused sign-in returned session %+v and principal %+v", sess, p)
		}
	})
}

func TestLoginRejectsUnknownEmail(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		_, _, err := f.auth.Login(context.Background(), "nobody@acme.test", pw, office)
		wantUnauthenticated(t, err, "unknown e-mail")
		_, _, err = f.auth.Login(context.Background(), "", pw, office)
		wantUnauthenticated(t, err, "empty e-mail")
	})
}

func TestLoginMatchesEmailCaseInsensitively(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ana := f.user(t, "Acme", "Ana@Acme.Test", auth.Admin)
		if ana.Email != "ana@acme.test" {
			t.Errorf("stored e-mail = %q, want it lower-cased", ana.Email)
		}
		for _, email := range []string{"ana@acme.test", "ANA@ACME.TEST", "  Ana@acme.Test "} {
			_, p := f.login(t, email, office)
			if p.UserID != ana.ID {
				t.Errorf("login as %q signed in user %d, want %d", email, p.UserID, ana.ID)
			}
		}
	})
}

func TestEachLoginGetsItsOwnToken(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		a, pa := f.login(t, "ana@acme.test", office)
		b, pb := f.login(t, "ana@acme.test", home)
		if a.Token == b.Token || pa.SessionHash == pb.SessionHash {
			t.Fatalf("two sign-ins share the token %q", a.Token)
		}
		f.sessionOK(t, a.Token, "first session")
		f.sessionOK(t, b.Token, "second session")
	})
}

func TestSessionPrincipalRejectsUnknownTokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		sess, _ := f.login(t, "ana@acme.test", office)
		_, secret, err := f.auth.CreateToken(context.Background(), as(ana), "ci", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"", "nonsense", sess.Token + "x", sess.Token[1:], secret} {
			f.sessionGone(t, tok, "session token "+strconv.Quote(tok))
		}
		// A session token is not an API token either.
		_, err = f.auth.TokenPrincipal(context.Background(), sess.Token, office)
		wantErr(t, err, auth.ErrUnauthenticated, "session token used as API token")
	})
}

func TestLogoutEndsOnlyThatSession(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		a, _ := f.login(t, "ana@acme.test", office)
		b, _ := f.login(t, "ana@acme.test", home)
		pa := f.sessionOK(t, a.Token, "before logout")
		if err := f.auth.Logout(context.Background(), pa); err != nil {
			t.Fatal(err)
		}
		f.sessionGone(t, a.Token, "after logout")
		f.sessionOK(t, b.Token, "the other session after logout")
	})
}

func TestSessionEndsAfterIdlePeriod(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		sess, _ := f.login(t, "ana@acme.test", office)
		f.clock.Advance(auth.DefaultLimits.SessionIdle + time.Second)
		f.sessionGone(t, sess.Token, "session unused for longer than SessionIdle")
	})
}

func TestSessionLastsWhileInUse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		sess, _ := f.login(t, "ana@acme.test", office)
		idle := auth.DefaultLimits.SessionIdle

		f.clock.Advance(idle - time.Hour)
		f.sessionOK(t, sess.Token, "an hour before the idle limit")
		// Used just now, so the idle period starts over.
		f.clock.Advance(idle - time.Hour)
		f.sessionOK(t, sess.Token, "well past the first idle limit, but used in between")
		f.clock.Advance(idle + time.Second)
		f.sessionGone(t, sess.Token, "unused for longer than SessionIdle after its last use")
	})
}

func TestSweepDeletesExpiredSessionsAndStaleCounters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		f.login(t, "ana@acme.test", office)
		f.login(t, "ana@acme.test", home)
		if _, _, err := f.auth.Login(ctx, "ghost@acme.test", "wrong password", home); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("unknown e-mail: %v", err)
		}
		f.clock.Advance(auth.DefaultLimits.SessionIdle + time.Second)
		fresh, _ := f.login(t, "ana@acme.test", office)

		if err := f.auth.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT count(*) FROM sessions"); n != 1 {
			t.Errorf("%d sessions after Sweep, want only the fresh one", n)
		}
		if n := count(t, db, "SELECT count(*) FROM login_throttle WHERE key = 'email:ghost@acme.test'"); n != 0 {
			t.Errorf("the stale sign-in counter of ghost@acme.test survived Sweep")
		}
		f.sessionOK(t, fresh.Token, "fresh session after Sweep")
	})
}

func count(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	read, _ := db.SQL()
	var n int
	if err := read.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// ---- Sign-in throttle ----

func TestLoginLocksAfterTenFailures(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		f.user(t, "Acme", "bruno@acme.test", auth.Agent)

		for i := 1; i <= 10; i++ {
			_, _, err := f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
			wantUnauthenticated(t, err, "failure "+strconv.Itoa(i))
		}
		f.clock.Advance(5 * time.Minute)
		_, _, err := f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
		te := wantThrottled(t, err, "11th attempt")
		if te.RetryAfter != 10*time.Minute {
			t.Errorf("RetryAfter = %v, want 10m (the window opened 5m ago and lasts 15m)", te.RetryAfter)
		}
		_, _, err = f.auth.Login(ctx, "ana@acme.test", pw, office)
		wantThrottled(t, err, "right password while throttled")
		_, _, err = f.auth.Login(ctx, "ANA@acme.test", pw, home)
		wantThrottled(t, err, "right password, other case and address, while throttled")

		// The throttle is per e-mail: colleagues still sign in from the same office.
		f.login(t, "bruno@acme.test", office)

		f.clock.Advance(10 * time.Minute)
		_, p := f.login(t, "ana@acme.test", office)
		if p.Email != "ana@acme.test" {
			t.Errorf("signed in as %q after the window", p.Email)
		}
	})
}

func TestLoginThrottleHoldsUnderParallelAttempts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)

		const attempts = 11
		errs := make([]error, attempts)
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
			}()
		}
		wg.Wait()
		var unauthenticated, throttled int
		for i, err := range errs {
			var te *auth.ThrottledError
			switch {
			case errors.As(err, &te):
				throttled++
			case errors.Is(err, auth.ErrUnauthenticated):
				unauthenticated++
			default:
				t.Errorf("attempt %d: unexpected error %v", i, err)
			}
		}
		if unauthenticated != 10 || throttled != 1 {
			t.Fatalf("%d parallel failures: %d ErrUnauthenticated and %d throttled, want 10 and 1", attempts, unauthenticated, throttled)
		}
		_, _, err := f.auth.Login(ctx, "ana@acme.test", pw, office)
		wantThrottled(t, err, "right password after the parallel failures")
	})
}

func TestSuccessfulLoginDoesNotCountAsFailure(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		for i := 1; i <= 9; i++ {
			_, _, err := f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
			wantUnauthenticated(t, err, "failure "+strconv.Itoa(i))
		}
		f.login(t, "ana@acme.test", office)
		_, _, err := f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
		wantUnauthenticated(t, err, "10th failure, after a success")
		_, _, err = f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
		wantThrottled(t, err, "11th failure")
	})
}

func TestLoginLocksClientAddressAfterItsLimit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		limits := auth.DefaultLimits
		limits.FailuresPerIP = 3
		f := newFixtureWithLimits(t, db, limits)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)

		for _, email := range []string{"x1@acme.test", "x2@acme.test", "ana@acme.test"} {
			_, _, err := f.auth.Login(ctx, email, "wrong password", office)
			wantUnauthenticated(t, err, "failure for "+email)
		}
		_, _, err := f.auth.Login(ctx, "x4@acme.test", "wrong password", office)
		wantThrottled(t, err, "4th failure from one address")
		_, _, err = f.auth.Login(ctx, "ana@acme.test", pw, office)
		te := wantThrottled(t, err, "right password from the throttled address")
		if te.RetryAfter != limits.FailureWindow {
			t.Errorf("RetryAfter = %v, want the whole window %v", te.RetryAfter, limits.FailureWindow)
		}

		// Another address is not affected.
		f.login(t, "ana@acme.test", home)

		f.clock.Advance(limits.FailureWindow)
		f.login(t, "ana@acme.test", office)
	})
}

// ---- Users ----

func TestAdminCreatesUser(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		f.clock.Advance(time.Minute)

		bruno, err := f.auth.CreateUser(ctx, as(ana), auth.NewUser{Name: "  Bruno Lima ", Email: " Bruno@Acme.Test", Role: "agent", Password: "bruno's password"})
		if err != nil {
			t.Fatal(err)
		}
		if bruno.ID == 0 || bruno.AccountID != ana.AccountID || bruno.Name != "Bruno Lima" || bruno.Email != "bruno@acme.test" ||
			bruno.Role != auth.Agent || !bruno.CreatedAt.Equal(t0.Add(time.Minute)) || !bruno.UpdatedAt.Equal(bruno.CreatedAt) {
			t.Errorf("created user = %+v", bruno)
		}
		got, err := f.auth.User(ctx, as(ana), bruno.ID)
		if err != nil || got.ID != bruno.ID || got.Name != bruno.Name || got.Email != bruno.Email ||
			got.Role != bruno.Role || !got.CreatedAt.Equal(bruno.CreatedAt) {
			t.Errorf("User(bruno) = %+v, %v; want %+v", got, err, bruno)
		}
		users, err := f.auth.Users(ctx, as(bruno))
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].ID != ana.ID || users[1].ID != bruno.ID {
			t.Errorf("Users = %+v, want Ana and Bruno, by name", users)
		}
		_, p := f.loginWith(t, "bruno@acme.test", "bruno's password", office)
		if p.UserID != bruno.ID || p.Role != auth.Agent {
			t.Errorf("bruno signs in as %+v", p)
		}
	})
}

func TestOnlyAdminsCreateUsers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		sofia := f.user(t, "Acme", "sofia@acme.test", auth.Supervisor)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		for _, u := range []auth.User{sofia, bruno} {
			_, err := f.auth.CreateUser(ctx, as(u), auth.NewUser{Name: "Eve", Email: "eve@acme.test", Role: "admin", Password: pw})
			wantErr(t, err, auth.ErrForbidden, string(u.Role)+" creates a user")
		}
		users, err := f.auth.Users(ctx, as(bruno))
		if err != nil || len(users) != 2 {
			t.Fatalf("Users = %+v, %v; want only the two original users", users, err)
		}
	})
}

func TestCreateUserValidatesInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		ok := auth.NewUser{Name: "Bruno", Email: "bruno@acme.test", Role: "agent", Password: pw}
		for _, tc := range []struct {
			field  string
			change func(n *auth.NewUser)
		}{
			{"name", func(n *auth.NewUser) { n.Name = "   " }},
			{"name", func(n *auth.NewUser) { n.Name = strings.Repeat("a", 101) }},
			{"email", func(n *auth.NewUser) { n.Email = "bruno" }},
			{"email", func(n *auth.NewUser) { n.Email = "Bruno <bruno@acme.test>" }},
			{"email", func(n *auth.NewUser) { n.Email = "" }},
			{"role", func(n *auth.NewUser) { n.Role = "owner" }},
			{"role", func(n *auth.NewUser) { n.Role = "" }},
			{"password", func(n *auth.NewUser) { n.Password = "1234567" }},
			{"password", func(n *auth.NewUser) { n.Password = strings.Repeat("a", 257) }},
		} {
			n := ok
			tc.change(&n)
			_, err := f.auth.CreateUser(context.Background(), as(ana), n)
			wantField(t, err, tc.field, "CreateUser "+strconv.Quote(tc.field))
		}
		users, err := f.auth.Users(context.Background(), as(ana))
		if err != nil || len(users) != 1 {
			t.Fatalf("Users after invalid input = %+v, %v; want only Ana", users, err)
		}
	})
}

func TestCreateUserRefusesDuplicateEmail(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bia := f.user(t, "Beta", "bia@beta.test", auth.Admin)

		_, err := f.auth.CreateUser(ctx, as(ana), auth.NewUser{Name: "Ana 2", Email: "ANA@Acme.test", Role: "agent", Password: pw})
		wantErr(t, err, store.ErrConflict, "same e-mail, other case, same account")
		wantField(t, err, "email", "same e-mail, other case, same account")

		// E-mails are unique across accounts: sign-in asks only for the e-mail.
		_, err = f.auth.CreateUser(ctx, as(bia), auth.NewUser{Name: "Ana", Email: "ana@acme.test", Role: "agent", Password: pw})
		wantErr(t, err, store.ErrConflict, "same e-mail in another account")
	})
}

func TestOtherAccountsUsersAreNotFound(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		bia := f.user(t, "Beta", "bia@beta.test", auth.Admin)
		beto := f.user(t, "Beta", "beto@beta.test", auth.Agent)

		for _, p := range []auth.Principal{as(bia), as(beto)} {
			for _, target := range []auth.User{ana, bruno} {
				what := p.Email + " on " + target.Email
				_, err := f.auth.User(ctx, p, target.ID)
				wantErr(t, err, store.ErrNotFound, what+": User")
				_, err = f.auth.UpdateUser(ctx, p, target.ID, auth.UserChanges{Name: ptr("Hacked")})
				wantErr(t, err, store.ErrNotFound, what+": UpdateUser")
				if errors.Is(err, auth.ErrForbidden) {
					t.Errorf("%s: UpdateUser says forbidden, revealing the user exists", what)
				}
				_, err = f.auth.UpdateUser(ctx, p, target.ID, auth.UserChanges{Password: ptr("new password 1")})
				wantErr(t, err, store.ErrNotFound, what+": UpdateUser password")
				err = f.auth.DeleteUser(ctx, p, target.ID)
				wantErr(t, err, store.ErrNotFound, what+": DeleteUser")
				if errors.Is(err, auth.ErrForbidden) {
					t.Errorf("%s: DeleteUser says forbidden, revealing the user exists", what)
				}
			}
		}
		users, err := f.auth.Users(ctx, as(bia))
		if err != nil || len(users) != 2 || users[0].ID != beto.ID || users[1].ID != bia.ID {
			t.Errorf("Beta's Users = %+v, %v; want Beto and Bia only", users, err)
		}
		got, err := f.auth.User(ctx, as(ana), bruno.ID)
		if err != nil || got.Name != "Bruno" {
			t.Errorf("bruno after Beta's attempts = %+v, %v; want unchanged", got, err)
		}
		f.login(t, "bruno@acme.test", office)
	})
}

func TestAgentCannotUpdateOtherUsers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		carla := f.user(t, "Acme", "carla@acme.test", auth.Agent)
		sofia := f.user(t, "Acme", "sofia@acme.test", auth.Supervisor)

		for _, p := range []auth.Principal{as(bruno), as(sofia)} {
			for _, target := range []auth.User{ana, carla} {
				_, err := f.auth.UpdateUser(ctx, p, target.ID, auth.UserChanges{Name: ptr("Renamed")})
				wantErr(t, err, auth.ErrForbidden, p.Email+" renames "+target.Email)
			}
		}
		_, err := f.auth.UpdateUser(ctx, as(bruno), carla.ID, auth.UserChanges{Password: ptr("new password 1")})
		wantErr(t, err, auth.ErrForbidden, "agent sets a colleague's password")
		got, err := f.auth.User(ctx, as(ana), carla.ID)
		if err != nil || got.Name != "Carla" {
			t.Errorf("carla = %+v, %v; want unchanged", got, err)
		}
		f.login(t, "carla@acme.test", office)
	})
}

func TestUserUpdatesOwnProfile(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		f.clock.Advance(time.Hour)

		got, err := f.auth.UpdateUser(ctx, as(bruno), bruno.ID, auth.UserChanges{Name: ptr(" Bruno Lima "), Email: ptr("Bruno.Lima@Acme.test")})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Bruno Lima" || got.Email != "bruno.lima@acme.test" || got.Role != auth.Agent ||
			!got.UpdatedAt.Equal(t0.Add(time.Hour)) || !got.CreatedAt.Equal(t0) {
			t.Errorf("updated user = %+v", got)
		}
		f.login(t, "bruno.lima@acme.test", office)
		_, _, err = f.auth.Login(ctx, "bruno@acme.test", pw, office)
		wantUnauthenticated(t, err, "old e-mail")

		_, err = f.auth.UpdateUser(ctx, as(bruno), bruno.ID, auth.UserChanges{Email: ptr("ana@acme.test")})
		wantErr(t, err, store.ErrConflict, "taking a colleague's e-mail")
		_, err = f.auth.UpdateUser(ctx, as(bruno), bruno.ID, auth.UserChanges{Email: ptr("not an e-mail")})
		wantField(t, err, "email", "invalid e-mail")
		_, err = f.auth.UpdateUser(ctx, as(bruno), bruno.ID, auth.UserChanges{Name: ptr("")})
		wantField(t, err, "name", "blank name")
	})
}

func TestAgentCannotChangeOwnRole(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		sofia := f.user(t, "Acme", "sofia@acme.test", auth.Supervisor)
		_, err := f.auth.UpdateUser(ctx, as(bruno), bruno.ID, auth.UserChanges{Role: ptr("admin")})
		wantErr(t, err, auth.ErrForbidden, "agent makes themselves admin")
		_, err = f.auth.UpdateUser(ctx, as(sofia), sofia.ID, auth.UserChanges{Role: ptr("admin")})
		wantErr(t, err, auth.ErrForbidden, "supervisor makes themselves admin")
		for _, u := range []auth.User{bruno, sofia} {
			got, err := f.auth.User(ctx, as(ana), u.ID)
			if err != nil || got.Role != u.Role {
				t.Errorf("%s after the attempt = %+v, %v; want role %s", u.Email, got, err, u.Role)
			}
		}
	})
}

func TestAdminChangesRole(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		sess, pb := f.login(t, "bruno@acme.test", office)

		got, err := f.auth.UpdateUser(ctx, as(ana), pb.UserID, auth.UserChanges{Role: ptr("supervisor")})
		if err != nil || got.Role != auth.Supervisor {
			t.Fatalf("promote bruno = %+v, %v", got, err)
		}
		// The next request with the same session sees the new role.
		if p := f.sessionOK(t, sess.Token, "after promotion"); p.Role != auth.Supervisor {
			t.Errorf("session role after promotion = %q, want supervisor", p.Role)
		}
		_, err = f.auth.UpdateUser(ctx, as(ana), pb.UserID, auth.UserChanges{Role: ptr("owner")})
		wantField(t, err, "role", "unknown role")
	})
}

func TestOwnPasswordChangeRequiresCurrentPassword(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)

		for _, u := range []auth.User{bruno, ana} { // administrators too, for their own password
			_, err := f.auth.UpdateUser(ctx, as(u), u.ID, auth.UserChanges{Password: ptr("new password 1")})
			wantField(t, err, "current_password", u.Email+": no current password")
			_, err = f.auth.UpdateUser(ctx, as(u), u.ID, auth.UserChanges{Password: ptr("new password 1"), CurrentPassword: ptr("wrong password")})
			wantField(t, err, "current_password", u.Email+": wrong current password")
			_, err = f.auth.UpdateUser(ctx, as(u), u.ID, auth.UserChanges{Password: ptr("short"), CurrentPassword: ptr(pw)})
			wantField(t, err, "password", u.Email+": too short a new password")
			f.login(t, u.Email, office) // the password did not change
		}
	})
}

func TestOwnPasswordChangeEndsOtherSessions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		here, p := f.login(t, "bruno@acme.test", office)
		elsewhere, _ := f.login(t, "bruno@acme.test", home)
		anaSess, _ := f.login(t, "ana@acme.test", office)

		_, err := f.auth.UpdateUser(ctx, p, bruno.ID, auth.UserChanges{Password: ptr("new password 1"), CurrentPassword: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		f.sessionOK(t, here.Token, "the session that changed the password")
		f.sessionGone(t, elsewhere.Token, "bruno's other session")
		f.sessionOK(t, anaSess.Token, "a colleague's session")

		_, _, err = f.auth.Login(ctx, "bruno@acme.test", pw, office)
		wantUnauthenticated(t, err, "old password")
		f.loginWith(t, "bruno@acme.test", "new password 1", office)
	})
}

func TestAdminSettingPasswordEndsAllSessionsOfUser(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		a, _ := f.login(t, "bruno@acme.test", office)
		b, _ := f.login(t, "bruno@acme.test", home)
		anaSess, pa := f.login(t, "ana@acme.test", office)

		// No current password: it is not the administrator's own.
		if _, err := f.auth.UpdateUser(ctx, pa, bruno.ID, auth.UserChanges{Password: ptr("new password 1")}); err != nil {
			t.Fatal(err)
		}
		f.sessionGone(t, a.Token, "bruno's first session")
		f.sessionGone(t, b.Token, "bruno's second session")
		f.sessionOK(t, anaSess.Token, "the administrator's session")

		_, _, err := f.auth.Login(ctx, "bruno@acme.test", pw, office)
		wantUnauthenticated(t, err, "old password")
		f.loginWith(t, "bruno@acme.test", "new password 1", office)
	})
}

func TestLastAdminCannotBeDemoted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		f.user(t, "Beta", "bia@beta.test", auth.Admin) // another account's admin does not count

		_, err := f.auth.UpdateUser(ctx, as(ana), ana.ID, auth.UserChanges{Role: ptr("supervisor")})
		wantErr(t, err, auth.ErrLastAdmin, "only admin demotes themselves")
		if got, _ := f.auth.User(ctx, as(ana), ana.ID); got.Role != auth.Admin {
			t.Fatalf("ana's role = %q after the refused demotion", got.Role)
		}

		carla := f.user(t, "Acme", "carla@acme.test", auth.Admin)
		if _, err := f.auth.UpdateUser(ctx, as(ana), carla.ID, auth.UserChanges{Role: ptr("agent")}); err != nil {
			t.Fatalf("demote one of two admins: %v", err)
		}
		_, err = f.auth.UpdateUser(ctx, as(ana), ana.ID, auth.UserChanges{Role: ptr("agent")})
		wantErr(t, err, auth.ErrLastAdmin, "remaining admin demotes themselves")

		if _, err := f.auth.UpdateUser(ctx, as(ana), carla.ID, auth.UserChanges{Role: ptr("admin")}); err != nil {
			t.Fatalf("promote carla: %v", err)
		}
		if _, err := f.auth.UpdateUser(ctx, as(ana), ana.ID, auth.UserChanges{Role: ptr("agent")}); err != nil {
			t.Fatalf("one of two admins demotes themselves: %v", err)
		}
	})
}

func TestLastAdminCannotBeDeleted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		carla := f.user(t, "Acme", "carla@acme.test", auth.Admin)
		// Carla's request was authorised while she was still an administrator;
		// meanwhile Ana demotes her, leaving Ana the only one.
		staleCarla := as(carla)
		if _, err := f.auth.UpdateUser(ctx, as(ana), carla.ID, auth.UserChanges{Role: ptr("agent")}); err != nil {
			t.Fatal(err)
		}
		err := f.auth.DeleteUser(ctx, staleCarla, ana.ID)
		wantErr(t, err, auth.ErrLastAdmin, "deleting the only remaining admin")
		if _, err := f.auth.User(ctx, as(ana), ana.ID); err != nil {
			t.Fatalf("ana after the refused deletion: %v", err)
		}
	})
}

// Two administrators demoting each other at once must not leave the account
// without one.
func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for round := range 10 {
			account := "Acme " + strconv.Itoa(round)
			a := f.user(t, account, "a"+strconv.Itoa(round)+"@acme.test", auth.Admin)
			b := f.user(t, account, "b"+strconv.Itoa(round)+"@acme.test", auth.Admin)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]auth.User{{a, b}, {b, a}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.auth.UpdateUser(ctx, as(pair[0]), pair[1].ID, auth.UserChanges{Role: ptr("agent")})
				}()
			}
			wg.Wait()
			users, err := f.auth.Users(ctx, as(a))
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, u := range users {
				if u.Role == auth.Admin {
					admins++
				}
			}
			if admins != 1 {
				t.Fatalf("round %d: after two admins demoted each other at once (errors %v, %v) the account has %d admins, want 1",
					round, errs[0], errs[1], admins)
			}
		}
	})
}

// Two administrators removing each other at once must not leave the account
// without one.
func TestConcurrentDeletionsKeepAnAdmin(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for round := range 10 {
			account := "Acme " + strconv.Itoa(round)
			a := f.user(t, account, "a"+strconv.Itoa(round)+"@acme.test", auth.Admin)
			b := f.user(t, account, "b"+strconv.Itoa(round)+"@acme.test", auth.Admin)
			c := f.user(t, account, "c"+strconv.Itoa(round)+"@acme.test", auth.Agent)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]auth.User{{a, b}, {b, a}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = f.auth.DeleteUser(ctx, as(pair[0]), pair[1].ID)
				}()
			}
			wg.Wait()
			users, err := f.auth.Users(ctx, as(c))
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, u := range users {
				if u.Role == auth.Admin {
					admins++
				}
			}
			if admins != 1 {
				t.Fatalf("round %d: after two admins deleted each other at once (errors %v, %v) the account has %d admins, want 1",
					round, errs[0], errs[1], admins)
			}
		}
	})
}

func TestAdminCannotDeleteSelf(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		f.user(t, "Acme", "carla@acme.test", auth.Admin)
		err := f.auth.DeleteUser(ctx, as(ana), ana.ID)
		wantErr(t, err, auth.ErrForbidden, "admin deletes themselves")
		if _, err := f.auth.User(ctx, as(ana), ana.ID); err != nil {
			t.Fatalf("ana after deleting herself: %v", err)
		}
	})
}

func TestOnlyAdminsDeleteUsers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		sofia := f.user(t, "Acme", "sofia@acme.test", auth.Supervisor)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		carla := f.user(t, "Acme", "carla@acme.test", auth.Agent)
		for _, p := range []auth.Principal{as(sofia), as(bruno)} {
			wantErr(t, f.auth.DeleteUser(ctx, p, carla.ID), auth.ErrForbidden, p.Email+" deletes a colleague")
			wantErr(t, f.auth.DeleteUser(ctx, p, p.UserID), auth.ErrForbidden, p.Email+" deletes themselves")
		}
		users, err := f.auth.Users(ctx, as(ana))
		if err != nil || len(users) != 4 {
			t.Fatalf("Users = %d, %v; want all 4", len(users), err)
		}
	})
}

func TestDeletedUserLosesAccess(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		sess, pb := f.login(t, "bruno@acme.test", office)
		_, secret, err := f.auth.CreateToken(ctx, pb, "script", nil)
		if err != nil {
			t.Fatal(err)
		}

		if err := f.auth.DeleteUser(ctx, as(ana), bruno.ID); err != nil {
			t.Fatal(err)
		}
		f.sessionGone(t, sess.Token, "deleted user's session")
		_, err = f.auth.TokenPrincipal(ctx, secret, office)
		wantErr(t, err, auth.ErrUnauthenticated, "deleted user's API token")
		_, _, err = f.auth.Login(ctx, "bruno@acme.test", pw, office)
		wantUnauthenticated(t, err, "deleted user signs in")
		_, err = f.auth.User(ctx, as(ana), bruno.ID)
		wantErr(t, err, store.ErrNotFound, "User of a deleted user")
		_, err = f.auth.UpdateUser(ctx, as(ana), bruno.ID, auth.UserChanges{Name: ptr("Back")})
		wantErr(t, err, store.ErrNotFound, "UpdateUser of a deleted user")
		wantErr(t, f.auth.DeleteUser(ctx, as(ana), bruno.ID), store.ErrNotFound, "deleting a deleted user")
		users, err := f.auth.Users(ctx, as(ana))
		if err != nil || len(users) != 1 || users[0].ID != ana.ID {
			t.Errorf("Users after deletion = %+v, %v; want only Ana", users, err)
		}

		// The e-mail is free again.
		again, err := f.auth.CreateUser(ctx, as(ana), auth.NewUser{Name: "Bruno", Email: "BRUNO@acme.test", Role: "supervisor", Password: "another password"})
		if err != nil {
			t.Fatalf("reuse a deleted user's e-mail: %v", err)
		}
		if again.ID == bruno.ID {
			t.Errorf("the new user reused the deleted user's id %d", bruno.ID)
		}
		_, p := f.loginWith(t, "bruno@acme.test", "another password", office)
		if p.UserID != again.ID || p.Role != auth.Supervisor {
			t.Errorf("sign-in with the reused e-mail = %+v, want the new user %d", p, again.ID)
		}
	})
}

// ---- Me ----

func TestMeListsAccountRoleAndDepartments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		f.user(t, "Beta", "bia@beta.test", auth.Admin)

		vendas, err := f.deps.Create(ctx, as(ana), "Vendas")
		if err != nil {
			t.Fatal(err)
		}
		suporte, err := f.deps.Create(ctx, as(ana), "Suporte")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.deps.Create(ctx, as(ana), "Financeiro"); err != nil {
			t.Fatal(err)
		}
		for _, d := range []department.Department{vendas, suporte} {
			if err := f.deps.AddMember(ctx, as(ana), d.ID, bruno.ID); err != nil {
				t.Fatal(err)
			}
		}

		me, err := f.auth.Me(ctx, as(bruno))
		if err != nil {
			t.Fatal(err)
		}
		if me.ID != bruno.ID || me.Name != "Bruno" || me.Email != "bruno@acme.test" || me.Role != auth.Agent {
			t.Errorf("Me.User = %+v", me.User)
		}
		if me.Account != (auth.Account{ID: bruno.AccountID, Name: "Acme"}) {
			t.Errorf("Me.Account = %+v, want Acme (%d)", me.Account, bruno.AccountID)
		}
		want := []auth.Membership{{ID: suporte.ID, Name: "Suporte"}, {ID: vendas.ID, Name: "Vendas"}}
		if !slices.Equal(me.Departments, want) {
			t.Errorf("Me.Departments = %+v, want %+v (by name)", me.Departments, want)
		}

		meAna, err := f.auth.Me(ctx, as(ana))
		if err != nil {
			t.Fatal(err)
		}
		if meAna.Role != auth.Admin || meAna.Account.Name != "Acme" || meAna.Departments == nil || len(meAna.Departments) != 0 {
			t.Errorf("Me(ana) = %+v, want admin of Acme in no department (an empty list)", meAna)
		}
	})
}

// ---- API tokens ----

func TestCreateTokenReturnsUsableSecret(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)

		tok, secret, err := f.auth.CreateToken(ctx, as(bruno), "  CRM sync ", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "atd_") || len(secret) < 40 {
			t.Errorf("secret %q: want atd_ and at least 32 random bytes", secret)
		}
		if tok.ID == 0 || tok.UserID != bruno.ID || tok.Name != "CRM sync" || !tok.CreatedAt.Equal(t0) ||
			tok.ExpiresAt != nil || tok.LastUsedAt != nil {
			t.Errorf("token = %+v", tok)
		}
		if !strings.HasPrefix(tok.Prefix, "atd_") || !strings.HasPrefix(secret, tok.Prefix) || len(tok.Prefix) >= len(secret) {
			t.Errorf("token prefix %q: want the start of the secret, not all of it", tok.Prefix)
		}

		p, err := f.auth.TokenPrincipal(ctx, secret, home)
		if err != nil {
			t.Fatal(err)
		}
		if p.UserID != bruno.ID || p.AccountID != bruno.AccountID || p.Role != auth.Agent || p.TokenID != tok.ID ||
			p.SessionHash != "" || p.IP != home.IP {
			t.Errorf("TokenPrincipal = %+v, want bruno through token %d", p, tok.ID)
		}
		// Logging out a token principal does nothing to the token.
		if err := f.auth.Logout(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.TokenPrincipal(ctx, secret, home); err != nil {
			t.Fatalf("token after Logout: %v", err)
		}

		_, secret2, err := f.auth.CreateToken(ctx, as(bruno), "CRM sync", nil)
		if err != nil || secret2 == secret {
			t.Fatalf("second token: %q, %v; want a new secret", secret2, err)
		}
		_, _, err = f.auth.CreateToken(ctx, as(bruno), " ", nil)
		wantField(t, err, "name", "blank token name")
	})
}

func TestTokenPrincipalRejectsUnknownSecrets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		_, secret, err := f.auth.CreateToken(ctx, as(ana), "ci", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"", "atd_", "atd_nope", secret + "x", strings.TrimPrefix(secret, "atd_"), strings.ToUpper(secret)} {
			_, err := f.auth.TokenPrincipal(ctx, s, office)
			wantErr(t, err, auth.ErrUnauthenticated, "token "+strconv.Quote(s))
		}
	})
}

func TestTokenRecordsLastUse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		_, secret, err := f.auth.CreateToken(ctx, as(ana), "ci", nil)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		if _, err := f.auth.TokenPrincipal(ctx, secret, office); err != nil {
			t.Fatal(err)
		}
		toks, err := f.auth.Tokens(ctx, as(ana))
		if err != nil || len(toks) != 1 {
			t.Fatalf("Tokens = %+v, %v", toks, err)
		}
		if toks[0].LastUsedAt == nil || !toks[0].LastUsedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("LastUsedAt = %v, want %v", toks[0].LastUsedAt, t0.Add(time.Hour))
		}
	})
}

func TestCreateTokenRefusesPastExpiry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		for _, at := range []time.Time{t0.Add(-time.Hour), t0} {
			_, _, err := f.auth.CreateToken(ctx, as(ana), "ci", &at)
			wantField(t, err, "expires_at", "expiry "+at.String())
		}
		toks, err := f.auth.Tokens(ctx, as(ana))
		if err != nil || len(toks) != 0 {
			t.Fatalf("Tokens after refusals = %+v, %v; want none", toks, err)
		}
	})
}

func TestTokenExpires(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		// Given in São Paulo time: the expiry is an instant, whatever the zone.
		expires := t0.Add(time.Hour).In(time.FixedZone("BRT", -3*60*60))
		tok, secret, err := f.auth.CreateToken(ctx, as(ana), "ci", &expires)
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(expires) {
			t.Errorf("ExpiresAt = %v, want %v", tok.ExpiresAt, expires)
		}
		f.clock.Advance(59 * time.Minute)
		if _, err := f.auth.TokenPrincipal(ctx, secret, office); err != nil {
			t.Fatalf("a minute before expiry: %v", err)
		}
		f.clock.Advance(time.Minute + time.Second)
		_, err = f.auth.TokenPrincipal(ctx, secret, office)
		wantErr(t, err, auth.ErrUnauthenticated, "after expiry")
	})
}

func TestTokensListsOnlyOwnTokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		bia := f.user(t, "Beta", "bia@beta.test", auth.Admin)
		for _, c := range []struct {
			u    auth.User
			name string
		}{{ana, "ana 1"}, {bruno, "bruno 1"}, {ana, "ana 2"}, {bia, "bia 1"}} {
			if _, _, err := f.auth.CreateToken(ctx, as(c.u), c.name, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			u    auth.User
			want []string
		}{{ana, []string{"ana 1", "ana 2"}}, {bruno, []string{"bruno 1"}}, {bia, []string{"bia 1"}}} {
			toks, err := f.auth.Tokens(ctx, as(c.u))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tok := range toks {
				names = append(names, tok.Name)
				if tok.UserID != c.u.ID {
					t.Errorf("%s's Tokens lists %+v of user %d", c.u.Email, tok, tok.UserID)
				}
			}
			if !slices.Equal(names, c.want) {
				t.Errorf("%s's Tokens = %v, want %v", c.u.Email, names, c.want)
			}
		}
	})
}

func TestOwnerDeletesToken(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		tok, secret, err := f.auth.CreateToken(ctx, as(bruno), "ci", nil)
		if err != nil {
			t.Fatal(err)
		}
		keep, keepSecret, err := f.auth.CreateToken(ctx, as(bruno), "backup", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.auth.DeleteToken(ctx, as(bruno), tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.auth.TokenPrincipal(ctx, secret, office)
		wantErr(t, err, auth.ErrUnauthenticated, "deleted token")
		if _, err := f.auth.TokenPrincipal(ctx, keepSecret, office); err != nil {
			t.Fatalf("the other token: %v", err)
		}
		toks, err := f.auth.Tokens(ctx, as(bruno))
		if err != nil || len(toks) != 1 || toks[0].ID != keep.ID {
			t.Errorf("Tokens after delete = %+v, %v; want only %d", toks, err, keep.ID)
		}
		wantErr(t, f.auth.DeleteToken(ctx, as(bruno), tok.ID), store.ErrNotFound, "deleting twice")
	})
}

func TestDeleteTokenOfColleague(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		sofia := f.user(t, "Acme", "sofia@acme.test", auth.Supervisor)
		tok, secret, err := f.auth.CreateToken(ctx, as(bruno), "ci", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Non-administrators cannot tell a colleague's token from a missing one.
		wantErr(t, f.auth.DeleteToken(ctx, as(sofia), tok.ID), store.ErrNotFound, "supervisor deletes an agent's token")
		if _, err := f.auth.TokenPrincipal(ctx, secret, office); err != nil {
			t.Fatalf("token after the refused deletion: %v", err)
		}
		// Administrators revoke anyone's.
		if err := f.auth.DeleteToken(ctx, as(ana), tok.ID); err != nil {
			t.Fatalf("admin deletes an agent's token: %v", err)
		}
		_, err = f.auth.TokenPrincipal(ctx, secret, office)
		wantErr(t, err, auth.ErrUnauthenticated, "token revoked by the admin")
	})
}

func TestDeleteTokenOfAnotherAccountIsNotFound(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bia := f.user(t, "Beta", "bia@beta.test", auth.Admin)
		tok, secret, err := f.auth.CreateToken(ctx, as(ana), "ci", nil)
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.auth.DeleteToken(ctx, as(bia), tok.ID), store.ErrNotFound, "Beta's admin deletes Acme's token")
		if _, err := f.auth.TokenPrincipal(ctx, secret, office); err != nil {
			t.Fatalf("token after the refused deletion: %v", err)
		}
		wantErr(t, f.auth.DeleteToken(ctx, as(ana), tok.ID+1000), store.ErrNotFound, "unknown token id")
	})
}

// ---- Audit log ----

func TestAuditLogRecordsSignInsAndUserChanges(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)

		f.clock.Advance(time.Minute)
		_, pa := f.login(t, "ana@acme.test", office)
		f.clock.Advance(time.Minute)
		if _, _, err := f.auth.Login(ctx, "ana@acme.test", "wrong password", home); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("wrong password: %v", err)
		}
		f.clock.Advance(time.Minute)
		bruno, err := f.auth.CreateUser(ctx, pa, auth.NewUser{Name: "Bruno", Email: "bruno@acme.test", Role: "agent", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if _, err := f.auth.UpdateUser(ctx, pa, bruno.ID, auth.UserChanges{Name: ptr("Bruno Lima")}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if err := f.auth.DeleteUser(ctx, pa, bruno.ID); err != nil {
			t.Fatal(err)
		}

		log, err := f.auth.AuditLog(ctx, pa, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"user.delete", "user.update", "user.create", "auth.login_failed", "auth.login", "user.create", "account.create"}
		if got := actions(log); !slices.Equal(got, want) {
			t.Fatalf("audit actions = %v, want %v (newest first)", got, want)
		}
		for i := 1; i < len(log); i++ {
			if log[i].ID >= log[i-1].ID || log[i].CreatedAt.After(log[i-1].CreatedAt) {
				t.Errorf("entry %d (%d at %v) is not older than entry %d (%d at %v)", i, log[i].ID, log[i].CreatedAt, i-1, log[i-1].ID, log[i-1].CreatedAt)
			}
		}

		del, upd, create, failed, login := log[0], log[1], log[2], log[3], log[4]
		if del.ActorID == nil || *del.ActorID != ana.ID || del.ActorName != "Ana" || del.TargetType != "user" ||
			del.TargetID == nil || *del.TargetID != bruno.ID || del.IP != office.IP || !del.CreatedAt.Equal(t0.Add(5*time.Minute)) {
			t.Errorf("user.delete entry = %+v", del)
		}
		if del.Detail["email"] != "bruno@acme.test" {
			t.Errorf("user.delete detail = %v, want the deleted e-mail", del.Detail)
		}
		if upd.TargetID == nil || *upd.TargetID != bruno.ID || !upd.CreatedAt.Equal(t0.Add(4*time.Minute)) {
			t.Errorf("user.update entry = %+v", upd)
		}
		if create.TargetID == nil || *create.TargetID != bruno.ID || create.Detail["role"] != "agent" {
			t.Errorf("user.create entry = %+v", create)
		}
		if failed.ActorID != nil || failed.TargetID == nil || *failed.TargetID != ana.ID || failed.IP != home.IP ||
			failed.Detail["email"] != "ana@acme.test" || !failed.CreatedAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("auth.login_failed entry = %+v", failed)
		}
		if login.ActorID == nil || *login.ActorID != ana.ID || login.IP != office.IP || !login.CreatedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("auth.login entry = %+v", login)
		}

		// Pages go backwards from beforeID.
		page, err := f.auth.AuditLog(ctx, pa, 0, 2)
		if err != nil || !slices.Equal(actions(page), want[:2]) {
			t.Fatalf("first page = %v, %v; want %v", actions(page), err, want[:2])
		}
		page, err = f.auth.AuditLog(ctx, pa, page[1].ID, 2)
		if err != nil || !slices.Equal(actions(page), want[2:4]) {
			t.Fatalf("second page = %v, %v; want %v", actions(page), err, want[2:4])
		}
	})
}

func TestAuditLogIsForAdminsOnly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.user(t, "Acme", "ana@acme.test", auth.Admin)
		sofia := f.user(t, "Acme", "sofia@acme.test", auth.Supervisor)
		bruno := f.user(t, "Acme", "bruno@acme.test", auth.Agent)
		for _, u := range []auth.User{sofia, bruno} {
			log, err := f.auth.AuditLog(ctx, as(u), 0, 100)
			wantErr(t, err, auth.ErrForbidden, string(u.Role)+" reads the audit log")
			if len(log) != 0 {
				t.Errorf("%s got %d audit entries with the refusal", u.Role, len(log))
			}
		}
	})
}

func TestAuditLogHidesOtherAccounts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ana := f.user(t, "Acme", "ana@acme.test", auth.Admin)
		bia := f.user(t, "Beta", "bia@beta.test", auth.Admin)

		// Acme is busy; a failed sign-in for an unknown e-mail belongs to nobody.
		_, pa := f.login(t, "ana@acme.test", office)
		_, _, err := f.auth.Login(ctx, "ana@acme.test", "wrong password", office)
		wantUnauthenticated(t, err, "ana's wrong password")
		_, _, err = f.auth.Login(ctx, "ghost@acme.test", "wrong password", office)
		wantUnauthenticated(t, err, "unknown e-mail")
		if _, err := f.auth.CreateUser(ctx, pa, auth.NewUser{Name: "Bruno", Email: "bruno@acme.test", Role: "agent", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.deps.Create(ctx, as(ana), "Vendas"); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.auth.Login(ctx, "bia@beta.test", "wrong password", home)
		wantUnauthenticated(t, err, "bia's wrong password")

		log, err := f.auth.AuditLog(ctx, as(bia), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"auth.login_failed", "user.create", "account.create"}
		if got := actions(log); !slices.Equal(got, want) {
			t.Fatalf("Beta's audit log = %v, want only Beta's %v", got, want)
		}
		for _, e := range log {
			if e.TargetID != nil && e.TargetType == "user" && *e.TargetID != bia.ID {
				t.Errorf("Beta's audit log names user %d: %+v", *e.TargetID, e)
			}
		}
		acme, err := f.auth.AuditLog(ctx, pa, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		wantAcme := []string{"department.create", "user.create", "auth.login_failed", "auth.login", "user.create", "account.create"}
		if got := actions(acme); !slices.Equal(got, wantAcme) {
			t.Fatalf("Acme's audit log = %v, want %v", got, wantAcme)
		}
	})
}

func TestThrottledErrorSaysWhenToRetry(t *testing.T) {
	err := &auth.ThrottledError{RetryAfter: 90*time.Second + 400*time.Millisecond}
	if msg := err.Error(); !strings.Contains(msg, "1m30s") {
		t.Errorf("message %q does not say to retry in 1m30s", msg)
	}
}

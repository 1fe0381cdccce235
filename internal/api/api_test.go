package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende/atende/internal/api"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplates()
	os.Exit(code)
}

// env is one running API on a fresh database.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	auth  *auth.Service
	clock *clock.Fake
}

type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func newEnv(t *testing.T, db *store.DB, opts ...func(*api.Deps)) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.DiscardHandler)
	a := auth.New(db, clk, auth.DefaultLimits, log)
	deps := api.Deps{
		Auth:        a,
		Departments: department.New(db, clk),
		Ready:       map[string]api.Pinger{"database": db},
		Registry:    api.NewRegistry(),
		Log:         log,
	}
	for _, o := range opts {
		o(&deps)
	}
	srv := httptest.NewServer(api.New(deps))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, auth: a, clock: clk}
}

// user creates a user through the operator's path and returns its id.
func (e *env) user(account, name, email, role string) int64 {
	e.t.Helper()
	u, err := e.auth.CreateUserInAccount(context.Background(), account, auth.NewUser{Name: name, Email: email, Role: role, Password: "senha-" + name + "-123"})
	if err != nil {
		e.t.Fatalf("create %s: %v", email, err)
	}
	return u.ID
}

// client is a browser-like HTTP client with its own cookie jar.
type client struct {
	e      *env
	http   *http.Client
	header http.Header
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar}, header: http.Header{}}
}

// login signs in as name (password as set by user) and fails the test otherwise.
func (e *env) login(name, email string) *client {
	e.t.Helper()
	c := e.client()
	res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "senha-" + name + "-123"})
	res.want(http.StatusOK)
	return c
}

type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

func (c *client) do(method, path string, body any) *response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{t: c.e.t, status: res.StatusCode, header: res.Header, body: b}
}

func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

func (r *response) wantError(status int, code string) *response {
	r.t.Helper()
	r.want(status)
	var b struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error.Code != code || b.Error.Message == "" {
		r.t.Fatalf("error body %s, want code %q with a message", r.body, code)
	}
	return r
}

func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.body, err)
	}
}

func TestSignInThenMeShowsUserAccountAndRole(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("Acme", "Ana", "ana@acme.test", "admin")
		ana := e.login("Ana", "ANA@acme.test")
		var me struct {
			Name, Email, Role string
			Account           struct{ Name string }
			Departments       []any
		}
		ana.do("GET", "/api/v1/me", nil).want(http.StatusOK).decode(&me)
		if me.Name != "Ana" || me.Email != "ana@acme.test" || me.Role != "admin" || me.Account.Name != "Acme" || me.Departments == nil {
			t.Fatalf("me = %+v", me)
		}
		e.client().do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")
		ana.do("POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
		ana.do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")
	})
}

func TestSessionCookieIsHttpOnlyLaxAndNewAtEveryLogin(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	e.user("Acme", "Ana", "ana@acme.test", "admin")
	cookie := func(c *client, headers map[string]string) *http.Cookie {
		for k, v := range headers {
			c.header.Set(k, v)
		}
		res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@acme.test", "password": "senha-Ana-123"}).want(http.StatusOK)
		for _, ck := range (&http.Response{Header: res.header}).Cookies() {
			if ck.Name == "atende_session" {
				return ck
			}
		}
		t.Fatal("no atende_session cookie")
		return nil
	}
	first := cookie(e.client(), nil)
	second := cookie(e.client(), nil)
	if !first.HttpOnly || first.SameSite != http.SameSiteLaxMode || first.Secure {
		t.Fatalf("cookie over plain HTTP: %+v", first)
	}
	if first.Value == second.Value || len(first.Value) < 40 {
		t.Fatalf("session ids must be new and long: %q %q", first.Value, second.Value)
	}

	// Behind a TLS-terminating proxy, the cookie is Secure.
	proxied := newEnv(t, db, func(d *api.Deps) { d.BehindProxy = true })
	if ck := cookie(proxied.client(), map[string]string{"X-Forwarded-Proto": "https"}); !ck.Secure {
		t.Fatalf("cookie behind https proxy is not Secure: %+v", ck)
	}
	withPublicHTTPS := newEnv(t, db, func(d *api.Deps) { d.SecureCookies = true })
	if ck := cookie(withPublicHTTPS.client(), nil); !ck.Secure {
		t.Fatalf("cookie with an https public URL is not Secure: %+v", ck)
	}
}

// Another account's items answer exactly like missing ones.
func TestOtherAccountsItemsAnswer404LikeMissingOnes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		anaID := e.user("Acme", "Ana", "ana@acme.test", "admin")
		e.user("Other", "Bob", "bob@other.test", "admin")
		ana, bob := e.login("Ana", "ana@acme.test"), e.login("Bob", "bob@other.test")
		var dep struct{ ID int64 }
		ana.do("POST", "/api/v1/departments", map[string]string{"name": "Vendas"}).want(http.StatusCreated).decode(&dep)
		var tok struct{ ID int64 }
		ana.do("POST", "/api/v1/tokens", map[string]string{"name": "integração"}).want(http.StatusCreated).decode(&tok)

		missing := bob.do("GET", "/api/v1/users/999999", nil).wantError(http.StatusNotFound, "not_found")
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/users/" + itoa(anaID), nil},
			{"PATCH", "/api/v1/users/" + itoa(anaID), map[string]string{"name": "Hacked"}},
			{"DELETE", "/api/v1/users/" + itoa(anaID), nil},
			{"GET", "/api/v1/departments/" + itoa(dep.ID), nil},
			{"PATCH", "/api/v1/departments/" + itoa(dep.ID), map[string]string{"name": "Hacked"}},
			{"DELETE", "/api/v1/departments/" + itoa(dep.ID), nil},
			{"GET", "/api/v1/departments/" + itoa(dep.ID) + "/members", nil},
			{"PUT", "/api/v1/departments/" + itoa(dep.ID) + "/members/" + itoa(anaID), nil},
			{"DELETE", "/api/v1/tokens/" + itoa(tok.ID), nil},
		} {
			res := bob.do(req.method, req.path, req.body)
			if res.status != http.StatusNotFound || !bytes.Equal(res.body, missing.body) {
				t.Errorf("%s %s as another account: %d %s; want exactly the missing-item answer %s", req.method, req.path, res.status, res.body, missing.body)
			}
		}
		// Nothing changed for Acme.
		var u struct{ Name string }
		ana.do("GET", "/api/v1/users/"+itoa(anaID), nil).want(http.StatusOK).decode(&u)
		if u.Name != "Ana" {
			t.Fatalf("Ana was renamed to %q by another account", u.Name)
		}
		ana.do("GET", "/api/v1/departments/"+itoa(dep.ID), nil).want(http.StatusOK)
	})
}

func TestWrongPasswordIs401(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("Acme", "Ana", "ana@acme.test", "admin")
		e.client().do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@acme.test", "password": "wrong-password"}).
			wantError(http.StatusUnauthorized, "unauthenticated")
		e.client().do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@acme.test", "password": "wrong-password"}).
			wantError(http.StatusUnauthorized, "unauthenticated")
	})
}

// Eleven quick wrong passwords lock the e-mail, even sent all at once.
func TestElevenParallelWrongPasswordsLockTheEmail(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("Acme", "Ana", "ana@acme.test", "admin")
		var wg sync.WaitGroup
		statuses := make(chan *response, 11)
		for range 11 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- e.client().do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@acme.test", "password": "guess-guess"})
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for res := range statuses {
			count[res.status]++
			if res.status == http.StatusTooManyRequests && res.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
		if count[http.StatusUnauthorized] != 10 || count[http.StatusTooManyRequests] != 1 {
			t.Fatalf("statuses %v, want ten 401 and one 429", count)
		}
		// Locked for a while, even with the right password...
		e.client().do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@acme.test", "password": "senha-Ana-123"}).
			wantError(http.StatusTooManyRequests, "too_many_attempts")
		// ...and open again once the window has passed.
		e.clock.Advance(15 * time.Minute)
		e.login("Ana", "ana@acme.test")
	})
}

func TestErrorAnswersAreJSONWithTheRightStatus(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	e.user("Acme", "Ana", "ana@acme.test", "admin")
	e.user("Acme", "Caio", "caio@acme.test", "agent")
	ana, caio := e.login("Ana", "ana@acme.test"), e.login("Caio", "caio@acme.test")

	ana.do("POST", "/api/v1/departments", `{"name": "Vendas"`).wantError(http.StatusBadRequest, "malformed_json")
	ana.do("POST", "/api/v1/departments", `{"name": "Vendas"} {}`).wantError(http.StatusBadRequest, "malformed_json")
	ana.do("POST", "/api/v1/departments", ``).wantError(http.StatusBadRequest, "malformed_json")
	ana.do("POST", "/api/v1/departments", `{"name": 7}`).wantError(http.StatusBadRequest, "wrong_type")
	ana.do("POST", "/api/v1/departments", `{"name": "Vendas", "colour": "red"}`).wantError(http.StatusBadRequest, "unknown_field")
	huge := `{"name": "` + strings.Repeat("a", 2<<20) + `"}`
	ana.do("POST", "/api/v1/departments", huge).wantError(http.StatusRequestEntityTooLarge, "body_too_large")
	ana.do("POST", "/api/v1/departments", `{"name": "  "}`).wantError(http.StatusUnprocessableEntity, "invalid")
	e.client().do("GET", "/api/v1/users", nil).wantError(http.StatusUnauthorized, "unauthenticated")
	caio.do("POST", "/api/v1/users", map[string]string{"name": "Eve", "email": "eve@acme.test", "role": "admin", "password": "12345678"}).
		wantError(http.StatusForbidden, "forbidden")
	ana.do("GET", "/api/v1/users/424242", nil).wantError(http.StatusNotFound, "not_found")
	ana.do("GET", "/api/v1/users/not-a-number", nil).wantError(http.StatusNotFound, "not_found")
	ana.do("GET", "/api/v1/nowhere", nil).wantError(http.StatusNotFound, "not_found")
	res := ana.do("PUT", "/api/v1/users", nil).wantError(http.StatusMethodNotAllowed, "method_not_allowed")
	if !strings.Contains(res.header.Get("Allow"), "POST") {
		t.Errorf("405 without Allow: %q", res.header.Get("Allow"))
	}
	ana.do("POST", "/api/v1/users", map[string]string{"name": "Dup", "email": "CAIO@acme.test", "role": "agent", "password": "12345678"}).
		wantError(http.StatusConflict, "conflict")
	var self struct{ ID int64 }
	ana.do("GET", "/api/v1/me", nil).decode(&self)
	ana.do("PATCH", "/api/v1/users/"+itoa(self.ID), map[string]string{"role": "agent"}).wantError(http.StatusConflict, "last_admin")
}

func TestCrossOriginBrowserWritesAreRefused(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	e.user("Acme", "Ana", "ana@acme.test", "admin")
	ana := e.login("Ana", "ana@acme.test")

	ana.header.Set("Origin", "https://evil.example")
	ana.header.Set("Sec-Fetch-Site", "cross-site")
	ana.do("POST", "/api/v1/departments", map[string]string{"name": "Vendas"}).wantError(http.StatusForbidden, "cross_origin")
	ana.do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@acme.test", "password": "senha-Ana-123"}).wantError(http.StatusForbidden, "cross_origin")
	// Reading is not a write: allowed.
	ana.do("GET", "/api/v1/departments", nil).want(http.StatusOK)

	ana.header.Set("Origin", e.srv.URL)
	ana.header.Set("Sec-Fetch-Site", "same-origin")
	ana.do("POST", "/api/v1/departments", map[string]string{"name": "Vendas"}).want(http.StatusCreated)
}

func TestBearerTokenWorksWhereTheCookieDoes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("Acme", "Ana", "ana@acme.test", "admin")
		ana := e.login("Ana", "ana@acme.test")
		var created struct {
			ID     int64
			Secret string
			Prefix string
		}
		ana.do("POST", "/api/v1/tokens", map[string]string{"name": "CRM"}).want(http.StatusCreated).decode(&created)
		if !strings.HasPrefix(created.Secret, "atd_") || !strings.HasPrefix(created.Secret, created.Prefix) {
			t.Fatalf("token %+v", created)
		}
		bot := e.client()
		bot.header.Set("Authorization", "Bearer "+created.Secret)
		var me struct{ Email string }
		bot.do("GET", "/api/v1/me", nil).want(http.StatusOK).decode(&me)
		if me.Email != "ana@acme.test" {
			t.Fatalf("token acts as %q", me.Email)
		}
		bot.do("POST", "/api/v1/departments", map[string]string{"name": "Suporte"}).want(http.StatusCreated)

		var list struct{ Tokens []struct{ ID int64 } }
		ana.do("GET", "/api/v1/tokens", nil).want(http.StatusOK).decode(&list)
		if len(list.Tokens) != 1 || list.Tokens[0].ID != created.ID {
			t.Fatalf("tokens %+v", list)
		}
		if bytes.Contains(ana.do("GET", "/api/v1/tokens", nil).body, []byte(created.Secret)) {
			t.Fatal("the token list shows the secret")
		}
		ana.do("DELETE", "/api/v1/tokens/"+itoa(created.ID), nil).want(http.StatusNoContent)
		bot.do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")

		bad := e.client()
		bad.header.Set("Authorization", "Basic YW5hOnB3")
		bad.do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")
	})
}

func TestChangingPasswordEndsEveryOtherSession(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		anaID := e.user("Acme", "Ana", "ana@acme.test", "admin")
		caioID := e.user("Acme", "Caio", "caio@acme.test", "agent")
		desk, phone := e.login("Ana", "ana@acme.test"), e.login("Ana", "ana@acme.test")

		desk.do("PATCH", "/api/v1/users/"+itoa(anaID), map[string]string{"password": "nova-senha-456"}).
			wantError(http.StatusUnprocessableEntity, "invalid")
		desk.do("PATCH", "/api/v1/users/"+itoa(anaID), map[string]string{"password": "nova-senha-456", "current_password": "senha-Ana-123"}).
			want(http.StatusOK)
		desk.do("GET", "/api/v1/me", nil).want(http.StatusOK)
		phone.do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")

		// An administrator resetting someone's password ends all their sessions.
		caio := e.login("Caio", "caio@acme.test")
		desk.do("PATCH", "/api/v1/users/"+itoa(caioID), map[string]string{"password": "reset-pelo-admin"}).want(http.StatusOK)
		caio.do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")
		e.client().do("POST", "/api/v1/auth/login", map[string]string{"email": "caio@acme.test", "password": "reset-pelo-admin"}).want(http.StatusOK)
	})
}

func TestUsersAndDepartmentsThroughTheAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("Acme", "Ana", "ana@acme.test", "admin")
		ana := e.login("Ana", "ana@acme.test")

		var sup, agent struct{ ID int64 }
		ana.do("POST", "/api/v1/users", map[string]string{"name": "Sílvia", "email": "silvia@acme.test", "role": "supervisor", "password": "senha-Sílvia-123"}).
			want(http.StatusCreated).decode(&sup)
		ana.do("POST", "/api/v1/users", map[string]string{"name": "Caio", "email": "caio@acme.test", "role": "agent", "password": "senha-Caio-123"}).
			want(http.StatusCreated).decode(&agent)
		var vendas, suporte struct{ ID int64 }
		ana.do("POST", "/api/v1/departments", map[string]string{"name": "Vendas"}).want(http.StatusCreated).decode(&vendas)
		ana.do("POST", "/api/v1/departments", map[string]string{"name": "Suporte"}).want(http.StatusCreated).decode(&suporte)
		ana.do("PUT", "/api/v1/departments/"+itoa(vendas.ID)+"/members/"+itoa(sup.ID), nil).want(http.StatusNoContent)

		// The supervisor manages Vendas (her department) but not Suporte.
		silvia := e.login("Sílvia", "silvia@acme.test")
		silvia.do("PUT", "/api/v1/departments/"+itoa(vendas.ID)+"/members/"+itoa(agent.ID), nil).want(http.StatusNoContent)
		silvia.do("PUT", "/api/v1/departments/"+itoa(suporte.ID)+"/members/"+itoa(agent.ID), nil).wantError(http.StatusForbidden, "forbidden")
		silvia.do("PATCH", "/api/v1/departments/"+itoa(vendas.ID), map[string]string{"name": "Vendas B2B"}).want(http.StatusOK)
		silvia.do("POST", "/api/v1/departments", map[string]string{"name": "Nova"}).wantError(http.StatusForbidden, "forbidden")
		silvia.do("DELETE", "/api/v1/users/"+itoa(agent.ID), nil).wantError(http.StatusForbidden, "forbidden")

		// The agent works in Vendas B2B and sees it on /me, and the team.
		caio := e.login("Caio", "caio@acme.test")
		var me struct {
			Departments []struct {
				ID   int64
				Name string
			}
		}
		caio.do("GET", "/api/v1/me", nil).want(http.StatusOK).decode(&me)
		if len(me.Departments) != 1 || me.Departments[0].Name != "Vendas B2B" {
			t.Fatalf("agent's departments %+v", me.Departments)
		}
		var members struct{ Members []struct{ Name, Role string } }
		caio.do("GET", "/api/v1/departments/"+itoa(vendas.ID)+"/members", nil).want(http.StatusOK).decode(&members)
		if len(members.Members) != 2 {
			t.Fatalf("members %+v", members)
		}
		caio.do("PATCH", "/api/v1/departments/"+itoa(vendas.ID), map[string]string{"name": "Minha"}).wantError(http.StatusForbidden, "forbidden")

		// Removing a user ends their sessions.
		ana.do("DELETE", "/api/v1/users/"+itoa(agent.ID), nil).want(http.StatusNoContent)
		caio.do("GET", "/api/v1/me", nil).wantError(http.StatusUnauthorized, "unauthenticated")
		ana.do("GET", "/api/v1/users/"+itoa(agent.ID), nil).wantError(http.StatusNotFound, "not_found")
		var users struct{ Users []struct{ Email string } }
		ana.do("GET", "/api/v1/users", nil).want(http.StatusOK).decode(&users)
		if len(users.Users) != 2 {
			t.Fatalf("users after removal %+v", users)
		}
	})
}

func TestAuditLogRecordsSignInsAndAdministrativeChanges(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("Acme", "Ana", "ana@acme.test", "admin")
		e.client().do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@acme.test", "password": "nope-nope"}).want(http.StatusUnauthorized)
		ana := e.login("Ana", "ana@acme.test")
		ana.do("POST", "/api/v1/departments", map[string]string{"name": "Vendas"}).want(http.StatusCreated)

		var log struct {
			Entries []struct {
				Action, IP string
				ActorName  string    `json:"actor_name"`
				CreatedAt  time.Time `json:"created_at"`
			}
		}
		ana.do("GET", "/api/v1/audit-log?limit=3", nil).want(http.StatusOK).decode(&log)
		var got []string
		for _, en := range log.Entries {
			got = append(got, en.Action)
			if en.IP != "127.0.0.1" || en.CreatedAt.IsZero() {
				t.Errorf("entry %+v lacks address or time", en)
			}
		}
		if strings.Join(got, ",") != "department.create,auth.login,auth.login_failed" {
			t.Fatalf("audit log newest first = %v", got)
		}
		if log.Entries[0].ActorName != "Ana" {
			t.Errorf("actor %q", log.Entries[0].ActorName)
		}
		ana.do("GET", "/api/v1/audit-log?limit=1000", nil).wantError(http.StatusBadRequest, "invalid_query")
	})
}

func TestOperationalEndpoints(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	c := e.client()
	c.do("GET", "/healthz", nil).want(http.StatusOK)
	c.do("GET", "/readyz", nil).want(http.StatusOK)
	metrics := c.do("GET", "/metrics", nil).want(http.StatusOK)
	for _, series := range []string{`atende_http_requests_total{code="200",method="GET",route="GET /readyz"} 1`, "atende_http_request_duration_seconds_bucket", "go_goroutines", "process_resident_memory_bytes"} {
		if !bytes.Contains(metrics.body, []byte(series)) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	down := newEnv(t, db, func(d *api.Deps) {
		d.Ready["nats"] = pingFunc(func(context.Context) error { return errors.New("nats: connection closed") })
	})
	res := down.client().do("GET", "/readyz", nil).want(http.StatusServiceUnavailable)
	if !bytes.Contains(res.body, []byte("connection closed")) {
		t.Fatalf("/readyz does not say what failed: %s", res.body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

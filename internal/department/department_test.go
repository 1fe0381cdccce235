package department_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const pw = "correct horse battery"

// fixture is two accounts: Acme with an administrator (Ana), a supervisor
// (Sofia), another supervisor (Sergio) and two agents (Bruno, Carla); Beta
// with an administrator (Bia) and an agent (Beto).
type fixture struct {
	db    *store.DB
	clock *clock.Fake
	auth  *auth.Service
	deps  *department.Service

	ana, sofia, sergio, bruno, carla auth.User
	bia, beto                        auth.User
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	f := &fixture{
		db:    db,
		clock: clk,
		auth:  auth.New(db, clk, auth.DefaultLimits, slog.New(slog.DiscardHandler)),
		deps:  department.New(db, clk),
	}
	f.ana = f.user(t, "Acme", "Ana", "ana@acme.test", auth.Admin)
	f.sofia = f.user(t, "Acme", "Sofia", "sofia@acme.test", auth.Supervisor)
	f.sergio = f.user(t, "Acme", "Sergio", "sergio@acme.test", auth.Supervisor)
	f.bruno = f.user(t, "Acme", "Bruno", "bruno@acme.test", auth.Agent)
	f.carla = f.user(t, "Acme", "Carla", "carla@acme.test", auth.Agent)
	f.bia = f.user(t, "Beta", "Bia", "bia@beta.test", auth.Admin)
	f.beto = f.user(t, "Beta", "Beto", "beto@beta.test", auth.Agent)
	return f
}

func (f *fixture) user(t *testing.T, account, name, email string, role auth.Role) auth.User {
	t.Helper()
	u, err := f.auth.CreateUserInAccount(context.Background(), account, auth.NewUser{Name: name, Email: email, Role: string(role), Password: pw})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

// as is the principal the API would build for u from a session or token.
func as(u auth.User) auth.Principal {
	return auth.Principal{UserID: u.ID, AccountID: u.AccountID, Role: u.Role, Name: u.Name, Email: u.Email, IP: "203.0.113.7"}
}

func (f *fixture) create(t *testing.T, name string) department.Department {
	t.Helper()
	d, err := f.deps.Create(context.Background(), as(f.ana), name)
	if err != nil {
		t.Fatalf("create department %q: %v", name, err)
	}
	return d
}

func (f *fixture) add(t *testing.T, d department.Department, u auth.User) {
	t.Helper()
	if err := f.deps.AddMember(context.Background(), as(f.ana), d.ID, u.ID); err != nil {
		t.Fatalf("add %s to %s: %v", u.Email, d.Name, err)
	}
}

// memberIDs lists a department's members' user ids, as the admin sees them.
func (f *fixture) memberIDs(t *testing.T, d department.Department) []int64 {
	t.Helper()
	ms, err := f.deps.Members(context.Background(), as(f.ana), d.ID)
	if err != nil {
		t.Fatalf("members of %s: %v", d.Name, err)
	}
	ids := []int64{}
	for _, m := range ms {
		ids = append(ids, m.UserID)
	}
	return ids
}

// membershipRows counts department_members rows behind the API's back, to
// see that removals really delete them.
func membershipRows(t *testing.T, db *store.DB, column string, id int64) int {
	t.Helper()
	read, _ := db.SQL()
	var n int
	if err := read.QueryRow("SELECT count(*) FROM department_members WHERE "+column+" = $1", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func names(ds []department.Department) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func wantField(t *testing.T, err error, field, what string) {
	t.Helper()
	var ve *validate.Error
	if !errors.As(err, &ve) || ve.Field != field {
		t.Fatalf("%s: err = %v, want a *validate.Error for %q", what, err, field)
	}
}

func TestAdminManagesDepartments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		admin := as(f.ana)

		vendas, err := f.deps.Create(ctx, admin, "  Vendas ")
		if err != nil {
			t.Fatal(err)
		}
		if vendas.ID == 0 || vendas.Name != "Vendas" || !vendas.CreatedAt.Equal(t0) || !vendas.UpdatedAt.Equal(t0) {
			t.Errorf("created department = %+v", vendas)
		}
		suporte := f.create(t, "Suporte")

		list, err := f.deps.List(ctx, admin)
		if err != nil || !slices.Equal(names(list), []string{"Suporte", "Vendas"}) {
			t.Fatalf("List = %v, %v; want Suporte, Vendas (by name)", names(list), err)
		}
		got, err := f.deps.Get(ctx, admin, vendas.ID)
		if err != nil || got.ID != vendas.ID || got.Name != "Vendas" {
			t.Fatalf("Get = %+v, %v", got, err)
		}

		f.clock.Advance(time.Minute)
		renamed, err := f.deps.Rename(ctx, admin, vendas.ID, " Comercial ")
		if err != nil {
			t.Fatal(err)
		}
		if renamed.ID != vendas.ID || renamed.Name != "Comercial" || !renamed.CreatedAt.Equal(t0) || !renamed.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("renamed department = %+v", renamed)
		}
		if got, err := f.deps.Get(ctx, admin, vendas.ID); err != nil || got.Name != "Comercial" {
			t.Errorf("Get after rename = %+v, %v", got, err)
		}

		if err := f.deps.Delete(ctx, admin, vendas.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.deps.Get(ctx, admin, vendas.ID)
		wantErr(t, err, store.ErrNotFound, "Get of a deleted department")
		_, err = f.deps.Rename(ctx, admin, vendas.ID, "Again")
		wantErr(t, err, store.ErrNotFound, "Rename of a deleted department")
		_, err = f.deps.Members(ctx, admin, vendas.ID)
		wantErr(t, err, store.ErrNotFound, "Members of a deleted department")
		wantErr(t, f.deps.AddMember(ctx, admin, vendas.ID, f.bruno.ID), store.ErrNotFound, "AddMember to a deleted department")
		wantErr(t, f.deps.Delete(ctx, admin, vendas.ID), store.ErrNotFound, "deleting twice")
		list, err = f.deps.List(ctx, admin)
		if err != nil || len(list) != 1 || list[0].ID != suporte.ID {
			t.Fatalf("List after delete = %v, %v; want only Suporte", names(list), err)
		}
	})
}

func TestDepartmentNameIsValidated(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, bad := range []string{"", "   ", strings.Repeat("x", 101), "Ven\ndas", "Vendas\x01"} {
			_, err := f.deps.Create(ctx, as(f.ana), bad)
			wantField(t, err, "name", "Create "+strconv.Quote(bad))
		}
		d := f.create(t, strings.Repeat("x", 100))
		_, err := f.deps.Rename(ctx, as(f.ana), d.ID, "")
		wantField(t, err, "name", "Rename to blank")
		if list, _ := f.deps.List(ctx, as(f.ana)); len(list) != 1 {
			t.Errorf("List = %v, want only the 100-character name", names(list))
		}
	})
}

func TestDepartmentNamesAreUniquePerAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.create(t, "Vendas")
		suporte := f.create(t, "Suporte")

		_, err := f.deps.Create(ctx, as(f.ana), "Vendas")
		wantErr(t, err, store.ErrConflict, "second Vendas")
		wantField(t, err, "name", "second Vendas")
		_, err = f.deps.Rename(ctx, as(f.ana), suporte.ID, "Vendas")
		wantErr(t, err, store.ErrConflict, "renaming Suporte to Vendas")
		if got, _ := f.deps.Get(ctx, as(f.ana), suporte.ID); got.Name != "Suporte" {
			t.Errorf("Suporte after the refused rename is %q", got.Name)
		}
		// Renaming to its own name is not a conflict.
		if _, err := f.deps.Rename(ctx, as(f.ana), suporte.ID, "Suporte"); err != nil {
			t.Errorf("renaming Suporte to Suporte: %v", err)
		}
		// Another account has its own names.
		if _, err := f.deps.Create(ctx, as(f.bia), "Vendas"); err != nil {
			t.Errorf("Beta creates its own Vendas: %v", err)
		}
	})
}

func TestOnlyAdminsCreateDepartments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, u := range []auth.User{f.sofia, f.bruno} {
			_, err := f.deps.Create(ctx, as(u), "Vendas")
			wantErr(t, err, auth.ErrForbidden, string(u.Role)+" creates a department")
		}
		if list, err := f.deps.List(ctx, as(f.ana)); err != nil || len(list) != 0 {
			t.Errorf("List = %v, %v; want none", names(list), err)
		}
	})
}

func TestSupervisorRenamesOnlyOwnDepartment(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		suporte := f.create(t, "Suporte")
		f.add(t, vendas, f.sofia)

		got, err := f.deps.Rename(ctx, as(f.sofia), vendas.ID, "Comercial")
		if err != nil || got.Name != "Comercial" {
			t.Fatalf("supervisor renames own department = %+v, %v", got, err)
		}
		_, err = f.deps.Rename(ctx, as(f.sofia), suporte.ID, "Atendimento")
		wantErr(t, err, auth.ErrForbidden, "supervisor renames another department")
		if got, _ := f.deps.Get(ctx, as(f.ana), suporte.ID); got.Name != "Suporte" {
			t.Errorf("Suporte is now %q", got.Name)
		}
		_, err = f.deps.Rename(ctx, as(f.sergio), vendas.ID, "Mine")
		wantErr(t, err, auth.ErrForbidden, "supervisor of no department renames Vendas")
	})
}

func TestSupervisorCannotDeleteDepartments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.sofia)
		f.add(t, vendas, f.bruno)
		wantErr(t, f.deps.Delete(ctx, as(f.sofia), vendas.ID), auth.ErrForbidden, "supervisor deletes own department")
		wantErr(t, f.deps.Delete(ctx, as(f.bruno), vendas.ID), auth.ErrForbidden, "agent deletes own department")
		if _, err := f.deps.Get(ctx, as(f.ana), vendas.ID); err != nil {
			t.Fatalf("Vendas after the refused deletions: %v", err)
		}
		if ids := f.memberIDs(t, vendas); len(ids) != 2 {
			t.Errorf("Vendas members = %v, want both still there", ids)
		}
	})
}

func TestSupervisorManagesAgentsInOwnDepartment(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		suporte := f.create(t, "Suporte")
		f.add(t, vendas, f.sofia)
		sup := as(f.sofia)

		if err := f.deps.AddMember(ctx, sup, vendas.ID, f.bruno.ID); err != nil {
			t.Fatalf("supervisor adds an agent: %v", err)
		}
		if ids := f.memberIDs(t, vendas); !slices.Contains(ids, f.bruno.ID) {
			t.Fatalf("Vendas members = %v, want bruno (%d)", ids, f.bruno.ID)
		}
		if err := f.deps.RemoveMember(ctx, sup, vendas.ID, f.bruno.ID); err != nil {
			t.Fatalf("supervisor removes an agent: %v", err)
		}
		if ids := f.memberIDs(t, vendas); slices.Contains(ids, f.bruno.ID) {
			t.Fatalf("Vendas members = %v, want bruno (%d) gone", ids, f.bruno.ID)
		}

		// Only agents, and only in their own departments.
		wantErr(t, f.deps.AddMember(ctx, sup, vendas.ID, f.ana.ID), auth.ErrForbidden, "supervisor adds an admin")
		wantErr(t, f.deps.AddMember(ctx, sup, vendas.ID, f.sergio.ID), auth.ErrForbidden, "supervisor adds a supervisor")
		wantErr(t, f.deps.AddMember(ctx, sup, suporte.ID, f.bruno.ID), auth.ErrForbidden, "supervisor adds an agent to another department")
		f.add(t, vendas, f.ana)
		f.add(t, suporte, f.carla)
		wantErr(t, f.deps.RemoveMember(ctx, sup, vendas.ID, f.ana.ID), auth.ErrForbidden, "supervisor removes an admin")
		wantErr(t, f.deps.RemoveMember(ctx, sup, vendas.ID, f.sofia.ID), auth.ErrForbidden, "supervisor removes themselves")
		wantErr(t, f.deps.RemoveMember(ctx, sup, suporte.ID, f.carla.ID), auth.ErrForbidden, "supervisor removes an agent of another department")

		if ids := f.memberIDs(t, vendas); !slices.Equal(ids, []int64{f.ana.ID, f.sofia.ID}) {
			t.Errorf("Vendas members = %v, want ana and sofia", ids)
		}
		if ids := f.memberIDs(t, suporte); !slices.Equal(ids, []int64{f.carla.ID}) {
			t.Errorf("Suporte members = %v, want carla", ids)
		}
	})
}

func TestAgentCannotManageDepartments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.bruno)
		agent := as(f.bruno)

		wantErr(t, f.deps.AddMember(ctx, agent, vendas.ID, f.carla.ID), auth.ErrForbidden, "agent adds a colleague")
		wantErr(t, f.deps.AddMember(ctx, agent, vendas.ID, f.bruno.ID), auth.ErrForbidden, "agent adds themselves")
		wantErr(t, f.deps.RemoveMember(ctx, agent, vendas.ID, f.bruno.ID), auth.ErrForbidden, "agent removes themselves")
		_, err := f.deps.Rename(ctx, agent, vendas.ID, "Mine")
		wantErr(t, err, auth.ErrForbidden, "agent renames own department")

		// But everybody in the account sees departments and their members.
		if list, err := f.deps.List(ctx, agent); err != nil || !slices.Equal(names(list), []string{"Vendas"}) {
			t.Errorf("agent's List = %v, %v", names(list), err)
		}
		if got, err := f.deps.Get(ctx, agent, vendas.ID); err != nil || got.Name != "Vendas" {
			t.Errorf("agent's Get = %+v, %v", got, err)
		}
		ms, err := f.deps.Members(ctx, as(f.carla), vendas.ID)
		if err != nil || len(ms) != 1 || ms[0].UserID != f.bruno.ID {
			t.Errorf("Members seen by a non-member agent = %+v, %v; want bruno", ms, err)
		}
	})
}

func TestOtherAccountsDepartmentsAreNotFound(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.bruno)

		for _, p := range []auth.Principal{as(f.bia), as(f.beto)} {
			what := p.Email + " on Acme's Vendas: "
			_, err := f.deps.Get(ctx, p, vendas.ID)
			wantErr(t, err, store.ErrNotFound, what+"Get")
			_, err = f.deps.Rename(ctx, p, vendas.ID, "Hacked")
			wantErr(t, err, store.ErrNotFound, what+"Rename")
			wantErr(t, f.deps.Delete(ctx, p, vendas.ID), store.ErrNotFound, what+"Delete")
			_, err = f.deps.Members(ctx, p, vendas.ID)
			wantErr(t, err, store.ErrNotFound, what+"Members")
			wantErr(t, f.deps.AddMember(ctx, p, vendas.ID, f.beto.ID), store.ErrNotFound, what+"AddMember")
			wantErr(t, f.deps.RemoveMember(ctx, p, vendas.ID, f.bruno.ID), store.ErrNotFound, what+"RemoveMember")
			if list, err := f.deps.List(ctx, p); err != nil || len(list) != 0 {
				t.Errorf("%sList = %v, %v; want none", what, names(list), err)
			}
		}
		got, err := f.deps.Get(ctx, as(f.ana), vendas.ID)
		if err != nil || got.Name != "Vendas" {
			t.Fatalf("Vendas after Beta's attempts = %+v, %v", got, err)
		}
		if ids := f.memberIDs(t, vendas); !slices.Equal(ids, []int64{f.bruno.ID}) {
			t.Errorf("Vendas members = %v, want only bruno", ids)
		}
	})
}

func TestAddingUserOfAnotherAccountIsNotFound(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.sofia)
		wantErr(t, f.deps.AddMember(ctx, as(f.ana), vendas.ID, f.beto.ID), store.ErrNotFound, "admin adds Beta's agent")
		wantErr(t, f.deps.AddMember(ctx, as(f.sofia), vendas.ID, f.beto.ID), store.ErrNotFound, "supervisor adds Beta's agent")
		wantErr(t, f.deps.AddMember(ctx, as(f.ana), vendas.ID, f.beto.ID+1000), store.ErrNotFound, "admin adds an unknown user")
		if ids := f.memberIDs(t, vendas); !slices.Equal(ids, []int64{f.sofia.ID}) {
			t.Errorf("Vendas members = %v, want only sofia", ids)
		}
	})
}

func TestAddMemberTwiceIsHarmless(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.bruno)
		f.clock.Advance(time.Hour)
		if err := f.deps.AddMember(ctx, as(f.ana), vendas.ID, f.bruno.ID); err != nil {
			t.Fatalf("adding a member again: %v", err)
		}
		ms, err := f.deps.Members(ctx, as(f.ana), vendas.ID)
		if err != nil || len(ms) != 1 {
			t.Fatalf("Members = %+v, %v; want bruno once", ms, err)
		}
		if !ms[0].MemberSince.Equal(t0) {
			t.Errorf("MemberSince = %v, want the first addition %v", ms[0].MemberSince, t0)
		}
		log, err := f.auth.AuditLog(ctx, as(f.ana), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		adds := 0
		for _, e := range log {
			if e.Action == "department.member_add" {
				adds++
			}
		}
		if adds != 1 {
			t.Errorf("audit log has %d department.member_add entries, want 1 (the second add changed nothing)", adds)
		}
	})
}

func TestRemovingNonMemberIsNotFound(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.bruno)
		wantErr(t, f.deps.RemoveMember(ctx, as(f.ana), vendas.ID, f.carla.ID), store.ErrNotFound, "removing a non-member")
		if err := f.deps.RemoveMember(ctx, as(f.ana), vendas.ID, f.bruno.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.deps.RemoveMember(ctx, as(f.ana), vendas.ID, f.bruno.ID), store.ErrNotFound, "removing a member twice")
	})
}

func TestMembersListsUsersWithRoleAndSince(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.sofia)
		f.clock.Advance(time.Minute)
		f.add(t, vendas, f.carla)
		f.add(t, vendas, f.bruno)

		ms, err := f.deps.Members(ctx, as(f.bruno), vendas.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []department.Member{
			{UserID: f.bruno.ID, Name: "Bruno", Email: "bruno@acme.test", Role: auth.Agent, MemberSince: t0.Add(time.Minute)},
			{UserID: f.carla.ID, Name: "Carla", Email: "carla@acme.test", Role: auth.Agent, MemberSince: t0.Add(time.Minute)},
			{UserID: f.sofia.ID, Name: "Sofia", Email: "sofia@acme.test", Role: auth.Supervisor, MemberSince: t0},
		}
		if len(ms) != len(want) {
			t.Fatalf("Members = %+v, want %+v", ms, want)
		}
		for i := range want {
			g, w := ms[i], want[i]
			if g.UserID != w.UserID || g.Name != w.Name || g.Email != w.Email || g.Role != w.Role || !g.MemberSince.Equal(w.MemberSince) {
				t.Errorf("member %d = %+v, want %+v (members by name)", i, g, w)
			}
		}
	})
}

func TestDeletingDepartmentEndsMembershipsAndFreesName(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		suporte := f.create(t, "Suporte")
		f.add(t, vendas, f.bruno)
		f.add(t, vendas, f.sofia)
		f.add(t, suporte, f.bruno)

		if err := f.deps.Delete(ctx, as(f.ana), vendas.ID); err != nil {
			t.Fatal(err)
		}
		me, err := f.auth.Me(ctx, as(f.bruno))
		if err != nil {
			t.Fatal(err)
		}
		if want := []auth.Membership{{ID: suporte.ID, Name: "Suporte"}}; !slices.Equal(me.Departments, want) {
			t.Errorf("bruno's departments = %+v, want %+v", me.Departments, want)
		}
		if me, err := f.auth.Me(ctx, as(f.sofia)); err != nil || len(me.Departments) != 0 {
			t.Errorf("sofia's departments = %+v, %v; want none", me.Departments, err)
		}
		if n := membershipRows(t, db, "department_id", vendas.ID); n != 0 {
			t.Errorf("%d membership rows left for the deleted department, want 0", n)
		}

		again, err := f.deps.Create(ctx, as(f.ana), "Vendas")
		if err != nil {
			t.Fatalf("reusing the deleted department's name: %v", err)
		}
		if again.ID == vendas.ID {
			t.Errorf("new Vendas reused the deleted one's id %d", vendas.ID)
		}
		if ids := f.memberIDs(t, again); len(ids) != 0 {
			t.Errorf("new Vendas has members %v; the old memberships must not carry over", ids)
		}
		// Sofia no longer manages anything called Vendas.
		_, err = f.deps.Rename(ctx, as(f.sofia), again.ID, "Mine")
		wantErr(t, err, auth.ErrForbidden, "sofia renames the new Vendas")
	})
}

func TestDeletedUserLeavesDepartments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vendas := f.create(t, "Vendas")
		suporte := f.create(t, "Suporte")
		f.add(t, vendas, f.bruno)
		f.add(t, suporte, f.bruno)
		f.add(t, vendas, f.carla)

		if err := f.auth.DeleteUser(ctx, as(f.ana), f.bruno.ID); err != nil {
			t.Fatal(err)
		}
		if ids := f.memberIDs(t, vendas); !slices.Equal(ids, []int64{f.carla.ID}) {
			t.Errorf("Vendas members = %v, want only carla", ids)
		}
		if ids := f.memberIDs(t, suporte); len(ids) != 0 {
			t.Errorf("Suporte members = %v, want none", ids)
		}
		if n := membershipRows(t, db, "user_id", f.bruno.ID); n != 0 {
			t.Errorf("%d membership rows left for the deleted user, want 0", n)
		}
		wantErr(t, f.deps.AddMember(ctx, as(f.ana), vendas.ID, f.bruno.ID), store.ErrNotFound, "adding a deleted user")
	})
}

func TestDepartmentChangesAreAudited(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		before, err := f.auth.AuditLog(ctx, as(f.ana), 0, 1)
		if err != nil || len(before) != 1 {
			t.Fatalf("audit log before: %v, %v", before, err)
		}
		vendas := f.create(t, "Vendas")
		f.add(t, vendas, f.sofia)
		if err := f.deps.AddMember(ctx, as(f.sofia), vendas.ID, f.bruno.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.deps.RemoveMember(ctx, as(f.sofia), vendas.ID, f.bruno.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.deps.Rename(ctx, as(f.sofia), vendas.ID, "Comercial"); err != nil {
			t.Fatal(err)
		}
		if err := f.deps.Delete(ctx, as(f.ana), vendas.ID); err != nil {
			t.Fatal(err)
		}

		log, err := f.auth.AuditLog(ctx, as(f.ana), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log {
			if e.ID <= before[0].ID {
				break
			}
			got = append(got, e.Action)
			if e.TargetType != "department" || e.TargetID == nil || *e.TargetID != vendas.ID {
				t.Errorf("%s entry targets %s %v, want department %d", e.Action, e.TargetType, e.TargetID, vendas.ID)
			}
		}
		want := []string{"department.delete", "department.update", "department.member_remove", "department.member_add", "department.member_add", "department.create"}
		if !slices.Equal(got, want) {
			t.Fatalf("audit actions = %v, want %v", got, want)
		}
		if log[0].ActorID == nil || *log[0].ActorID != f.ana.ID || log[1].ActorID == nil || *log[1].ActorID != f.sofia.ID {
			t.Errorf("actors: delete by %v, rename by %v; want ana (%d) and sofia (%d)", log[0].ActorID, log[1].ActorID, f.ana.ID, f.sofia.ID)
		}
		// Beta sees none of it.
		beta, err := f.auth.AuditLog(ctx, as(f.bia), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range beta {
			if strings.HasPrefix(e.Action, "department.") {
				t.Errorf("Beta's audit log shows %s", e.Action)
			}
		}
	})
}

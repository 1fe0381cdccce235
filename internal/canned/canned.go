// Package canned keeps canned responses ("respostas prontas"): texts agents
// insert by typing /shortcut in the composer, with placeholders filled from
// the conversation (the contact's first name, the agent's name, the
// protocol).
//
// A response belongs to the whole account (administrators manage it), to
// one department (administrators and the department's supervisors), or to
// one person (personal: only they see and manage it). Everybody uses the
// account's responses, their departments' and their own; a response they
// may not use answers store.ErrNotFound, like a missing one.
package canned

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Scopes.
const (
	Account    = "account"
	Department = "department"
	Personal   = "personal"
)

// Limits.
const (
	MaxShortcut = 30
	MaxTitle    = 100
	MaxBody     = 10000
	// MaxList bounds one lookup.
	MaxList = 200
)

// Response is a canned response. Rendered is its body with the placeholders
// filled, when it was asked for a conversation.
type Response struct {
	ID         int64        `json:"id"`
	Scope      string       `json:"scope"`
	Department *routing.Ref `json:"department"`
	UserID     *int64       `json:"user_id"`
	Shortcut   string       `json:"shortcut"`
	Title      string       `json:"title"`
	Body       string       `json:"body"`
	Rendered   *string      `json:"rendered,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	owner      ownerOf
}

// ownerOf says who a response belongs to, for permission checks.
type ownerOf struct {
	scope        string
	departmentID int64
	userID       int64
}

func responseOf(r store.CannedResponse, departmentName string) Response {
	out := Response{ID: r.ID, Scope: r.Scope, Shortcut: r.Shortcut, Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		owner: ownerOf{scope: r.Scope, departmentID: r.DepartmentID.Int64, userID: r.UserID.Int64}}
	if r.DepartmentID.Valid {
		out.Department = &routing.Ref{ID: r.DepartmentID.Int64, Name: departmentName}
	}
	if r.UserID.Valid {
		out.UserID = &r.UserID.Int64
	}
	return out
}

// Service manages canned responses.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// New returns a Service.
func New(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

// Shortcut normalises a shortcut: without the leading "/", lower-cased;
// letters, digits, "_" and "-" only.
func Shortcut(raw string) (string, error) {
	s := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(raw), "/"))
	switch {
	case s == "":
		return "", validate.Errorf("shortcut", "is required")
	case utf8.RuneCountInString(s) > MaxShortcut:
		return "", validate.Errorf("shortcut", "must be at most %d characters", MaxShortcut)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return "", validate.Errorf("shortcut", "may hold letters, digits, _ and - only")
		}
	}
	return s, nil
}

func checkText(title, body string) (string, error) {
	title = strings.TrimSpace(title)
	switch {
	case utf8.RuneCountInString(title) > MaxTitle:
		return "", validate.Errorf("title", "must be at most %d characters", MaxTitle)
	case strings.TrimSpace(body) == "":
		return "", validate.Errorf("body", "is required")
	case utf8.RuneCountInString(body) > MaxBody:
		return "", validate.Errorf("body", "must be at most %d characters", MaxBody)
	}
	return title, nil
}

// mayManage: personal responses by their owner; department ones by
// administrators and the department's supervisors; the account's by
// administrators.
func mayManage(ctx context.Context, q *store.Queries, p auth.Principal, o ownerOf) error {
	switch o.scope {
	case Personal:
		if o.userID == p.UserID {
			return nil
		}
	case Department:
		if p.IsAdmin() {
			return nil
		}
		if p.Role == auth.Supervisor {
			n, err := q.IsDepartmentMember(ctx, store.IsDepartmentMemberParams{AccountID: p.AccountID, DepartmentID: o.departmentID, UserID: p.UserID})
			if err != nil || n > 0 {
				return err
			}
		}
	case Account:
		if p.IsAdmin() {
			return nil
		}
	}
	return fmt.Errorf("%w: %s responses are managed by %s", auth.ErrForbidden, o.scope,
		map[string]string{Personal: "their owner", Department: "administrators and the department's supervisors", Account: "administrators"}[o.scope])
}

// mayUse: the account's, the caller's own, and their departments' (every
// department's for administrators).
func mayUse(ctx context.Context, q *store.Queries, p auth.Principal, o ownerOf) (bool, error) {
	switch o.scope {
	case Account:
		return true, nil
	case Personal:
		return o.userID == p.UserID, nil
	}
	if p.IsAdmin() {
		return true, nil
	}
	n, err := q.IsDepartmentMember(ctx, store.IsDepartmentMemberParams{AccountID: p.AccountID, DepartmentID: o.departmentID, UserID: p.UserID})
	return n > 0, err
}

// NewResponse is what Create takes.
type NewResponse struct {
	Scope        string `json:"scope"`
	DepartmentID int64  `json:"department_id"`
	Shortcut     string `json:"shortcut"`
	Title        string `json:"title"`
	Body         string `json:"body"`
}

func shortcutTaken(err error) error {
	if errors.Is(store.Translate(err), store.ErrConflict) {
		return fmt.Errorf("%w: %w", store.ErrConflict, validate.Errorf("shortcut", "is already used by another response of the same owner"))
	}
	return err
}

// Create adds a response: personal (the caller's), for a department, or for
// the account.
func (s *Service) Create(ctx context.Context, p auth.Principal, n NewResponse) (Response, error) {
	shortcut, err := Shortcut(n.Shortcut)
	if err != nil {
		return Response{}, err
	}
	title, err := checkText(n.Title, n.Body)
	if err != nil {
		return Response{}, err
	}
	o := ownerOf{scope: n.Scope}
	switch n.Scope {
	case Personal:
		o.userID = p.UserID
	case Department:
		if n.DepartmentID <= 0 {
			return Response{}, validate.Errorf("department_id", "is required for a department's response")
		}
		o.departmentID = n.DepartmentID
	case Account:
	default:
		return Response{}, validate.Errorf("scope", "must be personal, department or account")
	}
	if n.Scope != Department && n.DepartmentID != 0 {
		return Response{}, validate.Errorf("department_id", "goes only with the department scope")
	}
	var out Response
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		name := ""
		if o.scope == Department {
			d, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: o.departmentID})
			if errors.Is(store.Translate(err), store.ErrNotFound) {
				return validate.Errorf("department_id", "is not one of the account's departments")
			}
			if err != nil {
				return err
			}
			name = d.Name
		}
		if err := mayManage(ctx, q, p, o); err != nil {
			return err
		}
		now := s.clock.Now()
		r, err := q.CreateCanned(ctx, store.CreateCannedParams{AccountID: p.AccountID, Scope: o.scope, DepartmentID: store.NullID(o.departmentID),
			UserID: store.NullID(o.userID), Shortcut: shortcut, Title: title, Body: n.Body, CreatedBy: store.NullID(p.UserID), CreatedAt: now})
		if err != nil {
			return shortcutTaken(err)
		}
		out = responseOf(r, name)
		return s.audit(ctx, q, p, "canned_response.create", out)
	})
	return out, err
}

// audit records changes to shared responses; personal ones are nobody
// else's business.
func (s *Service) audit(ctx context.Context, q *store.Queries, p auth.Principal, action string, r Response) error {
	if r.Scope == Personal {
		return nil
	}
	return audit.Record(ctx, q, s.clock.Now(), audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: action,
		TargetType: "canned_response", TargetID: r.ID, Detail: map[string]any{"scope": r.Scope, "shortcut": r.Shortcut}, IP: p.IP})
}

// usable loads a response the caller may use.
func usable(ctx context.Context, q *store.Queries, p auth.Principal, id int64) (Response, error) {
	r, err := q.GetCanned(ctx, store.GetCannedParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return Response{}, fmt.Errorf("canned response %d: %w", id, store.Translate(err))
	}
	name := ""
	if r.DepartmentID.Valid {
		d, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: p.AccountID, ID: r.DepartmentID.Int64})
		if err != nil {
			return Response{}, fmt.Errorf("canned response %d: %w", id, store.Translate(err))
		}
		name = d.Name
	}
	out := responseOf(r, name)
	ok, err := mayUse(ctx, q, p, out.owner)
	if err != nil {
		return Response{}, err
	}
	if !ok {
		return Response{}, fmt.Errorf("canned response %d: %w", id, store.ErrNotFound)
	}
	return out, nil
}

// Changes edits a response; nil fields stay. The scope does not change.
type Changes struct {
	Shortcut *string `json:"shortcut"`
	Title    *string `json:"title"`
	Body     *string `json:"body"`
}

// Update changes a response the caller may manage.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, ch Changes) (Response, error) {
	var out Response
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		cur, err := usable(ctx, q, p, id)
		if err != nil {
			return err
		}
		if err := mayManage(ctx, q, p, cur.owner); err != nil {
			return err
		}
		shortcut, title, body := cur.Shortcut, cur.Title, cur.Body
		if ch.Shortcut != nil {
			if shortcut, err = Shortcut(*ch.Shortcut); err != nil {
				return err
			}
		}
		if ch.Title != nil {
			title = *ch.Title
		}
		if ch.Body != nil {
			body = *ch.Body
		}
		if title, err = checkText(title, body); err != nil {
			return err
		}
		r, err := q.UpdateCanned(ctx, store.UpdateCannedParams{AccountID: p.AccountID, ID: id, Shortcut: shortcut, Title: title, Body: body, UpdatedAt: s.clock.Now()})
		if err != nil {
			return shortcutTaken(err)
		}
		name := ""
		if cur.Department != nil {
			name = cur.Department.Name
		}
		out = responseOf(r, name)
		return s.audit(ctx, q, p, "canned_response.update", out)
	})
	return out, err
}

// Delete removes a response the caller may manage.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		cur, err := usable(ctx, q, p, id)
		if err != nil {
			return err
		}
		if err := mayManage(ctx, q, p, cur.owner); err != nil {
			return err
		}
		if _, err := q.DeleteCanned(ctx, store.DeleteCannedParams{AccountID: p.AccountID, ID: id}); err != nil {
			return err
		}
		return s.audit(ctx, q, p, "canned_response.delete", cur)
	})
}

// Lookup lists the responses the caller may use whose shortcut starts with
// what they typed ("/sau" or "sau"; "" lists them all), most specific first
// for each shortcut. With a conversation the caller may see, only its
// department's department responses are offered, and each comes rendered
// for it. departmentID narrows to one department's otherwise.
func (s *Service) Lookup(ctx context.Context, p auth.Principal, typed string, conversationID, departmentID int64) ([]Response, error) {
	prefix := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(typed), "/"))
	if utf8.RuneCountInString(prefix) > MaxShortcut {
		return nil, validate.Errorf("q", "must be at most %d characters", MaxShortcut)
	}
	q := s.db.Read()
	var fill *strings.Replacer
	if conversationID != 0 {
		r, dep, err := s.placeholders(ctx, q, p, conversationID)
		if err != nil {
			return nil, err
		}
		fill, departmentID = r, dep
	}
	pattern := ""
	if prefix != "" {
		pattern = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
	}
	rows, err := q.ListCanned(ctx, store.ListCannedParams{AccountID: p.AccountID, UserID: store.NullID(p.UserID), AllDepartments: p.IsAdmin(),
		DepartmentID: departmentID, Prefix: pattern, Max: MaxList})
	if err != nil {
		return nil, err
	}
	out := make([]Response, len(rows))
	for i, r := range rows {
		out[i] = responseOf(store.CannedResponse{ID: r.ID, AccountID: r.AccountID, Scope: r.Scope, DepartmentID: r.DepartmentID, UserID: r.UserID,
			Shortcut: r.Shortcut, Title: r.Title, Body: r.Body, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r.DepartmentName.String)
		if fill != nil {
			text := fill.Replace(r.Body)
			out[i].Rendered = &text
		}
	}
	return out, nil
}

// Get returns one response the caller may use, rendered for a conversation
// they may see when conversationID is not 0.
func (s *Service) Get(ctx context.Context, p auth.Principal, id, conversationID int64) (Response, error) {
	q := s.db.Read()
	r, err := usable(ctx, q, p, id)
	if err != nil {
		return Response{}, err
	}
	if conversationID != 0 {
		fill, _, err := s.placeholders(ctx, q, p, conversationID)
		if err != nil {
			return Response{}, err
		}
		text := fill.Replace(r.Body)
		r.Rendered = &text
	}
	return r, nil
}

// Placeholders a body may use, filled from the conversation.
var Placeholders = []string{
	"{{contact.first_name}}", "{{contact.name}}", "{{agent.first_name}}", "{{agent.name}}", "{{protocol}}", "{{department.name}}",
}

// placeholders fills the placeholders for a conversation the caller may
// see, and returns its department.
func (s *Service) placeholders(ctx context.Context, q *store.Queries, p auth.Principal, conversationID int64) (*strings.Replacer, int64, error) {
	row, err := q.ConversationSummary(ctx, store.ConversationSummaryParams{AccountID: p.AccountID, ID: conversationID})
	if err != nil {
		return nil, 0, fmt.Errorf("conversation %d: %w", conversationID, store.Translate(err))
	}
	if err := routing.MaySee(ctx, q, p, row.Conversation); err != nil {
		return nil, 0, err
	}
	agent := p.Name
	return strings.NewReplacer(
		"{{contact.first_name}}", firstName(row.ContactName), "{{contact.name}}", row.ContactName,
		"{{agent.first_name}}", firstName(agent), "{{agent.name}}", agent,
		"{{protocol}}", row.Conversation.Protocol, "{{department.name}}", row.DepartmentName,
	), row.Conversation.DepartmentID, nil
}

// firstName is the first word of a name.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}

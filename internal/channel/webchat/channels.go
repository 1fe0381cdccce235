// Package webchat is the website chat channel: the channels administrators
// set up per site, the visitor tokens that tie a browser to one of them, the
// frames the embeddable widget exchanges with Atende (docs/widget-protocol.md),
// live visitor tracking, proactive invitations, and the relay adapter that
// marks agents' replies sent once the widget may show them.
//
// Visitors are anonymous people on a company's site: everything they send is
// untrusted, and everything they are sent is about their own conversation
// only.
package webchat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/audit"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Kind is the channel kind of the website chat.
const Kind = "webchat"

// Pre-chat field modes.
const (
	Off      = "off"
	Optional = "optional"
	Required = "required"
)

// Prechat says which fields the pre-chat form asks for.
type Prechat struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	Department string `json:"department"`
}

// Texts is one text in each language the widget speaks.
type Texts struct {
	PtBR string `json:"pt-BR"`
	En   string `json:"en"`
}

// In picks the text for a language ("en…" for English, pt-BR otherwise),
// falling back to the other language when it is empty.
func (t Texts) In(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		if t.En != "" {
			return t.En
		}
		return t.PtBR
	}
	if t.PtBR != "" {
		return t.PtBR
	}
	return t.En
}

// Settings is how a webchat channel behaves; it is stored as the channel's
// settings JSON.
type Settings struct {
	// AllowedOrigins are the sites ("https://shop.example") the widget may
	// run on; the socket refuses any other Origin.
	AllowedOrigins []string `json:"allowed_origins"`
	// Departments the visitor picks from in the pre-chat form; empty means
	// the channel's default department only.
	Departments    []int64 `json:"departments"`
	Prechat        Prechat `json:"prechat"`
	Color          string  `json:"color"`
	TextColor      string  `json:"text_color"`
	Greeting       Texts   `json:"greeting"`
	OfflineMessage Texts   `json:"offline_message"`
	// IdentityVerification: only an e-mail signed by the site's back end
	// (HMAC with IdentitySecret) identifies a visitor.
	IdentityVerification bool   `json:"identity_verification"`
	IdentitySecret       string `json:"identity_secret"`
}

// defaults are the settings of a new channel before the administrator's.
func defaults() Settings {
	return Settings{
		AllowedOrigins: []string{}, Departments: []int64{},
		Prechat: Prechat{Name: Optional, Email: Optional, Phone: Off, Department: Off},
		Color:   "#1f6feb", TextColor: "#ffffff",
		Greeting: Texts{PtBR: "Olá! Como podemos ajudar?", En: "Hi! How can we help?"},
		OfflineMessage: Texts{
			PtBR: "Nenhum atendente disponível agora. Deixe sua mensagem e responderemos assim que possível.",
			En:   "No one is available right now. Leave a message and we will answer as soon as we can.",
		},
	}
}

// Channel is a webchat channel as administrators see it.
type Channel struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	DepartmentID int64     `json:"department_id"`
	PublicKey    string    `json:"public_key"`
	Settings               // inlined: allowed_origins, departments, prechat, …
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ChannelOf decodes a channel row.
func ChannelOf(ch store.Channel) (Channel, error) {
	s := defaults()
	if err := json.Unmarshal([]byte(ch.Settings), &s); err != nil {
		return Channel{}, fmt.Errorf("channel %d: settings: %w", ch.ID, err)
	}
	return Channel{ID: ch.ID, Name: ch.Name, DepartmentID: ch.DepartmentID.Int64, PublicKey: ch.PublicKey.String,
		Settings: s, CreatedAt: ch.CreatedAt, UpdatedAt: ch.UpdatedAt}, nil
}

// DepartmentIDs are the departments conversations of the channel may go to:
// the default one and those the visitor may pick.
func (c Channel) DepartmentIDs() []int64 {
	out := []int64{}
	if c.DepartmentID != 0 {
		out = append(out, c.DepartmentID)
	}
	for _, d := range c.Departments {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// Snippet is the HTML an administrator pastes into the site, for Atende
// reached at baseURL.
func Snippet(baseURL, publicKey string) string {
	return fmt.Sprintf(`<script src="%s/widget.js" data-channel="%s" async></script>`,
		html.EscapeString(strings.TrimRight(baseURL, "/")), html.EscapeString(publicKey))
}

// ChannelInput is what an administrator sets; nil fields stay as they are
// (or take the defaults, on creation).
type ChannelInput struct {
	Name                 *string  `json:"name"`
	DepartmentID         *int64   `json:"department_id"`
	AllowedOrigins       []string `json:"allowed_origins"`
	Departments          []int64  `json:"departments"`
	Prechat              *Prechat `json:"prechat"`
	Color                *string  `json:"color"`
	TextColor            *string  `json:"text_color"`
	Greeting             *Texts   `json:"greeting"`
	OfflineMessage       *Texts   `json:"offline_message"`
	IdentityVerification *bool    `json:"identity_verification"`
}

// Service administers webchat channels. Only administrators may.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// NewService returns a Service.
func NewService(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

func mayAdminister(p auth.Principal) error {
	if !p.IsAdmin() {
		return fmt.Errorf("%w: only administrators manage website chat channels", auth.ErrForbidden)
	}
	return nil
}

// randomToken returns n random bytes, URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create sets up a webchat channel.
func (s *Service) Create(ctx context.Context, p auth.Principal, in ChannelInput) (Channel, error) {
	if err := mayAdminister(p); err != nil {
		return Channel{}, err
	}
	if in.Name == nil {
		return Channel{}, validate.Errorf("name", "is required")
	}
	if in.DepartmentID == nil {
		return Channel{}, validate.Errorf("department_id", "is required: conversations queue there unless the visitor picks another")
	}
	var out Channel
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		name, dep, settings, err := apply(ctx, q, p.AccountID, "", 0, defaults(), in)
		if err != nil {
			return err
		}
		settings.IdentitySecret = randomToken(32)
		raw, _ := json.Marshal(settings)
		now := s.clock.Now()
		row, err := q.CreateWebchatChannel(ctx, store.CreateWebchatChannelParams{
			AccountID: p.AccountID, Name: name, DepartmentID: store.NullID(dep), Settings: string(raw),
			PublicKey: store.NullString{String: "wc_" + randomToken(16), Valid: true}, Secret: randomToken(32), CreatedAt: now,
		})
		if err != nil {
			return fmt.Errorf("create webchat channel %q: %w", name, err)
		}
		if out, err = ChannelOf(row); err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "channel.create",
			TargetType: "channel", TargetID: row.ID, Detail: map[string]any{"kind": Kind, "name": name}, IP: p.IP})
	})
	return out, err
}

// List returns the account's webchat channels.
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Channel, error) {
	if err := mayAdminister(p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().ListChannelsOfKind(ctx, store.ListChannelsOfKindParams{AccountID: p.AccountID, Kind: Kind})
	if err != nil {
		return nil, fmt.Errorf("list webchat channels of account %d: %w", p.AccountID, err)
	}
	out := make([]Channel, 0, len(rows))
	for _, r := range rows {
		c, err := ChannelOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// load reads one webchat channel of the account.
func load(ctx context.Context, q *store.Queries, accountID, id int64) (store.Channel, error) {
	ch, err := q.GetAccountChannel(ctx, store.GetAccountChannelParams{AccountID: accountID, ID: id})
	if err != nil {
		return ch, fmt.Errorf("channel %d: %w", id, store.Translate(err))
	}
	if ch.Kind != Kind {
		return ch, fmt.Errorf("channel %d is not a website chat: %w", id, store.ErrNotFound)
	}
	return ch, nil
}

// Get returns one webchat channel.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Channel, error) {
	if err := mayAdminister(p); err != nil {
		return Channel{}, notFoundFirst(ctx, s.db.Read(), p, id, err)
	}
	ch, err := load(ctx, s.db.Read(), p.AccountID, id)
	if err != nil {
		return Channel{}, err
	}
	return ChannelOf(ch)
}

// notFoundFirst answers 404 for another account's channel even to someone
// who may not administer channels, so nothing tells it exists.
func notFoundFirst(ctx context.Context, q *store.Queries, p auth.Principal, id int64, forbidden error) error {
	if _, err := load(ctx, q, p.AccountID, id); err != nil {
		return err
	}
	return forbidden
}

// Update changes a webchat channel.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in ChannelInput) (Channel, error) {
	if err := mayAdminister(p); err != nil {
		return Channel{}, notFoundFirst(ctx, s.db.Read(), p, id, err)
	}
	var out Channel
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := load(ctx, q, p.AccountID, id)
		if err != nil {
			return err
		}
		cur, err := ChannelOf(row)
		if err != nil {
			return err
		}
		name, dep, settings, err := apply(ctx, q, p.AccountID, cur.Name, cur.DepartmentID, cur.Settings, in)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(settings)
		now := s.clock.Now()
		row, err = q.UpdateChannel(ctx, store.UpdateChannelParams{AccountID: p.AccountID, ID: id, Name: name,
			DepartmentID: store.NullID(dep), Settings: string(raw), UpdatedAt: now})
		if err != nil {
			return fmt.Errorf("update channel %d: %w", id, store.Translate(err))
		}
		if out, err = ChannelOf(row); err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "channel.update",
			TargetType: "channel", TargetID: id, Detail: map[string]any{"name": name}, IP: p.IP})
	})
	return out, err
}

// RotateIdentitySecret gives the channel a new identity-verification secret;
// signatures made with the old one stop identifying.
func (s *Service) RotateIdentitySecret(ctx context.Context, p auth.Principal, id int64) (Channel, error) {
	if err := mayAdminister(p); err != nil {
		return Channel{}, notFoundFirst(ctx, s.db.Read(), p, id, err)
	}
	var out Channel
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := load(ctx, q, p.AccountID, id)
		if err != nil {
			return err
		}
		cur, err := ChannelOf(row)
		if err != nil {
			return err
		}
		cur.Settings.IdentitySecret = randomToken(32)
		raw, _ := json.Marshal(cur.Settings)
		now := s.clock.Now()
		row, err = q.UpdateChannel(ctx, store.UpdateChannelParams{AccountID: p.AccountID, ID: id, Name: row.Name,
			DepartmentID: row.DepartmentID, Settings: string(raw), UpdatedAt: now})
		if err != nil {
			return fmt.Errorf("update channel %d: %w", id, store.Translate(err))
		}
		if out, err = ChannelOf(row); err != nil {
			return err
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "channel.rotate_identity_secret",
			TargetType: "channel", TargetID: id, IP: p.IP})
	})
	return out, err
}

// Delete removes a webchat channel: its widget stops connecting; its
// conversations stay.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	if err := mayAdminister(p); err != nil {
		return notFoundFirst(ctx, s.db.Read(), p, id, err)
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := load(ctx, q, p.AccountID, id); err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := q.DeleteChannel(ctx, store.DeleteChannelParams{AccountID: p.AccountID, ID: id, DeletedAt: store.Null(now)}); err != nil {
			return fmt.Errorf("delete channel %d: %w", id, err)
		}
		return audit.Record(ctx, q, now, audit.Entry{AccountID: p.AccountID, ActorID: p.UserID, Action: "channel.delete",
			TargetType: "channel", TargetID: id, IP: p.IP})
	})
}

var colour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Limits of channel settings.
const (
	maxOrigins     = 20
	maxDepartments = 20
	maxText        = 500
)

// apply checks in and applies it over the current name, department and
// settings.
func apply(ctx context.Context, q *store.Queries, accountID int64, name string, dep int64, s Settings, in ChannelInput) (string, int64, Settings, error) {
	fail := func(err error) (string, int64, Settings, error) { return "", 0, Settings{}, err }
	if in.Name != nil {
		n, err := validate.Name("name", *in.Name, 100)
		if err != nil {
			return fail(err)
		}
		name = n
	}
	department := func(field string, id int64) error {
		if _, err := q.GetDepartment(ctx, store.GetDepartmentParams{AccountID: accountID, ID: id}); err != nil {
			return validate.Errorf(field, "department %d does not exist", id)
		}
		return nil
	}
	if in.DepartmentID != nil {
		if err := department("department_id", *in.DepartmentID); err != nil {
			return fail(err)
		}
		dep = *in.DepartmentID
	}
	if in.AllowedOrigins != nil {
		if len(in.AllowedOrigins) > maxOrigins {
			return fail(validate.Errorf("allowed_origins", "at most %d origins", maxOrigins))
		}
		origins := []string{}
		for _, o := range in.AllowedOrigins {
			n, err := NormalizeOrigin(o)
			if err != nil {
				return fail(validate.Errorf("allowed_origins", "%v", err))
			}
			if !slices.Contains(origins, n) {
				origins = append(origins, n)
			}
		}
		s.AllowedOrigins = origins
	}
	if in.Departments != nil {
		if len(in.Departments) > maxDepartments {
			return fail(validate.Errorf("departments", "at most %d departments", maxDepartments))
		}
		deps := []int64{}
		for _, d := range in.Departments {
			if err := department("departments", d); err != nil {
				return fail(err)
			}
			if !slices.Contains(deps, d) {
				deps = append(deps, d)
			}
		}
		s.Departments = deps
	}
	if in.Prechat != nil {
		for field, mode := range map[string]string{"name": in.Prechat.Name, "email": in.Prechat.Email, "phone": in.Prechat.Phone, "department": in.Prechat.Department} {
			if mode != Off && mode != Optional && mode != Required {
				return fail(validate.Errorf("prechat."+field, "must be off, optional or required"))
			}
		}
		s.Prechat = *in.Prechat
	}
	for field, c := range map[string]*string{"color": in.Color, "text_color": in.TextColor} {
		if c != nil && !colour.MatchString(*c) {
			return fail(validate.Errorf(field, "must be a colour like #1f6feb"))
		}
	}
	if in.Color != nil {
		s.Color = strings.ToLower(*in.Color)
	}
	if in.TextColor != nil {
		s.TextColor = strings.ToLower(*in.TextColor)
	}
	for field, t := range map[string]*Texts{"greeting": in.Greeting, "offline_message": in.OfflineMessage} {
		if t == nil {
			continue
		}
		for lang, v := range map[string]string{"pt-BR": t.PtBR, "en": t.En} {
			if utf8.RuneCountInString(v) > maxText || !utf8.ValidString(v) {
				return fail(validate.Errorf(field+"."+lang, "must be valid text of at most %d characters", maxText))
			}
		}
	}
	if in.Greeting != nil {
		s.Greeting = *in.Greeting
	}
	if in.OfflineMessage != nil {
		s.OfflineMessage = *in.OfflineMessage
	}
	if in.IdentityVerification != nil {
		s.IdentityVerification = *in.IdentityVerification
	}
	if s.Prechat.Department != Off && len(s.Departments) == 0 {
		return fail(validate.Errorf("prechat.department", "the visitor can pick a department only from a list: set departments"))
	}
	return name, dep, s, nil
}

// NormalizeOrigin returns an origin as browsers send it in the Origin
// header: scheme://host[:port], lower-case, without the default port.
func NormalizeOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin like https://shop.example or http://localhost:3000", clip(raw))
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// AllowsOrigin reports whether a browser's Origin header names one of the
// channel's sites.
func (c Channel) AllowsOrigin(origin string) bool {
	n, err := NormalizeOrigin(origin)
	return err == nil && slices.Contains(c.AllowedOrigins, n)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

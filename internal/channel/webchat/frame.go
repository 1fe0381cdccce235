package webchat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Frame types the widget sends.
const (
	FrameHello   = "hello"
	FramePage    = "page"
	FrameMessage = "message"
	FrameTyping  = "typing"
	FrameRead    = "read"
	FrameDismiss = "dismiss"
	FramePing    = "ping"
)

// Limits of what the widget sends.
const (
	MaxFrame       = 16 << 10 // bytes of one frame
	MaxBody        = 4000     // characters of a message
	MaxURL         = 2048     // bytes of a page URL or referrer
	MaxTitle       = 300      // characters of a page title
	MaxName        = 120      // characters of a pre-chat or identity name
	MaxAttachments = 5
)

// Identity is a site's signed statement of who its visitor is.
type Identity struct {
	Email     string `json:"email"`
	Name      string `json:"name,omitempty"`
	Signature string `json:"signature"`
}

// Page is a page view.
type Page struct {
	URL      string `json:"url"`
	Title    string `json:"title,omitempty"`
	Referrer string `json:"referrer,omitempty"`
}

// PrechatForm is what the visitor filled in before writing.
type PrechatForm struct {
	Name         string `json:"name,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	DepartmentID int64  `json:"department_id,omitempty"`
}

// Frame is one decoded, checked frame from the widget. Only the fields of
// its Type are set.
type Frame struct {
	Type string `json:"type"`
	// hello
	Token    string    `json:"token,omitempty"`
	Identity *Identity `json:"identity,omitempty"`
	Language string    `json:"language,omitempty"`
	TimeZone string    `json:"time_zone,omitempty"`
	After    int64     `json:"after,omitempty"`
	// hello (the first page) and page
	Page *Page `json:"page,omitempty"`
	// message
	ClientID     string       `json:"client_id,omitempty"`
	Body         string       `json:"body,omitempty"`
	Attachments  []string     `json:"attachments,omitempty"`
	Prechat      *PrechatForm `json:"prechat,omitempty"`
	InvitationID int64        `json:"invitation_id,omitempty"` // message, dismiss
	// read
	MessageID int64 `json:"message_id,omitempty"`
}

// wire is a frame as sent: every field any type may carry, pointers so an
// absent field is told from a zero one.
type wire struct {
	Type         *string      `json:"type"`
	Token        *string      `json:"token"`
	Identity     *Identity    `json:"identity"`
	Language     *string      `json:"language"`
	TimeZone     *string      `json:"time_zone"`
	Page         *Page        `json:"page"`
	After        *int64       `json:"after"`
	URL          *string      `json:"url"`
	Title        *string      `json:"title"`
	Referrer     *string      `json:"referrer"`
	ClientID     *string      `json:"client_id"`
	Body         *string      `json:"body"`
	Attachments  []string     `json:"attachments"`
	Prechat      *PrechatForm `json:"prechat"`
	InvitationID *int64       `json:"invitation_id"`
	MessageID    *int64       `json:"message_id"`
}

// present lists the fields the frame carries besides its type.
func (w *wire) present() []string {
	var out []string
	add := func(ok bool, name string) {
		if ok {
			out = append(out, name)
		}
	}
	add(w.Token != nil, "token")
	add(w.Identity != nil, "identity")
	add(w.Language != nil, "language")
	add(w.TimeZone != nil, "time_zone")
	add(w.Page != nil, "page")
	add(w.After != nil, "after")
	add(w.URL != nil, "url")
	add(w.Title != nil, "title")
	add(w.Referrer != nil, "referrer")
	add(w.ClientID != nil, "client_id")
	add(w.Body != nil, "body")
	add(w.Attachments != nil, "attachments")
	add(w.Prechat != nil, "prechat")
	add(w.InvitationID != nil, "invitation_id")
	add(w.MessageID != nil, "message_id")
	return out
}

// fields lists what each frame type may carry.
var fields = map[string]map[string]bool{
	FrameHello:   {"token": true, "identity": true, "language": true, "time_zone": true, "page": true, "after": true},
	FramePage:    {"url": true, "title": true, "referrer": true},
	FrameMessage: {"client_id": true, "body": true, "attachments": true, "prechat": true, "invitation_id": true},
	FrameTyping:  {},
	FrameRead:    {"message_id": true},
	FrameDismiss: {"invitation_id": true},
	FramePing:    {},
}

// FrameError is a refused frame: Code is bad_frame (not a frame of the
// protocol) or invalid (a value breaks a rule, Field names it).
type FrameError struct {
	Code    string
	Field   string
	Message string
}

func (e *FrameError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func badFrame(format string, args ...any) error {
	return &FrameError{Code: "bad_frame", Message: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) error {
	return &FrameError{Code: "invalid", Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	clientIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	attachmentPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	languagePattern   = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$`)
	timeZonePattern   = regexp.MustCompile(`^[A-Za-z0-9_+/-]{1,64}$`)
	hexPattern        = regexp.MustCompile(`^[0-9a-fA-F]{1,128}$`)
)

// DecodeFrame parses and checks one frame from the widget. Anything that is
// not exactly a frame of the protocol — too big, not UTF-8, not one JSON
// object, an unknown type or field, a field of another type, a value over
// its limit — is a *FrameError saying why.
func DecodeFrame(data []byte) (Frame, error) {
	if len(data) > MaxFrame {
		return Frame{}, badFrame("frame of %d bytes is over the %d-byte limit", len(data), MaxFrame)
	}
	if !utf8.Valid(data) {
		return Frame{}, badFrame("frame is not valid UTF-8")
	}
	// The type first, leniently, so an unknown type is named as such.
	var head struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(data, &head) == nil {
		if t, ok := head.Type.(string); ok {
			if _, known := fields[t]; !known {
				return Frame{}, badFrame("unknown frame type %q", clip(t))
			}
		}
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Frame{}, badFrame("frame is not a JSON object of the protocol: %s", jsonReason(err))
	}
	if dec.More() {
		return Frame{}, badFrame("one JSON object per frame")
	}
	if tail, _ := dec.Token(); tail != nil {
		return Frame{}, badFrame("one JSON object per frame")
	}
	if w.Type == nil {
		return Frame{}, badFrame("frame without a type")
	}
	allowed, known := fields[*w.Type]
	if !known {
		return Frame{}, badFrame("unknown frame type %q", clip(*w.Type))
	}
	for _, f := range w.present() {
		if !allowed[f] {
			return Frame{}, badFrame("a %s frame has no field %q", *w.Type, f)
		}
	}
	f := Frame{Type: *w.Type}
	var err error
	switch f.Type {
	case FrameHello:
		err = f.hello(&w)
	case FramePage:
		f.Page, err = checkPage("", Page{URL: deref(w.URL), Title: deref(w.Title), Referrer: deref(w.Referrer)})
	case FrameMessage:
		err = f.message(&w)
	case FrameRead:
		if w.MessageID == nil || *w.MessageID <= 0 {
			return Frame{}, invalid("message_id", "must be the id of a message")
		}
		f.MessageID = *w.MessageID
	case FrameDismiss:
		if w.InvitationID == nil || *w.InvitationID <= 0 {
			return Frame{}, invalid("invitation_id", "must be the id of an invitation")
		}
		f.InvitationID = *w.InvitationID
	}
	if err != nil {
		return Frame{}, err
	}
	return f, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func jsonReason(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "malformed JSON"
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a %s", typ.Field, typ.Type)
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return strings.TrimPrefix(msg, "json: ")
}

func (f *Frame) hello(w *wire) error {
	if w.Token != nil {
		if len(*w.Token) > 512 {
			return invalid("token", "is too long to be a visitor token")
		}
		f.Token = *w.Token
	}
	if w.Language != nil && *w.Language != "" {
		if !languagePattern.MatchString(*w.Language) || len(*w.Language) > 35 {
			return invalid("language", "must be a language tag like pt-BR")
		}
		f.Language = *w.Language
	}
	if w.TimeZone != nil && *w.TimeZone != "" {
		if !timeZonePattern.MatchString(*w.TimeZone) {
			return invalid("time_zone", "must be a time zone like America/Sao_Paulo")
		}
		f.TimeZone = *w.TimeZone
	}
	if w.After != nil {
		if *w.After < 0 {
			return invalid("after", "must be the last sequence seen (0 or more)")
		}
		f.After = *w.After
	}
	if w.Page == nil {
		return invalid("page", "is required: the page the widget runs on")
	}
	p, err := checkPage("page.", *w.Page)
	if err != nil {
		return err
	}
	f.Page = p
	if w.Identity != nil {
		id := *w.Identity
		if id.Email == "" || len(id.Email) > 254 || !hexPattern.MatchString(id.Signature) {
			return invalid("identity", "must carry an e-mail and its hex signature")
		}
		name, err := checkText("identity.name", id.Name, MaxName, false)
		if err != nil {
			return err
		}
		id.Name = name
		f.Identity = &id
	}
	return nil
}

func (f *Frame) message(w *wire) error {
	if w.ClientID == nil || !clientIDPattern.MatchString(*w.ClientID) {
		return invalid("client_id", "must be 1 to 64 letters, digits, _ or -")
	}
	f.ClientID = *w.ClientID
	body, err := checkText("body", deref(w.Body), MaxBody, true)
	if err != nil {
		return err
	}
	f.Body = strings.TrimSpace(body)
	if len(w.Attachments) > MaxAttachments {
		return invalid("attachments", "at most %d files per message", MaxAttachments)
	}
	for _, a := range w.Attachments {
		if !attachmentPattern.MatchString(a) {
			return invalid("attachments", "must be ids of uploads")
		}
	}
	f.Attachments = w.Attachments
	if f.Body == "" && len(f.Attachments) == 0 {
		return invalid("body", "is empty")
	}
	if w.Prechat != nil {
		p := *w.Prechat
		if p.Name, err = checkText("prechat.name", p.Name, MaxName, false); err != nil {
			return err
		}
		p.Name = strings.Join(strings.Fields(p.Name), " ")
		if len(p.Email) > 254 {
			return invalid("prechat.email", "is too long")
		}
		if len(p.Phone) > 40 {
			return invalid("prechat.phone", "is too long")
		}
		if p.DepartmentID < 0 {
			return invalid("prechat.department_id", "must be a department id")
		}
		f.Prechat = &p
	}
	if w.InvitationID != nil {
		if *w.InvitationID <= 0 {
			return invalid("invitation_id", "must be the id of an invitation")
		}
		f.InvitationID = *w.InvitationID
	}
	return nil
}

// checkText refuses control characters (line breaks and tabs only where
// multiline) and text over max characters.
func checkText(field, s string, max int, multiline bool) (string, error) {
	if utf8.RuneCountInString(s) > max {
		return "", invalid(field, "must be at most %d characters", max)
	}
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r'))) {
			return "", invalid(field, "must not contain control characters")
		}
	}
	return s, nil
}

func checkPage(prefix string, p Page) (*Page, error) {
	if err := checkURL(prefix+"url", p.URL, false); err != nil {
		return nil, err
	}
	if err := checkURL(prefix+"referrer", p.Referrer, true); err != nil {
		return nil, err
	}
	title, err := checkText(prefix+"title", p.Title, MaxTitle, false)
	if err != nil {
		return nil, err
	}
	p.Title = strings.TrimSpace(title)
	return &p, nil
}

func checkURL(field, raw string, optional bool) error {
	if raw == "" && optional {
		return nil
	}
	if len(raw) > MaxURL {
		return invalid(field, "must be at most %d bytes", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "must be an http or https URL")
	}
	if _, err := checkText(field, raw, MaxURL, false); err != nil {
		return err
	}
	return nil
}

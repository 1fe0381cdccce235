// Package contact keeps the people and companies an account talks to: their
// names, CPF/CNPJ, notes and custom fields, and their identities on each
// channel (e-mail, phone, WhatsApp, Telegram, Messenger, Instagram, website
// visitor).
//
// Everybody in an account may read and edit its contacts; another account's
// contact is store.ErrNotFound. Phones are kept in E.164 with Brazil's ninth
// digit (NormalizePhone), e-mails lower-cased, CPF/CNPJ bare and upper-cased
// (NormalizeDocument). search_text, kept here on every write, makes search
// accent- and case-insensitive with one LIKE on both engines.
//
// Channel adapters find or create the contact behind an inbound message with
// Resolve, inside their own transaction.
//
// Merged contacts: Merge moves everything of one contact onto another and
// marks the merged one with merged_into_id. Its id keeps working — Get,
// Update, AddIdentity and RemoveIdentity follow merged_into_id to the kept
// contact, so links in old conversations and notifications still open the
// right person — but it no longer appears in Search.
package contact

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Limits on what people type.
const (
	MaxName         = 200
	MaxNotes        = 20000
	MaxEmails       = 20
	MaxPhones       = 20
	MaxIdentities   = 20
	MaxCustomFields = 50
	maxFieldKey     = 64
	maxFieldValue   = 2000
	// DefaultSearchLimit and MaxSearchLimit bound Search.
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
	// maxMergeHops bounds how far a merged id is followed. Merge keeps every
	// merged id one step from a live contact; the bound only guards against
	// rows written otherwise.
	maxMergeHops = 8
)

// Contact is a person or company the account talks to. Emails and Phones
// are its e-mail and phone identities; Identities are the others (WhatsApp,
// Telegram, Messenger, Instagram, visitor), each owned by this contact alone.
type Contact struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	TradeName    string            `json:"trade_name"`
	Document     string            `json:"document"`
	DocumentKind string            `json:"document_kind"`
	Notes        string            `json:"notes"`
	CustomFields map[string]string `json:"custom_fields"`
	Emails       []string          `json:"emails"`
	Phones       []string          `json:"phones"`
	Identities   []Identity        `json:"identities"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

func contactOf(c store.Contact, ids []store.ContactIdentity) Contact {
	out := Contact{
		ID: c.ID, Name: c.Name, TradeName: c.TradeName, Document: c.Document, DocumentKind: documentKind(c.Document),
		Notes: c.Notes, CustomFields: customFields(c.CustomFields),
		Emails: []string{}, Phones: []string{}, Identities: []Identity{},
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	for _, id := range ids {
		out.add(id.Kind, id.Value)
	}
	return out
}

func (c *Contact) add(kind, value string) {
	switch kind {
	case KindEmail:
		c.Emails = append(c.Emails, value)
	case KindPhone:
		c.Phones = append(c.Phones, value)
	default:
		c.Identities = append(c.Identities, Identity{Kind: kind, Value: value})
	}
}

func customFields(raw string) map[string]string {
	m := map[string]string{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return map[string]string{}
	}
	return m
}

func encodeFields(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// NewContact is what Create takes. Name may be empty when an e-mail, phone
// or identity is given: the contact is then named after the first of them.
type NewContact struct {
	Name         string            `json:"name"`
	TradeName    string            `json:"trade_name"`
	Document     string            `json:"document"`
	Notes        string            `json:"notes"`
	CustomFields map[string]string `json:"custom_fields"`
	Emails       []string          `json:"emails"`
	Phones       []string          `json:"phones"`
	Identities   []Identity        `json:"identities"`
}

// Changes is what Update takes: nil fields stay as they are. Emails, Phones
// and CustomFields replace the whole set when given.
type Changes struct {
	Name         *string            `json:"name"`
	TradeName    *string            `json:"trade_name"`
	Document     *string            `json:"document"`
	Notes        *string            `json:"notes"`
	CustomFields *map[string]string `json:"custom_fields"`
	Emails       *[]string          `json:"emails"`
	Phones       *[]string          `json:"phones"`
}

// Service manages contacts.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// New returns a Service on db.
func New(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

// checkName trims a name; empty is allowed (the caller defaults it).
func checkName(field, name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil
	}
	return validate.Name(field, name, MaxName)
}

func checkDocument(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	doc, _, err := NormalizeDocument(raw)
	if err != nil {
		return "", validate.Errorf("document", "%v", err)
	}
	return doc, nil
}

func checkNotes(notes string) (string, error) {
	notes = strings.TrimSpace(notes)
	if utf8.RuneCountInString(notes) > MaxNotes {
		return "", validate.Errorf("notes", "must be at most %d characters", MaxNotes)
	}
	return notes, nil
}

func checkFields(m map[string]string) (map[string]string, error) {
	if len(m) > MaxCustomFields {
		return nil, validate.Errorf("custom_fields", "at most %d fields", MaxCustomFields)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		key := strings.TrimSpace(k)
		switch {
		case key == "":
			return nil, validate.Errorf("custom_fields", "field names must not be empty")
		case utf8.RuneCountInString(key) > maxFieldKey:
			return nil, validate.Errorf("custom_fields", "field name %q is longer than %d characters", clip(key), maxFieldKey)
		case utf8.RuneCountInString(v) > maxFieldValue:
			return nil, validate.Errorf("custom_fields", "field %q is longer than %d characters", key, maxFieldValue)
		}
		if _, dup := out[key]; dup {
			return nil, validate.Errorf("custom_fields", "field %q is given twice", key)
		}
		out[key] = strings.TrimSpace(v)
	}
	return out, nil
}

func checkEmails(list []string) ([]string, error) {
	return checkValues("emails", KindEmail, list, MaxEmails, "e-mail addresses")
}

func checkPhones(list []string) ([]string, error) {
	return checkValues("phones", KindPhone, list, MaxPhones, "phone numbers")
}

// checkValues normalises a list of e-mails or phones, drops repeats and
// bounds its length.
func checkValues(field, kind string, list []string, max int, what string) ([]string, error) {
	out := []string{}
	for _, v := range list {
		id, err := normalizeIdentity(field, Identity{Kind: kind, Value: v})
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, id.Value) {
			out = append(out, id.Value)
		}
	}
	if len(out) > max {
		return nil, validate.Errorf(field, "at most %d %s", max, what)
	}
	return out, nil
}

// checked is a NewContact after validation.
type checked struct {
	name, tradeName, document, notes string
	fields                           map[string]string
	emails, phones                   []string
	identities                       []Identity // channel kinds only
}

func (n NewContact) check() (checked, error) {
	var c checked
	var err error
	if c.name, err = checkName("name", n.Name); err != nil {
		return c, err
	}
	if c.tradeName, err = checkName("trade_name", n.TradeName); err != nil {
		return c, err
	}
	if c.document, err = checkDocument(n.Document); err != nil {
		return c, err
	}
	if c.notes, err = checkNotes(n.Notes); err != nil {
		return c, err
	}
	if c.fields, err = checkFields(n.CustomFields); err != nil {
		return c, err
	}
	if c.emails, err = checkEmails(n.Emails); err != nil {
		return c, err
	}
	if c.phones, err = checkPhones(n.Phones); err != nil {
		return c, err
	}
	if len(n.Identities) > MaxIdentities {
		return c, validate.Errorf("identities", "at most %d identities", MaxIdentities)
	}
	for _, raw := range n.Identities {
		id, err := normalizeIdentity("identities", raw)
		if err != nil {
			return c, err
		}
		switch {
		case id.Kind == KindEmail:
			if !slices.Contains(c.emails, id.Value) {
				c.emails = append(c.emails, id.Value)
			}
		case id.Kind == KindPhone:
			if !slices.Contains(c.phones, id.Value) {
				c.phones = append(c.phones, id.Value)
			}
		case !slices.Contains(c.identities, id):
			c.identities = append(c.identities, id)
		}
	}
	// A WhatsApp id is a phone number too: calls and SMS reach it.
	for _, id := range c.identities {
		if id.Kind == KindWhatsApp && !slices.Contains(c.phones, id.Value) {
			c.phones = append(c.phones, id.Value)
		}
	}
	if c.name == "" {
		switch {
		case len(c.emails) > 0:
			c.name = c.emails[0]
		case len(c.phones) > 0:
			c.name = c.phones[0]
		case len(c.identities) > 0:
			c.name = c.identities[0].Value
		default:
			return c, validate.Errorf("name", "is required (or give an e-mail, phone or identity)")
		}
	}
	return c, nil
}

func (c checked) all() []Identity {
	var ids []Identity
	for _, e := range c.emails {
		ids = append(ids, Identity{Kind: KindEmail, Value: e})
	}
	for _, p := range c.phones {
		ids = append(ids, Identity{Kind: KindPhone, Value: p})
	}
	return append(ids, c.identities...)
}

// Create adds a contact. A channel identity that already belongs to another
// contact is store.ErrConflict wrapping a *validate.Error on "identities".
func (s *Service) Create(ctx context.Context, p auth.Principal, n NewContact) (Contact, error) {
	in, err := n.check()
	if err != nil {
		return Contact{}, err
	}
	var out Contact
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock.Now()
		c, err := q.ContactCreate(ctx, store.ContactCreateParams{
			AccountID: p.AccountID, Name: in.name, TradeName: in.tradeName, Document: in.document, Notes: in.notes,
			CustomFields: encodeFields(in.fields), SearchText: searchText(in.name, in.tradeName, in.document, in.emails, in.phones),
			CreatedAt: now,
		})
		if err != nil {
			return fmt.Errorf("create contact: %w", err)
		}
		for _, id := range in.all() {
			if err := addIdentity(ctx, q, now, p.AccountID, c.ID, id); err != nil {
				return err
			}
		}
		out, err = load(ctx, q, p.AccountID, c.ID)
		return err
	})
	return out, err
}

// load reads a contact and its identities as they are, merged or not.
func load(ctx context.Context, q *store.Queries, accountID, id int64) (Contact, error) {
	c, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: accountID, ID: id})
	if err != nil {
		return Contact{}, fmt.Errorf("contact %d: %w", id, store.Translate(err))
	}
	ids, err := q.IdentityList(ctx, store.IdentityListParams{AccountID: accountID, ContactID: id})
	if err != nil {
		return Contact{}, fmt.Errorf("identities of contact %d: %w", id, err)
	}
	return contactOf(c, ids), nil
}

// Get returns a contact of the caller's account. The id of a merged contact
// answers the contact it was merged into.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Contact, error) {
	q := s.db.Read()
	asked := id
	for range maxMergeHops {
		c, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: p.AccountID, ID: id})
		if err != nil {
			return Contact{}, fmt.Errorf("contact %d: %w", asked, store.Translate(err))
		}
		if c.MergedIntoID.Valid {
			id = c.MergedIntoID.Int64
			continue
		}
		ids, err := q.IdentityList(ctx, store.IdentityListParams{AccountID: p.AccountID, ContactID: id})
		if err != nil {
			return Contact{}, fmt.Errorf("identities of contact %d: %w", id, err)
		}
		return contactOf(c, ids), nil
	}
	return Contact{}, fmt.Errorf("contact %d: merged too many times: %w", asked, store.ErrNotFound)
}

// lockLive returns the live contact behind id (following merges) with its
// row locked until the transaction ends.
func lockLive(ctx context.Context, q *store.Queries, accountID, id int64) (store.Contact, error) {
	asked := id
	for range maxMergeHops {
		n, err := q.ContactLock(ctx, store.ContactLockParams{AccountID: accountID, ID: id})
		if err != nil {
			return store.Contact{}, fmt.Errorf("lock contact %d: %w", id, err)
		}
		c, err := q.ContactGet(ctx, store.ContactGetParams{AccountID: accountID, ID: id})
		if err != nil {
			return store.Contact{}, fmt.Errorf("contact %d: %w", asked, store.Translate(err))
		}
		if n == 1 && !c.MergedIntoID.Valid {
			return c, nil
		}
		if !c.MergedIntoID.Valid {
			return store.Contact{}, fmt.Errorf("contact %d changed while being locked", id)
		}
		id = c.MergedIntoID.Int64
	}
	return store.Contact{}, fmt.Errorf("contact %d: merged too many times: %w", asked, store.ErrNotFound)
}

// save writes c's fields and recomputes its search text from its current
// identities.
func save(ctx context.Context, q *store.Queries, now time.Time, c store.Contact) error {
	ids, err := q.IdentityList(ctx, store.IdentityListParams{AccountID: c.AccountID, ContactID: c.ID})
	if err != nil {
		return fmt.Errorf("identities of contact %d: %w", c.ID, err)
	}
	v := contactOf(c, ids)
	n, err := q.ContactUpdate(ctx, store.ContactUpdateParams{
		AccountID: c.AccountID, ID: c.ID, Name: c.Name, TradeName: c.TradeName, Document: c.Document, Notes: c.Notes,
		CustomFields: c.CustomFields, SearchText: searchText(c.Name, c.TradeName, c.Document, v.Emails, v.Phones),
		UpdatedAt: now,
	})
	if err != nil {
		return fmt.Errorf("update contact %d: %w", c.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("contact %d: %w", c.ID, store.ErrNotFound)
	}
	return nil
}

// Update changes a contact. Emails and Phones, when given, replace the
// contact's e-mails and phones (its channel identities stay). A name set to
// "" falls back, like Create, to the first e-mail, phone or identity.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, ch Changes) (Contact, error) {
	var name, tradeName, document, notes string
	var fields map[string]string
	var emails, phones []string
	var err error
	if ch.Name != nil {
		if name, err = checkName("name", *ch.Name); err != nil {
			return Contact{}, err
		}
	}
	if ch.TradeName != nil {
		if tradeName, err = checkName("trade_name", *ch.TradeName); err != nil {
			return Contact{}, err
		}
	}
	if ch.Document != nil {
		if document, err = checkDocument(*ch.Document); err != nil {
			return Contact{}, err
		}
	}
	if ch.Notes != nil {
		if notes, err = checkNotes(*ch.Notes); err != nil {
			return Contact{}, err
		}
	}
	if ch.CustomFields != nil {
		if fields, err = checkFields(*ch.CustomFields); err != nil {
			return Contact{}, err
		}
	}
	if ch.Emails != nil {
		if emails, err = checkEmails(*ch.Emails); err != nil {
			return Contact{}, err
		}
	}
	if ch.Phones != nil {
		if phones, err = checkPhones(*ch.Phones); err != nil {
			return Contact{}, err
		}
	}
	var out Contact
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		c, err := lockLive(ctx, q, p.AccountID, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if ch.TradeName != nil {
			c.TradeName = tradeName
		}
		if ch.Document != nil {
			c.Document = document
		}
		if ch.Notes != nil {
			c.Notes = notes
		}
		if ch.CustomFields != nil {
			c.CustomFields = encodeFields(fields)
		}
		if ch.Emails != nil {
			if err := replaceKind(ctx, q, now, c, KindEmail, emails); err != nil {
				return err
			}
		}
		if ch.Phones != nil {
			if err := replaceKind(ctx, q, now, c, KindPhone, phones); err != nil {
				return err
			}
		}
		if ch.Name != nil {
			c.Name = name
			if name == "" {
				cur, err := load(ctx, q, p.AccountID, c.ID)
				if err != nil {
					return err
				}
				switch {
				case len(cur.Emails) > 0:
					c.Name = cur.Emails[0]
				case len(cur.Phones) > 0:
					c.Name = cur.Phones[0]
				case len(cur.Identities) > 0:
					c.Name = cur.Identities[0].Value
				default:
					return validate.Errorf("name", "is required (or give an e-mail, phone or identity)")
				}
			}
		}
		if err := save(ctx, q, now, c); err != nil {
			return err
		}
		out, err = load(ctx, q, p.AccountID, c.ID)
		return err
	})
	return out, err
}

// replaceKind makes the contact's identities of kind (email or phone)
// exactly values, keeping those it has.
func replaceKind(ctx context.Context, q *store.Queries, now time.Time, c store.Contact, kind string, values []string) error {
	cur, err := q.IdentityList(ctx, store.IdentityListParams{AccountID: c.AccountID, ContactID: c.ID})
	if err != nil {
		return err
	}
	for _, id := range cur {
		if id.Kind == kind && !slices.Contains(values, id.Value) {
			if _, err := q.IdentityDelete(ctx, store.IdentityDeleteParams{AccountID: c.AccountID, ContactID: c.ID, Kind: kind, Value: id.Value}); err != nil {
				return err
			}
		}
	}
	for _, v := range values {
		if err := addIdentity(ctx, q, now, c.AccountID, c.ID, Identity{Kind: kind, Value: v}); err != nil {
			return err
		}
	}
	return nil
}

// Search finds the account's live contacts whose name, trade name, e-mail,
// phone or CPF/CNPJ contains query, ignoring case and accents ("joao" finds
// "João"). A query that reads as a phone ("(11) 98765-4321", "11 8765-4321")
// or a document ("123.456.789-09") is looked up normalised; digits with
// punctuation match as bare digits ("8765-4321"). Results are ordered by
// name, accent- and case-insensitively; limit defaults to
// DefaultSearchLimit and is capped at MaxSearchLimit. An empty query lists
// contacts from the start of the alphabet.
func (s *Service) Search(ctx context.Context, p auth.Principal, query string, limit int) ([]Contact, error) {
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	if len(query) > 200 {
		return nil, validate.Errorf("q", "must be at most 200 bytes")
	}
	terms := searchTerms(query)
	if len(terms) == 0 {
		terms = []string{""}
	}
	var pats [maxTerms]string
	for i := range pats {
		pats[i] = likePattern(terms[min(i, len(terms)-1)])
	}
	rows, err := s.db.Read().ContactSearch(ctx, store.ContactSearchParams{
		AccountID: p.AccountID, Pattern1: pats[0], Pattern2: pats[1], Pattern3: pats[2], Pattern4: pats[3], Max: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("search contacts: %w", err)
	}
	out := []Contact{}
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, contactOf(store.Contact{
				ID: r.ID, AccountID: r.AccountID, Name: r.Name, TradeName: r.TradeName, Document: r.Document, Notes: r.Notes,
				CustomFields: r.CustomFields, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			}, nil))
		}
		if r.IdentityKind.Valid {
			out[len(out)-1].add(r.IdentityKind.String, r.IdentityValue.String)
		}
	}
	return out, nil
}

// AddIdentity gives a contact an identity of any kind (an e-mail or phone
// joins Emails or Phones). A WhatsApp id adds the phone as well. A channel
// identity another contact owns is store.ErrConflict wrapping a
// *validate.Error on "identities".
func (s *Service) AddIdentity(ctx context.Context, p auth.Principal, id int64, ident Identity) (Contact, error) {
	ident, err := normalizeIdentity("identities", ident)
	if err != nil {
		return Contact{}, err
	}
	var out Contact
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		c, err := lockLive(ctx, q, p.AccountID, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := addIdentity(ctx, q, now, p.AccountID, c.ID, ident); err != nil {
			return err
		}
		if ident.Kind == KindWhatsApp {
			if err := addIdentity(ctx, q, now, p.AccountID, c.ID, Identity{Kind: KindPhone, Value: ident.Value}); err != nil {
				return err
			}
		}
		if err := save(ctx, q, now, c); err != nil {
			return err
		}
		out, err = load(ctx, q, p.AccountID, c.ID)
		return err
	})
	return out, err
}

// RemoveIdentity takes an identity away from a contact; one the contact
// does not have is store.ErrNotFound.
func (s *Service) RemoveIdentity(ctx context.Context, p auth.Principal, id int64, ident Identity) (Contact, error) {
	if norm, err := normalizeIdentity("identities", ident); err == nil {
		ident = norm
	} else {
		// Not valid today, but it may have been stored under older rules.
		ident = Identity{Kind: strings.ToLower(strings.TrimSpace(ident.Kind)), Value: strings.TrimSpace(ident.Value)}
	}
	var out Contact
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		c, err := lockLive(ctx, q, p.AccountID, id)
		if err != nil {
			return err
		}
		n, err := q.IdentityDelete(ctx, store.IdentityDeleteParams{AccountID: p.AccountID, ContactID: c.ID, Kind: ident.Kind, Value: ident.Value})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s %s of contact %d: %w", ident.Kind, ident.Value, c.ID, store.ErrNotFound)
		}
		now := s.clock.Now()
		if err := save(ctx, q, now, c); err != nil {
			return err
		}
		out, err = load(ctx, q, p.AccountID, c.ID)
		return err
	})
	return out, err
}

// mergeFields fills keep's empty fields from merge's: notes appended,
// custom fields keep lacks, trade name and document where empty, and the
// name when keep's is only one of its identities (a default) and merge's is
// a real one.
func mergeFields(keep, merge Contact) Contact {
	switch {
	case keep.Notes == "":
		keep.Notes = merge.Notes
	case merge.Notes != "" && !strings.Contains(keep.Notes, merge.Notes):
		keep.Notes += "\n\n" + merge.Notes
	}
	fields := maps.Clone(keep.CustomFields)
	for k, v := range merge.CustomFields {
		if fields[k] == "" && v != "" {
			fields[k] = v
		}
	}
	keep.CustomFields = fields
	if keep.TradeName == "" {
		keep.TradeName = merge.TradeName
	}
	if keep.Document == "" {
		keep.Document = merge.Document
	}
	if defaultName(keep) && !defaultName(merge) {
		keep.Name = merge.Name
	}
	return keep
}

// defaultName reports whether c is named after one of its identities, as
// Create and Resolve name contacts nobody named.
func defaultName(c Contact) bool {
	if slices.Contains(c.Emails, c.Name) || slices.Contains(c.Phones, c.Name) {
		return true
	}
	for _, id := range c.Identities {
		if id.Value == c.Name {
			return true
		}
	}
	return false
}

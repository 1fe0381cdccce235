// Package attachment keeps the files messages carry: agents' and
// customers' uploads, and media fetched from providers.
//
// An upload is stored under a random id (it cannot be guessed) with the
// content type its bytes show, not the one the uploader claims. It belongs
// to its owner until a message claims it into a conversation; from then on
// whoever may see the conversation may download it. Unclaimed uploads are
// swept after a day.
package attachment

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// Limits.
const (
	// MaxPerMessage is how many files one message may carry.
	MaxPerMessage = 10
	// MaxName is the longest file name kept, in characters.
	MaxName = 200
	// KeepUnclaimed is how long an upload no message claimed is kept.
	KeepUnclaimed = 24 * time.Hour
	// sniffLen is how much of the start of a file decides its type.
	sniffLen = 3072
)

// ErrTooLarge: the file is over the size limit.
var ErrTooLarge = errors.New("file is too large")

// File is a stored attachment, open for reading.
type File struct {
	conversation.Attachment
	// ConversationID is 0 while no message has claimed the upload.
	ConversationID int64
	// Owner uploaded it: "user:12", "visitor:…".
	Owner     string
	CreatedAt time.Time
	// Content is the file's bytes; the caller closes it.
	Content io.ReadSeekCloser
}

// Service stores and finds attachments.
type Service struct {
	db       *store.DB
	clock    clock.Clock
	storage  Storage
	maxBytes int64
	log      *slog.Logger
}

// New returns a Service that keeps files in storage and refuses files over
// maxBytes.
func New(db *store.DB, clk clock.Clock, storage Storage, maxBytes int64, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, clock: clk, storage: storage, maxBytes: maxBytes, log: log}
}

// MaxBytes is the largest file Upload accepts.
func (s *Service) MaxBytes() int64 { return s.maxBytes }

// UserOwner is the owner of a user's uploads.
func UserOwner(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// Body yields an upload's file name and bytes.
type Body func() (name string, r io.Reader, err error)

// UploadFor stores a file an agent is about to send on a conversation they
// may act on (its agent, a supervisor of its department, an administrator).
// body is read only once that is known, so nobody else's bytes are taken.
func (s *Service) UploadFor(ctx context.Context, p auth.Principal, conversationID int64, body Body) (conversation.Attachment, error) {
	q := s.db.Read()
	c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: conversationID})
	if err != nil {
		return conversation.Attachment{}, fmt.Errorf("conversation %d: %w", conversationID, store.Translate(err))
	}
	if err := routing.MayHandle(ctx, q, p, c); err != nil {
		return conversation.Attachment{}, err
	}
	name, r, err := body()
	if err != nil {
		return conversation.Attachment{}, err
	}
	return s.Upload(ctx, p.AccountID, c.ID, UserOwner(p.UserID), name, r)
}

// OpenFor opens an attachment for a user: one in a conversation they may
// see, or their own unclaimed upload. Anything else is store.ErrNotFound,
// exactly like a missing id.
func (s *Service) OpenFor(ctx context.Context, p auth.Principal, id string) (File, error) {
	q := s.db.Read()
	a, err := q.GetAttachment(ctx, store.GetAttachmentParams{AccountID: p.AccountID, ID: id})
	if err != nil {
		return File{}, fmt.Errorf("attachment %q: %w", id, store.Translate(err))
	}
	notFound := fmt.Errorf("attachment %q: %w", id, store.ErrNotFound)
	if a.ConversationID.Valid {
		c, err := q.GetConversation(ctx, store.GetConversationParams{AccountID: p.AccountID, ID: a.ConversationID.Int64})
		if err != nil {
			return File{}, fmt.Errorf("conversation of attachment %q: %w", id, store.Translate(err))
		}
		if err := routing.MaySee(ctx, q, p, c); err != nil {
			return File{}, notFound
		}
	} else if a.Owner != UserOwner(p.UserID) {
		return File{}, notFound
	}
	return s.open(ctx, a)
}

// Open opens an attachment of the account without checking who asks: for
// callers that did (the website chat checks the visitor's conversation).
func (s *Service) Open(ctx context.Context, accountID int64, id string) (File, error) {
	a, err := s.db.Read().GetAttachment(ctx, store.GetAttachmentParams{AccountID: accountID, ID: id})
	if err != nil {
		return File{}, fmt.Errorf("attachment %q: %w", id, store.Translate(err))
	}
	return s.open(ctx, a)
}

func (s *Service) open(ctx context.Context, a store.Attachment) (File, error) {
	content, err := s.storage.Open(ctx, a.ID)
	if err != nil {
		return File{}, fmt.Errorf("attachment %q: bytes: %w", a.ID, err)
	}
	return File{
		Attachment:     conversation.Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size},
		ConversationID: a.ConversationID.Int64, Owner: a.Owner, CreatedAt: a.CreatedAt, Content: content,
	}, nil
}

// Upload stores the file r yields, up to the size limit, for owner; with a
// conversationID it belongs to that conversation at once. The caller has
// checked that owner may write to the conversation.
func (s *Service) Upload(ctx context.Context, accountID, conversationID int64, owner, name string, r io.Reader) (conversation.Attachment, error) {
	name = CleanName(name)
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	switch {
	case errors.Is(err, io.EOF) || n == 0:
		return conversation.Attachment{}, validate.Errorf("file", "is empty")
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return conversation.Attachment{}, fmt.Errorf("read upload %q: %w", name, err)
	}
	head = head[:n]
	id, err := newID()
	if err != nil {
		return conversation.Attachment{}, err
	}
	hash := sha256.New()
	// One byte more than allowed tells a file at the limit from one past it.
	body := io.TeeReader(io.LimitReader(io.MultiReader(bytes.NewReader(head), r), s.maxBytes+1), hash)
	size, err := s.storage.Put(ctx, id, body)
	if err == nil && size > s.maxBytes {
		err = fmt.Errorf("%q is over %d MiB: %w", name, s.maxBytes>>20, ErrTooLarge)
	}
	if err != nil {
		s.forget(id)
		return conversation.Attachment{}, err
	}
	a := conversation.Attachment{ID: id, Name: name, ContentType: ContentType(head, name), Size: size}
	err = s.db.Write().CreateAttachment(ctx, store.CreateAttachmentParams{
		ID: id, AccountID: accountID, ConversationID: store.NullID(conversationID), Owner: owner,
		Name: a.Name, ContentType: a.ContentType, Size: size, Sha256: hex.EncodeToString(hash.Sum(nil)), CreatedAt: s.clock.Now(),
	})
	if err != nil {
		// Nothing half-written stays behind: no row, no bytes.
		s.forget(id)
		return conversation.Attachment{}, fmt.Errorf("record attachment %q: %w", name, err)
	}
	return a, nil
}

// forget deletes bytes whose row was never written; a request that failed
// may have a cancelled context, so this one is its own.
func (s *Service) forget(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.storage.Delete(ctx, id); err != nil {
		s.log.Warn("delete attachment bytes", "id", id, "err", err)
	}
}

// Claim binds uploads to the message being written on conversationID, in
// the message's transaction: each must be in that conversation already or
// be owner's unclaimed upload. It returns them in the order given.
func Claim(ctx context.Context, q *store.Queries, now time.Time, accountID, conversationID int64, owner string, ids []string) ([]conversation.Attachment, error) {
	if len(ids) > MaxPerMessage {
		return nil, validate.Errorf("attachment_ids", "at most %d files per message", MaxPerMessage)
	}
	out := make([]conversation.Attachment, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return nil, validate.Errorf("attachment_ids", "%q is given twice", id)
		}
		seen[id] = true
		a, err := q.GetAttachment(ctx, store.GetAttachmentParams{AccountID: accountID, ID: id})
		if err != nil && !errors.Is(store.Translate(err), store.ErrNotFound) {
			return nil, err
		}
		mine := err == nil && (a.ConversationID.Int64 == conversationID || (!a.ConversationID.Valid && a.Owner == owner))
		if !mine {
			return nil, validate.Errorf("attachment_ids", "%q is not a file uploaded to this conversation", id)
		}
		if err := q.ClaimAttachment(ctx, store.ClaimAttachmentParams{
			ConversationID: store.NullID(conversationID), ClaimedAt: store.Null(now), AccountID: accountID, ID: id,
		}); err != nil {
			return nil, err
		}
		out = append(out, conversation.Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size})
	}
	return out, nil
}

// Sweep deletes uploads no message claimed within KeepUnclaimed, and
// reports how many went.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	ids, err := s.db.Read().ListUnclaimedAttachmentsBefore(ctx, store.ListUnclaimedAttachmentsBeforeParams{
		CreatedAt: s.clock.Now().Add(-KeepUnclaimed), Limit: 500,
	})
	if err != nil {
		return 0, err
	}
	swept := 0
	for _, id := range ids {
		// The row goes first, and only while unclaimed: a message claiming
		// it at this moment either wins (the row stays) or finds it gone.
		gone, err := s.db.Write().DeleteAttachment(ctx, id)
		if err != nil {
			return swept, err
		}
		if gone == 0 {
			continue
		}
		if err := s.storage.Delete(ctx, id); err != nil {
			return swept, err
		}
		swept++
	}
	return swept, nil
}

// Kind is the message kind for a file of contentType: image, audio, video
// or document.
func Kind(contentType string) string {
	switch family, _, _ := strings.Cut(contentType, "/"); family {
	case "image", "audio", "video":
		if contentType == "image/svg+xml" {
			return "document"
		}
		return family
	}
	return "document"
}

// Inline reports whether a file of contentType may be shown in the page
// (images, audio and video, but never SVG, which can carry scripts);
// anything else is only ever downloaded.
func Inline(contentType string) bool { return Kind(contentType) != "document" }

// ContentType decides a file's type from its first bytes. The name's
// extension only refines a type the bytes cannot tell (a generic binary or
// text), and never turns a file into one shown inline.
func ContentType(head []byte, name string) string {
	sniffed := mimetype.Detect(head)
	t := sniffed.String()
	if sniffed.Is("application/octet-stream") || sniffed.Is("text/plain") {
		if byExt := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); byExt != "" && !Inline(byExt) {
			if mt, _, err := mime.ParseMediaType(byExt); err == nil && !active(mt) {
				return byExt
			}
		}
	}
	return t
}

// active types run code when a browser opens them; they are never taken
// from a name.
func active(mediaType string) bool {
	switch mediaType {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript", "application/javascript", "text/xml", "application/xml":
		return true
	}
	return false
}

// CleanName keeps the last element of a file name, without control
// characters and at most MaxName characters; "arquivo" when nothing is left.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxName {
		ext := filepath.Ext(name)
		if utf8.RuneCountInString(ext) > 20 {
			ext = ""
		}
		name = string([]rune(name)[:MaxName-utf8.RuneCountInString(ext)]) + ext
	}
	if name == "" || name == "." || name == ".." {
		return "arquivo"
	}
	return name
}

// idEncoding writes ids in lower-case base32, safe in paths and URLs.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns 160 random bits: an id nobody can guess.
func newID() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("attachment id: %w", err)
	}
	return idEncoding.EncodeToString(b), nil
}

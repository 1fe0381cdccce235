package api_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// pngBytes start like every PNG file; the rest is filler.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 600)...)

// upload sends one file as multipart/form-data, as a browser's FormData
// does.
func (c *client) upload(path, field, name string, content []byte) *response {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.e.t.Fatal(err)
	}
	part.Write(content)
	mw.Close()
	return c.raw("POST", path, mw.FormDataContentType(), body.Bytes(), nil)
}

// raw sends a request with the given body and content type.
func (c *client) raw(method, path, contentType string, body []byte, header http.Header) *response {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{t: c.e.t, status: res.StatusCode, header: res.Header, body: b}
}

type attachmentView struct {
	ID          string
	Name        string
	ContentType string `json:"content_type"`
	Size        int64
}

// storedFiles counts the files under the upload directory.
func (d *desk) storedFiles() int {
	d.t.Helper()
	n := 0
	filepath.WalkDir(d.dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// An agent uploads files to the conversation they serve and sends them;
// the type is what the bytes are, not what the name says; whoever may see
// the conversation downloads them with headers that keep a file from ever
// acting as a page; everybody else gets the 404 of a missing id.
func TestAttachmentsAreSniffedSentAndServedOnlyToWhoMaySee(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		silviaID, silvia := d.staff("acme", "Silvia", "supervisor")
		betoID, beto := d.staff("acme", "Beto", "agent")
		_, intruder := d.staff("globex", "Gil", "admin")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		dep := d.department(ana, "Vendas", s, caioID, silviaID)
		d.department(ana, "Suporte", s, betoID)
		ch := d.channel(d.accountOf(anaID), dep, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		r := d.writes(ch, "+5511912345678", "Maria", "me manda a foto do produto")
		conv := "/api/v1/conversations/" + itoa(r.ConversationID)

		// A PNG named .txt is a PNG; an HTML page named .png is HTML.
		var photo, page attachmentView
		caio.upload(conv+"/attachments", "file", "produto.txt", pngBytes).want(http.StatusCreated).decode(&photo)
		if photo.ContentType != "image/png" || photo.Name != "produto.txt" || photo.Size != int64(len(pngBytes)) || len(photo.ID) < 30 {
			t.Fatalf("uploaded PNG = %+v", photo)
		}
		html := []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
		caio.upload(conv+"/attachments", "file", `..\..\etc/passwd/catalogo.png`, html).want(http.StatusCreated).decode(&page)
		if !strings.HasPrefix(page.ContentType, "text/html") || page.Name != "catalogo.png" {
			t.Fatalf("uploaded HTML = %+v", page)
		}

		// Sent with no text: the message carries both and is an image.
		var msg struct {
			Kind        string
			Body        string
			Attachments []attachmentView
		}
		caio.do("POST", conv+"/messages", map[string]any{"attachment_ids": []string{photo.ID, page.ID}}).want(http.StatusCreated).decode(&msg)
		if msg.Kind != "image" || len(msg.Attachments) != 2 || msg.Attachments[0] != photo || msg.Attachments[1] != page {
			t.Fatalf("sent message = %+v", msg)
		}

		// The image is shown inline; the page only downloads, sandboxed.
		got := caio.do("GET", "/api/v1/attachments/"+photo.ID, nil).want(http.StatusOK)
		if !bytes.Equal(got.body, pngBytes) || got.header.Get("Content-Type") != "image/png" ||
			!strings.HasPrefix(got.header.Get("Content-Disposition"), "inline") {
			t.Fatalf("image download: %d bytes, headers %v", len(got.body), got.header)
		}
		got = caio.do("GET", "/api/v1/attachments/"+page.ID, nil).want(http.StatusOK)
		if !bytes.Equal(got.body, html) || !strings.HasPrefix(got.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("page download: %s, headers %v", got.body, got.header)
		}
		for _, res := range []*response{got, caio.do("GET", "/api/v1/attachments/"+photo.ID, nil)} {
			if res.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox") ||
				!strings.Contains(res.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Fatalf("download headers %v", res.header)
			}
		}
		// Audio and video players seek with ranges.
		part := caio.raw("GET", "/api/v1/attachments/"+photo.ID, "", nil, http.Header{"Range": {"bytes=0-3"}}).want(http.StatusPartialContent)
		if string(part.body) != "\x89PNG" {
			t.Fatalf("range 0-3 = %q", part.body)
		}

		// The department's supervisor and the administrator see it; an
		// agent of another department and another account do not, and
		// their answer is a missing id's.
		silvia.do("GET", "/api/v1/attachments/"+photo.ID, nil).want(http.StatusOK)
		ana.do("GET", "/api/v1/attachments/"+photo.ID, nil).want(http.StatusOK)
		missing := caio.do("GET", "/api/v1/attachments/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil).wantError(http.StatusNotFound, "not_found")
		for who, c := range map[string]*client{"agent of another department": beto, "another account": intruder} {
			res := c.do("GET", "/api/v1/attachments/"+photo.ID, nil).want(http.StatusNotFound)
			if !bytes.Equal(res.body, missing.body) {
				t.Fatalf("%s: %s, a missing id: %s", who, res.body, missing.body)
			}
		}

		// Nobody else uploads to Caio's conversation.
		files := d.storedFiles()
		beto.upload(conv+"/attachments", "file", "x.png", pngBytes).want(http.StatusForbidden)
		intruder.upload(conv+"/attachments", "file", "x.png", pngBytes).want(http.StatusNotFound)
		if n := d.storedFiles(); n != files {
			t.Fatalf("refused uploads left %d files behind", n-files)
		}
	})
}

// What is wrong with an upload is said, with the field, and nothing of it
// stays behind: no row, no bytes.
func TestBadUploadsAreRefusedAndLeaveNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		anaID, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		s := offerRouting
		s.OfferMode = routing.DirectMode
		dep := d.department(ana, "Vendas", s, caioID)
		ch := d.channel(d.accountOf(anaID), dep, "WhatsApp")
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		first := d.writes(ch, "+5511912345678", "Maria", "oi")
		other := d.writes(ch, "+5511987654321", "João", "olá")
		conv := "/api/v1/conversations/" + itoa(first.ConversationID)

		atLimit := bytes.Repeat([]byte("a"), deskMaxFile)
		caio.upload(conv+"/attachments", "file", "limite.txt", atLimit).want(http.StatusCreated)
		rows, files := d.count("SELECT count(*) FROM attachments"), d.storedFiles()

		over := append(atLimit, 'b')
		caio.upload(conv+"/attachments", "file", "grande.txt", over).wantError(http.StatusRequestEntityTooLarge, "file_too_large")
		caio.upload(conv+"/attachments", "file", "vazio.txt", nil).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.upload(conv+"/attachments", "documento", "a.txt", []byte("a")).wantError(http.StatusBadRequest, "missing_file")
		caio.raw("POST", conv+"/attachments", "application/json", []byte(`{"file":"a"}`), nil).wantError(http.StatusUnsupportedMediaType, "unsupported_media_type")
		caio.raw("POST", conv+"/attachments", "multipart/form-data; boundary=x", []byte("--x\r\nnot a part"), nil).want(http.StatusBadRequest)
		if r, f := d.count("SELECT count(*) FROM attachments"), d.storedFiles(); r != rows || f != files {
			t.Fatalf("refused uploads left %d rows and %d files behind", r-rows, f-files)
		}

		// A file of another conversation is not this message's to send, and
		// the refusal writes nothing.
		var elsewhere attachmentView
		caio.upload("/api/v1/conversations/"+itoa(other.ConversationID)+"/attachments", "file", "f.png", pngBytes).want(http.StatusCreated).decode(&elsewhere)
		msgs := d.count("SELECT count(*) FROM messages")
		caio.do("POST", conv+"/messages", map[string]any{"body": "segue", "attachment_ids": []string{elsewhere.ID}}).wantError(http.StatusUnprocessableEntity, "invalid")
		caio.do("POST", conv+"/messages", map[string]any{"body": "segue", "attachment_ids": []string{"nope"}}).wantError(http.StatusUnprocessableEntity, "invalid")
		if n := d.count("SELECT count(*) FROM messages"); n != msgs {
			t.Fatalf("refused messages wrote %d rows", n-msgs)
		}

		// An upload no message claimed is swept after a day; sent ones stay.
		var sent attachmentView
		caio.upload(conv+"/attachments", "file", "f.png", pngBytes).want(http.StatusCreated).decode(&sent)
		caio.do("POST", conv+"/messages", map[string]any{"attachment_ids": []string{sent.ID}}).want(http.StatusCreated)
		rows, files = d.count("SELECT count(*) FROM attachments"), d.storedFiles()
		d.clock.Advance(25 * time.Hour)
		swept, err := d.files.Sweep(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if swept != 2 || d.count("SELECT count(*) FROM attachments") != rows-2 || d.storedFiles() != files-2 {
			t.Fatalf("swept %d; rows %d → %d, files %d → %d", swept, rows, d.count("SELECT count(*) FROM attachments"), files, d.storedFiles())
		}
		d.signInAgain(caio)
		caio.do("GET", "/api/v1/attachments/"+sent.ID, nil).want(http.StatusOK)
	})
}

package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
)

// multipartOverhead is room for the multipart framing around the file.
const multipartOverhead = 64 << 10

// uploadAttachment stores the "file" part of a multipart/form-data body as
// a file of the conversation, streaming it (nothing is buffered whole).
func (s *Server) uploadAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.attachments.UploadFor(r.Context(), p, id, func() (string, io.Reader, error) { return s.filePart(w, r) })
	if err != nil {
		return uploadError(err)
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// filePart finds the multipart part named "file" and returns its file name
// and a reader of its bytes, bounded by the attachment limit.
func (s *Server) filePart(w http.ResponseWriter, r *http.Request) (string, io.Reader, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return "", nil, &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", field: "file",
			message: "send the file as multipart/form-data, in a part named \"file\""}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.attachments.MaxBytes()+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, badRequest("malformed_multipart", "the multipart body cannot be read: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, &requestError{status: http.StatusBadRequest, code: "missing_file", field: "file", message: "no part named \"file\" in the body"}
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, uploadError(err)
		}
		if err != nil {
			return "", nil, badRequest("malformed_multipart", "the multipart body cannot be read: %v", err)
		}
		if part.FormName() == "file" {
			return part.FileName(), part, nil
		}
	}
}

// uploadError turns a size overrun, however it surfaced, into 413.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.Is(err, attachment.ErrTooLarge) || errors.As(err, &tooBig) {
		return &requestError{status: http.StatusRequestEntityTooLarge, code: "file_too_large", field: "file", message: err.Error()}
	}
	return err
}

// downloadAttachment answers a file to someone who may see it.
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := s.attachments.OpenFor(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer f.Content.Close()
	serveFile(w, r, f)
	return nil
}

// serveFile writes an attachment so that it can never act as a page of
// ours: the type is the one its bytes showed, the browser may not guess
// another (nosniff), and even opened directly it runs in a sandbox with
// nothing allowed. Only images, audio and video are shown inline; the rest
// is downloaded.
func serveFile(w http.ResponseWriter, r *http.Request, f attachment.File) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	if h.Get("Cross-Origin-Resource-Policy") == "" { // the widget's files are embedded in customers' sites
		h.Set("Cross-Origin-Resource-Policy", "same-site")
	}
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	disposition := "attachment"
	if attachment.Inline(f.ContentType) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	// ServeContent answers ranges (audio and video seek) and conditional
	// requests; the id never changes content, so it is the ETag.
	h.Set("ETag", strconv.Quote(f.ID))
	http.ServeContent(w, r, "", f.CreatedAt, f.Content)
}

package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/conversation"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/validate"
)

// maxJSONBody bounds request bodies; larger ones answer 413.
const maxJSONBody = 1 << 20

// requestError is a problem with the request itself, answered as is.
type requestError struct {
	status  int
	code    string
	message string
	field   string
}

func (e *requestError) Error() string { return e.message }

func badRequest(code, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

// badField is a malformed request field or query parameter: 400 naming it.
func badField(code, field, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, code: code, field: field, message: field + ": " + fmt.Sprintf(format, args...)}
}

// decode reads one JSON object into v, refusing unknown fields, trailing
// data and bodies over maxJSONBody.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return badRequest("malformed_json", "the body must hold a single JSON object")
	}
	return nil
}

// decodeOptional is decode for a body that may be left out: an empty body
// leaves v as it is.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		return decodeError(err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	return decode(w, r, v)
}

func decodeError(err error) error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return &requestError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
			message: fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest("malformed_json", "the body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed_json", "the JSON body ends too soon")
	case errors.As(err, &syntax):
		return badRequest("malformed_json", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return &requestError{status: http.StatusBadRequest, code: "wrong_type", field: typ.Field,
			message: fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &requestError{status: http.StatusBadRequest, code: "unknown_field", field: strings.Trim(name, `"`),
			message: "unknown field " + name}
	}
	return badRequest("malformed_json", "cannot read the JSON body: %v", err)
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

// errorBody is every error answer: {"error":{"code","message"[,"field"]}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError maps err to its status and JSON body. It is the only place that
// knows which domain error means which status.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var (
		reqErr    *requestError
		invalid   *validate.Error
		throttled *auth.ThrottledError
	)
	status, body := http.StatusInternalServerError, errorDetail{Code: "internal", Message: "internal error"}
	switch {
	case errors.As(err, &reqErr):
		status, body = reqErr.status, errorDetail{Code: reqErr.code, Message: reqErr.message, Field: reqErr.field}
	case errors.Is(err, messaging.ErrKeyReused):
		status, body = http.StatusUnprocessableEntity, errorDetail{Code: "idempotency_key_reused", Message: err.Error(), Field: "Idempotency-Key"}
	case errors.Is(err, conversation.ErrDuplicate):
		status, body = http.StatusConflict, errorDetail{Code: "duplicate", Message: "the message is already stored"}
	case errors.Is(err, routing.ErrUnavailable):
		status, body = http.StatusConflict, errorDetail{Code: "agent_unavailable", Message: err.Error()}
	case errors.Is(err, webchat.ErrOffline):
		status, body = http.StatusConflict, errorDetail{Code: "visitor_offline", Message: err.Error()}
	case errors.Is(err, routing.ErrOfferGone):
		status, body = http.StatusConflict, errorDetail{Code: "offer_gone", Message: err.Error()}
	case errors.Is(err, conversation.ErrNotAllowed):
		status, body = http.StatusConflict, errorDetail{Code: "not_allowed", Message: err.Error()}
	case errors.Is(err, conversation.ErrChanged), errors.Is(err, store.ErrContention):
		// Still losing races after the engine's retries: the caller may
		// simply try again.
		w.Header().Set("Retry-After", "1")
		status, body = http.StatusServiceUnavailable, errorDetail{Code: "busy", Message: "the conversation kept changing meanwhile; try again"}
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Round(time.Second)/time.Second)))
		status, body = http.StatusTooManyRequests, errorDetail{Code: "too_many_attempts", Message: throttled.Error()}
	case errors.Is(err, store.ErrConflict):
		status, body = http.StatusConflict, errorDetail{Code: "conflict", Message: "conflicts with an existing item"}
		if errors.As(err, &invalid) {
			body.Field, body.Message = invalid.Field, invalid.Error()
		}
	case errors.As(err, &invalid):
		status, body = http.StatusUnprocessableEntity, errorDetail{Code: "invalid", Message: invalid.Error(), Field: invalid.Field}
	case errors.Is(err, store.ErrNotFound):
		// One message for missing and for another account's: nothing leaks.
		status, body = http.StatusNotFound, errorDetail{Code: "not_found", Message: "not found"}
	case errors.Is(err, auth.ErrUnauthenticated):
		status, body = http.StatusUnauthorized, errorDetail{Code: "unauthenticated", Message: err.Error()}
	case errors.Is(err, auth.ErrForbidden):
		status, body = http.StatusForbidden, errorDetail{Code: "forbidden", Message: err.Error()}
	case errors.Is(err, auth.ErrLastAdmin):
		status, body = http.StatusConflict, errorDetail{Code: "last_admin", Message: err.Error()}
	}
	if status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, errorBody{Error: body})
}

// pathID reads a numeric path value; anything else is a route that does not
// exist, so it answers 404 like a missing item.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, r.PathValue(name), store.ErrNotFound)
	}
	return id, nil
}

// queryID reads an optional id query parameter; absent is 0.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badField("invalid_query", name, "must be a positive integer")
	}
	return n, nil
}

// queryInt reads an optional integer query parameter between lo and hi;
// absent is 0.
func queryInt(r *http.Request, name string, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badField("invalid_query", name, "must be an integer between %d and %d", lo, hi)
	}
	return n, nil
}

// queryTime reads an optional time query parameter: an RFC 3339 instant,
// or a date (YYYY-MM-DD, UTC) meaning its start — or, with endOfDay, the
// start of the next day, so a date range includes its last day.
func queryTime(r *http.Request, name string, endOfDay bool) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, badField("invalid_query", name, "must be a date (2026-11-21) or an RFC 3339 time (2026-11-21T09:00:00-03:00)")
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

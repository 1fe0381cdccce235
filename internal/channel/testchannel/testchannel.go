// Package testchannel is a channel adapter for a simple provider that
// behaves like the real ones: it posts signed JSON webhooks (HMAC-SHA256 of
// the raw body, hex, in X-Signature) and takes outbound messages on a JSON
// API that answers 429 with Retry-After when pushed too hard. Tests run it
// against a local fake of that provider to exercise the channel contract end
// to end; it is also a template for real adapters.
package testchannel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/contact"
)

// Kind is the channel kind this adapter serves.
const Kind = "test"

// Webhook is the provider's inbound message, as it posts it.
type Webhook struct {
	ID        string `json:"id"`         // the provider's message id
	ChannelID int64  `json:"channel_id"` // which connected account it came to
	From      string `json:"from"`       // the sender's phone number
	Name      string `json:"name"`       // the sender's profile name
	Text      string `json:"text"`
	ReplyTo   string `json:"reply_to,omitempty"`
}

// Sign is what the provider puts in X-Signature for body.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// maxWebhook bounds a webhook body.
const maxWebhook = 256 << 10

// Handler receives webhooks: it verifies the signature over the raw body,
// decodes and checks the payload, and answers 200 only after the message is
// committed. A malformed or unsigned webhook is refused with the reason and
// logged; nothing is stored.
func Handler(recv *channel.Receiver, secret []byte, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse := func(status int, reason string) {
			log.Warn("test channel webhook refused", "status", status, "reason", reason, "remote", r.RemoteAddr)
			http.Error(w, reason, status)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhook))
		if err != nil {
			refuse(http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		sig, err := hex.DecodeString(r.Header.Get("X-Signature"))
		if err != nil || !hmac.Equal(sig, mustHex(Sign(secret, body))) {
			refuse(http.StatusUnauthorized, "bad signature")
			return
		}
		in, err := Parse(body)
		if err != nil {
			refuse(http.StatusBadRequest, err.Error())
			return
		}
		res, err := recv.Receive(r.Context(), in)
		if err != nil {
			log.Error("test channel webhook not stored", "id", in.ProviderMessageID, "err", err)
			http.Error(w, "not stored; deliver again", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"message_id": res.MessageID, "duplicate": res.Duplicate})
	})
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// Parse turns a webhook body into an Inbound, or says what is wrong with it.
func Parse(body []byte) (channel.Inbound, error) {
	var wh Webhook
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wh); err != nil {
		return channel.Inbound{}, fmt.Errorf("malformed webhook: %v", err)
	}
	switch {
	case wh.ID == "":
		return channel.Inbound{}, errors.New("webhook without id")
	case wh.ChannelID <= 0:
		return channel.Inbound{}, errors.New("webhook without channel_id")
	case wh.From == "":
		return channel.Inbound{}, errors.New("webhook without from")
	}
	phone, err := contact.NormalizePhone(wh.From)
	if err != nil {
		return channel.Inbound{}, fmt.Errorf("webhook from %q: %v", wh.From, err)
	}
	return channel.Inbound{
		ChannelID: wh.ChannelID, ProviderMessageID: wh.ID,
		From: contact.Identity{Kind: contact.KindWhatsApp, Value: phone}, Profile: contact.Profile{Name: wh.Name},
		Kind: "text", Body: wh.Text, QuotedProviderID: wh.ReplyTo,
	}, nil
}

// Adapter sends outbound messages to the provider's API at BaseURL.
type Adapter struct {
	BaseURL string
	Client  *http.Client
}

type sendRequest struct {
	To   string `json:"to"`
	Text string `json:"text"`
	Ref  int64  `json:"ref"` // our message id, echoed back for idempotency
}

// Send posts the message; 2xx gives the provider's id, 429 asks to wait,
// other 4xx are permanent, 5xx and network errors are retried.
func (a Adapter) Send(ctx context.Context, m channel.Outbound) (string, error) {
	body, _ := json.Marshal(sendRequest{To: fmt.Sprint(m.Conversation.ContactID), Text: m.Message.Body, Ref: m.MessageID})
	req, err := http.NewRequestWithContext(ctx, "POST", a.BaseURL+"/messages", bytes.NewReader(body))
	if err != nil {
		return "", channel.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := a.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		return "", &channel.RateLimited{RetryAfter: time.Duration(secs) * time.Second, Err: fmt.Errorf("provider: %s", raw)}
	case res.StatusCode >= 500:
		return "", fmt.Errorf("provider answered %d: %s", res.StatusCode, raw)
	case res.StatusCode >= 400:
		return "", channel.Permanent(fmt.Errorf("provider refused the message (%d): %s", res.StatusCode, raw))
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("provider answer without an id: %s", raw)
	}
	return out.ID, nil
}

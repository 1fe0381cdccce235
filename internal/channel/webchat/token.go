package webchat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// tokenPrefix versions the token format.
const tokenPrefix = "wv1."

// TokenLifetime is how long a visitor token stays good; every welcome renews
// it, so only a visitor away for longer becomes a new one.
const TokenLifetime = 400 * 24 * time.Hour

// ErrBadToken: a visitor token that does not verify.
var ErrBadToken = errors.New("bad visitor token")

type tokenPayload struct {
	Channel int64  `json:"c"`
	Visitor string `json:"v"`
	Issued  int64  `json:"t"`
}

// SignToken binds a visitor id to a channel with the channel's secret.
func SignToken(secret string, channelID int64, visitorKey string, now time.Time) string {
	payload, _ := json.Marshal(tokenPayload{Channel: channelID, Visitor: visitorKey, Issued: now.Unix()})
	body := tokenPrefix + base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(mac(secret, body))
}

func mac(secret, body string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(body))
	return h.Sum(nil)
}

// VerifyToken returns the visitor id a token names when it was signed with
// the channel's secret for that channel and has not expired. Errors wrap
// ErrBadToken and say what is wrong.
func VerifyToken(secret string, channelID int64, token string, now time.Time) (string, error) {
	bad := func(why string) (string, error) { return "", fmt.Errorf("%w: %s", ErrBadToken, why) }
	if secret == "" {
		return bad("the channel has no signing secret")
	}
	if len(token) > 512 || !strings.HasPrefix(token, tokenPrefix) {
		return bad("not a visitor token")
	}
	dot := strings.LastIndexByte(token, '.')
	if dot <= len(tokenPrefix) {
		return bad("not a visitor token")
	}
	body, sig := token[:dot], token[dot+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, body)) {
		return bad("signature does not match")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body[len(tokenPrefix):])
	if err != nil {
		return bad("malformed payload")
	}
	var p tokenPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return bad("malformed payload")
	}
	switch {
	case p.Channel != channelID:
		return bad("issued for another channel")
	case !validVisitorKey(p.Visitor):
		return bad("malformed visitor id")
	case now.Sub(time.Unix(p.Issued, 0)) > TokenLifetime:
		return bad("expired")
	}
	return p.Visitor, nil
}

// NewVisitorKey makes a visitor id: "v_" and 22 URL-safe characters (128
// random bits).
func NewVisitorKey() string { return "v_" + randomToken(16) }

func validVisitorKey(k string) bool {
	if len(k) != 24 || !strings.HasPrefix(k, "v_") {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(k[2:])
	return err == nil
}

// SignIdentity is what a site's back end computes for identity
// verification: hex HMAC-SHA256 of the e-mail with the channel's identity
// secret.
func SignIdentity(secret, email string) string {
	return hex.EncodeToString(mac(secret, email))
}

// VerifyIdentity checks a site's signature of an e-mail.
func VerifyIdentity(secret, email, signature string) bool {
	got, err := hex.DecodeString(signature)
	return err == nil && secret != "" && hmac.Equal(got, mac(secret, email))
}

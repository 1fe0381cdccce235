package webchat

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVisitorTokensBindAVisitorToOneChannel(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	key := NewVisitorKey()
	tok := SignToken("segredo", 7, key, now)
	if got, err := VerifyToken("segredo", 7, tok, now.Add(TokenLifetime)); err != nil || got != key {
		t.Fatalf("a good token: %q %v", got, err)
	}
	for name, c := range map[string]struct {
		secret  string
		channel int64
		token   string
		at      time.Time
		says    string
	}{
		"another channel's":   {"segredo", 8, tok, now, "another channel"},
		"another secret":      {"outro", 7, tok, now, "does not match"},
		"expired":             {"segredo", 7, tok, now.Add(TokenLifetime + time.Second), "expired"},
		"altered payload":     {"segredo", 7, strings.Replace(tok, "wv1.e", "wv1.f", 1), now, "does not match"},
		"not a token":         {"segredo", 7, "abc", now, "not a visitor token"},
		"empty":               {"segredo", 7, "", now, "not a visitor token"},
		"no signature":        {"segredo", 7, "wv1.", now, "not a visitor token"},
		"a channel no secret": {"", 7, tok, now, "no signing secret"},
	} {
		_, err := VerifyToken(c.secret, c.channel, c.token, c.at)
		if !errors.Is(err, ErrBadToken) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s token: %v, want a bad token that says %q", name, err, c.says)
		}
	}
	// A token signed over a made-up visitor id is refused even with the
	// right secret.
	if _, err := VerifyToken("segredo", 7, SignToken("segredo", 7, "../../etc", now), now); !errors.Is(err, ErrBadToken) {
		t.Errorf("a malformed visitor id: %v", err)
	}
	if a, b := NewVisitorKey(), NewVisitorKey(); a == b || !validVisitorKey(a) {
		t.Errorf("visitor keys %q, %q", a, b)
	}
}

func TestIdentitySignaturesAreHMACsOfTheEmail(t *testing.T) {
	sig := SignIdentity("s3cr3t", "maria@cliente.example")
	if !VerifyIdentity("s3cr3t", "maria@cliente.example", sig) {
		t.Fatal("a good signature refused")
	}
	for _, c := range [][3]string{
		{"s3cr3t", "outra@cliente.example", sig}, {"outro", "maria@cliente.example", sig},
		{"s3cr3t", "maria@cliente.example", "zz"}, {"", "maria@cliente.example", SignIdentity("", "maria@cliente.example")},
	} {
		if VerifyIdentity(c[0], c[1], c[2]) {
			t.Errorf("accepted %v", c)
		}
	}
}

func TestOriginsAreComparedAsBrowsersSendThem(t *testing.T) {
	ch := Channel{Settings: Settings{AllowedOrigins: []string{"https://shop.example", "http://localhost:3000"}}}
	for origin, want := range map[string]bool{
		"https://shop.example": true, "https://SHOP.example:443": true, "http://localhost:3000": true,
		"http://shop.example": false, "https://shop.example.evil.test": false, "https://evil.test": false,
		"http://localhost:3001": false, "": false, "null": false,
	} {
		if got := ch.AllowsOrigin(origin); got != want {
			t.Errorf("origin %q: %v, want %v", origin, got, want)
		}
	}
	for _, bad := range []string{"shop.example", "ftp://shop.example", "https://shop.example/path", "https://user@shop.example", "https://shop.example?x=1"} {
		if _, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("%q taken as an origin", bad)
		}
	}
}

func TestUserAgentsTellBrowserSystemAndDevice(t *testing.T) {
	for ua, want := range map[string]Agent{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":                         {"Chrome", "Windows", "desktop"},
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0":               {"Edge", "Windows", "desktop"},
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1": {"Safari", "iOS", "mobile"},
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36":  {"Samsung Internet", "Android", "mobile"},
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0":                                                     {"Firefox", "macOS", "desktop"},
		"Mozilla/5.0 (Linux; Android 13; Tab S8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36":                               {"Chrome", "Android", "tablet"},
		"Googlebot/2.1 (+http://www.google.com/bot.html)":                                                                                         {"Other", "Other", "bot"},
		"": {"Other", "Other", "desktop"},
	} {
		if got := ParseUserAgent(ua); got != want {
			t.Errorf("%.50s: %+v, want %+v", ua, got, want)
		}
	}
}

package webchat

import "strings"

// Agent is what a browser's User-Agent header says about it, as agents
// read it in the online-visitors list.
type Agent struct {
	Browser string `json:"browser"`
	OS      string `json:"os"`
	Device  string `json:"device"` // desktop, mobile, tablet or bot
}

// ParseUserAgent recognises the common browsers, systems and devices; what
// it does not know it calls "Other".
func ParseUserAgent(ua string) Agent {
	has := func(s string) bool { return strings.Contains(ua, s) }
	a := Agent{Browser: "Other", OS: "Other", Device: "desktop"}
	switch {
	case has("Edg/") || has("Edge/"):
		a.Browser = "Edge"
	case has("OPR/") || has("Opera"):
		a.Browser = "Opera"
	case has("SamsungBrowser/"):
		a.Browser = "Samsung Internet"
	case has("Firefox/") || has("FxiOS/"):
		a.Browser = "Firefox"
	case has("Chrome/") || has("CriOS/") || has("Chromium/"):
		a.Browser = "Chrome"
	case has("Safari/") && has("Version/"):
		a.Browser = "Safari"
	case has("MSIE ") || has("Trident/"):
		a.Browser = "Internet Explorer"
	}
	switch {
	case has("iPhone") || has("iPad") || has("iPod"):
		a.OS = "iOS"
	case has("Android"):
		a.OS = "Android"
	case has("CrOS"):
		a.OS = "ChromeOS"
	case has("Windows"):
		a.OS = "Windows"
	case has("Mac OS X") || has("Macintosh"):
		a.OS = "macOS"
	case has("Linux"):
		a.OS = "Linux"
	}
	lower := strings.ToLower(ua)
	switch {
	case strings.Contains(lower, "bot") || strings.Contains(lower, "spider") || strings.Contains(lower, "crawl"):
		a.Device = "bot"
	case has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")):
		a.Device = "tablet"
	case has("Mobile") || has("iPhone") || has("iPod"):
		a.Device = "mobile"
	}
	return a
}

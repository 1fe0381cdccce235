package testchannel

import (
	"encoding/json"
	"testing"
)

// Webhook bodies come from outside: whatever arrives, Parse returns an error
// or an Inbound with everything the entry point needs.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"m1","channel_id":1,"from":"+5511987654321","name":"Maria","text":"oi"}`))
	f.Add([]byte(`{"id":"m1","channel_id":1,"from":"11 8765-4321","text":""}`))
	f.Add([]byte(`{"id":"","channel_id":-1}`))
	f.Add([]byte(`{"id":"m1","channel_id":1,"from":"+5511987654321","text":"x","reply_to":"m0"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := Parse(body)
		if err != nil {
			return
		}
		if in.ProviderMessageID == "" || in.ChannelID <= 0 || in.From.Value == "" || in.From.Value[0] != '+' {
			t.Fatalf("accepted an incomplete webhook %q as %+v", body, in)
		}
		var wh Webhook
		if json.Unmarshal(body, &wh) != nil {
			t.Fatalf("accepted non-JSON %q", body)
		}
	})
}

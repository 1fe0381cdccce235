package webchat

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeFrameTakesEveryFrameOfTheProtocol(t *testing.T) {
	for _, raw := range []string{
		`{"type":"hello","page":{"url":"https://shop.example/a"}}`,
		`{"type":"hello","token":"wv1.x.y","language":"pt-BR","time_zone":"America/Sao_Paulo","after":42,"page":{"url":"https://shop.example/a","title":"Início","referrer":"https://google.com/"},"identity":{"email":"ana@example.com","signature":"ab12"}}`,
		`{"type":"page","url":"http://localhost:3000/p?q=1","title":"Produtos"}`,
		`{"type":"message","client_id":"m-1_a","body":"Olá\nquero ajuda"}`,
		`{"type":"message","client_id":"m2","body":"oi","prechat":{"name":"Zé","email":"ze@example.com","phone":"+55 11 98765-4321","department_id":3},"invitation_id":7}`,
		`{"type":"message","client_id":"m3","attachments":["att_1"]}`,
		`{"type":"typing"}`, `{"type":"read","message_id":9}`, `{"type":"dismiss","invitation_id":2}`, `{"type":"ping"}`,
	} {
		if _, err := DecodeFrame([]byte(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestDecodeFrameRefusesAnythingElseWithAReason(t *testing.T) {
	for _, c := range []struct{ raw, code, says string }{
		{``, "bad_frame", "not a JSON object"},
		{`[]`, "bad_frame", "not a JSON object"},
		{`{"type":"hello"} {"type":"ping"}`, "bad_frame", "one JSON object"},
		{`{"body":"x"}`, "bad_frame", "without a type"},
		{`{"type":"exec"}`, "bad_frame", `unknown frame type "exec"`},
		{`{"type":"ping","admin":true}`, "bad_frame", "admin"},
		{`{"type":"typing","body":"x"}`, "bad_frame", `no field "body"`},
		{`{"type":"read","message_id":"9"}`, "bad_frame", "message_id must be a int64"},
		{`{"type":"read","message_id":0}`, "invalid", "message_id"},
		{`{"type":"hello"}`, "invalid", "page"},
		{`{"type":"hello","page":{"url":"javascript:alert(1)"}}`, "invalid", "page.url"},
		{`{"type":"hello","page":{"url":"https://a.example","extra":1}}`, "bad_frame", "extra"},
		{`{"type":"hello","language":"<script>","page":{"url":"https://a.example"}}`, "invalid", "language"},
		{`{"type":"hello","after":-1,"page":{"url":"https://a.example"}}`, "invalid", "after"},
		{`{"type":"page","url":"https://a.example","title":"a\u0000b"}`, "invalid", "title"},
		{`{"type":"message","body":"oi"}`, "invalid", "client_id"},
		{`{"type":"message","client_id":"../x","body":"oi"}`, "invalid", "client_id"},
		{`{"type":"message","client_id":"a","body":"   "}`, "invalid", "empty"},
		{`{"type":"message","client_id":"a","body":"` + strings.Repeat("é", MaxBody+1) + `"}`, "invalid", "at most 4000"},
		{`{"type":"message","client_id":"a","body":"x","attachments":["a","b","c","d","e","f"]}`, "invalid", "attachments"},
		{`{"type":"message","client_id":"a","body":"x","prechat":{"name":"a\u0007"}}`, "invalid", "prechat.name"},
		{"{\"type\":\"ping\"}\xff", "bad_frame", "UTF-8"},
		{`{"type":"message","client_id":"a","body":"` + strings.Repeat("a", MaxFrame) + `"}`, "bad_frame", "limit"},
	} {
		_, err := DecodeFrame([]byte(c.raw))
		var fe *FrameError
		if !errors.As(err, &fe) {
			t.Errorf("%.80s: %v, want a FrameError", c.raw, err)
			continue
		}
		if fe.Code != c.code || !strings.Contains(fe.Error(), c.says) {
			t.Errorf("%.80s: %s %q, want %s saying %q", c.raw, fe.Code, fe.Error(), c.code, c.says)
		}
	}
}

// FuzzDecodeFrame: whatever arrives, the decoder returns a frame or a
// FrameError — never panics — and a frame it returns keeps every rule, so
// encoding and decoding it again gives the same frame.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"hello","token":"wv1.e30.x","language":"en","time_zone":"UTC","after":3,"page":{"url":"https://a.example/","title":"t","referrer":"http://b.example"},"identity":{"email":"a@b.c","name":"A","signature":"00ff"}}`,
		`{"type":"page","url":"https://a.example/x","title":"X","referrer":""}`,
		`{"type":"message","client_id":"c1","body":"oi\n","attachments":["f1"],"prechat":{"name":"N","email":"n@x.y","phone":"11","department_id":1},"invitation_id":1}`,
		`{"type":"typing"}`, `{"type":"read","message_id":1}`, `{"type":"dismiss","invitation_id":1}`, `{"type":"ping"}`,
		`{"type":"message","client_id":"c","body":"\u0000"}`, `{"type":1}`, `{"type":"hello","page":null}`, `null`, `{}`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) || (fe.Code != "bad_frame" && fe.Code != "invalid") || fe.Message == "" {
				t.Fatalf("error %v is not a FrameError with a reason", err)
			}
			return
		}
		if _, ok := fields[fr.Type]; !ok {
			t.Fatalf("decoded an unknown type %q", fr.Type)
		}
		if utf8.RuneCountInString(fr.Body) > MaxBody || len(fr.Attachments) > MaxAttachments {
			t.Fatalf("decoded a frame over its limits: %+v", fr)
		}
		if fr.Type == FrameMessage && fr.Body == "" && len(fr.Attachments) == 0 {
			t.Fatalf("decoded an empty message")
		}
		again, err := json.Marshal(wireOf(fr))
		if err != nil {
			t.Fatal(err)
		}
		fr2, err := DecodeFrame(again)
		if err != nil {
			t.Fatalf("re-encoded frame %s refused: %v", again, err)
		}
		if !reflect.DeepEqual(fr, fr2) {
			t.Fatalf("round trip changed the frame:\n%+v\n%+v", fr, fr2)
		}
	})
}

// wireOf is a decoded frame as the widget would send it.
func wireOf(fr Frame) any {
	if fr.Type != FramePage {
		return fr
	}
	return map[string]string{"type": fr.Type, "url": fr.Page.URL, "title": fr.Page.Title, "referrer": fr.Page.Referrer}
}

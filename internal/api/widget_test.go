package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/atende/atende/internal/api"
	"github.com/atende/atende/internal/attachment"
	"github.com/atende/atende/internal/auth"
	"github.com/atende/atende/internal/canned"
	"github.com/atende/atende/internal/channel"
	"github.com/atende/atende/internal/channel/webchat"
	"github.com/atende/atende/internal/clock"
	"github.com/atende/atende/internal/contact"
	"github.com/atende/atende/internal/department"
	"github.com/atende/atende/internal/events"
	"github.com/atende/atende/internal/messaging"
	"github.com/atende/atende/internal/realtime"
	"github.com/atende/atende/internal/routing"
	"github.com/atende/atende/internal/store"
	"github.com/atende/atende/internal/store/storetest"
)

// shop is the site the widget runs on in these tests.
const shop = "https://shop.example"

// newSiteDesk is a desk with everything the website chat needs behind it:
// events through NATS to the hub, the visitor gateway and the outbox relay
// with the webchat adapter.
func newSiteDesk(t *testing.T, db *store.DB, limits webchat.Limits) *desk {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.DiscardHandler)
	bus, err := realtime.Connect("", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	opts := routing.DefaultOptions
	opts.Events = events.NewSequencer(db, bus.PublishEvents, log)
	// The relay below ticks once an hour: agents' replies reach visitors
	// only because committing them wakes it.
	wake := clock.NewSignal()
	opts.Outbox = wake
	engine := routing.New(db, clk, opts)
	hub, err := realtime.NewHub(db, bus, engine, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	a := auth.New(db, clk, auth.DefaultLimits, log)
	recv := channel.NewReceiver(db, clk, engine)
	dir := t.TempDir()
	files := attachment.New(db, clk, attachment.Dir(dir), deskMaxFile, log)
	gw := webchat.NewGateway(db, clk, engine, recv, hub, files, limits, log)
	gw.HelloTimeout = time.Second
	srv := httptest.NewServer(api.New(api.Deps{
		Auth: a, Departments: department.New(db, clk), Engine: engine, Contacts: contact.New(db, clk),
		Messaging: messaging.New(db, clk, engine), Canned: canned.New(db, clk), Hub: hub,
		Webchat: webchat.NewService(db, clk), Visitors: webchat.NewVisitors(db, clk, engine), Widget: gw, Attachments: files,
		Ready: map[string]api.Pinger{"database": db}, Registry: api.NewRegistry(), Log: log,
	}))
	t.Cleanup(srv.Close)
	ctx, stop := context.WithCancel(context.Background())
	relay := channel.NewRelay(db, clk, engine, map[string]channel.Adapter{webchat.Kind: webchat.Adapter{}}, channel.DefaultRelayOptions)
	done := make(chan struct{})
	go func() { relay.Run(ctx, time.Hour, wake); done <- struct{}{} }()
	go func() { gw.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { stop(); <-done; <-done })
	return &desk{env: &env{t: t, srv: srv, auth: a, clock: clk}, db: db, engine: engine, recv: recv, gateway: gw, files: files, dir: dir, creds: map[*client][2]string{}}
}

// webchatChannel creates a website chat for shop through the API.
func (d *desk) webchatChannel(admin *client, settings map[string]any) webchat.Channel {
	d.t.Helper()
	body := map[string]any{"name": "Loja", "allowed_origins": []string{shop}}
	for k, v := range settings {
		body[k] = v
	}
	var ch webchat.Channel
	admin.do("POST", "/api/v1/webchat/channels", body).want(http.StatusCreated).decode(&ch)
	return ch
}

// visitorConn is one widget's socket.
type visitorConn struct {
	t    *testing.T
	conn *websocket.Conn
	seq  atomic.Int64
}

// dialWidget opens a widget socket from origin.
func (d *desk) dialWidget(key, origin string) (*visitorConn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	h.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
	conn, res, err := websocket.Dial(ctx, strings.Replace(d.srv.URL, "http", "ws", 1)+"/widget/v1/ws?channel="+key, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, res, err
	}
	conn.SetReadLimit(1 << 20)
	d.t.Cleanup(func() { conn.CloseNow() })
	return &visitorConn{t: d.t, conn: conn}, res, nil
}

// visit connects a widget and says hello; it returns the welcome.
func (d *desk) visit(key, token string, extra map[string]any) (*visitorConn, map[string]any) {
	d.t.Helper()
	v, res, err := d.dialWidget(key, shop)
	if err != nil {
		d.t.Fatalf("dial widget socket: %v (%v)", err, res)
	}
	hello := map[string]any{"type": "hello", "language": "pt-BR", "time_zone": "America/Sao_Paulo",
		"page": map[string]any{"url": shop + "/produtos", "title": "Produtos", "referrer": "https://busca.example/"}}
	if token != "" {
		hello["token"] = token
	}
	for k, val := range extra {
		hello[k] = val
	}
	v.send(hello)
	return v, v.next("welcome")
}

func (v *visitorConn) send(frame any) {
	v.t.Helper()
	data, _ := json.Marshal(frame)
	v.sendRaw(data)
}

func (v *visitorConn) sendRaw(data []byte) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.conn.Write(ctx, websocket.MessageText, data); err != nil {
		v.t.Fatalf("send %s: %v", data, err)
	}
}

// read returns the next frame, or the error that ended the socket.
func (v *visitorConn) read(timeout time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, data, err := v.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		v.t.Fatalf("frame is not JSON: %s", data)
	}
	if s, ok := f["seq"].(float64); ok && int64(s) > v.seq.Load() {
		v.seq.Store(int64(s))
	}
	return f, nil
}

// next reads until a frame of type want (or matching the predicates).
func (v *visitorConn) next(want string, match ...func(map[string]any) bool) map[string]any {
	v.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := v.read(time.Until(deadline))
		if err != nil {
			v.t.Fatalf("waiting for %q: %v", want, err)
		}
		if f["type"] != want {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && m(f)
		}
		if ok {
			return f
		}
	}
}

// closed reads until the socket closes and returns its status.
func (v *visitorConn) closed() (websocket.StatusCode, string) {
	v.t.Helper()
	for {
		_, err := v.read(5 * time.Second)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Reason
			}
			v.t.Fatalf("socket ended without a close frame: %v", err)
		}
	}
}

// silent checks that no frame of the given types comes for a while.
func (v *visitorConn) silent(d time.Duration, types ...string) {
	v.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f, err := v.read(time.Until(deadline))
		if err != nil {
			return
		}
		for _, ty := range types {
			if f["type"] == ty {
				v.t.Fatalf("unexpected %s frame: %v", ty, f)
			}
		}
	}
}

func field(f map[string]any, path ...string) any {
	var cur any = f
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func TestAdministratorsSetUpWebchatChannelsWithASnippet(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		_, otto := d.staff("other", "Otto", "admin")
		vendas := d.department(ana, "Vendas", offerRouting, caioID)
		suporte := d.department(ana, "Suporte", offerRouting)

		var ch struct {
			webchat.Channel
			Snippet string
		}
		ana.do("POST", "/api/v1/webchat/channels", map[string]any{
			"name": "Loja", "department_id": vendas, "allowed_origins": []string{"HTTPS://Shop.Example:443/", "http://localhost:3000"},
			"departments": []int64{vendas, suporte}, "prechat": map[string]string{"name": "required", "email": "optional", "phone": "off", "department": "required"},
			"greeting": map[string]string{"pt-BR": "Oi!", "en": "Hi!"},
		}).want(http.StatusCreated).decode(&ch)
		if !strings.HasPrefix(ch.PublicKey, "wc_") || ch.IdentitySecret == "" {
			t.Fatalf("channel: %+v", ch)
		}
		if want := `<script src="` + d.srv.URL + `/widget.js" data-channel="` + ch.PublicKey + `" async></script>`; ch.Snippet != want {
			t.Fatalf("snippet %s, want %s", ch.Snippet, want)
		}
		if strings.Join(ch.AllowedOrigins, " ") != "https://shop.example http://localhost:3000" || ch.Greeting.En != "Hi!" || ch.Color != "#1f6feb" {
			t.Fatalf("settings: %+v", ch.Settings)
		}
		path := "/api/v1/webchat/channels/" + itoa(ch.ID)

		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"allowed_origins": []string{"https://shop.example/path"}}, "allowed_origins"},
			{map[string]any{"allowed_origins": []string{"javascript:alert(1)"}}, "allowed_origins"},
			{map[string]any{"color": "red"}, "color"},
			{map[string]any{"prechat": map[string]string{"name": "always", "email": "off", "phone": "off", "department": "off"}}, "prechat.name"},
			{map[string]any{"departments": []int64{}}, "prechat.department"},
			{map[string]any{"department_id": 999999}, "department_id"},
		} {
			res := ana.do("PATCH", path, c.body).wantError(http.StatusUnprocessableEntity, "invalid")
			if !strings.Contains(string(res.body), `"field":"`+c.field+`"`) {
				t.Errorf("PATCH %v: %s, want field %s", c.body, res.body, c.field)
			}
		}
		ana.do("PATCH", path, map[string]any{"color": "#FF0000", "identity_verification": true}).want(http.StatusOK)
		var rotated webchat.Channel
		ana.do("POST", path+"/identity-secret", nil).want(http.StatusOK).decode(&rotated)
		if rotated.IdentitySecret == ch.IdentitySecret || rotated.Color != "#ff0000" || !rotated.IdentityVerification {
			t.Fatalf("after patch and rotation: %+v", rotated)
		}

		caio.do("GET", "/api/v1/webchat/channels", nil).wantError(http.StatusForbidden, "forbidden")
		caio.do("GET", path, nil).wantError(http.StatusForbidden, "forbidden")
		otto.do("GET", path, nil).wantError(http.StatusNotFound, "not_found")
		otto.do("DELETE", path, nil).wantError(http.StatusNotFound, "not_found")
		var list struct{ Channels []webchat.Channel }
		otto.do("GET", "/api/v1/webchat/channels", nil).want(http.StatusOK).decode(&list)
		if len(list.Channels) != 0 {
			t.Fatalf("another account lists %+v", list)
		}

		ana.do("DELETE", path, nil).want(http.StatusNoContent)
		ana.do("GET", path, nil).wantError(http.StatusNotFound, "not_found")
	})
}

func TestWidgetScriptIsServedToAnySite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newDesk(t, db)
		res, err := http.Get(d.srv.URL + "/widget.js")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET /widget.js: %d %v", res.StatusCode, res.Header)
		}
	})
}

func TestVisitorSocketRefusesForeignOriginsUnknownChannelsAndBadTokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		vendas := d.department(ana, "Vendas", offerRouting)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})
		other := d.webchatChannel(ana, map[string]any{"department_id": vendas, "name": "Outra"})

		for _, c := range []struct {
			key, origin string
			status      int
			code        string
		}{
			{ch.PublicKey, "https://evil.example", http.StatusForbidden, "origin_not_allowed"},
			{ch.PublicKey, "http://shop.example", http.StatusForbidden, "origin_not_allowed"}, // another scheme is another site
			{ch.PublicKey, "", http.StatusForbidden, "origin_not_allowed"},
			{"wc_nope", shop, http.StatusNotFound, "unknown_channel"},
		} {
			_, res, err := d.dialWidget(c.key, c.origin)
			if err == nil || res == nil || res.StatusCode != c.status {
				t.Fatalf("key %s from %q: %v %v, want %d", c.key, c.origin, err, res, c.status)
			}
		}
		// A refused connection says why (Go clients and logs can read it).
		req, _ := http.NewRequest("GET", d.srv.URL+"/widget/v1/ws?channel="+ch.PublicKey, nil)
		req.Header.Set("Origin", "https://evil.example")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if body.Error.Code != "origin_not_allowed" || !strings.Contains(body.Error.Message, "evil.example") {
			t.Fatalf("refusal: %+v", body)
		}

		// Tokens: another channel's, altered, or garbage are refused.
		otherToken := d.tokenFor(other.PublicKey)
		good := d.tokenFor(ch.PublicKey)
		for name, tok := range map[string]string{
			"another channel's": otherToken,
			"altered":           good[:len(good)-2] + "xx",
			"garbage":           "wv1.bm9wZQ.bm9wZQ",
		} {
			v, _, err := d.dialWidget(ch.PublicKey, shop)
			if err != nil {
				t.Fatal(err)
			}
			v.send(map[string]any{"type": "hello", "token": tok, "page": map[string]any{"url": shop}})
			e := v.next("error")
			if e["code"] != "bad_token" {
				t.Fatalf("%s token: %v", name, e)
			}
			if code, _ := v.closed(); code != webchat.CloseBadToken {
				t.Fatalf("%s token closed with %d", name, code)
			}
		}

		// Nothing but a hello first; and a hello in time.
		v, _, _ := d.dialWidget(ch.PublicKey, shop)
		v.send(map[string]any{"type": "message", "client_id": "m1", "body": "oi"})
		if e := v.next("error"); e["code"] != "hello_required" {
			t.Fatalf("message before hello: %v", e)
		}
		if code, _ := v.closed(); code != webchat.CloseNoHello {
			t.Fatalf("closed with %d", code)
		}
		v, _, _ = d.dialWidget(ch.PublicKey, shop)
		if code, _ := v.closed(); code != webchat.CloseNoHello {
			t.Fatalf("silent socket closed with %d", code)
		}
	})
}

// tokenFor is a fresh visitor's token on a channel.
func (d *desk) tokenFor(key string) string {
	d.t.Helper()
	v, w := d.visit(key, "", nil)
	v.conn.Close(websocket.StatusNormalClosure, "")
	return w["token"].(string)
}

func TestVisitorWritesAnAgentAnswersAndTheVisitorSeesOnlyTheirConversation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio Souza", "agent")
		vendas := d.department(ana, "Vendas", offerRouting, caioID)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas,
			"prechat": map[string]string{"name": "required", "email": "optional", "phone": "off", "department": "off"}})

		v, welcome := d.visit(ch.PublicKey, "", nil)
		if welcome["online"] != false || field(welcome, "config", "greeting") != "Olá! Como podemos ajudar?" || field(welcome, "config", "prechat", "name") != "required" {
			t.Fatalf("welcome: %v", welcome)
		}
		token := welcome["token"].(string)
		snap := v.next("snapshot")
		if snap["conversation"] != nil || len(snap["messages"].([]any)) != 0 {
			t.Fatalf("a new visitor's snapshot: %v", snap)
		}
		v.next("synced")

		// The pre-chat form's required name.
		v.send(map[string]any{"type": "message", "client_id": "m1", "body": "Oi"})
		if e := v.next("error"); e["code"] != "invalid" || e["field"] != "prechat.name" {
			t.Fatalf("without the required name: %v", e)
		}
		v.send(map[string]any{"type": "message", "client_id": "m1", "body": "Quero um <b>orçamento</b>",
			"prechat": map[string]any{"name": "Zé Visitante", "email": "ze@cliente.example"}})
		// The new conversation comes whole, then the ack.
		conv := v.next("snapshot")
		if field(conv, "conversation", "status") != "queued" || field(conv, "conversation", "queue_position") != float64(1) ||
			len(conv["messages"].([]any)) != 1 {
			t.Fatalf("the new conversation: %v", conv)
		}
		ack := v.next("ack")
		if ack["client_id"] != "m1" || field(ack, "message", "body") != "Quero um <b>orçamento</b>" || field(ack, "message", "from") != "visitor" {
			t.Fatalf("ack: %v", ack)
		}
		// A retry of the same message changes nothing.
		v.send(map[string]any{"type": "message", "client_id": "m1", "body": "Quero um <b>orçamento</b>"})
		if again := v.next("ack"); field(again, "message", "id") != field(ack, "message", "id") {
			t.Fatalf("retry stored again: %v vs %v", again, ack)
		}

		// Caio becomes ready, is offered it, accepts, notes and answers.
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		convID := d.waitOffer(caio)
		var cv conversationView
		caio.do("GET", "/api/v1/conversations/"+itoa(convID), nil).want(http.StatusOK).decode(&cv)
		if cv.Channel == nil || cv.Channel.Kind != "webchat" || cv.Contact.Name != "Zé Visitante" {
			t.Fatalf("conversation the agent sees: %+v", cv)
		}
		caio.do("POST", "/api/v1/conversations/"+itoa(convID)+"/accept", nil).want(http.StatusNoContent)
		assigned := v.next("conversation", func(f map[string]any) bool { return field(f, "conversation", "status") == "active" })
		if field(assigned, "conversation", "agent", "name") != "Caio Souza" || field(assigned, "conversation", "queue_position") != nil {
			t.Fatalf("assigned: %v", assigned)
		}
		caio.do("POST", "/api/v1/conversations/"+itoa(convID)+"/notes", map[string]string{"body": "nota-interna-secreta"}).want(http.StatusCreated)
		var reply messageView
		caio.do("POST", "/api/v1/conversations/"+itoa(convID)+"/messages", map[string]string{"body": "Claro! Qual produto?"}).want(http.StatusCreated).decode(&reply)
		// Answering, Caio read the visitor's message.
		v.next("conversation", func(f map[string]any) bool { n, _ := field(f, "conversation", "read_up_to").(float64); return n >= 1 })
		got := v.next("message", func(f map[string]any) bool { return field(f, "message", "from") == "agent" })
		if field(got, "message", "body") != "Claro! Qual produto?" || field(got, "message", "author", "name") != "Caio Souza" {
			t.Fatalf("agent's message: %v", got)
		}
		raw, _ := json.Marshal(got)
		for _, leak := range []string{"nota-interna", "sender_id", "caio.", "@acme"} {
			if strings.Contains(string(raw), leak) {
				t.Fatalf("the visitor was sent %q: %s", leak, raw)
			}
		}
		d.waitStatus(caio, convID, reply.ID, "delivered")
		v.send(map[string]any{"type": "read", "message_id": reply.ID})
		d.waitStatus(caio, convID, reply.ID, "read")

		// The agent types; the visitor sees the display name only.
		if typing := d.agentTypes(caio, convID, v); typing["name"] != "Caio Souza" {
			t.Fatalf("typing: %v", typing)
		}

		// Reconnect with the last sequence: what was missed, nothing twice.
		last := v.seq.Load()
		v.conn.Close(websocket.StatusNormalClosure, "")
		caio.do("POST", "/api/v1/conversations/"+itoa(convID)+"/messages", map[string]string{"body": "Ainda está aí?"}).want(http.StatusCreated)
		time.Sleep(100 * time.Millisecond) // the relay marks it sent
		views := d.count("SELECT COUNT(*) FROM webchat_page_views")
		v2, _ := d.visit(ch.PublicKey, token, map[string]any{"after": last})
		seen := map[any]int{}
		for {
			f, err := v2.read(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if f["type"] == "snapshot" {
				t.Fatalf("a recent reconnection got a snapshot instead of a replay")
			}
			if f["type"] == "message" {
				seen[field(f, "message", "body")]++
			}
			if f["type"] == "synced" {
				break
			}
		}
		if seen["Ainda está aí?"] > 1 || seen["Claro! Qual produto?"] > 0 {
			t.Fatalf("replay: %v", seen)
		}
		if seen["Ainda está aí?"] == 0 {
			v2.next("message", func(f map[string]any) bool { return field(f, "message", "body") == "Ainda está aí?" })
		}
		if n := d.count("SELECT COUNT(*) FROM webchat_page_views"); n != views {
			t.Fatalf("a reconnection counted as %d more page views", n-views)
		}

		// A new page of the same browser: the snapshot holds the
		// conversation, without notes; the same contact.
		v3, _ := d.visit(ch.PublicKey, token, nil)
		snap = v3.next("snapshot")
		var bodies []string
		for _, m := range snap["messages"].([]any) {
			bodies = append(bodies, m.(map[string]any)["body"].(string))
		}
		if strings.Join(bodies, "|") != "Quero um <b>orçamento</b>|Claro! Qual produto?|Ainda está aí?" ||
			field(snap, "conversation", "agent", "name") != "Caio Souza" {
			t.Fatalf("snapshot: %v", snap)
		}
		v3.send(map[string]any{"type": "message", "client_id": "m2", "body": "Sim!"})
		if a := v3.next("ack"); field(a, "message", "body") != "Sim!" {
			t.Fatalf("ack: %v", a)
		}
		if n := d.count("SELECT COUNT(*) FROM conversations WHERE contact_id = $1", cv.Contact.ID); n != 1 {
			t.Fatalf("the same browser has %d conversations", n)
		}

		// Another visitor sees none of it, and cannot read it by id.
		w, _ := d.visit(ch.PublicKey, "", nil)
		if s := w.next("snapshot"); s["conversation"] != nil {
			t.Fatalf("another visitor's snapshot: %v", s)
		}
		w.send(map[string]any{"type": "read", "message_id": reply.ID})
		if e := w.next("error"); e["code"] != "invalid" {
			t.Fatalf("reading another's message: %v", e)
		}
		w.send(map[string]any{"type": "message", "client_id": "m1", "body": "Sou outro", "prechat": map[string]any{"name": "Outro"}})
		w.next("ack")
		w.silent(300*time.Millisecond, "message")
		v3.silent(300*time.Millisecond, "message")
		d.invariants(d.accountOf(caioID))
	})
}

// waitOffer waits for an offer to the agent and returns its conversation.
func (d *desk) waitOffer(agent *client) int64 {
	d.t.Helper()
	for i := 0; i < 100; i++ {
		var list struct{ Conversations []conversationView }
		agent.do("GET", "/api/v1/conversations?tab=offered", nil).want(http.StatusOK).decode(&list)
		if len(list.Conversations) > 0 {
			return list.Conversations[0].ID
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatal("no offer came")
	return 0
}

// waitStatus waits for a message's delivery status as the agent sees it.
func (d *desk) waitStatus(agent *client, convID, msgID int64, status string) {
	d.t.Helper()
	var last string
	for i := 0; i < 100; i++ {
		var page struct{ Messages []messageView }
		agent.do("GET", "/api/v1/conversations/"+itoa(convID)+"/messages", nil).want(http.StatusOK).decode(&page)
		for _, m := range page.Messages {
			if m.ID == msgID {
				last = m.Status
			}
		}
		if last == status {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("message %d is %q, want %q", msgID, last, status)
}

// agentTypes sends a typing signal from the agent's socket and returns what
// the visitor gets.
func (d *desk) agentTypes(agent *client, convID int64, v *visitorConn) map[string]any {
	d.t.Helper()
	ws, _, err := agent.dialWS("")
	if err != nil {
		d.t.Fatal(err)
	}
	defer ws.CloseNow()
	readFrame(d.t, ws, "synced")
	data, _ := json.Marshal(map[string]any{"type": "typing", "conversation_id": convID})
	ws.Write(context.Background(), websocket.MessageText, data)
	return v.next("typing")
}

func TestVisitorsWaitingInAQueueAreToldTheirPlaceAsItMoves(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio Souza", "agent")
		vendas := d.department(ana, "Vendas", offerRouting, caioID)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas,
			"prechat": map[string]string{"name": "off", "email": "off", "phone": "off", "department": "off"}})
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "not_ready"}).want(http.StatusOK)

		// Three visitors write, one after the other: first, second, third.
		var visitors []*visitorConn
		var convs []int64
		for i := 1; i <= 3; i++ {
			v, _ := d.visit(ch.PublicKey, "", nil)
			v.next("synced")
			v.send(map[string]any{"type": "message", "client_id": "m", "body": fmt.Sprintf("visitante %d", i)})
			snap := v.next("snapshot")
			if p := field(snap, "conversation", "queue_position"); p != float64(i) {
				t.Fatalf("visitor %d is told they are %v in the queue", i, p)
			}
			ack := v.next("ack")
			id := int64(field(ack, "message", "id").(float64))
			convs = append(convs, int64(d.count("SELECT conversation_id FROM messages WHERE id = $1", id)))
			visitors = append(visitors, v)
		}

		// Caio takes the first by hand: the others move up a place.
		caio.do("POST", "/api/v1/conversations/"+itoa(convs[0])+"/pull", nil).want(http.StatusNoContent)
		visitors[0].next("conversation", func(f map[string]any) bool { return field(f, "conversation", "status") == "active" })
		for i, v := range visitors[1:] {
			v.next("conversation", func(f map[string]any) bool { return field(f, "conversation", "queue_position") == float64(i+1) })
		}
		// Nobody is told about a conversation that is not theirs.
		caio.do("POST", "/api/v1/conversations/"+itoa(convs[0])+"/messages", map[string]string{"body": "só para o primeiro"}).want(http.StatusCreated)
		visitors[0].next("message", func(f map[string]any) bool { return field(f, "message", "body") == "só para o primeiro" })
		for _, v := range visitors[1:] {
			v.silent(300*time.Millisecond, "message")
		}
	})
}

func TestVisitorSocketRefusesOversizeFramesAndFloodsWithAReason(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		vendas := d.department(ana, "Vendas", offerRouting)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})

		// A frame over 16 KiB closes the socket as "message too big".
		v, _ := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		v.sendRaw([]byte(`{"type":"message","client_id":"x","body":"` + strings.Repeat("a", webchat.MaxFrame) + `"}`))
		if code, _ := v.closed(); code != websocket.StatusMessageTooBig {
			t.Fatalf("oversize frame closed with %d", code)
		}

		// A flood of messages: the bucket's burst goes through, the rest is
		// refused with rate_limited, when to try again and which message
		// (the widget sends it again then), and not stored.
		v, w := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		burst := webchat.DefaultLimits.Message.Burst
		for i := 0; i < burst+3; i++ {
			v.send(map[string]any{"type": "message", "client_id": fmt.Sprintf("f%d", i), "body": "spam"})
		}
		acks, limited := 0, 0
		for acks+limited < burst+3 {
			f, err := v.read(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case f["type"] == "ack":
				acks++
			case f["type"] == "error" && f["code"] == "rate_limited" && f["retry_after"].(float64) >= 1:
				if id, _ := f["client_id"].(string); !strings.HasPrefix(id, "f") {
					t.Fatalf("refusal without the message's client_id: %v", f)
				}
				limited++
			case f["type"] == "error":
				t.Fatalf("unexpected error: %v", f)
			}
		}
		if acks != burst || limited != 3 {
			t.Fatalf("%d stored, %d refused; want %d and 3", acks, limited, burst)
		}
		key := w["visitor"].(map[string]any)["id"].(string)
		if n := d.count("SELECT COUNT(*) FROM messages WHERE provider_message_id LIKE $1", key+":%"); n != burst {
			t.Fatalf("%d messages stored", n)
		}

		// Malformed frames are refused one by one, with the reason; past
		// the limit of refusals the socket closes.
		v, _ = d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		v.sendRaw([]byte(`{"type":"exec","cmd":"rm"}`))
		if e := v.next("error"); e["code"] != "bad_frame" || !strings.Contains(e["message"].(string), "exec") {
			t.Fatalf("unknown type: %v", e)
		}
		v.sendRaw([]byte(`not json`))
		if e := v.next("error"); e["code"] != "bad_frame" {
			t.Fatalf("not JSON: %v", e)
		}
		v.send(map[string]any{"type": "ping"})
		v.next("pong")
		for i := 0; i < webchat.DefaultLimits.MaxRefusals; i++ {
			v.sendRaw([]byte(`{}`))
		}
		if code, _ := v.closed(); code != webchat.CloseTooManyFaults {
			t.Fatalf("closed with %d", code)
		}

		// Page views flood the same way.
		v, _ = d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		for i := 0; i <= webchat.DefaultLimits.Page.Burst; i++ {
			v.send(map[string]any{"type": "page", "url": fmt.Sprintf("%s/p/%d", shop, i)})
		}
		if e := v.next("error"); e["code"] != "rate_limited" {
			t.Fatalf("page flood: %v", e)
		}

		// So do frames of any kind: past the frame bucket even pings are
		// refused, and the refusals close the socket.
		v, _ = d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		limits := webchat.DefaultLimits
		for i := 0; i < limits.Frame.Burst+limits.MaxRefusals; i++ {
			v.send(map[string]any{"type": "ping"})
		}
		pongs, refused := 0, 0
		var code websocket.StatusCode
		for code == 0 {
			f, err := v.read(5 * time.Second)
			switch {
			case err != nil:
				if code = websocket.CloseStatus(err); code == -1 {
					t.Fatalf("ping flood: socket ended without a close frame: %v", err)
				}
			case f["type"] == "pong":
				pongs++
			case f["type"] == "error" && f["code"] == "rate_limited":
				refused++
			}
		}
		if code != webchat.CloseTooManyFaults || pongs != limits.Frame.Burst || refused != limits.MaxRefusals {
			t.Fatalf("ping flood: %d pongs, %d refused, closed with %d", pongs, refused, code)
		}

		// The server is still fine for everybody else.
		u, _ := d.visit(ch.PublicKey, "", nil)
		u.next("synced")
		u.send(map[string]any{"type": "ping"})
		u.next("pong")
	})
}

func TestAgentsSeeOnlineVisitorsOfTheirDepartmentsAndInviteThem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		biaID, bia := d.staff("acme", "Bia", "agent")
		s := offerRouting
		vendas := d.department(ana, "Vendas", s, caioID)
		d.department(ana, "Suporte", s, biaID)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})

		ws, _, err := caio.dialWS("")
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		readFrame(t, ws, "synced")

		v, _ := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		readFrame(t, ws, "visitor.online")
		v.send(map[string]any{"type": "page", "url": shop + "/carrinho", "title": "Carrinho"})
		readFrame(t, ws, "visitor.page")

		var list struct{ Visitors []webchat.Visitor }
		caio.do("GET", "/api/v1/visitors", nil).want(http.StatusOK).decode(&list)
		if len(list.Visitors) != 1 {
			t.Fatalf("online visitors: %+v", list)
		}
		vis := list.Visitors[0]
		if vis.CurrentPage == nil || vis.CurrentPage.URL != shop+"/carrinho" || len(vis.Pages) != 2 || vis.Pages[1].Title != "Produtos" ||
			vis.Pages[1].Referrer != "https://busca.example/" || vis.Browser != "Safari" || vis.OS != "iOS" || vis.Device != "mobile" ||
			vis.IP != "127.0.0.1" || vis.Language != "pt-BR" || vis.TimeZone != "America/Sao_Paulo" || vis.Visits != 1 || !vis.Online || vis.Chatting {
			t.Fatalf("visitor: %+v", vis)
		}
		// A widget left open keeps its visitor listed: the node renews all
		// its visitors every heartbeat (without it they would lapse after
		// webchat.OnlineFor).
		for range 3 {
			d.clock.Advance(webchat.OnlineFor - time.Second)
			if err := d.gateway.KeepOnline(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		caio.do("GET", "/api/v1/visitors", nil).want(http.StatusOK).decode(&list)
		if len(list.Visitors) != 1 {
			t.Fatalf("a visitor on an open page for %s: %+v", 3*(webchat.OnlineFor-time.Second), list)
		}
		bia.do("GET", "/api/v1/visitors", nil).want(http.StatusOK).decode(&list)
		if len(list.Visitors) != 0 {
			t.Fatalf("an agent of another department sees %+v", list)
		}
		bia.do("GET", "/api/v1/visitors/"+itoa(vis.ID), nil).wantError(http.StatusForbidden, "forbidden")
		bia.do("POST", "/api/v1/visitors/"+itoa(vis.ID)+"/invitations", map[string]string{"message": "oi"}).wantError(http.StatusForbidden, "forbidden")

		// Caio invites; the widget gets it with his name; the visitor answers
		// and the conversation is Caio's at once, with the invitation first.
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		var inv webchat.Invitation
		caio.do("POST", "/api/v1/visitors/"+itoa(vis.ID)+"/invitations", map[string]string{"message": "Posso ajudar com o carrinho?"}).
			want(http.StatusCreated).decode(&inv)
		got := v.next("invitation")
		if field(got, "invitation", "message") != "Posso ajudar com o carrinho?" || field(got, "invitation", "agent", "name") != "Caio" {
			t.Fatalf("invitation: %v", got)
		}
		v.send(map[string]any{"type": "message", "client_id": "a1", "body": "Pode sim", "invitation_id": inv.ID})
		active := v.next("snapshot")
		if field(active, "conversation", "agent", "name") != "Caio" {
			t.Fatalf("answered invitation: %v", active)
		}
		// The visitor types; Caio's socket shows it, as the contact's.
		v.send(map[string]any{"type": "typing"})
		if typing := readFrame(t, ws, "typing"); typing["contact"] != true || typing["conversation_id"] == nil {
			t.Fatalf("the visitor typing: %v", typing)
		}
		caio.do("GET", "/api/v1/visitors/"+itoa(vis.ID), nil).want(http.StatusOK).decode(&vis)
		if !vis.Chatting || vis.ConversationID == nil || vis.Contact == nil {
			t.Fatalf("visitor after answering: %+v", vis)
		}
		// Serving it, Caio sees where the visitor is and came from; Bia does not.
		var behind webchat.Visitor
		caio.do("GET", "/api/v1/conversations/"+itoa(*vis.ConversationID)+"/visitor", nil).want(http.StatusOK).decode(&behind)
		if behind.ID != vis.ID || behind.CurrentPage == nil || behind.CurrentPage.URL != shop+"/carrinho" || behind.Browser != "Safari" {
			t.Fatalf("the conversation's visitor: %+v", behind)
		}
		bia.do("GET", "/api/v1/conversations/"+itoa(*vis.ConversationID)+"/visitor", nil).wantError(http.StatusForbidden, "forbidden")
		var msgs struct{ Messages []messageView }
		caio.do("GET", "/api/v1/conversations/"+itoa(*vis.ConversationID)+"/messages", nil).want(http.StatusOK).decode(&msgs)
		if len(msgs.Messages) != 2 || msgs.Messages[1].Body != "Posso ajudar com o carrinho?" || msgs.Messages[1].Direction != "out" {
			t.Fatalf("messages: %+v", msgs.Messages)
		}
		if n := d.count("SELECT COUNT(*) FROM conversation_events WHERE conversation_id = $1 AND kind = 'offered'", *vis.ConversationID); n != 0 {
			t.Fatalf("the answered invitation went through %d offers", n)
		}
		// Answered once.
		v.send(map[string]any{"type": "dismiss", "invitation_id": inv.ID})
		if e := v.next("error"); e["code"] != "not_allowed" {
			t.Fatalf("dismissing an answered invitation: %v", e)
		}

		// Leaving takes the visitor off the list.
		v.conn.Close(websocket.StatusNormalClosure, "")
		readFrame(t, ws, "visitor.offline")
		caio.do("GET", "/api/v1/visitors", nil).want(http.StatusOK).decode(&list)
		if len(list.Visitors) != 0 {
			t.Fatalf("after leaving: %+v", list)
		}
		caio.do("POST", "/api/v1/visitors/"+itoa(vis.ID)+"/invitations", map[string]string{"message": "oi"}).wantError(http.StatusConflict, "visitor_offline")
		d.invariants(d.accountOf(caioID))
	})
}

func TestPrechatEmailAndSignedIdentityMakeTheSameContact(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		vendas := d.department(ana, "Vendas", offerRouting)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})
		var known struct{ ID int64 }
		ana.do("POST", "/api/v1/contacts", map[string]any{"name": "Maria Cliente", "emails": []string{"maria@cliente.example"}}).
			want(http.StatusCreated).decode(&known)

		// A pre-chat e-mail that one contact has: that contact.
		v, _ := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		v.send(map[string]any{"type": "message", "client_id": "m1", "body": "Oi", "prechat": map[string]any{"email": "Maria@Cliente.example"}})
		v.next("ack")
		if n := d.count("SELECT COUNT(*) FROM conversations WHERE contact_id = $1", known.ID); n != 1 {
			t.Fatalf("the known contact has %d conversations", n)
		}

		// With verification required, only a signed e-mail identifies.
		ana.do("PATCH", "/api/v1/webchat/channels/"+itoa(ch.ID), map[string]any{"identity_verification": true}).want(http.StatusOK)
		var cur webchat.Channel
		ana.do("GET", "/api/v1/webchat/channels/"+itoa(ch.ID), nil).want(http.StatusOK).decode(&cur)
		u, _ := d.visit(ch.PublicKey, "", nil)
		u.next("synced")
		u.send(map[string]any{"type": "message", "client_id": "m1", "body": "Oi", "prechat": map[string]any{"email": "maria@cliente.example"}})
		u.next("ack")
		if n := d.count("SELECT COUNT(*) FROM conversations WHERE contact_id = $1", known.ID); n != 1 {
			t.Fatalf("an unsigned e-mail identified: %d conversations", n)
		}
		w, _ := d.visit(ch.PublicKey, "", map[string]any{"identity": map[string]any{"email": "maria@cliente.example", "signature": "00ff"}})
		if e := w.next("error"); e["code"] != "bad_signature" {
			t.Fatalf("a wrong signature: %v", e)
		}
		x, xw := d.visit(ch.PublicKey, "", map[string]any{"identity": map[string]any{"email": "maria@cliente.example",
			"signature": webchat.SignIdentity(cur.IdentitySecret, "maria@cliente.example")}})
		x.next("synced")
		x.send(map[string]any{"type": "message", "client_id": "m1", "body": "Sou eu"})
		x.next("ack")
		// Maria's first conversation is open, so the signed visitor joins it
		// and sees only from their own message on.
		if n := d.count("SELECT COUNT(*) FROM conversations WHERE contact_id = $1", known.ID); n != 1 {
			t.Fatalf("the known contact has %d conversations", n)
		}
		if n := d.count("SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.contact_id = $1 AND m.direction = 'in'", known.ID); n != 2 {
			t.Fatalf("the known contact's conversation has %d messages", n)
		}
		// Their next page shows only what they took part in.
		x.conn.Close(websocket.StatusNormalClosure, "")
		x2, _ := d.visit(ch.PublicKey, xw["token"].(string), nil)
		snap := x2.next("snapshot")
		msgs := snap["messages"].([]any)
		if len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "Sou eu" {
			t.Fatalf("the signed visitor's snapshot: %v", snap)
		}
	})
}

// widgetUpload sends a file as the widget does: from the site's origin,
// with the visitor's token.
func (d *desk) widgetUpload(key, origin, token, name string, content []byte) *response {
	d.t.Helper()
	c := d.client()
	h := http.Header{"Origin": {origin}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", name)
	part.Write(content)
	mw.Close()
	return c.raw("POST", "/widget/v1/uploads?channel="+key, mw.FormDataContentType(), body.Bytes(), h)
}

func TestVisitorsUploadFilesToTheirConversationOnly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		d := newSiteDesk(t, db, webchat.DefaultLimits)
		_, ana := d.staff("acme", "Ana", "admin")
		caioID, caio := d.staff("acme", "Caio", "agent")
		vendas := d.department(ana, "Vendas", offerRouting, caioID)
		ch := d.webchatChannel(ana, map[string]any{"department_id": vendas})

		v, w := d.visit(ch.PublicKey, "", nil)
		v.next("synced")
		token := w["token"].(string)
		if field(w, "config", "uploads") != true {
			t.Fatalf("config: %v", w["config"])
		}

		// The browser asks first; only the channel's sites are answered.
		pre := d.client().raw("OPTIONS", "/widget/v1/uploads?channel="+ch.PublicKey, "", nil, http.Header{"Origin": {shop}, "Access-Control-Request-Method": {"POST"}})
		if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != shop || pre.header.Get("Access-Control-Allow-Headers") != "Authorization" {
			t.Fatalf("preflight: %d %v", pre.status, pre.header)
		}
		d.client().raw("OPTIONS", "/widget/v1/uploads?channel="+ch.PublicKey, "", nil, http.Header{"Origin": {"https://evil.example"}}).want(http.StatusForbidden)

		d.widgetUpload(ch.PublicKey, "https://evil.example", token, "foto.png", pngBytes).wantError(http.StatusForbidden, "origin_not_allowed")
		d.widgetUpload(ch.PublicKey, shop, "", "foto.png", pngBytes).wantError(http.StatusUnauthorized, "bad_token")
		d.widgetUpload(ch.PublicKey, shop, token+"x", "foto.png", pngBytes).wantError(http.StatusUnauthorized, "bad_token")
		d.widgetUpload(ch.PublicKey, shop, token, "grande.bin", bytes.Repeat([]byte{1}, deskMaxFile+1)).wantError(http.StatusRequestEntityTooLarge, "file_too_large")
		res := d.widgetUpload(ch.PublicKey, shop, token, "foto.png", pngBytes).want(http.StatusCreated)
		if res.header.Get("Access-Control-Allow-Origin") != shop {
			t.Fatalf("the widget could not read the answer: %v", res.header)
		}
		var up struct {
			ID, Name    string
			ContentType string `json:"content_type"`
		}
		res.decode(&up)
		if up.ContentType != "image/png" {
			t.Fatalf("upload: %+v", up)
		}

		// Another visitor cannot send it, nor fetch it.
		u, uw := d.visit(ch.PublicKey, "", nil)
		u.next("synced")
		u.send(map[string]any{"type": "message", "client_id": "x", "attachments": []string{up.ID}})
		if e := u.next("error"); e["code"] != "invalid" {
			t.Fatalf("sending another's upload: %v", e)
		}
		d.client().do("GET", "/widget/v1/files/"+up.ID+"?channel="+ch.PublicKey+"&token="+uw["token"].(string), nil).wantError(http.StatusNotFound, "not_found")

		// Its visitor sends it; the agent gets the image, and so does the widget.
		v.send(map[string]any{"type": "message", "client_id": "f1", "attachments": []string{up.ID}})
		ack := v.next("ack")
		if field(ack, "message", "kind") != "image" || len(field(ack, "message", "attachments").([]any)) != 1 {
			t.Fatalf("ack: %v", ack)
		}
		caio.do("POST", "/api/v1/presence", map[string]string{"presence": "ready"}).want(http.StatusOK)
		conv := d.waitOffer(caio)
		caio.do("POST", "/api/v1/conversations/"+itoa(conv)+"/accept", nil).want(http.StatusNoContent)
		got := caio.do("GET", "/api/v1/attachments/"+up.ID, nil).want(http.StatusOK)
		if !bytes.Equal(got.body, pngBytes) {
			t.Fatalf("the agent got %d bytes", len(got.body))
		}
		file := d.client().do("GET", "/widget/v1/files/"+up.ID+"?channel="+ch.PublicKey+"&token="+token, nil).want(http.StatusOK)
		if !bytes.Equal(file.body, pngBytes) || file.header.Get("X-Content-Type-Options") != "nosniff" ||
			file.header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || !strings.Contains(file.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("the widget's file: %v", file.header)
		}
		d.client().do("GET", "/widget/v1/files/"+up.ID+"?channel="+ch.PublicKey+"&token="+uw["token"].(string), nil).wantError(http.StatusNotFound, "not_found")

		// An agent's file reaches the widget as an attachment it may fetch.
		var mine struct{ ID string }
		caio.upload("/api/v1/conversations/"+itoa(conv)+"/attachments", "file", "tabela.pdf", []byte("%PDF-1.4 tabela de preços")).want(http.StatusCreated).decode(&mine)
		caio.do("POST", "/api/v1/conversations/"+itoa(conv)+"/messages", map[string]any{"body": "Segue a tabela", "attachment_ids": []string{mine.ID}}).want(http.StatusCreated)
		m := v.next("message", func(f map[string]any) bool { return field(f, "message", "from") == "agent" })
		atts := field(m, "message", "attachments").([]any)
		if len(atts) != 1 || atts[0].(map[string]any)["name"] != "tabela.pdf" {
			t.Fatalf("agent's file: %v", m)
		}
		pdf := d.client().do("GET", "/widget/v1/files/"+mine.ID+"?channel="+ch.PublicKey+"&token="+token, nil).want(http.StatusOK)
		if !strings.HasPrefix(pdf.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("a PDF must download: %v", pdf.header)
		}
	})
}

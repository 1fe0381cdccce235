// Atende's website chat widget. One script tag on a company's site:
//   <script src="https://HOST/widget.js" data-channel="KEY" async></script>
// It draws a launcher and a chat window inside a Shadow DOM (the site's styles
// cannot reach it), keeps the visitor's token in the site's localStorage and
// talks to Atende over one WebSocket (docs/widget-protocol.md). Everything the
// visitor or an agent writes is shown as text, never as HTML.

import { css } from "./style";
import { strings, Strings } from "./i18n";

type Mode = "off" | "optional" | "required";
interface Config {
  name: string;
  color: string;
  text_color: string;
  greeting: string;
  offline_message: string;
  prechat: { name: Mode; email: Mode; phone: Mode; department: Mode };
  departments: { id: number; name: string }[];
  language: string;
  uploads: boolean;
}
interface Attachment {
  id: string;
  name: string;
  content_type: string;
  size: number;
}
interface Message {
  id: number;
  seq: number;
  from: "visitor" | "agent";
  body: string;
  status: string;
  at: string;
  author?: { name: string };
  attachments: Attachment[];
  client_id?: string;
}
interface Conversation {
  protocol: string;
  status: string;
  queue_position?: number;
  agent: { name: string } | null;
  read_up_to: number;
}
interface Invitation {
  id: number;
  message: string;
  agent: { name: string };
}
interface Pending {
  client_id: string;
  body: string;
  attachments: string[];
  el: HTMLElement;
  // The frame as first sent (with the pre-chat form or the invitation).
  frame: Record<string, unknown>;
}

const script = document.currentScript as HTMLScriptElement | null;

function start(el: HTMLScriptElement) {
  const key = el.dataset.channel || "";
  const base = new URL(el.src, location.href);
  const wsURL = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/widget/v1/ws?channel=" + encodeURIComponent(key);
  const storeKey = "atende:" + key;
  const memory: Record<string, string> = {};
  const storage = {
    get(k: string): string | null {
      try {
        return localStorage.getItem(k);
      } catch {
        return memory[k] || null;
      }
    },
    set(k: string, v: string | null) {
      try {
        if (v === null) localStorage.removeItem(k);
        else localStorage.setItem(k, v);
      } catch {
        if (v === null) delete memory[k];
        else memory[k] = v;
      }
    },
  };

  let t: Strings = strings(navigator.language);
  let config: Config | null = null;
  let online = true;
  let ws: WebSocket | null = null;
  let lastSeq = 0;
  let synced = false;
  let retry = 0;
  let isOpen = false;
  let conversation: Conversation | null = null;
  let invitation: Invitation | null = null;
  let unread = 0;
  let lastTyping = 0;
  let typingTimer = 0;
  let blinkTimer = 0;
  let prechatDone = false;
  let prechat: Record<string, string | number> = {};
  const messages = new Map<number, Message>();
  const pending = new Map<string, Pending>();
  const originalTitle = document.title;

  // The DOM, inside a shadow root.
  // A tag of its own, so the site's element rules (div{…}) miss it; inside,
  // a wrapper resets everything inherited from the page.
  const host = document.createElement("atende-chat");
  host.id = "atende-widget";
  const shadow = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = css;
  const root = document.createElement("div");
  root.className = "w";
  shadow.append(style, root);

  // drawing is a one-path SVG icon (emoji glyphs are not on every system).
  function drawing(d: string, size: number, fill: boolean) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size));
    svg.setAttribute("height", String(size));
    svg.setAttribute("aria-hidden", "true");
    path.setAttribute("d", d);
    if (fill) path.setAttribute("fill", "currentColor");
    else {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "1.8");
      path.setAttribute("stroke-linecap", "round");
    }
    svg.append(path);
    return svg;
  }

  const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]) => {
    const e = document.createElement(tag);
    for (const a in attrs) e.setAttribute(a, attrs[a]);
    for (const k of kids) e.append(k);
    return e;
  };

  const launcher = h("button", { class: "launcher", type: "button", "aria-haspopup": "dialog", "aria-expanded": "false" });
  const badge = h("span", { class: "badge", hidden: "" });
  const icon = h("span", { class: "icon", "aria-hidden": "true" });
  // A speech bubble, drawn (not an emoji, which not every system can show).
  icon.append(drawing("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z", 28, true));
  launcher.append(icon, badge);
  const panel = h("div", { class: "panel", role: "dialog", hidden: "" });
  const title = h("div", { class: "title" });
  const subtitle = h("div", { class: "subtitle", "aria-live": "polite" });
  const close = h("button", { class: "close", type: "button" }, "×");
  const header = h("div", { class: "header" }, h("div", { class: "heading" }, title, subtitle), close);
  const log = h("div", { class: "log", role: "log", "aria-live": "polite" });
  const notice = h("div", { class: "notice", hidden: "" });
  const typing = h("div", { class: "typing", hidden: "" });
  const form = h("form", { class: "form", hidden: "" });
  const composer = h("form", { class: "composer" });
  const input = h("textarea", { rows: "1", maxlength: "4000" }) as HTMLTextAreaElement;
  const emoji = h("button", { type: "button", class: "tool" }, "😊");
  const attach = h("button", { type: "button", class: "tool", hidden: "" },
    drawing("M16.5 6.5v9a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10a1.5 1.5 0 0 1-3 0V6.5", 22, false));
  const picker = h("input", { type: "file", multiple: "", hidden: "" }) as HTMLInputElement;
  const send = h("button", { type: "submit", class: "send" });
  const palette = h("div", { class: "palette", hidden: "" });
  for (const e of ["😀", "😂", "😊", "😍", "🙏", "👍", "👋", "🎉", "😢", "😮", "❤️", "✅"]) {
    const b = h("button", { type: "button" }, e);
    b.addEventListener("click", () => {
      input.value += e;
      palette.hidden = true;
      input.focus();
    });
    palette.append(b);
  }
  composer.append(palette, emoji, attach, picker, input, send);
  panel.append(header, log, typing, notice, form, composer);
  root.append(launcher, panel);

  function label() {
    launcher.setAttribute("aria-label", t.open);
    close.setAttribute("aria-label", t.close);
    input.placeholder = t.placeholder;
    input.setAttribute("aria-label", t.placeholder);
    send.textContent = t.send;
    emoji.setAttribute("aria-label", t.emoji);
    attach.setAttribute("aria-label", t.attach);
    panel.setAttribute("aria-label", config ? config.name : t.chat);
  }
  label();

  function colours() {
    if (!config) return;
    root.style.setProperty("--atende-color", config.color);
    root.style.setProperty("--atende-text", config.text_color);
  }

  function setOpen(open: boolean) {
    isOpen = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    root.classList.toggle("open", open);
    if (open) {
      unread = 0;
      badge.hidden = true;
      stopBlink();
      render();
      (form.hidden ? input : (form.querySelector("input,select,textarea") as HTMLElement) || input).focus();
      markRead();
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", () => setOpen(!isOpen));
  close.addEventListener("click", () => {
    if (invitation && !conversationOpen()) {
      frame({ type: "dismiss", invitation_id: invitation.id });
      invitation = null;
    }
    setOpen(false);
  });
  root.addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Escape" && isOpen) setOpen(false);
  });
  emoji.addEventListener("click", () => {
    palette.hidden = !palette.hidden;
  });

  // The socket.
  function frame(f: object) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(f));
  }

  function page() {
    return { url: location.href.slice(0, 2048), title: document.title.slice(0, 300), referrer: document.referrer.slice(0, 2048) };
  }

  function connect() {
    synced = false;
    const s = new WebSocket(wsURL);
    ws = s;
    s.onopen = () => {
      const hello: Record<string, unknown> = { type: "hello", page: page(), language: navigator.language || "" };
      try {
        hello.time_zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch {}
      const token = storage.get(storeKey);
      if (token) hello.token = token;
      if (lastSeq > 0) hello.after = lastSeq;
      const id = (window as any).AtendeIdentity;
      if (id && id.email && id.signature) hello.identity = { email: String(id.email), name: String(id.name || ""), signature: String(id.signature) };
      s.send(JSON.stringify(hello));
    };
    s.onmessage = (ev) => {
      let f: any;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      receive(f);
    };
    // A ping now and then keeps proxies from closing an idle socket.
    const keepalive = setInterval(() => s.readyState === 1 && s.send('{"type":"ping"}'), 25000);
    s.onclose = (ev) => {
      clearInterval(keepalive);
      ws = null;
      if (ev.code === 4401) storage.set(storeKey, null); // a token that no longer verifies: start afresh
      if (ev.code === 4401) lastSeq = 0;
      const delay = Math.min(30000, 1000 * 2 ** retry) * (0.5 + Math.random() / 2);
      retry++;
      setTimeout(connect, ev.code === 4401 ? 0 : delay);
    };
  }

  function seq(f: any) {
    if (typeof f.seq === "number" && f.seq > lastSeq) lastSeq = f.seq;
  }

  function receive(f: any) {
    switch (f.type) {
      case "welcome":
        retry = 0;
        storage.set(storeKey, f.token);
        config = f.config;
        online = f.online;
        t = strings(config!.language);
        title.textContent = config!.name;
        attach.hidden = !config!.uploads;
        label();
        colours();
        if (!host.isConnected) document.body.appendChild(host);
        break;
      case "snapshot":
        seq(f);
        messages.clear();
        log.textContent = "";
        conversation = f.conversation;
        invitation = null;
        for (const m of f.messages) {
          messages.set(m.id, m);
          settle(m);
        }
        if (f.invitation) invite(f.invitation, false);
        render();
        break;
      case "synced":
        seq(f);
        synced = true;
        for (const p of pending.values()) frame(p.frame);
        render();
        break;
      case "message":
        seq(f);
        addMessage(f.message);
        break;
      case "ack":
        addMessage(f.message);
        break;
      case "status": {
        seq(f);
        const m = messages.get(f.message_id);
        if (m) {
          m.status = f.status;
          render();
        }
        break;
      }
      case "conversation":
        seq(f);
        conversation = f.conversation;
        if (conversation && conversation.status !== "queued") invitation = null;
        render();
        break;
      case "invitation":
        seq(f);
        invite(f.invitation, true);
        break;
      case "typing":
        typing.textContent = t.typing(f.name);
        typing.hidden = false;
        clearTimeout(typingTimer);
        typingTimer = window.setTimeout(() => (typing.hidden = true), 4000);
        break;
      case "error": {
        // A message Atende could not take now (busy, or over the limit) is
        // sent again when it says; its client id keeps it from being
        // stored twice.
        const p = f.client_id ? pending.get(f.client_id) : undefined;
        if (p && (f.code === "unavailable" || f.code === "rate_limited")) {
          setTimeout(() => {
            if (pending.has(p.client_id) && synced) frame(p.frame);
          }, (f.retry_after || 2) * 1000);
        }
        if (f.code === "rate_limited" || f.code === "invalid" || f.code === "not_allowed") showNotice(f.code === "rate_limited" ? t.slowDown : f.message);
        break;
      }
    }
  }

  function invite(inv: Invitation, alert: boolean) {
    if (conversationOpen()) return;
    invitation = inv;
    if (alert) ring();
    setOpen(true);
  }

  function conversationOpen() {
    return !!conversation && conversation.status !== "closed" && conversation.status !== "abandoned";
  }

  // settle drops the "sending" bubble of a message the server has stored.
  function settle(m: Message) {
    const p = m.client_id ? pending.get(m.client_id) : undefined;
    if (p) {
      p.el.remove();
      pending.delete(p.client_id);
    }
  }

  function addMessage(m: Message) {
    const fresh = !messages.has(m.id);
    messages.set(m.id, m);
    settle(m);
    typing.hidden = true;
    if (fresh && m.from === "agent") {
      if (!isOpen || document.hidden) {
        unread++;
        badge.textContent = String(unread);
        badge.hidden = false;
        ring();
      }
      markRead();
    }
    render();
  }

  function markRead() {
    if (!isOpen || document.hidden) return;
    let last = 0;
    for (const m of messages.values()) if (m.from === "agent" && m.status !== "read" && m.id > last) last = m.id;
    if (last) frame({ type: "read", message_id: last });
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      stopBlink();
      markRead();
    }
  });

  // Sound and a blinking title for a message the visitor has not seen.
  function ring() {
    try {
      const AC = (window as any).AudioContext || (window as any).webkitAudioContext;
      const ctx = new AC();
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, ctx.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.4);
      o.connect(g).connect(ctx.destination);
      o.start();
      o.stop(ctx.currentTime + 0.4);
      o.onended = () => ctx.close();
    } catch {}
    if (document.hidden && !blinkTimer) {
      let on = false;
      blinkTimer = window.setInterval(() => {
        on = !on;
        document.title = on ? t.newMessage : originalTitle;
      }, 1000);
    }
  }
  function stopBlink() {
    if (blinkTimer) {
      clearInterval(blinkTimer);
      blinkTimer = 0;
      document.title = originalTitle;
    }
  }

  function showNotice(text: string) {
    notice.textContent = text;
    notice.hidden = false;
    setTimeout(() => (notice.hidden = true), 5000);
  }

  function time(at: string) {
    const d = new Date(at);
    return isNaN(d.getTime()) ? "" : d.toLocaleTimeString(config?.language === "en" ? "en" : "pt-BR", { hour: "2-digit", minute: "2-digit" });
  }

  function fileURL(id: string) {
    return base.origin + "/widget/v1/files/" + encodeURIComponent(id) + "?channel=" + encodeURIComponent(key) + "&token=" + encodeURIComponent(storage.get(storeKey) || "");
  }

  function bubble(from: string, body: string, meta: string, author?: string, files: Attachment[] = []) {
    const b = h("div", { class: "msg " + from });
    if (author) b.append(h("div", { class: "author" }, author));
    if (body) b.append(h("div", { class: "body" }, body));
    for (const f of files) {
      const url = fileURL(f.id);
      const a = h("a", { class: "file", href: url, target: "_blank", rel: "noopener noreferrer" });
      if (/^image\//.test(f.content_type) && f.content_type !== "image/svg+xml") a.append(h("img", { src: url, alt: f.name, loading: "lazy" }));
      else a.append(f.name);
      b.append(a);
    }
    if (meta) b.append(h("div", { class: "meta" }, meta));
    return b;
  }

  function needsForm() {
    // A visitor who has talked before is known: no form again.
    if (conversation || invitation || prechatDone || !config) return false;
    if (!online) return true;
    const p = config.prechat;
    return p.name !== "off" || p.email !== "off" || p.phone !== "off" || (p.department !== "off" && config.departments.length > 0);
  }

  // render draws the conversation from the state: every text goes in as
  // text nodes.
  function render() {
    if (!config) return;
    log.textContent = "";
    if (!conversation && !invitation) log.append(bubble("agent", online ? config.greeting : config.offline_message, ""));
    const sorted = [...messages.values()].sort((a, b) => a.seq - b.seq);
    for (const m of sorted) {
      const read = m.from === "visitor" && !!conversation && m.seq <= conversation.read_up_to;
      const meta = time(m.at) + (m.from === "visitor" ? " · " + (read ? t.read : t.sent) : "");
      log.append(bubble(m.from, m.body, meta, m.from === "agent" ? m.author?.name : undefined, m.attachments || []));
    }
    for (const p of pending.values()) log.append(p.el);
    let sub = "";
    if (conversation) {
      if (conversation.status === "queued" && conversation.queue_position) sub = t.queue(conversation.queue_position);
      else if (conversation.agent && conversationOpen()) sub = t.agent(conversation.agent.name);
      else if (!conversationOpen()) sub = t.ended;
    } else if (!online) sub = t.offline;
    subtitle.textContent = sub;
    if (conversation && !conversationOpen()) log.append(h("div", { class: "system" }, t.ended + (conversation.protocol ? " · " + t.protocol + " " + conversation.protocol : "")));
    if (invitation && !conversationOpen()) log.append(bubble("agent", invitation.message, "", invitation.agent.name));
    const showForm = needsForm();
    form.hidden = !showForm;
    composer.hidden = showForm;
    if (showForm && !form.childElementCount) buildForm();
    log.scrollTop = log.scrollHeight;
  }

  function buildForm() {
    const c = config!;
    form.textContent = "";
    if (online) form.append(h("p", {}, t.prechatIntro)); // offline, the channel's offline message above says it
    const field = (name: string, mode: Mode, type: string, text: string) => {
      if (mode === "off" && !(name === "email" && !online)) return;
      const required = mode === "required" || (name === "email" && !online);
      const i = h("input", { name, type, autocomplete: name === "phone" ? "tel" : name }) as HTMLInputElement;
      if (required) i.required = true;
      form.append(h("label", {}, text + (required ? " *" : ""), i));
    };
    field("name", c.prechat.name, "text", t.name);
    field("email", c.prechat.email, "email", t.email);
    field("phone", c.prechat.phone, "tel", t.phone);
    if (c.prechat.department !== "off" && c.departments.length) {
      const s = h("select", { name: "department_id" }) as HTMLSelectElement;
      if (c.prechat.department === "required") s.required = true;
      s.append(h("option", { value: "" }, "—"));
      for (const d of c.departments) s.append(h("option", { value: String(d.id) }, d.name));
      form.append(h("label", {}, t.department, s));
    }
    const first = h("textarea", { name: "body", required: "", rows: "3", maxlength: "4000" }) as HTMLTextAreaElement;
    form.append(h("label", {}, t.message, first), h("button", { type: "submit", class: "send" }, online ? t.start : t.leaveMessage));
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    prechat = {};
    for (const k of ["name", "email", "phone"]) {
      const v = String(data.get(k) || "").trim();
      if (v) prechat[k] = v;
    }
    const dep = Number(data.get("department_id") || 0);
    if (dep) prechat.department_id = dep;
    const body = String(data.get("body") || "").trim();
    if (!body) return;
    prechatDone = true;
    form.textContent = "";
    write(body);
    render();
    input.focus();
  });

  function clientID() {
    const a = new Uint8Array(9);
    crypto.getRandomValues(a);
    return "c" + Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function write(body: string, attachments: string[] = [], label = body) {
    const id = clientID();
    const f: Record<string, unknown> = { type: "message", client_id: id, body };
    if (attachments.length) f.attachments = attachments;
    if (!conversationOpen()) {
      if (Object.keys(prechat).length) f.prechat = prechat;
      if (invitation) f.invitation_id = invitation.id;
    }
    const el = bubble("visitor pending", label, t.sending);
    pending.set(id, { client_id: id, body, attachments, el, frame: f });
    if (synced) frame(f);
    render();
  }

  composer.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    input.value = "";
    write(body);
  });
  // Files: uploaded first, then sent in a message.
  attach.addEventListener("click", () => picker.click());
  picker.addEventListener("change", async () => {
    const chosen = Array.from(picker.files || []).slice(0, 5);
    picker.value = "";
    for (const file of chosen) {
      const body = new FormData();
      body.append("file", file, file.name);
      try {
        const res = await fetch(base.origin + "/widget/v1/uploads?channel=" + encodeURIComponent(key), {
          method: "POST",
          headers: { Authorization: "Bearer " + (storage.get(storeKey) || "") },
          body,
        });
        if (!res.ok) {
          showNotice(res.status === 413 ? t.tooLarge : res.status === 429 ? t.slowDown : t.uploadFailed);
          continue;
        }
        const a: Attachment = await res.json();
        write("", [a.id], a.name);
      } catch {
        showNotice(t.uploadFailed);
      }
    }
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (conversationOpen() && now - lastTyping > 2000) {
      lastTyping = now;
      frame({ type: "typing" });
    }
  });

  // Page views of single-page sites.
  const track = () => setTimeout(() => frame({ type: "page", ...page() }), 0);
  for (const m of ["pushState", "replaceState"] as const) {
    const orig = history[m];
    history[m] = function (this: History, ...args: any[]) {
      const r = orig.apply(this, args as any);
      track();
      return r;
    } as any;
  }
  addEventListener("popstate", track);

  (window as any).Atende = { open: () => setOpen(true), close: () => setOpen(false) };
  connect();
}

if (script && !(window as any).__atendeWidget) {
  (window as any).__atendeWidget = true;
  const s = script;
  if (document.body) start(s);
  else addEventListener("DOMContentLoaded", () => start(s));
}

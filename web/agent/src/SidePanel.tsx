// Beside the chat: the contact (search, create, edit, associate), tags and
// notes, the conversation's details and metrics, the contact's timeline
// across channels and, for the website chat, the visitor.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { del, get, patch, post, put, type ContactInfo, type Details, type Message, type Summary, type Visitor } from "./api";
import { dateTime, duration, t } from "./i18n";
import type { LiveEvent } from "./live";
import { Avatar, ChannelIcon, secondsSince, useLive, useNow, Alert } from "./ui";

type Tab = "contact" | "tags" | "details" | "timeline" | "visitor";

export function SidePanel({ details, messages, onChanged }: { details: Details; messages: Message[]; onChanged: () => void }) {
  const [tab, setTab] = useState<Tab>("contact");
  const tabs: [Tab, string][] = [
    ["contact", t("contact")],
    ["tags", t("tags")],
    ["details", t("details")],
    ["timeline", t("timeline")],
  ];
  if (details.channel?.kind === "webchat") tabs.push(["visitor", t("visitor")]);
  return (
    <aside className="side-panel" aria-label={t("details")}>
      <div className="tabs small-tabs" role="tablist">
        {tabs.map(([k, label]) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} onClick={() => setTab(k)}>
            {label}
          </button>
        ))}
      </div>
      <div className="side-body">
        {tab === "contact" && <ContactTab details={details} onChanged={onChanged} />}
        {tab === "tags" && <TagsTab details={details} messages={messages} onChanged={onChanged} />}
        {tab === "details" && <DetailsTab details={details} />}
        {tab === "timeline" && <TimelineTab contactId={details.contact.id} />}
        {tab === "visitor" && <VisitorTab conversationId={details.id} />}
      </div>
    </aside>
  );
}

function ContactTab({ details, onChanged }: { details: Details; onChanged: () => void }) {
  const c = details.contact;
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ name: c.name, trade_name: c.trade_name, document: c.document, emails: c.emails.join(", "), phones: c.phones.join(", ") });
  const [q, setQ] = useState("");
  const [found, setFound] = useState<ContactInfo[]>([]);
  const [error, setError] = useState("");

  useEffect(() => {
    setForm({ name: c.name, trade_name: c.trade_name, document: c.document, emails: c.emails.join(", "), phones: c.phones.join(", ") });
  }, [c]);

  const fields = () => ({
    name: form.name,
    trade_name: form.trade_name,
    document: form.document,
    emails: split(form.emails),
    phones: split(form.phones),
  });

  async function save(e: FormEvent) {
    e.preventDefault();
    setError("");
    try {
      await patch(`/contacts/${c.id}`, fields());
      setEditing(false);
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  async function search(e: FormEvent) {
    e.preventDefault();
    const r = await get<{ contacts: ContactInfo[] }>(`/contacts?q=${encodeURIComponent(q)}&limit=10`);
    setFound(r.contacts.filter((x) => x.id !== c.id));
  }

  async function associate(id: number) {
    setError("");
    try {
      await put(`/conversations/${details.id}/contact`, { contact_id: id });
      setFound([]);
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  async function createAndAssociate() {
    setError("");
    try {
      const made = await post<ContactInfo>("/contacts", { name: q || form.name });
      await associate(made.id);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <div>
      <div className="contact-head">
        <Avatar name={c.name} />
        <strong>{c.name}</strong>
      </div>
      {!editing ? (
        <dl className="facts">
          <dt>{t("tradeName")}</dt>
          <dd>{c.trade_name || "—"}</dd>
          <dt>{t("document")}</dt>
          <dd>{c.document || "—"}</dd>
          <dt>{t("emails")}</dt>
          <dd>{c.emails.join(", ") || "—"}</dd>
          <dt>{t("phones")}</dt>
          <dd>{c.phones.join(", ") || "—"}</dd>
        </dl>
      ) : (
        <form onSubmit={save} className="stack">
          <label>
            {t("name")} <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label>
            {t("tradeName")} <input value={form.trade_name} onChange={(e) => setForm({ ...form, trade_name: e.target.value })} />
          </label>
          <label>
            {t("document")} <input value={form.document} onChange={(e) => setForm({ ...form, document: e.target.value })} />
          </label>
          <label>
            {t("emails")} <input value={form.emails} onChange={(e) => setForm({ ...form, emails: e.target.value })} />
          </label>
          <label>
            {t("phones")} <input value={form.phones} onChange={(e) => setForm({ ...form, phones: e.target.value })} />
          </label>
          <div className="buttons">
            <button type="button" onClick={() => setEditing(false)}>
              {t("cancel")}
            </button>
            <button type="submit" className="primary">
              {t("save")}
            </button>
          </div>
        </form>
      )}
      {!editing && (
        <button type="button" onClick={() => setEditing(true)}>
          {t("edit")}
        </button>
      )}
      <form onSubmit={search} className="stack contact-search">
        <label>
          {t("searchContacts")}
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <div className="buttons">
          <button type="submit">{t("search")}</button>
          <button type="button" onClick={() => void createAndAssociate()}>
            {t("create")}
          </button>
        </div>
      </form>
      <ul className="plain">
        {found.map((x) => (
          <li key={x.id}>
            {x.name} <span className="muted small">{[x.document, ...x.emails, ...x.phones].filter(Boolean).join(" · ")}</span>{" "}
            <button type="button" className="link" onClick={() => void associate(x.id)}>
              {t("associate")}
            </button>
          </li>
        ))}
      </ul>
      <Alert message={error} />
    </div>
  );
}

function split(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

function TagsTab({ details, messages, onChanged }: { details: Details; messages: Message[]; onChanged: () => void }) {
  const [tag, setTag] = useState("");
  const [catalogue, setCatalogue] = useState<string[]>([]);
  const [error, setError] = useState("");
  const loadCatalogue = useCallback(() => {
    get<{ tags: { tag: string }[] }>("/tags").then((r) => setCatalogue(r.tags.map((x) => x.tag)), () => {});
  }, []);
  useEffect(loadCatalogue, [loadCatalogue]);
  useLive(useCallback((e: LiveEvent) => void (e.kind === "tag.changed" && loadCatalogue()), [loadCatalogue]));
  const notes = messages.filter((m) => m.direction === "note");

  async function add(e: FormEvent) {
    e.preventDefault();
    const v = tag.trim().toLowerCase();
    if (!v) return;
    setError("");
    try {
      await put(`/conversations/${details.id}/tags/${encodeURIComponent(v)}`);
      setTag("");
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <div>
      <h3>{t("tags")}</h3>
      <ul className="tags" aria-label={t("tags")}>
        {details.tags.map((tg) => (
          <li key={tg} className="tag">
            {tg}{" "}
            <button
              type="button"
              className="link"
              aria-label={t("remove") + " " + tg}
              onClick={() => void del(`/conversations/${details.id}/tags/${encodeURIComponent(tg)}`).then(onChanged, () => {})}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={add} className="inline-form">
        <label className="sr-only" htmlFor="new-tag">
          {t("addTag")}
        </label>
        <input id="new-tag" list="tag-catalogue" value={tag} placeholder={t("addTag")} onChange={(e) => setTag(e.target.value)} />
        <datalist id="tag-catalogue">
          {catalogue.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        <button type="submit">{t("add")}</button>
      </form>
      <Alert message={error} />
      <h3>{t("notes")}</h3>
      <ul className="plain notes-list">
        {notes.length === 0 && <li className="muted">—</li>}
        {notes.map((n) => (
          <li key={n.id} className="note-item">
            <span className="muted small">{dateTime(n.created_at)}</span> {n.body}
          </li>
        ))}
      </ul>
    </div>
  );
}

function DetailsTab({ details }: { details: Details }) {
  const now = useNow(1000);
  const m = details.metrics;
  const tta = details.closed_at ? m.tta : secondsSince(details.opened_at, now);
  return (
    <dl className="facts">
      <dt>{t("protocol")}</dt>
      <dd>{details.protocol}</dd>
      <dt>{t("entryTime")}</dt>
      <dd>{dateTime(details.opened_at)}</dd>
      <dt>{t("queue")}</dt>
      <dd>{details.department.name}</dd>
      <dt>{t("channel")}</dt>
      <dd>
        <ChannelIcon kind={details.channel?.kind} /> {details.channel?.name ?? "—"}
      </dd>
      <dt>{t("agent")}</dt>
      <dd>{details.agent?.name ?? "—"}</dd>
      <dt>{t("subject")}</dt>
      <dd>{details.subject || "—"}</dd>
      <dt>{t("tta")}</dt>
      <dd>{duration(tta)}</dd>
      <dt>{t("queueWait")}</dt>
      <dd>{duration(m.queue_wait)}</dd>
      <dt>{t("tm1r")}</dt>
      <dd>{m.tm1r ? duration(m.tm1r) : "—"}</dd>
      <dt>{t("tmr")}</dt>
      <dd>{m.responses ? duration(m.tmr) : "—"}</dd>
      {details.close_reason && (
        <>
          <dt>{t("closeReason")}</dt>
          <dd>
            {details.close_reason.name}
            {details.resolved !== null && ` · ${details.resolved ? t("yes") : t("no")}`}
          </dd>
        </>
      )}
      {details.external_protocol && (
        <>
          <dt>{t("externalProtocol")}</dt>
          <dd>{details.external_protocol}</dd>
        </>
      )}
    </dl>
  );
}

function TimelineTab({ contactId }: { contactId: number }) {
  const [list, setList] = useState<Summary[] | null>(null);
  useEffect(() => {
    get<{ conversations: Summary[] }>(`/contacts/${contactId}/conversations?limit=50`).then((r) => setList(r.conversations), () => setList([]));
  }, [contactId]);
  if (!list) return <p className="muted">{t("loading")}</p>;
  return (
    <ol className="timeline">
      {list.map((c) => (
        <li key={c.id}>
          <ChannelIcon kind={c.channel?.kind} /> <strong>{dateTime(c.opened_at)}</strong>
          <div className="small muted">
            {c.protocol} · {c.department.name} · {c.agent?.name ?? "—"} · {c.status}
          </div>
        </li>
      ))}
    </ol>
  );
}

function VisitorTab({ conversationId }: { conversationId: number }) {
  const [v, setV] = useState<Visitor | null | undefined>(undefined);
  useEffect(() => {
    get<Visitor>(`/conversations/${conversationId}/visitor`).then(setV, () => setV(null));
  }, [conversationId]);
  if (v === undefined) return <p className="muted">{t("loading")}</p>;
  if (v === null) return <p className="muted">—</p>;
  return <VisitorFacts v={v} />;
}

export function VisitorFacts({ v }: { v: Visitor }) {
  return (
    <div>
      <h3>{t("location")}</h3>
      <dl className="facts">
        <dt>IP</dt>
        <dd>{v.ip || "—"}</dd>
        <dt>Browser</dt>
        <dd>
          {v.browser} · {v.os} · {v.device}
        </dd>
        <dt>{t("onSite")}</dt>
        <dd>{duration(v.seconds_on_site)}</dd>
        <dt>{t("visits")}</dt>
        <dd>{v.visits}</dd>
        <dt>TZ</dt>
        <dd>
          {v.time_zone} · {v.language}
        </dd>
      </dl>
      <h3>{t("pages")}</h3>
      <ol className="pages">
        {v.pages.map((p, i) => (
          <li key={i}>
            <a href={p.url} target="_blank" rel="noreferrer noopener">
              {p.title || p.url}
            </a>{" "}
            <span className="muted small">{duration(p.seconds)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

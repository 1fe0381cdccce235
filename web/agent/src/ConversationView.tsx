// One conversation: its header (contact, protocol, TTA, actions), the
// messages with the last 24 h of earlier conversations above, the composer
// and the side panel; the transfer and close dialogs.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, get, post, put, type Canned, type CloseReason, type Details, type Message, type Ref, type RoutingSettings, type Summary, type TransferTarget } from "./api";
import { CloseDialog, type CloseInput } from "./CloseDialog";
import { Composer } from "./Composer";
import { clock, dateTime, duration, t } from "./i18n";
import { live, type LiveEvent } from "./live";
import { navigate } from "./router";
import { useSession } from "./session";
import { SidePanel } from "./SidePanel";
import { TransferDialog } from "./TransferDialog";
import { ChannelIcon, secondsSince, useLive, useNow } from "./ui";

// Names of the account's people, for the sender above each message.
let peopleCache: Promise<Map<number, string>> | null = null;
export function people(): Promise<Map<number, string>> {
  peopleCache ??= get<{ users: Ref[] }>("/users")
    .then((r) => new Map(r.users.map((u) => [u.id, u.name])))
    .catch(() => {
      peopleCache = null;
      return new Map();
    });
  return peopleCache;
}

type Earlier = { conversation: Summary; messages: Message[] };

export function ConversationView({ id }: { id: number }) {
  const { me, departments } = useSession();
  const [details, setDetails] = useState<Details | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [olderCursor, setOlderCursor] = useState<number | null>(null);
  const [names, setNames] = useState<Map<number, string>>(new Map());
  const [earlier, setEarlier] = useState<Earlier[]>([]);
  const [history, setHistory] = useState<Summary[]>([]);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [quoting, setQuoting] = useState<Message | null>(null);
  const [dialog, setDialog] = useState<"close" | "transfer" | null>(null);
  const [closeSetup, setCloseSetup] = useState<{ reasons: CloseReason[]; reasonRequired: boolean; protocolRequired: boolean } | null>(null);
  const [notice, setNotice] = useState("");
  const [typing, setTyping] = useState("");
  const typingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [error, setError] = useState("");
  const bottom = useRef<HTMLDivElement>(null);
  const now = useNow(1000);

  const loadDetails = useCallback(async () => {
    try {
      setDetails(await get<Details>(`/conversations/${id}`));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [id]);
  const loadMessages = useCallback(async () => {
    const page = await get<{ messages: Message[]; next_before_seq: number | null }>(`/conversations/${id}/messages?limit=50`);
    setMessages((old) => mergeMessages(old, page.messages));
    setOlderCursor((c) => c ?? page.next_before_seq);
  }, [id]);

  useEffect(() => {
    void loadDetails();
    void loadMessages().catch(() => {});
    void people().then(setNames);
  }, [loadDetails, loadMessages]);

  // Earlier conversations of the contact: the last 24 h inline, the rest
  // behind the history button.
  const contactId = details?.contact.id;
  useEffect(() => {
    if (!contactId) return;
    let stale = false;
    get<{ conversations: Summary[] }>(`/contacts/${contactId}/conversations?limit=50`)
      .then(async ({ conversations }) => {
        const others = conversations.filter((c) => c.id !== id);
        const dayAgo = Date.now() - 24 * 3600 * 1000;
        const recent = others.filter((c) => new Date(c.closed_at ?? c.updated_at).getTime() >= dayAgo).slice(0, 3);
        const withMessages = await Promise.all(
          recent.map(async (c) => ({
            conversation: c,
            messages: (await get<{ messages: Message[] }>(`/conversations/${c.id}/messages?limit=50`).catch(() => ({ messages: [] as Message[] }))).messages.reverse(),
          })),
        );
        if (stale) return;
        setEarlier(withMessages.reverse());
        setHistory(others.filter((c) => !recent.includes(c)));
      })
      .catch(() => {});
    return () => {
      stale = true;
    };
  }, [contactId, id]);

  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (e.kind === "reload") {
          void loadDetails();
          void loadMessages().catch(() => {});
        } else if (e.kind === "tag.changed") {
          // A tag was renamed or removed in the catalogue: this
          // conversation's tags may have changed with it.
          void loadDetails();
        } else if (e.conversation_id === id) {
          if (e.kind === "typing") {
            setTyping(e.name || t("customer"));
            clearTimeout(typingTimer.current);
            typingTimer.current = setTimeout(() => setTyping(""), 4000);
          } else if (e.kind.startsWith("message.")) void loadMessages().catch(() => {});
          else if (e.kind.startsWith("conversation.")) void loadDetails();
        }
      },
      [id, loadDetails, loadMessages],
    ),
  );

  // Reading the conversation marks it read up to its newest message.
  const lastSeq = messages.length ? messages[messages.length - 1].seq : 0;
  const mine = details?.agent?.id === me.id;
  useEffect(() => {
    if (!mine || !lastSeq || !details || lastSeq <= details.last_read_seq) return;
    void post(`/conversations/${id}/read`, { seq: lastSeq }).catch(() => {});
  }, [id, lastSeq, mine, details]);

  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: "end" });
  }, [messages.length]);

  const flash = (text: string) => {
    setNotice(text);
    setTimeout(() => setNotice(""), 2000);
  };

  const loadCanned = useCallback((q: string) => get<{ canned_responses: Canned[] }>(`/canned-responses?q=${encodeURIComponent(q)}&conversation_id=${id}`).then((r) => r.canned_responses), [id]);
  const loadAgents = useCallback(() => get<{ agents: TransferTarget[] }>(`/conversations/${id}/transfer-targets`).then((r) => r.agents), [id]);

  // Drafts: kept on the server (so they follow the agent anywhere) and in
  // this browser (so an ended session loses nothing).
  const draftTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const saveDraft = useCallback(
    (body: string) => {
      localStorage.setItem(`atende.draft.${id}`, body);
      clearTimeout(draftTimer.current);
      draftTimer.current = setTimeout(() => {
        void put(`/conversations/${id}/draft`, { body })
          .then(() => body === "" && localStorage.removeItem(`atende.draft.${id}`))
          .catch(() => {});
      }, 600);
    },
    [id],
  );

  async function upload(files: File[]): Promise<string[]> {
    const ids: string[] = [];
    for (const f of files) {
      const form = new FormData();
      form.append("file", f, f.name);
      ids.push((await api<{ id: string }>("POST", `/conversations/${id}/attachments`, form)).id);
    }
    return ids;
  }

  async function send(body: string, files: File[], quoted?: number | null) {
    setError("");
    try {
      const attachment_ids = await upload(files);
      const m = await post<Message>(
        `/conversations/${id}/messages`,
        { body, attachment_ids, quoted_message_id: quoted ?? quoting?.id ?? 0 },
        { "Idempotency-Key": crypto.randomUUID() },
      );
      setQuoting(null);
      setMessages((old) => mergeMessages(old, [m]));
      clearTimeout(draftTimer.current);
      localStorage.removeItem(`atende.draft.${id}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  async function note(body: string, files: File[]) {
    setError("");
    try {
      const attachment_ids = await upload(files);
      const m = await post<Message>(`/conversations/${id}/notes`, { body, attachment_ids }, { "Idempotency-Key": crypto.randomUUID() });
      setMessages((old) => mergeMessages(old, [m]));
      clearTimeout(draftTimer.current);
      localStorage.removeItem(`atende.draft.${id}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  async function transfer(to: { agent_id?: number; department_id?: number; note?: string }) {
    setError("");
    try {
      await post(`/conversations/${id}/transfer`, to);
      setDialog(null);
      navigate("/");
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  async function openClose() {
    if (!details) return;
    const [reasons, routing, settings] = await Promise.all([
      get<{ close_reasons: CloseReason[] }>(`/close-reasons?department_id=${details.department.id}`),
      get<RoutingSettings>(`/departments/${details.department.id}/routing`),
      get<{ external_protocol_required: boolean }>("/account/settings"),
    ]);
    setCloseSetup({ reasons: reasons.close_reasons, reasonRequired: routing.close_reason_required, protocolRequired: settings.external_protocol_required });
    setDialog("close");
  }

  async function close(input: CloseInput) {
    await post(`/conversations/${id}/close`, input);
    setDialog(null);
    localStorage.removeItem(`atende.draft.${id}`);
    navigate("/");
  }

  const transcript = useMemo(
    () =>
      messages
        .filter((m) => m.direction !== "note")
        .map((m) => `[${dateTime(m.created_at)}] ${senderName(m, details, names)}: ${m.body}${m.attachments.map((a) => ` [${a.name}]`).join("")}`)
        .join("\n"),
    [messages, details, names],
  );

  if (error && !details) return <p className="field-error pad" role="alert">{error}</p>;
  if (!details) return <p className="muted pad">{t("loading")}</p>;
  const open = ["active", "waiting", "inactive"].includes(details.status);
  const byId = new Map(messages.map((m) => [m.id, m]));
  const initialDraft = details.draft || localStorage.getItem(`atende.draft.${id}`) || "";

  return (
    <div className="conversation">
      <section className="chat" aria-label={details.contact.name}>
        <header className="chat-header">
          <div>
            <h2>
              <ChannelIcon kind={details.channel?.kind} /> {details.contact.name}
            </h2>
            <div className="muted small">
              <button
                type="button"
                className="link protocol"
                title={t("protocol")}
                onClick={() => void navigator.clipboard?.writeText(details.protocol).then(() => flash(t("protocolCopied")), () => {})}
              >
                {t("protocol")} {details.protocol}
              </button>{" "}
              · {details.department.name} · {t("tta")} <span data-testid="tta">{duration(details.closed_at ? details.metrics.tta : secondsSince(details.opened_at, now))}</span> · {t(statusKey(details.status))}
            </div>
          </div>
          <div className="chat-actions">
            <button type="button" onClick={() => setHistoryOpen(!historyOpen)} aria-expanded={historyOpen}>
              {t("history")}
            </button>
            <button type="button" onClick={() => void navigator.clipboard?.writeText(transcript).then(() => flash(t("copied")), () => {})}>
              {t("copyConversation")}
            </button>
            <button type="button" onClick={() => window.print()}>
              {t("print")}
            </button>
            {open && mine && (
              <>
                <button
                  type="button"
                  onClick={async () => {
                    await post(`/conversations/${id}/unread`).catch(() => {});
                    navigate("/");
                  }}
                >
                  {t("markUnread")}
                </button>
                {details.status === "waiting" ? (
                  <button type="button" onClick={() => void post(`/conversations/${id}/resume`).then(loadDetails, () => {})}>
                    {t("resume")}
                  </button>
                ) : (
                  <button type="button" onClick={() => void post(`/conversations/${id}/park`).then(loadDetails, () => {})}>
                    {t("park")}
                  </button>
                )}
              </>
            )}
            {open && (
              <>
                <button type="button" onClick={() => setDialog("transfer")}>
                  {t("transfer")}
                </button>
                <button type="button" className="danger" onClick={() => void openClose().catch((err) => setError(String(err)))}>
                  {t("close")}
                </button>
              </>
            )}
          </div>
        </header>
        {notice && (
          <div className="toast" role="status">
            {notice}
          </div>
        )}
        {historyOpen && <History conversations={history} names={names} />}
        <div className="messages" aria-live="polite">
          {earlier.map((e) => (
            <div key={e.conversation.id} className="earlier">
              <div className="separator">
                {t("earlierConversation", { p: e.conversation.protocol })} · {dateTime(e.conversation.opened_at)}
              </div>
              {e.messages.map((m) => (
                <MessageBubble key={m.id} m={m} contactName={details.contact.name} names={names} />
              ))}
            </div>
          ))}
          {olderCursor !== null && (
            <button
              type="button"
              className="link load-older"
              onClick={async () => {
                const page = await get<{ messages: Message[]; next_before_seq: number | null }>(`/conversations/${id}/messages?limit=50&before_seq=${olderCursor}`);
                setMessages((old) => mergeMessages(old, page.messages));
                setOlderCursor(page.next_before_seq);
              }}
            >
              {t("loadOlder")}
            </button>
          )}
          {messages.map((m) => (
            <MessageBubble
              key={m.id}
              m={m}
              contactName={details.contact.name}
              names={names}
              quoted={m.quoted_message_id ? byId.get(m.quoted_message_id) : undefined}
              onQuote={open && m.direction === "in" ? () => setQuoting(m) : undefined}
              onRetry={open && m.status === "failed" ? () => void send(m.body, [], m.quoted_message_id).catch(() => {}) : undefined}
            />
          ))}
          {typing && (
            <div className="typing muted small" role="status">
              {t("typing", { n: typing })}
            </div>
          )}
          <div ref={bottom} />
        </div>
        {error && (
          <p className="field-error pad" role="alert">
            {error}
          </p>
        )}
        {open && mine && (
          <Composer
            key={id}
            initialDraft={initialDraft}
            departments={departments.filter((d) => d.id !== details.department.id)}
            loadCanned={loadCanned}
            loadAgents={loadAgents}
            onSend={send}
            onNote={note}
            onTransferAgent={(a) => void transfer({ agent_id: a.id }).catch(() => {})}
            onTransferDepartment={(d) => void transfer({ department_id: d.id }).catch(() => {})}
            onDraft={saveDraft}
            onTyping={() => live.typing(id)}
            quoting={quoting}
            onCancelQuote={() => setQuoting(null)}
          />
        )}
      </section>
      <SidePanel details={details} messages={messages} onChanged={loadDetails} />
      {dialog === "transfer" && <TransferDialog departments={departments.filter((d) => d.id !== details.department.id)} loadAgents={loadAgents} onTransfer={transfer} onCancel={() => setDialog(null)} />}
      {dialog === "close" && closeSetup && (
        <CloseDialog
          departmentId={details.department.id}
          reasons={closeSetup.reasons}
          rules={{ reasonRequired: closeSetup.reasonRequired, protocolRequired: closeSetup.protocolRequired }}
          onClose={close}
          onCancel={() => setDialog(null)}
        />
      )}
    </div>
  );
}

function statusKey(s: string) {
  return (({ active: "tabActive", waiting: "tabWaiting", inactive: "tabInactive", closed: "closed", abandoned: "abandoned", queued: "waiting" }) as const)[s] ?? "tabActive";
}

export function mergeMessages(old: Message[], page: Message[]): Message[] {
  const byId = new Map(old.map((m) => [m.id, m]));
  for (const m of page) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

function senderName(m: Message, details: Details | null, names: Map<number, string>): string {
  if (m.sender_type === "contact") return details?.contact.name ?? t("customer");
  if (m.sender_type === "agent" && m.sender_id) return names.get(m.sender_id) ?? t("agent");
  return t("system");
}

const ticks: Record<string, string> = { pending: "◷", sent: "✓", delivered: "✓✓", read: "✓✓" };

function MessageBubble({
  m,
  contactName,
  names,
  quoted,
  onQuote,
  onRetry,
}: {
  m: Message;
  contactName: string;
  names: Map<number, string>;
  quoted?: Message;
  onQuote?: () => void;
  onRetry?: () => void;
}) {
  if (m.direction === "system") {
    return (
      <div className="message system" data-message={m.id}>
        <span>{m.body}</span> <span className="muted small">{clock(m.created_at)}</span>
      </div>
    );
  }
  const side = m.direction === "in" ? "left" : "right";
  const sender = m.sender_type === "contact" ? contactName : m.sender_type === "agent" && m.sender_id ? (names.get(m.sender_id) ?? t("agent")) : t("system");
  const failed = m.status === "failed";
  return (
    <div className={`message ${side} ${m.direction}${failed ? " failed" : ""}`} data-message={m.id} title={failed ? m.status_error || t("failed") : undefined}>
      <div className="sender small">
        {m.direction === "note" && <span className="note-tag">{t("internalNote")} · </span>}
        {sender}
      </div>
      <div className="bubble">
        {quoted && <blockquote className="quoted">{quoted.body || quoted.attachments[0]?.name}</blockquote>}
        {m.body && <div className="body">{m.body}</div>}
        {m.attachments.map((a) => (
          <AttachmentView key={a.id} a={a} />
        ))}
        <div className="meta small">
          {clock(m.created_at)}
          {m.direction === "out" && !failed && (
            <span className={"ticks" + (m.status === "read" ? " read" : "")} aria-label={m.status}>
              {" "}
              {ticks[m.status] ?? ""}
            </span>
          )}
          {failed && (
            <>
              {" "}
              <span className="failed-label">⚠ {t("failed")}</span>
              {m.status_error && <span className="sr-only">{m.status_error}</span>}
              {onRetry && (
                <button type="button" className="link" onClick={onRetry}>
                  {t("retry")}
                </button>
              )}
            </>
          )}
          {onQuote && (
            <button type="button" className="link quote-button" onClick={onQuote} aria-label={t("quote")} title={t("quote")}>
              ↩
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

function AttachmentView({ a }: { a: { id: string; name: string; content_type: string; size: number } }) {
  const url = `/api/v1/attachments/${a.id}`;
  if (a.content_type.startsWith("image/")) {
    return (
      <a href={url} target="_blank" rel="noreferrer">
        <img className="inline-image" src={url} alt={a.name} loading="lazy" />
      </a>
    );
  }
  if (a.content_type.startsWith("audio/")) return <AudioPlayer url={url} name={a.name} />;
  return (
    <a className="download" href={url} download={a.name}>
      ⬇ {a.name} <span className="muted small">({Math.ceil(a.size / 1024)} KB)</span>
    </a>
  );
}

function AudioPlayer({ url, name }: { url: string; name: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [rate, setRate] = useState(1);
  return (
    <div className="audio">
      <audio ref={audio} controls src={url} aria-label={name} preload="none" />
      <label className="small">
        {t("speed")}{" "}
        <select
          value={rate}
          onChange={(e) => {
            const r = Number(e.target.value);
            setRate(r);
            if (audio.current) audio.current.playbackRate = r;
          }}
        >
          {[0.5, 1, 1.5, 2, 3, 4].map((r) => (
            <option key={r} value={r}>
              {r}x
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

// Older conversations of the contact, filtered by date and protocol; one
// opens inline.
function History({ conversations, names }: { conversations: Summary[]; names: Map<number, string> }) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [protocol, setProtocol] = useState("");
  const [open, setOpen] = useState<{ c: Summary; messages: Message[] } | null>(null);
  const list = conversations.filter(
    (c) => (!from || c.opened_at.slice(0, 10) >= from) && (!to || c.opened_at.slice(0, 10) <= to) && (!protocol || c.protocol.includes(protocol.trim())),
  );
  return (
    <div className="history">
      <div className="toolbar">
        <label>
          {t("from")} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t("to")} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          {t("protocol")} <input value={protocol} onChange={(e) => setProtocol(e.target.value)} />
        </label>
      </div>
      <ul className="plain">
        {list.length === 0 && <li className="muted">—</li>}
        {list.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              className="link"
              onClick={async () => setOpen({ c, messages: (await get<{ messages: Message[] }>(`/conversations/${c.id}/messages?limit=100`)).messages.reverse() })}
            >
              {dateTime(c.opened_at)} · {c.protocol} · {c.department.name} · {c.agent?.name ?? "—"}
            </button>
          </li>
        ))}
      </ul>
      {open && (
        <div className="earlier">
          <div className="separator">{t("earlierConversation", { p: open.c.protocol })}</div>
          {open.messages.map((m) => (
            <MessageBubble key={m.id} m={m} contactName={open.c.contact.name} names={names} />
          ))}
        </div>
      )}
    </div>
  );
}

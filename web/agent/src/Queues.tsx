// Queues: each department the agent works in, one view per channel with live
// counts, the API's filters and pages of ten; pull a conversation.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { get, post, query, type Queue, type Summary } from "./api";
import { clock, duration, t } from "./i18n";
import type { LiveEvent } from "./live";
import { navigate } from "./router";
import { ChannelIcon, secondsSince, useLive, useNow, Alert } from "./ui";

type Filters = { phone: string; contact: string; subject: string; content: string; queued_from: string; queued_to: string; order: "oldest" | "newest" };
const noFilters: Filters = { phone: "", contact: "", subject: "", content: "", queued_from: "", queued_to: "", order: "oldest" };

export default function Queues() {
  const [queues, setQueues] = useState<Queue[]>([]);
  const [dep, setDep] = useState<number | null>(null);
  const [channel, setChannel] = useState<number | null>(null);
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [rows, setRows] = useState<Summary[]>([]);
  const [cursor, setCursor] = useState("");
  const [error, setError] = useState("");
  const now = useNow(1000);

  const loadQueues = useCallback(async () => {
    const r = await get<{ queues: Queue[] }>("/queues");
    setQueues(r.queues);
    setDep((d) => d ?? r.queues[0]?.department.id ?? null);
  }, []);
  const loadRows = useCallback(async () => {
    if (dep === null) return;
    const r = await get<{ conversations: Summary[]; next_cursor: string }>(`/queues/${dep}/conversations` + query({ ...filters, channel_id: channel }));
    setRows(r.conversations);
    setCursor(r.next_cursor);
  }, [dep, channel, filters]);

  useEffect(() => {
    void loadQueues().catch(() => {});
  }, [loadQueues]);
  useEffect(() => {
    void loadRows().catch((err) => setError(String(err)));
  }, [loadRows]);

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (!e.kind.startsWith("conversation.") && e.kind !== "reload") return;
        clearTimeout(timer.current);
        timer.current = setTimeout(() => {
          void loadQueues().catch(() => {});
          void loadRows().catch(() => {});
        }, 300);
      },
      [loadQueues, loadRows],
    ),
  );

  const queue = queues.find((q) => q.department.id === dep);
  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  async function pull(id: number) {
    setError("");
    try {
      await post(`/conversations/${id}/pull`);
      navigate(`/conversations/${id}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section className="pad screen" aria-labelledby="queues-title">
      <h1 id="queues-title">{t("navQueues")}</h1>
      <div className="queue-cards">
        {queues.map((q) => (
          <button key={q.department.id} type="button" className={"card queue-card" + (q.department.id === dep ? " selected" : "")} aria-pressed={q.department.id === dep} onClick={() => (setDep(q.department.id), setChannel(null))}>
            <strong>{q.department.name}</strong>
            <span>
              {t("waiting")}: <b>{q.queued}</b> · {t("offered")}: {q.offered}
            </span>
            <span className="muted small">
              {t("longestWait")}: {q.oldest_queued_at ? duration(secondsSince(q.oldest_queued_at, now)) : "—"}
            </span>
          </button>
        ))}
      </div>
      {queue && (
        <div className="tabs" role="tablist" aria-label={t("channel")}>
          <button role="tab" type="button" aria-selected={channel === null} onClick={() => setChannel(null)}>
            {t("allChannels")} <span className="count">{queue.queued}</span>
          </button>
          {queue.channels
            .filter((c) => c.channel)
            .map((c) => (
              <button key={c.channel!.id} role="tab" type="button" aria-selected={channel === c.channel!.id} onClick={() => setChannel(c.channel!.id)}>
                <ChannelIcon kind={c.channel!.kind} /> {c.channel!.name} <span className="count">{c.queued}</span>
              </button>
            ))}
        </div>
      )}
      <form className="toolbar filters" onSubmit={apply} aria-label={t("filters")}>
        <label>
          {t("contact")} <input value={draft.contact} onChange={(e) => setDraft({ ...draft, contact: e.target.value })} />
        </label>
        <label>
          {t("phone")} <input value={draft.phone} onChange={(e) => setDraft({ ...draft, phone: e.target.value })} />
        </label>
        <label>
          {t("subject")} <input value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} />
        </label>
        <label>
          {t("content")} <input value={draft.content} onChange={(e) => setDraft({ ...draft, content: e.target.value })} />
        </label>
        <label>
          {t("queuedFrom")} <input type="date" value={draft.queued_from} onChange={(e) => setDraft({ ...draft, queued_from: e.target.value })} />
        </label>
        <label>
          {t("queuedTo")} <input type="date" value={draft.queued_to} onChange={(e) => setDraft({ ...draft, queued_to: e.target.value })} />
        </label>
        <select aria-label={t("filters")} value={draft.order} onChange={(e) => setDraft({ ...draft, order: e.target.value as Filters["order"] })}>
          <option value="oldest">{t("oldestFirst")}</option>
          <option value="newest">{t("newestFirst")}</option>
        </select>
        <button type="submit">{t("apply")}</button>
      </form>
      <Alert message={error} />
      <table className="grid">
        <thead>
          <tr>
            <th>{t("contact")}</th>
            <th>{t("channel")}</th>
            <th>{t("subject")}</th>
            <th>{t("protocol")}</th>
            <th>{t("waiting")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t("noQueued")}
              </td>
            </tr>
          )}
          {rows.map((c) => (
            <tr key={c.id}>
              <td>{c.contact.name}</td>
              <td>
                <ChannelIcon kind={c.channel?.kind} /> {c.channel?.name ?? "—"}
              </td>
              <td>{c.subject || "—"}</td>
              <td>{c.protocol}</td>
              <td title={clock(c.queued_at)}>{duration(secondsSince(c.queued_at, now))}</td>
              <td>
                <button type="button" onClick={() => void pull(c.id)}>
                  {t("pull")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button
          type="button"
          className="show-more"
          onClick={async () => {
            const r = await get<{ conversations: Summary[]; next_cursor: string }>(`/queues/${dep}/conversations` + query({ ...filters, channel_id: channel, cursor }));
            setRows([...rows, ...r.conversations]);
            setCursor(r.next_cursor);
          }}
        >
          {t("showMore")}
        </button>
      )}
    </section>
  );
}

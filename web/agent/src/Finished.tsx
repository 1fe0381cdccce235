// Finished conversations (closed or abandoned) with the API's filters; one
// opens read-only.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { get, query, type ChannelRef, type Ref, type Summary } from "./api";
import { ConversationView } from "./ConversationView";
import { dateTime, t } from "./i18n";
import { useSession } from "./session";
import { ChannelIcon, Options, Alert } from "./ui";

type F = { period: string; status: string; department_id: string; channel_kind: string; channel_id: string; agent_id: string; tag: string; protocol: string; contact: string; q: string };
const none: F = { period: "last_30_days", status: "", department_id: "", channel_kind: "", channel_id: "", agent_id: "", tag: "", protocol: "", contact: "", q: "" };

// The kinds of channel the product connects (routing.ChannelKinds), and
// in_person for records with no channel: everybody may filter by any of
// them, whatever channels their results happened to show.
export const channelKinds = ["webchat", "whatsapp", "telegram", "messenger", "instagram", "sms", "email", "voice", "in_person"] as const;

export default function Finished() {
  const { me, departments } = useSession();
  const [draft, setDraft] = useState<F>(none);
  const [filters, setFilters] = useState<F>(none);
  const [rows, setRows] = useState<Summary[]>([]);
  const [cursor, setCursor] = useState("");
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState("");
  // The channel type filter offers every kind; the channel filter the
  // website chat channels (listed for administrators) and every channel the
  // results have shown; the agent filter the account's users.
  const [channels, setChannels] = useState<ChannelRef[]>([]);
  const [agents, setAgents] = useState<Ref[]>([]);
  useEffect(() => {
    get<{ users: Ref[] }>("/users").then((r) => setAgents(r.users), () => {});
    if (me.role === "admin")
      get<{ channels: Ref[] }>("/webchat/channels").then((r) => setChannels((cs) => merge(cs, r.channels.map((c) => ({ ...c, kind: "webchat" })))), () => {});
  }, [me.role]);
  useEffect(() => {
    setChannels((cs) => merge(cs, rows.flatMap((r) => (r.channel ? [r.channel] : []))));
  }, [rows]);
  const load = useCallback(async () => {
    setError("");
    try {
      const r = await get<{ conversations: Summary[]; next_cursor: string }>("/conversations/finished" + query({ ...filters, limit: 20 }));
      setRows(r.conversations);
      setCursor(r.next_cursor);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [filters]);
  useEffect(() => {
    void load();
  }, [load]);
  const set = (k: keyof F) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  if (open !== null) {
    return (
      <div className="finished-open">
        <button type="button" className="link pad" onClick={() => setOpen(null)}>
          ← {t("navFinished")}
        </button>
        <div className="conversations single">
          <ConversationView key={open} id={open} />
        </div>
      </div>
    );
  }
  return (
    <section className="pad screen" aria-labelledby="finished-title">
      <h1 id="finished-title">{t("navFinished")}</h1>
      <form
        className="toolbar filters"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <label>
          {t("period")}
          <select value={draft.period} onChange={set("period")}>
            <option value="today">{t("today")}</option>
            <option value="last_10_days">{t("last10")}</option>
            <option value="last_30_days">{t("last30")}</option>
          </select>
        </label>
        <label>
          {t("status_")}
          <select value={draft.status} onChange={set("status")}>
            <option value="">{t("anyStatus")}</option>
            <option value="closed">{t("closed")}</option>
            <option value="abandoned">{t("abandoned")}</option>
          </select>
        </label>
        <label>
          {t("department")}
          <select value={draft.department_id} onChange={set("department_id")}>
            <Options none={t("allDepartments")} items={departments} />
          </select>
        </label>
        <label>
          {t("channelKind")}
          <select value={draft.channel_kind} onChange={set("channel_kind")}>
            <option value="">{t("allKinds")}</option>
            {channelKinds.map((k) => (
              <option key={k} value={k}>
                {t(`kind_${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("channel")}
          <select value={draft.channel_id} onChange={set("channel_id")}>
            <Options none={t("allChannels")} items={channels} />
          </select>
        </label>
        <label>
          {t("agent")}
          <select value={draft.agent_id} onChange={set("agent_id")}>
            <Options none={t("allAgents")} items={agents} />
          </select>
        </label>
        <label>
          {t("contact")} <input value={draft.contact} onChange={set("contact")} />
        </label>
        <label>
          {t("protocol")} <input value={draft.protocol} onChange={set("protocol")} />
        </label>
        <label>
          {t("tag")} <input value={draft.tag} onChange={set("tag")} />
        </label>
        <label>
          {t("words")} <input value={draft.q} onChange={set("q")} />
        </label>
        <button type="submit">{t("apply")}</button>
      </form>
      <Alert message={error} />
      <table className="grid">
        <thead>
          <tr>
            <th>{t("closedAt")}</th>
            <th>{t("contact")}</th>
            <th>{t("channel")}</th>
            <th>{t("department")}</th>
            <th>{t("agent")}</th>
            <th>{t("protocol")}</th>
            <th>{t("status_")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id}>
              <td>{dateTime(c.closed_at)}</td>
              <td>
                <button type="button" className="link" onClick={() => setOpen(c.id)}>
                  {c.contact.name}
                </button>
              </td>
              <td>
                <ChannelIcon kind={c.channel?.kind} /> {c.channel?.name ?? "—"}
              </td>
              <td>{c.department.name}</td>
              <td>{c.agent?.name ?? "—"}</td>
              <td>{c.protocol}</td>
              <td>{c.status === "closed" ? t("closed") : t("abandoned")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button
          type="button"
          className="show-more"
          onClick={async () => {
            const r = await get<{ conversations: Summary[]; next_cursor: string }>("/conversations/finished" + query({ ...filters, limit: 20, cursor }));
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

function merge(a: ChannelRef[], b: ChannelRef[]): ChannelRef[] {
  const out = [...a];
  for (const c of b) if (!out.some((x) => x.id === c.id)) out.push(c);
  return out.length === a.length ? a : out.sort((x, y) => x.name.localeCompare(y.name));
}

// The agent's open conversations, as cards or as a list, by tab (Active /
// Waiting / Inactive), with search, filters, order and "show more"; beside
// the list, the selected conversation.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { get, type Summary } from "./api";
import { ConversationView } from "./ConversationView";
import { clock, duration, t } from "./i18n";
import type { LiveEvent } from "./live";
import { navigate } from "./router";
import { Avatar, ChannelIcon, secondsSince, useLive, useNow, Options } from "./ui";

type Tab = "active" | "waiting" | "inactive";
const tabs: Tab[] = ["active", "waiting", "inactive"];
const tabLabel = { active: "tabActive", waiting: "tabWaiting", inactive: "tabInactive" } as const;

export function fold(s: string): string {
  return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

export function lastActivity(c: Summary): string {
  return [c.last_customer_at, c.last_agent_at].filter(Boolean).sort().pop() ?? c.opened_at;
}

export function Conversations({ selected }: { selected: number | null }) {
  const [lists, setLists] = useState<Record<Tab, Summary[]>>({ active: [], waiting: [], inactive: [] });
  const [tab, setTab] = useState<Tab>("active");
  const [view, setView] = useState<"cards" | "list">(() => (localStorage.getItem("atende.view") as "cards" | "list") ?? "cards");
  const [q, setQ] = useState("");
  const [dep, setDep] = useState("");
  const [channel, setChannel] = useState("");
  const [order, setOrder] = useState<"oldest" | "newest">("oldest");
  const [pages, setPages] = useState(1);
  const now = useNow(1000);

  const load = useCallback(async () => {
    const got = await Promise.all(tabs.map((tb) => get<{ conversations: Summary[] }>("/conversations?tab=" + tb)));
    setLists({ active: got[0].conversations, waiting: got[1].conversations, inactive: got[2].conversations });
  }, []);
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);

  // Every change to a conversation, message, draft or read mark refreshes
  // the lists, at most a few times a second.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (!/^(conversation|message|draft|read)\.|^reload$/.test(e.kind)) return;
        clearTimeout(pending.current);
        pending.current = setTimeout(() => void load().catch(() => {}), 250);
      },
      [load],
    ),
  );

  // The tab of the selected conversation follows it.
  useEffect(() => {
    if (selected === null) return;
    const where = tabs.find((tb) => lists[tb].some((c) => c.id === selected));
    if (where && where !== tab) setTab(where);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected, lists]);

  const all = lists[tab];
  const departments = useMemo(() => uniq(tabs.flatMap((tb) => lists[tb].map((c) => c.department))), [lists]);
  const channels = useMemo(() => uniq(tabs.flatMap((tb) => lists[tb].map((c) => c.channel).filter((c) => c !== null))), [lists]);
  const shown = useMemo(() => {
    const term = fold(q.trim());
    const list = all.filter(
      (c) =>
        (!term || fold(c.contact.name).includes(term) || fold(c.department.name).includes(term) || c.protocol.includes(term)) &&
        (!dep || String(c.department.id) === dep) &&
        (!channel || String(c.channel?.id) === channel),
    );
    list.sort((a, b) => (order === "oldest" ? 1 : -1) * a.opened_at.localeCompare(b.opened_at));
    return list;
  }, [all, q, dep, channel, order]);
  const visible = shown.slice(0, pages * 10);
  const cards = view === "cards" && selected === null;

  const toolbar = (
    <div className="toolbar" role="search">
      <input type="search" aria-label={t("search")} placeholder={t("searchPlaceholder")} value={q} onChange={(e) => setQ(e.target.value)} />
      <select aria-label={t("department")} value={dep} onChange={(e) => setDep(e.target.value)}>
        <Options none={t("allDepartments")} items={departments} />
      </select>
      <select aria-label={t("channel")} value={channel} onChange={(e) => setChannel(e.target.value)}>
        <Options none={t("allChannels")} items={channels} />
      </select>
      <select aria-label={t("filters")} value={order} onChange={(e) => setOrder(e.target.value as "oldest" | "newest")}>
        <option value="oldest">{t("oldestFirst")}</option>
        <option value="newest">{t("newestFirst")}</option>
      </select>
      <div className="segmented" role="group" aria-label={t("viewCards") + " / " + t("viewList")}>
        {(["cards", "list"] as const).map((v) => (
          <button
            key={v}
            type="button"
            aria-pressed={view === v}
            onClick={() => {
              setView(v);
              localStorage.setItem("atende.view", v);
              if (v === "cards" && selected !== null) navigate("/");
            }}
          >
            {v === "cards" ? t("viewCards") : t("viewList")}
          </button>
        ))}
      </div>
    </div>
  );

  const tabBar = (
    <div className="tabs" role="tablist">
      {tabs.map((tb) => (
        <button key={tb} role="tab" type="button" aria-selected={tab === tb} onClick={() => (setTab(tb), setPages(1))}>
          {t(tabLabel[tb])} <span className="count">{lists[tb].length}</span>
        </button>
      ))}
    </div>
  );

  const more = shown.length > visible.length && (
    <button type="button" className="show-more" onClick={() => setPages(pages + 1)}>
      {t("showMore")} ({shown.length - visible.length})
    </button>
  );

  if (cards) {
    return (
      <section className="conversations-cards" aria-label={t("navConversations")}>
        {toolbar}
        {tabBar}
        {visible.length === 0 && <p className="muted pad">{t("noConversations")}</p>}
        <ul className="cards">
          {visible.map((c) => (
            <li key={c.id}>
              <ConversationCard c={c} now={now} onOpen={() => navigate(`/conversations/${c.id}`)} />
            </li>
          ))}
        </ul>
        {more}
      </section>
    );
  }
  return (
    <div className="conversations">
      <section className="conversation-column" aria-label={t("navConversations")}>
        {toolbar}
        {tabBar}
        {visible.length === 0 && <p className="muted pad">{t("noConversations")}</p>}
        <VirtualList
          items={visible}
          rowHeight={72}
          render={(c) => <ConversationRow c={c} now={now} selected={c.id === selected} onOpen={() => navigate(`/conversations/${c.id}`)} />}
        />
        {more}
      </section>
      {selected !== null ? (
        <ConversationView key={selected} id={selected} />
      ) : (
        <p className="empty-chat muted">{t("pickConversation")}</p>
      )}
    </div>
  );
}

function uniq<T extends { id: number }>(xs: T[]): T[] {
  const seen = new Map<number, T>();
  for (const x of xs) seen.set(x.id, x);
  return [...seen.values()].sort((a, b) => (a as unknown as { name: string }).name.localeCompare((b as unknown as { name: string }).name));
}

// Preview: what the agent was writing, else the newest message to or from
// the customer, which the list's summaries carry (refreshed with the list on
// every message.created), else the subject.
export function Preview({ c }: { c: Summary }) {
  const m = c.last_message;
  if (c.draft) return <span className="ellipsis">✎ {c.draft}</span>;
  if (!m) return <span className="ellipsis">{c.subject || c.department.name}</span>;
  const body = m.body || m.attachments.map((a) => "📎 " + a).join(", ");
  return (
    <span className="ellipsis" data-testid="preview">
      {m.direction === "out" ? "↪ " : ""}
      {body}
    </span>
  );
}

function Badges({ c }: { c: Summary }) {
  return (
    <>
      {(c.unread ?? 0) > 0 && <span className="unread-dot" title={t("unread")} aria-label={t("unread")} />}
      {c.draft && (
        <span className="draft-mark" title={c.draft}>
          ✎ {t("draft")}
        </span>
      )}
    </>
  );
}

function ConversationRow({ c, now, selected, onOpen }: { c: Summary; now: number; selected: boolean; onOpen: () => void }) {
  return (
    <a
      href={`/conversations/${c.id}`}
      className={"conversation-row" + (selected ? " selected" : "")}
      aria-current={selected ? "true" : undefined}
      data-conversation={c.id}
      onClick={(e) => {
        e.preventDefault();
        onOpen();
      }}
    >
      <Avatar name={c.contact.name} />
      <span className="row-main">
        <span className="row-top">
          <ChannelIcon kind={c.channel?.kind} />
          <strong className="ellipsis">{c.contact.name}</strong>
          <Badges c={c} />
          <span className="spacer" />
          <span className="muted small">{clock(lastActivity(c))}</span>
        </span>
        <span className="row-bottom muted small">
          <Preview c={c} />
          <span className="spacer" />
          <span className="nowrap" title={t("tta")}>
            {c.department.name} · {t("tta")} {duration(secondsSince(c.opened_at, now))}
          </span>
        </span>
      </span>
    </a>
  );
}

function ConversationCard({ c, now, onOpen }: { c: Summary; now: number; onOpen: () => void }) {
  return (
    <a
      href={`/conversations/${c.id}`}
      className="card conversation-card"
      data-conversation={c.id}
      onClick={(e) => {
        e.preventDefault();
        onOpen();
      }}
    >
      <span className="row-top">
        <Avatar name={c.contact.name} />
        <strong className="ellipsis">{c.contact.name}</strong>
        <Badges c={c} />
      </span>
      <span className="muted small">
        <ChannelIcon kind={c.channel?.kind} /> {c.channel?.name ?? "—"} · {c.department.name}
      </span>
      <Preview c={c} />
      <span className="muted small">
        {t("protocol")} {c.protocol} · {t("tta")} {duration(secondsSince(c.opened_at, now))} · {clock(lastActivity(c))}
      </span>
    </a>
  );
}

// VirtualList renders only the rows in view, so thousands stay smooth.
export function VirtualList<T extends { id: number }>({ items, rowHeight, render }: { items: T[]; rowHeight: number; render: (item: T) => ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(top / rowHeight) - 5);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + 5);
  return (
    <div className="virtual" ref={box} onScroll={(e) => setTop(e.currentTarget.scrollTop)} role="list">
      <div style={{ height: items.length * rowHeight, position: "relative" }}>
        {items.slice(first, last).map((it, i) => (
          <div key={it.id} role="listitem" style={{ position: "absolute", top: (first + i) * rowHeight, height: rowHeight, left: 0, right: 0 }}>
            {render(it)}
          </div>
        ))}
      </div>
    </div>
  );
}

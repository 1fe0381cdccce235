// My day: conversations started and concluded today, the average handling
// time and a small chart by hour, from the agent's own conversations (the
// tabs and today's finished ones).
import { useEffect, useState } from "react";
import { get, type Summary } from "./api";
import { duration, t } from "./i18n";
import { useSession } from "./session";

type Day = { started: number; concluded: number; avg: number; hours: { started: number; concluded: number }[] };

export function summariseDay(me: number, open: Summary[], finished: Summary[], now = new Date()): Day {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const today = (iso: string | null) => !!iso && new Date(iso) >= midnight;
  const hours = Array.from({ length: 24 }, () => ({ started: 0, concluded: 0 }));
  const all = new Map<number, Summary>();
  for (const c of [...open, ...finished]) all.set(c.id, c);
  let started = 0;
  for (const c of all.values()) {
    if (c.agent?.id === me && today(c.assigned_at)) {
      started++;
      hours[new Date(c.assigned_at!).getHours()].started++;
    }
  }
  const concluded = finished.filter((c) => c.agent?.id === me && c.status === "closed" && today(c.closed_at));
  for (const c of concluded) hours[new Date(c.closed_at!).getHours()].concluded++;
  const handled = concluded.filter((c) => c.assigned_at).map((c) => (new Date(c.closed_at!).getTime() - new Date(c.assigned_at!).getTime()) / 1000);
  const avg = handled.length ? handled.reduce((a, b) => a + b, 0) / handled.length : 0;
  return { started, concluded: concluded.length, avg, hours };
}

export default function MyDay() {
  const { me } = useSession();
  const [day, setDay] = useState<Day | null>(null);
  useEffect(() => {
    (async () => {
      const tabs = await Promise.all(["active", "waiting", "inactive"].map((tb) => get<{ conversations: Summary[] }>("/conversations?tab=" + tb)));
      const finished: Summary[] = [];
      let cursor = "";
      for (let i = 0; i < 10; i++) {
        const r = await get<{ conversations: Summary[]; next_cursor: string }>(`/conversations/finished?period=last_10_days&agent_id=${me.id}&limit=100${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
        finished.push(...r.conversations);
        cursor = r.next_cursor;
        if (!cursor) break;
      }
      setDay(summariseDay(me.id, tabs.flatMap((x) => x.conversations), finished));
    })().catch(() => setDay(summariseDay(me.id, [], [])));
  }, [me.id]);
  if (!day) return <p className="muted pad">{t("loading")}</p>;
  const max = Math.max(1, ...day.hours.map((h) => Math.max(h.started, h.concluded)));
  const from = Math.min(8, ...day.hours.flatMap((h, i) => (h.started || h.concluded ? [i] : [])));
  const to = Math.max(18, ...day.hours.flatMap((h, i) => (h.started || h.concluded ? [i] : [])));
  return (
    <section className="pad screen" aria-labelledby="myday-title">
      <h1 id="myday-title">{t("navMyDay")}</h1>
      <div className="stat-cards">
        <div className="card stat">
          <span className="muted">{t("started")}</span>
          <strong data-testid="day-started">{day.started}</strong>
        </div>
        <div className="card stat">
          <span className="muted">{t("concluded")}</span>
          <strong data-testid="day-concluded">{day.concluded}</strong>
        </div>
        <div className="card stat">
          <span className="muted">{t("avgHandling")}</span>
          <strong>{duration(day.avg)}</strong>
        </div>
      </div>
      <h2>{t("byHour")}</h2>
      <svg className="chart" viewBox={`0 0 ${(to - from + 1) * 30} 130`} role="img" aria-label={t("byHour")}>
        {day.hours.slice(from, to + 1).map((h, i) => (
          <g key={i} transform={`translate(${i * 30},0)`}>
            <rect x={4} y={110 - (100 * h.started) / max} width={10} height={(100 * h.started) / max} className="bar-started">
              <title>{`${from + i}h ${t("started")}: ${h.started}`}</title>
            </rect>
            <rect x={15} y={110 - (100 * h.concluded) / max} width={10} height={(100 * h.concluded) / max} className="bar-concluded">
              <title>{`${from + i}h ${t("concluded")}: ${h.concluded}`}</title>
            </rect>
            <text x={15} y={125} textAnchor="middle" fontSize="9">
              {from + i}h
            </text>
          </g>
        ))}
      </svg>
      <p className="small">
        <span className="legend bar-started" /> {t("started")} <span className="legend bar-concluded" /> {t("concluded")}
      </p>
    </section>
  );
}

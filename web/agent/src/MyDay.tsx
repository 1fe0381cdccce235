// My day: the agent's day as the server counts it from the conversation
// events (GET /api/v1/me/day): conversations started (first served by them),
// concluded, transferred away, the average handling time and a small chart by
// hour. A conversation transferred away still counts for whoever started it.
// It follows conversation changes live, and earlier days can be picked.
import { useCallback, useEffect, useRef, useState } from "react";
import { get, query } from "./api";
import { duration, t } from "./i18n";
import type { LiveEvent } from "./live";
import { Alert, useLive } from "./ui";

export type HourCounts = { hour: number; started: number; concluded: number; transferred_away: number };
export type Day = {
  date: string;
  time_zone: string;
  started: number;
  received: number;
  concluded: number;
  transferred_away: number;
  handled: number;
  average_handling: number;
  by_hour: HourCounts[];
};

const series = [
  ["started", "bar-started"],
  ["concluded", "bar-concluded"],
  ["transferred_away", "bar-transferred"],
] as const;

export default function MyDay() {
  const [date, setDate] = useState("");
  const [day, setDay] = useState<Day | null>(null);
  const [error, setError] = useState("");
  const load = useCallback(() => {
    get<Day>("/me/day" + query({ date })).then(
      (d) => {
        setDay(d);
        setError("");
      },
      (e) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [date]);
  useEffect(load, [load]);

  // Today's figures move as conversations are assigned, transferred and
  // closed: read them again, at most once a second.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (date !== "" || !/^conversation\.|^reload$/.test(e.kind)) return;
        clearTimeout(pending.current);
        pending.current = setTimeout(load, 1000);
      },
      [date, load],
    ),
  );
  useEffect(() => () => clearTimeout(pending.current), []);

  const picker = (
    <label className="inline">
      {t("day")}{" "}
      <input type="date" value={date || day?.date || ""} max={day && !date ? day.date : undefined} onChange={(e) => setDate(e.target.value)} />
    </label>
  );
  if (!day)
    return (
      <section className="pad screen">
        {error ? <Alert message={error} /> : <p className="muted">{t("loading")}</p>}
      </section>
    );
  const busy = day.by_hour.filter((h) => h.started || h.concluded || h.transferred_away).map((h) => h.hour);
  const from = Math.min(8, ...busy);
  const to = Math.max(18, ...busy);
  const max = Math.max(1, ...day.by_hour.map((h) => Math.max(h.started, h.concluded, h.transferred_away)));
  return (
    <section className="pad screen" aria-labelledby="myday-title">
      <h1 id="myday-title">{t("navMyDay")}</h1>
      <div className="toolbar">{picker}</div>
      <Alert message={error} />
      <div className="stat-cards">
        <Stat label={t("started")} value={day.started} id="day-started" />
        <Stat label={t("concluded")} value={day.concluded} id="day-concluded" />
        <Stat label={t("transferredAway")} value={day.transferred_away} id="day-transferred" />
        <Stat label={t("received")} value={day.received} id="day-received" />
        <Stat label={t("avgHandling")} value={duration(day.average_handling)} id="day-average" hint={t("handledCount", { n: day.handled })} />
      </div>
      <h2>{t("byHour")}</h2>
      <svg className="chart" viewBox={`0 0 ${(to - from + 1) * 36} 130`} role="img" aria-label={t("byHour")}>
        {day.by_hour.slice(from, to + 1).map((h, i) => (
          <g key={h.hour} transform={`translate(${i * 36},0)`}>
            {series.map(([k, cls], j) => (
              <rect key={k} x={3 + j * 10} y={110 - (100 * h[k]) / max} width={9} height={(100 * h[k]) / max} className={cls} data-hour={h.hour} data-series={k}>
                <title>{`${h.hour}h ${t(k === "transferred_away" ? "transferredAway" : k)}: ${h[k]}`}</title>
              </rect>
            ))}
            <text x={17} y={125} textAnchor="middle" fontSize="9">
              {h.hour}h
            </text>
          </g>
        ))}
      </svg>
      <p className="small">
        <span className="legend bar-started" /> {t("started")} <span className="legend bar-concluded" /> {t("concluded")}{" "}
        <span className="legend bar-transferred" /> {t("transferredAway")}
      </p>
      <p className="small muted">{t("dayZone", { z: day.time_zone })}</p>
    </section>
  );
}

function Stat({ label, value, id, hint }: { label: string; value: number | string; id: string; hint?: string }) {
  return (
    <div className="card stat">
      <span className="muted">{label}</span>
      <strong data-testid={id}>{value}</strong>
      {hint && <span className="muted small">{hint}</span>}
    </div>
  );
}

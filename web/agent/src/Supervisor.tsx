// The supervisor's live board: queues (waiting, longest wait) and agents
// (status, pause reason and for how long, active conversations against
// capacity).
import { useCallback, useEffect, useRef, useState } from "react";
import { get, type AgentLive, type Queue } from "./api";
import { duration, t } from "./i18n";
import type { LiveEvent } from "./live";
import { secondsSince, useLive, useNow } from "./ui";

export default function Supervisor() {
  const [queues, setQueues] = useState<Queue[]>([]);
  const [agents, setAgents] = useState<AgentLive[]>([]);
  const now = useNow(1000);
  const load = useCallback(async () => {
    const [q, a] = await Promise.all([get<{ queues: Queue[] }>("/queues"), get<{ agents: AgentLive[] }>("/agents")]);
    setQueues(q.queues);
    setAgents(a.agents);
  }, []);
  useEffect(() => {
    void load().catch(() => {});
    const id = setInterval(() => void load().catch(() => {}), 30000); // loads and capacities the events do not carry
    return () => clearInterval(id);
  }, [load]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (!/^(conversation|agent)\.|^reload$/.test(e.kind)) return;
        clearTimeout(timer.current);
        timer.current = setTimeout(() => void load().catch(() => {}), 200);
      },
      [load],
    ),
  );
  return (
    <section className="pad screen" aria-labelledby="board-title">
      <h1 id="board-title">{t("navSupervisor")}</h1>
      <h2>{t("queues")}</h2>
      <table className="grid board-queues">
        <thead>
          <tr>
            <th>{t("department")}</th>
            <th>{t("waiting")}</th>
            <th>{t("offered")}</th>
            <th>{t("longestWait")}</th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.department.id} data-department={q.department.name}>
              <th scope="row">{q.department.name}</th>
              <td className={"num" + (q.queued > 0 ? " attention" : "")} data-testid="queued">
                {q.queued}
              </td>
              <td className="num">{q.offered}</td>
              <td>{q.oldest_queued_at ? duration(secondsSince(q.oldest_queued_at, now)) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t("agents")}</h2>
      <table className="grid board-agents">
        <thead>
          <tr>
            <th>{t("agent")}</th>
            <th>{t("status")}</th>
            <th>{t("since")}</th>
            <th>{t("activeOfCapacity")}</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.id} data-agent={a.name}>
              <th scope="row">{a.name}</th>
              <td>
                <span className={"status-pill status-" + a.presence} data-testid="agent-presence">
                  {t(a.presence)}
                  {a.pause_reason && ` · ${a.pause_reason.name}`}
                </span>
              </td>
              <td>{a.since ? duration(secondsSince(a.since, now)) : "—"}</td>
              <td className="num" data-testid="agent-load">
                {a.serving} / {a.capacity}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

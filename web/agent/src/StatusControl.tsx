// Ready / Not ready / Pause with a reason; "pause pending" while the agent
// still has active conversations; the time in the current status.
import { useCallback, useEffect, useState } from "react";
import { get, post, type AgentStatus, type PauseReason } from "./api";
import { duration, t } from "./i18n";
import { useSession } from "./session";
import { secondsSince, useLive, useNow } from "./ui";
import type { LiveEvent } from "./live";

export function StatusControl() {
  const { me } = useSession();
  const [status, setStatus] = useState<AgentStatus | null>(null);
  const [reasons, setReasons] = useState<PauseReason[]>([]);
  const [error, setError] = useState("");
  const now = useNow(1000);

  const load = useCallback(() => {
    get<AgentStatus>("/presence").then(setStatus, () => {});
  }, []);
  useEffect(() => {
    load();
    get<{ pause_reasons: PauseReason[] }>("/pause-reasons").then((r) => setReasons(r.pause_reasons.filter((p) => p.active)), () => {});
  }, [load]);
  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (e.kind === "reload" || (e.kind === "agent.presence" && e.agent_id === me.id)) load();
      },
      [load, me.id],
    ),
  );

  async function choose(value: string) {
    setError("");
    // Offers notify in the background once the browser allows it: asked
    // when the agent gets ready, a gesture of theirs.
    if (value === "ready" && "Notification" in window && Notification.permission === "default") void Notification.requestPermission().catch(() => {});
    try {
      const body = value.startsWith("pause:") ? { presence: "paused", pause_reason_id: Number(value.slice(6)) } : { presence: value };
      setStatus(await post<AgentStatus>("/presence", body));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  if (!status) return null;
  const current = status.presence === "paused" || status.presence === "pause_pending" ? "pause:" + (status.pause_reason?.id ?? "") : status.presence;
  return (
    <div className={"status status-" + status.presence}>
      <span className="dot" aria-hidden="true" />
      <label>
        <span className="sr-only">{t("status")}</span>
        <select aria-label={t("status")} value={current} onChange={(e) => choose(e.target.value)}>
          <option value="ready">{t("ready")}</option>
          <option value="not_ready">{t("not_ready")}</option>
          {status.presence === "offline" && <option value="offline">{t("offline")}</option>}
          <optgroup label={t("pause")}>
            {reasons.map((r) => (
              <option key={r.id} value={"pause:" + r.id}>
                {t("pause")}: {r.name}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <span className="status-label" data-testid="presence">
        {t(status.presence)}
        {status.pause_reason && ` · ${status.pause_reason.name}`}
      </span>
      {status.since && <span className="muted status-time">{t("inStatusFor", { t: duration(secondsSince(status.since, now)) })}</span>}
      {status.presence === "pause_pending" && <span className="hint">{t("pausePendingHint")}</span>}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

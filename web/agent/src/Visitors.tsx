// Online visitors of the website chat: where they are and have been, and a
// proactive invitation to talk.
import { Fragment, useCallback, useEffect, useRef, useState } from "react";
import { get, post, type Visitor } from "./api";
import { duration, t } from "./i18n";
import type { LiveEvent } from "./live";
import { VisitorFacts } from "./SidePanel";
import { useLive } from "./ui";

export default function Visitors() {
  const [visitors, setVisitors] = useState<Visitor[]>([]);
  const [open, setOpen] = useState<number | null>(null);
  const [message, setMessage] = useState(t("inviteDefault"));
  const [notice, setNotice] = useState("");
  const load = useCallback(async () => setVisitors((await get<{ visitors: Visitor[] }>("/visitors")).visitors), []);
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (!e.kind.startsWith("visitor.") && e.kind !== "reload") return;
        clearTimeout(timer.current);
        timer.current = setTimeout(() => void load().catch(() => {}), 300);
      },
      [load],
    ),
  );

  async function invite(v: Visitor) {
    try {
      await post(`/visitors/${v.id}/invitations`, { message });
      setNotice("✓ " + (v.name || "#" + v.id));
    } catch (err) {
      setNotice(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section className="pad screen" aria-labelledby="visitors-title">
      <h1 id="visitors-title">
        {t("navVisitors")} <span className="count">{visitors.length}</span>
      </h1>
      <label className="inline-form">
        {t("invitation")} <input value={message} onChange={(e) => setMessage(e.target.value)} size={40} />
      </label>
      {notice && <p role="status">{notice}</p>}
      <table className="grid">
        <thead>
          <tr>
            <th>{t("visitor")}</th>
            <th>{t("pages")}</th>
            <th>{t("onSite")}</th>
            <th>{t("visits")}</th>
            <th>{t("status_")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {visitors.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t("noVisitors")}
              </td>
            </tr>
          )}
          {visitors.map((v) => (
            <Fragment key={v.id}>
              <tr>
                <td>
                  <button type="button" className="link" aria-expanded={open === v.id} onClick={() => setOpen(open === v.id ? null : v.id)}>
                    {v.contact?.name || v.name || `#${v.id}`}
                  </button>
                  <div className="muted small">
                    {v.browser} · {v.os} · {v.ip}
                  </div>
                </td>
                <td>
                  <span className="trail">{[...v.pages].reverse().map((p) => p.title || p.url).join(" → ")}</span>
                </td>
                <td>{duration(v.seconds_on_site)}</td>
                <td>{v.visits}</td>
                <td>{v.chatting ? t("chatting") : t("onSite")}</td>
                <td>
                  {!v.chatting && (
                    <button type="button" onClick={() => void invite(v)}>
                      {t("invite")}
                    </button>
                  )}
                </td>
              </tr>
              {open === v.id && (
                <tr>
                  <td colSpan={6}>
                    <VisitorFacts v={v} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}

import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { ApiError, get, post, whenUnauthorized, type Me, type Ref } from "./api";
import { Conversations } from "./Conversations";
import { t } from "./i18n";
import { live } from "./live";
import { Offers } from "./Offers";
import { navigate, usePath } from "./router";
import { SessionContext, useSession, type Session } from "./session";
import { SignIn } from "./SignIn";
import { StatusControl } from "./StatusControl";

const Queues = lazy(() => import("./Queues"));
const Visitors = lazy(() => import("./Visitors"));
const Finished = lazy(() => import("./Finished"));
const MyDay = lazy(() => import("./MyDay"));
const Supervisor = lazy(() => import("./Supervisor"));
const Admin = lazy(() => import("./Admin"));

type State = "loading" | "signed-out" | "ready";

export function App() {
  const [state, setState] = useState<State>("loading");
  const [session, setSession] = useState<Session | null>(null);
  const [expired, setExpired] = useState(false);
  const sessionRef = useRef<Session | null>(null);

  const load = useCallback(async () => {
    try {
      const me = await get<Me>("/me");
      if (sessionRef.current && sessionRef.current.me.id !== me.id) {
        location.reload(); // someone else signed in on this tab
        return;
      }
      const { departments } = await get<{ departments: Ref[] }>("/departments");
      const s = { me, departments };
      if (!sessionRef.current) await live.start();
      else live.reconnectNow();
      sessionRef.current = s;
      setSession(s);
      setExpired(false);
      setState("ready");
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        if (!sessionRef.current) setState("signed-out");
      } else {
        throw err;
      }
    }
  }, []);

  useEffect(() => {
    whenUnauthorized(() => {
      if (sessionRef.current) setExpired(true);
      else setState("signed-out");
    });
    void load();
  }, [load]);

  if (state === "loading") return <p className="splash">{t("loading")}</p>;
  if (state === "signed-out" || !session) return <SignIn onSignedIn={() => void load()} />;
  return (
    <SessionContext.Provider value={session}>
      <Workspace />
      {expired && <SignIn expired onSignedIn={() => void load()} />}
    </SessionContext.Provider>
  );
}

function Workspace() {
  const path = usePath();
  const [connected, setConnected] = useState(live.connected);
  useEffect(() => live.onState(setConnected), []);
  const session = useSession();
  const role = session.me.role;
  const nav: [string, string, boolean][] = [
    ["/", t("navConversations"), true],
    ["/queues", t("navQueues"), true],
    ["/visitors", t("navVisitors"), true],
    ["/finished", t("navFinished"), true],
    ["/my-day", t("navMyDay"), true],
    ["/supervisor", t("navSupervisor"), role !== "agent"],
    ["/admin", t("navAdmin"), role === "admin"],
  ];
  const section = "/" + (path.split("/")[1] ?? "");
  const current = section === "/conversations" ? "/" : section;
  let screen;
  if (current === "/") screen = <Conversations selected={Number(path.split("/")[2]) || null} />;
  else if (current === "/queues") screen = <Queues />;
  else if (current === "/visitors") screen = <Visitors />;
  else if (current === "/finished") screen = <Finished />;
  else if (current === "/my-day") screen = <MyDay />;
  else if (current === "/supervisor") screen = <Supervisor />;
  else if (current === "/admin") screen = <Admin />;
  else screen = <Conversations selected={null} />;

  return (
    <div className="app">
      <header className="topbar">
        <a
          className="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate("/");
          }}
        >
          {t("appName")}
        </a>
        <StatusControl />
        <span className="spacer" />
        {!connected && (
          <span className="offline-banner" role="status">
            {t("reconnecting")}
          </span>
        )}
        <span className="who">
          {session.me.name} · <span className="muted">{session.me.account.name}</span>
        </span>
        <button
          type="button"
          onClick={async () => {
            live.stop();
            await post("/auth/logout").catch(() => {});
            location.href = "/";
          }}
        >
          {t("signOut")}
        </button>
      </header>
      <nav className="sidebar" aria-label="Atende">
        <ul>
          {nav
            .filter(([, , show]) => show)
            .map(([href, label]) => (
              <li key={href}>
                <a
                  href={href}
                  aria-current={current === href ? "page" : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(href);
                  }}
                >
                  {label}
                </a>
              </li>
            ))}
        </ul>
      </nav>
      <main className="main">
        <Suspense fallback={<p className="muted pad">{t("loading")}</p>}>{screen}</Suspense>
      </main>
      <Offers />
    </div>
  );
}

// Administration: departments with their routing settings and members,
// users, pause reasons, close reasons, tags, canned responses, bindings and
// website chat channels. Plain forms over the API.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { del, get, patch, post, put, type CloseReason, type PauseReason, type Ref, type RoutingSettings, type Canned } from "./api";
import { t } from "./i18n";

type Section = "departments" | "users" | "pauseReasons" | "closeReasons" | "tags" | "canned" | "bindings" | "webchatChannels";
const sections: Section[] = ["departments", "users", "pauseReasons", "closeReasons", "tags", "canned", "bindings", "webchatChannels"];

export default function Admin() {
  const [section, setSection] = useState<Section>("departments");
  return (
    <section className="pad screen admin" aria-labelledby="admin-title">
      <h1 id="admin-title">{t("navAdmin")}</h1>
      <div className="tabs" role="tablist">
        {sections.map((s) => (
          <button key={s} type="button" role="tab" aria-selected={section === s} onClick={() => setSection(s)}>
            {t(s)}
          </button>
        ))}
      </div>
      {section === "departments" && <Departments />}
      {section === "users" && <Users />}
      {section === "pauseReasons" && <PauseReasons />}
      {section === "closeReasons" && <CloseReasons />}
      {section === "tags" && <Tags />}
      {section === "canned" && <CannedAdmin />}
      {section === "bindings" && <Bindings />}
      {section === "webchatChannels" && <Webchat />}
    </section>
  );
}

function useList<T>(path: string, key: string): [T[], () => void, string, (e: unknown) => void] {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState("");
  const load = useCallback(() => {
    get<Record<string, T[]>>(path).then((r) => setItems(r[key] ?? []), (e) => setError(String(e)));
  }, [path, key]);
  useEffect(load, [load]);
  return [items, load, error, (e) => setError(e instanceof Error ? e.message : String(e))];
}

function Err({ e }: { e: string }) {
  return e ? (
    <p className="field-error" role="alert">
      {e}
    </p>
  ) : null;
}

function AddForm({ children, onSubmit }: { children: ReactNode; onSubmit: () => Promise<void> }) {
  return (
    <form
      className="toolbar add-form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      {children}
      <button type="submit" className="primary">
        {t("add")}
      </button>
    </form>
  );
}

function Departments() {
  const [deps, load, error, fail] = useList<Ref>("/departments", "departments");
  const [name, setName] = useState("");
  const [open, setOpen] = useState<number | null>(null);
  const [settings, setSettings] = useState<{ external_protocol_required: boolean } | null>(null);
  useEffect(() => {
    get<{ external_protocol_required: boolean }>("/account/settings").then(setSettings, () => {});
  }, []);
  return (
    <div>
      {settings && (
        <label className="inline">
          <input
            type="checkbox"
            checked={settings.external_protocol_required}
            onChange={async (e) => setSettings(await patch("/account/settings", { external_protocol_required: e.target.checked }))}
          />{" "}
          {t("externalProtocolRequired")}
        </label>
      )}
      <AddForm
        onSubmit={async () => {
          try {
            await post("/departments", { name });
            setName("");
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("name")} <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      </AddForm>
      <Err e={error} />
      <ul className="plain admin-list">
        {deps.map((d) => (
          <li key={d.id}>
            <button type="button" className="link" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? null : d.id)}>
              {d.name}
            </button>
            {open === d.id && <DepartmentRouting id={d.id} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function DepartmentRouting({ id }: { id: number }) {
  const [s, setS] = useState<RoutingSettings | null>(null);
  const [members, setMembers] = useState<Ref[]>([]);
  const [users, setUsers] = useState<Ref[]>([]);
  const [add, setAdd] = useState("");
  const [msg, setMsg] = useState("");
  const loadMembers = useCallback(() => {
    get<{ members: Ref[] }>(`/departments/${id}/members`).then((r) => setMembers(r.members), () => {});
  }, [id]);
  useEffect(() => {
    get<RoutingSettings>(`/departments/${id}/routing`).then(setS, () => {});
    get<{ users: Ref[] }>("/users").then((r) => setUsers(r.users), () => {});
    loadMembers();
  }, [id, loadMembers]);
  if (!s) return null;
  return (
    <div className="card admin-card">
      <form
        className="grid-form"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            setS(await put<RoutingSettings>(`/departments/${id}/routing`, s));
            setMsg(t("saved"));
          } catch (err) {
            setMsg(String(err));
          }
        }}
      >
        <label>
          {t("distribution")}
          <select value={s.distribution} onChange={(e) => setS({ ...s, distribution: e.target.value as RoutingSettings["distribution"] })}>
            <option value="auto">auto</option>
            <option value="manual">manual</option>
          </select>
        </label>
        <label>
          {t("policy")}
          <select value={s.policy} onChange={(e) => setS({ ...s, policy: e.target.value })}>
            <option value="least_busy">least_busy</option>
            <option value="round_robin">round_robin</option>
            <option value="longest_idle">longest_idle</option>
          </select>
        </label>
        <label>
          {t("offerMode")}
          <select value={s.offer_mode} onChange={(e) => setS({ ...s, offer_mode: e.target.value as RoutingSettings["offer_mode"] })}>
            <option value="offer">offer</option>
            <option value="direct">direct</option>
          </select>
        </label>
        <label>
          {t("offerTimeout")} <input type="number" min={5} value={s.offer_timeout_s} onChange={(e) => setS({ ...s, offer_timeout_s: Number(e.target.value) })} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={s.close_reason_required} onChange={(e) => setS({ ...s, close_reason_required: e.target.checked })} /> {t("closeReasonRequired")}
        </label>
        <label className="inline">
          <input type="checkbox" checked={s.binding} onChange={(e) => setS({ ...s, binding: e.target.checked })} /> {t("bindings")}
        </label>
        <button type="submit" className="primary">
          {t("save")}
        </button>
        {msg && <span role="status">{msg}</span>}
      </form>
      <h3>{t("members")}</h3>
      <ul className="plain">
        {members.map((m) => (
          <li key={m.id}>
            {m.name}{" "}
            <button type="button" className="link" onClick={() => void del(`/departments/${id}/members/${m.id}`).then(loadMembers)}>
              {t("remove")}
            </button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (add) await put(`/departments/${id}/members/${add}`).then(loadMembers, () => {});
        }}
      >
        <select aria-label={t("members")} value={add} onChange={(e) => setAdd(e.target.value)}>
          <option value="">—</option>
          {users
            .filter((u) => !members.some((m) => m.id === u.id))
            .map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
        </select>
        <button type="submit">{t("add")}</button>
      </form>
    </div>
  );
}

function Users() {
  const [users, load, error, fail] = useList<Ref & { email: string; role: string }>("/users", "users");
  const [f, setF] = useState({ name: "", email: "", role: "agent", password: "" });
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            await post("/users", f);
            setF({ name: "", email: "", role: "agent", password: "" });
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("name")} <input required value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
        </label>
        <label>
          {t("email")} <input required type="email" value={f.email} onChange={(e) => setF({ ...f, email: e.target.value })} />
        </label>
        <label>
          {t("role")}
          <select value={f.role} onChange={(e) => setF({ ...f, role: e.target.value })}>
            <option value="agent">agent</option>
            <option value="supervisor">supervisor</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          {t("password")} <input required type="password" autoComplete="new-password" value={f.password} onChange={(e) => setF({ ...f, password: e.target.value })} />
        </label>
      </AddForm>
      <Err e={error} />
      <table className="grid">
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>{u.role}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PauseReasons() {
  const [items, load, error, fail] = useList<PauseReason>("/pause-reasons", "pause_reasons");
  const [name, setName] = useState("");
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            await post("/pause-reasons", { name });
            setName("");
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("name")} <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      </AddForm>
      <Err e={error} />
      <ul className="plain admin-list">
        {items.map((r) => (
          <li key={r.id} className={r.active ? "" : "muted"}>
            {r.name}{" "}
            {r.active && (
              <button type="button" className="link" onClick={() => void del(`/pause-reasons/${r.id}`).then(load, fail)}>
                {t("remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function CloseReasons() {
  const [items, load, error, fail] = useList<CloseReason>("/close-reasons", "close_reasons");
  const [deps] = useList<Ref>("/departments", "departments");
  const [name, setName] = useState("");
  const [dep, setDep] = useState("");
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            await post("/close-reasons", dep ? { name, department_id: Number(dep) } : { name });
            setName("");
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("name")} <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t("department")}
          <select value={dep} onChange={(e) => setDep(e.target.value)}>
            <option value="">{t("allDepartments")}</option>
            {deps.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
      </AddForm>
      <Err e={error} />
      <ul className="plain admin-list">
        {items.map((r) => (
          <li key={r.id} className={r.active ? "" : "muted"}>
            {r.name} <span className="muted small">{deps.find((d) => d.id === r.department_id)?.name ?? t("allDepartments")}</span>{" "}
            {r.active && (
              <button type="button" className="link" onClick={() => void del(`/close-reasons/${r.id}`).then(load, fail)}>
                {t("remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Tags() {
  const [tags] = useList<{ tag: string; conversations: number }>("/tags", "tags");
  return (
    <ul className="tags">
      {tags.map((tg) => (
        <li key={tg.tag} className="tag">
          {tg.tag} <span className="muted small">{tg.conversations}</span>
        </li>
      ))}
    </ul>
  );
}

function CannedAdmin() {
  const [items, load, error, fail] = useList<Canned>("/canned-responses", "canned_responses");
  const [deps] = useList<Ref>("/departments", "departments");
  const [f, setF] = useState({ scope: "account", department_id: "", shortcut: "", title: "", body: "" });
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            const body: Record<string, unknown> = { scope: f.scope, shortcut: f.shortcut, title: f.title, body: f.body };
            if (f.scope === "department") body.department_id = Number(f.department_id);
            await post("/canned-responses", body);
            setF({ ...f, shortcut: "", title: "", body: "" });
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("scope")}
          <select value={f.scope} onChange={(e) => setF({ ...f, scope: e.target.value })}>
            <option value="account">account</option>
            <option value="department">department</option>
            <option value="personal">personal</option>
          </select>
        </label>
        {f.scope === "department" && (
          <label>
            {t("department")}
            <select required value={f.department_id} onChange={(e) => setF({ ...f, department_id: e.target.value })}>
              <option value="">—</option>
              {deps.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {t("shortcut")} <input required value={f.shortcut} onChange={(e) => setF({ ...f, shortcut: e.target.value })} />
        </label>
        <label>
          {t("title")} <input value={f.title} onChange={(e) => setF({ ...f, title: e.target.value })} />
        </label>
        <label>
          {t("body")} <textarea required rows={2} value={f.body} onChange={(e) => setF({ ...f, body: e.target.value })} />
        </label>
      </AddForm>
      <Err e={error} />
      <table className="grid">
        <tbody>
          {items.map((c) => (
            <tr key={c.id}>
              <td>/{c.shortcut}</td>
              <td>{c.title}</td>
              <td>{c.body}</td>
              <td>{c.scope}</td>
              <td>
                <button type="button" className="link" onClick={() => void del(`/canned-responses/${c.id}`).then(load, fail)}>
                  {t("remove")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Bindings() {
  type B = { department_id: number; contact_id: number; contact_name: string; agent_id: number; agent_name: string };
  const [items, load, error, fail] = useList<B>("/bindings", "bindings");
  const [deps] = useList<Ref>("/departments", "departments");
  const [users] = useList<Ref>("/users", "users");
  const [f, setF] = useState({ department_id: "", contact_id: "", agent_id: "" });
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            await put(`/bindings/${f.department_id}/${f.contact_id}`, { agent_id: Number(f.agent_id) });
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("department")}
          <select required value={f.department_id} onChange={(e) => setF({ ...f, department_id: e.target.value })}>
            <option value="">—</option>
            {deps.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("contact")} (id) <input required inputMode="numeric" value={f.contact_id} onChange={(e) => setF({ ...f, contact_id: e.target.value })} />
        </label>
        <label>
          {t("agent")}
          <select required value={f.agent_id} onChange={(e) => setF({ ...f, agent_id: e.target.value })}>
            <option value="">—</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
      </AddForm>
      <Err e={error} />
      <table className="grid">
        <tbody>
          {items.map((b) => (
            <tr key={`${b.department_id}-${b.contact_id}`}>
              <td>{deps.find((d) => d.id === b.department_id)?.name}</td>
              <td>{b.contact_name}</td>
              <td>{b.agent_name}</td>
              <td>
                <button type="button" className="link" onClick={() => void del(`/bindings/${b.department_id}/${b.contact_id}`).then(load, fail)}>
                  {t("remove")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Webchat() {
  type W = { id: number; name: string; department_id: number; allowed_origins: string[]; snippet: string };
  const [items, load, error, fail] = useList<W>("/webchat/channels", "channels");
  const [deps] = useList<Ref>("/departments", "departments");
  const [f, setF] = useState({ name: "", department_id: "", origins: "" });
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            await post("/webchat/channels", {
              name: f.name,
              department_id: Number(f.department_id),
              allowed_origins: f.origins.split(/\s+/).filter(Boolean),
            });
            setF({ name: "", department_id: "", origins: "" });
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("name")} <input required value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
        </label>
        <label>
          {t("department")}
          <select required value={f.department_id} onChange={(e) => setF({ ...f, department_id: e.target.value })}>
            <option value="">—</option>
            {deps.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("allowedOrigins")} <textarea required rows={2} value={f.origins} onChange={(e) => setF({ ...f, origins: e.target.value })} />
        </label>
      </AddForm>
      <Err e={error} />
      <ul className="plain admin-list">
        {items.map((w) => (
          <li key={w.id} className="card admin-card">
            <strong>{w.name}</strong> <span className="muted small">{w.allowed_origins.join(" ")}</span>
            <label>
              {t("snippet")}
              <textarea readOnly rows={2} value={w.snippet} />
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}

// Administration: departments with their routing settings and members,
// users, pause reasons, close reasons, tags, canned responses, bindings and
// website chat channels. Plain forms over the API: each item is created,
// edited in place and removed (or deactivated); the API's validation errors
// show next to the field they name.
import { Fragment, useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, del, get, patch, post, put, type CloseReason, type PauseReason, type Ref, type RoutingSettings, type Canned } from "./api";
import { t, type Key } from "./i18n";
import type { LiveEvent } from "./live";
import { Options, useLive } from "./ui";

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


// useSave runs a save and keeps its outcome: a "saved" note, or the API's
// error under the field it names (the first of `fields` it matches, by name or
// as a prefix: "greeting.en" or "allowed_origins"), or under "" for the form.
export function useSave(fields: string[]) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [note, setNote] = useState("");
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setErrors({});
    setNote("");
    try {
      await fn();
      setNote(t("saved"));
      return true;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const f = e instanceof ApiError && e.field ? e.field : "";
      const match = f ? fields.find((k) => f === k || f.startsWith(k + ".") || f.startsWith(k + "[")) : undefined;
      setErrors({ [match ?? ""]: match ? msg : f ? `${f}: ${msg}` : msg });
      return false;
    }
  };
  return { errors, note, run };
}

// Field: a labelled control with the error the API gave for it.
function Field({ label, error, children, inline }: { label: string; error?: string; children: ReactNode; inline?: boolean }) {
  return (
    <div className={inline ? "field inline" : "field"}>
      <label className={inline ? "inline" : undefined}>
        {inline ? children : label}
        {inline ? " " + label : children}
      </label>
      <Err e={error ?? ""} />
    </div>
  );
}

function FormEnd({ note, error, onCancel }: { note: string; error?: string; onCancel?: () => void }) {
  return (
    <div className="form-end">
      <button type="submit" className="primary">
        {t("save")}
      </button>
      {onCancel && (
        <button type="button" onClick={onCancel}>
          {t("cancel")}
        </button>
      )}
      {note && <span role="status">{note}</span>}
      <Err e={error ?? ""} />
    </div>
  );
}

function EditButton({ open, onClick, name }: { open: boolean; onClick: () => void; name: string }) {
  return (
    <button type="button" className="link" aria-expanded={open} aria-label={`${t("edit")}: ${name}`} onClick={onClick}>
      {t("edit")}
    </button>
  );
}

function submitter(fn: () => void) {
  return (e: FormEvent) => {
    e.preventDefault();
    fn();
  };
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

function confirmRemove(name: string) {
  return typeof window === "undefined" || window.confirm(t("confirmRemove", { name }));
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
            onChange={async (e) => {
              try {
                setSettings(await patch("/account/settings", { external_protocol_required: e.target.checked }));
              } catch (err) {
                fail(err);
              }
            }}
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
            {open === d.id && (
              <div className="card admin-card">
                <DepartmentEdit
                  dep={d}
                  onSaved={load}
                  onRemoved={() => {
                    setOpen(null);
                    load();
                  }}
                />
                <DepartmentRouting id={d.id} />
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function DepartmentEdit({ dep, onSaved, onRemoved }: { dep: Ref; onSaved: () => void; onRemoved: () => void }) {
  const [name, setName] = useState(dep.name);
  const { errors, note, run } = useSave(["name"]);
  return (
    <form className="inline-form edit-form" onSubmit={submitter(() => void run(() => patch(`/departments/${dep.id}`, { name })).then((ok) => ok && onSaved()))}>
      <Field label={t("name")} error={errors.name}>
        <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <FormEnd note={note} error={errors[""]} />
      <button
        type="button"
        className="link danger"
        onClick={() => {
          if (confirmRemove(dep.name)) void run(() => del(`/departments/${dep.id}`)).then((ok) => ok && onRemoved());
        }}
      >
        {t("remove")}
      </button>
    </form>
  );
}

const routingFields = ["distribution", "policy", "offer_mode", "offer_timeout_s", "binding", "binding_notify", "inactivity_s", "abandonment_s", "close_reason_required"];

function DepartmentRouting({ id }: { id: number }) {
  const [s, setS] = useState<RoutingSettings | null>(null);
  const [members, setMembers] = useState<Ref[]>([]);
  const [users, setUsers] = useState<Ref[]>([]);
  const [add, setAdd] = useState("");
  const { errors, note, run } = useSave(routingFields);
  const loadMembers = useCallback(() => {
    get<{ members: Ref[] }>(`/departments/${id}/members`).then((r) => setMembers(r.members), () => {});
  }, [id]);
  useEffect(() => {
    get<RoutingSettings>(`/departments/${id}/routing`).then(setS, () => {});
    get<{ users: Ref[] }>("/users").then((r) => setUsers(r.users), () => {});
    loadMembers();
  }, [id, loadMembers]);
  if (!s) return null;
  const num = (k: keyof RoutingSettings) => (e: { target: { value: string } }) => setS({ ...s, [k]: Number(e.target.value) });
  const check = (k: keyof RoutingSettings) => (e: { target: { checked: boolean } }) => setS({ ...s, [k]: e.target.checked });
  return (
    <>
      <h3>{t("routing")}</h3>
      <form className="grid-form" onSubmit={submitter(() => void run(async () => setS(await put<RoutingSettings>(`/departments/${id}/routing`, s))))}>
        <Field label={t("distribution")} error={errors.distribution}>
          <select value={s.distribution} onChange={(e) => setS({ ...s, distribution: e.target.value as RoutingSettings["distribution"] })}>
            <option value="auto">auto</option>
            <option value="manual">manual</option>
          </select>
        </Field>
        <Field label={t("policy")} error={errors.policy}>
          <select value={s.policy} onChange={(e) => setS({ ...s, policy: e.target.value })}>
            <option value="least_busy">least_busy</option>
            <option value="round_robin">round_robin</option>
            <option value="longest_idle">longest_idle</option>
          </select>
        </Field>
        <Field label={t("offerMode")} error={errors.offer_mode}>
          <select value={s.offer_mode} onChange={(e) => setS({ ...s, offer_mode: e.target.value as RoutingSettings["offer_mode"] })}>
            <option value="offer">offer</option>
            <option value="direct">direct</option>
          </select>
        </Field>
        <Field label={t("offerTimeout")} error={errors.offer_timeout_s}>
          <input type="number" min={5} max={600} required value={s.offer_timeout_s} onChange={num("offer_timeout_s")} />
        </Field>
        <Field label={t("inactivityS")} error={errors.inactivity_s}>
          <input type="number" min={60} required value={s.inactivity_s} onChange={num("inactivity_s")} />
        </Field>
        <Field label={t("abandonmentS")} error={errors.abandonment_s}>
          <input type="number" min={60} required value={s.abandonment_s} onChange={num("abandonment_s")} />
        </Field>
        <Field inline label={t("closeReasonRequired")} error={errors.close_reason_required}>
          <input type="checkbox" checked={s.close_reason_required} onChange={check("close_reason_required")} />
        </Field>
        <Field inline label={t("bindings")} error={errors.binding}>
          <input type="checkbox" checked={s.binding} onChange={check("binding")} />
        </Field>
        <Field inline label={t("bindingNotify")} error={errors.binding_notify}>
          <input type="checkbox" checked={s.binding_notify} onChange={check("binding_notify")} />
        </Field>
        <FormEnd note={note} error={errors[""]} />
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
    </>
  );
}

type User = Ref & { email: string; role: string };
type AgentRouting = { capacity: number; auto_distribution: boolean };
const roles = ["agent", "supervisor", "admin"];

function Users() {
  const [users, load, error, fail] = useList<User>("/users", "users");
  const [f, setF] = useState({ name: "", email: "", role: "agent", password: "" });
  const [open, setOpen] = useState<number | null>(null);
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
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
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
            <Fragment key={u.id}>
              <tr>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>
                  <EditButton name={u.name} open={open === u.id} onClick={() => setOpen(open === u.id ? null : u.id)} />
                </td>
              </tr>
              {open === u.id && (
                <tr>
                  <td colSpan={4}>
                    <UserEdit
                      user={u}
                      onSaved={load}
                      onRemoved={() => {
                        setOpen(null);
                        load();
                      }}
                    />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// UserEdit edits a user and, below, their routing (capacity, automatic
// distribution), read from GET /users/{id}/routing.
export function UserEdit({ user, onSaved, onRemoved }: { user: User; onSaved: () => void; onRemoved: () => void }) {
  const [f, setF] = useState({ name: user.name, email: user.email, role: user.role, password: "" });
  const [r, setR] = useState<AgentRouting | null>(null);
  const [routingError, setRoutingError] = useState("");
  useEffect(() => {
    get<AgentRouting>(`/users/${user.id}/routing`).then(setR, (e) => setRoutingError(e instanceof Error ? e.message : String(e)));
  }, [user.id]);
  const u = useSave(["name", "email", "role", "password"]);
  const rs = useSave(["capacity", "auto_distribution"]);
  return (
    <div className="admin-card">
      <form
        className="grid-form edit-form"
        onSubmit={submitter(() => {
          const body: Record<string, string> = { name: f.name, email: f.email, role: f.role };
          if (f.password) body.password = f.password;
          void u.run(() => patch(`/users/${user.id}`, body)).then((ok) => {
            if (ok) {
              setF({ ...f, password: "" });
              onSaved();
            }
          });
        })}
      >
        <Field label={t("name")} error={u.errors.name}>
          <input required maxLength={100} value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
        </Field>
        <Field label={t("email")} error={u.errors.email}>
          <input required type="email" value={f.email} onChange={(e) => setF({ ...f, email: e.target.value })} />
        </Field>
        <Field label={t("role")} error={u.errors.role}>
          <select value={f.role} onChange={(e) => setF({ ...f, role: e.target.value })}>
            {roles.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("newPassword")} error={u.errors.password}>
          <input type="password" minLength={8} autoComplete="new-password" value={f.password} onChange={(e) => setF({ ...f, password: e.target.value })} />
        </Field>
        <FormEnd note={u.note} error={u.errors[""]} />
        <button
          type="button"
          className="link danger"
          onClick={() => {
            if (confirmRemove(user.name)) void u.run(() => del(`/users/${user.id}`)).then((ok) => ok && onRemoved());
          }}
        >
          {t("remove")}
        </button>
      </form>
      <h3>{t("routing")}</h3>
      <Err e={routingError} />
      {r && (
        <form className="inline-form edit-form routing-form" onSubmit={submitter(() => void rs.run(async () => setR(await put<AgentRouting>(`/users/${user.id}/routing`, r))).then((ok) => ok && onSaved()))}>
          <Field label={t("capacity")} error={rs.errors.capacity}>
            <input type="number" min={1} max={100} required value={r.capacity} onChange={(e) => setR({ ...r, capacity: Number(e.target.value) })} />
          </Field>
          <Field inline label={t("autoDistribution")} error={rs.errors.auto_distribution}>
            <input type="checkbox" checked={r.auto_distribution} onChange={(e) => setR({ ...r, auto_distribution: e.target.checked })} />
          </Field>
          <FormEnd note={rs.note} error={rs.errors[""]} />
        </form>
      )}
    </div>
  );
}

function PauseReasons() {
  const [items, load, error, fail] = useList<PauseReason>("/pause-reasons", "pause_reasons");
  const [name, setName] = useState("");
  const [open, setOpen] = useState<number | null>(null);
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
            {r.name} <EditButton name={r.name} open={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)} />{" "}
            {r.active && (
              <button type="button" className="link" onClick={() => void del(`/pause-reasons/${r.id}`).then(load, fail)}>
                {t("remove")}
              </button>
            )}
            {open === r.id && <ReasonEdit path={`/pause-reasons/${r.id}`} reason={r} maxName={60} onSaved={load} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

// ReasonEdit edits a pause reason (name, active) or a close reason (also its
// department, 0 for every department).
function ReasonEdit({ path, reason, maxName, departments, onSaved }: { path: string; reason: { name: string; active: boolean; department_id?: number | null }; maxName: number; departments?: Ref[]; onSaved: () => void }) {
  const [f, setF] = useState({ name: reason.name, active: reason.active, department_id: String(reason.department_id ?? 0) });
  const { errors, note, run } = useSave(["name", "active", "department_id"]);
  return (
    <form
      className="inline-form edit-form"
      onSubmit={submitter(() => {
        const body: Record<string, unknown> = { name: f.name, active: f.active };
        if (departments) body.department_id = Number(f.department_id);
        void run(() => patch(path, body)).then((ok) => ok && onSaved());
      })}
    >
      <Field label={t("name")} error={errors.name}>
        <input required maxLength={maxName} value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
      </Field>
      {departments && (
        <Field label={t("department")} error={errors.department_id}>
          <select value={f.department_id} onChange={(e) => setF({ ...f, department_id: e.target.value })}>
            <option value="0">{t("allDepartments")}</option>
            {departments.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field inline label={t("active")} error={errors.active}>
        <input type="checkbox" checked={f.active} onChange={(e) => setF({ ...f, active: e.target.checked })} />
      </Field>
      <FormEnd note={note} error={errors[""]} />
    </form>
  );
}

function CloseReasons() {
  const [items, load, error, fail] = useList<CloseReason>("/close-reasons", "close_reasons");
  const [deps] = useList<Ref>("/departments", "departments");
  const [name, setName] = useState("");
  const [dep, setDep] = useState("");
  const [open, setOpen] = useState<number | null>(null);
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
            <Options none={t("allDepartments")} items={deps} />
          </select>
        </label>
      </AddForm>
      <Err e={error} />
      <ul className="plain admin-list">
        {items.map((r) => (
          <li key={r.id} className={r.active ? "" : "muted"}>
            {r.name} <span className="muted small">{deps.find((d) => d.id === r.department_id)?.name ?? t("allDepartments")}</span>{" "}
            <EditButton name={r.name} open={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)} />{" "}
            {r.active && (
              <button type="button" className="link" onClick={() => void del(`/close-reasons/${r.id}`).then(load, fail)}>
                {t("remove")}
              </button>
            )}
            {open === r.id && <ReasonEdit path={`/close-reasons/${r.id}`} reason={r} maxName={100} departments={deps} onSaved={load} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

type TagItem = { id: number; tag: string; conversations: number };

// Tags: the account's catalogue. Renaming one renames it on every
// conversation that carries it; removing one takes it off them, so the
// confirmation says how many.
function Tags() {
  const [tags, load, error, fail] = useList<TagItem>("/tags", "tags");
  const [name, setName] = useState("");
  const [open, setOpen] = useState<number | null>(null);
  useLive(useCallback((e: LiveEvent) => void (e.kind === "tag.changed" && load()), [load]));
  return (
    <div>
      <AddForm
        onSubmit={async () => {
          try {
            await post("/tags", { tag: name });
            setName("");
            load();
          } catch (e) {
            fail(e);
          }
        }}
      >
        <label>
          {t("tag")} <input required maxLength={50} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      </AddForm>
      <Err e={error} />
      <ul className="plain admin-list">
        {tags.map((tg) => (
          <li key={tg.id} data-tag={tg.tag}>
            <span className="tag">{tg.tag}</span> <span className="muted small">{t("tagConversations", { n: tg.conversations })}</span>{" "}
            <EditButton name={tg.tag} open={open === tg.id} onClick={() => setOpen(open === tg.id ? null : tg.id)} />{" "}
            <button
              type="button"
              className="link danger"
              aria-label={`${t("remove")}: ${tg.tag}`}
              onClick={() => {
                if (typeof window === "undefined" || window.confirm(t("confirmRemoveTag", { name: tg.tag, n: tg.conversations }))) void del(`/tags/${tg.id}`).then(load, fail);
              }}
            >
              {t("remove")}
            </button>
            {open === tg.id && (
              <TagEdit
                tag={tg}
                onSaved={() => {
                  setOpen(null);
                  load();
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function TagEdit({ tag, onSaved }: { tag: TagItem; onSaved: () => void }) {
  const [name, setName] = useState(tag.tag);
  const { errors, note, run } = useSave(["tag"]);
  return (
    <form className="inline-form edit-form" onSubmit={submitter(() => void run(() => patch(`/tags/${tag.id}`, { tag: name })).then((ok) => ok && onSaved()))}>
      <Field label={t("tagName")} error={errors.tag}>
        <input required maxLength={50} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <FormEnd note={note} error={errors[""]} />
    </form>
  );
}

function CannedAdmin() {
  const [items, load, error, fail] = useList<Canned>("/canned-responses", "canned_responses");
  const [deps] = useList<Ref>("/departments", "departments");
  const [f, setF] = useState({ scope: "account", department_id: "", shortcut: "", title: "", body: "" });
  const [open, setOpen] = useState<number | null>(null);
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
              <Options none={"—"} items={deps} />
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
            <Fragment key={c.id}>
              <tr>
                <td>/{c.shortcut}</td>
                <td>{c.title}</td>
                <td>{c.body}</td>
                <td>{c.department ? `${c.scope}: ${c.department.name}` : c.scope}</td>
                <td>
                  <EditButton name={"/" + c.shortcut} open={open === c.id} onClick={() => setOpen(open === c.id ? null : c.id)} />{" "}
                  <button type="button" className="link" onClick={() => void del(`/canned-responses/${c.id}`).then(load, fail)}>
                    {t("remove")}
                  </button>
                </td>
              </tr>
              {open === c.id && (
                <tr>
                  <td colSpan={5}>
                    <CannedEdit canned={c} onSaved={load} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CannedEdit({ canned, onSaved }: { canned: Canned; onSaved: () => void }) {
  const [f, setF] = useState({ shortcut: canned.shortcut, title: canned.title, body: canned.body });
  const { errors, note, run } = useSave(["shortcut", "title", "body"]);
  return (
    <form className="grid-form edit-form" onSubmit={submitter(() => void run(() => patch(`/canned-responses/${canned.id}`, f)).then((ok) => ok && onSaved()))}>
      <Field label={t("shortcut")} error={errors.shortcut}>
        <input required maxLength={31} value={f.shortcut} onChange={(e) => setF({ ...f, shortcut: e.target.value })} />
      </Field>
      <Field label={t("title")} error={errors.title}>
        <input maxLength={100} value={f.title} onChange={(e) => setF({ ...f, title: e.target.value })} />
      </Field>
      <Field label={t("body")} error={errors.body}>
        <textarea required rows={3} maxLength={10000} value={f.body} onChange={(e) => setF({ ...f, body: e.target.value })} />
      </Field>
      <FormEnd note={note} error={errors[""]} />
    </form>
  );
}

function Bindings() {
  type B = { department_id: number; contact_id: number; contact_name: string; agent_id: number; agent_name: string };
  const [items, load, error, fail] = useList<B>("/bindings", "bindings");
  const [deps] = useList<Ref>("/departments", "departments");
  const [users] = useList<Ref>("/users", "users");
  const [f, setF] = useState({ department_id: "", contact_id: "", agent_id: "" });
  const userOptions = users.map((u) => (
    <option key={u.id} value={u.id}>
      {u.name}
    </option>
  ));
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
            <Options none={"—"} items={deps} />
          </select>
        </label>
        <label>
          {t("contact")} (id) <input required inputMode="numeric" value={f.contact_id} onChange={(e) => setF({ ...f, contact_id: e.target.value })} />
        </label>
        <label>
          {t("agent")}
          <select required value={f.agent_id} onChange={(e) => setF({ ...f, agent_id: e.target.value })}>
            <option value="">—</option>
            {userOptions}
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
              <td>
                <select
                  aria-label={`${t("agent")}: ${b.contact_name}`}
                  value={b.agent_id}
                  onChange={(e) => void put(`/bindings/${b.department_id}/${b.contact_id}`, { agent_id: Number(e.target.value) }).then(load, fail)}
                >
                  {userOptions}
                </select>
              </td>
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

type Need = "off" | "optional" | "required";
type Texts = { "pt-BR": string; en: string };
export type WebchatChannel = {
  id: number;
  name: string;
  department_id: number;
  allowed_origins: string[];
  departments: number[];
  prechat: { name: Need; email: Need; phone: Need; department: Need };
  color: string;
  text_color: string;
  greeting: Texts;
  offline_message: Texts;
  identity_verification: boolean;
  identity_secret?: string;
  snippet: string;
};
const needs: Need[] = ["off", "optional", "required"];
const prechatFields = [
  ["name", "name"],
  ["email", "email"],
  ["phone", "phone"],
  ["department", "department"],
] as const satisfies readonly (readonly [keyof WebchatChannel["prechat"], Key])[];
const webchatFields = ["name", "department_id", "allowed_origins", "departments", "prechat.name", "prechat.email", "prechat.phone", "prechat.department", "prechat", "color", "text_color", "greeting.pt-BR", "greeting.en", "greeting", "offline_message.pt-BR", "offline_message.en", "offline_message", "identity_verification"];

function Webchat() {
  type W = { id: number; name: string; department_id: number; allowed_origins: string[]; snippet: string };
  const [items, load, error, fail] = useList<W>("/webchat/channels", "channels");
  const [deps] = useList<Ref>("/departments", "departments");
  const [f, setF] = useState({ name: "", department_id: "", origins: "" });
  const [open, setOpen] = useState<number | null>(null);
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
            <Options none={"—"} items={deps} />
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
            <strong>{w.name}</strong> <span className="muted small">{w.allowed_origins.join(" ")}</span>{" "}
            <EditButton name={w.name} open={open === w.id} onClick={() => setOpen(open === w.id ? null : w.id)} />{" "}
            <button
              type="button"
              className="link"
              onClick={() => {
                if (confirmRemove(w.name)) void del(`/webchat/channels/${w.id}`).then(load, fail);
              }}
            >
              {t("remove")}
            </button>
            {open === w.id && <WebchatForm id={w.id} departments={deps} onSaved={load} />}
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

// WebchatForm edits every setting of a website chat channel the API takes.
export function WebchatForm({ id, departments, onSaved }: { id: number; departments: Ref[]; onSaved?: () => void }) {
  const [c, setC] = useState<WebchatChannel | null>(null);
  const [origins, setOrigins] = useState("");
  const [loadError, setLoadError] = useState("");
  const { errors, note, run } = useSave(webchatFields);
  useEffect(() => {
    get<WebchatChannel>(`/webchat/channels/${id}`).then(
      (ch) => {
        const noText = { "pt-BR": "", en: "" };
        setC({
          ...ch,
          departments: ch.departments ?? [],
          prechat: Object.assign({ name: "off", email: "off", phone: "off", department: "off" }, ch.prechat),
          greeting: { ...noText, ...ch.greeting },
          offline_message: { ...noText, ...ch.offline_message },
        });
        setOrigins((ch.allowed_origins ?? []).join("\n"));
      },
      (e) => setLoadError(e instanceof Error ? e.message : String(e)),
    );
  }, [id]);
  if (!c) return <Err e={loadError} />;
  const text = (k: "greeting" | "offline_message", l: keyof Texts) => (e: { target: { value: string } }) => setC({ ...c, [k]: { ...c[k], [l]: e.target.value } });
  const save = () => {
    const body = {
      name: c.name,
      department_id: c.department_id,
      allowed_origins: origins.split(/\s+/).filter(Boolean),
      departments: c.departments,
      prechat: c.prechat,
      color: c.color,
      text_color: c.text_color,
      greeting: c.greeting,
      offline_message: c.offline_message,
      identity_verification: c.identity_verification,
    };
    void run(async () => {
      const saved = await patch<WebchatChannel>(`/webchat/channels/${id}`, body);
      if (saved) setC({ ...c, ...saved });
    }).then((ok) => ok && onSaved?.());
  };
  return (
    <form className="grid-form edit-form webchat-form" onSubmit={submitter(save)}>
      <Field label={t("name")} error={errors.name}>
        <input required maxLength={100} value={c.name} onChange={(e) => setC({ ...c, name: e.target.value })} />
      </Field>
      <Field label={t("defaultDepartment")} error={errors.department_id}>
        <select required value={c.department_id} onChange={(e) => setC({ ...c, department_id: Number(e.target.value) })}>
          {departments.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t("allowedOrigins")} error={errors.allowed_origins}>
        <textarea rows={3} value={origins} onChange={(e) => setOrigins(e.target.value)} />
      </Field>
      <fieldset>
        <legend>{t("visitorDepartments")}</legend>
        {departments.map((d) => (
          <label key={d.id} className="inline">
            <input
              type="checkbox"
              checked={c.departments.includes(d.id)}
              onChange={(e) => setC({ ...c, departments: e.target.checked ? [...c.departments, d.id] : c.departments.filter((x) => x !== d.id) })}
            />{" "}
            {d.name}
          </label>
        ))}
        <Err e={errors.departments ?? ""} />
      </fieldset>
      <fieldset>
        <legend>{t("prechat")}</legend>
        {prechatFields.map(([k, label]) => (
          <Field key={k} label={t(label)} error={errors["prechat." + k]}>
            <select value={c.prechat[k]} onChange={(e) => setC({ ...c, prechat: { ...c.prechat, [k]: e.target.value as Need } })}>
              {needs.map((n) => (
                <option key={n} value={n}>
                  {t(n === "off" ? "needOff" : n === "optional" ? "needOptional" : "needRequired")}
                </option>
              ))}
            </select>
          </Field>
        ))}
        <Err e={errors.prechat ?? ""} />
      </fieldset>
      <Field label={t("color")} error={errors.color}>
        <input type="color" value={c.color || "#0b6e4f"} onChange={(e) => setC({ ...c, color: e.target.value })} />
      </Field>
      <Field label={t("textColor")} error={errors.text_color}>
        <input type="color" value={c.text_color || "#ffffff"} onChange={(e) => setC({ ...c, text_color: e.target.value })} />
      </Field>
      <Field label={t("greetingPt")} error={errors["greeting.pt-BR"] ?? errors.greeting}>
        <textarea rows={2} maxLength={500} value={c.greeting["pt-BR"]} onChange={text("greeting", "pt-BR")} />
      </Field>
      <Field label={t("greetingEn")} error={errors["greeting.en"]}>
        <textarea rows={2} maxLength={500} value={c.greeting.en} onChange={text("greeting", "en")} />
      </Field>
      <Field label={t("offlinePt")} error={errors["offline_message.pt-BR"] ?? errors.offline_message}>
        <textarea rows={2} maxLength={500} value={c.offline_message["pt-BR"]} onChange={text("offline_message", "pt-BR")} />
      </Field>
      <Field label={t("offlineEn")} error={errors["offline_message.en"]}>
        <textarea rows={2} maxLength={500} value={c.offline_message.en} onChange={text("offline_message", "en")} />
      </Field>
      <Field inline label={t("identityVerification")} error={errors.identity_verification}>
        <input type="checkbox" checked={c.identity_verification} onChange={(e) => setC({ ...c, identity_verification: e.target.checked })} />
      </Field>
      {c.identity_secret && (
        <Field label={t("identitySecret")}>
          <input readOnly value={c.identity_secret} />
        </Field>
      )}
      <IdentitySecret id={id} onRotated={(secret) => setC({ ...c, identity_secret: secret })} />
      <FormEnd note={note} error={errors[""]} />
    </form>
  );
}

// IdentitySecret rotates a website chat channel's identity secret, after a
// confirmation: signatures the site makes with the old one stop identifying
// visitors until the site uses the new one. The new secret shows once, here,
// with a button to copy it.
function IdentitySecret({ id, onRotated }: { id: number; onRotated: (secret: string) => void }) {
  const [secret, setSecret] = useState("");
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState("");
  const rotate = async () => {
    if (typeof window !== "undefined" && !window.confirm(t("confirmRotateSecret"))) return;
    setError("");
    setCopied(false);
    try {
      const ch = await post<WebchatChannel>(`/webchat/channels/${id}/identity-secret`);
      setSecret(ch.identity_secret ?? "");
      onRotated(ch.identity_secret ?? "");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="field identity-secret">
      <button type="button" onClick={() => void rotate()}>
        {t("rotateSecret")}
      </button>
      <Err e={error} />
      {secret && (
        <div className="card new-secret" role="status">
          <p>{t("newSecretOnce")}</p>
          <code data-testid="new-secret">{secret}</code>{" "}
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard.writeText(secret).then(
                () => setCopied(true),
                (e) => setError(String(e)),
              )
            }
          >
            {copied ? t("copied") : t("copy")}
          </button>
        </div>
      )}
    </div>
  );
}

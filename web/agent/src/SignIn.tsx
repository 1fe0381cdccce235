import { useState, type FormEvent } from "react";
import { ApiError, post } from "./api";
import { t } from "./i18n";
import { Alert } from "./ui";

// SignIn is the first page, and the dialog over the workspace when the
// session has ended (expired): the workspace stays as it was underneath.
export function SignIn({ expired, onSignedIn }: { expired?: boolean; onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await post("/auth/login", { email, password });
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t("signInFailed") : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className={expired ? "backdrop" : "signin-page"}>
      <form className="dialog signin" onSubmit={submit} aria-labelledby="signin-title" role={expired ? "dialog" : undefined} aria-modal={expired ? true : undefined}>
        <h1 id="signin-title">{t("signInTitle")}</h1>
        {expired && <p role="status">{t("sessionExpired")}</p>}
        <label>
          {t("email")}
          <input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t("password")}
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <Alert message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t("signIn")}
        </button>
      </form>
    </div>
  );
}

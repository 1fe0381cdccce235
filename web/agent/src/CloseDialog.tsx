// Closing a conversation: the close reason and "resolved?" (required where
// the department says so) and the external protocol (up to 13 characters,
// required where the account says so).
import { useState, type FormEvent } from "react";
import type { CloseReason } from "./api";
import { t } from "./i18n";
import { Options } from "./ui";

export type CloseRules = { reasonRequired: boolean; protocolRequired: boolean };
export type CloseInput = { close_reason_id?: number; resolved?: boolean; external_protocol?: string };

export const maxExternalProtocol = 13;

// closeErrors says what stops a close, field by field; empty when it may go.
export function closeErrors(rules: CloseRules, v: { reasonId: number | null; resolved: boolean | null; protocol: string }): Record<string, string> {
  const errs: Record<string, string> = {};
  if (rules.reasonRequired && v.reasonId === null) errs.reason = t("fieldRequired", { f: t("closeReason") });
  if (rules.reasonRequired && v.resolved === null) errs.resolved = t("fieldRequired", { f: t("resolved") });
  if (rules.protocolRequired && v.protocol.trim() === "") errs.protocol = t("fieldRequired", { f: t("externalProtocol") });
  if ([...v.protocol.trim()].length > maxExternalProtocol) errs.protocol = t("protocolTooLong");
  return errs;
}

export type CloseDialogProps = {
  departmentId: number;
  reasons: CloseReason[];
  rules: CloseRules;
  onClose: (input: CloseInput) => Promise<void> | void;
  onCancel: () => void;
};

export function CloseDialog({ departmentId, reasons, rules, onClose, onCancel }: CloseDialogProps) {
  const usable = reasons.filter((r) => r.active && (r.department_id === null || r.department_id === departmentId));
  const [reasonId, setReasonId] = useState<number | null>(null);
  const [resolved, setResolved] = useState<boolean | null>(null);
  const [protocol, setProtocol] = useState("");
  const [tried, setTried] = useState(false);
  const [failure, setFailure] = useState("");
  const errs = closeErrors(rules, { reasonId, resolved, protocol });
  const shown = tried ? errs : {};

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (Object.keys(errs).length > 0) return;
    const input: CloseInput = {};
    if (reasonId !== null) input.close_reason_id = reasonId;
    if (resolved !== null) input.resolved = resolved;
    if (protocol.trim()) input.external_protocol = protocol.trim();
    try {
      await onClose(input);
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    }
  }

  const req = (on: boolean) => (on ? <span className="req"> ({t("required")})</span> : null);
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="close-title" onSubmit={submit} noValidate>
        <h2 id="close-title">{t("closeTitle")}</h2>
        <label>
          {t("closeReason")}
          {req(rules.reasonRequired)}
          <select
            autoFocus
            value={reasonId ?? ""}
            aria-invalid={!!shown.reason}
            aria-describedby={shown.reason ? "close-reason-err" : undefined}
            onChange={(e) => setReasonId(e.target.value ? Number(e.target.value) : null)}
          >
            <Options none={t("chooseReason")} items={usable} />
          </select>
        </label>
        {shown.reason && <p className="field-error" id="close-reason-err">{shown.reason}</p>}
        <fieldset aria-invalid={!!shown.resolved}>
          <legend>
            {t("resolved")}
            {req(rules.reasonRequired)}
          </legend>
          <label className="inline">
            <input type="radio" name="resolved" checked={resolved === true} onChange={() => setResolved(true)} /> {t("yes")}
          </label>
          <label className="inline">
            <input type="radio" name="resolved" checked={resolved === false} onChange={() => setResolved(false)} /> {t("no")}
          </label>
        </fieldset>
        {shown.resolved && <p className="field-error">{shown.resolved}</p>}
        <label>
          {t("externalProtocol")}
          {req(rules.protocolRequired)}
          <input
            value={protocol}
            maxLength={maxExternalProtocol}
            aria-invalid={!!shown.protocol}
            onChange={(e) => setProtocol(e.target.value)}
          />
        </label>
        {shown.protocol && <p className="field-error">{shown.protocol}</p>}
        {failure && <p className="field-error" role="alert">{failure}</p>}
        <div className="buttons">
          <button type="button" onClick={onCancel}>
            {t("cancel")}
          </button>
          <button type="submit" className="danger">
            {t("close")}
          </button>
        </div>
      </form>
    </div>
  );
}

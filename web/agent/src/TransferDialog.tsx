// Transferring to an agent who can take it now (only available ones are
// listed) or to a department's queue, with an internal note.
import { useEffect, useState, type FormEvent } from "react";
import type { Ref, TransferTarget } from "./api";
import { t } from "./i18n";

export type TransferDialogProps = {
  departments: Ref[];
  loadAgents: () => Promise<TransferTarget[]>;
  onTransfer: (to: { agent_id?: number; department_id?: number; note?: string }) => Promise<void> | void;
  onCancel: () => void;
};

export function TransferDialog({ departments, loadAgents, onTransfer, onCancel }: TransferDialogProps) {
  const [agents, setAgents] = useState<TransferTarget[]>([]);
  const [target, setTarget] = useState("");
  const [note, setNote] = useState("");
  const [failure, setFailure] = useState("");
  useEffect(() => {
    loadAgents().then(setAgents, () => setAgents([]));
  }, [loadAgents]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const [kind, id] = target.split(":");
    if (!id) return;
    try {
      await onTransfer(kind === "a" ? { agent_id: Number(id), note: note || undefined } : { department_id: Number(id), note: note || undefined });
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <div className="backdrop" onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="transfer-title" onSubmit={submit}>
        <h2 id="transfer-title">{t("transferTitle")}</h2>
        <label>
          {t("transfer")}
          <select autoFocus value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">—</option>
            <optgroup label={t("toAgent")}>
              {agents.map((a) => (
                <option key={a.id} value={"a:" + a.id}>
                  {a.name} ({t(a.presence)})
                </option>
              ))}
            </optgroup>
            <optgroup label={t("toDepartment")}>
              {departments.map((d) => (
                <option key={d.id} value={"d:" + d.id}>
                  {d.name}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <label>
          {t("transferNote")}
          <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        {failure && <p className="field-error" role="alert">{failure}</p>}
        <div className="buttons">
          <button type="button" onClick={onCancel}>
            {t("cancel")}
          </button>
          <button type="submit" className="primary" disabled={!target}>
            {t("transfer")}
          </button>
        </div>
      </form>
    </div>
  );
}

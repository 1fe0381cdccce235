// The composer: Enter sends, Shift+Enter breaks the line; a message that
// starts with "/" looks up canned responses, "@" transfers to an available
// agent, "#" to a department, "!" makes it an internal note the customer
// never receives. Several attachments at once, pasted files too, and emoji.
import { useEffect, useId, useRef, useState, type ClipboardEvent, type KeyboardEvent } from "react";
import type { Canned, Message, Ref, TransferTarget } from "./api";
import { t } from "./i18n";

export type ComposerProps = {
  initialDraft?: string;
  departments: Ref[];
  loadCanned: (q: string) => Promise<Canned[]>;
  loadAgents: () => Promise<TransferTarget[]>;
  onSend: (body: string, files: File[]) => Promise<void> | void;
  onNote: (body: string, files: File[]) => Promise<void> | void;
  onTransferAgent: (agent: TransferTarget) => void;
  onTransferDepartment: (department: Ref) => void;
  onDraft?: (body: string) => void;
  onTyping?: () => void;
  quoting?: Message | null;
  onCancelQuote?: () => void;
  disabled?: boolean;
};

type Suggestion = { key: string; label: string; hint?: string; pick: () => void };

const EMOJI = ["😀", "😊", "😉", "😂", "🙂", "😍", "🤔", "😅", "😢", "🙏", "👍", "👋", "👏", "💪", "🎉", "✅", "❌", "⚠️", "❤️", "📎", "📞", "⏰", "🚚", "💳"];

export function Composer(props: ComposerProps) {
  const [text, setText] = useState(props.initialDraft ?? "");
  const [files, setFiles] = useState<File[]>([]);
  const [items, setItems] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const [emojiOpen, setEmojiOpen] = useState(false);
  const [sending, setSending] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const listId = useId();
  const trigger = text[0];
  const term = text.slice(1).trim().toLowerCase();
  const note = trigger === "!";
  const lookup = !dismissed && (trigger === "/" || trigger === "@" || trigger === "#") && !text.includes("\n");

  // What the trigger offers, looked up as the agent types.
  useEffect(() => {
    if (!lookup) {
      setItems([]);
      return;
    }
    let stale = false;
    const show = (list: Suggestion[]) => {
      if (!stale) {
        setItems(list);
        setActive(0);
      }
    };
    if (trigger === "/") {
      props.loadCanned(term).then((cs) =>
        show(
          cs.map((c) => ({
            key: "c" + c.id,
            label: "/" + c.shortcut,
            hint: c.title || c.body,
            pick: () => replace(c.rendered ?? c.body),
          })),
        ),
      );
    } else if (trigger === "@") {
      props.loadAgents().then((as) =>
        show(
          as
            .filter((a) => a.name.toLowerCase().includes(term))
            .map((a) => ({ key: "a" + a.id, label: "@" + a.name, hint: t(a.presence), pick: () => transferTo(() => props.onTransferAgent(a)) })),
        ),
      );
    } else {
      show(
        props.departments
          .filter((d) => d.name.toLowerCase().includes(term))
          .map((d) => ({ key: "d" + d.id, label: "#" + d.name, pick: () => transferTo(() => props.onTransferDepartment(d)) })),
      );
    }
    return () => {
      stale = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lookup, trigger, term]);

  function change(v: string) {
    setText(v);
    setDismissed(false);
    props.onDraft?.(v);
    props.onTyping?.();
  }

  function replace(v: string) {
    change(v);
    area.current?.focus();
  }

  function transferTo(fn: () => void) {
    change("");
    fn();
  }

  async function submit() {
    const body = (note ? text.slice(1) : text).trim();
    if ((!body && files.length === 0) || sending || props.disabled) return;
    setSending(true);
    try {
      await (note ? props.onNote(body, files) : props.onSend(body, files));
      setText("");
      setFiles([]);
      props.onDraft?.("");
    } finally {
      setSending(false);
      area.current?.focus();
    }
  }

  function keyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.nativeEvent.isComposing) return;
    const open = lookup && items.length > 0;
    if (open && e.key === "ArrowDown") {
      e.preventDefault();
      setActive((active + 1) % items.length);
    } else if (open && e.key === "ArrowUp") {
      e.preventDefault();
      setActive((active - 1 + items.length) % items.length);
    } else if (open && (e.key === "Enter" || e.key === "Tab") && !e.shiftKey) {
      e.preventDefault();
      items[active]?.pick();
    } else if (lookup && e.key === "Escape") {
      e.preventDefault();
      setDismissed(true);
    } else if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      if (!lookup) void submit();
    }
  }

  function paste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const pasted = Array.from(e.clipboardData?.files ?? []);
    if (pasted.length > 0) {
      e.preventDefault();
      setFiles((fs) => [...fs, ...pasted]);
    }
  }

  function insertEmoji(emoji: string) {
    const el = area.current;
    const at = el?.selectionStart ?? text.length;
    replace(text.slice(0, at) + emoji + text.slice(el?.selectionEnd ?? at));
    setEmojiOpen(false);
  }

  const open = lookup;
  const heading = trigger === "/" ? t("cannedResponses") : trigger === "@" ? t("transferToAgent") : t("transferToDepartment");
  return (
    <div className={"composer" + (note ? " composer-note" : "")}>
      {props.quoting && (
        <div className="composer-quote">
          <span>
            {t("quoting")}: {props.quoting.body.slice(0, 80)}
          </span>
          <button type="button" className="link" onClick={props.onCancelQuote}>
            {t("cancel")}
          </button>
        </div>
      )}
      {open && (
        <div className="suggestions" role="listbox" id={listId} aria-label={heading}>
          <div className="suggestions-heading">{heading}</div>
          {items.length === 0 && <div className="suggestions-empty">{trigger === "@" ? t("noneAvailable") : "—"}</div>}
          {items.map((it, i) => (
            <div
              key={it.key}
              id={listId + "-" + i}
              role="option"
              aria-selected={i === active}
              className={"suggestion" + (i === active ? " active" : "")}
              onMouseDown={(e) => {
                e.preventDefault();
                it.pick();
              }}
            >
              <strong>{it.label}</strong>
              {it.hint && <span className="muted"> {it.hint}</span>}
            </div>
          ))}
        </div>
      )}
      {note && <div className="note-banner">{t("noteMode")}</div>}
      {files.length > 0 && (
        <ul className="files">
          {files.map((f, i) => (
            <li key={i}>
              {f.name}{" "}
              <button type="button" className="link" aria-label={t("removeAttachment", { n: f.name })} onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="composer-row">
        <textarea
          ref={area}
          aria-label={note ? t("noteMode") : t("composerLabel")}
          placeholder={note ? t("notePlaceholder") : t("composerPlaceholder")}
          value={text}
          rows={3}
          disabled={props.disabled}
          onChange={(e) => change(e.target.value)}
          onKeyDown={keyDown}
          onPaste={paste}
          role="combobox"
          aria-expanded={open}
          aria-controls={open ? listId : undefined}
          aria-activedescendant={open && items.length > 0 ? listId + "-" + active : undefined}
          aria-autocomplete="list"
        />
        <div className="composer-actions">
          <button type="button" className="icon" aria-label={t("emoji")} title={t("emoji")} aria-expanded={emojiOpen} onClick={() => setEmojiOpen(!emojiOpen)}>
            😊
          </button>
          <button type="button" className="icon" aria-label={t("attach")} title={t("attach")} onClick={() => fileInput.current?.click()}>
            <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
              <path d="M21 11.5l-8.6 8.6a5.5 5.5 0 01-7.8-7.8l9.2-9.2a3.7 3.7 0 015.2 5.2l-9.2 9.2a1.8 1.8 0 01-2.6-2.6l8.5-8.5" />
            </svg>
          </button>
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            aria-label={t("attach")}
            onChange={(e) => {
              const chosen = Array.from(e.target.files ?? []);
              setFiles((fs) => [...fs, ...chosen]);
              e.target.value = "";
            }}
          />
          <button type="button" className="primary" disabled={sending || props.disabled} onClick={() => void submit()}>
            {note ? t("addNote") : t("send")}
          </button>
        </div>
      </div>
      {emojiOpen && (
        <div className="emoji-grid" role="group" aria-label={t("emoji")}>
          {EMOJI.map((e) => (
            <button type="button" key={e} onClick={() => insertEmoji(e)}>
              {e}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

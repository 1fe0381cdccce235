// Small pieces shared by the screens.
import { useEffect, useState } from "react";
import { live, type LiveEvent } from "./live";

// Channel badges are short text, not emoji: they render the same on every
// system and read well to screen readers (the channel's kind as the label).
const channelBadges: Record<string, [string, string]> = {
  webchat: ["Web", "#0b6e4f"],
  whatsapp: ["WA", "#1e7b3c"],
  telegram: ["TG", "#1d6fa5"],
  email: ["@", "#6b4fa0"],
  sms: ["SMS", "#8a5a00"],
  voice: ["Tel", "#9c2f2f"],
  messenger: ["FB", "#1b5fc1"],
  instagram: ["IG", "#a12a6b"],
};

export function ChannelIcon({ kind }: { kind?: string | null }) {
  const k = kind ?? "in_person";
  const [label, colour] = channelBadges[k] ?? [k.slice(0, 3).toUpperCase(), "#4a5864"];
  return (
    <span className="channel-icon" role="img" aria-label={k} title={k} style={{ background: colour }}>
      {label}
    </span>
  );
}

// Avatar: the contact's initials on a colour of their own.
export function Avatar({ name }: { name: string }) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join("");
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  return (
    <span className="avatar" aria-hidden="true" style={{ background: `hsl(${h} 45% 38%)` }}>
      {initials || "?"}
    </span>
  );
}

// useNow re-renders every `ms` for live timers (TTA, waiting times).
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

// useLive calls fn for every event (and {kind:"reload"}).
export function useLive(fn: (e: LiveEvent) => void) {
  useEffect(() => live.subscribe(fn), [fn]);
}

export function secondsSince(iso: string | null | undefined, now: number): number {
  return iso ? (now - new Date(iso).getTime()) / 1000 : 0;
}

// Options: a select's "none" choice, then one option per item.
export function Options({ none, items }: { none: string; items: { id: number; name: string }[] }) {
  return (
    <>
      <option value="">{none}</option>
      {items.map((i) => (
        <option key={i.id} value={i.id}>
          {i.name}
        </option>
      ))}
    </>
  );
}

// Alert: an error said where it happened, read out by screen readers.
export function Alert({ message }: { message: string | null | undefined }) {
  return message ? (
    <p className="field-error" role="alert">
      {message}
    </p>
  ) : null;
}

// Small pieces shared by the screens.
import { useEffect, useState } from "react";
import { live, type LiveEvent } from "./live";

const channelIcons: Record<string, string> = {
  webchat: "💬",
  whatsapp: "🟢",
  telegram: "✈️",
  email: "✉️",
  sms: "📱",
  voice: "📞",
  messenger: "Ⓜ️",
  instagram: "📷",
};

export function ChannelIcon({ kind }: { kind?: string | null }) {
  const k = kind ?? "inperson";
  return (
    <span className="channel-icon" role="img" aria-label={k} title={k}>
      {channelIcons[k] ?? "🏢"}
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

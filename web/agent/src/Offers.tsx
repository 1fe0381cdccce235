// Offers made to the signed-in agent: the dialog, a sound, a signal in the
// tab's title and, when the tab is in the background, a browser notification.
import { useCallback, useEffect, useRef, useState } from "react";
import { get, post, type Details, type Summary } from "./api";
import { t } from "./i18n";
import type { LiveEvent } from "./live";
import { OfferDialog } from "./OfferDialog";
import { navigate } from "./router";
import { useSession } from "./session";
import { useLive } from "./ui";

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
    osc.onended = () => void ctx.close();
  } catch {
    /* no sound here */
  }
}

export function Offers() {
  const { me } = useSession();
  const [offer, setOffer] = useState<Details | null>(null);
  const shown = useRef<number | null>(null);

  const load = useCallback(async () => {
    const { conversations } = await get<{ conversations: Summary[] }>("/conversations?tab=offered");
    const first = conversations[0];
    if (!first) {
      shown.current = null;
      setOffer(null);
      return;
    }
    if (shown.current === first.id) return;
    const details = await get<Details>(`/conversations/${first.id}`);
    shown.current = first.id;
    setOffer(details);
    beep();
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      // Who it is as the dialog says it: the name, and the number or e-mail.
      const c = details.contact;
      const from = c.phones[0] ?? c.emails[0];
      new Notification(t("offerTitle"), { body: [c.name, from, details.department.name].filter(Boolean).join(" · "), tag: "offer-" + details.id });
    }
  }, []);

  useEffect(() => {
    void load().catch(() => {});
  }, [load]);

  useLive(
    useCallback(
      (e: LiveEvent) => {
        if (e.kind === "reload" || (e.kind === "conversation.offered" && e.agent_id === me.id) || (e.kind === "conversation.offer_withdrawn" && e.agent_id === me.id) || (e.kind === "conversation.assigned" && e.conversation_id === shown.current)) void load().catch(() => {});
      },
      [load, me.id],
    ),
  );

  // The tab's title blinks while an offer waits.
  useEffect(() => {
    if (!offer) return;
    const base = document.title;
    let on = false;
    const id = setInterval(() => {
      on = !on;
      document.title = on ? t("offerTabTitle") : base;
    }, 1000);
    return () => {
      clearInterval(id);
      document.title = base;
    };
  }, [offer]);

  // After accepting or declining, the same conversation may be offered
  // again later (declined by everyone else); after the countdown, the
  // engine withdraws it and says so.
  const done = useCallback((answered: boolean) => {
    if (answered) shown.current = null;
    setOffer(null);
    void load().catch(() => {});
  }, [load]);

  if (!offer) return null;
  return (
    <OfferDialog
      key={offer.id}
      offer={offer}
      onAccept={async () => {
        try {
          await post(`/conversations/${offer.id}/accept`);
          navigate(`/conversations/${offer.id}`);
        } finally {
          done(true);
        }
      }}
      onDecline={async () => {
        try {
          await post(`/conversations/${offer.id}/decline`);
        } finally {
          done(true);
        }
      }}
      onExpire={() => done(false)}
    />
  );
}

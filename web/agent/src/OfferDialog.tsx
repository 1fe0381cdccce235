// An offer: where the conversation comes from and who, the department, the
// subject and how long it has waited; Accept or Decline before the countdown
// ends (then the engine offers it to someone else).
import { useEffect, useRef, useState } from "react";
import type { Details } from "./api";
import { duration, t } from "./i18n";
import { ChannelIcon } from "./ui";

export type OfferProps = {
  offer: Details;
  onAccept: () => void;
  onDecline: () => void;
  onExpire: () => void;
  now?: () => number;
};

export function OfferDialog({ offer, onAccept, onDecline, onExpire, now = Date.now }: OfferProps) {
  const expires = offer.offer_expires_at ? new Date(offer.offer_expires_at).getTime() : null;
  const since = new Date(offer.queued_at ?? offer.opened_at).getTime();
  const [tick, setTick] = useState(now());
  const [busy, setBusy] = useState(false);
  const [total] = useState(() => (expires === null ? 1 : Math.max(1, Math.ceil((expires - now()) / 1000))));
  const acceptRef = useRef<HTMLButtonElement>(null);
  const left = expires === null ? null : Math.max(0, Math.ceil((expires - tick) / 1000));

  useEffect(() => {
    acceptRef.current?.focus();
    const id = setInterval(() => setTick(now()), 250);
    return () => clearInterval(id);
  }, [now]);

  useEffect(() => {
    if (left === 0) onExpire();
  }, [left, onExpire]);

  const from = offer.contact.phones[0] ?? offer.contact.emails[0] ?? offer.contact.name;
  return (
    <div className="backdrop">
      <div className="dialog offer" role="alertdialog" aria-modal="true" aria-labelledby="offer-title" aria-describedby="offer-countdown">
        <h2 id="offer-title">{t("offerTitle")}</h2>
        <dl className="facts">
          <dt>{t("offerChannel")}</dt>
          <dd>
            <ChannelIcon kind={offer.channel?.kind} /> {offer.channel?.name ?? "—"}
          </dd>
          <dt>{t("offerFrom")}</dt>
          <dd>
            {offer.contact.name}
            {from !== offer.contact.name && <span className="muted"> · {from}</span>}
          </dd>
          <dt>{t("offerDepartment")}</dt>
          <dd>{offer.department.name}</dd>
          <dt>{t("offerSubject")}</dt>
          <dd>{offer.subject || "—"}</dd>
          <dt>{t("offerWaiting")}</dt>
          <dd>{duration((tick - since) / 1000)}</dd>
        </dl>
        {left !== null && (
          <p id="offer-countdown" className="countdown" aria-live="polite">
            <progress max={total} value={left} />{" "}
            {t("offerExpiresIn", { s: left })}
          </p>
        )}
        <div className="buttons">
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              onDecline();
            }}
          >
            {t("decline")}
          </button>
          <button
            type="button"
            className="primary"
            ref={acceptRef}
            disabled={busy || left === 0}
            onClick={() => {
              setBusy(true);
              onAccept();
            }}
          >
            {t("accept")}
          </button>
        </div>
      </div>
    </div>
  );
}

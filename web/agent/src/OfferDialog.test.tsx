import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";
import type { Details } from "./api";
import { OfferDialog } from "./OfferDialog";

const start = new Date("2026-11-21T12:00:00Z").getTime();

function offer(): Details {
  return {
    id: 9,
    protocol: "20261121-000009",
    status: "queued",
    subject: "Preço do plano",
    contact: { id: 1, name: "Zé Cliente", trade_name: "", document: "", emails: [], phones: ["+5511987654321"] },
    department: { id: 2, name: "Vendas" },
    channel: { id: 3, name: "WhatsApp Vendas", kind: "whatsapp" },
    agent: null,
    offer_agent_id: 5,
    opened_at: new Date(start - 65000).toISOString(),
    queued_at: new Date(start - 65000).toISOString(),
    assigned_at: null,
    last_customer_at: null,
    last_agent_at: null,
    closed_at: null,
    updated_at: new Date(start).toISOString(),
    last_message: { id: 31, direction: "in", kind: "text", sender_type: "contact", body: "Quanto custa o plano?", attachments: [], created_at: new Date(start - 65000).toISOString() },
    tags: [],
    close_reason: null,
    resolved: null,
    external_protocol: "",
    offer_expires_at: new Date(start + 30000).toISOString(),
    metrics: { tta: 65, queue_wait: 65, tm1r: 0, tmr: 0, responses: 0 },
    last_seq: 1,
    last_read_seq: 0,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(start);
});
afterEach(() => vi.useRealTimers());

function setup() {
  const handlers = { onAccept: vi.fn(), onDecline: vi.fn(), onExpire: vi.fn() };
  render(<OfferDialog offer={offer()} {...handlers} />);
  return handlers;
}

test("shows where it comes from, who, the department, the subject and the wait", () => {
  setup();
  const dialog = screen.getByRole("alertdialog");
  expect(dialog.textContent).toContain("WhatsApp Vendas");
  expect(dialog.textContent).toContain("Zé Cliente");
  expect(dialog.textContent).toContain("+5511987654321");
  expect(dialog.textContent).toContain("Vendas");
  expect(dialog.textContent).toContain("Preço do plano");
  expect(dialog.textContent).toContain("1:05");
  expect(document.activeElement).toBe(screen.getByRole("button", { name: "Accept" }));
});

test("counts down to the offer's expiry and then gives up", () => {
  const h = setup();
  expect(screen.getByText("30 s to answer")).toBeTruthy();
  act(() => vi.advanceTimersByTime(10000));
  expect(screen.getByText("20 s to answer")).toBeTruthy();
  expect(h.onExpire).not.toHaveBeenCalled();
  act(() => vi.advanceTimersByTime(20500));
  expect(screen.getByText("0 s to answer")).toBeTruthy();
  expect(h.onExpire).toHaveBeenCalledTimes(1);
  expect((screen.getByRole("button", { name: "Accept" }) as HTMLButtonElement).disabled).toBe(true);
  expect(h.onAccept).not.toHaveBeenCalled();
});

test("Accept accepts, once", () => {
  const h = setup();
  const accept = screen.getByRole("button", { name: "Accept" });
  fireEvent.click(accept);
  fireEvent.click(accept);
  expect(h.onAccept).toHaveBeenCalledTimes(1);
  expect(h.onDecline).not.toHaveBeenCalled();
});

test("Decline declines", () => {
  const h = setup();
  fireEvent.click(screen.getByRole("button", { name: "Decline" }));
  expect(h.onDecline).toHaveBeenCalledTimes(1);
  expect(h.onAccept).not.toHaveBeenCalled();
});

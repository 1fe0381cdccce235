import { act, render, screen, within } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import type { MessagePreview, Summary } from "./api";
import { Conversations } from "./Conversations";
import { live, type LiveEvent } from "./live";

const at = "2026-11-21T12:00:00Z";
function summary(id: number, name: string, last: MessagePreview | null, draft = ""): Summary {
  return {
    id, protocol: String(id), status: "active", subject: "Assunto " + id, contact: { id, name }, department: { id: 1, name: "Vendas" },
    channel: { id: 2, name: "WhatsApp", kind: "whatsapp" }, agent: { id: 5, name: "Caio" }, offer_agent_id: null, opened_at: at, queued_at: at,
    assigned_at: at, last_customer_at: at, last_agent_at: null, closed_at: null, updated_at: at, draft, unread: 0, last_message: last,
  };
}
const preview = (id: number, direction: "in" | "out", body: string, attachments: string[] = []): MessagePreview => ({
  id, direction, kind: "text", sender_type: direction === "in" ? "contact" : "agent", body, attachments, created_at: at,
});

afterEach(() => vi.unstubAllGlobals());

test("each row previews the last message the list itself carries, with no request per row", async () => {
  const asked: string[] = [];
  const active = [
    summary(1, "Alice", preview(11, "in", "Meu pedido não chegou")),
    summary(2, "Bruno", preview(12, "out", "Já verifiquei, chega amanhã.")),
    summary(3, "Carla", preview(13, "in", "", ["boleto.pdf"])),
    summary(4, "Davi", preview(14, "in", "oi"), "Bom dia, Davi"),
    summary(5, "Elis", null),
  ];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string) => {
      asked.push(url);
      const tab = new URL(url, "http://x").searchParams.get("tab");
      return Promise.resolve(new Response(JSON.stringify({ conversations: tab === "active" ? active : [] }), { status: 200 }));
    }),
  );
  render(<Conversations selected={null} />);
  const card = async (name: string) => (await screen.findByText(name)).closest("a") as HTMLElement;
  expect(within(await card("Alice")).getByText("Meu pedido não chegou")).toBeTruthy();
  expect(within(await card("Bruno")).getByText(/Já verifiquei, chega amanhã\./).textContent).toBe("↪ Já verifiquei, chega amanhã.");
  expect(within(await card("Carla")).getByText(/boleto\.pdf/)).toBeTruthy();
  expect(within(await card("Davi")).getByText(/Bom dia, Davi/).textContent).toContain("✎");
  expect(within(await card("Elis")).getByText("Assunto 5")).toBeTruthy();
  expect(asked.sort()).toEqual(["/api/v1/conversations?tab=active", "/api/v1/conversations?tab=inactive", "/api/v1/conversations?tab=waiting"]);

  // A new message: the list is read again, and the row shows it.
  active[0] = summary(1, "Alice", preview(15, "in", "Alguém aí?"));
  act(() => (live as unknown as { emit(e: LiveEvent): void }).emit({ kind: "message.created", conversation_id: 1, message_id: 15 }));
  expect(await screen.findByText("Alguém aí?", {}, { timeout: 3000 })).toBeTruthy();
  expect(asked.filter((u) => u.includes("/messages"))).toEqual([]);
});

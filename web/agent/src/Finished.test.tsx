import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import Finished from "./Finished";
import { SessionContext } from "./session";

afterEach(() => vi.unstubAllGlobals());

test("an agent filters finished conversations by any kind of channel, not only those seen in results", async () => {
  const asked: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string) => {
      asked.push(url);
      const body = url.startsWith("/api/v1/users") ? { users: [] } : { conversations: [], next_cursor: "" };
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    }),
  );
  const me = { id: 5, name: "Caio", email: "caio@acme.test", role: "agent" as const, account: { id: 1, name: "Acme" }, departments: [] };
  render(
    <SessionContext.Provider value={{ me, departments: [] }}>
      <Finished />
    </SessionContext.Provider>,
  );
  const kind = (await screen.findByRole("combobox", { name: "Channel type" })) as HTMLSelectElement;
  expect([...kind.options].map((o) => o.textContent)).toEqual(["All channel types", "Website chat", "WhatsApp", "Telegram", "Messenger", "Instagram", "SMS", "E-mail", "Phone", "In person"]);
  fireEvent.change(kind, { target: { value: "telegram" } });
  fireEvent.click(screen.getByRole("button", { name: "Apply" }));
  await waitFor(() => expect(asked.some((u) => u.startsWith("/api/v1/conversations/finished?") && new URL(u, "http://x").searchParams.get("channel_kind") === "telegram")).toBe(true));
});

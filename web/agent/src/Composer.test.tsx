import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { vi } from "vitest";
import type { Canned, TransferTarget } from "./api";
import { Composer, type ComposerProps } from "./Composer";

const canned: Canned[] = [
  { id: 1, scope: "account", department: null, shortcut: "preco", title: "Preço", body: "O plano custa {{x}}", rendered: "O plano custa R$ 99" },
  { id: 2, scope: "account", department: null, shortcut: "prazo", title: "Prazo", body: "5 dias úteis" },
];
const agents: TransferTarget[] = [
  { id: 7, name: "Bia Lima", presence: "ready" },
  { id: 8, name: "Bruno Dias", presence: "pause_pending" },
];
const departments = [
  { id: 3, name: "Suporte" },
  { id: 4, name: "Financeiro" },
];

function setup(extra: Partial<ComposerProps> = {}) {
  const props = {
    departments,
    loadCanned: vi.fn(async (q: string) => canned.filter((c) => c.shortcut.startsWith(q))),
    loadAgents: vi.fn(async () => agents),
    onSend: vi.fn(),
    onNote: vi.fn(),
    onTransferAgent: vi.fn(),
    onTransferDepartment: vi.fn(),
    onDraft: vi.fn(),
    ...extra,
  };
  render(<Composer {...props} />);
  const box = screen.getByRole("combobox") as HTMLTextAreaElement;
  const type = (v: string) => fireEvent.change(box, { target: { value: v } });
  const key = (k: string, shiftKey = false) => fireEvent.keyDown(box, { key: k, shiftKey });
  return { props, box, type, key };
}

test("Enter sends the message; Shift+Enter does not", async () => {
  const { props, box, type, key } = setup();
  type("Olá!");
  key("Enter", true);
  expect(props.onSend).not.toHaveBeenCalled();
  type("Olá!\nTudo bem?");
  key("Enter");
  await waitFor(() => expect(props.onSend).toHaveBeenCalledWith("Olá!\nTudo bem?", []));
  expect(props.onNote).not.toHaveBeenCalled();
  await waitFor(() => expect(box.value).toBe(""));
  expect(props.onDraft).toHaveBeenLastCalledWith("");
});

test("an empty message is not sent", () => {
  const { props, type, key } = setup();
  type("   ");
  key("Enter");
  expect(props.onSend).not.toHaveBeenCalled();
});

test("/ lists canned responses by shortcut; Enter puts the rendered text in the composer", async () => {
  const { props, box, type, key } = setup();
  type("/pr");
  expect(await screen.findByRole("option", { name: /\/preco/ })).toBeTruthy();
  expect(screen.getByRole("option", { name: /\/prazo/ })).toBeTruthy();
  expect(props.loadCanned).toHaveBeenLastCalledWith("pr");
  type("/pre");
  await waitFor(() => expect(screen.getAllByRole("option")).toHaveLength(1));
  key("Enter");
  expect(box.value).toBe("O plano custa R$ 99");
  expect(props.onSend).not.toHaveBeenCalled();
  expect(screen.queryByRole("listbox")).toBeNull();
  key("Enter");
  await waitFor(() => expect(props.onSend).toHaveBeenCalledWith("O plano custa R$ 99", []));
});

test("arrow keys move through the suggestions", async () => {
  const { box, type, key } = setup();
  type("/");
  await screen.findByRole("option", { name: /\/prazo/ });
  key("ArrowDown");
  expect(screen.getByRole("option", { name: /\/prazo/ }).getAttribute("aria-selected")).toBe("true");
  key("Tab");
  expect(box.value).toBe("5 dias úteis");
});

test("@ offers only the available agents and transfers to the one picked", async () => {
  const { props, type, key } = setup();
  type("@b");
  await screen.findByRole("option", { name: /Bia Lima/ });
  expect(screen.getAllByRole("option")).toHaveLength(2);
  type("@bru");
  await waitFor(() => expect(screen.getAllByRole("option")).toHaveLength(1));
  key("Enter");
  expect(props.onTransferAgent).toHaveBeenCalledWith(agents[1]);
  expect(props.onSend).not.toHaveBeenCalled();
});

test("@ says so when nobody is available", async () => {
  setup({ loadAgents: vi.fn(async () => []) });
  const box = screen.getByRole("combobox");
  fireEvent.change(box, { target: { value: "@" } });
  expect(await screen.findByText("Nobody available")).toBeTruthy();
});

test("# transfers to a department", async () => {
  const { props, type } = setup();
  type("#fin");
  const option = await screen.findByRole("option", { name: /Financeiro/ });
  fireEvent.mouseDown(option);
  expect(props.onTransferDepartment).toHaveBeenCalledWith(departments[1]);
});

test("! writes an internal note, never a message to the customer", async () => {
  const { props, box, type, key } = setup();
  type("!Cliente pediu desconto");
  expect(box.closest(".composer")?.classList.contains("composer-note")).toBe(true);
  expect(screen.getByText("Internal note", { selector: ".note-banner" })).toBeTruthy();
  key("Enter");
  await waitFor(() => expect(props.onNote).toHaveBeenCalledWith("Cliente pediu desconto", []));
  expect(props.onSend).not.toHaveBeenCalled();
});

test("Escape closes the suggestions and Enter then sends the text as typed", async () => {
  const { props, type, key } = setup();
  type("/preco");
  await screen.findByRole("listbox");
  key("Escape");
  expect(screen.queryByRole("listbox")).toBeNull();
  key("Enter");
  await waitFor(() => expect(props.onSend).toHaveBeenCalledWith("/preco", []));
});

test("pasted files become attachments sent with the message", async () => {
  const { props, box, type, key } = setup();
  const file = new File(["x"], "print.png", { type: "image/png" });
  await act(async () => {
    fireEvent.paste(box, { clipboardData: { files: [file] } });
  });
  expect(screen.getByText(/print\.png/)).toBeTruthy();
  type("veja");
  key("Enter");
  await waitFor(() => expect(props.onSend).toHaveBeenCalledWith("veja", [file]));
});

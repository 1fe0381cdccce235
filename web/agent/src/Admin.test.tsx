import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { TagEdit, UserEdit, WebchatForm, type WebchatChannel } from "./Admin";

const channel: WebchatChannel = {
  id: 3,
  name: "Site",
  department_id: 3,
  allowed_origins: ["https://loja.example"],
  departments: [],
  prechat: { name: "optional", email: "off", phone: "off", department: "off" },
  color: "#0b6e4f",
  text_color: "#ffffff",
  greeting: { "pt-BR": "Olá!", en: "Hi!" },
  offline_message: { "pt-BR": "Estamos fora.", en: "We are away." },
  identity_verification: false,
  snippet: "<script></script>",
};
const departments = [
  { id: 3, name: "Suporte" },
  { id: 4, name: "Financeiro" },
];

function respond(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
}

afterEach(() => vi.unstubAllGlobals());

test("the website chat form sends every setting in one PATCH and shows the API's error by its field", async () => {
  const sent: { method: string; url: string; body: unknown }[] = [];
  let answer: () => Promise<Response> = () => respond(422, { error: { code: "invalid", message: "not an origin: loja", field: "allowed_origins" } });
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      if (!init.method || init.method === "GET") return respond(200, channel);
      sent.push({ method: init.method, url, body: JSON.parse(String(init.body)) });
      return answer();
    }),
  );
  const onSaved = vi.fn();
  render(<WebchatForm id={3} departments={departments} onSaved={onSaved} />);
  const name = (await screen.findByRole("textbox", { name: "Name" })) as HTMLInputElement;
  expect(name.value).toBe("Site");

  fireEvent.change(name, { target: { value: "Loja" } });
  fireEvent.change(screen.getByLabelText(/^Allowed origins/), { target: { value: "https://loja.example\nloja" } });
  fireEvent.click(screen.getByRole("checkbox", { name: "Financeiro" }));
  const prechat = within(screen.getByRole("group", { name: "Pre-chat form" }));
  fireEvent.change(prechat.getByLabelText(/^E-mail/), { target: { value: "required" } });
  fireEvent.change(screen.getByLabelText("Greeting (English)"), { target: { value: "Hello!" } });
  fireEvent.change(screen.getByLabelText("Offline message (Portuguese)"), { target: { value: "Voltamos já." } });
  fireEvent.click(screen.getByRole("checkbox", { name: /Identity verification/ }));
  fireEvent.click(screen.getByRole("button", { name: "Save" }));

  const error = await screen.findByText("not an origin: loja");
  expect(sent).toEqual([
    {
      method: "PATCH",
      url: "/api/v1/webchat/channels/3",
      body: {
        name: "Loja",
        department_id: 3,
        allowed_origins: ["https://loja.example", "loja"],
        departments: [4],
        prechat: { name: "optional", email: "required", phone: "off", department: "off" },
        color: "#0b6e4f",
        text_color: "#ffffff",
        greeting: { "pt-BR": "Olá!", en: "Hello!" },
        offline_message: { "pt-BR": "Voltamos já.", en: "We are away." },
        identity_verification: true,
      },
    },
  ]);
  // The error sits with the allowed origins field, and nothing was saved.
  expect(error.closest(".field")?.querySelector("textarea")).toBe(screen.getByLabelText(/^Allowed origins/));
  expect(onSaved).not.toHaveBeenCalled();

  answer = () => respond(200, { ...channel, name: "Loja", allowed_origins: ["https://loja.example"] });
  fireEvent.change(screen.getByLabelText(/^Allowed origins/), { target: { value: "https://loja.example" } });
  fireEvent.click(screen.getByRole("button", { name: "Save" }));
  await screen.findByText("Saved");
  expect(screen.queryByText("not an origin: loja")).toBeNull();
  expect(onSaved).toHaveBeenCalledTimes(1);
  expect((sent[1].body as { allowed_origins: string[] }).allowed_origins).toEqual(["https://loja.example"]);
});

test("renaming a tag sends the new name and shows a taken name by its field", async () => {
  const sent: { method: string; url: string; body: unknown }[] = [];
  let answer = () => respond(422, { error: { code: "invalid", message: 'tag: the account has a tag "vip" already', field: "tag" } });
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      sent.push({ method: init.method ?? "GET", url, body: JSON.parse(String(init.body)) });
      return answer();
    }),
  );
  const onSaved = vi.fn();
  render(<TagEdit tag={{ id: 7, tag: "cliente", conversations: 3 }} onSaved={onSaved} />);
  const name = screen.getByRole("textbox", { name: "Tag name" }) as HTMLInputElement;
  expect(name.value).toBe("cliente");
  fireEvent.change(name, { target: { value: "VIP" } });
  fireEvent.click(screen.getByRole("button", { name: "Save" }));
  const error = await screen.findByText('tag: the account has a tag "vip" already');
  expect(error.closest(".field")?.querySelector("input")).toBe(name);
  expect(sent).toEqual([{ method: "PATCH", url: "/api/v1/tags/7", body: { tag: "VIP" } }]);
  expect(onSaved).not.toHaveBeenCalled();

  answer = () => respond(200, { id: 7, tag: "cliente vip", conversations: 3 });
  fireEvent.change(name, { target: { value: "Cliente VIP" } });
  fireEvent.click(screen.getByRole("button", { name: "Save" }));
  await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
  expect(sent[1]).toEqual({ method: "PATCH", url: "/api/v1/tags/7", body: { tag: "Cliente VIP" } });
});

test("a user's routing form starts from that user's routing and saves it with PUT", async () => {
  const sent: { method: string; url: string; body: unknown }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      if (!init.method || init.method === "GET") {
        sent.push({ method: "GET", url, body: null });
        return respond(200, { capacity: 7, auto_distribution: false });
      }
      sent.push({ method: init.method, url, body: JSON.parse(String(init.body)) });
      return respond(200, JSON.parse(String(init.body)));
    }),
  );
  render(<UserEdit user={{ id: 12, name: "Caio", email: "caio@acme.test", role: "agent" }} onSaved={vi.fn()} onRemoved={vi.fn()} />);
  const capacity = (await screen.findByRole("spinbutton", { name: "Capacity" })) as HTMLInputElement;
  expect(capacity.value).toBe("7");
  const auto = screen.getByRole("checkbox", { name: /automatic distribution/ }) as HTMLInputElement;
  expect(auto.checked).toBe(false);
  expect(sent).toEqual([{ method: "GET", url: "/api/v1/users/12/routing", body: null }]);
  fireEvent.change(capacity, { target: { value: "4" } });
  fireEvent.click(auto);
  fireEvent.click(within(capacity.closest("form") as HTMLElement).getByRole("button", { name: "Save" }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toEqual({ method: "PUT", url: "/api/v1/users/12/routing", body: { capacity: 4, auto_distribution: true } });
});

test("rotating the identity secret asks first, then shows the new secret once with a copy button", async () => {
  const posts: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      if (init.method === "POST") {
        posts.push(url);
        return respond(200, { ...channel, identity_verification: true, identity_secret: "novo-segredo-123" });
      }
      return respond(200, { ...channel, identity_verification: true, identity_secret: "segredo-antigo" });
    }),
  );
  const writeText = vi.fn(() => Promise.resolve());
  vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
  const confirm = vi.fn(() => false);
  vi.stubGlobal("confirm", confirm);
  render(<WebchatForm id={3} departments={departments} />);
  const rotate = await screen.findByRole("button", { name: "Rotate the identity secret" });
  fireEvent.click(rotate);
  expect(confirm).toHaveBeenCalledTimes(1);
  expect(posts).toEqual([]); // declined: nothing rotated
  expect(screen.queryByTestId("new-secret")).toBeNull();

  confirm.mockReturnValue(true);
  fireEvent.click(rotate);
  expect((await screen.findByTestId("new-secret")).textContent).toBe("novo-segredo-123");
  expect(posts).toEqual(["/api/v1/webchat/channels/3/identity-secret"]);
  expect((screen.getByRole("textbox", { name: "Identity secret" }) as HTMLInputElement).value).toBe("novo-segredo-123");
  fireEvent.click(screen.getByRole("button", { name: "Copy" }));
  await screen.findByRole("button", { name: "Copied" });
  expect(writeText).toHaveBeenCalledWith("novo-segredo-123");
});

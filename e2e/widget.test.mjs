// The website chat in a real browser: a company's page on one origin loads
// the widget from Atende on another; a visitor talks to an agent, who works
// through the API. Screenshots of the widget go to e2e/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { start, freePort, until, repo } from "./atende.mjs";

const artifacts = join(repo, "e2e", "artifacts");
mkdirSync(artifacts, { recursive: true });

let atende, site, siteURL, browser, profile, ana, caio, caioID, channel;

before(async () => {
  atende = await start([
    { name: "Ana Admin", email: "ana@acme.test", role: "admin", password: "senha longa da ana" },
    { name: "Caio Souza", email: "caio@acme.test", role: "agent", password: "senha longa do caio" },
  ]);
  ana = await atende.login("ana@acme.test", "senha longa da ana");
  caio = await atende.login("caio@acme.test", "senha longa do caio");
  caioID = (await caio.get("/api/v1/me")).id;

  // The company's site, on another origin.
  const port = await freePort();
  siteURL = `http://localhost:${port}`;
  const dep = await ana.post("/api/v1/departments", { name: "Vendas" });
  await ana.put(`/api/v1/departments/${dep.id}/members/${caioID}`, undefined, 204);
  channel = await ana.post("/api/v1/webchat/channels", {
    name: "Loja Acme", department_id: dep.id, allowed_origins: [siteURL], color: "#0b7a4b",
    prechat: { name: "required", email: "optional", phone: "off", department: "off" },
  });
  const pages = { "/": "Início — Loja Acme", "/precos": "Preços — Loja Acme" };
  site = createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (!pages[path]) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${pages[path]}</title><style>body{font-family:Georgia,serif;background:#fdf6e3;margin:40px}button{all:unset}div{color:red!important}</style></head>
<body><h1>${pages[path]}</h1><p>Uma página qualquer de uma loja qualquer.</p><a href="/precos">Preços</a>
${channel.snippet}</body></html>`);
  });
  await new Promise((r) => site.listen(port, "127.0.0.1", r));

  profile = mkdtempSync(join(tmpdir(), "atende-chromium-"));
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  site?.close();
  await atende?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// The widget's parts, inside its (open) shadow root.
const launcher = (page) => page.locator("#atende-widget .launcher");
const panel = (page) => page.locator("#atende-widget .panel");
const log = (page) => page.locator("#atende-widget .log");

async function onlineVisitor(pred) {
  return until("the visitor in the online list", async () => {
    const { visitors } = await caio.get("/api/v1/visitors");
    return visitors.find(pred);
  });
}

test("a visitor talks to an agent, comes back, and is invited", async () => {
  await caio.post("/api/v1/presence", { presence: "ready" }, 200);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "pt-BR", timezoneId: "America/Sao_Paulo" });
  const page = await ctx.newPage();

  // The widget loads on the company's page, closed.
  await page.goto(siteURL + "/");
  await launcher(page).waitFor();
  await page.screenshot({ path: join(artifacts, "desktop-closed.png") });

  // The visitor browses to another page and opens the chat: the pre-chat form.
  await page.click("a[href='/precos']");
  await page.waitForURL(siteURL + "/precos");
  await launcher(page).click();
  await panel(page).waitFor();
  assert.equal(await page.locator("#atende-widget .title").textContent(), "Loja Acme");
  await page.screenshot({ path: join(artifacts, "desktop-open.png") });

  // The agent sees the visitor on the site, with the pages visited.
  const seen = await onlineVisitor((v) => v.current_page?.title === "Preços — Loja Acme");
  assert.deepEqual(seen.pages.map((p) => p.title), ["Preços — Loja Acme", "Início — Loja Acme"]);
  assert.equal(seen.browser, "Chrome");
  assert.equal(seen.chatting, false);

  // The pre-chat form, by keyboard, and the first message.
  await page.locator("#atende-widget input[name=name]").fill("Zé Visitante");
  await page.locator("#atende-widget input[name=email]").fill("ze@cliente.example");
  await page.locator("#atende-widget textarea[name=body]").fill("Quero saber o preço <b>do plano</b>");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await log(page).getByText("Quero saber o preço <b>do plano</b>").waitFor();
  await page.locator("#atende-widget .subtitle").getByText("Você é o 1º da fila").waitFor();

  // The agent is offered it, accepts and answers.
  const offered = await until("the offer", async () => (await caio.get("/api/v1/conversations?tab=offered")).conversations[0]);
  await caio.post(`/api/v1/conversations/${offered.id}/accept`, undefined, 204);
  await caio.post(`/api/v1/conversations/${offered.id}/messages`, { body: "Olá, Zé! O plano custa R$ 99 por mês." });
  await log(page).getByText("Olá, Zé! O plano custa R$ 99 por mês.").waitFor();
  await page.locator("#atende-widget .subtitle").getByText("Caio Souza está atendendo você").waitFor();
  await log(page).getByText("· lida").first().waitFor(); // Caio read it, answering
  await until("the read status", async () => {
    const { messages } = await caio.get(`/api/v1/conversations/${offered.id}/messages`);
    return messages.find((m) => m.direction === "out")?.status === "read";
  });
  // A picture, uploaded from the widget: the agent gets it, the widget shows it.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAHElEQVR4nGNk+M+AFzAxMDCMKhhVMKpgVAEeAAA5+wEfwFvPjgAAAABJRU5ErkJggg==", "base64");
  await page.locator("#atende-widget input[type=file]").setInputFiles({ name: "produto.png", mimeType: "image/png", buffer: png });
  await log(page).locator("img[alt='produto.png']").waitFor();
  await until("the picture for the agent", async () => {
    const { messages } = await caio.get(`/api/v1/conversations/${offered.id}/messages`);
    return messages.find((m) => m.attachments?.[0]?.name === "produto.png" && m.kind === "image");
  });
  assert.ok(await log(page).locator("img[alt='produto.png']").evaluate((img) => img.complete && img.naturalWidth === 16));
  await page.screenshot({ path: join(artifacts, "desktop-conversation.png") });
  const first = await caio.get(`/api/v1/conversations/${offered.id}`);

  // A reload keeps the conversation.
  await page.reload();
  await launcher(page).click();
  await log(page).getByText("Olá, Zé! O plano custa R$ 99 por mês.").waitFor();
  await log(page).getByText("Quero saber o preço <b>do plano</b>").waitFor();

  // The agent finishes; the visitor leaves and comes back another time in
  // the same browser: the same contact.
  await caio.post(`/api/v1/conversations/${offered.id}/close`, {}, 204);
  await page.close();
  const again = await ctx.newPage();
  await again.goto(siteURL + "/");
  await launcher(again).click();
  await again.locator("#atende-widget .log").getByText("Atendimento encerrado").waitFor();
  await again.locator("#atende-widget textarea:not([name])").fill("Voltei, outra dúvida");
  await again.keyboard.press("Enter");
  const second = await until("the second conversation", async () => {
    const { conversations } = await caio.get(`/api/v1/contacts/${first.contact.id}/conversations`);
    return conversations.length === 2 && conversations;
  });
  assert.equal(second.length, 2);
  const secondID = second.find((c) => c.id !== first.id).id;
  await until("the second offer", async () => (await caio.get("/api/v1/conversations?tab=offered")).conversations.find((c) => c.id === secondID));
  await caio.post(`/api/v1/conversations/${secondID}/accept`, undefined, 204);
  await caio.post(`/api/v1/conversations/${secondID}/close`, {}, 204);

  // A proactive invitation opens the widget with the agent's message.
  await again.locator("#atende-widget .close").click();
  assert.equal(await panel(again).isVisible(), false);
  const visitor = await onlineVisitor((v) => v.contact?.id === first.contact.id);
  const inv = await caio.post(`/api/v1/visitors/${visitor.id}/invitations`, { message: "Posso ajudar a escolher um plano?" });
  await panel(again).waitFor();
  await again.locator("#atende-widget .log").getByText("Posso ajudar a escolher um plano?").waitFor();
  await again.screenshot({ path: join(artifacts, "desktop-invitation.png") });
  await again.locator("#atende-widget textarea:not([name])").fill("Pode sim!");
  await again.keyboard.press("Enter");
  const invited = await until("the invited conversation", async () => {
    const { conversations } = await caio.get("/api/v1/conversations?tab=active");
    return conversations.find((c) => c.id !== first.id && c.id !== secondID);
  });
  assert.equal(invited.contact.id, first.contact.id);
  await again.locator("#atende-widget .subtitle").getByText("Caio Souza está atendendo você").waitFor();
  assert.ok(inv.id > 0);
  await ctx.close();
});

test("the widget on a phone-sized screen", async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "en-US" });
  const page = await ctx.newPage();
  await page.goto(siteURL + "/");
  await launcher(page).waitFor();
  await page.screenshot({ path: join(artifacts, "phone-closed.png") });
  await launcher(page).tap();
  await panel(page).waitFor();
  const box = await panel(page).boundingBox();
  assert.ok(box.width >= 389 && box.height >= 843, `the open widget fills the phone's screen: ${JSON.stringify(box)}`);
  assert.equal(await page.locator("#atende-widget .form p").textContent(), "Before we start, tell us who you are.");
  await page.screenshot({ path: join(artifacts, "phone-open.png") });
  await page.keyboard.press("Escape");
  assert.equal(await panel(page).isVisible(), false);
  await ctx.close();
});

test("with nobody available, the offline form leaves a queued conversation", async () => {
  await caio.post("/api/v1/presence", { presence: "not_ready" }, 200);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "pt-BR" });
  const page = await ctx.newPage();
  await page.goto(siteURL + "/");
  await launcher(page).click();
  await page.locator("#atende-widget .subtitle").getByText("Sem atendentes no momento").waitFor();
  await page.locator("#atende-widget .log").getByText("Deixe sua mensagem").waitFor();
  await page.locator("#atende-widget input[name=name]").fill("Lia Noturna");
  await page.locator("#atende-widget input[name=email]").fill("lia@cliente.example");
  await page.locator("#atende-widget textarea[name=body]").fill("Me liguem amanhã, por favor.");
  await page.screenshot({ path: join(artifacts, "desktop-offline.png") });
  await page.locator("#atende-widget .form button[type=submit]").click();
  await page.locator("#atende-widget .subtitle").getByText("Você é o 1º da fila").waitFor();
  const queued = await until("the queued conversation", async () => {
    const { conversations } = await ana.get("/api/v1/queues/" + channel.department_id + "/conversations");
    return conversations.find((c) => c.contact.name === "Lia Noturna");
  });
  assert.equal(queued.status, "queued");
  await ctx.close();
});

test("the widget rides out a server restart, then rings and blinks for an answer in a background tab", async () => {
  await caio.post("/api/v1/presence", { presence: "not_ready" }, 200); // at work, taking conversations by hand
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "pt-BR" });
  // Count the widget's chimes, and let the test say when the tab is in the
  // background (headless Chromium's tabs are always in front).
  await ctx.addInitScript(() => {
    window.__chimes = 0;
    const Real = window.AudioContext;
    window.AudioContext = class extends Real {
      createOscillator() {
        const o = super.createOscillator();
        const start = o.start.bind(o);
        o.start = (...a) => { window.__chimes++; return start(...a); };
        return o;
      }
    };
    let hidden = false;
    Object.defineProperty(document, "hidden", { get: () => hidden });
    window.__setHidden = (h) => { hidden = h; document.dispatchEvent(new Event("visibilitychange")); };
  });
  const page = await ctx.newPage();
  await page.goto(siteURL + "/");
  await launcher(page).click();
  await page.locator("#atende-widget input[name=name]").fill("Rui Persistente");
  await page.locator("#atende-widget input[name=email]").fill("rui@cliente.example"); // nobody is ready: the offline form asks for it
  await page.locator("#atende-widget textarea[name=body]").fill("Oi, preciso de ajuda");
  await page.locator("#atende-widget .form button[type=submit]").click();
  await log(page).getByText("Oi, preciso de ajuda").waitFor();
  const conv = await until("Rui's conversation in the queue", async () => {
    const { conversations } = await ana.get("/api/v1/queues/" + channel.department_id + "/conversations");
    return conversations.find((c) => c.contact.name === "Rui Persistente");
  });
  await caio.post(`/api/v1/conversations/${conv.id}/pull`, undefined, 204);
  await caio.post(`/api/v1/conversations/${conv.id}/messages`, { body: "Oi Rui, estou aqui." });
  await log(page).getByText("Oi Rui, estou aqui.").waitFor();

  // The server restarts (a deploy). What the visitor writes meanwhile waits
  // in the widget and is sent once it is back, exactly once.
  await atende.halt();
  await page.locator("#atende-widget textarea:not([name])").fill("Caiu a conexão?");
  await page.keyboard.press("Enter");
  await log(page).locator(".msg.pending").getByText("Caiu a conexão?").waitFor();
  await atende.resume();
  await until("the message written while the server was down", async () => {
    const { messages } = await caio.get(`/api/v1/conversations/${conv.id}/messages`);
    return messages.filter((m) => m.body === "Caiu a conexão?").length === 1;
  }, 60000);
  await log(page).locator(".msg.pending").waitFor({ state: "detached" });

  // In a background tab an answer chimes and blinks the title, and is
  // delivered but not read until the visitor comes back to the tab.
  const title = await page.title();
  await page.evaluate(() => window.__setHidden(true));
  const chimes = await page.evaluate(() => window.__chimes);
  const answer = await caio.post(`/api/v1/conversations/${conv.id}/messages`, { body: "Não, está tudo certo." });
  await log(page).getByText("Não, está tudo certo.").waitFor();
  await page.waitForFunction((n) => window.__chimes > n, chimes);
  await page.waitForFunction(() => document.title === "(1) Nova mensagem");
  await page.waitForFunction((t) => document.title === t, title); // it blinks
  await until("the answer delivered", async () => {
    const { messages } = await caio.get(`/api/v1/conversations/${conv.id}/messages`);
    return messages.find((m) => m.id === answer.id)?.status === "delivered";
  });
  await page.evaluate(() => window.__setHidden(false));
  await until("the answer read once the tab is in front", async () => {
    const { messages } = await caio.get(`/api/v1/conversations/${conv.id}/messages`);
    return messages.find((m) => m.id === answer.id)?.status === "read";
  });
  await page.waitForTimeout(1500); // past the blink period: the title stays
  assert.equal(await page.title(), title);
  await ctx.close();
});

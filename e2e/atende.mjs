// A real Atende for browser tests: the built binary on a fresh data
// directory and free ports, with its first users, and a small API client.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const binary = join(repo, "bin", "atende");

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// until retries fn until it returns something truthy, or fails after ms.
export async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

// start runs `atende serve` and creates the users given as
// {name, email, role, password}.
export async function start(users) {
  const data = mkdtempSync(join(tmpdir(), "atende-e2e-"));
  for (const u of users) {
    const r = spawnSync(binary, ["user", "create", "--data", data, "--account", "Acme", "--name", u.name, "--email", u.email,
      "--role", u.role, "--password-stdin"], { input: u.password + "\n", encoding: "utf8" });
    if (r.status !== 0) throw new Error(`atende user create ${u.email}: ${r.stderr}`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc;
  const up = async () => {
    proc = spawn(binary, ["serve", "--data", data, "--addr", `127.0.0.1:${port}`, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
    await until("atende to be ready", async () => (await fetch(url + "/readyz")).ok, 20000);
  };
  const down = async () => {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  };
  await up();
  return {
    url,
    // halt stops the server, keeping its data; resume starts it again on
    // the same address (a restart, as in a deploy).
    halt: down,
    resume: up,
    async stop() {
      await down();
      rmSync(data, { recursive: true, force: true });
    },
    async login(email, password) {
      const res = await fetch(url + "/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
      if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
      const cookie = res.headers.get("set-cookie").split(";")[0];
      return client(url, cookie);
    },
  };
}

function client(url, cookie) {
  const call = async (method, path, body, want) => {
    const res = await fetch(url + path, { method, headers: { Cookie: cookie, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (want !== undefined && res.status !== want) throw new Error(`${method} ${path}: ${res.status} ${text}, want ${want}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    get: (path) => call("GET", path, undefined, 200),
    post: (path, body, want = 201) => call("POST", path, body, want),
    put: (path, body, want = 200) => call("PUT", path, body, want),
    patch: (path, body, want = 200) => call("PATCH", path, body, want),
  };
}

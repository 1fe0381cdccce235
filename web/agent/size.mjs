// The workspace's initial JavaScript — the entry script and what it
// preloads, as dist/index.html lists them — gzipped, against the budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const budget = 300 * 1024;
const html = readFileSync("dist/index.html", "utf8");
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
if (files.length === 0) throw new Error("dist/index.html names no script: run make web");
let total = 0;
for (const f of new Set(files)) total += gzipSync(readFileSync("dist/" + f), { level: 9 }).length;
console.log(`agent workspace initial JS: ${total} bytes gzipped (${(total / 1024).toFixed(1)} KB; budget ${budget / 1024} KB) in ${files.length} file(s)`);
if (total > budget) process.exit(1);

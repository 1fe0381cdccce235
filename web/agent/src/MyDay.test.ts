import type { Summary } from "./api";
import { fold } from "./Conversations";
import { detectLang, duration } from "./i18n";
import { summariseDay } from "./MyDay";

const at = (h: number, m = 0) => new Date(2026, 10, 21, h, m).toISOString();
function conv(id: number, agent: number, assigned: string | null, closed: string | null, status: Summary["status"] = closed ? "closed" : "active"): Summary {
  return {
    id, protocol: String(id), status, subject: "", contact: { id: 1, name: "Zé" }, department: { id: 1, name: "Vendas" }, channel: null,
    agent: { id: agent, name: "A" }, offer_agent_id: null, opened_at: assigned ?? at(0), queued_at: null, assigned_at: assigned,
    last_customer_at: null, last_agent_at: null, closed_at: closed, updated_at: at(0),
  };
}

test("my day counts what I started and concluded today, by hour, and the average handling time", () => {
  const now = new Date(2026, 10, 21, 18, 0);
  const open = [conv(1, 5, at(9, 10), null), conv(2, 6, at(9, 20), null)];
  const finished = [
    conv(3, 5, at(10), at(10, 30)),
    conv(4, 5, at(11), at(11, 10)),
    conv(5, 5, new Date(2026, 10, 20, 16).toISOString(), at(8, 30)), // started yesterday, concluded today
    conv(6, 5, at(12), at(12, 5), "abandoned"),
  ];
  const day = summariseDay(5, open, finished, now);
  expect(day.started).toBe(4); // 1, 3, 4 and the abandoned 6
  expect(day.concluded).toBe(3);
  expect(day.hours[9].started).toBe(1);
  expect(day.hours[10].concluded).toBe(1);
  expect(day.hours[8].concluded).toBe(1);
  expect(Math.round(day.avg)).toBe(Math.round((30 * 60 + 10 * 60 + (16.5 * 3600)) / 3));
});

test("the language follows the browser's first choice", () => {
  expect(detectLang(["pt-BR", "en"])).toBe("pt-BR");
  expect(detectLang(["pt"])).toBe("pt-BR");
  expect(detectLang(["en-US", "pt-BR"])).toBe("en");
  expect(detectLang([])).toBe("en");
});

test("durations and searching without accents", () => {
  expect(duration(42)).toBe("42s");
  expect(duration(187)).toBe("3:07");
  expect(duration(3723)).toBe("1:02:03");
  expect(fold("João Ávila")).toBe("joao avila");
});

import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { fold } from "./Conversations";
import { detectLang, duration } from "./i18n";
import MyDay, { type Day } from "./MyDay";

function day(date: string, over: Partial<Day> = {}): Day {
  const by_hour = Array.from({ length: 24 }, (_, hour) => ({ hour, started: 0, concluded: 0, transferred_away: 0 }));
  by_hour[9] = { hour: 9, started: 2, concluded: 1, transferred_away: 1 };
  by_hour[21] = { hour: 21, started: 0, concluded: 1, transferred_away: 0 };
  return { date, time_zone: "America/Sao_Paulo", started: 2, received: 1, concluded: 2, transferred_away: 1, handled: 3, average_handling: 754, by_hour, ...over };
}

afterEach(() => vi.unstubAllGlobals());

test("my day shows the server's figures for the day, its chart by hour, and earlier days on request", async () => {
  const asked: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string) => {
      asked.push(url);
      const date = new URL(url, "http://x").searchParams.get("date");
      const body = date ? day(date, { started: 7, concluded: 0, transferred_away: 0, received: 0, handled: 0, average_handling: 0 }) : day("2026-11-21");
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    }),
  );
  render(<MyDay />);
  expect((await screen.findByTestId("day-started")).textContent).toBe("2");
  expect(asked).toEqual(["/api/v1/me/day"]);
  // The counts are the server's, not recomputed: a conversation transferred
  // away is still one this agent started.
  expect(screen.getByTestId("day-concluded").textContent).toBe("2");
  expect(screen.getByTestId("day-transferred").textContent).toBe("1");
  expect(screen.getByTestId("day-received").textContent).toBe("1");
  expect(screen.getByTestId("day-average").textContent).toBe(duration(754));
  expect(screen.getByText("over 3 conversations")).toBeTruthy();

  // The chart covers 8h to 18h at least, and the hours with work beyond.
  const bars = (hour: number) => Object.fromEntries([...document.querySelectorAll(`rect[data-hour="${hour}"]`)].map((r) => [r.getAttribute("data-series"), Number(r.getAttribute("height"))]));
  expect(bars(9)).toEqual({ started: 100, concluded: 50, transferred_away: 50 });
  expect(bars(21)).toEqual({ started: 0, concluded: 50, transferred_away: 0 });
  expect(document.querySelector('rect[data-hour="7"]')).toBeNull();
  expect(document.querySelector('rect[data-hour="8"]')).not.toBeNull();

  const picker = screen.getByLabelText("Day") as HTMLInputElement;
  expect(picker.value).toBe("2026-11-21");
  expect(picker.max).toBe("2026-11-21");
  fireEvent.change(picker, { target: { value: "2026-11-20" } });
  await waitFor(() => expect(screen.getByTestId("day-started").textContent).toBe("7"));
  expect(asked[asked.length - 1]).toBe("/api/v1/me/day?date=2026-11-20");
  expect(screen.getByTestId("day-average").textContent).toBe(duration(0));
});

test("my day shows the API's error instead of figures", async () => {
  vi.stubGlobal("fetch", vi.fn(() => Promise.resolve(new Response(JSON.stringify({ error: { code: "invalid", message: "date: must not be after today", field: "date" } }), { status: 422 }))));
  render(<MyDay />);
  expect(await screen.findByText("date: must not be after today")).toBeTruthy();
  expect(screen.queryByTestId("day-started")).toBeNull();
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

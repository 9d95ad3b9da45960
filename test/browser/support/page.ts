// Helpers for driving and checking the pages from the tests. Callbacks that run inside the page are
// serialized by Playwright, so they reach the DOM through `(globalThis as any).document` themselves (the
// project's TypeScript libs are the Workers' ones, without DOM types).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";

export const SCREENSHOTS = "test-results/browser";

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects what would show a broken page: console errors (CSP refusals among them) and uncaught exceptions. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // Chromium logs every non-2xx fetch; the pages handle the API's 400/404 answers (quality feedback,
    // "no face model yet"), so only failures of the pages' own files count here.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && m.location().url.includes("/backend/")) return;
    problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  return problems;
}

/** The id of the focused element (keyboard focus checks). */
export const focusedId = (page: Page): Promise<string> =>
  page.evaluate(() => ((globalThis as any).document.activeElement?.id as string | undefined) ?? "");

/** The current text of the page's live regions (status and alert). */
export const messageText = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const d = (globalThis as any).document;
    return `${d.getElementById("status")?.textContent ?? ""} ${d.getElementById("alert")?.textContent ?? ""}`.trim();
  });

/** Waits until a live region says something matching `pattern`; returns what they say. */
export async function waitForMessage(page: Page, pattern: RegExp, timeout = 120_000): Promise<string> {
  try {
    await page.waitForFunction(
      (source) => {
        const d = (globalThis as any).document;
        return new RegExp(source).test(`${d.getElementById("status")?.textContent ?? ""} ${d.getElementById("alert")?.textContent ?? ""}`);
      },
      pattern.source,
      { timeout, polling: 100 },
    );
  } catch (e) {
    throw new Error(`No message matching ${pattern} (the page says: "${await messageText(page)}")`, { cause: e });
  }
  return messageText(page);
}

/**
 * Presses `buttonSelector` (focus, then activate, as Enter does) at a moment the camera preview shows the
 * wanted kind of frame. The fake camera alternates face frames with a grey "nobody in view" frame; the check
 * and the press happen in one task of the page, so the frame cannot change in between. `newFrame`: only on a face
 * frame not pressed on before in this page (the fake camera's frames each have their own noise, test/browser/support/
 * y4m.ts): an enrolment's pictures must be different captures, and the same frame twice is taken for a copy.
 */
export async function pressWhenCameraShows(page: Page, kind: "face" | "blank", buttonSelector: string, timeout = 30_000, newFrame = false) {
  await page.waitForFunction(
    ([wanted, selector, fresh]) => {
      const d = (globalThis as any).document;
      const video = d.getElementById("preview");
      const button = d.querySelector(selector);
      if (!video || !button || button.disabled || video.videoWidth === 0) return false;
      const c = d.createElement("canvas");
      c.width = 32;
      c.height = 24;
      const g = c.getContext("2d", { willReadFrequently: true });
      g.drawImage(video, 0, 0, c.width, c.height);
      const px: Uint8ClampedArray = g.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < px.length; i += 4) {
        const y = 0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!;
        sum += y;
        sq += y * y;
      }
      const n = px.length / 4;
      const blank = Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) < 4;
      if (blank !== (wanted === "blank")) return false;
      if (fresh) {
        // A full-resolution patch: its sum changes with every frame's own noise (a downscaled one averages it away).
        const p = d.createElement("canvas");
        p.width = 64;
        p.height = 64;
        const pg = p.getContext("2d", { willReadFrequently: true });
        pg.drawImage(video, 288, 208, 64, 64, 0, 0, 64, 64);
        const raw: Uint8ClampedArray = pg.getImageData(0, 0, 64, 64).data;
        let fingerprint = 0;
        for (let i = 0; i < raw.length; i += 4) fingerprint += raw[i]! + 3 * raw[i + 1]! + 7 * raw[i + 2]!;
        const seen: Set<number> = ((globalThis as any).__pressedFrames ??= new Set<number>());
        if (seen.has(fingerprint)) return false;
        seen.add(fingerprint);
      }
      button.focus();
      button.click();
      return true;
    },
    [kind, buttonSelector, newFrame] as const,
    { timeout, polling: 50 },
  );
}

// The dashboard's decision parts in Chromium against `npm start` (docs/decisions.md): a device report with a
// forbidden program is a server decision (the process list against the exam's policy); the student contests
// it through the API; the instructor opens the student's decision timeline on the page, overturns it with a
// reason, and the exam's and the institution's error reports draw their bar charts (SVG made by the page, no third-party script).
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { route as updateExamCondition } from "../../src/routes/exams/update-exam-condition";
import { route as monitoringReport } from "../../src/routes/monitoring/monitoring";
import { route as contestDecision } from "../../src/routes/student/contest-decision";
import { route as studentDecisions } from "../../src/routes/student/decisions";
import { call, createExam, ORGANIZATION, PASSWORD, registerAndLogin } from "./support/api";
import { launchChromium } from "./support/chromium";
import { screenshot, waitForMessage, watchProblems } from "./support/page";

let context: BrowserContext;

beforeAll(async () => {
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
});

it("shows a student's decisions with explanations, overturns a contested one, and draws the exam's error report", async () => {
  const baseUrl = inject("baseUrl");
  const instructor = await registerAndLogin(baseUrl, "INSTRUCTOR", "Maria", "Lecturer");
  const ann = await registerAndLogin(baseUrl, "STUDENT", "Ann", "Smith");
  const examId = await createExam(baseUrl, instructor.token, `Decisions ${Date.now().toString(36)}`, [ann], ["anydesk*"]);
  await call(baseUrl, updateExamCondition, { token: instructor.token, json: { exam_id: examId, condition: "Start" } });
  await call(baseUrl, monitoringReport, { token: ann.token, json: { exam_id: examId, is_face_detected: true, running_processes: ["chrome.exe", "AnyDesk.exe"] } });
  await call(baseUrl, monitoringReport, { token: ann.token, json: { exam_id: examId, is_face_detected: true, running_processes: ["chrome.exe"] } });

  // Ann reads her decisions with their explanations and contests the flagged one.
  const mine = await call(baseUrl, studentDecisions, { token: ann.token });
  const flagged = mine.resource_array.find((d) => d.outcome === "flagged")!;
  expect(flagged.explanation).toBe("A program the exam forbids was running: anydesk.exe. Your instructor sees this as an alert.");
  await call(baseUrl, contestDecision, { token: ann.token, json: { decision_id: flagged.decision_id, text: "AnyDesk was closed; it is the IT helpdesk's autostart." } });

  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${baseUrl}/dashboard/`);
  await page.fill("#login-email", instructor.email);
  await page.fill("#login-password", PASSWORD);
  await page.fill("#login-organization", ORGANIZATION);
  await page.keyboard.press("Enter");
  await waitForMessage(page, /exams? loaded/, 30_000);

  const row = page.locator(`#exam-${examId} tbody tr`).filter({ hasText: ann.email });
  expect(await row.locator("td").nth(2).locator("p").textContent()).toBe("Forbidden program: anydesk.exe (once)");
  // The row's decision timeline opens from the keyboard.
  const show = row.getByRole("button", { name: "Show decisions" });
  await show.focus();
  await page.keyboard.press("Enter");
  expect(await show.getAttribute("aria-expanded")).toBe("true");
  // Ids are per view (the same decision can be open in the row and in the exam's contests): the row's one.
  const item = row.locator(`[id$="-decision-${flagged.decision_id}"]`);
  await item.waitFor({ timeout: 30_000 });
  expect(await item.textContent()).toContain("A program the exam forbids was running: anydesk.exe.");
  expect(await item.textContent()).toContain("Contest: “AnyDesk was closed; it is the IT helpdesk's autostart.”");
  expect(await row.locator("ol.decisions li").count()).toBe(2);
  await screenshot(page, "decisions-1-timeline");

  // Overturn, with a reason: the decision says so and the alert goes.
  await item.getByLabel("Your reason").fill("Checked with the helpdesk: an autostart, closed before the exam.");
  await item.getByRole("button", { name: "Overturn" }).click();
  await waitForMessage(page, /was overturned/, 30_000);
  await row.locator(`[id$="-decision-${flagged.decision_id}"]`, { hasText: "overturned this decision" }).waitFor({ timeout: 30_000 });
  // The list is reloaded by the review itself: the alert is gone without Refresh (a probe saw it stay until then).
  await page.locator(`#exam-${examId} tbody tr`).filter({ hasText: ann.email }).locator("td").nth(2).filter({ hasText: /^None$/ }).waitFor({ timeout: 30_000 });
  await page.click("#refresh");
  await waitForMessage(page, /up to date/, 30_000);
  expect(await page.locator(`#exam-${examId} tbody tr`).filter({ hasText: ann.email }).locator("td").nth(2).textContent()).toBe("None");

  // The exam's error report: a summary and two bar charts drawn as SVG, with their tables.
  const report = page.locator(`#exam-${examId}-decisions`);
  await report.locator("summary").click();
  await report.locator("svg.chart").first().waitFor({ timeout: 30_000 });
  expect(await report.locator("p.summary").textContent()).toMatch(/^2 decisions, 0 refused \(0\.0 %\).*1 contested, 1 overturned\.$/);
  expect(await report.locator("svg.chart").count()).toBe(2);
  expect(await report.locator("svg.chart").first().locator("rect").count()).toBe(1); // one modality: processes
  expect(await report.locator("table.report").first().textContent()).toContain("processes");
  // The contested decision is now shown twice (the row's timeline and the exam's contests): no id appears twice.
  await report.locator("ol.decisions li").first().waitFor({ timeout: 30_000 });
  // The exam's contests name each student (the row's timeline is one student's, so it does not).
  expect(await report.locator("ol.decisions li .who").first().textContent()).toContain(ann.email);
  expect(await row.locator("ol.decisions li .who").count()).toBe(0);
  const ids: string[] = await page.evaluate(() => Array.from((globalThis as any).document.querySelectorAll("[id]"), (e: any) => e.id as string));
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  await screenshot(page, "decisions-2-report");

  // The institution's report over a period (yesterday to tomorrow), from the form below the exams.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toLocaleDateString("sv-SE"); // YYYY-MM-DD, local
  await page.fill("#report-from", day(-1));
  await page.fill("#report-to", day(1));
  await page.locator("#report-form button[type=submit]").press("Enter");
  await waitForMessage(page, /institution's report is shown/, 30_000);
  expect(await page.locator("#report p.summary").textContent()).toMatch(/^\d+ decisions, /);
  expect(await page.locator("#report svg.chart").count()).toBe(2);
  await screenshot(page, "decisions-3-institution-report");

  expect(problems).toEqual([]);
  await page.close();
});

// The instructor dashboard in Chromium against the service started by `npm start`: an exam set up and
// monitored through the API shows its status, students, verification and alert timeline; a manual
// approval made on the page reaches the API.
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { route as updateExamCondition } from "../../src/routes/exams/update-exam-condition";
import { route as listInstructorExams } from "../../src/routes/instructor/list-exam";
import { route as monitoringReport } from "../../src/routes/monitoring/monitoring";
import { route as requestManualApproval } from "../../src/routes/student/request-manual-approval";
import { route as submitFeedback } from "../../src/routes/student/submit-feedback";
import type { RequestJson } from "../workers/api";
import { call, createExam, ORGANIZATION, PASSWORD, registerAndLogin } from "./support/api";
import { launchChromium } from "./support/chromium";
import { focusedId, screenshot, waitForMessage, watchProblems } from "./support/page";

let context: BrowserContext;

beforeAll(async () => {
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
});

it("shows the instructor's exam, students, verification and alert timeline, and approves a student manually", async () => {
  const baseUrl = inject("baseUrl");
  const instructor = await registerAndLogin(baseUrl, "INSTRUCTOR", "Maria", "Lecturer");
  const ann = await registerAndLogin(baseUrl, "STUDENT", "Ann", "Smith");
  const bob = await registerAndLogin(baseUrl, "STUDENT", "Bob", "Jones");
  const examName = `Algorithms ${Date.now().toString(36)}`;
  const examId = await createExam(baseUrl, instructor.token, examName, [ann, bob], ["anydesk*"]);
  await call(baseUrl, updateExamCondition, { token: instructor.token, json: { exam_id: examId, condition: "Start" } });

  // Ann's device reports problems: no face twice (one episode), a forbidden program, then two faces.
  const report = (body: Omit<RequestJson<typeof monitoringReport>, "exam_id">) => call(baseUrl, monitoringReport, { token: ann.token, json: { exam_id: examId, ...body } });
  await report({ is_face_detected: false });
  await report({ is_face_detected: false });
  await report({ is_face_detected: true, running_processes: ["chrome.exe", "AnyDesk.exe"] });
  await report({ is_face_detected: true, is_multiple_face_results: true });
  // Bob asks for manual approval; Ann reports what she noticed.
  await call(baseUrl, requestManualApproval, { token: bob.token, json: { exam_id: examId, manual_approval_type: "Photo ID" } });
  await call(baseUrl, submitFeedback, { token: ann.token, json: { exam_id: examId, cheat_mode: "Communication", feedback: "Someone whispered <b>answers</b>" } });

  const page = await context.newPage();
  const problems = watchProblems(page);
  const response = await page.goto(`${baseUrl}/dashboard/`);
  expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
  await page.fill("#login-email", instructor.email);
  await page.fill("#login-password", PASSWORD);
  await page.fill("#login-organization", ORGANIZATION);
  await page.keyboard.press("Enter");
  await waitForMessage(page, /exams? loaded/, 30_000);
  expect(await focusedId(page)).toBe("exams-title");

  const exam = page.locator(`#exam-${examId}`);
  expect(await exam.locator("h2").textContent()).toBe(`${examName} Started`);
  expect(await exam.locator("dl.facts").textContent()).toContain("Verified0 of 2");
  const rows = exam.locator("tbody tr");
  expect(await rows.count()).toBe(2);
  const annRow = rows.filter({ hasText: ann.email });
  const bobRow = rows.filter({ hasText: bob.email });
  expect(await annRow.locator("td").nth(0).textContent()).toBe("Pending");
  // The reason Bob gave is beside his status (issue 18 part 5); Ann's feedback has its own column, as text.
  expect(await bobRow.locator("td").nth(0).textContent()).toBe("Requested manual approvalReason given: Photo ID");
  expect(await annRow.locator("td").nth(3).textContent()).toMatch(/^Communication: Someone whispered <b>answers<\/b>/);
  expect(await annRow.locator("td").nth(3).locator("b").count()).toBe(0);
  expect(await bobRow.locator("td").nth(3).textContent()).toBe("None");
  expect(await annRow.locator("td").nth(2).locator("p").textContent()).toBe(
    "No face (2 times); Forbidden program: anydesk.exe (once); Several faces (once)",
  );
  expect(await bobRow.locator("td").nth(2).textContent()).toBe("None");

  // The timeline opens from the keyboard (a native <details>), oldest episode first.
  await annRow.locator("summary").focus();
  await page.keyboard.press("Enter");
  const episodes = annRow.locator("ol.timeline li");
  expect(await episodes.count()).toBe(3);
  expect(await episodes.nth(0).textContent()).toMatch(/^No face.*, 2 times$/);
  expect(await episodes.nth(1).textContent()).toMatch(/^Forbidden program: anydesk\.exe.*, once$/);
  expect(await episodes.nth(2).textContent()).toMatch(/^Several faces.*, once$/);
  await screenshot(page, "dashboard-1-exam-with-alerts");

  // Manual approval from the page, confirmed in the browser's dialog; focus lands on the new status.
  page.once("dialog", (d) => void d.accept());
  await bobRow.getByRole("button", { name: "Approve manually" }).focus();
  await page.keyboard.press("Enter");
  await waitForMessage(page, /Bob Jones is now verified/, 30_000);
  const bobAfter = page.locator(`#exam-${examId} tbody tr`).filter({ hasText: bob.email });
  expect(await bobAfter.locator("td").nth(0).textContent()).toBe("Verifiedby manual approvalReason given: Photo ID");
  expect(await focusedId(page)).toMatch(/-verification$/);
  expect(await page.locator(`#exam-${examId} dl.facts`).textContent()).toContain("Verified1 of 2");
  expect(await bobAfter.locator("td").nth(4).textContent()).toBe("Nothing to do"); // after the Feedback column
  // Ann's timeline, opened before the approval, is still open after the list was reloaded.
  expect(await page.locator(`#exam-${examId} tbody tr`).filter({ hasText: ann.email }).locator("details").getAttribute("open")).toBe("");
  await screenshot(page, "dashboard-2-after-approval");

  const exams = await call(baseUrl, listInstructorExams, { token: instructor.token });
  const students = exams.resource_array.find((e) => Number(e.exam_id) === examId)!.enrolled_students;
  expect(students.find((s) => s.email === bob.email)).toMatchObject({ verification_status: "Verified", verified_by: "manual" });

  expect(problems).toEqual([]);
  await page.close();
});

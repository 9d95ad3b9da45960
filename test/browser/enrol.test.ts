// The student enrolment page in Chromium, keyboard first, with the fake camera playing a real face picture
// from ../shared/data through the real face models of the service started by `npm start`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { route as loginRoute } from "../../src/routes/auth/login";
import { route as biometricsList } from "../../src/routes/biometrics/list";
import { route as listInstructorExams } from "../../src/routes/instructor/list-exam";
import { call, createExam, inviteStudent, ORGANIZATION, PASSWORD, registerAndLogin } from "./support/api";
import { launchChromium } from "./support/chromium";
import { focusedId, messageText, pressWhenCameraShows, screenshot, waitForMessage, watchProblems } from "./support/page";
import { writeFaceY4m } from "./support/y4m";

const FACE = resolve("..", "shared", "data", "media", "obama_640x480.jpg");

let context: BrowserContext;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "trustid-camera-"));
  const video = join(tmp, "face.y4m");
  writeFaceY4m(FACE, video); // never copied into the repository: a temp file for this run
  context = await launchChromium({ fakeVideo: video });
});

afterAll(async () => {
  await context?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it("enrols a student's face from the camera with keyboard only, then verifies them for an exam", async () => {
  const baseUrl = inject("baseUrl");
  const student = await registerAndLogin(baseUrl, "STUDENT", "Barack", "Obama");
  const instructor = await registerAndLogin(baseUrl, "INSTRUCTOR", "Irene", "Instructor");
  const examName = `Constitutional Law ${Date.now().toString(36)}`;
  const examId = await createExam(baseUrl, instructor.token, examName, [student]);

  const page = await context.newPage();
  const problems = watchProblems(page);
  const response = await page.goto(`${baseUrl}/enrol/`);
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(response?.headers()["permissions-policy"]).toContain("camera=(self)");

  // Sign in with the keyboard only: the skip link comes first, then the form's fields in order.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe("Skip to main content");
  await page.keyboard.press("Tab");
  expect(await focusedId(page)).toBe("login-email");
  await page.keyboard.type(student.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  expect(await focusedId(page)).toBe("login-organization");
  await page.keyboard.type(ORGANIZATION);
  await screenshot(page, "enrol-1-sign-in");
  await page.keyboard.press("Enter");

  // Consent: focus moves to the step's heading; continuing without the box ticked is refused.
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === "consent-title");
  await screenshot(page, "enrol-2-consent");
  await page.keyboard.press("Tab");
  expect(await focusedId(page)).toBe("consent-check");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  expect(await focusedId(page)).toBe("consent-check");
  expect(await page.textContent("#consent-error")).toMatch(/Tick the box/);
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");

  // Camera: started from the keyboard; focus then moves to the picture button.
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === "capture-title");
  await page.keyboard.press("Tab");
  expect(await focusedId(page)).toBe("start-camera");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === "take-picture", undefined, { timeout: 30_000 });
  await waitForMessage(page, /camera is on/);

  // Nobody in view: the API's answer becomes advice in the status region, and nothing is accepted.
  await pressWhenCameraShows(page, "blank", "#take-picture");
  const noFace = await waitForMessage(page, /Picture 1 was not accepted/);
  expect(noFace).toMatch(/No face was found/);
  expect(await page.textContent("#shot-count")).toBe("0 of 3 pictures accepted.");
  await screenshot(page, "enrol-3-no-face-feedback");

  // Three pictures of the face, each checked by the API (the first one runs the models cold).
  for (let n = 1; n <= 3; n++) {
    await pressWhenCameraShows(page, "face", "#take-picture", 30_000, true); // three different captures, as a camera gives
    await waitForMessage(page, new RegExp(`Picture ${n} accepted|All 3 pictures accepted`), 180_000);
  }
  expect(await page.textContent("#shot-count")).toBe("3 of 3 pictures accepted.");
  expect(await focusedId(page)).toBe("register");
  await screenshot(page, "enrol-4-three-pictures");

  await page.keyboard.press("Enter");
  await waitForMessage(page, /Your face is registered \(3 of 3 pictures used\)/, 120_000);
  expect(await focusedId(page)).toBe("verify-title");

  // Verification try for the exam: a match marks the student verified (by face) for it.
  expect(await page.$eval("#verify-exam", (s: any) => s.selectedOptions[0].textContent as string)).toContain(examName);
  await pressWhenCameraShows(page, "face", "#verify-button");
  const verified = await waitForMessage(page, /It matches|does not match|could not/, 120_000);
  expect(verified).toBe(`It matches: you are verified for ${examName}.`);
  await screenshot(page, "enrol-5-verified");

  const exams = await call(baseUrl, listInstructorExams, { token: instructor.token });
  const enrolled = exams.resource_array.find((e) => Number(e.exam_id) === examId)!.enrolled_students[0];
  expect(enrolled).toMatchObject({ email: student.email, verification_status: "Verified", verified_by: "face" });

  // Withdrawal deletes the template (after a confirmation) and returns to the consent step.
  page.once("dialog", (d) => void d.accept());
  await page.click("#delete-template");
  await waitForMessage(page, /Your face template has been deleted/);
  expect(await focusedId(page)).toBe("consent-title");
  const list = await call(baseUrl, biometricsList, { token: student.token });
  expect(list.resource_array).toEqual([]);

  expect(problems, `page problems; last message: ${await messageText(page)}`).toEqual([]);
  await page.close();
});

it("an invited student opens the mail's link, sets up the account with the keyboard and goes on to consent", async () => {
  const baseUrl = inject("baseUrl");
  const instructor = await registerAndLogin(baseUrl, "INSTRUCTOR", "Iris", "Instructor");
  const invited = await inviteStudent(baseUrl, instructor.token, `Contract Law ${Date.now().toString(36)}`);

  const page = await context.newPage();
  const problems = watchProblems(page);
  const link = `${baseUrl}/enrol/#claim?${new URLSearchParams({ email: invited.email, organization: ORGANIZATION, token: invited.token })}`;
  await page.goto(link);
  // Focus lands on the claim form's heading, the link's values are filled in, and the token left the address bar.
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === "claim-title");
  expect(await page.inputValue("#claim-email")).toBe(invited.email);
  expect(await page.inputValue("#claim-organization")).toBe(ORGANIZATION);
  expect(await page.inputValue("#claim-token")).toBe(invited.token);
  expect(page.url()).toBe(`${baseUrl}/enrol/`);

  // Tab past the three filled fields to the name; a short password is refused before anything is sent.
  for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
  expect(await focusedId(page)).toBe("claim-name");
  await page.keyboard.type("Ines");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Invited");
  await page.keyboard.press("Tab");
  expect(await focusedId(page)).toBe("claim-password");
  await page.keyboard.type("short");
  await page.keyboard.press("Enter");
  expect(await page.textContent("#claim-password-error")).toMatch(/at least 8 characters/);
  expect(await page.getAttribute("#claim-password", "aria-invalid")).toBe("true");
  await page.fill("#claim-password", "");
  await page.keyboard.type(PASSWORD);
  await screenshot(page, "enrol-0-claim");
  await page.keyboard.press("Enter");

  // Claimed and signed in: the consent step, and the account now signs in with its new password.
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === "consent-title");
  // `say` writes its text in a later task (so that screen readers announce it), hence wait rather than read.
  expect(await waitForMessage(page, /account is set up/, 10_000)).toMatch(/account is set up/);
  const login = await call(baseUrl, loginRoute, { json: { email: invited.email, password: PASSWORD, organization: ORGANIZATION } });
  expect(login.resource_obj.access).toBeTruthy();
  expect(problems).toEqual([]);
  await page.close();
});

// The default forbidden-process policy through the API: it applies when nobody set anything, an exam or
// an institution exempts names from it ("!pattern") or turns it off ("!*"), and exemptions never cancel
// patterns set explicitly. The list itself is tested in test/node/process-policy-defaults.test.ts.
import { describe, expect, it } from "vitest";
import { processPolicies } from "../../../src/db/schema";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as updateExamDetails } from "../../../src/routes/instructor/update-exam-details";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { route as checkupProcess } from "../../../src/routes/student/checkup-process";
import { api, bodyAt, type RequestJson } from "../api";
import { loginAs, newSession, registerUser } from "../helpers";
import { addExam, db, enrol, instructorExamView, newInstitution, startedExamWithStudent } from "./support";

const checkup = (token: string, json: RequestJson<typeof checkupProcess>) => api(checkupProcess, { token, json });
const TOOLS = ["chrome.exe", "AnyDesk.exe", "obs64.exe", "ManyCam.exe", "Zoom.exe"];

describe("default forbidden-process policy", () => {
  it("applies to the checkup and to monitoring when neither the institution nor the exam set patterns", async () => {
    const s = await newSession("STUDENT");
    const res = await checkup(s.access, { running_processes: TOOLS });
    expect(res.body).toMatchObject({ resource_array: ["AnyDesk.exe", "obs64.exe", "ManyCam.exe"], resource_bool: false });

    const { student, examId } = await startedExamWithStudent("UCY");
    const report = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, running_processes: "chrome.exe,TeamViewer.exe" } });
    expect(report.status).toBe(200);
    expect(bodyAt(report, 200).resource_array).toEqual(["forbidden_process: teamviewer.exe"]);
  });

  it("reads a list sent as text the way clients write lists: JSON, Python, Java; an unreadable one is a 400", async () => {
    // Before, the brackets and quotes stayed in the names, nothing matched, and AnyDesk went unreported.
    const s = await newSession("STUDENT");
    const pythonQuoted = TOOLS.map((t) => `'${t}'`).join(", ");
    // JSON, Python's list, set and tuple, Java's List/Set, a CSV row, semicolons (a probe's set and CSV texts flagged nothing).
    const texts = [JSON.stringify(TOOLS), `[${pythonQuoted}]`, `{${pythonQuoted}}`, `(${pythonQuoted})`, `[${TOOLS.join(", ")}]`, `{${TOOLS.join(", ")}}`];
    for (const text of [...texts, TOOLS.map((t) => `"${t}"`).join(","), TOOLS.join(";")]) {
      expect(bodyAt(await checkup(s.access, { running_processes: text }), 200).resource_array, text).toEqual(["AnyDesk.exe", "obs64.exe", "ManyCam.exe"]);
    }
    const { student, examId } = await startedExamWithStudent("UCY");
    const report = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, running_processes: '["chrome.exe","TeamViewer.exe"]' } });
    expect(bodyAt(report, 200).resource_array).toEqual(["forbidden_process: teamviewer.exe"]);
    for (const text of ['["chrome.exe", AnyDesk.exe]', "{'chrome.exe', AnyDesk.exe}", '{"name": "AnyDesk.exe"}', '"chrome.exe", AnyDesk.exe']) {
      const unreadable = await checkup(s.access, { running_processes: text });
      expect(unreadable.status, text).toBe(400);
      expect(bodyAt(unreadable, 400).error_details.running_processes![0]).toMatch(/could not be read/);
    }
    // A quoted CSV row of Windows paths keeps its backslashes (a probe's AnyDesk went unreported as C:Program Files...).
    const paths = await checkup(s.access, { running_processes: '"C:\\Program Files\\AnyDesk\\AnyDesk.exe","C:\\Windows\\notepad.exe"' });
    expect(bodyAt(paths, 200).resource_array).toEqual(["C:\\Program Files\\AnyDesk\\AnyDesk.exe"]);
    // A name too long, or half a surrogate pair made by an escape, inside a list's text: said as for an array.
    const long = bodyAt(await checkup(s.access, { running_processes: `["${"x".repeat(300)}"]` }), 400);
    expect(long.bad_formatted_fields).toEqual(["running_processes.0"]);
    expect(long.error_details["running_processes.0"]).toEqual(["A process name may be at most 260 characters."]);
    const lone = bodyAt(await checkup(s.access, { running_processes: '["\\ud83d.exe"]' }), 400);
    expect(lone.error_details.running_processes![0]).toMatch(/surrogate/);
  });

  it("is narrowed or turned off by an exam for that exam only, and shown to its instructor as set", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const withObs = await addExam(t.access, { forbidden_processes: ["!OBS*"] });
    const replaced = await addExam(t.access, { forbidden_processes: ["!*", "zoom*"] });
    await enrol(t.access, withObs, [s.user.email]);
    await enrol(t.access, replaced, [s.user.email]);
    expect(bodyAt(await checkup(s.access, { exam_id: withObs, running_processes: TOOLS }), 200).resource_array).toEqual(["AnyDesk.exe", "ManyCam.exe"]);
    expect(bodyAt(await checkup(s.access, { exam_id: replaced, running_processes: TOOLS }), 200).resource_array).toEqual(["Zoom.exe"]);
    // Without an exam (or for another exam) the defaults still apply.
    expect(bodyAt(await checkup(s.access, { running_processes: TOOLS }), 200).resource_array).toEqual(["AnyDesk.exe", "obs64.exe", "ManyCam.exe"]);
    expect((await instructorExamView(t.access, replaced)).forbidden_processes.sort()).toEqual(["!*", "zoom*"]);
    // Clearing the exam's list brings the defaults back.
    const cleared = await api(updateExamDetails, {
      token: t.access,
      json: { exam_id: replaced, exam_type: "Written", duration: 90, scheduled_date: new Date(Date.now() + 3600_000).toISOString(), privacy_policy: "p", forbidden_processes: [] },
    });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(bodyAt(await checkup(s.access, { exam_id: replaced, running_processes: TOOLS }), 200).resource_array).toEqual(["AnyDesk.exe", "obs64.exe", "ManyCam.exe"]);
  });

  it("is replaced by an institution ('!*' plus its own patterns); no exemption cancels an explicit pattern", async () => {
    const inst = await newInstitution();
    await db()
      .insert(processPolicies)
      .values(["!*", "anydesk*"].map((pattern) => ({ institutionId: inst.id, examId: null, pattern, createdAt: Date.now() })));
    const t = await loginAs(await registerUser({ role: "INSTRUCTOR", organization: inst.code }));
    const su = await registerUser({ role: "STUDENT", organization: inst.code });
    const s = await loginAs(su);
    expect(bodyAt(await checkup(s.access, { running_processes: TOOLS }), 200).resource_array).toEqual(["AnyDesk.exe"]);
    // An exam cannot take back what its institution forbids explicitly, but adds its own.
    const id = await addExam(t.access, { forbidden_processes: ["!anydesk*", "manycam*"] });
    await enrol(t.access, id, [su.email]);
    expect(bodyAt(await checkup(s.access, { exam_id: id, running_processes: TOOLS }), 200).resource_array).toEqual(["AnyDesk.exe", "ManyCam.exe"]);
    // Other institutions keep the defaults.
    const elsewhere = await newSession("STUDENT", "UC");
    expect(bodyAt(await checkup(elsewhere.access, { running_processes: TOOLS }), 200).resource_array).toEqual(["AnyDesk.exe", "obs64.exe", "ManyCam.exe"]);
  });

  it("refuses exemptions that mean nothing", async () => {
    const t = await newSession("INSTRUCTOR");
    for (const bad of ["!", "!!obs*"]) {
      const res = await api(addExamRoute, {
        token: t.access,
        json: { name: "E", exam_type: "Written", duration: 60, scheduled_date: new Date(Date.now() + 3600_000).toISOString(), privacy_policy: "p", forbidden_processes: [bad] },
      });
      expect(res.status).toBe(400);
      expect(bodyAt(res, 400).bad_formatted_fields).toEqual(["forbidden_processes"]);
    }
  });
});

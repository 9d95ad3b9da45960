// Instructor dashboard: the instructor's exams (GET /backend/instructor/list_exam) with status, enrolled
// students, verification status (with the reason a student gave for manual approval), each student's alert
// timeline and the feedback they submitted; manual approval
// (POST /backend/instructor/manual_approve_student). Everything is rebuilt from one list_exam answer, so
// what is shown is always one consistent snapshot; a refresh is explicit (no timer re-rendering under a
// screen reader's cursor).
import { api, ApiError, currentUser, signOut } from "../assets/api.js";
import { wireLogin } from "../assets/login.js";
import { busy, byId, focusOn, h, say, timeEl } from "../assets/ui.js";
import { examDecisions, studentDecisions, wireInstitutionReport } from "./decisions.js";

/** Alert reasons (services/monitoring.ts) in words. */
const REASONS = {
  no_face: "No face",
  multiple_faces: "Several faces",
  face_mismatch: "Face did not match",
  liveness_failed: "Liveness check failed",
  forbidden_process: "Forbidden program",
  voice_mismatch: "Voice did not match",
  template_missing: "Not registered: cannot be checked",
  repeated_sample: "Same picture or recording sent again (a still image or a loop)",
  client_error: "Error on the student's device",
};
const reasonText = (r) => REASONS[r] ?? r.replace(/_/g, " ");

const VERIFIED_BY = { face: "by face verification", manual: "by manual approval" };

/** Times are shown to the second: an episode within one second reads as one time, not "10:02:13 to 10:02:13". */
const sameSecond = (a, b) => Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
const times = (n) => (n === 1 ? "once" : `${n} times`);
const fullName = (s) => `${s.name} ${s.surname}`.trim() || s.email;

/** A stable id fragment for an exam/student pair (emails may hold characters ids should not). */
const rowKey = (examId, email) => `s-${examId}-${Array.from(email, (ch) => ch.charCodeAt(0).toString(36)).join("")}`;

function badge(text, cls = text.split(" ")[0]) {
  return h("span", { class: `badge ${cls}` }, text);
}

function fact(label, ...value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, ...value));
}

/** "No face ×3; Forbidden program: anydesk.exe ×2", counted over the episodes. */
function alertSummary(timeline) {
  const counts = new Map();
  for (const a of timeline) {
    const key = a.detail ? `${reasonText(a.reason)}: ${a.detail}` : reasonText(a.reason);
    counts.set(key, (counts.get(key) ?? 0) + a.occurrences);
  }
  return Array.from(counts, ([k, n]) => `${k} (${times(n)})`).join("; ");
}

function timeline(examId, student) {
  const list = student.alert_timeline ?? [];
  if (list.length === 0) return h("span", { class: "none" }, "None");
  return h(
    "div",
    {},
    h("p", { class: "sub" }, alertSummary(list)),
    h(
      "details",
      { id: `${rowKey(examId, student.email)}-timeline` },
      h("summary", {}, `Timeline: ${list.length} ${list.length === 1 ? "episode" : "episodes"}`),
      h(
        "ol",
        { class: "timeline" },
        list.map((a) =>
          h(
            "li",
            {},
            h("span", { class: "reason" }, reasonText(a.reason)),
            a.detail ? `: ${a.detail}` : "",
            h(
              "span",
              { class: "sub" },
              timeEl(a.first_seen_at, false),
              sameSecond(a.first_seen_at, a.last_seen_at) ? "" : [" to ", timeEl(a.last_seen_at, false)],
              `, ${times(a.occurrences)}`,
            ),
          ),
        ),
      ),
    ),
  );
}

function presence(s) {
  if (!s.joined_at) return h("span", { class: "none" }, "Not joined");
  return h(
    "span",
    {},
    "Joined ",
    timeEl(s.joined_at, false),
    s.left_at ? h("span", { class: "sub" }, "Left ", timeEl(s.left_at, false)) : "",
  );
}

const CHEAT_MODES = { Communication: "Communication", Impersonation: "Impersonation" };

/** What the student reported with submit_feedback (cheating they noticed), oldest first. */
function feedbackList(s) {
  const list = s.feedback ?? [];
  if (list.length === 0) return h("span", { class: "none" }, "None");
  return h(
    "ul",
    { class: "feedback" },
    list.map((f) =>
      h("li", {}, h("span", { class: "reason" }, CHEAT_MODES[f.cheat_mode] ?? f.cheat_mode), `: ${f.feedback}`, h("span", { class: "sub" }, timeEl(f.submitted_at, false))),
    ),
  );
}

function studentRow(exam, s) {
  const key = rowKey(exam.exam_id, s.email);
  const verification = h(
    "td",
    { id: `${key}-verification` },
    badge(s.verification_status === "Requested Manual Approval" ? "Requested manual approval" : s.verification_status,
      s.verification_status.split(" ")[0]),
    s.verified_by ? h("span", { class: "sub" }, VERIFIED_BY[s.verified_by] ?? s.verified_by) : "",
    // The reason the student gave when asking for manual approval: what the instructor decides on.
    s.manual_approval ? h("span", { class: "sub", id: `${key}-reason` }, `Reason given: ${s.manual_approval.reason}`) : "",
  );
  const action =
    s.verification_status === "Verified"
      ? h("span", { class: "none" }, "Nothing to do")
      : h(
          "button",
          { type: "button", class: "secondary", "aria-describedby": `${key}-name`, onclick: (e) => approve(e.currentTarget, exam, s) },
          "Approve manually",
        );
  return h(
    "tr",
    { id: key },
    h(
      "th",
      { scope: "row" },
      h("span", { id: `${key}-name` }, fullName(s)),
      h("span", { class: "sub" }, s.email),
      s.account_claimed ? "" : h("span", { class: "sub" }, "Invited; has not registered yet"),
    ),
    verification,
    h("td", {}, presence(s)),
    h("td", {}, timeline(exam.exam_id, s)),
    h("td", {}, feedbackList(s)),
    h("td", {}, action),
    h("td", {}, studentDecisions(exam, s, key, fullName(s))),
  );
}

function examSection(exam) {
  const students = exam.enrolled_students ?? [];
  const verified = students.filter((s) => s.verification_status === "Verified").length;
  const alerting = students.filter((s) => (s.alert_timeline ?? []).length > 0).length;
  const titleId = `exam-${exam.exam_id}-title`;
  return h(
    "section",
    { class: "exam", "aria-labelledby": titleId, id: `exam-${exam.exam_id}` },
    h("h2", { id: titleId }, exam.name, " ", badge(exam.status)),
    h(
      "dl",
      { class: "facts" },
      fact("Status", exam.status),
      fact("Scheduled", timeEl(exam.scheduled_date)),
      fact("Ends", timeEl(exam.ends_at)),
      fact("Started", exam.started_at ? timeEl(exam.started_at) : "Not yet"),
      fact("Type", `${exam.exam_type}, ${exam.duration} minutes`),
      fact("Students", String(students.length)),
      fact("Verified", `${verified} of ${students.length}`),
      fact("With alerts", alerting ? badge(`${alerting} ${alerting === 1 ? "student" : "students"}`, "alerting") : "None"),
    ),
    students.length === 0
      ? h("p", { class: "none" }, "No students are enrolled yet.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("caption", {}, `Students of ${exam.name}`),
            h(
              "thead",
              {},
              h("tr", {}, ["Student", "Verification", "In the exam", "Alerts", "Feedback", "Action", "Decisions"].map((t) => h("th", { scope: "col" }, t))),
            ),
            h("tbody", {}, students.map((s) => studentRow(exam, s))),
          ),
        ),
    examDecisions(exam),
  );
}

async function loadExams() {
  const data = await api("/instructor/list_exam");
  const exams = data.resource_array ?? [];
  const box = byId("exams");
  // Timelines and decision views the instructor opened stay open across the re-render (reloaded).
  const open = new Set(Array.from(box.querySelectorAll("details[open]"), (d) => d.id));
  const expanded = Array.from(box.querySelectorAll('button[aria-expanded="true"][aria-controls]'), (b) => b.getAttribute("aria-controls") ?? "");
  box.replaceChildren(
    ...(exams.length
      ? exams.map(examSection)
      : [h("p", {}, "You have no exams yet. Exams are created through the API or your learning platform's integration.")]),
  );
  for (const id of open) document.getElementById(id)?.setAttribute("open", "");
  for (const id of expanded) /** @type {HTMLButtonElement | null} */ (box.querySelector(`button[aria-controls="${CSS.escape(id)}"]`))?.click();
  byId("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  return exams;
}

async function approve(button, exam, student) {
  const who = fullName(student);
  if (!window.confirm(`Approve ${who} for ${exam.name} without face verification?`)) return;
  try {
    await busy(button, "Approving…", () =>
      api("/instructor/manual_approve_student", { method: "POST", json: { exam_id: Number(exam.exam_id), email: student.email } }),
    );
  } catch (e) {
    say(`${who} could not be approved: ${e.message}`, "error");
    return;
  }
  try {
    await loadExams();
  } catch (e) {
    say(`${who} was approved, but the list could not be reloaded: ${e.message}`, "error");
    return;
  }
  say(`${who} is now verified for ${exam.name} (manual approval).`, "ok");
  // The button is gone with the re-render: put focus on the student's new verification status.
  const cell = document.getElementById(`${rowKey(exam.exam_id, student.email)}-verification`);
  if (cell) focusOn(cell);
}

// A contest reviewed in a decision view (decisions.js): reload the list, keep focus on the student's row.
document.addEventListener("trustid:reviewed", async (event) => {
  const { examId, email } = /** @type {CustomEvent} */ (event).detail ?? {};
  try {
    await loadExams();
  } catch (e) {
    say(`The review was saved, but the list could not be reloaded: ${e.message}`, "error");
    return;
  }
  const cell = examId && email ? document.getElementById(`${rowKey(examId, email)}-verification`) : null;
  if (cell) focusOn(cell);
});

async function showDashboard(user, moveFocus) {
  byId("who").hidden = false;
  byId("who-text").textContent = `Signed in as an instructor${user.inst ? ` of ${user.inst}` : ""}`;
  byId("login").hidden = true;
  byId("exams-section").hidden = false;
  byId("report-section").hidden = false;
  say("Loading your exams…", "info");
  try {
    const exams = await loadExams();
    say(`${exams.length} ${exams.length === 1 ? "exam" : "exams"} loaded.`, "ok");
  } catch (e) {
    say(`Your exams could not be loaded: ${e.message}`, "error");
  }
  if (moveFocus) focusOn(byId("exams-title"));
}

byId("refresh").addEventListener("click", async (event) => {
  try {
    await busy(/** @type {HTMLButtonElement} */ (event.currentTarget), "Refreshing…", loadExams);
    say("The list is up to date.", "ok");
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) say(`The list could not be refreshed: ${e.message}`, "error");
  }
});

wireLogin(/** @type {HTMLFormElement} */ (byId("login-form")), {
  role: "INSTRUCTOR",
  otherPage: "the enrolment page (/enrol/)",
  onSignedIn: (user) => showDashboard(user, true),
});

byId("sign-out").addEventListener("click", () => signOut());
wireInstitutionReport(/** @type {HTMLFormElement} */ (byId("report-form")), byId("report"));

document.addEventListener("trustid:signed-out", () => {
  byId("who").hidden = true;
  byId("exams-section").hidden = true;
  byId("exams").replaceChildren();
  byId("report-section").hidden = true;
  byId("report").replaceChildren();
  byId("login").hidden = false;
  say("You are signed out.", "info");
  focusOn(byId("login-title"));
});

const user = currentUser();
if (user && user.role === "INSTRUCTOR") showDashboard(user, false);
else {
  if (user) signOut();
  byId("login").hidden = false;
}

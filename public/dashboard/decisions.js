// The dashboard's decision parts (docs/decisions.md): each student's timeline of automated decisions
// (GET /backend/instructor/decisions?exam_id&email), the exam's contests with their review
// (POST /backend/instructor/resolve_decision), and the exam's error report with a bar chart drawn here as
// SVG (GET /backend/instructor/decision_report; no third-party script). Loaded when a disclosure is opened,
// so the exam list stays one request.
import { api } from "../assets/api.js";
import { busy, h, say, timeEl } from "../assets/ui.js";

const OUTCOMES = { accepted: "Accepted", mismatch: "Did not match", quality: "Sample not usable", flagged: "Alert", not_enrolled: "Not registered" };
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A disclosure whose body is (re)loaded each time it is opened. */
function lazyDetails(id, summary, load) {
  const body = h("div", { class: "lazy" });
  const details = h("details", { id, class: "decisions" }, h("summary", {}, summary), body);
  const fill = async () => {
    body.replaceChildren(h("p", { class: "none" }, "Loading…"));
    try {
      body.replaceChildren(...(await load(fill)));
    } catch (e) {
      body.replaceChildren(h("p", { class: "field-error" }, `Could not be loaded: ${e.message}`));
    }
  };
  details.addEventListener("toggle", () => {
    if (details.open) void fill();
  });
  return details;
}

function reviewForm(decision, who, reload, view) {
  const reasonId = `${view}-reason-${decision.decision_id}`;
  const input = h("input", { type: "text", id: reasonId, maxlength: "2000", required: true });
  const resolve = async (button, resolution) => {
    if (!input.value.trim()) {
      input.setAttribute("aria-invalid", "true");
      say("Give a reason for your review.", "error");
      input.focus();
      return;
    }
    try {
      await busy(button, resolution === "overturned" ? "Overturning…" : "Upholding…", () =>
        api("/instructor/resolve_decision", { method: "POST", json: { decision_id: decision.decision_id, resolution, reason: input.value.trim() } }),
      );
    } catch (e) {
      say(`The review could not be saved: ${e.message}`, "error");
      return;
    }
    say(`The decision about ${who} was ${resolution}.`, "ok");
    await reload();
    // An overturn can take an alert off or change a verification: the exam list is reloaded (dashboard.js), as after
    // an approval (a probe saw the removed alert until Refresh).
    document.dispatchEvent(new CustomEvent("trustid:reviewed", { detail: { examId: decision.exam_id, email: decision.student?.email ?? null } }));
  };
  return h(
    "div",
    { class: "review" },
    h("label", { for: reasonId }, "Your reason"),
    input,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: (e) => resolve(e.currentTarget, "upheld") }, "Uphold"),
      h("button", { type: "button", class: "secondary", onclick: (e) => resolve(e.currentTarget, "overturned") }, "Overturn"),
    ),
  );
}

function decisionItem(d, who, reload, view, named) {
  return h(
    "li",
    { id: `${view}-decision-${d.decision_id}` },
    // The exam's contests list several students: each item says whose it is (a probe reviewed one not knowing).
    named && d.student ? h("span", { class: "who" }, `${d.student.name} ${d.student.surname} (${d.student.email})`) : "",
    h("span", { class: "reason" }, `${OUTCOMES[d.outcome] ?? d.outcome} (${d.modality}, ${d.action})`),
    h("span", { class: "sub" }, timeEl(d.created_at, named)),
    h("span", { class: "explanation" }, "The student reads: ", d.explanation),
    d.contest ? h("span", { class: "sub" }, `Contest: “${d.contest.text}”`) : "",
    d.contest && !d.review ? reviewForm(d, who, reload, view) : "",
  );
}

/** `view` prefixes the items' ids: one decision can be shown in a student's row and in the exam's contests at once. */
async function decisionList(view, query, who, reload) {
  const data = await api(`/instructor/decisions?${new URLSearchParams({ ...query, page_size: "100" })}`);
  const list = data.resource_array ?? [];
  if (list.length === 0) return [h("p", { class: "none" }, "None")];
  return [h("ol", { class: "timeline decisions" }, list.map((d) => decisionItem(d, d.student ? `${d.student.name} ${d.student.surname}` : who, reload, view, !query.email)))];
}

/**
 * The student row's timeline of automated decisions: a button that shows and hides it (aria-expanded), not a
 * second <details>, so that the row's one disclosure stays the alert timeline.
 */
export function studentDecisions(exam, student, key, who) {
  const regionId = `${key}-decisions`;
  const region = h("div", { id: regionId, class: "lazy", hidden: true });
  const load = async () => {
    region.replaceChildren(h("p", { class: "none" }, "Loading…"));
    try {
      region.replaceChildren(...(await decisionList(key, { exam_id: exam.exam_id, email: student.email }, who, load)));
    } catch (e) {
      region.replaceChildren(h("p", { class: "field-error" }, `Could not be loaded: ${e.message}`));
    }
  };
  const button = h("button", {
    type: "button",
    class: "secondary",
    "aria-expanded": "false",
    "aria-controls": regionId,
    "aria-describedby": `${key}-name`,
    onclick: () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      region.hidden = !open;
      if (open) void load();
    },
  }, "Show decisions");
  return h("div", {}, button, region);
}

const pct = (r) => `${(r * 100).toFixed(1)} %`;

/** A horizontal bar per group: its refusal rate, the overall rate as a line. */
function barChart(title, groups, overall) {
  const row = 28;
  const left = 140;
  const width = 460;
  const height = groups.length * row + 30;
  const x = (r) => left + r * (width - left - 60);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": `${title}: refusal rate per group` , class: "chart" },
    ...groups.flatMap((g, i) => [
      svg("text", { x: 0, y: i * row + 19, class: "label" }, g.group),
      svg("rect", { x: left, y: i * row + 6, width: Math.max(1, x(g.refusal_rate) - left), height: row - 10, class: g.refusal_rate > 2 * overall ? "bar warn" : "bar" }),
      svg("text", { x: x(g.refusal_rate) + 6, y: i * row + 19, class: "value" }, pct(g.refusal_rate)),
    ]),
    svg("line", { x1: x(overall), x2: x(overall), y1: 0, y2: groups.length * row + 4, class: "overall" }),
    svg("text", { x: x(overall), y: groups.length * row + 22, class: "value", "text-anchor": "middle" }, `overall ${pct(overall)}`),
  );
  const table = h(
    "table",
    { class: "report" },
    h("caption", {}, `${title}, in figures`),
    h("thead", {}, h("tr", {}, ["Group", "Decisions", "Refused", "Refusal rate", "Mismatches", "Contests", "Overturned"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      groups.map((g) => h("tr", {}, h("th", { scope: "row" }, g.group), ...[g.decisions, g.refusals, pct(g.refusal_rate), g.mismatches, g.contests, g.overturns].map((v) => h("td", {}, String(v))))),
    ),
  );
  // Scrolls inside its own box on a narrow screen (a probe's phone view was pulled to 756 px wide by it).
  return h("figure", { class: "report" }, h("figcaption", {}, title), chart, h("div", { class: "table-wrap" }, table));
}

/** The exam's contests to review and its error report. */
export function examDecisions(exam) {
  return lazyDetails(`exam-${exam.exam_id}-decisions`, "Automated decisions: contests and error report", async (reload) => {
    const [contests, report] = await Promise.all([
      decisionList(`exam-${exam.exam_id}-contested`, { exam_id: exam.exam_id, contested: "true" }, "the student", reload),
      api(`/instructor/decision_report?exam_id=${encodeURIComponent(exam.exam_id)}`).then((r) => r.resource_obj),
    ]);
    return [h("h3", {}, "Contested decisions"), ...contests, h("h3", {}, "Error report"), ...reportView(report)];
  });
}

/** A report (GET /backend/instructor/decision_report) as a summary, its warnings and two bar charts with their tables. */
function reportView(report) {
  const o = report.overall;
  if (o.decisions === 0) return [h("p", { class: "none" }, "No automated decisions in this report.")];
  return [
    h(
      "p",
      { class: "summary" },
      `${o.decisions} decisions, ${o.refusals} refused (${pct(o.refusal_rate)}): ${o.mismatches} mismatches, ` +
        `${o.refusals - o.mismatches} unusable samples; ${report.manual_approvals} manual approvals; ${o.contests} contested, ${o.overturns} overturned.`,
    ),
    ...report.warnings.map((w) => h("p", { class: "message", "data-kind": "warn" }, w.message)),
    barChart("By modality", report.by_modality, o.refusal_rate),
    barChart("By operating system (as the device reported it)", report.by_client_os, o.refusal_rate),
  ];
}

/** The institution's report over a period chosen in the form (dates in the reader's time zone, `to` inclusive). */
export function wireInstitutionReport(form, box) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const from = form.querySelector("#report-from");
    const to = form.querySelector("#report-to");
    const start = from.value ? new Date(`${from.value}T00:00:00`) : null;
    const end = to.value ? new Date(`${to.value}T00:00:00`) : null;
    if (end) end.setDate(end.getDate() + 1);
    for (const input of [from, to]) input.removeAttribute("aria-invalid");
    if (!start || !end || end <= start) {
      const bad = !start ? from : to;
      bad.setAttribute("aria-invalid", "true");
      say("Choose a start date and an end date on or after it.", "error");
      bad.focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    try {
      const data = await busy(button, "Loading report…", () =>
        api(`/instructor/decision_report?${new URLSearchParams({ from: start.toISOString(), to: end.toISOString() })}`),
      );
      box.replaceChildren(...reportView(data.resource_obj));
      say("The institution's report is shown below the form.", "ok");
    } catch (e) {
      say(`The report could not be loaded: ${e.message}`, "error");
    }
  });
}

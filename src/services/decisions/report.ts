// The error report per cohort (issue 15 part 4): for one exam of the instructor's, or for the whole
// institution over a period, counts and rates of refusals by quality reason, mismatches, manual approvals,
// contests and overturns, split by modality and by the operating system the client reported. A group whose
// refusal rate is more than twice the overall rate gets a warning: a sign that the system fails some
// students (a camera, an OS, a modality) more than others. Counts only: no student is named.
import { and, count, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decisions, enrolments, exams } from "../../db/schema";
import type { Person } from "../../types";
import { instructorExam } from "../exams/scope";

export type Counts = {
  decisions: number;
  refusals: number;
  refusal_rate: number;
  quality_refusals: Record<string, number>;
  mismatches: number;
  contests: number;
  overturns: number;
};
export type GroupCounts = Counts & { group: string };
export type Warning = { split: "modality" | "client_os"; group: string; refusal_rate: number; overall_refusal_rate: number; message: string };
export type CohortReport = {
  scope: { exam_id: number | null; from: number | null; to: number | null };
  overall: Counts;
  manual_approvals: number;
  by_modality: GroupCounts[];
  by_client_os: GroupCounts[];
  warnings: Warning[];
};

/** Groups smaller than this get no warning: a rate over a handful of decisions says nothing. */
export const MIN_GROUP_FOR_WARNING = 5;
const UNKNOWN_OS = "not reported";

/**
 * The family of the operating system a client reported (`operating_sys` is free text): the report groups by it, as a
 * label such as "Windows 11 (laptop of Jane Doe)" named one student and their refusals to every instructor of the
 * institution (a probe), where the report promises counts only.
 */
export function osFamily(reported: string | null): string {
  if (reported === null || reported.trim() === "") return UNKNOWN_OS;
  const os = reported.toLowerCase();
  if (/iphone|ipad|\bios\b/.test(os)) return "iOS";
  if (/android/.test(os)) return "Android";
  if (/chrome ?os|\bcros\b/.test(os)) return "ChromeOS";
  if (/windows|\bwin(32|64|nt|10|11)?\b/.test(os)) return "Windows";
  if (/mac ?os|os ?x|darwin|macintosh|\bmac\b/.test(os)) return "macOS";
  if (/linux|ubuntu|debian|fedora|red ?hat|suse|arch\b|mint/.test(os)) return "Linux";
  return "other";
}

const empty = (): Counts => ({ decisions: 0, refusals: 0, refusal_rate: 0, quality_refusals: {}, mismatches: 0, contests: 0, overturns: 0 });

type Cell = { modality: string; os: string | null; outcome: string; reason: string | null; n: number; contests: number; overturns: number };

function add(c: Counts, x: Cell) {
  c.decisions += x.n;
  c.contests += x.contests;
  c.overturns += x.overturns;
  if (x.outcome === "mismatch") {
    c.mismatches += x.n;
    c.refusals += x.n;
  }
  if (x.outcome === "quality") {
    c.refusals += x.n;
    const r = x.reason ?? "unknown";
    c.quality_refusals[r] = (c.quality_refusals[r] ?? 0) + x.n;
  }
}
const rate = (c: Counts) => ({ ...c, refusal_rate: c.decisions > 0 ? Math.round((c.refusals / c.decisions) * 10_000) / 10_000 : 0 });

function groupBy(cells: Cell[], key: (x: Cell) => string): GroupCounts[] {
  const m = new Map<string, Counts>();
  for (const x of cells) {
    const k = key(x);
    if (!m.has(k)) m.set(k, empty());
    add(m.get(k)!, x);
  }
  return [...m.entries()].map(([group, c]) => ({ group, ...rate(c) })).sort((a, b) => b.decisions - a.decisions || a.group.localeCompare(b.group));
}

/** The institution-wide report's OS groups hold at least this many students; smaller ones are merged (SMALL_OS_GROUPS). */
export const MIN_STUDENTS_PER_OS_GROUP = 5;
const SMALL_OS_GROUPS = `other (systems of fewer than ${MIN_STUDENTS_PER_OS_GROUP} students each)`;

/**
 * Pure: the report from grouped counts (exported for tests). `studentsByOs` (the institution-wide report): the students
 * behind each reported system; a family of fewer than MIN_STUDENTS_PER_OS_GROUP of them is merged into one group, as
 * the one ChromeOS student's refusals were there for every instructor to read (a probe).
 */
export function buildReport(cells: Cell[], manualApprovals: number, scope: CohortReport["scope"], studentsByOs?: { os: string | null; studentId: number }[]): CohortReport {
  const total = empty();
  for (const x of cells) add(total, x);
  const overall = rate(total);
  const byModality = groupBy(cells, (x) => x.modality);
  let small = new Set<string>();
  if (studentsByOs) {
    const students = new Map<string, Set<number>>();
    for (const r of studentsByOs) {
      const family = osFamily(r.os);
      if (!students.has(family)) students.set(family, new Set());
      students.get(family)!.add(r.studentId);
    }
    small = new Set([...students].filter(([, ids]) => ids.size < MIN_STUDENTS_PER_OS_GROUP).map(([family]) => family));
  }
  const byOs = groupBy(cells, (x) => (small.has(osFamily(x.os)) ? SMALL_OS_GROUPS : osFamily(x.os)));
  const warnings: Warning[] = [];
  const check = (split: Warning["split"], groups: GroupCounts[]) => {
    for (const g of groups) {
      if (g.decisions < MIN_GROUP_FOR_WARNING || overall.refusal_rate === 0 || g.refusal_rate <= 2 * overall.refusal_rate) continue;
      warnings.push({
        split,
        group: g.group,
        refusal_rate: g.refusal_rate,
        overall_refusal_rate: overall.refusal_rate,
        message: `${split === "modality" ? "Modality" : "Operating system"} '${g.group}': ${(g.refusal_rate * 100).toFixed(1)} % of decisions refused, more than twice the overall ${(overall.refusal_rate * 100).toFixed(1)} %.`,
      });
    }
  };
  check("modality", byModality);
  check("client_os", byOs);
  return { scope, overall, manual_approvals: manualApprovals, by_modality: byModality, by_client_os: byOs, warnings };
}

async function cellsWhere(db: Db, where: SQL | undefined): Promise<Cell[]> {
  const rows = await db
    .select({
      modality: decisions.modality,
      os: decisions.clientOs,
      outcome: decisions.outcome,
      reason: decisions.reason,
      n: count(),
      contests: sql<number>`sum(${decisions.contestedAt} IS NOT NULL)`,
      overturns: sql<number>`sum(${decisions.resolution} = 'overturned')`,
    })
    .from(decisions)
    .where(where)
    .groupBy(decisions.modality, decisions.clientOs, decisions.outcome, decisions.reason);
  return rows.map((r) => ({ ...r, contests: Number(r.contests ?? 0), overturns: Number(r.overturns ?? 0) }));
}

/** One of the instructor's exams (404 for any other). */
export async function examReport(db: Db, instructor: Person, examId: number, now: number): Promise<CohortReport> {
  const exam = await instructorExam(db, instructor, examId, now);
  const cells = await cellsWhere(db, and(eq(decisions.institutionId, instructor.institutionId), eq(decisions.examId, exam.id)));
  const [manual] = await db
    .select({ n: count() })
    .from(enrolments)
    .where(and(eq(enrolments.institutionId, instructor.institutionId), eq(enrolments.examId, exam.id), eq(enrolments.verifiedBy, "manual")));
  return buildReport(cells, manual?.n ?? 0, { exam_id: exam.id, from: null, to: null });
}

/** The caller's institution over [from, to): every decision taken then, counts only. */
export async function institutionReport(db: Db, caller: Person, period: { from: number; to: number }): Promise<CohortReport> {
  const cells = await cellsWhere(
    db,
    and(eq(decisions.institutionId, caller.institutionId), gte(decisions.createdAt, period.from), lt(decisions.createdAt, period.to)),
  );
  const [manual] = await db
    .select({ n: count() })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .where(
      and(
        eq(enrolments.institutionId, caller.institutionId),
        eq(exams.institutionId, caller.institutionId),
        eq(enrolments.verifiedBy, "manual"),
        gte(enrolments.verifiedAt, period.from),
        lt(enrolments.verifiedAt, period.to),
      ),
    );
  // Who is behind each reported system (distinct pairs; an institution's students, at most a few per student).
  const studentsByOs = await db
    .selectDistinct({ os: decisions.clientOs, studentId: decisions.studentId })
    .from(decisions)
    .where(and(eq(decisions.institutionId, caller.institutionId), gte(decisions.createdAt, period.from), lt(decisions.createdAt, period.to)));
  return buildReport(cells, manual?.n ?? 0, { exam_id: null, from: period.from, to: period.to }, studentsByOs);
}

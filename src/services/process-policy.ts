// Forbidden-process policy: patterns per institution (exam_id null) and per exam, matched
// case-insensitively with `*` (any run of characters) and `?` (one character) against a process name
// or its file name without the path. Nothing is seeded in code: institutions set theirs with
// scripts/institution.mjs, instructors set an exam's with `forbidden_processes` on add/update exam.
import { and, eq, inArray, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { processPolicies } from "../db/schema";
import { AppError } from "../lib/errors";

export const MAX_PATTERNS_PER_EXAM = 200;
export const MAX_PATTERN_LENGTH = 100;
// A device reports at most this many processes per call, each at most this long; more is a 400.
export const MAX_PROCESSES = 500;
export const MAX_PROCESS_NAME_LENGTH = 260;

const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

/** Normalises a list of patterns (trim, lower-case, drop duplicates) or explains what is wrong. */
export function normalizePatterns(patterns: string[], field = "forbidden_processes"): string[] {
  if (patterns.length > MAX_PATTERNS_PER_EXAM) {
    throw AppError.badField(field, `At most ${MAX_PATTERNS_PER_EXAM} patterns are allowed.`);
  }
  const out = new Set<string>();
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase();
    if (p.length === 0 || p.length > MAX_PATTERN_LENGTH || !PRINTABLE.test(p) || /^\*+$/.test(p)) {
      throw AppError.badField(
        field,
        `Each pattern must be 1-${MAX_PATTERN_LENGTH} printable characters and not only "*" (got ${JSON.stringify(raw.slice(0, 40))}).`,
      );
    }
    out.add(p);
  }
  return [...out];
}

/** A matcher for one wildcard pattern (already lower-cased). */
export function compilePattern(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "s");
}

const baseName = (name: string) => name.split(/[\\/]/).pop() ?? name;

/**
 * The submitted process names that some pattern forbids, in submission order, without duplicates
 * (compared case-insensitively; the first spelling is kept).
 */
export function forbiddenAmong(processes: string[], patterns: string[]): string[] {
  if (patterns.length === 0) return [];
  const matchers = patterns.map(compilePattern);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of processes) {
    const lower = name.trim().toLowerCase();
    if (!lower || seen.has(lower)) continue;
    seen.add(lower);
    const base = baseName(lower);
    if (matchers.some((m) => m.test(lower) || m.test(base))) out.push(name.trim());
  }
  return out;
}

/**
 * Accepts running processes as a JSON array or as one string separated by commas or newlines (the
 * TRUSTID Monitoring model types it as a string), and bounds its size.
 */
export function parseProcessList(value: string | string[] | undefined | null, field = "running_processes"): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : value.split(/[,\r\n]+/);
  const names = items.map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length > MAX_PROCESSES) {
    throw AppError.badField(field, `At most ${MAX_PROCESSES} processes may be reported at once (got ${names.length}).`);
  }
  if (names.some((n) => n.length > MAX_PROCESS_NAME_LENGTH)) {
    throw AppError.badField(field, `A process name may be at most ${MAX_PROCESS_NAME_LENGTH} characters.`);
  }
  return names;
}

/** The patterns that apply to an exam: the institution's plus the exam's own (or only the institution's). */
export async function policyPatterns(db: Db, institutionId: number, examId: number | null): Promise<string[]> {
  const scope =
    examId === null
      ? isNull(processPolicies.examId)
      : or(isNull(processPolicies.examId), eq(processPolicies.examId, examId));
  const rows = await db
    .select({ pattern: processPolicies.pattern })
    .from(processPolicies)
    .where(and(eq(processPolicies.institutionId, institutionId), scope));
  return [...new Set(rows.map((r) => r.pattern.toLowerCase()))];
}

/** The exam's own patterns (not the institution's), for showing to its instructor. */
export async function examPatterns(db: Db, institutionId: number, examIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (examIds.length === 0) return out;
  const rows = await db
    .select({ examId: processPolicies.examId, pattern: processPolicies.pattern })
    .from(processPolicies)
    .where(and(eq(processPolicies.institutionId, institutionId), inArray(processPolicies.examId, examIds)));
  for (const r of rows) {
    if (r.examId === null) continue;
    const list = out.get(r.examId) ?? [];
    list.push(r.pattern);
    out.set(r.examId, list);
  }
  return out;
}

/** Statements that replace an exam's own patterns (to run in the caller's batch). */
export function replaceExamPatternsStatements(db: Db, institutionId: number, examId: number, patterns: string[], now: number) {
  const del = db
    .delete(processPolicies)
    .where(and(eq(processPolicies.institutionId, institutionId), eq(processPolicies.examId, examId)));
  if (patterns.length === 0) return [del] as const;
  const ins = db
    .insert(processPolicies)
    .values(patterns.map((pattern) => ({ institutionId, examId, pattern, createdAt: now })));
  return [del, ins] as const;
}

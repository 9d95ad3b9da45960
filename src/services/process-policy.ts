// Forbidden-process policy: a default list shipped in code (process-policy-defaults.ts) plus patterns per
// institution (exam_id null) and per exam, matched case-insensitively with `*` (any run of characters) and
// `?` (one character) against a process name or its file name without the path.
//
// A stored pattern either forbids (`anydesk*`) or, written with a leading `!`, exempts names from the
// default list (`!obs*`; `!*` turns the defaults off). Exemptions never cancel what the institution or the
// exam forbid explicitly, so "replace the defaults" is `!*` plus one's own patterns. Institutions set theirs
// with scripts/institution.mjs, instructors set an exam's with `forbidden_processes` on add/update exam.
import { and, eq, inArray, isNull, or, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../db/client";
import { processPolicies } from "../db/schema";
import { AppError } from "../lib/errors";
import { DEFAULT_FORBIDDEN_PATTERNS } from "./process-policy-defaults";

export const MAX_PATTERNS_PER_EXAM = 200;
export const MAX_PATTERN_LENGTH = 100;
// A device reports at most this many processes per call, each at most this long; more is a 400.
export const MAX_PROCESSES = 500;
export const MAX_PROCESS_NAME_LENGTH = 260;

const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

const EXEMPT = "!";

/** A usable stored pattern: a forbidding one must not be only "*" (it would forbid everything). */
/** Characters (code points) in a text: an emoji is one, as README counts them, not its two UTF-16 units. */
export function characterCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function isUsablePattern(p: string): boolean {
  if (p.length === 0 || characterCount(p) > MAX_PATTERN_LENGTH || !PRINTABLE.test(p)) return false;
  if (p.startsWith(EXEMPT)) return p.length > 1 && !p.slice(1).startsWith(EXEMPT);
  return !/^\*+$/.test(p);
}

/** Normalises a list of patterns (trim, lower-case, drop duplicates) or explains what is wrong. */
export function normalizePatterns(patterns: string[], field = "forbidden_processes"): string[] {
  if (patterns.length > MAX_PATTERNS_PER_EXAM) {
    throw AppError.badField(field, `At most ${MAX_PATTERNS_PER_EXAM} patterns are allowed.`);
  }
  const out = new Set<string>();
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase();
    if (!isUsablePattern(p)) {
      throw AppError.badField(
        field,
        `Each pattern must be 1-${MAX_PATTERN_LENGTH} printable characters and not only "*"; "!pattern" exempts names from the default list, "!*" turns it off (got ${JSON.stringify(raw.slice(0, 40))}).`,
      );
    }
    out.add(p);
  }
  return [...out];
}

/**
 * What applies to one check. `forbid`: the institution's and the exam's own patterns, always applied;
 * `defaults`: the shipped list; `exempt`: names the institution or exam took out of the defaults.
 */
export type ProcessPolicy = { forbid: string[]; defaults: readonly string[]; exempt: string[] };

/** The policy of a list of stored patterns (forbidding and `!` exemptions mixed) over the defaults. */
export function policyOf(stored: string[], defaults: readonly string[] = DEFAULT_FORBIDDEN_PATTERNS): ProcessPolicy {
  const lower = stored.map((p) => p.toLowerCase());
  return {
    forbid: lower.filter((p) => !p.startsWith(EXEMPT)),
    defaults,
    exempt: lower.filter((p) => p.startsWith(EXEMPT)).map((p) => p.slice(EXEMPT.length)),
  };
}

/**
 * One wildcard pattern (already lower-cased), compiled for bit-parallel matching (Shift-And, with a self-loop for `*`).
 * State i means "the pattern's first i non-`*` characters are matched"; a `*` after the i-th one lets state i stay on
 * any character. A name is read once, a few 32-bit words per character (a pattern has at most 100 characters, so at
 * most 4 words), whatever the pattern: a RegExp built from `*` as `.*` backtracks, and `*a*a*a*a*a*a*b` against a
 * 75-character name of `a`s took a probe's service 9-44 s, during which it answered nobody (2026-12-07).
 */
class WildcardPattern {
  private readonly words: number;
  /** Per code point of the pattern: the states that character (or a `?`) advances into. */
  private readonly advance = new Map<number, Uint32Array>();
  /** The states a `?` advances into: what any character not in the pattern does. */
  private readonly advanceOther: Uint32Array;
  private readonly loops: Uint32Array;
  private readonly last: number;
  private readonly state: Uint32Array;

  constructor(pattern: string) {
    // By code point: `?` is one character, an emoji's two UTF-16 units included (docs/exams.md).
    const chars: number[] = [];
    const loopStates: number[] = [];
    for (const ch of pattern) {
      const c = ch.codePointAt(0)!;
      if (c === 42 /* * */) loopStates.push(chars.length);
      else chars.push(c);
    }
    this.last = chars.length;
    this.words = Math.ceil((chars.length + 1) / 32);
    const mask = () => new Uint32Array(this.words);
    const set = (m: Uint32Array, state: number) => (m[state >>> 5] = m[state >>> 5]! | (1 << (state & 31)));
    this.advanceOther = mask();
    this.loops = mask();
    this.state = mask();
    for (const state of loopStates) set(this.loops, state);
    chars.forEach((c, i) => {
      if (c === 63 /* ? */) set(this.advanceOther, i + 1);
    });
    for (const c of new Set(chars)) {
      if (c === 63) continue;
      const m = Uint32Array.from(this.advanceOther);
      chars.forEach((d, i) => {
        if (d === c) set(m, i + 1);
      });
      this.advance.set(c, m);
    }
  }

  test(name: string): boolean {
    const d = this.state;
    d.fill(0);
    d[0] = 1;
    for (let i = 0; i < name.length; i++) {
      const c = name.codePointAt(i)!;
      if (c > 0xffff) i++; // the second unit of a surrogate pair
      const next = this.advance.get(c) ?? this.advanceOther;
      let carry = 0;
      let alive = 0;
      for (let w = 0; w < this.words; w++) {
        const before = d[w]!;
        const after = (((before << 1) | carry) & next[w]!) | (before & this.loops[w]!);
        carry = before >>> 31;
        d[w] = after;
        alive |= after;
      }
      if (alive === 0) return false;
    }
    return (d[this.last >>> 5]! & (1 << (this.last & 31))) !== 0;
  }
}

/** A matcher for one wildcard pattern (already lower-cased). */
export function compilePattern(pattern: string): { test(name: string): boolean } {
  return new WildcardPattern(pattern);
}

/** A list of patterns: a name matches when one of them does. */
class PatternList {
  private readonly patterns: WildcardPattern[];
  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => new WildcardPattern(p));
  }
  test(name: string): boolean {
    return this.patterns.some((p) => p.test(name));
  }
}

// Compiled lists, per isolate. A device report is judged against the same few lists again and again (the shipped
// defaults, an institution's and an exam's patterns), and compiling them on every report was most of what judging
// cost. Keyed by the list's identity (the defaults are one constant array) or else by its content; content-keyed
// entries are bounded (the oldest goes first), so patterns that stopped being used cannot pile up. Matching keeps
// its state in the pattern but never across an await, so sharing them between requests is safe.
const MAX_CACHED_LISTS = 500;
const byIdentity = new WeakMap<readonly string[], PatternList | null>();
const byContent = new Map<string, PatternList | null>();

/** One matcher for a list of wildcard patterns (already lower-cased); null for an empty list. */
function listMatcher(patterns: readonly string[]): PatternList | null {
  const known = byIdentity.get(patterns);
  if (known !== undefined) return known;
  if (patterns.length === 0) return null;
  // Patterns are printable (no control characters), so a newline cannot occur inside one.
  const key = patterns.join("\n");
  let matcher = byContent.get(key);
  if (matcher === undefined) {
    matcher = new PatternList(patterns);
    if (byContent.size >= MAX_CACHED_LISTS) byContent.delete(byContent.keys().next().value!);
    byContent.set(key, matcher);
  }
  if (Object.isFrozen(patterns) || patterns === DEFAULT_FORBIDDEN_PATTERNS) byIdentity.set(patterns, matcher);
  return matcher;
}

const baseName = (name: string) => name.split(/[\\/]/).pop() ?? name;

/**
 * The submitted process names the policy forbids, in submission order, without duplicates (compared
 * case-insensitively; the first spelling is kept). A name is forbidden when an institution or exam pattern
 * matches it, or a default pattern matches it and no exemption does.
 */
export function forbiddenAmong(processes: string[], policy: ProcessPolicy): string[] {
  const forbid = listMatcher(policy.forbid);
  const defaults = listMatcher(policy.defaults);
  const exempt = listMatcher(policy.exempt);
  if (forbid === null && defaults === null) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of processes) {
    const lower = name.trim().toLowerCase();
    if (!lower || seen.has(lower)) continue;
    seen.add(lower);
    const base = baseName(lower);
    const matches = (m: PatternList | null) => m !== null && (m.test(lower) || (base !== lower && m.test(base)));
    if (matches(forbid) || (matches(defaults) && !matches(exempt))) out.push(name.trim());
  }
  return out;
}

/** Why a list-looking text could not be read (splitProcessText). */
export const UNREADABLE_PROCESS_LIST =
  "Looks like a list but could not be read: send a JSON array of strings, or the names separated by commas or newlines.";

/**
 * The names in a process list sent as text: the text of a JSON array (`JSON.stringify(list)`, what a form field
 * carries), Python's `str()` of a list, set or tuple (`['a', 'b']`, `{'a', 'b'}`, `('a', 'b')`, `set()`), brackets
 * around unquoted names (Java's `List.toString()`, `Set.toString()`), quoted names (`"a","b"`, a CSV row), or names
 * separated by commas, semicolons, tabs or newlines; trimmed, empty names left out. null: it starts like a list but is
 * none of these. Before, the brackets and quotes stayed in the names (`{'AnyDesk.exe'`), no pattern matched, and a
 * forbidden program went unreported without an error. Spaces never separate: names have them ("Google Chrome").
 */
export function splitProcessText(text: string): string[] | null {
  const names = listItems(text.trim());
  return names && names.map((n) => n.trim()).filter((n) => n.length > 0);
}

const CLOSING: Record<string, string> = { "[": "]", "{": "}", "(": ")" };
const SEPARATORS = /[,;\t\r\n]+/;

function listItems(text: string): string[] | null {
  if (text === "set()" || text === "frozenset()") return []; // Python's empty set
  const t = /^frozenset\((.*)\)$/s.exec(text)?.[1]?.trim() ?? text;
  const close = CLOSING[t[0] ?? ""];
  if (!close) return /^["']/.test(t) ? quotedItems(t) : t.split(SEPARATORS);
  if (t[0] === "[") {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
    } catch {
      // not JSON: perhaps a Python list
    }
  }
  if (!t.endsWith(close)) return null;
  const inner = t.slice(1, -1);
  return /["']/.test(inner) ? quotedItems(inner) : inner.split(SEPARATORS);
}

/**
 * Every item quoted ('a', "b"), separated by commas, semicolons or white space; null when anything else is there or a
 * quote is never closed. Read in one pass: a regular expression for it backtracked quadratically on a text of escaped
 * quotes, and a probe's 150,000-character list held the service for 32-39 s (2026-12-07).
 *
 * Backslashes: a text that holds a doubled backslash anywhere was written by an escaping encoder (Python's str() of a
 * list, JSON): there `\\` is one backslash, `\t` `\n` `\r` `\xNN` `\uNNNN` what they say, and `\` before any other
 * character that character. Otherwise backslashes are literal (a CSV row of Windows paths: `"C:\Program
 * Files\AnyDesk\AnyDesk.exe"` lost its backslashes and escaped the default list, a probe), except before the item's own
 * quote (`'it\'s.exe'`). A quote written twice inside an item is one quote (CSV: `"say ""hi"".exe"`).
 */
function quotedItems(s: string): string[] | null {
  const escaping = s.includes("\\\\");
  const items: string[] = [];
  let i = 0;
  while (i < s.length) {
    const quote = s[i]!;
    if (quote === "'" || quote === '"') {
      let item = "";
      let j = i + 1;
      for (; j < s.length; j++) {
        const ch = s[j]!;
        if (ch === quote) {
          if (s[j + 1] !== quote) break;
          item += quote; // doubled: one quote
          j++;
        } else if (ch === "\\" && j + 1 < s.length && (escaping || s[j + 1] === quote)) {
          const [value, used] = escapedCharacter(s, j + 1);
          item += value;
          j += used;
        } else item += ch;
      }
      if (j >= s.length) return null;
      items.push(item);
      i = j + 1;
    } else if (/[\s,;]/.test(quote)) i++;
    else return null;
  }
  return items;
}

const SIMPLE_ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r" };

/** The character an escape starting at `s[at]` (after its backslash) stands for, and how many characters it used. */
function escapedCharacter(s: string, at: number): [string, number] {
  const c = s[at]!;
  const hex = c === "x" ? 2 : c === "u" ? 4 : 0;
  if (hex > 0 && /^[0-9a-fA-F]+$/.test(s.slice(at + 1, at + 1 + hex)) && at + hex < s.length) {
    return [String.fromCharCode(parseInt(s.slice(at + 1, at + 1 + hex), 16)), 1 + hex];
  }
  return [SIMPLE_ESCAPES[c] ?? c, 1];
}

/**
 * Accepts running processes as a JSON array or as one string (splitProcessText; the TRUSTID Monitoring model types
 * it as a string), and bounds its size.
 */
export function parseProcessList(value: string | string[] | undefined | null, field = "running_processes"): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : splitProcessText(value);
  if (items === null) throw AppError.badField(field, UNREADABLE_PROCESS_LIST);
  const names = items.map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length > MAX_PROCESSES) {
    throw AppError.badField(field, `At most ${MAX_PROCESSES} processes may be reported at once (got ${names.length}).`);
  }
  if (names.some((n) => characterCount(n) > MAX_PROCESS_NAME_LENGTH)) {
    throw AppError.badField(field, `A process name may be at most ${MAX_PROCESS_NAME_LENGTH} characters.`);
  }
  return names;
}

/**
 * The policy that applies to an exam: the defaults, the institution's patterns and the exam's own (or,
 * without an exam, the defaults and the institution's), exemptions of both levels included.
 */
export async function policyPatterns(db: Db, institutionId: number, examId: number | null): Promise<ProcessPolicy> {
  return policyOfRows(await policyPatternsQuery(db, institutionId, examId));
}

/** The query behind policyPatterns, for a caller's batch; its rows become the policy with policyOfRows. */
export function policyPatternsQuery(db: Db, institutionId: number, examId: number | null) {
  const scope =
    examId === null
      ? isNull(processPolicies.examId)
      : or(isNull(processPolicies.examId), eq(processPolicies.examId, examId));
  return db
    .select({ pattern: processPolicies.pattern })
    .from(processPolicies)
    .where(and(eq(processPolicies.institutionId, institutionId), scope));
}

export const policyOfRows = (rows: { pattern: string }[]): ProcessPolicy => policyOf([...new Set(rows.map((r) => r.pattern.toLowerCase()))]);

/** The exams' own patterns (not the institution's), for showing to their instructor; in a caller's batch. */
export const examPatternsQuery = (db: Db, institutionId: number, examIds: number[] | SQLWrapper) =>
  db
    .select({ examId: processPolicies.examId, pattern: processPolicies.pattern })
    .from(processPolicies)
    .where(and(eq(processPolicies.institutionId, institutionId), inArray(processPolicies.examId, examIds)));

/** examPatternsQuery's rows by exam. */
export function patternsByExam(rows: { examId: number | null; pattern: string }[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
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

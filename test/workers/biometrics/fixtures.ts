// Fixtures for the biometrics tests: exam enrolments written straight to the test database (the exams
// API belongs to another area), template objects reached directly, synthetic embeddings.
import { env } from "cloudflare:test";
import { inject } from "vitest";
import { openDb } from "../../../src/db/client";
import { enrolments, exams, users } from "../../../src/db/schema";
import { templateObjectName } from "../../../src/templates/client";
import { eq } from "drizzle-orm";
import type { Bindings } from "../../../src/env";

export const db = () => openDb(inject("databaseUrl"));

/** The access token's claims (the test needs the student's id and institution). */
export function claimsOf(token: string): { sub: string; iid: number; inst: string } {
  const payload = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
}

export function ownerOf(token: string) {
  const c = claimsOf(token);
  return { institutionId: c.iid, studentId: Number(c.sub) };
}

export function templatesOf(token: string) {
  const ns = (env as unknown as Bindings).STUDENT_TEMPLATES!;
  return ns.get(ns.idFromName(templateObjectName(ownerOf(token))));
}

/** An exam in the student's institution with the student enrolled; returns the exam id. */
export async function examWithEnrolment(studentToken: string, enrol = true): Promise<number> {
  const { institutionId, studentId } = ownerOf(studentToken);
  const d = db();
  const [instructor] = await d
    .insert(users)
    .values({ institutionId, email: `instructor.${crypto.randomUUID()}@example.org`, name: "I", surname: "T", role: "INSTRUCTOR" })
    .returning({ id: users.id });
  const [exam] = await d
    .insert(exams)
    .values({ institutionId, instructorId: instructor!.id, name: "Face test", examType: "Written", durationMinutes: 60, scheduledAt: Date.now(), privacyPolicy: "p" })
    .returning({ id: exams.id });
  if (enrol) await d.insert(enrolments).values({ institutionId, examId: exam!.id, studentId });
  return exam!.id;
}

export async function enrolmentOf(examId: number, studentToken: string) {
  const { studentId } = ownerOf(studentToken);
  const rows = await db().select().from(enrolments).where(eq(enrolments.examId, examId));
  return rows.find((r) => r.studentId === studentId);
}

/** A random unit vector (a stand-in embedding) and a noisy copy of it. */
export function unitVector(seed: number, dim = 512): number[] {
  let s = seed;
  const v = Array.from({ length: dim }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
export function near(v: number[], noise: number, seed: number): number[] {
  const r = unitVector(seed, v.length);
  const w = v.map((x, i) => x + noise * r[i]!);
  const n = Math.hypot(...w);
  return w.map((x) => x / n);
}

// Who can read which decision records (SECURITY.md "Decision records"): a student their own; an instructor
// those taken in their own exams (instructorExam: 404 for anyone else's exam). Every query is scoped to the
// caller's institution. Newest first, one page at a time.
import { and, desc, eq, isNotNull, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decisions, users } from "../../db/schema";
import type { Person } from "../../types";
import { instructorExam } from "../exams/scope";
import type { DecisionRow } from "./record";

export const MAX_PAGE_SIZE = 100;
export type Page = { page: number; pageSize: number };
export type PageOf<T> = { items: T[]; page: number; pageSize: number; hasMore: boolean };

async function paged<T>(rows: (limit: number, offset: number) => Promise<T[]>, p: Page): Promise<PageOf<T>> {
  const got = await rows(p.pageSize + 1, (p.page - 1) * p.pageSize);
  return { items: got.slice(0, p.pageSize), page: p.page, pageSize: p.pageSize, hasMore: got.length > p.pageSize };
}

/** The calling student's own decisions. */
export function listStudentDecisions(db: Db, student: Person, p: Page): Promise<PageOf<DecisionRow>> {
  return paged(
    (limit, offset) =>
      db
        .select()
        .from(decisions)
        .where(and(eq(decisions.institutionId, student.institutionId), eq(decisions.studentId, student.userId)))
        .orderBy(desc(decisions.createdAt), desc(decisions.id))
        .limit(limit)
        .offset(offset),
    p,
  );
}

export type ExamDecision = { decision: DecisionRow; student: { email: string; name: string; surname: string } | null };

/** The decisions taken in one of the instructor's exams (404 for any other exam), optionally one student's or only contested ones. */
export async function listExamDecisions(
  db: Db,
  instructor: Person,
  q: { examId: number; email?: string | undefined; contested?: boolean | undefined },
  p: Page,
  now: number,
): Promise<PageOf<ExamDecision>> {
  const exam = await instructorExam(db, instructor, q.examId, now);
  const filters: (SQL | undefined)[] = [eq(decisions.institutionId, instructor.institutionId), eq(decisions.examId, exam.id)];
  if (q.email !== undefined) filters.push(eq(users.email, q.email));
  if (q.contested) filters.push(isNotNull(decisions.contestedAt));
  return paged(
    (limit, offset) =>
      db
        .select({ decision: decisions, student: { email: users.email, name: users.name, surname: users.surname } })
        .from(decisions)
        // Scoped to the institution too: an erased student's row is gone and the decision (if still there) shows no name.
        .leftJoin(users, and(eq(users.id, decisions.studentId), eq(users.institutionId, decisions.institutionId)))
        .where(and(...filters))
        .orderBy(desc(decisions.createdAt), desc(decisions.id))
        .limit(limit)
        .offset(offset),
    p,
  );
}

// Operator tool: erase a student's account and all their data (SECURITY.md "Deletion").
// Works on the database DATABASE_URL names (the local libSQL server in dev, Turso in production).
//
//   DATABASE_URL=... node scripts/erase-student.mjs UCY student@example.org            ask for erasure
//   DATABASE_URL=... node scripts/erase-student.mjs UCY student@example.org --status   (or by --student-id N)
//
// This only records the request: the Worker's scheduled handler (every minute, src/services/erasure.ts)
// deletes every database row of the student (account, logins, enrolments, events, alerts, feedback,
// approval requests, wallet exports, queued partner callbacks) and, once the student's last access
// token has expired (ACCESS_TOKEN_TTL_SECONDS + 1 minute), their template Durable Object. The request
// row (ids and times only) remains as the record that erasure happened. Instructors are refused: their
// exams must be handed to another instructor or deleted first.
import { createClient } from "@libsql/client";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { databaseErrorMessage, repeatedOptions } from "./partner-credentials.mjs";

async function institutionId(client, code) {
  const inst = (await client.execute({ sql: "SELECT id FROM institutions WHERE code = ?", args: [code] })).rows[0];
  if (!inst) throw new Error(`No institution with code ${code}`);
  return Number(inst.id);
}

async function statusOf(client, instId, studentId) {
  const r = (await client.execute({ sql: "SELECT * FROM erasure_requests WHERE institution_id = ? AND student_id = ?", args: [instId, studentId] })).rows[0];
  if (!r) return null;
  const at = (v) => (v === null ? null : new Date(Number(v)).toISOString());
  return {
    request_id: Number(r.id),
    student_id: studentId,
    requested_at: at(r.requested_at),
    records_erased_at: at(r.records_erased_at),
    templates_erased_at: at(r.templates_erased_at),
  };
}

/** Records an erasure request for the student with this email (idempotent); returns its state. */
export async function requestErasure(client, code, email, now = Date.now()) {
  const instId = await institutionId(client, code);
  const user = (
    await client.execute({ sql: "SELECT id, role FROM users WHERE institution_id = ? AND email = ?", args: [instId, email.trim().toLowerCase()] })
  ).rows[0];
  if (!user) throw new Error(`No user ${email} in ${code} (already erased? use --status --student-id N)`);
  if (user.role !== "STUDENT") throw new Error(`${email} is an instructor: hand their exams to another instructor or delete them, then remove the account by hand`);
  const studentId = Number(user.id);
  await client.execute({
    sql: "INSERT INTO erasure_requests (institution_id, student_id, requested_at) VALUES (?, ?, ?) ON CONFLICT (institution_id, student_id) DO NOTHING",
    args: [instId, studentId, now],
  });
  return statusOf(client, instId, studentId);
}

/** The state of a student's erasure request, by email (before the account is gone) or by student id. */
export async function erasureStatus(client, code, { email, studentId }) {
  const instId = await institutionId(client, code);
  let id = studentId;
  if (id === undefined) {
    const user = (await client.execute({ sql: "SELECT id FROM users WHERE institution_id = ? AND email = ?", args: [instId, email.trim().toLowerCase()] })).rows[0];
    if (!user) throw new Error(`No user ${email} in ${code}: give --student-id of an erased account`);
    id = Number(user.id);
  }
  return statusOf(client, instId, id);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const usage = "Usage: DATABASE_URL=... node scripts/erase-student.mjs <CODE> <email> [--status] | <CODE> --status --student-id <id>";
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, tokens: true, options: { status: { type: "boolean" }, "student-id": { type: "string" } } });
  } catch (e) {
    // An unknown or malformed option: say which, not a stack trace.
    console.error(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  const url = process.env.DATABASE_URL;
  const [code, email] = positionals;
  if (!url || !code || (!email && !values["student-id"])) {
    console.error(usage);
    process.exit(2);
  }
  // One student a run, each option once: a second email was ignored (that student never erased, the operator not told)
  // and a second --student-id replaced the first (probe X).
  if (positionals.length > 2) {
    console.error(`One student at a time: ${positionals.slice(2).map((p) => JSON.stringify(p)).join(", ")} was not expected; run the script once per student.\n${usage}`);
    process.exit(2);
  }
  const twice = repeatedOptions(parsed.tokens);
  if (twice.length > 0) {
    console.error(`--${twice[0]} is given more than once: give it once.\n${usage}`);
    process.exit(2);
  }
  // Checked here, before the database is asked: an id without --status reached requestErasure with no email (a
  // TypeError about "trim"), and "abc" reached libSQL as NaN (its "Only finite numbers" message), a probe found.
  const studentIdText = values["student-id"];
  if (studentIdText !== undefined && !values.status) {
    // Erasure is asked by email only: an id names an account that may already be gone, and a mistyped id would
    // erase another student.
    console.error(`--student-id is only for --status: to ask for erasure, give the student's email.\n${usage}`);
    process.exit(2);
  }
  if (studentIdText !== undefined && !(/^[1-9][0-9]*$/.test(studentIdText) && Number.isSafeInteger(Number(studentIdText)))) {
    console.error(`--student-id must be a student's id, a positive whole number, not ${JSON.stringify(studentIdText)}.\n${usage}`);
    process.exit(2);
  }
  const client = createClient({ url, authToken: process.env.DATABASE_AUTH_TOKEN });
  try {
    const state = values.status
      ? await erasureStatus(client, code, { email, studentId: studentIdText === undefined ? undefined : Number(studentIdText) })
      : await requestErasure(client, code, email);
    console.log(JSON.stringify(state, null, 2));
    if (!values.status) console.log("Queued: the Worker erases the database rows within a minute and the templates after the access-token lifetime.");
  } catch (e) {
    console.error(databaseErrorMessage(e, url));
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

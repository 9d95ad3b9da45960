// Operator tool: an institution's Moodle site, its institution-wide forbidden-process patterns and the security
// level its biometric decisions are taken at by default (docs/face.md; an exam's instructor may choose another).
// Works on the database DATABASE_URL names (the local libSQL server in dev, Turso in production).
//
//   DATABASE_URL=... node scripts/institution.mjs UCY --show
//   DATABASE_URL=... MOODLE_TOKEN=... node scripts/institution.mjs UCY --moodle-url https://moodle.example.ac.cy
//   DATABASE_URL=... node scripts/institution.mjs UCY --clear-moodle
//   DATABASE_URL=... node scripts/institution.mjs UCY --forbid "discord*" --forbid "zoom*" --allow "obs*"
//   DATABASE_URL=... node scripts/institution.mjs UCY --no-default-list --forbid "anydesk*"   # replace the default list
//   DATABASE_URL=... node scripts/institution.mjs UCY --default-list                          # the whole default list again
//   DATABASE_URL=... node scripts/institution.mjs UCY --security-level standard               # high (default) | standard
//   DATABASE_URL=... node scripts/institution.mjs UCY --time-zone Asia/Nicosia                # date-times sent without an offset
//
// The token is read from MOODLE_TOKEN (or --moodle-token), never printed, and stored sealed (AES-GCM) with
// PARTNER_SECRET_KEY_ENCRYPTION_KEY, the Worker secret of the same name (from the environment, or .dev.vars in
// development), bound to the institution: the database alone does not reveal it. Patterns are matched
// case-insensitively with `*` and `?` wildcards; instructors add per-exam patterns through the API.
//
// Forbidden processes (docs/exams.md): a default list shipped in the Worker applies on top of the institution's
// own patterns. `--forbid P` adds P (and drops an exemption `!P`); `--allow P` removes P and exempts names matching
// P from the default list (`!P`); `--no-default-list` stores `!*` (default list off); `--default-list` removes
// every exemption. A pattern given with a leading `!` is stored as it is (the API's syntax).
import { createClient } from "@libsql/client";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { databaseErrorMessage, repeatedOptions, sealKeyFrom, sealSecret } from "./partner-credentials.mjs";

const MAX_PATTERN_LENGTH = 100;

/**
 * Options that say opposite things, or null. With both, one was applied and the other dropped, silently, exit 0
 * (probes Q and V): --clear-moodle with a new URL set the URL; a pattern both forbidden and allowed ended up exempted
 * whichever came first. Checked by the CLI before the database is asked, and by configureInstitution.
 */
export function conflictingOptions(opts) {
  if (opts.defaultList && opts.noDefaultList) return "--default-list and --no-default-list exclude each other: give one";
  if (opts.clearMoodle && (opts.moodleUrl !== undefined || opts.moodleToken !== undefined)) {
    return `--clear-moodle and ${opts.moodleUrl !== undefined ? "--moodle-url" : "--moodle-token"} exclude each other: give one`;
  }
  // Compared as stored (usablePattern): "Zoom*" and "zoom*" are one pattern.
  const forbidden = new Set((opts.forbid ?? []).map((raw) => raw.trim().toLowerCase()));
  const both = (opts.allow ?? []).find((raw) => forbidden.has(raw.trim().toLowerCase()));
  if (both !== undefined) return `${JSON.stringify(both.trim())} is given to both --forbid and --allow: give it to one`;
  return null;
}

/** opts.sealKey: PARTNER_SECRET_KEY_ENCRYPTION_KEY, needed to set a Moodle token (or a function returning it). */
export async function configureInstitution(client, code, opts) {
  const inst = (await client.execute({ sql: "SELECT id, code, name, moodle_url, moodle_token FROM institutions WHERE code = ?", args: [code] })).rows[0];
  if (!inst) throw new Error(`No institution with code ${code}`);
  const id = Number(inst.id);
  // Every option is checked (and a new token sealed) before anything is written: a refused option used to leave the
  // ones handled before it applied (a --security-level stored, then the --time-zone refused).
  const conflict = conflictingOptions(opts);
  if (conflict) throw new Error(conflict);
  // The names of src/biometrics/security-level.ts (SECURITY_LEVELS).
  if (opts.securityLevel !== undefined && !["high", "standard"].includes(opts.securityLevel)) {
    throw new Error(`--security-level must be high or standard, not ${JSON.stringify(opts.securityLevel)}`);
  }
  if (opts.timeZone !== undefined) {
    // An IANA zone name (src/lib/time-zone.ts reads local date-times in it); refused if this runtime does not know it.
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: opts.timeZone });
    } catch {
      throw new Error(`--time-zone must be an IANA time zone such as Europe/Athens, not ${JSON.stringify(opts.timeZone)}`);
    }
  }
  let moodle = null; // { url, token } to store
  if (opts.moodleUrl !== undefined || opts.moodleToken !== undefined) {
    const url = opts.moodleUrl ?? inst.moodle_url;
    if (!url || !(opts.moodleToken ?? inst.moodle_token)) throw new Error("Set both the Moodle URL (--moodle-url) and token (MOODLE_TOKEN or --moodle-token)");
    const parsed = new URL(url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("The Moodle URL must be http(s)");
    // The token goes with every call: over plain http only to this machine (a local test site), never across a network
    // (a probe's production Worker sent it in clear to an http:// site).
    if (parsed.protocol === "http:" && !/^(127\.0\.0\.1|localhost|\[::1\])$/.test(parsed.hostname)) {
      throw new Error("The Moodle URL must use https (http only for a site on this machine): the token is sent with every call");
    }
    // A new token is sealed; changing only the URL keeps the stored (sealed) token as it is.
    let token = inst.moodle_token;
    if (opts.moodleToken !== undefined) {
      const sealKey = typeof opts.sealKey === "function" ? opts.sealKey() : opts.sealKey;
      if (!sealKey) throw new Error("Set PARTNER_SECRET_KEY_ENCRYPTION_KEY: Moodle tokens are stored sealed with it");
      token = await sealSecret(sealKey, id, opts.moodleToken, "moodle-token");
    }
    moodle = { url: parsed.toString().replace(/\/+$/, ""), token };
  }
  const forbid = (opts.forbid ?? []).map(usablePattern);
  const allow = (opts.allow ?? []).map((raw) => {
    const pattern = raw.trim().toLowerCase();
    return { pattern, exemption: pattern.startsWith("!") ? null : usablePattern(`!${pattern}`) };
  });

  if (opts.securityLevel !== undefined) {
    await client.execute({ sql: "UPDATE institutions SET security_level = ? WHERE id = ?", args: [opts.securityLevel, id] });
  }
  if (opts.timeZone !== undefined) {
    await client.execute({ sql: "UPDATE institutions SET time_zone = ? WHERE id = ?", args: [opts.timeZone, id] });
  }
  if (opts.clearMoodle) {
    await client.execute({ sql: "UPDATE institutions SET moodle_url = NULL, moodle_token = NULL WHERE id = ?", args: [id] });
  }
  if (moodle) {
    await client.execute({ sql: "UPDATE institutions SET moodle_url = ?, moodle_token = ? WHERE id = ?", args: [moodle.url, moodle.token, id] });
  }
  const now = Date.now();
  const addPattern = async (pattern) => {
    const exists = await client.execute({
      sql: "SELECT 1 FROM process_policies WHERE institution_id = ? AND exam_id IS NULL AND pattern = ?",
      args: [id, pattern],
    });
    if (exists.rows.length === 0) {
      await client.execute({
        sql: "INSERT INTO process_policies (institution_id, exam_id, pattern, created_at) VALUES (?, NULL, ?, ?)",
        args: [id, pattern, now],
      });
    }
  };
  const removePattern = (pattern) =>
    client.execute({ sql: "DELETE FROM process_policies WHERE institution_id = ? AND exam_id IS NULL AND pattern = ?", args: [id, pattern] });
  if (opts.defaultList) {
    await client.execute({ sql: "DELETE FROM process_policies WHERE institution_id = ? AND exam_id IS NULL AND pattern LIKE '!%'", args: [id] });
  }
  if (opts.noDefaultList) await addPattern("!*");
  for (const pattern of forbid) {
    await addPattern(pattern);
    if (!pattern.startsWith("!")) await removePattern(`!${pattern}`);
  }
  for (const { pattern, exemption } of allow) {
    await removePattern(pattern);
    if (exemption) await addPattern(exemption);
  }
  const after = (await client.execute({ sql: "SELECT moodle_url, moodle_token, security_level, time_zone FROM institutions WHERE id = ?", args: [id] })).rows[0];
  const patterns = await client.execute({
    sql: "SELECT pattern FROM process_policies WHERE institution_id = ? AND exam_id IS NULL ORDER BY pattern",
    args: [id],
  });
  const stored = patterns.rows.map((r) => String(r.pattern));
  const exemptions = stored.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
  return {
    code: inst.code,
    name: inst.name,
    moodle_url: after.moodle_url ?? null,
    moodle_token_set: Boolean(after.moodle_token),
    security_level: after.security_level,
    time_zone: after.time_zone,
    forbidden_processes: stored.filter((p) => !p.startsWith("!")),
    default_list: exemptions.includes("*") ? "off" : "on",
    exempt_from_default_list: exemptions.filter((p) => p !== "*"),
  };
}

/** The rules of normalizePatterns in src/services/process-policy.ts: lower case, 1-100 printable characters. */
function usablePattern(raw) {
  const p = raw.trim().toLowerCase();
  const body = p.startsWith("!") ? p.slice(1) : p;
  const ok =
    p.length <= MAX_PATTERN_LENGTH && body.length > 0 && !/[\u0000-\u001f\u007f]/.test(p) && !body.startsWith("!") && (p.startsWith("!") || !/^\*+$/.test(p));
  if (!ok) throw new Error(`Unusable pattern ${JSON.stringify(raw)}`);
  return p;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const usage =
    "Usage: DATABASE_URL=... [MOODLE_TOKEN=...] node scripts/institution.mjs <CODE> [--show] [--moodle-url URL | --clear-moodle] [--forbid PATTERN]... [--allow PATTERN]... [--no-default-list | --default-list] [--security-level high|standard] [--time-zone ZONE]";
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      tokens: true,
      options: {
        show: { type: "boolean" },
        "moodle-url": { type: "string" },
        "moodle-token": { type: "string" },
        "clear-moodle": { type: "boolean" },
        forbid: { type: "string", multiple: true },
        allow: { type: "string", multiple: true },
        "default-list": { type: "boolean" },
        "no-default-list": { type: "boolean" },
        "security-level": { type: "string" },
        "time-zone": { type: "string" },
      },
    });
  } catch (e) {
    // An unknown or malformed option: say which, not a stack trace.
    console.error(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  const url = process.env.DATABASE_URL;
  const [code] = positionals;
  if (!url || !code) {
    console.error(usage);
    process.exit(2);
  }
  // One institution and each single option once: parseArgs would keep the last silently (probe X).
  const twice = repeatedOptions(parsed.tokens, ["forbid", "allow"]);
  if (twice.length > 0) {
    console.error(`--${twice[0]} is given more than once: give it once.\n${usage}`);
    process.exit(2);
  }
  if (positionals.length > 1) {
    console.error(`One institution at a time: ${positionals.slice(1).map((p) => JSON.stringify(p)).join(", ")} was not expected.\n${usage}`);
    process.exit(2);
  }
  const opts = {
    moodleUrl: values["moodle-url"],
    moodleToken: values["moodle-token"] ?? (values["moodle-url"] ? process.env.MOODLE_TOKEN : undefined),
    clearMoodle: values["clear-moodle"],
    forbid: values.forbid,
    allow: values.allow,
    defaultList: values["default-list"],
    noDefaultList: values["no-default-list"],
    securityLevel: values["security-level"],
    timeZone: values["time-zone"],
    sealKey: () => sealKeyFrom(process.env),
  };
  // Options that say opposite things: refused here, before the database is asked (configureInstitution refuses them too).
  const conflict = conflictingOptions(opts);
  if (conflict) {
    console.error(`${conflict}.\n${usage}`);
    process.exit(2);
  }
  const client = createClient({ url, authToken: process.env.DATABASE_AUTH_TOKEN });
  try {
    const summary = await configureInstitution(client, code, opts);
    console.log(JSON.stringify(summary, null, 2));
  } catch (e) {
    console.error(databaseErrorMessage(e, url));
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

// Operator command for the partner API (ProctorExam v3) credentials of an institution. Talks to the
// database like scripts/migrate.mjs (DATABASE_URL, DATABASE_AUTH_TOKEN) and seals secret keys with
// PARTNER_SECRET_KEY_ENCRYPTION_KEY, which must be the Worker's secret of the same name (locally it
// is read from .dev.vars when not in the environment). See docs/partner-api.md.
//
//   node scripts/partner-credentials.mjs create       --institution UCY   first credentials (token + secret key, printed once)
//   node scripts/partner-credentials.mjs rotate       --institution UCY   new credentials; the previous ones stay valid
//   node scripts/partner-credentials.mjs revoke-old   --institution UCY   end a rotation: only the newest stays valid
//   node scripts/partner-credentials.mjs list         --institution UCY   ids, creation and revocation times (no secrets)
//   node scripts/partner-credentials.mjs set-callback --institution UCY --url https://... | --clear
//
// The sealing below must stay identical to src/services/partner/crypto.ts (test/node checks both ways).
import { createClient } from "@libsql/client";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const enc = new TextEncoder();
const toHex = (bytes) => Buffer.from(bytes).toString("hex");
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

export const randomHex = (n) => toHex(crypto.getRandomValues(new Uint8Array(n)));
export const sha256Hex = async (text) => toHex(await crypto.subtle.digest("SHA-256", enc.encode(text)));

/** purpose: "partner-secret" or "moodle-token" (bound into the associated data, as in src/services/partner/crypto.ts). */
export async function sealSecret(keyBase64, institutionId, secret, purpose = "partner-secret") {
  // The Worker's check (src/env.ts): standard base64 with its padding, of exactly 32 bytes. Node's decoder alone would
  // also take an unpadded, base64url or stray-character key that the Worker refuses (a sealed secret nobody can open).
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(keyBase64 ?? "")) {
    throw new Error("PARTNER_SECRET_KEY_ENCRYPTION_KEY must be standard base64 with its = padding (as `openssl rand -base64 32` prints)");
  }
  const raw = Buffer.from(keyBase64, "base64");
  if (raw.length !== 32) throw new Error("PARTNER_SECRET_KEY_ENCRYPTION_KEY must be base64 of 32 bytes");
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(`${purpose}:${institutionId}`) }, key, enc.encode(secret));
  return `v1.${b64url(iv)}.${b64url(new Uint8Array(ct))}`;
}

const MAX_ACTIVE = 2;

async function institutionId(client, code) {
  const rs = await client.execute({ sql: "select id from institutions where code = ?", args: [code] });
  if (rs.rows.length === 0) throw new UsageError(`No institution with code "${code}".`);
  return Number(rs.rows[0].id);
}

const activeIds = async (client, inst) =>
  (await client.execute({ sql: "select id from partner_credentials where institution_id = ? and revoked_at is null order by id desc", args: [inst] })).rows.map((r) => Number(r.id));

async function issue(client, sealKey, inst, now) {
  const token = randomHex(32);
  const secretKey = randomHex(32);
  const revoke = (await activeIds(client, inst)).slice(MAX_ACTIVE - 1);
  const statements = revoke.map((id) => ({ sql: "update partner_credentials set revoked_at = ? where id = ?", args: [now, id] }));
  statements.push({
    sql: "insert into partner_credentials (institution_id, token_hash, secret_key_sealed, created_at) values (?, ?, ?, ?)",
    args: [inst, await sha256Hex(token), await sealSecret(sealKey, inst, secretKey), now],
  });
  await client.batch(statements, "write");
  return { token, secretKey, revoked: revoke };
}

export class UsageError extends Error {}

/**
 * The options given more than once among parseArgs's `tokens` (options not declared `multiple`): parseArgs keeps the
 * last silently, so `--institution UPAT --institution UCY` changed UCY (a probe). Refused by every operator script.
 */
export function repeatedOptions(tokens, multiple = []) {
  const seen = new Set();
  const twice = new Set();
  for (const t of tokens ?? []) {
    if (t.kind !== "option" || multiple.includes(t.name)) continue;
    if (seen.has(t.name)) twice.add(t.name);
    seen.add(t.name);
  }
  return [...twice];
}

export const USAGE = [
  "Usage: DATABASE_URL=... node scripts/partner-credentials.mjs <command> --institution <CODE>",
  "  commands: create | rotate | revoke-old | list | set-callback (--url URL [--allow-http true] | --clear)",
].join("\n");

/**
 * The line an operator script prints for an error met while talking to the database. Unreachable, the client says
 * only "fetch failed" (a probe's operator got nothing else): name the cause, the URL and what to check, as
 * scripts/migrate.mjs does. Any other error (no such institution, a refused option) is its own message.
 */
export function databaseErrorMessage(e, url) {
  const message = e instanceof Error ? e.message : String(e);
  // "fetch failed": refused, unknown host, TLS; SERVER_ERROR: an HTTP status from something that is not a libSQL server.
  const unreachable = (e instanceof TypeError && message === "fetch failed") || e?.code === "SERVER_ERROR";
  if (!unreachable) return message;
  let cause = e;
  while (cause?.cause) cause = cause.cause;
  const detail = String(cause?.message ?? message).split("\n")[0];
  const code = cause?.code && !detail.includes(cause.code) ? `${cause.code}: ` : "";
  // Without its query: a libsql URL may carry ?authToken=..., which must not be printed.
  const where = String(url ?? "").split("?")[0];
  return `cannot reach the database at ${where}: ${code}${detail} (check DATABASE_URL and DATABASE_AUTH_TOKEN)`;
}

/** Whether DATABASE_URL names this machine's database (the local libSQL server or a file), where .dev.vars applies. */
export const isLocalDatabase = (url) => /^(file:|(https?|libsql|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$))/i.test(url ?? "");

export function sealKeyFrom(env) {
  if (env.PARTNER_SECRET_KEY_ENCRYPTION_KEY) return env.PARTNER_SECRET_KEY_ENCRYPTION_KEY;
  // .dev.vars holds the local service's key: sealing with it for another database makes credentials that database's
  // Worker cannot open (a probe's production credentials all answered 403, the script having exited 0).
  if (!isLocalDatabase(env.DATABASE_URL)) {
    throw new UsageError("Set PARTNER_SECRET_KEY_ENCRYPTION_KEY to the deployed Worker's secret of the same name (.dev.vars is only used with a local DATABASE_URL).");
  }
  if (existsSync(".dev.vars")) {
    const m = /^PARTNER_SECRET_KEY_ENCRYPTION_KEY=(.+)$/m.exec(readFileSync(".dev.vars", "utf8"));
    if (m) return m[1].trim();
  }
  throw new UsageError("Set PARTNER_SECRET_KEY_ENCRYPTION_KEY (the Worker secret of the same name).");
}

/** The options each command takes (without their "--"); any other is refused, naming it. */
const COMMAND_OPTIONS = {
  create: ["institution"],
  rotate: ["institution"],
  "revoke-old": ["institution"],
  list: ["institution"],
  "set-callback": ["institution", "url", "allow-http", "clear"],
};

/** Runs one command; returns the lines to print. */
export async function run(argv, env, now = Date.now()) {
  // --help anywhere, or nothing at all: the commands, not "Give --institution" alone (a probe's operator had no list).
  if (argv.includes("--help") || argv.includes("-h")) return [USAGE];
  if (argv.length === 0) throw new UsageError(USAGE);
  const [command, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith("--")) throw new UsageError(`Unexpected argument "${a}".`);
    const name = a.slice(2);
    // Given twice, one of the two would be applied silently (probe X: `--institution UPAT --institution UCY` cleared UCY's callback).
    if (Object.hasOwn(opts, name)) throw new UsageError(`--${name} is given more than once: give it once.\n${USAGE}`);
    if (name === "clear") opts.clear = true;
    else opts[name] = rest[++i];
  }
  // Everything the command line can get wrong is refused here, before the database is asked: nothing is applied.
  const allowed = Object.hasOwn(COMMAND_OPTIONS, command ?? "") ? COMMAND_OPTIONS[command] : null;
  if (!allowed) throw new UsageError(`Unknown command "${command ?? ""}": create | rotate | revoke-old | list | set-callback.\n${USAGE}`);
  // An option of another command was ignored, exit 0 (probe V: `create --url ...` created credentials, no callback).
  const foreign = Object.keys(opts).filter((name) => !allowed.includes(name));
  if (foreign.length) {
    throw new UsageError(`${foreign.map((name) => `--${name}`).join(", ")} ${foreign.length > 1 ? "are" : "is"} not an option of ${command} (it takes ${allowed.map((name) => `--${name}`).join(", ")}).\n${USAGE}`);
  }
  if (!opts.institution) throw new UsageError(`Give --institution <code>.\n${USAGE}`);
  let callbackUrl = null; // set-callback: the URL to store, null to clear
  if (command === "set-callback") {
    // Both said opposite things: --clear won and the --url was dropped, exit 0 (probe V).
    if (opts.clear && (opts.url !== undefined || opts["allow-http"] !== undefined)) {
      throw new UsageError(`--clear and ${opts.url !== undefined ? "--url" : "--allow-http"} exclude each other: give --url <https URL> or --clear.\n${USAGE}`);
    }
    if (!opts.clear) {
      if (opts.url === undefined) throw new UsageError(`Give --url <https URL> or --clear.\n${USAGE}`);
      try {
        callbackUrl = new URL(opts.url).toString();
      } catch {
        // "Give --url" alone, for a --url that was given, sent the operator looking for a typo in the option (probe V).
        throw new UsageError(`--url ${JSON.stringify(opts.url)} is not a valid URL: give a whole one, such as https://lms.example.edu/trustid-callback.\n${USAGE}`);
      }
      // Only `--allow-http true` allows it: `--allow-http false` (or any other value) must not.
      if (!callbackUrl.startsWith("https://") && opts["allow-http"] !== "true") throw new UsageError("The callback URL must use https (--allow-http true for local tests).");
    }
  }
  if (!env.DATABASE_URL) throw new UsageError("Set DATABASE_URL (and DATABASE_AUTH_TOKEN for Turso).");
  const client = createClient({ url: env.DATABASE_URL, authToken: env.DATABASE_AUTH_TOKEN || undefined });
  try {
    const inst = await institutionId(client, opts.institution);
    switch (command) {
      case "create":
      case "rotate": {
        const active = await activeIds(client, inst);
        if (command === "create" && active.length > 0) throw new UsageError("This institution already has credentials; use rotate.");
        if (command === "rotate" && active.length === 0) throw new UsageError("This institution has no credentials yet; use create.");
        const { token, secretKey, revoked } = await issue(client, sealKeyFrom(env), inst, now);
        return [
          `Partner API credentials for ${opts.institution} (shown once; store them in the partner's system now):`,
          `  api token:  ${token}`,
          `  secret key: ${secretKey}`,
          ...(command === "rotate"
            ? [`The previous credentials stay valid until \`revoke-old\`.${revoked.length ? ` Revoked older: ${revoked.join(", ")}.` : ""}`]
            : []),
        ];
      }
      case "revoke-old": {
        const [, ...old] = await activeIds(client, inst);
        for (const id of old) await client.execute({ sql: "update partner_credentials set revoked_at = ? where id = ?", args: [now, id] });
        return [old.length ? `Revoked credentials ${old.join(", ")}; only the newest stays valid.` : "Nothing to revoke."];
      }
      case "list": {
        const rs = await client.execute({ sql: "select id, created_at, revoked_at from partner_credentials where institution_id = ? order by id", args: [inst] });
        const cb = await client.execute({ sql: "select callback_url from institutions where id = ?", args: [inst] });
        const iso = (v) => (v === null ? "-" : new Date(Number(v)).toISOString());
        return [
          `callback_url: ${cb.rows[0]?.callback_url ?? "-"}`,
          ...rs.rows.map((r) => `credential ${r.id}  created ${iso(r.created_at)}  ${r.revoked_at === null ? "ACTIVE" : `revoked ${iso(r.revoked_at)}`}`),
        ];
      }
      case "set-callback": {
        await client.execute({ sql: "update institutions set callback_url = ? where id = ?", args: [callbackUrl, inst] });
        return [callbackUrl ? `callback_url set to ${callbackUrl}` : "callback_url cleared"];
      }
    }
  } finally {
    client.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    for (const line of await run(process.argv.slice(2), process.env)) console.log(line);
  } catch (e) {
    // Operators get the message; a stack trace only says where in this script it was noticed.
    console.error(e instanceof UsageError ? e.message : databaseErrorMessage(e, process.env.DATABASE_URL));
    process.exit(e instanceof UsageError ? 2 : 1);
  }
}

// ProctorExam v3 authentication: `Accept: application/vnd.procwise.v3`, `Authorization: Token
// token=<api token>`, and in the parameters a `timestamp` (ms) within the configured window, a
// `nonce` (a number) not used by the institution in the last 24 hours, and `signature` (see
// services/partner/signature.ts) under one of the institution's active secret keys. Every failure is
// the same documented 403; the reason goes to the log only. A `timestamp` or `nonce` that is sent but is
// not a whole number is not a failure to authenticate but an invalid parameter (the spec: "Must be a
// number."), answered with its 422 before the token and the signature are looked at: no such value can
// ever be valid. Runs after partner-params.
import { createMiddleware } from "hono/factory";
import { loadConfig, logConfigurationProblem } from "../env";
import { identifyToken } from "../services/partner/credentials";
import { verifyHmacSha256Hex } from "../services/partner/crypto";
import { PartnerError } from "../services/partner/errors";
import { PendingNonce } from "../services/partner/nonces";
import { isNumber } from "../services/partner/params";
import { stringToSign } from "../services/partner/signature";
import { type PartnerEnv, partnerDb } from "./partner-env";

export const PARTNER_MEDIA_TYPE = "application/vnd.procwise.v3";

const acceptsV3 = (accept: string | undefined) =>
  (accept ?? "").split(",").some((part) => part.split(";")[0]!.trim().toLowerCase() === PARTNER_MEDIA_TYPE);

/** `Token token=abc` or `Token token="abc"` (as Rails' token authentication reads it). */
export function tokenOf(authorization: string | undefined): string | null {
  const m = /^Token\s+token="?([^",\s]+)"?\s*(?:,.*)?$/i.exec((authorization ?? "").trim());
  return m ? m[1]! : null;
}

/**
 * A `timestamp` or `nonce` as the digits it is signed with, or null when it is missing (the 403). One that is sent
 * but is not a whole number of at most `maxDigits` digits is the 422 naming it (a probe's correctly signed UUID nonce
 * and `timestamp=now` got the bare 403, logged as "no nonce").
 */
function digitsOf(name: string, value: unknown, text: string, maxDigits: number): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (/^\d+$/.test(text) && text.length <= maxDigits) return text;
  if (!isNumber(value)) throw PartnerError.invalid(name, value, "Must be a number.");
  throw PartnerError.invalid(name, value, `Must be a whole number of at most ${maxDigits} digits.`);
}

/**
 * `nonceInBatch`: the endpoint uses the nonce up in the batch of its first reads, before it writes anything
 * (`partnerNonce`, services/partner/nonces.ts), which saves a round trip. Should it end before that batch
 * (a parameter error, an id that is not a number), the nonce is used up here after it, and a replay refused
 * as always. Every other endpoint has the nonce used up here before it runs.
 */
const partnerAuthentication = (nonceInBatch: boolean) => createMiddleware<PartnerEnv>(async (c, next) => {
  const config = loadConfig(c.env);
  const sealKey = config.partner.secretKeyEncryptionKey;
  if (!sealKey) {
    // README: a Worker that lacks a required secret says which one in its log.
    logConfigurationProblem([{ setting: "PARTNER_SECRET_KEY_ENCRYPTION_KEY", problem: "missing" }]);
    throw new PartnerError(503, "The partner API is not configured");
  }
  const now = c.get("now");
  const params = c.get("partnerParams");
  const refuse = (reason: string, institutionId?: number) => {
    console.warn(JSON.stringify({ level: "warn", msg: "partner request refused", reason, request_id: c.get("requestId"), institution_id: institutionId }));
    return PartnerError.notAuthorized();
  };

  if (!acceptsV3(c.req.header("accept"))) throw refuse("accept");
  const token = tokenOf(c.req.header("authorization"));
  if (!token) throw refuse("no token");
  const written = c.get("partnerNumberTexts");
  const { timestamp, nonce, signature } = params;
  if (typeof signature !== "string" || signature === "") throw refuse("no signature");
  // A JSON number's digits as written (a nonce beyond 2^53 keeps them all); `1700000000000.0` reads as its value.
  const asText = (name: string, v: unknown) =>
    /^\d+$/.test(written[name] ?? "") ? written[name]! : typeof v === "number" || typeof v === "string" ? String(v) : "";
  const timestampText = digitsOf("timestamp", timestamp, asText("timestamp", timestamp), 16);
  if (timestampText === null) throw refuse("no timestamp");
  const nonceText = digitsOf("nonce", nonce, asText("nonce", nonce), 40);
  if (nonceText === null) throw refuse("no nonce");

  const db = partnerDb(c);
  let identity = await identifyToken(db, sealKey, token, now, config.partner.credentialCacheSeconds * 1000);
  if (!identity) throw refuse("unknown token");
  if (Math.abs(now - Number(timestampText)) > config.partner.timestampToleranceSeconds * 1000) {
    throw refuse("timestamp outside window", identity.institutionId);
  }
  // Every active key is tried (no early exit), each comparison in constant time. JSON numbers are signed as the
  // client wrote them (`60.0`); their JavaScript text (`60`) is accepted too, as it always was, except for whole
  // numbers, whose digits as written are the only text (beyond 2^53 JavaScript's would be another number).
  const wholeNumbers = Object.fromEntries(Object.entries(written).filter(([, t]) => /^-?\d+$/.test(t)));
  // A JSON null is signed empty (`open_time=`, as Ruby's nil.to_s writes it) or as its JSON text (`open_time=null`, as
  // JavaScript's String(null) does; a probe's client got the bare 403 for it).
  const nullsAsText = Object.fromEntries(Object.keys(params).filter((name) => params[name] === null).map((name) => [name, "null"]));
  const variants = [stringToSign(params, written), stringToSign(params, wholeNumbers)];
  if (Object.keys(nullsAsText).length > 0) variants.push(stringToSign(params, { ...written, ...nullsAsText }));
  const messages = [...new Set(variants)];
  const signedWithOneOf = async (secrets: string[]) =>
    (await Promise.all(secrets.flatMap((s) => messages.map((m) => verifyHmacSha256Hex(s, m, signature))))).includes(true);
  let signed = await signedWithOneOf(identity.secrets);
  if (!signed && identity.fromCache) {
    // The cached keys may predate a rotation (a new key must work at once): read them again.
    identity = await identifyToken(db, sealKey, token, now);
    if (!identity) throw refuse("unknown token");
    signed = await signedWithOneOf(identity.secrets);
  }
  if (!signed) throw refuse("bad signature", identity.institutionId);
  // Only a correctly signed request uses up its nonce (others cannot burn a client's nonces).
  const pending = new PendingNonce(identity.institutionId, nonceText, now, () => refuse("nonce reused", identity.institutionId));
  if (!nonceInBatch) await pending.useNow(db);

  c.set("partnerInstitutionId", identity.institutionId);
  c.set("partnerNonce", pending);
  await next();
  if (!pending.sent) await pending.useNow(db);
});

export const partnerAuth = partnerAuthentication(false);
export const partnerAuthNonceInBatch = partnerAuthentication(true);

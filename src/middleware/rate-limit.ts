// Request limits (docs/limits.md). Beyond them the answer is 429 with Retry-After in the documented
// envelope, before any costly work (inference, password hashing) is done.
//
// Biometric endpoints: per student, token buckets in the student's own Durable Object (one object per
// student is a single-threaded, consistent place for the count), limits from env vars.
// Login: per client IP and per account with the Workers Rate Limiting bindings of wrangler.toml.
// Pictures above 8 MP: per student, in the same object, counted where a picture is analysed
// (takeStudentToken "largePictures" in analyseFace, services/biometrics/face.ts).
import { createMiddleware } from "hono/factory";
import { templateObject } from "../templates/client";
import type { BiometricLimit } from "../templates/types";
import { type Bindings, loadConfig } from "../env";
import { AppError } from "../lib/errors";
import type { AppEnv } from "../types";

const TOO_MANY: Record<BiometricLimit, (perMinute: number) => string> = {
  enrol: (n) => `Too many enrolment requests for this student (at most ${n} a minute); try again later`,
  verify: (n) => `Too many verification requests for this student (at most ${n} a minute); try again later`,
  monitoring: (n) => `Too many monitoring requests for this student (at most ${n} a minute); try again later`,
  largePictures: (n) =>
    `Too many pictures above 8 megapixels for this student (at most ${n} a minute); send smaller pictures (a camera frame or a photo of at most 3264x2448 is enough) or try again later`,
};

/** Takes one token of the student's `limit` bucket (in their Durable Object), or throws the 429 with Retry-After. */
export async function takeStudentToken(env: Bindings, caller: { institutionId: number; userId: number }, limit: BiometricLimit) {
  const perMinute = loadConfig(env).rateLimits[limit];
  const ns = env.STUDENT_TEMPLATES;
  if (perMinute <= 0 || !ns) return;
  const student = templateObject(ns, { institutionId: caller.institutionId, studentId: caller.userId });
  const r = await student.takeRequestToken(limit, perMinute);
  if (!r.ok) throw AppError.tooManyRequests(r.retryAfterMs / 1000, TOO_MANY[limit](perMinute));
}

/** Counts the request against the calling student's `limit` (after requireRole, before the body is read). */
export const biometricRateLimit = (limit: Exclude<BiometricLimit, "largePictures">) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await takeStudentToken(c.env, c.get("caller"), limit);
    await next();
  });

/**
 * The period of the login limiters in wrangler.toml ([[ratelimits]] simple.period). The binding answers
 * only allowed or not, so Retry-After is this whole period: an upper bound of the wait.
 */
export const LOGIN_LIMIT_PERIOD_SECONDS = 10;

/** Counts a registration against the client's IP (REGISTER_IP_LIMITER in wrangler.toml), before its password hash. */
export const registrationRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const ip = c.req.header("cf-connecting-ip");
  if (ip && c.env.REGISTER_IP_LIMITER && !(await c.env.REGISTER_IP_LIMITER.limit({ key: ip })).success) {
    throw AppError.tooManyRequests(LOGIN_LIMIT_PERIOD_SECONDS, "Too many registrations from this address; try again later");
  }
  await next();
});

/**
 * Counts a login attempt against the client's IP and the account named (institution code + email, known
 * or not). Without CF-Connecting-IP (never in production: Cloudflare always sets it) the IP is not limited.
 */
export async function checkLoginRate(env: Bindings, request: Request, account: { organization: string; email: string }) {
  const ip = request.headers.get("cf-connecting-ip");
  if (ip && env.LOGIN_IP_LIMITER && !(await env.LOGIN_IP_LIMITER.limit({ key: ip })).success) {
    throw AppError.tooManyRequests(LOGIN_LIMIT_PERIOD_SECONDS, "Too many logins from this address; try again later");
  }
  const key = `${account.organization.toUpperCase()}:${account.email.toLowerCase()}`;
  if (env.LOGIN_ACCOUNT_LIMITER && !(await env.LOGIN_ACCOUNT_LIMITER.limit({ key })).success) {
    throw AppError.tooManyRequests(LOGIN_LIMIT_PERIOD_SECONDS, "Too many logins for this account; try again later");
  }
}

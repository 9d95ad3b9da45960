// Bindings and configuration, checked once per isolate. Secrets come from `wrangler secret put` in
// production and from the git-ignored `.dev.vars` (written by scripts/dev.mjs) locally; there is no
// default secret in code, so a deployment that forgot one refuses to serve instead of running insecurely.
import { z } from "zod";
import { AppError } from "./lib/errors";

/**
 * The Worker's env: the bindings and vars of wrangler.toml (and of the inference Worker's config), typed by
 * `wrangler types` into the git-ignored worker-configuration.d.ts (scripts/typegen.mjs), plus the secrets and
 * optional settings wrangler.toml does not declare. All optional: a missing one is reported (503) by the code
 * that needs it, never assumed.
 */
export type Bindings = Partial<Cloudflare.Env> & {
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  JWT_SECRET?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  REFRESH_TOKEN_TTL_SECONDS?: string;
  /** base64 of 32 random bytes: seals partner secret keys at rest (AES-256-GCM). A Worker secret. */
  PARTNER_SECRET_KEY_ENCRYPTION_KEY?: string;
  PARTNER_TIMESTAMP_TOLERANCE_SECONDS?: string;
  PARTNER_CALLBACK_EXPIRY_HOURS?: string;
  /** Seconds an isolate keeps a partner token's credentials (default 60; 0 reads them for every request). */
  PARTNER_CREDENTIAL_CACHE_SECONDS?: string;
  /** Secret from which the per-student keys sealing biometric templates are derived (at least 32 characters). */
  TEMPLATE_ENCRYPTION_KEY?: string;
  /** During a key rotation only: the previous TEMPLATE_ENCRYPTION_KEY, so that templates sealed under it still open (and are sealed again under the new one as they are read). README "Rotating the template key". */
  TEMPLATE_ENCRYPTION_KEY_PREVIOUS?: string;
  /** Wallet exports (docs/wallet.md): secret for the key sealing exported templates (at least 32 characters). Optional: without it the key is derived from TEMPLATE_ENCRYPTION_KEY (distinct HKDF info). */
  WALLET_SEAL_KEY?: string;
  /** Days an exported template can be returned to the server (default 30). */
  WALLET_EXPORT_TTL_DAYS?: string;
  /** Seconds to wait after a push ticket before reading its receipt (default 15). */
  WALLET_RECEIPT_DELAY_SECONDS?: string;
  /** Expo push service base URL (default https://exp.host), or `disabled` to send no notices. */
  EXPO_PUSH_URL?: string;
  /** Expo access token (a Worker secret), sent as `Authorization: Bearer` when set. */
  EXPO_ACCESS_TOKEN?: string;
  /** Mail sender speaking Postmark's HTTP JSON API (services/mail/postmark.ts): base URL; unset sends no mail. */
  MAIL_API_URL?: string;
  /** Its server token (a Worker secret). */
  MAIL_API_TOKEN?: string;
  /** The From address of the mails sent. */
  MAIL_FROM?: string;
  /** Hours an invitation token stays valid (default 168, a week). */
  INVITATION_TTL_HOURS?: string;
  /** Per-student limits of the biometric endpoints, requests per minute (docs/limits.md); 0 turns one off. */
  RATE_LIMIT_ENROL_PER_MINUTE?: string;
  RATE_LIMIT_VERIFY_PER_MINUTE?: string;
  RATE_LIMIT_MONITORING_PER_MINUTE?: string;
  RATE_LIMIT_LARGE_PICTURES_PER_MINUTE?: string;
  /** Load shedding and timeouts (src/lib/overload.ts; README "Configuration"). */
  MAX_INFLIGHT_REQUESTS?: string;
  MAX_INFLIGHT_INFERENCE?: string;
  MAX_INFLIGHT_PASSWORD_HASHES?: string;
  OVERLOAD_RETRY_AFTER_SECONDS?: string;
  DB_TIMEOUT_MS?: string;
  INFERENCE_TIMEOUT_MS?: string;
  /** Days decision records are kept after their exam's end (docs/decisions.md), default 365. */
  DECISION_RETENTION_DAYS?: string;
  /** Days an exam's monitoring events and alerts are kept after its end (default 365; services/monitoring/retention.ts). */
  MONITORING_RETENTION_DAYS?: string;
  /** Which requests get an access-log line of ours: "errors" (default: 5xx only) or "all". */
  ACCESS_LOG?: string;
};

const configSchema = z.object({
  environment: z.enum(["development", "test", "production"]).default("production"),
  databaseUrl: z.url({ protocol: /^(https?|libsql|wss?)$/ }),
  databaseAuthToken: z.string().optional(),
  jwtSecret: z.string().min(32, "JWT_SECRET must be at least 32 characters"),
  accessTokenTtlSeconds: z.coerce.number().int().min(30).max(3600).default(600),
  refreshTokenTtlSeconds: z.coerce.number().int().min(300).max(60 * 60 * 24 * 30).default(60 * 60 * 24 * 7),
  partner: z.object({
    // Optional so that a deployment without the partner API still serves TRUSTID; the partner API
    // answers 503 until it is set (there is no default key in code).
    secretKeyEncryptionKey: z
      .base64("PARTNER_SECRET_KEY_ENCRYPTION_KEY must be base64")
      // zod runs this check even after the base64 one failed: atob must not throw (a 500 on every request).
      .refine((s) => decodedLength(s) === 32, "PARTNER_SECRET_KEY_ENCRYPTION_KEY must be 32 bytes")
      .optional(),
    // A signed request is accepted this long before or after its `timestamp`.
    timestampToleranceSeconds: z.coerce.number().int().min(1).max(3600).default(300),
    // A callback not accepted by the receiver within this time is given up.
    callbackExpiryHours: z.coerce.number().int().min(1).max(72).default(24),
    // An isolate reuses a token's credentials this long without asking the database (one round trip less per
    // request); so a revoked token or key keeps working up to this long in isolates that had it cached.
    credentialCacheSeconds: z.coerce.number().int().min(0).max(3600).default(60),
  }),
  // Optional so that a deployment without biometrics still serves the rest; biometrics answer 503 without it.
  templateEncryptionKey: z.string().min(32, "TEMPLATE_ENCRYPTION_KEY must be at least 32 characters").optional(),
  wallet: z.object({
    sealKey: z.string().min(32, "WALLET_SEAL_KEY must be at least 32 characters").optional(),
    exportTtlDays: z.coerce.number().int().min(1).max(365).default(30),
    receiptDelaySeconds: z.coerce.number().int().min(0).max(3600).default(15),
    // "disabled": no notices are sent (local development without the internet); wallets still fetch.
    expoPushUrl: z.union([z.literal("disabled"), z.url({ protocol: /^https?$/ })]).default("https://exp.host"),
    expoAccessToken: z.string().min(1).optional(),
  }),
  // Invitations of invited accounts (services/invitations.ts); without a mail sender they are only returned
  // to whoever invited the student.
  mail: z
    .object({
      apiUrl: z.url({ protocol: /^https?$/ }).optional(),
      apiToken: z.string().min(1).optional(),
      from: z.string().min(3).optional(),
      invitationTtlHours: z.coerce.number().int().min(1).max(24 * 90).default(168),
    })
    // Mail goes only with all three: one or two of them set is an operator's slip (a forgotten secret), named here
    // rather than leaving every invitation "emailed": false with no word anywhere (a probe).
    .superRefine((m, ctx) => {
      const given = [m.apiUrl, m.apiToken, m.from].filter((v) => v !== undefined).length;
      if (given === 0 || given === 3) return;
      for (const key of ["apiUrl", "apiToken", "from"] as const) {
        if (m[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "must be set: mail is sent only when MAIL_API_URL, MAIL_API_TOKEN and MAIL_FROM are all set (unset all three for no mail)" });
      }
    }),
  // Requests per minute per student (token buckets in the student's Durable Object, docs/limits.md).
  rateLimits: z.object({
    enrol: z.coerce.number().int().min(0).max(100_000).default(20),
    verify: z.coerce.number().int().min(0).max(100_000).default(60),
    monitoring: z.coerce.number().int().min(0).max(100_000).default(60),
    // Pictures above 8 MP, on any endpoint: each costs up to about 1 s of CPU to decode (docs/limits.md).
    largePictures: z.coerce.number().int().min(0).max(100_000).default(12),
  }),
  // Per isolate; defaults sized for the local 2-core `npm start` (BENCHMARKS.md "Load").
  load: z.object({
    maxInflightRequests: z.coerce.number().int().min(1).max(100_000).default(32),
    maxInflightInference: z.coerce.number().int().min(1).max(1000).default(4),
    maxInflightPasswordHashes: z.coerce.number().int().min(1).max(1000).default(8),
    retryAfterSeconds: z.coerce.number().int().min(1).max(3600).default(2),
    dbTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(5000),
    inferenceTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(15_000),
  }),
  // Decision records (docs/decisions.md): kept this many days after their exam's end (or their own time).
  decisionRetentionDays: z.coerce.number().int().min(1).max(3650).default(365),
  // Monitoring events and alerts (services/monitoring/retention.ts): kept this many days after their exam's end.
  monitoringRetentionDays: z.coerce.number().int().min(1).max(3650).default(365),
  // Access log (src/middleware/request-context.ts): "errors" logs 5xx answers only; "all" one line per request.
  accessLog: z.enum(["errors", "all"]).default("errors"),
  versions: z.object({
    server: z.coerce.number().default(1.0),
    windows: z.coerce.number().default(1.0),
    macos: z.coerce.number().default(1.0),
  }),
});

function decodedLength(b64: string): number {
  try {
    return atob(b64).length;
  } catch {
    return -1;
  }
}

/** The setting each configuration path comes from, as README's table names it (for the operator's log line). */
const SETTING_NAMES: Record<string, string> = {
  environment: "ENVIRONMENT",
  databaseUrl: "DATABASE_URL",
  databaseAuthToken: "DATABASE_AUTH_TOKEN",
  jwtSecret: "JWT_SECRET",
  accessTokenTtlSeconds: "ACCESS_TOKEN_TTL_SECONDS",
  refreshTokenTtlSeconds: "REFRESH_TOKEN_TTL_SECONDS",
  "partner.secretKeyEncryptionKey": "PARTNER_SECRET_KEY_ENCRYPTION_KEY",
  "partner.timestampToleranceSeconds": "PARTNER_TIMESTAMP_TOLERANCE_SECONDS",
  "partner.callbackExpiryHours": "PARTNER_CALLBACK_EXPIRY_HOURS",
  "partner.credentialCacheSeconds": "PARTNER_CREDENTIAL_CACHE_SECONDS",
  templateEncryptionKey: "TEMPLATE_ENCRYPTION_KEY",
  "wallet.sealKey": "WALLET_SEAL_KEY",
  "wallet.exportTtlDays": "WALLET_EXPORT_TTL_DAYS",
  "wallet.receiptDelaySeconds": "WALLET_RECEIPT_DELAY_SECONDS",
  "wallet.expoPushUrl": "EXPO_PUSH_URL",
  "wallet.expoAccessToken": "EXPO_ACCESS_TOKEN",
  "mail.apiUrl": "MAIL_API_URL",
  "mail.apiToken": "MAIL_API_TOKEN",
  "mail.from": "MAIL_FROM",
  "mail.invitationTtlHours": "INVITATION_TTL_HOURS",
  "rateLimits.enrol": "RATE_LIMIT_ENROL_PER_MINUTE",
  "rateLimits.verify": "RATE_LIMIT_VERIFY_PER_MINUTE",
  "rateLimits.monitoring": "RATE_LIMIT_MONITORING_PER_MINUTE",
  "rateLimits.largePictures": "RATE_LIMIT_LARGE_PICTURES_PER_MINUTE",
  "load.maxInflightRequests": "MAX_INFLIGHT_REQUESTS",
  "load.maxInflightInference": "MAX_INFLIGHT_INFERENCE",
  "load.maxInflightPasswordHashes": "MAX_INFLIGHT_PASSWORD_HASHES",
  "load.retryAfterSeconds": "OVERLOAD_RETRY_AFTER_SECONDS",
  "load.dbTimeoutMs": "DB_TIMEOUT_MS",
  "load.inferenceTimeoutMs": "INFERENCE_TIMEOUT_MS",
  decisionRetentionDays: "DECISION_RETENTION_DAYS",
  monitoringRetentionDays: "MONITORING_RETENTION_DAYS",
  accessLog: "ACCESS_LOG",
  "versions.server": "SERVER_VERSION",
  "versions.windows": "WINDOWS_APP_VERSION",
  "versions.macos": "MACOS_APP_VERSION",
};

/** What is wrong with one setting, in words that never quote its value. */
function problemOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) return "missing";
  if (issue.code === "too_small" || issue.code === "too_big") {
    const limit = "minimum" in issue ? `at least ${String(issue.minimum)}` : `at most ${String((issue as { maximum: unknown }).maximum)}`;
    return issue.origin === "string" ? `must be ${limit} characters` : `must be ${limit}`;
  }
  if (issue.code === "invalid_value") return `must be one of ${issue.values.map(String).join(", ")}`;
  if (issue.code === "invalid_format") return `must be a valid ${issue.format}`;
  // Our own messages name the setting and the rule; zod's say what type was expected.
  return issue.message.replace(/^\w+ must/, "must");
}

/** Logs which settings are wrong and why, by the names the operator sets (never their values). */
export function logConfigurationProblem(problems: { setting: string; problem: string }[]) {
  console.error(JSON.stringify({ level: "error", msg: "invalid configuration", problems }));
}

export type Config = z.infer<typeof configSchema>;

const cache = new WeakMap<object, Config>();

export function loadConfig(env: Bindings): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = configSchema.safeParse({
    environment: env.ENVIRONMENT,
    databaseUrl: env.DATABASE_URL,
    databaseAuthToken: env.DATABASE_AUTH_TOKEN || undefined,
    jwtSecret: env.JWT_SECRET,
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    partner: {
      secretKeyEncryptionKey: env.PARTNER_SECRET_KEY_ENCRYPTION_KEY || undefined,
      timestampToleranceSeconds: env.PARTNER_TIMESTAMP_TOLERANCE_SECONDS || undefined,
      callbackExpiryHours: env.PARTNER_CALLBACK_EXPIRY_HOURS || undefined,
      credentialCacheSeconds: env.PARTNER_CREDENTIAL_CACHE_SECONDS || undefined,
    },
    templateEncryptionKey: env.TEMPLATE_ENCRYPTION_KEY || undefined,
    wallet: {
      sealKey: env.WALLET_SEAL_KEY || undefined,
      exportTtlDays: env.WALLET_EXPORT_TTL_DAYS || undefined,
      receiptDelaySeconds: env.WALLET_RECEIPT_DELAY_SECONDS || undefined,
      expoPushUrl: env.EXPO_PUSH_URL || undefined,
      expoAccessToken: env.EXPO_ACCESS_TOKEN || undefined,
    },
    mail: {
      apiUrl: env.MAIL_API_URL || undefined,
      apiToken: env.MAIL_API_TOKEN || undefined,
      from: env.MAIL_FROM || undefined,
      invitationTtlHours: env.INVITATION_TTL_HOURS || undefined,
    },
    rateLimits: {
      enrol: env.RATE_LIMIT_ENROL_PER_MINUTE || undefined,
      verify: env.RATE_LIMIT_VERIFY_PER_MINUTE || undefined,
      monitoring: env.RATE_LIMIT_MONITORING_PER_MINUTE || undefined,
      largePictures: env.RATE_LIMIT_LARGE_PICTURES_PER_MINUTE || undefined,
    },
    load: {
      maxInflightRequests: env.MAX_INFLIGHT_REQUESTS || undefined,
      maxInflightInference: env.MAX_INFLIGHT_INFERENCE || undefined,
      maxInflightPasswordHashes: env.MAX_INFLIGHT_PASSWORD_HASHES || undefined,
      retryAfterSeconds: env.OVERLOAD_RETRY_AFTER_SECONDS || undefined,
      dbTimeoutMs: env.DB_TIMEOUT_MS || undefined,
      inferenceTimeoutMs: env.INFERENCE_TIMEOUT_MS || undefined,
    },
    decisionRetentionDays: env.DECISION_RETENTION_DAYS || undefined,
    monitoringRetentionDays: env.MONITORING_RETENTION_DAYS || undefined,
    accessLog: env.ACCESS_LOG || undefined,
    versions: { server: env.SERVER_VERSION, windows: env.WINDOWS_APP_VERSION, macos: env.MACOS_APP_VERSION },
  });
  if (!parsed.success) {
    // Logged for the operator (the settings' names and what is wrong, never their values); the client gets a 503.
    logConfigurationProblem(parsed.error.issues.map((i) => ({ setting: SETTING_NAMES[i.path.join(".")] ?? i.path.join("."), problem: problemOf(i) })));
    throw new AppError(503, "The service is not configured; the operator has been told", { kind: "message" }, { "Retry-After": "60" });
  }
  cache.set(env, parsed.data);
  return parsed.data;
}

// One Durable Object per student (named "<institutionId>:<studentId>") owns that student's biometric
// templates in its own SQLite storage, encrypted at rest. Templates never leave the object: callers get
// match decisions and scores, never vectors (the one exception: sealed exports for the student's wallet,
// see the wallet section and docs/wallet.md). Writes are one synchronous transaction after the (async)
// encryption, so concurrent enrolments cannot interleave inside a write: the last complete template wins
// and no reader ever sees half of one.
import { DurableObject } from "cloudflare:workers";
import { FACE_POLICY } from "../biometrics/face/policy";
import { buildTemplate } from "../biometrics/face/templates";
import type { Bindings } from "../env";
import { openVector, sealVector } from "./template-seal";
import { openJson, sealJson } from "./model-seal";
import {
  enrollHandwritingReferences, HANDWRITING_ENROLMENT_SESSION_MS, HANDWRITING_MAX_REFERENCES, HANDWRITING_MIN_REFERENCES, isHandwritingModel,
  verifyHandwriting as scoreHandwriting, type HandwritingModel, type HandwritingReference, type PenTrajectory,
} from "../biometrics/handwriting";
import { isKeystrokeModel, scoreKeystrokeSamples, type KeystrokeSample } from "../biometrics/keystroke";
import { BiometricInputError } from "../biometrics/input-error";
import {
  b64urlToBytes, bytesToB64url, type ExportResult, openWalletTemplate, type RestoreItem, type RestoreRefusal, type RestoreResult,
  sealWalletTemplate, WALLET_AUDIENCE, WALLET_ISSUER, type WalletClaims, type WalletVersionInfo,
} from "./wallet-seal";

import type { TemplateOwner } from "./names";
import { type Bucket, type TakeResult, takeToken } from "../lib/token-bucket";

export type { TemplateOwner } from "./names";
export type BiometricType = "Face" | "Voice" | "Handwriting";
/** What the templates table can hold: the form types plus the keystroke model of /biometrics/interaction/*. */
export type StoredBiometricType = BiometricType | "Interaction";

export type EnrolResult =
  | { ok: true; images: number; version: number; createdAt: number }
  | { ok: false; reason: "inconsistent_set"; minAgreement: number; pair: number[] };

export type VerifyResult =
  | { status: "match" | "no_match"; score: number; threshold: number }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string };

export type TemplateInfo = { biometricType: StoredBiometricType; modelId: string; images: number; createdAt: number; current: boolean };

/** Types whose model is sealed JSON (not a vector): enrolled with enrolModel, verified inside the object. */
export type ModelBiometricType = "Handwriting" | "Interaction";

export type ModelEnrolResult = { ok: true; version: number; createdAt: number; samples: number };

/** Signatures of one register request, as the writer model keeps them (handwritingReference). */
export type HandwritingBatch = { hasPressure: boolean; references: HandwritingReference[] };

export type HandwritingRegisterResult =
  | { status: "enrolled"; samples: number; version: number }
  | { status: "collecting"; samples: number; needed: number }
  | { status: "bad_input"; message: string };

type SessionRow = { model_id: string; iv: ArrayBuffer; ciphertext: ArrayBuffer; updated_at: number };
/** Associated-data label of a session's seal: a session can never be opened as a model (or the reverse). */
const SESSION_SEAL = "Handwriting enrolment session";

export type ModelVerifyResult =
  | { status: "match" | "no_match"; score: number; distance: number; threshold: number; sampleScores?: number[] }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string }
  /** The sample cannot be compared with this model (pen pressure / keyboard layout differs): a 400 for the caller. */
  | { status: "bad_input"; message: string };

export type VoiceVerifyResult =
  | { status: "match" | "no_match"; score: number; threshold: number }
  | { status: "no_voice" }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string };

type Row = { biometric_type: string; model_id: string; iv: ArrayBuffer; ciphertext: ArrayBuffer; images: number; created_at: number; version: number };

/** The per-student request limits (docs/limits.md): one bucket each. */
export type BiometricLimit = "enrol" | "verify" | "monitoring";

export class StudentTemplates extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  /** Rate-limit buckets, in memory only: an object that restarts (rare) starts with full buckets. */
  private readonly buckets = new Map<BiometricLimit, Bucket>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.createTables());
  }

  private createTables() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS templates (
      biometric_type TEXT PRIMARY KEY,
      model_id TEXT NOT NULL,
      iv BLOB NOT NULL,
      ciphertext BLOB NOT NULL,
      images INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      version INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS owner (id INTEGER PRIMARY KEY CHECK (id = 1), institution_id INTEGER NOT NULL, student_id INTEGER NOT NULL)");
    // Wallet: the highest template version ever issued per type; it outlives deletion, so a version
    // number is never reused and an export names exactly one template (see the wallet section below).
    this.sql.exec("CREATE TABLE IF NOT EXISTS template_versions (biometric_type TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    // Handwriting signatures collected one request at a time (HANDWRITING_ENROLMENT_SESSION_MS), sealed like the templates.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS enrolment_sessions (
      biometric_type TEXT PRIMARY KEY,
      model_id TEXT NOT NULL,
      iv BLOB NOT NULL,
      ciphertext BLOB NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
  }

  private secret(): string {
    const s = this.env.TEMPLATE_ENCRYPTION_KEY;
    if (!s || s.length < 32) throw new Error("TEMPLATE_ENCRYPTION_KEY is not configured");
    return s;
  }

  /** The object belongs to one student for life; a call naming anyone else is a programming error. */
  private checkOwner(o: TemplateOwner, claim: boolean) {
    const row = this.sql.exec<{ institution_id: number; student_id: number }>("SELECT institution_id, student_id FROM owner").toArray()[0];
    if (!row) {
      if (claim) this.sql.exec("INSERT INTO owner (id, institution_id, student_id) VALUES (1, ?, ?)", o.institutionId, o.studentId);
      return;
    }
    if (row.institution_id !== o.institutionId || row.student_id !== o.studentId) throw new Error("template object used for another student");
  }

  /**
   * One of this student's biometric requests: allowed, or refused with the time until the next is allowed.
   * The object is single-threaded and the one place all of the student's requests meet, so the count is
   * exact however many Workers serve them (and costs no storage write).
   */
  async takeRequestToken(limit: BiometricLimit, perMinute: number): Promise<TakeResult> {
    const { bucket, result } = takeToken(this.buckets.get(limit), perMinute, Date.now());
    this.buckets.set(limit, bucket);
    return result;
  }

  /** Builds one face template from the embeddings of the good enrolment images and replaces the old one. */
  async enrolFace(owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<EnrolResult> {
    if (embeddings.length === 0) throw new Error("no embeddings");
    const built = buildTemplate(embeddings);
    if (!built.ok) return { ok: false, reason: "inconsistent_set", minAgreement: built.minAgreement, pair: built.pair };
    const sealed = await sealVector(this.secret(), { ...owner, biometricType: "Face", modelId }, built.template);
    // Synchronous from here: no other call runs inside this transaction.
    return this.ctx.storage.transactionSync(() => {
      this.checkOwner(owner, true);
      const version = this.bumpVersion("Face");
      this.putTemplate("Face", modelId, sealed, embeddings.length, now, version);
      return { ok: true as const, images: embeddings.length, version, createdAt: now };
    });
  }

  /** 1:1: compares the embedding with this student's face template only. */
  async verifyFace(owner: TemplateOwner, embedding: number[], modelId: string): Promise<VerifyResult> {
    this.checkOwner(owner, false);
    const row = this.sql.exec<Row>("SELECT * FROM templates WHERE biometric_type = 'Face'").toArray()[0];
    if (!row) return { status: "not_enrolled" };
    // Embeddings of different models live in different spaces: comparing them would be meaningless.
    if (row.model_id !== modelId) return { status: "reenrolment_required", enrolledModelId: row.model_id };
    const template = await openVector(this.secret(), { ...owner, biometricType: "Face", modelId: row.model_id }, new Uint8Array(row.iv), new Uint8Array(row.ciphertext));
    if (!template || template.length !== embedding.length) throw new Error("stored face template does not open");
    let score = 0;
    for (let i = 0; i < template.length; i++) score += template[i]! * embedding[i]!;
    const threshold = FACE_POLICY.matchThreshold;
    return { status: score >= threshold ? "match" : "no_match", score, threshold };
  }

  async list(owner: TemplateOwner, currentModelIds: Partial<Record<StoredBiometricType, string>>): Promise<TemplateInfo[]> {
    this.checkOwner(owner, false);
    return this.sql
      .exec<Row>("SELECT biometric_type, model_id, images, created_at FROM templates ORDER BY biometric_type")
      .toArray()
      .map((r) => ({
        biometricType: r.biometric_type as StoredBiometricType,
        modelId: r.model_id,
        images: r.images,
        createdAt: r.created_at,
        current: currentModelIds[r.biometric_type as StoredBiometricType] === r.model_id,
      }));
  }

  /** Deletes the template of this type; false when there was none. */
  async revoke(owner: TemplateOwner, biometricType: StoredBiometricType): Promise<boolean> {
    this.checkOwner(owner, false);
    return this.ctx.storage.transactionSync(() => {
      // Signatures still being collected for a new model go with it: unregistering leaves nothing behind.
      this.sql.exec("DELETE FROM enrolment_sessions WHERE biometric_type = ?", biometricType);
      const cursor = this.sql.exec("DELETE FROM templates WHERE biometric_type = ?", biometricType);
      return cursor.rowsWritten > 0;
    });
  }

  /**
   * Erases everything this object stores for the student (templates of every type, wallet version
   * counters, the owner record): the account is being erased (services/erasure.ts). deleteAll removes
   * the object's SQLite database; the empty tables are recreated so that the object still answers
   * "not enrolled" to any late call.
   */
  async eraseAll(owner: TemplateOwner): Promise<void> {
    this.checkOwner(owner, false);
    await this.ctx.storage.deleteAll();
    this.createTables();
  }

  // JSON models (Handwriting, Interaction): sealed like the vectors, in the same table (so list and revoke cover
  // them), built by the caller from validated samples, and only ever read inside this object to verify.

  /** Stores a model of this type, replacing the previous one; the version goes up on every enrolment. */
  async enrolModel(owner: TemplateOwner, biometricType: ModelBiometricType, modelId: string, model: unknown, samples: number, now: number): Promise<ModelEnrolResult> {
    const valid = biometricType === "Handwriting" ? isHandwritingModel(model) : isKeystrokeModel(model);
    if (!valid) throw new Error(`not a ${biometricType} model`);
    const sealed = await sealJson(this.secret(), { ...owner, biometricType, modelId }, model);
    // Synchronous from here, as in enrolFace: concurrent enrolments serialise and the last complete one wins.
    return this.ctx.storage.transactionSync(() => {
      this.checkOwner(owner, true);
      const version = this.bumpVersion(biometricType);
      this.putTemplate(biometricType, modelId, sealed, samples, now, version);
      return { ok: true as const, version, createdAt: now, samples };
    });
  }

  /**
   * Handwriting registration: the request's signatures join the student's enrolment session (or replace it when
   * the request alone holds enough to enrol); once the session holds HANDWRITING_MIN_REFERENCES the writer model
   * is built from it and replaces the old one. Runs here so that concurrent requests of one student serialise.
   */
  async registerHandwriting(owner: TemplateOwner, modelId: string, batch: HandwritingBatch, replace: boolean, now: number, field: string): Promise<HandwritingRegisterResult> {
    this.checkOwner(owner, false);
    const ctx = { ...owner, biometricType: SESSION_SEAL, modelId };
    let earlier: HandwritingReference[] = [];
    if (!replace) {
      const row = this.sql.exec<SessionRow>("SELECT * FROM enrolment_sessions WHERE biometric_type = 'Handwriting'").toArray()[0];
      if (row && row.model_id === modelId && now - row.updated_at <= HANDWRITING_ENROLMENT_SESSION_MS) {
        const session = (await openJson(this.secret(), ctx, new Uint8Array(row.iv), new Uint8Array(row.ciphertext))) as HandwritingBatch | null;
        if (!session) throw new Error("stored handwriting enrolment session does not open");
        if (session.hasPressure !== batch.hasPressure) {
          const differs = session.hasPressure ? "have pen pressure and this one has none" : "have no pen pressure and this one has";
          return { status: "bad_input", message: `the signatures registered before this one ${differs}; send signatures from one device, or 3-10 in one request to start again` };
        }
        earlier = session.references;
      }
    }
    const references = [...earlier, ...batch.references].slice(-HANDWRITING_MAX_REFERENCES);
    // Refused before anything is written: a bad enrolment leaves the session and the model as they were.
    let model: HandwritingModel | null = null;
    if (references.length >= HANDWRITING_MIN_REFERENCES) {
      try {
        model = enrollHandwritingReferences(references, batch.hasPressure, { field });
      } catch (e) {
        if (e instanceof BiometricInputError) return { status: "bad_input", message: e.message };
        throw e;
      }
    }
    const session = await sealJson(this.secret(), ctx, { hasPressure: batch.hasPressure, references } satisfies HandwritingBatch);
    const sealedModel = model && (await sealJson(this.secret(), { ...owner, biometricType: "Handwriting", modelId }, model));
    await this.ctx.storage.setAlarm(Date.now() + HANDWRITING_ENROLMENT_SESSION_MS);
    return this.ctx.storage.transactionSync((): HandwritingRegisterResult => {
      this.checkOwner(owner, true);
      this.sql.exec(
        `INSERT INTO enrolment_sessions (biometric_type, model_id, iv, ciphertext, updated_at) VALUES ('Handwriting', ?, ?, ?, ?)
         ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
        modelId, session.iv, session.ciphertext, now,
      );
      if (!sealedModel) return { status: "collecting", samples: references.length, needed: HANDWRITING_MIN_REFERENCES - references.length };
      const version = this.bumpVersion("Handwriting");
      this.putTemplate("Handwriting", modelId, sealedModel, references.length, now, version);
      return { status: "enrolled", samples: references.length, version };
    });
  }

  /** Deletes enrolment sessions nobody added to within HANDWRITING_ENROLMENT_SESSION_MS (collected signatures are biometric data). */
  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM enrolment_sessions WHERE updated_at < ?", Date.now() - HANDWRITING_ENROLMENT_SESSION_MS);
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(updated_at) AS t FROM enrolment_sessions").toArray()[0]?.t;
    if (next != null) await this.ctx.storage.setAlarm(Math.max(Date.now() + 1000, next + HANDWRITING_ENROLMENT_SESSION_MS));
  }

  /** The stored model of this type, opened, or a status saying why there is none to use. */
  private async openModel(
    owner: TemplateOwner,
    biometricType: ModelBiometricType,
    modelId: string,
  ): Promise<{ model: unknown } | { status: "not_enrolled" } | { status: "reenrolment_required"; enrolledModelId: string }> {
    this.checkOwner(owner, false);
    const row = this.sql.exec<Row>("SELECT * FROM templates WHERE biometric_type = ?", biometricType).toArray()[0];
    if (!row) return { status: "not_enrolled" };
    if (row.model_id !== modelId) return { status: "reenrolment_required", enrolledModelId: row.model_id };
    const model = await openJson(this.secret(), { ...owner, biometricType, modelId: row.model_id }, new Uint8Array(row.iv), new Uint8Array(row.ciphertext));
    if (model === null) throw new Error(`stored ${biometricType} model does not open`);
    return { model };
  }

  /** 1:1: one signature against this student's writer model. */
  async verifyHandwriting(owner: TemplateOwner, trajectory: PenTrajectory, modelId: string, field: string): Promise<ModelVerifyResult> {
    const opened = await this.openModel(owner, "Handwriting", modelId);
    if (!("model" in opened)) return opened;
    if (!isHandwritingModel(opened.model)) throw new Error("stored Handwriting model is not a handwriting model");
    try {
      const r = scoreHandwriting(opened.model, trajectory, { field });
      return { status: r.isMatch ? "match" : "no_match", score: r.score, distance: r.distance, threshold: opened.model.params.threshold };
    } catch (e) {
      if (e instanceof BiometricInputError) return { status: "bad_input", message: e.message };
      throw e;
    }
  }

  /** 1:1: typing samples against this student's keystroke model (their mean normalised distance decides). */
  async testInteraction(owner: TemplateOwner, samples: KeystrokeSample[], modelId: string, field: string): Promise<ModelVerifyResult> {
    const opened = await this.openModel(owner, "Interaction", modelId);
    if (!("model" in opened)) return opened;
    if (!isKeystrokeModel(opened.model)) throw new Error("stored Interaction model is not a keystroke model");
    try {
      const r = scoreKeystrokeSamples(opened.model, samples, { field });
      return {
        status: r.isMatch ? "match" : "no_match",
        score: r.score,
        distance: r.distance,
        threshold: opened.model.threshold,
        sampleScores: r.samples.map((x) => x.score),
      };
    } catch (e) {
      if (e instanceof BiometricInputError) return { status: "bad_input", message: e.message };
      throw e;
    }
  }

  // Voice: a sealed vector like Face (the mean of the enrolment clips' speaker embeddings, L2-normalised).

  /** Replaces the voice template with the normalised mean of the clips' embeddings; the version goes up. */
  async enrolVoice(owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<ModelEnrolResult> {
    const dim = embeddings[0]?.length ?? 0;
    if (dim === 0 || embeddings.some((e) => e.length !== dim || !e.every(Number.isFinite))) throw new Error("bad voice embeddings");
    const mean = new Float32Array(dim);
    for (const e of embeddings) for (let i = 0; i < dim; i++) mean[i] = mean[i]! + e[i]!;
    const norm = Math.hypot(...mean);
    if (!(norm > 0)) throw new Error("voice embeddings cancel out");
    for (let i = 0; i < dim; i++) mean[i] = mean[i]! / norm;
    const sealed = await sealVector(this.secret(), { ...owner, biometricType: "Voice", modelId }, mean);
    return this.ctx.storage.transactionSync(() => {
      this.checkOwner(owner, true);
      const version = this.bumpVersion("Voice");
      this.putTemplate("Voice", modelId, sealed, embeddings.length, now, version);
      return { ok: true as const, version, createdAt: now, samples: embeddings.length };
    });
  }

  /** 1:1: cosine of the clip's embedding with this student's voice template (null: the clip had no speech). */
  async verifyVoice(owner: TemplateOwner, embedding: number[] | null, modelId: string, threshold: number): Promise<VoiceVerifyResult> {
    this.checkOwner(owner, false);
    const row = this.sql.exec<Row>("SELECT * FROM templates WHERE biometric_type = 'Voice'").toArray()[0];
    if (!row) return { status: "not_enrolled" };
    if (row.model_id !== modelId) return { status: "reenrolment_required", enrolledModelId: row.model_id };
    if (embedding === null) return { status: "no_voice" };
    const template = await openVector(this.secret(), { ...owner, biometricType: "Voice", modelId: row.model_id }, new Uint8Array(row.iv), new Uint8Array(row.ciphertext));
    if (!template || template.length !== embedding.length) throw new Error("stored voice template does not open");
    let dot = 0;
    let n = 0;
    for (let i = 0; i < template.length; i++) {
      dot += template[i]! * embedding[i]!;
      n += embedding[i]! * embedding[i]!;
    }
    const score = n > 0 ? dot / Math.sqrt(n) : 0;
    return { status: score >= threshold ? "match" : "no_match", score, threshold };
  }

  // ---- Wallet (docs/wallet.md): templates leave and come back only sealed (./wallet-seal.ts) ----
  // A template's version is unique for the object's lifetime (template_versions outlives deletion).
  // Deleting the server copy (revoke, /biometrics/unregister) keeps the version, so the wallet's copy
  // stays returnable; re-enrolment and revokeWalletCopies issue a new version, so older exports are
  // refused when they come back.

  private walletSecret(): string {
    const s = this.env.WALLET_SEAL_KEY || this.env.TEMPLATE_ENCRYPTION_KEY;
    if (!s || s.length < 32) throw new Error("WALLET_SEAL_KEY / TEMPLATE_ENCRYPTION_KEY is not configured");
    return s;
  }

  /** The current version of a type: the highest issued, also counting rows from before template_versions. */
  private currentVersion(type: string): number {
    const counter = this.sql.exec<{ version: number }>("SELECT version FROM template_versions WHERE biometric_type = ?", type).toArray()[0]?.version ?? 0;
    const held = this.sql.exec<{ version: number }>("SELECT version FROM templates WHERE biometric_type = ?", type).toArray()[0]?.version ?? 0;
    return Math.max(counter, held);
  }

  private setVersion(type: string, version: number) {
    this.sql.exec(
      "INSERT INTO template_versions (biometric_type, version) VALUES (?, ?) ON CONFLICT (biometric_type) DO UPDATE SET version = excluded.version",
      type,
      version,
    );
  }

  /** A new version number for a type (call inside a transaction). */
  /** Writes (or replaces) the sealed template of this type: the one statement every enrolment and restore uses. */
  private putTemplate(type: string, modelId: string, sealed: { iv: ArrayBuffer | Uint8Array; ciphertext: ArrayBuffer | Uint8Array }, samples: number, createdAt: number, version: number) {
    this.sql.exec(
      `INSERT INTO templates (biometric_type, model_id, iv, ciphertext, images, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
         images = excluded.images, created_at = excluded.created_at, version = excluded.version`,
      type, modelId, sealed.iv, sealed.ciphertext, samples, createdAt, version,
    );
  }

  private bumpVersion(type: string): number {
    const version = this.currentVersion(type) + 1;
    this.setVersion(type, version);
    return version;
  }

  /**
   * The stored template's plain bytes for a wallet export: the float32 vector (Face, Voice) or the JSON
   * model's UTF-8 text (Handwriting), opened with the seal it was stored under.
   */
  private async templateBytes(owner: TemplateOwner, biometricType: BiometricType, row: Row): Promise<Uint8Array> {
    const ctx = { ...owner, biometricType, modelId: row.model_id };
    const iv = new Uint8Array(row.iv);
    const ct = new Uint8Array(row.ciphertext);
    if (biometricType === "Handwriting") {
      const model = await openJson(this.secret(), ctx, iv, ct);
      if (model === null) throw new Error("stored template does not open");
      return new TextEncoder().encode(JSON.stringify(model));
    }
    const vector = await openVector(this.secret(), ctx, iv, ct);
    if (!vector) throw new Error("stored template does not open");
    return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  }

  /**
   * The at-rest seal of a template returned by the wallet, from the export's plain bytes; null when the
   * bytes are not a template of that type (the export was not made by this server's exportTemplate).
   */
  private async sealReturned(owner: TemplateOwner, biometricType: BiometricType, modelId: string, bytes: Uint8Array): Promise<{ iv: Uint8Array; ciphertext: Uint8Array } | null> {
    const ctx = { ...owner, biometricType, modelId };
    if (biometricType === "Handwriting") {
      let model: unknown;
      try {
        model = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      } catch {
        return null;
      }
      // The same check enrolModel makes: only a writer model is stored, whatever the JWE carried.
      return isHandwritingModel(model) ? sealJson(this.secret(), ctx, model) : null;
    }
    if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) return null;
    return sealVector(this.secret(), ctx, new Float32Array(Uint8Array.from(bytes).buffer));
  }

  /** Seals the current template of a type for the wallet; the template never leaves unsealed. */
  async exportTemplate(owner: TemplateOwner, biometricType: BiometricType, currentModelId: string, exportId: string, now: number, ttlMs: number): Promise<ExportResult> {
    this.checkOwner(owner, false);
    const row = this.sql.exec<Row>("SELECT * FROM templates WHERE biometric_type = ?", biometricType).toArray()[0];
    if (!row) return { ok: false, reason: "not_enrolled" };
    if (row.model_id !== currentModelId) return { ok: false, reason: "reenrolment_required" };
    const tpl = await this.templateBytes(owner, biometricType, row);
    const version = row.version;
    // Record the version so that deleting the server copy later cannot make it reusable.
    this.ctx.storage.transactionSync(() => this.setVersion(biometricType, Math.max(version, this.currentVersion(biometricType))));
    const iat = Math.floor(now / 1000);
    const exp = Math.floor((now + ttlMs) / 1000);
    const claims: WalletClaims = {
      iss: WALLET_ISSUER,
      aud: WALLET_AUDIENCE,
      sub: `${owner.institutionId}:${owner.studentId}`,
      mod: biometricType,
      mid: row.model_id,
      ver: version,
      iat,
      exp,
      jti: exportId,
      tpl: bytesToB64url(tpl),
      n: row.images,
      cat: row.created_at,
    };
    const sealed = await sealWalletTemplate(this.walletSecret(), claims);
    return { ok: true, sealed, exportId, version, modelId: row.model_id, issuedAt: iat * 1000, expiresAt: exp * 1000 };
  }

  /**
   * Restores templates returned by the wallet: all of them or none. Each must open under the wallet key
   * and name this student, the type of the field it came in, the server's current model for that type,
   * the current version of that type, and an expiry in the future.
   */
  async restoreTemplates(owner: TemplateOwner, items: RestoreItem[], currentModelIds: Partial<Record<BiometricType, string>>, now: number): Promise<RestoreResult> {
    this.checkOwner(owner, false);
    const opened: { item: RestoreItem; claims: WalletClaims; bytes: Uint8Array }[] = [];
    for (const item of items) {
      const refuse = (reason: RestoreRefusal["reason"], detail: string): RestoreRefusal => ({ ok: false, field: item.field, reason, detail });
      const r = await openWalletTemplate(this.walletSecret(), item.sealed);
      if (!r.ok) return refuse("unreadable", r.detail);
      const c = r.claims;
      if (c.sub !== `${owner.institutionId}:${owner.studentId}`) return refuse("wrong_student", "sealed for another student");
      if (c.mod !== item.biometricType) return refuse("wrong_modality", `this is a ${c.mod} template, not ${item.biometricType}`);
      if (c.exp * 1000 <= now) return refuse("expired", `the export expired at ${new Date(c.exp * 1000).toISOString()}; export it again`);
      const model = currentModelIds[item.biometricType as BiometricType];
      if (!model) return refuse("not_supported", `${item.biometricType} biometrics are not available on this server`);
      if (c.mid !== model) return refuse("model_mismatch", `sealed for model ${c.mid}; this server uses ${model}: register again`);
      const current = this.currentVersion(item.biometricType);
      if (c.ver !== current) return refuse("stale_version", `template version ${c.ver} is no longer valid (current ${current}): re-enrolled or wallet copies revoked`);
      opened.push({ item, claims: c, bytes: b64urlToBytes(c.tpl) });
    }
    // Seal at rest before the (synchronous) write; a malformed template refuses the whole return.
    const sealed: { o: (typeof opened)[number]; at: { iv: Uint8Array; ciphertext: Uint8Array } }[] = [];
    for (const o of opened) {
      const at = await this.sealReturned(owner, o.item.biometricType, o.claims.mid, o.bytes);
      if (!at) return { ok: false, field: o.item.field, reason: "unreadable", detail: "malformed template" };
      sealed.push({ o, at });
    }
    return this.ctx.storage.transactionSync((): RestoreResult => {
      this.checkOwner(owner, true);
      // Re-checked inside the transaction: an enrolment may have completed while we were sealing.
      for (const { o } of sealed) {
        const current = this.currentVersion(o.item.biometricType);
        if (o.claims.ver !== current) {
          return { ok: false, field: o.item.field, reason: "stale_version", detail: `template version ${o.claims.ver} is no longer valid (current ${current})` };
        }
      }
      const restored = [];
      for (const { o, at } of sealed) {
        const type = o.item.biometricType;
        const held = this.sql.exec<{ version: number }>("SELECT version FROM templates WHERE biometric_type = ?", type).toArray()[0];
        if (held?.version === o.claims.ver) {
          restored.push({ biometricType: type, version: o.claims.ver, alreadyPresent: true, exportId: o.claims.jti });
          continue;
        }
        this.putTemplate(type, o.claims.mid, at, o.claims.n, o.claims.cat, o.claims.ver);
        this.setVersion(type, o.claims.ver);
        restored.push({ biometricType: type, version: o.claims.ver, alreadyPresent: false, exportId: o.claims.jti });
      }
      return { ok: true, restored };
    });
  }

  /** Makes every earlier export of a type useless (lost phone); the server copy, if any, stays usable. */
  async revokeWalletCopies(owner: TemplateOwner, biometricType: BiometricType): Promise<WalletVersionInfo | null> {
    this.checkOwner(owner, false);
    return this.ctx.storage.transactionSync(() => {
      if (this.currentVersion(biometricType) === 0) return null;
      const version = this.bumpVersion(biometricType);
      const cursor = this.sql.exec("UPDATE templates SET version = ? WHERE biometric_type = ?", version, biometricType);
      const model = this.sql.exec<{ model_id: string }>("SELECT model_id FROM templates WHERE biometric_type = ?", biometricType).toArray()[0];
      return { biometricType, version, held: cursor.rowsWritten > 0, modelId: model?.model_id ?? null };
    });
  }

  /** Per type ever enrolled: the current version and whether the server holds the template now. */
  async walletVersions(owner: TemplateOwner): Promise<WalletVersionInfo[]> {
    this.checkOwner(owner, false);
    const types = this.sql
      .exec<{ biometric_type: string }>("SELECT biometric_type FROM template_versions UNION SELECT biometric_type FROM templates ORDER BY 1")
      .toArray()
      .map((r) => r.biometric_type as BiometricType);
    return types.map((t) => {
      const row = this.sql.exec<{ model_id: string }>("SELECT model_id FROM templates WHERE biometric_type = ?", t).toArray()[0];
      return { biometricType: t, version: this.currentVersion(t), held: !!row, modelId: row?.model_id ?? null };
    });
  }
}

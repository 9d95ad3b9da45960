// One Durable Object per student (named "<institutionId>:<studentId>") owns that student's biometric
// templates in its own SQLite storage, encrypted at rest. Templates never leave the object: callers get
// match decisions and scores, never vectors. Writes are one synchronous transaction after the (async)
// encryption, so concurrent enrolments cannot interleave inside a write: the last complete template wins
// and no reader ever sees half of one.
import { DurableObject } from "cloudflare:workers";
import { FACE_POLICY } from "../biometrics/face/policy";
import { buildTemplate } from "../biometrics/face/templates";
import type { Bindings } from "../env";
import { openVector, sealVector } from "./template-seal";
import { openJson, sealJson } from "./model-seal";
import { isHandwritingModel, verifyHandwriting as scoreHandwriting, type PenTrajectory } from "../biometrics/handwriting";
import { isKeystrokeModel, scoreKeystrokeSamples, type KeystrokeSample } from "../biometrics/keystroke";
import { BiometricInputError } from "../biometrics/input-error";

import type { TemplateOwner } from "./names";

export type { TemplateOwner } from "./names";
export type BiometricType = "Face" | "Voice" | "Handwriting" | "Interaction";

export type EnrolResult =
  | { ok: true; images: number; version: number; createdAt: number }
  | { ok: false; reason: "inconsistent_set"; minAgreement: number; pair: number[] };

export type VerifyResult =
  | { status: "match" | "no_match"; score: number; threshold: number }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string };

export type TemplateInfo = { biometricType: BiometricType; modelId: string; images: number; createdAt: number; current: boolean };

/** Types whose model is sealed JSON (not a vector): enrolled with enrolModel, verified inside the object. */
export type ModelBiometricType = "Handwriting" | "Interaction";

export type ModelEnrolResult = { ok: true; version: number; createdAt: number; samples: number };

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

export class StudentTemplates extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
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
    });
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

  /** Builds one face template from the embeddings of the good enrolment images and replaces the old one. */
  async enrolFace(owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<EnrolResult> {
    if (embeddings.length === 0) throw new Error("no embeddings");
    const built = buildTemplate(embeddings);
    if (!built.ok) return { ok: false, reason: "inconsistent_set", minAgreement: built.minAgreement, pair: built.pair };
    const sealed = await sealVector(this.secret(), { ...owner, biometricType: "Face", modelId }, built.template);
    // Synchronous from here: no other call runs inside this transaction.
    return this.ctx.storage.transactionSync(() => {
      this.checkOwner(owner, true);
      const prev = this.sql.exec<{ version: number }>("SELECT version FROM templates WHERE biometric_type = 'Face'").toArray()[0];
      const version = (prev?.version ?? 0) + 1;
      this.sql.exec(
        `INSERT INTO templates (biometric_type, model_id, iv, ciphertext, images, created_at, version) VALUES ('Face', ?, ?, ?, ?, ?, ?)
         ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
           images = excluded.images, created_at = excluded.created_at, version = excluded.version`,
        modelId, sealed.iv, sealed.ciphertext, embeddings.length, now, version,
      );
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

  async list(owner: TemplateOwner, currentModelIds: Partial<Record<BiometricType, string>>): Promise<TemplateInfo[]> {
    this.checkOwner(owner, false);
    return this.sql
      .exec<Row>("SELECT biometric_type, model_id, images, created_at FROM templates ORDER BY biometric_type")
      .toArray()
      .map((r) => ({
        biometricType: r.biometric_type as BiometricType,
        modelId: r.model_id,
        images: r.images,
        createdAt: r.created_at,
        current: currentModelIds[r.biometric_type as BiometricType] === r.model_id,
      }));
  }

  /** Deletes the template of this type; false when there was none. */
  async revoke(owner: TemplateOwner, biometricType: BiometricType): Promise<boolean> {
    this.checkOwner(owner, false);
    return this.ctx.storage.transactionSync(() => {
      const cursor = this.sql.exec("DELETE FROM templates WHERE biometric_type = ?", biometricType);
      return cursor.rowsWritten > 0;
    });
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
      const prev = this.sql.exec<{ version: number }>("SELECT version FROM templates WHERE biometric_type = ?", biometricType).toArray()[0];
      const version = (prev?.version ?? 0) + 1;
      this.sql.exec(
        `INSERT INTO templates (biometric_type, model_id, iv, ciphertext, images, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
           images = excluded.images, created_at = excluded.created_at, version = excluded.version`,
        biometricType, modelId, sealed.iv, sealed.ciphertext, samples, now, version,
      );
      return { ok: true as const, version, createdAt: now, samples };
    });
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
      const prev = this.sql.exec<{ version: number }>("SELECT version FROM templates WHERE biometric_type = 'Voice'").toArray()[0];
      const version = (prev?.version ?? 0) + 1;
      this.sql.exec(
        `INSERT INTO templates (biometric_type, model_id, iv, ciphertext, images, created_at, version) VALUES ('Voice', ?, ?, ?, ?, ?, ?)
         ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
           images = excluded.images, created_at = excluded.created_at, version = excluded.version`,
        modelId, sealed.iv, sealed.ciphertext, embeddings.length, now, version,
      );
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
}

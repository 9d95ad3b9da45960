// One Durable Object per student (named "<institutionId>:<studentId>", ./client.ts) owns that student's
// biometric templates in its own SQLite storage (./store.ts), encrypted at rest (./seal/at-rest.ts).
// Templates never leave the object: callers get match decisions and scores, never vectors (the one
// exception: sealed exports for the student's wallet, ./wallet.ts and docs/wallet.md).
// This class is only the RPC surface: each method delegates to the module of its subject. Its name is the
// class_name of wrangler.toml's binding and migration: renaming it would need a Durable Object migration.
import { DurableObject } from "cloudflare:workers";
import { HANDWRITING_ENROLMENT_SESSION_MS } from "../biometrics/handwriting";
import type { PenTrajectory } from "../biometrics/handwriting";
import type { KeystrokeSample } from "../biometrics/keystroke";
import type { SecurityLevel } from "../biometrics/security-level";
import { RecentSamples } from "../biometrics/repeats";
import { RecentVoiceClips } from "../biometrics/voice/window";
import type { Bindings } from "../env";
import { type Bucket, type TakeResult, takeToken } from "../lib/token-bucket";
import type { TemplateOwner } from "./client";
import { type HoldOnMatch, refuseWhileHeld } from "./holds";
import * as signal from "./signal";
import { templateOpens } from "./open-template";
import { TemplateStore } from "./store";
import type {
  BiometricLimit, BiometricType, EnrolResult, ExportResult, HandwritingBatch, HandwritingRegisterResult, ModelBiometricType, ModelEnrolResult,
  ModelVerifyResult, RestoreItem, RestoreResult, StoredBiometricType, TemplateInfo, VerifyResult, VoiceVerifyResult, WalletVersionInfo,
} from "./types";
import * as vector from "./vector";
import * as wallet from "./wallet";

export class StudentTemplates extends DurableObject<Bindings> {
  private readonly store: TemplateStore;
  /** Rate-limit buckets, in memory only: an object that restarts (rare) starts with full buckets. */
  private readonly buckets = new Map<BiometricLimit, Bucket>();
  /** Embeddings of the last voice monitoring clips per exam, in memory only (../biometrics/voice/window.ts). */
  private readonly recentVoice = new RecentVoiceClips();
  /** Digests of exam monitoring's face frames and voice clips, in the object's storage (../biometrics/repeats.ts). */
  private readonly recentSamples: RecentSamples;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.store = new TemplateStore(ctx.storage, env);
    this.recentSamples = new RecentSamples(this.store);
    ctx.blockConcurrencyWhile(async () => this.store.createTables());
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

  // ---- every type ----

  /** `current`: made with today's model and still readable (a template sealed under a key the server no longer has is not). */
  async list(owner: TemplateOwner, currentModelIds: Partial<Record<StoredBiometricType, string>>): Promise<TemplateInfo[]> {
    this.store.checkOwner(owner, false);
    const out: TemplateInfo[] = [];
    for (const r of this.store.templates()) {
      out.push({
        biometricType: r.biometric_type as StoredBiometricType,
        modelId: r.model_id,
        samples: r.images,
        createdAt: r.created_at,
        current: currentModelIds[r.biometric_type as StoredBiometricType] === r.model_id && (await templateOpens(this.store, owner, r)),
      });
    }
    return out;
  }

  /** Signatures being collected for a model (./signal.ts), without them: what and until when, for the student's access request. */
  async enrolmentSessions(owner: TemplateOwner): Promise<{ biometricType: string; lastAddedAt: number; expiresAt: number }[]> {
    this.store.checkOwner(owner, false);
    return this.store.sessions().map((r) => ({ biometricType: r.biometric_type, lastAddedAt: r.updated_at, expiresAt: r.updated_at + HANDWRITING_ENROLMENT_SESSION_MS }));
  }

  /** Deletes the template of this type (and signatures being collected for it); false when there was neither. */
  async revoke(owner: TemplateOwner, biometricType: StoredBiometricType): Promise<boolean> {
    this.store.checkOwner(owner, false);
    refuseWhileHeld(this.store, Date.now());
    if (biometricType === "Voice") this.recentVoice.clear();
    if (biometricType === "Voice" || biometricType === "Face") this.recentSamples.clear(biometricType === "Voice" ? "voice" : "face");
    return this.store.transaction(() => this.store.deleteTemplate(biometricType));
  }

  /**
   * Erases everything this object stores for the student (templates of every type, wallet version
   * counters, the owner record): the account is being erased (services/erasure.ts). The empty tables
   * are recreated so that the object still answers "not enrolled" to any late call.
   */
  async eraseAll(owner: TemplateOwner): Promise<void> {
    this.store.checkOwner(owner, false);
    this.recentVoice.clear();
    this.recentSamples.clear();
    await this.store.eraseAll();
  }

  // ---- vectors (./vector.ts) ----

  async enrolFace(owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<EnrolResult> {
    refuseWhileHeld(this.store, Date.now());
    return vector.enrolFace(this.store, owner, embeddings, modelId, now);
  }

  /**
   * `monitoring`: a frame of exam monitoring, checked against the exam's recent frames (../biometrics/repeats.ts).
   * `holdOnMatch`: a match verifies the student for that exam, so it holds the templates in the same call (./holds.ts).
   */
  async verifyFace(owner: TemplateOwner, embedding: number[], modelId: string, level: SecurityLevel, monitoring?: { examId: number; now: number }, holdOnMatch?: HoldOnMatch): Promise<VerifyResult> {
    const v = await vector.verifyFace(this.store, owner, embedding, modelId, level, monitoring ? { recent: this.recentSamples, ...monitoring } : undefined);
    if (v.status === "match" && v.repeatedAfterMs === undefined && holdOnMatch) this.store.hold(holdOnMatch.examId, holdOnMatch.until);
    return v;
  }

  /** A hold whose verification was not written (the enrolment had gone): the templates are free again for that exam. */
  async releaseHold(owner: TemplateOwner, examId: number): Promise<void> {
    this.store.checkOwner(owner, false);
    this.store.release(examId);
  }

  async enrolVoice(owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<ModelEnrolResult> {
    refuseWhileHeld(this.store, Date.now());
    return vector.enrolVoice(this.store, owner, embeddings, modelId, now);
  }

  /**
   * `monitoring`: a clip of exam monitoring, checked against the exam's recent clips (../biometrics/repeats.ts) and,
   * unless `window` is false (an oral exam's clip, decided by fusion on its own), decided with them
   * (../biometrics/voice/window.ts).
   */
  async verifyVoice(
    owner: TemplateOwner,
    embedding: number[] | null,
    modelId: string,
    level: SecurityLevel,
    monitoring?: { examId: number; now: number; window?: boolean },
  ): Promise<VoiceVerifyResult> {
    if (!monitoring) return vector.verifyVoice(this.store, owner, embedding, modelId, level);
    const { examId, now } = monitoring;
    const window = monitoring.window === false ? undefined : { recent: this.recentVoice, examId, now };
    return vector.verifyVoice(this.store, owner, embedding, modelId, level, window, { recent: this.recentSamples, examId, now });
  }

  // ---- signal models (./signal.ts) ----

  async enrolModel(owner: TemplateOwner, biometricType: ModelBiometricType, modelId: string, model: unknown, samples: number, now: number): Promise<ModelEnrolResult> {
    refuseWhileHeld(this.store, Date.now());
    return signal.enrolModel(this.store, owner, biometricType, modelId, model, samples, now);
  }

  async registerHandwriting(owner: TemplateOwner, modelId: string, batch: HandwritingBatch, replace: boolean, now: number, field: string): Promise<HandwritingRegisterResult> {
    refuseWhileHeld(this.store, Date.now());
    return signal.registerHandwriting(this.store, owner, modelId, batch, replace, now, field);
  }

  async verifyHandwriting(owner: TemplateOwner, trajectory: PenTrajectory, modelId: string, field: string, level: SecurityLevel): Promise<ModelVerifyResult> {
    return signal.verifyHandwriting(this.store, owner, trajectory, modelId, field, level);
  }

  async testInteraction(owner: TemplateOwner, samples: KeystrokeSample[], modelId: string, field: string, level: SecurityLevel): Promise<ModelVerifyResult> {
    return signal.testInteraction(this.store, owner, samples, modelId, field, level);
  }

  /** The only alarm: expiry of handwriting enrolment sessions. */
  override async alarm(): Promise<void> {
    await signal.pruneEnrolmentSessions(this.store);
  }

  // ---- wallet (./wallet.ts) ----

  async exportTemplate(owner: TemplateOwner, biometricType: BiometricType, currentModelId: string, exportId: string, now: number, ttlMs: number): Promise<ExportResult> {
    return wallet.exportTemplate(this.store, owner, biometricType, currentModelId, exportId, now, ttlMs);
  }

  async restoreTemplates(owner: TemplateOwner, items: RestoreItem[], currentModelIds: Partial<Record<BiometricType, string>>, now: number): Promise<RestoreResult> {
    refuseWhileHeld(this.store, Date.now());
    return wallet.restoreTemplates(this.store, owner, items, currentModelIds, now);
  }

  async revokeWalletCopies(owner: TemplateOwner, biometricType: BiometricType): Promise<WalletVersionInfo | null> {
    return wallet.revokeWalletCopies(this.store, owner, biometricType);
  }

  async walletVersions(owner: TemplateOwner): Promise<WalletVersionInfo[]> {
    return wallet.walletVersions(this.store, owner);
  }
}

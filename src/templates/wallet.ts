// Wallet export and restore (docs/wallet.md): templates leave the object and come back only sealed
// (./seal/wallet-export.ts). A template's version is unique for the object's lifetime (template_versions
// outlives deletion). Deleting the server copy (revoke, /biometrics/unregister) keeps the version, so the
// wallet's copy stays returnable; re-enrolment and revokeWalletCopies issue a new version, so older exports
// are refused when they come back.
import { isEngineHandwritingModel } from "../biometrics/handwriting";
import { VOICE_LDA_META } from "../biometrics/voice/model";
import type { TemplateOwner } from "./client";
import { openTemplateJson, openTemplateVector } from "./open-template";
import { type Sealed, sealJson, sealVector } from "./seal/at-rest";
import { b64urlToBytes, bytesToB64url, openWalletTemplate, sealWalletTemplate, WALLET_AUDIENCE, WALLET_ISSUER, type WalletClaims } from "./seal/wallet-export";
import type { TemplateRow, TemplateStore } from "./store";
import type { BiometricType, ExportResult, RestoreItem, RestoreRefusal, RestoreResult, WalletVersionInfo } from "./types";

/**
 * The stored template's plain bytes for a wallet export: the float32 vector (Face, Voice) or the JSON
 * model's UTF-8 text (Handwriting), opened with the seal it was stored under; null when it no longer opens.
 */
async function templateBytes(store: TemplateStore, owner: TemplateOwner, biometricType: BiometricType, row: TemplateRow): Promise<Uint8Array | null> {
  if (biometricType === "Handwriting") {
    const model = await openTemplateJson(store, owner, row);
    return model === null ? null : new TextEncoder().encode(JSON.stringify(model));
  }
  const vector = await openTemplateVector(store, owner, row);
  return vector && new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
}

/**
 * The at-rest seal of a template returned by the wallet, from the export's plain bytes; null when the
 * bytes are not a template of that type (the export was not made by this server's exportTemplate).
 */
async function sealReturned(store: TemplateStore, owner: TemplateOwner, biometricType: BiometricType, modelId: string, bytes: Uint8Array): Promise<Sealed | null> {
  const ctx = { ...owner, biometricType, modelId };
  if (biometricType === "Handwriting") {
    let model: unknown;
    try {
      model = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      return null;
    }
    // Only a writer model this engine could have built is stored, whatever the JWE carried.
    return isEngineHandwritingModel(model) ? sealJson(store.templateSecret(), ctx, model) : null;
  }
  // Only a vector the engine could have made: its model's length, finite, unit length (a probe's 1- and 1024-value
  // templates were stored and made every later verification a 500; NaN ones scored NaN).
  if (bytes.byteLength !== VECTOR_TEMPLATE_DIMS[biometricType] * 4) return null;
  const vector = new Float32Array(Uint8Array.from(bytes).buffer);
  let norm = 0;
  for (const v of vector) norm += v * v;
  if (!vector.every(Number.isFinite) || !(Math.abs(Math.sqrt(norm) - 1) < 1e-3)) return null;
  return sealVector(store.templateSecret(), ctx, vector);
}

/** The length of a vector template: the face embedding's, and the voice model's output. */
const VECTOR_TEMPLATE_DIMS = { Face: 512, Voice: VOICE_LDA_META.output.dim } as const;

/** Seals the current template of a type for the wallet; the template never leaves unsealed. */
export async function exportTemplate(store: TemplateStore, owner: TemplateOwner, biometricType: BiometricType, currentModelId: string, exportId: string, now: number, ttlMs: number): Promise<ExportResult> {
  store.checkOwner(owner, false);
  const row = store.template(biometricType);
  if (!row) return { ok: false, reason: "not_enrolled" };
  if (row.model_id !== currentModelId) return { ok: false, reason: "reenrolment_required" };
  const tpl = await templateBytes(store, owner, biometricType, row);
  // Unreadable (the template key changed without the previous one kept): as good as a template of an older model.
  if (tpl === null) return { ok: false, reason: "reenrolment_required" };
  const version = row.version;
  // Record the version so that deleting the server copy later cannot make it reusable.
  store.transaction(() => store.setVersion(biometricType, Math.max(version, store.currentVersion(biometricType))));
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
    ...(biometricType === "Handwriting" ? {} : { dig: store.enrolmentDigests(biometricType) }),
  };
  const sealed = await sealWalletTemplate(store.walletSecret(), claims);
  return { ok: true, sealed, exportId, version, modelId: row.model_id, issuedAt: iat * 1000, expiresAt: exp * 1000 };
}

/**
 * Restores templates returned by the wallet: all of them or none. Each must open under the wallet key
 * and name this student, the type of the field it came in, the server's current model for that type,
 * the current version of that type, and an expiry in the future.
 */
export async function restoreTemplates(store: TemplateStore, owner: TemplateOwner, items: RestoreItem[], currentModelIds: Partial<Record<BiometricType, string>>, now: number): Promise<RestoreResult> {
  store.checkOwner(owner, false);
  const opened: { item: RestoreItem; claims: WalletClaims; bytes: Uint8Array }[] = [];
  for (const item of items) {
    const refuse = (reason: RestoreRefusal["reason"], detail: string): RestoreRefusal => ({ ok: false, field: item.field, reason, detail });
    const r = await openWalletTemplate(store.walletSecrets(), item.sealed);
    if (!r.ok) return refuse("unreadable", r.detail);
    const c = r.claims;
    if (c.sub !== `${owner.institutionId}:${owner.studentId}`) return refuse("wrong_student", "sealed for another student");
    if (c.mod !== item.biometricType) return refuse("wrong_modality", `this is a ${c.mod} template, not ${item.biometricType}`);
    if (c.exp * 1000 <= now) return refuse("expired", `the export expired at ${new Date(c.exp * 1000).toISOString()}; export it again`);
    const model = currentModelIds[item.biometricType];
    if (!model) return refuse("not_supported", `${item.biometricType} biometrics are not available on this server`);
    if (c.mid !== model) return refuse("model_mismatch", `sealed for model ${c.mid}; this server uses ${model}: register again`);
    const current = store.currentVersion(item.biometricType);
    if (c.ver !== current) return refuse("stale_version", `template version ${c.ver} is no longer valid (current ${current}): re-enrolled or wallet copies revoked`);
    // A creation time the service could have written (a probe's 1e20 made every later my_data a 500), and digests as
    // the export writes them.
    if (!Number.isSafeInteger(c.n) || c.n < 1 || !Number.isSafeInteger(c.cat) || c.cat < 0 || c.cat > now + 86_400_000) return refuse("unreadable", "malformed template");
    if (c.dig !== undefined && !(Array.isArray(c.dig) && c.dig.length <= 64 && c.dig.every((d) => typeof d === "string" && /^[0-9a-f]{32}$/.test(d)))) {
      return refuse("unreadable", "malformed template");
    }
    let bytes: Uint8Array;
    try {
      bytes = b64urlToBytes(c.tpl);
    } catch {
      return refuse("unreadable", "malformed template"); // a probe's non-base64url `tpl` was a 500
    }
    opened.push({ item, claims: c, bytes });
  }
  // Seal at rest before the (synchronous) write; a malformed template refuses the whole return.
  const sealed: { o: (typeof opened)[number]; at: Sealed }[] = [];
  for (const o of opened) {
    const at = await sealReturned(store, owner, o.item.biometricType, o.claims.mid, o.bytes);
    if (!at) return { ok: false, field: o.item.field, reason: "unreadable", detail: "malformed template" };
    sealed.push({ o, at });
  }
  return store.transaction((): RestoreResult => {
    store.checkOwner(owner, true);
    // Re-checked inside the transaction: an enrolment may have completed while we were sealing.
    for (const { o } of sealed) {
      const current = store.currentVersion(o.item.biometricType);
      if (o.claims.ver !== current) {
        return { ok: false, field: o.item.field, reason: "stale_version", detail: `template version ${o.claims.ver} is no longer valid (current ${current})` };
      }
    }
    const restored = [];
    for (const { o, at } of sealed) {
      const type = o.item.biometricType;
      if (store.template(type)?.version === o.claims.ver) {
        restored.push({ biometricType: type, version: o.claims.ver, alreadyPresent: true, exportId: o.claims.jti });
        continue;
      }
      store.putTemplate(type, o.claims.mid, at, o.claims.n, o.claims.cat, o.claims.ver);
      store.setVersion(type, o.claims.ver);
      // The registration samples' digests come back with the template (a probe's registration picture verified
      // again after a restore without them); an export made before they travelled restores without.
      store.replaceEnrolmentDigests(type, o.claims.dig ?? []);
      restored.push({ biometricType: type, version: o.claims.ver, alreadyPresent: false, exportId: o.claims.jti });
    }
    return { ok: true, restored };
  });
}

/** Makes every earlier export of a type useless (lost phone); the server copy, if any, stays usable. */
export function revokeWalletCopies(store: TemplateStore, owner: TemplateOwner, biometricType: BiometricType): WalletVersionInfo | null {
  store.checkOwner(owner, false);
  return store.transaction(() => {
    if (store.currentVersion(biometricType) === 0) return null;
    const version = store.bumpVersion(biometricType);
    const held = store.setTemplateVersion(biometricType, version);
    return { biometricType, version, held, modelId: store.template(biometricType)?.model_id ?? null };
  });
}

/** Per type ever enrolled: the current version and whether the server holds the template now. */
export function walletVersions(store: TemplateStore, owner: TemplateOwner): WalletVersionInfo[] {
  store.checkOwner(owner, false);
  return store.versionedTypes().map((t) => {
    const row = store.template(t);
    return { biometricType: t as BiometricType, version: store.currentVersion(t), held: !!row, modelId: row?.model_id ?? null };
  });
}

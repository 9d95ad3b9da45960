// Opening a stored template row: under the current key, or during a key rotation under the previous one
// (TEMPLATE_ENCRYPTION_KEY_PREVIOUS), in which case it is sealed again under the current key at once, so that every
// template in use moves to the new key and the previous one can be dropped. A template that opens under neither (the
// key was replaced without keeping the previous one) is unreadable: callers answer it as "register again", like a
// template of an older model, never as a server error (a black-box probe found every biometric endpoint answering
// 500 after a key change, and monitoring storing nothing, not even forbidden-process alerts).
import type { TemplateOwner } from "./client";
import { openJson, openVector, sealJson, sealVector } from "./seal/at-rest";
import type { TemplateRow, TemplateStore } from "./store";

type Row = Pick<TemplateRow, "biometric_type" | "model_id" | "iv" | "ciphertext" | "version">;

const contextOf = (owner: TemplateOwner, row: Row) => ({ ...owner, biometricType: row.biometric_type, modelId: row.model_id });

/** A face or voice template's vector, or null when it opens under no configured key. */
export async function openTemplateVector(store: TemplateStore, owner: TemplateOwner, row: Row): Promise<Float32Array | null> {
  const ctx = contextOf(owner, row);
  const opened = await openVector(store.templateSecrets(), ctx, new Uint8Array(row.iv), new Uint8Array(row.ciphertext));
  if (opened?.rotated) store.resealTemplate(row.biometric_type, row.version, await sealVector(store.templateSecret(), ctx, Float32Array.from(opened.value)));
  return opened?.value ?? null;
}

/** A handwriting or keystroke model (parsed JSON), or null when it opens under no configured key. */
export async function openTemplateJson(store: TemplateStore, owner: TemplateOwner, row: Row): Promise<unknown> {
  const ctx = contextOf(owner, row);
  const opened = await openJson(store.templateSecrets(), ctx, new Uint8Array(row.iv), new Uint8Array(row.ciphertext));
  if (opened?.rotated) store.resealTemplate(row.biometric_type, row.version, await sealJson(store.templateSecret(), ctx, opened.value));
  return opened ? opened.value : null;
}

/** Whether a stored row still opens (for /biometrics/list: an unreadable template is not `active`); re-sealed like any read. */
export async function templateOpens(store: TemplateStore, owner: TemplateOwner, row: Row): Promise<boolean> {
  const vector = row.biometric_type === "Face" || row.biometric_type === "Voice";
  return (vector ? await openTemplateVector(store, owner, row) : await openTemplateJson(store, owner, row)) !== null;
}

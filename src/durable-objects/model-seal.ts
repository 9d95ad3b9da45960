// Sealing of JSON models (handwriting writer models, keystroke models): the same AES-256-GCM key per student
// and the same associated data (student, biometric type, model id) as the vector templates of template-seal.ts,
// so a model copied to another student, relabelled as another type or another model version fails to open.
import { aad, type SealContext, studentKey } from "./template-seal";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export async function sealJson(secret: string, ctx: SealContext, value: unknown): Promise<{ iv: Uint8Array; ciphertext: Uint8Array }> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await studentKey(secret, ctx);
  const plain = enc.encode(JSON.stringify(value));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(ctx) }, key, plain));
  return { iv, ciphertext };
}

/** The parsed JSON, or null when the ciphertext does not open under this key and context. */
export async function openJson(secret: string, ctx: SealContext, iv: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer>): Promise<unknown> {
  try {
    const key = await studentKey(secret, ctx);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad(ctx) }, key, ciphertext);
    return JSON.parse(dec.decode(plain));
  } catch {
    return null;
  }
}

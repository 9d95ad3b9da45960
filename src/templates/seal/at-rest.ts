// Templates at rest: AES-256-GCM with a key derived (HKDF-SHA-256) from the TEMPLATE_ENCRYPTION_KEY
// secret and the student, and the student, biometric type and model id as associated data, so that a
// row copied to another student or relabelled with another model fails to open instead of matching.
const enc = new TextEncoder();

export type SealContext = { institutionId: number; studentId: number; biometricType: string; modelId: string };

const keys = new Map<string, Promise<CryptoKey>>();

export function studentKey(secret: string, ctx: SealContext): Promise<CryptoKey> {
  const id = `${ctx.institutionId}:${ctx.studentId}`;
  const cacheKey = `${secret}\u0000${id}`; // the secret itself: two secrets of one length must not share keys
  let key = keys.get(cacheKey);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", enc.encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: enc.encode("trustid-template-seal-v1"), info: enc.encode(id) },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    if (keys.size > 1000) keys.clear(); // a DO serves one student; the cap only matters for tests
    keys.set(cacheKey, key);
  }
  return key;
}

export const aad = (ctx: SealContext) => enc.encode(`${ctx.institutionId}:${ctx.studentId}:${ctx.biometricType}:${ctx.modelId}`);

export async function sealVector(secret: string, ctx: SealContext, vector: Float32Array<ArrayBuffer>): Promise<{ iv: Uint8Array; ciphertext: Uint8Array }> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await studentKey(secret, ctx);
  const plain = new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(ctx) }, key, plain));
  return { iv, ciphertext };
}

/** The vector, or null when the ciphertext does not open under this key and context. */
export async function openVector(secret: string, ctx: SealContext, iv: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer>): Promise<Float32Array | null> {
  try {
    const key = await studentKey(secret, ctx);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad(ctx) }, key, ciphertext);
    return new Float32Array(plain);
  } catch {
    return null;
  }
}

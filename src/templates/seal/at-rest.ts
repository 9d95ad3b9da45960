// Templates at rest: AES-256-GCM with a key derived (HKDF-SHA-256) from the TEMPLATE_ENCRYPTION_KEY
// secret and the student, and the student, biometric type and model id as associated data, so that a
// row copied to another student or relabelled with another type or model fails to open instead of matching.
// Vectors (face, voice) are sealed as their float32 bytes, models (handwriting, keystroke) and enrolment
// sessions as UTF-8 JSON: one seal, two encodings of the plain bytes.
// Opening takes the current secret and, during a key rotation, the previous one (TEMPLATE_ENCRYPTION_KEY_PREVIOUS):
// what opens only under the previous one says so (`rotated`), and the caller seals it again under the current one.
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export type SealContext = { institutionId: number; studentId: number; biometricType: string; modelId: string };
export type Sealed = { iv: Uint8Array; ciphertext: Uint8Array };
/** An opened seal; `rotated`: it opened under the previous secret, not the current one. */
export type Opened<T> = { value: T; rotated: boolean };

const keys = new Map<string, Promise<CryptoKey>>();

function studentKey(secret: string, ctx: SealContext): Promise<CryptoKey> {
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

const aad = (ctx: SealContext) => enc.encode(`${ctx.institutionId}:${ctx.studentId}:${ctx.biometricType}:${ctx.modelId}`);

async function sealBytes(secret: string, ctx: SealContext, plain: Uint8Array<ArrayBuffer>): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await studentKey(secret, ctx);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(ctx) }, key, plain));
  return { iv, ciphertext };
}

/** The plain bytes under the first of `secrets` (current, then previous) that opens them in this context, or null. */
async function openBytes(secrets: readonly string[], ctx: SealContext, iv: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer>): Promise<Opened<ArrayBuffer> | null> {
  for (const [i, secret] of secrets.entries()) {
    try {
      const key = await studentKey(secret, ctx);
      return { value: await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad(ctx) }, key, ciphertext), rotated: i > 0 };
    } catch {
      // not this secret
    }
  }
  return null;
}

export function sealVector(secret: string, ctx: SealContext, vector: Float32Array<ArrayBuffer>): Promise<Sealed> {
  return sealBytes(secret, ctx, new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
}

/** The vector, or null when the ciphertext does not open under these secrets and context. */
export async function openVector(secrets: readonly string[], ctx: SealContext, iv: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer>): Promise<Opened<Float32Array> | null> {
  const plain = await openBytes(secrets, ctx, iv, ciphertext);
  return plain && { value: new Float32Array(plain.value), rotated: plain.rotated };
}

export function sealJson(secret: string, ctx: SealContext, value: unknown): Promise<Sealed> {
  return sealBytes(secret, ctx, enc.encode(JSON.stringify(value)));
}

/** The parsed JSON, or null when the ciphertext does not open under these secrets and context (or is not JSON). */
export async function openJson(secrets: readonly string[], ctx: SealContext, iv: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer>): Promise<Opened<unknown> | null> {
  const plain = await openBytes(secrets, ctx, iv, ciphertext);
  if (plain === null) return null;
  try {
    return { value: JSON.parse(dec.decode(plain.value)) as unknown, rotated: plain.rotated };
  } catch {
    return null;
  }
}

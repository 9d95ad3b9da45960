// Cryptography for the partner API, all WebCrypto (the same code runs in workerd and in Node 20).
//  - the API token is kept only as its SHA-256 (a database leak does not leak usable tokens);
//  - the secret key must stay usable as an HMAC key, so it is sealed with AES-256-GCM under a key that
//    lives only in a Worker secret, with the institution id as associated data (a sealed key copied to
//    another institution's row does not open). scripts/partner-credentials.mjs seals the same way.
const enc = new TextEncoder();

export const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));

export const randomHex = (bytes: number) => toHex(crypto.getRandomValues(new Uint8Array(bytes)));

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", enc.encode(text)));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();
/** The secret key's UTF-8 bytes are the HMAC key (as in ProctorExam's own client examples). */
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    if (hmacKeys.size > 1000) hmacKeys.clear();
    hmacKeys.set(secret, key);
  }
  return key;
}

export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(message)));
}

/**
 * Whether `signatureHex` is the HMAC of `message` under `secret`. `subtle.verify` compares in constant
 * time; a malformed hex string is compared as 32 zero bytes so that it takes the same path.
 */
export async function verifyHmacSha256Hex(secret: string, message: string, signatureHex: string): Promise<boolean> {
  const given = fromHex(signatureHex);
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), given ?? new Uint8Array(32), enc.encode(message));
  return ok && given !== null;
}

const SEAL_VERSION = "v1";
const sealKeys = new Map<string, Promise<CryptoKey>>();
function sealKey(keyBase64: string): Promise<CryptoKey> {
  let key = sealKeys.get(keyBase64);
  if (!key) {
    const raw = Uint8Array.from(atob(keyBase64), (ch) => ch.charCodeAt(0));
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    sealKeys.set(keyBase64, key);
  }
  return key;
}
/** What a sealed value is for, bound into its associated data: a partner's secret key can never be opened as an
 * institution's Moodle token, nor either as another institution's. */
export type SealPurpose = "partner-secret" | "moodle-token";
const aad = (institutionId: number, purpose: SealPurpose) => enc.encode(`${purpose}:${institutionId}`);

/** True for a value in the sealed format below (a Moodle token stored before sealing existed is plain text). */
export const isSealed = (value: string) => value.startsWith(`${SEAL_VERSION}.`);

/** `v1.<iv>.<ciphertext+tag>` (base64url). */
export async function sealSecret(keyBase64: string, institutionId: number, secret: string, purpose: SealPurpose = "partner-secret"): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(institutionId, purpose) }, await sealKey(keyBase64), enc.encode(secret));
  return `${SEAL_VERSION}.${b64url(iv)}.${b64url(new Uint8Array(ct))}`;
}

/** The secret, or null when the sealed value is malformed, tampered with or sealed for another institution. */
export async function openSecret(keyBase64: string, institutionId: number, sealed: string, purpose: SealPurpose = "partner-secret"): Promise<string | null> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== SEAL_VERSION || !iv || !ct) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64url(iv), additionalData: aad(institutionId, purpose) },
      await sealKey(keyBase64),
      unb64url(ct),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

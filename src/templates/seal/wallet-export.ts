// Templates leaving the server for the student's wallet app: a compact JWE (alg `dir`, enc `A256GCM`)
// whose key is derived (HKDF-SHA-256) from WALLET_SEAL_KEY, or from TEMPLATE_ENCRYPTION_KEY with its own
// salt and info (never the at-rest key). The bindings (student, modality, model id, template version,
// issue and expiry times, export id) are JWT claims inside the ciphertext and are repeated in the
// protected header, which AES-GCM authenticates as associated data: the wallet can show them without
// the key, and no byte of either can change without the token failing to open. See docs/wallet.md.
import { base64url, CompactEncrypt, compactDecrypt } from "jose";

const enc = new TextEncoder();
const dec = new TextDecoder();

export const WALLET_TOKEN_TYPE = "trustid-template+jwt";
export const WALLET_ISSUER = "trustid-edge";
export const WALLET_AUDIENCE = "trustid-wallet";

/** What an export binds. `sub` is "<institutionId>:<studentId>". Times are seconds (JWT NumericDate). */
export type WalletBindings = {
  sub: string;
  mod: string; // Face | Voice | Handwriting
  mid: string; // model id
  ver: number; // template version
  iat: number;
  exp: number;
  jti: string; // export id
};

/** The sealed content: the bindings and the template itself. */
export type WalletClaims = WalletBindings & {
  iss: string;
  aud: string;
  tpl: string; // template bytes, base64url
  n: number; // number of samples the template was built from
  cat: number; // template created at (ms)
  /**
   * Face, Voice: digests of the samples the template was built from (src/biometrics/repeats.ts), restored with it so
   * that a registration picture or clip stays a copy after a round trip through the wallet. Absent in older exports.
   */
  dig?: string[];
};

const keys = new Map<string, Promise<CryptoKey>>();

function walletKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", enc.encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: enc.encode("trustid-wallet-export-v1"), info: enc.encode("wallet export JWE A256GCM") },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export async function sealWalletTemplate(secret: string, claims: WalletClaims): Promise<string> {
  const { sub, mod, mid, ver, iat, exp, jti } = claims;
  return new CompactEncrypt(enc.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: WALLET_TOKEN_TYPE, sub, mod, mid, ver, iat, exp, jti })
    .encrypt(await walletKey(secret));
}

export type OpenResult = { ok: true; claims: WalletClaims } | { ok: false; detail: string };

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * Opens a sealed export: authenticity and integrity only (the caller checks the bindings against the
 * student and the server's state). Every segment must be canonical base64url, so that no character
 * can change, not even in the unused low bits of a segment's last character.
 */
export async function openWalletTemplate(secrets: string | string[], token: string): Promise<OpenResult> {
  const parts = token.split(".");
  if (parts.length !== 5 || !parts.every((p) => SEGMENT.test(p))) return { ok: false, detail: "not a sealed template (compact JWE with five base64url parts expected)" };
  for (const p of parts) {
    try {
      if (base64url.encode(base64url.decode(p)) !== p) return { ok: false, detail: "changed: not canonical base64url" };
    } catch {
      return { ok: false, detail: "changed: not base64url" };
    }
  }
  let plaintext: Uint8Array;
  let header: Record<string, unknown>;
  let opened: { plaintext: Uint8Array; protectedHeader: unknown } | undefined;
  for (const secret of typeof secrets === "string" ? [secrets] : secrets) {
    try {
      opened = await compactDecrypt(token, await walletKey(secret), { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] });
      break;
    } catch {
      // Sealed under another of the keys (a rotation), or changed: the next key, then the refusal.
    }
  }
  if (!opened) return { ok: false, detail: "does not open: changed, or not sealed by this server" };
  plaintext = opened.plaintext;
  header = opened.protectedHeader as Record<string, unknown>;
  let claims: WalletClaims;
  try {
    claims = JSON.parse(dec.decode(plaintext));
  } catch {
    return { ok: false, detail: "does not open: the content is not JSON" };
  }
  if (header.typ !== WALLET_TOKEN_TYPE || claims.iss !== WALLET_ISSUER || claims.aud !== WALLET_AUDIENCE) {
    return { ok: false, detail: "not a TRUSTID template export" };
  }
  for (const k of ["sub", "mod", "mid", "ver", "iat", "exp", "jti"] as const) {
    if (header[k] !== claims[k]) return { ok: false, detail: `header and content disagree on ${k}` };
  }
  if (typeof claims.tpl !== "string" || typeof claims.ver !== "number" || typeof claims.exp !== "number") return { ok: false, detail: "malformed content" };
  return { ok: true, claims };
}

export const bytesToB64url = (b: Uint8Array) => base64url.encode(b);
export const b64urlToBytes = (s: string) => base64url.decode(s);

// The template object's own SQLite storage: the tables, the owner record, template rows and their version
// counters, and handwriting enrolment sessions. Table names, columns and the sealed formats are stored data:
// they must stay byte-compatible with every object already written (no migration runs inside an object).
import type { Bindings } from "../env";
import type { TemplateOwner } from "./client";
import type { SampleDigests } from "../biometrics/repeats";
import type { Sealed } from "./seal/at-rest";

/** A row of `templates`. `images` is the historical name of the sample count (pictures, clips, signatures, typing samples). */
export type TemplateRow = { biometric_type: string; model_id: string; iv: ArrayBuffer; ciphertext: ArrayBuffer; images: number; created_at: number; version: number };
export type SessionRow = { model_id: string; iv: ArrayBuffer; ciphertext: ArrayBuffer; updated_at: number };

type SealedBytes = { iv: ArrayBuffer | Uint8Array; ciphertext: ArrayBuffer | Uint8Array };

export class TemplateStore implements SampleDigests {
  private readonly sql: SqlStorage;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Bindings,
  ) {
    this.sql = storage.sql;
  }

  createTables() {
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
    // number is never reused and an export names exactly one template (see ./wallet.ts).
    this.sql.exec("CREATE TABLE IF NOT EXISTS template_versions (biometric_type TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    // Digests of exam monitoring's frames and clips (src/biometrics/repeats.ts): kept an hour, to tell a copy of an
    // earlier one. Not biometric data (a digest cannot be turned back into an embedding), so not sealed.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS sample_digests (
      key TEXT NOT NULL,
      digest TEXT NOT NULL,
      first_seen INTEGER NOT NULL,
      PRIMARY KEY (key, digest)
    )`);
    // Digests of the embeddings a Face or Voice template was built from (src/biometrics/repeats.ts): a verification or
    // monitoring sample with the same digest is the enrolment picture or clip sent again, not a new capture. Kept as
    // long as the template they belong to (replaced by a new enrolment, deleted with the template).
    this.sql.exec(`CREATE TABLE IF NOT EXISTS enrolment_digests (
      biometric_type TEXT NOT NULL,
      digest TEXT NOT NULL,
      PRIMARY KEY (biometric_type, digest)
    )`);
    // Exams whose face verification holds the templates (./holds.ts): set in the same call as the match that verified,
    // so that no enrolment, deletion or restore slips in between the match and the exam's lock in the database.
    this.sql.exec("CREATE TABLE IF NOT EXISTS verification_holds (exam_id INTEGER PRIMARY KEY, held_until INTEGER NOT NULL)");
    // Handwriting signatures collected one request at a time (HANDWRITING_ENROLMENT_SESSION_MS), sealed like the templates.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS enrolment_sessions (
      biometric_type TEXT PRIMARY KEY,
      model_id TEXT NOT NULL,
      iv BLOB NOT NULL,
      ciphertext BLOB NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
  }

  /** Synchronous from here: no other call of the object runs inside `fn`. */
  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  /** The secret the at-rest seals are derived from (new seals always use it). */
  templateSecret(): string {
    const s = this.env.TEMPLATE_ENCRYPTION_KEY;
    if (!s || s.length < 32) throw new Error("TEMPLATE_ENCRYPTION_KEY is not configured");
    return s;
  }

  /**
   * The secrets a stored seal may open under: the current one, then during a key rotation the previous one
   * (TEMPLATE_ENCRYPTION_KEY_PREVIOUS; README "Rotating the template key"). What opens only under the previous one
   * is sealed again under the current one as it is read (./open-template.ts).
   */
  templateSecrets(): string[] {
    const previous = this.env.TEMPLATE_ENCRYPTION_KEY_PREVIOUS;
    const current = this.templateSecret();
    return previous && previous.length >= 32 && previous !== current ? [current, previous] : [current];
  }

  /** The secret wallet exports are sealed with (never the at-rest key itself: its own HKDF salt and info). */
  walletSecret(): string {
    const s = this.env.WALLET_SEAL_KEY || this.env.TEMPLATE_ENCRYPTION_KEY;
    if (!s || s.length < 32) throw new Error("WALLET_SEAL_KEY / TEMPLATE_ENCRYPTION_KEY is not configured");
    return s;
  }

  /**
   * The secrets a wallet export may open under: WALLET_SEAL_KEY when set; else the template key's, current then
   * previous during a rotation, so that the copies wallets hold survive the rotation README describes (a probe's
   * exports all failed as "changed, or not sealed by this server" after it).
   */
  walletSecrets(): string[] {
    return this.env.WALLET_SEAL_KEY ? [this.walletSecret()] : this.templateSecrets();
  }

  /** The object belongs to one student for life; a call naming anyone else is a programming error. */
  checkOwner(o: TemplateOwner, claim: boolean) {
    const row = this.sql.exec<{ institution_id: number; student_id: number }>("SELECT institution_id, student_id FROM owner").toArray()[0];
    if (!row) {
      if (claim) this.sql.exec("INSERT INTO owner (id, institution_id, student_id) VALUES (1, ?, ?)", o.institutionId, o.studentId);
      return;
    }
    if (row.institution_id !== o.institutionId || row.student_id !== o.studentId) throw new Error("template object used for another student");
  }

  template(type: string): TemplateRow | undefined {
    return this.sql.exec<TemplateRow>("SELECT * FROM templates WHERE biometric_type = ?", type).toArray()[0];
  }

  templates(): TemplateRow[] {
    return this.sql.exec<TemplateRow>("SELECT * FROM templates ORDER BY biometric_type").toArray();
  }

  /** Writes (or replaces) the sealed template of this type: the one statement every enrolment and restore uses. */
  putTemplate(type: string, modelId: string, sealed: SealedBytes, samples: number, createdAt: number, version: number) {
    this.sql.exec(
      `INSERT INTO templates (biometric_type, model_id, iv, ciphertext, images, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
         images = excluded.images, created_at = excluded.created_at, version = excluded.version`,
      type, modelId, sealed.iv, sealed.ciphertext, samples, createdAt, version,
    );
  }

  /** Replaces a template's seal (the same template, sealed under the current key) unless it changed meanwhile. */
  resealTemplate(type: string, version: number, sealed: SealedBytes) {
    this.sql.exec("UPDATE templates SET iv = ?, ciphertext = ? WHERE biometric_type = ? AND version = ?", sealed.iv, sealed.ciphertext, type, version);
  }

  /**
   * Deletes the template of this type and any enrolment session for it; false when there was neither (signatures
   * being collected count: a probe was told "No Handwriting model is registered" while its signatures were deleted).
   */
  deleteTemplate(type: string): boolean {
    // Signatures still being collected for a new model go with it: unregistering leaves nothing behind.
    const session = this.sql.exec("DELETE FROM enrolment_sessions WHERE biometric_type = ?", type).rowsWritten > 0;
    this.sql.exec("DELETE FROM enrolment_digests WHERE biometric_type = ?", type);
    return this.sql.exec("DELETE FROM templates WHERE biometric_type = ?", type).rowsWritten > 0 || session;
  }

  /** The enrolment sessions held (what is being collected, for the student's access request). */
  sessions(): { biometric_type: string; updated_at: number }[] {
    return this.sql.exec<{ biometric_type: string; updated_at: number }>("SELECT biometric_type, updated_at FROM enrolment_sessions ORDER BY biometric_type").toArray();
  }

  /** Gives the held template of a type a new version (wallet revocation); whether one was held. */
  setTemplateVersion(type: string, version: number): boolean {
    return this.sql.exec("UPDATE templates SET version = ? WHERE biometric_type = ?", version, type).rowsWritten > 0;
  }

  /** Deletes the object's whole SQLite database, then recreates the empty tables so a late call still finds them. */
  async eraseAll() {
    await this.storage.deleteAll();
    this.createTables();
  }

  // ---- versions: unique for the object's lifetime (template_versions outlives deletion) ----

  /** The current version of a type: the highest issued, also counting rows from before template_versions. */
  currentVersion(type: string): number {
    const counter = this.sql.exec<{ version: number }>("SELECT version FROM template_versions WHERE biometric_type = ?", type).toArray()[0]?.version ?? 0;
    const held = this.sql.exec<{ version: number }>("SELECT version FROM templates WHERE biometric_type = ?", type).toArray()[0]?.version ?? 0;
    return Math.max(counter, held);
  }

  setVersion(type: string, version: number) {
    this.sql.exec(
      "INSERT INTO template_versions (biometric_type, version) VALUES (?, ?) ON CONFLICT (biometric_type) DO UPDATE SET version = excluded.version",
      type,
      version,
    );
  }

  /** A new version number for a type (call inside a transaction). */
  bumpVersion(type: string): number {
    const version = this.currentVersion(type) + 1;
    this.setVersion(type, version);
    return version;
  }

  /** Every type ever enrolled (held now or with a version counter). */
  versionedTypes(): string[] {
    return this.sql
      .exec<{ biometric_type: string }>("SELECT biometric_type FROM template_versions UNION SELECT biometric_type FROM templates ORDER BY 1")
      .toArray()
      .map((r) => r.biometric_type);
  }

  // ---- digests of monitoring samples (src/biometrics/repeats.ts SampleDigests) ----

  /** When this digest was first seen under `key` since `since`, or null (and it is recorded as first seen `now`). */
  firstSeen(key: string, digest: string, now: number, since: number): number | null {
    const row = this.sql.exec<{ first_seen: number }>("SELECT first_seen FROM sample_digests WHERE key = ? AND digest = ?", key, digest).toArray()[0];
    if (row && row.first_seen >= since && row.first_seen <= now) return row.first_seen;
    // Older ones are no longer needed by anyone: they go as new ones come.
    this.sql.exec("DELETE FROM sample_digests WHERE first_seen < ?", since);
    this.sql.exec("INSERT INTO sample_digests (key, digest, first_seen) VALUES (?, ?, ?) ON CONFLICT (key, digest) DO UPDATE SET first_seen = excluded.first_seen", key, digest, now);
    return null;
  }

  /** Forgets every digest, or those whose key starts with `prefix`. */
  forget(prefix?: string) {
    if (prefix === undefined) this.sql.exec("DELETE FROM sample_digests");
    else this.sql.exec("DELETE FROM sample_digests WHERE substr(key, 1, ?) = ?", prefix.length, prefix);
  }

  // ---- digests of the samples a template was enrolled from ----

  /** The digests of the samples the new template of this type was built from (call inside its transaction). */
  replaceEnrolmentDigests(type: string, digests: string[]) {
    this.sql.exec("DELETE FROM enrolment_digests WHERE biometric_type = ?", type);
    for (const d of new Set(digests)) this.sql.exec("INSERT INTO enrolment_digests (biometric_type, digest) VALUES (?, ?)", type, d);
  }

  /** The digests of the samples the held template of this type was built from. */
  enrolmentDigests(type: string): string[] {
    return this.sql.exec<{ digest: string }>("SELECT digest FROM enrolment_digests WHERE biometric_type = ? ORDER BY digest", type).toArray().map((r) => r.digest);
  }

  /** Whether a sample with this digest is one the held template of this type was enrolled from. */
  isEnrolmentSample(type: string, digest: string): boolean {
    return this.sql.exec("SELECT 1 FROM enrolment_digests WHERE biometric_type = ? AND digest = ?", type, digest).toArray().length > 0;
  }

  // ---- enrolment sessions (handwriting signatures collected over several requests) ----

  session(type: string): SessionRow | undefined {
    return this.sql.exec<SessionRow>("SELECT * FROM enrolment_sessions WHERE biometric_type = ?", type).toArray()[0];
  }

  putSession(type: string, modelId: string, sealed: Sealed, updatedAt: number) {
    this.sql.exec(
      `INSERT INTO enrolment_sessions (biometric_type, model_id, iv, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (biometric_type) DO UPDATE SET model_id = excluded.model_id, iv = excluded.iv, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
      type, modelId, sealed.iv, sealed.ciphertext, updatedAt,
    );
  }

  /** Deletes sessions last added to before `before`; the oldest remaining one's last update, if any. */
  pruneSessions(before: number): number | null {
    this.sql.exec("DELETE FROM enrolment_sessions WHERE updated_at < ?", before);
    return this.sql.exec<{ t: number | null }>("SELECT MIN(updated_at) AS t FROM enrolment_sessions").toArray()[0]?.t ?? null;
  }

  setAlarm(at: number) {
    return this.storage.setAlarm(at);
  }

  // ---- holds (./holds.ts) ----

  hold(examId: number, until: number) {
    this.sql.exec(
      "INSERT INTO verification_holds (exam_id, held_until) VALUES (?, ?) ON CONFLICT (exam_id) DO UPDATE SET held_until = MAX(held_until, excluded.held_until)",
      examId,
      until,
    );
  }

  release(examId: number) {
    this.sql.exec("DELETE FROM verification_holds WHERE exam_id = ?", examId);
  }

  /** The exam whose hold is in force at `now`, if any (ended ones are deleted on the way). */
  activeHold(now: number): number | null {
    this.sql.exec("DELETE FROM verification_holds WHERE held_until <= ?", now);
    return this.sql.exec<{ exam_id: number }>("SELECT exam_id FROM verification_holds ORDER BY held_until DESC LIMIT 1").toArray()[0]?.exam_id ?? null;
  }
}

// Embeds every face photo of ../shared/data/faces with the service's own pipeline (analyseImageBytes) and
// writes the shared embedding cache. The cache format is shared with the model bake-off, which writes the same
// format for other models: keep it exactly as EmbeddingCache says.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { analyseImageBytes } from "../../src/biometrics/face/analyse";
import { labels, nodeFace, SHARED } from "../node-face";

export type CacheItem = { file: string; identity: string; embedding: number[] | null };
/** `file` is relative to ../shared/data/faces; `embedding` is null when the pipeline found no usable face. */
export type EmbeddingCache = { model: string; dim: number; items: CacheItem[] };

/** Roles whose photos are embedded: the LFW calibration set and the small shared verification set. */
const EMBEDDED_ROLES = new Set(["calibration", "verification"]);

/**
 * Builds the cache, resuming from a partial log (one JSON line per photo) so an interrupted run on this
 * shared machine loses nothing. Also writes `<cache>.status.json` (file -> pipeline status and liveness),
 * which is not part of the shared format; the scorer only uses it to explain failures to acquire.
 */
export async function buildCache(cacheFile: string, modelName: string): Promise<EmbeddingCache> {
  mkdirSync(dirname(cacheFile), { recursive: true });
  const partial = `${cacheFile}.partial.jsonl`;
  const done = new Map<string, CacheItem & { status: string; liveness: number | null }>();
  if (existsSync(partial)) {
    for (const line of readFileSync(partial, "utf8").split("\n")) if (line.trim()) {
      const r = JSON.parse(line);
      done.set(r.file, r);
    }
  }
  const rows = labels().filter((l) => EMBEDDED_ROLES.has(l.role));
  const { decoders, models } = await nodeFace();
  const started = Date.now();
  let n = 0;
  for (const l of rows) {
    if (done.has(l.file)) continue;
    const r = await analyseImageBytes(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders, models);
    // Only an `ok` face is scored by the service; no_face, multiple_faces, face_too_small and undecodable
    // are refused before any comparison, so they are failures to acquire here too.
    const usable = r.ok && r.status === "ok" && r.embedding !== undefined;
    const rec = {
      file: l.file,
      identity: l.identity,
      embedding: usable && r.ok ? r.embedding!.map((v) => Math.round(v * 1e6) / 1e6) : null,
      status: r.status,
      liveness: r.ok && r.liveness !== undefined ? r.liveness : null,
    };
    appendFileSync(partial, JSON.stringify(rec) + "\n");
    done.set(l.file, rec);
    if (++n % 100 === 0) {
      const rate = (Date.now() - started) / n;
      console.error(`embedded ${done.size}/${rows.length} (${rate.toFixed(0)} ms/photo, ~${(((rows.length - done.size) * rate) / 60000).toFixed(1)} min left)`);
    }
  }
  const items: CacheItem[] = [];
  const statuses: Record<string, { status: string; liveness: number | null }> = {};
  for (const l of rows) {
    const r = done.get(l.file)!;
    items.push({ file: r.file, identity: r.identity, embedding: r.embedding });
    statuses[r.file] = { status: r.status, liveness: r.liveness };
  }
  const dim = items.find((i) => i.embedding)?.embedding!.length ?? 0;
  const cache: EmbeddingCache = { model: modelName, dim, items };
  writeFileSync(cacheFile, JSON.stringify(cache));
  writeFileSync(`${cacheFile}.status.json`, JSON.stringify(statuses));
  return cache;
}

export function readCache(file: string): EmbeddingCache {
  const c = JSON.parse(readFileSync(file, "utf8")) as EmbeddingCache;
  if (typeof c.model !== "string" || typeof c.dim !== "number" || !Array.isArray(c.items)) throw new Error(`${file}: not an embedding cache {model, dim, items}`);
  return c;
}

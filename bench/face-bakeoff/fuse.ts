// Score fusion of two models as an embedding cache: each photo's embedding is the two L2-normalised
// embeddings concatenated, each scaled by sqrt(w) and sqrt(1 - w). The dot product of two such vectors is
// w * cosine_a + (1 - w) * cosine_b, so any scorer of the shared format scores the weighted mean of the two
// models' similarities. The weight is fixed in advance (0.5 unless given), not tuned on the report half.
//   npx tsx bench/face-bakeoff/fuse.ts <cache a> <cache b> <out> [weight of a]
import { readFileSync, writeFileSync } from "node:fs";
import type { Cache } from "./score";

const [fa, fb, out, w = "0.5"] = process.argv.slice(2);
const a = JSON.parse(readFileSync(fa!, "utf8")) as Cache;
const b = JSON.parse(readFileSync(fb!, "utf8")) as Cache;
const wa = Math.sqrt(Number(w));
const wb = Math.sqrt(1 - Number(w));
const byFile = new Map(b.items.map((i) => [i.file, i]));
const items = a.items.map((i) => {
  const j = byFile.get(i.file);
  const embedding = i.embedding && j?.embedding ? [...i.embedding.map((v) => v * wa), ...j.embedding.map((v) => v * wb)] : null;
  return { file: i.file, identity: i.identity, embedding };
});
const model = `fusion-${a.model}+${b.model}-w${w}`;
writeFileSync(out!, JSON.stringify({ model, dim: a.dim + b.dim, items }));
console.log(`${out}: ${model}, ${items.filter((i) => !i.embedding).length} of ${items.length} without a usable face`);

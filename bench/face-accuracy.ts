// Accuracy of 1:1 face verification on ../shared/data/faces through analyseImageBytes (the function the
// inference worker runs for the API). Prints EER, the threshold at a stated false-match rate, FMR/FNMR,
// score distributions, liveness on the presentation-attack samples and the quality statuses.
// Run: npx tsx bench/face-accuracy.ts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyseImageBytes } from "../src/biometrics/face/analyse";
import { cosine } from "../src/biometrics/face/pipeline";
import { FACE_POLICY } from "../src/biometrics/face/policy";
import { FACE_OPERATING_POINTS } from "../src/biometrics/face/operating-points";
import { labels, nodeFace, SHARED } from "./node-face";

const { decoders, models } = await nodeFace();
const rows = labels();
const results = [];
for (const l of rows) results.push({ ...l, r: await analyseImageBytes(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders, models) });

const statusCount: Record<string, number> = {};
for (const x of results) statusCount[`${x.role}:${x.r.status}`] = (statusCount[`${x.role}:${x.r.status}`] ?? 0) + 1;
console.log("statuses by role:", statusCount);
for (const x of results) if (x.role === "verification" && x.r.status !== "ok") console.log(`  ${x.file}: ${x.r.status}`);

// The primary face of every verification image (multiple_faces included: the chosen face is the subject).
const probes = results.filter((x) => x.role === "verification" && x.r.ok && x.r.embedding);
const genuine: number[] = [];
const impostor: number[] = [];
for (let i = 0; i < probes.length; i++) {
  for (let j = i + 1; j < probes.length; j++) {
    const a = probes[i]!, b = probes[j]!;
    if (!a.r.ok || !b.r.ok) continue;
    const s = cosine(a.r.embedding!, b.r.embedding!);
    (a.identity === b.identity ? genuine : impostor).push(s);
  }
}
const stats = (v: number[]) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
  return `n=${v.length} mean ${m.toFixed(3)} sd ${sd.toFixed(3)} min ${Math.min(...v).toFixed(3)} max ${Math.max(...v).toFixed(3)}`;
};
console.log(`images used: ${probes.length} (${new Set(probes.map((p) => p.identity)).size} identities)`);
console.log(`genuine  ${stats(genuine)}`);
console.log(`impostor ${stats(impostor)}`);

const fmr = (t: number) => impostor.filter((s) => s >= t).length / impostor.length;
const fnmr = (t: number) => genuine.filter((s) => s < t).length / genuine.length;
let eer = 1, eerT = 0;
for (let t = -1; t <= 1; t += 0.001) {
  const a = fmr(t), b = fnmr(t);
  if (Math.max(a, b) < eer) { eer = Math.max(a, b); eerT = t; }
}
const separated = Math.min(...genuine) > Math.max(...impostor);
console.log(`EER ${(eer * 100).toFixed(2)} % at threshold ${eerT.toFixed(3)}${separated ? " (every genuine score is above every impostor score)" : ""}`);
// Lowest threshold whose FMR is at most the target (with few impostor pairs a target below 1/n is not measurable).
for (const target of [0.01, 0.001]) {
  let t = -1;
  while (t < 1 && fmr(t) > target) t += 0.001;
  console.log(`FMR <= ${target * 100} %: threshold ${t.toFixed(3)}, FMR ${(fmr(t) * 100).toFixed(3)} %, FNMR ${(fnmr(t) * 100).toFixed(2)} %`);
}
for (const [level, point] of Object.entries(FACE_OPERATING_POINTS)) {
  const t = point.threshold;
  console.log(`level ${level}, threshold ${t}: FMR ${(fmr(t) * 100).toFixed(3)} % (${impostor.filter((s) => s >= t).length}/${impostor.length}), FNMR ${(fnmr(t) * 100).toFixed(2)} % (${genuine.filter((s) => s < t).length}/${genuine.length})`);
}
const T = FACE_OPERATING_POINTS.high.threshold;

// With 1391 impostor pairs an FMR of 0.1 % is about one pair: also state the normal-fit estimate.
const im = impostor.reduce((a, b) => a + b, 0) / impostor.length;
const isd = Math.sqrt(impostor.reduce((a, b) => a + (b - im) ** 2, 0) / impostor.length);
const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
function erfc(x: number) {
  // Abramowitz-Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * x);
  return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
}
console.log(`normal fit of impostor scores: the high level's threshold ${T} is ${((T - im) / isd).toFixed(2)} sd above their mean -> estimated FMR ${(tail((T - im) / isd) * 100).toFixed(3)} %`);
const hist = (v: number[]) => {
  const bins = new Array(10).fill(0);
  for (const s of v) bins[Math.min(9, Math.max(0, Math.floor((s + 0.2) / 0.12)))]++;
  return bins.map((n, i) => `${(-0.2 + i * 0.12).toFixed(2)}:${n}`).join(" ");
};
console.log(`genuine histogram  ${hist(genuine)}`);
console.log(`impostor histogram ${hist(impostor)}`);

console.log(`liveness threshold ${FACE_POLICY.livenessThreshold}`);
for (const x of results.filter((x) => x.role.endsWith("_sample"))) {
  if (x.r.ok) console.log(`  ${x.file} (${x.role}): P(live) ${x.r.liveness?.toFixed(3)} -> ${x.r.live ? "live" : "refused"}`);
}
const ordinary = results.filter((x) => x.role === "verification" && x.r.ok && x.r.liveness !== undefined);
const byDir = (src: string) => {
  const s = ordinary.filter((x) => x.source === src);
  return `${s.filter((x) => x.r.ok && x.r.live).length}/${s.length}`;
};
console.log(`ordinary photos passing liveness: face_recognition ${byDir("face_recognition")}, face-api.js tight crops ${byDir("face-api.js")}`);

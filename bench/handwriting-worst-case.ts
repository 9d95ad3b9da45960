// Worst-case CPU of handwriting enrolment and verification at the longest signature accepted
// (HANDWRITING_LIMITS.maxDurationMs, 30 s). DTW visits, per pair, about n x min(m, 2w + 1) cells, w being the
// Sakoe-Chiba half-width max(20 % of the longer, length difference + 1) (features.ts): for a probe of n points it
// peaks when the other signature has about 2n/3 points (the band then covers the whole row), not at equal
// lengths. So the worst verification is a 30 s probe against references of 20 s, and the worst enrolment mixes
// 30 s and 20 s signatures. Synthetic trajectories at 100 Hz (the cost depends on the lengths only). CPU time is
// what a Worker or Durable Object is limited and billed on; wall time shows the machine's load.
//
//   npx tsx bench/handwriting-worst-case.ts     # ~1 min
import { enrollHandwriting, HANDWRITING_LIMITS, HANDWRITING_MAX_REFERENCES, verifyHandwriting, type PenTrajectory } from "../src/biometrics/handwriting";
import { fmtTime, timeIt } from "./metrics";

const MAX_MS = HANDWRITING_LIMITS.maxDurationMs;
/** A looping pen trajectory of `ms` milliseconds at 100 Hz; `seed` varies the shape a little. */
function trajectory(ms: number, seed: number): PenTrajectory {
  const t = Array.from({ length: Math.floor(ms / 10) + 1 }, (_, i) => i * 10);
  return {
    t,
    x: t.map((v) => Math.sin(v / 150 + seed) * 50 + v / 30),
    y: t.map((v) => Math.cos(v / 110 + seed) * 30),
    pressure: t.map((v) => 100 + 50 * Math.sin(v / 90 + seed)),
    hasPressure: true,
  };
}
const long = (k: number, ms: number) => Array.from({ length: k }, (_, i) => trajectory(ms, 0.1 * i));
const shortRefs = Math.round((MAX_MS * 2) / 3);

console.log(`longest signature accepted: ${MAX_MS} ms (${MAX_MS / 10 + 1} points at the engine's 10 ms step)`);
for (const [label, refMs] of [["equal lengths", MAX_MS], [`references of ${shortRefs} ms (the worst case)`, shortRefs]] as const) {
  for (const k of [5, HANDWRITING_MAX_REFERENCES]) {
    const refs = long(k, refMs);
    const model = enrollHandwriting(refs);
    const probe = trajectory(MAX_MS, 0.05);
    const verify = timeIt(() => verifyHandwriting(model, probe), 2);
    const kib = (JSON.stringify(model).length / 1024).toFixed(0);
    console.log(`  ${label}, ${k} references: verify a ${MAX_MS} ms probe ${fmtTime(verify, 0)}; model ${kib} KiB of JSON`);
  }
}
// Enrolment: every pair of references is compared once; alternating 30 s and 20 s signatures is the costliest mix.
for (const k of [5, HANDWRITING_MAX_REFERENCES]) {
  const refs = Array.from({ length: k }, (_, i) => trajectory(i % 2 ? shortRefs : MAX_MS, 0.1 * i));
  const enrol = timeIt(() => enrollHandwriting(refs), 1);
  console.log(`  enrol ${k} signatures of ${MAX_MS} / ${shortRefs} ms alternately: ${fmtTime(enrol, 0)}`);
}

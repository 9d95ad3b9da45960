// Logistic calibration of a similarity score into a log-likelihood ratio (bench/fusion.ts).
// Fits llr = slope * score + offset by Newton's method on the class-balanced logistic loss (genuine and impostor
// trials weighted to equal total weight, so the output is an LLR with no prior folded in), with a small ridge
// penalty on the slope: near-separable scores (face) would otherwise push the slope to infinity.
import type { LinearCalibration } from "../src/biometrics/fusion";

export function fitLogistic(genuine: number[], impostor: number[], modelId: string, ridge = 1e-3): LinearCalibration {
  const xs = [...genuine, ...impostor];
  const ys = [...genuine.map(() => 1), ...impostor.map(() => 0)];
  const ws = [...genuine.map(() => 0.5 / genuine.length), ...impostor.map(() => 0.5 / impostor.length)];
  let a = 1, b = 0;
  for (let it = 0; it < 100; it++) {
    // Gradient and Hessian of sum w * logloss + ridge/2 * a^2.
    let ga = ridge * a, gb = 0, haa = ridge, hab = 0, hbb = 0;
    for (let i = 0; i < xs.length; i++) {
      const p = 1 / (1 + Math.exp(-(a * xs[i]! + b)));
      const r = ws[i]! * (p - ys[i]!);
      const h = ws[i]! * p * (1 - p);
      ga += r * xs[i]!;
      gb += r;
      haa += h * xs[i]! * xs[i]!;
      hab += h * xs[i]!;
      hbb += h;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { modelId, slope: Number(a.toFixed(4)), offset: Number(b.toFixed(4)) };
}

/**
 * Joint (linear) logistic fusion of two scores: llr = wa * a + wb * b + c, fitted on the class-balanced logistic
 * loss with a small ridge on the weights (Newton's method on 3 parameters). Returned as two linear
 * calibrations whose sum is the fused LLR (the offset split evenly), which is what fuseFaceVoice computes.
 */
export function fitJoint(genuine: [number, number][], impostor: [number, number][], ids: [string, string], ridge = 1e-3): [LinearCalibration, LinearCalibration] {
  const xs = [...genuine, ...impostor];
  const ys = [...genuine.map(() => 1), ...impostor.map(() => 0)];
  const ws = [...genuine.map(() => 0.5 / genuine.length), ...impostor.map(() => 0.5 / impostor.length)];
  const th = [1, 1, 0];
  for (let it = 0; it < 100; it++) {
    const g = [ridge * th[0]!, ridge * th[1]!, 0];
    const H = [ridge, 0, 0, 0, ridge, 0, 0, 0, 0];
    for (let i = 0; i < xs.length; i++) {
      const f = [xs[i]![0], xs[i]![1], 1];
      const p = 1 / (1 + Math.exp(-(th[0]! * f[0]! + th[1]! * f[1]! + th[2]!)));
      const r = ws[i]! * (p - ys[i]!);
      const h = ws[i]! * p * (1 - p);
      for (let a = 0; a < 3; a++) {
        g[a]! += r * f[a]!;
        for (let b = 0; b < 3; b++) H[a * 3 + b]! += h * f[a]! * f[b]!;
      }
    }
    const d = solve3(H, g);
    for (let a = 0; a < 3; a++) th[a]! -= d[a]!;
    if (Math.abs(d[0]!) + Math.abs(d[1]!) + Math.abs(d[2]!) < 1e-10) break;
  }
  const r4 = (x: number) => Number(x.toFixed(4));
  return [
    { modelId: ids[0], slope: r4(th[0]!), offset: r4(th[2]! / 2) },
    { modelId: ids[1], slope: r4(th[1]!), offset: r4(th[2]! / 2) },
  ];
}

/** Solves the 3x3 system H x = g (Cramer's rule; H is symmetric positive definite here). */
function solve3(H: number[], g: number[]): number[] {
  const det = (m: number[]) => m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  const D = det(H);
  return [0, 1, 2].map((c) => det(H.map((v, i) => (i % 3 === c ? g[Math.floor(i / 3)]! : v))) / D);
}

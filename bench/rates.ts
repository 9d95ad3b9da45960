// Rates with confidence intervals, threshold rules and DET pictures for the security-level benchmarks
// (bench/voice-levels.ts, bench/fusion.ts). Scores are similarities: accept when score >= threshold.
import type { MeasuredRate } from "../src/biometrics/security-level";
import { onePerPixel, probit } from "./det-svg";

export { probit };

/** Wilson score interval (95 %). With 0 errors in N trials its upper bound is about 3.84 / N. */
export function wilson(errors: number, trials: number): [number, number] {
  if (trials === 0) return [0, 1];
  const z = 1.959964;
  const p = errors / trials;
  const den = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / den;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function measured(errors: number, trials: number): MeasuredRate {
  const r = (x: number) => Number(x.toFixed(5));
  const [lo, hi] = wilson(errors, trials);
  return { rate: r(trials ? errors / trials : 0), ci95: [r(lo), r(hi)], errors, trials };
}

export const fmrAt = (impostor: number[], t: number) => impostor.filter((s) => s >= t).length;
export const fnmrAt = (genuine: number[], t: number) => genuine.filter((s) => s < t).length;

/** Lowest threshold accepting at most `fmr` of the impostor scores (ties resolved toward rejecting). */
export function thresholdForFmr(impostor: number[], fmr: number): number {
  const s = [...impostor].sort((a, b) => b - a);
  const k = Math.floor(fmr * s.length);
  return k < s.length ? s[k]! + 1e-9 : -Infinity;
}

export const fmtRate = (m: MeasuredRate) =>
  `${(100 * m.rate).toFixed(2)} % [${(100 * m.ci95[0]).toFixed(2)}, ${(100 * m.ci95[1]).toFixed(2)}] (${m.errors}/${m.trials})`;

// ---- DET curve (FNMR against FMR on probit axes), plain SVG ----

export interface DetCurve {
  label: string;
  genuine: number[];
  impostor: number[];
  colour: string;
}
export interface DetMarker {
  label: string;
  fmr: number;
  fnmr: number;
  colour: string;
}

/** (FMR, FNMR) at every distinct score. */
function detPoints(genuine: number[], impostor: number[]): [number, number][] {
  const ts = [...new Set([...genuine, ...impostor])].sort((a, b) => a - b);
  return ts.map((t) => [fmrAt(impostor, t) / impostor.length, fnmrAt(genuine, t) / genuine.length]);
}

/** A DET plot (probit axes from `minRate` to 50 %) of the curves, with markers at operating points. */
export function detSvg(title: string, curves: DetCurve[], markers: DetMarker[] = [], minRate = 0.001): string {
  const W = 560, H = 520, L = 70, T = 40, S = 420;
  const lo = probit(minRate), hi = probit(0.5);
  // Rates of 0 are drawn just outside the axes (clipped), not at minus infinity.
  const x = (p: number) => L + ((probit(Math.max(p, minRate / 2)) - lo) / (hi - lo)) * S;
  const y = (p: number) => T + S - ((probit(Math.max(p, minRate / 2)) - lo) / (hi - lo)) * S;
  const ticks = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5].filter((t) => t >= minRate);
  const lab = (p: number) => `${+(p * 100).toPrecision(2)}%`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="20" font-size="13">${esc(title)}</text>`,
    `<defs><clipPath id="plot"><rect x="${L}" y="${T}" width="${S}" height="${S}"/></clipPath></defs>`,
  ];
  for (const p of ticks) {
    out.push(`<line x1="${x(p).toFixed(1)}" y1="${T}" x2="${x(p).toFixed(1)}" y2="${T + S}" stroke="#ddd"/>`);
    out.push(`<line x1="${L}" y1="${y(p).toFixed(1)}" x2="${L + S}" y2="${y(p).toFixed(1)}" stroke="#ddd"/>`);
    // Below 0.1 % the x labels would overlap: label only the decades there.
    if (p >= 0.001 || [0.0001, 0.001].includes(p)) out.push(`<text x="${x(p).toFixed(1)}" y="${T + S + 14}" text-anchor="middle">${lab(p)}</text>`);
    out.push(`<text x="${L - 6}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end">${lab(p)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${S}" height="${S}" fill="none" stroke="black"/>`);
  out.push(`<text x="${L + S / 2}" y="${T + S + 32}" text-anchor="middle">false match rate (FMR)</text>`);
  out.push(`<text transform="translate(18 ${T + S / 2}) rotate(-90)" text-anchor="middle">false non-match rate (FNMR)</text>`);
  curves.forEach((c, i) => {
    const pts = onePerPixel(detPoints(c.genuine, c.impostor).map(([f, n]) => `${x(f).toFixed(1)},${y(n).toFixed(1)}`));
    out.push(`<polyline clip-path="url(#plot)" fill="none" stroke="${c.colour}" stroke-width="1.6" points="${pts.join(" ")}"/>`);
    out.push(`<line x1="${L + S - 200}" y1="${T + S - 16 - 14 * i}" x2="${L + S - 180}" y2="${T + S - 16 - 14 * i}" stroke="${c.colour}" stroke-width="2"/>`);
    out.push(`<text x="${L + S - 176}" y="${T + S - 12 - 14 * i}">${esc(c.label)}</text>`);
  });
  for (const m of markers) {
    out.push(`<circle cx="${x(m.fmr).toFixed(1)}" cy="${y(m.fnmr).toFixed(1)}" r="4" fill="none" stroke="${m.colour}" stroke-width="1.5"/>`);
    out.push(`<text x="${(x(m.fmr) + 6).toFixed(1)}" y="${(y(m.fnmr) - 6).toFixed(1)}" fill="${m.colour}">${esc(m.label)}</text>`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// Hand-written SVG chart (no plotting dependency) of the face score histograms; the DET curve is bench/det-svg.ts's.
import { lowerBound } from "./stats";

export type Marker = { label: string; threshold: number };

const W = 640;
const H = 480;
const M = { left: 70, right: 20, top: 40, bottom: 60 };
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** Histograms of genuine and impostor scores (fraction of pairs per 0.02 bin, log scale), with the thresholds. */
export function histogramSvg(title: string, genuine: Float32Array, impostor: Float32Array, markers: Marker[]): string {
  const [s0, s1, bin] = [-0.4, 1.0, 0.02];
  const [y0, y1] = [-7, 0];
  const px = (s: number) => M.left + ((s - s0) / (s1 - s0)) * (W - M.left - M.right);
  const py = (f: number) => H - M.bottom - ((Math.log10(Math.max(f, 10 ** y0)) - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const bins = (v: Float32Array) => {
    const out: number[] = [];
    for (let s = s0; s < s1 - 1e-9; s += bin) out.push((lowerBound(v, s + bin) - lowerBound(v, s)) / v.length);
    return out;
  };
  // A connected step line; empty bins break it (log scale has no zero).
  const steps = (fr: number[]) =>
    fr.map((f, i) => (f > 0 ? `${i > 0 && fr[i - 1]! > 0 ? "L" : "M"}${px(s0 + i * bin).toFixed(1)},${py(f).toFixed(1)}H${px(s0 + (i + 1) * bin).toFixed(1)}` : "")).join("");
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let s = -0.4; s <= 1.0001; s += 0.2) {
    const x = px(s);
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${s.toFixed(1)}</text>`);
  }
  for (let e = y0; e <= y1; e++) out.push(`<text x="${M.left - 6}" y="${py(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="black"/>`);
  out.push(`<text x="${W / 2}" y="${H - 18}" text-anchor="middle">cosine similarity</text>`);
  out.push(`<text x="18" y="${H / 2}" text-anchor="middle" transform="rotate(-90 18 ${H / 2})">fraction of pairs per 0.02 bin</text>`);
  out.push(`<path d="${steps(bins(impostor))}" stroke="#c0392b" stroke-width="2" fill="none"/>`);
  out.push(`<path d="${steps(bins(genuine))}" stroke="#2471a3" stroke-width="2" fill="none"/>`);
  out.push(`<text x="${M.left + 8}" y="${M.top + 16}" fill="#c0392b">impostor pairs (${impostor.length})</text>`);
  out.push(`<text x="${M.left + 8}" y="${M.top + 32}" fill="#2471a3">genuine pairs (${genuine.length})</text>`);
  // Lowest threshold labelled on its left, the others on their right, so labels do not cross the lines.
  [...markers].sort((a, b) => a.threshold - b.threshold).forEach((m, i) => {
    const x = px(m.threshold);
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}" stroke="#555" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${i === 0 ? x - 4 : x + 4}" y="${M.top - 4}" text-anchor="${i === 0 ? "end" : "start"}" fill="#333">${esc(m.label)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

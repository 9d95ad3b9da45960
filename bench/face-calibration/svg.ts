// Hand-written SVG charts (no plotting dependency): the DET curve on log axes and the score histograms.
import { fmrAt, fnmrAt, lowerBound } from "./stats";

export type Curve = { label: string; colour: string; genuine: Float32Array; impostor: Float32Array; dashed?: boolean };
export type Marker = { label: string; threshold: number };

const W = 640;
const H = 480;
const M = { left: 70, right: 20, top: 40, bottom: 60 };
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** DET: false non-match rate against false match rate, both on log axes; markers at the operating points. */
export function detSvg(title: string, curves: Curve[], markers: Marker[]): string {
  const [x0, x1] = [-7, 0]; // log10 FMR
  const [y0, y1] = [-4, 0]; // log10 FNMR
  const px = (v: number) => M.left + ((Math.log10(v) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - ((Math.log10(v) - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const clampX = (v: number) => Math.min(1, Math.max(10 ** x0, v));
  const clampY = (v: number) => Math.min(1, Math.max(10 ** y0, v));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let e = x0; e <= x1; e++) {
    const x = px(10 ** e);
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">1e${e}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">1e${e}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="black"/>`);
  out.push(`<text x="${W / 2}" y="${H - 18}" text-anchor="middle">false match rate (impostor pairs accepted)</text>`);
  out.push(`<text x="18" y="${H / 2}" text-anchor="middle" transform="rotate(-90 18 ${H / 2})">false non-match rate (genuine pairs refused)</text>`);
  curves.forEach((c, ci) => {
    // One point per genuine score (where FNMR steps) plus a fine threshold grid (where FMR moves).
    const ts = new Set<number>();
    for (let t = -0.2; t <= 1; t += 0.0005) ts.add(Math.round(t * 1e4) / 1e4);
    for (const g of c.genuine) ts.add(g);
    const pts = [...ts].sort((a, b) => a - b).map((t) => [fmrAt(c.impostor, t).rate, fnmrAt(c.genuine, t).rate] as const);
    // Consecutive points on the same pixel are dropped (keeps the file small).
    const xy = pts.filter(([a, b]) => a > 0 && b > 0).map(([a, b]) => `${px(clampX(a)).toFixed(1)},${py(clampY(b)).toFixed(1)}`);
    const path = xy.filter((p, i) => p !== xy[i - 1]).map((p, i) => `${i ? "L" : "M"}${p}`).join("");
    const dash = c.dashed ? ` stroke-dasharray="6 3"` : "";
    out.push(`<path d="${path}" fill="none" stroke="${c.colour}" stroke-width="1.8"${dash}/>`);
    out.push(`<line x1="${W - 290}" y1="${M.top + 16 + ci * 18}" x2="${W - 270}" y2="${M.top + 16 + ci * 18}" stroke="${c.colour}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${W - 265}" y="${M.top + 20 + ci * 18}">${esc(c.label)}</text>`);
    for (const m of markers) {
      const a = fmrAt(c.impostor, m.threshold).rate;
      const b = fnmrAt(c.genuine, m.threshold).rate;
      const x = px(clampX(a || 10 ** x0));
      const y = py(clampY(b || 10 ** y0));
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="none" stroke="${c.colour}" stroke-width="2"/>`);
      if (ci === 0) out.push(`<text x="${(x + 8).toFixed(1)}" y="${(y - 8).toFixed(1)}">${esc(m.label)}</text>`);
    }
  });
  out.push(`<text x="${M.left + 4}" y="${H - M.bottom - 6}" font-size="10" fill="#555">rates of 0 are drawn on the axis; points below 1/pairs are not measurable</text>`);
  out.push("</svg>");
  return out.join("\n");
}

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

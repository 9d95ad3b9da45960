// A DET curve (false non-match rate against false match rate on normal-deviate axes, the usual biometric plot)
// written as a small hand-made SVG, so the bench scripts can draw their pictures into docs/ without a plotting
// dependency. The one DET writer of the benches (face, voice, fusion, handwriting, keystroke). Scores are distances
// (accept when distance <= threshold) unless a curve says `similarity` (accept when score >= threshold).

/** Drops consecutive points that land on the same pixel: the same line, a file a fraction of the size. */
export const onePerPixel = (pts: string[]) => pts.filter((p, i) => p !== pts[i - 1]);

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9). */
export function probit(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q0 = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  if (q0 < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(q0));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (q0 > 1 - 0.02425) return -probit(1 - q0);
  const q = q0 - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface DetCurve {
  label: string;
  colour: string;
  genuine: ArrayLike<number>;
  impostor: ArrayLike<number>;
  dashed?: boolean;
  /** Scores are similarities (higher = more alike), as face cosines and voice scores are. */
  similarity?: boolean;
}
export interface DetPoint {
  label: string;
  fmr: number;
  fnmr: number;
  colour?: string;
}

/** (FMR, FNMR) at every distinct threshold, from "reject all" to "accept all". */
function curvePoints(c: DetCurve): [number, number][] {
  const sign = c.similarity ? -1 : 1; // a similarity is a distance with the sign turned
  const tagged = (v: ArrayLike<number>, g: 0 | 1) => Array.from(v, (x) => [sign * x, g] as const);
  const all = [...tagged(c.genuine, 1), ...tagged(c.impostor, 0)].sort((x, y) => x[0] - y[0]);
  const genuine = c.genuine, impostor = c.impostor;
  const out: [number, number][] = [[0, 1]];
  let g = 0;
  let i = 0;
  for (let k = 0; k < all.length; k++) {
    if (all[k]![1]) g++;
    else i++;
    if (k + 1 < all.length && all[k + 1]![0] === all[k]![0]) continue;
    out.push([i / impostor.length, 1 - g / genuine.length]);
  }
  return out;
}

const TICKS = [1e-7, 1e-6, 1e-5, 0.0001, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4];
const tickLabel = (v: number) => (v < 1e-4 ? `1e${Math.round(Math.log10(v))}` : `${+(v * 100).toFixed(2)}%`);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** `minRate`: the plot's lowest false match rate (default 0.008 %, where random forgeries' FMR lives; the face
 * needs 1e-7); `minFnmr`: its lowest false non-match rate (default the same). */
export function detSvg(title: string, curves: DetCurve[], points: DetPoint[], note: string, minRate = 0.00008, minFnmr = minRate): string {
  const LOW = minRate;
  // Wide enough for the legend's longest label (about 6.6 px a character at 12 px).
  const W = Math.max(720, 70 + 420 + 40 + Math.ceil(Math.max(0, ...curves.map((c) => c.label.length)) * 6.6) + 10);
  const H = 600;
  const L = 70;
  const T = 50;
  const S = 420; // square plot area
  const [loX, loY] = [probit(LOW), probit(minFnmr)];
  const hi = probit(0.45);
  const px = (r: number) => L + ((probit(r) - loX) / (hi - loX)) * S;
  const py = (r: number) => T + S - ((probit(r) - loY) / (hi - loY)) * S;
  const insideX = (r: number) => Math.min(Math.max(r, LOW), 0.45);
  const insideY = (r: number) => Math.min(Math.max(r, minFnmr), 0.45);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (const t of TICKS.filter((t) => t >= LOW)) {
    out.push(`<line x1="${px(t).toFixed(1)}" y1="${T}" x2="${px(t).toFixed(1)}" y2="${T + S}" stroke="#ddd"/>`);
    out.push(`<text x="${px(t).toFixed(1)}" y="${T + S + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of TICKS.filter((t) => t >= minFnmr)) {
    out.push(`<line x1="${L}" y1="${py(t).toFixed(1)}" x2="${L + S}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  const eq = Math.max(LOW, minFnmr); // the equal-error diagonal, FMR = FNMR
  out.push(`<line x1="${px(eq).toFixed(1)}" y1="${py(eq).toFixed(1)}" x2="${px(0.45)}" y2="${py(0.45)}" stroke="#bbb" stroke-dasharray="3,3"/>`);
  out.push(`<rect x="${L}" y="${T}" width="${S}" height="${S}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${L + S / 2}" y="${T + S + 36}" text-anchor="middle">false match rate (impostor accepted)</text>`);
  out.push(`<text transform="translate(18 ${T + S / 2}) rotate(-90)" text-anchor="middle">false non-match rate (genuine refused)</text>`);
  out.push(`<clipPath id="plot"><rect x="${L}" y="${T}" width="${S}" height="${S}"/></clipPath>`);
  curves.forEach((c, k) => {
    const pts = onePerPixel(
      curvePoints(c)
        .filter(([f, n]) => f <= 0.6 && n <= 0.6)
        .map(([f, n]) => `${px(insideX(f)).toFixed(1)},${py(insideY(n)).toFixed(1)}`),
    );
    out.push(`<polyline clip-path="url(#plot)" fill="none" stroke="${c.colour}" stroke-width="2"${c.dashed ? ' stroke-dasharray="6,3"' : ""} points="${pts.join(" ")}"/>`);
    const ly = T + 16 + 18 * k;
    out.push(`<line x1="${L + S + 12}" y1="${ly - 4}" x2="${L + S + 36}" y2="${ly - 4}" stroke="${c.colour}" stroke-width="2"${c.dashed ? ' stroke-dasharray="6,3"' : ""}/>`);
    out.push(`<text x="${L + S + 40}" y="${ly}">${esc(c.label)}</text>`);
  });
  points.forEach((p, k) => {
    const x = px(insideX(p.fmr));
    const y = py(insideY(p.fnmr));
    const colour = p.colour ?? "black";
    out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    out.push(`<text x="${(x + 8).toFixed(1)}" y="${(y - 6).toFixed(1)}" font-size="11" fill="${colour}">${esc(p.label)}</text>`);
    void k;
  });
  note.split("\n").forEach((line, k) => out.push(`<text x="${L}" y="${T + S + 58 + 15 * k}" font-size="11" fill="#444">${esc(line)}</text>`));
  out.push("</svg>");
  return out.join("\n") + "\n";
}

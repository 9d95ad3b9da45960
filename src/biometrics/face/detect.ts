// Post-processing of the detector's output: its scores are already softmaxed (column 1 = face) and its
// boxes already decoded to normalised x1, y1, x2, y2 (slightly outside [0, 1] at the borders).
export type Box = { x1: number; y1: number; x2: number; y2: number; score: number };

/**
 * Candidates above minScore, clamped to the frame and scaled to pixels, then greedy NMS in order of
 * score (the package's JS sorts by position, which keeps background boxes). Highest score first.
 */
export function decodeDetections(
  scores: Float32Array,
  boxes: Float32Array,
  width: number,
  height: number,
  minScore: number,
  iouThreshold = 0.3,
): Box[] {
  const candidates: Box[] = [];
  const n = scores.length / 2;
  const clamp = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  for (let i = 0; i < n; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < minScore) continue;
    const x1 = clamp(boxes[i * 4]!) * width;
    const y1 = clamp(boxes[i * 4 + 1]!) * height;
    const x2 = clamp(boxes[i * 4 + 2]!) * width;
    const y2 = clamp(boxes[i * 4 + 3]!) * height;
    if (x2 - x1 < 1 || y2 - y1 < 1) continue;
    candidates.push({ x1, y1, x2, y2, score });
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: Box[] = [];
  for (const c of candidates) {
    if (kept.every((k) => iou(k, c) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

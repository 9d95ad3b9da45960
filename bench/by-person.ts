// Errors by person: how a security level's refusals and false matches spread over the people measured. A pooled
// FNMR of 7 % can mean every student is refused 1 time in 14, or a few students almost always: the second is a
// fairness problem (the same students asked again and again) that pooled rates hide. The level benches
// (keystroke, handwriting, voice) count their held-out decisions with `count` and hand them to `reportByPerson`,
// which prints the spread per level and draws docs/<modality>-by-person.svg.
import { writeFileSync } from "node:fs";

/** One person's held-out decisions at one level: their own attempts, and other people's attempts claiming them. */
export interface PersonErrors {
  person: string;
  genuine: number;
  refused: number;
  impostor: number;
  accepted: number;
}

/** Adds one decision to `person`'s counts in `rows`. */
export function count(rows: Map<string, PersonErrors>, person: string, genuine: boolean, accepted: boolean) {
  const r = rows.get(person) ?? { person, genuine: 0, refused: 0, impostor: 0, accepted: 0 };
  if (genuine) (r.genuine++, (r.refused += accepted ? 0 : 1));
  else (r.impostor++, (r.accepted += accepted ? 1 : 0));
  rows.set(person, r);
}

/** What the rows say in one line: how concentrated the refusals and false matches are. */
export function describeSpread(rows: PersonErrors[]): string {
  const refused = rows.reduce((s, r) => s + r.refused, 0);
  const accepted = rows.reduce((s, r) => s + r.accepted, 0);
  const byRefusals = [...rows].sort((a, b) => b.refused - a.refused);
  const tenth = Math.max(1, Math.round(rows.length / 10));
  const topShare = refused ? byRefusals.slice(0, tenth).reduce((s, r) => s + r.refused, 0) / refused : 0;
  const worst = byRefusals[0]!;
  const byLamb = [...rows].sort((a, b) => b.accepted / Math.max(1, b.impostor) - a.accepted / Math.max(1, a.impostor))[0]!;
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  return (
    `${rows.length} people; refused at least once: ${rows.filter((r) => r.refused > 0).length}; ` +
    `the ${tenth} most refused make ${pct(topShare)} of the ${refused} refusals (worst: ${worst.person}, ${worst.refused}/${worst.genuine}); ` +
    `claimed identities with a false match: ${rows.filter((r) => r.accepted > 0).length} (most: ${byLamb.person}, ${byLamb.accepted}/${byLamb.impostor}; ${accepted} in all)`
  );
}

/** Prints each level's spread under `heading` and writes the picture to `path` (from the repository root). */
export function reportByPerson(path: string, heading: string, title: string, levels: [string, PersonErrors[]][], note: string) {
  console.log(`\n${heading}:`);
  for (const [level, rows] of levels) console.log(`  ${level}: ${describeSpread(rows)}`);
  const colours = ["#c0392b", "#2471a3"];
  writeFileSync(path, byPersonSvg(title, levels.map(([label, rows], k) => ({ label, colour: colours[k % colours.length]!, rows })), note));
  console.log(`wrote ${path}`);
}

export interface PersonSeries {
  label: string;
  colour: string;
  rows: PersonErrors[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Two panels: per person, the share of their own attempts refused (left) and the share of other people's attempts
 * claiming them that were accepted (right), people ranked from worst to best, one stepped line per level, and the
 * level's pooled rate dashed. A flat line near the dashed one = errors spread evenly; a line that falls at once
 * from high values = a few people carry them.
 */
export function byPersonSvg(title: string, series: PersonSeries[], note: string): string {
  const W = 900, T = 50, P = 340, G = 90, L = 70;
  const H = T + P + 72 + 15 * note.split("\n").length;
  const panels = [
    { x: L, label: "own attempts refused (FNMR per person)", rate: (r: PersonErrors) => r.refused / Math.max(1, r.genuine), pooled: (rs: PersonErrors[]) => sum(rs, "refused") / Math.max(1, sum(rs, "genuine")) },
    { x: L + P + G, label: "others accepted as this person (FMR per person)", rate: (r: PersonErrors) => r.accepted / Math.max(1, r.impostor), pooled: (rs: PersonErrors[]) => sum(rs, "accepted") / Math.max(1, sum(rs, "impostor")) },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const panel of panels) {
    // The y axis runs to the largest per-person rate (at least 10 %), square-root scaled so small rates stay visible.
    const top = Math.max(0.1, ...series.flatMap((s) => s.rows.map(panel.rate)));
    const y = (v: number) => T + P - Math.sqrt(v / top) * P;
    const x = (i: number, n: number) => panel.x + (i / n) * P;
    for (const t of [0, 0.01, 0.05, 0.1, 0.2, 0.5, 1].filter((t) => t <= top * 0.9).concat(top)) {
      out.push(`<line x1="${panel.x}" y1="${y(t).toFixed(1)}" x2="${panel.x + P}" y2="${y(t).toFixed(1)}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${panel.x - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${+(t * 100).toFixed(t === top ? 1 : 0)}%</text>`);
    }
    out.push(`<rect x="${panel.x}" y="${T}" width="${P}" height="${P}" fill="none" stroke="#333"/>`);
    out.push(`<text x="${panel.x + P / 2}" y="${T + P + 18}" text-anchor="middle">people, from most to least affected</text>`);
    out.push(`<text x="${panel.x}" y="${T - 8}">${esc(panel.label)}</text>`);
    for (const s of series) {
      const rates = s.rows.map(panel.rate).sort((a, b) => b - a);
      const pts = rates.flatMap((v, i) => [`${x(i, rates.length).toFixed(1)},${y(v).toFixed(1)}`, `${x(i + 1, rates.length).toFixed(1)},${y(v).toFixed(1)}`]);
      out.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.join(" ")}"/>`);
      const p = y(panel.pooled(s.rows));
      out.push(`<line x1="${panel.x}" y1="${p.toFixed(1)}" x2="${panel.x + P}" y2="${p.toFixed(1)}" stroke="${s.colour}" stroke-dasharray="5,4"/>`);
    }
  }
  series.forEach((s, k) => {
    const lx = L + 240 * k;
    out.push(`<line x1="${lx}" y1="${T + P + 40}" x2="${lx + 24}" y2="${T + P + 40}" stroke="${s.colour}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 30}" y="${T + P + 44}">${esc(s.label)} (dashed: pooled rate)</text>`);
  });
  note.split("\n").forEach((line, k) => out.push(`<text x="${L}" y="${T + P + 66 + 15 * k}" font-size="11" fill="#444">${esc(line)}</text>`));
  out.push("</svg>");
  return out.join("\n") + "\n";
}

const sum = (rs: PersonErrors[], k: "genuine" | "refused" | "impostor" | "accepted") => rs.reduce((s, r) => s + r[k], 0);

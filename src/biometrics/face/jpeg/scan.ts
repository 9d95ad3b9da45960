// One scan of a baseline or progressive (Huffman) JPEG into the frame's coefficient stores
// (T.81 annex F for sequential, G.1.2 for progressive). Every coefficient is entropy-decoded (the
// bit stream cannot be skipped inside a scan), but only the kept positions are stored.
import { BitReader, type HuffmanTable, JpegError } from "./bits";
import type { Component, Frame } from "./frame";

export type ScanHeader = {
  comps: { c: Component; dc: HuffmanTable | undefined; ac: HuffmanTable | undefined }[];
  ss: number;
  se: number;
  ah: number;
  al: number;
  restartInterval: number;
};

type Mode = "baseline" | "dcFirst" | "dcRefine" | "acFirst" | "acRefine";

export function decodeScan(f: Frame, s: ScanHeader, d: Uint8Array, start: number, end: number): void {
  const r = new BitReader(d, start, end);
  const st: State = { eobrun: 0, slot: f.slot, n2: f.n * f.n, ss: s.ss, se: s.se, al: s.al };
  let mode: Mode = "baseline";
  if (f.progressive && s.ss === 0) {
    if (s.se !== 0) throw new JpegError("progressive DC scan with AC coefficients");
    mode = s.ah === 0 ? "dcFirst" : "dcRefine";
  } else if (f.progressive) {
    if (s.comps.length !== 1 || s.se > 63 || s.ss > s.se) throw new JpegError("bad progressive AC scan");
    mode = s.ah === 0 ? "acFirst" : "acRefine";
  }
  for (const { c, dc, ac } of s.comps) {
    c.pred = 0;
    if (((mode === "baseline" || mode === "dcFirst") && !dc) || ((mode === "baseline" || mode.startsWith("ac")) && !ac)) {
      throw new JpegError("scan uses an undefined Huffman table");
    }
  }
  const ri = s.restartInterval;
  let unit = 0;
  if (s.comps.length === 1) {
    // Non-interleaved: the component's own blocks in raster order, one block per restart unit.
    const { c, dc, ac } = s.comps[0]!;
    for (let by = 0; by < c.bh; by++) {
      for (let bx = 0; bx < c.bw; bx++, unit++) {
        if (ri > 0 && unit > 0 && unit % ri === 0) restart(r, st, s);
        block(mode, r, st, c, dc!, ac!, by * c.bwPad + bx);
      }
      stopIfPastEnd(r);
    }
  } else {
    const comps = s.comps;
    for (let my = 0; my < f.mcusY; my++) {
      for (let mx = 0; mx < f.mcusX; mx++, unit++) {
        if (ri > 0 && unit > 0 && unit % ri === 0) restart(r, st, s);
        for (let i = 0; i < comps.length; i++) {
          const { c, dc, ac } = comps[i]!;
          for (let v = 0; v < c.v; v++) {
            const row = (my * c.v + v) * c.bwPad + mx * c.h;
            for (let h = 0; h < c.h; h++) block(mode, r, st, c, dc!, ac!, row + h);
          }
        }
      }
      stopIfPastEnd(r);
    }
  }
}

/**
 * Checked after every row of blocks: a header claiming 50 MP in front of a few bytes of data stops at the
 * first row instead of decoding a million blocks of padding.
 */
function stopIfPastEnd(r: BitReader): void {
  if (r.overrun() > 16) throw new JpegError("the data ends inside a scan");
}

function restart(r: BitReader, st: State, s: ScanHeader): void {
  r.restart();
  for (const { c } of s.comps) c.pred = 0;
  st.eobrun = 0;
}

function block(mode: Mode, r: BitReader, st: State, c: Component, dc: HuffmanTable, ac: HuffmanTable, bi: number): void {
  switch (mode) {
    case "baseline":
      return baselineBlock(r, st, c, dc, ac, bi * st.n2);
    case "dcFirst":
      return dcFirst(r, st, c, dc, bi * st.n2);
    case "dcRefine":
      return dcRefine(r, st, c, bi * st.n2);
    case "acFirst":
      return acFirst(r, st, c, ac, bi);
    case "acRefine":
      return acRefine(r, st, c, ac, bi);
  }
}

type State = { eobrun: number; slot: Int8Array; n2: number; ss: number; se: number; al: number };

function baselineBlock(r: BitReader, st: State, c: Component, dc: HuffmanTable, ac: HuffmanTable, b: number): void {
  const t = r.decode(dc);
  c.pred += t === 0 ? 0 : r.receiveExtend(t);
  const coef = c.coef;
  coef[b] = c.pred;
  const slot = st.slot;
  const fast = ac.fastAc;
  for (let k = 1; k < 64; ) {
    const f = fast[r.peek9()]!;
    if (f !== 0) {
      // Code, run and value in one lookup.
      r.drop(f & 15);
      k += (f >> 4) & 15;
      const at = slot[k]!;
      if (at >= 0) coef[b + at] = f >> 8;
      k++;
      continue;
    }
    const rs = r.decode(ac);
    const size = rs & 15;
    if (size === 0) {
      if (rs !== 0xf0) break;
      k += 16;
      continue;
    }
    k += rs >> 4;
    const v = r.receiveExtend(size);
    const at = slot[k]!;
    if (at >= 0) coef[b + at] = v;
    k++;
  }
}

function dcFirst(r: BitReader, st: State, c: Component, dc: HuffmanTable, b: number): void {
  const t = r.decode(dc);
  c.pred += t === 0 ? 0 : r.receiveExtend(t);
  c.coef[b] = c.pred * (1 << st.al);
}

function dcRefine(r: BitReader, st: State, c: Component, b: number): void {
  if (r.receive(1)) c.coef[b] = c.coef[b]! | (1 << st.al);
}

function acFirst(r: BitReader, st: State, c: Component, ac: HuffmanTable, bi: number): void {
  if (st.eobrun > 0) {
    st.eobrun--;
    return;
  }
  const nz = c.nonzero!;
  const b = bi * st.n2;
  const w = bi * 2;
  const slot = st.slot;
  const se = st.se;
  const fast = ac.fastAc;
  for (let k = st.ss; k <= se; ) {
    const f = fast[r.peek9()]!;
    if (f !== 0) {
      r.drop(f & 15);
      k += (f >> 4) & 15;
      if (k > 63) break;
      const at = slot[k]!;
      if (at >= 0) c.coef[b + at] = (f >> 8) * (1 << st.al);
      nz[w + (k >> 5)]! |= 1 << (k & 31);
      k++;
      continue;
    }
    const rs = r.decode(ac);
    const size = rs & 15;
    const run = rs >> 4;
    if (size === 0) {
      if (run < 15) {
        st.eobrun = (1 << run) - 1 + (run > 0 ? r.receive(run) : 0);
        break;
      }
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) break;
    const v = r.receiveExtend(size) * (1 << st.al);
    const at = slot[k]!;
    if (at >= 0) c.coef[b + at] = v;
    nz[w + (k >> 5)]! |= 1 << (k & 31);
    k++;
  }
}

/** A correction bit for coefficient k, already non-zero: it moves away from zero by p1 (G.1.2.3). */
function correct(r: BitReader, coef: Int16Array, at: number, p1: number): void {
  if (r.receive(1) && at >= 0 && (coef[at]! & p1) === 0) coef[at]! += coef[at]! >= 0 ? p1 : -p1;
}

function acRefine(r: BitReader, st: State, c: Component, ac: HuffmanTable, bi: number): void {
  const p1 = 1 << st.al;
  const nz = c.nonzero!;
  const coef = c.coef;
  const slot = st.slot;
  const b = bi * st.n2;
  const w = bi * 2;
  const se = st.se;
  let k = st.ss;
  if (st.eobrun <= 0) {
    for (; k <= se; k++) {
      const rs = r.decode(ac);
      let run = rs >> 4;
      const size = rs & 15;
      let value = 0;
      if (size !== 0) value = r.receive(1) ? p1 : -p1;
      else if (run !== 15) {
        st.eobrun = (1 << run) + (run > 0 ? r.receive(run) : 0);
        break;
      }
      // Step over `run` coefficients that are still zero, correcting the non-zero ones met on the way.
      while (k <= se) {
        if ((nz[w + (k >> 5)]! >>> (k & 31)) & 1) correct(r, coef, slot[k]! >= 0 ? b + slot[k]! : -1, p1);
        else if (--run < 0) break;
        k++;
      }
      if (value !== 0 && k <= 63) {
        if (slot[k]! >= 0) coef[b + slot[k]!] = value;
        nz[w + (k >> 5)]! |= 1 << (k & 31);
      }
    }
  }
  if (st.eobrun > 0) {
    // Inside an end-of-band run only the non-zero coefficients take a bit: jump from one set bit to the next.
    while (k <= se) {
      const word = nz[w + (k >> 5)]! >>> (k & 31);
      if (word === 0) {
        k = (k | 31) + 1;
        continue;
      }
      k += 31 - Math.clz32(word & -word);
      if (k > se) break;
      correct(r, coef, slot[k]! >= 0 ? b + slot[k]! : -1, p1);
      k++;
    }
    st.eobrun--;
  }
}

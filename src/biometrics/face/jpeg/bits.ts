// Huffman tables and the entropy-coded bit stream of a JPEG scan (ITU-T T.81, annexes C and F.2.2).
// Hand-written: the entropy decoding of a 48 MP phone photo is most of the work of a scaled decode, so
// it is kept tight (a 9-bit lookup for short codes, a 32-bit buffer, no allocation per symbol).

export class JpegError extends Error {}

const LOOKAHEAD = 9;

export class HuffmanTable {
  /** lookup[next 9 bits] = (code length << 8) | symbol, or 0 when the code is longer than 9 bits. */
  readonly lookup = new Uint16Array(1 << LOOKAHEAD);
  /** Per code length, the largest code of that length (-1 when none) and the offset of its symbols. */
  readonly maxCode = new Int32Array(17).fill(-1);
  readonly valOffset = new Int32Array(17);
  /**
   * For AC tables (stb_image's idea): fastAc[next 9 bits] = (value << 8) | (run << 4) | bits used, when a
   * code and its value bits fit in 9 bits together, else 0. Most coefficients of a photo take this path.
   */
  readonly fastAc = new Int16Array(1 << LOOKAHEAD);

  constructor(counts: Uint8Array, readonly values: Uint8Array) {
    let code = 0;
    let k = 0;
    for (let len = 1; len <= 16; len++) {
      const n = counts[len - 1]!;
      this.valOffset[len] = k - code;
      for (let i = 0; i < n; i++, code++, k++) {
        if (len <= LOOKAHEAD) {
          const first = code << (LOOKAHEAD - len);
          this.lookup.fill((len << 8) | values[k]!, first, first + (1 << (LOOKAHEAD - len)));
        }
      }
      if (code > 1 << len) throw new JpegError("bad Huffman table");
      if (n > 0) this.maxCode[len] = code - 1;
      code <<= 1;
    }
    if (k > values.length) throw new JpegError("bad Huffman table");
    for (let i = 0; i < 1 << LOOKAHEAD; i++) {
      const e = this.lookup[i]!;
      const len = e >> 8;
      const size = e & 15;
      if (len === 0 || size === 0 || len + size > LOOKAHEAD) continue;
      const bits = (i >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
      const value = bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits;
      this.fastAc[i] = value * 256 + ((e & 0xf0) >> 4) * 16 + len + size;
    }
  }
}

/** Reads bits MSB-first from [pos, end), removing stuffed zero bytes; past a marker it yields zeros. */
export class BitReader {
  private buf = 0;
  private bits = 0;
  private atMarker = false;
  /** Zero bytes fed in past the end of the data or a marker. */
  private padded = 0;

  constructor(private readonly data: Uint8Array, private pos: number, private readonly end: number) {}

  private fill(): void {
    const d = this.data;
    while (this.bits <= 24) {
      let b = 0;
      if (this.atMarker || this.pos >= this.end) this.padded++;
      else {
        b = d[this.pos]!;
        if (b === 0xff) {
          if (d[this.pos + 1] === 0) this.pos += 2;
          else {
            this.atMarker = true;
            this.padded++;
            b = 0;
          }
        } else this.pos++;
      }
      this.buf = (this.buf << 8) | b;
      this.bits += 8;
    }
  }

  /** The next 9 bits (zeros past the end) without consuming them. */
  peek9(): number {
    if (this.bits < 16) this.fill();
    return (this.buf >>> (this.bits - LOOKAHEAD)) & 0x1ff;
  }

  /** Consumes n <= 9 bits after peek9. */
  drop(n: number): void {
    this.bits -= n;
  }

  decode(t: HuffmanTable): number {
    if (this.bits < 16) this.fill();
    const e = t.lookup[(this.buf >>> (this.bits - LOOKAHEAD)) & 0x1ff]!;
    if (e !== 0) {
      this.bits -= e >> 8;
      return e & 0xff;
    }
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      const code = (this.buf >>> (this.bits - len)) & ((1 << len) - 1);
      if (code <= t.maxCode[len]!) {
        this.bits -= len;
        return t.values[code + t.valOffset[len]!]!;
      }
    }
    throw new JpegError("bad Huffman code");
  }

  /** n raw bits (0 <= n <= 16) as an unsigned number. */
  receive(n: number): number {
    if (this.bits < n) this.fill();
    this.bits -= n;
    return (this.buf >>> this.bits) & ((1 << n) - 1);
  }

  /** n bits as the signed value of T.81 F.2.2.1 (EXTEND). */
  receiveExtend(n: number): number {
    if (n === 0) return 0;
    const v = this.receive(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  skip(n: number): void {
    if (this.bits < n) this.fill();
    this.bits -= n;
  }

  /** Bits taken from the zero padding: more than a byte or two means the data ended before the scan did. */
  overrun(): number {
    return this.padded * 8 - this.bits;
  }

  /** At a restart interval: drop the partial byte and step over the RSTn marker (searched for if damaged). */
  restart(): void {
    if (this.overrun() > 16) throw new JpegError("the data ends inside a restart interval");
    this.buf = 0;
    this.bits = 0;
    this.padded = 0;
    this.atMarker = false;
    const d = this.data;
    let p = this.pos;
    while (p + 1 < this.end && !(d[p] === 0xff && d[p + 1]! >= 0xd0 && d[p + 1]! <= 0xd7)) p++;
    this.pos = Math.min(p + 2, this.end);
  }
}

/** End of the entropy-coded data starting at `p`: the first marker that is not a stuffed byte or RSTn. */
export function entropyEnd(d: Uint8Array, p: number): number {
  for (;;) {
    const i = d.indexOf(0xff, p);
    if (i < 0 || i + 1 >= d.length) return d.length;
    const n = d[i + 1]!;
    if (n === 0 || (n >= 0xd0 && n <= 0xd7) || n === 0xff) p = i + 1;
    else return i;
  }
}

// Several channels to the one the features read. Two channels are never averaged: one of them is used. A stereo
// microphone pair (a USB microphone, a phone's or laptop's two microphones) hears the voice a fraction of a
// millisecond later on one side, and the mean of two delayed copies is a comb filter (notches at 1, 3, 5, 7 kHz for
// half a millisecond) that moved genuine clips below the threshold while each channel alone passed (a probe: 12 of
// 50 genuine clips refused); channels in opposite phase (some laptop arrays, a miswired cable) cancel in the mean.
// Which one: the one that sounds more like speech, i.e. whose loudness swings more between syllables and pauses (a
// steady hum, tone or hiss in one channel was louder than the voice in the other, and the clip was judged to hold no
// voice: a probe), unless one is near silent; when both swing alike (one voice in both), the louder.
// A mono signal in both channels (most browsers' recordings) is the same either way. With more than two channels
// only the mean and the first are at hand: the mean, unless it keeps less than a tenth of the first's energy.

const energy = (x: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e;
};

/** Loudness of the loud frames and how far the quiet ones fall below them (dB), over 32 ms frames at any rate. */
function swing(x: Float32Array): { loudDb: number; rangeDb: number } {
  const frame = 512;
  const db: number[] = [];
  for (let start = 0; start + frame <= x.length; start += frame) {
    db.push(10 * Math.log10(energy(x.subarray(start, start + frame)) / frame + 1e-12));
  }
  if (db.length === 0) return { loudDb: 10 * Math.log10(energy(x) / Math.max(1, x.length) + 1e-12), rangeDb: 0 };
  db.sort((a, b) => a - b);
  const at = (q: number) => db[Math.min(db.length - 1, Math.floor(q * db.length))]!;
  return { loudDb: at(0.95), rangeDb: at(0.95) - at(0.1) };
}

/** Of two channels, the one to read (see above). */
function pickChannel(a: Float32Array, b: Float32Array): Float32Array {
  const sa = swing(a);
  const sb = swing(b);
  // A dead (or nearly) channel is not a candidate, however its noise floor swings.
  if (sa.loudDb < sb.loudDb - 30) return b;
  if (sb.loudDb < sa.loudDb - 30) return a;
  if (Math.abs(sa.rangeDb - sb.rangeDb) > 6) return sa.rangeDb > sb.rangeDb ? a : b;
  return energy(b) > energy(a) ? b : a;
}

/**
 * `mean`: the channels' mean; `first`: the first channel alone (same scale); `channels`: how many were mixed. With
 * two channels the second is 2 x mean - first.
 */
export function chooseMono(mean: Float32Array, first: Float32Array | undefined, channels: number): Float32Array {
  if (!first || channels < 2) return mean;
  if (channels === 2) return pickChannel(first, mean.map((m, i) => 2 * m - first[i]!));
  return energy(mean) < 0.1 * energy(first) ? first : mean;
}

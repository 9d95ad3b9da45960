// Several channels to the one the features read. Two channels are never averaged: the louder one is used. A stereo
// microphone pair (a USB microphone, a phone's or laptop's two microphones) hears the voice a fraction of a
// millisecond later on one side, and the mean of two delayed copies is a comb filter (notches at 1, 3, 5, 7 kHz for
// half a millisecond) that moved genuine clips below the threshold while each channel alone passed (a probe: 12 of
// 50 genuine clips refused); channels in opposite phase (some laptop arrays, a miswired cable) cancel in the mean.
// A mono signal in both channels (most browsers' recordings) is the same either way. With more than two channels
// only the mean and the first are at hand: the mean, unless it keeps less than a tenth of the first's energy.

const energy = (x: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e;
};

/**
 * `mean`: the channels' mean; `first`: the first channel alone (same scale); `channels`: how many were mixed. With
 * two channels the second is 2 x mean - first.
 */
export function chooseMono(mean: Float32Array, first: Float32Array | undefined, channels: number): Float32Array {
  if (!first || channels < 2) return mean;
  if (channels === 2) {
    const second = mean.map((m, i) => 2 * m - first[i]!);
    return energy(second) > energy(first) ? second : first;
  }
  return energy(mean) < 0.1 * energy(first) ? first : mean;
}

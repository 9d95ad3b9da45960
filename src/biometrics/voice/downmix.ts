// Several channels to the one the features read. Normally their mean; but channels in opposite phase (some laptop
// microphone arrays, a miswired cable) cancel in the mean, and a speaking student would be judged silent: when the
// mean keeps less than a tenth of the louder channel's energy, that channel is used instead.

const energy = (x: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
  return e;
};

/**
 * `mean`: the channels' mean; `first`: the first channel alone (same scale); `channels`: how many were mixed. With
 * two channels the second is 2 x mean - first; with more, only the first is the alternative.
 */
export function chooseMono(mean: Float32Array, first: Float32Array | undefined, channels: number): Float32Array {
  if (!first || channels < 2) return mean;
  const second = channels === 2 ? mean.map((m, i) => 2 * m - first[i]!) : undefined;
  const eFirst = energy(first);
  const eSecond = second ? energy(second) : 0;
  const louder = eSecond > eFirst ? second! : first;
  return energy(mean) < 0.1 * Math.max(eFirst, eSecond) ? louder : mean;
}

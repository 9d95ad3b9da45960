// The mains-hum notch (src/biometrics/voice/hum.ts): a line at 50 or 60 Hz and its harmonics is found and removed;
// a clip without one is returned as it is.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findMainsHum, removeMainsHum } from "../../src/biometrics/voice/hum";
import { extractVoiceFeatures } from "../../src/biometrics/voice/features";
import { parseWav } from "../../src/biometrics/voice/wav";

const CLIP = new URL("../../../shared/data/voice/eval/2414/", import.meta.url);
const hasData = (() => {
  try {
    readFileSync(new URL("2414-128291-0006.wav", CLIP));
    return true;
  } catch {
    return false;
  }
})();
const speech = () => parseWav(readFileSync(new URL("2414-128291-0006.wav", CLIP))).samples;
const withHum = (x: Float32Array, hz: number[], amplitude: number) =>
  x.map((v, i) => v + hz.reduce((a, f) => a + amplitude * Math.sin((2 * Math.PI * f * i) / 16000), 0));
const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);

describe.skipIf(!hasData)("mains hum", () => {
  it("finds a 50 Hz line and a 60 Hz buzz under speech, and nothing in white noise", () => {
    const x = speech();
    expect(findMainsHum(withHum(x, [50], 0.008))).toMatchObject({ hz: 50 });
    expect(findMainsHum(withHum(x, [60, 120, 180], 0.004))).toMatchObject({ hz: 60, harmonics: expect.arrayContaining([1, 2, 3]) });
    let s = 7;
    const noise = Float32Array.from({ length: 48000 }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.1);
    expect(findMainsHum(noise)).toBeNull();
  });

  it("notches the line out, leaves the rest, and gives the speech's features back", () => {
    const x = speech();
    const hum = withHum(new Float32Array(x.length), [50], 0.01);
    const { samples, hum: found } = removeMainsHum(withHum(x, [50], 0.01));
    expect(found?.hz).toBe(50);
    // Away from the filter's start and end, the output differs from the clean speech by a small part of the hum.
    const residual = samples.map((v, i) => v - x[i]!);
    expect(rms(residual.subarray(16000, -16000))).toBeLessThan(0.2 * rms(hum));
    // The mean log-mel of the lowest bands comes back near the clean clip's.
    const clean = extractVoiceFeatures(x).stats;
    const humming = extractVoiceFeatures(withHum(x, [50], 0.01), { level: "as recorded" }).stats;
    const notched = extractVoiceFeatures(withHum(x, [50], 0.01)).stats;
    expect(Math.abs(notched[0]! - clean[0]!)).toBeLessThan(0.25 * Math.abs(humming[0]! - clean[0]!));
  });
});

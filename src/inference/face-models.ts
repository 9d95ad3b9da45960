// The face models over onnxruntime sessions, created once per isolate and shared by every request.
import type { FaceModelRunner } from "../biometrics/face/pipeline";
import { createSession, initOrt } from "./ort";

export type FaceModelFiles = {
  ortWasm: WebAssembly.Module | Uint8Array;
  detect: ArrayBuffer | Uint8Array;
  landmark: ArrayBuffer | Uint8Array;
  feature: ArrayBuffer | Uint8Array;
  liveness: ArrayBuffer | Uint8Array;
};

const first = (out: Record<string, Float32Array>) => Object.values(out)[0]!;

export async function createFaceModels(files: FaceModelFiles): Promise<FaceModelRunner> {
  initOrt(files.ortWasm);
  const detect = await createSession(files.detect);
  const landmark = await createSession(files.landmark);
  const feature = await createSession(files.feature);
  const liveness = await createSession(files.liveness);
  return {
    async detect(input) {
      const out = await detect.run(input, [1, 3, 240, 320]);
      return { scores: out.scores!, boxes: out.boxes! };
    },
    landmarks: async (input) => first(await landmark.run(input, [1, 1, 64, 64])),
    embed: async (input) => first(await feature.run(input, [1, 3, 112, 112])),
    liveness: async (input) => first(await liveness.run(input, [1, 3, 128, 128])),
  };
}

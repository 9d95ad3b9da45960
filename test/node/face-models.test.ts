// The face sessions of the inference Worker (src/inference/face-models.ts), with the real runtime and models
// under Node: nothing is created before the first face request, each session on the first use of its model,
// each model waits only for its own session, and a session that failed to be created is created again by the
// next request.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFaceModels, type FaceModelFiles } from "../../src/inference/face-models";

const require = createRequire(import.meta.url);
const ortWasm = new Uint8Array(readFileSync(join(dirname(require.resolve("onnxruntime-web")), "..", "dist", "ort-wasm-simd-threaded.wasm")));
const model = (name: string) => new Uint8Array(readFileSync(join("wasm-models", `${name}.onnx`)));

describe("face model sessions", () => {
  it("are created on the first use of each model, each model awaiting only its own; a failed one is retried", { timeout: 120_000 }, async () => {
    const reads: string[] = [];
    let brokenFeature = true; // the embedding model's bytes are garbage the first time they are read
    const files = {
      ortWasm,
      get detect() {
        reads.push("detect");
        return model("fr_detect");
      },
      get landmark() {
        reads.push("landmark");
        return model("fr_landmark");
      },
      get feature() {
        reads.push("feature");
        if (brokenFeature) {
          brokenFeature = false;
          return new Uint8Array([1, 2, 3, 4]);
        }
        return model("fr_feature");
      },
      get liveness() {
        reads.push("liveness");
        return model("fr_liveness");
      },
    } as FaceModelFiles;
    const models = createFaceModels(files);
    expect(reads).toEqual([]); // nothing at isolate start
    expect(models.loaded()).toBe(false);

    // A picture without a face needs only the detector.
    const det = await models.detect(new Float32Array(3 * 240 * 320));
    expect(det.scores.length).toBe(4420 * 2);
    expect(reads).toEqual(["detect"]);

    // The warm-up creates the other three; the embedding model fails, the others are created.
    await expect(models.ready()).rejects.toThrow();
    expect([...reads].sort()).toEqual(["detect", "feature", "landmark", "liveness"]);
    expect(models.loaded()).toBe(false);

    // The next use creates the failed session again (and only that one).
    const embedding = await models.embed(new Float32Array(3 * 112 * 112));
    expect(embedding.length).toBe(512);
    expect(reads.filter((r) => r === "feature")).toHaveLength(2);
    expect(reads.filter((r) => r !== "feature")).toHaveLength(3);
    await models.ready();
    expect(models.loaded()).toBe(true);
    expect((await models.landmarks(new Float32Array(64 * 64))).length).toBe(136);
    expect((await models.liveness(new Float32Array(3 * 128 * 128))).length).toBe(3);
  });
});

// The face pipeline under Node with onnxruntime-web (WASM, one thread) and the same codecs the Worker uses
// (@jsquash's for JPEG and PNG, our libwebp build for WebP): the code path of the API minus the HTTP and RPC hops.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Decoders } from "../src/biometrics/face/decode";
import { decodeWebpScaled } from "../src/biometrics/face/webp/scaled";
import { createFaceModels } from "../src/inference/face-models";

const require = createRequire(import.meta.url);
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

// The codecs return ImageData, which Node lacks.
(globalThis as any).ImageData ??= class ImageData {
  constructor(public data: Uint8ClampedArray, public width: number, public height: number) {}
};

export const SHARED = join(process.cwd(), "..", "shared", "data");

export async function nodeFace(modelDir = "wasm-models") {
  const jpeg = await import("@jsquash/jpeg/decode.js");
  const png = await import("@jsquash/png/decode.js");
  const mod = (p: string) => new WebAssembly.Module(readFileSync(p));
  await jpeg.init(mod(join(pkgDir("@jsquash/jpeg"), "codec/dec/mozjpeg_dec.wasm")));
  await png.init(mod(join(pkgDir("@jsquash/png"), "codec/pkg/squoosh_png_bg.wasm")));
  const webp = new WebAssembly.Module(readFileSync(new URL("../src/biometrics/face/webp/webp-scaled.wasm", import.meta.url)));
  const decoders: Decoders = {
    jpeg: (b) => jpeg.default(b),
    png: (b) => png.decode(b),
    webp: (b, width, height) => decodeWebpScaled(webp, b, width, height),
  };
  const ortDist = join(dirname(require.resolve("onnxruntime-web")), "..", "dist");
  const read = (f: string) => new Uint8Array(readFileSync(join(modelDir, f)));
  const models = await createFaceModels({
    ortWasm: new Uint8Array(readFileSync(join(ortDist, "ort-wasm-simd-threaded.wasm"))),
    detect: read("fr_detect.onnx"),
    landmark: read("fr_landmark.onnx"),
    feature: read("fr_feature.onnx"),
    liveness: read("fr_liveness.onnx"),
  });
  return { decoders, models };
}

export function labels(): { file: string; source: string; identity: string; role: string }[] {
  const lines = readFileSync(join(SHARED, "faces", "labels.csv"), "utf8").trim().split("\n").slice(1);
  return lines.map((l) => {
    const [file, source, identity, role] = l.split(",");
    return { file: file!, source: source!, identity: identity!, role: role! };
  });
}

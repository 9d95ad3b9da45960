// The face models over onnxruntime sessions, created once per isolate and shared by every request.
// Each session is created on the first request that runs its model (a picture without a face never creates
// the other three) and each model awaits only its own session. Creating them all at once on the first face
// request gains nothing: creation is synchronous work on the isolate's one thread, so "at once" only queues a
// voice request arriving meanwhile behind all four (bench/cold-start.mjs, "sent together"). server_status
// creates all four ahead of time (ready()). A session that fails to be created is created again by the next
// request that needs it.
import type { FaceModelRunner } from "../biometrics/face/pipeline";
import { createSession, initOrt, type Session } from "./ort";

export type FaceModelFiles = {
  ortWasm: WebAssembly.Module | Uint8Array;
  detect: ArrayBuffer | Uint8Array;
  landmark: ArrayBuffer | Uint8Array;
  feature: ArrayBuffer | Uint8Array;
  liveness: ArrayBuffer | Uint8Array;
};

type ModelName = Exclude<keyof FaceModelFiles, "ortWasm">;
const MODEL_NAMES: ModelName[] = ["detect", "landmark", "feature", "liveness"];

export type FaceModels = FaceModelRunner & {
  /** Resolves when all four sessions exist (the warm-up of server_status); rejects if one cannot be created. */
  ready(): Promise<void>;
  /** Whether all four sessions have been created. */
  loaded(): boolean;
};

const first = (out: Record<string, Float32Array>) => Object.values(out)[0]!;

export function createFaceModels(files: FaceModelFiles): FaceModels {
  const sessions = new Map<ModelName, Promise<Session>>();
  const created = new Set<ModelName>();
  const session = (name: ModelName): Promise<Session> => {
    let s = sessions.get(name);
    if (!s) {
      initOrt(files.ortWasm);
      s = createSession(files[name]);
      sessions.set(name, s);
      s.then(
        () => created.add(name),
        () => sessions.delete(name),
      );
    }
    return s;
  };
  return {
    async detect(input) {
      const out = await (await session("detect")).run(input, [1, 3, 240, 320]);
      return { scores: out.scores!, boxes: out.boxes! };
    },
    landmarks: async (input) => first(await (await session("landmark")).run(input, [1, 1, 64, 64])),
    embed: async (input) => first(await (await session("feature")).run(input, [1, 3, 112, 112])),
    liveness: async (input) => first(await (await session("liveness")).run(input, [1, 3, 128, 128])),
    ready: async () => {
      await Promise.all(MODEL_NAMES.map(session));
    },
    loaded: () => created.size === MODEL_NAMES.length,
  };
}

// The one module that imports onnxruntime-web. Sessions are created once per isolate, on first use, and every
// run goes through one queue: the WASM backend runs one thing at a time anyway. Session creation does not go
// through that queue, so that a voice request never waits behind the creation of the face sessions (or the
// reverse): each creation is one synchronous call into the WASM module, so they cannot overlap badly.
import * as ort from "onnxruntime-web/wasm";

let initialised = false;

/**
 * Points the runtime at its WebAssembly. workerd refuses to compile WebAssembly from bytes at run time,
 * so there the runtime's .wasm is imported as a module and WebAssembly.instantiate is redirected from a
 * placeholder to that module; under Node the bytes are passed directly.
 */
export function initOrt(wasm: WebAssembly.Module | Uint8Array): void {
  if (initialised) return;
  initialised = true;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  if (wasm instanceof WebAssembly.Module) {
    const placeholder = new ArrayBuffer(8);
    const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>;
    (WebAssembly as { instantiate: unknown }).instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
      const isPlaceholder = source === placeholder || (ArrayBuffer.isView(source) && source.buffer === placeholder);
      if (!isPlaceholder) return instantiate(source, imports);
      const instance = (await instantiate(wasm, imports)) as WebAssembly.Instance;
      return { instance, module: wasm };
    };
    ort.env.wasm.wasmBinary = placeholder;
  } else {
    ort.env.wasm.wasmBinary = wasm;
  }
}

export type Session = {
  run(input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>>;
};

// Measured with bench/ort-options.ts (BENCHMARKS.md "WASM speed"): "all" creates the four face sessions about
// 0.16 s (CPU) slower than "disabled" but runs detection about 3 ms faster on every picture, and a session is
// created once per isolate while monitoring runs the detector on every frame. No other option changed the
// speed of a run.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };

/**
 * Lets the isolate take other events (another request arriving) before the next session creation or run. ORT's
 * promises resolve as microtasks, so without it a face analysis, once started, held the isolate to its end and
 * a voice clip arriving meanwhile waited for all of it (bench/cold-start.mjs, "sent together"). Under Node a
 * zero timeout lasts at least 1 ms, so Node benches of the pipeline read about 1 ms more per run than before.
 */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

let queue: Promise<unknown> = Promise.resolve();
const serial = <T>(task: () => Promise<T>): Promise<T> => {
  const next = queue.then(nextTurn, nextTurn).then(task);
  queue = next.catch(() => undefined);
  return next;
};

export async function createSession(model: ArrayBuffer | Uint8Array): Promise<Session> {
  const bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
  await nextTurn();
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  const inputName = session.inputNames[0]!;
  return {
    run: (input, dims) =>
      serial(async () => {
        const tensor = new ort.Tensor("float32", input, dims);
        const result = await session.run({ [inputName]: tensor });
        tensor.dispose();
        const out: Record<string, Float32Array> = {};
        for (const name of session.outputNames) {
          const t = result[name]!;
          out[name] = new Float32Array(t.data as Float32Array); // copy out of the WASM heap before dispose
          t.dispose();
        }
        return out;
      }),
  };
}

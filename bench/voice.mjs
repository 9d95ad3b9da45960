#!/usr/bin/env node
// Voice benchmark (see bench/voice-bench.ts for options). From the repository root: `node bench/voice.mjs`.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// Inside node_modules so the bundle resolves onnxruntime-web (kept external: it locates its own .wasm).
const out = join("node_modules", ".cache", `voice-bench-${process.pid}.mjs`);
await build({ entryPoints: ["bench/voice-bench.ts"], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "warning", external: ["onnxruntime-web"] });
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(out, { force: true });
}

// Worker-side registration of the Opus decoder's wasm. Import this (once, at module scope of the Worker or
// the Durable Object that decodes audio); Node code calls setOpusWasm with its own compiled module instead,
// which is why this import is not in opus.ts.
import opusWasm from "@evan/opus/wasm/opus.wasm";
import { setOpusWasm } from "./opus";

setOpusWasm(opusWasm);

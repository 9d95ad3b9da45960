// wrangler's default CompiledWasm rule turns this import into a WebAssembly.Module (no run-time compile).
declare module "@evan/opus/wasm/opus.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

// The sha256 of the model file that computes what a decision compares, per model id, so that a decision
// record names the exact weights it was taken with (EU AI Act Art. 12: traceability). Copied from
// wasm-models/MODELS.md and wasm-models/VOICE.md (test/workers/decisions/records.test.ts checks these against
// those files' tables). Handwriting and keystroke models are code, not files: their id names the code version.
export const MODEL_SHA256: Readonly<Record<string, string>> = {
  // The embedding network (fr_feature.onnx); detector, landmarks and liveness change with the same id.
  "faceplugin-0.0.1-int8-v1": "3472ecdc6ccc96759d8ee031d88f5f2bef321a46a4d0080b515ad3efdb6aa1d7",
  // voice-lda.onnx
  "trustid-voice-lda-v1": "e7c7196c476fca1d4b6e26047f8d3c5ec80579aa80986ddb6c711249ac1b5b50",
};

export const modelSha256 = (modelId: string | null | undefined): string | null => (modelId ? (MODEL_SHA256[modelId] ?? null) : null);

// The sha256 of the model file that computes what a decision compares, per model id, so that a decision
// record names the exact weights it was taken with (EU AI Act Art. 12: traceability). Copied from
// wasm-models/MODELS.md and wasm-models/VOICE.md (test/workers/decisions/records.test.ts checks these against
// those files' tables). Handwriting and keystroke models are code, not files: their id names the code version.
export const MODEL_SHA256: Readonly<Record<string, string>> = {
  // The embedding network (fr_feature.onnx); detector, landmarks and liveness change with the same id.
  "faceplugin-0.0.1-int8-v1": "3472ecdc6ccc96759d8ee031d88f5f2bef321a46a4d0080b515ad3efdb6aa1d7",
  // voice-lda.onnx (v1 until 2026-12-05: kept so that its decision records still name their weights)
  "trustid-voice-lda-v2": "20516eb950159ac290c8286322dfc72ed7bcd2d08b2866f3c254cd0c507193bd",
  "trustid-voice-lda-v1": "e7c7196c476fca1d4b6e26047f8d3c5ec80579aa80986ddb6c711249ac1b5b50",
};

// The sha256 of the scoring file a model's scores come from, where the score is not plain code (a cosine, a
// DTW distance): voice is scored by PLDA + AS-norm against a cohort shipped as wasm-models/voice-cohort.json
// (wasm-models/VOICE.md, "scoring"), which a retraining may change without changing the ONNX model.
export const SCORING_SHA256: Readonly<Record<string, string>> = {
  "trustid-voice-lda-v2": "564d64409e553695bd347e9591f5f9707024cf8bb6158d2e99133344b282920d",
  "trustid-voice-lda-v1": "7da248da51aa3c503fa5038f26eefdd35e35bf8cc91cd678627055c27e005346",
};

export const modelSha256 = (modelId: string | null | undefined): string | null => (modelId ? (MODEL_SHA256[modelId] ?? null) : null);
export const scoringSha256 = (modelId: string | null | undefined): string | null => (modelId ? (SCORING_SHA256[modelId] ?? null) : null);

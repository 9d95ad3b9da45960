// face-api's face recognition model (npm @vladmandic/face-api, model/face_recognition_model.*: dlib's
// ResNet-29 face descriptor, 128 values) ships weights only: the network is code in
// src/faceRecognitionNet/*.ts. This writes that code down as a TF.js graph topology (the same node and attribute
// forms tfjs-converter emits), so that convert-tfjs.mjs turns it into ONNX like the graph models.
// The graph takes raw 0-255 RGB and normalises inside, as FaceRecognitionNet.forwardInput does:
// (px - [122.782, 117.001, 104.298]) / 255, 150x150.
const b64 = (s) => Buffer.from(s).toString("base64");
const ints = (v) => ({ list: { i: v.map(String) } });

/** Returns {modelTopology, extraWeights}: extraWeights are the constants the code creates (means, pads). */
export function faceApiRecognitionGraph() {
  const nodes = [{ name: "input", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" } } }];
  const extra = new Map();
  const konst = (name, shape, dtype, values) => {
    extra.set(name, { shape, dtype, values: dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values) });
    nodes.push({ name, op: "Const", attr: {} });
    return name;
  };
  const op = (name, type, inputs, attr = {}) => (nodes.push({ name, op: type, input: inputs, attr }), name);
  let size = 150; // spatial size, tracked to reproduce residualDown's shape adjustment

  let x = op("normalize/sub", "Sub", ["input", konst("normalize/mean", [3], "float32", [122.782, 117.001, 104.298])]);
  x = op("normalize/div", "Mul", [x, konst("normalize/inv255", [], "float32", [1 / 255])]);

  // convLayer: conv2d + bias, scale (x * weights + biases), optional relu.
  const convLayer = (input, p, stride, relu, padding) => {
    let out = op(`${p}/conv/conv2d`, "Conv2D", [input, `${p}/conv/filters`], { strides: ints([1, stride, stride, 1]), padding: { s: b64(padding) }, dilations: ints([1, 1, 1, 1]), data_format: { s: b64("NHWC") } });
    out = op(`${p}/conv/bias_add`, "Add", [out, `${p}/conv/bias`]);
    out = op(`${p}/scale/mul`, "Mul", [out, `${p}/scale/weights`]);
    out = op(`${p}/scale/add`, "Add", [out, `${p}/scale/biases`]);
    return relu ? op(`${p}/relu`, "Relu", [out]) : out;
  };
  const residual = (input, p) => {
    let out = convLayer(input, `${p}/conv1`, 1, true, "SAME");
    out = convLayer(out, `${p}/conv2`, 1, false, "SAME");
    return op(`${p}/relu`, "Relu", [op(`${p}/add`, "Add", [out, input])]);
  };
  const residualDown = (input, p, inChannels, outChannels) => {
    let out = convLayer(input, `${p}/conv1`, 2, true, "VALID");
    out = convLayer(out, `${p}/conv2`, 1, false, "SAME");
    const convSize = Math.floor((size - 3) / 2) + 1;
    const poolSize = Math.floor((size - 2) / 2) + 1;
    let pooled = op(`${p}/avgpool`, "AvgPool", [input], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64("VALID") } });
    // face-api appends one row and one column of zeros to the convolution branch when the pool is larger.
    if (poolSize !== convSize) {
      if (poolSize !== convSize + 1) throw new Error(`${p}: unexpected sizes ${convSize} / ${poolSize}`);
      out = op(`${p}/adjust`, "Pad", [out, konst(`${p}/adjust/pads`, [4, 2], "int32", [0, 0, 0, 1, 0, 1, 0, 0])]);
    }
    // ... and zero channels to the pooled branch when the block widens.
    if (inChannels !== outChannels) pooled = op(`${p}/widen`, "Pad", [pooled, konst(`${p}/widen/pads`, [4, 2], "int32", [0, 0, 0, 0, 0, 0, 0, outChannels - inChannels])]);
    size = poolSize;
    return op(`${p}/relu`, "Relu", [op(`${p}/add`, "Add", [pooled, out])]);
  };

  x = convLayer(x, "conv32_down", 2, true, "VALID");
  size = Math.floor((size - 7) / 2) + 1;
  x = op("maxpool", "MaxPool", [x], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64("VALID") } });
  size = Math.floor((size - 3) / 2) + 1;
  for (const p of ["conv32_1", "conv32_2", "conv32_3"]) x = residual(x, p);
  x = residualDown(x, "conv64_down", 32, 64);
  for (const p of ["conv64_1", "conv64_2", "conv64_3"]) x = residual(x, p);
  x = residualDown(x, "conv128_down", 64, 128);
  for (const p of ["conv128_1", "conv128_2"]) x = residual(x, p);
  x = residualDown(x, "conv256_down", 128, 256);
  for (const p of ["conv256_1", "conv256_2"]) x = residual(x, p);
  x = residualDown(x, "conv256_down_out", 256, 256);
  x = op("global_avg", "Mean", [x, konst("global_avg/axes", [2], "int32", [1, 2])], { keep_dims: { b: false } });
  op("descriptor", "MatMul", [x, "fc"]);
  // Weight constants are declared as Const nodes, as tfjs-converter does.
  return { modelTopology: { node: nodes }, extraWeights: extra };
}

/** Adds a Const node for every weight the topology refers to but does not declare. */
export function declareWeights(topology, weights) {
  const declared = new Set(topology.node.map((n) => n.name));
  for (const name of weights.keys()) if (!declared.has(name)) topology.node.unshift({ name, op: "Const", attr: {} });
  return topology;
}

// Turns decoded msgpack `data` and `frame` maps into typed arrays.
// msgpack byte fields arrive as Uint8Array views at arbitrary offsets into the
// message; Float32Array needs 4-byte alignment, so they are copied first.
// The server packs little-endian float32 (numpy's default), which is what every
// browser's Float32Array reads.

function float32(bytes) {
  if (!bytes) return new Float32Array(0);
  return new Float32Array(bytes.slice().buffer);
}

function uint8(bytes) {
  return bytes ? bytes.slice() : new Uint8Array(0);
}

/**
 * `data` message -> {version, problem, classes, trainX, trainY, testX, testY}. `classes` is K for
 * multi-class data (labels 0..K-1), 2 for binary (labels +1/-1), 0 for regression.
 */
export function decodeData(message) {
  return {
    version: message.data_version,
    problem: message.problem,
    classes: message.classes ?? (message.problem === "regression" ? 0 : 2),
    trainX: float32(message.train_x),
    trainY: float32(message.train_y),
    testX: float32(message.test_x),
    testY: float32(message.test_y),
  };
}

/** `frame` message -> plain object with typed-array grids, weights and biases. */
export function decodeFrame(message) {
  return {
    epoch: message.epoch,
    state: message.state,
    configVersion: message.config_version,
    trainLoss: message.train_loss ?? null,
    testLoss: message.test_loss ?? null,
    trainAccuracy: message.train_accuracy ?? null,
    testAccuracy: message.test_accuracy ?? null,
    epochsPerSecond: message.epochs_per_second ?? null,
    gridSize: message.grid_size,
    outputGrid: uint8(message.output_grid),
    // Multi-class: the predicted class per output cell (outputGrid then holds its probability p
    // as 2p - 1); empty for one output.
    outputs: message.outputs ?? 1,
    outputClasses: uint8(message.output_classes),
    neuronGridSize: message.neuron_grid_size,
    layers: message.layers || [],
    neuronGrids: uint8(message.neuron_grids),
    weights: (message.weights || []).map(float32),
    biases: (message.biases || []).map(float32),
    // The training toolbox's read-outs (plain numbers and small lists, sent as they are).
    learningRate: message.learning_rate ?? null,
    metrics: message.metrics ?? null, // null for regression, else {train, test}
    gradNorms: message.grad_norms || [], // per layer, output last
    weightHist: message.weight_hist || [], // per layer, output last: {lo, hi, counts}
    activationHist: message.activation_hist || [], // per hidden layer: {lo, hi, counts}
  };
}

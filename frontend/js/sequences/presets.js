// Presets for the struggles the lab shows (each is a configure message's changes).

export const PRESETS = [
  {
    id: "reverse",
    label: "Reverse: attention",
    note: "A 1-layer Transformer reverses 8 tokens; watch each head's attention become an anti-diagonal.",
    changes: { task: "reverse", model: "transformer", length: 8, vocab: 8, width: 32, layers: 1, heads: 2, learning_rate: 0.01 },
  },
  {
    id: "adding-rnn",
    label: "Adding T=150: RNN",
    note: "The plain RNN sits at the baseline MSE (0.167): its gradient vanishes through 150 steps.",
    changes: { task: "adding", model: "rnn", length: 150, width: 32, layers: 1, learning_rate: 0.01 },
  },
  {
    id: "adding-lstm",
    label: "Adding T=150: LSTM",
    note: "The LSTM's cell state carries the two marked numbers across 150 steps.",
    changes: { task: "adding", model: "lstm", length: 150, width: 32, layers: 1, learning_rate: 0.01 },
  },
  {
    id: "parity-final",
    label: "Parity: final label",
    note: "One label at the end of 10 bits: almost no signal to learn from.",
    changes: { task: "parity", model: "gru", length: 10, width: 32, layers: 1, learning_rate: 0.003 },
  },
  {
    id: "parity-dense",
    label: "Parity: label every step",
    note: "The same bits with a label at every step: dense supervision, learned in seconds.",
    changes: { task: "parity_dense", model: "gru", length: 10, width: 32, layers: 1, learning_rate: 0.003 },
  },
  {
    id: "sort-16",
    label: "Sort 16",
    note: "Sorting 16 tokens with a 2-layer Transformer.",
    changes: { task: "sort", model: "transformer", length: 16, vocab: 8, width: 64, layers: 2, heads: 4, learning_rate: 0.003 },
  },
];

// The loss history the chart draws: every frame's (epoch, train loss, test loss), kept at a
// bounded size however long the run. Once it holds MAX_POINTS points, neighbours are merged
// in pairs (their mean, at the later epoch) and later frames go into buckets twice as wide, so
// the whole run stays at one even resolution of MAX_POINTS / 2 to MAX_POINTS points. The latest
// frame is always kept as it is, so the chart ends exactly at the epoch the counter shows.

export const MAX_POINTS = 2000;

// Mean of the finite values (a diverged loss is null and stays a gap if no value is finite).
function meanOf(values) {
  const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : null;
}
const mean = (a, b) => meanOf([a, b]);

/** Creates an empty history; returns {add(epoch, train, test), points(), reset(), truncate(epoch)}. */
export function createLossHistory(maxPoints = MAX_POINTS) {
  let epochs = [];
  let train = [];
  let test = [];
  let stride = 1; // frames per kept point
  let bucket = null; // {epoch, train, test, count}: frames not yet folded into a kept point
  let latest = null;

  function halve() {
    const e = [];
    const a = [];
    const b = [];
    for (let i = 0; i < epochs.length; i += 2) {
      const j = Math.min(i + 1, epochs.length - 1);
      e.push(epochs[j]);
      a.push(mean(train[i], train[j]));
      b.push(mean(test[i], test[j]));
    }
    epochs = e;
    train = a;
    test = b;
    stride *= 2;
  }

  function add(epoch, trainLoss, testLoss) {
    latest = { epoch, train: trainLoss, test: testLoss };
    if (!bucket) bucket = { epoch, train: [], test: [], count: 0 };
    bucket.epoch = epoch;
    bucket.train.push(trainLoss);
    bucket.test.push(testLoss);
    bucket.count += 1;
    if (bucket.count < stride) return;
    epochs.push(epoch);
    train.push(meanOf(bucket.train));
    test.push(meanOf(bucket.test));
    bucket = null;
    if (epochs.length >= maxPoints) halve();
  }

  /** {epochs, train, test} to draw: the kept points, then the latest frame if not yet among them. */
  function points() {
    if (latest && epochs[epochs.length - 1] !== latest.epoch) {
      return {
        epochs: [...epochs, latest.epoch],
        train: [...train, latest.train],
        test: [...test, latest.test],
      };
    }
    return { epochs, train, test };
  }

  function reset() {
    epochs = [];
    train = [];
    test = [];
    stride = 1;
    bucket = null;
    latest = null;
  }

  /** Forgets every point after `epoch` (a rollback to earlier weights goes back in time too). */
  function truncate(epoch) {
    let keep = epochs.length;
    while (keep > 0 && epochs[keep - 1] > epoch) keep -= 1;
    epochs = epochs.slice(0, keep);
    train = train.slice(0, keep);
    test = test.slice(0, keep);
    bucket = null;
    latest = keep ? { epoch: epochs[keep - 1], train: train[keep - 1], test: test[keep - 1] } : null;
  }

  return {
    add,
    points,
    reset,
    truncate,
    get latestEpoch() {
      return latest ? latest.epoch : null;
    },
  };
}

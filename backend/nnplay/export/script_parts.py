"""The exported script's fixed parts (export/script.py writes the rest from the run): its input features,
network and training step, training loop and evaluation, and main. Text, run by the script, not here."""

from __future__ import annotations

import textwrap

FEATURES = textwrap.dedent(
    """\
    FEATURE_FUNCTIONS = [
        lambda x1, x2: x1,
        lambda x1, x2: x2,
        lambda x1, x2: x1 * x1,
        lambda x1, x2: x2 * x2,
        lambda x1, x2: x1 * x2,
        lambda x1, x2: np.sin(x1),
        lambda x1, x2: np.sin(x2),
    ]  # x1, x2, x1², x2², x1·x2, sin x1, sin x2 (nnplay/features.py)


    def input_features(points):
        x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
        every = np.stack([f(x1, x2) for f in FEATURE_FUNCTIONS], axis=1).astype(np.float32)
        return every[:, FEATURES]
    """
)


NETWORK = textwrap.dedent(
    '''\
    # ---- the network, exact shape (nnplay/families/mlp/exact.py)
    ACTS = {
        "relu": jax.nn.relu,
        "tanh": jnp.tanh,
        "sigmoid": jax.nn.sigmoid,
        "linear": lambda z: z,
        "leaky_relu": lambda z: jax.nn.leaky_relu(z, 0.01),
        "elu": jax.nn.elu,
        "gelu": jax.nn.gelu,
        "swish": jax.nn.swish,
        "softplus": jax.nn.softplus,
    }


    def initial_layers():
        """The exact net's (weights, biases) per layer, output last, cut out of nnplay's padded draw."""
        sizes = [len(FEATURES), *HIDDEN, OUTPUTS]
        shape = NamedTuple("Shape", [("depth", int), ("width", int)])(PADDED_DEPTH, PADDED_WIDTH)
        params = init_params(jax.random.PRNGKey(CONFIG["seed"]), shape, CONFIG["init"], sizes)
        rows, layers = np.asarray(FEATURES), []
        for layer, n in enumerate(HIDDEN):
            layers.append((params.w[layer][rows][:, :n], params.b[layer][:n]))
            rows = np.arange(n)
        layers.append((params.w_out[rows][:, :OUTPUTS], params.b_out[:OUTPUTS]))
        return layers


    def batch_loss(layers, x, y, drop_key, rate):
        """The mean training loss of a batch (dropout and batch norm as in training)."""
        h = x
        for layer, (w, b) in enumerate(layers[:-1]):
            z = h @ w
            if BATCH_NORM:
                mean = jnp.mean(z, axis=0)
                z = (z - mean) * jax.lax.rsqrt(jnp.mean((z - mean) ** 2, axis=0) + BN_EPSILON)
            h = ACTS[ACTIVATIONS[layer]](z + b)
            if drop_key is not None:
                h = drop(h, jax.random.fold_in(drop_key, layer), rate[layer])
        w, b = layers[-1]
        z = h @ w + b
        if LOSS == "square":
            return jnp.mean(0.5 * (ACTS[OUTPUT_ACTIVATION](z[:, 0]) - y) ** 2)
        return jnp.mean(point_loss(z if LOSS == "softmax" else z[:, 0], y, LOSS))


    def update(layers, opt_state, hyper, lr, x, y, drop_key=None):
        """One step on one batch: TF Playground's SGD, or the optax optimizer on the penalised loss."""
        grads = jax.grad(batch_loss)(layers, x, y, drop_key, hyper.dropout)
        if CONFIG["optimizer"] == "sgd":
            if REGULARIZATION == "none":
                return [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(layers, grads)], ()
            h = hyper._replace(learning_rate=lr)
            pairs = zip(layers, grads)
            return [(regularized_update(w, gw, h), b - lr * gb) for (w, b), (gw, gb) in pairs], ()
        if REGULARIZATION != "none":
            grads = [(gw + penalty_gradient(w, hyper), gb) for (w, _), (gw, gb) in zip(layers, grads)]
        tx = make_optimizer(CONFIG["optimizer"], lr, hyper.momentum, hyper.weight_decay)
        updates, opt_state = tx.update(grads, opt_state, layers)
        return optax.apply_updates(layers, updates), opt_state
    '''
)


TRAINING = textwrap.dedent(
    '''\
    # ---- training: every epoch in batches of the batch size, the last one short (as nnplay does)
    BATCH = CONFIG["batch_size"]
    N_TRAIN = len(TRAIN_X)
    N_FULL = N_TRAIN // BATCH
    STEPS_PER_EPOCH = -(-N_TRAIN // BATCH)
    SCHEDULE = CONFIG["schedule"]


    def batched(x, y):
        full = N_FULL * BATCH
        return (
            jnp.asarray(x[:full].reshape(N_FULL, BATCH, x.shape[1])),
            jnp.asarray(y[:full].reshape(N_FULL, BATCH)),
            jnp.asarray(x[full:]),
            jnp.asarray(y[full:]),
        )


    def reshuffled(data, hyper, epoch):
        """This epoch's random order of the points, batched again."""
        bx, by, rx, ry = data
        x = jnp.concatenate([bx.reshape(-1, bx.shape[2]), rx])
        y = jnp.concatenate([by.reshape(-1), ry])
        order = shuffle_order(hyper, epoch, N_TRAIN)[:N_TRAIN]
        x, y = x[order], y[order]
        full = bx.shape[0] * bx.shape[1]
        return x[:full].reshape(bx.shape), y[:full].reshape(by.shape), x[full:], y[full:]


    def one_epoch(layers, opt_state, epoch, hyper, data):
        bx, by, rx, ry = reshuffled(data, hyper, epoch) if SHUFFLE else data

        def batch(carry, xs):
            x, y, *k = xs
            lr = (
                scheduled_rate(SCHEDULE, hyper, epoch, k[0], STEPS_PER_EPOCH)
                if k and SCHEDULE != "constant"
                else hyper.learning_rate
            )
            drop_key = dropout_key(hyper, epoch, k[0]) if USE_DROPOUT else None
            return update(*carry, hyper, lr, x, y, drop_key), None

        xs = (bx, by)
        if SCHEDULE != "constant" or USE_DROPOUT:
            xs += (jnp.arange(N_FULL, dtype=jnp.int32),)
        carry, _ = jax.lax.scan(batch, (layers, opt_state), xs, unroll=SCAN_UNROLL)
        if N_TRAIN % BATCH:
            lr = scheduled_rate(SCHEDULE, hyper, epoch, N_FULL, STEPS_PER_EPOCH)
            drop_key = dropout_key(hyper, epoch, N_FULL) if USE_DROPOUT else None
            carry = update(*carry, hyper, lr, rx, ry, drop_key)
        return carry


    @jax.jit
    def train(layers, opt_state, hyper, data, start, stop):
        """Epochs start..stop-1 (an epoch's number seeds its shuffle, dropout and schedule)."""

        def body(epoch, carry):
            return one_epoch(*carry, epoch, hyper, data)

        return jax.lax.fori_loop(start, stop, body, (layers, opt_state))


    # ---- evaluation: no dropout; batch norm with the statistics of the whole training set
    def outputs(layers, x, stats=None):
        h, used = x, []
        for layer, (w, b) in enumerate(layers[:-1]):
            z = h @ w
            if BATCH_NORM:
                mean, var = stats[layer] if stats else (jnp.mean(z, axis=0), jnp.var(z, axis=0))
                used.append((mean, var))
                z = (z - mean) * jax.lax.rsqrt(var + BN_EPSILON)
            h = ACTS[ACTIVATIONS[layer]](z + b)
        w, b = layers[-1]
        z = h @ w + b
        if LOSS == "softmax":
            return z, used
        return (ACTS[OUTPUT_ACTIVATION](z[:, 0]) if LOSS == "square" else z[:, 0]), used


    def figures(layers):
        _, stats = outputs(layers, jnp.asarray(input_features(TRAIN_X)))
        result = {}
        for name, x, y in (("train", TRAIN_X, TRAIN_Y), ("test", TEST_X, TEST_Y)):
            out, _ = outputs(layers, jnp.asarray(input_features(x)), stats or None)
            y = jnp.asarray(y)
            result[f"{name}_loss"] = float(jnp.mean(point_loss(out, y, LOSS))) if len(x) else None
            if CONFIG["problem"] == "classification":
                result[f"{name}_accuracy"] = float(jnp.mean(correct(out, y, LOSS))) if len(x) else None
        return result


    def setup():
        """The hyperparameters, initial weights and optimizer state, and the batched training data."""
        c = CONFIG
        depth = len(HIDDEN)
        hyper = make_hyper(
            c["learning_rate"],
            l1=c["regularization_rate"] if c["regularization"] == "l1" else 0.0,
            l2=c["regularization_rate"] if c["regularization"] == "l2" else 0.0,
            batch_size=c["batch_size"],
            momentum=c["momentum"],
            weight_decay=c["weight_decay"],
            schedule_epochs=c["schedule_epochs"],
            schedule_factor=c["schedule_factor"],
            dropout=DROPOUT[:depth],
            seed=c["seed"],
        )
        layers = initial_layers()
        opt_state = () if c["optimizer"] == "sgd" else make_optimizer(c["optimizer"], 0.0).init(layers)
        return hyper, layers, opt_state, batched(input_features(TRAIN_X), TRAIN_Y)
    '''
)


RUN = textwrap.dedent(
    """\
    def main():
        hyper, layers, opt_state, data = setup()
        layers, opt_state = train(layers, opt_state, hyper, data, 0, EPOCHS)
        print(json.dumps({"epoch": EPOCHS, **figures(layers)}))


    if __name__ == "__main__":
        main()
    """
)

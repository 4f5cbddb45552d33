"""The generative lab's settings table: every setting declared once (type, default, range, URL key,
help), as the playground's (nnplay/settings.py). GenConfig (config.py), the lab's schema (what its page
builds its controls from), the CLI's options and the errors that name a setting derive from it."""

from __future__ import annotations

from ...settings import Setting

MODELS = ("gan", "ae", "vae")
DATASETS = ("ring", "grid", "moons", "line", "gaussians", "custom")
LOSSES = ("nonsaturating", "least_squares", "wasserstein_gp")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
MAX_LAYERS = 6
MAX_NEURONS = 256
MAX_NOISE = 4
LATENT = 2  # the AE/VAE latent is the plane one can click

# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("model", "Model", "choice", "gan",
            "A GAN on points of the plane, or an autoencoder / variational autoencoder on 8x8 digits.",
            "model", "model", choices=MODELS),
    Setting("dataset", "Data set", "choice", "ring",
            "The points the GAN learns to imitate (yours: drawn on the plane or uploaded as CSV).",
            "dataset", "data", choices=DATASETS),
    Setting("loss", "GAN loss", "choice", "nonsaturating",
            "Non-saturating (the original GAN's), least squares (LSGAN), or Wasserstein with a gradient "
            "penalty (WGAN-GP: the discriminator becomes a critic).", "loss", "gan", choices=LOSSES),
    Setting("generator_layers", "Generator layers", "layers", (64, 64),
            "Neurons of each hidden layer of the generator (noise -> point).", "gLayers", "gan"),
    Setting("discriminator_layers", "Discriminator layers", "layers", (64, 64),
            "Neurons of each hidden layer of the discriminator (point -> real or fake).", "dLayers", "gan"),
    Setting("generator_activation", "Generator activation", "choice", "relu",
            "The generator's hidden activation.", "gAct", "gan", choices=ACTIVATIONS),
    Setting("discriminator_activation", "Discriminator activation", "choice", "relu",
            "The discriminator's hidden activation.", "dAct", "gan", choices=ACTIVATIONS),
    Setting("noise_dim", "Noise dimension", "int", 2,
            "How many Gaussian numbers the generator turns into a point.", "noise", "gan",
            min=1, max=MAX_NOISE, step=1),
    Setting("d_steps", "Discriminator steps", "int", 1,
            "Discriminator updates per generator update.", "k", "gan", min=1, max=10, step=1),
    Setting("generator_lr", "Generator learning rate", "float", 0.001,
            "The generator's Adam step size.", "gLr", "gan", min=1e-5, max=0.1),
    Setting("discriminator_lr", "Discriminator learning rate", "float", 0.001,
            "The discriminator's Adam step size.", "dLr", "gan", min=1e-5, max=0.1),
    Setting("gp_weight", "Gradient penalty", "float", 0.1,
            "WGAN-GP's weight of (|grad D| - 1)^2 at points between real and generated ones.", "gp", "gan",
            min=0.0, max=100.0),
    Setting("encoder_layers", "Encoder layers", "layers", (128,),
            "Neurons of each hidden layer of the encoder (digit -> latent); the decoder mirrors it.",
            "eLayers", "autoencoder"),
    Setting("activation", "Autoencoder activation", "choice", "relu",
            "The encoder's and decoder's hidden activation.", "act", "autoencoder", choices=ACTIVATIONS),
    Setting("beta", "Beta (KL weight)", "float", 1.0,
            "The weight of the KL term in the VAE's loss (1: the ELBO; 0: no pull towards the prior).",
            "beta", "autoencoder", min=0.0, max=10.0),
    # 0.003: the code's 5-NN accuracy reaches 0.75 in 1,400-2,000 updates (seeds 1-3); 2,600-6,600 at 0.001
    Setting("learning_rate", "Learning rate", "float", 0.003,
            "The autoencoder's Adam step size.", "lr", "autoencoder", min=1e-5, max=0.1),
    Setting("batch_size", "Batch size", "int", 0,
            "Points (GAN) or digits (AE/VAE) per update; 0 picks the model's default (256 / 64).",
            "batch", "training", min=0, max=512, step=1),
    Setting("speed", "Speed", "int", 0,
            "Updates per frame (0: as fast as the machine goes).", "speed", "training",
            min=0, max=1000, step=1),
    Setting("stop_epoch", "Stop at", "int", 0,
            "Pause by itself at this generator step (GAN) or epoch of the digits (AE, VAE); 0 = never: "
            "compare settings after the same training.", "stop", "training", min=0, max=10_000_000, step=100),
    Setting("seed", "Seed", "int", 1,
            "Seeds the data, the weights and the noise: the same seed, the same run.", "seed", "training",
            min=0, max=2**31 - 1, step=1),
)
# fmt: on
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULT_BATCH = {"gan": 256, "ae": 64, "vae": 64}

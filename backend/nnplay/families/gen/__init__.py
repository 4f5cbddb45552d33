"""The generative lab's family: a GAN on the plane and an AE/VAE on 8x8 digits, on the engine seam."""

"""Reference models of the course: one file per family, each reading like the figure of its paper."""
from .autoencoder import ConvAutoencoder, DenoisingAutoencoder, MLPAutoencoder, corrupt
from .classifier import Classifier, course_classifier
from .cvae import CVAE, one_hot
from .gan import DCGANCritic, DCGANDiscriminator, DCGANGenerator, MLPCritic, MLPDiscriminator, MLPGenerator
from .mode import eval_mode
from .unet import UNet
from .vae import ConvVAE, MLPVAE, reparameterize

__all__ = [
    "CVAE", "Classifier", "ConvAutoencoder", "ConvVAE", "DCGANCritic", "DCGANDiscriminator", "DCGANGenerator",
    "DenoisingAutoencoder", "MLPAutoencoder", "MLPCritic", "MLPDiscriminator", "MLPGenerator", "MLPVAE", "UNet",
    "corrupt", "course_classifier", "eval_mode", "one_hot", "reparameterize",
]

"""Reference models of the course: one file per family, each reading like the figure of its paper."""
from .autoencoder import ConvAutoencoder, DenoisingAutoencoder, MLPAutoencoder, conv_features, corrupt
from .classifier import Classifier, predict_labels
from .cvae import CVAE, one_hot
from .gan import DCGANCritic, DCGANDiscriminator, DCGANGenerator, MLPCritic, MLPDiscriminator, MLPGenerator
from .time_unet import TimeConditionedUNet, timestep_embedding
from .unet import UNet
from .vae import VAE, ConvVAE, GaussianLatent, MLPVAE, reparameterize

__all__ = [
    "CVAE", "Classifier", "ConvAutoencoder", "ConvVAE", "DCGANCritic", "DCGANDiscriminator", "DCGANGenerator",
    "DenoisingAutoencoder", "GaussianLatent", "MLPAutoencoder", "MLPCritic", "MLPDiscriminator", "MLPGenerator", "MLPVAE", "TimeConditionedUNet", "UNet", "VAE",
    "conv_features", "corrupt", "one_hot", "predict_labels", "reparameterize", "timestep_embedding",
]

"""The chapters' own analysis: code that one chapter's story needs and no other chapter does.

One module (or sub-package) per chapter topic, named after the topic:

- ``autoencoders``: chapters 01-03, the plain, variational and conditional autoencoders (PCA baseline,
  over-fitting curves, KL diagnostics, a per-class prior);
- ``unet``: chapter 04, the U-Net's anatomy traced and drawn;
- ``gan``: chapter 05, loss curves, toy-set quality, the exact W1 of samples;
- ``diffusion``: chapter 06, sample quality against the sampler's steps and guidance scale, inpainting scores;
- ``comparison``: chapter 07, every model measured side by side, the claims and their verdicts, and the
  recorded reference run the notebook quotes.

This package sits at the edge: it may import any package of the core, and nothing in the core imports it.
A helper moves into the core when a second chapter needs it.
"""

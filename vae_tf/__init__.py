"""vae_tf: a variational autoencoder on MNIST built from TensorFlow Probability layers.

The library the site and the scripts compose. Nothing here imports Streamlit, reads
`sys.argv` or does work on import; TensorFlow is imported only by the modules that need it
(`models`, `inference`, `train`, `evaluate`), so `vae_tf.config` and `vae_tf.images` stay light.

Modules:
  config     -- `ModelConfig`, the dataclass that describes a model and is saved beside it.
  data       -- MNIST loading, binarization, the validation split.
  models     -- the VAE and the AE baseline (same trunks), built with `tfp.layers`.
  inference  -- thread-safe, fast encode / decode / ELBO / IWAE for serving.
  store      -- where models live, and how they are saved and rebuilt.
  images     -- turning an uploaded picture into an MNIST-like 28x28 digit: `decode` (the
                file and its limits), `clean` (lighting, background, the digit's mark),
                `recipe` (MNIST's crop, stroke, 20x20 fit and centring by mass).
  train      -- `python -m vae_tf.train`: the training script.
  evaluate   -- `python -m vae_tf.evaluate`: test -ELBO and the IWAE bound.
"""

"""Evaluate a trained model on the MNIST test set and write `metrics.json` beside it.

    python -m vae_tf.evaluate --model models/vae-32d --data ../shared/data/mnist.npz --k 5000

The test images are binarized once with `--seed` (pixel on with probability p), so the
numbers are reproducible. For every model: the reconstruction log-likelihood and the pixel
MSE of the mean reconstruction. For a VAE also the -ELBO with its two terms, the KL of each
latent dimension, and the importance-weighted bound of Burda et al. (2015),

    log p(x) >= E[log (1/k) sum_i p(x, z_i) / q(z_i|x)],  z_i ~ q(z|x),

whose negative with k = 5000 is the standard estimate of the test negative log-likelihood.
"""

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from vae_tf import data, store
from vae_tf.inference import Inference

# Codes decoded at once by the IWAE: a memory setting only (each image's draws do not depend on
# it; the server uses Inference.iwae's smaller default, which keeps less memory).
MAX_CODES = 20_000


def parse_args(argv=None) -> argparse.Namespace:
    """The command line; every flag has a default and a help text."""
    p = argparse.ArgumentParser(
        prog="python -m vae_tf.evaluate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--model", type=Path, required=True, help="model directory (config.json + weights)")
    data.add_data_flag(p)
    p.add_argument("--k", type=int, default=5000, help="importance samples per image for the IWAE bound")
    p.add_argument(
        "--chunk",
        type=int,
        default=250,
        help="importance samples drawn at once per image (each chunk has its own seed)",
    )
    p.add_argument(
        "--batch-size", type=int, default=50, help="test images per ELBO step (its draws are seeded per step)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the test binarization and of the samples")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N test images")
    return p.parse_args(argv)


def evaluate(
    inference: Inference,
    images: np.ndarray,
    grey: np.ndarray,
    k: int,
    seed: int,
    batch_size: int = 50,
    chunk: int = 250,
) -> dict:
    """Mean test metrics in nats per image.

    Args:
      inference: the model.
      images: binarized test images (N, 28, 28, 1).
      grey: the same images before binarization, for the pixel MSE.
      k: importance samples for the IWAE bound (VAE only; 0 skips it).
      seed: seed of the samples.
      batch_size: images per step of the ELBO terms (their draws are seeded per batch).
      chunk: importance samples drawn at once; the IWAE's draws depend on it, on `seed` and on
        each image's index, not on `batch_size` or `MAX_CODES`.

    Returns:
      a dict of metrics; see the module docstring.
    """
    batches = range(0, len(images), batch_size)
    terms = [inference.elbo_terms(images[i : i + batch_size], seed=seed + i) for i in batches]
    terms = {name: np.concatenate([t[name] for t in terms]) for name in terms[0]}
    mean, _ = inference.encode(grey)
    mse = float(np.mean((inference.decode(mean) - grey.reshape(-1, 28, 28)) ** 2))
    metrics = {"recon_nll": float(terms["recon"].mean()), "pixel_mse": mse}
    if inference.config.kind != "vae":
        return metrics
    kl_per_dimension = np.concatenate(
        [inference.kl_per_dimension(images[i : i + batch_size], seed + i) for i in batches]
    )
    metrics.update(
        neg_elbo=float(terms["neg_elbo"].mean()),
        kl=float(terms["kl"].mean()),
        kl_per_dimension=kl_per_dimension.mean(axis=0).tolist(),
    )
    if k:
        bound = inference.iwae(images, k, seed, chunk, max_codes=MAX_CODES)
        metrics[store.iwae_key(k)] = float(-bound.mean())
        metrics["iwae_nll_stderr"] = float(bound.std(ddof=1) / np.sqrt(len(bound))) if len(bound) > 1 else 0.0
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Evaluate as `argv` says (default: the command line) and write metrics.json."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    model = store.load(args.model)
    test = data.load_mnist(args.data)["test"]
    grey = test.x[: args.limit] if args.limit else test.x
    images = data.binarize(grey, args.seed)
    start = time.perf_counter()
    metrics = evaluate(Inference(model), images, grey, args.k, args.seed, args.batch_size, args.chunk)
    metrics.update(
        k=args.k if model.config.kind == "vae" else 0,
        seed=args.seed,
        test_images=len(images),
        wall_seconds=time.perf_counter() - start,
        command="python -m vae_tf.evaluate " + shlex.join(argv),
        versions={
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "tensorflow_probability": tfp.__version__,
            "numpy": np.__version__,
        },
        platform=platform.platform(),
    )
    store.write_json(args.model / store.METRICS, metrics)
    print({k: v for k, v in metrics.items() if not isinstance(v, (list, dict))})
    return 0


if __name__ == "__main__":
    sys.exit(main())

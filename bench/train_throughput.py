"""Training throughput of the shipped 32-D architectures on this machine: batch size and XLA.

    python bench/train_throughput.py [--steps 60] [--batch-sizes 128 256 512] [--write]

Times `fit` on random binary images (no input pipeline cost beyond an in-memory tf.data
dataset with prefetch) after one warm-up epoch, with and without XLA (`jit_compile=True`),
and prints images per second as a markdown table. CPU unless TensorFlow sees a GPU.
"""

import argparse
import sys
import time

import numpy as np
import tensorflow as tf
import tf_keras as tfk
from common import ROOT, machine_facts, table, write_section

sys.path.insert(0, str(ROOT))  # vae_tf, when run as `python bench/train_throughput.py`
from vae_tf import models  # noqa: E402
from vae_tf.config import ModelConfig  # noqa: E402

CONFIGS = {  # the shipped 32-D VAEs' architectures (see models/*/config.json)
    "N(0, I) prior": ModelConfig(kind="vae", latent_size=32, widths=(512, 512)),
    "VampPrior, K=300": ModelConfig(kind="vae", latent_size=32, widths=(512, 512), prior="vamp", pseudo_inputs=300),
}


def images_per_second(config: ModelConfig, batch_size: int, steps: int, jit: bool) -> float:
    """Images per second of `steps` training steps at `batch_size`, after a warm-up."""
    tfk.utils.set_random_seed(0)
    model = models.build(config)
    model.compile(optimizer=tfk.optimizers.Adam(1e-3), jit_compile=jit)
    x = (np.random.default_rng(0).random((batch_size * steps, 28, 28, 1)) < 0.13).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(batch_size).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=1, verbose=0)  # trace and compile
    start = time.perf_counter()
    model.fit(ds, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128, 256, 512])
    p.add_argument("--write", action="store_true", help="(re)write the train_throughput section of BENCHMARKS.md")
    args = p.parse_args()
    devices = [d.name for d in tf.config.list_logical_devices()]
    print(f"devices: {devices}")
    rows = []
    for name, config in CONFIGS.items():
        for batch_size in args.batch_sizes:
            plain = images_per_second(config, batch_size, args.steps, jit=False)
            try:
                xla = f"{images_per_second(config, batch_size, args.steps, jit=True):,.0f}"
            except (tf.errors.OpError, ValueError, TypeError, NotImplementedError) as err:  # XLA may refuse a TFP op
                xla = f"fails ({type(err).__name__})"
            rows.append([name, batch_size, f"{plain:,.0f}", xla])
            print(rows[-1], flush=True)
    body = table(["model", "batch size", "images/s", "images/s with XLA (jit_compile)"], rows)
    print(body)
    if args.write:
        write_section(
            "train_throughput",
            body,
            machine_facts(),
            note=f"Devices: {', '.join(devices)}. `fit` on random binary images from an in-memory "
            f"tf.data pipeline with prefetch, {args.steps} steps after a warm-up epoch.",
        )


if __name__ == "__main__":
    main()

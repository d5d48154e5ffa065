"""Export a 2-D model's decoder (and a VAE's encoder) trunk for the browser.

The decoder of a 2-D model is a small MLP (2 -> widths -> 784 logits, then a sigmoid); its
forward pass takes well under a millisecond in JavaScript, so the site's latent map runs it in
the visitor's browser on every pointer move, with no round trip to the server. The encoder
(784 -> widths -> 2 means and 2 pre-softplus spreads: q(z|x) = N(mu, diag softplus(s)^2), the
rule of `tfpl.IndependentNormal`) runs there too, so the drawing pad moves its q(z|x) on the
map after every stroke. This script writes each trunk's trained weights as one file of
little-endian float16 numbers,

    W_1 (in x out, row-major), b_1, W_2, b_2, ..., W_last, b_last

into static/decoders/<model dir>.f16 (the decoder) and static/decoders/<model dir>.encoder.f16,
which Streamlit serves (`server.enableStaticServing`) at app/static/decoders/. Float16 halves
the download (1.3 MB for a 512-512 trunk, 0.5 MB for 256-256); tests/test_latent_map.py
compares `forward` on each file with the model. The layer sizes come from config.json.

    python -m vae_tf.export_decoder --model models/vae-2d [--model models/ae-2d ...]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import special

from vae_tf.store import ROOT

STATIC_DIR = ROOT / "static" / "decoders"
SUFFIX = {"decoder": ".f16", "encoder": ".encoder.f16"}


def path_for(model_dir: Path, part: str = "decoder") -> Path:
    """The exported decoder (or encoder) of a model directory."""
    return STATIC_DIR / (Path(model_dir).name + SUFFIX[part])


def url_for(model_dir: Path, part: str = "decoder") -> str:
    """Its address relative to the site's root, as Streamlit's static serving serves it."""
    return "app/static/decoders/" + Path(model_dir).name + SUFFIX[part]


def layer_sizes(config, part: str = "decoder") -> list[int]:
    """The trunk's widths in the order the file stores them: [latent, hidden..., 784] or [784, hidden..., 2 latent]."""
    if part == "encoder":
        return [784, *config.widths, 2 * config.latent_size]
    return [config.latent_size, *reversed(config.widths), 784]


def exportable(config, part: str = "decoder") -> bool:
    """Whether the browser's forward pass fits: a 2-D code, a ReLU dense trunk (and a VAE, for the encoder)."""
    fits = config.latent_size == 2 and config.trunk == "dense" and config.activation == "relu"
    return fits and (part == "decoder" or config.kind == "vae")


def arrays(model, part: str = "decoder") -> list[np.ndarray]:
    """The trunk's kernels and biases, in order: [W_1, b_1, W_2, b_2, ...]."""
    net = model.encoder_net if part == "encoder" else model.decoder_net
    return [w.numpy() for layer in net.layers if hasattr(layer, "kernel") for w in (layer.kernel, layer.bias)]


def write(model, path: Path, part: str = "decoder") -> int:
    """Write the trunk's weights as float16 to `path`; return the number of bytes."""
    flat = np.concatenate([a.ravel() for a in arrays(model, part)]).astype("<f2")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(flat.tobytes())
    return flat.nbytes


def read(path: Path, sizes: list[int]) -> list[np.ndarray]:
    """The weights in an exported file, as float32 [W_1, b_1, ...] for the layer `sizes`."""
    flat = np.frombuffer(Path(path).read_bytes(), "<f2").astype(np.float32)
    out, at = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        out.append(flat[at : at + n_in * n_out].reshape(n_in, n_out))
        at += n_in * n_out
        out.append(flat[at : at + n_out])
        at += n_out
    if at != len(flat):
        raise ValueError(f"{path} holds {len(flat)} numbers, the layers need {at}")
    return out


def _trunk(weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Dense layers, ReLU between them, the last one linear: (N, in) to (N, out)."""
    h = np.asarray(x, np.float32)
    for i in range(0, len(weights), 2):
        h = h @ weights[i] + weights[i + 1]
        if i + 2 < len(weights):
            h = np.maximum(h, 0.0)
    return h


def forward(weights: list[np.ndarray], z: np.ndarray) -> np.ndarray:
    """The browser's decoder in NumPy: codes (N, 2) to pixel probabilities (N, 28, 28)."""
    return special.expit(_trunk(weights, z)).reshape(-1, 28, 28)  # 1 / (1 + e^-x), no overflow at x << 0


def encode(weights: list[np.ndarray], images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The browser's encoder in NumPy: images (N, 28, 28) to the mean and std of q(z|x), (N, 2) each."""
    params = _trunk(weights, np.asarray(images, np.float32).reshape(-1, 784))
    mean, spread = np.split(params, 2, axis=-1)
    return mean, np.logaddexp(spread, 0.0)  # softplus, as tfpl.IndependentNormal


def main(argv=None) -> int:
    """Export the decoder (and a VAE's encoder) of each model given."""
    p = argparse.ArgumentParser(prog="python -m vae_tf.export_decoder", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, action="append", required=True, help="a 2-D model directory")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    from vae_tf import store

    for directory in args.model:
        model = store.load(directory)
        for part in SUFFIX:
            if not exportable(model.config, part):
                print(f"skipped the {part} of {directory}: not a 2-D ReLU dense {part} (of a VAE)")
                continue
            size = write(model, path_for(directory, part), part)
            print(f"wrote {path_for(directory, part)} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Export a 2-D model's decoder trunk for the browser: the latent map decodes as the pointer moves.

The decoder of a 2-D model is a small MLP (2 -> widths -> 784 logits, then a sigmoid); its
forward pass takes well under a millisecond in JavaScript, so the site's latent map runs it in
the visitor's browser on every pointer move, with no round trip to the server (issue 14.1).
This script writes the trained weights as one file of little-endian float16 numbers,

    W_1 (in x out, row-major), b_1, W_2, b_2, ..., W_last, b_last

into static/decoders/<model dir>.f16, which Streamlit serves (`server.enableStaticServing`) at
app/static/decoders/<model dir>.f16. Float16 halves the download (1.3 MB for a 512-512 trunk,
0.5 MB for 256-256) and changes a decoded pixel probability by < 0.01 (tests/test_latent_map.py
compares `forward` on the file with `Inference.decode`). The layer sizes come from config.json.

    python -m vae_tf.export_decoder --model models/vae-2d [--model models/ae-2d ...]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from vae_tf.store import ROOT

STATIC_DIR = ROOT / "static" / "decoders"
SUFFIX = ".f16"


def path_for(model_dir: Path) -> Path:
    """The exported decoder of a model directory."""
    return STATIC_DIR / (Path(model_dir).name + SUFFIX)


def url_for(model_dir: Path) -> str:
    """Its address relative to the site's root, as Streamlit's static serving serves it."""
    return "app/static/decoders/" + Path(model_dir).name + SUFFIX


def layer_sizes(config) -> list[int]:
    """[latent, hidden..., 784]: the decoder trunk's widths, in the order the file stores them."""
    return [config.latent_size, *reversed(config.widths), 784]


def exportable(config) -> bool:
    """Whether the browser's forward pass fits the model: a 2-D code and a ReLU dense trunk."""
    return config.latent_size == 2 and config.trunk == "dense" and config.activation == "relu"


def arrays(model) -> list[np.ndarray]:
    """The decoder trunk's kernels and biases, in order: [W_1, b_1, W_2, b_2, ...]."""
    return [w.numpy() for layer in model.decoder_net.layers for w in (layer.kernel, layer.bias)]


def write(model, path: Path) -> int:
    """Write the decoder's weights as float16 to `path`; return the number of bytes."""
    flat = np.concatenate([a.ravel() for a in arrays(model)]).astype("<f2")
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


def forward(weights: list[np.ndarray], z: np.ndarray) -> np.ndarray:
    """The browser's computation in NumPy: codes (N, 2) to pixel probabilities (N, 28, 28)."""
    h = np.asarray(z, np.float32)
    for i in range(0, len(weights), 2):
        h = h @ weights[i] + weights[i + 1]
        if i + 2 < len(weights):
            h = np.maximum(h, 0.0)
    return (1.0 / (1.0 + np.exp(-h))).reshape(-1, 28, 28)


def main(argv=None) -> int:
    """Export the decoder of each model given."""
    p = argparse.ArgumentParser(prog="python -m vae_tf.export_decoder", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, action="append", required=True, help="a 2-D model directory")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    from vae_tf import store

    for directory in args.model:
        model = store.load(directory)
        if not exportable(model.config):
            print(f"skipped {directory}: not a 2-D ReLU dense decoder")
            continue
        size = write(model, path_for(directory))
        print(f"wrote {path_for(directory)} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

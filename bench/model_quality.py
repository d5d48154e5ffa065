"""Test metrics of the shipped models beside the published references, as a markdown table.

    python bench/model_quality.py [--models models]

Reads each model's metrics.json (written by `python -m vae_tf.evaluate`) and run.json
(written by `python -m vae_tf.train`); computes nothing itself.
"""

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Burda, Grosse & Salakhutdinov (2015), "Importance Weighted Autoencoders", table 1:
# test NLL (IWAE, k = 5000) on dynamically binarized MNIST.
REFERENCES = [
    ("Burda et al. 2015: VAE, 1 stochastic layer (k=1 training)", 86.76),
    ("Burda et al. 2015: IWAE, 1 stochastic layer (k=50 training)", 84.78),
    ("Burda et al. 2015: IWAE, 2 stochastic layers (k=50 training)", 82.90),
]


def rows(models: Path) -> list[dict]:
    """One row per model directory with a metrics.json."""
    out = []
    for directory in sorted(models.iterdir()):
        if not (directory / "metrics.json").is_file():
            continue
        m = json.loads((directory / "metrics.json").read_text())
        run = json.loads((directory / "run.json").read_text()) if (directory / "run.json").is_file() else {}
        nll = m.get(f"iwae_nll_k{m['k']}") if m.get("k") else None
        out.append({
            "model": directory.name,
            "test −ELBO": m.get("neg_elbo"), "reconstruction": m["recon_nll"], "KL": m.get("kl"),
            "NLL (IWAE)": nll, "± s.e.": m.get("iwae_nll_stderr") if nll is not None else None,
            "k": m.get("k") or None, "pixel MSE": m["pixel_mse"], "test images": m["test_images"],
            "train min": run.get("train_seconds", 0) / 60 or None,
            "eval min": m["wall_seconds"] / 60,
        })
    return out


def fmt(value) -> str:
    """A table cell."""
    if value is None:
        return "–"
    return f"{value:.4f}" if isinstance(value, float) and abs(value) < 1 else f"{value:.2f}" if isinstance(value, float) else str(value)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=Path, default=ROOT / "models")
    args = p.parse_args()
    table = rows(args.models)
    keys = list(table[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + " --- |" * len(keys))
    for row in table:
        print("| " + " | ".join(fmt(v) for v in row.values()) + " |")
    for name, nll in REFERENCES:
        print(f"| {name} | – | – | – | {nll:.2f} | – | 5000 | – | 10000 | – | – |")


if __name__ == "__main__":
    main()

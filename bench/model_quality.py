"""Test metrics of the shipped models beside the published references, as a markdown table.

    python bench/model_quality.py [--models models] [--write]

Reads each model's config.json, metrics.json (written by `python -m vae_tf.evaluate`) and
run.json (written by `python -m vae_tf.train`); computes nothing itself. Each row is one
change to the model, so the table reads as what each change bought and what it cost.
"""

import argparse
import json
from pathlib import Path

from common import ROOT, machine_facts, table, write_section

from vae_tf import store  # noqa: E402  (common puts the repository on sys.path)

# Burda, Grosse & Salakhutdinov (2015), "Importance Weighted Autoencoders", table 1:
# test NLL (IWAE, k = 5000) on dynamically binarized MNIST.
REFERENCES = [  # (model, kind, trunk, NLL)
    ("Burda et al. 2015, table 1", "VAE (k=1 training)", "dense 200-200 tanh, 50-D", 86.76),
    ("Burda et al. 2015, table 1", "IWAE (k=50 training)", "dense 200-200 tanh, 50-D", 84.78),
    ("Burda et al. 2015, table 1", "IWAE (k=50), 2 stochastic layers", "dense, 100-D and 50-D", 82.90),
]
HEADER = ["model", "data", "kind", "prior", "trunk", "epochs", "test −ELBO", "reconstruction", "KL", "NLL (IWAE)"]
HEADER += ["± s.e.", "k", "pixel MSE", "test images", "train min", "eval min"]


def read(directory: Path, name: str) -> dict:
    """A model's config.json, metrics.json or run.json ({} if it has no such file)."""
    path = directory / name
    return json.loads(path.read_text()) if path.is_file() else {}


def describe(directory: Path) -> list:
    """One row for a model directory with a metrics.json."""
    config, m, run = (read(directory, name) for name in ("config.json", "metrics.json", "run.json"))
    nll = store.iwae_nll(m)
    prior = (
        "–"
        if config["kind"] == "ae"
        else (f"VampPrior, K={config['pseudo_inputs']}" if config.get("prior") == "vamp" else "N(0, I)")
    )
    trunk = f"{config['trunk']} {'-'.join(map(str, config['widths']))}, {config['latent_size']}-D"
    return [
        f"`{directory.name}`",
        data_set(run),
        config["kind"].upper(),
        prior,
        trunk,
        run.get("args", {}).get("epochs"),
        m.get("neg_elbo"),
        m["recon_nll"],
        m.get("kl"),
        nll and f"**{nll:.2f}**",
        m.get("iwae_nll_stderr") if nll else None,
        m.get("k") or None,
        m["pixel_mse"],
        m["test_images"],
        run.get("train_seconds", 0) / 60 or None,
        m["wall_seconds"] / 60,
    ]


def data_set(run: dict) -> str:
    """The data set a model was trained and tested on, from its training command's --data."""
    path = str(run.get("args", {}).get("data") or "mnist")
    return "Fashion-MNIST" if "fashion" in Path(path).name.lower() else "MNIST"


def provenance(directory: Path) -> str:
    """A markdown list item: the training and evaluation commands and the devices they ran on."""
    run, m = read(directory, "run.json"), read(directory, "metrics.json")
    devices = ", ".join(run.get("devices", ["?"]))
    return (
        f"- `{directory.name}`: `{run.get('command', '?')}` on {devices} ({run.get('platform', '?')}, "
        f"{run.get('replicas', 1)} replica), then `{m['command']}`"
    )


def fmt(value) -> str:
    """A table cell."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=Path, default=ROOT / "models")
    p.add_argument("--write", action="store_true", help="(re)write the model_quality section of BENCHMARKS.md")
    args = p.parse_args()
    rows = [[fmt(v) for v in describe(d)] for d in sorted(args.models.iterdir()) if (d / "metrics.json").is_file()]
    rows += [
        [name, "MNIST", kind, "N(0, I)", trunk, "3280", "–", "–", "–", f"{nll:.2f}"]
        + ["–", "5000", "–", "10000", "–", "–"]
        for name, kind, trunk, nll in REFERENCES
    ]
    body = (
        table(HEADER, rows)
        + "\n\nHow each was made (from its run.json and metrics.json):\n\n"
        + "\n".join(provenance(d) for d in sorted(args.models.iterdir()) if (d / "metrics.json").is_file())
    )
    print(body)
    if args.write:
        write_section(
            "model_quality",
            body,
            machine_facts(),
            note="In nats per image on the 10,000 test images of the data set each model was trained on "
            "(column data; Fashion-MNIST's numbers do not compare with MNIST's), binarized once with seed 0. "
            "NLL is the IWAE estimate −log (1/k) Σ p(x, zᵢ)/q(zᵢ|x), zᵢ ~ q(z|x). The "
            "references' train and eval times are not comparable and are left out. vae-32d-fashion (the Anomaly "
            "page's reversed test) was evaluated with k = 1000, not 5000, so that its run fits in about ten "
            "minutes on the shared 2-core machine (its eval min is that run's, with a load average of about 13).",
        )


if __name__ == "__main__":
    main()

"""Where models live, and how they are saved and rebuilt: weights plus `config.json`.

We never pickle a model: a Keras model holding TFP layers only loads with
`safe_mode=False`, which runs arbitrary code. Instead a model directory holds

    config.json          the ModelConfig; the architecture is rebuilt from vae_tf.models
    model.weights.h5     the weights
    history.json         per-epoch training and validation terms (written by vae_tf.train)
    metrics.json         test metrics (written by vae_tf.evaluate)

Writes are atomic (a temporary file or directory, then a rename), so a killed run never
leaves a half-written model where the site would load it.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

from vae_tf.config import ModelConfig

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODELS_ENV = "VAE_TF_MODELS"  # overrides MODELS_DIR, e.g. for tests
ASSETS_DIR = ROOT / "assets"
WEIGHTS = "model.weights.h5"
CONFIG = "config.json"
HISTORY = "history.json"
METRICS = "metrics.json"

# The one registry of shipped models: the role each plays on the site -> its directory under
# models/. Everything (site, benchmarks, tests) reads the models through it; what a model is
# (its size, prior, beta) is read from its config.json and run.json, never written out again.
CORE = {
    "vae_main": "vae-32d-vamp",  # the best model: a VampPrior
    "vae_32d": "vae-32d",  # N(0, I) prior: the AE's twin, same trunks and epochs
    "ae_32d": "ae-32d",
    "vae_2d": "vae-2d",
    "ae_2d": "ae-2d",
}
# The beta family: 2-D VAEs that differ only in the KL term's weight (scripts/train_beta_family.sh).
BETAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
BETA_FAMILY = {beta: f"beta_{beta:g}" for beta in BETAS}  # beta -> role
MNIST_MODELS = CORE | {role: f"vae-2d-beta{beta:g}" for beta, role in BETA_FAMILY.items()}
# Trained on another data set (its test numbers do not compare with the MNIST models'): the
# anomaly page's reversed test, a model of clothes that scores digits as more likely.
OTHER_DATA = {"vae_fashion": "vae-32d-fashion"}
SHIPPED = MNIST_MODELS | OTHER_DATA


class ModelFilesError(RuntimeError):
    """A model directory is missing or damaged; the message says which command remakes it.

    `problem` ("missing", "damaged" or "unreadable"), `path` and `command` say the same for a page
    that words it in its visitor's language; `detail` (the error behind it) is in the message only.
    """

    _WORDS = {
        "missing": "is missing. Make it with",
        "damaged": "is damaged{detail}. Remake it with",
        "unreadable": "could not be read{detail}. Remake it with",
    }

    def __init__(self, problem: str, path: Path | str, command: str, detail: str = ""):
        words = self._WORDS[problem].format(detail=f" ({detail})" if detail else "")
        super().__init__(f"{path} {words}: {command} (see README, 'Train and evaluate')")
        self.problem, self.path, self.command = problem, str(path), command


def model_dir(name: str) -> Path:
    """The directory of a shipped model, by name (e.g. "vae-2d"), under $VAE_TF_MODELS or models/."""
    return Path(os.environ.get(MODELS_ENV) or MODELS_DIR) / name


def iwae_key(k: int) -> str:
    """The key of the IWAE estimate of the test NLL with k samples in metrics.json."""
    return f"iwae_nll_k{k}"


def iwae_nll(metrics: dict) -> float | None:
    """The IWAE estimate of the test NLL in a metrics.json (None for an AE, which has none)."""
    return metrics.get(iwae_key(metrics["k"])) if metrics.get("k") else None


def write_json(path: Path, obj) -> None:
    """Write JSON atomically: a temporary file beside `path`, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_json(path: Path):
    """Read a JSON file."""
    return json.loads(Path(path).read_text())


def save(model, directory: Path, extra: dict[str, object] | None = None) -> None:
    """Save config, weights and extra JSON files (name -> object) as one atomic swap.

    Everything is written into a sibling temporary directory first; files already in
    `directory` that are not rewritten (e.g. metrics.json) are kept.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    if directory.exists():
        for item in directory.iterdir():
            if item.is_file():
                shutil.copy2(item, staging / item.name)
    staging.chmod(0o755)
    (staging / CONFIG).write_text(model.config.to_json() + "\n")
    _without_optimizer(model).save_weights(str(staging / WEIGHTS))
    for name, obj in (extra or {}).items():
        write_json(staging / name, obj)
    _swap(staging, directory)


def _without_optimizer(model):
    """A copy holding the model's weights only: Keras would also save Adam's moments (3x the size)."""
    from vae_tf import models

    copy = models.build(model.config)
    copy.set_weights(model.get_weights())
    return copy


def _swap(staging: Path, directory: Path) -> None:
    """Replace `directory` by `staging` with renames only."""
    old = directory.with_name(f".{directory.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if directory.exists():
        os.replace(directory, old)
    os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def load(directory: Path):
    """Rebuild a model from `config.json` and load its weights.

    Raises:
      ModelFilesError: if a file is missing or does not match the architecture.
    """
    from vae_tf import models  # TensorFlow is imported only when a model is loaded

    directory = Path(directory)
    command = f"python -m vae_tf.train --output {directory}"
    try:
        config = ModelConfig.load(directory / CONFIG)
    except FileNotFoundError:
        raise ModelFilesError("missing", directory / CONFIG, command) from None
    except (ValueError, TypeError) as err:
        raise ModelFilesError("damaged", directory / CONFIG, command, str(err)) from None
    if not (directory / WEIGHTS).is_file():
        raise ModelFilesError("missing", directory / WEIGHTS, command)
    model = models.build(config)
    try:
        model.load_weights(str(directory / WEIGHTS))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as err:  # h5py's and Keras's, for a bad file
        raise ModelFilesError("unreadable", directory / WEIGHTS, command, type(err).__name__) from None
    return model

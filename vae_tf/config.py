"""The description of a model: enough to rebuild its architecture from `config.json`."""

import dataclasses
import json
from pathlib import Path

# The choices of each field, with what they mean (the training script's --help says it).
KINDS = {
    "vae": "a VAE (Gaussian q(z|x), KL to the prior p(z))",
    "ae": "the AE baseline (the same trunks, a deterministic code)",
}
TRUNKS = {"dense": "a multilayer perceptron"}
PRIORS = {  # the classes are in vae_tf.priors
    "standard": "N(0, I)",
    "vamp": "a VampPrior (the mixture of q(z|u_k) over K learned pseudo-inputs u_k)",
}
VAMP_PSEUDO_INPUTS = 500  # K of a VampPrior when none is given (the field's default, 0, means no pseudo-inputs)


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture of a VAE or of its AE baseline.

    Attributes:
      kind: "vae" (Gaussian q(z|x), KL to the prior) or "ae" (deterministic code).
      latent_size: number of latent dimensions.
      trunk: the encoder/decoder body; "dense" (multilayer perceptron).
      widths: hidden layer widths of the encoder; the decoder mirrors them.
      activation: activation of the hidden layers.
      prior: p(z) of a VAE: "standard" (N(0, I)) or "vamp" (the VampPrior of Tomczak &
        Welling 2018: the mixture (1/K) sum_k q(z|u_k) over K learned pseudo-inputs u_k).
      pseudo_inputs: K, the number of pseudo-inputs of a VampPrior.
      beta: the weight of the KL term in the training loss, recon + beta * KL (Higgins et al.
        2017); beta = 1 is the ELBO. The reported -ELBO always weighs the KL by 1.
    """

    kind: str = "vae"
    latent_size: int = 2
    trunk: str = "dense"
    widths: tuple[int, ...] = (512, 256)
    activation: str = "relu"
    prior: str = "standard"
    pseudo_inputs: int = 0
    beta: float = 1.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {tuple(KINDS)}, not {self.kind!r}")
        if self.trunk not in TRUNKS:
            raise ValueError(f"trunk must be one of {tuple(TRUNKS)}, not {self.trunk!r}")
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {tuple(PRIORS)}, not {self.prior!r}")
        if self.prior == "vamp" and (self.kind != "vae" or self.pseudo_inputs < 1):
            raise ValueError("a VampPrior needs kind 'vae' and at least one pseudo-input")
        if not (self.beta > 0 and self.beta < float("inf")):
            raise ValueError("beta must be a positive, finite number")
        if self.latent_size < 1:
            raise ValueError("latent_size must be at least 1")
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))

    def to_json(self) -> str:
        """The config as JSON text."""
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        """Rebuild a config from `to_json` text; unknown keys are an error."""
        return cls(**json.loads(text))

    @classmethod
    def load(cls, path: Path) -> "ModelConfig":
        """Read a config.json file."""
        return cls.from_json(Path(path).read_text())

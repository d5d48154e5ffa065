"""The code beside the idea: the exact source of the `vae_tf` function or layer that implements
what a page explains, read with `inspect` when the page runs, so it can never
drift from the code that trained and serves the models.

Each snippet names its object by module and qualified name, resolved at run time (a rename
fails tests/test_page_theory.py, not a visitor's page), and marks the lines worth a sentence by
a piece of their text; the sentence gives the line's number as it is found now.
"""

import functools
import importlib
import inspect
import textwrap

import streamlit as st

from vae_site import resources
from vae_site.i18n import t

# key -> (module, qualified name, {placeholder of the note: a piece of the line it points at}).
# The note is the catalog entry "code.<key>" and names each marked line by its number.
SNIPPETS = {
    "decoder_net": ("vae_tf.models", "make_decoder_net", {"logits": "Dense(NUM_PIXELS)"}),
    "likelihood": ("vae_tf.models", "p_x_given_z", {"bernoulli": "IndependentBernoulli.new("}),
    "bernoulli_layer": ("vae_tf.models", "LatentVariableModel.__init__", {"layer": "IndependentBernoulli("}),
    "all_pairs": ("vae_tf.models", "log_likelihood", {"linear": "tf.matmul(logits, pixels"}),
    "encoder_net": ("vae_tf.models", "make_encoder_net", {"head": "params_size"}),
    "posterior": ("vae_tf.models", "q_z_given_x", {"normal": "IndependentNormal.new("}),
    "posterior_layer": (
        "vae_tf.models",
        "LatentVariableModel.__init__",
        {"kl": "KLDivergenceRegularizer(", "normal": "GaussianPosterior("},
    ),
    "reparameterisation": ("vae_tf.inference", "Inference.sample_posterior", {"shift": "mean + std * eps"}),
    "elbo_terms": ("vae_tf.models", "elbo_terms", {"draw": "sample(seed=seed)", "recon": "recon = -"}),
    "kl_exact": ("vae_tf.priors", "StandardNormal.kl", {"exact": "tfd.kl_divergence("}),
    "kl_estimate": ("vae_tf.priors", "GaussianMixture.kl", {"estimate": "self.log_prob(z)"}),
    "iwae_weights": ("vae_tf.models", "iwae_log_weights", {"weight": "return log_px_z"}),
    "iwae_mean": ("vae_tf.inference", "Inference._iwae_batch", {"mean": "np.log(k)"}),
}


def resolve(module: str, qualname: str):
    """The object `module.qualname` (e.g. "vae_tf.models", "LatentVariableModel.__init__")."""
    resources.inference_class()  # the model code's first import is TensorFlow's: the site makes it in one place
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


@functools.cache
def source(key: str) -> str:
    """A snippet's source, dedented (a method reads as a function)."""
    module, qualname, _ = SNIPPETS[key]
    return textwrap.dedent(inspect.getsource(resolve(module, qualname)))


def line_numbers(key: str) -> dict[str, int]:
    """Each marked line's number in the snippet (1 = its first line); a marker not found is left out."""
    lines = source(key).splitlines()
    found = {}
    for name, piece in SNIPPETS[key][2].items():
        number = next((i for i, line in enumerate(lines, 1) if piece in line), None)
        if number is not None:
            found[name] = number
    return found


def show(*keys: str) -> None:
    """An expander with the source of each snippet and the sentence on its marked lines."""
    names = ", ".join(f"`{SNIPPETS[k][0]}.{SNIPPETS[k][1]}`" for k in keys)  # code, not markdown: __init__
    with st.expander(t("code.title", names=names), icon=":material/code:"):
        for key in keys:
            _snippet(key)


def _snippet(key: str) -> None:
    """One snippet: its name, its source with line numbers, and what its marked lines do."""
    module, qualname, marks = SNIPPETS[key]
    try:
        text, numbers = source(key), line_numbers(key)
    except (ImportError, AttributeError, OSError, TypeError):  # renamed or not inspectable: say so, no traceback
        st.caption(t("code.missing", name=f"{module}.{qualname}"))
        return
    st.markdown(f"`{module}.{qualname}`")
    st.code(text, language="python", line_numbers=True, wrap_lines=True)  # a phone sees the whole line
    if set(numbers) == set(marks):
        st.caption(t(f"code.{key}", **numbers))

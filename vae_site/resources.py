"""Models and data, loaded once per process and shared by every session.

`st.cache_resource` hands one `Inference` to all sessions (threads); `vae_tf.inference`
makes that safe. A missing or damaged model gives a message on the page that names the
command that remakes it, and the rest of the site keeps working.
"""

import contextlib
import gc
from pathlib import Path

import numpy as np
import streamlit as st

from vae_site import display, i18n
from vae_site.i18n import t
from vae_tf import data, figures, store


def title(role: str, lang: str | None = None) -> str:
    """A shipped model's name, e.g. "VAE, 2-D" (see `store.SHIPPED`), in `lang` (default: the visitor's)."""
    lang = lang or i18n.current()
    beta = next((b for b, r in store.BETA_FAMILY.items() if r == role), None)
    if beta is not None:
        return i18n.text(lang, "site.model_beta", beta=beta)
    return i18n.text(lang, "site.model_" + role)


_LOADING = "Loading the model… · 모델을 불러오는 중…"  # made once, before any language: both


@st.cache_resource(show_spinner=_LOADING)
def _load(directory: str):
    """The served model in `directory`, one per process."""
    inference = inference_class()
    with _collector_off():
        return inference(store.load(directory))


@st.cache_resource(show_spinner=_LOADING)
def inference_class():
    """The served model's class, `vae_tf.inference.Inference`: importing it imports TensorFlow, once per process.

    That import comes with the first model load or with a page's first code
    expander (`vae_site.code` reads the model code's source), whichever comes first: both go
    through here, so that it runs with the collector off (see `_freeze_heap`).
    """
    with _collector_off():
        from vae_tf.inference import Inference

    return Inference


@contextlib.contextmanager
def _collector_off():
    """The garbage collector off inside, then every object alive frozen (see `_freeze_heap`)."""
    gc.disable()
    try:
        yield
    finally:
        _freeze_heap()
        gc.enable()


def _freeze_heap() -> None:
    """Exempt every object alive now (TensorFlow's hundreds of thousands, the model) from garbage collection.

    Streamlit runs a full collection after every script run (`runner.postScriptGC`), holding the
    GIL; with TensorFlow loaded each one walked all of its objects, longer than the script itself.
    After `gc.freeze()` a collection only walks the objects made since. The collector is also off
    while TensorFlow is imported and a model loads, as the collections its objects set off slowed
    the first load. The gains: BENCHMARKS.md, "Settings kept for their measured gain".
    """
    gc.collect()
    gc.freeze()


def model(role: str):
    """The served model for a role (see `store.SHIPPED`), or None after showing what is wrong."""
    try:
        return _load(cache_key(role))
    except store.ModelFilesError as err:
        problem = t(f"site.model_file_{err.problem}", path=err.path)
        st.error(
            t("site.model_missing", model=title(role), problem=problem, command=err.command), icon=":material/warning:"
        )
        return None


def require(role: str):
    """The model for `role`, or stop the page (after saying why) if it is missing."""
    found = model(role)
    if found is None:
        st.stop()
    return found


# The arrays below are shared by every session (`st.cache_resource`, not `st.cache_data`) and
# read-only. `st.cache_data` unpickles a fresh copy for every call, and a session's copies stay
# alive as long as the session does: Streamlit keeps a disconnected session for two minutes in
# case it reconnects, and the widgets' callbacks hold the page's globals (BENCHMARKS.md, "Settings kept").


@st.cache_resource(show_spinner=False)
def mnist_test_digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST test digits: grey images (N, 28, 28) in [0, 1] and labels (N,). Read-only."""
    split = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz")
    return _read_only(split.x[..., 0]), _read_only(split.y)


@st.cache_resource(show_spinner=False)
def binary_test_digits(seed: int = 0) -> np.ndarray:
    """The bundled test digits binarized once (pixel on with probability p), as the models score them. Read-only."""
    return _read_only(data.binarize(mnist_test_digits()[0], seed))


def _read_only(array: np.ndarray) -> np.ndarray:
    """`array`, contiguous and marked read-only: it is shared by every session."""
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def model_json(role: str, filename: str) -> dict | None:
    """A model's history.json, metrics.json or run.json, or None if it is missing or unreadable."""
    return _read_json(str(Path(cache_key(role)) / filename))


@st.cache_data(show_spinner=False)
def _read_json(path: str) -> dict | None:
    """A JSON file, or None."""
    try:
        return store.read_json(path)
    except (OSError, ValueError):
        return None


def cache_key(role: str) -> str:
    """The model directory of a role: cached results that depend on a model take it as an argument."""
    return str(store.model_dir(store.SHIPPED[role]))


# One colour per model on every chart of the site, in the registry's order (11 models and more).
_COLOURS = display.CATEGORY10 + ["#393b79", "#ad494a", "#637939", "#7b4173"]  # then category20b's darks


def colour(role: str) -> str:
    """The colour of a model on every chart."""
    return _COLOURS[list(store.SHIPPED).index(role) % len(_COLOURS)]


def mnist_test_codes(role: str) -> np.ndarray:
    """The means of q(z|x) (an AE's codes) of the bundled test digits under a model. (N, L)."""
    return _codes(require(role), cache_key(role))


@st.cache_resource(show_spinner=False)
def _codes(_served, directory: str) -> np.ndarray:
    """`mnist_test_codes`, cached per model directory. Read-only, shared like `mnist_test_digits`."""
    mean, _ = _served.encode(binary_test_digits())
    return _read_only(mean)


def figure(role: str, name: str) -> dict[str, np.ndarray]:
    """A model's fixed figure (see `vae_tf.figures`): shipped in figures.npz, else computed once.

    A shipped figure is read without loading the model (Theory shows the N(0, I) VAE's figure only),
    so a page that only shows it does not wait for the model to load.
    """
    shipped = _shipped_figures(cache_key(role)).get(name)
    return shipped if shipped is not None else _computed_figure(require(role), cache_key(role), name)


@st.cache_resource(show_spinner=False)
def _shipped_figures(directory: str) -> dict[str, dict[str, np.ndarray]]:
    """A model directory's figures.npz, once per process. Read-only, shared by every session."""
    return {name: _read_only_arrays(arrays) for name, arrays in figures.load(directory).items()}


@st.cache_resource(show_spinner=False)
def _computed_figure(_served, directory: str, name: str) -> dict[str, np.ndarray]:
    """A figure that figures.npz lacks, computed once per process and model directory. Read-only."""
    return _read_only_arrays(figures.module(name).compute(_served))


def _read_only_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each array of a figure, read-only (see `_read_only`)."""
    return {key: _read_only(value) for key, value in arrays.items()}

"""The 2-D latent map: the test digits' codes, posteriors as ellipses, marked points, decode on hover.

Drawn by a small `st.components.v2` component (components/latent_map.js) in the page itself, not
in an iframe; `draw` is the one way to put a map on a page. Moving or dragging the pointer over
the map, or the arrow keys on the focused map, decode the code under the point in the
browser with the trained decoder's weights, exported once by `python -m vae_tf.export_decoder`
into static/decoders/ and served by Streamlit's static file serving (`server.enableStaticServing`):
the browser downloads them once (0.5-1.3 MB, ~7% less gzipped) and keeps them for every later
run and page (and, in Cache Storage, for later visits), and a hover sends nothing to the server
and runs no script. Why not precomputed decodes on a grid: a
41 x 41 grid (steps of 0.2) is already a 440 KB PNG, and a grid as fine as the forward pass
(any point) would be larger than the weights.

A posterior q(z|x) = N(mu, diag sigma^2) is drawn as its 1-sigma (solid) and 2-sigma (dashed)
ellipses in the codes' own units (`explain.ellipse`), so it is to the axes' scale.
"""

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from vae_site import display, resources
from vae_site.i18n import t
from vae_tf import explain, export_decoder

_HERE = Path(__file__).resolve().parent / "components"
JS = (_HERE / "latent_map.js").read_text()  # the map's functions; the drawing pad's script builds on them
CSS = (_HERE / "latent_map.css").read_text()
_COMPONENT = st.components.v2.component(
    "vae_latent_map", js=JS + "\nexport default mountLatentMap;\n", css=CSS, isolate_styles=True
)
DIGIT_COLOURS = display.CATEGORY10  # as the site's other digit charts
PRIOR_BOX = np.array([[-2.5, -2.5], [2.5, 2.5]])  # N(0, I)'s 2.5-sigma square
POSTERIOR_COLOURS = ["#000000", "#c2185b", "#1b5e20", "#4a148c", "#e65100", "#0d47a1"]


def draw(role: str, marks=(), height: int = 360, posteriors=(), key: str | None = None) -> dict:
    """Draw the map of a 2-D model; return the data the browser got (the tests read it).

    Args:
      role: a 2-D model's role (see `vae_tf.store.SHIPPED`).
      marks: (name, (z1, z2)) pairs, drawn as black diamonds with their names.
      height: of the plot, in pixels.
      posteriors: (label, mean (2,), std (2,)) triples, drawn as 1- and 2-sigma ellipses.
      key: the component's key; by default one per role on a page.
    """
    data = map_data(role, marks, height, posteriors)
    _COMPONENT(data=data, key=key or f"latent_map_{role}", height="content")
    return data


def map_data(role: str, marks=(), height: int = 360, posteriors=()) -> dict:
    """What the browser draws: codes, labels, ellipses, marks, the decoder's address, the texts."""
    codes = resources.mnist_test_codes(role)
    rings = [_posterior(i, label, mean, std) for i, (label, mean, std) in enumerate(posteriors)]
    marks = [{"name": str(name), "z": [float(z[0]), float(z[1])]} for name, z in marks]
    shown = [codes] + [np.asarray(r["rings"][-1]) for r in rings] + [np.array([m["z"] for m in marks]).reshape(-1, 2)]
    if resources.require(role).config.kind == "vae":
        shown.append(PRIOR_BOX)  # a VAE's map shows its prior's scale: a collapsed posterior is a dot
    decimals = 3 + max(0, -int(np.floor(np.log10(max(float(codes.std()), 1e-9)))))  # ~4 digits of the spread
    return {
        "codes": np.round(codes.astype(np.float64), decimals).tolist(),
        "labels": resources.mnist_test_digits()[1].astype(int).tolist(),
        "colours": DIGIT_COLOURS,
        "domain": explain.map_domain(np.concatenate(shown)),
        "marks": marks,
        "posteriors": rings,
        "decoder": weights(role),
        "height": int(height),
        "text": _texts(),
    }


def _posterior(i: int, label: str, mean, std) -> dict:
    """One posterior's ellipses (1 and 2 sigma, in data units), colour and label."""
    mean, std = np.asarray(mean, np.float64).ravel(), np.asarray(std, np.float64).ravel()
    return {
        "label": str(label),
        "colour": POSTERIOR_COLOURS[i % len(POSTERIOR_COLOURS)],
        "mean": mean.round(4).tolist(),
        "std": std.round(4).tolist(),
        "rings": [np.round(explain.ellipse(mean, std, r), 4).tolist() for r in (1.0, 2.0)],
    }


def weights(role: str, part: str = "decoder") -> dict | None:
    """The exported decoder's (or encoder's) address and layer sizes, or None if it was not exported.

    tests/test_latent_map.py checks that each shipped 2-D model's export computes as the model does.
    """
    directory = Path(resources.cache_key(role))
    path = export_decoder.path_for(directory, part)
    config = resources.require(role).config
    if not export_decoder.exportable(config, part) or not path.is_file():
        return None
    return {
        "url": f"{export_decoder.url_for(directory, part)}?v={_version(str(path), path.stat().st_mtime)}",
        "sizes": export_decoder.layer_sizes(config, part),
    }


@st.cache_resource(show_spinner=False)
def _version(path: str, mtime: float) -> str:
    """A short hash of an exported decoder: the browser keeps the weights under a URL that changes with them."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


_TEXTS = (
    "x_title",
    "y_title",
    "legend_title",
    "legend_help",
    "hint",
    "hint_short",
    "unavailable",
    "loading",
    "rings",
    "aria",
    "aria_point",
    "readout",
)


_SLOTS = {name: "{" + name + "}" for name in ("z1", "z2", "digit")}  # filled in by the browser


def _texts() -> dict:
    """The map's texts in the visitor's language (templates: the browser fills in z and the digit)."""
    return {k: t("latent_map." + k, **_SLOTS) for k in _TEXTS}

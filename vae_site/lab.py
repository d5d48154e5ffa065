"""The Lab's trainer: a small VAE that learns in the visitor's browser, drawn by components/lab.js.

The page sends the component its texts, the addresses of TensorFlow.js (static/tfjs/, vendored
from the npm registry) and of the bundled digits (static/lab/, `python -m vae_tf.export_lab`),
and the architecture of vae_tf's reference model; from then on the browser trains, draws and
decodes on its own: no script run and no websocket message while it trains (bench/lab_speed.py
counts them). The component is an `st.components.v2` component, drawn in the page itself.

The reference (static/lab/reference.json) is vae_tf's model of the same architecture, trained by
`python -m vae_tf.train`; the browser builds its network from the reference's widths, so the two
are the same architecture by construction, and tests/test_browser_lab.py checks that the browser
scores vae_tf's weights as vae_tf does.
"""

import json
from functools import cache
from pathlib import Path

import streamlit as st

from vae_site import display, i18n
from vae_tf import export_lab, store

_HERE = Path(__file__).resolve().parent / "components"
_COMPONENT = st.components.v2.component(
    "vae_lab",
    js=(_HERE / "lab.js").read_text(),
    css=(_HERE / "lab.css").read_text(),
    isolate_styles=True,
)
TFJS_VERSION = "4.22.0"  # static/tfjs/README.md says where the files come from
TFJS = "app/static/tfjs/"
LAB = "app/static/lab/"
BETAS = list(store.BETAS)  # the β slider's values: the β family's, so each has its shipped model
RATES = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2]  # Adam's learning rate
LEARNING_RATE = 3e-3  # the default; bench/lab_speed.py measures the time to 170 nats with it
BATCH = 100
SHOWN = 600  # digits drawn on the map (the first ones of the bundle)
GRID = {"size": 9, "span": 2.0}  # decoded codes: a 9 x 9 grid over [-2, 2]^2
RING_COLOURS = ["#000000", "#c2185b", "#1b5e20", "#4a148c"]
RING_LABELS = ["A", "B", "C", "D"]
_UI = "ui_"  # catalog keys the browser formats itself ({name} placeholders)


@cache
def reference() -> dict | None:
    """How vae_tf's model of the same architecture scores the bundled digits (None if not exported)."""
    path = export_lab.STATIC_DIR / export_lab.REFERENCE
    return json.loads(path.read_text()) if path.is_file() else None


def draw(key: str = "lab") -> dict | None:
    """Draw the trainer; return the data the browser got (the tests read it), or None without the bundle."""
    data = lab_data(i18n.current())
    if data is not None:
        _COMPONENT(data=data, key=key, height="content")
    return data


def lab_data(lang: str) -> dict | None:
    """What the browser needs: addresses, architecture, controls' values, the reference, the texts."""
    ref = reference()
    if ref is None or not (export_lab.STATIC_DIR / export_lab.DIGITS).is_file():
        return None
    version = ref["digits"]["sha256"][:12]  # a new bundle is a new address: never a stale cached copy
    return {
        "lang": lang,
        "lib": {
            "core": f"{TFJS}tf.es2017.min.js?v={TFJS_VERSION}",
            "wasm": f"{TFJS}tf-backend-wasm.es2017.min.js?v={TFJS_VERSION}",
            "wasm_dir": TFJS,
            "query": f"?v={TFJS_VERSION}",
        },
        "digits": {
            "images": f"{LAB}{export_lab.DIGITS}?v={version}",
            "labels": f"{LAB}{export_lab.LABELS}?v={version}",
        },
        "config": {
            "hidden": ref["widths"][0],
            "latent": 2,
            "batch": BATCH,
            "lr": LEARNING_RATE,
            "seed": 0,
            "shown": list(range(SHOWN)),
            "chosen": ref["chosen"],
        },
        "betas": BETAS,
        "rates": RATES,
        "grid": GRID,
        "colours": display.CATEGORY10,
        "ring_colours": RING_COLOURS,
        "ring_labels": RING_LABELS[: len(ref["chosen"])],
        "reference": {k: ref[k] for k in ("neg_elbo", "recon", "kl")},
        "text": texts(lang),
    }


def texts(lang: str) -> dict:
    """The component's texts in `lang`, as templates the browser fills in."""
    return {k[len(_UI) :]: v[lang] for k, v in i18n.catalog("lab").items() if k.startswith(_UI)}

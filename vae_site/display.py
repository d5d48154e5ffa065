"""Putting digits and charts on screen: crisp digits in grids that wrap at phone width, and
charts whose Vega-Lite spec is made once per process."""

import copy
import threading

import numpy as np
import pandas as pd
import streamlit as st

from vae_tf.images import upscale

# Browsers smooth a scaled image; digits must stay crisp pixels at any width.
_CRISP = "<style>[data-testid='stImage'] img {image-rendering: pixelated;}</style>"


def crisp_images() -> None:
    """Once per page run: tell the browser never to blur digit images."""
    st.html(_CRISP)


def digits(images, captions=None, size: int = 84) -> None:
    """Show images (28x28 or any 2-D size; float in [0, 1] or uint8) in a row that wraps, size x size each."""
    st.image([upscale(np.squeeze(im), size) for im in images], caption=captions, width=size)


def grid(images: np.ndarray, columns: int, size: int = 28 * 3, gap: int = 2) -> np.ndarray:
    """Tile (N, 28, 28) images into one uint8 picture, `columns` wide, with thin grey gaps."""
    n = len(images)
    rows = -(-n // columns)
    cell = size + gap
    out = np.full((rows * cell - gap, columns * cell - gap), 200, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        out[r * cell : r * cell + size, c * cell : c * cell + size] = upscale(np.clip(im, 0, 1), size)
    return out


# Altair's theme is global to the process; `vega_lite_spec` switches it off while it builds.
_ALTAIR_THEME = threading.Lock()


def vega_lite_spec(chart) -> dict:
    """An Altair chart's Vega-Lite spec, without Altair's default view size (as `st.altair_chart` does).

    Build the chart on named data (`alt.Data(name=...)`, every field typed) inside a function
    cached with `st.cache_resource`, and draw it with `chart`. `st.altair_chart` builds and
    validates the whole spec on every run, ~30 ms for the 1,000-point latent map; the spec only
    changes with the page's code, the data with each run.
    """
    import altair as alt

    with _ALTAIR_THEME, alt.theme.enable("none"):
        return chart.to_dict()


def chart(spec: dict, **datasets: pd.DataFrame) -> None:
    """Draw a spec from `vega_lite_spec`, page-wide, with its named datasets filled in."""
    st.vega_lite_chart({**copy.deepcopy(spec), "datasets": datasets}, width="stretch")

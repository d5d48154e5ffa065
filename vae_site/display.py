"""Putting digits on screen: crisp (nearest-neighbour) and in grids that wrap at phone width."""

import numpy as np
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

"""The drawing pad: draw a digit, see its q(z|x) move on a 2-D map at once, and get it back as a digit.

One small `st.components.v2` component (components/drawing_pad.js, on top of the latent map's
script) in the page itself: a canvas for a mouse, pen or finger, a Clear button that is always
shown, a line naming the keyboard alternative, and, when asked for, a 2-D VAE's latent map
beside the pad (under it when the column is narrow, as on a phone).

After every stroke the browser turns the drawing into a 28x28 digit as `vae_tf.images` does
(the crop, the 20x20 fit and the centring by mass; not the outline filling, which the pad's
pen never needs, nor the stroke redrawing, which it needs only for a digit drawn very small or
edge to edge: the note under the map then says the page's q(z|x) may differ), runs the 2-D VAE's encoder on it with the
weights `python -m vae_tf.export_decoder` exported (float16), and draws q(z|x) on the map: no
message to the server, no rerun. It then sends the drawing as a PNG; the server runs the whole
preprocessing (`vae_tf.images.preprocess_canvas`) and the page its analysis, so what the page
shows below comes from the server, and the map beside the pad from the browser.
"""

import base64
import binascii
import dataclasses
from pathlib import Path

import numpy as np
import streamlit as st

from vae_site import latent_map, uploads
from vae_site.i18n import t
from vae_tf.images import ImageError
from vae_tf.images.decode import decode_image, guarded

_HERE = Path(__file__).resolve().parent / "components"
_PAD = st.components.v2.component(
    "vae_drawing_pad",
    js=latent_map.JS + (_HERE / "drawing_pad.js").read_text() + "\nexport default mountDrawingPad;\n",
    css=latent_map.CSS + (_HERE / "drawing_pad.css").read_text(),
    isolate_styles=True,
)
_PNG = "data:image/png;base64,"
MAX_PNG_CHARS = 2_000_000  # a 280x280 drawing is a few tens of kB; anything far larger is not from the pad
_TEXTS = ("pad_label", "clear", "name", "map_note", "map_redrawn", "map_empty", "unavailable")


def pad(key: str, map_role: str | None = None, keyboard: str | None = None) -> uploads.Digit | None:
    """A drawing pad, with a live q(z|x) map beside it if `map_role` names a 2-D VAE.

    Args:
      key: the component's key, unique on the page.
      map_role: a 2-D VAE's role (e.g. "vae_2d"): its latent map is drawn beside the pad (under
        it on a narrow column) and every stroke moves the drawing's q(z|x) on it, computed in the
        browser. None: the pad alone.
      keyboard: the sentence that names the page's keyboard alternative to drawing (default:
        pick a test digit instead).

    Returns:
      the drawn digit, preprocessed by the server (None while the pad is empty).
    """
    data = {
        "text": {k: t("drawing." + k) for k in _TEXTS} | {"keyboard": keyboard or t("drawing.keyboard")},
        "map": latent_map.map_data(map_role, height=300) if map_role else None,
        "encoder": latent_map.weights(map_role, "encoder") if map_role else None,
    }
    result = _PAD(data=data, key=key, default={"png": None}, on_png_change=lambda: None, height="content")
    drawn = digit_from_png(result.get("png"))
    return dataclasses.replace(drawn, name=t("drawing.name")) if drawn else None


def digit_from_png(text) -> uploads.Digit | None:
    """The pad's PNG (a data URL) as a digit; None for an empty pad or anything that is not the pad's PNG."""
    if not isinstance(text, str) or not text.startswith(_PNG) or len(text) > MAX_PNG_CHARS:
        return None
    try:
        image = decode_image(base64.b64decode(text[len(_PNG) :], validate=True))
        rgba = guarded(lambda: np.asarray(image.convert("RGBA"), np.uint8))
    except (binascii.Error, ImageError):
        return None
    return uploads.digit_from_canvas(rgba)

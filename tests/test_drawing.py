"""The drawing pad's server side: its PNG becomes a digit as an upload does; anything else is no drawing."""

import base64
import io

import numpy as np
from PIL import Image, ImageDraw

from vae_site import drawing
from vae_tf.images import preprocess_canvas


def data_url(image: Image.Image) -> str:
    """A picture as the pad sends it: a PNG data URL."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def seven() -> Image.Image:
    """A 7 drawn as the pad draws: a black 20 px pen on a white 280x280 canvas."""
    image = Image.new("RGBA", (280, 280), "white")
    ImageDraw.Draw(image).line([(62, 56), (218, 56), (126, 238)], fill="black", width=20, joint="curve")
    return image


def test_the_pads_png_is_preprocessed_as_a_canvas():
    digit = drawing.digit_from_png(data_url(seven()))
    expected = preprocess_canvas(np.asarray(seven())).digit
    np.testing.assert_allclose(digit.image, expected)
    assert digit.preprocessed.steps[0][0].code == "step_canvas"


def test_an_empty_pad_or_anything_else_is_no_drawing():
    assert drawing.digit_from_png(data_url(Image.new("RGBA", (280, 280), "white"))) is None  # blank
    assert drawing.digit_from_png(None) is None
    assert drawing.digit_from_png(12) is None
    assert drawing.digit_from_png("data:image/png;base64,not base64!") is None
    assert drawing.digit_from_png("data:image/png;base64," + base64.b64encode(b"GIF89a").decode()) is None
    assert drawing.digit_from_png("data:text/html;base64," + data_url(seven()).split(",")[1]) is None
    assert drawing.digit_from_png("data:image/png;base64," + "A" * drawing.MAX_PNG_CHARS) is None
    assert drawing.digit_from_png(data_url(Image.new("L", (4, 4), 0))) is None  # too small to hold a digit

"""Hostile and broken uploads: the public function returns a digit or raises ImageError, nothing else.

Hypothesis throws arbitrary bytes, truncated and bit-flipped files of every accepted format,
odd colour modes (1, P, LA, I;16, F, CMYK), animated GIFs and headers that claim huge sizes
at ``preprocess_upload``, and at the site's ``uploads.convert``, which must answer every
file with a Digit or a message.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from vae_tf.images import ImageError, preprocess_upload
from vae_tf.images.messages import Text

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _digit_picture(mode: str, size: tuple[int, int]) -> Image.Image:
    """A black "1"-ish stroke on white, converted to mode."""
    image = Image.new("L", size, 255)
    w, h = size
    ImageDraw.Draw(image).line([(w // 2, h // 6), (w // 2, 5 * h // 6)], 0, max(1, w // 12))
    if mode == "F":
        return image.convert("F")  # 0..255 floats, so a fallback to RGB keeps the picture
    if mode == "I;16":
        return Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
    return image.convert(mode)


def _save(image: Image.Image, fmt: str) -> bytes:
    """Bytes of image in fmt (RGB where a format cannot hold the mode)."""
    buffer = io.BytesIO()
    try:
        image.save(buffer, fmt)
    except (OSError, ValueError):  # e.g. GIF cannot quantise I;16
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


def _animated_gif(size: tuple[int, int]) -> bytes:
    """Two frames: a digit, then black."""
    frames = [_digit_picture("P", size), Image.new("P", size, 0)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50)
    return buffer.getvalue()


def _huge_png(width: int, height: int) -> bytes:
    """A valid 8x8 PNG whose header claims width x height (CRC recomputed)."""
    data = bytearray(_save(Image.new("L", (8, 8), 255), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


MODES = ["1", "L", "P", "LA", "RGB", "RGBA", "I;16", "F", "CMYK"]
FORMATS = ["PNG", "JPEG", "GIF", "TIFF", "WEBP", "BMP"]


@st.composite
def files(draw) -> bytes:
    """A real file in some format and mode, then perhaps cut short or bit-flipped."""
    size = (draw(st.integers(8, 96)), draw(st.integers(8, 96)))
    if draw(st.booleans()) and draw(st.booleans()):
        data = _animated_gif(size)
    else:
        data = _save(_digit_picture(draw(st.sampled_from(MODES)), size), draw(st.sampled_from(FORMATS)))
    damage = draw(st.sampled_from(["none", "truncate", "flip"]))
    if damage == "truncate":
        return data[: draw(st.integers(1, max(1, len(data) - 1)))]
    if damage == "flip":
        at = draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8))
        flipped = bytearray(data)
        for i in at:
            flipped[i] ^= draw(st.integers(1, 255))
        return bytes(flipped)
    return data


def _assert_digit_or_image_error(data: bytes) -> None:
    """The contract: a (28, 28) float32 digit in [0, 1], or ImageError."""
    try:
        result = preprocess_upload(data)
    except ImageError as err:
        assert isinstance(err.text, Text) and str(err) == str(err.text)
        return
    assert result.digit.shape == (28, 28) and result.digit.dtype == np.float32
    assert 0.0 <= float(result.digit.min()) and float(result.digit.max()) <= 1.0


@SETTINGS
@given(st.binary(min_size=0, max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    _assert_digit_or_image_error(data)


@SETTINGS
@given(files())
def test_broken_files_of_every_format_and_mode(data: bytes) -> None:
    _assert_digit_or_image_error(data)


@SETTINGS
@given(st.sampled_from(FORMATS), st.sampled_from(MODES), st.integers(24, 64))
def test_whole_files_of_every_format_and_mode_give_a_digit(fmt: str, mode: str, side: int) -> None:
    data = _save(_digit_picture(mode, (side, side)), fmt)
    result = preprocess_upload(data)
    assert result.digit.shape == (28, 28) and float(result.digit.max()) == pytest.approx(1.0)


@pytest.mark.parametrize(("width", "height"), [(50_000, 50_000), (2**31 - 1, 8), (8, 2**31 - 1), (65_535, 65_535)])
def test_huge_dimensions_are_refused(width: int, height: int) -> None:
    with pytest.raises(ImageError):
        preprocess_upload(_huge_png(width, height))


@SETTINGS
@given(files())
def test_site_answers_every_file_with_a_digit_or_a_message(data: bytes) -> None:
    from vae_site import uploads

    result = uploads.convert("upload.png", data, as_is=True)
    assert isinstance(result, (uploads.Digit, str))
    if isinstance(result, uploads.Digit):
        assert result.image.shape == (28, 28)

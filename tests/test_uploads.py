"""vae_site.uploads.convert: a digit, a message naming the file, or (as_is) the whole picture."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vae_site import uploads


def _png(image: Image.Image) -> bytes:
    """PNG bytes of an image."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_digit_becomes_a_digit() -> None:
    sheet = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(sheet).line([(100, 30), (100, 170)], 0, 16)
    result = uploads.convert("one.png", _png(sheet))
    assert isinstance(result, uploads.Digit) and result.image.shape == (28, 28)
    assert result.preprocessed is not None and result.preprocessed.steps


def test_no_digit_is_a_message_or_the_whole_picture() -> None:
    blank = _png(Image.new("L", (200, 200), 255))
    message = uploads.convert("blank.png", blank)
    assert isinstance(message, str) and message.startswith("`blank.png`: No digit found")
    whole = uploads.convert("blank.png", blank, as_is=True)
    assert isinstance(whole, uploads.Digit) and whole.preprocessed is None
    assert [note.code for note in whole.notes] == ["as_is"]
    assert "whole picture" in uploads.say(whole.notes[0])


def test_a_broken_file_is_a_message_even_as_is() -> None:
    result = uploads.convert("x`\nname.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, as_is=True)
    assert isinstance(result, str) and result.startswith("`x' name.png`: ") and "not an image we can read" in result


def test_every_code_of_the_upload_path_is_worded_in_the_site_catalog():
    """The library says codes; the site's catalog words each one (both languages: tests/test_i18n.py)."""
    from vae_site import i18n
    from vae_tf.images.messages import CODES, Text

    assert [code for code in CODES if code not in i18n.catalog("images")] == []
    with pytest.raises(KeyError):
        Text("no_such_code")


def test_a_refusal_is_worded_from_its_values() -> None:
    from vae_site import i18n
    from vae_tf.images.decode import MIN_SIDE

    message = uploads.convert("tiny.png", _png(Image.new("L", (5, 3), 255)))
    assert message == "`tiny.png`: " + i18n.text("en", "images.too_small", width=5, height=3, side=MIN_SIDE)
    assert "5x3 pixels" in message


def test_a_refusal_a_caption_and_a_note_carry_their_code_and_values():
    from vae_tf.images import ImageError, preprocess_canvas, preprocess_upload

    with pytest.raises(ImageError) as refused:
        preprocess_upload(b"")
    assert refused.value.text.code == "empty_file" and str(refused.value) == "empty_file"
    canvas = np.zeros((200, 200, 4), np.uint8)
    canvas[40:160, 95:105] = (0, 0, 0, 255)  # a 1, clear of the edges
    result = preprocess_canvas(canvas)
    assert [caption.code for caption, _ in result.steps][:2] == ["step_canvas", "step_cropped"]
    assert all(note.code for note in result.notes)

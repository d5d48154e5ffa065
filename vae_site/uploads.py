"""Uploads and drawings to MNIST-like digits, with a clear message per bad file.

One bad file never spoils the others: each file is turned into a digit on its own, and a
failure becomes a message that names the file (as plain text, never as HTML or markdown).
Uploads are processed in memory and never written to disk.
"""

import dataclasses

import numpy as np
import streamlit as st

from vae_site.i18n import t
from vae_tf.images import (
    MAX_UPLOAD_BYTES,
    ImageError,
    NoDigitFound,
    Preprocessed,
    preprocess_canvas,
    preprocess_upload,
    shrink_as_is,
)
from vae_tf.images.messages import Text

IMAGE_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]
MAX_MB = MAX_UPLOAD_BYTES // (1024 * 1024)


@dataclasses.dataclass(frozen=True)
class Digit:
    """A digit ready for the models, and where it came from."""

    name: str
    image: np.ndarray  # (28, 28) float32 in [0, 1], what the models read
    preprocessed: Preprocessed | None = None
    notes: tuple[Text, ...] = ()  # texts of the upload path (show them with `say`)

    def __post_init__(self):
        """Notes default to the preprocessing's own."""
        if self.preprocessed is not None and not self.notes:
            object.__setattr__(self, "notes", tuple(self.preprocessed.notes))


def say(text: Text) -> str:
    """A text of the upload path (a caption, a note, a refusal) in the visitor's language."""
    return t("images." + text.code, **text.values)


def _refusal(name: str, err: ImageError) -> str:
    """The message shown for a file that could not become a digit."""
    return t("images.refused", name=plain(name), reason=say(err.text))


def plain(name: str) -> str:
    """A file name safe to show inside markdown: as inline code, so nothing in it is interpreted."""
    return "`" + name.replace("`", "'").replace("\n", " ")[:80] + "`"


def convert(name: str, payload: bytes, as_is: bool = False) -> Digit | str:
    """One upload to a Digit, or a message for the person who uploaded it.

    With `as_is`, a picture in which no digit is found is shrunk whole to 28x28 instead.
    `preprocess_upload` turns every way a file can be broken into an `ImageError`.
    """
    try:
        return Digit(name, (result := preprocess_upload(payload)).digit, result)
    except NoDigitFound as err:
        return convert_as_is(name, payload) if as_is else _refusal(name, err)
    except ImageError as err:
        return _refusal(name, err)


def convert_as_is(name: str, payload: bytes) -> Digit | str:
    """An upload shrunk whole to 28x28, for pictures without a digit."""
    try:
        return Digit(name, shrink_as_is(payload), None, (Text("as_is"),))
    except ImageError as err:
        return _refusal(name, err)


def digits_from_uploader(label: str, key: str, multiple: bool = True, as_is: bool = False) -> list[Digit]:
    """A file uploader; returns the files that became digits and shows a message for each that did not.

    Args:
      label: the uploader's label.
      key: its widget key.
      multiple: accept several files.
      as_is: score pictures without a digit whole, rather than refusing them (see `convert`).
    """
    files = st.file_uploader(
        label,
        type=IMAGE_TYPES,
        accept_multiple_files=multiple,
        key=key,
        max_upload_size=MAX_MB,
        help=t("images.uploader_help", mb=MAX_MB),
    )
    files = files if isinstance(files, list) else [files] if files else []
    results = [convert(f.name, f.getvalue(), as_is) for f in files]
    for message in (r for r in results if isinstance(r, str)):
        st.warning(message, icon=":material/broken_image:")
    return [r for r in results if isinstance(r, Digit)]


def digit_from_canvas(rgba: np.ndarray | None) -> Digit | None:
    """A drawing to a Digit; None (and nothing shown) while the canvas is empty."""
    if rgba is None:
        return None
    try:
        result = preprocess_canvas(np.asarray(rgba, np.uint8))
    except ImageError:
        return None
    return Digit(t("images.your_drawing"), result.digit, result)

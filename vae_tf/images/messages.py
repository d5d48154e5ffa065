"""What the upload path says to the person who uploaded a picture: codes, worded by the site.

A refusal, a note or a step's caption is a `Text`: a code and the named values it is worded
from. The library words nothing; the words, in English and Korean, are the site's catalog
`vae_site/locales/images.toml`, one entry per code (tests/test_uploads.py checks that each code
of `CODES` has one, with the placeholders the code's values fill). `str()` of a Text is its
code and values, for logs and scripts.
"""

REFUSALS = (  # ImageError, NoDigitFound
    "empty_file", "not_an_image", "truncated", "damaged", "too_large_file", "too_many_pixels",
    "too_many_pixels_count", "too_many_pixels_unknown", "too_small", "blank", "canvas_empty"
)  # fmt: skip
NOTES = ("edge_clutter", "separate_marks", "touches_edge", "strokes_thin", "strokes_thick", "outline_filled", "as_is")
STEPS = (
    "step_grayscale", "step_lighting", "step_ink_white", "step_background", "step_stray_marks", "step_cropped",
    "step_outline", "step_strokes", "step_fitted", "step_centred", "step_canvas"
)  # fmt: skip
CODES = REFUSALS + NOTES + STEPS


class Text:
    """One thing the upload path says: its `code` (one of `CODES`) and the named `values` it is worded from."""

    __slots__ = ("code", "values")

    def __init__(self, code: str, **values):
        if code not in CODES:
            raise KeyError(f"no upload text has the code {code!r}")
        self.code, self.values = code, values

    def __eq__(self, other) -> bool:
        return isinstance(other, Text) and (self.code, self.values) == (other.code, other.values)

    __hash__ = None  # its values are a dict

    def __repr__(self) -> str:
        return "Text(" + ", ".join([repr(self.code)] + [f"{k}={v!r}" for k, v in self.values.items()]) + ")"

    def __str__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.code} ({values})" if values else self.code

"""What the upload path says to the person who uploaded a picture: one table of English texts.

Each text is a `Text`: a `str` (the English, so scripts and logs read it as is) that also
carries its code and named values, so that a site can show it in another language from its
own catalog (the site's `vae_site/locales/images.toml` has every code below, in English and
Korean; a test checks that its English equals this table).
"""

ENGLISH = {
    # Refusals (ImageError, NoDigitFound)
    "empty_file": "The file is empty: please choose a picture of a digit.",
    "not_an_image": "This file is not an image we can read (PNG, JPEG, GIF, BMP, TIFF, WebP).",
    "truncated": "Could not read this image: the file is incomplete or damaged (it may have been cut off while "
    "uploading). Please try again.",
    "damaged": "Could not read this image: it may be damaged. Please try another picture.",
    "too_large_file": "This file ({size:.1f} MB) is larger than the {limit:g} MB limit. "
    "Please upload a smaller picture.",
    "too_many_pixels": "The image is {width}x{height} pixels ({megapixels:,.0f} megapixels), more than the "
    "{limit} megapixels we can handle. Please upload a smaller picture.",
    "too_many_pixels_count": "The image has {megapixels:,.0f} megapixels, more than the {limit} megapixels we can "
    "handle. Please upload a smaller picture.",
    "too_many_pixels_unknown": "The image has too many pixels, more than the {limit} megapixels we can handle. "
    "Please upload a smaller picture.",
    "too_small": "The image is only {width}x{height} pixels, too small to hold a digit. Please upload a picture "
    "at least {side}x{side} pixels.",
    "blank": "No digit found: the image looks blank. Please upload a picture of a digit, dark on a light "
    "background or light on a dark one.",
    "canvas_empty": "The canvas is empty: draw a digit first.",
    # Notes
    "edge_clutter": "Ignored marks along the edge of the picture (such as a table or the edge of the paper).",
    "separate_marks": "Found {count} separate marks; used the largest.",
    "touches_edge": "The digit touches the edge of the picture, so part of it may be cut off.",
    "strokes_thin": "The strokes were very thin, so they were redrawn at the width of MNIST's pen.",
    "strokes_thick": "The strokes were very thick, so they were redrawn at the width of MNIST's pen.",
    "outline_filled": "The digit was drawn as an outline, so its inside was filled in.",
    "as_is": "No digit-like shape found: the whole picture is used as it is.",
    # Steps
    "step_grayscale": "Grayscale",
    "step_lighting": "Even lighting",
    "step_ink_white": "Ink made white",
    "step_background": "Background removed",
    "step_stray_marks": "Stray marks removed",
    "step_cropped": "Cropped",
    "step_outline": "Outline filled",
    "step_strokes": "Strokes redrawn at MNIST's width",
    "step_fitted": "Fitted into 20x20",
    "step_centred": "Centred by mass in 28x28",
    "step_canvas": "Canvas ink",
}


class Text(str):
    """An English text from `ENGLISH`, with the `code` and named `values` it was made from."""

    code: str
    values: dict

    def __new__(cls, code: str, **values):
        text = super().__new__(cls, ENGLISH[code].format(**values))
        text.code, text.values = code, values
        return text

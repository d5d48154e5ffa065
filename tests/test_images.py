"""Tests for vae_tf.images: every input is drawn here, nothing is downloaded.

The same synthetic "7" is rendered many ways (ink colours, lighting, file formats,
colour modes, transparency, EXIF rotation, animation); each result must look like
an MNIST digit and like the clean black-on-white result.
"""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageFilter

from vae_tf import images
from vae_tf.images import (
    MAX_UPLOAD_BYTES,
    ImageError,
    Preprocessed,
    decode,
    preprocess_canvas,
    preprocess_upload,
    upscale,
)
from vae_tf.images.decode import decode_image
from vae_tf.images.messages import Text

UPLOAD_STEPS = [
    "step_grayscale",
    "step_lighting",
    "step_ink_white",
    "step_background",
    "step_stray_marks",
    "step_cropped",
    "step_fitted",
    "step_centred",
]
CANVAS_STEPS = ["step_canvas", "step_cropped", "step_fitted", "step_centred"]


def codes(texts) -> list[str]:
    """The codes of upload-path texts (notes), or of the captions of (caption, image) steps."""
    return [(text[0] if isinstance(text, tuple) else text).code for text in texts]


# --------------------------------------------------------------------------- drawing helpers


def seven_mask(size: int = 200) -> Image.Image:
    """A thick, asymmetric "7" with a crossbar: white (255) ink on black, mode L."""
    im = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(im)
    s = size / 200
    width = round(19 * s)  # ~12% of the digit height, like MNIST's pen
    draw.line([(60 * s, 25 * s), (145 * s, 25 * s), (85 * s, 180 * s)], 255, width, "curve")
    draw.line([(80 * s, 100 * s), (130 * s, 100 * s)], 255, width)
    return im


def eight_mask(size: int, box: tuple[int, int, int, int], width: int) -> Image.Image:
    """An "8" (two rings) inside box on a size x size black canvas."""
    im = Image.new("L", size, 0)
    draw = ImageDraw.Draw(im)
    x0, y0, x1, y1 = box
    mid = (y0 + y1) // 2
    draw.ellipse((x0 + 8, y0, x1 - 8, mid), outline=255, width=width)
    draw.ellipse((x0, mid - width // 2, x1, y1), outline=255, width=width)
    return im


def black_on_white(mask: Image.Image) -> Image.Image:
    """Invert a white-on-black mask into black ink on white paper."""
    return Image.eval(mask, lambda v: 255 - v)


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    """Save an image to bytes in the given format."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass in array index coordinates."""
    total = digit.sum()
    rows = (digit.sum(axis=1) * np.arange(digit.shape[0])).sum() / total
    cols = (digit.sum(axis=0) * np.arange(digit.shape[1])).sum() / total
    return float(rows), float(cols)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two images."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def assert_mnist_like(result: Preprocessed) -> None:
    """The MNIST contract: 28x28 float32 in [0,1], max 1, ~20 px long side, centred by mass."""
    digit = result.digit
    assert digit.shape == (28, 28)
    assert digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() == pytest.approx(1.0)
    rows = np.nonzero((digit > 0.1).any(axis=1))[0]
    cols = np.nonzero((digit > 0.1).any(axis=0))[0]
    long_side = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    assert 18 <= long_side <= 22
    row, col = centre_of_mass(digit)
    # Convention: integer shift towards index (14, 14), like MNIST (13.5..14.5).
    assert abs(row - 14.0) <= 1.0 and abs(col - 14.0) <= 1.0
    # Background is really black: MNIST has no grey haze.
    assert np.median(digit) == 0.0


@pytest.fixture(scope="module")
def mask() -> Image.Image:
    return seven_mask()


@pytest.fixture(scope="module")
def reference(mask: Image.Image) -> Preprocessed:
    """The clean case: black ink on white paper, PNG."""
    return preprocess_upload(encode(black_on_white(mask)))


# --------------------------------------------------------------------------- the clean case


def test_clean_black_on_white(reference: Preprocessed) -> None:
    assert_mnist_like(reference)
    assert reference.notes == []
    # Tall 7: about 20 px high, narrower than high.
    digit = reference.digit
    rows = np.nonzero((digit > 0.1).any(axis=1))[0]
    cols = np.nonzero((digit > 0.1).any(axis=0))[0]
    assert rows[-1] - rows[0] + 1 >= 19
    assert cols[-1] - cols[0] + 1 < rows[-1] - rows[0] + 1


def test_steps_are_captioned_in_order(reference: Preprocessed) -> None:
    assert codes(reference.steps) == UPLOAD_STEPS
    for _, image in reference.steps:
        assert image.ndim == 2
        assert image.dtype in (np.float32, np.uint8)
        if image.dtype == np.float32:
            assert image.min() >= 0.0 and image.max() <= 1.0
    assert np.array_equal(reference.steps[-1][1], reference.digit)


def test_output_is_anti_aliased_not_binary(reference: Preprocessed) -> None:
    digit = reference.digit
    greys = ((digit > 0.05) & (digit < 0.95)).sum()
    assert greys >= 10  # soft edges, like MNIST


# --------------------------------------------------------------------------- the same 7, many ways


def _white_on_black(mask):
    return encode(mask)


def _blue_ink(mask):
    ink = Image.new("RGB", mask.size, (30, 60, 200))
    return encode(Image.composite(ink, Image.new("RGB", mask.size, "white"), mask))


def _red_ink_on_black(mask):
    ink = Image.new("RGB", mask.size, (220, 20, 20))
    return encode(Image.composite(ink, Image.new("RGB", mask.size, "black"), mask))


def _uneven_light(mask):
    # Grey paper, dark grey ink, lit from the right: the left edge gets 45% of the light.
    across = np.linspace(0.45, 1.0, mask.width)[None, :]
    down = np.linspace(0.8, 1.0, mask.height)[:, None]
    ramp = across * down
    grey = np.where(np.asarray(mask) > 127, 40.0, 190.0) * ramp
    noise = np.random.default_rng(0).normal(0, 3, grey.shape)
    return encode(Image.fromarray(np.clip(grey + noise, 0, 255).astype(np.uint8)))


def _small_off_centre(mask):
    frame = Image.new("L", (1200, 900), 255)
    frame.paste(black_on_white(mask).resize((150, 150), Image.Resampling.LANCZOS), (900, 80))
    return encode(frame, "JPEG", quality=85)


def _jpeg_q30(mask):
    return encode(black_on_white(mask).convert("RGB"), "JPEG", quality=30)


def _transparent_black_strokes(mask):
    # Transparent pixels are black too: dropping alpha would show nothing.
    black = Image.new("L", mask.size, 0)
    return encode(Image.merge("RGBA", [black, black, black, mask]))


def _transparent_white_strokes(mask):
    white = Image.new("L", mask.size, 255)
    return encode(Image.merge("RGBA", [white, white, white, mask]))


def _palette(mask):
    return encode(black_on_white(mask).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE))


def _palette_transparent(mask):
    # Black strokes on a transparent palette entry (GIF-style transparency).
    pal = Image.new("P", mask.size, 0)
    pal.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)  # 0 = white (transparent), 1 = black
    pal.paste(1, mask=mask.point(lambda v: 255 if v > 127 else 0))
    return encode(pal, transparency=0)


def _sixteen_bit(mask):
    arr = (255 - np.asarray(mask)).astype(np.uint16) * 257
    image = Image.fromarray(arr)
    assert image.mode == "I;16"
    return encode(image)


def _cmyk_jpeg(mask):
    return encode(black_on_white(mask).convert("RGB").convert("CMYK"), "JPEG", quality=90)


def _la(mask):
    return encode(Image.merge("LA", [Image.new("L", mask.size, 0), mask]))


def _one_bit(mask):
    return encode(black_on_white(mask).point(lambda v: 255 if v > 127 else 0).convert("1"))


def _tiff_float(mask):
    arr = 1.0 - np.asarray(mask, dtype=np.float32) / 255.0
    return encode(Image.fromarray(arr, "F"), "TIFF")


RENDERINGS = {
    "white_on_black": _white_on_black,
    "blue_ink_on_white": _blue_ink,
    "red_ink_on_black": _red_ink_on_black,
    "grey_paper_uneven_light": _uneven_light,
    "small_off_centre_in_1200x900": _small_off_centre,
    "jpeg_quality_30": _jpeg_q30,
    "transparent_black_strokes": _transparent_black_strokes,
    "transparent_white_strokes": _transparent_white_strokes,
    "palette": _palette,
    "palette_with_transparency": _palette_transparent,
    "16_bit_grey": _sixteen_bit,
    "cmyk_jpeg": _cmyk_jpeg,
    "la": _la,
    "1_bit": _one_bit,
    "float_tiff": _tiff_float,
}


@pytest.mark.parametrize("name", list(RENDERINGS))
def test_same_digit_rendered_differently(name, mask, reference) -> None:
    result = preprocess_upload(RENDERINGS[name](mask))
    assert_mnist_like(result)
    assert np.abs(result.digit - reference.digit).mean() < 0.1
    assert correlation(result.digit, reference.digit) > 0.8
    assert "separate_marks" not in codes(result.notes)


def test_rotated_ten_degrees(mask, reference) -> None:
    rotated = black_on_white(mask).rotate(10, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    result = preprocess_upload(encode(rotated))
    assert_mnist_like(result)
    # Left rotated (MNIST has slanted digits too): similar, not identical.
    assert correlation(result.digit, reference.digit) > 0.5
    assert np.abs(result.digit - reference.digit).mean() < 0.15


def test_exif_orientation_is_applied(mask) -> None:
    upright = black_on_white(mask).convert("RGB")
    # Orientation 6 = "rotate 90 degrees clockwise to display": store it turned the other way.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated_file = encode(stored, "JPEG", quality=90, exif=exif.tobytes())
    decoded = decode_image(rotated_file)
    assert decoded.size == upright.size
    expected = preprocess_upload(encode(upright, "JPEG", quality=90)).digit
    result = preprocess_upload(rotated_file)
    assert_mnist_like(result)
    assert np.abs(result.digit - expected).mean() < 0.03
    # Without the tag the same pixels would give a sideways 7.
    sideways = preprocess_upload(encode(stored, "JPEG", quality=90)).digit
    assert np.abs(sideways - expected).mean() > 0.1


def test_animated_gif_uses_first_frame(mask, reference) -> None:
    first = black_on_white(mask).convert("P")
    second = black_on_white(eight_mask((200, 200), (50, 20, 150, 180), 18)).convert("P")
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    result = preprocess_upload(data)
    assert_mnist_like(result)
    assert np.abs(result.digit - reference.digit).mean() < 0.03
    eight = preprocess_upload(encode(second)).digit
    assert np.abs(result.digit - eight).mean() > 0.1


def test_already_mnist_like_28x28(mask, reference) -> None:
    small = mask.crop(mask.getbbox()).resize((12, 20), Image.Resampling.LANCZOS)
    row, col = centre_of_mass(np.asarray(small, dtype=np.float32))
    mnist = Image.new("L", (28, 28), 0)
    mnist.paste(small, (round(14 - col), round(14 - row)))  # centred like MNIST
    result = preprocess_upload(encode(mnist))
    assert_mnist_like(result)
    source = np.asarray(mnist, dtype=np.float32) / 255.0
    assert correlation(result.digit, source) > 0.9
    assert correlation(result.digit, reference.digit) > 0.8


@pytest.mark.parametrize(("mode", "fmt"), [("YCbCr", "JPEG"), ("I", "TIFF"), ("RGBX", "TIFF"), ("I;16", "PNG")])
def test_wider_and_odd_modes(mask, reference, mode: str, fmt: str) -> None:
    result = preprocess_upload(encode(black_on_white(mask).convert(mode), fmt))
    assert_mnist_like(result)
    assert np.abs(result.digit - reference.digit).mean() < 0.05


def _seven_with_pen(width: int) -> bytes:
    """A 7 on a 400x400 sheet drawn with a pen `width` px wide (3: pencil, 90: marker)."""
    sheet = Image.new("L", (400, 400), 255)
    draw = ImageDraw.Draw(sheet)
    draw.line([(110, 50), (290, 50), (170, 360)], 0, width, "curve")
    draw.line([(160, 200), (260, 200)], 0, width)
    return encode(sheet)


@pytest.mark.parametrize("pen", [3, 90], ids=["pencil-thin", "marker-thick"])
def test_strokes_are_normalised_to_mnist_width(pen: int) -> None:
    low, high = images.MNIST_STROKE
    result = preprocess_upload(_seven_with_pen(pen))
    assert_mnist_like(result)
    assert low <= images.stroke_width(result.digit) <= high
    assert "step_strokes" in codes(result.steps)
    assert ("strokes_thin" if pen == 3 else "strokes_thick") in codes(result.notes)


def test_hollow_letters_become_a_pen_stroke() -> None:
    # An outline font's "1": a thin line around a tall bar. Redrawn, it is one solid stroke.
    sheet = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(sheet).rounded_rectangle((180, 40, 220, 360), radius=15, outline=0, width=3)
    digit = preprocess_upload(encode(sheet)).digit
    row = digit[14]  # across the middle of the bar
    lit = np.flatnonzero(row > 0.5)
    assert len(lit) >= 2 and (row[lit[0] : lit[-1] + 1] > 0.5).all()  # no hollow inside


@pytest.mark.parametrize("pen", [1, 2], ids=["1-px", "2-px"])
def test_hairline_strokes_come_out_at_mnist_median_width(pen: int) -> None:
    # A 1 or 2 px pen on a 400 px sheet is a tenth of a pixel at 28x28: redrawn 2-3 px wide.
    result = preprocess_upload(_seven_with_pen(pen))
    assert_mnist_like(result)
    assert 2.0 <= images.stroke_width(result.digit) <= 3.0


def _outlined(solid: Image.Image, line: int = 3) -> Image.Image:
    """Black outline letters on white: a `line` px contour around the white ink of `solid`."""
    inner = solid.filter(ImageFilter.MinFilter(2 * line + 1))
    return black_on_white(ImageChops.subtract(solid, inner))


def _thick_seven() -> Image.Image:
    """A 7 drawn white on black with a 40 px pen on a 400 px canvas."""
    sheet = Image.new("L", (400, 400), 0)
    draw = ImageDraw.Draw(sheet)
    draw.line([(110, 50), (290, 50), (170, 360)], 255, 40, "curve")
    draw.line([(160, 200), (260, 200)], 255, 40)
    return sheet


def test_outline_digit_is_filled() -> None:
    # Hollow letters: a thin line around a bold 7. Filled, it is the bold 7 itself.
    solid = _thick_seven()
    result = preprocess_upload(encode(_outlined(solid)))
    assert_mnist_like(result)
    assert "step_outline" in codes(result.steps)
    assert "outline_filled" in codes(result.notes)
    filled = next(image for caption, image in result.steps if caption.code == "step_outline")
    assert filled.dtype == np.float32 and 0.0 <= filled.min() and filled.max() <= 1.0
    assert correlation(result.digit, preprocess_upload(encode(black_on_white(solid))).digit) > 0.9


def test_outline_zero_is_filled_to_a_ring() -> None:
    # An outlined 0 is two closed lines; between them is the stroke, inside the inner one the loop.
    solid = Image.new("L", (400, 400), 0)
    ImageDraw.Draw(solid).ellipse((110, 40, 290, 360), outline=255, width=40)
    result = preprocess_upload(encode(_outlined(solid)))
    assert "step_outline" in codes(result.steps)
    assert result.digit[14, 14] == 0.0  # the loop stays open
    assert correlation(result.digit, preprocess_upload(encode(black_on_white(solid))).digit) > 0.9


@pytest.mark.parametrize("digit", ["0", "8"])
def test_loops_drawn_with_a_thin_pen_stay_open(digit: str) -> None:
    # A thin pen's 0 or 8 is closed curves too, but its holes are round loops, not a stroke's inside.
    if digit == "0":
        mask = Image.new("L", (400, 400), 0)
        ImageDraw.Draw(mask).ellipse((120, 40, 280, 360), outline=255, width=3)
    else:
        mask = eight_mask((400, 400), (120, 30, 280, 370), 3)
    result = preprocess_upload(encode(black_on_white(mask)))
    assert_mnist_like(result)
    assert "step_outline" not in codes(result.steps)
    row, col = (14, 14) if digit == "0" else (8, 14)  # the middle of the (upper) loop
    assert result.digit[row, col] == 0.0


def test_a_blob_is_not_eroded_away() -> None:
    # A filled disc: strokes "far too thick", but there is no stroke to thin; it stays a digit.
    sheet = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(sheet).ellipse((100, 60, 300, 340), fill=0)
    result = preprocess_upload(encode(sheet))
    assert result.digit.shape == (28, 28) and result.digit.max() == pytest.approx(1.0)


def test_mnist_like_strokes_are_left_alone(reference) -> None:
    # The reference 7's pen is MNIST's: no redrawing, and its width is in MNIST's range.
    low, high = images.MNIST_STROKE
    assert low <= images.stroke_width(reference.digit) <= high
    assert preprocess_upload(_seven_with_pen(30)).steps[-3][0].code == "step_cropped"


def test_mnist_stroke_range_holds_for_mnist_digits(mnist_small) -> None:
    # The constants describe MNIST itself: most of its digits fall inside them.
    widths = [images.stroke_width(np.squeeze(x)) for x in mnist_small["test"].x[:200]]
    low, high = images.MNIST_STROKE
    assert 0.8 <= np.mean([low <= w <= high for w in widths]) <= 0.95


def _photo_of_paper(mask: Image.Image, table: bool) -> bytes:
    """A phone-photo-like JPEG: paper on a dark table, a shadow, grain, blur, blue pen."""
    rng = np.random.default_rng(2)
    height, width = 600, 800
    table_colour = (90, 60, 40) if table else (235, 232, 225)
    img = np.empty((height, width, 3))
    img[:] = table_colour
    img[50:-40, 75:-60] = (235, 232, 225)  # the sheet of paper
    ink = np.asarray(mask.resize((250, 250), Image.Resampling.LANCZOS), dtype=float)[..., None]
    patch = img[175:425, 300:550]
    img[175:425, 300:550] = patch + (np.array([25.0, 35.0, 120.0]) - patch) * ink / 255
    yy, xx = np.mgrid[0:height, 0:width]
    shadow = 1 - 0.55 * np.exp(-(((xx - 150) / 250) ** 2 + ((yy - 450) / 200) ** 2))
    img *= (shadow * (0.75 + 0.25 * xx / width))[..., None]
    img += rng.normal(0, 5, img.shape)
    photo = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return encode(photo.filter(ImageFilter.GaussianBlur(1)), "JPEG", quality=80)


@pytest.mark.parametrize("table", [False, True], ids=["paper-fills-frame", "paper-on-table"])
def test_photo_of_paper(mask, reference, table: bool) -> None:
    result = preprocess_upload(_photo_of_paper(mask, table))
    assert_mnist_like(result)
    assert correlation(result.digit, reference.digit) > 0.9
    # The table around the sheet is clutter along the edge, not a second digit.
    edge_notes = [code for code in codes(result.notes) if code in ("edge_clutter", "touches_edge")]
    assert len(edge_notes) == (1 if table else 0)
    assert "separate_marks" not in codes(result.notes)


def _warm_paper_in_shadow(mask: Image.Image) -> bytes:
    """A PNG photo: warm white paper, a deep shadow over its top-left half, sensor noise, black ink."""
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:450, 0:450]
    light = 0.3 + 0.7 / (1 + np.exp(-((xx + yy) / 1.4 - 250) / 25))  # a soft diagonal edge across the digit
    img = np.array([1.0, 0.97, 0.9]) * light[..., None] * 0.95
    ink = np.asarray(mask.resize((250, 250), Image.Resampling.LANCZOS), dtype=float)[..., None] / 255
    img[100:350, 150:400] *= 1 - 0.9 * ink
    img += rng.normal(0, 0.015, img.shape)
    return encode(Image.fromarray(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)))


def test_noise_on_warm_paper_in_shadow_is_not_paper_light(mask, reference) -> None:
    # Single noisy pixels of a skin-like hue are not a finger: were they made paper-bright,
    # the estimate of the paper's light would be too bright in the shadow, and the shadow ink.
    result = preprocess_upload(_warm_paper_in_shadow(mask))
    assert_mnist_like(result)
    assert correlation(result.digit, reference.digit) > 0.9


def test_grainy_faint_pencil(mask, reference) -> None:
    rng = np.random.default_rng(3)
    grey = 220 - 0.2 * np.asarray(mask, dtype=float) + rng.normal(0, 10, (200, 200))
    result = preprocess_upload(encode(Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))))
    assert_mnist_like(result)
    assert correlation(result.digit, reference.digit) > 0.8


# --------------------------------------------------------------------------- several marks


def _eight_and_one(with_one: bool, with_speck: bool = False) -> bytes:
    """A big 8 on the left; optionally a small 1 far to the right and a dust speck."""
    mask = eight_mask((600, 400), (60, 40, 260, 360), 30)
    draw = ImageDraw.Draw(mask)
    if with_one:
        draw.line([(500, 200), (500, 330)], 255, 22)
    if with_speck:
        draw.ellipse((400, 40, 404, 44), fill=255)
    return encode(black_on_white(mask))


def test_several_marks_keeps_the_largest() -> None:
    alone = preprocess_upload(_eight_and_one(with_one=False))
    both = preprocess_upload(_eight_and_one(with_one=True))
    assert_mnist_like(both)
    assert Text("separate_marks", count=2) in both.notes
    assert np.abs(both.digit - alone.digit).mean() < 0.02
    assert alone.notes == []


def test_specks_are_dropped_silently() -> None:
    alone = preprocess_upload(_eight_and_one(with_one=False))
    specked = preprocess_upload(_eight_and_one(with_one=False, with_speck=True))
    assert specked.notes == []
    assert np.abs(specked.digit - alone.digit).mean() < 0.02


def test_separate_stroke_near_the_digit_is_kept() -> None:
    # A 5 written in two strokes: the top bar does not touch the body.
    image = Image.new("L", (300, 300), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(110, 60), (110, 140)], 0, 24)
    draw.arc((90, 110, 220, 250), 200, 150, 0, 24)
    draw.line([(125, 45), (215, 45)], 0, 24)  # separate: a gap of a few pixels
    result = preprocess_upload(encode(image))
    assert_mnist_like(result)
    assert "separate_marks" not in codes(result.notes)
    assert result.digit[3:7].sum() > 3  # the top bar is in the top rows


def test_heavy_separate_bar_keeps_the_lighter_body() -> None:
    # Like some MNIST 5s: the top bar is the heaviest piece, the body hangs below it.
    image = Image.new("L", (300, 300), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(80, 50), (240, 50)], 0, 30)
    draw.arc((90, 90, 200, 250), 250, 150, 0, 16)  # thinner, lighter, not touching
    result = preprocess_upload(encode(image))
    assert_mnist_like(result)
    assert "separate_marks" not in codes(result.notes)
    assert result.digit[16:24].sum() > 5  # the body is in the lower rows


def test_bold_blob_in_a_small_image_stays_filled() -> None:
    # A 9 with a filled-in loop, as small as MNIST: the loop must not be hollowed out.
    image = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 4, 19, 14), fill=255)
    draw.line([(18, 10), (17, 24)], 255, 3)
    result = preprocess_upload(encode(image))
    assert_mnist_like(result)
    rows = np.nonzero((result.digit > 0.5).any(axis=1))[0]
    loop = result.digit[rows[0] + 2 : rows[0] + 7]
    assert (loop > 0.5).sum(axis=1).max() >= 8  # a full, solid row across the loop


# --------------------------------------------------------------------------- canvas


def _canvas_seven(background: tuple[int, int, int, int], colour: tuple) -> np.ndarray:
    canvas = Image.new("RGBA", (280, 280), background)
    draw = ImageDraw.Draw(canvas)
    draw.line([(40, 30), (230, 30), (90, 260)], colour, 22, "curve")
    draw.line([(70, 140), (190, 140)], colour, 22)
    return np.asarray(canvas)


def test_canvas_stroke_on_transparent_background() -> None:
    result = preprocess_canvas(_canvas_seven((0, 0, 0, 0), (0, 0, 0, 255)))
    assert_mnist_like(result)
    assert codes(result.steps) == CANVAS_STEPS


def test_canvas_colours_and_backgrounds_agree() -> None:
    base = preprocess_canvas(_canvas_seven((0, 0, 0, 0), (0, 0, 0, 255))).digit
    for background, colour in [
        ((255, 255, 255, 0), (255, 255, 255, 255)),  # white on transparent white
        ((0, 0, 0, 255), (255, 255, 255, 255)),  # white on filled black
        ((238, 238, 238, 255), (20, 40, 200, 255)),  # blue on filled light grey
    ]:
        result = preprocess_canvas(_canvas_seven(background, colour))
        assert_mnist_like(result)
        assert np.abs(result.digit - base).mean() < 0.02


def test_canvas_short_stroke_is_centred() -> None:
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[200:260, 30:44] = (0, 0, 0, 255)  # a short "1" in a corner
    result = preprocess_canvas(canvas)
    assert_mnist_like(result)


def test_empty_canvas() -> None:
    for canvas in (
        np.zeros((280, 280, 4), dtype=np.uint8),
        np.full((280, 280, 4), 255, dtype=np.uint8),
        np.zeros((0, 0, 4), dtype=np.uint8),
    ):
        with pytest.raises(ImageError) as caught:
            preprocess_canvas(canvas)
        assert caught.value.text == Text("canvas_empty")


# --------------------------------------------------------------------------- upscale


def test_upscale_is_nearest_neighbour(reference) -> None:
    big = upscale(reference.digit)
    assert big.shape == (140, 140) and big.dtype == np.uint8
    blocks = big.reshape(28, 5, 28, 5)
    assert (blocks == blocks[:, :1, :, :1]).all()  # every 5x5 block is constant
    expected = np.round(reference.digit * 255).astype(np.uint8)
    assert np.array_equal(blocks[:, 0, :, 0], expected)


def test_upscale_other_sizes_and_types() -> None:
    square = np.arange(16, dtype=np.uint8).reshape(4, 4)
    assert np.array_equal(upscale(square, 8), np.kron(square, np.ones((2, 2), np.uint8)))
    wide = upscale(np.ones((10, 20), dtype=np.float32), 40)
    assert wide.shape == (40, 40) and wide[0].max() == 0 and wide[20].min() == 255


# --------------------------------------------------------------------------- bad inputs


def _png_with_size(width: int, height: int) -> bytes:
    """A tiny valid PNG whose IHDR claims another size (CRC recomputed)."""
    data = bytearray(encode(Image.new("L", (8, 8), 255)))
    # Signature (8) + chunk length (4) + b"IHDR" (4), then width, height.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF  # type + 13 bytes of IHDR data
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "code", "values"),
    [
        (b"", "empty_file", {}),
        (b"hello", "not_an_image", {}),
        (b"GIF89a" + b"\0" * (MAX_UPLOAD_BYTES - 5), "too_large_file", {"limit": 5.0}),
        (encode(Image.new("L", (1, 1), 0)), "too_small", {"width": 1, "height": 1}),
        (encode(Image.new("RGB", (7, 200), "white")), "too_small", {"width": 7, "height": 200}),
        (encode(Image.new("L", (300, 200), 255)), "blank", {}),
        (encode(Image.new("L", (300, 200), 0)), "blank", {}),
        (encode(Image.new("RGB", (300, 200), (128, 128, 128))), "blank", {}),
        (encode(Image.new("RGBA", (300, 200), (0, 0, 0, 0))), "blank", {}),
    ],
    ids=["empty", "text", "too-many-bytes", "1x1", "7-wide", "white", "black", "grey", "clear"],
)
def test_bad_inputs_are_refused_with_a_message(data: bytes, code: str, values: dict) -> None:
    with pytest.raises(ImageError) as caught:
        preprocess_upload(data)
    text = caught.value.text
    assert text.code == code and values.items() <= text.values.items(), text


def test_noisy_blank_photo_is_blank() -> None:
    rng = np.random.default_rng(1)
    paper = np.clip(200 + rng.normal(0, 4, (300, 400)), 0, 255).astype(np.uint8)
    with pytest.raises(ImageError) as caught:
        preprocess_upload(encode(Image.fromarray(paper), "JPEG", quality=80))
    assert caught.value.text == Text("blank")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files(mask, fmt: str) -> None:
    whole = encode(black_on_white(mask).convert("RGB"), fmt)
    with pytest.raises(ImageError) as caught:
        decode_image(whole[: len(whole) // 2])
    assert caught.value.text.code in ("truncated", "damaged")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _png_with_size(50_000, 50_000)
    start = time.perf_counter()
    with pytest.raises(ImageError) as caught:
        preprocess_upload(bomb)
    assert time.perf_counter() - start < 1.0
    assert caught.value.text.code == "too_many_pixels_count" and caught.value.text.values["megapixels"] == 2500


def test_too_many_pixels_for_us_but_not_for_pil() -> None:
    # 7000x7000 = 49 megapixels: under PIL's own bomb limit, over ours.
    with pytest.raises(ImageError) as caught:
        decode_image(_png_with_size(7000, 7000))
    assert caught.value.text.code == "too_many_pixels"
    assert (caught.value.text.values["width"], caught.value.text.values["height"]) == (7000, 7000)


def test_pil_bomb_guard_is_turned_into_a_message(monkeypatch) -> None:
    # Even if our own limit were looser, PIL's warning must not slip through as a warning.
    monkeypatch.setattr(decode, "MAX_PIXELS", 10**12)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageError) as caught:
        decode_image(encode(Image.new("L", (40, 40), 255)))
    assert caught.value.text.code.startswith("too_many_pixels")


def test_damaged_pixel_data(mask) -> None:
    data = bytearray(encode(black_on_white(mask)))
    idat = data.index(b"IDAT")
    data[idat + 8 : idat + 40] = b"\xff" * 32  # garbage inside the compressed stream
    with pytest.raises(ImageError) as caught:
        preprocess_upload(bytes(data))
    assert caught.value.text.code in ("truncated", "damaged")


def test_no_other_exception_escapes() -> None:
    samples = [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 40,  # PNG signature, garbage chunks
        b"BM" + b"\xff" * 60,  # BMP with an absurd header
        b"\xff\xd8\xff" + b"\0" * 30,  # JPEG start, nothing else
    ]
    for data in samples:
        with pytest.raises(ImageError):
            preprocess_upload(data)
    with pytest.raises(ImageError):
        preprocess_upload(None)  # type: ignore[arg-type]


def test_global_pil_and_warning_state_untouched(mask) -> None:
    filters, max_pixels = list(warnings.filters), Image.MAX_IMAGE_PIXELS
    decode_image(encode(black_on_white(mask)))
    with pytest.raises(ImageError):
        decode_image(_png_with_size(50_000, 50_000))
    assert warnings.filters == filters
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert Image.MAX_IMAGE_PIXELS == max_pixels


def test_decode_returns_loaded_first_frame(mask) -> None:
    image = decode_image(encode(black_on_white(mask)))
    assert isinstance(image, Image.Image)
    assert image.size == (200, 200)
    assert np.asarray(image).shape == (200, 200)

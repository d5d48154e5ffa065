"""Helpers for the page tests (tests/test_page_*.py): open a page through the entry point with AppTest,
and read what it shows. The pages use the shipped models in models/ (or $VAE_TF_MODELS), as a visitor would.
"""

import io
import re

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from vae_site import teach

APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 180


def open_page(page: str | None = None, first_lang: str | None = None, answered: bool = False, **query) -> AppTest:
    """Run the entrypoint, switch to `page` (a path under pages/) and run it with `query` in the URL.

    `first_lang` is in the URL from the first run on, as in a visitor's link (the language is fixed
    then); a `lang` in `query` comes with the page, after the first run. `answered`: then skip every
    predict-then-check prompt (`answer_all`), so that what the prompts hold back is shown.
    """
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if first_lang:
        at.query_params["lang"] = first_lang
    if page:
        at.run()
        at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return answer_all(at) if answered else at


def prompts(at: AppTest) -> list:
    """The radio buttons of the page's predict-then-check prompts (vae_site.teach.predict)."""
    return [r for r in at.radio if (r.key or "").startswith("predict_")]


def answer_all(at: AppTest, choice: str = teach.SKIP) -> AppTest:
    """Choose `choice` (the skip, by default) in every prompt still unanswered, and run the page."""
    for radio in prompts(at):
        if radio.value is None:
            radio.set_value(choice)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def share_link(at: AppTest) -> str:
    """The link in the sidebar's share box."""
    return next(code.value for code in at.sidebar.code if "?" in code.value)


def png_bytes(image: np.ndarray) -> bytes:
    """A white-on-black (28, 28) float image as dark-ink-on-paper PNG bytes, 4x larger."""
    pixels = (255 - np.clip(image, 0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).resize((112, 112), Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


def metric(at: AppTest, label_start: str) -> float:
    """The number shown by the first metric whose label starts with `label_start`."""
    value = next(m.value for m in at.metric if m.label.startswith(label_start))
    return float(re.match(r"-?[\d.]+", value.replace(",", "")).group())


def image_urls(at: AppTest) -> list[str]:
    """Media URLs of every image on the page; Streamlit names them by a hash of their content."""
    return [img.url for element in at.get("image") for img in element.proto.imgs]


def charts(at: AppTest) -> list[dict]:
    """Each Vega-Lite chart on the page as {dataset name: table of rows}; every name the spec uses is there."""
    import json

    import pyarrow as pa

    found = []
    for element in at.get("vega_lite_chart"):
        tables = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets}
        used = set(re.findall(r'"data": \{"name": "([^"]+)"\}', element.proto.spec))
        assert used and used <= set(tables), (used, set(tables))
        assert json.loads(element.proto.spec)  # a valid spec
        found.append(tables)
    return found

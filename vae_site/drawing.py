"""The drawing pad of the Reconstruction and Anomaly pages: one canvas, sized to the layout.

`streamlit-drawable-canvas` (optional: the site works without it) sends its picture back
only with `return_image_data=True`, and with `update_streamlit=True` after every stroke, so
the page reruns per stroke and the reconstruction and the posterior follow the drawing.

Its canvas has a fixed size in pixels. A phone's column is narrower than a laptop's, so a
tiny component of our own (`_layout_width`) measures the column the pad is drawn in and
reports it once (and again only if it changes by more than a few pixels); the first run, and
AppTest, which runs no JavaScript, use `DEFAULT_SIZE`. The canvas's toolbar floats 2.65 rem
above its top edge; a spacer keeps it off whatever is above (the page's tab labels).
"""

import dataclasses

import streamlit as st

from vae_site import uploads
from vae_site.i18n import t

DEFAULT_SIZE = 280  # px, before the layout is measured
MIN_SIZE, MAX_SIZE = 160, 320

_WIDTH_JS = """
export default function ({ parentElement, setStateValue }) {
  const host = parentElement.host ?? parentElement;
  if (host._vaeWidthObserver) return;
  let sent = 0;
  host._vaeWidthObserver = new ResizeObserver(() => {
    const width = Math.floor(host.getBoundingClientRect().width);
    if (width > 0 && Math.abs(width - sent) >= 8) {
      sent = width;
      setStateValue("width", width);
    }
  });
  host._vaeWidthObserver.observe(host);
}
"""
_width_probe = st.components.v2.component("vae_site.layout_width", js=_WIDTH_JS)


def _layout_width(key: str) -> int | None:
    """The width in px of the column this is called in, once the browser has reported it."""
    return _width_probe(key=key, default={"width": None}, on_width_change=lambda: None, width="stretch", height=0).get(
        "width"
    )


def canvas_size(layout_width: int | None) -> int:
    """The square canvas's side for a column `layout_width` px wide (None: not measured yet)."""
    if not layout_width:
        return DEFAULT_SIZE
    return max(MIN_SIZE, min(MAX_SIZE, int(layout_width) - 4))


def pad(key: str) -> uploads.Digit | None:
    """A drawing pad; returns the drawn digit (None while it is empty).

    Without the optional package the page says so and carries on without a pad.
    """
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.info(t("drawing.missing"), icon=":material/draw:")
        return None
    size = canvas_size(_layout_width(key + "_width"))
    st.space("medium")  # the toolbar's room: it floats above the canvas
    canvas = st_canvas(
        stroke_width=max(8, size // 15),
        stroke_color="#000000",
        background_color="#ffffff",
        height=size,
        width=size,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        key=key,
    )
    drawn = uploads.digit_from_canvas(canvas.image_data)
    return dataclasses.replace(drawn, name=t("drawing.name")) if drawn else None

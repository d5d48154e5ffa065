"""Putting digits and charts on screen: crisp digits in grids that wrap at phone width, and
charts whose Vega-Lite spec is made once per process."""

import copy
import threading

import numpy as np
import pandas as pd
import streamlit as st

from vae_tf.images import upscale

# Browsers smooth a scaled image; digits must stay crisp pixels at any width.
# Vega's category10, the site's palette: digits on the latent maps, models on every chart.
CATEGORY10 = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]

_CRISP = "<style>[data-testid='stImage'] img {image-rendering: pixelated;}</style>"

# The site's own style, once per run (navigation.run):
# - an equation wider than the page (a phone) scrolls inside its own box, and a shadow at the
#   edge it can scroll towards says so (the "scrolling shadows" technique: the two cover
#   gradients, white as the page (.streamlit/config.toml's theme), scroll with the content and
#   hide the shadows once an end is reached);
# - text breaks between words only, never inside one (`keep-all` is how Korean is set: between
#   어절, not between syllables, which is Chrome's default);
# - grey text (captions, the sidebar's labels: Streamlit fades the theme's text colour, 4.0-4.2:1 on
#   white) is #55595e at full opacity, 7.0:1 on white and 6.3:1 on the sidebar's grey (WCAG AA: 4.5:1);
# - whatever has the keyboard's focus shows a ring in the theme's blue;
# - a visitor who asks for less motion (prefers-reduced-motion) gets no animation or transition.
_SITE_STYLE = """<style>
.katex-display, [data-testid='stMarkdownContainer'] .katex-display {
  overflow-x: auto; overflow-y: hidden; max-width: 100%; padding: 0.25rem 0;
  scrollbar-width: thin;
  background:
    linear-gradient(to right, #fff 50%, transparent) left center / 2.5rem 100% no-repeat local,
    linear-gradient(to left, #fff 50%, transparent) right center / 2.5rem 100% no-repeat local,
    linear-gradient(to right, rgba(0, 0, 0, 0.3), transparent) left center / 1.25rem 100% no-repeat scroll,
    linear-gradient(to left, rgba(0, 0, 0, 0.3), transparent) right center / 1.25rem 100% no-repeat scroll;
}
.katex-display > .katex { display: inline-block; }
[data-testid='stCaptionContainer'], [data-testid='stImageCaption'], [data-testid='stWidgetLabel'],
[data-testid='stMetricLabel'], [data-testid='stMarkdownContainer'],
[data-testid='stMarkdownContainer'] p, [data-testid='stMarkdownContainer'] li,
[data-testid='stMain'] :is(p, li, span, h1, h2, h3), h1, h2, h3, [data-testid='stTable'] :is(th, td) {
  word-break: keep-all !important; overflow-wrap: normal; hyphens: manual;
}
/* code beside an idea (vae_site.code) wraps, and a name longer than a phone's line breaks anywhere,
   so the line a sentence points at is never cut off at 390 px */
[data-testid='stCode'] code, [data-testid='stCode'] code * {
  word-break: normal !important; overflow-wrap: anywhere !important;
}
[data-testid='stCaptionContainer'], [data-testid='stImageCaption'], [data-testid='stCaptionContainer'] * {
  color: #55595e !important; opacity: 1 !important;
}
:focus-visible { outline: 2px solid #364fc7 !important; outline-offset: 2px; }
/* a radio button's or a check box's own input is hidden: ring its label */
label:has(input:focus-visible) { outline: 2px solid #364fc7; outline-offset: 2px; border-radius: 0.25rem; }
/* what shows only under the mouse (a heading's link, an element's toolbar) shows when it has the focus */
[data-testid='stHeaderActionElements'] a:focus-visible, [data-testid='stElementToolbar']:focus-within {
  opacity: 1 !important;
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after {
    animation-duration: 0.01ms !important; animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important; scroll-behavior: auto !important;
  }
}
/* a link in the page (navigation.link) wraps on a phone instead of cutting its words off with "…" */
[data-testid='stMain'] [data-testid='stPageLink-NavLink'] :is(span, div, p):not([data-testid='stIconMaterial']) {
  white-space: normal; overflow: visible; text-overflow: clip;
}
/* the site's page list (vae_site.navigation.menu), set off from the rest of the sidebar */
.st-key-site_menu { gap: 0.25rem; padding-bottom: 1rem; border-bottom: 1px solid rgba(49, 51, 63, 0.2); }
.st-key-site_menu [data-testid='stPageLink-NavLink'] { min-height: 2.25rem; }  /* a finger's target */
</style>"""

# The page's language, for screen readers' voices and the browser's line breaking: Streamlit's page
# always says `<html lang="en">`. Set again on every run (a script in st.html runs when it is drawn).
_LANG = '<script>document.documentElement.lang = "{lang}";</script>'

# At phone width Streamlit lays the sidebar over the page and leaves it open after a page is
# chosen in it; close it as a phone app would. One listener per browser tab (the guard).
_CLOSE_SIDEBAR = """<script>
if (!window.vaeClosesSidebar) {
  window.vaeClosesSidebar = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-testid='stSidebar'] a");
    if (!link || !window.matchMedia("(max-width: 768px)").matches) return;
    setTimeout(() => {
      const collapse = document.querySelector("[data-testid='stSidebarCollapseButton'] button");
      if (collapse) collapse.click();
    }, 0);
  }, true);
}
</script>"""


# A table wider than a phone scrolls sideways in its box; a box that scrolls takes the keyboard's focus
# (then the arrow keys scroll it), as WCAG asks. Checked after every change to the page, once per frame.
_SCROLLING_TABLES = """<script>
if (!window.vaeFocusesTables) {
  window.vaeFocusesTables = true;
  let queued = false;
  const mark = () => {
    queued = false;
    for (const box of document.querySelectorAll("[data-testid='stTable'] > div")) {
      if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    }
  };
  const queue = () => { if (!queued) { queued = true; requestAnimationFrame(mark); } };
  new MutationObserver(queue).observe(document.body, {childList: true, subtree: true});
  window.addEventListener("resize", queue);
}
</script>"""


def site_style(lang: str) -> None:
    """Once per run, before anything else: the site's style, the page's language `lang` ("en", "ko"),
    the phone's sidebar behaviour and the scrolling tables' focus."""
    st.html(_SITE_STYLE)
    st.html(_LANG.format(lang=lang) + _CLOSE_SIDEBAR + _SCROLLING_TABLES, unsafe_allow_javascript=True)


def crisp_images() -> None:
    """Once per page run: tell the browser never to blur digit images."""
    st.html(_CRISP)


def digits(images, captions=None, size: int = 84, alt=None) -> None:
    """Show images (28x28 or any 2-D size; float in [0, 1] or uint8) in a row that wraps, size x size each.

    `alt` is what a screen reader says for each image (one text, or one per image; "" for an image
    that only repeats its caption): say what it shows, from the same numbers as its caption.
    """
    st.image([upscale(np.squeeze(im), size) for im in images], caption=captions, width=size, alt=alt)


def picture(image: np.ndarray, alt: str, caption: str | None = None, width="content") -> None:
    """One picture (a `grid` of digits, say) with its text alternative, in the page's language."""
    st.image(image, caption=caption, width=width, alt=alt)


def grid(images: np.ndarray, columns: int, size: int = 28 * 3, gap: int = 2) -> np.ndarray:
    """Tile (N, 28, 28) images into one uint8 picture, `columns` wide, with thin grey gaps."""
    n = len(images)
    rows = -(-n // columns)
    cell = size + gap
    out = np.full((rows * cell - gap, columns * cell - gap), 200, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        out[r * cell : r * cell + size, c * cell : c * cell + size] = upscale(np.clip(im, 0, 1), size)
    return out


# Altair's theme is global to the process; `vega_lite_spec` switches it off while it builds.
_ALTAIR_THEME = threading.Lock()


def vega_lite_spec(chart) -> dict:
    """An Altair chart's Vega-Lite spec, without Altair's default view size (as `st.altair_chart` does).

    Build the chart on named data (`alt.Data(name=...)`, every field typed) inside a function
    cached with `st.cache_resource`, and draw it with `chart`. `st.altair_chart` builds and
    validates the whole spec on every run, ~30 ms for the 1,000-point latent map; the spec only
    changes with the page's code, the data with each run.
    """
    import altair as alt

    with _ALTAIR_THEME, alt.theme.enable("none"):
        return chart.to_dict()


def fit_width(spec: dict) -> dict:
    """The spec sized to the page's width only: its height is the plot's, legends below add to it
    (Streamlit's default "fit" squeezes the plot to make room for a tall legend on a phone)."""
    return {**spec, "autosize": {"type": "fit-x", "contains": "padding"}}


def label_expr(codes, names) -> str:
    """A Vega label expression showing translated `names` for the neutral `codes` of a legend."""
    cases = " : ".join(f"datum.label === '{c}' ? '{n}'" for c, n in zip(codes, names, strict=True))
    return f"{cases} : datum.label"


def chart(spec: dict, alt: str | None = None, **datasets: pd.DataFrame) -> None:
    """Draw a spec from `vega_lite_spec`, page-wide, with its named datasets filled in.

    `alt` is what a screen reader says for the chart, in the page's language: what it shows and its
    main numbers, from the same data as its caption (None keeps Vega's generic name).
    """
    st.vega_lite_chart({**copy.deepcopy(spec), "datasets": datasets}, width="stretch", alt=alt)

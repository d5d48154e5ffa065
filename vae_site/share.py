"""Links that share a view: what a visitor sets lives in the URL's query string.

A page's shared widgets are made through this module. Each one's value is read from `?key=` when
the page opens and whenever the URL changes under it (the browser's Back and Forward buttons),
and written back after every run, so the address bar always holds a link that reopens the view.
A value from a URL is parsed by a strict parser: finite numbers within the widget's bounds,
lists within its limits and without repeats, known choices only; anything else falls back to
the default, and names the page does not know are ignored. Only values that differ from their
defaults are written to the address bar, so opening a page adds one entry to the browser's
history, not two. The language (`lang`) travels with every link (see `vae_site.i18n`).

A slider writes many values while it moves (ten arrow-key steps are ten runs): its value goes
into the history when it settles. The share box's small script (`_SETTLE_JS`) lets Streamlit
push the first step of a move as a new history entry and replaces that entry with each later
step of the same move (input on that slider with no pause of `SETTLE_MS`), so Back returns to
the value before the move in one press.
"""

import math
import re
from urllib.parse import urlencode

import streamlit as st

from vae_site import display, i18n
from vae_site.i18n import t

_PUBLISHED = "_share_published"  # session key: the query string this session last wrote
_DEFAULTS = "_share_defaults"  # session key: each shared key's default value
_SLIDERS = "_share_sliders"  # session key: the shared keys that are sliders
SETTLE_MS = 1500  # a visitor's input on a slider with no longer pause is one move, one history entry
_INTEGER = re.compile(r"[+-]?\d{1,15}")


def integer(low: int, high: int):
    """A parser of whole numbers in [low, high]: digits only (no '1e3', 'nan' or '0x10')."""

    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text.strip()):
            raise ValueError(text)
        return _within(int(text), low, high)

    return parse


def real(low: float, high: float, step: float | None = None):
    """A parser of finite numbers in [low, high], rounded to the widget's step."""

    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        if step:
            value = round(low + round((value - low) / step) * step, 10)
        return _within(value, low, high)

    return parse


def one_of(choices):
    """A parser that accepts exactly one of `choices` (compared as text)."""
    by_text = {str(c): c for c in choices}

    def parse(text: str):
        return by_text[text]  # KeyError for anything else

    return parse


BOOLEAN = one_of((False, True))  # a toggle's value: ?key=True or ?key=False


def list_of(item, max_items: int, min_items: int = 0):
    """A parser of 'a,b,c' into a tuple of distinct items, each parsed by `item`, min..max long."""

    def parse(text: str) -> tuple:
        values = tuple(item(part) for part in text.split(",") if part.strip())
        if len(set(values)) != len(values) or not min_items <= len(values) <= max_items:
            raise ValueError(text)
        return values

    return parse


def _within(value, low, high):
    """`value`, or ValueError if it lies outside [low, high]."""
    if not low <= value <= high:
        raise ValueError(value)
    return value


def restore(key: str, default, parse):
    """Set `st.session_state[key]` from `?key=` when the page opens or the URL changed; return it.

    Args:
      key: the widget key, also the query parameter's name.
      default: the value when the URL has none, or one `parse` refuses.
      parse: text to value; raises ValueError, KeyError or TypeError on text it refuses.
    """
    st.session_state.setdefault(_DEFAULTS, {})[key] = default
    text = st.query_params.get(key)
    written = st.session_state.get(_PUBLISHED, {}).get(key)
    if key not in st.session_state or text != written:  # a new page, or Back/Forward moved the URL
        st.session_state[key] = _parsed(text, default, parse)
    return st.session_state[key]


def _parsed(text, default, parse):
    """`parse(text)`, or `default` if there is no text or `parse` refuses it."""
    if text is None:
        return default
    try:
        return parse(str(text))
    except (ValueError, KeyError, TypeError, OverflowError):
        return default


def number_input(label: str, key: str, default: int, low: int, high: int, where=st, **kwargs) -> int:
    """An integer input shared through the URL; its help says the range.

    Args:
      label, key: the widget's label and key (the key is also the query parameter).
      default, low, high: its default and bounds.
      where: the container to draw it in (`st`, a column, the sidebar).
      kwargs: passed on to `st.number_input` (e.g. `help`).
    """
    restore(key, default, integer(low, high))
    kwargs.setdefault("help", t("share.range", low=low, high=high))
    return where.number_input(label, low, high, key=key, step=1, **kwargs)


def test_digit(label: str, key: str, default: int, digits, labels, where=st) -> int:
    """An index of a bundled test digit, shared through the URL, with the digit it names under it ("#0, a 7")."""
    high = len(digits) - 1
    with where:
        index = number_input(label, key, default, 0, high, help=t("share.index_help", low=0, high=high))
        st.image(display.grid(digits[index][None], columns=1, size=56), width=56, alt="")  # its caption names it
        st.caption(t("share.digit_is", index=index, label=int(labels[index])))
    return index


def slider(label: str, key: str, default, low, high, step, where=st, **kwargs):
    """A slider (int or float, like `default`) shared through the URL; a move is one history entry."""
    parse = integer(low, high) if isinstance(default, int) else real(low, high, step)
    restore(key, default, parse)
    st.session_state.setdefault(_SLIDERS, set()).add(key)
    return where.slider(label, low, high, step=step, key=key, **kwargs)


def select_slider(label: str, key: str, default, options, where=st, **kwargs):
    """A select slider over `options` (the values), shared through the URL; a move is one history entry."""
    restore(key, default, one_of(options))
    st.session_state.setdefault(_SLIDERS, set()).add(key)
    return where.select_slider(label, options, key=key, **kwargs)


def radio(label: str, key: str, default, options, where=st, **kwargs):
    """A radio button group shared through the URL; `options` are the values (codes, not labels)."""
    restore(key, default, one_of(options))
    return where.radio(label, options, key=key, **kwargs)


def multiselect(label: str, key: str, default: tuple, options, max_selections: int, where=st, **kwargs):
    """A multiselect shared through the URL, limited to `max_selections` distinct options."""
    restore(key, tuple(default), list_of(one_of(options), max_selections))
    return where.multiselect(label, options, key=key, max_selections=max_selections, **kwargs)


def _as_text(value) -> str:
    """A widget value as it appears in a URL."""
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)


def publish(keys: list[str]) -> dict[str, str]:
    """Write the values of `keys` that differ from their defaults (and the language) into the URL.

    Returns:
      every shared value as text, the defaults included: the share box's link.
    """
    defaults = st.session_state.get(_DEFAULTS, {})
    values = {key: st.session_state.get(key) for key in keys}
    link = {key: _as_text(v) for key, v in values.items() if v is not None}
    address = {key: text for key, text in link.items() if key not in defaults or _as_text(defaults[key]) != text}
    lang = i18n.current()
    if lang != i18n.browser_language():
        address[i18n.KEY] = lang
    link[i18n.KEY] = lang
    if address != st.query_params.to_dict():
        st.query_params.from_dict(address)
    st.session_state[_PUBLISHED] = address
    i18n.written(address.get(i18n.KEY))
    return link


def share_box(keys: list[str], note: str | None = None) -> None:
    """Publish `keys` to the URL and show the link, with a copy button, in the sidebar."""
    link = (st.context.url or "").split("?")[0] + "?" + urlencode(publish(keys))
    with st.sidebar.expander(t("share.title"), icon=":material/link:", expanded=False):
        st.code(link, language=None, wrap_lines=True)
        st.caption(t("share.how") + (" " + note if note else ""))
    sliders = sorted(set(keys) & st.session_state.get(_SLIDERS, set()))
    _settle(data={"sliders": sliders, "settle_ms": SETTLE_MS}, key="_share_settle", height=0)


# Streamlit writes a changed query string with history.pushState (one entry per run). This
# wraps it, once per page load. A move is the visitor's input on a slider (keys, pointer) with no
# pause of SETTLE_MS or more, counted from the later of the last input and the last step written
# (so a slow run does not split a move); a query string change of the same slider(s) only, in
# the same move as the entry that slider last pushed, replaces that entry instead of adding one.
_SETTLE_JS = """
export default function ({ data }) {
  window.__vaeSliders = new Set(data.sliders);
  window.__vaeSettleMs = data.settle_ms;
  if (window.__vaeHistorySettles) return;
  window.__vaeHistorySettles = true;
  const push = history.pushState.bind(history);
  const SLIDERS = "[data-testid=stSlider], [data-testid=stSelectSlider], [role=slider], input[type=range]";
  let move = 0, input = -Infinity, last = null; // last: the slider keys and move of the last slider entry
  const touched = (ev) => {
    if (!ev.target.closest || !ev.target.closest(SLIDERS)) return;
    const now = Date.now();
    if (now - input >= window.__vaeSettleMs) move += 1;
    input = now;
  };
  for (const kind of ["keydown", "pointerdown", "pointermove"]) document.addEventListener(kind, touched, true);
  const changed = (from, to) => {
    const a = new URL(from), b = new URL(to, from), keys = new Set();
    if (a.pathname !== b.pathname) return keys;
    for (const k of new Set([...a.searchParams.keys(), ...b.searchParams.keys()]))
      if (a.searchParams.get(k) !== b.searchParams.get(k)) keys.add(k);
    return keys;
  };
  history.pushState = function (state, title, url) {
    const keys = url == null ? new Set() : changed(location.href, url);
    const sliding = keys.size > 0 && [...keys].every((k) => window.__vaeSliders.has(k));
    const same = sliding && last && last.move === move &&
      keys.size === last.keys.size && [...keys].every((k) => last.keys.has(k));
    last = sliding ? { keys, move } : null;
    if (sliding) input = Date.now(); // a step that lands keeps its move going: a slow run does not split it
    return same ? history.replaceState(state, title, url) : push(state, title, url);
  };
}
"""
_settle = st.components.v2.component("vae_site.history_settle", js=_SETTLE_JS)

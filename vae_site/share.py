"""Links that share a view: what a visitor sets lives in the URL's query string.

Each page restores its widget values from `st.query_params` once per session (a bad or
out-of-range value falls back to the default), and writes them back after every run, so the
address bar always holds a link that reopens the same view.
"""

from urllib.parse import urlencode

import streamlit as st


def restore(key: str, default, cast=int, choices=None, low=None, high=None):
    """Set `st.session_state[key]` from `?key=` on first use; return the value.

    Args:
      key: the widget key, also the query parameter's name.
      default: used when the URL has no value or a bad one.
      cast: turns the text into a value (int, float, str, or a function).
      choices: allowed values, if any.
      low, high: allowed range for numbers, if any.
    """
    if key not in st.session_state:
        st.session_state[key] = _parse(st.query_params.get(key), default, cast, choices, low, high)
    return st.session_state[key]


def number_input(label: str, key: str, default: int, low: int, high: int, where=st, **kwargs) -> int:
    """An integer input whose value is restored from and shared through the URL.

    Args:
      label, key: the widget's label and key (the key is also the query parameter).
      default, low, high: its default and bounds.
      where: the container to draw it in (`st`, a column, the sidebar).
      kwargs: passed on to `st.number_input` (e.g. `help`).
    """
    restore(key, default, int, low=low, high=high)
    return where.number_input(label, low, high, key=key, **kwargs)


def slider(label: str, key: str, default, low, high, step, where=st, **kwargs):
    """A slider (int or float, like `default`) whose value is restored from and shared through the URL."""
    restore(key, default, type(default), low=low, high=high)
    return where.slider(label, low, high, step=step, key=key, **kwargs)


def _parse(text, default, cast, choices, low, high):
    """The value in `text`, or `default` if it is missing, malformed or out of bounds."""
    if text is None:
        return default
    try:
        value = cast(text)
    except (TypeError, ValueError):
        return default
    if choices is not None and value not in choices:
        return default
    if (low is not None and value < low) or (high is not None and value > high):
        return default
    return value


def int_list(text: str) -> tuple[int, ...]:
    """'3,17,42' to (3, 17, 42); raises ValueError on anything else."""
    return tuple(int(part) for part in str(text).split(",") if part.strip())


def str_list(text: str) -> tuple[str, ...]:
    """'a,b' to ('a', 'b')."""
    return tuple(part for part in str(text).split(",") if part)


def publish(keys: list[str]) -> dict[str, str]:
    """Write the current values of `keys` into the URL; return them as text."""
    params = {}
    for key in keys:
        value = st.session_state.get(key)
        if value is not None:
            params[key] = ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
    st.query_params.from_dict(params)
    return params


def share_box(keys: list[str], note: str | None = None) -> None:
    """Publish `keys` to the URL and show the link, with a copy button, in the sidebar."""
    params = publish(keys)
    link = (st.context.url or "") + ("?" + urlencode(params) if params else "")
    with st.sidebar.expander(":material/link: Share this view", expanded=False):
        st.code(link, language=None, wrap_lines=True)
        st.caption("Copy the link with the button in the box's corner; it opens this page as you set it."
                   + (f" {note}" if note else ""))

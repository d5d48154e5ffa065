"""The site in English and Korean: one message catalog entry per string, chosen by `?lang=`.

Streamlit has no translation support (streamlit/streamlit#1353), so the site keeps its own
catalogs: `vae_site/locales/<domain>.toml`, one table per message with an `en` and a `ko`
text side by side (a reviewer sees both at once; tests/test_i18n.py checks that every entry
has both languages and the same named placeholders). A message is looked up by
"<domain>.<key>" and formatted with named placeholders only, `t("anomaly.cut", cut=3.2)`:
no sentence is ever built by gluing translated pieces together. The terms are fixed once in
`locales/glossary.toml` (checked against TensorFlow's Korean tutorials) and every page uses them.

The visitor's language lives in the URL (`lang=ko`), so it survives page changes and travels
in share links; without it, the first visit follows the browser (`st.context.locale`). Links
between pages carry it (`query()`, used by vae_site.navigation), so a page change is one entry
in the browser's history, and Back and Forward restore it from the URL.
"""

import functools
import string
import tomllib
from pathlib import Path

import streamlit as st

LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT = "en"
KEY = "lang"  # the session-state key and the query parameter
_WRITTEN = "_lang_written"  # session key: the `lang` the URL held when this session last wrote it
LOCALES = Path(__file__).resolve().parent / "locales"


@functools.cache
def catalog(domain: str) -> dict[str, dict[str, str]]:
    """The messages of one domain (a file in locales/), by key: {key: {"en": ..., "ko": ...}}."""
    with open(LOCALES / f"{domain}.toml", "rb") as f:
        return tomllib.load(f)


def domains() -> list[str]:
    """Every catalog's domain name."""
    return sorted(p.stem for p in LOCALES.glob("*.toml") if p.stem != "glossary")


def text(lang: str, key: str, **values) -> str:
    """The message `key` ("domain.name") in `lang`, with its named placeholders filled in.

    Raises:
      KeyError: for an unknown key or a missing placeholder value (a bug: tests find it).
    """
    domain, name = key.split(".", 1)
    template = catalog(domain)[name][lang]
    return template.format_map(values) if values or placeholders(template) else template


def placeholders(template: str) -> set[str]:
    """The named placeholders of a message, e.g. {"cut"} for "above {cut:.1f} nats"."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def current() -> str:
    """The visitor's language: chosen in the sidebar, else `?lang=`, else the browser's.

    The URL decides again when it moved under the session: on Back and Forward (`lang`, or without
    it the browser's language: going back goes back to the language that page was read in), and
    when it names a language other than the one this session last wrote (see `written`).
    """
    url = _from_url()
    moved = _history_navigation() or (
        url is not None and _WRITTEN in st.session_state and url != st.session_state[_WRITTEN]
    )
    chosen = st.session_state.get(KEY)
    if chosen not in LANGUAGES or (moved and chosen != (url or browser_language())):
        # (only when it changes: the switch's own key cannot be set once the switch is drawn)
        st.session_state[KEY] = url or browser_language()
        st.session_state[_WRITTEN] = url
    return st.session_state[KEY]


def written(lang: str | None) -> None:
    """Record the `lang` that this run wrote into the URL (None: none, the browser's language)."""
    st.session_state[_WRITTEN] = lang


def _history_navigation() -> bool:
    """This run came from the browser's Back or Forward button (Streamlit's run context says so)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx and getattr(ctx, "is_history_navigation", False))


def t(key: str, **values) -> str:
    """The message `key` in the visitor's language (see `text`)."""
    return text(current(), key, **values)


def bound(key: str):
    """`t` for one message with the visitor's language fixed now, for a widget's `format_func`.

    Streamlit may call a format_func outside the script run, where the session's language cannot
    be read (AppTest reads a multiselect's value back through its labels there): with `t`, a Korean
    page's labels would come back English and no longer match the widget's value.
    """
    return functools.partial(text, current(), key)


def _from_url() -> str | None:
    """`?lang=` if it names a language the site has."""
    value = st.query_params.get(KEY)
    return value if value in LANGUAGES else None


def browser_language() -> str:
    """Korean for a browser that prefers it, else English."""
    locale = (st.context.locale or "").lower()
    return "ko" if locale.startswith("ko") else DEFAULT


def switch(where=st.sidebar) -> str:
    """The language switch (English / 한국어); its value is the session's language."""
    current()
    return where.segmented_control(
        t("site.language"),
        list(LANGUAGES),
        key=KEY,
        format_func=LANGUAGES.get,
        selection_mode="single",
        required=True,
        label_visibility="collapsed",
    )


def query() -> dict[str, str]:
    """The language's query parameter for a link to another page: {"lang": ...} unless it is the browser's."""
    lang = current()
    return {} if lang == browser_language() else {KEY: lang}

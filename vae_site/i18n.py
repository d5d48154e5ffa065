"""The site in English and Korean: one message catalog entry per string, chosen by `?lang=`.

Streamlit has no translation support (streamlit/streamlit#1353), so the site keeps its own
catalogs: `vae_site/locales/<domain>.toml`, one table per message with an `en` and a `ko`
text side by side (a reviewer sees both at once; tests/test_i18n.py checks that every entry
has both languages and the same named placeholders). A message is looked up by
"<domain>.<key>" and formatted with named placeholders only, `t("anomaly.cut", cut=3.2)`:
no sentence is ever built by gluing translated pieces together. The terms are fixed once in
`locales/glossary.toml` (checked against TensorFlow's Korean tutorials) and every page uses them.

The visitor's language lives in the URL (`lang=ko`), so it survives page changes and travels
in share links; without it, the first visit follows the browser (`st.context.locale`).
"""

import functools
import string
import tomllib
from pathlib import Path

import streamlit as st

LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT = "en"
KEY = "lang"  # the session-state key and the query parameter
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
    """The visitor's language: chosen in the sidebar, else `?lang=`, else the browser's."""
    if KEY not in st.session_state or st.session_state[KEY] not in LANGUAGES:
        st.session_state[KEY] = _from_url() or browser_language()
    return st.session_state[KEY]


def t(key: str, **values) -> str:
    """The message `key` in the visitor's language (see `text`)."""
    return text(current(), key, **values)


def _from_url() -> str | None:
    """`?lang=` if it names a language the site has."""
    value = st.query_params.get(KEY)
    return value if value in LANGUAGES else None


def browser_language() -> str:
    """Korean for a browser that prefers it, else English."""
    locale = (st.context.locale or "").lower()
    return "ko" if locale.startswith("ko") else DEFAULT


def switch(where=st.sidebar) -> None:
    """The language switch (English / 한국어); its value is the session's language."""
    current()
    where.segmented_control(t("site.language"), list(LANGUAGES), key=KEY, format_func=LANGUAGES.get,
                            selection_mode="single", required=True, label_visibility="collapsed")

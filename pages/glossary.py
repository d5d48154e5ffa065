"""Glossary: every term the site uses, from vae_site/locales/glossary.toml, in the visitor's language
first and the other beside it, with its meaning; a filter that matches either language."""

import streamlit as st

from vae_site import i18n, navigation, share
from vae_site.i18n import t

navigation.enter()

st.title(t("glossary_page.title"))
st.markdown(t("glossary_page.intro"))
lang = i18n.current()
other = "ko" if lang == "en" else "en"
terms = i18n.catalog("glossary")
typed = st.text_input(
    t("glossary_page.filter"), key="glossary_filter", placeholder=t("glossary_page.filter_placeholder")
).strip()


def matches(entry: dict, typed: str) -> bool:
    """The term, in either language, or its meaning in the visitor's, contains what was typed."""
    return any(typed.lower() in entry[field].lower() for field in ("en", "ko", f"meaning_{lang}"))


shown = [entry for entry in terms.values() if matches(entry, typed)]
if not shown:
    st.info(t("glossary_page.none", typed=typed), icon=":material/search_off:")
for entry in shown:
    with st.container(border=True):
        st.markdown(t("glossary_page.term", term=entry[lang], other=entry[other]))
        st.markdown(entry[f"meaning_{lang}"])
st.caption(t("glossary_page.count", shown=len(shown), total=len(terms)))

st.divider()
navigation.link("pages/references.py", "glossary_page.references_link", icon=":material/library_books:")
share.share_box([])

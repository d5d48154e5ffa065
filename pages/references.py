"""References: the Korean article the site follows and the papers it cites, as plain citations
(vae_site/locales/references.toml). Links are addresses only: the page fetches nothing."""

import streamlit as st

from vae_site import i18n, navigation, share
from vae_site.i18n import t

navigation.enter()

st.title(t("references.title"))
st.markdown(t("references.intro"))
cited = {key: entry for key, entry in i18n.catalog("references").items() if "title" in entry}
st.markdown(
    "\n".join(
        f"{n}. " + t(f"references.{key}", title=entry["title"], url=entry.get("url", ""))
        for n, (key, entry) in enumerate(cited.items(), 1)
    )
)
st.divider()
navigation.link("pages/glossary.py", "references.glossary_link", icon=":material/abc:")
share.share_box([])

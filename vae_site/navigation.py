"""The site's pages and the one place that routes between them.

`run` is what streamlit_app.py does: the language, `st.navigation` over the pages in their
story order, the sidebar, then the chosen page. `enter` is the first line of every page.

Why `enter` exists: the design keeps the pages in a top-level `pages/` folder, and Streamlit
1.67 treats such a folder as an old (v1) multipage app until some run has called
`st.navigation` (`PagesManager.uses_pages_directory`, decided once per process). So when a
shared deep link such as /anomaly is a fresh server's first request, Streamlit runs
pages/anomaly.py alone, with its own list of the folder's files and without the site's
sidebar. `enter` notices that run (the page runs although `run` has not) and reruns it through
the entry point, as `st.navigation` itself would have flagged it. Streamlit's flag is
internal: if an upgrade moves it, tests/test_browser.py's deep-link test fails.
"""

from pathlib import Path

import streamlit as st

from vae_site import display, i18n, sidebar
from vae_site.i18n import t

# The tab's icon, a test 8 of MNIST in the theme's blue, served by the site itself (a `:material/` page
# icon is fetched from a font host on every run, and missing offline).
ICON = Path(__file__).resolve().parent.parent / "static" / "icon.png"

# (file, catalog key of its title, icon), in the order the story is told.
PAGES = [
    ("pages/theory.py", "site.nav_theory", ":material/menu_book:"),
    ("pages/sampling.py", "site.nav_sampling", ":material/casino:"),
    ("pages/reconstruction.py", "site.nav_reconstruction", ":material/draw:"),
    ("pages/ae_vs_vae.py", "site.nav_ae_vs_vae", ":material/compare:"),
    ("pages/elbo_curves.py", "site.nav_elbo_curves", ":material/show_chart:"),
    ("pages/lab.py", "site.nav_lab", ":material/model_training:"),
    ("pages/anomaly.py", "site.nav_anomaly", ":material/report:"),
    ("pages/glossary.py", "site.nav_glossary", ":material/abc:"),
    ("pages/references.py", "site.nav_references", ":material/library_books:"),
]
_ROUTED = "_navigation_routed"  # session key: this run went through `run`


def url_paths() -> list[str]:
    """Every page's URL path in story order: "" for the home page, else the file's name."""
    return ["" if i == 0 else Path(file).stem for i, (file, _, _) in enumerate(PAGES)]


def run() -> None:
    """The whole site: language, page config, navigation, sidebar, then the chosen page."""
    display.site_style(i18n.current())
    st.set_page_config(page_title=t("site.title"), page_icon=str(ICON), layout="wide")
    pages = [st.Page(path, title=t(key), icon=icon, default=(i == 0)) for i, (path, key, icon) in enumerate(PAGES)]
    page = st.navigation(pages, position="hidden")
    st.session_state[_ROUTED] = True
    menu(pages)
    i18n.switch()
    sidebar.model_card()
    page.run()


def menu(pages: list) -> None:
    """The page list in the sidebar: links that keep the language in the URL.

    Streamlit's own menu drops every query parameter on a page change, and the page's run then
    writes `lang` back: two entries in the browser's history per page change (Back needed two
    presses). A link that carries `lang` is one entry.
    """
    with st.sidebar.container(key="site_menu"):
        for page in pages:
            st.page_link(page, label=page.title, icon=page.icon, query_params=i18n.query(), width="stretch")


def enter() -> None:
    """Every page's first call: a page run alone (a deep link in v1 mode) reruns through `run`."""
    if st.session_state.get(_ROUTED):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False  # what st.navigation sets at its first call
    st.rerun()


def link(target, key: str, icon: str | None = None, where=st, **values) -> None:
    """A link to another page (`target`: a file in PAGES or its st.Page), labelled by the catalog entry `key`
    (formatted with `values`), in `where` (a column, the sidebar).

    Use it for every link between pages, not `st.page_link` alone: it carries the language, so a
    page change is one entry in the browser's history (see `menu`).
    """
    where.page_link(target, label=t(key, **values), icon=icon, query_params=i18n.query())

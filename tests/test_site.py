"""Every page together: missing and corrupt models, the bundled arrays, the serving process."""

import numpy as np
import pytest

from tests.pages import ROOT, charts, open_page
from vae_site import navigation, resources
from vae_tf import store


def test_the_bundled_arrays_are_shared_read_only_and_right(bundled):
    """One copy for every session (a copy per session stayed alive with it), which no page can change."""
    images, labels = resources.mnist_test_digits()
    assert resources.mnist_test_digits()[0] is images
    np.testing.assert_array_equal(images, bundled[0])
    np.testing.assert_array_equal(labels, bundled[1])
    for array in (images, labels, resources.binary_test_digits()):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 0


PAGE_FILES = [
    None,
    "pages/sampling.py",
    "pages/reconstruction.py",
    "pages/ae_vs_vae.py",
    "pages/elbo_curves.py",
    "pages/anomaly.py",
]


@pytest.mark.parametrize("page", PAGE_FILES)
def test_missing_models_say_which_command_makes_them(page, tmp_path, monkeypatch):
    monkeypatch.setenv(store.MODELS_ENV, str(tmp_path))
    at = open_page(page)
    shown = [e.value for e in at.error] + [w.value for w in at.warning] + [w.value for w in at.sidebar.warning]
    assert any("python -m vae_tf.train" in m or "README" in m for m in shown), shown


def test_a_corrupt_model_is_reported_and_the_other_pages_still_work(tmp_path, monkeypatch):
    import shutil

    for name in store.SHIPPED.values():
        shutil.copytree(store.model_dir(name), tmp_path / name)
    (tmp_path / store.SHIPPED["vae_main"] / store.WEIGHTS).write_bytes(b"\x89HDF\r\n garbage")
    monkeypatch.setenv(store.MODELS_ENV, str(tmp_path))
    sampling = open_page("pages/sampling.py")
    assert any("could not be read" in e.value and store.SHIPPED["vae_main"] in e.value for e in sampling.error)
    assert len(open_page().header) >= 4  # the home page does not need the main VAE: it still works
    curves = open_page("pages/elbo_curves.py")  # histories and metrics are intact: the charts still show
    assert len(charts(curves)) >= 2


def _fresh_served_process(code: str, unset: str) -> str:
    """What `code` prints in a fresh Python process, without the variable `unset` in its environment."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != unset}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_the_served_process_never_imports_keras_3():
    """Streamlit clears a Keras 3 session after every script run, which empties TensorFlow's
    kernel cache (every graph call's first run then rebuilds its kernels); vae_site keeps Keras 3
    out. A fresh process, set up as streamlit_app.py does (`process.configure()` first), without
    the variable set by hand."""
    code = (
        "import sys; from vae_site import process; process.configure(); from vae_site import resources; "
        "resources._load.__wrapped__(resources.cache_key('vae_2d')); "
        "assert 'tensorflow' in sys.modules; print('keras' in sys.modules)"
    )
    assert _fresh_served_process(code, unset="TF_USE_LEGACY_KERAS") == "False"


def test_the_served_process_runs_numpy_on_one_thread():
    """NumPy's OpenBLAS on one thread per product, like TensorFlow's ops: every session already
    runs in a thread of its own. A fresh process set up as streamlit_app.py does."""
    code = (
        "from vae_site import process; process.configure(); import numpy, threadpoolctl; "
        "print(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'}))"
    )
    assert _fresh_served_process(code, unset="OPENBLAS_NUM_THREADS") == "[1]"


def _menu_and_link():
    import streamlit as st

    from tests.conftest import ROOT
    from vae_site import i18n, navigation

    pages = [st.Page(ROOT / path, title=i18n.t(key), icon=icon) for path, key, icon in navigation.PAGES]
    st.navigation(pages, position="hidden")
    navigation.menu(pages)
    navigation.link(pages[1], "site.nav_sampling")


@pytest.mark.parametrize(("lang", "query"), [("ko", "lang=ko"), ("en", "")])
def test_every_link_between_pages_carries_the_language_unless_it_is_the_browsers(lang, query):
    """Streamlit's own menu drops the query string on a page change; the page then wrote `lang`
    back, a second entry in the browser's history (Back needed two presses). The site's links
    carry it, so a page change is one entry."""
    from streamlit.testing.v1 import AppTest

    from vae_site import i18n

    at = AppTest.from_function(_menu_and_link, default_timeout=60)
    at.query_params[i18n.KEY] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    menu, links = at.sidebar.get("page_link"), at.main.get("page_link")
    assert [link.proto.label for link in menu] == [i18n.text(lang, key) for _, key, _ in navigation.PAGES]
    assert [link.proto.query_string for link in [*menu, *links]] == [query] * (len(navigation.PAGES) + 1)  # + the link


def test_back_and_forward_take_the_language_from_the_url(monkeypatch):
    """A run from the browser's Back or Forward button reads `lang` again (or, without it, takes
    the browser's language): the earlier view comes back in the language it was read in."""
    from streamlit.testing.v1 import AppTest

    from vae_site import i18n

    at = AppTest.from_function(_menu_and_link, default_timeout=60)
    at.query_params[i18n.KEY] = "ko"
    at.run()
    at.session_state[i18n.KEY] = "en"  # the visitor chose English since
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.get("page_link")[0].proto.label == i18n.text("en", "site.nav_theory")
    monkeypatch.setattr(i18n, "_history_navigation", lambda: True)
    at.run()
    assert at.sidebar.get("page_link")[0].proto.label == i18n.text("ko", "site.nav_theory")

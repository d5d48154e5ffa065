"""Every page together: missing and corrupt models, the bundled arrays, the serving process."""


import numpy as np
import pytest

from tests.pages import ROOT, charts, open_page
from vae_site import resources
from vae_tf import store


def test_the_bundled_arrays_are_shared_read_only_and_right(bundled):
    """One copy for every session (a copy per session stayed alive with it), which no page can change."""
    images, labels = resources.test_digits()
    assert resources.test_digits()[0] is images
    np.testing.assert_array_equal(images, bundled[0])
    np.testing.assert_array_equal(labels, bundled[1])
    for array in (images, labels, resources.binary_test_digits(), resources.fashion_items()[0]):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 0


PAGE_FILES = [None, "pages/sampling.py", "pages/reconstruction.py", "pages/ae_vs_vae.py",
              "pages/elbo_curves.py", "pages/anomaly.py"]


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


def test_the_served_process_never_imports_keras_3():
    """Streamlit clears a Keras 3 session after every script run, which empties TensorFlow's
    kernel cache (every graph call's first run then rebuilds its kernels); vae_site keeps Keras 3
    out. A fresh process, as `streamlit run` starts one, without the variable set by hand."""
    import os
    import subprocess
    import sys

    code = ("import sys, vae_site; from vae_site import resources; "
            "resources._load.__wrapped__(resources.cache_key('vae_2d')); "
            "assert 'tensorflow' in sys.modules; print('keras' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"

"""Streamlit helpers shared by the pages: cached models and data, digit display, shareable state.

The modelling lives in `vae_tf`; this package only puts it on screen. Importing it sets the
serving environment, which TensorFlow reads when it starts (at the first model load); set a
variable in the environment to override it.
"""

import os

# Keep Keras 3 out of the process: TensorFlow 2.21 imports it by default, and while it is in
# `sys.modules` Streamlit calls `keras.backend.clear_session()` after every script run, which
# empties TensorFlow's kernel cache, so every traced function's first call in the next run
# rebuilt its kernels (decode of 8 codes 20 ms instead of 2, the ELBO over 100 draws 50 instead
# of 9: timed inside a served page). The project uses tf_keras, which this also makes tf.keras.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

# One thread per TensorFlow op: sessions already run in threads of their own, and on 2 cores the
# default op pools made the sessions' small graph calls wait on each other (bench/site_speed.py).
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")


def _return_freed_memory_to_the_system() -> None:
    """glibc's malloc, tuned as MALLOC_ARENA_MAX=2 and MALLOC_MMAP_THRESHOLD_=1048576 would at start-up.

    Every script run is a new thread, and glibc gives threads arenas of their own (up to 8 per
    core) that keep what they freed; a fixed 1 MB mmap threshold returns every large buffer (the
    decoded batches, the encoded images) to the system when it is freed. Measured with
    bench/site_speed.py: with every page used 950 -> 887 MB, growth over 20 sessions 82 -> 65 MB.
    Elsewhere than glibc this does nothing.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols, glibc's among them
    except (OSError, AttributeError, TypeError):  # no such symbol, or no dlopen(NULL) (Windows)
        return
    m_arena_max, m_mmap_threshold = -8, -3  # glibc's malloc.h
    mallopt(m_arena_max, 2)
    mallopt(m_mmap_threshold, 1 << 20)


_return_freed_memory_to_the_system()


def _route_the_first_run_through_the_entrypoint() -> None:
    """Make a fresh server's first request, whatever its URL, run streamlit_app.py.

    Until some run has called `st.navigation`, Streamlit 1.67 takes pages/ for a v1 multipage
    folder: a shared link such as /anomaly, as the first request to a fresh server, ran
    pages/anomaly.py alone, under Streamlit's list of the folder's files and without the model
    card (tests/test_browser.py). Every page imports vae_site first, once per process, so the
    first run learns here that the site has its own navigation, and runs again through it.
    Streamlit's flag is internal: if it moves, this does nothing and the browser test says so.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return
    if getattr(PagesManager, "uses_pages_directory", None) and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False  # what st.navigation sets on its first call
        import streamlit as st

        st.rerun()


_route_the_first_run_through_the_entrypoint()

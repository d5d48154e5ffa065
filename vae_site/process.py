"""The serving process's set-up: one explicit step, taken first by the entry point and the tests.

TensorFlow reads its environment once, when it is imported (at the first model load), so these
settings must be in place before anything imports it; `configure` is the first call of
streamlit_app.py and of tests/conftest.py, so the in-process tests run in the set-up the server
runs in. A variable already set in the environment wins. Each setting's measured gain is in
BENCHMARKS.md, "Settings kept for their measured gain".
"""

import ctypes
import os

SERVING_ENVIRONMENT = {
    # Keep Keras 3 out of the process. TensorFlow 2.21 imports it by default, and while `keras` is
    # in sys.modules Streamlit calls `keras.backend.clear_session()` after every script run, which
    # empties TensorFlow's kernel cache (each traced function then rebuilt its kernels on every
    # run). The project uses tf_keras, which this makes tf.keras.
    "TF_USE_LEGACY_KERAS": "1",
    # One thread per TensorFlow op: every session runs in a thread of its own already, and on
    # 2 cores the default op pools made the sessions' small graph calls wait on each other.
    "TF_NUM_INTRAOP_THREADS": "1",
    # The same for NumPy's and SciPy's OpenBLAS (read when NumPy is first imported, after this): two
    # threads spinning on 2 shared cores made AE vs VAE's products (decoded codes scored per seed)
    # slower.
    "OPENBLAS_NUM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


def configure() -> None:
    """Set the serving environment and glibc's malloc; call before TensorFlow is imported."""
    for name, value in SERVING_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    _tune_malloc()


def _tune_malloc() -> None:
    """glibc's malloc as MALLOC_ARENA_MAX=2 and MALLOC_MMAP_THRESHOLD_=1048576 would set it at start-up.

    Every script run is a new thread, and glibc gives threads arenas of their own that keep what
    they freed; a fixed 1 MB mmap threshold returns every large buffer (decoded batches) to the
    system when it is freed. Elsewhere than glibc this does nothing.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols, glibc's among them
    except (OSError, AttributeError, TypeError):  # no such symbol, or no dlopen(NULL) (Windows)
        return
    m_arena_max, m_mmap_threshold = -8, -3  # glibc's malloc.h
    mallopt(m_arena_max, 2)
    mallopt(m_mmap_threshold, 1 << 20)

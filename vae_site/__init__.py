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

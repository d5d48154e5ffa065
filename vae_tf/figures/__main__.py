"""`python -m vae_tf.figures --model models/<dir>`: see the package docstring."""

import sys

from vae_tf.figures import main

sys.exit(main())

#!/usr/bin/env bash
# Train, evaluate and export the beta family: 2-D VAEs that differ only in the KL term's weight beta
# (loss = reconstruction + beta * KL; beta = 1 is the ELBO). Same trunks (256-256), epochs and
# seed for all, so that the rate-distortion plane compares like with like. BETAS="30" trains one.
#
#   bash scripts/train_beta_family.sh [python]      # ~4 min per model on 2 CPU cores
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
DATA=${DATA:-../shared/data/mnist.npz}
for beta in ${BETAS:-0.1 0.3 1 3 10 30}; do
  out=models/vae-2d-beta$beta
  "$PY" -m vae_tf.train --kind vae --latent-size 2 --widths 256 256 --beta "$beta" --epochs 40 \
    --data "$DATA" --output "$out" --verbose 2
  "$PY" -m vae_tf.evaluate --model "$out" --data "$DATA" --k 1000
  "$PY" -m vae_tf.figures --model "$out"  # the page's fixed figures, shipped beside the model
  "$PY" -m vae_tf.export_decoder --model "$out"  # its decoder for the browser's live latent map
done

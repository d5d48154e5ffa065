"""The latent map's browser decoder: each shipped 2-D model's exported weights decode as the model does."""

import numpy as np
import pytest

from vae_tf import export_decoder, store
from vae_tf.config import ModelConfig

TWO_D = [
    role
    for role, name in store.SHIPPED.items()
    if (store.model_dir(name) / store.CONFIG).is_file()
    and ModelConfig.load(store.model_dir(name) / store.CONFIG).latent_size == 2
]


@pytest.mark.parametrize("role", TWO_D)
def test_the_exported_decoder_equals_the_trained_decoder(role):
    from vae_tf.inference import Inference

    served = Inference(store.load(store.model_dir(store.SHIPPED[role])))
    path = export_decoder.path_for(store.model_dir(store.SHIPPED[role]))
    assert path.is_file(), f"run python -m vae_tf.export_decoder --model models/{store.SHIPPED[role]}"
    weights = export_decoder.read(path, export_decoder.layer_sizes(served.config))
    z = np.random.default_rng(0).uniform(-4, 4, (200, 2)).astype(np.float32)
    z[:100] = served.encode(np.zeros((1, 28, 28)))[0] + z[:100] / 4  # near real codes too
    np.testing.assert_allclose(export_decoder.forward(weights, z), served.decode(z), atol=0.01)


def test_the_file_layout_is_kernel_then_bias_per_layer(tmp_path, tiny_vae):
    path = tmp_path / "d.f16"
    assert export_decoder.write(tiny_vae, path) == 2 * (2 * 32 + 32 + 32 * 784 + 784)
    weights = export_decoder.read(path, export_decoder.layer_sizes(tiny_vae.config))
    assert [w.shape for w in weights] == [(2, 32), (32,), (32, 784), (784,)]
    np.testing.assert_allclose(weights[2], tiny_vae.decoder_net.layers[1].kernel.numpy(), atol=1e-3)
    with pytest.raises(ValueError):
        export_decoder.read(path, [2, 16, 784])

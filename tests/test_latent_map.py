"""The browser's networks: each 2-D model's exported decoder (and the VAE's encoder) computes as the model does."""

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


def served(role):
    """The shipped model of a role, served as the site serves it."""
    from vae_tf.inference import Inference

    return Inference(store.load(store.model_dir(store.SHIPPED[role])))


@pytest.mark.parametrize("role", TWO_D)
def test_the_exported_decoder_equals_the_trained_decoder(role):
    model = served(role)
    path = export_decoder.path_for(store.model_dir(store.SHIPPED[role]))
    assert path.is_file(), f"run python -m vae_tf.export_decoder --model models/{store.SHIPPED[role]}"
    weights = export_decoder.read(path, export_decoder.layer_sizes(model.config))
    z = np.random.default_rng(0).uniform(-4, 4, (200, 2)).astype(np.float32)
    z[:100] = model.encode(np.zeros((1, 28, 28)))[0] + z[:100] / 4  # near real codes too
    np.testing.assert_allclose(export_decoder.forward(weights, z), model.decode(z), atol=0.01)


def test_the_exported_encoder_gives_the_models_posterior(mnist_small):
    """q(z|x)'s mean and std from the float16 export, as the drawing pad computes them, on test digits."""
    model = served("vae_2d")
    path = export_decoder.path_for(store.model_dir(store.SHIPPED["vae_2d"]), "encoder")
    assert path.is_file(), "run python -m vae_tf.export_decoder --model models/vae-2d"
    weights = export_decoder.read(path, export_decoder.layer_sizes(model.config, "encoder"))
    images = mnist_small["test"].x[:64, ..., 0]
    mean, std = export_decoder.encode(weights, images)
    expected_mean, expected_std = model.encode(images)
    spread = float(expected_mean.std())
    np.testing.assert_allclose(mean, expected_mean, atol=0.01 * spread)  # float16 weights: ~1% of the codes' spread
    np.testing.assert_allclose(std, expected_std, rtol=0.03)


def test_only_a_2d_vae_has_an_encoder_to_export(tiny_vae, tiny_ae):
    assert export_decoder.exportable(tiny_vae.config, "encoder")
    assert not export_decoder.exportable(tiny_ae.config, "encoder")
    assert export_decoder.exportable(tiny_ae.config, "decoder")


def test_the_file_layout_is_kernel_then_bias_per_layer(tmp_path, tiny_vae):
    path = tmp_path / "d.f16"
    assert export_decoder.write(tiny_vae, path) == 2 * (2 * 32 + 32 + 32 * 784 + 784)
    weights = export_decoder.read(path, export_decoder.layer_sizes(tiny_vae.config))
    assert [w.shape for w in weights] == [(2, 32), (32,), (32, 784), (784,)]
    np.testing.assert_allclose(weights[2], tiny_vae.decoder_net.layers[1].kernel.numpy(), atol=1e-3)
    with pytest.raises(ValueError):
        export_decoder.read(path, [2, 16, 784])
    encoder = tmp_path / "e.f16"
    assert export_decoder.write(tiny_vae, encoder, "encoder") == 2 * (784 * 32 + 32 + 32 * 4 + 4)
    assert [w.shape for w in export_decoder.read(encoder, export_decoder.layer_sizes(tiny_vae.config, "encoder"))] == [
        (784, 32),
        (32,),
        (32, 4),
        (4,),
    ]

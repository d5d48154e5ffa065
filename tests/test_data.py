"""The loader, the binarization rule and the validation split."""

import numpy as np
import pytest

from tests.conftest import FIXTURE
from vae_tf import data


def test_loader_reads_keras_layout(mnist_small):
    assert mnist_small["train"].x.shape == (1000, 28, 28, 1)
    assert mnist_small["test"].x.shape == (200, 28, 28, 1)
    assert mnist_small["train"].x.dtype == np.float32
    assert 0.0 == mnist_small["train"].x.min() and mnist_small["train"].x.max() == 1.0
    assert set(np.unique(mnist_small["test"].y)) == set(range(10))


def test_loader_names_missing_arrays(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="y_train"):
        data.load_mnist(path)


def test_binarize_turns_a_pixel_on_with_probability_p():
    p = np.full((200, 28, 28), 0.9, np.float32)
    x = data.binarize(p, seed=1)
    assert set(np.unique(x)) == {0.0, 1.0}
    assert abs(x.mean() - 0.9) < 0.005  # u < p: an inverted rule would give 0.1
    assert data.binarize(np.zeros((5, 5)), 0).max() == 0.0
    assert data.binarize(np.ones((5, 5)), 0).min() == 1.0


def test_fixed_binarization_is_reproducible_and_fresh_draws_differ():
    p = np.full((10, 28, 28), 0.5, np.float32)
    np.testing.assert_array_equal(data.binarize(p, 7), data.binarize(p, 7))
    rng = np.random.default_rng(0)
    assert (data.binarize(p, rng) != data.binarize(p, rng)).any()


def test_validation_split_is_disjoint_and_complete(mnist_small):
    train, val = data.split_validation(mnist_small["train"], 100, seed=0)
    assert len(train) == 900 and len(val) == 100
    both = np.concatenate([train.x, val.x]).reshape(1000, -1)
    assert len(np.unique(both, axis=0)) == len(np.unique(mnist_small["train"].x.reshape(1000, -1), axis=0))


def test_bundled_subset_loads():
    split = data.load_npz_split(FIXTURE, "test")
    assert split.x.shape == (200, 28, 28, 1) and split.y.shape == (200,)

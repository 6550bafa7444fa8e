"""sgd_update and the portable generator."""

import numpy as np
import pytest

from python.optimizer import sgd_update
from python.rng import Rng
from python.suite.errors import InputError


def test_sgd_update_returns_new_dict_inputs_untouched():
    params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    grads = {"W": np.full((2, 2), 2.0), "b": np.ones(2)}
    out = sgd_update(params, grads, lr=0.5)
    assert out["W"].tolist() == [[0.0, 0.0], [0.0, 0.0]] and out["b"].tolist() == [-0.5, -0.5]
    assert params["W"].tolist() == [[1.0, 1.0], [1.0, 1.0]] and grads["b"].tolist() == [1.0, 1.0]


def test_sgd_update_checks_keys_and_shapes():
    with pytest.raises(InputError):
        sgd_update({"W": np.ones(2)}, {"V": np.ones(2)})
    with pytest.raises(ValueError, match="shape"):
        sgd_update({"W": np.ones(2)}, {"W": np.ones(3)})


def test_published_mrg32k3a_values():
    # L'Ecuyer's RngStreams, default state (all six words 12345): its first five uniforms.
    u = Rng.from_state([12345] * 3, [12345] * 3).uniform(5)
    assert u.tolist() == [0.12701112204657714, 0.3185275653967945, 0.3091860155832701,
                          0.8258468629271136, 0.2216299157820229]


def test_streams_are_reproducible_and_seeds_differ():
    assert np.array_equal(Rng(3).normal(10), Rng(3).normal(10))
    assert not np.array_equal(Rng(3).uniform(10), Rng(4).uniform(10))
    u = Rng(0).uniform(100_000)
    assert 0 < u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.005


def test_integers_in_range_with_replacement():
    draws = Rng(1).integers(5, 1000)
    assert draws.min() == 0 and draws.max() == 4 and np.bincount(draws).min() > 150


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, True, "7"])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        Rng(seed)

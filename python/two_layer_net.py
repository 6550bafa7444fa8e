"""The book's two-layer net: affine - sigmoid - affine - softmax, with backprop and numerical gradients."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.fast_gradient import SeriesRangeError, series_numerical_gradient
from python.functions import cross_entropy_error, labels_of, sigmoid, softmax
from python.gradient import numerical_gradient
from python.rng import Rng

Array = NDArray[np.float64]
Params = dict[str, Array]
PARAM_KEYS = ("W1", "b1", "W2", "b2")


class TwoLayerNet:
    """input_size -> hidden_size (sigmoid) -> output_size (softmax), as in the book's ch04/ch05."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01, seed: int | None = None) -> None:
        """Draw W1 then W2 (row-major) from Rng(seed) if seed is given; biases start at zero."""
        if seed is None:
            gen = np.random.default_rng()
            draw = gen.standard_normal
        else:
            draw = Rng(seed).normal
        w1 = weight_init_std * draw(input_size * hidden_size).reshape(input_size, hidden_size)
        w2 = weight_init_std * draw(hidden_size * output_size).reshape(hidden_size, output_size)
        self.shapes = {"W1": (input_size, hidden_size), "b1": (hidden_size,),
                       "W2": (hidden_size, output_size), "b2": (output_size,)}
        self.params = {"W1": w1, "b1": np.zeros(hidden_size), "W2": w2, "b2": np.zeros(output_size)}

    @property
    def params(self) -> Params:
        """The weights W1 b1 W2 b2."""
        return self._params

    @params.setter
    def params(self, new: Params) -> None:
        """Replace all weights at once, after checking keys, shapes and dtype."""
        if sorted(new) != sorted(PARAM_KEYS):
            raise KeyError(f"params must have keys {PARAM_KEYS}, got {tuple(new)}")
        checked = {}
        for key in PARAM_KEYS:
            value = np.asarray(new[key])
            if value.shape != self.shapes[key] or value.dtype != np.float64:
                raise ValueError(f"params['{key}'] must be float64 of shape {self.shapes[key]}, "
                                 f"got {value.dtype} {value.shape}")
            checked[key] = value
        self._params = checked

    def check_input(self, x: ArrayLike) -> Array:
        """x as a float64 batch of shape (n, input_size), finite."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim not in (1, 2) or x.shape[-1] != self.shapes["W1"][0]:
            raise ValueError(f"x must have {self.shapes['W1'][0]} columns, got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("x contains NaN or infinite values")
        return x

    def predict(self, x: ArrayLike, params: Params | None = None) -> Array:
        """Class probabilities for each row of x."""
        p = self._params if params is None else params
        x = self.check_input(x)
        a1 = x @ p["W1"] + p["b1"]
        z1 = sigmoid(a1)
        a2 = z1 @ p["W2"] + p["b2"]
        return softmax(a2)

    def loss(self, x: ArrayLike, t: ArrayLike, params: Params | None = None) -> float:
        """Cross-entropy error of the predictions; t one-hot or class codes."""
        return cross_entropy_error(self.predict(x, params), t)

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """Share of rows whose most probable class (first on ties) is the true one."""
        y = self.predict(x)
        y2 = y.reshape(-1, y.shape[-1])
        labels = labels_of(t, y).reshape(-1)
        return float(np.sum(np.argmax(y2, axis=1) == labels) / y2.shape[0])

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike, method: str = "series") -> Params:
        """Central-difference gradient of the loss: "series" (all weights at once) or "plain" (one by one)."""
        x = self.check_input(x)
        if method not in ("series", "plain"):
            raise ValueError(f"method must be 'series' or 'plain', got {method!r}")
        if method == "series":
            x2 = x.reshape(-1, x.shape[-1])
            shape = (*x.shape[:-1], self.shapes["W2"][1])
            labels = labels_of(t, np.broadcast_to(0.0, shape)).reshape(-1)
            try:
                return series_numerical_gradient(self._params, x2, labels)
            except SeriesRangeError:
                pass  # steps too large for the series: fall back to the definition
        trial = {k: v.copy() for k, v in self._params.items()}

        def loss_at(key: str, w: Array) -> float:
            # f reads the array it is given, not self.params: no reliance on in-place aliasing.
            return self.loss(x, t, {**trial, key: w})

        return {key: numerical_gradient(lambda w, key=key: loss_at(key, w), trial[key])
                for key in PARAM_KEYS}

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """Backprop gradient of the loss (without the 1e-7 guard) for each weight array."""
        p = self._params
        x = self.check_input(x)
        x2 = x.reshape(-1, x.shape[-1])
        a1 = x2 @ p["W1"] + p["b1"]
        z1 = sigmoid(a1)
        a2 = z1 @ p["W2"] + p["b2"]
        y = softmax(a2)
        labels = labels_of(t, y.reshape(x.shape[:-1] + y.shape[-1:])).reshape(-1)
        batch_num = x2.shape[0]
        dy = y.copy()
        dy[np.arange(batch_num), labels] -= 1.0  # y - t for one-hot t
        dy /= batch_num
        grads = {"W2": z1.T @ dy, "b2": np.sum(dy, axis=0)}
        da1 = dy @ p["W2"].T
        dz1 = z1 * sigmoid(-a1) * da1  # sigmoid_grad(a1), reusing z1 = sigmoid(a1): the same bits
        grads["W1"] = x2.T @ dz1
        grads["b1"] = np.sum(dz1, axis=0)
        return grads

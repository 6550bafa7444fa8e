"""The book's two-layer net (ch04/two_layer_net.py): affine - sigmoid - affine - softmax."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.fast_gradient import SeriesRangeError, series_numerical_gradient
from python.functions import cross_entropy_error, sigmoid, sigmoid_grad, softmax
from python.gradient import numerical_gradient
from python.rng import Rng
from python.suite.errors import InputError, NumericalError
from python.suite.net_checks import check_batch, check_input, check_net_params, check_net_sizes

Array = NDArray[np.float64]
Params = dict[str, Array]
PARAM_KEYS = ("W1", "b1", "W2", "b2")


class TwoLayerNet:
    """input_size -> hidden_size (sigmoid) -> output_size (softmax), as in the book's ch04/ch05."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01, seed: int | None = None) -> None:
        """Draw W1 then W2 (row-major) from Rng(seed) if seed is given; biases start at zero."""
        input_size, hidden_size, output_size = check_net_sizes(input_size, hidden_size, output_size,
                                                                weight_init_std)
        randn = np.random.default_rng().standard_normal if seed is None else Rng(seed).normal
        with np.errstate(over="ignore"):  # a weight_init_std near the float64 limit: refused below
            params = {
                "W1": weight_init_std * randn(input_size * hidden_size).reshape(input_size, hidden_size),
                "b1": np.zeros(hidden_size),
                "W2": weight_init_std * randn(hidden_size * output_size).reshape(hidden_size, output_size),
                "b2": np.zeros(output_size),
            }
        if not all(np.isfinite(w).all() for w in params.values()):
            raise InputError(f"weight_init_std {weight_init_std!r} makes initial weights overflow float64")
        self.shapes = {key: w.shape for key, w in params.items()}
        self.params = params

    @property
    def params(self) -> Params:
        """The weights W1 b1 W2 b2."""
        return self._params

    @params.setter
    def params(self, new: Params) -> None:
        """Replace all weights at once, after checking keys, shapes and dtype."""
        self._params = check_net_params(new, self.shapes)

    @np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by require_finite_forward
    def predict(self, x: ArrayLike, params: Params | None = None) -> Array:
        """Class probabilities for each row of x (with params: those weights, checked, not the net's)."""
        params = self.params if params is None else params
        x = check_input(x, params, self.shapes)
        a1 = np.dot(x, params["W1"]) + params["b1"]
        z1 = sigmoid(a1)
        a2 = np.dot(z1, params["W2"]) + params["b2"]
        y = require_finite_forward(a1, softmax(a2), x, params)
        return y

    def loss(self, x: ArrayLike, t: ArrayLike, params: Params | None = None) -> float:
        """Cross-entropy error of the predictions; t one-hot or class codes."""
        y = self.predict(x, params)
        return cross_entropy_error(y, t)

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """Share of rows whose most probable class (first on ties) is the true one."""
        x, t = check_batch(x, t, self.params, self.shapes)  # x as rows, t as their class codes
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        return float(np.sum(y == t) / x.shape[0])

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike, method: str = "series") -> Params:
        """Central-difference gradient of the loss: "series" (all weights at once) or "plain" (one by one)."""
        x, t = check_batch(x, t, self.params, self.shapes, method)
        if method == "series":
            try:
                grads = series_numerical_gradient(self.params, x, t)
            except SeriesRangeError:
                grads = None  # steps too large for the series: the definition below
            if grads is not None and all(np.isfinite(g).all() for g in grads.values()):
                return grads
            if grads is not None:
                self.predict(x)  # NaN predictions raise the NumericalError naming the cause
        # The definition, as the book's: each weight in turn. The loss reads the arrays it is given,
        # not self.params, so it does not rely on numpy's in-place aliasing.
        params = {key: w.copy() for key, w in self.params.items()}
        return {key: numerical_gradient(lambda w, key=key: self.loss(x, t, {**params, key: w}), params[key])
                for key in PARAM_KEYS}

    @np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by require_finite_forward
    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """Backprop gradient of the loss (without the 1e-7 guard) for each weight array."""
        x, t = check_batch(x, t, self.params, self.shapes)  # x as rows, t as their class codes
        params = self.params
        grads = {}
        batch_num = x.shape[0]

        # forward
        a1 = np.dot(x, params["W1"]) + params["b1"]
        z1 = sigmoid(a1)
        a2 = np.dot(z1, params["W2"]) + params["b2"]
        y = require_finite_forward(a1, softmax(a2), x, params)

        # backward
        dy = y.copy()
        dy[np.arange(batch_num), t] -= 1  # y - t for one-hot t (the book's ch05 SoftmaxWithLoss)
        dy = dy / batch_num
        grads["W2"] = np.dot(z1.T, dy)
        grads["b2"] = np.sum(dy, axis=0)

        da1 = np.dot(dy, params["W2"].T)
        dz1 = sigmoid_grad(a1) * da1
        grads["W1"] = np.dot(x.T, dz1)
        grads["b1"] = np.sum(dz1, axis=0)
        return grads


def require_finite_forward(a1: Array, y: Array, x: Array, params: Params) -> Array:
    """y, the probabilities, unless the weights or x @ W overflowed float64 on the way."""
    # Probabilities sum to at most the row count: only a NaN makes their sum non-finite. An infinite a1
    # is right where the exact x @ W1 lies beyond float64 (sigmoid is then 0 or 1), and wrong where it
    # comes from Inf - Inf inside the product (some BLAS kernels give Inf there, others NaN): the product
    # of x scaled by 2^-600, which cannot overflow, tells the two apart. The sums look first, as in R.
    if np.isfinite(np.sum(a1)) and np.isfinite(np.sum(y)):
        return y
    inf = np.isinf(a1)
    spurious = inf.any() and (np.abs(np.dot(x * 2.0**-600, params["W1"]))[inf] < 2.0**424).any()
    if not spurious and np.isfinite(np.sum(y)):
        return y
    bad = [key for key in PARAM_KEYS if not np.isfinite(params[key]).all()]
    where = (f"params {', '.join(bad)} contain NaN or infinite values" if bad else
             f"x @ W1 or sigmoid(.) @ W2 overflows float64 (max |x| {np.max(np.abs(x)):.3g}, "
             f"max |W1| {np.max(np.abs(params['W1'])):.3g}, max |W2| {np.max(np.abs(params['W2'])):.3g})")
    raise NumericalError(f"the predictions are NaN or meaningless: {where}")

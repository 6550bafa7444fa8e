"""The book's two-layer net: affine - sigmoid - affine - softmax, with backprop and numerical gradients."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from python.fast_gradient import SeriesRangeError, series_numerical_gradient
from python.functions import (
    cross_entropy_of_labels,
    labels_of,
    sigmoid_halves,
    sigmoid_inplace,
    softmax_inplace,
)
from python.gradient import numerical_gradient
from python.rng import Rng
from python.suite.checks import numeric_array, real_scalar, require_count, require_ndim
from python.suite.errors import InputError, InputTypeError, NumericalError

Array = NDArray[np.float64]
Params = dict[str, Array]
PARAM_KEYS = ("W1", "b1", "W2", "b2")


class TwoLayerNet:
    """input_size -> hidden_size (sigmoid) -> output_size (softmax), as in the book's ch04/ch05."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01, seed: int | None = None) -> None:
        """Draw W1 then W2 (row-major) from Rng(seed) if seed is given; biases start at zero."""
        input_size, hidden_size, output_size = (require_count(n, name) for n, name in (
            (input_size, "input_size"), (hidden_size, "hidden_size"), (output_size, "output_size")))
        if real_scalar(weight_init_std) is None or not 0 <= weight_init_std < np.inf:
            raise InputError(f"weight_init_std must be a finite number >= 0, got {weight_init_std!r}")
        if seed is None:
            gen = np.random.default_rng()
            draw = gen.standard_normal
        else:
            draw = Rng(seed).normal
        with np.errstate(over="ignore"):  # checked just below
            w1 = weight_init_std * draw(input_size * hidden_size).reshape(input_size, hidden_size)
            w2 = weight_init_std * draw(hidden_size * output_size).reshape(hidden_size, output_size)
        if not (np.isfinite(w1).all() and np.isfinite(w2).all()):
            raise InputError(f"weight_init_std {weight_init_std!r} makes initial weights overflow float64")
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
        self._params = self.checked_params(new)

    def checked_params(self, new: Params) -> Params:
        """new, after checking its keys, and each array's dtype and shape against the net's."""
        if not isinstance(new, dict) or sorted(new) != sorted(PARAM_KEYS):
            got = tuple(new) if isinstance(new, dict) else type(new).__name__
            raise InputError(f"params must be a dict with keys {PARAM_KEYS}, got {got}")
        checked = {}
        for key in PARAM_KEYS:
            try:
                value = np.asarray(new[key])
            except ValueError:  # a ragged nested list
                raise InputTypeError(f"params['{key}'] must be a float64 (double) array") from None
            if value.dtype != np.float64:
                raise InputTypeError(f"params['{key}'] must be float64 (double), got {value.dtype}")
            if value.shape != self.shapes[key]:
                raise InputError(f"params['{key}'] must have shape {self.shapes[key]}, got {value.shape}")
            checked[key] = value
        return checked

    def check_input(self, x: ArrayLike, finite: bool = True) -> Array:
        """x as a float64 batch of shape (n, input_size), finite (unless finite=False: not checked yet)."""
        x = numeric_array(x, "x")
        require_ndim(x, "x")
        if x.shape[-1] != self.shapes["W1"][0]:
            raise InputError(f"x must have {self.shapes['W1'][0]} columns, got shape {x.shape}")
        if x.size == 0:
            raise InputError(f"x is an empty batch (shape {x.shape})")
        if finite:
            # One BLAS pass instead of isfinite's boolean copy: a NaN or an infinity makes the sum
            # of squares non-finite.
            flat = x.reshape(-1)
            with np.errstate(over="ignore"):  # |x| beyond 1e154: the elementwise look decides
                require_finite(x, np.dot(flat, flat))
        return x

    def predict(self, x: ArrayLike, params: Params | None = None) -> Array:
        """Class probabilities for each row of x (with params: those weights, checked, not the net's)."""
        p = self._params if params is None else self.checked_params(params)
        x = self.check_input(x, finite=False)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is diagnosed by require_no_nan
            a1 = x @ p["W1"]
            require_finite(x, a1)
            a1 += p["b1"]
            a2 = sigmoid_inplace(a1) @ p["W2"]
            a2 += p["b2"]
            return require_no_nan(softmax_inplace(a2), x, p)

    def loss(self, x: ArrayLike, t: ArrayLike, params: Params | None = None) -> float:
        """Cross-entropy error of the predictions; t one-hot or class codes."""
        y = self.predict(x, params)
        return cross_entropy_of_labels(y, labels_of(t, y))

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
            raise InputError(f"method must be 'series' or 'plain', got {method!r}")
        if method == "series":
            x2 = x.reshape(-1, x.shape[-1])
            shape = (*x.shape[:-1], self.shapes["W2"][1])
            labels = labels_of(t, np.broadcast_to(0.0, shape)).reshape(-1)
            try:
                grads = series_numerical_gradient(self._params, x2, labels)
            except SeriesRangeError:
                pass  # steps too large for the series: fall back to the definition
            else:
                if all(np.isfinite(g).all() for g in grads.values()):
                    return grads
                self.predict(x)  # NaN predictions raise the NumericalError naming the cause

        trial = {k: v.copy() for k, v in self._params.items()}

        def loss_at(key: str, w: Array) -> float:
            # f reads the array it is given, not self.params: no reliance on in-place aliasing.
            return self.loss(x, t, {**trial, key: w})

        return {key: numerical_gradient(lambda w, key=key: loss_at(key, w), trial[key])
                for key in PARAM_KEYS}

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """Backprop gradient of the loss (without the 1e-7 guard) for each weight array."""
        x = self.check_input(x, finite=False)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is diagnosed by require_no_nan
            return self.backprop(x, t)

    def backprop(self, x: Array, t: ArrayLike) -> Params:
        """gradient() for a checked x."""
        p = self._params
        x2 = x.reshape(-1, x.shape[-1])
        batch_num = x2.shape[0]
        a1 = x2 @ p["W1"]
        require_finite(x, a1)
        a1 += p["b1"]
        # sigmoid(a1) and sigmoid(-a1) are sigmoid(|a1|) and sigmoid(-|a1|), swapped by the sign of
        # a1: one exp gives both, with the bits of functions.sigmoid.
        upper, lower = sigmoid_halves(a1)
        z1 = np.where(a1 >= 0, upper, lower)
        a2 = z1 @ p["W2"]
        a2 += p["b2"]
        y = require_no_nan(softmax_inplace(a2), x, p)
        labels = labels_of(t, y.reshape(x.shape[:-1] + y.shape[-1:])).reshape(-1)
        dy = y  # y is ours: y - t and the batch mean in place
        dy[np.arange(batch_num), labels] -= 1.0  # y - t for one-hot t
        dy /= batch_num
        grads = {"W2": z1.T @ dy, "b2": np.add.reduce(dy, axis=0)}  # np.sum's reduction, called directly
        da1 = dy @ p["W2"].T
        # sigmoid_grad(a1) = sigmoid(a1) * sigmoid(-a1) = upper * lower whatever the sign of a1 (at
        # a1 = 0 both are 0.5): the same bits as z1 * sigmoid(-a1).
        dz1 = np.multiply(upper, lower, out=upper)
        dz1 *= da1
        grads["W1"] = x2.T @ dz1
        grads["b1"] = np.add.reduce(dz1, axis=0)
        return grads


def require_no_nan(y: Array, x: Array, p: Params) -> Array:
    """y, the probabilities, unless a NaN shows that the weights or x @ W overflowed float64."""
    # Probabilities sum to at most the row count: only a NaN makes the sum non-finite.
    if np.isfinite(np.add.reduce(y, axis=None)):
        return y
    bad = [key for key in PARAM_KEYS if not np.isfinite(p[key]).all()]
    where = (f"params {', '.join(bad)} contain NaN or infinite values" if bad else
             f"x @ W1 or sigmoid(.) @ W2 overflows float64 (max |x| {np.max(np.abs(x)):.3g}, "
             f"max |W1| {np.max(np.abs(p['W1'])):.3g}, max |W2| {np.max(np.abs(p['W2'])):.3g})")
    raise NumericalError(f"the predictions are NaN: {where}")


def require_finite(x: Array, witness: Array | float) -> None:
    """Raise unless x is finite; witness, a sum of products of x's elements, answers when it is finite.

    A NaN or an infinity in x makes every sum it enters non-finite (x @ W1 included: BLAS multiplies
    it by each weight, and inf * 0 is NaN); only a witness that overflows needs the elementwise look.
    """
    if not np.isfinite(witness).all() and not np.isfinite(x).all():
        raise InputError("x contains NaN or infinite values")


"""The book's backprop SGD step in plain numpy (ch05 two_layer_net.gradient, no checks): the step's anchor."""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The book's sigmoid."""
    return 1 / (1 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    """The book's row-wise softmax, shifted by the row max."""
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def gradient(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """The book's TwoLayerNet.gradient, for one-hot t."""
    W1, W2 = params["W1"], params["W2"]
    b1, b2 = params["b1"], params["b2"]
    batch_num = x.shape[0]

    a1 = np.dot(x, W1) + b1
    z1 = sigmoid(a1)
    a2 = np.dot(z1, W2) + b2
    y = softmax(a2)

    dy = (y - t) / batch_num
    grads = {"W2": np.dot(z1.T, dy), "b2": np.sum(dy, axis=0)}
    dz1 = np.dot(dy, W2.T)
    da1 = sigmoid(a1) * (1 - sigmoid(a1)) * dz1
    grads["W1"] = np.dot(x.T, da1)
    grads["b1"] = np.sum(da1, axis=0)
    return grads


def step(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, learning_rate: float) -> None:
    """One SGD update in place, as the book's training loop does it."""
    grad = gradient(params, x, t)
    for key in ("W1", "b1", "W2", "b2"):
        params[key] -= learning_rate * grad[key]

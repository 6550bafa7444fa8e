"""The book's ch04/train_neuralnet.py as plain lines: the yardstick for a full default training run.

Same work as `python -m python.train` with its defaults (Fashion-MNIST, 10,000 iterations, batch 100,
lr 0.1, 50 hidden units, seed 0: weights from Rng(0), minibatches from Rng(1)), in one process and
with no run files, checkpoints or command line. Prints the final accuracies as one JSON line, so that
`make bench` can check that both runs did the same experiment.
"""

import json

from python.mnist import default_data_dir, load_dataset, normalize
from python.rng import Rng
from python.two_layer_net import TwoLayerNet


def main() -> None:
    """Train as the book does: gradient, update, the minibatch loss, accuracies once per epoch."""
    data = load_dataset(default_data_dir("fashion-mnist"))
    x_train, t_train = normalize(data.x_train), data.t_train
    x_test, t_test = normalize(data.x_test), data.t_test

    iters_num = 10000
    train_size = x_train.shape[0]
    batch_size = 100
    learning_rate = 0.1
    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)
    batches = Rng(1)

    train_loss_list: list[float] = []
    train_acc_list: list[float] = []
    test_acc_list: list[float] = []
    iter_per_epoch = max(train_size // batch_size, 1)

    for i in range(iters_num):
        batch_mask = batches.integers(train_size, batch_size)
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]

        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= learning_rate * grad[key]

        loss = network.loss(x_batch, t_batch)
        train_loss_list.append(loss)

        if i % iter_per_epoch == 0:
            train_acc_list.append(network.accuracy(x_train, t_train))
            test_acc_list.append(network.accuracy(x_test, t_test))

    print(json.dumps({"final_train_acc": network.accuracy(x_train, t_train),
                      "final_test_acc": network.accuracy(x_test, t_test),
                      "last_loss": train_loss_list[-1], "evaluations": len(test_acc_list)}))


if __name__ == "__main__":
    main()

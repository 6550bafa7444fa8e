"""suite/run_state.py: the --out guard, run.json, the checkpoint state, the batch stream, ^C deferral."""

import json
from pathlib import Path

import numpy as np
import pytest

import python.suite.run_state as rs
from python.rng import M1, M2, Rng
from python.suite.checkpoint import decode_checkpoint, encode_checkpoint, load_checkpoint
from python.suite.errors import CheckpointError, DataFileError, OutputExistsError
from python.suite.run_state import BatchStream, RunTracker, TrainState


def make_state(n: int = 7, every: int = 3) -> TrainState:
    rng = np.random.default_rng(n)
    params = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3), "W2": rng.normal(size=(3, 2)),
              "b2": rng.normal(size=2)}
    batches = Rng(11)
    batches.uniform(5 * n)
    evals = [(i // every, i, (i + 1) / 9, 1 / 3) for i in range(0, n, every)]
    return TrainState(params, n, [*batches.s1, *batches.s2], list(rng.uniform(0.1, 3, size=n)), evals)


def same(a: TrainState, b: TrainState) -> bool:
    weights_equal = all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    return (a.params.keys() == b.params.keys() and weights_equal
            and (a.iterations_done, a.batch_rng, a.losses, a.evals)
            == (b.iterations_done, b.batch_rng, b.losses, b.evals))


@pytest.mark.parametrize("n", [0, 1, 7])
def test_state_round_trips_through_checkpoint_bytes_in_the_documented_order(n):
    state = make_state(n)
    arrays = decode_checkpoint(encode_checkpoint(rs.encode_state(state)))
    assert list(arrays) == ["W1", "b1", "W2", "b2", "iterations_done", "batch_rng", "losses", "evals"]
    assert arrays["iterations_done"].shape == (1,) and arrays["batch_rng"].shape == (6,)
    assert arrays["losses"].shape == (n,) and arrays["evals"].shape == (len(state.evals), 4)
    assert same(rs.decode_state(arrays, "x"), state)


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.pop("batch_rng"), "x: holds no training state (missing batch_rng)"),
    (lambda a: a.update(iterations_done=np.array([2.5])), "iterations_done must be one integer >= 0"),
    (lambda a: a.update(iterations_done=np.array([-1.0])), "iterations_done must be one integer >= 0"),
    (lambda a: a.update(iterations_done=np.array([7.0, 7.0])), "iterations_done must be one integer"),
    (lambda a: a.update(batch_rng=np.zeros(6)), "batch_rng must be 6 generator words"),
    (lambda a: a.update(batch_rng=np.array([1.0, 2, 3, 4, 5])), "batch_rng must be 6 generator words"),
    (lambda a: a.update(batch_rng=np.array([M1, 1.0, 1, 1, 1, 1])), "batch_rng must be 6 generator words"),
    (lambda a: a.update(batch_rng=np.array([1.0, 1, 1, M2, 1, 1])), "batch_rng must be 6 generator words"),
    (lambda a: a.update(losses=np.ones(6)), "losses must have iterations_done = 7 values"),
    (lambda a: a.update(evals=np.ones((3, 3))), "evals must be rows (epoch, iter, train_acc, test_acc)"),
    (lambda a: a.update(evals=np.full((3, 4), 0.5)), "evals must be rows"),
])
def test_decode_state_names_what_is_wrong(change, message):
    arrays = rs.encode_state(make_state())
    change(arrays)
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rs.decode_state(arrays, "x")


def test_check_state_fits_the_run():
    state = make_state()
    shapes = {k: v.shape for k, v in state.params.items()}
    flags = {"iters": 10, "eval_every": 3}
    rs.check_state_fits(state, flags, shapes, "x")
    with pytest.raises(CheckpointError, match="x: W1 has shape"):
        rs.check_state_fits(state, flags, {**shapes, "W1": (4, 4)}, "x")
    with pytest.raises(CheckpointError, match="iterations_done 7 exceeds the run's --iters 6"):
        rs.check_state_fits(state, {**flags, "iters": 6}, shapes, "x")
    with pytest.raises(CheckpointError, match="evals do not list the evaluations before iteration 7"):
        rs.check_state_fits(state, {**flags, "eval_every": 2}, shapes, "x")
    state.losses[3] = float("nan")
    with pytest.raises(CheckpointError, match="losses hold a non-finite value"):
        rs.check_state_fits(state, flags, shapes, "x")


def test_progress_files_are_written_in_order_and_agree(tmp_path, monkeypatch):
    order = []
    real = rs.write_atomic
    monkeypatch.setattr(rs, "write_atomic",
                        lambda path, data: (order.append(Path(path).name), real(path, data)))
    state = make_state()
    rs.write_progress(tmp_path, state)
    assert order == ["metrics.csv", "epochs.csv", "checkpoint.bin"]
    metrics = (tmp_path / "metrics.csv").read_text().splitlines()
    assert metrics[0] == "iter,loss" and [float(r.split(",")[1]) for r in metrics[1:]] == state.losses
    assert (tmp_path / "epochs.csv").read_text() == (
        "epoch,iter,train_acc,test_acc\n0,0,0.1111111111111111,0.33333333333333331\n"
        "1,3,0.44444444444444442,0.33333333333333331\n2,6,0.77777777777777779,0.33333333333333331\n")
    assert same(rs.load_state(tmp_path), state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.bin", "epochs.csv", "metrics.csv"]


def test_out_guard_refuses_any_run_file_unless_forced(tmp_path):
    assert rs.guard_out_dir(tmp_path / "new", force=False) == []
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".metrics.csv.a1b2.tmp").write_text("x")
    assert rs.guard_out_dir(tmp_path, force=False) == []
    for name in rs.RUN_FILES:
        (tmp_path / name).write_text("x")
        with pytest.raises(OutputExistsError, match=f"holds an earlier run \\({name}\\); pass --force"):
            rs.guard_out_dir(tmp_path, force=False)
        assert rs.guard_out_dir(tmp_path, force=True) == [name]
        rs.clear_run_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".metrics.csv.a1b2.tmp", "notes.txt"]


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    for name in (".checkpoint.bin.x1.tmp", ".summary.json.y2.tmp", "metrics.csv", "keep.tmp", ".hidden",
                 ".notes.txt.z3.tmp"):
        (tmp_path / name).write_text("x")
    assert rs.remove_stale_tmp(tmp_path) == [".checkpoint.bin.x1.tmp", ".summary.json.y2.tmp"]
    kept = [".hidden", ".notes.txt.z3.tmp", "keep.tmp", "metrics.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == kept


def test_run_json_round_trip_and_errors(tmp_path):
    flags = {"iters": 5, "lr": 0.1, "out": str(tmp_path)}
    rs.write_run_json(tmp_path, "python", flags, {"train_images": "ab"})
    assert rs.read_run_json(tmp_path) == {"language": "python", "flags": flags,
                                          "data_files": {"train_images": "ab"}}
    with pytest.raises(CheckpointError, match=r"nowhere/run\.json: not found"):
        rs.read_run_json(tmp_path / "nowhere")
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(CheckpointError, match=r"run\.json: unreadable or not JSON"):
        rs.read_run_json(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"language": "python", "flags": []}))
    with pytest.raises(CheckpointError, match="expected an object with"):
        rs.read_run_json(tmp_path)


def test_changed_data_files_are_named():
    files = {"train_images": {"path": "/d/train", "sha256": "aa"},
             "test_labels": {"path": "/d/lab", "sha256": "bb"}}
    rs.check_data_files({"train_images": "aa", "test_labels": "bb"}, files, Path("r/run.json"))
    with pytest.raises(DataFileError, match=r"^/d/lab: SHA-256 bb differs from the cc recorded in r/run"):
        rs.check_data_files({"train_images": "aa", "test_labels": "cc"}, files, Path("r/run.json"))


@pytest.mark.parametrize(("start", "iters", "block"),
                         [(0, 23, 5), (7, 23, 5), (10, 23, 5), (0, 4, 100), (3, 9, 1)])
def test_batch_stream_draws_the_per_iteration_stream_and_knows_every_state(start, iters, block):
    one = Rng(3)  # one minibatch per call: the definition
    states, batches = [[*one.s1, *one.s2]], []
    for _ in range(iters):
        batches.append(one.integers(50, 4))
        states.append([*one.s1, *one.s2])
    stream = BatchStream(states[start], 50, 4, iters, block)
    for i in range(start, iters):
        assert np.array_equal(stream.batch(i), batches[i])
        for n in range(start, i + 2):  # every state from the start to after this iteration
            assert stream.state_after(n) == states[n]


def test_tracker_holds_sigint_until_the_three_files_are_written(tmp_path, monkeypatch):
    tracker = RunTracker()
    assert tracker.interrupted("cmd") == "train: interrupted before the first checkpoint; nothing to resume"
    with pytest.raises(KeyboardInterrupt):
        tracker.on_sigint(2, None)
    tracker.on_sigint(2, None)  # a second ^C does not cut the clean-up short
    tracker = RunTracker()
    real = rs.write_atomic

    def write_then_sigint(path, data):
        real(path, data)
        if Path(path).name == "metrics.csv":
            tracker.on_sigint(2, None)  # ^C between the first and the second file

    monkeypatch.setattr(rs, "write_atomic", write_then_sigint)
    state = make_state()
    with pytest.raises(KeyboardInterrupt):
        tracker.save(tmp_path, state)
    assert load_checkpoint(tmp_path / "checkpoint.bin")["iterations_done"].tolist() == [7]
    assert (tmp_path / "epochs.csv").exists() and not tracker.pending
    assert tracker.interrupted("cmd") == (f"train: interrupted; last checkpoint at iteration 7 in "
                                          f"{tmp_path}; continue with: cmd --resume {tmp_path}")

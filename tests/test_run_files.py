"""suite/run_files.py and suite/train_state.py: the --out guard, run.json, Run, ^C deferral."""

import json
from pathlib import Path

import numpy as np
import pytest

import python.suite.run_files as rf
from python.rng import M1, M2, Rng
from python.suite.checkpoint import decode_checkpoint, encode_checkpoint, load_checkpoint
from python.suite.errors import CheckpointError, DataFileError, DivergedError, OutputExistsError
from python.suite.progress import Progress
from python.suite.run_files import Run
from python.suite.train_state import TrainState, check_state_fits, decode_state, encode_state, load_state


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
    arrays = decode_checkpoint(encode_checkpoint(encode_state(state)))
    assert list(arrays) == ["W1", "b1", "W2", "b2", "iterations_done", "batch_rng", "losses", "evals"]
    assert arrays["iterations_done"].shape == (1,) and arrays["batch_rng"].shape == (6,)
    assert arrays["losses"].shape == (n,) and arrays["evals"].shape == (len(state.evals), 4)
    assert same(decode_state(arrays, "x"), state)


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
    arrays = encode_state(make_state())
    change(arrays)
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_state(arrays, "x")


def test_check_state_fits_the_run():
    state = make_state()
    shapes = {k: v.shape for k, v in state.params.items()}
    flags = {"iters": 10, "eval_every": 3}
    check_state_fits(state, flags, shapes, "x")
    with pytest.raises(CheckpointError, match="x: W1 has shape"):
        check_state_fits(state, flags, {**shapes, "W1": (4, 4)}, "x")
    with pytest.raises(CheckpointError, match="iterations_done 7 exceeds the run's --iters 6"):
        check_state_fits(state, {**flags, "iters": 6}, shapes, "x")
    with pytest.raises(CheckpointError, match="evals do not list the evaluations before iteration 7"):
        check_state_fits(state, {**flags, "eval_every": 2}, shapes, "x")
    state.losses[3] = float("nan")
    with pytest.raises(CheckpointError, match="losses hold a non-finite value"):
        check_state_fits(state, flags, shapes, "x")


def test_progress_files_are_written_in_order_and_agree(tmp_path, monkeypatch):
    order = []
    real = rf.write_atomic
    monkeypatch.setattr(rf, "write_atomic",
                        lambda path, data: (order.append(Path(path).name), real(path, data)))
    state = make_state()
    rf.write_progress(tmp_path, state)
    assert order == ["metrics.csv", "epochs.csv", "checkpoint.bin"]
    metrics = (tmp_path / "metrics.csv").read_text().splitlines()
    assert metrics[0] == "iter,loss" and [float(r.split(",")[1]) for r in metrics[1:]] == state.losses
    assert (tmp_path / "epochs.csv").read_text() == (
        "epoch,iter,train_acc,test_acc\n0,0,0.1111111111111111,0.33333333333333331\n"
        "1,3,0.44444444444444442,0.33333333333333331\n2,6,0.77777777777777779,0.33333333333333331\n")
    assert same(load_state(tmp_path), state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.bin", "epochs.csv", "metrics.csv"]


def test_out_guard_refuses_any_run_file_unless_forced(tmp_path):
    assert rf.guard_out_dir(tmp_path / "new", force=False) == []
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".metrics.csv.a1b2.tmp").write_text("x")
    assert rf.guard_out_dir(tmp_path, force=False) == []
    for name in rf.RUN_FILES:
        (tmp_path / name).write_text("x")
        with pytest.raises(OutputExistsError, match=f"holds an earlier run \\({name}\\); pass --force"):
            rf.guard_out_dir(tmp_path, force=False)
        assert rf.guard_out_dir(tmp_path, force=True) == [name]
        rf.clear_run_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".metrics.csv.a1b2.tmp", "notes.txt"]


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    for name in (".checkpoint.bin.x1.tmp", ".summary.json.y2.tmp", "metrics.csv", "keep.tmp", ".hidden",
                 ".notes.txt.z3.tmp"):
        (tmp_path / name).write_text("x")
    assert rf.remove_stale_tmp(tmp_path) == [".checkpoint.bin.x1.tmp", ".summary.json.y2.tmp"]
    kept = [".hidden", ".notes.txt.z3.tmp", "keep.tmp", "metrics.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == kept


def test_run_json_round_trip_and_errors(tmp_path):
    flags = {"iters": 5, "lr": 0.1, "out": str(tmp_path)}
    rf.start_out_dir(tmp_path, flags, {"train_images": "ab"})
    assert rf.read_run_json(tmp_path) == {"language": "python", "flags": flags,
                                          "data_files": {"train_images": "ab"}}
    with pytest.raises(CheckpointError, match=r"nowhere/run\.json: not found"):
        rf.read_run_json(tmp_path / "nowhere")
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(CheckpointError, match=r"run\.json: unreadable or not JSON"):
        rf.read_run_json(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"language": "python", "flags": []}))
    with pytest.raises(CheckpointError, match="expected an object with"):
        rf.read_run_json(tmp_path)


def test_changed_data_files_are_named():
    files = {"train_images": {"path": "/d/train", "sha256": "aa"},
             "test_labels": {"path": "/d/lab", "sha256": "bb"}}
    rf.check_data_files({"train_images": "aa", "test_labels": "bb"}, files, Path("r/run.json"))
    with pytest.raises(DataFileError, match=r"^/d/lab: SHA-256 bb differs from the cc recorded in r/run"):
        rf.check_data_files({"train_images": "aa", "test_labels": "cc"}, files, Path("r/run.json"))


@pytest.mark.parametrize(("start", "iters", "block"),
                         [(0, 23, 5), (7, 23, 5), (10, 23, 5), (0, 4, 100), (3, 9, 1)])
def test_one_draw_per_iteration_is_the_stream_of_the_old_block_draws(start, iters, block):
    # train.py draws integers(n, b) once per iteration; 786243d drew up to `block` iterations' rows in
    # one call. Same rows, same generator states: the checkpoints' bytes do not depend on it.
    one, blocks = Rng(3), Rng(3)
    one.integers(50, 4 * start)
    blocks.integers(50, 4 * start)
    rows, first = [], start
    while first < iters:  # blocks ended at multiples of `block` whatever the first iteration
        count = min(block - first % block, iters - first)
        rows += list(blocks.integers(50, count * 4).reshape(count, 4))
        first += count
    for i in range(start, iters):
        assert np.array_equal(one.integers(50, 4), rows[i - start])
    assert [*one.s1, *one.s2] == [*blocks.s1, *blocks.s2]


def started_run(tmp_path: Path, n: int = 7) -> tuple[Run, TrainState]:
    run, state = Run(), make_state(n)
    run.start(tmp_path, state, Progress(20, quiet=True))
    return run, state


def test_run_records_losses_and_evaluations_into_its_checkpoints(tmp_path):
    run, state = started_run(tmp_path)
    assert run.checkpoint == 7 and same(load_state(tmp_path), state)
    batches = Rng.from_state(state.batch_rng[:3], state.batch_rng[3:])
    batches.integers(10, 5)
    run.record_loss(7, 0.25, state.params, state.batch_rng)
    run.record_loss(8, 0.125, state.params, state.batch_rng)
    run.record_eval(3, 9, 0.5, 0.75)
    run.save_checkpoint(state.params, [*batches.s1, *batches.s2])
    saved = load_state(tmp_path)
    assert (saved.iterations_done, run.checkpoint, run.iterations_done) == (9, 9, 9)
    assert saved.losses == [*state.losses, 0.25, 0.125] and saved.evals == [*state.evals, (3, 9, 0.5, 0.75)]
    assert saved.batch_rng == [*batches.s1, *batches.s2]
    assert (tmp_path / "metrics.csv").read_text().splitlines()[-1] == "8,0.125"


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
def test_run_stops_at_a_non_finite_loss_with_the_state_before_it(loss, tmp_path):
    run, state = started_run(tmp_path)
    run.record_loss(7, 0.5, state.params, state.batch_rng)
    before = {k: v + 1 for k, v in state.params.items()}  # the weights before update 8
    with pytest.raises(DivergedError, match=f"diverged at iteration 8: minibatch loss {loss}; the last good "
                                            f"state \\(iteration 8\\) is in {tmp_path}") as err:
        run.record_loss(8, loss, before, [1, 2, 3, 4, 5, 6])
    assert err.value.iteration == 8 and run.diverged == (8, loss)
    saved = load_state(tmp_path)
    assert (saved.iterations_done, saved.batch_rng) == (8, [1, 2, 3, 4, 5, 6])
    assert saved.losses == [*state.losses, 0.5] and saved.evals == state.evals
    assert all(np.array_equal(saved.params[k], before[k]) for k in before)


def test_run_holds_sigint_until_the_three_files_are_written(tmp_path, monkeypatch):
    tracker = Run()
    assert tracker.interrupted("cmd") == "train: interrupted before the first checkpoint; nothing to resume"
    with pytest.raises(KeyboardInterrupt):
        tracker.on_sigint(2, None)
    tracker.on_sigint(2, None)  # a second ^C does not cut the clean-up short
    tracker = Run()
    real = rf.write_atomic

    def write_then_sigint(path, data):
        real(path, data)
        if Path(path).name == "metrics.csv":
            tracker.on_sigint(2, None)  # ^C between the first and the second file

    monkeypatch.setattr(rf, "write_atomic", write_then_sigint)
    state = make_state()
    with pytest.raises(KeyboardInterrupt):
        tracker.start(tmp_path, state, Progress(20, quiet=True))
    assert load_checkpoint(tmp_path / "checkpoint.bin")["iterations_done"].tolist() == [7]
    assert (tmp_path / "epochs.csv").exists() and tracker.stopping
    assert tracker.interrupted("cmd") == (f"train: interrupted; last checkpoint at iteration 7 in "
                                          f"{tmp_path}; continue with: cmd --resume {tmp_path}")

"""The ``skvaeal`` command line: ``demo --quick`` end to end, its outputs, and argument errors."""

import argparse
import contextlib
import gzip
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import skvaeal
from skvaeal.active import ActiveLearningResults
from skvaeal.cli import _best_per_budget, _build_parser, main
from skvaeal.vae import VAETransformer

_CELL = re.compile(r"(\d\.\d{3}) ± (\d\.\d{3})")


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    """One ``demo --quick`` run with a single trial, shared by the tests of its outputs."""
    pytest.importorskip("matplotlib")
    folder = tmp_path_factory.mktemp("demo")
    out_png, out_json = folder / "x.png", folder / "results.json"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["demo", "--quick", "--n-trials", "1", "--output", str(out_png),
                       "--results", str(out_json), "--verbose", "0"])
    return {"status": status, "text": stdout.getvalue(), "png": out_png, "json": out_json}


def _table(text):
    """Header and budget rows of the printed accuracy table."""
    lines = text[text.index("budget"):].splitlines()
    rows = []
    for line in lines[2:]:
        if not _CELL.search(line):
            break
        rows.append(line)
    return lines[0], rows


def test_demo_quick_prints_table_and_writes_plot(quick_demo):
    assert quick_demo["status"] == 0
    text = quick_demo["text"]
    for arm in ("random (input)", "random (latent)", "coreset (input)", "coreset (latent)",
                "k-center (latent)"):
        assert arm in text
    _, rows = _table(text)
    assert [line.split()[0] for line in rows] == ["10", "20", "40"]
    assert "±" in rows[0]
    # --verbose 0 also silences the VAE's per-epoch table.
    assert "train_loss" not in text
    out_png = quick_demo["png"]
    assert out_png.stat().st_size > 1000
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_results_json_matches_printed_table(quick_demo):
    payload = json.loads(quick_demo["json"].read_text(encoding="utf-8"))
    assert set(payload) == {"budgets", "arms"}
    assert payload["budgets"] == [10, 20, 40]
    assert all(type(b) is int for b in payload["budgets"])
    header, rows = _table(quick_demo["text"])
    names = list(payload["arms"])
    # The arms are the printed columns, in the printed order.
    assert len(names) == len(_CELL.findall(rows[0]))
    positions = [header.index(name) for name in names]
    assert positions == sorted(positions)
    for j, row in enumerate(rows):
        for name, (mean, std) in zip(names, _CELL.findall(row)):
            arm = payload["arms"][name]
            assert set(arm) == {"mean", "std"}
            assert len(arm["mean"]) == len(arm["std"]) == len(payload["budgets"])
            assert type(arm["mean"][j]) is float and type(arm["std"][j]) is float
            assert f"{arm['mean'][j]:.3f}" == mean and f"{arm['std'][j]:.3f}" == std
    # One trial: every standard deviation is zero.
    assert all(s == 0.0 for arm in payload["arms"].values() for s in arm["std"])


def test_demo_names_the_best_arm_per_budget(quick_demo):
    payload = json.loads(quick_demo["json"].read_text(encoding="utf-8"))
    text = quick_demo["text"]
    for j, budget in enumerate(payload["budgets"]):
        lines = [line.strip() for line in text.splitlines()
                 if line.strip().startswith(f"{budget} labels: ")]
        assert len(lines) == 1
        means = {name: round(arm["mean"][j], 3) for name, arm in payload["arms"].items()}
        top = max(means.values())
        winners = [name for name, m in means.items() if m == top]
        # Whole prefixes, not substrings: one arm's name may contain another's.
        if len(winners) == 1:
            assert lines[0].startswith(f"{budget} labels: best is {winners[0]} ({top:.3f})")
        else:
            assert lines[0].startswith(f"{budget} labels: best are {winners[0]}, ")
            assert f" and {winners[-1]}, tied at {top:.3f}" in lines[0]


def _results(accuracy, names=("a (input)", "b (latent)", "c (latent)"), budgets=(10, 20)):
    accuracy = np.asarray(accuracy, dtype=float)[:, None, :]  # one trial
    zeros = np.zeros_like(accuracy)
    return ActiveLearningResults(
        names=names, budgets=budgets, accuracy=accuracy, query_time=zeros, fit_time=zeros,
        indices={n: [None] for n in names}, single_class=zeros.astype(bool),
        protocol="one-shot", seeds=[0])


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:Degrees of freedom")
def test_best_per_budget_lines_name_winner_runner_up_and_ties():
    lines = _best_per_budget(_results([[0.90, 0.95], [0.93, 0.95], [0.80, 0.70]]))
    assert lines == [
        "10 labels: best is b (latent) (0.930), ahead of a (input) (0.900)",
        "20 labels: best are a (input) and b (latent), tied at 0.950, ahead of c (latent) "
        "(0.700)",
    ]
    # A difference the table does not show is a tie; an arm without a score is skipped.
    lines = _best_per_budget(_results([[0.9001, np.nan], [0.9004, np.nan], [0.9, 0.5]]))
    assert lines == ["10 labels: best are a (input), b (latent) and c (latent), tied at 0.900",
                     "20 labels: best is c (latent) (0.500)"]


def test_help_and_missing_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        "skvaeal: error: the following arguments are required: COMMAND\n")


def _subcommands():
    parser = _build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("command", ["demo", "curve"])
def test_help_is_plain_text_and_shows_every_default(command):
    sub = _subcommands()[command]
    text = sub.format_help()
    assert "``" not in text and ":func:" not in text
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction) or action.dest == "quick":
            continue
        assert action.help and "default" in action.help, action.option_strings
    classes = next(a for a in sub._actions if a.dest == "classes")
    assert "classes" in classes.help and "digit" not in classes.help


@pytest.mark.parametrize("command", ["demo", "curve"])
def test_digits_is_an_alias_of_classes(command):
    parser = _build_parser()
    assert parser.parse_args([command, "--digits", "1", "7"]).classes == [1, 7]
    assert parser.parse_args([command, "--classes", "1", "7"]).classes == [1, 7]
    assert parser.parse_args([command]).classes == [0, 3, 9]


def test_quick_help_states_the_settings():
    text = " ".join(_subcommands()["demo"].format_help().split())
    assert "budgets 10 20 40, 2 trials, 30 VAE epochs" in text
    assert "budgets 20 40 60, 2 trials, 10 VAE epochs, an MLP VAE, a pool of 1000 rows" in text


def test_version():
    proc = subprocess.run([sys.executable, "-m", "skvaeal", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert proc.stdout == f"skvaeal {skvaeal.__version__}\n"


def _write_idx(folder, images, labels):
    """MNIST-format t10k files: gzipped images, plain labels (the loader takes both)."""
    n, h, w = images.shape
    header = bytes([0, 0, 0x08, 3]) + b"".join(d.to_bytes(4, "big") for d in (n, h, w))
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + images.astype(np.uint8).tobytes())
    header = bytes([0, 0, 0x08, 1]) + n.to_bytes(4, "big")
    (folder / "t10k-labels-idx1-ubyte").write_bytes(header + labels.astype(np.uint8).tobytes())


@pytest.fixture
def letters(tmp_path):
    """A small MNIST-format folder whose classes are not digits: labels 10, 11, 12."""
    folder = tmp_path / "letters"
    folder.mkdir()
    rng = np.random.RandomState(0)
    labels = np.repeat([10, 11, 12], 30)
    images = rng.randint(0, 60, size=(len(labels), 8, 8))
    for i, label in enumerate(labels):
        images[i, label - 10] += 180  # a bright row per class, so classes are learnable
    _write_idx(folder, images, labels)
    return folder


def test_curve_on_mnist_format_data_with_any_classes(letters, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["curve", "--data", str(letters), "--classes", "10", "12", "--space", "input",
                 "--strategies", "random", "--n-trials", "1", "--n-initial", "4",
                 "--n-instances", "4", "--n-rounds", "1", "--output", str(tmp_path / "l.png"),
                 "--verbose", "0"]) == 0
    text = capsys.readouterr().out
    assert "classes (10, 12): pool 42 rows, test 18 rows" in text


def _run_cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "skvaeal", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("args, match", [
    ([], "the following arguments are required: COMMAND"),
    (["demo", "--frob"], "unrecognized arguments: --frob"),
    (["demo", "--n-trials", "0"], "argument --n-trials: must be >= 1"),
    (["curve", "--n-trials", "0"], "argument --n-trials: must be >= 1"),
    (["demo", "--budgets", "100000"], "the largest budget 100000 exceeds the pool"),
    (["demo", "--classes", "0", "12"], "unknown classes 12 for --classes"),
    (["curve", "--digits", "3"], "at least two classes"),
    (["demo", "--test-size", "1.5"], "argument --test-size: must lie strictly between 0 and 1"),
    (["demo", "--output", "missing/x.png"], "does not exist"),
    (["demo", "--output", "x.jpg"], "must end in .png"),
    (["demo", "--results", "missing/r.json"], "does not exist"),
    (["demo", "--data", "."], "cannot load --data .: no MNIST images file"),
    (["demo", "--data", "bad"], "cannot load --data bad: "),
    (["curve", "--estimator", "svc", "--strategies", "entropy"], "entropy needs predict_proba"),
    (["curve", "--protocol", "incremental", "--budgets", "20", "10"], "must increase"),
])
def test_errors_are_one_line_on_stderr_with_status_2(args, match, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    # Files with the right names that are not IDX data: the loader raises ValueError.
    (bad / "t10k-images-idx3-ubyte").write_bytes(b"not an idx file")
    (bad / "t10k-labels-idx1-ubyte").write_bytes(b"nor this")
    proc = _run_cli([*args, "--verbose", "0"] if args else args, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("skvaeal: error: ") and match in lines[0]
    # Nothing ran and no usage block was printed.
    assert proc.stdout == ""
    assert not (tmp_path / "skvaeal_demo.png").exists()


@pytest.mark.parametrize("argv, match", [
    (["demo", "--budgets", "100000"], "exceeds the pool"),
    (["demo", "--digits", "0", "12"], "unknown classes 12"),
])
def test_demo_argument_errors(argv, match, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--output", str(tmp_path / "y.png"), "--verbose", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("skvaeal: error: ") and match in err and err.count("\n") == 1


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "skvaeal", "demo", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--quick" in proc.stdout


class _StopBeforeTraining(Exception):
    pass


@pytest.mark.parametrize("argv", [["demo"], ["curve", "--space", "latent"]])
def test_verbose_is_passed_to_the_vae(argv, monkeypatch, tmp_path):
    seen = []

    def fit(self, X, y=None):
        seen.append(self.verbose)
        raise _StopBeforeTraining

    monkeypatch.setattr(VAETransformer, "fit", fit)
    with pytest.raises(_StopBeforeTraining):
        main(argv + ["--output", str(tmp_path / "v.png"), "--verbose", "2"])
    assert seen == [2]


def test_curve_verbose_shows_vae_epochs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["curve", "--space", "latent", "--strategies", "random", "--epochs", "2",
                 "--n-trials", "1", "--n-rounds", "1", "--output", str(tmp_path / "e.png"),
                 "--verbose", "1"]) == 0
    text = capsys.readouterr().out
    # skorch's per-epoch table: a header, then one row per epoch.
    assert "train_loss" in text
    assert re.search(r"^\s+1\s", text, re.M) and re.search(r"^\s+2\s", text, re.M)


def test_curve_incremental_input_space(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "c.png"
    assert main(["curve", "--space", "input", "--strategies", "random", "margin", "k-center",
                 "--n-trials", "1", "--n-rounds", "2", "--output", str(out_png),
                 "--verbose", "0"]) == 0
    text = capsys.readouterr().out
    assert "incremental protocol" in text and "margin (input)" in text
    assert "latent" not in text and out_png.stat().st_size > 1000


def test_curve_rejects_uncertainty_without_proba(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["curve", "--estimator", "svc", "--strategies", "entropy", "--space", "input",
              "--output", str(tmp_path / "c.png")])
    assert exc.value.code == 2
    assert "predict_proba" in capsys.readouterr().err

"""The ``skvaeal`` command line: ``demo --quick`` end to end, and argument errors."""

import subprocess
import sys

import pytest

from skvaeal.cli import main


def test_demo_quick_prints_table_and_writes_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "x.png"
    assert main(["demo", "--quick", "--output", str(out_png), "--verbose", "0"]) == 0
    text = capsys.readouterr().out
    for arm in ("random (input)", "random (latent)", "coreset (input)", "coreset (latent)",
                "k-center (latent)"):
        assert arm in text
    table = text[text.index("budget"):].splitlines()
    assert [line.split()[0] for line in table[2:5]] == ["10", "20", "40"]
    assert "±" in table[2]
    assert out_png.stat().st_size > 1000
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_and_missing_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


@pytest.mark.parametrize("argv, match", [
    (["demo", "--budgets", "100000"], "exceeds the pool"),
    (["demo", "--digits", "0", "12"], "digits"),
])
def test_demo_argument_errors(argv, match, tmp_path):
    with pytest.raises((SystemExit, ValueError), match=match):
        main(argv + ["--output", str(tmp_path / "y.png"), "--verbose", "0"])


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "skvaeal", "demo", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--quick" in proc.stdout


def test_curve_incremental_input_space(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "c.png"
    assert main(["curve", "--space", "input", "--strategies", "random", "margin", "k-center",
                 "--n-trials", "1", "--n-rounds", "2", "--output", str(out_png),
                 "--verbose", "0"]) == 0
    text = capsys.readouterr().out
    assert "incremental protocol" in text and "margin (input)" in text
    assert "latent" not in text and out_png.stat().st_size > 1000


def test_curve_rejects_uncertainty_without_proba(tmp_path):
    with pytest.raises(SystemExit, match="predict_proba"):
        main(["curve", "--estimator", "svc", "--strategies", "entropy", "--space", "input",
              "--output", str(tmp_path / "c.png")])

"""The bad-input suite of tests/test_bad_inputs.py, this time through the command line:
`salesgxe analyze` and `salesgxe validate` give exit code 2, one line (or a report) naming
the problem, no traceback, no report folder, and unchanged input files."""
import subprocess
import sys

import pytest

from analysis.cli import main
from tests.test_bad_inputs import CASES, GENOS, _materialise, _sha_tree


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_analyze_cli_exit_2(case, tmp_path, capsys):
    data, cb_path, _ = _materialise(case, str(tmp_path))
    before = _sha_tree(tmp_path)
    out = tmp_path / "report"
    argv = ["analyze", str(data), "--codebook", str(cb_path), "--out", str(out), "--sims", "0"]
    for key, value in case.read_opts.items():
        argv += [f"--{key}", str(value)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("salesgxe analyze: error: "), captured.err
    assert "Traceback" not in captured.err
    assert not out.exists() and not list(tmp_path.glob(".tmp-*"))
    assert _sha_tree(tmp_path) == before
    message = lines[0].split(". ", 1)[0]            # the hint may quote example notations
    assert not any(g in message for g in GENOS)


@pytest.mark.parametrize("case", [c for c in CASES if c.stage == "validate"][:12],
                         ids=lambda c: c.name)
def test_validate_cli_reports_and_exits_2(case, tmp_path, capsys):
    data, cb_path, _ = _materialise(case, str(tmp_path))
    before = _sha_tree(tmp_path)
    code = main(["validate", str(data), "--codebook", str(cb_path)])
    out = capsys.readouterr().out
    assert code == 2 and "NOT OK" in out and "Traceback" not in out
    assert _sha_tree(tmp_path) == before


@pytest.mark.parametrize("name", ["missing file", "wrong sheet name"])
def test_real_process_has_no_traceback(name, tmp_path):
    # One real subprocess per kind of failure: exit status and stderr as a user sees them.
    case = next(c for c in CASES if c.name == name)
    data, cb_path, _ = _materialise(case, str(tmp_path))
    argv = [sys.executable, "-m", "analysis", "analyze", str(data), "--codebook", str(cb_path),
            "--out", str(tmp_path / "r"), "--sims", "0"]
    for key, value in case.read_opts.items():
        argv += [f"--{key}", str(value)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1

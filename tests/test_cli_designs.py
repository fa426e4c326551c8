"""`salesgxe probe` for clustered, weighted, multicategorical and two-moderator designs:
every new option reachable from the CLI, `--json` complete, bad input one line + exit 2."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main

REF = Path(__file__).resolve().parent / "reference"


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n), "w": rng.normal(size=n),
                         "team": np.repeat(np.arange(n // 4), 4).astype(str),
                         "wt": rng.uniform(0.5, 2, size=n)})


def _write(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


BASE = ["--outcome", "y", "--focal", "x", "--moderator", "w"]


def _bad_design_cases(tmp_path):
    base = _frame()
    cases = {}
    one = base.assign(team="A")
    cases["one cluster"] = (_write(tmp_path, "one.csv", one), ["--cluster", "team"],
                            "single cluster")
    text = base.astype(object)
    text.loc[[2, 5], "wt"] = "heavy"
    cases["text weights"] = (_write(tmp_path, "tw.csv", text), ["--weights", "wt"],
                             "weights must be numbers")
    neg = base.copy()
    neg.loc[4, "wt"] = -1.0
    cases["negative weights"] = (_write(tmp_path, "nw.csv", neg), ["--weights", "wt"],
                                 "row 5: weights are negative")
    miss = base.copy()
    miss.loc[7, "wt"] = np.nan
    cases["missing weights"] = (_write(tmp_path, "mw.csv", miss), ["--weights", "wt"],
                                "row 8: weights are missing")
    zero = base.assign(wt=0.0)
    cases["all-zero weights"] = (_write(tmp_path, "zw.csv", zero), ["--weights", "wt"],
                                 "all weights are zero")
    ok = _write(tmp_path, "ok.csv", base)
    cases["CR without cluster"] = (ok, ["--se", "CR2"], "needs a cluster column")
    cases["HC with cluster"] = (ok, ["--cluster", "team", "--se", "HC3"], "choose --se CR1 or CR2")
    cases["pairs bootstrap with cluster"] = (ok, ["--cluster", "team", "--bootstrap", "200"],
                                             "--wild-bootstrap")
    cases["wild without cluster"] = (ok, ["--wild-bootstrap", "199"], "needs a cluster column")
    cases["unknown cluster column"] = (ok, ["--cluster", "company"], "no such column")
    return cases


def test_bad_design_inputs_exit_2_one_line(tmp_path, capsys):
    for name, (path, extra, needle) in _bad_design_cases(tmp_path).items():
        before = _sha(path)
        code, out, err = _run(["probe", str(path), *BASE, *extra], capsys)
        assert code == 2, (name, err)
        assert out == "", name
        assert len(err.strip().splitlines()) == 1, (name, err)
        assert "Traceback" not in err and needle in err, (name, err)
        assert _sha(path) == before, name


def test_cluster_json_carries_every_number(capsys):
    code, out, err = _run(["probe", str(REF / "states.csv"), "-y", "life_exp", "-x", "illiteracy",
                           "-w", "income", "--cluster", "region", "--weights", "population",
                           "--wild-bootstrap", "199", "--wild-weights", "webb", "--seed", "2",
                           "--json"], capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["se_type"] == "CR2" and obj["n_clusters"] == 4 and obj["weights"] == "population"
    assert obj["n_effective"] < obj["n"]
    assert all("df" in row for row in obj["coefficients"] + obj["conditional_effects"])
    assert obj["johnson_neyman"]["df"] and obj["johnson_neyman"]["t_crit"] is None
    wild = obj["wild_bootstrap"]
    assert wild["null_imposed"] and wild["weights"] == "webb" and wild["n_boot"] == 199
    assert [r["label"] for r in wild["rows"]][0] == "term:illiteracy:income"
    assert all(0 < r["wild_p_value"] <= 1 for r in wild["rows"])
    assert any("only 4 clusters" in n for n in obj["notes"])


def test_zero_weights_drop_rows_with_a_note(tmp_path, capsys):
    frame = _frame()
    frame.loc[:4, "wt"] = 0.0
    path = _write(tmp_path, "z.csv", frame)
    code, out, _ = _run(["probe", str(path), *BASE, "--weights", "wt", "--json"], capsys)
    obj = json.loads(out)
    assert code == 0 and obj["n"] == 55
    assert any("5 row(s) with weight 0" in n for n in obj["notes"])


# ------------------------------------------------------------ README examples
def _readme_commands(prefix="salesgxe probe data/examples/designs_example.csv"):
    import shlex
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = text.replace("\\\n", " ")
    return [shlex.split(line.strip()) for line in text.splitlines()
            if line.strip().startswith(prefix)]


def test_readme_design_examples_run(capsys, monkeypatch):
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    commands = _readme_commands()
    assert len(commands) >= 2
    for argv in commands:
        code, out, err = _run(argv[1:], capsys)
        assert code == 0, (argv, err)
        if "--json" in argv:
            json.loads(out)
        else:
            assert "Model" in out

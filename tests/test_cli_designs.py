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
    cat = base.assign(w=np.resize(["red", "green", "blue"], len(base)))
    cat_path = _write(tmp_path, "cat.csv", cat)
    cases["unknown level"] = (cat_path, ["--reference", "w=purple"], "reference level 'purple'")
    rare = cat.copy()
    rare.loc[:2, "w"] = "violet"
    cases["level with too few rows"] = (_write(tmp_path, "rare.csv", rare), [],
                                        "level 'violet' has 3 rows")
    many = base.assign(w=[f"L{i % 12}" for i in range(len(base))])
    cases["too many levels"] = (_write(tmp_path, "many.csv", many), [], "at most 10 groups")
    both = cat.assign(x=np.resize(["a", "b", "c"], len(base)))
    cases["two multicategorical"] = (_write(tmp_path, "both.csv", both), [],
                                     "one multicategorical variable at a time")
    geno = base.assign(w=np.resize(["A1/A2", "A2/A2", "A1/A1", "A2/A2"], len(base)))
    geno.loc[6, "w"] = "Q/Z"
    cases["bad genotype"] = (_write(tmp_path, "geno.csv", geno), ["--genotype", "w=genotype"],
                             "row 7")
    rare_geno = base.assign(w=np.resize(["A1/A2", "A2/A2", "A2/A2", "A1/A2"], len(base)))
    rare_geno.loc[:4, "w"] = "A1/A1"
    cases["rare genotype"] = (_write(tmp_path, "rg.csv", rare_geno), ["--genotype", "w=genotype"],
                              "fewer than 10 rows")
    cases["bad genotype coding"] = (_write(tmp_path, "g2.csv", geno), ["--genotype", "w=dominant"],
                                    "genotype, carrier, additive")
    cases["categorical not a role"] = (ok, ["--categorical", "team"], "neither the focal")
    cases["model 3 without Z"] = (ok, ["--model", "3"], "needs a second moderator")
    cases["Z without model"] = (ok, ["--moderator2", "wt"], "choose --model 2")
    cases["multicategorical in model 2"] = (cat_path, ["--moderator2", "wt", "--model", "2"],
                                            "Models 2 and 3 take numeric")
    cases["unknown Z column"] = (ok, ["--moderator2", "zz", "--model", "2"], "no such column")
    cases["region plot in model 1"] = (ok, ["--region-plot", str(tmp_path / "r.png")],
                                       "needs two moderators")
    exists = tmp_path / "exists.png"
    exists.write_bytes(b"keep me")
    cases["region plot exists"] = (ok, ["--moderator2", "wt", "--model", "2", "--region-plot",
                                        str(exists)], "use --force")
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
        if name == "bad genotype":
            assert "Q/Z" not in err, err                 # a participant's value is never shown
        if name == "rare genotype":
            assert "has 5 rows" not in err, err          # small genotype cells: count suppressed


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


def test_categorical_json_through_cli(capsys):
    code, out, err = _run(["probe", str(REF / "prestige.csv"), "-y", "prestige", "-x", "type",
                           "-w", "education", "--reference", "type=bc", "--json"], capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["design"] == "multicategorical focal"
    assert [c["term"] for c in obj["coefficients"]][:4] == ["Intercept", "type=prof", "type=wc",
                                                           "education"]
    assert obj["omnibus_interaction"]["df_num"] == 2
    assert len(obj["omnibus_johnson_neyman"]["bounds"]) == 2
    assert set(obj["contrast_johnson_neyman"]) == {"prof - bc", "wc - bc"}
    assert {r["contrast"] for r in obj["conditional_effects"]} == {"prof - bc", "wc - bc"}


def test_two_moderator_json_through_cli(tmp_path, capsys):
    plot = tmp_path / "region.svg"
    code, out, err = _run(["probe", str(REF / "prestige3.csv"), "-y", "prestige", "-x", "income",
                           "-w", "education", "-z", "women", "--model", "3", "--region-plot",
                           str(plot), "--json"], capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["model"] == 3 and len(obj["conditional_effects"]) == 36
    assert obj["interaction_tests"][0]["label"] == "X*W*Z"
    assert obj["interaction_johnson_neyman"]["bounds"]
    assert len(obj["significance_region"]) == 41 * 41
    assert plot.read_text().startswith("<?xml")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".region-")]


def test_numeric_codes_with_categorical_flag(capsys):
    code, out, err = _run(["probe", str(REF / "toothgrowth.csv"), "-y", "len", "-x", "vc",
                           "-w", "dose", "--categorical", "dose", "--json"], capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["categorical"]["levels"] == ["0.5", "1", "2"]
    assert [e["label"] for e in obj["conditional_effects"]] == ["group=0.5", "group=1", "group=2"]


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


def test_binary_outcome_refused_unless_linear_probability(tmp_path, capsys):
    frame = _frame()
    frame["y"] = np.resize(["bought", "not bought", "bought"], len(frame))
    path = _write(tmp_path, "bin.csv", frame)
    ref = ["--reference", "y=not bought"]     # two-valued text is never coded alphabetically
    for extra in ([], ["--moderator2", "wt", "--model", "2"]):
        code, out, err = _run(["probe", str(path), *BASE, *ref, *extra], capsys)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
        assert "two values only" in err and "--linear-probability" in err
    code, out, err = _run(["probe", str(path), *BASE, *ref, "--linear-probability", "--json"],
                          capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["se_type"] == "HC3"
    assert any("linear probability model" in n for n in obj["notes"])
    # the same numbers as a 0/1 outcome fitted directly with HC3
    from analysis.stats.moderation import probe
    one = next(k for k, v in obj["coding"]["y"].items() if v == 1)   # the coding used, reported
    direct = probe(frame.assign(y=(frame["y"] == one).astype(float)), outcome="y",
                   focal="x", moderator="w", se="HC3", linear_probability=True)
    assert obj["coefficients"][3]["estimate"] == pytest.approx(
        direct.coefficients["estimate"].iloc[3], rel=1e-12)
    cont = _write(tmp_path, "cont.csv", _frame())
    code, _, err = _run(["probe", str(cont), *BASE, "--linear-probability"], capsys)
    assert code == 2 and "for a two-valued outcome" in err


def test_readme_python_example_runs(monkeypatch, capsys):
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    text = (root / "README.md").read_text(encoding="utf-8")
    start = text.index("### The designs from Python")
    block = text[start:].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)      # our own documentation
    assert namespace["geno"].categorical.reference == "A2/A2"
    assert namespace["three"].model == 3 and namespace["three"].fit.weighted
    assert "group=A2/A2" in capsys.readouterr().out


def test_hostile_level_names_reach_the_terminal_inert(tmp_path, capsys):
    frame = _frame()
    frame["w"] = np.resize(["\x1b]0;owned\x07red", "green\x1b[2J", "blue"], len(frame))
    path = _write(tmp_path, "esc.csv", frame)
    code, out, err = _run(["probe", str(path), "-y", "y", "-x", "x", "-w", "w"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "group=red" in out


@pytest.mark.parametrize("coding,mapping", [("carrier", {"A2/A2": 0, "A1/A2": 1, "A1/A1": 1}),
                                            ("additive", {"A2/A2": 0, "A1/A2": 1, "A1/A1": 2})])
def test_genotype_codings_equal_hand_coding(coding, mapping):
    from analysis.stats.moderation import probe
    root = Path(__file__).resolve().parents[1]
    df = pd.read_csv(root / "data" / "examples" / "designs_example.csv")
    before = df.copy()
    parsed = probe(df, outcome="CO", focal="drd2", moderator="avoidant", genotype={"drd2": coding})
    pd.testing.assert_frame_equal(df, before)                   # the input is not modified
    hand = probe(df.assign(drd2=df["drd2"].map(mapping)), outcome="CO", focal="drd2",
                 moderator="avoidant")
    pd.testing.assert_frame_equal(parsed.coefficients, hand.coefficients, rtol=1e-12)
    assert any("parsed as DRD2" in n for n in parsed.notes)


def test_susceptibility_refused_for_new_designs(capsys):
    code, out, err = _run(["probe", str(REF / "iris.csv"), "-y", "sepal_length", "-x",
                           "sepal_width", "-w", "species", "--susceptibility"], capsys)
    assert code == 2 and out == "" and "--susceptibility needs Model 1" in err

"""`salesgxe probe` end to end: JSON contract, bad input -> one line + exit 2, fast --help."""
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "probe_example.csv"


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_json_contract(capsys):
    code, out, err = _run(["probe", str(EXAMPLE), "--outcome", "CO", "--focal", "avoidant",
                           "--moderator", "drd4_7r", "--reference", "drd4_7r=non-carrier",
                           "--se", "HC3", "--json"], capsys)
    assert code == 0, err
    obj = json.loads(out)                       # exactly one JSON object on stdout
    for key in ["n", "n_dropped", "se_type", "alpha", "coding", "coefficients", "r2", "r2_adj",
                "r2_change", "f_change", "p_change", "conditional_effects", "johnson_neyman"]:
        assert key in obj
    assert obj["n"] == 178 and obj["n_dropped"] == 2 and obj["se_type"] == "HC3"
    assert [c["term"] for c in obj["coefficients"]] == ["Intercept", "avoidant", "drd4_7r",
                                                        "avoidant:drd4_7r"]
    assert set(obj["coefficients"][0]) >= {"term", "estimate", "std_error", "statistic", "p_value",
                                           "conf_low", "conf_high"}
    assert [c["label"] for c in obj["conditional_effects"]] == ["group=non-carrier", "group=carrier"]
    assert obj["johnson_neyman"] is None        # binary moderator
    assert obj["coding"] == {"drd4_7r": {"non-carrier": 0, "carrier": 1}}


def test_json_continuous_moderator_has_jn(capsys):
    code, out, _ = _run(["probe", str(EXAMPLE), "--outcome", "CO", "--focal", "drd4_7r",
                         "--moderator", "avoidant", "--covariates", "age", "--json"], capsys)
    obj = json.loads(out)
    assert code == 0
    assert [c["label"] for c in obj["conditional_effects"]] == ["p16", "p50", "p84", "mean-1sd",
                                                                "mean", "mean+1sd"]
    jn = obj["johnson_neyman"]
    assert jn["significant_region"] in {"inside", "outside", "above", "below", "everywhere", "nowhere"}
    assert len(jn["bounds"]) == len(jn["share_below"]) == len(jn["share_above"])
    assert jn["observed_range"][0] <= jn["observed_range"][1]


def test_human_output_is_a_table(capsys):
    code, out, _ = _run(["probe", str(EXAMPLE), "--outcome", "CO", "--focal", "avoidant",
                         "--moderator", "drd4_7r"], capsys)
    assert code == 0
    assert "Test of the highest-order unconditional interaction" in out
    assert "Conditional effects of avoidant at values of drd4_7r" in out
    assert "Coding of drd4_7r" in out


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n), "w": rng.normal(size=n),
                         "c": rng.normal(size=n)})


def _bad_cases(tmp_path):
    base = _frame()
    cases = {}

    def write(name, frame):
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    cases["missing file"] = (tmp_path / "nope.csv", "no such file")
    cases["unknown column"] = (write("a.csv", base.rename(columns={"w": "ww"})), "'w'")
    bad = base.astype(object)
    bad.loc[[3, 8, 9], "x"] = "abc"
    cases["non-numeric"] = (write("b.csv", bad), "rows 4, 9, 10")
    const = base.copy()
    const["w"] = 1.0
    cases["constant moderator"] = (write("c.csv", const), "constant")
    cases["too few rows"] = (write("d.csv", base.head(5)), "too few")
    coll = base.copy()
    coll["c"] = 2 * coll["x"]
    cases["collinear"] = (write("e.csv", coll), "collinear")
    allna = base.copy()
    allna.loc[::2, "x"] = np.nan
    allna.loc[1::2, "w"] = np.nan
    cases["all rows dropped"] = (write("f.csv", allna), "all 40 rows")
    empty = tmp_path / "g.csv"
    empty.write_text("")
    cases["empty file"] = (empty, "empty")
    return cases


def test_bad_inputs_exit_2_one_line_no_traceback(tmp_path, capsys):
    for name, (path, needle) in _bad_cases(tmp_path).items():
        before = _sha(path) if Path(path).exists() else None
        argv = ["probe", str(path), "--outcome", "y", "--focal", "x", "--moderator", "w"]
        if name == "collinear":
            argv += ["--covariates", "c"]
        code, out, err = _run(argv, capsys)
        assert code == 2, name
        assert out == "", name
        assert len(err.strip().splitlines()) == 1, (name, err)
        assert "Traceback" not in err and needle in err, (name, err)
        if before:
            assert _sha(path) == before, name


def test_malicious_column_name_is_just_data(tmp_path, capsys):
    frame = _frame(60).rename(columns={"x": "__import__('os').system('touch PWNED')"})
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    code, out, _ = _run(["probe", str(path), "--outcome", "y", "--focal",
                         "__import__('os').system('touch PWNED')", "--moderator", "w", "--json"], capsys)
    assert code == 0
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    assert json.loads(out)["coefficients"][1]["term"] == "__import__('os').system('touch PWNED')"


def test_probe_help_is_fast_and_has_example():
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", "probe", "--help"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    elapsed = time.perf_counter() - start
    assert "example" in proc.stdout
    # Not a timing assertion on the machine: the check is that no heavy module is imported.
    check = subprocess.run([sys.executable, "-c",
                            "import sys, analysis.cli; "
                            "heavy = [m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', 'statsmodels') "
                            "if m in sys.modules]; print(','.join(heavy))"],
                           capture_output=True, text=True, cwd=ROOT, check=True)
    assert check.stdout.strip() == "", f"heavy imports at CLI start-up: {check.stdout}"
    print(f"probe --help took {elapsed:.3f}s")


def test_bootstrap_same_seed_same_numbers_and_matches_bootstrap_module(capsys):
    argv = ["probe", str(EXAMPLE), "--outcome", "CO", "--focal", "drd4_7r", "--moderator",
            "avoidant", "--bootstrap", "500", "--seed", "3", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert first == second
    for row in first["coefficients"] + first["conditional_effects"]:
        assert row["boot_conf_low"] < row["estimate"] < row["boot_conf_high"]
    # Independent of the CLI wiring: the conditional effect at p50 bootstrapped directly.
    from analysis.stats.bootstrap import bootstrap_linear
    df = pd.read_csv(EXAMPLE).dropna(subset=["CO", "avoidant", "drd4_7r"])
    g = (df["drd4_7r"] == "carrier").astype(float)      # coded by meaning: carrier = 1
    a = df["avoidant"].to_numpy()
    X = np.column_stack([np.ones(len(df)), g, a, g * a])
    w = first["conditional_effects"][1]["moderator_value"]
    direct = bootstrap_linear(X, df["CO"].to_numpy(), np.array([[0, 1, 0, w]]), n_boot=500,
                              seed=3)
    # Same rows in the same order and the same seed: the same resamples, so the same interval.
    p50 = first["conditional_effects"][1]
    assert direct.boot_conf_low[0] == pytest.approx(p50["boot_conf_low"], rel=1e-10)
    assert direct.boot_conf_high[0] == pytest.approx(p50["boot_conf_high"], rel=1e-10)


def test_bootstrap_too_few_resamples_is_an_input_error(capsys):
    code = main(["probe", str(EXAMPLE), "--outcome", "CO", "--focal", "drd4_7r", "--moderator",
                 "avoidant", "--bootstrap", "10"])
    assert code == 2 and "at least 100" in capsys.readouterr().err


def test_at_replaces_probe_points_and_matches_closed_form(capsys):
    code = main(["probe", str(EXAMPLE), "-y", "CO", "-x", "drd4_7r", "-w", "avoidant",
                 "--at", "2,3.5", "--json"])
    obj = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [c["label"] for c in obj["conditional_effects"]] == ["at=2", "at=3.5"]
    coef = {c["term"]: c["estimate"] for c in obj["coefficients"]}
    for row in obj["conditional_effects"]:
        w = row["moderator_value"]
        assert row["estimate"] == pytest.approx(coef["drd4_7r"] + w * coef["drd4_7r:avoidant"],
                                                rel=1e-12)


def test_text_carrier_labels_coded_by_meaning_not_alphabetically(capsys):
    """carrier/non-carrier without --reference: carrier = 1 (alphabetically it would be 0 and
    the README's second example would flip the gene effect); same numbers as the explicit
    --reference drd4_7r=non-carrier."""
    base = ["probe", str(EXAMPLE), "-y", "CO", "-x", "drd4_7r", "-w", "avoidant",
            "--covariates", "age", "--json"]
    assert main(base) == 0
    implicit = json.loads(capsys.readouterr().out)
    assert main(base + ["--reference", "drd4_7r=non-carrier"]) == 0
    explicit = json.loads(capsys.readouterr().out)
    assert implicit["coding"]["drd4_7r"] == {"non-carrier": 0, "carrier": 1}
    assert implicit["coefficients"] == explicit["coefficients"]
    # independent: the carriers' mean CO minus the non-carriers' at avoidant = 0 has the sign
    # of statsmodels' coefficient with carrier coded 1 by hand
    import statsmodels.formula.api as smf
    df = pd.read_csv(EXAMPLE).dropna(subset=["CO", "avoidant", "drd4_7r", "age"])
    df["g"] = (df["drd4_7r"] == "carrier").astype(float)
    ref = smf.ols("CO ~ g * avoidant + age", data=df).fit()
    gene = next(r for r in implicit["coefficients"] if r["term"] == "drd4_7r")
    assert gene["estimate"] == pytest.approx(ref.params["g"], rel=1e-9)


@pytest.mark.parametrize("levels", [("yes", "no"), ("female", "male")])
def test_other_two_valued_text_needs_reference(tmp_path, capsys, levels):
    rng = np.random.default_rng(5)
    n = 60
    df = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n),
                       "w": np.where(rng.random(n) < 0.5, *levels)})
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    assert main(["probe", str(path), "-y", "y", "-x", "x", "-w", "w"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--reference w=VALUE" in err
    assert "Traceback" not in err
    assert main(["probe", str(path), "-y", "y", "-x", "x", "-w", "w", "--reference",
                 f"w={levels[1]}", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["coding"]["w"] == {levels[1]: 0, levels[0]: 1}


def test_python_api_follows_the_same_rule():
    from analysis import probe
    from analysis._errors import InputError
    rng = np.random.default_rng(6)
    df = pd.DataFrame({"y": rng.normal(size=50), "x": rng.normal(size=50),
                       "w": np.where(rng.random(50) < 0.5, "7R+", "7R-")})
    assert probe(df, outcome="y", focal="x", moderator="w").coding["w"] == {"7R-": 0, "7R+": 1}
    df["w"] = np.where(df["w"] == "7R+", "ja", "nee")
    with pytest.raises(InputError, match="reference"):
        probe(df, outcome="y", focal="x", moderator="w")

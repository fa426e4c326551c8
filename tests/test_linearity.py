"""``probe --check-linearity``: the binning estimator of Hainmueller, Mummolo & Xu (2019).

Independent computations: the paper's pooled model fitted with a statsmodels formula
(bins and medians recomputed here with pandas), separate statsmodels fits on each bin,
the interflex parameterisation of the nested Wald test fitted with statsmodels, and a
bounded Monte Carlo of the test's size and power.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.cli import main
from analysis.stats.linearity import check_linearity
from analysis.stats.moderation import probe

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "designs_example.csv"
TOL = 1e-10          # statsmodels and our QR agree to rounding


def _data(n=240, seed=11, quad=0.0, binary_x=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"w": rng.uniform(1, 6, n), "c": rng.normal(size=n),
                       "firm": rng.integers(0, 24, n).astype(str)})
    df["x"] = rng.integers(0, 2, n).astype(float) if binary_x else rng.normal(size=n)
    df["y"] = (0.3 * df.x + 0.2 * df.w + 0.4 * df.x * df.w + quad * df.x * (df.w - 3.5) ** 2
               + 0.5 * df.c + rng.standard_t(5, n))
    return df


def _paper_columns(df, K=3):
    """HMX eq. 5 columns built independently: pandas quantile cut (right-closed, lowest
    included, = R cut(..., include.lowest)) and the bin medians."""
    out = df.copy()
    cuts = df["w"].quantile(np.linspace(0, 1, K + 1)).to_numpy()
    out["bin"] = pd.cut(df["w"], cuts, labels=False, include_lowest=True)
    med = out.groupby("bin")["w"].median()
    for j in range(K):
        g = (out["bin"] == j).astype(float)
        out[f"g{j}"], out[f"xg{j}"] = g, g * out["x"]
        out[f"dw{j}"] = g * (out["w"] - med[j])
        out[f"xdw{j}"] = g * out["x"] * (out["w"] - med[j])
    return out, med.to_numpy()


def _paper_formula(K=3, covariates="+ c"):
    terms = " + ".join(f"g{j} + xg{j} + dw{j} + xdw{j}" for j in range(K))
    return f"y ~ 0 + {terms} {covariates}"


@pytest.mark.parametrize("se, cov", [("ols", "nonrobust"), ("HC1", "HC1"), ("HC3", "HC3")])
def test_binned_effects_equal_the_pooled_statsmodels_fit(se, cov):
    df = _data()
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", covariates=["c"], se=se)
    cols, med = _paper_columns(df)
    sm = smf.ols(_paper_formula(), cols).fit(cov_type=cov, use_t=True)   # t(n - k) as R
    bins = chk.to_frame()
    names = [f"xg{j}" for j in range(3)]
    np.testing.assert_allclose(bins["moderator_value"], med, rtol=0, atol=1e-12)
    np.testing.assert_allclose(bins["estimate"], sm.params[names], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(bins["std_error"], sm.bse[names], rtol=TOL)
    ci = sm.conf_int(0.05).loc[names]
    np.testing.assert_allclose(bins["conf_low"], ci[0], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(bins["conf_high"], ci[1], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(bins["p_value"], sm.pvalues[names], rtol=1e-8, atol=1e-14)
    assert list(bins["n"]) == cols["bin"].value_counts().sort_index().tolist()


def test_binned_effects_under_cr1_equal_statsmodels_cluster():
    df = _data()
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", covariates=["c"],
                          cluster="firm", se="CR1")
    cols, _ = _paper_columns(df)
    groups = pd.factorize(cols["firm"])[0]
    sm = smf.ols(_paper_formula(), cols).fit(cov_type="cluster", cov_kwds={"groups": groups})
    names = [f"xg{j}" for j in range(3)]
    bins = chk.to_frame()
    np.testing.assert_allclose(bins["estimate"], sm.params[names], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(bins["std_error"], sm.bse[names], rtol=TOL)
    assert set(bins["df"]) == {23.0}                         # t(G - 1)
    half = stats.t.ppf(0.975, 23) * sm.bse[names].to_numpy()
    np.testing.assert_allclose(bins["conf_high"], sm.params[names] + half, rtol=TOL, atol=TOL)


def test_weighted_binned_effects_equal_statsmodels_wls():
    """Weights: WLS with HC3 (the default with weights); bins and medians unweighted."""
    df = _data(seed=9)
    df["wt"] = np.random.default_rng(1).uniform(0.2, 3.0, len(df))
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", covariates=["c"],
                          weights="wt")
    cols, _ = _paper_columns(df)
    sm = smf.wls(_paper_formula(), cols, weights=cols["wt"]).fit(cov_type="HC3", use_t=True)
    names = [f"xg{j}" for j in range(3)]
    bins = chk.to_frame()
    assert chk.se_type == "HC3"
    np.testing.assert_allclose(bins["estimate"], sm.params[names], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(bins["std_error"], sm.bse[names], rtol=TOL)
    lin = smf.wls("y ~ x * w + c", df, weights=df["wt"]).fit(cov_type="HC3")
    sens = chk.sensitivity.set_index(["model", "term"])
    assert sens.loc[("linear", "x:w"), "std_error"] == pytest.approx(lin.bse["x:w"], rel=TOL)


def test_linearity_figure_draws_the_given_numbers():
    from matplotlib.collections import PolyCollection
    from analysis.render.plots import linearity_figure
    df = _data(n=200, binary_x=True, seed=3)
    high = df["w"] > 5.2
    df.loc[high, "x"] = 1.0
    df.loc[df.index[high][:2], "x"] = 0.0                     # a tiny x = 0 group: flagged
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", bin_edges=[2.5, 5.2])
    fig = linearity_figure(chk.line, chk.bins, focal="x", moderator="w", outcome="y",
                           alpha=chk.alpha)
    ax = fig.axes[0]
    line = next(l for l in ax.lines if l.get_label() == "linear model")
    np.testing.assert_array_equal(line.get_ydata(), chk.line["estimate"].to_numpy())
    points = [l for l in ax.lines if l.get_marker() == "o"]
    drawn = np.concatenate([p.get_ydata() for p in points])
    np.testing.assert_array_equal(np.sort(drawn), np.sort(chk.bins["estimate"].to_numpy()))
    assert any(p.get_markerfacecolor() == "white" for p in points)       # the flagged bin
    assert any(isinstance(c, PolyCollection) for c in ax.collections)    # the CI band


@pytest.mark.parametrize("se", ["HC0", "HC3"])
def test_binned_effects_equal_separate_fits_on_the_bins(se):
    """Without covariates the pooled model is block diagonal: each alpha_j and its
    HC0/HC3 SE equal a separate fit y ~ x * (w - w_j) on bin j (leverages are the same)."""
    df = _data(seed=5)
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", se=se)
    cols, med = _paper_columns(df)
    for j, row in chk.to_frame().iterrows():
        part = cols[cols["bin"] == j].assign(dw=lambda d, m=med[j]: d["w"] - m)
        sm = smf.ols("y ~ x * dw", part).fit(cov_type=se)
        assert row["estimate"] == pytest.approx(sm.params["x"], rel=TOL, abs=TOL)
        assert row["std_error"] == pytest.approx(sm.bse["x"], rel=TOL)
        assert row["n"] == len(part)


def test_linear_predictions_are_the_probe_effects_at_the_bin_medians():
    df = _data()
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", covariates=["c"], se="HC3")
    bins = chk.to_frame()
    res = probe(df, outcome="y", focal="x", moderator="w", covariates=["c"], se="HC3")
    eff = res.conditional_effects(at=bins["moderator_value"].tolist())
    np.testing.assert_allclose(bins["linear_estimate"], eff["estimate"], rtol=1e-12)
    np.testing.assert_allclose(bins["linear_conf_low"], eff["conf_low"], rtol=1e-12)
    np.testing.assert_allclose(bins["difference"], bins["estimate"] - eff["estimate"], atol=1e-12)


def _interflex_unrestricted(cols, K=3):
    """interflex's Wald parameterisation: the linear model plus G_j, G_j X, G_j W,
    G_j X W for j >= 2 (R/binning.R, ``formula1.wald``)."""
    extra = []
    for j in range(1, K):
        cols[f"G{j}"] = (cols["bin"] == j).astype(float)
        extra += [f"G{j}", f"G{j}:x", f"G{j}:w", f"G{j}:x:w"]
    return f"y ~ x * w + c + {' + '.join(extra)}", extra


@pytest.mark.parametrize("se, cov", [("ols", "nonrobust"), ("HC3", "HC3")])
def test_wald_test_equals_interflex_nested_test_in_statsmodels(se, cov):
    df = _data(quad=0.15)
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", covariates=["c"], se=se)
    cols, _ = _paper_columns(df)
    formula, extra = _interflex_unrestricted(cols)
    sm = smf.ols(formula, cols).fit(cov_type=cov)
    R = np.zeros((len(extra), len(sm.params)))
    for i, name in enumerate(extra):
        R[i, list(sm.params.index).index(name)] = 1.0
    f_test = sm.wald_test(R, use_f=True, scalar=True)
    chi_test = sm.wald_test(R, use_f=False, scalar=True)
    wald = chk.wald
    assert (wald["df_num"], wald["df_den"]) == (8.0, sm.df_resid)
    assert wald["statistic"] == pytest.approx(float(f_test.statistic), rel=1e-8)
    assert wald["p_value"] == pytest.approx(float(f_test.pvalue), rel=1e-8)
    assert wald["chi2"] == pytest.approx(float(chi_test.statistic), rel=1e-8)
    assert wald["p_value_chi2"] == pytest.approx(float(chi_test.pvalue), rel=1e-8)
    if se == "ols":      # = the nested-model F of the linear vs the binning model
        linear = smf.ols("y ~ x * w + c", cols).fit()
        F, p, _ = sm.compare_f_test(linear)
        assert wald["statistic"] == pytest.approx(F, rel=1e-8)
    assert chk.wald_effects["df_num"] == 4.0


def test_sensitivity_refit_equals_statsmodels_and_jn_roots_solve_the_boundary():
    df = _data(quad=0.1)
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", covariates=["c"], se="HC3")
    cols = df.assign(w2=df.w ** 2)
    sm = smf.ols("y ~ x + w + x:w + w2 + x:w2 + c", cols).fit(cov_type="HC3")
    lin = smf.ols("y ~ x * w + c", df).fit(cov_type="HC3")
    sens = chk.sensitivity.set_index(["model", "term"])
    assert sens.loc[("linear", "x:w"), "estimate"] == pytest.approx(lin.params["x:w"], rel=TOL)
    assert sens.loc[("quadratic", "x:w"), "estimate"] == pytest.approx(sm.params["x:w"], rel=TOL)
    assert sens.loc[("quadratic", "x:w^2"), "std_error"] == pytest.approx(sm.bse["x:w2"], rel=TOL)
    tcrit = stats.t.ppf(0.975, sm.df_resid)
    lo, hi = chk.observed_range
    for root in chk.jn_quadratic:
        assert lo <= root <= hi
        L = np.zeros(len(sm.params))
        idx = list(sm.params.index)
        L[idx.index("x")], L[idx.index("x:w")], L[idx.index("x:w2")] = 1.0, root, root ** 2
        t = float(sm.t_test(L).tvalue.squeeze())
        assert abs(abs(t) - tcrit) < 1e-8
    res = probe(df, outcome="y", focal="x", moderator="w", covariates=["c"], se="HC3")
    assert chk.jn_linear == tuple(b for b, ok in zip(res.jn.bounds, res.jn.in_range) if ok)


def _p_values(reps, quad, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(reps):
        n = 150
        w, x = rng.uniform(0, 4, n), rng.normal(size=n)
        y = 0.2 * x + 0.3 * w + 0.5 * x * w + quad * x * (w - 2) ** 2 + rng.normal(size=n)
        chk = check_linearity(pd.DataFrame({"x": x, "w": w, "y": y}), outcome="y", focal="x",
                              moderator="w")
        out.append((chk.wald["p_value"], chk.wald_effects["p_value"]))
    return np.array(out)


def test_wald_test_holds_its_size_under_a_linear_dgp():
    """Normal errors, OLS covariance: the F test is exact, so the rejection rate at 0.05
    is 0.05 up to Monte Carlo error: 200 replications, SE 0.0154, band +-3 SE."""
    p = _p_values(200, 0.0, seed=2026)
    rate = (p < 0.05).mean(axis=0)
    se = np.sqrt(0.05 * 0.95 / 200)
    assert np.all(np.abs(rate - 0.05) < 3 * se), rate
    assert stats.kstest(p[:, 0], "uniform").pvalue > 0.001       # p values ~ U(0, 1)


def test_wald_test_detects_a_quadratic_interaction():
    p = _p_values(25, 0.6, seed=7)
    assert (p[:, 0] < 0.05).mean() >= 0.9 and (p[:, 1] < 0.05).mean() >= 0.9


def test_support_flags_binary_focal_and_small_cells_withheld():
    df = _data(n=200, binary_x=True, seed=3)
    low = df["w"] > 5.2
    df.loc[low, "x"] = 1.0                                    # almost no x = 0 at high w
    df.loc[df.index[low][:2], "x"] = 0.0
    chk = check_linearity(df, outcome="y", focal="x", moderator="w", bin_edges=[2.5, 5.2],
                          min_group_size=5)
    bins = chk.to_frame()
    assert chk.binary_focal
    assert "an X group has fewer than 5 rows" in bins["support"].iloc[2]
    assert pd.isna(bins["x_group_min"].iloc[2])                # the small count is not shown
    assert bins["x_group_min"].iloc[0] >= 5
    assert any(f.startswith("bin 3:") for f in chk.flags)
    assert chk.bin_rule == "user edges" and chk.edges[1:3] == (2.5, 5.2)


def test_support_flag_little_variation_of_a_continuous_x():
    df = _data(n=300)
    top = df["w"] > df["w"].quantile(2 / 3)
    df.loc[top, "x"] = 0.01 * df.loc[top, "x"]
    chk = check_linearity(df, outcome="y", focal="x", moderator="w")
    support = chk.to_frame()["support"]
    assert "little variation of X" in support.iloc[2] and support.iloc[0] == ""


# ------------------------------------------------------------------------- CLI
def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


BASE = ["probe", str(EXAMPLE), "-y", "CO", "-x", "drd4_7r", "-w", "avoidant",
        "--reference", "drd4_7r=non-carrier"]


def test_cli_json_and_text_carry_the_check(capsys):
    code, out, err = _run([*BASE, "--check-linearity", "--json"], capsys)
    assert code == 0, err
    lin = json.loads(out)["linearity"]
    assert [b["label"] for b in lin["bins"]] == ["bin=1", "bin=2", "bin=3"]
    for key in ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high",
                "linear_estimate", "difference", "support"):
        assert key in lin["bins"][0]
    assert lin["wald"]["df_num"] == 8.0 and "chi2" in lin["wald"]
    assert {r["model"] for r in lin["sensitivity"]["coefficients"]} == {"linear", "quadratic"}
    direct = check_linearity(pd.read_csv(EXAMPLE), outcome="CO", focal="drd4_7r",
                             moderator="avoidant", reference={"drd4_7r": "non-carrier"})
    assert lin == json.loads(json.dumps(direct.to_dict()))
    code, out, err = _run([*BASE, "--check-linearity", "--bins", "4", "--se", "HC3"], capsys)
    assert code == 0, err
    assert "binning estimator" in out and "bin=4" in out and "HC3" in out


def test_cli_plot_written_through_safe_output(tmp_path, capsys):
    target = tmp_path / "lin.svg"
    code, _, err = _run([*BASE, "--check-linearity", "--linearity-plot", str(target)], capsys)
    assert code == 0, err
    assert target.read_bytes().startswith(b"<?xml")
    code, out, err = _run([*BASE, "--check-linearity", "--linearity-plot", str(target)], capsys)
    assert code == 2 and out == "" and "--force" in err
    code, _, err = _run([*BASE, "--check-linearity", "--linearity-plot", str(target), "--force"],
                        capsys)
    assert code == 0, err


@pytest.mark.parametrize("extra, words", [
    (["--check-linearity", "--bins", "1"], "--bins must be at least 2"),
    (["--check-linearity", "--bin-edges", "1.2,1.25"], "fewer than 5"),
    (["--check-linearity", "--bin-edges", "0.5"], "inside the observed range"),
    (["--bins", "4"], "need --check-linearity"),
    (["--linearity-plot", "x.png"], "needs --check-linearity"),
    (["--check-linearity", "--linearity-plot", "x.txt"], ".png, .pdf or .svg"),
])
def test_cli_bad_linearity_options_one_line_exit_2(extra, words, capsys):
    code, out, err = _run([*BASE, *extra], capsys)
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err


@pytest.mark.parametrize("argv, words", [
    (["-x", "avoidant", "-w", "drd4_7r", "--reference", "drd4_7r=non-carrier"], "is binary"),
    (["-x", "avoidant", "-w", "drd2", "--genotype", "drd2=genotype"], "needs Model 1"),
    (["-x", "drd4_7r", "-w", "avoidant", "-z", "anxious", "--model", "2",
      "--reference", "drd4_7r=non-carrier"], "needs Model 1"),
])
def test_cli_linearity_refused_for_other_designs(argv, words, capsys):
    code, out, err = _run(["probe", str(EXAMPLE), "-y", "CO", *argv, "--check-linearity"],
                          capsys)
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1 and words in err


def test_readme_linearity_example_runs(capsys, monkeypatch):
    import shlex
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Is the interaction linear?"):]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    for argv in commands:
        code, out, err = _run(argv[1:], capsys)
        assert code == 0, (argv, err)
        if "--json" in argv:
            assert json.loads(out)["linearity"]["wald"]["df_num"] == 8.0
        else:
            assert "Linearity check" in out and "JN bounds" in out


def test_genotype_focal_parsed_as_probe_does_with_the_privacy_default(capsys):
    """``--genotype drd2=carrier``: the same numbers as a hand-made 0/1 carrier column, and
    min_group_size defaults to 10 (the codebook's privacy default) for a genotype."""
    df = pd.read_csv(EXAMPLE)
    chk = check_linearity(df, outcome="CO", focal="drd2", moderator="avoidant",
                          genotype={"drd2": "carrier"}, cluster="company")
    hand = df.assign(drd2=df["drd2"].str.contains("A1").astype(float))
    ref = check_linearity(hand, outcome="CO", focal="drd2", moderator="avoidant",
                          cluster="company", min_group_size=10)
    assert chk.min_group_size == 10 and chk.se_type == "CR2"
    assert chk.wald["test"].startswith("HTZ")
    pd.testing.assert_frame_equal(chk.to_frame(), ref.to_frame(), rtol=1e-12)
    assert chk.wald == ref.wald
    code, out, err = _run(["probe", str(EXAMPLE), "-y", "CO", "-x", "drd2", "-w", "avoidant",
                           "--genotype", "drd2=carrier", "--check-linearity", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["linearity"]["min_group_size"] == 10


# ------------------------------------------------------------------ R reference
REF = ROOT / "tests" / "reference"
R_CASES = {   # case in linearity.json -> (data file, columns y/x/w, cluster)
    "blackmore_cr2": ("blackmore.csv", ("exercise", "patient", "age"), "subject"),
    "blackmore_cr1": ("blackmore.csv", ("exercise", "patient", "age"), "subject"),
    "states_ols": ("states.csv", ("life_exp", "income", "illiteracy"), None),
    "states_hc3": ("states.csv", ("life_exp", "income", "illiteracy"), None),
}


@pytest.mark.parametrize("case", sorted(R_CASES))
def test_against_r_lm_sandwich_clubsandwich(case):
    """tests/reference/linearity.R: bins by quantile(type = 7) + cut(include.lowest), the
    pooled lm(), interflex's nested test (W centred at its median, see the script),
    sandwich CR1 / HC3, clubSandwich coef_test / Wald_test (HTZ) for CR2; 1e-8 relative."""
    ref = json.loads((REF / "linearity.json").read_text())[case]
    name, (y, x, w), cluster = R_CASES[case]
    df = pd.read_csv(REF / name, dtype={"subject": str})
    chk = check_linearity(df, outcome=y, focal=x, moderator=w, se=ref["se"], bins=ref["K"],
                          cluster=cluster, min_group_size=5)
    bins = chk.to_frame()
    np.testing.assert_allclose(bins["moderator_value"], ref["medians"], rtol=1e-12)
    assert bins["n"].tolist() == ref["n"]
    tol = 1e-8
    for col in ("estimate", "std_error", "df", "p_value"):
        np.testing.assert_allclose(bins[col], ref["bins"][col], rtol=tol, err_msg=col)
    for mine, theirs in ((chk.wald, ref["wald"]), (chk.wald_effects, ref["wald_effects"])):
        for key in ("statistic", "df_num", "df_den", "p_value"):
            assert mine[key] == pytest.approx(theirs[key], rel=tol), key
        if "chi2" in theirs:
            assert mine["chi2"] == pytest.approx(theirs["chi2"], rel=tol)
            assert mine["p_value_chi2"] == pytest.approx(theirs["p_value_chi2"], rel=tol)
    quad = chk.sensitivity[chk.sensitivity["model"] == "quadratic"].iloc[:2]
    for col in ("estimate", "std_error", "df", "p_value"):
        np.testing.assert_allclose(quad[col], ref["quadratic"][col], rtol=tol, err_msg=col)


def test_genotype_focal_small_cell_effect_withheld(capsys, tmp_path):
    """A genotype X with fewer than min_group_size carriers in a bin: the count and the
    bin's effect are withheld in the table and the JSON; the other bins are shown."""
    df = pd.read_csv(EXAMPLE)
    carrier = df["drd2"].str.contains("A1")
    top = df["avoidant"] > 4.2
    keep = ~(top & carrier) | (top & carrier).cumsum().le(3)     # 3 carriers left above 4.2
    df = df[keep].reset_index(drop=True)
    path = tmp_path / "few.csv"
    df.to_csv(path, index=False)
    code, out, err = _run(["probe", str(path), "-y", "CO", "-x", "drd2", "-w", "avoidant",
                           "--genotype", "drd2=carrier", "--check-linearity",
                           "--bin-edges", "2.5,4.2", "--json"], capsys)
    assert code == 0, err
    bins = json.loads(out)["linearity"]["bins"]
    assert bins[2]["estimate"] is None and bins[2]["conf_low"] is None
    assert bins[2]["x_group_min"] is None and "withheld" in bins[2]["support"]
    assert bins[0]["estimate"] is not None and bins[0]["x_group_min"] >= 10

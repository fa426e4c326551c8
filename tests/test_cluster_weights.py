"""CR1, CR2 (Satterthwaite, HTZ) and weighted fits against R (sandwich, clubSandwich).

Reference: tests/reference/cluster_weights.R (run once; its JSON is committed).  R obtains
every conditional effect by refitting lm() with the moderator shifted and every JN
boundary by uniroot() on those refits; here they come from one fit through
``probing.linear_combination`` / ``johnson_neyman``.  Agreement: 1e-8 relative.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats.covariance import cluster_codes
from analysis.stats.models import fit_ols
from analysis.stats.probing import johnson_neyman, linear_combination, wald_test

REF = Path(__file__).resolve().parent / "reference"
CASES = json.loads((REF / "cluster_weights.json").read_text())["cases"]
DATA = {"exercise": "blackmore.csv", "life_exp": "states.csv"}
RTOL = 1e-8


def _fit(case):
    df = pd.read_csv(REF / DATA[case["outcome"]])
    x, w = df[case["focal"]].to_numpy(float), df[case["moderator"]].to_numpy(float)
    X = np.column_stack([np.ones(len(df)), x, w, x * w])
    cluster = cluster_codes(df[case["cluster"]])[0] if case["cluster"] else None
    weights = df[case["weights"]].to_numpy(float) if case["weights"] else None
    fit = fit_ols(X, df[case["outcome"]].to_numpy(float), ["Intercept", "x", "w", "x:w"],
                  se=case["se"], cluster=cluster, weights=weights)
    return fit, w


@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_effects_tests_match_r(name):
    case = CASES[name]
    fit, w = _fit(case)
    coefs = fit.to_frame()
    for col in ("estimate", "std_error", "df", "p_value"):
        np.testing.assert_allclose(coefs[col], case["coefficients"][col], rtol=RTOL, err_msg=col)
    assert fit.r2 == pytest.approx(case["r2"], rel=RTOL)
    L = np.zeros((len(case["at"]), 4))
    L[:, 1], L[:, 3] = 1.0, case["at"]
    eff = linear_combination(fit, L)
    for col in ("estimate", "std_error", "df", "p_value"):
        np.testing.assert_allclose(eff[col], case["effects"][col], rtol=RTOL, err_msg=col)
    F, q, df2, p = wald_test(fit, ["x:w"])
    ref = case["interaction_test"]
    assert (F, q, df2, p) == pytest.approx((ref["statistic"], ref["df_num"], ref["df_den"],
                                           ref["p_value"]), rel=RTOL)
    F, q, df2, p = fit.wald(np.eye(4)[[1, 3]])
    ref = case["joint_test"]
    assert (F, q, df2, p) == pytest.approx((ref["statistic"], ref["df_num"], ref["df_den"],
                                           ref["p_value"]), rel=RTOL)
    jn = johnson_neyman(fit, "x", "x:w", w)
    inside = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
    np.testing.assert_allclose(inside, case["jn_bounds"], rtol=RTOL)


def test_cr2_df_and_jn_boundary_consistent():
    # At a CR2 boundary |t| equals the critical t at that point's own Satterthwaite df.
    fit, w = _fit(CASES["blackmore_cr2_cont"])
    jn = johnson_neyman(fit, "x", "x:w", w)
    from scipy import stats
    for b, df in zip(jn.bounds, jn.df):
        row = linear_combination(fit, np.array([[0, 1, 0, b]])).iloc[0]
        assert abs(row["statistic"]) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-9)


# ------------------------------------------------------------------ probe layer
def test_probe_cluster_matches_r_through_the_verb():
    from analysis.stats.moderation import probe
    case = CASES["states_wls_cr2"]
    df = pd.read_csv(REF / "states.csv")
    res = probe(df, outcome="life_exp", focal="illiteracy", moderator="income", cluster="region",
                weights="population", at=case["at"])
    assert res.se_type == "CR2" and res.n_clusters == 4
    eff = res.conditional_effects(at=case["at"])
    np.testing.assert_allclose(eff["std_error"], case["effects"]["std_error"], rtol=RTOL)
    np.testing.assert_allclose(eff["df"], case["effects"]["df"], rtol=RTOL)
    assert res.p_change == pytest.approx(case["interaction_test"]["p_value"], rel=RTOL)
    assert res.df_change == pytest.approx(case["interaction_test"]["df_den"], rel=RTOL)
    w = df["population"].to_numpy(float)
    assert res.fit.n_effective == pytest.approx(w.sum() ** 2 / (w ** 2).sum(), rel=1e-12)
    assert any("only 4 clusters" in n for n in res.notes)
    out = res.to_dict()
    assert out["n_clusters"] == 4 and out["weights"] == "population"
    assert "Satterthwaite" in out["df_convention"]


def test_default_se_follows_design():
    from analysis.stats.moderation import probe
    df = pd.read_csv(REF / "states.csv")
    kw = dict(outcome="life_exp", focal="illiteracy", moderator="income")
    assert probe(df, **kw).se_type == "ols"
    assert probe(df, **kw, weights="population").se_type == "HC3"
    assert probe(df, **kw, cluster="region").se_type == "CR2"
    assert probe(df, **kw, cluster="region", se="CR1").se_type == "CR1"


def test_weighted_probe_values():
    from analysis.stats.moderation import probe
    from analysis.stats.probing import weighted_mean_sd, weighted_percentile
    df = pd.read_csv(REF / "states.csv")
    res = probe(df, outcome="life_exp", focal="illiteracy", moderator="income",
                weights="population")
    x, w = df["income"].to_numpy(float), df["population"].to_numpy(float)
    m, s = weighted_mean_sd(x, w)
    assert m == pytest.approx(np.average(x, weights=w), rel=1e-12)
    # normalised weights (sum n), n - 1 denominator: the sample SD for equal weights
    assert s == pytest.approx(np.sqrt(np.cov(x, aweights=w) * 1.0) * np.sqrt(
        (len(x) / (len(x) - 1)) * (w.sum() ** 2 - (w ** 2).sum()) / w.sum() ** 2), rel=1e-12)
    eff = res.conditional_effects().set_index("label")["moderator_value"]
    assert eff["mean"] == pytest.approx(m) and eff["mean+1sd"] == pytest.approx(m + s)
    assert eff["p50"] == pytest.approx(float(weighted_percentile(x, w, [50])[0]))
    # scale-free, and equal weights give PROCESS's unweighted rule
    np.testing.assert_allclose(weighted_percentile(x, 7 * w, [16, 84]),
                               weighted_percentile(x, w, [16, 84]), rtol=1e-12)
    np.testing.assert_allclose(weighted_percentile(x, np.ones_like(x), [16, 50, 84]),
                               np.percentile(x, [16, 50, 84], method="weibull"), rtol=1e-12)


# -------------------------------------------------------------- wild bootstrap
def _loop_wild(X, y, codes, se, L, draws, impose_null):
    """Independent reference: one fit_ols refit per draw, null imposed by an explicit
    restricted least-squares fit (L b = 0 via a reparameterised design)."""
    base = fit_ols(X, y, ["a", "b", "c", "d"], se=se, cluster=codes)
    c = L
    if impose_null:
        # restricted fit: minimise ||y - Xb|| s.t. c'b = 0 -> project onto null space of c
        Q, _ = np.linalg.qr(np.column_stack([c, np.eye(4)]))
        Z = Q[:, 1:]                     # basis orthogonal to c
        g = np.linalg.lstsq(X @ Z, y, rcond=None)[0]
        b0 = Z @ g
    else:
        b0 = base.params
    e0 = y - X @ b0
    t = float(c @ base.params) / np.sqrt(c @ base.vcov @ c)
    tstar = []
    for v in draws:
        ystar = X @ b0 + v[codes] * e0
        f = fit_ols(X, ystar, ["a", "b", "c", "d"], se=se, cluster=codes)
        centre = 0.0 if impose_null else float(c @ base.params)
        tstar.append((float(c @ f.params) - centre) / np.sqrt(c @ f.vcov @ c))
    return t, np.mean(np.abs(tstar) >= abs(t) - 1e-12 * abs(t))


@pytest.mark.parametrize("se,impose_null", [("CR1", True), ("CR2", True), ("CR2", False)])
def test_wild_bootstrap_equals_refit_loop(se, impose_null):
    from analysis.stats.wildboot import wild_cluster_bootstrap
    df = pd.read_csv(REF / "states.csv")
    x, w = df["illiteracy"].to_numpy(float), df["income"].to_numpy(float)
    X = np.column_stack([np.ones(len(df)), x, w, x * w])
    y = df["life_exp"].to_numpy(float)
    codes = cluster_codes(df["region"])[0]
    fit = fit_ols(X, y, ["a", "b", "c", "d"], se=se, cluster=codes)
    draws = np.random.default_rng(5).choice(
        [-np.sqrt(1.5), -1, -np.sqrt(.5), np.sqrt(.5), 1, np.sqrt(1.5)], size=(60, 4))
    L = np.array([[0, 0, 0, 1.0], [0, 1.0, 0, 4.0]])
    res = wild_cluster_bootstrap(fit, X, y, None, codes, L, labels=["i", "e"], draws=draws,
                                 impose_null=impose_null)
    for row, c in zip(res.to_frame().itertuples(), L):
        t, p = _loop_wild(X, y, codes, se, c, draws, impose_null)
        assert row.statistic == pytest.approx(t, rel=1e-10)
        assert row.wild_p_value == pytest.approx(p, abs=1e-12)


def test_wild_rademacher_enumerates_small_g():
    from analysis.stats.wildboot import wild_draws
    draws, exact = wild_draws(4, 999, "rademacher", seed=1)
    assert exact and draws.shape == (16, 4) and len({tuple(r) for r in draws}) == 16
    draws, exact = wild_draws(12, 999, "webb", seed=1)
    assert not exact and set(np.round(np.abs(draws).ravel() ** 2, 12)) == {0.5, 1.0, 1.5}


@pytest.mark.parametrize("name", ["states_cr1", "states_cr2", "blackmore_cr2_cont"])
def test_fdr_jn_under_cluster_covariance(name):
    # FDR-JN uses the cluster covariance and df: the BH level comes from the same
    # linear_combination p values, and at each boundary p equals that level.
    from analysis.stats.probing import fdr_critical_p
    fit, w = _fit(CASES[name])
    jn = johnson_neyman(fit, "x", "x:w", w, fdr=True)
    p_crit = fdr_critical_p(fit, "x", "x:w", w.min(), w.max(), alpha=0.05)
    assert jn.p_crit == pytest.approx(p_crit) and p_crit <= 0.05
    grid = np.linspace(w.min(), w.max(), 1001)
    p = np.sort(linear_combination(fit, np.column_stack([0 * grid, 1 + 0 * grid, 0 * grid, grid]))
                ["p_value"].to_numpy())
    from statsmodels.stats.multitest import multipletests
    rejected = multipletests(p, alpha=0.05, method="fdr_bh")[0]
    assert p_crit == pytest.approx(max(rejected.sum(), 1) * 0.05 / 1001)
    for b in jn.bounds:
        row = linear_combination(fit, np.array([[0, 1, 0, b]])).iloc[0]
        assert row["p_value"] == pytest.approx(p_crit, rel=1e-7)


def test_jn_shares_are_weighted_with_weights():
    from analysis.stats.moderation import probe
    df = pd.read_csv(REF / "states.csv")
    res = probe(df, outcome="life_exp", focal="illiteracy", moderator="income",
                weights="population", se="CR2", cluster="region")
    w, pop = df["income"].to_numpy(float), df["population"].to_numpy(float)
    for b, ok, below in zip(res.jn.bounds, res.jn.in_range, res.jn.share_below):
        if ok:
            assert below == pytest.approx(pop[w < b].sum() / pop.sum(), rel=1e-12)
    assert any(res.jn.in_range)

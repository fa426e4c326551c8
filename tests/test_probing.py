"""Conditional effects and Johnson-Neyman: closed forms, refits, grids and a published R example."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis import probe
from analysis.stats.models import fit_ols
from analysis.stats.probing import jn_roots, johnson_neyman, linear_combination

REF = Path(__file__).parent / "reference"


def _data(seed=0, n=250, b3=0.4, hetero=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    w = rng.normal(2, 1, n)
    noise = rng.normal(size=n) * (1 + hetero * np.abs(w))
    y = 0.2 + 0.1 * x + 0.3 * w + b3 * x * w + noise
    return pd.DataFrame({"y": y, "x": x, "w": w, "c": rng.normal(size=n)})


@pytest.mark.parametrize("se", ["ols", "HC0", "HC1", "HC2", "HC3"])
@pytest.mark.parametrize("w0", [-1.0, 0.7, 2.0, 3.5])
def test_conditional_effect_equals_refit_with_centred_moderator(se, w0):
    # Closed form var(b1) + w^2 var(b3) + 2 w cov(b1, b3) against an independent statsmodels
    # refit with W centred at w0, where the X coefficient IS the conditional effect.
    df = _data(1, hetero=True)
    res = probe(df, outcome="y", focal="x", moderator="w", covariates=["c"], se=se)
    ours = res.conditional_effects(at=[w0]).iloc[0]
    wc = df.w - w0
    Xc = np.column_stack([np.ones(len(df)), df.x, wc, df.x * wc, df.c])
    ref = sm.OLS(df.y.to_numpy(), Xc).fit(cov_type="nonrobust" if se == "ols" else se, use_t=True)
    assert ours.estimate == pytest.approx(ref.params[1], rel=1e-10)
    assert ours.std_error == pytest.approx(ref.bse[1], rel=1e-9)  # HC: same sandwich, rotated basis
    assert ours.p_value == pytest.approx(ref.pvalues[1], rel=1e-7)
    assert ours.conf_low == pytest.approx(ref.conf_int()[1, 0], rel=1e-9)


@pytest.mark.parametrize("se", ["ols", "HC3", "HC4"])
@pytest.mark.parametrize("seed,b3", [(0, 0.4), (1, 0.05), (2, 0.15), (3, -0.3)])
def test_jn_bounds_have_abs_t_equal_critical_t(se, seed, b3):
    df = _data(seed, b3=b3)
    res = probe(df, outcome="y", focal="x", moderator="w", se=se)
    jn = res.johnson_neyman()
    for bound in jn.bounds:
        t = res.conditional_effects(at=[bound])["statistic"].iloc[0]
        assert abs(t) == pytest.approx(jn.t_crit, abs=1e-8)


def _brute_region(b1, b3, v11, v33, v13, tc, grid):
    theta = b1 + b3 * grid
    se = np.sqrt(v11 + grid ** 2 * v33 + 2 * grid * v13)
    return np.abs(theta / se) > tc


@pytest.mark.parametrize("case", [
    # (b1, b3, V11, V33, V13): one per decision rule of Bauer & Curran's quadratic
    (0.0, 1.0, 1.0, 0.01, 0.0),      # a < 0: outside
    (1.0, 0.1, 0.04, 0.01, 0.0),     # a > 0, D > 0: inside
    (0.1, 0.1, 1.0, 1.0, 0.0),       # a > 0, D <= 0: nowhere
    (0.5, 0.2, 0.05, 0.01, 0.0),     # a = 0 exactly (t*^2 V33 = b3^2 with t* = 2): half line
])
def test_jn_roots_region_matches_grid(case):
    tc = 2.0
    roots, region = jn_roots(*case, tc)
    grid = np.linspace(-60, 60, 240001)
    sig = _brute_region(*case, tc, grid)
    expected = {"outside": lambda g: (g < roots[0]) | (g > roots[-1]),
                "inside": lambda g: (g > roots[0]) & (g < roots[-1]),
                "nowhere": lambda g: np.zeros_like(g, bool),
                "above": lambda g: g > roots[0],
                "below": lambda g: g < roots[0]}[region](grid)
    # Points within 1e-6 of a root may go either way in floating point.
    near = np.zeros_like(grid, bool)
    for r in roots:
        near |= np.abs(grid - r) < 1e-6
    assert np.array_equal(sig[~near], expected[~near]), region


def test_jn_half_line_case_identified():
    roots, region = jn_roots(0.5, 0.2, 0.05, 0.01, 0.0, 2.0)
    assert region in {"above", "below"} and len(roots) == 1


def test_observed_region_labels_and_shares():
    df = _data(0, b3=0.4)
    res = probe(df, outcome="y", focal="x", moderator="w")
    jn = res.johnson_neyman()
    w = df.w.to_numpy()
    for b, ok, lo, hi in zip(jn.bounds, jn.in_range, jn.share_below, jn.share_above):
        if ok:
            assert lo == pytest.approx(np.mean(w < b)) and hi == pytest.approx(np.mean(w > b))
        else:
            assert lo is None and hi is None
    # Check the label against a dense grid of the observed range.
    grid = np.linspace(w.min(), w.max(), 2001)
    sig = res.conditional_effects(at=grid)["p_value"].to_numpy() < 0.05
    if jn.significant_region == "everywhere":
        assert sig.all()
    elif jn.significant_region == "nowhere":
        assert not sig.any()
    elif jn.significant_region == "above":
        assert not sig[0] and sig[-1]


def test_mtcars_matches_published_interactions_output():
    # R interactions 1.2.0 README: lm(mpg ~ hp * wt, data = mtcars); sim_slopes(...):
    # JN interval [3.69, 5.90]; observed wt range [1.51, 5.42]; slopes of hp at
    # wt = 2.238793 (-1 SD), 3.217250 (mean), 4.195707 (+1 SD): t = -5.66, -4.07, -0.31; p(+1SD) = 0.76.
    cars = pd.read_csv(REF / "mtcars.csv")
    res = probe(cars, outcome="mpg", focal="hp", moderator="wt")
    jn = res.johnson_neyman()
    assert jn.significant_region == "below"          # upper root 5.90 lies outside [1.51, 5.42]
    assert jn.region_unrestricted == "outside"
    np.testing.assert_allclose(jn.bounds, [3.69, 5.90], atol=0.005)   # printed to 2 decimals
    np.testing.assert_allclose(jn.observed_range, [1.513, 5.424])
    eff = res.conditional_effects().set_index("label")
    np.testing.assert_allclose(eff.loc[["mean-1sd", "mean", "mean+1sd"], "moderator_value"],
                               [2.238793, 3.217250, 4.195707], atol=5e-7)
    np.testing.assert_allclose(eff.loc[["mean-1sd", "mean", "mean+1sd"], "statistic"],
                               [-5.66, -4.07, -0.31], atol=0.005)
    assert eff.loc["mean+1sd", "p_value"] == pytest.approx(0.76, abs=0.005)


def test_percentiles_follow_process_rule():
    # PROCESS: (n + 1) p position with linear interpolation = numpy "weibull" = R type 6.
    df = _data(4, n=37)
    res = probe(df, outcome="y", focal="x", moderator="w")
    eff = res.conditional_effects().set_index("label")
    w = np.sort(df.w.to_numpy())
    for label, p in [("p16", 0.16), ("p50", 0.5), ("p84", 0.84)]:
        pos = (len(w) + 1) * p                 # 1-based position
        lo = int(np.floor(pos))
        expected = w[lo - 1] + (pos - lo) * (w[lo] - w[lo - 1])
        assert eff.loc[label, "moderator_value"] == pytest.approx(expected, rel=1e-12)


def test_binary_moderator_gives_group_effects_and_no_jn():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"a": rng.normal(size=200),
                       "g": rng.choice(["carrier", "non-carrier"], 200)})
    df["y"] = (df.g == "carrier") * 0.5 * df.a + rng.normal(size=200)
    res = probe(df, outcome="y", focal="a", moderator="g")
    assert res.johnson_neyman() is None and res.to_dict()["johnson_neyman"] is None
    eff = res.conditional_effects()
    assert eff["label"].tolist() == ["group=non-carrier", "group=carrier"]
    assert res.coding == {"g": {"non-carrier": 0, "carrier": 1}}   # by meaning: carrier = 1
    # Slope in each group equals a separate regression within the group (same point estimate).
    for label, grp in [("group=carrier", "carrier"), ("group=non-carrier", "non-carrier")]:
        sub = df[df.g == grp]
        ref = sm.OLS(sub.y, sm.add_constant(sub.a)).fit()
        assert eff.set_index("label").loc[label, "estimate"] == pytest.approx(ref.params["a"], rel=1e-10)


def test_r2_change_and_f_match_nested_model_test():
    df = _data(2)
    res = probe(df, outcome="y", focal="x", moderator="w", covariates=["c"])
    full = sm.OLS(df.y, sm.add_constant(np.column_stack([df.x, df.w, df.x * df.w, df.c]))).fit()
    red = sm.OLS(df.y, sm.add_constant(np.column_stack([df.x, df.w, df.c]))).fit()
    f, p, _ = full.compare_f_test(red)
    assert res.r2_change == pytest.approx(full.rsquared - red.rsquared, rel=1e-10)
    assert res.f_change == pytest.approx(f, rel=1e-9)
    assert res.p_change == pytest.approx(p, rel=1e-8)
    assert res.model_f == pytest.approx(full.fvalue, rel=1e-9)


def test_linear_combination_matches_statsmodels_t_test():
    df = _data(3)
    X = np.column_stack([np.ones(len(df)), df.x, df.w, df.x * df.w])
    fit = fit_ols(X, df.y.to_numpy(), ["Intercept", "x", "w", "x:w"], se="HC3")
    L = np.array([[0, 1, 0, 2.5], [1, 0, -1, 0]], dtype=float)
    ours = linear_combination(fit, L)
    ref = sm.OLS(df.y.to_numpy(), X).fit(cov_type="HC3", use_t=True).t_test(L)
    np.testing.assert_allclose(ours["estimate"], ref.effect, rtol=1e-10)
    np.testing.assert_allclose(ours["std_error"], ref.sd.ravel(), rtol=1e-10)
    np.testing.assert_allclose(ours["p_value"], ref.pvalue.ravel(), rtol=1e-8)


def test_alpha_changes_critical_t_everywhere():
    df = _data(5)
    res = probe(df, outcome="y", focal="x", moderator="w", alpha=0.01)
    jn = res.johnson_neyman()
    assert jn.t_crit == pytest.approx(stats.t.ppf(0.995, res.fit.df_resid))
    eff = res.conditional_effects().iloc[0]
    half = (eff.conf_high - eff.conf_low) / 2
    assert half == pytest.approx(jn.t_crit * eff.std_error, rel=1e-12)


@pytest.mark.parametrize("seed,b3", [(0, 0.4), (2, 0.15), (6, 0.0)])
def test_fdr_critical_t_reproduces_benjamini_hochberg(seed, b3):
    # Independent check: on the same 1001-point grid, the points with |t| > t*_FDR must be
    # exactly the ones statsmodels' BH procedure rejects at the same alpha.
    from statsmodels.stats.multitest import multipletests

    from analysis.stats.probing import fdr_critical_t
    df = _data(seed, b3=b3, n=150)
    res = probe(df, outcome="y", focal="x", moderator="w")
    lo, hi = res.johnson_neyman().observed_range
    t_fdr = fdr_critical_t(res.fit, "x", "x:w", lo, hi, alpha=0.05)
    grid = res.conditional_effects(at=np.linspace(lo, hi, 1001))
    reject = multipletests(grid["p_value"], alpha=0.05, method="fdr_bh")[0]
    assert np.array_equal(np.abs(grid["statistic"].to_numpy()) > t_fdr - 1e-9, reject)
    assert t_fdr >= stats.t.ppf(0.975, res.fit.df_resid) - 1e-12   # never more liberal
    jn = johnson_neyman(res.fit, "x", "x:w", df.w.to_numpy(), moderator="w", fdr=True)
    assert jn.fdr and jn.t_crit == pytest.approx(t_fdr)


def test_crossover_matches_widaman_reparameterisation_and_fieller():
    # Independent check: Widaman et al. (2012) eq. 15 reparameterises
    # y = A0 + B1 (E - C) + B3 (E - C) G, a nonlinear least-squares fit whose C is the
    # crossover; scipy's curve_fit gives C and an SE to compare with the delta method.
    from scipy.optimize import curve_fit

    from analysis.stats.probing import crossover
    rng = np.random.default_rng(11)
    n = 400
    g = rng.integers(0, 2, n).astype(float)
    e = rng.normal(4, 1.2, n)
    y = 2 + 0.0 * e + 0.8 * g * (e - 4.3) + rng.normal(size=n)   # true crossover at 4.3
    X = np.column_stack([np.ones(n), g, e, g * e])
    fit = fit_ols(X, y, ["Intercept", "g", "e", "g:e"])
    cr = crossover(fit, "g", "g:e", e)

    def model(data, a0, b1, b3, c):
        ee, gg = data
        return a0 + b1 * (ee - c) + b3 * (ee - c) * gg

    popt, pcov = curve_fit(model, (e, g), y, p0=[2, 0, 0.5, 4])
    assert cr.estimate == pytest.approx(popt[3], rel=1e-6)
    # Delta-method SE vs the Gauss-Newton SE of the NLS fit (same model, same sigma^2 df).
    assert cr.std_error == pytest.approx(np.sqrt(pcov[3, 3]), rel=1e-4)
    # Fieller bounds are where the genotype effect's |t| equals t*.
    for c in (cr.fieller_low, cr.fieller_high):
        row = linear_combination(fit, [{"g": 1.0, "g:e": c}]).iloc[0]
        assert abs(row.statistic) == pytest.approx(stats.t.ppf(0.975, fit.df_resid), abs=1e-8)
    assert cr.classification == "disordinal"
    assert 0.3 < cr.poi_right < 0.7


def test_crossover_outside_range_is_ordinal():
    from analysis.stats.probing import crossover
    rng = np.random.default_rng(12)
    n = 400
    g = rng.integers(0, 2, n).astype(float)
    e = rng.normal(4, 1, n)
    y = 3.0 * g + 0.8 * g * (e - 4) + rng.normal(size=n)          # lines cross at e = 0.25
    fit = fit_ols(np.column_stack([np.ones(n), g, e, g * e]), y, ["Intercept", "g", "e", "g:e"])
    cr = crossover(fit, "g", "g:e", e)
    assert cr.classification == "ordinal" and cr.poi_right == 1.0


@pytest.mark.parametrize("se", ["ols", "HC3"])
@pytest.mark.parametrize("center", ["all", "continuous"])
def test_centering_equals_a_refit_on_centred_data(se, center):
    # PROCESS center=1 (all product-defining variables) / center=2 (continuous only): the
    # coefficient table must equal statsmodels on the centred design; b3, conditional effects
    # and JN must not change.
    rng = np.random.default_rng(21)
    n = 180
    df = pd.DataFrame({"g": rng.integers(0, 2, n), "w": rng.normal(4, 1.3, n),
                       "c": rng.normal(size=n)})
    df["y"] = 1 + 0.4 * df.g + 0.2 * df.w + 0.5 * df.g * df.w + 0.1 * df.c + rng.normal(size=n)
    raw = probe(df, outcome="y", focal="g", moderator="w", covariates=["c"], se=se)
    cen = probe(df, outcome="y", focal="g", moderator="w", covariates=["c"], se=se, center=center)
    gx = df.g - (df.g.mean() if center == "all" else 0.0)     # binary g centred only with "all"
    wx = df.w - df.w.mean()
    ref = sm.OLS(df.y, np.column_stack([np.ones(n), gx, wx, gx * wx, df.c])).fit(
        cov_type="nonrobust" if se == "ols" else se, use_t=True)
    ours = cen.coefficients
    np.testing.assert_allclose(ours["estimate"], ref.params, rtol=1e-9)
    np.testing.assert_allclose(ours["std_error"], ref.bse, rtol=1e-9)
    np.testing.assert_allclose(ours["p_value"], ref.pvalues, rtol=1e-7)
    assert set(cen.centering) == ({"g", "w"} if center == "all" else {"w"})
    pd.testing.assert_frame_equal(raw.conditional_effects(), cen.conditional_effects())
    assert raw.johnson_neyman().bounds == cen.johnson_neyman().bounds
    assert raw.coefficients["estimate"].iloc[3] == pytest.approx(ours["estimate"].iloc[3])

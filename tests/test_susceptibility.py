"""Differential susceptibility (analysis.study.susceptibility) against independent computations.

- The nonlinear fits (free crossover C) against statsmodels OLS on the closed-form
  equivalent (weak DS = the interaction model reparameterised: identical RSS,
  C = -b_S / b_SW; strong DS = the model without W's main effect) and against
  scipy's curve_fit started elsewhere;
- fixed-C models against statsmodels OLS on the constructed regressors;
- every nested F test against statsmodels' f_test of the equivalent linear
  restriction on the interaction model; log-likelihoods against statsmodels;
- PoI against numerical integration of the area between the lines; no clipping.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import integrate, stats
from scipy.optimize import curve_fit

from analysis.study import susceptibility as ds
from analysis.stats.models import fit_ols


def _data(n=500, seed=5, c_true=4.3, b1=0.0, b3=0.8):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n).astype(float)
    w = rng.normal(4, 1.2, n)
    z = rng.normal(size=n) + 0.3 * w
    y = 2 + b1 * (w - c_true) + b3 * (w - c_true) * g + 0.4 * z + rng.normal(size=n)
    return y, g, w, z


@pytest.fixture(scope="module")
def comparison():
    y, g, w, z = _data()
    return ds.compare_models(y, g, w, covariates=z[:, None], favourable="high"), (y, g, w, z)


def test_weak_ds_is_the_interaction_model_reparameterised(comparison):
    """RSS equal to statsmodels' interaction model (1e-9 relative), C = -b_G / b_GW
    (1e-7 relative), SE(C) = delta-method SE from statsmodels' covariance (1e-6)."""
    res, (y, g, w, z) = comparison
    fit = sm.OLS(y, np.column_stack([np.ones_like(w), g, w, g * w, z])).fit()
    row = res.frame.set_index("model").loc["ds_weak"]
    assert row["rss"] == pytest.approx(fit.ssr, rel=1e-9)
    c = -fit.params[1] / fit.params[3]
    assert row["crossover"] == pytest.approx(c, rel=1e-7)
    grad = np.array([0, -1 / fit.params[3], 0, fit.params[1] / fit.params[3] ** 2, 0])
    assert row["crossover_std_error"] == pytest.approx(np.sqrt(grad @ fit.cov_params() @ grad),
                                                       rel=1e-6)
    assert row["b1"] == pytest.approx(fit.params[2], rel=1e-7)
    assert row["b3"] == pytest.approx(fit.params[3], rel=1e-7)


def test_free_crossover_fits_match_curve_fit(comparison):
    """scipy curve_fit on the nonlinear models, started at C = 0 and slopes 0.1:
    same C (1e-6 relative) and Gauss-Newton SE (1e-4) for weak and strong DS."""
    res, (y, g, w, z) = comparison
    f = res.frame.set_index("model")

    def weak(x, a0, b1, b3, c, gz):
        ww, gg, zz = x
        return a0 + b1 * (ww - c) + b3 * (ww - c) * gg + gz * zz

    def strong(x, a0, b3, c, gz):
        ww, gg, zz = x
        return a0 + b3 * (ww - c) * gg + gz * zz

    p, cov = curve_fit(weak, (w, g, z), y, p0=[0, 0.1, 0.1, 0.0, 0])
    assert f.loc["ds_weak", "crossover"] == pytest.approx(p[3], rel=1e-6)
    assert f.loc["ds_weak", "crossover_std_error"] == pytest.approx(np.sqrt(cov[3, 3]), rel=1e-4)
    p, cov = curve_fit(strong, (w, g, z), y, p0=[0, 0.1, 0.0, 0])
    assert f.loc["ds_strong", "crossover"] == pytest.approx(p[2], rel=1e-6)
    assert f.loc["ds_strong", "crossover_std_error"] == pytest.approx(np.sqrt(cov[2, 2]), rel=1e-4)
    # strong DS in closed form: Y ~ 1 + G + G W + Z, C = -b_G / b_GW, same RSS
    fit = sm.OLS(y, np.column_stack([np.ones_like(w), g, g * w, z])).fit()
    assert f.loc["ds_strong", "rss"] == pytest.approx(fit.ssr, rel=1e-9)
    assert f.loc["ds_strong", "crossover"] == pytest.approx(-fit.params[1] / fit.params[2],
                                                            rel=1e-7)


def test_fixed_crossover_models_and_f_tests_match_statsmodels(comparison):
    """D-S / VS fix C at the favourable / adverse bound of the observed range: RSS =
    statsmodels OLS on the constructed regressors (1e-9); every F vs the full model =
    statsmodels f_test of the linear restriction (b_W = 0 and/or b_G + c b_GW = 0) on
    the interaction model (1e-7 relative); log-likelihood = statsmodels llf (1e-10) and
    AIC = -2 llf + 2 (mean parameters + 1)."""
    res, (y, g, w, z) = comparison
    f = res.frame.set_index("model")
    full = sm.OLS(y, np.column_stack([np.ones_like(w), g, w, g * w, z])).fit()
    bounds = {"dstress": w.max(), "vantage": w.min()}           # favourable = high
    for name, c in bounds.items():
        assert f.loc[f"{name}_weak", "crossover"] == c
        weak = sm.OLS(y, np.column_stack([np.ones_like(w), w - c, (w - c) * g, z])).fit()
        strong = sm.OLS(y, np.column_stack([np.ones_like(w), (w - c) * g, z])).fit()
        assert f.loc[f"{name}_weak", "rss"] == pytest.approx(weak.ssr, rel=1e-9)
        assert f.loc[f"{name}_strong", "rss"] == pytest.approx(strong.ssr, rel=1e-9)
        assert f.loc[f"{name}_weak", "log_likelihood"] == pytest.approx(weak.llf, rel=1e-10)
        assert f.loc[f"{name}_weak", "aic"] == pytest.approx(-2 * weak.llf + 2 * 5, rel=1e-10)
        r_c = np.array([[0, 1, 0, c, 0]])
        r_both = np.array([[0, 1, 0, c, 0], [0, 0, 1, 0, 0]])
        assert f.loc[f"{name}_weak", "f_vs_full"] == pytest.approx(
            float(full.f_test(r_c).fvalue), rel=1e-7)
        assert f.loc[f"{name}_strong", "f_vs_full"] == pytest.approx(
            float(full.f_test(r_both).fvalue), rel=1e-7)
        assert f.loc[f"{name}_strong", "p_vs_weak"] == pytest.approx(
            float(weak.f_test(np.array([[0, 1, 0, 0]])).pvalue), rel=1e-6)
    assert f.loc["ds_strong", "f_vs_full"] == pytest.approx(
        float(full.f_test(np.array([[0, 0, 1, 0, 0]])).fvalue), rel=1e-7)
    # no interaction: the interaction's own F test (b_GW = 0)
    assert f.loc["no_interaction", "f_vs_full"] == pytest.approx(
        float(full.f_test(np.array([[0, 0, 0, 1, 0]])).fvalue), rel=1e-7)
    assert np.isnan(f.loc["no_interaction", "crossover"])


def test_susceptible_group_and_favourable_end_relabel_without_changing_the_crossover():
    y, g, w, _ = _data(seed=9)
    a = ds.compare_models(y, g, w, susceptible=1, favourable="high").frame.set_index("model")
    b = ds.compare_models(y, g, w, susceptible=0, favourable="low").frame.set_index("model")
    assert a.loc["ds_weak", "crossover"] == pytest.approx(b.loc["ds_weak", "crossover"], rel=1e-7)
    assert a.loc["ds_weak", "rss"] == pytest.approx(b.loc["ds_weak", "rss"], rel=1e-9)
    assert a.loc["dstress_weak", "crossover"] == b.loc["vantage_weak", "crossover"] == w.max()


def test_model_choice_recovers_the_generating_shape():
    """At n = 4,000 the generating model wins by BIC: a crossover in the middle with a
    flat other group (strong DS), lines meeting at the favourable bound (D-S), and
    parallel lines (no interaction)."""
    y, g, w, z = _data(n=4000, seed=2, c_true=4.0, b1=0.0, b3=0.6)
    assert ds.compare_models(y, g, w, covariates=z[:, None]).best_bic == "ds_strong"
    rng = np.random.default_rng(3)
    g = rng.integers(0, 2, 4000).astype(float)
    w = rng.normal(4, 1.2, 4000)
    y = 1 + 0.3 * (w - w.max()) + 0.6 * (w - w.max()) * g + rng.normal(size=4000)
    assert ds.compare_models(y, g, w, favourable="high").best_bic == "dstress_weak"
    y = 1 + 0.3 * w + 0.5 * g + rng.normal(size=4000)
    assert ds.compare_models(y, g, w).best_bic == "no_interaction"


# ------------------------------------------------------------------ Roisman indices
def test_poi_equals_the_integrated_area_between_the_lines():
    """PoI_right = area right of C / total area of |b_G + b_GW w| over [L, U]
    (quadrature, 1e-8)."""
    bg, bgw, lo, hi = -1.2, 0.4, 0.5, 6.5
    c = -bg / bgw
    gap = lambda v: abs(bg + bgw * v)  # noqa: E731
    left, _ = integrate.quad(gap, lo, c)
    right, _ = integrate.quad(gap, c, hi)
    assert ds.poi_right(c, lo, hi) == pytest.approx(right / (left + right), rel=1e-8)


def test_roisman_indices_range_is_stated_and_never_clipped():
    """A skewed moderator: mean + 2 SD lies beyond the largest value; the 2 SD range is
    used as is, flagged beyond_observed, and PA is the share of cases above C."""
    rng = np.random.default_rng(4)
    n = 400
    w = np.concatenate([rng.uniform(1, 3, n - 8), np.full(8, 7.0)])    # long right tail
    g = rng.integers(0, 2, n).astype(float)
    y = 0.5 * (w - 2.5) * g + rng.normal(size=n)
    fit = fit_ols(np.column_stack([np.ones(n), g, w, g * w]), y, ["Intercept", "g", "w", "g:w"])
    res = ds.roisman_indices(fit, "g", "g:w", w)
    rows = res.frame.set_index("range_rule")
    m, s = w.mean(), w.std(ddof=1)
    assert rows.loc["2sd", "range_low"] == pytest.approx(m - 2 * s)
    assert rows.loc["2sd", "range_high"] == pytest.approx(m + 2 * s)
    assert rows.loc["2sd", "beyond_observed"] and not rows.loc["observed", "beyond_observed"]
    assert rows.loc["observed", "range_high"] == 7.0
    c = -fit.params[1] / fit.params[3]
    assert res.crossover == pytest.approx(c)
    assert res.pa == pytest.approx(np.mean(w > c)) and res.pa + res.share_below == 1
    for rule in ("2sd", "observed"):
        lo, hi = rows.loc[rule, ["range_low", "range_high"]]
        assert rows.loc[rule, "poi_right"] == pytest.approx(ds.poi_right(c, lo, hi))
    # the crossover table of analysis.stats.probing no longer clips either
    from analysis.stats.probing import crossover
    cr = crossover(fit, "g", "g:w", w)
    assert cr.bounds == pytest.approx((m - 2 * s, m + 2 * s))
    assert cr.observed_range == (float(w.min()), 7.0)


def test_both_sides_significance_matches_conditional_effects():
    y, g, w, _ = _data(n=3000, seed=8, c_true=4.0, b3=0.8)
    fit = fit_ols(np.column_stack([np.ones_like(w), g, w, g * w]), y, ["1", "g", "w", "g:w"])
    res = ds.roisman_indices(fit, "g", "g:w", w)
    row = res.frame.set_index("range_rule").loc["2sd"]
    from analysis.stats.probing import linear_combination
    ends = linear_combination(fit, [{"g": 1, "g:w": row["range_low"]},
                                    {"g": 1, "g:w": row["range_high"]}])
    t_crit = stats.t.ppf(0.975, fit.df_resid)
    assert row["significant_below"] == bool(abs(ends["statistic"].iloc[0]) > t_crit)
    assert row["significant_above"] == bool(abs(ends["statistic"].iloc[1]) > t_crit)
    assert row["both_sides"]


def test_study2_tables_and_probe_cli(capsys):
    import json

    from analysis import paths
    from analysis.cli import main
    from analysis.study.families import _example_data, study2

    d = _example_data(300)
    tables = ds.study2_susceptibility(d, list(study2(d).reverse_probes))
    assert len(tables["summary"]) == 12 and len(tables["models"]) == 12 * len(ds.MODELS)
    assert set(tables["summary"]["best_bic"]) <= {m[0] for m in ds.MODELS}
    code = main(["probe", str(paths.EXAMPLES / "probe_example.csv"), "--outcome", "CO",
                 "--focal", "avoidant", "--moderator", "drd4_7r", "--susceptibility",
                 "--favourable", "low", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    sus = out["susceptibility"]
    assert [m["model"] for m in sus["models"]["models"]] == [m[0] for m in ds.MODELS]
    assert {r["range_rule"] for r in sus["roisman"]["ranges"]} == {"2sd", "observed"}
    assert isinstance(sus["summary"], str) and "Best by BIC" in sus["summary"]
    assert pd.notna(sus["roisman"]["pa"])


def test_unidentified_crossover_gives_nan_not_a_crash():
    """Identical flat lines in both groups (a constant outcome): C is not identified;
    the comparison still returns all models instead of raising (singular J'J -> NaN)."""
    rng = np.random.default_rng(0)
    g = rng.integers(0, 2, 60).astype(float)
    w = rng.normal(size=60)
    with np.errstate(divide="ignore"):          # RSS = 0: log-likelihood +inf
        res = ds.compare_models(np.full(60, 2.0), g, w)
    assert len(res.frame) == len(ds.MODELS)


# ------------------------------------------------------------------ closed form vs NLS
def _nls_reference(y, s, w, Z, weak):
    """The former implementation, kept as the independent reference: Levenberg-Marquardt
    (scipy least_squares, analytic Jacobian, 1e-15 tolerances) for
    Y = A0 [+ B1 (W - C)] + B3 (W - C) S + Z g started at C = mean(W), covariance
    s^2 (J'J)^-1.  Returns (C, SE(C), RSS, B1, B3)."""
    from scipy import optimize

    def design(c):
        return np.column_stack([np.ones_like(w), *([w - c] if weak else []), (w - c) * s, Z])

    c0 = float(np.mean(w))
    start, *_ = np.linalg.lstsq(design(c0), y, rcond=None)
    n_lin = start.size

    def resid(theta):
        return design(theta[-1]) @ theta[:n_lin] - y

    def jac(theta):
        b1, b3 = (theta[1], theta[2]) if weak else (0.0, theta[1])
        return np.column_stack([design(theta[-1]), -(b1 + b3 * s)])

    sol = optimize.least_squares(resid, np.append(start, c0), jac=jac, method="lm", xtol=1e-15,
                                 ftol=1e-15, gtol=1e-15, max_nfev=2000)
    rss = float(sol.fun @ sol.fun)
    J = jac(sol.x)
    cov = rss / (y.size - sol.x.size) * np.linalg.inv(J.T @ J)
    b1, b3 = (sol.x[1], sol.x[2]) if weak else (0.0, sol.x[1])
    return sol.x[-1], np.sqrt(cov[-1, -1]), rss, b1, b3


def _old_frame(y, g, w, Z, susceptible, favourable):
    """The former compare_models rows: fixed-C models by lstsq on the n rows, free C by
    the NLS reference; the same _finish (AIC, BIC, F tests) on top."""
    s = g if susceptible == 1 else 1 - g
    lo, hi = w.min(), w.max()
    bound = {"favourable": hi if favourable == "high" else lo,
             "adverse": lo if favourable == "high" else hi}
    rows = []
    for name, _, rule, weak in ds.MODELS:
        if rule == "free":
            c, se, rss, b1, b3 = _nls_reference(y, s, w, Z, weak)
            p = (4 if weak else 3) + Z.shape[1]
        else:
            c = bound.get(rule, np.nan)
            cols = ([s, w] if rule == "none" else [*([w - c] if weak else []), (w - c) * s])
            X = np.column_stack([np.ones_like(w), *cols, Z])
            coef, *_ = np.linalg.lstsq(X, y, rcond=None)
            rss, se, p = float(np.sum((y - X @ coef) ** 2)), np.nan, X.shape[1]
            b1 = coef[2] if rule == "none" else (coef[1] if weak else 0.0)
            b3 = 0.0 if rule == "none" else coef[2 if weak else 1]
        rows.append({"model": name, "crossover": c, "crossover_std_error": se, "b1": b1,
                     "b3": b3, "n_mean_params": p, "n_params": p + 1, "rss": rss,
                     "weak": weak, "crossover_rule": rule})
    return ds._finish(pd.DataFrame(rows), y).set_index("model")


_CASES = [  # (n, seed, number of covariates, susceptible, favourable)
    (500, 5, 0, 1, "high"), (500, 6, 1, 0, "low"), (800, 7, 2, 1, "low"),
    (300, 8, 2, 0, "high"), (25_000, 9, 1, 1, "high"),   # 25,000 rows: the blocked QR
]


def _case(n, seed, k):
    y, g, w, z = _data(n=n, seed=seed, c_true=4.2, b1=0.3, b3=0.8)
    rng = np.random.default_rng(seed + 100)
    Z = np.column_stack([z, rng.integers(0, 2, n)])[:, :k]
    return y + Z @ np.linspace(0.2, 0.5, k), g, w, Z


@pytest.mark.parametrize("n, seed, k, susceptible, favourable", _CASES)
def test_closed_form_crossover_equals_the_nls_fit(n, seed, k, susceptible, favourable):
    """C = -d/e with the delta-method SE from the OLS of [1, S, (W), WS, Z] IS the NLS
    optimum and its Gauss-Newton SE s^2 (J'J)^-1 (module docstring, 3): against the
    Levenberg-Marquardt reference, weak and strong, both codings, 0-2 covariates.
    Tolerance 1e-10 relative on C, SE(C), B1, B3 (observed: <= 5e-14): the reference
    stops at relative changes of 1e-15 and forms (J'J)^-1 from the normal matrix
    (condition number squared), so its own error can reach ~1e-11 on other data or
    BLAS builds; RSS 1e-12 (observed <= 1.3e-15)."""
    y, g, w, Z = _case(n, seed, k)
    s = g if susceptible == 1 else 1 - g
    res = ds.compare_models(y, g, w, covariates=Z if k else None, susceptible=susceptible,
                            favourable=favourable).frame.set_index("model")
    for model, weak in (("ds_weak", True), ("ds_strong", False)):
        c, se, rss, b1, b3 = _nls_reference(y, s, w, Z, weak)
        row = res.loc[model]
        assert row["crossover"] == pytest.approx(c, rel=1e-10)
        assert row["crossover_std_error"] == pytest.approx(se, rel=1e-10)
        assert row["rss"] == pytest.approx(rss, rel=1e-12)
        assert row["b1"] == pytest.approx(b1, rel=1e-10)
        assert row["b3"] == pytest.approx(b3, rel=1e-10)


@pytest.mark.parametrize("n, seed, k, susceptible, favourable", _CASES)
def test_every_column_equals_the_former_implementation(n, seed, k, susceptible, favourable):
    """RSS, R^2, log-likelihood, AIC, BIC, their deltas, every F test and p value of all
    seven models equal the former n-row lstsq + NLS implementation.  Observed maxima:
    RSS, AIC, BIC 1.3e-15; R^2 and the deltas 2e-14; F 1.5e-14; p 4.2e-12 (a small p
    amplifies its F's error); C, SE(C), B1, B3 4e-14.  Tolerances: 1e-12 on RSS and the
    information criteria, 1e-10 on F, C and slopes (an RSS difference carries a relative
    error ~1e-15 RSS / (RSS - RSS_full)), 1e-9 on p values."""
    y, g, w, Z = _case(n, seed, k)
    new = ds.compare_models(y, g, w, covariates=Z if k else None, susceptible=susceptible,
                            favourable=favourable).frame.set_index("model")
    old = _old_frame(y, g, w, Z, susceptible, favourable)
    for col, rel in (("rss", 1e-12), ("log_likelihood", 1e-12), ("aic", 1e-12),
                     ("bic", 1e-12), ("r2", 1e-12), ("delta_aic", 1e-12), ("delta_bic", 1e-12),
                     ("f_vs_full", 1e-10), ("p_vs_full", 1e-9), ("f_vs_weak", 1e-10),
                     ("p_vs_weak", 1e-9), ("crossover", 1e-10), ("crossover_std_error", 1e-10),
                     ("b1", 1e-10), ("b3", 1e-10)):
        np.testing.assert_allclose(new[col].astype(float), old.loc[new.index, col].astype(float),
                                   rtol=rel, atol=1e-300, err_msg=col)
    for col in ("n_mean_params", "n_params", "df_num", "df_den"):
        assert new[col].tolist() == old.loc[new.index, col].tolist()
    assert new["crossover_conf_low"].iloc[0] == pytest.approx(
        new["crossover"].iloc[0] - stats.t.ppf(0.975, n - 4 - k)
        * new["crossover_std_error"].iloc[0], rel=1e-12)


def test_closed_form_reaches_the_minimum_where_the_nls_stalls():
    """No interaction in the data (b3 = 0): the crossover is barely identified and the
    objective nearly flat in C.  The closed form's RSS is the true minimum (statsmodels'
    interaction model, 1e-12) and never above the iterative fit's; C = -b_S / b_SW."""
    y, g, w, _ = _data(n=20_000, seed=12, b1=0.4, b3=0.0)
    row = ds.compare_models(y, g, w).frame.set_index("model").loc["ds_weak"]
    fit = sm.OLS(y, np.column_stack([np.ones_like(w), g, w, g * w])).fit()
    assert row["rss"] == pytest.approx(fit.ssr, rel=1e-12)
    assert row["crossover"] == pytest.approx(-fit.params[1] / fit.params[3], rel=1e-9)
    assert row["rss"] <= _nls_reference(y, g, w, np.empty((y.size, 0)), True)[2] * (1 + 1e-14)


@pytest.mark.parametrize("level", [0.0, 1.0])
def test_one_genotype_group_only_gives_an_unidentified_crossover(level):
    """S constant (all 0: the former fit returned C = mean(W) and NaN SE; all 1: it
    crashed with a math domain error): the design is rank deficient, C is not
    identified: C = mean(W), SE and interval NaN, the other models still fitted."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=60)
    y = 1 + 0.5 * w + rng.normal(size=60)
    f = ds.compare_models(y, np.full(60, level), w).frame.set_index("model")
    for model in ("ds_weak", "ds_strong"):
        assert f.loc[model, "crossover"] == pytest.approx(w.mean(), rel=1e-15)
        assert np.isnan(f.loc[model, ["crossover_std_error", "crossover_conf_low",
                                      "crossover_conf_high"]].astype(float)).all()
        assert not f.loc[model, "ci_in_range"]
    fit = sm.OLS(y, np.column_stack([np.ones_like(w), w])).fit()
    assert f.loc["ds_weak", "rss"] == pytest.approx(fit.ssr, rel=1e-12)


def test_zero_interaction_slope_is_not_identified():
    """e == 0 exactly (H singular): C = mean(W) and NaN SE; e != 0: C = -d/e."""
    A = np.triu(np.arange(1.0, 17.0).reshape(4, 4))
    assert ds._free_crossover(np.array([1.0, 2.0, 3.0, 0.0]), 1.0, 4, A, 3, 100, 0.5)[0] == 0.5
    assert np.isnan(ds._free_crossover(np.array([1.0, 2.0, 3.0, 0.0]), 1.0, 4, A, 3, 100, 0.5)[1])
    c, se = ds._free_crossover(np.array([1.0, 2.0, 3.0, 4.0]), 1.0, 4, A, 3, 100, 0.5)
    assert c == -0.5 and se > 0


@pytest.mark.parametrize("susceptible, k", [(1, 0), (0, 0), (1, 2), (0, 2)])
def test_roisman_interaction_fit_from_the_factor_equals_fit_ols(susceptible, k):
    """The interaction model [1, G, W, GW, Z] from the shared factor (G = 1 - S when S
    codes G = 0) equals fit_ols on the n rows: coefficients and covariance 1e-10
    relative, RSS 1e-12, same df."""
    y, g, w, Z = _case(700, 21, k)
    s = g if susceptible == 1 else 1 - g
    terms = ("Intercept", "g", "w", "g:w", *[f"z{i}" for i in range(k)])
    factor = ds._Factor.of(y, s, w, Z)
    mine = ds._interaction_fit(factor, susceptible, terms, 0.05, 1.0)
    ref = fit_ols(np.column_stack([np.ones_like(w), g, w, g * w, Z]), y, terms)
    np.testing.assert_allclose(mine.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(mine.vcov, ref.vcov, rtol=1e-10)
    assert mine.rss == pytest.approx(ref.rss, rel=1e-12) and mine.df_resid == ref.df_resid


def test_collinear_covariate_is_the_same_input_error_as_fit_ols():
    """A covariate equal to the moderator: the factor-based fit raises fit_ols's error
    naming the collinear term (same rank check on the same R)."""
    from analysis._errors import InputError

    y, g, w, _ = _data(n=200, seed=3)
    d = pd.DataFrame({"y": y, "g": g, "w": w, "w2": 2 * w})
    with pytest.raises(InputError) as mine:
        ds.susceptibility(d, outcome="y", gene="g", moderator="w", covariates=["w2"])
    with pytest.raises(InputError) as ref:
        fit_ols(np.column_stack([np.ones_like(w), g, w, g * w, 2 * w]), y,
                ["Intercept", "g", "w", "g:w", "w2"])
    assert str(mine.value) == str(ref.value) and "'w2'" in str(mine.value)


def test_blocked_factor_equals_the_plain_qr():
    """From TALL_QR_ROWS rows the factor is models.tall_r's blocked TSQR: the same R as one
    Householder QR of M up to row signs (1e-12 relative to the largest entry)."""
    from analysis.stats.models import TALL_QR_ROWS

    y, g, w, z = _data(n=TALL_QR_ROWS + 3_001, seed=4)
    f = ds._Factor.of(y, g, w, z[:, None])
    M = np.column_stack([np.ones_like(w), g, w, g * w, z, y])
    r0 = np.linalg.qr(M, mode="r")
    sign = np.sign(np.diag(f.r)) * np.sign(np.diag(r0))
    np.testing.assert_allclose(f.r * sign[:, None], r0, rtol=0, atol=1e-12 * np.abs(r0).max())


@pytest.mark.parametrize("gene", [[0.0] * 40, [0.0, 2.0] * 20, [0.0, 1.0, 0.5, 1.0] * 10])
def test_genotype_must_have_two_groups_coded_0_1(gene):
    """One group only, or codes other than 0/1: one InputError naming the column;
    compare_models refuses codes other than 0/1 (one group only is allowed there: C
    is then reported as not identified)."""
    from analysis._errors import InputError

    rng = np.random.default_rng(1)
    d = pd.DataFrame({"y": rng.normal(size=40), "g": gene, "w": rng.normal(size=40)})
    with pytest.raises(InputError, match="binary genotype") as err:
        ds.susceptibility(d, outcome="y", gene="g", moderator="w")
    assert err.value.column == "g"
    if set(gene) != {0.0}:
        with pytest.raises(InputError, match="coded 0/1"):
            ds.compare_models(d["y"], d["g"], d["w"])

"""Power curves and replication probabilities (analysis.simulation.power).

Independent checks: the noncentral-t closed form for one G x A interaction
(methods.md section 7), Gelman & Carlin's (2014) closed-form type S / type M,
statsmodels fits with listwise deletion, families.holm / benjamini_hochberg,
and claims.judge applied to families.study1 / study2 study by study.
Monte Carlo tolerances are stated next to each assertion.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from analysis.study import batchclaims
from analysis.simulation import montecarlo, power
from analysis._errors import InputError
from analysis.study.config import load_config


@pytest.fixture(scope="module")
def config():
    return load_config()


# ----------------------------------------------------------------- analytic vs simulated
def test_analytic_power_is_alpha_without_interaction():
    # closed form: with ncp = 0 the two tails of the central t sum to alpha exactly
    assert power.analytic_interaction_power(150, 0.0, 0.3, alpha=0.05) == pytest.approx(0.05,
                                                                                         abs=1e-12)


def test_analytic_power_agrees_with_f_test_route():
    # methods.md section 7, the f^2 route: a 1-df F test with lambda = ncp^2 has the
    # same power as the two-sided t test with noncentrality ncp (F = t^2).
    n, b, pi, sigma, var_a = 300, 0.25, 0.36, 1.3, 0.8
    ncp = b * math.sqrt(n * pi * (1 - pi) * var_a) / sigma
    df = n - 4
    f_power = stats.ncf.sf(stats.f.ppf(0.95, 1, df), 1, df, ncp ** 2)
    got = power.analytic_interaction_power(n, b, pi, sigma=sigma, var_a=var_a, design="fixed")
    assert got == pytest.approx(f_power, rel=1e-6)   # two numerical routes in scipy


def test_exact_power_against_30000_simulations():
    """The random-design power (binomial carrier count, chi-square SS) against 30,000 batched
    simulations at n = 150: within 3 MC SE (~0.008); the fixed-design approximation is
    optimistic by ~0.01 and is NOT within 3 MC SE, so the test can tell them apart."""
    n, b_ga, pi, reps = 150, 0.25, 0.36, 30_000
    res = power.simulated_interaction_power([n], b_ga, pi, reps=reps, seed=2026, b_g=0.3, b_a=0.2)
    sim = float(res.to_frame().iloc[0]["power"])
    exact = float(power.analytic_interaction_power(n, b_ga, pi))
    fixed = float(power.analytic_interaction_power(n, b_ga, pi, design="fixed"))
    mc_se = math.sqrt(exact * (1 - exact) / reps)
    assert abs(sim - exact) < 3 * mc_se, (sim, exact, mc_se)
    assert fixed - sim > 3 * mc_se, (sim, fixed)
    # quadrature converged: doubling the nodes changes the value by < 1e-5
    assert float(power.analytic_interaction_power(n, b_ga, pi, nodes=48)) == pytest.approx(
        exact, abs=1e-5)


@pytest.mark.parametrize("n", [150, 400, 800])
def test_simulated_power_matches_analytic(n):
    b_ga, pi, reps = 0.25, 0.36, 2000
    res = power.simulated_interaction_power([n], b_ga, pi, reps=reps, seed=11, b_g=0.3, b_a=0.2)
    row = res.to_frame().iloc[0]
    expected = float(power.analytic_interaction_power(n, b_ga, pi))
    mc_se = math.sqrt(expected * (1 - expected) / reps)
    # 4 Monte Carlo SEs (two-sided false-alarm rate ~6e-5 per N); the analytic value
    # averages over the random design (exact).
    assert abs(row["power"] - expected) < 4 * mc_se
    assert row["mc_se"] == pytest.approx(math.sqrt(row["power"] * (1 - row["power"]) / reps))
    assert row["conf_low"] < row["power"] < row["conf_high"]


def test_type_one_error_of_simulated_interaction_with_hc3():
    # no interaction: rejection rate = alpha; 4 MC SE with 3000 reps = 0.016
    res = power.simulated_interaction_power([120], 0.0, 0.36, reps=3000, seed=5, se="HC3")
    assert abs(res.to_frame()["power"].iloc[0] - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 3000)


# ----------------------------------------------------------------- reproducibility
def test_same_seed_same_numbers_across_jobs_and_chunks():
    runs = [power.simulated_interaction_power([60, 90], 0.3, 0.4, reps=700, seed=3, n_jobs=j,
                                              chunk=c) for j, c in ((1, None), (1, 250), (2, 500))]
    frames = [r.to_frame() for r in runs]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])


def test_power_curve_reproducible_and_grid_independent(config):
    kw = dict(reps=260, seed=9, targets=["S2b", "S1c", "CO:DRD4_x_avoidant"])
    a = power.power_curve(config, n_grid=[60, 90], **kw).to_frame()
    b = power.power_curve(config, n_grid=[60, 90], n_jobs=2, chunk=250, **kw).to_frame()
    pd.testing.assert_frame_equal(a, b)
    # the numbers at N = 90 depend on N, not on the rest of the grid -- except the pooled
    # reference value (mean estimate over the grid) and the type S/M derived from it
    alone = power.power_curve(config, n_grid=[90], **kw).to_frame()
    cols = ["n", "target", "power", "mc_se", "conf_low", "conf_high", "mean_estimate"]
    pd.testing.assert_frame_equal(a[a["n"] == 90][cols].reset_index(drop=True), alone[cols])


def test_study2_targets_do_not_depend_on_simulating_study1(config):
    # without a Study 1 target, Study 1 is skipped; Study 2 draws from its own stream
    kw = dict(n_grid=[70], reps=250, seed=6)
    only2 = power.power_curve(config, targets=["S2b", "SO:DRD2_x_secure"], **kw).to_frame()
    both = power.power_curve(config, targets=["S1c", "S2b", "SO:DRD2_x_secure"], **kw).to_frame()
    pd.testing.assert_frame_equal(only2, both[both["target"] != "S1c"].reset_index(drop=True))


def test_replication_probabilities_independent_of_chunking(config):
    a = power.replication_probabilities(config, n_sims=300, seed=4)
    b = power.replication_probabilities(config, n_sims=300, seed=4, chunk=250)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    frame = a.to_frame()
    shares = frame[[c for c in frame if c.startswith("share_")]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0, atol=1e-12)
    json.dumps(a.to_dict(), allow_nan=False)


def test_null_claims_false_alarm_rate_is_alpha(config):
    # S1a, S1b, S1d test a coefficient whose true value is 0 with an exact t test: the share
    # of studies with a significant effect (contradicted + not reproduced) is alpha; 4 MC SE
    # with 2000 studies = 0.0195.  "reproduced" needs equivalence now, so it is below 1 - alpha.
    rp = power.replication_probabilities(config, n_sims=2000, seed=8)
    for cid in ("S1a", "S1b", "S1d"):
        shares = rp.shares[cid]
        alarm = shares["contradicted"] + shares["not reproduced"]
        assert abs(alarm - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 2000), cid
        assert shares["reproduced"] + shares["inconclusive"] == pytest.approx(1 - alarm)
        assert 0 < shares["reproduced"] < 1 - alarm
    probs = rp.verdict_probabilities()
    assert set(probs["S1a"]) == {"reproduced", "inconclusive", "not reproduced", "contradicted"}
    p = probs["S1a"]["inconclusive"]
    assert p["mc_se"] == pytest.approx(math.sqrt(p["probability"] * (1 - p["probability"]) / 2000))
    assert rp.assumptions.startswith("Effect sizes")


# ----------------------------------------------------------------- min N
def _result(powers, reps=400, n_grid=(100, 200, 300, 400, 500)):
    rows = [power._power_row(n, "X", "claim", np.arange(reps) < round(p * reps))
            for n, p in zip(n_grid, powers)]
    return power.PowerResult(rows=tuple(rows), n_grid=tuple(n_grid), targets=("X",), reps=reps,
                             seed=0)


def test_min_n_on_monotone_curve():
    res = _result([0.40, 0.77, 0.80, 0.86, 0.95])
    frame = res.to_frame()
    # Wilson bounds at R = 400: 0.77 -> (0.727, 0.808); 0.80 -> (0.758, 0.836);
    # 0.86 -> (0.823, 0.891)
    assert frame["conf_high"].iloc[1] > 0.8 > frame["conf_low"].iloc[2]
    assert res.min_n("X", 0.8) == {"target": "X", "level": 0.8, "n": 300, "n_low": 200,
                                   "n_high": 400}
    assert res.min_n("X", 0.9) == {"target": "X", "level": 0.9, "n": 500, "n_low": 500,
                                   "n_high": 500}
    assert res.min_n("X", 0.99)["n"] is None
    with pytest.raises(InputError):
        res.min_n("Y")


def test_min_n_high_needs_level_to_stay_reached():
    res = _result([0.90, 0.70, 0.92, 0.95, 0.97])
    got = res.min_n("X", 0.8)
    assert (got["n"], got["n_low"], got["n_high"]) == (100, 100, 300)


def test_wilson_interval_against_statsmodels():
    from statsmodels.stats.proportion import proportion_confint
    low, high = power.wilson_interval(np.array([0, 7, 50]), 50)
    ref = [proportion_confint(k, 50, alpha=0.05, method="wilson") for k in (0, 7, 50)]
    np.testing.assert_allclose(np.column_stack([low, high]), np.array(ref), atol=1e-12)


# ----------------------------------------------------------------- type S / type M
def test_type_s_m_constructed_case():
    est = np.array([0.6, -0.3, 0.2, 0.1, np.nan])
    sig = np.array([True, True, True, False, True])
    # significant & finite: 0.6, -0.3, 0.2 -> one of three has the wrong sign;
    # mean |est| = 1.1 / 3, divided by |0.2|
    s, m = power.type_s_m(est, sig, 0.2)
    assert s == pytest.approx(1 / 3) and m == pytest.approx(1.1 / 3 / 0.2)
    assert all(math.isnan(v) for v in power.type_s_m(est, sig, 0.0))
    assert all(math.isnan(v) for v in power.type_s_m(est, np.zeros(5, bool), 0.2))


def test_type_s_m_match_gelman_carlin_closed_form():
    # retrodesign (Gelman & Carlin 2014) for a z test: lambda = D / s
    D, s, z = 0.1, 0.1, stats.norm.ppf(0.975)
    lam = D / s
    p_hi, p_lo = stats.norm.sf(z - lam), stats.norm.cdf(-z - lam)
    pw = p_hi + p_lo
    type_s = p_lo / pw
    tail = integrate.quad(lambda x: abs(x) * stats.norm.pdf(x, D, s), z * s, np.inf)[0] \
        + integrate.quad(lambda x: abs(x) * stats.norm.pdf(x, D, s), -np.inf, -z * s)[0]
    exaggeration = tail / pw / D
    est = np.random.default_rng(1).normal(D, s, 400_000)
    got_s, got_m = power.type_s_m(est, np.abs(est / s) > z, D)
    n_sig = pw * 400_000
    # 5 MC SEs: type S is a proportion among ~68,000 significant draws; the
    # exaggeration ratio's SE is sd(|X| | sig) / sqrt(n_sig) / D (< 0.004 here)
    assert abs(got_s - type_s) < 5 * math.sqrt(type_s * (1 - type_s) / n_sig)
    assert abs(got_m - exaggeration) < 0.02


# ----------------------------------------------------------------- batched fits and rules
def test_complete_case_fits_match_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    B, n = 6, 40
    X = np.stack([np.ones((B, n)), rng.normal(size=(B, n)), rng.integers(0, 2, (B, n))], axis=2)
    X = np.concatenate([X, (X[:, :, 1] * X[:, :, 2])[:, :, None]], axis=2)
    y = X[:, :, 1] * 0.5 + rng.normal(size=(B, n))
    y[1, [3, 9]] = np.nan
    X[2, 5, 1] = np.nan
    L = np.array([[0.0, 1.0, 0.0, 1.0]])
    for se in ("ols", "HC3"):
        got = batchclaims.fit_complete_cases(X, y, se, L=L)
        for b in range(B):
            keep = np.isfinite(y[b]) & np.isfinite(X[b]).all(axis=1)
            fit = sm.OLS(y[b][keep], X[b][keep]).fit(cov_type="nonrobust" if se == "ols" else se)
            t = fit.t_test(L)
            p_ref = 2 * stats.t.sf(abs(fit.params / fit.bse), fit.df_resid)  # t(df) also for HC3
            np.testing.assert_allclose(got["params"][b], fit.params, rtol=1e-9)
            np.testing.assert_allclose(got["p"][b], p_ref, rtol=1e-8)
            np.testing.assert_allclose(got["combo"][b], np.ravel(t.effect), rtol=1e-9)
            se_combo = float(np.sqrt((L @ fit.cov_params() @ L.T)[0, 0]))
            p_combo = 2 * stats.t.sf(abs(np.ravel(t.effect)[0]) / se_combo, fit.df_resid)
            np.testing.assert_allclose(got["combo_p"][b, 0], p_combo, rtol=1e-8)


def test_adjust_rows_equals_families_adjustments():
    from analysis.study.families import benjamini_hochberg, holm

    rng = np.random.default_rng(3)
    P = rng.uniform(size=(50, 8)) ** 3
    P[rng.uniform(size=P.shape) < 0.1] = np.nan
    P[0, :3] = P[0, 3]                                    # ties
    for method, ref in (("holm", holm), ("bh", benjamini_hochberg)):
        want = np.vstack([ref(row) for row in P])
        np.testing.assert_array_equal(batchclaims.adjust_rows(P, method), want)   # same arithmetic


def _frames(scores, i):
    return pd.DataFrame({k: v[i] for k, v in scores.items()})


@pytest.mark.slow
def test_vectorised_verdicts_equal_judge_study_by_study(config):
    """100 simulated datasets: the vectorised rules give judge's verdict for every claim.

    Both sides get the SESOI converted from the config on that dataset
    (claims.sesoi_in_raw_units on the frame vs batchclaims.sesoi_arrays on the arrays)
    and TOST at equivalence_alpha, so every branch of claims.RULES is compared."""
    from analysis.study.claims import judge, sesoi_in_raw_units
    from analysis.study.families import study1, study2
    from analysis.study.simulate import simulate_scores

    weak = config.with_overrides({"study2": {"CO": {"effects": {
        "drd4_7r_x_avoidant": 0.4, "drd2_a2a2_x_avoidant": 0.3}}}})
    wide = config.with_overrides({"claims": {"sesoi": {"main_effect_d": 0.6,
                                                       "interaction_std": 0.5}}})
    designs = [(config, None, 34, dict(se="ols", family_rule="holm", p_adjust="none")),
               (weak, 120, 33, dict(se="HC1", family_rule="bh", p_adjust="holm")),
               (wide, 400, 33, dict(se="ols", family_rule="holm", p_adjust="none"))]
    seen = set()
    for cfg, n, n_sims, opts in designs:
        s1 = simulate_scores(cfg, "study1", n, n_sims, seed=21)
        s2 = simulate_scores(cfg, "study2", n, n_sims, seed=22)
        spec, eq_alpha = cfg["claims"]["sesoi"], cfg["claims"]["equivalence_alpha"]
        codes = batchclaims.verdict_codes(
            batchclaims.study1_inputs(s1, opts["se"]), batchclaims.study2_inputs(s2, opts["se"]),
            alpha=cfg.alpha, family_rule=opts["family_rule"], p_adjust=opts["p_adjust"],
            sesoi=batchclaims.sesoi_arrays(spec, s1, s2), equivalence_alpha=eq_alpha)
        for i in range(n_sims):
            f1, f2 = _frames(s1, i), _frames(s2, i)
            raw, _ = sesoi_in_raw_units(spec, f1, f2)
            card = judge(study1(f1, se=opts["se"]), study2(f2, se=opts["se"]), alpha=cfg.alpha,
                         family_rule=opts["family_rule"], p_adjust=opts["p_adjust"], sesoi=raw,
                         equivalence_alpha=eq_alpha)
            for cid, verdict in card.verdicts().items():
                assert batchclaims.VERDICT_CODES[codes[cid][i]] == verdict, (i, cid, opts)
                seen.add(verdict)
    # the comparison exercised every rule outcome except the rare "significant but equivalent"
    assert {"reproduced", "partial", "inconclusive", "not reproduced", "contradicted"} <= seen


def test_sesoi_arrays_equal_frame_conversion(config):
    """batchclaims.sesoi_arrays == claims.sesoi_in_raw_units study by study (1e-12)."""
    from analysis.study.claims import sesoi_in_raw_units
    from analysis.study.simulate import simulate_scores

    s1 = simulate_scores(config, "study1", 80, 5, seed=3)
    s2 = simulate_scores(config, "study2", 80, 5, seed=4)
    arrays = batchclaims.sesoi_arrays(config["claims"]["sesoi"], s1, s2)
    for i in range(5):
        raw, _ = sesoi_in_raw_units(config["claims"]["sesoi"], _frames(s1, i), _frames(s2, i))
        assert set(raw) == set(arrays)
        for cid, value in raw.items():
            assert arrays[cid][i] == pytest.approx(value, rel=1e-12), cid


def test_verdict_codes_are_the_claims_vocabulary():
    from analysis.study.claims import VERDICTS
    assert batchclaims.VERDICT_CODES == VERDICTS


# ----------------------------------------------------------------- effects
def test_apply_effects_reliability_and_carrier_shares(config):
    from analysis.study.simulate import score_scaling

    cfg, applied = power.apply_effects(config, {"reliability.avoidant": 0.7,
                                                "drd4_7r_carrier": 0.5, "drd2_a1_carrier": 0.3,
                                                "SO.drd2_x_secure": 0.1})
    # closed form of score_scaling's reliability for the chosen loadings
    assert score_scaling(cfg)["avoidant"]["reliability_unit_trait"] == pytest.approx(0.7, abs=1e-12)
    q7 = float(cfg["alleles"]["DRD4"][7])
    assert 1 - (1 - q7) ** 2 == pytest.approx(0.5, abs=1e-12)
    assert 1 - (1 - float(cfg["alleles"]["DRD2"]["A1"])) ** 2 == pytest.approx(0.3, abs=1e-12)
    assert applied["study2.SO.effects.drd2_a2a2_x_secure"] == 0.1
    for bad in ({"reliability": 1.2}, {"drd4_7r_carrier": 0}, {"study3.CO.x": 1},
                {"drd9_x_avoidant": 0.2}, {"drd4_x_avoidant": "big"}):
        with pytest.raises(InputError):
            power.apply_effects(config, bad)


def test_zero_interaction_override_gives_alpha(config):
    # drd4_7r_x_avoidant = 0 and a base slope that no longer offsets it: the DRD4 x
    # avoidant interaction is null, so its rejection rate is alpha (4 MC SE at 800 reps)
    res = power.power_curve(config, n_grid=[150], reps=800, seed=2,
                            effects={"drd4_x_avoidant": 0.0, "drd2_x_avoidant": 0.0},
                            targets=["CO:DRD4_x_avoidant", "CO:DRD2_x_avoidant"])
    frame = res.to_frame()
    assert (abs(frame["power"] - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 800)).all()
    assert frame["type_s"].isna().all()      # no type S/M for a null effect
    assert res.effects["given"] == {"drd4_x_avoidant": 0.0, "drd2_x_avoidant": 0.0}
    assert "drd4_x_avoidant" in res.assumptions


def test_parse_helpers():
    assert power.parse_n_grid("50,100,...,1000") == list(range(50, 1001, 50))
    for bad in ("50,...,100", "a,b", "100,50,...,1000"):
        with pytest.raises(InputError):
            power.parse_n_grid(bad)
    with pytest.raises(InputError):
        power.parse_effects(["drd4_x_avoidant"])


# ----------------------------------------------------------------- outputs and CLI
def test_write_power_outputs(tmp_path, config):
    res = power.power_curve(config, n_grid=[60, 90], reps=60, seed=1, targets=["S2a", "S2b"])
    written = power.write_power_outputs(res, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"power.csv", "power.json", "min_n.json",
                                                    "power_curve.png", "power_curve.svg",
                                                    "manifest.json"}
    assert set(written) | {"manifest.json"} == {p.name for p in tmp_path.iterdir()}
    min_n = json.loads((tmp_path / "min_n.json").read_text())
    assert set(min_n["min_n"]) == {"S2a", "S2b"} and "assumptions" in min_n["assumptions"]
    table = pd.read_csv(tmp_path / "power.csv")
    assert list(table.columns[:8]) == ["n", "target", "kind", "power", "mc_se", "conf_low",
                                       "conf_high", "reps"]


def test_cli_json_is_one_object(capsys, tmp_path):
    from analysis.cli import main

    code = main(["power", "--n", "60,80", "--reps", "40", "--seed", "3", "--targets", "S2b",
                 "--effect", "drd4_x_avoidant=0.5", "--json", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0
    payload = json.loads(out)                       # exactly one JSON document on stdout
    assert isinstance(payload, dict)
    assert "assumptions" in payload["assumptions"]
    assert payload["effects"]["given"] == {"drd4_x_avoidant": 0.5}
    assert [r["n"] for r in payload["power"]] == [60, 80]
    assert err == ""                                # no progress bar with --json
    assert (tmp_path / "power_curve.png").is_file()


def test_cli_bad_effect_exit_code(capsys):
    from analysis.cli import main

    assert main(["power", "--effect", "nonsense", "--json"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_progress_only_on_a_terminal_for_long_work(monkeypatch):
    import sys

    assert montecarlo.show_progress(False, 100.0) is False
    assert montecarlo.show_progress(True, 0.0) is True
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert montecarlo.show_progress(None, 100.0) is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert montecarlo.show_progress(None, 100.0) is True
    assert montecarlo.show_progress(None, 0.5) is False

"""Study 1 / Study 2 model families against independent statsmodels fits and closed forms."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from analysis._errors import InputError
from analysis.study.families import (GENES, GROUP_LABELS, STYLES, benjamini_hochberg,
                               descriptives, holm, keller_design, study1, study2)


def _data(n=240, seed=3, n_a1a1=None, missing=0):
    rng = np.random.default_rng(seed)
    count = rng.binomial(2, 0.25, n)
    if n_a1a1 is not None:  # force the size of the A1/A1 group
        count[count == 2] = 1
        count[:n_a1a1] = 2
    d4 = rng.binomial(1, 0.35, n)
    st = {s: rng.normal(4, 1, n) for s in STYLES}
    d2 = (count > 0).astype(int)
    co = (5 + 0.3 * d4 + 0.4 * (1 - d2) * (st["avoidant"] - 4) + 0.5 * d4 * (st["avoidant"] - 4)
          + 0.2 * st["secure"] + rng.normal(size=n))
    so = 4 + 0.1 * st["anxious"] + rng.normal(size=n)
    df = pd.DataFrame({"CO": co, "SO": so, **st, "drd2_a1_count": count, "drd2_a1_carrier": d2,
                       "drd2_genotype": pd.Series(count).map({0: "A2/A2", 1: "A1/A2", 2: "A1/A1"}),
                       "drd4_7r_carrier": d4, "drd4_7r_count": d4,
                       "age": rng.normal(40, 10, n), "female": rng.integers(0, 2, n)})
    if missing:
        df.loc[rng.choice(n, missing, replace=False), "CO"] = np.nan
    return df


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def res(data):
    return study2(data, covariates=["age"], keller=True)


def _sm(y, X, se="ols"):
    return sm.OLS(np.asarray(y, float), np.asarray(X, float)).fit(
        cov_type="nonrobust" if se == "ols" else se, use_t=True)


# ---------------------------------------------------------------- Study 1
@pytest.mark.parametrize("se", ["ols", "HC3"])
def test_study1_matches_statsmodels(se):
    df = _data(missing=7)
    out = study1(df, se=se, covariates=["age"]).to_frame()
    for outcome in ("CO", "SO"):
        sub = df[[outcome, "drd2_a1_carrier", "drd4_7r_carrier", "age"]].dropna()
        ref = _sm(sub[outcome], sm.add_constant(sub.iloc[:, 1:]), se)
        ours = out[out.outcome == outcome]
        # rtol 1e-9: QR vs statsmodels' pinv, both double precision
        np.testing.assert_allclose(ours.estimate, ref.params, rtol=1e-9)
        np.testing.assert_allclose(ours.std_error, ref.bse, rtol=1e-9)
        np.testing.assert_allclose(ours.p_value, ref.pvalues, rtol=1e-7)
        np.testing.assert_allclose(ours.conf_low, ref.conf_int()[:, 0], rtol=1e-9)
        assert ours.n.iloc[0] == len(sub) and ours.r2.iloc[0] == pytest.approx(ref.rsquared, rel=1e-12)
    assert out.columns.tolist() == ["outcome", "term", "estimate", "std_error", "statistic", "df",
                                    "p_value", "conf_low", "conf_high", "r2", "n", "covariates"]
    assert set(out.covariates) == {"age"}


# ---------------------------------------------------------------- Study 2 interactions
@pytest.mark.parametrize("se", ["ols", "HC3"])
def test_interactions_match_statsmodels(se):
    df = _data(missing=5)
    res = study2(df, se=se, covariates=["age", "female"])
    assert len(res.interactions) == 12
    for row in res.interactions.itertuples():
        g = GENES[row.gene]
        sub = df[[row.outcome, row.style, g, "age", "female"]].dropna()
        X = np.column_stack([np.ones(len(sub)), sub[row.style], sub[g], sub[row.style] * sub[g],
                             sub.age, sub.female])
        ref = _sm(sub[row.outcome], X, se)
        assert row.term == f"{row.style}:{g}"
        # rtol 1e-9 on estimates/SEs (float rounding only); p in the far tail has less relative precision
        assert row.estimate == pytest.approx(ref.params[3], rel=1e-9)
        assert row.std_error == pytest.approx(ref.bse[3], rel=1e-9)
        assert row.p_value == pytest.approx(ref.pvalues[3], rel=1e-9)
        assert row.conf_high == pytest.approx(ref.conf_int()[3, 1], rel=1e-9)
        assert row.df == ref.df_resid and row.n == len(sub)
        # R2 change and f2 by hand from two independent OLS fits
        red = _sm(sub[row.outcome], np.delete(X, 3, axis=1))
        full = _sm(sub[row.outcome], X)
        dr2 = full.rsquared - red.rsquared
        assert row.r2_change == pytest.approx(dr2, rel=1e-8, abs=1e-14)
        assert row.f2 == pytest.approx(dr2 / (1 - full.rsquared), rel=1e-8, abs=1e-14)


def test_holm_and_bh_equal_multipletests(res):
    p = res.interactions.p_value.to_numpy()
    # rtol 1e-12: the same arithmetic in a different order
    np.testing.assert_allclose(res.interactions.p_holm, multipletests(p, method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(res.interactions.p_bh, multipletests(p, method="fdr_bh")[1], rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_adjustments_on_random_p_with_ties_and_nan(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, 15) ** 2
    p[3] = p[7]  # a tie
    for ours, method in ((holm, "holm"), (benjamini_hochberg, "fdr_bh")):
        np.testing.assert_allclose(ours(p), multipletests(p, method=method)[1], rtol=1e-12)
        with_nan = np.append(p, np.nan)
        adj = ours(with_nan)
        assert np.isnan(adj[-1])
        np.testing.assert_allclose(adj[:-1], multipletests(p, method=method)[1], rtol=1e-12)


# ---------------------------------------------------------------- slopes
def test_simple_slopes_equal_within_group_regressions(data, res):
    # Without covariates the group slope equals a separate within-group regression's slope exactly;
    # the SE differs (pooled residual variance), so only the point estimate is compared.
    plain = study2(data)
    for row in plain.simple_slopes.itertuples():
        g = GENES[row.gene]
        code = {v: k for k, v in GROUP_LABELS[row.gene].items()}[row.group]
        sub = data[data[g] == code]
        ref = _sm(sub[row.outcome], sm.add_constant(sub[row.style]))
        assert row.estimate == pytest.approx(ref.params[1], rel=1e-9)
        assert row.n_group == len(sub)
    assert set(plain.simple_slopes.group) == {"A2/A2", "A1 carrier", "non-carrier", "7R carrier"}


def test_simple_slope_se_equals_reference_switch_refit(data):
    # Non-reference group: refit with the carrier code reversed; its style coefficient and SE
    # are the carriers' slope (methods.md 1a), an independent parameterisation.
    res = study2(data, covariates=["age"], se="HC3")
    row = res.simple_slopes.query("outcome == 'CO' and gene == 'DRD4' and style == 'avoidant' "
                                  "and group == '7R carrier'").iloc[0]
    g = 1 - data.drd4_7r_carrier
    X = np.column_stack([np.ones(len(data)), data.avoidant, g, data.avoidant * g, data.age])
    ref = _sm(data.CO, X, "HC3")
    assert row.estimate == pytest.approx(ref.params[1], rel=1e-9)
    assert row.std_error == pytest.approx(ref.bse[1], rel=1e-9)
    assert row.p_value == pytest.approx(ref.pvalues[1], rel=1e-8)


def test_three_genotype_slopes_equal_within_genotype_regressions(data):
    res = study2(data)
    geno = res.genotype_slopes_drd2
    assert len(geno) == 2 * 3 * 3 and not geno.skipped.any()
    for row in geno.itertuples():
        sub = data[data.drd2_genotype == row.genotype]
        ref = _sm(sub[row.outcome], sm.add_constant(sub[row.style]))
        assert row.estimate == pytest.approx(ref.params[1], rel=1e-9)
        assert row.n_group == len(sub)
    # omnibus 2-df F equals the nested-model F test (independent: statsmodels compare_f_test)
    row = geno.query("outcome == 'CO' and style == 'avoidant'").iloc[0]
    d1 = (data.drd2_genotype == "A1/A2").astype(float)
    d2 = (data.drd2_genotype == "A1/A1").astype(float)
    a = data.avoidant
    full = _sm(data.CO, np.column_stack([np.ones(len(a)), a, d1, a * d1, d2, a * d2]))
    red = _sm(data.CO, np.column_stack([np.ones(len(a)), a, d1, d2]))
    F, p, df_diff = full.compare_f_test(red)
    assert row.omnibus_f == pytest.approx(F, rel=1e-9)
    assert row.omnibus_p == pytest.approx(p, rel=1e-8)
    assert row.omnibus_df1 == df_diff == 2


def test_tiny_a1a1_groups_are_flagged_or_skipped():
    unstable = study2(_data(n_a1a1=5), styles=("avoidant",)).genotype_slopes_drd2
    a1a1 = unstable[unstable.genotype == "A1/A1"]
    assert a1a1.unstable.all() and not a1a1.skipped.any() and a1a1.n_group.eq(5).all()
    res = study2(_data(n_a1a1=2), styles=("avoidant",))
    geno = res.genotype_slopes_drd2
    a1a1 = geno[geno.genotype == "A1/A1"]
    assert a1a1.skipped.all() and a1a1.estimate.isna().all()
    assert (geno[geno.genotype != "A1/A1"].omnibus_df1 == 1).all()  # 1 df once A1/A1 is left out
    assert any("A1/A1" in n and "left out" in n for n in res.notes)
    none = study2(_data(n_a1a1=0), styles=("avoidant",))
    assert none.genotype_slopes_drd2.query("genotype == 'A1/A1'").skipped.all()


def test_genotype_values_never_appear_in_errors():
    df = _data()
    df.loc[4, "drd2_genotype"] = "A3/A9"
    with pytest.raises(InputError) as err:
        study2(df, styles=("avoidant",))
    assert "A3/A9" not in str(err.value) and "row 5" in str(err.value)
    df = _data()
    df.loc[2, "drd4_7r_carrier"] = 2
    with pytest.raises(InputError, match="row 3"):
        study1(df)


# ---------------------------------------------------------------- JN, grids, lines
def test_gene_effect_grid_and_jn_from_reverse_probe(data, res):
    grid = res.gene_effect_grid
    assert grid.groupby(["outcome", "gene", "style"]).size().eq(101).all()
    row = grid.query("outcome == 'CO' and gene == 'DRD4' and style == 'avoidant'").iloc[50]
    # genotype effect at a = w: refit with the style centred at w, the gene coefficient (methods 1b)
    w = row.moderator_value
    a = data.avoidant - w
    g = data.drd4_7r_carrier
    ref = _sm(data.CO, np.column_stack([np.ones(len(a)), g, a, g * a, data.age]))
    assert row.estimate == pytest.approx(ref.params[1], rel=1e-9)
    assert row.std_error == pytest.approx(ref.bse[1], rel=1e-9)
    jn = res.jn[("CO", "DRD4", "avoidant")]
    assert jn["observed_range"] == [data.avoidant.min(), data.avoidant.max()]
    # at every in-range boundary |t| of the genotype effect equals t*
    fit = res.reverse_probes[("CO", "DRD4", "avoidant")]
    for b, ok in zip(jn["bounds"], jn["in_range"]):
        t = fit.conditional_effects(at=[b])["statistic"].iloc[0]
        assert abs(t) == pytest.approx(jn["t_crit"], abs=1e-8)


def test_predicted_lines_equal_statsmodels_predictions(data, res):
    lines = res.predicted_lines
    assert lines.groupby(["outcome", "gene", "style", "group"]).size().eq(50).all()
    sel = lines.query("outcome == 'CO' and gene == 'DRD2' and style == 'avoidant' "
                      "and group == 'A1 carrier'")
    g = data.drd2_a1_carrier
    X = np.column_stack([np.ones(len(g)), data.avoidant, g, data.avoidant * g, data.age])
    ref = _sm(data.CO, X)
    a = sel.style_value.to_numpy()
    Xp = np.column_stack([np.ones(a.size), a, np.ones(a.size), a, np.full(a.size, data.age.mean())])
    pred = ref.get_prediction(Xp).summary_frame(alpha=0.05)
    np.testing.assert_allclose(sel.estimate, pred["mean"], rtol=1e-9)
    np.testing.assert_allclose(sel.std_error, pred["mean_se"], rtol=1e-9)
    np.testing.assert_allclose(sel.conf_low, pred["mean_ci_lower"], rtol=1e-9)
    assert a.min() == data.avoidant.min() and a.max() == data.avoidant.max()


# ---------------------------------------------------------------- Keller
@pytest.mark.parametrize("se", ["ols", "HC1"])
def test_keller_model_matches_statsmodels(data, se):
    res = study2(data, covariates=["age", "female"], keller=True, se=se)
    fit = res.keller_fits[("SO", "DRD4", "anxious")]
    for t in ("age:drd4_7r_carrier", "age:anxious", "female:drd4_7r_carrier", "female:anxious"):
        assert t in fit.terms
    g, a = data.drd4_7r_carrier, data.anxious
    X = np.column_stack([np.ones(len(g)), a, g, a * g, data.age, data.age * g, data.age * a,
                         data.female, data.female * g, data.female * a])
    ref = _sm(data.SO, X, se)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), ref.bse, rtol=1e-9)
    rows = res.keller.query("outcome == 'SO' and gene == 'DRD4' and style == 'anxious'")
    assert rows.model.tolist() == ["covariates", "keller"]
    assert rows.estimate.iloc[1] == pytest.approx(ref.params[3], rel=1e-9)
    base = res.interactions.query("outcome == 'SO' and gene == 'DRD4' and style == 'anxious'")
    assert rows.estimate.iloc[0] == base.estimate.iloc[0]
    assert rows.n_terms.tolist() == [6, 10]


def test_keller_design_names_and_no_covariates_note(data):
    X, terms = keller_design(data, "avoidant", "drd2_a1_carrier", ["age"])
    assert terms == ["Intercept", "avoidant", "drd2_a1_carrier", "avoidant:drd2_a1_carrier",
                     "age", "age:drd2_a1_carrier", "age:avoidant"]
    np.testing.assert_array_equal(X[:, 6], data.age * data.avoidant)
    res = study2(data, keller=True, styles=("avoidant",))
    assert res.keller.empty and any("Keller" in n for n in res.notes)


# ---------------------------------------------------------------- rGE and descriptives
def test_gene_style_correlation_is_the_pooled_t_test(data, res):
    from scipy import stats
    row = res.gene_style_correlation.query("gene == 'DRD2' and style == 'secure'").iloc[0]
    g = data.drd2_a1_carrier == 1
    t, p = stats.ttest_ind(data.secure[g], data.secure[~g], equal_var=True)
    assert row.statistic == pytest.approx(t, rel=1e-9) and row.p_value == pytest.approx(p, rel=1e-8)
    assert row.estimate == pytest.approx(data.secure[g].mean() - data.secure[~g].mean(), rel=1e-9)
    r = stats.pearsonr(data.drd2_a1_carrier, data.secure)[0]
    assert row.r == pytest.approx(r, rel=1e-9)


def test_descriptives_are_aggregates(data):
    d = descriptives(data)
    sc = d["scales"].set_index("variable")
    assert sc.loc["CO", "mean"] == pytest.approx(data.CO.mean(), rel=1e-12)
    assert sc.loc["SO", "sd"] == pytest.approx(data.SO.std(ddof=1), rel=1e-12)
    corr = d["correlations"].set_index("variable")
    assert corr.loc["CO", "avoidant"] == pytest.approx(np.corrcoef(data.CO, data.avoidant)[0, 1])
    counts = d["genotype_counts"]
    geno = counts.query("coding == 'genotype'").set_index("group").n
    assert geno["A1/A1"] == (data.drd2_a1_count == 2).sum()
    assert geno["A2/A2"] + geno["A1/A2"] + geno["A1/A1"] == len(data)
    assert len(counts) < 20  # one row per group, never per participant


def test_frames_and_dict_are_complete_and_json_safe(res):
    import json
    frames = res.to_frames()
    assert set(frames) == {"interactions", "simple_slopes", "genotype_slopes_drd2",
                           "johnson_neyman", "gene_effect_grid", "predicted_lines", "keller",
                           "gene_style_correlation"}
    assert frames["interactions"].columns.tolist() == [
        "outcome", "gene", "style", "term", "estimate", "std_error", "statistic", "df", "p_value",
        "conf_low", "conf_high", "r2", "r2_change", "f2", "p_holm", "p_bh", "n", "covariates"]
    assert frames["simple_slopes"].columns.tolist() == [
        "outcome", "gene", "style", "group", "estimate", "std_error", "statistic", "df", "p_value",
        "conf_low", "conf_high", "n_group"]
    json.dumps(res.to_dict(), allow_nan=False)


def test_hc3_with_leverage_one_case_in_tiny_a1a1_group_does_not_abort_study2():
    # Regression: 3 A1/A1 cases with only 2 distinct style values give one case leverage 1;
    # HC3 is undefined for that three-genotype model, which must be skipped with a note,
    # not abort the 12 claim models.
    from analysis.study.config import load_config
    from analysis.study.simulate import simulate_scores
    sims = simulate_scores(load_config(), "study2", 120, 30, seed=5)
    df = pd.DataFrame({k: v[0] for k, v in sims.items()})
    df["drd2_genotype"] = df["drd2_a1_count"].map({0: "A2/A2", 1: "A1/A2", 2: "A1/A1"})
    res = study2(df, se="HC3")
    assert len(res.interactions) == 12
    assert res.interactions["p_value"].notna().all()


def test_bootstrap_study2_matches_bootstrap_linear_with_the_same_seed():
    # Independent path: the same design built here and bootstrapped directly.
    from analysis.stats.bootstrap import bootstrap_linear
    from analysis.study.families import _example_data, bootstrap_study2
    df = _example_data(150)
    table = bootstrap_study2(df, n_boot=300, seed=9, outcomes=("CO",), styles=("avoidant",))
    seeds = np.random.SeedSequence(9).spawn(2)       # models in order: DRD2, DRD4
    sub = df[["CO", "avoidant", "drd4_7r_carrier"]].dropna().reset_index(drop=True)
    a, g = sub["avoidant"].to_numpy(), sub["drd4_7r_carrier"].to_numpy(float)
    X = np.column_stack([np.ones(len(sub)), a, g, a * g])
    direct = bootstrap_linear(X, sub["CO"].to_numpy(), np.array([[0, 0, 0, 1.0]]), n_boot=300,
                              seed=int(seeds[1].generate_state(1)[0]))
    row = table[(table.gene == "DRD4") & (table.quantity == "interaction")].iloc[0]
    assert row.boot_conf_low == pytest.approx(direct.boot_conf_low[0], rel=1e-10)
    assert row.boot_conf_high == pytest.approx(direct.boot_conf_high[0], rel=1e-10)
    assert set(table.quantity) == {"interaction", "slope: A2/A2", "slope: A1 carrier",
                                   "slope: non-carrier", "slope: 7R carrier"}


def test_crossovers_table_matches_probing_crossover_on_a_direct_fit():
    from analysis.study.families import _example_data, crossovers
    from analysis.stats.models import fit_ols
    from analysis.stats.probing import crossover
    df = _example_data(300)
    res = study2(df, outcomes=("CO",), styles=("avoidant",))
    table = crossovers(df, res).set_index("gene")
    sub = df[["CO", "avoidant", "drd4_7r_carrier"]].dropna()
    g, a = sub["drd4_7r_carrier"].to_numpy(float), sub["avoidant"].to_numpy()
    fit = fit_ols(np.column_stack([np.ones(len(sub)), g, a, g * a]), sub["CO"].to_numpy(),
                  ["Intercept", "g", "a", "g:a"])
    direct = crossover(fit, "g", "g:a", a)
    assert table.loc["DRD4", "estimate"] == pytest.approx(direct.estimate, rel=1e-10)
    assert table.loc["DRD4", "std_error"] == pytest.approx(direct.std_error, rel=1e-10)
    assert table.loc["DRD4", "classification"] == direct.classification

"""The multiverse: every specification equals a separate statsmodels fit, the null draws equal
statsmodels on the gathered resample with the null imposed, and the grid is checked as data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import OLSInfluence

from analysis import paths
from analysis._errors import InputError
from analysis.study.claims import CLAIMS
from analysis.io.codebook import Codebook
from analysis.study.config import load_config
from analysis.io.readers import read_data
from analysis.study.multiverse import draw_counts, run_multiverse, weighted_fits
from analysis.study.specdata import build_variants
from analysis.study.specgrid import SpecGrid, default_grid

TOL = 1e-10          # estimate and SE against statsmodels (relative, plus this absolute floor)


@pytest.fixture(scope="module")
def study2():
    cfg = load_config()
    grid = default_grid(cfg)
    ds = read_data(paths.SIMULATED / "study2.csv")
    book = Codebook.load(paths.SIMULATED / "study2_codebook.yaml")
    return cfg, grid, ds, book, build_variants("study2", ds, book, grid)


@pytest.fixture(scope="module")
def result(study2):
    cfg, grid, _, _, v = study2
    claims = tuple(c for c in CLAIMS if c.id in ("S1c", "S2b", "S2c"))
    return run_multiverse({1: v, 2: v}, grid, sesoi=dict(cfg["claims"]["sesoi"]), seed=3,
                          draws=30, claims=claims)


# ------------------------------------------------------------- independent construction
def _score(raw, spec, rule):
    items = [c for c in spec.items if not (rule == "without_reworded" and c in spec.reverse)]
    frame = raw[items].astype(float).copy()
    for c in spec.reverse:
        if c in items:
            frame[c] = spec.min + spec.max - frame[c]
    answered = frame.notna().sum(axis=1)
    need = len(items) if rule == "all_answered" else spec.min_answered * len(items)
    return frame.mean(axis=1).where(answered >= need - 1e-9)


def _genotype(raw, kind):
    d4 = raw["drd4_vntr"].astype("string").str.split("/", expand=True)
    a, b = pd.to_numeric(d4[0]), pd.to_numeric(d4[1])
    d2 = raw["drd2_taq1a"].astype("string")
    a1 = d2.str.count("A1").astype("Float64")
    out = {"drd4_7r_carrier": ((a == 7) | (b == 7)).astype(float),
           "drd4_7r_count": (a == 7).astype(float) + (b == 7).astype(float),
           "drd4_long": ((a >= 6) | (b >= 6)).astype(float),
           "drd2_a1_carrier": (a1 >= 1).astype(float), "drd2_a1_count": a1.astype(float),
           "drd2_a1a1": (a1 == 2).astype(float)}[kind]
    missing = a.isna() if kind.startswith("drd4") else d2.isna()
    return out.astype(float).mask(missing.to_numpy())


def _rare(raw):
    d4 = raw["drd4_vntr"].astype("string").str.split("/", expand=True).apply(pd.to_numeric)
    counts = pd.concat([d4[0], d4[1]]).value_counts()
    rare = set(counts[counts / counts.sum() < 0.05].index)
    return (d4[0].isin(rare) | d4[1].isin(rare)).to_numpy()


def _statsmodels_fit(row, raw, book):
    """The specification built from the raw file with pandas and fitted by statsmodels."""
    y = _score(raw, book.scales[row["outcome"]], row["scoring"])
    g = _genotype(raw, row["genotype"])
    cols = {"const": np.ones(len(raw))}
    if pd.isna(row["style"]):
        cols["g"] = g
        if row.get("loci", "both") == "both":
            other = "drd2_a1_carrier" if row["gene"] == "DRD4" else "drd4_7r_carrier"
            cols["other"] = _genotype(raw, other)
        term = "g"
    else:
        a = _score(raw, book.scales[row["style"]], row["scoring"])
        cols.update(a=a, g=g, ga=a * g)
        term = "ga"
    if row["covariates"] != "none":
        age, female = raw["age"].astype(float), (raw["gender"] == "male").astype(float)
        for name, x in (("age", age), ("gender", female)):
            cols[name] = x
            if row["covariates"] in ("keller_gene", "keller_full"):
                cols[name + ":g"] = x * g
            if row["covariates"] == "keller_full":
                cols[name + ":a"] = x * cols["a"]
    X = pd.DataFrame(cols)
    keep = X.notna().all(axis=1) & y.notna()
    if row["sample"] == "common_drd4_alleles":
        keep &= ~_rare(raw)
    X, y = X[keep].to_numpy(float), y[keep].to_numpy(float)
    if row["outliers"] == "studentized":
        t = OLSInfluence(sm.OLS(y, X).fit()).resid_studentized_external
        X, y = X[np.abs(t) <= 3], y[np.abs(t) <= 3]
    elif row["outliers"] == "winsorize":
        y = np.clip(y, *np.quantile(y, [0.01, 0.99]))
    fit = sm.OLS(y, X).fit(cov_type="nonrobust" if row["se"] == "ols" else row["se"])
    j = list(cols).index(term)
    return fit.params[j], fit.bse[j], len(y)


def test_random_specifications_equal_separate_statsmodels_fits(result, study2):
    _, _, ds, book, _ = study2
    raw = ds.frame
    specs = result.specifications()
    sample = specs.sample(40, random_state=20140204)
    for _, row in sample.iterrows():
        est, se, n = _statsmodels_fit(row, raw, book)
        assert row["n"] == n, row.to_dict()
        np.testing.assert_allclose(row["estimate"], est, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(row["std_error"], se, rtol=TOL, atol=TOL)


def test_null_draws_equal_statsmodels_on_the_gathered_resample_with_the_null_imposed():
    """``b*_j = b_dj - b_j`` and identical SEs: the fit of a draw to ``y - b_j x_j``."""
    rng = np.random.default_rng(5)
    n = 90
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n).astype(float)])
    X = np.column_stack([X, X[:, 1] * X[:, 2]])
    y = X @ [1.0, 0.3, 0.2, 0.5] + rng.normal(size=n) * (1 + 0.5 * np.abs(X[:, 1]))
    mask = np.ones(n, bool)
    mask[:7] = False
    counts = draw_counts(n, 6, seed=11, study=2)
    W = np.vstack([mask.astype(float), counts * mask])
    out = weighted_fits(np.where(mask[:, None], X, 0), np.where(mask, y, 0)[None], W, 3,
                        ("ols", "HC3", "HC1"))
    b = sm.OLS(y[mask], X[mask]).fit().params
    ystar = y - b[3] * X[:, 3]
    for d in range(6):
        rows = np.repeat(np.flatnonzero(mask), counts[d][mask].astype(int))
        for se in ("ols", "HC3", "HC1"):
            fit = sm.OLS(ystar[rows], X[rows]).fit(cov_type="nonrobust" if se == "ols" else se)
            np.testing.assert_allclose(out["estimate"][0, d + 1] - out["estimate"][0, 0],
                                       fit.params[3], atol=1e-10)
            np.testing.assert_allclose(out["se"][se][0, d + 1], fit.bse[3], rtol=1e-10)
        assert out["df"][d + 1] == len(rows) - 4


def test_summaries_follow_from_the_specification_table(result):
    specs = result.specifications()
    for cid, curve in result.curves.items():
        s = curve.summary
        mine = specs[specs["claim"] == cid]
        assert s["n_specs"] == len(mine) > 100
        assert s["median_estimate"] == pytest.approx(mine["estimate"].median())
        sig = mine["p_value"] < result.alpha
        if s["kind"] == "positive":
            assert s["share_significant_predicted"] == pytest.approx(
                (sig & (np.sign(mine["estimate"]) == s["expected_sign"])).mean())
        else:
            assert s["share_equivalent"] == pytest.approx((mine["tost_p"] < result.alpha).mean())
        for p in ("p_median", "p_share", "p_stouffer"):
            assert 1 / 31 <= s[p] <= 1
    assert set(result.curves["S2c"].specs["model"]) == {f"SO ~ {g} x {s}" for g in ("DRD2", "DRD4")
                                                        for s in ("secure", "anxious", "avoidant")}


def test_tost_matches_claims_tost(result):
    from analysis.study.claims import tost
    row = result.curves["S2c"].specs.iloc[17]
    assert row["tost_p"] == pytest.approx(tost(row["estimate"], row["std_error"], row["df"],
                                               row["sesoi"])[0], rel=1e-12)


# ------------------------------------------------------------- the influence table
def _naive_between(est, codes):
    """The between-option sum of squares as the table computed it before the rounding bound."""
    grand = np.nanmean(est)
    return sum(int((codes == c).sum()) * (est[codes == c].mean() - grand) ** 2
               for c in np.unique(codes))


def test_influence_of_the_se_type_is_exactly_zero_and_names_both_options(result):
    """The SE type leaves every estimate alone: eta squared exactly 0 (it was ~1e-30, the
    rounding of the option means against the grand mean) and the option range names two
    different options with the same median (it was '[ols, ols]': both ends took the first
    of the tied medians)."""
    inf = result.influence()
    se = inf[inf["dimension"] == "se"]
    assert len(se) == len(result.curves)
    assert (se["eta_squared"] == 0.0).all()
    assert (se["option_low"] == "ols").all() and (se["option_high"] == "HC3").all()
    assert (se["median_low"] == se["median_high"]).all()
    moved = inf[inf["dimension"] != "se"]
    assert (moved["option_low"] != moved["option_high"]).all()


def test_eta_squared_rounding_bound_zeroes_only_rounding():
    """Unit check of the bound: duplicated estimates (an option that changes nothing) give
    exactly 0 where the unbounded formula gives rounding noise; a real effect of 1e-6 of
    the spread keeps the exact eta squared (Fractions, no rounding) to 1e-12."""
    from fractions import Fraction

    from analysis.study.multiverse import _influence
    rng = np.random.default_rng(2)          # a draw where the unbounded formula is not 0
    x = rng.normal(0.3, 0.1, 300)
    est = np.repeat(x, 2)                                 # each value once per SE type
    se = np.tile(["ols", "HC3"], 300)
    shift = np.repeat(np.where(rng.random(300) < 0.5, 1e-7, 0.0), 2)   # an option: +1e-7
    frame = pd.DataFrame({"estimate": est + shift, "se": se, "significant": False,
                          "outliers": np.where(shift > 0, "winsorize", "none")})
    codes = (se == "HC3").astype(int)
    assert _naive_between(est + shift, codes) > 0        # the defect the bound removes
    got = _influence("X", frame, ("se", "outliers")).set_index("dimension")
    assert got.loc["se", "eta_squared"] == 0.0
    assert (got.loc["se", "option_low"], got.loc["se", "option_high"]) == ("ols", "HC3")
    vals = [Fraction(v) for v in est + shift]
    grand = sum(vals) / len(vals)
    total = sum((v - grand) ** 2 for v in vals)
    between = Fraction(0)
    for flag in (True, False):
        g = [v for v, s in zip(vals, shift > 0) if s == flag]
        between += len(g) * (sum(g) / len(g) - grand) ** 2
    assert got.loc["outliers", "eta_squared"] == pytest.approx(float(between / total), rel=1e-12)
    assert got.loc["outliers", "eta_squared"] > 0


# ------------------------------------------------------------- the grid as data
def _grid(dims, **kw):
    return SpecGrid.from_mapping({"dimensions": dims, **kw}, where="test", user_defined=True)


_OPT = {"why": "a reason", "source": "a source"}


@pytest.mark.parametrize("data, message", [
    ({"dimensions": {"colour": {"red": _OPT}}}, "unknown multiverse dimension 'colour'"),
    ({"dimensions": {"se": {"robust": _OPT}}}, "unknown kind 'robust'"),
    ({"dimensions": {"se": {"ols": "just text"}}}, "must be a mapping with 'why' and 'source'"),
    ({"dimensions": {"se": {"ols": {"why": "x"}}}}, "needs a one-line 'why' and a 'source'"),
    ({"dimensions": {"outliers": {"s": {**_OPT, "kind": "studentized", "threshold": -1}}}},
     "out of range"),
    ({"dimensions": {"se": {"ols": _OPT}}, "exclude": {"x": "se=HC3"}}, "has no option 'HC3'"),
    ({"dimensions": {"se": {"ols": _OPT}}, "exclude": {"x": "colour=red"}}, "unknown dimension"),
    ({"dimensions": {"se": {"ols": _OPT}}, "draws": -5}, "draws must be a whole number"),
    ({"dims": {}}, "unknown multiverse key"),
])
def test_bad_grids_are_input_errors(data, message):
    with pytest.raises(InputError, match=message):
        SpecGrid.from_mapping(data, where="test", user_defined=True)


def test_default_grid_has_justified_sourced_options_and_hundreds_of_specs(result):
    grid = default_grid(load_config())
    options = grid.options_frame()
    assert (options["why"].str.len() > 10).all() and (options["source"].str.len() > 10).all()
    assert grid.draws >= 500
    assert all(100 <= c.summary["n_specs"] <= 5000 for c in result.curves.values())


def test_exclusion_rule_removes_matching_specifications(study2):
    cfg, grid, _, _, v = study2
    s2b = tuple(c for c in CLAIMS if c.id == "S2b")
    res = run_multiverse({2: v}, grid, seed=1, draws=0, claims=s2b)
    specs = res.specifications()
    assert not ((specs["genotype"] == "drd4_long") & (specs["sample"] == "common_drd4_alleles")).any()
    assert ((specs["genotype"] == "drd4_long") & (specs["sample"] == "all")).any()


def test_zero_specifications_left_is_an_input_error(study2):
    _, _, _, _, v = study2
    grid = _grid({"se": {"ols": _OPT}}, exclude={"all": "se=ols"})
    with pytest.raises(InputError, match="zero specifications"):
        run_multiverse({2: v}, grid, draws=0, claims=tuple(c for c in CLAIMS if c.id == "S2b"))


def test_user_option_that_cannot_apply_is_an_input_error(study2):
    _, _, ds, book, _ = study2
    no_covs = Codebook.from_dict({**book.to_dict(), "covariates": [], "reference": {}})
    grid = _grid({"covariates": {"codebook": _OPT}})
    v = build_variants("study2", ds, no_covs, grid)
    with pytest.raises(InputError, match="covariates.codebook cannot apply"):
        run_multiverse({2: v}, grid, draws=0, claims=tuple(c for c in CLAIMS if c.id == "S2b"))

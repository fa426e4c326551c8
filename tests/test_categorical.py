"""Multicategorical focal predictors and moderators against R (lm refits, emmeans,
car/clubSandwich): tests/reference/multicategorical.R, 1e-8 relative.

R codes the factors itself (treatment contrasts, contr.sum for effect coding) and gets
every group slope, pairwise difference and contrast at a moderator value by refitting
with another reference level or with the moderator shifted; the omnibus JN
boundaries come from uniroot() on refits.  Here everything is one fit and
linear combinations of it.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.moderation import probe

REF = Path(__file__).resolve().parent / "reference"
CASES = json.loads((REF / "multicategorical.json").read_text())["cases"]
FILES = {"sepal_length": "iris.csv", "interlocks": "ornstein.csv", "len": "toothgrowth.csv",
         "life_exp": "states.csv", "weight": "chickweight.csv", "prestige": "prestige.csv"}
RTOL = 1e-8
COLS = ("estimate", "std_error", "df", "p_value")


def _probe(case):
    data = pd.read_csv(REF / FILES[case["outcome"]])
    var = case["moderator"] if case["kind"] == "moderator" else case["focal"]
    kw = dict(outcome=case["outcome"], focal=case["focal"], moderator=case["moderator"],
              se=case["se"], cluster=case["cluster"] or None, weights=case["weights"] or None)
    if case["coding"] == "effect":
        kw.update(coding="effect", reference={var: case["levels"][-1]})   # contr.sum: last = -1
    else:
        kw.update(reference={var: case["levels"][0]})
    if var == "dose":
        kw["categorical"] = ["dose"]
    if case["kind"] == "focal":
        kw["at"] = case["at"]
    return probe(data, **kw)


def _check(frame, ref, msg):
    for col in COLS:
        np.testing.assert_allclose(frame[col].to_numpy(float), ref[col], rtol=RTOL,
                                   err_msg=f"{msg}: {col}")


def _coefficients_in_r_order(res, case):
    coefs = res.coefficients
    if case["coding"] == "effect":
        # R's contr.sum columns are the first g-1 levels; ours are the non-reference ones
        # in level order: the same columns when the reference is the last level.
        pass
    return coefs


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_r(name):
    case = CASES[name]
    res = _probe(case)
    _check(_coefficients_in_r_order(res, case), case["coefficients"], "coefficients")
    assert res.fit.r2 == pytest.approx(case["r2"], rel=RTOL)
    omni = res.omnibus_interaction
    ref = case["omnibus_interaction"]
    for key in ("statistic", "df_num", "df_den", "p_value"):
        assert omni[key] == pytest.approx(ref[key], rel=RTOL), key
    assert omni["r2_change"] == pytest.approx(case["r2_change"], rel=1e-7)
    if case["kind"] == "moderator":
        effects = res.conditional_effects()
        assert effects["label"].tolist() == [f"group={lv}" for lv in case["levels"]]
        _check(effects, case["group_effects"], "group effects")
        np.testing.assert_allclose(effects["estimate"], case["emtrends_estimate"], rtol=1e-7)
        np.testing.assert_allclose(effects["std_error"], case["emtrends_se"], rtol=1e-7)
        assert res.pairwise["label"].tolist() == case["pairwise_labels"]
        _check(res.pairwise, case["pairwise"], "pairwise")
    else:
        g = len(case["levels"])
        effects = res.conditional_effects()
        for i, w in enumerate(case["at"]):
            block = effects[effects["moderator_value"] == w]
            assert len(block) == g - 1
            _check(block, case["contrasts_at"][i], f"contrasts at {w}")
            row = res.omnibus_at[res.omnibus_at["moderator_value"] == w].iloc[0]
            for key in ("statistic", "df_num", "df_den", "p_value"):
                assert row[key] == pytest.approx(case["omnibus_at"][i][key], rel=RTOL)
        jn = res.omnibus_jn
        inside = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
        np.testing.assert_allclose(inside, np.atleast_1d(case["omnibus_jn"]), rtol=RTOL)


def test_omnibus_jn_solved_to_1e8():
    res = _probe(CASES["prestige_focal_ols"])
    jn = res.omnibus_jn
    assert jn.significant_region == "inside" and len(jn.bounds) >= 2
    for b in jn.bounds:
        row = res.fit.wald(np.eye(len(res.fit.terms))[[1, 2]] * 0 + _omnibus_rows(res, b))
        assert row[0] == pytest.approx(stats.f.ppf(0.95, row[1], row[2]), rel=1e-8)


def _omnibus_rows(res, w):
    terms = list(res.fit.terms)
    L = np.zeros((2, len(terms)))
    for r, lv in enumerate(["prof", "wc"]):
        L[r, terms.index(f"type={lv}")] = 1.0
        L[r, terms.index(f"type={lv}:education")] = w
    return L


def test_json_contract_names():
    res = _probe(CASES["iris_moderator_ols"])
    out = res.to_dict()
    terms = [c["term"] for c in out["coefficients"]]
    assert terms == ["Intercept", "sepal_width", "species=versicolor", "species=virginica",
                     "sepal_width:species=versicolor", "sepal_width:species=virginica"]
    assert set(out["omnibus_interaction"]) >= {"statistic", "df_num", "df_den", "p_value",
                                               "r2_change"}
    assert [e["label"] for e in out["conditional_effects"]] == [
        "group=setosa", "group=versicolor", "group=virginica"]
    assert out["categorical"]["matrix"]["setosa"] == [0.0, 0.0]
    json.dumps(out, allow_nan=False)


def test_effect_coding_matrix_and_invariance():
    case = CASES["iris_moderator_effect"]
    res = _probe(case)
    assert res.categorical.matrix.tolist() == [[1, 0], [0, 1], [-1, -1]]
    indicator = _probe(CASES["iris_moderator_ols"])
    # the coding changes the coefficients, never the group effects or the omnibus test
    pd.testing.assert_frame_equal(res.conditional_effects().set_index("label").sort_index(),
                                  indicator.conditional_effects().set_index("label").sort_index(),
                                  rtol=1e-10)

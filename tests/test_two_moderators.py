"""PROCESS Models 2 and 3 against R (lm refits with W and Z shifted, sandwich,
clubSandwich): tests/reference/two_moderators.R, 1e-8 relative."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats.moderation import probe

REF = Path(__file__).resolve().parent / "reference"
CASES = json.loads((REF / "two_moderators.json").read_text())["cases"]
FILES = {"prestige": "prestige3.csv", "uptake": "co2.csv", "life_exp": "states2.csv"}
RTOL = 1e-8
COLS = ("estimate", "std_error", "df", "p_value")


def _probe(case):
    data = pd.read_csv(REF / FILES[case["outcome"]])
    return probe(data, outcome=case["outcome"], focal=case["focal"], moderator=case["moderator"],
                 moderator2=case["moderator2"], model=case["model"], se=case["se"],
                 cluster=case["cluster"] or None, weights=case["weights"] or None,
                 at=sorted(set(case["grid_w"])), at2=sorted(set(case["grid_z"])))


def _check(frame, ref, msg):
    for col in COLS:
        np.testing.assert_allclose(frame[col].to_numpy(float), np.atleast_1d(ref[col]),
                                   rtol=RTOL, err_msg=f"{msg}: {col}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_r(name):
    case = CASES[name]
    res = _probe(case)
    _check(res.coefficients, case["coefficients"], "coefficients")
    assert res.fit.r2 == pytest.approx(case["r2"], rel=RTOL)
    eff = res.conditional_effects()
    np.testing.assert_allclose(eff["moderator_value"], case["grid_w"])
    np.testing.assert_allclose(eff["moderator2_value"], case["grid_z"])
    _check(eff, case["effects"], "effects on the W x Z grid")
    tests = res.tests.set_index("label")
    labels = {"xw": "X*W", "xz": "X*Z", "both": "both", "xwz": "X*W*Z"}
    for key, ref in case["tests"].items():
        row = tests.loc[labels[key]]
        for col in ("statistic", "df_num", "df_den", "p_value"):
            assert row[col] == pytest.approx(ref[col], rel=RTOL), (key, col)
        assert row["r2_change"] == pytest.approx(ref["r2_change"], rel=1e-7)
    if case["model"] == 3:
        _check(pd.DataFrame([res.index_mm]), case["index_mm"], "index of moderated moderation")
        _check(res.conditional_interaction, case["conditional_interaction"], "X*W at Z values")
        if "interaction_jn" in case:
            jn = res.interaction_jn
            inside = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
            np.testing.assert_allclose(inside, np.atleast_1d(case["interaction_jn"]), rtol=RTOL)


def test_region_grid_is_the_same_core():
    res = _probe(CASES["prestige_model3_ols"])
    reg = res.region
    assert len(reg) == 41 * 41
    b = dict(zip(res.fit.terms, res.fit.params))
    w, z = reg["moderator_value"].to_numpy(), reg["moderator2_value"].to_numpy()
    theta = (b["income"] + b["income:education"] * w + b["income:women"] * z
             + b["income:education:women"] * w * z)
    np.testing.assert_allclose(reg["estimate"], theta, rtol=1e-10)
    assert (reg["significant"] == (reg["p_value"] < 0.05)).all()
    # a JN boundary along W at a Z probe value lies where the region flips
    out = res.to_dict()
    json.dumps(out, allow_nan=False)
    assert out["model"] == 3 and out["index_of_moderated_moderation"]["term"] == \
        "income:education:women"


def test_region_figure_draws(tmp_path):
    from analysis.stats.twomoderators import significance_region_figure
    res = _probe(CASES["co2_model3_cr2"])
    fig = significance_region_figure(res)
    fig.savefig(tmp_path / "region.png")
    assert (tmp_path / "region.png").stat().st_size > 1000

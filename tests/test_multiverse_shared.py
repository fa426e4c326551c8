"""The multiverse's shared work changes no number: a model shared by claims is fitted once,
a sample's Gram matrix and winsorized outcome are shared by its specifications, and the
outcome-free parts of the HC sandwich are computed once per design.

Checked against computations that share nothing: each claim run alone, each
specification fitted alone (its own design, outlier rule and Gram matrix), and the
HC0-HC4 sandwich written out case by case.  Tolerance 1e-12 (relative, with that
absolute floor): the shared and unshared paths perform the same floating-point
operations except where stated, so they agree to the last bits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.study.claims import CLAIMS
from analysis.io.codebook import Codebook
from analysis.study.config import load_config
from analysis.io.readers import read_data
from analysis.stats.models import hc_weights
from analysis.study.multiverse import draw_counts, run_multiverse, weighted_fits
from analysis.study.specdata import apply_outlier_rule, build_variants, spec_design
from analysis.study.specgrid import default_grid

TOL = 1e-12
DRAWS = 20


@pytest.fixture(scope="module")
def setup():
    cfg = load_config()
    grid = default_grid(cfg)
    ds = read_data(paths.SIMULATED / "study2.csv")
    book = Codebook.load(paths.SIMULATED / "study2_codebook.yaml")
    v = build_variants("study2", ds, book, grid)
    return cfg, grid, v


def _run(setup, ids):
    cfg, grid, v = setup
    claims = tuple(c for c in CLAIMS if c.id in ids)
    return run_multiverse({1: v, 2: v}, grid, sesoi=dict(cfg["claims"]["sesoi"]), seed=7,
                          draws=DRAWS, claims=claims)


@pytest.fixture(scope="module")
def together(setup):
    # S2c and S2d share the SO ~ gene x {secure, anxious} models: fitted once here
    return _run(setup, ("S2c", "S2d"))


def test_claims_sharing_models_get_the_numbers_they_get_alone(setup, together):
    for cid in ("S2c", "S2d"):
        alone = _run(setup, (cid,)).curves[cid]
        shared = together.curves[cid]
        pd.testing.assert_frame_equal(shared.specs, alone.specs, rtol=TOL, atol=TOL)
        for key in ("median", "share", "stouffer"):
            np.testing.assert_allclose(shared.null[key], alone.null[key], rtol=TOL, atol=TOL)
        for key, value in alone.summary.items():
            if isinstance(value, float):
                np.testing.assert_allclose(shared.summary[key], value, rtol=TOL, atol=TOL)
            else:
                assert shared.summary[key] == value, key


def test_every_specification_equals_its_own_unshared_fit(setup, together):
    """Own design, own outlier rule, own Gram matrix (``xtx`` not given), one outcome."""
    _, grid, v = setup
    counts = draw_counts(v.n, DRAWS, 7, 2)
    specs = together.specifications()
    picked = specs.sample(30, random_state=1206)
    assert set(picked["outliers"]) == {"none", "studentized", "winsorize"}
    assert set(picked["se"]) == {"ols", "HC3"}
    for _, row in picked.iterrows():
        spec = {d: row[d] for d in ("genotype", "scoring", "covariates", "sample")}
        d = spec_design(v, (row["outcome"], row["gene"], row["style"]), spec, grid)
        y, mask = apply_outlier_rule(d, grid.option("outliers", row["outliers"]))
        W = np.vstack([mask.astype(float), counts * mask])
        out = weighted_fits(d.X, y[None], W, d.column, (row["se"],))
        np.testing.assert_allclose(row["estimate"], out["estimate"][0, 0], rtol=TOL, atol=TOL)
        np.testing.assert_allclose(row["std_error"], out["se"][row["se"]][0, 0],
                                   rtol=TOL, atol=TOL)
        assert row["n"] == mask.sum()


@np.errstate(divide="ignore", invalid="ignore")
def _sandwich_case_by_case(X, y, W, j, se):
    """HC SE of coefficient ``j`` per weight row, summed case by case (no sharing)."""
    out = []
    for c in W:
        xtx = (X * c[:, None]).T @ X
        inv = np.linalg.inv(xtx)
        b = inv @ (X * c[:, None]).T @ y
        e = y - X @ b
        h = np.einsum("ij,jk,ik->i", X, inv, X)
        omega = np.where(c > 0, hc_weights(e, h, c.sum(), X.shape[1], se), 0.0)
        var = np.sum(c * omega * (X @ inv[j]) ** 2)
        if se in ("HC2", "HC3", "HC4") and np.any((c > 0) & (h > 1 - 1e-10)):
            var = np.nan
        out.append(np.sqrt(var))
    return np.array(out)


def _far_case_design():
    """Data with a case (0) that draw 2 leaves out and whose leverage under draw 2's fit
    is between 1 and 4k/n (its HC4 weight ``e^2 / (1-h)^delta`` is NaN, its HC2 weight
    negative), and a dummy carried by cases 1 and 2, of which draw 3 draws case 1 once
    and case 2 not at all (leverage 1: HC2-HC4 undefined there)."""
    rng = np.random.default_rng(12)
    n = 14
    dummy = np.zeros(n)
    dummy[1:3] = 1.0
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3)), dummy])
    W = np.vstack([np.ones(n), rng.multinomial(n, np.full(n, 1 / n), size=3)]).astype(float)
    W[1:3, 1] = 2.0
    W[2, 0] = 0.0
    W[3, 1:3] = [1.0, 0.0]
    inv = np.linalg.inv((X * W[2][:, None]).T @ X)    # draw 2's fit does not involve case 0
    target = (1.0 + 4 * X.shape[1] / W[2].sum()) / 2
    lo, hi = X[1:, 1].mean(), 100.0                   # leverage rises with |x - mean|
    for _ in range(200):
        X[0, 1] = (lo + hi) / 2
        lo, hi = (X[0, 1], hi) if X[0] @ inv @ X[0] < target else (lo, X[0, 1])
    y = X @ [0.5, 0.2, -0.3, 0.1, 0.4] + rng.normal(size=n)
    return X, y, W


@pytest.mark.parametrize("se", ["HC0", "HC1", "HC2", "HC3", "HC4"])
def test_hc_standard_errors_equal_the_sandwich_summed_case_by_case(se):
    X, y, W = _far_case_design()
    expected = _sandwich_case_by_case(X, y, W, 1, se)
    got = weighted_fits(X, np.vstack([y, 2 * y]), W, 1, ("ols", se))
    np.testing.assert_allclose(got["se"][se][0], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["se"][se][1], 2 * expected, rtol=1e-10, atol=1e-12)
    if se in ("HC2", "HC3", "HC4"):
        assert np.isnan(got["se"][se][0, 3]) and np.isfinite(got["se"][se][0, :3]).all()
    else:
        assert np.isfinite(got["se"][se][0]).all()


def test_the_far_case_makes_the_hc4_weight_nan_where_it_is_not_drawn():
    """The design above does what it says (else the HC4 test would not test the masking)."""
    X, y, W = _far_case_design()
    inv = np.linalg.inv((X * W[2][:, None]).T @ X)
    h0 = X[0] @ inv @ X[0]
    assert 1.0 < h0 < 4 * X.shape[1] / W[2].sum()
    b = inv @ (X * W[2][:, None]).T @ y
    with np.errstate(invalid="ignore"):
        w = hc_weights(np.array([y[0] - X[0] @ b]), np.array([h0]), W[2].sum(), X.shape[1],
                       "HC4")
    assert np.isnan(w[0])


@pytest.mark.parametrize("n", [1, 2, 7, 600, 1301])
def test_column_medians_equal_nanmedian(n):
    from analysis.study.multiverse import _column_medians

    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, 40))
    assert np.array_equal(_column_medians(a), np.nanmedian(a, axis=0))
    a[rng.random(a.shape) < 0.05] = np.nan
    a[:, 3] = np.nan
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="All-NaN"):
        expected = np.nanmedian(a, axis=0)
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        got = _column_medians(a)
    assert np.array_equal(got, expected, equal_nan=True)


def test_the_run_memo_changes_no_number(setup, monkeypatch):
    """Screening results, designs and outlier rules kept for reuse across claims and for the
    fits (within a byte budget) give the numbers of a run that keeps nothing (budget 0:
    every design and rule built again where it is needed), bit for bit."""
    from analysis.study import multiverse as mv
    cfg, grid, v = setup
    claims = tuple(c for c in CLAIMS if c.id in ("S2c", "S2d"))
    kw = dict(sesoi=dict(cfg["claims"]["sesoi"]), seed=5, draws=12, claims=claims)
    kept = run_multiverse({2: v}, grid, **kw)
    monkeypatch.setattr(mv, "_MEMO_BYTES", 0)
    rebuilt = run_multiverse({2: v}, grid, **kw)
    pd.testing.assert_frame_equal(kept.specifications(), rebuilt.specifications(), check_exact=True)
    for cid in kept.curves:
        for key in ("median", "share", "stouffer"):
            np.testing.assert_array_equal(kept.curves[cid].null[key], rebuilt.curves[cid].null[key])

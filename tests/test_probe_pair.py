"""probe_pair (one fit, both orientations) against two probe calls; OLSFit.permuted."""
import math

import numpy as np
import pandas as pd
import pytest

from analysis._errors import InputError
from analysis.stats.models import TALL_QR_ROWS, fit_ols
from analysis.stats.moderation import prepare_columns, probe, probe_pair


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    a = rng.normal(4, 1, n)
    c = rng.normal(40, 10, n)
    y = 1 + 0.3 * g + 0.2 * a + 0.4 * g * (a - 4) + 0.01 * c + rng.normal(size=n) * (1 + 0.3 * a)
    df = pd.DataFrame({"y": y, "a": a, "g": g, "c": c, "w": rng.uniform(0.5, 2, n)})
    df.loc[rng.choice(n, n // 20, replace=False), "a"] = np.nan      # listwise deletion
    return df


def _close(ours, ref, path="", rel=1e-12):
    """Recursive comparison of two to_dict() results: floats to ``rel`` relative or ``rel``
    absolute (values that are zero up to rounding, e.g. a CI limit at a JN boundary, where
    both are ~1e-15 of opposite rounding), everything else exactly."""
    if isinstance(ref, dict):
        assert ours.keys() == ref.keys(), path
        for key in ref:
            _close(ours[key], ref[key], f"{path}.{key}", rel)
    elif isinstance(ref, (list, tuple)):
        assert len(ours) == len(ref), path
        for i, (o, r) in enumerate(zip(ours, ref)):
            _close(o, r, f"{path}[{i}]", rel)
    elif isinstance(ref, float) and not isinstance(ref, bool):
        assert math.isclose(ours, ref, rel_tol=rel, abs_tol=rel) or (
            math.isnan(ours) and math.isnan(ref)), (path, ours, ref)
    else:
        assert ours == ref, (path, ours, ref)


@pytest.mark.parametrize("options", [
    {},
    {"covariates": ["c"], "se": "HC3"},
    {"covariates": ["c"], "weights": "w", "jn_fdr": True},
    {"se": "HC1", "alpha": 0.1},
])
def test_pair_equals_two_probes(options):
    df = _data()
    pair = probe_pair(df, outcome="y", focal="a", moderator="g", **options)
    fwd = probe(df, outcome="y", focal="a", moderator="g", **options)
    rev = probe(df, outcome="y", focal="g", moderator="a", **options)
    # Below TALL_QR_ROWS both orientations are computed exactly as probe computes them.
    assert pair.forward.to_dict() == fwd.to_dict()
    assert pair.reverse.to_dict() == rev.to_dict()
    assert pair.reverse.jn is not None and pair.forward.jn is None
    assert pair.reverse.r2_change == pytest.approx(rev.r2_change, rel=1e-10)
    cols = ["y", "a", "g", *options.get("covariates", [])]
    frame, _, _ = prepare_columns(df, cols)
    if "weights" not in options:
        pd.testing.assert_frame_equal(pair.frame, frame)


@pytest.mark.parametrize("options", [{"covariates": ["c"], "se": "HC3"},
                                     {"weights": "w", "jn_fdr": True}])
def test_pair_on_a_tall_sample_equals_two_probes(options, monkeypatch):
    # From TALL_QR_ROWS on the reverse orientation is the forward fit permuted, not a refit:
    # equal up to rounding (1e-10 relative or absolute: values that are zero up to
    # rounding, such as a CI limit at a JN boundary, differ by ~1e-15).
    df = _data(n=TALL_QR_ROWS + 2_000, seed=1)
    from analysis.stats import models
    refits = []
    real = models.fit_ols
    monkeypatch.setattr("analysis.stats.moderation.fit_ols",
                        lambda *a, **k: refits.append(1) or real(*a, **k))
    pair = probe_pair(df, outcome="y", focal="a", moderator="g", **options)
    assert len(refits) == 2                      # the model and its reduced model, once
    monkeypatch.undo()
    fwd = probe(df, outcome="y", focal="a", moderator="g", **options)
    rev = probe(df, outcome="y", focal="g", moderator="a", **options)
    assert pair.forward.to_dict() == fwd.to_dict()
    _close(pair.reverse.to_dict(), rev.to_dict(), rel=1e-10)


def test_pair_refuses_a_multicategorical_variable():
    df = _data()
    df["grp"] = np.random.default_rng(2).choice(["x", "y", "z"], len(df))
    with pytest.raises(InputError, match="multicategorical: use probe"):
        probe_pair(df, outcome="y", focal="a", moderator="grp")


def test_pair_checks_like_probe():
    df = _data()
    with pytest.raises(InputError, match="no such column"):
        probe_pair(df, outcome="y", focal="a", moderator="gg")
    with pytest.raises(InputError, match="alpha"):
        probe_pair(df, outcome="y", focal="a", moderator="g", alpha=1.5)


def test_permuted_fit_is_the_refit_with_columns_reordered():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(200), rng.normal(size=(200, 3))])
    y = X @ [1, 2, 3, 4] + rng.normal(size=200)
    fit = fit_ols(X, y, ["i", "a", "b", "c"], se="HC3")
    order = [0, 3, 1, 2]
    perm = fit.permuted(order, ["i", "c", "a", "b"])
    ref = fit_ols(X[:, order], y, ["i", "c", "a", "b"], se="HC3")
    np.testing.assert_allclose(perm.params, ref.params, rtol=1e-12)
    np.testing.assert_allclose(perm.vcov, ref.vcov, rtol=1e-11)
    assert perm.rss == fit.rss and perm.terms == ("i", "c", "a", "b")
    with pytest.raises(ValueError, match="not a permutation"):
        fit.permuted([0, 1, 1, 2], ["i", "a", "a", "b"])
    clustered = fit_ols(X, y, ["i", "a", "b", "c"], se="CR1", cluster=np.arange(200) % 10)
    with pytest.raises(ValueError, match="cluster-robust"):
        clustered.permuted(order, ["i", "c", "a", "b"])


# ------------------------------------------------------- sample preparation (no pandas copies)
@pytest.mark.parametrize("values", [
    [1.0, 1.0, 1.0], [1.0, np.nan, 1.0], [np.nan, np.nan], [0.0, 1.0, 0.0, np.nan],
    [0.0, -0.0, 2.0], [3.0, 1.0, 2.0, 1.0], [], [5.0]])
def test_n_distinct_is_nunique_capped_at_three(values):
    from analysis.stats.moderation import _n_distinct
    series = pd.Series(values, dtype=float)
    assert _n_distinct(series) == min(series.nunique(), 3)
    assert _n_distinct(series.to_numpy()) == min(series.nunique(), 3)
    assert _n_distinct(series.astype(str)) == min(series.astype(str).nunique(), 3)


def test_first_infinite_cell_is_reported_row_by_row():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4], "a": [1.0, 2, np.inf, 4], "g": [0.0, np.inf, 1, 0]})
    with pytest.raises(InputError, match="infinite") as err:
        prepare_columns(df, ["y", "a", "g"])
    assert err.value.column == "g" and err.value.rows == [2]      # row 2 before row 3


def test_complete_case_frame_equals_dropna():
    df = _data(n=500, seed=8)
    df.loc[[3, 7], "c"] = np.nan
    frame, _, dropped = prepare_columns(df, ["y", "a", "g", "c"])
    ref = df[["y", "a", "g", "c"]].astype(float).dropna().reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, ref)
    assert dropped == len(df) - len(ref)
    full, _, none = prepare_columns(df, ["y", "g"])                # nothing missing
    pd.testing.assert_frame_equal(full, df[["y", "g"]].astype(float))
    assert none == 0

"""Monte Carlo checks of the joint test (Simonsohn, Simmons & Nelson 2020) on a small multiverse.

DGP: ``y = 0.3 a + 0.3 g + beta g a + e`` with ``g`` the 7R carrier code of a
binomial allele count and ``a`` a standard normal style; 8 specifications
(carrier / allele count x outcome as is / winsorized x OLS / HC3 SEs).
Under ``beta = 0`` each joint p-value must reject at 5% about 5% of the time:
within 3 Monte Carlo standard errors ``3 sqrt(0.05 x 0.95 / R)``; the
rejection rate must rise with ``beta`` by more than 3 standard errors of the
difference.  Bounded replications keep it to a few seconds.
"""
from __future__ import annotations

import numpy as np
import pytest

from analysis.study.claims import CLAIMS
from analysis.study.multiverse import run_multiverse
from analysis.study.specdata import variants_from_frames
from analysis.study.specgrid import SpecGrid

pytestmark = pytest.mark.slow

N, DRAWS, ALPHA = 120, 99, 0.05
S2B = tuple(c for c in CLAIMS if c.id == "S2b")
_O = {"why": "test option", "source": "test"}
GRID = SpecGrid.from_mapping({"dimensions": {
    "genotype": {"drd4_7r_carrier": _O, "drd4_7r_count": _O},
    "outliers": {"none": _O, "winsorize": {**_O, "lower": 0.02, "upper": 0.98}},
    "se": {"ols": _O, "HC3": _O}}}, where="mc", user_defined=True)


def _rates(beta: float, reps: int, seed: int) -> dict:
    hits = {"p_median": 0, "p_share": 0, "p_stouffer": 0}
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        a = rng.normal(size=N)
        count = rng.binomial(2, 0.25, N).astype(float)
        g = (count > 0).astype(float)
        y = 0.3 * a + 0.3 * g + beta * g * a + rng.normal(size=N)
        v = variants_from_frames("mc", scores={"codebook_rule": {"CO": y, "avoidant": a}},
                                 genes={"drd4_7r_carrier": g, "drd4_7r_count": count},
                                 min_group_size=5)
        s = run_multiverse({2: v}, GRID, draws=DRAWS, seed=rep, claims=S2B,
                           tables=False).curves["S2b"].summary
        assert s["n_specs"] == 8
        for k in hits:
            hits[k] += s[k] <= ALPHA
    return {k: h / reps for k, h in hits.items()}


@pytest.fixture(scope="module")
def null_rates():
    return _rates(0.0, 200, 1)


def test_type_one_error_within_monte_carlo_bounds(null_rates):
    bound = 3 * np.sqrt(ALPHA * (1 - ALPHA) / 200)
    for name, rate in null_rates.items():
        assert abs(rate - ALPHA) <= bound, (name, rate, bound)


def test_power_rises_with_the_effect(null_rates):
    reps = 60
    small, large = _rates(0.25, reps, 2), _rates(0.5, reps, 3)
    for name in null_rates:
        rates = [null_rates[name], small[name], large[name]]
        sizes = [200, reps, reps]
        for (r0, n0), (r1, n1) in zip(zip(rates, sizes), zip(rates[1:], sizes[1:])):
            se = np.sqrt(r0 * (1 - r0) / n0 + r1 * (1 - r1) / n1)
            assert r1 - r0 > 3 * max(se, 0.02), (name, rates)

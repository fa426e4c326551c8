"""Power curves and replication probabilities by batched simulation.

Two questions a reader of a candidate-gene x environment study should ask
(Duncan & Keller 2011, doi:10.1176/appi.ajp.2011.11020191):

* **How many salespeople would a study need?**  :func:`power_curve` simulates
  studies of the configured design at each sample size of a grid, fits the
  Study 2 interaction models and judges every claim, and reports the power of
  each of the 12 gene x attachment tests and the share of studies in which each
  claim is reproduced, with Monte Carlo intervals and the smallest N reaching
  80% / 90% (:meth:`PowerResult.min_n`).
* **How often would a study like the original reproduce each claim?**
  :func:`replication_probabilities` runs (by default) 10,000 simulated studies
  at the configured sample sizes.

Every batch of fits goes through :func:`analysis.stats.fastols.batch_ols` (no Python
loop per fit).  Work is split into fixed *blocks* of simulations, each with its
own random stream ``SeedSequence(seed, spawn_key=key + (b,))`` (that is,
``SeedSequence(seed, spawn_key=key).spawn(n_blocks)[b]``), and blocks are grouped
into chunks that run serially, on local cores (joblib) or on a Dask cluster;
results are identical whatever ``n_jobs``, ``chunk`` or ``scheduler``.

The simulated effects are **assumptions** (``data/simulation.yaml`` or the
command line), not the article's numbers: every output says so.

Monte Carlo uncertainty: a simulated power ``p`` from ``R`` studies has
standard error ``sqrt(p (1 - p) / R)``; intervals are Wilson score intervals
(Wilson 1927, doi:10.1080/01621459.1927.10502953), which keep their coverage
near 0 and 1 where the Wald interval fails (Brown, Cai & DasGupta 2001,
doi:10.1214/ss/1009213286).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._errors import InputError
from ..study.batchclaims import (INTERACTIONS, REPRODUCED, VERDICT_CODES, interaction_name,
                          sesoi_arrays, study1_inputs, study2_inputs, verdict_codes)
from .montecarlo import BLOCK, Chunk, block_seeds, execute, plan, stack

__all__ = ["analytic_interaction_power", "simulated_interaction_power", "type_s_m",
           "wilson_interval", "PowerResult", "ReplicationProbabilities"]

_ASSUMPTION_NOTE = ("Effect sizes, sample sizes and allele frequencies are assumptions "
                    "({source}), not the article's estimates.")


# ================================================================= closed forms
def analytic_interaction_power(n, b_ga: float, carrier_share: float, sigma: float = 1.0,
                               var_a: float = 1.0, alpha: float = 0.05, k: int = 4,
                               design: str = "random", nodes: int = 24):
    r"""Power of the t test of a binary G x continuous A interaction (G independent of A).

    Model ``Y = b0 + b_g G + b_a A + b_GA G A + e``, ``e ~ N(0, sigma^2)``,
    ``G ~ Bernoulli(pi)``, ``A ~ N(mu, var_a)``, fitted by OLS with the t test of
    ``b_GA`` on ``n - k`` df.  Given the design, ``t`` is noncentral t with
    :math:`\lambda = b_{GA} / (\sigma \sqrt{1/SS_1 + 1/SS_0})`, where
    :math:`SS_g` is the within-group sum of squares of A (the interaction is the
    difference of the two groups' slopes).

    ``design="random"`` (default, exact): the power is averaged over the design.
    With ``m ~ Binomial(n, pi)`` carriers, :math:`SS_1 + SS_0 = S \sim
    \operatorname{var}(A)\chi^2_{n-2}` and :math:`B = SS_1/S \sim
    \mathrm{Beta}((m-1)/2, (n-m-1)/2)` are independent, and
    :math:`1/(1/SS_1 + 1/SS_0) = S B (1 - B)`; the conditional power is
    integrated over S and B by Gauss-Legendre quadrature on their quantile
    scales (``nodes`` points each) and summed over the binomial distribution of
    ``m``.  Samples with fewer than 2 people in a group are rank deficient and
    count as not significant (as in :func:`simulated_interaction_power`).

    ``design="fixed"``: the textbook approximation that treats the design at its
    expectation, :math:`\lambda = b_{GA}\sqrt{n\pi(1-\pi)\operatorname{var}(A)}/\sigma`
    (McClelland & Judd 1993, doi:10.1037/0033-2909.114.2.376; methods.md section 7).
    It ignores the sampling variability of the carrier count and of SS and is
    OPTIMISTIC: at n = 150, pi = 0.36, b = 0.25 it gives 0.309 against the exact
    0.299 (checked against 30,000 simulations in ``tests/test_power.py``).

    Parameters
    ----------
    n : int or array of int
        Sample size(s).
    b_ga : float
        Interaction coefficient (difference between the groups' slopes of Y on A).
    carrier_share : float
        Share ``pi`` of the group coded 1.
    sigma, var_a : float
        Residual SD of Y; variance of A.
    alpha : float
        Two-sided level.
    k : int
        Parameters in the model (4: intercept, G, A, G x A).
    design : {"random", "fixed"}
    nodes : int
        Quadrature points per dimension (``random``); 24 gives ~1e-6.

    Examples
    --------
    >>> round(float(analytic_interaction_power(200, 0.0, 0.36)), 3)
    0.05
    >>> round(float(analytic_interaction_power(400, 0.3, 0.36, design="fixed")), 3)
    0.819
    >>> round(float(analytic_interaction_power(150, 0.25, 0.36)), 3)
    0.299
    """
    from scipy import stats

    if not 0.0 < carrier_share < 1.0:
        raise InputError("carrier_share must be strictly between 0 and 1", values=[carrier_share])
    if design not in ("random", "fixed"):
        raise InputError("design must be 'random' or 'fixed'", values=[design])
    n_arr = np.asarray(n, dtype=float)
    if design == "fixed":
        df = n_arr - k
        ncp = b_ga * np.sqrt(n_arr * carrier_share * (1.0 - carrier_share) * var_a) / sigma
        tcrit = stats.t.ppf(1.0 - alpha / 2.0, df)
        return stats.nct.sf(tcrit, df, ncp) + stats.nct.cdf(-tcrit, df, ncp)
    flat = [_random_design_power(int(v), b_ga, carrier_share, sigma, var_a, alpha, k, nodes)
            for v in n_arr.ravel()]
    return np.asarray(flat, dtype=float).reshape(n_arr.shape)


def _random_design_power(n, b_ga, pi, sigma, var_a, alpha, k, nodes) -> float:
    """Power averaged over m ~ Bin(n, pi), S ~ var_a chi2(n-2), B ~ Beta((m-1)/2, (n-m-1)/2)."""
    from scipy import special, stats

    df = n - k
    if df < 1:
        return math.nan
    tcrit = stats.t.ppf(1.0 - alpha / 2.0, df)
    u, w = special.roots_legendre(nodes)
    u, w = (u + 1.0) / 2.0, w / 2.0                      # Gauss-Legendre on (0, 1)
    m = np.arange(2, n - 1)                              # both groups >= 2 people
    pmf = stats.binom.pmf(m, n, pi)
    keep = pmf > 1e-12 * pmf.max()
    m, pmf = m[keep], pmf[keep]
    s = stats.chi2.ppf(u, n - 2) * var_a                                  # (q,)
    beta = stats.beta.ppf(u[None, :], (m[:, None] - 1) / 2.0, (n - m[:, None] - 1) / 2.0)
    info = s[None, :, None] * (beta * (1.0 - beta))[:, None, :]           # (M, q, q)
    ncp = b_ga * np.sqrt(info) / sigma
    cond = stats.nct.sf(tcrit, df, ncp) + stats.nct.cdf(-tcrit, df, ncp)
    if b_ga == 0:
        cond = np.full_like(ncp, alpha)
    inner = np.einsum("mij,i,j->m", cond, w, w)
    return float(np.sum(pmf * inner))


def wilson_interval(successes, trials, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval for a binomial proportion (Wilson 1927).

    .. math::

        \frac{\hat p + z^2/2R \pm z\sqrt{\hat p(1-\hat p)/R + z^2/4R^2}}{1 + z^2/R}

    Examples
    --------
    >>> [round(float(x), 4) for x in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    from scipy import stats

    x = np.asarray(successes, dtype=float)
    r = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2.0)
    p = x / r
    centre = (p + z * z / (2 * r)) / (1 + z * z / r)
    half = z * np.sqrt(p * (1 - p) / r + z * z / (4 * r * r)) / (1 + z * z / r)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def type_s_m(estimates, significant, true_value: float) -> tuple[float, float]:
    r"""Sign-error rate and exaggeration ratio among significant results.

    Gelman & Carlin (2014, doi:10.1177/1745691614551642): among estimates
    that reached significance, the type S error rate is the share with the
    sign opposite to the true effect, and the exaggeration ratio (type M) is
    :math:`E(|\hat b| \mid \text{significant}) / |b|`.  Both are undefined
    (NaN) when no estimate is significant or the true effect is 0.

    Examples
    --------
    >>> type_s_m([0.5, -0.2, 0.1], [True, True, False], 0.25)
    (0.5, 1.4)
    """
    est = np.asarray(estimates, dtype=float)
    sig = np.asarray(significant, dtype=bool) & np.isfinite(est)
    if not sig.any() or not np.isfinite(true_value) or true_value == 0:
        return math.nan, math.nan
    chosen = est[sig]
    type_s = float(np.mean(np.sign(chosen) != np.sign(true_value)))
    return type_s, float(np.mean(np.abs(chosen)) / abs(true_value))


# ================================================================= power result
_POWER_COLUMNS = ("n", "target", "kind", "power", "mc_se", "conf_low", "conf_high", "reps",
                  "reference_value", "mean_estimate", "type_s", "exaggeration")


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerResult:
    """Simulated power over a grid of sample sizes.

    Attributes
    ----------
    rows : tuple of dict
        One row per (n, target): ``n``; ``target`` (a claim id such as ``S2b``
        or an interaction such as ``CO:drd4_7r_x_avoidant``); ``kind``
        (``claim`` or ``interaction``); ``power`` (share of the ``reps``
        simulated studies in which the claim is reproduced or the test is
        significant); ``mc_se`` = sqrt(power (1 - power) / reps);
        ``conf_low``/``conf_high`` (95% Wilson interval); ``reps``; for
        interactions also ``reference_value`` (the true coefficient of the
        fitted model, see :func:`power_curve`), ``mean_estimate``, ``type_s``
        (sign-error rate among significant results) and ``exaggeration``
        (type M ratio; Gelman & Carlin 2014).
    n_grid : tuple of int
    targets : tuple of str
    reps : int
        Simulated studies per grid point.
    seed : int
    se : str
        Covariance type of every test (``ols``, ``HC0``..``HC4``).
    alpha : float
    interval : str
        ``"wilson"``: the Monte Carlo interval method.
    effects : dict
        The assumed effects the simulation used (name -> value).
    assumptions : str
        The statement that the effects are assumptions, and where they come from.
    """

    rows: tuple = field(repr=False)
    n_grid: tuple
    targets: tuple
    reps: int
    seed: int
    se: str = "ols"
    alpha: float = 0.05
    interval: str = "wilson"
    effects: Mapping = field(default_factory=dict, repr=False)
    assumptions: str = ""

    def to_frame(self):
        """One row per (n, target); columns as in :attr:`rows`."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(_POWER_COLUMNS))

    def min_n(self, target: str, level: float = 0.8) -> dict:
        """Smallest N in the grid whose power reaches ``level``, with a Monte Carlo range.

        ``n`` is the smallest grid N whose estimated power is >= ``level``;
        ``n_low`` the smallest whose upper 95% bound reaches it (the level may
        already be reached there) and ``n_high`` the smallest whose lower bound
        reaches it (the level is reached there with 95% confidence, and stays
        reached at every larger N of the grid).  ``None`` when not reached in
        the grid.  Grid values only: no interpolation.
        """
        rows = [r for r in self.rows if r["target"] == target]
        if not rows:
            raise InputError(f"unknown power target {target!r}",
                             hint="choose one of " + ", ".join(self.targets))
        rows.sort(key=lambda r: r["n"])
        return {"target": target, "level": float(level),
                "n": _first_n(rows, "power", level), "n_low": _first_n(rows, "conf_high", level),
                "n_high": _first_n(rows, "conf_low", level, stay=True)}

    def to_dict(self) -> dict:
        """JSON-safe: settings, assumptions, the power table and min N at 80% and 90%."""
        return {
            "assumptions": self.assumptions,
            "effects": _json_safe(dict(self.effects)),
            "settings": {"n_grid": list(self.n_grid), "reps": self.reps, "seed": self.seed,
                         "se": self.se, "alpha": self.alpha, "interval": self.interval,
                         "block": BLOCK},
            "power": [_json_safe(r) for r in self.rows],
            "min_n": {t: {str(lv): self.min_n(t, lv) for lv in (0.8, 0.9)} for t in self.targets},
        }


def _first_n(rows: list[dict], column: str, level: float, stay: bool = False) -> int | None:
    """First n with ``row[column] >= level``; with ``stay``, only if it holds from there on."""
    hits = [r[column] is not None and r[column] >= level for r in rows]
    for i, hit in enumerate(hits):
        if hit and (not stay or all(hits[i:])):
            return int(rows[i]["n"])
    return None


def _json_safe(obj):
    if isinstance(obj, Mapping):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _power_row(n: int, target: str, kind: str, hits: np.ndarray, **extra) -> dict:
    reps = int(hits.size)
    k = int(np.count_nonzero(hits))
    p = k / reps
    low, high = wilson_interval(k, reps)
    row = dict.fromkeys(_POWER_COLUMNS, math.nan)
    row.update(n=int(n), target=target, kind=kind, power=p, mc_se=math.sqrt(p * (1 - p) / reps),
               conf_low=float(low), conf_high=float(high), reps=reps)
    row.update(extra)
    return row


def _interaction_row(n, target, est, p, alpha, reference) -> dict:
    sig = np.isfinite(p) & (p < alpha)
    type_s, type_m = type_s_m(est, sig, reference)
    return _power_row(n, target, "interaction", sig, reference_value=float(reference),
                      mean_estimate=float(np.nanmean(est)) if np.isfinite(est).any() else math.nan,
                      type_s=type_s, exaggeration=type_m)


# ============================================================== one interaction
def simulated_interaction_power(n_grid: Sequence[int], b_ga: float, carrier_share: float, *,
                                reps: int = 2000, seed: int = 0, sigma: float = 1.0,
                                var_a: float = 1.0, b_g: float = 0.0, b_a: float = 0.0,
                                alpha: float = 0.05, se: str = "ols", n_jobs: int = 1,
                                scheduler: str | None = None, chunk: int | None = None,
                                progress: bool | None = None) -> PowerResult:
    """Simulated power of the G x A test in ``Y = b_g G + b_a A + b_ga G A + e``.

    ``G ~ Bernoulli(carrier_share)``, ``A ~ N(0, var_a)`` independent of G,
    ``e ~ N(0, sigma^2)``; each study fits ``Y ~ 1 + G + A + G A`` with
    :func:`~analysis.stats.fastols.batch_ols` and tests ``b_ga`` at ``alpha`` with the
    ``se`` covariance.  This is the setting of :func:`analytic_interaction_power`
    (the test suite checks one against the other); a sample without carriers
    is rank deficient and counts as not significant.

    Examples
    --------
    >>> res = simulated_interaction_power([100], 0.0, 0.5, reps=300, seed=1)
    >>> res.to_frame()[["n", "target", "reps"]].values.tolist()
    [[100, 'interaction', 300]]
    """
    from ..stats.models import normalise_se_type

    se = normalise_se_type(se)
    grid = _check_grid(n_grid)
    chunks = plan([(n,) for n in grid], int(reps), chunk, n_jobs)
    kwargs = dict(seed=int(seed), b_ga=b_ga, carrier_share=carrier_share, sigma=sigma,
                  var_a=var_a, b_g=b_g, b_a=b_a, se=se)
    results = execute(_interaction_chunk, chunks, kwargs, n_jobs=n_jobs, scheduler=scheduler,
                       progress=progress, expected_seconds=_expected_seconds(grid, reps, 1))
    rows = []
    for n in grid:
        out = stack([r for c, r in zip(chunks, results) if c.key == (n,)])
        rows.append(_interaction_row(n, "interaction", out["estimate"], out["p_value"], alpha,
                                     b_ga))
    effects = {"b_ga": b_ga, "carrier_share": carrier_share, "sigma": sigma, "var_a": var_a,
               "b_g": b_g, "b_a": b_a}
    return PowerResult(rows=tuple(rows), n_grid=tuple(grid), targets=("interaction",),
                       reps=int(reps), seed=int(seed), se=se, alpha=alpha, effects=effects,
                       assumptions=_ASSUMPTION_NOTE.format(source="function arguments"))


def _interaction_chunk(chunk: Chunk, *, seed, b_ga, carrier_share, sigma, var_a, b_g, b_a,
                       se) -> dict:
    from ..stats.fastols import batch_ols

    n = chunk.key[0]
    est, pv = [], []
    for ss, size in zip(block_seeds(seed, chunk), chunk.sizes):
        rng = np.random.default_rng(ss)
        g = (rng.random((size, n)) < carrier_share).astype(float)
        a = rng.normal(0.0, math.sqrt(var_a), (size, n))
        y = b_g * g + b_a * a + b_ga * g * a + rng.normal(0.0, sigma, (size, n))
        X = np.stack([np.ones_like(g), g, a, g * a], axis=2)
        fit = batch_ols(X, y, se=se)
        est.append(fit.params[:, 3])
        pv.append(fit.p_value(se)[:, 3])
    return {"estimate": np.concatenate(est), "p_value": np.concatenate(pv)}


def _check_grid(n_grid) -> list[int]:
    try:
        grid = sorted({int(n) for n in n_grid})
    except (TypeError, ValueError):
        raise InputError("sample sizes must be whole numbers", values=list(n_grid)) from None
    if not grid or grid[0] < 10:
        raise InputError("every sample size must be at least 10", values=grid[:1])
    return grid


_SECONDS_PER_OBS_FIT = 1e-7    # rough single-core cost of simulating + fitting, per row and model
_SECONDS_PER_STUDY_OBS = 2.5e-7  # the same with item-level simulation (~9 s for 10,000 studies)


def _expected_seconds(grid: Sequence[int], reps: int, models: int) -> float:
    """Rough single-core cost model: seconds ~ reps x models x sum(grid) x 1e-7."""
    return _SECONDS_PER_OBS_FIT * reps * models * sum(grid)


# ============================================================ simulated studies
def _study_chunk(chunk: Chunk, *, config: dict, seed: int, n: Mapping[str, int], se: str,
                 alpha: float, family_rule: str, p_adjust: str, study1: bool = True) -> dict:
    """Simulate, fit and judge the studies of one chunk (runs in a worker).

    Block ``b`` draws Study 1 from ``SeedSequence(seed, spawn_key=key + (b,)).spawn(2)[0]``
    and Study 2 from ``[1]`` (:func:`analysis.study.simulate.simulate_scores`), so
    Study 2 is the same whether or not Study 1 is simulated (``study1=False``
    skips it when no Study 1 claim is wanted; its verdict columns are then -1).
    Returns ``verdicts (B, n_claims)`` codes, interaction ``estimate`` and ``p``
    ``(B, 12)`` in :data:`INTERACTIONS` order.
    """
    from ..study.claims import CLAIMS
    from ..study.config import config_from_dict
    from ..study.simulate import simulate_scores

    cfg = config_from_dict(config)
    judged = [c for c in CLAIMS if study1 or c.study == 2]
    spec = cfg["claims"]["sesoi"]
    eq_alpha = float(cfg["claims"].get("equivalence_alpha", alpha))
    parts = []
    for ss, size in zip(block_seeds(seed, chunk), chunk.sizes):
        seed1, seed2 = ss.spawn(2)
        scores1 = simulate_scores(cfg, "study1", n["study1"], size, seed1) if study1 else None
        scores2 = simulate_scores(cfg, "study2", n["study2"], size, seed2)
        s1 = study1_inputs(scores1, se) if study1 else None
        s2 = study2_inputs(scores2, se)
        codes = verdict_codes(s1, s2, alpha=alpha, family_rule=family_rule, p_adjust=p_adjust,
                              claims=judged, sesoi=sesoi_arrays(spec, scores1, scores2),
                              equivalence_alpha=eq_alpha)
        missing = np.full(size, -1, dtype=np.int8)
        parts.append({
            "verdicts": np.column_stack([codes.get(c.id, missing) for c in CLAIMS]),
            "estimate": np.column_stack([s2[key]["estimate"] for key in INTERACTIONS]),
            "p": np.column_stack([s2[key]["p"] for key in INTERACTIONS])})
    return stack(parts)


def _simulate_design(config, sizes: Mapping, n_sims: int, *, seed, se, alpha, family_rule,
                     p_adjust, chunk, n_jobs, scheduler, progress, desc,
                     study1: bool = True) -> dict:
    """Run :func:`_study_chunk` for ``n_sims`` studies per key of ``sizes``.

    ``sizes`` maps a stream key (``()`` or ``(n,)``) to ``{"study1": n1,
    "study2": n2}``; every chunk of every key is submitted at once.  Returns
    ``{key: stacked arrays}``.
    """
    from ..stats.models import normalise_se_type

    se = normalise_se_type(se)
    for name, value in (("family_rule", family_rule), ("p_adjust", p_adjust)):
        if value not in ("holm", "bh", "none"):
            raise InputError(f"{name} must be holm, bh or none", values=[value])
    keys = list(sizes)
    chunks = plan(keys, int(n_sims), chunk, n_jobs)
    kwargs = dict(config=config.to_dict(), seed=int(seed), se=se, alpha=float(alpha),
                  n_by_key={k: dict(v) for k, v in sizes.items()}, family_rule=family_rule,
                  p_adjust=p_adjust, study1=bool(study1))
    total_n = sum(v["study1"] * 2 * study1 + v["study2"] * 12 for v in sizes.values())
    expected = _SECONDS_PER_STUDY_OBS * n_sims * total_n
    results = execute(_keyed_chunk, chunks, kwargs, n_jobs=n_jobs, scheduler=scheduler,
                       progress=progress, expected_seconds=expected, desc=desc)
    return {key: stack([r for c, r in zip(chunks, results) if c.key == key]) for key in keys}


def _keyed_chunk(chunk: Chunk, *, n_by_key: Mapping, **kwargs) -> dict:
    return _study_chunk(chunk, n=n_by_key[chunk.key], **kwargs)


# ====================================================== replication probability
@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationProbabilities:
    """Share of simulated studies of the configured design in which each claim is reproduced.

    Attributes
    ----------
    claims : tuple of str
        Claim ids (``S1a`` .. ``S2d``).
    probability, mc_se, conf_low, conf_high : tuple of float
        Share reproduced, its Monte Carlo SE ``sqrt(p (1 - p) / n_sims)`` and
        the 95% Wilson interval, per claim.
    shares : dict
        ``{claim id: {verdict: share}}`` over all four verdicts.
    n_sims : int
    n : dict
        Sample size per study (``study1``, ``study2``).
    seed : int
    se, alpha, family_rule, p_adjust
        The settings of :func:`analysis.study.claims.judge` the rules used.
    assumptions : str
    config_sha256 : str or None
    """

    claims: tuple
    probability: tuple
    mc_se: tuple
    conf_low: tuple
    conf_high: tuple
    shares: Mapping = field(repr=False)
    n_sims: int
    n: Mapping
    seed: int
    se: str = "ols"
    alpha: float = 0.05
    family_rule: str = "holm"
    p_adjust: str = "none"
    assumptions: str = ""
    config_sha256: str | None = None

    def to_frame(self):
        """``id, probability, mc_se, conf_low, conf_high, n_sims`` and, per verdict, its share
        (``share_<verdict>``) and Monte Carlo SE (``mc_se_<verdict>``)."""
        import pandas as pd

        frame = pd.DataFrame({"id": list(self.claims), "probability": list(self.probability),
                              "mc_se": list(self.mc_se), "conf_low": list(self.conf_low),
                              "conf_high": list(self.conf_high), "n_sims": self.n_sims})
        for v in VERDICT_CODES[:-1]:                      # "not tested" never occurs here
            key = v.replace(" ", "_")
            share = np.array([self.shares[c][v] for c in self.claims])
            frame["share_" + key] = share
            frame["mc_se_" + key] = np.sqrt(share * (1 - share) / self.n_sims)
        return frame

    def verdict_probabilities(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{claim id: {verdict: {"probability": p, "mc_se": se}}}`` for every verdict the
        claim's rules can give (Monte Carlo SE ``sqrt(p (1 - p) / n_sims)``)."""
        from ..study.claims import CLAIMS, RULES, rule_set

        possible = {c.id: {v for _, v in RULES[rule_set(c)]} for c in CLAIMS}
        out = {}
        for c in self.claims:
            out[c] = {v: {"probability": float(self.shares[c][v]),
                          "mc_se": math.sqrt(self.shares[c][v] * (1 - self.shares[c][v])
                                             / self.n_sims)}
                      for v in VERDICT_CODES if v in possible.get(c, VERDICT_CODES)}
        return out

    def to_mapping(self) -> dict[str, float]:
        """``{claim id: probability}``, e.g. for
        :meth:`analysis.study.claims.Scorecard.with_replication_probability`."""
        return dict(zip(self.claims, self.probability))

    def to_dict(self) -> dict:
        return _json_safe({
            "assumptions": self.assumptions, "config_sha256": self.config_sha256,
            "settings": {"n_sims": self.n_sims, "n": dict(self.n), "seed": self.seed,
                         "se": self.se, "alpha": self.alpha, "family_rule": self.family_rule,
                         "p_adjust": self.p_adjust, "interval": "wilson", "block": BLOCK},
            "claims": self.to_frame().to_dict(orient="records")})


def replication_probabilities(config=None, *, n_sims: int = 10_000, seed: int | None = None,
                              chunk: int | None = None, n_jobs: int = 1,
                              scheduler: str | None = None, progress: bool | None = None,
                              se: str = "ols", family_rule: str = "holm",
                              p_adjust: str = "none") -> ReplicationProbabilities:
    """How often a study of the configured design reproduces each claim.

    Simulates ``n_sims`` pairs of studies (Study 1 at ``study1.n``, Study 2 at
    ``study2.n``) with :func:`analysis.study.simulate.simulate_scores`, fits the
    Study 1 models (2) and the Study 2 models (12) of
    :mod:`analysis.study.families` with :func:`~analysis.stats.fastols.batch_ols`
    (listwise deletion per model, as there), and applies the verdict rules of
    :func:`analysis.study.claims.judge` vectorised (:func:`verdict_codes`; tested
    to agree with ``judge`` study by study).  The replication probability is
    the share ``p`` of studies with the verdict ``reproduced``; Monte Carlo SE
    ``sqrt(p (1 - p) / n_sims)`` and a 95% Wilson interval.

    Parameters
    ----------
    config : Config, optional
        Default :func:`analysis.study.config.load_config`.
    n_sims : int
        Simulated studies (default 10,000: MC SE <= 0.005).
    seed : int, optional
        Default: the config's ``meta.seed``.  Results depend only on
        (config, n_sims, seed, settings), not on ``chunk``, ``n_jobs`` or
        ``scheduler``.
    chunk, n_jobs, scheduler, progress
        Work split, local processes (joblib), Dask scheduler address, progress
        bar (None: only on a terminal and for work over a second).
    se, family_rule, p_adjust
        As for :func:`analysis.study.claims.judge`; ``alpha`` is the config's
        ``claims.alpha``.

    Examples
    --------
    >>> rp = replication_probabilities(n_sims=40, seed=1)
    >>> rp.to_frame()["id"].tolist()
    ['S1a', 'S1b', 'S1c', 'S1d', 'S2a', 'S2b', 'S2c', 'S2d']
    """
    from ..study.claims import CLAIMS

    config = _config(config)
    seed = config.seed if seed is None else int(seed)
    sizes = {"study1": int(config["study1"]["n"]), "study2": int(config["study2"]["n"])}
    out = _simulate_design(config, {(): sizes}, n_sims, seed=seed, se=se, alpha=config.alpha,
                           family_rule=family_rule, p_adjust=p_adjust, chunk=chunk,
                           n_jobs=n_jobs, scheduler=scheduler, progress=progress,
                           desc="replication probability")[()]
    ids = tuple(c.id for c in CLAIMS)
    counts = {cid: np.bincount(out["verdicts"][:, j], minlength=len(VERDICT_CODES))
              for j, cid in enumerate(ids)}
    prob = np.array([counts[c][REPRODUCED] / n_sims for c in ids])
    low, high = wilson_interval(prob * n_sims, n_sims)
    return ReplicationProbabilities(
        claims=ids, probability=tuple(prob.tolist()),
        mc_se=tuple(np.sqrt(prob * (1 - prob) / n_sims).tolist()),
        conf_low=tuple(low.tolist()), conf_high=tuple(high.tolist()),
        shares={c: dict(zip(VERDICT_CODES, (counts[c] / n_sims).tolist())) for c in ids},
        n_sims=int(n_sims), n=sizes, seed=seed, se=se, alpha=config.alpha,
        family_rule=family_rule, p_adjust=p_adjust, config_sha256=config.sha256,
        assumptions=_ASSUMPTION_NOTE.format(source=_source(config)))


def _display_path(path: str) -> str:
    """A config path relative to the repository root when inside it (stable across clones)."""
    from pathlib import Path

    from ..paths import ROOT
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _config(config):
    if config is None:
        from ..study.config import load_config
        return load_config()
    return config


def _source(config, overridden: Sequence[str] = ()) -> str:
    where = f"config {_display_path(config.path)}" if config.path else "the given config"
    if overridden:
        where += "; set on the command line: " + ", ".join(overridden)
    return where


# ============================================================= effect overrides
_GENE_ALIASES = {"drd4": "drd4_7r", "drd2": "drd2_a2a2"}
EFFECT_KEYS_HELP = """\
Effect keys (all values are assumptions; units as in data/simulation.yaml):
  TERM                      Study 2 CO coefficient of TERM, e.g. drd4_7r_x_avoidant,
                            drd2_a2a2_x_avoidant (aliases drd4 = drd4_7r, drd2 = drd2_a2a2:
                            drd4_x_avoidant).  Units: residual SDs of the latent outcome per
                            SD of latent attachment (per genotype contrast for main effects).
                            Other terms keep their config values (e.g. the base avoidant slope).
  OUTCOME.TERM              the same for outcome CO or SO of Study 2 (SO.drd4_7r_x_avoidant)
  STUDY.OUTCOME.TERM        any study (study1.CO.drd4_7r)
  drd4_7r_carrier           share of 7R carriers (0-1); sets the 7R allele frequency to
                            1 - sqrt(1 - share), the other DRD4 alleles scaled to sum to 1
  drd2_a1_carrier           share of A1 carriers (0-1); A1 allele frequency 1 - sqrt(1 - share)
  reliability[.SCALE]       reliability (0-1) of every scale score or of one (CO, SO, secure,
                            anxious, avoidant): equal item loadings chosen so that
                            analysis.study.simulate.score_scaling gives this reliability"""


def apply_effects(config, effects: Mapping[str, float] | None):
    """A config with assumed effects overridden (keys in :data:`EFFECT_KEYS_HELP`).

    Returns ``(config, applied)`` where ``applied`` maps each config path that
    was set to its new value.

    Examples
    --------
    >>> from analysis.study.config import load_config
    >>> cfg, applied = apply_effects(load_config(), {"drd4_x_avoidant": 0.3})
    >>> applied
    {'study2.CO.effects.drd4_7r_x_avoidant': 0.3}
    """
    overrides: dict = {}
    applied: dict[str, float] = {}
    for key, value in (effects or {}).items():
        value = _effect_value(key, value)
        for path, v in _effect_paths(config, str(key).strip(), value).items():
            node = overrides
            *parents, leaf = path
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = v
            applied[".".join(map(str, path))] = v
    return (config.with_overrides(overrides) if overrides else config), applied


def _effect_value(key, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"effect {key!r} needs a number", values=[value]) from None
    if not math.isfinite(value):
        raise InputError(f"effect {key!r} needs a finite number", values=[value])
    return value


def _effect_paths(config, key: str, value: float) -> dict[tuple, object]:
    scales = ("CO", "SO", "secure", "anxious", "avoidant")
    if key in ("drd4_7r_carrier", "drd2_a1_carrier"):
        if not 0.0 < value < 1.0:
            raise InputError(f"{key} is a share and must lie strictly between 0 and 1",
                             values=[value])
        q = 1.0 - math.sqrt(1.0 - value)
        if key == "drd2_a1_carrier":
            return {("alleles", "DRD2", "A1"): q, ("alleles", "DRD2", "A2"): 1.0 - q}
        return _drd4_frequencies(config, q)
    if key == "reliability" or key.startswith("reliability."):
        chosen = scales if key == "reliability" else (key.split(".", 1)[1],)
        if not set(chosen) <= set(scales):
            raise InputError(f"unknown scale in {key!r}", hint="scales: " + ", ".join(scales))
        return {("instruments", s, "loadings"): _loadings_for(config, s, value) for s in chosen}
    parts = key.split(".")
    if len(parts) > 3 or not parts[-1]:
        raise InputError(f"unknown effect key {key!r}", hint="see salesgxe power --help")
    study = parts[0] if len(parts) == 3 else "study2"
    outcome = parts[-2] if len(parts) >= 2 else "CO"
    if study not in ("study1", "study2") or outcome not in ("CO", "SO"):
        raise InputError(f"unknown effect key {key!r}", hint="STUDY is study1 or study2, "
                         "OUTCOME is CO or SO")
    term = "_x_".join(_GENE_ALIASES.get(f, f) for f in parts[-1].split("_x_"))
    return {(study, outcome, "effects", term): value}


def _drd4_frequencies(config, q7: float) -> dict[tuple, float]:
    freqs = {str(k): float(v) for k, v in config["alleles"]["DRD4"].items()}
    rest = sum(v for k, v in freqs.items() if k != "7")
    return {("alleles", "DRD4", int(k) if k.isdigit() else k):
            (q7 if k == "7" else (1.0 - q7) * v / rest) for k, v in freqs.items()}


def _loadings_for(config, scale: str, reliability: float) -> list[float]:
    r"""Equal loadings giving ``reliability`` under the score model of ``score_scaling``.

    With k items of response SD s and equal loadings :math:`\lambda`, the score
    has slope :math:`s\lambda` and error variance :math:`s^2(1-\lambda^2)/k + 1/(12k)`,
    so :math:`\lambda^2 = \omega (s^2 + 1/12) / (s^2 (k(1-\omega) + \omega))`.
    """
    spec = config["instruments"][scale]
    k, s2 = int(spec["n_items"]), float(spec["sd"]) ** 2
    if not 0.0 < reliability < 1.0:
        raise InputError("a reliability must lie strictly between 0 and 1", values=[reliability])
    lam2 = reliability * (s2 + 1.0 / 12.0) / (s2 * (k * (1.0 - reliability) + reliability))
    if lam2 >= 1.0:
        raise InputError(f"reliability {reliability} is out of reach for the {k}-item {scale} "
                         "scale with rounded answers", values=[reliability])
    return [math.sqrt(lam2)] * k


# ================================================================== power curve
def power_curve(config=None, *, n_grid: Sequence[int] | None = None, reps: int | None = None,
                seed: int | None = None, effects: Mapping[str, float] | None = None,
                se: str = "ols", targets: Sequence[str] | None = None, n_jobs: int = 1,
                scheduler: str | None = None, chunk: int | None = None,
                progress: bool | None = None, family_rule: str = "holm",
                p_adjust: str = "none") -> PowerResult:
    """Power of each Study 2 interaction test and each claim over a grid of sample sizes.

    At each N of the grid, ``reps`` pairs of studies are simulated with both
    Study 1 and Study 2 at N respondents (the design of
    :func:`replication_probabilities`, which is this at the configured sizes).
    For an interaction the power is the share of studies with ``p < alpha``
    (two-sided, ``se`` covariance); for a claim, the share in which it is
    ``reproduced`` (for a null claim that is the share *without* a false
    alarm, i.e. 1 - its type I error).  Monte Carlo SE and a 95% Wilson
    interval per point; :meth:`PowerResult.min_n` reads off the smallest N.

    Type S / type M (Gelman & Carlin 2014) for an interaction are computed
    against ``reference_value``, the fitted model's true coefficient on the
    score scale (attenuated by measurement error; estimated as the mean of all
    simulated estimates over the grid, since OLS is unbiased for it up to
    O(1/N)); they are NaN when the latent interaction implied by the config
    (:func:`analysis.study.simulate.implied_effects`) is 0.

    Parameters
    ----------
    config : Config, optional
    n_grid : sequence of int, optional
        Default: the config's ``power.n_grid``.
    reps : int, optional
        Simulated studies per N (default: the config's ``power.n_sims``, else 2000).
    seed : int, optional
        Default: the config's ``meta.seed``.  Results at a given N depend only
        on (config, effects, N, reps, seed), not on the rest of the grid,
        ``chunk``, ``n_jobs`` or ``scheduler``.
    effects : mapping, optional
        Assumed effects overriding the config (:func:`apply_effects`,
        :data:`EFFECT_KEYS_HELP`).
    se : {"ols", "HC0", .., "HC4"}
    targets : sequence of str, optional
        Claim ids and/or interaction names (:func:`interaction_name`); default all.
    n_jobs, scheduler, chunk, progress, family_rule, p_adjust
        As for :func:`replication_probabilities`.

    Examples
    --------
    >>> res = power_curve(n_grid=[100], reps=20, seed=1, targets=["S2b"])
    >>> res.to_frame()[["n", "target", "reps"]].values.tolist()
    [[100, 'S2b', 20]]
    """
    from ..study.claims import CLAIMS
    from ..stats.models import normalise_se_type

    base = _config(config)
    cfg, applied = apply_effects(base, effects)
    grid = _check_grid(base["power"]["n_grid"] if n_grid is None else n_grid)
    reps = int(reps if reps is not None else base["power"].get("n_sims", 2000)) \
        if "power" in base else int(reps or 2000)
    seed = base.seed if seed is None else int(seed)
    wanted = _check_targets(targets)
    sims = _simulate_design(cfg, {(n,): {"study1": n, "study2": n} for n in grid}, reps,
                            seed=seed, se=se, alpha=cfg.alpha, family_rule=family_rule,
                            p_adjust=p_adjust, chunk=chunk, n_jobs=n_jobs, scheduler=scheduler,
                            progress=progress, desc="power curve",
                            study1=any(c.study == 1 and c.id in wanted for c in CLAIMS))
    references = _references(cfg, sims)
    rows = []
    for n in grid:
        out = sims[(n,)]
        for j, claim in enumerate(CLAIMS):
            if claim.id in wanted:
                rows.append(_power_row(n, claim.id, "claim", out["verdicts"][:, j] == REPRODUCED))
        for j, key in enumerate(INTERACTIONS):
            if interaction_name(*key) in wanted:
                rows.append(_interaction_row(n, interaction_name(*key), out["estimate"][:, j],
                                             out["p"][:, j], cfg.alpha, references[j]))
    return PowerResult(rows=tuple(rows), n_grid=tuple(grid),
                       targets=tuple(t for t in _all_targets() if t in wanted), reps=reps,
                       seed=seed, se=normalise_se_type(se), alpha=cfg.alpha,
                       effects=_effects_summary(cfg, effects, applied),
                       assumptions=_ASSUMPTION_NOTE.format(
                           source=_source(base, [str(k) for k in (effects or {})])))


def _all_targets() -> tuple[str, ...]:
    from ..study.claims import CLAIMS
    return tuple(c.id for c in CLAIMS) + tuple(interaction_name(*k) for k in INTERACTIONS)


def _check_targets(targets) -> set[str]:
    known = _all_targets()
    if targets is None:
        return set(known)
    wanted = {str(t).strip() for t in targets if str(t).strip()}
    unknown = sorted(wanted - set(known))
    if unknown or not wanted:
        raise InputError("unknown power target(s): " + (", ".join(unknown) or "none given"),
                         hint="choose from " + ", ".join(known))
    return wanted


def _references(cfg, sims: Mapping) -> list[float]:
    """The fitted interaction's true value: pooled mean estimate (NaN for a null effect)."""
    from ..study.simulate import implied_effects

    implied = implied_effects(cfg, "study2")
    est = np.concatenate([out["estimate"] for out in sims.values()])
    refs = []
    for j, (outcome, gene, style) in enumerate(INTERACTIONS):
        latent = implied[outcome][style][f"{gene.lower()}_interaction"]
        col = est[:, j]
        ok = np.isfinite(col)
        refs.append(float(col[ok].mean()) if abs(latent) > 1e-12 and ok.any() else math.nan)
    return refs


def _effects_summary(cfg, effects, applied) -> dict:
    """The assumed numbers behind a power run (config values after the overrides)."""
    from ..study.simulate import score_scaling

    out = {"given": {str(k): float(v) for k, v in (effects or {}).items()},
           "applied": dict(applied)}
    for study in ("study1", "study2"):
        for outcome in ("CO", "SO"):
            out[f"{study}.{outcome}"] = {str(k): float(v) for k, v in
                                        cfg[study][outcome]["effects"].items()}
    a1 = float(cfg["alleles"]["DRD2"]["A1"])
    q7 = float(next(v for k, v in cfg["alleles"]["DRD4"].items() if str(k) == "7"))
    out["carrier_share"] = {"drd2_a1": 1 - (1 - a1) ** 2, "drd4_7r": 1 - (1 - q7) ** 2}
    out["reliability"] = {s: v["reliability_unit_trait"] for s, v in score_scaling(cfg).items()}
    return out


# ====================================================================== outputs
_REFERENCE_LEVELS = (0.8, 0.9)


def power_figure(result: PowerResult, *, kinds: Sequence[str] = ("claim", "interaction")):
    """Power curves as small multiples: one panel per claim / interaction test, with 95%
    Monte Carlo bands and 80% / 90% reference lines (:func:`analysis.render.plots.power_small_multiples`;
    no legend to hide twelve lines under), the assumption statement as a footnote.
    Returns a matplotlib ``Figure`` (pyplot-free, Agg canvas).
    """
    from ..render.plots import power_small_multiples

    frame = result.to_frame()
    note = (f"{result.assumptions} {result.reps} simulated studies per N; bands: 95% Wilson "
            f"intervals; SE {result.se}; seed {result.seed}. Claims: share of studies whose "
            "verdict is 'reproduced'; tests: share with p < alpha. Dashed: 80% and 90%.")
    return power_small_multiples(frame, kinds=[k for k in kinds if (frame["kind"] == k).any()],
                                 levels=_REFERENCE_LEVELS, note=note,
                                 ylabel="Share of simulated studies")


def write_power_outputs(result: PowerResult, out_dir, *, force: bool = False,
                        command: str | None = None) -> dict[str, object]:
    """Write the power table, figure and minimum-N summary as the folder ``out_dir``.

    Files: ``power.csv`` (:meth:`PowerResult.to_frame`), ``power.json``
    (:meth:`PowerResult.to_dict`), ``min_n.json`` (assumptions and the
    smallest N reaching 80% and 90% per target, with its Monte Carlo range),
    ``power_curve.png`` (300 dpi), ``power_curve.svg`` and ``manifest.json``.
    The folder is written by :func:`analysis.safe_output.write_folder`: an
    existing one is replaced only with ``force`` and only if this package
    wrote it, crash-safely.

    Returns ``{name: path}``.
    """
    import json
    from pathlib import Path

    from ..render.plots import save_figure
    from ..safe_output import relative_command, write_folder

    payload = result.to_dict()
    texts = {"power.csv": result.to_frame().to_csv(index=False, lineterminator="\n"),
             "power.json": json.dumps(payload, indent=2, allow_nan=False) + "\n",
             "min_n.json": json.dumps({k: payload[k] for k in ("assumptions", "effects",
                                                                "settings", "min_n")},
                                      indent=2, allow_nan=False) + "\n"}
    names: list[str] = []

    def fill(staging: Path) -> None:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8", newline="")
            names.append(name)
        names.extend(p.name for p in save_figure(power_figure(result), staging / "power_curve",
                                                 formats=("png", "svg")))

    out = Path(out_dir)
    write_folder(out, fill, force=force, meta={"command": command or relative_command()})
    return {name: out / name for name in names}


# ========================================================= command-line helpers
def parse_n_grid(text: str) -> list[int]:
    """Parse ``"100,200,400"`` or an arithmetic range ``"50,100,...,1000"``.

    Examples
    --------
    >>> parse_n_grid("50,100,...,300")
    [50, 100, 150, 200, 250, 300]
    >>> parse_n_grid("100, 250")
    [100, 250]
    """
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        if "..." in parts:
            i = parts.index("...")
            if i < 2 or i != len(parts) - 2:
                raise ValueError
            a, b, last = int(parts[i - 2]), int(parts[i - 1]), int(parts[-1])
            if b <= a or last < b:
                raise ValueError
            return [int(x) for x in parts[:i - 2]] + list(range(a, last + 1, b - a))
        return [int(p) for p in parts]
    except ValueError:
        raise InputError(f"--n needs whole numbers such as 100,200,400 or 50,100,...,1000; "
                         f"got {text!r}") from None


def parse_effects(items: Sequence[str]) -> dict[str, float]:
    """Parse repeated ``KEY=VALUE`` options into ``{key: float}`` (keys: :data:`EFFECT_KEYS_HELP`).

    >>> parse_effects(["drd4_x_avoidant=0.3"])
    {'drd4_x_avoidant': 0.3}
    """
    out = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise InputError(f"--effect needs KEY=VALUE, got {item!r}")
        out[key.strip()] = _effect_value(key.strip(), value.strip())
    return out


def summary(result: PowerResult) -> str:
    """Plain-text summary: smallest N at 80% / 90% per target, with the assumption note."""
    lines = [result.assumptions,
             f"{result.reps} simulated studies per N (seed {result.seed}, SE {result.se}); "
             f"N grid: {', '.join(map(str, result.n_grid))}.",
             "Smallest N in the grid reaching the power level (Monte Carlo range from the 95% "
             "Wilson interval); '-' = not reached.",
             f"{'target':<22}{'N at 80%':>10}{'range':>14}{'N at 90%':>10}{'range':>14}"]

    def fmt(d):
        rng = f"[{d['n_low'] or '-'}, {d['n_high'] or '-'}]"
        return f"{d['n'] or '-':>10}{rng:>14}"

    for t in result.targets:
        lines.append(f"{t:<22}{fmt(result.min_n(t, 0.8))}{fmt(result.min_n(t, 0.9))}")
    return "\n".join(lines)

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

Every batch of fits goes through :func:`analysis.fastols.batch_ols` (no Python
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
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._errors import InputError

__all__ = ["analytic_interaction_power", "simulated_interaction_power", "type_s_m",
           "wilson_interval", "PowerResult", "ReplicationProbabilities"]

BLOCK = 250                     # simulations per random stream (fixed: changing it changes results)
_Z95 = 1.959963984540054        # standard-normal 0.975 quantile
_ASSUMPTION_NOTE = ("Effect sizes, sample sizes and allele frequencies are assumptions "
                    "({source}), not the article's estimates.")


# ============================================================================= closed forms
def analytic_interaction_power(n, b_ga: float, carrier_share: float, sigma: float = 1.0,
                               var_a: float = 1.0, alpha: float = 0.05, k: int = 4):
    r"""Power of the t test of a binary G x continuous A interaction (G independent of A).

    With ``pi`` the carrier share, the product term's variance left after
    partialling out 1, G and A is :math:`\pi(1-\pi)\operatorname{var}(A)`
    (McClelland & Judd 1993, doi:10.1037/0033-2909.114.2.376; methods.md section 7), so

    .. math::

        \lambda = b_{GA} \sqrt{n \pi (1-\pi) \operatorname{var}(A)} / \sigma, \qquad
        \text{power} = 1 - F_t(t^*; n-k, \lambda) + F_t(-t^*; n-k, \lambda)

    with :math:`t^* = t_{1-\alpha/2}(n-k)` and :math:`F_t` the noncentral t cdf.
    The design is treated at its expectation (fixed carrier share), which is
    accurate for the sample sizes of field studies (checked against simulation
    in ``tests/test_power.py``).

    Parameters
    ----------
    n : int or array of int
        Sample size(s).
    b_ga : float
        Interaction coefficient (difference between the groups' slopes of Y on A).
    carrier_share : float
        Share ``pi`` of the group coded 1.
    sigma : float
        Residual SD of Y.
    var_a : float
        Variance of A.
    alpha : float
        Two-sided level.
    k : int
        Parameters in the model (4: intercept, G, A, G x A).

    Examples
    --------
    >>> round(float(analytic_interaction_power(200, 0.0, 0.36)), 3)
    0.05
    >>> round(float(analytic_interaction_power(400, 0.3, 0.36)), 3)
    0.819
    """
    from scipy import stats

    n = np.asarray(n, dtype=float)
    if not 0.0 < carrier_share < 1.0:
        raise InputError("carrier_share must be strictly between 0 and 1", values=[carrier_share])
    df = n - k
    ncp = b_ga * np.sqrt(n * carrier_share * (1.0 - carrier_share) * var_a) / sigma
    tcrit = stats.t.ppf(1.0 - alpha / 2.0, df)
    return stats.nct.sf(tcrit, df, ncp) + stats.nct.cdf(-tcrit, df, ncp)


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


# ============================================================================= execution engine
@dataclass(frozen=True, slots=True)
class _Chunk:
    """A unit of work: consecutive blocks of simulations sharing a stream key."""

    key: tuple[int, ...]           # spawn-key prefix (e.g. the sample size)
    first_block: int
    sizes: tuple[int, ...]         # simulations per block

    @property
    def n_sims(self) -> int:
        return sum(self.sizes)


def _block_seeds(seed: int, chunk: _Chunk) -> list[np.random.SeedSequence]:
    """``SeedSequence(seed, spawn_key=key).spawn(n_blocks)[b]`` for the chunk's blocks."""
    return [np.random.SeedSequence(seed, spawn_key=chunk.key + (b,))
            for b in range(chunk.first_block, chunk.first_block + len(chunk.sizes))]


def _plan(keys: Sequence[tuple[int, ...]], n_sims: int, chunk: int | None,
          n_jobs: int) -> list[_Chunk]:
    """Split ``n_sims`` simulations per key into blocks of ``BLOCK`` and blocks into chunks.

    The chunk size (rounded up to whole blocks) only groups work; the random
    streams belong to blocks, so results do not depend on it.
    """
    if n_sims < 1:
        raise InputError("the number of simulated studies must be at least 1", values=[n_sims])
    sizes = [BLOCK] * (n_sims // BLOCK) + ([n_sims % BLOCK] if n_sims % BLOCK else [])
    if chunk is None:   # about four chunks per worker, so the progress bar moves
        workers = max(1, n_jobs if n_jobs > 0 else 2)
        chunk = max(BLOCK, math.ceil(len(keys) * n_sims / (4 * workers)))
    per = max(1, math.ceil(int(chunk) / BLOCK))
    return [_Chunk(tuple(key), start, tuple(sizes[start:start + per]))
            for key in keys for start in range(0, len(sizes), per)]


def _show_progress(progress: bool | None, expected_seconds: float) -> bool:
    """A bar only on a terminal and for work expected to take over a second."""
    if progress is not None:
        return bool(progress)
    return sys.stderr.isatty() and expected_seconds > 1.0


def _execute(func: Callable, chunks: Sequence[_Chunk], kwargs: dict, *, n_jobs: int = 1,
             scheduler: str | None = None, progress: bool | None = None,
             expected_seconds: float = 0.0, desc: str = "simulating") -> list:
    """Run ``func(chunk, **kwargs)`` for every chunk; results in chunk order.

    ``scheduler`` (a Dask scheduler address such as ``tcp://host:8786``) runs
    the chunks on that cluster (its workers need this package installed);
    otherwise ``n_jobs`` local processes (joblib; ``-1`` = all cores).
    """
    from tqdm.auto import tqdm

    total = sum(c.n_sims for c in chunks)
    bar = tqdm(total=total, desc=desc, unit="study", file=sys.stderr, leave=False,
               disable=not _show_progress(progress, expected_seconds))
    try:
        if scheduler:
            return _execute_dask(func, chunks, kwargs, scheduler, bar)
        if n_jobs == 1 or len(chunks) == 1:
            return [_tick(bar, c, func(c, **kwargs)) for c in chunks]
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(func)(c, **kwargs) for c in chunks)
        return [_tick(bar, c, r) for c, r in zip(chunks, results)]
    finally:
        bar.close()


def _tick(bar, chunk: _Chunk, result):
    bar.update(chunk.n_sims)
    return result


def _execute_dask(func, chunks, kwargs, scheduler: str, bar) -> list:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise InputError("--scheduler needs the optional 'distributed' package",
                         hint="pip install 'salesgxe[dask]'") from None
    try:
        client = Client(scheduler, set_as_default=False, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the Dask scheduler at {scheduler!r} ({exc})") from None
    try:
        futures = [client.submit(func, c, pure=False, **kwargs) for c in chunks]
        sizes = {f.key: c.n_sims for f, c in zip(futures, chunks)}
        for fut in as_completed(futures):
            bar.update(sizes[fut.key])
        return client.gather(futures)
    finally:
        client.close()


def _stack(results: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate the per-chunk arrays along the simulation axis."""
    return {name: np.concatenate([r[name] for r in results]) for name in results[0]}


# ============================================================================= power result
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


# ============================================================================= one interaction
def simulated_interaction_power(n_grid: Sequence[int], b_ga: float, carrier_share: float, *,
                                reps: int = 2000, seed: int = 0, sigma: float = 1.0,
                                var_a: float = 1.0, b_g: float = 0.0, b_a: float = 0.0,
                                alpha: float = 0.05, se: str = "ols", n_jobs: int = 1,
                                scheduler: str | None = None, chunk: int | None = None,
                                progress: bool | None = None) -> PowerResult:
    """Simulated power of the G x A test in ``Y = b_g G + b_a A + b_ga G A + e``.

    ``G ~ Bernoulli(carrier_share)``, ``A ~ N(0, var_a)`` independent of G,
    ``e ~ N(0, sigma^2)``; each study fits ``Y ~ 1 + G + A + G A`` with
    :func:`~analysis.fastols.batch_ols` and tests ``b_ga`` at ``alpha`` with the
    ``se`` covariance.  This is the setting of :func:`analytic_interaction_power`
    (the test suite checks one against the other); a sample without carriers
    is rank deficient and counts as not significant.

    Examples
    --------
    >>> res = simulated_interaction_power([100], 0.0, 0.5, reps=300, seed=1)
    >>> res.to_frame()[["n", "target", "reps"]].values.tolist()
    [[100, 'interaction', 300]]
    """
    from .models import normalise_se_type

    se = normalise_se_type(se)
    grid = _check_grid(n_grid)
    chunks = _plan([(n,) for n in grid], int(reps), chunk, n_jobs)
    kwargs = dict(seed=int(seed), b_ga=b_ga, carrier_share=carrier_share, sigma=sigma,
                  var_a=var_a, b_g=b_g, b_a=b_a, se=se)
    results = _execute(_interaction_chunk, chunks, kwargs, n_jobs=n_jobs, scheduler=scheduler,
                       progress=progress, expected_seconds=_expected_seconds(grid, reps, 1))
    rows = []
    for n in grid:
        out = _stack([r for c, r in zip(chunks, results) if c.key == (n,)])
        rows.append(_interaction_row(n, "interaction", out["estimate"], out["p_value"], alpha,
                                     b_ga))
    effects = {"b_ga": b_ga, "carrier_share": carrier_share, "sigma": sigma, "var_a": var_a,
               "b_g": b_g, "b_a": b_a}
    return PowerResult(rows=tuple(rows), n_grid=tuple(grid), targets=("interaction",),
                       reps=int(reps), seed=int(seed), se=se, alpha=alpha, effects=effects,
                       assumptions=_ASSUMPTION_NOTE.format(source="function arguments"))


def _interaction_chunk(chunk: _Chunk, *, seed, b_ga, carrier_share, sigma, var_a, b_g, b_a,
                       se) -> dict:
    from .fastols import batch_ols

    n = chunk.key[0]
    est, pv = [], []
    for ss, size in zip(_block_seeds(seed, chunk), chunk.sizes):
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


def _expected_seconds(grid: Sequence[int], reps: int, models: int) -> float:
    """Rough cost model (measured on a 2-core laptop): ~40 ns per observation and fit."""
    return 4e-8 * reps * models * sum(grid) + 1e-3 * len(grid) * reps / BLOCK


# ============================================================================= batched model families
_OUTCOMES = ("CO", "SO")
_STYLES = ("secure", "anxious", "avoidant")
_GENES = {"DRD2": "drd2_a1_carrier", "DRD4": "drd4_7r_carrier"}
#: the 12 Study 2 models in the order of :func:`analysis.families.study2`
INTERACTIONS = tuple((o, g, s) for o in _OUTCOMES for g in _GENES for s in _STYLES)


def interaction_name(outcome: str, gene: str, style: str) -> str:
    """Target name of a Study 2 interaction, e.g. ``CO:DRD4_x_avoidant``.

    >>> interaction_name("CO", "DRD4", "avoidant")
    'CO:DRD4_x_avoidant'
    """
    return f"{outcome}:{gene}_x_{style}"


def _fit_complete_cases(X: np.ndarray, y: np.ndarray, se: str, L=None) -> dict:
    """Batched OLS with listwise deletion per fit (as :mod:`analysis.families` does).

    ``X (B, n, k)``, ``y (B, n)`` may hold NaN.  Fits are grouped by their
    number of complete rows; within a group the complete rows are moved to the
    front (stable order) and the group is fitted with one
    :func:`~analysis.fastols.batch_ols` call, so every statistic (HC types
    included) is that of the complete-case fit.  Returns ``params (B, k)``,
    ``p (B, k)`` and, with ``L (m, k)``, ``combo`` and ``combo_p`` ``(B, m)``.
    """
    from scipy import stats

    from .fastols import batch_ols

    ok = np.isfinite(y) & np.isfinite(X).all(axis=2)
    counts = ok.sum(axis=1)
    B, n, k = X.shape
    m = 0 if L is None else np.atleast_2d(L).shape[0]
    out = {"params": np.full((B, k), np.nan), "p": np.full((B, k), np.nan),
           "combo": np.full((B, m), np.nan), "combo_p": np.full((B, m), np.nan)}
    for n_ok in np.unique(counts):
        idx = np.flatnonzero(counts == n_ok)
        if n_ok < k + 2:
            continue                                     # not estimable: stays NaN
        if n_ok == n:
            Xg, yg = X[idx], y[idx]
        else:
            order = np.argsort(~ok[idx], axis=1, kind="stable")[:, :n_ok]
            Xg = np.take_along_axis(X[idx], order[:, :, None], axis=1)
            yg = np.take_along_axis(y[idx], order, axis=1)
        fit = batch_ols(Xg, yg, se=se, L=L)
        out["params"][idx] = fit.params
        out["p"][idx] = fit.p_value(se)
        if L is not None:
            est, sev = fit.linear_combination(L, se)
            out["combo"][idx] = est
            with np.errstate(divide="ignore", invalid="ignore"):
                out["combo_p"][idx] = 2.0 * stats.t.sf(np.abs(est / sev), fit.df_resid)
    return out


def _study1_inputs(scores: Mapping[str, np.ndarray], se: str) -> dict:
    """Study 1 per simulated study: ``outcome ~ drd2_a1_carrier + drd4_7r_carrier``.

    Returns ``{(outcome, gene): (estimate (B,), p (B,))}``.
    """
    genes = [np.asarray(scores[c], dtype=float) for c in _GENES.values()]
    out = {}
    for outcome in _OUTCOMES:
        y = np.asarray(scores[outcome], dtype=float)
        X = np.stack([np.ones_like(y), *genes], axis=2)
        fit = _fit_complete_cases(X, y, se)
        for j, gene in enumerate(_GENES, start=1):
            out[(outcome, gene)] = (fit["params"][:, j], fit["p"][:, j])
    return out


_GROUP_L = np.array([[0.0, 1.0, 0.0, 0.0],      # style slope among non-carriers (code 0)
                     [0.0, 1.0, 0.0, 1.0]])     # style slope among carriers (code 1)


def _study2_inputs(scores: Mapping[str, np.ndarray], se: str) -> dict:
    """Study 2 per simulated study: the 12 models ``outcome ~ style * carrier``.

    Design ``[1, style, carrier, style x carrier]`` (the term order of
    :func:`analysis.moderation.probe` with focal = style, moderator = carrier).
    Returns ``{(outcome, gene, style): dict(estimate, p, slope0, p0, slope1, p1)}``
    with arrays of shape (B,): the interaction (carriers' slope minus
    non-carriers') and the style slope within each carrier group.
    """
    out = {}
    for outcome, gene, style in INTERACTIONS:
        y = np.asarray(scores[outcome], dtype=float)
        a = np.asarray(scores[style], dtype=float)
        g = np.asarray(scores[_GENES[gene]], dtype=float)
        X = np.stack([np.ones_like(y), a, g, a * g], axis=2)
        fit = _fit_complete_cases(X, y, se, L=_GROUP_L)
        out[(outcome, gene, style)] = {
            "estimate": fit["params"][:, 3], "p": fit["p"][:, 3],
            "slope0": fit["combo"][:, 0], "p0": fit["combo_p"][:, 0],
            "slope1": fit["combo"][:, 1], "p1": fit["combo_p"][:, 1]}
    return out

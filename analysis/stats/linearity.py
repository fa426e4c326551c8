"""Is the X*W interaction linear?  The binning estimator of Hainmueller, Mummolo & Xu (2019).

The linear interaction model ``Y = b0 + b1 X + b2 W + b3 XW (+ covariates)`` assumes
that the effect of X changes linearly with W, ``theta(w) = b1 + b3 w``.  Hainmueller,
Mummolo & Xu (2019, "How Much Should We Trust Estimates from Multiplicative Interaction
Models? Simple Tools to Improve Empirical Practice", *Political Analysis* 27(2):163-192,
doi:10.1017/pan.2018.46, section 4.1, eq. 5) check it with the **binning estimator**:

1. split the moderator W into K bins (terciles by default) with indicators ``G_j``;
2. take an evaluation point ``w_j`` in each bin, the bin's median;
3. fit ONE pooled regression, without a common intercept,

   .. math::

       Y = \\sum_{j=1}^{K} \\{\\mu_j + \\alpha_j X + \\eta_j (W - w_j)
           + \\beta_j (W - w_j) X\\} G_j + Z\\gamma + \\varepsilon,

   covariates ``Z`` entering additively (the paper's ``Z gamma``).  ``alpha_j`` is the
   conditional effect of X at ``W = w_j``, free of any assumption on how it varies
   across bins; its CI uses the selected covariance (OLS, HC0-HC4, CR1, CR2 through
   :func:`analysis.stats.models.fit_ols`).

Each ``alpha_j`` is set against the linear model's prediction ``b1 + b3 w_j``.  The
linear model is nested in the binning model: per bin the intercept ``mu_j - eta_j w_j``,
the W slope ``eta_j``, the X coefficient ``alpha_j - beta_j w_j`` and the X*W coefficient
``beta_j`` are all equal across bins.  The **Wald test** of these ``4 (K - 1)``
restrictions is the one in HMX's R package ``interflex`` (``inter.binning``: the
linear model plus ``G_j, G_j X, G_j D, G_j D X``, j >= 2, ``lmtest::waldtest(test =
"Chisq")`` with the chosen covariance); it is reported as that chi-square and, as the
primary test, as ``F = chi2 / q`` on ``(q, df_resid)`` (OLS/HC), ``(q, G - 1)`` (CR1) or the
HTZ test (CR2), :meth:`analysis.stats.models.OLSFit.wald`.  A narrower test,
``2 (K - 1)`` df, restricts only the X and X*W coefficients (the effect of X is one
linear function of W in every bin; intercepts and W slopes may differ).

The **sensitivity refit** adds ``W^2`` and ``X W^2``: the effect becomes
``b1 + b3 w + b5 w^2``; the table shows how ``b3`` moves, the test of ``b5`` and the
Johnson-Neyman boundaries of both models inside the observed range (the quadratic
model's solve ``|t(w)| = t*(df(w))`` numerically, Brent's method, tolerance 1e-12).

**Common support** (HMX section 3.2): a bin with fewer than ``min_group_size`` rows,
or in which X or W is constant, cannot be estimated (:class:`InputError`); a bin with
fewer than ``min_bin_rows`` rows, a binary X with a group below ``min_group_size`` in
a bin (its count is then not shown, and for a genotype X the bin's effect is withheld
too), or a continuous X whose SD in the bin is below a quarter of its overall SD is
flagged.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import InputError
from .models import fit_ols
from .probing import _records, conditional_effects, johnson_neyman, linear_combination

__all__ = ["check_linearity", "LinearityCheck", "bin_moderator"]

_COLUMNS = ["estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high"]
#: a continuous X whose SD within a bin is below this share of its overall SD is flagged
SD_RATIO_FLAG = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class LinearityCheck:
    """Result of :func:`check_linearity` (immutable).

    Attributes
    ----------
    bins : DataFrame
        One row per bin: ``label, bin_low, bin_high, n, moderator_value`` (the bin
        median ``w_j``), the binned effect ``estimate, std_error, statistic, df,
        p_value, conf_low, conf_high``, the linear model's prediction at ``w_j``
        (``linear_estimate, linear_conf_low, linear_conf_high``), ``difference``
        (binned minus linear), the support measures (``x_group_min`` for a binary X,
        shown only if at least ``min_group_size``; ``x_sd_ratio`` for a continuous X)
        and ``support`` (empty, or why the bin is flagged).
    line : DataFrame
        The linear model's conditional effect on 101 points across the observed range
        (``moderator_value`` and the inference columns): the figure's line and band.
    wald, wald_effects : dict
        ``test, statistic, df_num, df_den, p_value, chi2, p_value_chi2``.
    sensitivity : DataFrame
        ``model, term`` and the inference columns: ``X:W`` of the linear and the
        quadratic model, ``X:W^2``, and the quadratic model's X*W slope at mean W.
    jn_linear, jn_quadratic : tuple of float
        Johnson-Neyman boundaries inside the observed range.
    """

    outcome: str
    focal: str
    moderator: str
    covariates: tuple[str, ...]
    se_type: str
    alpha: float
    n: int
    edges: tuple[float, ...]
    bin_rule: str
    min_group_size: int
    binary_focal: bool
    bins: pd.DataFrame = field(repr=False)
    line: pd.DataFrame = field(repr=False)
    wald: dict
    wald_effects: dict
    sensitivity: pd.DataFrame = field(repr=False)
    jn_linear: tuple[float, ...]
    jn_quadratic: tuple[float, ...]
    observed_range: tuple[float, float]
    flags: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The bins table (one row per bin)."""
        return self.bins.copy()

    def to_dict(self) -> dict:
        """JSON-safe: every number of the check (``probe --check-linearity --json``)."""
        return {
            "method": "binning estimator (Hainmueller, Mummolo & Xu 2019)",
            "outcome": self.outcome, "focal": self.focal, "moderator": self.moderator,
            "covariates": list(self.covariates), "se_type": self.se_type, "alpha": self.alpha,
            "n": self.n, "bin_rule": self.bin_rule, "edges": [float(e) for e in self.edges],
            "min_group_size": self.min_group_size, "bins": _records(self.bins),
            "wald": dict(self.wald), "wald_effects": dict(self.wald_effects),
            "sensitivity": {"coefficients": _records(self.sensitivity),
                            "jn_linear": list(self.jn_linear),
                            "jn_quadratic": list(self.jn_quadratic)},
            "observed_range": list(self.observed_range),
            "line": _records(self.line), "flags": list(self.flags),
        }

    def summary(self) -> str:
        from ..render.formatting import linearity_summary
        return linearity_summary(self)

    def __str__(self) -> str:
        return self.summary()


# ------------------------------------------------------------------------- bins
def bin_moderator(w: np.ndarray, bins: int = 3, edges: Sequence[float] | None = None,
                  *, moderator: str = "W") -> tuple[np.ndarray, np.ndarray, str]:
    """Bin index 0..K-1 of each row, the K+1 edges and the rule used.

    Default: K quantile bins (``numpy.quantile``, linear interpolation = R's type 7, as
    ``interflex``), right-closed, the minimum in the first bin.  ``edges`` gives the
    interior cut points instead (strictly increasing, inside the observed range).

    >>> idx, e, rule = bin_moderator(np.arange(1.0, 10.0), 3)
    >>> idx.tolist(), e.tolist(), rule
    ([0, 0, 0, 1, 1, 1, 2, 2, 2], [1.0, 3.6666666666666665, 6.333333333333333, 9.0], 'terciles')
    """
    w = np.asarray(w, dtype=float)
    lo, hi = float(w.min()), float(w.max())
    if edges is not None:
        cuts = np.asarray([float(v) for v in edges], dtype=float)
        if cuts.size == 0 or not np.all(np.isfinite(cuts)) or np.any(np.diff(cuts) <= 0):
            raise InputError("--bin-edges needs one or more finite, strictly increasing values",
                             column=moderator)
        if cuts[0] <= lo or cuts[-1] >= hi:
            raise InputError(f"--bin-edges must lie inside the observed range of the moderator "
                             f"({lo:g} to {hi:g})", column=moderator)
        rule = "user edges"
    else:
        if int(bins) < 2:
            raise InputError(f"--bins must be at least 2, got {bins}")
        cuts = np.quantile(w, np.arange(1, int(bins)) / int(bins))
        if np.any(np.diff(np.concatenate([[lo], cuts, [hi]])) <= 0):
            raise InputError(f"cannot split the moderator into {bins} quantile bins: its "
                             "quantiles coincide (many tied values)", column=moderator,
                             hint="use fewer --bins or give --bin-edges")
        rule = "terciles" if int(bins) == 3 else f"{int(bins)} quantile bins"
    index = np.searchsorted(cuts, w, side="left")       # (c_{j-1}, c_j]; min in bin 0
    return index, np.concatenate([[lo], cuts, [hi]]), rule


def _check_bins(x, w, index, edges, min_group_size, moderator, file) -> None:
    """A bin that cannot be estimated is an InputError naming it."""
    for j in range(len(edges) - 1):
        inside = index == j
        where = f"bin {j + 1} ({edges[j]:g} to {edges[j + 1]:g})"
        if inside.sum() < min_group_size:
            raise InputError(f"{where} has {int(inside.sum())} rows, fewer than "
                             f"{min_group_size}: too few to estimate the effect there",
                             file=file, column=moderator,
                             hint="use fewer --bins or other --bin-edges")
        for values, what in ((x, "the focal predictor"), (w, "the moderator")):
            if np.unique(values[inside]).size < 2:
                raise InputError(f"{what} is constant in {where}: the effect there cannot be "
                                 "estimated", file=file, column=moderator,
                                 hint="use fewer --bins or other --bin-edges")


# ------------------------------------------------------------------------- models
def binning_design(x, w, index, medians, K: int, focal: str, moderator: str):
    """Columns ``G_j, G_j X, G_j (W - w_j), G_j X (W - w_j)`` of HMX eq. 5, j = 1..K.

    Returns the (n, 4K) matrix and its term names (``bin=j``, ``X:bin=j``, ...)."""
    cols, terms = [], []
    for j in range(K):
        g = (index == j).astype(float)
        dw = w - medians[j]
        cols += [g, g * x, g * dw, g * x * dw]
        terms += [f"bin={j + 1}", f"{focal}:bin={j + 1}", f"{moderator}_c:bin={j + 1}",
                  f"{focal}:{moderator}_c:bin={j + 1}"]
    return np.column_stack(cols), terms


def nesting_rows(K: int, p: int, medians, effects_only: bool = False) -> np.ndarray:
    """Rows ``L`` with ``L b = 0`` iff the binning model reduces to the linear model.

    Per bin j (parameters ``mu, alpha, eta, beta`` at columns ``4j..4j+3``): intercept
    ``mu - eta w_j``, W slope ``eta``, X coefficient ``alpha - beta w_j``, X*W ``beta``;
    each equal to bin 1's: ``4 (K - 1)`` rows (``2 (K - 1)`` with ``effects_only``:
    the X and X*W coefficients)."""
    def derived(j):
        rows = np.zeros((4, p))
        rows[0, 4 * j], rows[0, 4 * j + 2] = 1.0, -medians[j]
        rows[1, 4 * j + 2] = 1.0
        rows[2, 4 * j + 1], rows[2, 4 * j + 3] = 1.0, -medians[j]
        rows[3, 4 * j + 3] = 1.0
        return rows[2:] if effects_only else rows
    first = derived(0)
    return np.vstack([derived(j) - first for j in range(1, K)])


def _wald(fit, L, what: str) -> dict:
    """The Wald test of ``L b = 0``: F under the fit's covariance, and the chi-square."""
    F, q, df2, p = fit.wald(L)
    est = L @ fit.params
    chi2 = float(est @ np.linalg.solve(L @ fit.vcov @ L.T, est))
    test = {"CR2": "HTZ Wald F (Pustejovsky & Tipton 2018)",
            "CR1": "Wald F(q, G - 1)"}.get(fit.se_type, f"Wald F(q, n - k) with {fit.se_type} "
                                                       "covariance")
    return {"hypothesis": what, "test": test, "statistic": float(F), "df_num": float(q),
            "df_den": float(df2), "p_value": float(p), "chi2": chi2,
            "p_value_chi2": float(stats.chi2.sf(chi2, q))}


def _quadratic_jn(fit, lo: float, hi: float, n_grid: int = 2001) -> tuple[float, ...]:
    """Roots of ``|t(w)| - t*(df(w))`` for ``theta(w) = b1 + b3 w + b5 w^2`` in [lo, hi]."""
    from scipy.optimize import brentq
    alpha = fit.alpha

    fixed = None if fit.cluster is not None and fit.cluster.se_type == "CR2" else \
        float(stats.t.ppf(1 - alpha / 2, fit.df_for(np.eye(len(fit.terms))[1])[0]))

    def gap(points):                 # |t(w)| - t*(df(w)); df varies with w under CR2 only
        points = np.atleast_1d(np.asarray(points, dtype=float))
        L = np.zeros((points.size, len(fit.terms)))
        L[:, 1], L[:, 3], L[:, 5] = 1.0, points, points ** 2
        t = (L @ fit.params) / np.sqrt(np.einsum("ij,jk,ik->i", L, fit.vcov, L))
        crit = fixed if fixed is not None else stats.t.ppf(1 - alpha / 2, fit.df_for(L))
        return np.abs(t) - crit

    grid = np.linspace(lo, hi, n_grid)
    values = gap(grid)
    roots = [float(brentq(lambda v: float(gap(v)[0]), grid[k], grid[k + 1], xtol=1e-12))
             for k in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)]
    return tuple(roots)


def _sensitivity(X_lin, y, x, w, lin, sample, se, alpha, focal, moderator, terms):
    """Refit with W^2 and X W^2; the X*W rows of both models and the quadratic JN."""
    Xq = np.column_stack([X_lin[:, :4], w ** 2, x * w ** 2, X_lin[:, 4:]])
    tq = [*terms[:4], f"{moderator}^2", f"{focal}:{moderator}^2", *terms[4:]]
    quad = fit_ols(Xq, y, tq, se=se, alpha=alpha, weights=sample.weights, cluster=sample.cluster)
    k = len(tq)
    L = np.zeros((3, k))
    L[0, 3], L[1, 5] = 1.0, 1.0
    L[2, 3], L[2, 5] = 1.0, 2.0 * float(np.mean(w))
    rows = pd.concat([linear_combination(lin, np.eye(len(terms))[[3]]),
                      linear_combination(quad, L)], ignore_index=True)
    rows.insert(0, "term", [terms[3], terms[3], tq[5], f"{terms[3]} slope at mean {moderator}"])
    rows.insert(0, "model", ["linear", "quadratic", "quadratic", "quadratic"])
    return rows, _quadratic_jn(quad, float(w.min()), float(w.max()))


# ------------------------------------------------------------------------- support
def _support(x, index, K: int, binary: bool, min_group_size: int, min_bin_rows: int):
    """Per bin: n, the support measure and the flag text."""
    n, group_min, sd_ratio, flags = [], [], [], []
    sd_all = float(np.std(x))
    for j in range(K):
        xj = x[index == j]
        n.append(int(xj.size))
        reasons = [f"fewer than {min_bin_rows} rows"] if xj.size < min_bin_rows else []
        if binary:
            smallest = int(min((xj == v).sum() for v in np.unique(x)))
            group_min.append(float(smallest) if smallest >= min_group_size else None)
            if smallest < min_group_size:
                reasons.append(f"an X group has fewer than {min_group_size} rows")
            sd_ratio.append(None)
        else:
            ratio = float(np.std(xj) / sd_all)
            sd_ratio.append(ratio)
            group_min.append(None)
            if ratio < SD_RATIO_FLAG:
                reasons.append(f"little variation of X (SD {ratio:.2f} of the overall SD)")
        flags.append("; ".join(reasons))
    return n, group_min, sd_ratio, flags


# ------------------------------------------------------------------------- API
def check_linearity(data: pd.DataFrame, *, outcome: str, focal: str, moderator: str,
                    covariates: Sequence[str] = (), se: str | None = None, alpha: float = 0.05,
                    bins: int = 3, bin_edges: Sequence[float] | None = None,
                    min_group_size: int | None = None, min_bin_rows: int = 20,
                    cluster: str | None = None, weights: str | None = None,
                    reference: dict | None = None, linear_probability: bool = False,
                    categorical: Sequence[str] = (), genotype: dict | None = None,
                    file: str | None = None) -> LinearityCheck:
    """Binning-estimator check of the linear X*W interaction (HMX 2019; module docstring).

    Parameters as :func:`analysis.stats.moderation.probe`; ``bins`` quantile bins of the
    moderator (default terciles) or interior cut points ``bin_edges``; a bin needs
    ``min_group_size`` rows (default 5; 10 when the focal predictor is a genotype, the
    codebook's privacy default); ``min_bin_rows`` is the support flag's threshold.  Bins
    and medians are unweighted (as ``interflex``); with ``weights`` every fit is WLS.
    ``genotype={"col": "carrier"|"additive"}`` parses a genotype column as ``probe`` does;
    a multicategorical focal or moderator is refused.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.normal(size=300), "w": rng.uniform(0, 4, 300)})
    >>> df["y"] = 0.5 * df.x * df.w ** 2 + rng.normal(size=300)
    >>> chk = check_linearity(df, outcome="y", focal="x", moderator="w")
    >>> chk.to_frame()["label"].tolist(), chk.wald["df_num"], chk.wald["p_value"] < 0.001
    (['bin=1', 'bin=2', 'bin=3'], 8.0, True)
    """
    from .moderation import _check_variation, prepare_sample, resolve_se
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}")
    se = resolve_se(se, cluster, weights, linear_probability)
    covariates = tuple(covariates)
    data, recoded, sensitive = _numeric_roles(data, focal, moderator, categorical, genotype,
                                              [outcome, *covariates], file)
    min_group_size = min_group_size or (10 if sensitive else 5)
    if min_group_size < 2:
        raise InputError(f"--min-group-size must be at least 2, got {min_group_size}")
    sample = prepare_sample(data, [outcome, focal, moderator, *covariates], cluster=cluster,
                            weights=weights, file=file, reference=reference,
                            linear_probability=linear_probability, recoded=recoded)
    frame = sample.frame
    _check_variation(frame, [focal, moderator, *covariates], file)
    x, w, y = (frame[c].to_numpy() for c in (focal, moderator, outcome))
    if np.unique(w).size < 3:
        raise InputError("is binary: the linearity check bins a continuous moderator (with two "
                         "values the effect is estimated at each and nothing is assumed linear)",
                         file=file, column=moderator)
    index, edges, rule = bin_moderator(w, bins, bin_edges, moderator=moderator)
    _check_bins(x, w, index, edges, min_group_size, moderator, file)
    return _fit_all(sample, x, w, y, index, edges, rule, locals())


def _numeric_roles(data, focal, moderator, categorical, genotype, others, file):
    """Genotype columns parsed as ``probe`` does; a multicategorical role refused.

    Returns the data, the recoding notes and whether the focal predictor is sensitive
    (a genotype, or genotype- / id-like values)."""
    from .moderation import _check_columns, _may_be_categorical
    from ..privacy import is_sensitive
    _check_columns(data, [*others, focal, moderator], file)
    sensitive = bool(is_sensitive(data[focal])) or focal in dict(genotype or {})
    if not (categorical or genotype or _may_be_categorical(data, [focal, moderator])):
        return data, {}, sensitive
    from .designs import resolve_variables
    data, found, recoded = resolve_variables(data, [focal, moderator], categorical=categorical,
                                             genotype=genotype, file=file)
    if found:
        raise InputError(f"{next(iter(found))!r} is multicategorical: --check-linearity needs "
                         "Model 1 with a numeric (or two-valued) focal predictor and a numeric "
                         "moderator", file=file)
    return data, recoded, sensitive


def _fit_all(sample, x, w, y, index, edges, rule, kw) -> LinearityCheck:
    focal, moderator, se, alpha = kw["focal"], kw["moderator"], kw["se"], kw["alpha"]
    covariates, K = kw["covariates"], len(edges) - 1
    Z = sample.frame[list(covariates)].to_numpy()
    inter = f"{focal}:{moderator}"
    terms = ["Intercept", focal, moderator, inter, *covariates]
    X_lin = np.column_stack([np.ones(len(y)), x, w, x * w, Z])
    fitkw = dict(se=se, alpha=alpha, weights=sample.weights, cluster=sample.cluster)
    lin = fit_ols(X_lin, y, terms, **fitkw)
    medians = np.array([float(np.median(w[index == j])) for j in range(K)])
    G, gterms = binning_design(x, w, index, medians, K, focal, moderator)
    binned = fit_ols(np.column_stack([G, Z]), y, [*gterms, *covariates], **fitkw)
    p = len(binned.terms)
    effects = linear_combination(binned, np.eye(p)[[4 * j + 1 for j in range(K)]])
    lo, hi = float(w.min()), float(w.max())
    pred = conditional_effects(lin, focal, inter, medians).to_frame()
    table = _bins_table(effects, pred, edges, medians, x, index, kw)
    sens, jn_q = _sensitivity(X_lin, y, x, w, lin, sample, se, alpha, focal, moderator, terms)
    jn = johnson_neyman(lin, focal, inter, w, moderator=moderator)
    line = conditional_effects(lin, focal, inter, np.linspace(lo, hi, 101)).to_frame()
    return LinearityCheck(
        outcome=kw["outcome"], focal=focal, moderator=moderator, covariates=covariates,
        se_type=se, alpha=alpha, n=len(y), edges=tuple(float(e) for e in edges), bin_rule=rule,
        min_group_size=kw["min_group_size"], binary_focal=np.unique(x).size == 2, bins=table,
        line=line.drop(columns="label"),
        wald=_wald(binned, nesting_rows(K, p, medians), "the linear interaction model holds "
                   "(intercept, W slope, X and X*W coefficients equal in every bin)"),
        wald_effects=_wald(binned, nesting_rows(K, p, medians, effects_only=True),
                           "the X and X*W coefficients are equal in every bin"),
        sensitivity=sens, jn_linear=tuple(b for b, ok in zip(jn.bounds, jn.in_range) if ok),
        jn_quadratic=jn_q, observed_range=(lo, hi),
        flags=tuple(f"bin {j + 1}: {f}" for j, f in enumerate(table["support"]) if f))


def _bins_table(effects, pred, edges, medians, x, index, kw) -> pd.DataFrame:
    K = len(medians)
    binary = np.unique(x).size == 2
    n, group_min, sd_ratio, flags = _support(x, index, K, binary, kw["min_group_size"],
                                             kw["min_bin_rows"])
    table = pd.DataFrame({"label": [f"bin={j + 1}" for j in range(K)],
                          "bin_low": edges[:-1], "bin_high": edges[1:], "n": n,
                          "moderator_value": medians})
    table = pd.concat([table, effects[_COLUMNS].reset_index(drop=True)], axis=1)
    table["linear_estimate"] = pred["estimate"].to_numpy()
    table["linear_conf_low"] = pred["conf_low"].to_numpy()
    table["linear_conf_high"] = pred["conf_high"].to_numpy()
    table["difference"] = table["estimate"] - table["linear_estimate"]
    table["x_group_min"] = group_min
    table["x_sd_ratio"] = sd_ratio
    table["support"] = flags
    return _suppress_small_genotype_cells(table, binary and kw["sensitive"])


def _suppress_small_genotype_cells(table: pd.DataFrame, sensitive: bool) -> pd.DataFrame:
    """A genotype focal predictor with a group below ``min_group_size`` in a bin: that bin's
    effect is withheld (it would rest on a handful of people's outcomes and genotypes,
    :mod:`analysis.privacy`); it still counts in the Wald test, an aggregate."""
    if not sensitive:
        return table
    small = table["x_group_min"].isna()
    cols = [*_COLUMNS, "difference"]
    table[cols] = table[cols].astype(float)
    table.loc[small, cols] = np.nan
    table.loc[small, "support"] = table.loc[small, "support"] + "; effect withheld (privacy)"
    return table

"""Probing an interaction: conditional effects, Johnson-Neyman, the ``probe`` verb.

One core serves every question.  A conditional effect is a linear combination
of coefficients, ``L @ b`` with variance ``L V L'``; the effect of focal X at
moderator value w is ``L = e_X + w e_XW``:

.. math::

    \\theta(w) = b_1 + b_3 w, \\qquad
    \\operatorname{var}\\theta(w) = V_{11} + w^2 V_{33} + 2 w V_{13}

(Aiken & West 1991; Preacher, Curran & Bauer 2006, doi:10.3102/10769986031004437).
The data-frame layer (the ``probe`` verb) lives in :mod:`analysis.stats.moderation`.
Simple slopes (:func:`conditional_effects`), Johnson-Neyman tables and the
plots all call :func:`linear_combination`; the Johnson-Neyman boundaries
(:func:`johnson_neyman`) solve the quadratic where ``theta(w)^2 = t*^2
var theta(w)`` (Bauer & Curran 2005, doi:10.1207/s15327906mbr4003_5) with the
same covariance matrix (OLS or HC) and the same critical t.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .models import OLSFit, inference_frame

__all__ = [
    "linear_combination", "conditional_effects", "moderator_values", "weighted_percentile",
    "weighted_mean_sd",
    "johnson_neyman", "johnson_neyman_rows", "jn_roots", "fdr_critical_t", "fdr_critical_p", "ConditionalEffects", "JohnsonNeyman",
    "wald_test", "crossover", "Crossover",
]


# --------------------------------------------------------------------------- core
def linear_combination(fit: OLSFit, weights: Sequence[Mapping[str, float]] | np.ndarray,
                       *, alpha: float | None = None):
    """Estimate, SE, t, p and CI of linear combinations ``L @ b`` of a fit.

    Parameters
    ----------
    fit : OLSFit
    weights : sequence of {term: weight} mappings, or ndarray of shape (m, k)
        One row of ``L`` per combination.
    alpha : float, optional
        Defaults to ``fit.alpha``.

    Returns
    -------
    DataFrame with ``estimate, std_error, statistic, df, p_value, conf_low, conf_high``;
    inference uses the fit's degrees of freedom for each row (``fit.df_for``:
    ``df_resid`` for OLS/HC, ``G - 1`` for CR1, Satterthwaite for CR2), as for the
    coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.stats.models import fit_ols
    >>> X = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.]])
    >>> fit = fit_ols(X, np.array([1, 2.9, 5.2, 7, 8.8, 11.1]), ["Intercept", "x"])
    >>> float(linear_combination(fit, [{"x": 2.0}])["estimate"].iloc[0].round(3))
    4.0
    """
    L = _as_matrix(fit, weights)
    est = L @ fit.params
    var = np.einsum("ij,jk,ik->i", L, fit.vcov, L)
    se = np.sqrt(np.maximum(var, 0.0))
    return inference_frame(est, se, fit.df_for(L), fit.alpha if alpha is None else alpha)


def _as_matrix(fit: OLSFit, weights) -> np.ndarray:
    if isinstance(weights, np.ndarray):
        return np.atleast_2d(weights.astype(float))
    L = np.zeros((len(weights), len(fit.terms)))
    for i, row in enumerate(weights):
        for term, w in row.items():
            L[i, fit.index(term)] = w
    return L


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionalEffects:
    """Conditional effects of ``focal`` at values of ``moderator``.

    ``frame`` columns: ``label, moderator_value, estimate, std_error, statistic,
    df, p_value, conf_low, conf_high, in_range`` (``in_range`` is False for a
    moderator value outside the observed range: an extrapolation).
    """

    focal: str
    moderator: str
    alpha: float
    se_type: str
    frame: object = field(repr=False)

    def to_frame(self):
        return self.frame.copy()

    def to_dict(self) -> list[dict]:
        return _records(self.frame)


def conditional_effects(fit: OLSFit, focal: str, interaction: str, at: Sequence[float], *,
                        moderator: str = "W", labels: Sequence[str] | None = None,
                        observed_range: tuple[float, float] | None = None,
                        alpha: float | None = None) -> ConditionalEffects:
    """Effect of ``focal`` at each moderator value in ``at``: ``b_focal + w b_interaction``.

    The variance is ``V_ff + w^2 V_ii + 2 w V_fi`` under the fit's covariance
    (OLS or HC).  Equivalent to refitting with the moderator centred at ``w``
    and reading off the focal coefficient (tested).
    """
    at = np.asarray(at, dtype=float)
    L = np.zeros((at.size, len(fit.terms)))
    L[:, fit.index(focal)] = 1.0
    L[:, fit.index(interaction)] = at
    frame = linear_combination(fit, L, alpha=alpha)
    frame.insert(0, "moderator_value", at)
    frame.insert(0, "label", list(labels) if labels is not None else [f"{v:g}" for v in at])
    if observed_range is not None:
        lo, hi = observed_range
        frame["in_range"] = (at >= lo - 1e-12) & (at <= hi + 1e-12)
    return ConditionalEffects(focal=focal, moderator=moderator, se_type=fit.se_type,
                              alpha=fit.alpha if alpha is None else alpha, frame=frame)


def moderator_values(w: np.ndarray, binary: bool,
                     weights: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Default probe points: both groups for a binary moderator; otherwise the
    16th/50th/84th percentiles (PROCESS v4, the (n+1)p rule = numpy ``weibull``)
    and mean - 1 SD, mean, mean + 1 SD (Aiken & West; SD with n - 1).

    With ``weights`` (sampling weights) the mean and SD are weighted
    (:func:`weighted_mean_sd`) and the percentiles come from
    :func:`weighted_percentile`; equal weights give the unweighted values exactly.

    Examples
    --------
    >>> labels, values = moderator_values(np.arange(1.0, 11.0), binary=False)
    >>> labels
    ['p16', 'p50', 'p84', 'mean-1sd', 'mean', 'mean+1sd']
    >>> np.round(values, 3).tolist()
    [1.76, 5.5, 9.24, 2.472, 5.5, 8.528]
    """
    w = np.asarray(w, dtype=float)
    if binary:        # w takes two values: np.unique(w) without sorting all of w
        groups = np.unique([w.min(), w.max()])
        return [f"group={g:g}" for g in groups], groups
    if weights is None:
        pct = np.percentile(w, [16, 50, 84], method="weibull")
        m, s = w.mean(), w.std(ddof=1)
    else:
        pct = weighted_percentile(w, weights, [16, 50, 84])
        m, s = weighted_mean_sd(w, weights)
    return (["p16", "p50", "p84", "mean-1sd", "mean", "mean+1sd"],
            np.concatenate([pct, [m - s, m, m + s]]))


def weighted_mean_sd(x: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted mean and SD, weights normalised to sum to n (scale-free):
    ``sd^2 = n/(n-1) * sum w (x - m)^2 / sum w`` (equal weights: the sample SD).

    >>> [round(v, 6) for v in weighted_mean_sd(np.array([1., 2, 3, 4]), np.ones(4))]
    [2.5, 1.290994]
    """
    x, w = np.asarray(x, dtype=float), np.asarray(weights, dtype=float)
    m = float(w @ x / w.sum())
    n = x.size
    return m, float(np.sqrt(n / (n - 1) * (w @ (x - m) ** 2) / w.sum()))


def weighted_percentile(x: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Weighted (n+1)p rule: sorted values at plotting positions ``S_k / (S_n + mean w)``
    (``S_k`` the cumulative weight), linear interpolation, clamped at the ends.
    Equal weights give ``k / (n + 1)``, numpy's ``weibull`` method (PROCESS's rule).

    >>> x = np.arange(1.0, 11.0)
    >>> bool(np.allclose(weighted_percentile(x, np.full(10, 3.0), [16, 84]),
    ...                  np.percentile(x, [16, 84], method="weibull")))
    True
    """
    x, w = np.asarray(x, dtype=float), np.asarray(weights, dtype=float)
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order])
    pos = cw / (cw[-1] + w.mean())
    return np.interp(np.asarray(q, dtype=float) / 100.0, pos, xs)


# ------------------------------------------------------------------ Johnson-Neyman
def jn_roots(b1: float, b3: float, v11: float, v33: float, v13: float,
             t_crit: float) -> tuple[tuple[float, ...], str]:
    """Real roots of ``(b1 + b3 w)^2 = t*^2 (V11 + w^2 V33 + 2 w V13)`` and the region type.

    Writing the condition "significant at w" as ``a w^2 + b w + c < 0`` with
    ``a = t*^2 V33 - b3^2``, ``b = 2 (t*^2 V13 - b1 b3)``, ``c = t*^2 V11 - b1^2``
    (Bauer & Curran 2005):

    - ``a < 0``: significant *outside* the two roots;
    - ``a > 0`` and discriminant > 0: significant *inside* them;
    - ``a > 0`` and discriminant <= 0: significant *nowhere*;
    - ``a = 0``: one root, significant *above* or *below* it.

    Returns
    -------
    roots : tuple of float (sorted), and region on the whole real line:
        ``inside``, ``outside``, ``above``, ``below``, ``nowhere`` or ``everywhere``.

    Examples
    --------
    >>> roots, region = jn_roots(0.0, 1.0, 1.0, 0.01, 0.0, 2.0)   # t = w / sqrt(1 + .01 w^2)
    >>> region, [round(r, 6) for r in roots]
    ('outside', [-2.041241, 2.041241])
    """
    t2 = t_crit ** 2
    a = t2 * v33 - b3 ** 2
    b = 2.0 * (t2 * v13 - b1 * b3)
    c = t2 * v11 - b1 ** 2
    scale = max(abs(t2 * v33), b3 ** 2, np.finfo(float).tiny)
    if abs(a) <= 1e-12 * scale:
        if b == 0:
            return (), ("everywhere" if c < 0 else "nowhere")
        root = -c / b
        return (root,), ("below" if b > 0 else "above")
    disc = b * b - 4.0 * a * c
    if disc <= 0:
        # a > 0 here (a < 0 forces disc > 0: the quadratic is positive where theta = 0)
        return (), ("nowhere" if a > 0 else "everywhere")
    sq = np.sqrt(disc)
    # numerically stable pair of roots
    q = -0.5 * (b + np.copysign(sq, b))
    roots = sorted([q / a, c / q]) if q != 0 else sorted([(-b - sq) / (2 * a), (-b + sq) / (2 * a)])
    return tuple(float(r) for r in roots), ("outside" if a < 0 else "inside")


@dataclass(frozen=True, slots=True, kw_only=True)
class JohnsonNeyman:
    """Johnson-Neyman region of significance for the effect of ``focal`` along ``moderator``.

    Attributes
    ----------
    bounds : tuple of float
        Every real boundary (sorted), inside or outside the observed range.
    in_range : tuple of bool
        Whether each boundary lies within ``observed_range``.
    significant_region : str
        Where the effect is significant *within the observed range*:
        ``inside`` (between two boundaries), ``outside``, ``above``, ``below``,
        ``everywhere`` or ``nowhere``.
    region_unrestricted : str
        The same on the whole real line.
    share_below, share_above : tuple of (float or None)
        Share of cases with moderator below / above each boundary (PROCESS's
        "% below / % above"); ``None`` for a boundary outside the observed range.
    t_crit : float or None
        Critical t used: ``t(1 - p_crit/2, df)``; ``None`` under CR2, where the
        Satterthwaite df (and so the critical t) changes along the moderator.
    p_crit : float
        Per-point two-sided level: ``alpha``, or the FDR-controlled one.
    df : tuple of float
        Degrees of freedom of the conditional effect at each boundary.
    fdr : bool
        Whether ``t_crit`` controls the false discovery rate (Esarey & Sumner 2018).
    """

    focal: str
    moderator: str
    alpha: float
    t_crit: float | None
    fdr: bool
    se_type: str
    bounds: tuple[float, ...]
    in_range: tuple[bool, ...]
    significant_region: str
    region_unrestricted: str
    observed_range: tuple[float, float]
    share_below: tuple[float | None, ...]
    share_above: tuple[float | None, ...]
    p_crit: float = 0.05
    df: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        return {
            "bounds": list(self.bounds), "in_range": list(self.in_range), "df": list(self.df),
            "p_crit": self.p_crit,
            "significant_region": self.significant_region,
            "region_unrestricted": self.region_unrestricted,
            "alpha": self.alpha, "t_crit": self.t_crit, "fdr": self.fdr, "se_type": self.se_type,
            "observed_range": list(self.observed_range),
            "share_below": list(self.share_below), "share_above": list(self.share_above),
        }

    def summary(self) -> str:
        lo, hi = self.observed_range
        kind = "FDR-controlled " if self.fdr else ""
        crit = (f"t* = {self.t_crit:.4f}" if self.t_crit is not None
                else f"p* = {self.p_crit:.4g}, Satterthwaite df")
        head = (f"Johnson-Neyman ({self.se_type}, {kind}alpha = {self.alpha:g}, {crit}); "
                f"observed {self.moderator} range [{lo:.4g}, {hi:.4g}]")
        lines = [head]
        for b, inside, below, above in zip(self.bounds, self.in_range, self.share_below, self.share_above):
            if inside:
                lines.append(f"  boundary {b:.4f}: {100 * below:.2f}% of cases below, {100 * above:.2f}% above")
            else:
                lines.append(f"  boundary {b:.4f}: outside the observed range")
        lines.append(f"  effect of {self.focal} significant: {_region_words(self)}")
        return "\n".join(lines)


def _region_words(jn: JohnsonNeyman) -> str:
    inner = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
    region = jn.significant_region
    if region == "everywhere":
        return "across the whole observed range"
    if region == "nowhere":
        return "nowhere in the observed range"
    if region == "above":
        return f"for {jn.moderator} >= {inner[0]:.4f}"
    if region == "below":
        return f"for {jn.moderator} <= {inner[0]:.4f}"
    if region == "inside":
        return f"for {inner[0]:.4f} <= {jn.moderator} <= {inner[1]:.4f}"
    return f"for {jn.moderator} <= {inner[0]:.4f} and for {jn.moderator} >= {inner[1]:.4f}"


def fdr_critical_p(fit: OLSFit, focal: str, interaction: str, lo: float, hi: float, *,
                   alpha: float, n_grid: int = 1001) -> float:
    """False-discovery-rate controlled per-point level for a JN analysis (Esarey & Sumner 2018).

    The conditional effect is tested at ``n_grid`` equally spaced moderator values
    over the observed range ``[lo, hi]`` (as ``interactions::johnson_neyman(control.fdr
    = TRUE)`` does, but with the fit's own covariance and degrees of freedom); the
    Benjamini-Hochberg step-up finds the largest ``i`` with ``p_(i) <= i alpha / m``
    and returns ``i alpha / m`` (``alpha / m``, Bonferroni, if nothing is rejected).
    Esarey, J., & Sumner, J. L. (2018). Marginal effects in interaction models:
    determining and controlling the false positive rate. Comparative Political
    Studies, 51(9), 1144-1176. doi:10.1177/0010414017730080
    """
    l0, l1 = _unit(fit, focal), _unit(fit, interaction)
    return _fdr_p(fit, l0, l1, lo, hi, alpha, n_grid)


def _fdr_p(fit, l0, l1, lo, hi, alpha, n_grid=1001) -> float:
    grid = np.linspace(lo, hi, n_grid)
    p = np.sort(linear_combination(fit, _rows(l0, l1, grid), alpha=alpha)["p_value"].to_numpy())
    m = p.size
    passing = np.flatnonzero(p <= np.arange(1, m + 1) / m * alpha)
    i = int(passing[-1]) + 1 if passing.size else 1
    return i * alpha / m


def fdr_critical_t(fit: OLSFit, focal: str, interaction: str, lo: float, hi: float, *,
                   alpha: float, n_grid: int = 1001) -> float:
    """The FDR-controlled critical t, ``|t^{-1}(p*/2, df)|`` with ``p*`` from
    :func:`fdr_critical_p` (constant-df fits: OLS, HC, CR1 with ``G - 1``)."""
    p_crit = fdr_critical_p(fit, focal, interaction, lo, hi, alpha=alpha, n_grid=n_grid)
    df = float(fit.df_for(_unit(fit, focal))[0])
    return float(abs(stats.t.ppf(p_crit / 2, df)))


def johnson_neyman(fit: OLSFit, focal: str, interaction: str, moderator_data: np.ndarray, *,
                   moderator: str = "W", alpha: float | None = None,
                   fdr: bool = False, weights: np.ndarray | None = None) -> JohnsonNeyman:
    """Johnson-Neyman boundaries of ``b_focal + w b_interaction``, restricted to the observed range.

    ``moderator_data`` (the observed moderator values) gives the range and the
    share of cases below / above each boundary; it is not stored.  With
    ``fdr=True`` the per-point level controls the false discovery rate across the
    observed range (:func:`fdr_critical_p`) instead of ``alpha``.  With a constant
    df (OLS, HC, CR1) the boundaries are the closed-form roots of :func:`jn_roots`;
    under CR2 the Satterthwaite df changes with the moderator value and the
    boundaries solve ``|t(w)| = t^{-1}(1 - p*/2, df(w))`` numerically (Brent's method,
    |w| tolerance 1e-12) over the observed range widened by 3 ranges on each side.
    With ``weights`` (sampling weights) the shares below / above are weighted.
    """
    return johnson_neyman_rows(fit, _unit(fit, focal), _unit(fit, interaction), moderator_data,
                               focal=focal, moderator=moderator, alpha=alpha, fdr=fdr,
                               weights=weights)


def johnson_neyman_rows(fit: OLSFit, l0: np.ndarray, l1: np.ndarray, moderator_data, *,
                        focal: str, moderator: str = "W", alpha: float | None = None,
                        fdr: bool = False, weights: np.ndarray | None = None) -> JohnsonNeyman:
    """Johnson-Neyman boundaries of any effect linear in the moderator, ``(l0 + w l1)' b``
    (a contrast between two groups, a conditional interaction): see :func:`johnson_neyman`."""
    alpha = fit.alpha if alpha is None else alpha
    l0, l1 = np.asarray(l0, dtype=float), np.asarray(l1, dtype=float)
    w = np.asarray(moderator_data, dtype=float)
    lo, hi = float(w.min()), float(w.max())
    p_crit = _fdr_p(fit, l0, l1, lo, hi, alpha) if fdr else alpha
    b, V = fit.params, fit.vcov
    if fit.cluster is not None and fit.cluster.se_type == "CR2":
        t_crit = None
        roots, region = _jn_roots_numeric(fit, l0, l1, p_crit, lo, hi)
    else:
        t_crit = float(stats.t.ppf(1 - p_crit / 2, fit.df_for(l0)[0]))
        roots, region = jn_roots(l0 @ b, l1 @ b, l0 @ V @ l0, l1 @ V @ l1, l0 @ V @ l1, t_crit)
    in_range = tuple(bool(lo <= r <= hi) for r in roots)
    share = np.full(w.size, 1.0 / w.size) if weights is None else np.asarray(weights) / np.sum(weights)
    below = tuple(float(share @ (w < r)) if ok else None for r, ok in zip(roots, in_range))
    above = tuple(float(share @ (w > r)) if ok else None for r, ok in zip(roots, in_range))
    df = tuple(float(d) for d in fit.df_for(_rows(l0, l1, np.asarray(roots)))) if roots else ()
    cuts = [lo] + [r for r, ok in zip(roots, in_range) if ok] + [hi]
    return JohnsonNeyman(
        focal=focal, moderator=moderator, alpha=alpha, t_crit=t_crit, se_type=fit.se_type, fdr=fdr,
        bounds=roots, in_range=in_range, region_unrestricted=region,
        significant_region=_region_pattern(_significant(fit, l0, l1, p_crit, _mids(cuts))),
        observed_range=(lo, hi), share_below=below, share_above=above, p_crit=p_crit, df=df)


def _unit(fit, term: str) -> np.ndarray:
    e = np.zeros(len(fit.terms))
    e[fit.index(term)] = 1.0
    return e


def _rows(l0, l1, w) -> np.ndarray:
    w = np.atleast_1d(np.asarray(w, dtype=float))
    return l0[None, :] + w[:, None] * l1[None, :]


def _mids(cuts) -> np.ndarray:
    return np.array([(a + b) / 2 for a, b in zip(cuts[:-1], cuts[1:])])


def _significant(fit, l0, l1, p_crit, points) -> np.ndarray:
    """Whether the effect ``(l0 + w l1)' b`` is significant at level ``p_crit`` at each point."""
    frame = linear_combination(fit, _rows(l0, l1, points))
    return frame["p_value"].to_numpy() < p_crit


def _region_pattern(sig) -> str:
    pattern = tuple(bool(s) for s in sig)
    return {(True,): "everywhere", (False,): "nowhere", (False, True): "above",
            (True, False): "below", (False, True, False): "inside",
            (True, False, True): "outside"}.get(pattern, "nowhere" if not any(pattern) else "everywhere")


def _jn_roots_numeric(fit, l0, l1, p_crit, lo, hi, n_grid: int = 2001):
    """Roots of ``|t(w)| - t*(df(w))`` by bracketing on a grid, then Brent's method."""
    from scipy.optimize import brentq

    span = max(hi - lo, 1e-12)
    grid = np.linspace(lo - 3 * span, hi + 3 * span, n_grid)

    def gap(points):
        frame = linear_combination(fit, _rows(l0, l1, points))
        tcrit = stats.t.ppf(1 - p_crit / 2, frame["df"].to_numpy())
        return np.abs(frame["statistic"].to_numpy()) - tcrit

    values = gap(grid)
    roots = []
    for k in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0):
        roots.append(float(brentq(lambda v: float(gap(np.array([v]))[0]), grid[k], grid[k + 1],
                                  xtol=1e-12, rtol=4 * np.finfo(float).eps)))
    cuts = [grid[0]] + roots + [grid[-1]]
    return tuple(roots), _region_pattern(_significant(fit, l0, l1, p_crit, _mids(cuts)))


def wald_test(fit: OLSFit, terms: Sequence[str]) -> tuple[float, int, int, float]:
    """Wald F test that all ``terms`` are zero under the fit's covariance.

    ``F = b_R' V_RR^{-1} b_R / q`` on ``(q, df_resid)`` degrees of freedom.  With the
    OLS covariance it equals the classical nested-model F; with an HC
    covariance it is PROCESS's ``F(HCk)``; CR1 uses ``(q, G - 1)`` and CR2 the HTZ
    test (:meth:`analysis.stats.models.OLSFit.wald`).  Returns ``(F, q, df_den, p)``.
    """
    L = np.zeros((len(terms), len(fit.terms)))
    for row, term in enumerate(terms):
        L[row, fit.index(term)] = 1.0
    F, q, df2, p = fit.wald(L)
    return F, int(q), (int(df2) if float(df2).is_integer() else df2), p


# ------------------------------------------------------ differential susceptibility
@dataclass(frozen=True, slots=True, kw_only=True)
class Crossover:
    """Where the two genotype lines cross, and what that says (differential susceptibility).

    Attributes
    ----------
    estimate, std_error, conf_low, conf_high : float
        Crossover ``C = -b_G / b_GE`` on the moderator (environment) scale, its
        delta-method SE and Wald interval (Widaman et al. 2012, eq. 4).
    fieller_low, fieller_high : float
        Fieller interval: every ``c`` where the genotype effect at ``c`` is not
        significant, i.e. the Johnson-Neyman non-significance region of the
        genotype effect (bounded only when the interaction is significant).
    poi_right : float
        Proportion of interaction right of the crossover within ``bounds``
        (Roisman et al. 2012; :func:`analysis.study.susceptibility.poi_right`, whose
        docstring says what is verified and what is reconstructed).
    bounds : tuple of float
        Range judged: mean +/- 2 SD of the moderator (Roisman et al. 2012), NOT
        clipped: it may extend beyond the data (compare ``observed_range``).
    observed_range : tuple of float
        Smallest and largest observed moderator value.
    classification : str
        ``disordinal`` (the whole Fieller interval inside ``bounds``: the pattern
        differential susceptibility predicts), ``ordinal`` (the whole interval
        outside ``bounds``: diathesis-stress / vantage-sensitivity-like), or
        ``undetermined`` (the interval straddles a bound or is unbounded).
    """

    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    fieller_low: float
    fieller_high: float
    poi_right: float
    bounds: tuple[float, float]
    classification: str
    observed_range: tuple[float, float] = (float("nan"), float("nan"))

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else _json_value(v))
                for k, v in ((f, getattr(self, f)) for f in self.__slots__)}


def crossover(fit: OLSFit, gene: str, interaction: str, moderator_data: np.ndarray, *,
              alpha: float | None = None) -> Crossover:
    """Crossover point of the genotype lines along the moderator, with its uncertainty.

    ``C = -b_G / b_GE``; ``var C ~ (V_GG + C^2 V_II + 2 C V_GI) / b_GE^2`` (delta
    method).  The Fieller interval ``{c : |b_G + b_GE c| <= t* se(c)}`` comes from the
    same quadratic as Johnson-Neyman (:func:`jn_roots`).
    """
    alpha = fit.alpha if alpha is None else alpha
    i, j = fit.index(gene), fit.index(interaction)
    b, V = fit.params, fit.vcov
    t_crit = float(stats.t.ppf(1 - alpha / 2, fit.df_resid))
    c = -b[i] / b[j]
    se = float(np.sqrt(max(V[i, i] + c * c * V[j, j] + 2 * c * V[i, j], 0.0)) / abs(b[j]))
    roots, region = jn_roots(b[i], b[j], V[i, i], V[j, j], V[i, j], t_crit)
    fieller = (roots[0], roots[1]) if region == "outside" else (-np.inf, np.inf)
    from ..study.susceptibility import moderator_range, poi_right

    w = np.asarray(moderator_data, dtype=float)
    lo, hi = moderator_range(w, "2sd")
    poi = poi_right(c, lo, hi)
    if lo <= fieller[0] and fieller[1] <= hi:
        kind = "disordinal"
    elif np.isfinite(fieller[0]) and (fieller[1] < lo or fieller[0] > hi):
        kind = "ordinal"
    else:
        kind = "undetermined"
    return Crossover(estimate=float(c), std_error=se, conf_low=float(c - t_crit * se),
                     conf_high=float(c + t_crit * se), fieller_low=float(fieller[0]),
                     fieller_high=float(fieller[1]), poi_right=float(poi),
                     bounds=(float(lo), float(hi)), classification=kind,
                     observed_range=(float(w.min()), float(w.max())))


# ------------------------------------------------------------------------- helpers
def _records(frame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: _json_value(v) for k, v in row.items()})
    return out


def _json_value(v):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    return v


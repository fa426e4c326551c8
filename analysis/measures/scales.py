r"""Scale scoring and reliability: reverse keys, answered-share rule, alpha, omega.

Scoring
    :func:`score_scale` averages the answered items after reverse keying
    (``min + max - x``); respondents who answered fewer than ``min_answered``
    (a share) of the items get NaN.  Blank cells and the texts NA, N/A, NaN,
    None and "." count as unanswered.  Out-of-range and non-numeric answers are
    an :class:`~analysis._errors.InputError` naming column, rows and values.

Reliability (methods.md section 9; semTools::reliability documentation)
    .. math::

        \alpha = \frac{k}{k-1}\Bigl(1 - \frac{\sum_i \sigma_{ii}}{\sum_{i,j}\sigma_{ij}}\Bigr),
        \qquad
        \alpha_{std} = \frac{k\bar r}{1 + (k-1)\bar r},
        \qquad
        \omega = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i \psi_i}.

    Omega (McDonald 1999, "omega total" of a one-factor model; Raykov 2001)
    comes from a one-factor model fitted **by maximum likelihood** here
    (the concentrated likelihood of R's ``factanal``, minimised with L-BFGS-B)
    and is computed by default on the **covariance metric**: loadings and
    uniquenesses in raw item units, i.e. the reliability of the unit-weighted
    raw sum/mean that :func:`score_scale` produces.  ``metric="correlation"``
    gives the omega of the sum of standardised items (psych::omega's metric).
    Because ML is scale-invariant, both come from the same fit.  For
    tau-equivalent items (equal raw loadings) covariance-metric omega equals
    alpha exactly.

All statistics use complete cases (listwise deletion), as psych::alpha with
``use = "complete.obs"`` and R ``psy::cronbach`` do.

Degenerate input (documented choice): the reliability functions never raise
for a degenerate scale; they return NaN, and :func:`reliability` says why in
its ``warnings``.  NaN is returned for fewer than 2 items or 2 complete
respondents, zero total variance, constant items (standardised alpha and
omega: correlations are undefined; raw alpha is still defined), and omega with
fewer than 3 items (a one-factor model is not identified with 2).  Non-numeric
input is an InputError.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
tests. Psychometrika, 16, 297-334.

McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.

Raykov, T. (2001). Estimation of congeneric scale reliability using
covariance structure analysis with nonlinear constraints. British Journal of
Mathematical and Statistical Psychology, 54, 315-323.

Joreskog, K. G. (1967). Some contributions to maximum likelihood factor
analysis. Psychometrika, 32, 443-482 (the concentrated ML criterion).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = [
    "reverse_key", "score_scale", "score_answers", "cronbach_alpha", "alpha_from_cov",
    "standardized_alpha", "mcdonald_omega", "omega_from_cov", "fit_one_factor",
    "OneFactorFit", "item_total", "reliability", "reliability_from_answers", "Reliability",
]

_PSI_LOWER = 0.005          # factanal's lower bound for uniquenesses (correlation metric)
_NEG_ITEM_R = 0.0
_LOW_COMPLETE_SHARE = 0.8
_METRICS = ("covariance", "correlation")
_MISSING_TEXT = ("", "NA", "N/A", "NAN", "NONE", "<NA>", ".")   # read as missing, not as text


def reverse_key(x, min_value: float, max_value: float):
    """Reverse-key a response: ``min_value + max_value - x``.

    Works on scalars, numpy arrays and pandas objects.

    >>> reverse_key(2, 1, 9), reverse_key(pd.Series([1, 5, 9]), 1, 9).tolist()
    (8, [9, 5, 1])
    """
    return min_value + max_value - x


# ------------------------------------------------------------------ validation
def _numeric_items(items, *, file: str | None = None) -> pd.DataFrame:
    """Items as a float DataFrame; non-numeric cells raise InputError."""
    frame = pd.DataFrame(items).copy()
    for col in frame.columns:
        raw = frame[col]
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            frame[col] = raw.astype(float)          # no text to check (and no copy as text)
            continue
        num = pd.to_numeric(raw, errors="coerce")
        suspect = num.isna() & raw.notna()          # only these cells can be blank text
        blank = pd.Series(False, index=raw.index)
        if suspect.any():
            blank[suspect] = raw[suspect].astype("str").str.strip().str.upper() \
                .isin(_MISSING_TEXT).to_numpy(dtype=bool)
        bad = suspect & ~blank
        if bad.any():
            pos = np.flatnonzero(bad.to_numpy())
            raise InputError("is not numeric", file=file, column=str(col),
                             rows=(pos + 1).tolist(), values=raw.iloc[pos].tolist(),
                             hint="recode text answers to numbers before scoring")
        frame[col] = num.astype(float)
    return frame


def _check_range(frame: pd.DataFrame, min_value: float, max_value: float,
                 file: str | None) -> None:
    outside = (frame < min_value) | (frame > max_value)
    bad_cols = [c for c in frame.columns if outside[c].any()]
    if not bad_cols:
        return
    col = bad_cols[0]
    pos = np.flatnonzero(outside[col].to_numpy())
    others = f" Also out of range: {', '.join(map(str, bad_cols[1:]))}." if bad_cols[1:] else ""
    raise InputError(f"answers outside the response range [{min_value:g}, {max_value:g}]",
                     file=file, column=str(col), rows=(pos + 1).tolist(),
                     values=frame[col].iloc[pos].tolist(),
                     hint="check the codebook's min/max or missing-value codes (e.g. 99)." + others)


def score_scale(items: pd.DataFrame, *, reverse: Iterable[str] = (), min_value: float,
                max_value: float, min_answered: float = 0.5, name: str | None = None,
                file: str | None = None) -> pd.Series:
    """Score a scale as the mean of the answered items after reverse keying.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent.
    reverse : iterable of str
        Columns to reverse-key (``min_value + max_value - x``).
    min_value, max_value : float
        Response range; answers outside it raise InputError (column, rows, values).
    min_answered : float in (0, 1]
        Minimum share of items answered; below it the score is NaN.
    name, file : str, optional
        Series name; file name for error messages.

    >>> df = pd.DataFrame({"a": [1, 5, None], "b": [5, 1, None], "c": [2, None, 3]})
    >>> score_scale(df, reverse=["b"], min_value=1, max_value=5).tolist()
    [1.3333333333333333, 5.0, nan]
    """
    if not 0 < min_answered <= 1:
        raise InputError(f"min_answered must be a share in (0, 1], got {min_answered!r}")
    frame = _numeric_items(items, file=file)
    reverse = list(reverse)
    unknown = [c for c in reverse if c not in frame.columns]
    if unknown:
        raise InputError(f"reverse-keyed item(s) {', '.join(map(repr, unknown))} are not "
                         "among the scale's items", file=file)
    _check_range(frame, min_value, max_value, file)
    values = np.array(frame.to_numpy(dtype=float).T, order="C")      # (k, N), a copy
    rows = [frame.columns.get_loc(c) for c in dict.fromkeys(reverse)]
    if rows:
        values[rows] = reverse_key(values[rows], min_value, max_value)
    return pd.Series(score_answers(values, min_answered=min_answered), index=frame.index,
                     name=name)


def score_answers(values: np.ndarray, *, min_answered: float = 0.5) -> np.ndarray:
    """Scores from checked, reverse-keyed answers: ``values`` is a (k, N) float array, one
    row per item, NaN = unanswered.  The mean of the answered items (their sum, item by
    item in order, over their number: the operations of pandas' ``mean(axis=1)``), NaN
    when fewer than ``min_answered`` (a share) of the k items were answered.

    >>> score_answers(np.array([[1.0, 5.0, np.nan], [1.0, 5.0, np.nan], [2.0, np.nan, 3.0]]))
    array([1.33333333, 5.        ,        nan])
    """
    k, n = values.shape
    answered = np.zeros(n, dtype=np.intp)
    total, filled, missing = np.zeros(n), np.empty(n), np.empty(n, dtype=bool)
    for j in range(k):                 # item by item: one row in cache at a time
        np.isnan(values[j], out=missing)
        answered += ~missing
        np.copyto(filled, values[j])
        np.putmask(filled, missing, 0.0)
        if j:
            total += filled
        else:
            total[:] = filled
    enough = (answered >= min_answered * k - 1e-9) & (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = total / answered
    score[~enough] = np.nan
    return score


# ------------------------------------------------------------------ alpha
def _complete(items) -> np.ndarray:
    frame = _numeric_items(items)
    return frame.dropna().to_numpy(dtype=float)


def _as_cov(cov) -> np.ndarray:
    mat = np.asarray(cov, dtype=float)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1] or not np.allclose(mat, mat.T):
        raise InputError("a covariance matrix must be square and symmetric")
    return mat


def alpha_from_cov(cov) -> float:
    r"""Cronbach's alpha from an item covariance matrix.

    :math:`\alpha = \frac{k}{k-1}(1 - \operatorname{tr}\Sigma / \mathbf 1'\Sigma\mathbf 1)`;
    NaN for k < 2 or zero total variance.

    >>> round(alpha_from_cov([[10, 6, 6, 6], [6, 11, 6, 6], [6, 6, 12, 6], [6, 6, 6, 13]]), 4)
    0.8136
    """
    mat = _as_cov(cov)
    k = mat.shape[0]
    total = mat.sum()
    if k < 2 or not total > 0:
        return math.nan
    return float(k / (k - 1) * (1 - np.trace(mat) / total))


def cronbach_alpha(items) -> float:
    """Cronbach's alpha on complete cases (sample covariances; the divisor cancels).

    >>> round(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4]})), 6)
    0.941176
    """
    data = _complete(items)
    if data.shape[0] < 2 or data.shape[1] < 2:
        return math.nan
    return alpha_from_cov(np.cov(data, rowvar=False))


def _corr_from_cov(mat: np.ndarray) -> np.ndarray | None:
    sd = np.sqrt(np.diag(mat))
    if np.any(~(sd > 0)):
        return None
    return mat / np.outer(sd, sd)


def standardized_alpha(items) -> float:
    r"""Standardised alpha :math:`k\bar r / (1 + (k-1)\bar r)`, :math:`\bar r` = mean
    inter-item correlation (complete cases).  NaN if an item is constant.

    >>> round(standardized_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4]})), 6)
    0.944272
    """
    data = _complete(items)
    k = data.shape[1]
    if data.shape[0] < 2 or k < 2:
        return math.nan
    corr = _corr_from_cov(np.cov(data, rowvar=False))
    if corr is None:
        return math.nan
    rbar = (corr.sum() - k) / (k * (k - 1))
    return float(k * rbar / (1 + (k - 1) * rbar))


# ------------------------------------------------------------------ one-factor model
@dataclass(frozen=True, slots=True, kw_only=True)
class OneFactorFit:
    """Maximum-likelihood one-factor model.

    Attributes
    ----------
    loadings, uniquenesses : ndarray
        Covariance metric (raw item units); ``sum(loadings) >= 0``.
    std_loadings, std_uniquenesses : ndarray
        Correlation metric.
    converged : bool
    heywood : tuple of int
        Indices of items whose uniqueness hit the lower bound (Heywood case).
    """

    loadings: np.ndarray
    uniquenesses: np.ndarray
    std_loadings: np.ndarray
    std_uniquenesses: np.ndarray
    converged: bool
    heywood: tuple[int, ...]


def _ml_objective(psi: np.ndarray, corr: np.ndarray) -> tuple[float, np.ndarray]:
    """factanal's concentrated ML criterion for one factor and its gradient."""
    scale = 1.0 / np.sqrt(psi)
    values, vectors = np.linalg.eigh(corr * np.outer(scale, scale))
    rest = np.maximum(values[:-1], 1e-12)     # singular R: keep the criterion finite
    obj = -(np.sum(np.log(rest) - rest) - 1 + corr.shape[0])
    load = np.sqrt(psi) * vectors[:, -1] * math.sqrt(max(values[-1] - 1.0, 0.0))
    resid = np.outer(load, load) + np.diag(psi) - corr
    return float(obj), np.diag(resid) / psi ** 2


def fit_one_factor(cov) -> OneFactorFit:
    """Fit a one-factor model by maximum likelihood (as R ``factanal(factors = 1)``).

    The ML criterion is minimised over the uniquenesses of the correlation
    matrix with L-BFGS-B (bounds [0.005, 1], start ``1 - 0.5/k`` over the
    diagonal of the inverse correlation matrix, as factanal); loadings follow
    from the first eigenvector of :math:`\\Psi^{-1/2} R \\Psi^{-1/2}`.  Results
    are rescaled to the covariance metric with the item standard deviations.
    Requires k >= 3 and positive item variances.
    """
    from scipy.optimize import minimize
    mat = _as_cov(cov)
    corr = _corr_from_cov(mat)
    k = mat.shape[0]
    if corr is None or k < 3:
        raise InputError("a one-factor model needs at least 3 items with positive variance")
    start = np.clip((1 - 0.5 / k) / np.diag(np.linalg.pinv(corr)), _PSI_LOWER, 1.0)
    res = minimize(_ml_objective, start, args=(corr,), jac=True, method="L-BFGS-B",
                   bounds=[(_PSI_LOWER, 1.0)] * k,
                   options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000})
    psi = res.x
    values, vectors = np.linalg.eigh(corr / np.outer(np.sqrt(psi), np.sqrt(psi)))
    lam = np.sqrt(psi) * vectors[:, -1] * math.sqrt(max(values[-1] - 1.0, 0.0))
    lam = lam if lam.sum() >= 0 else -lam
    sd = np.sqrt(np.diag(mat))
    heywood = tuple(int(i) for i in np.flatnonzero(psi <= _PSI_LOWER * 1.0001))
    return OneFactorFit(loadings=lam * sd, uniquenesses=psi * sd ** 2, std_loadings=lam,
                        std_uniquenesses=psi, converged=bool(res.success), heywood=heywood)


def _omega(fit: OneFactorFit, metric: str) -> float:
    lam, psi = ((fit.loadings, fit.uniquenesses) if metric == "covariance"
                else (fit.std_loadings, fit.std_uniquenesses))
    common = lam.sum() ** 2
    return float(common / (common + psi.sum()))


def _check_metric(metric: str) -> None:
    if metric not in _METRICS:
        raise InputError(f"metric must be one of {', '.join(_METRICS)}, got {metric!r}")


def omega_from_cov(cov, *, metric: str = "covariance") -> float:
    """McDonald's omega total from a covariance matrix (one-factor ML fit).

    ``(sum lambda)^2 / ((sum lambda)^2 + sum psi)`` on the covariance metric
    (default: reliability of the raw sum score) or the correlation metric.
    NaN for k < 3 or a constant item.

    >>> lam, psi = np.array([0.8, 0.7, 0.6, 0.5]), np.array([0.36, 0.51, 0.64, 0.75])
    >>> round(omega_from_cov(np.outer(lam, lam) + np.diag(psi)), 6)   # 2.6^2 / (6.76 + 2.26)
    0.749446
    """
    _check_metric(metric)
    mat = _as_cov(cov)
    if mat.shape[0] < 3 or _corr_from_cov(mat) is None:
        return math.nan
    return _omega(fit_one_factor(mat), metric)


def mcdonald_omega(items, *, metric: str = "covariance") -> float:
    """McDonald's omega total of the items (complete cases); see :func:`omega_from_cov`."""
    _check_metric(metric)
    data = _complete(items)
    if data.shape[0] < 2 or data.shape[1] < 3:
        return math.nan
    return omega_from_cov(np.cov(data, rowvar=False), metric=metric)


# ------------------------------------------------------------------ item statistics
def _corrected_r(data: np.ndarray, j: int) -> float:
    rest = np.delete(data, j, axis=1).sum(axis=1)
    x = data[:, j]
    if data.shape[0] < 2 or np.std(x) == 0 or np.std(rest) == 0:
        return math.nan
    return float(np.corrcoef(x, rest)[0, 1])


def item_total(items) -> pd.DataFrame:
    """Item statistics: corrected item-total r, alpha if deleted, mean, sd, n.

    ``r_corrected`` (item vs the sum of the *other* items) and
    ``alpha_if_deleted`` use complete cases, like alpha; ``mean``, ``sd``
    (n - 1 divisor) and ``n`` use every answer to that item.

    >>> t = item_total(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 2, 4]}))
    >>> t["item"].tolist(), t["n"].tolist()
    (['a', 'b', 'c'], [4, 4, 4])
    """
    frame = _numeric_items(items)
    data = frame.dropna().to_numpy(dtype=float)
    cov = np.cov(data, rowvar=False) if data.shape[0] >= 2 else None
    rows = []
    for j, col in enumerate(frame.columns):
        keep = [i for i in range(frame.shape[1]) if i != j]
        alpha_del = (alpha_from_cov(cov[np.ix_(keep, keep)])
                     if cov is not None and len(keep) >= 2 else math.nan)
        rows.append({"item": str(col), "r_corrected": _corrected_r(data, j),
                     "alpha_if_deleted": alpha_del, "mean": float(frame[col].mean()),
                     "sd": float(frame[col].std(ddof=1)), "n": int(frame[col].notna().sum())})
    return pd.DataFrame(rows, columns=["item", "r_corrected", "alpha_if_deleted",
                                       "mean", "sd", "n"])


# ------------------------------------------------------------------ reliability
def _num(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


@dataclass(frozen=True, slots=True, kw_only=True)
class Reliability:
    """Reliability of one scale (complete cases).

    Attributes
    ----------
    name : str or None
    n : int
        Complete respondents used for alpha/omega; ``n_total`` = all rows.
    k : int
        Number of items.
    alpha, standardized_alpha, omega : float
        NaN when undefined (see ``warnings``); ``omega_metric`` says which metric.
    items : DataFrame
        :func:`item_total` table.
    warnings : tuple of str
        Plain-language problems (negative items, constant items, too few items,
        Heywood cases, many incomplete respondents).
    """

    name: str | None
    n: int
    n_total: int
    k: int
    alpha: float
    standardized_alpha: float
    omega: float
    omega_metric: str
    items: pd.DataFrame
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per coefficient (``term``, ``estimate``, ``n``, ``k``)."""
        terms = ["alpha", "standardized_alpha", "omega"]
        return pd.DataFrame({"scale": self.name, "term": terms,
                             "estimate": [self.alpha, self.standardized_alpha, self.omega],
                             "n": self.n, "k": self.k})

    def to_dict(self) -> dict:
        """JSON-safe dict (NaN -> None)."""
        table = [{k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()}
                 for row in self.items.to_dict("records")]
        return {"name": self.name, "n": int(self.n), "n_total": int(self.n_total),
                "k": int(self.k), "alpha": _num(self.alpha),
                "standardized_alpha": _num(self.standardized_alpha),
                "omega": _num(self.omega), "omega_metric": self.omega_metric,
                "items": table, "warnings": list(self.warnings)}


def _scale_warnings(names: list[str], n_total: int, data: np.ndarray, table: pd.DataFrame,
                    label: str) -> list[str]:
    out = []
    k, n = len(names), data.shape[0]
    if k < 2:
        out.append(f"{label} has {k} item(s): alpha and omega need at least 2 (omega 3); "
                   "reported as NaN")
    elif k == 2:
        out.append(f"{label} has 2 items: omega needs at least 3 (a one-factor model is not "
                   "identified with 2); reported as NaN")
    if n < 2:
        out.append(f"{label} has {n} complete respondent(s): reliability reported as NaN")
    elif n < _LOW_COMPLETE_SHARE * n_total:
        out.append(f"{label}: only {n} of {n_total} respondents answered every item; "
                   "reliability uses complete cases")
    # np.std == 0 needs every value equal (max == min): the std pass only when one is
    if n >= 2 and np.any(data.max(axis=0) == data.min(axis=0)):
        for col in np.asarray(names, dtype=object)[np.std(data, axis=0) == 0]:
            out.append(f"item {col} is constant among complete respondents: standardized "
                       "alpha and omega are undefined (NaN); consider dropping it")
    for row in table.itertuples():
        if row.r_corrected < _NEG_ITEM_R:
            out.append(f"item {row.item} correlates negatively (r = {row.r_corrected:.2f}) "
                       "with the rest of its scale: a forgotten reverse key?")
    return out


def _omega_with_note(cov: np.ndarray | None, k: int, label: str) -> tuple[float, list[str]]:
    if cov is None or k < 3 or _corr_from_cov(cov) is None:
        return math.nan, []
    fit = fit_one_factor(cov)
    notes = []
    if fit.heywood:
        notes.append(f"{label}: the one-factor model hit a boundary (Heywood case: a "
                     "uniqueness near 0); omega may be unreliable")
    if not fit.converged:
        notes.append(f"{label}: the one-factor fit did not converge; omega may be unreliable")
    return _omega(fit, "covariance"), notes


def _answer_stats(x: np.ndarray, buffer: np.ndarray | None = None) -> tuple[float, float, int]:
    """Mean, sd (n - 1 divisor) and n of one item's answers, NaN skipped.

    The operations of pandas' ``Series.mean()`` / ``Series.std(ddof=1)`` (nanops:
    zero-filled sum over the count; two-pass variance with the masked squares set
    to 0), so the numbers are the ones pandas gives, bit for bit (tested).  ``buffer``
    (same shape, float) is scratch space reused between items."""
    mask = np.isnan(x)
    filled = np.empty_like(x, dtype=float) if buffer is None else buffer
    np.copyto(filled, x)
    np.putmask(filled, mask, 0.0)
    count = np.float64(x.size - int(mask.sum()))
    total = filled.sum(dtype=np.float64)
    if count <= 0:
        return math.nan, math.nan, 0
    mean = total / count
    if count <= 1:
        return float(mean), math.nan, int(count)
    sqr = np.subtract(mean, filled, out=filled)
    sqr **= 2
    np.putmask(sqr, mask, 0)
    return float(mean), float(np.sqrt(sqr.sum(dtype=np.float64) / (count - 1))), int(count)


def _corrected_rs(data: np.ndarray, cov: np.ndarray | None) -> np.ndarray:
    r"""Corrected item-total correlations from the complete cases' covariance matrix.

    With :math:`S = \Sigma` (item covariances), :math:`s_j = \sum_i S_{ij}` and
    :math:`T = \sum_{ij} S_{ij}`, the item's covariance with the sum of the other
    items is :math:`s_j - S_{jj}` and that sum's variance :math:`T - 2 s_j + S_{jj}`:
    :math:`r_j = (s_j - S_{jj}) / \sqrt{S_{jj}(T - 2 s_j + S_{jj})}`, the Pearson r
    of :func:`_corrected_r` without a pass over the rows per item.  NaN (as there)
    for fewer than 2 rows or a constant item or rest score."""
    k, n = data.shape[1], data.shape[0]
    if n < 2 or cov is None or k < 2:
        return np.full(k, math.nan)
    rows, total = cov.sum(axis=1), cov.sum()
    diag = np.diag(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (rows - diag) / np.sqrt(diag * (total - 2 * rows + diag))
    r = np.clip(r, -1.0, 1.0)
    # NaN where the item or the rest score is constant (np.std == 0, as _corrected_r).
    # A constant item has max == min; a constant rest score has a variance that is
    # rounding noise: far above that noise it cannot be constant, so the rows are
    # read again only for items near it
    rest_var = total - 2 * rows + diag
    near = rest_var <= 1e-8 * (abs(total) + 2 * np.abs(rows) + np.abs(diag))
    const = data.max(axis=0) == data.min(axis=0)
    rest_sum = data.sum(axis=1) if near.any() else None
    for j in np.flatnonzero(near | const):
        x = data[:, j]
        if np.std(x) == 0 or np.std(rest_sum - x if rest_sum is not None else
                                    data.sum(axis=1) - x) == 0:
            r[j] = math.nan
    return r


def _item_table(values: np.ndarray, names: list[str], data: np.ndarray,
                cov: np.ndarray | None) -> pd.DataFrame:
    """:func:`item_total`'s table from the (k, N) answers, the complete rows and their
    covariance matrix (alpha if deleted from its sub-matrices, as there)."""
    k = len(names)
    r = _corrected_rs(data, cov)
    rows, buffer = [], np.empty(values.shape[1])
    for j, col in enumerate(names):
        keep = [i for i in range(k) if i != j]
        alpha_del = (alpha_from_cov(cov[np.ix_(keep, keep)])
                     if cov is not None and len(keep) >= 2 else math.nan)
        mean, sd, n = _answer_stats(values[j], buffer)
        rows.append({"item": str(col), "r_corrected": float(r[j]), "alpha_if_deleted": alpha_del,
                     "mean": mean, "sd": sd, "n": n})
    return pd.DataFrame(rows, columns=["item", "r_corrected", "alpha_if_deleted",
                                       "mean", "sd", "n"])


def _standardized_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    corr = _corr_from_cov(cov)
    if corr is None:
        return math.nan
    rbar = (corr.sum() - k) / (k * (k - 1))
    return float(k * rbar / (1 + (k - 1) * rbar))


def reliability_from_answers(values: np.ndarray, names, *, name: str | None = None
                             ) -> Reliability:
    """:func:`reliability` of numeric answers already checked: ``values`` is a (k, N) float
    array, one row per item (NaN = unanswered), ``names`` the k item names.

    Every statistic comes from **one** covariance matrix of the complete rows (alpha,
    standardised alpha, omega, alpha if deleted, corrected item-total r: all are
    functions of it) and one pass per item for its mean, sd and n; the complete rows
    are laid out as pandas lays out ``frame.dropna().to_numpy()``, so alpha, omega and
    the item table equal those of :func:`cronbach_alpha`, :func:`standardized_alpha`,
    :func:`mcdonald_omega` and :func:`item_total` bit for bit, and the corrected r to
    rounding (closed form above; tests/test_scales.py states the tolerances).
    """
    values = np.ascontiguousarray(values, dtype=float)
    names = [str(c) for c in names]
    k, n_total = values.shape
    complete = ~np.isnan(values).any(axis=0)
    rows = np.empty((k, int(complete.sum())))     # complete rows, item by item (C order);
    for j in range(k):                            # its transpose is laid out as pandas'
        rows[j] = values[j][complete]             # dropna().to_numpy(): same np.cov bits
    data = rows.T
    n = data.shape[0]
    cov = np.cov(data, rowvar=False) if n >= 2 and k >= 2 else None
    label = f"scale {name}" if name else "the scale"
    table = _item_table(values, names, data, cov)
    omega, notes = _omega_with_note(cov, k, label)
    warnings = _scale_warnings(names, n_total, data, table, label) + notes
    return Reliability(name=name, n=int(n), n_total=int(n_total), k=int(k),
                       alpha=alpha_from_cov(cov) if cov is not None else math.nan,
                       standardized_alpha=(_standardized_from_cov(cov) if cov is not None
                                           else math.nan),
                       omega=omega, omega_metric="covariance", items=table,
                       warnings=tuple(warnings))


def reliability(items, *, name: str | None = None) -> Reliability:
    """Alpha, standardised alpha, omega (covariance metric) and item table of one scale.

    Never raises for a degenerate scale (NaN + a warning instead); non-numeric
    items raise InputError.  Computed by :func:`reliability_from_answers`.

    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 3, 4, 2, 1]})
    >>> rel = reliability(df, name="demo")
    >>> rel.k, any("item c correlates negatively" in w for w in rel.warnings)
    (3, True)
    """
    frame = _numeric_items(items)
    values = frame.to_numpy(dtype=float).T
    return reliability_from_answers(values, list(frame.columns), name=name)

"""Batched decisions on many simulated studies: the Study 1 and Study 2 models fitted
with :func:`analysis.fastols.batch_ols`, and the verdict rules of
:func:`analysis.claims.judge` applied to every study at once.

The rules here are the array form of the ones in :mod:`analysis.claims` (driven
by the same :data:`analysis.claims.CLAIMS` data); ``tests/test_power.py``
checks that both give the same verdict on every one of 100 simulated datasets.
Used by :mod:`analysis.power` for power curves and replication probabilities.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._errors import InputError

__all__ = ["INTERACTIONS", "VERDICT_CODES", "REPRODUCED", "interaction_name",
           "fit_complete_cases", "study1_inputs", "study2_inputs", "adjust_rows", "verdict_codes"]


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


def fit_complete_cases(X: np.ndarray, y: np.ndarray, se: str, L=None) -> dict:
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


def study1_inputs(scores: Mapping[str, np.ndarray], se: str) -> dict:
    """Study 1 per simulated study: ``outcome ~ drd2_a1_carrier + drd4_7r_carrier``.

    Returns ``{(outcome, gene): (estimate (B,), p (B,))}``.
    """
    genes = [np.asarray(scores[c], dtype=float) for c in _GENES.values()]
    out = {}
    for outcome in _OUTCOMES:
        y = np.asarray(scores[outcome], dtype=float)
        X = np.stack([np.ones_like(y), *genes], axis=2)
        fit = fit_complete_cases(X, y, se)
        for j, gene in enumerate(_GENES, start=1):
            out[(outcome, gene)] = (fit["params"][:, j], fit["p"][:, j])
    return out


_GROUP_L = np.array([[0.0, 1.0, 0.0, 0.0],      # style slope among non-carriers (code 0)
                     [0.0, 1.0, 0.0, 1.0]])     # style slope among carriers (code 1)


def study2_inputs(scores: Mapping[str, np.ndarray], se: str) -> dict:
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
        fit = fit_complete_cases(X, y, se, L=_GROUP_L)
        out[(outcome, gene, style)] = {
            "estimate": fit["params"][:, 3], "p": fit["p"][:, 3],
            "slope0": fit["combo"][:, 0], "p0": fit["combo_p"][:, 0],
            "slope1": fit["combo"][:, 1], "p1": fit["combo_p"][:, 1]}
    return out


# ===================================================== vectorised verdict rules
#: verdict codes of the vectorised rules (index into this tuple)
VERDICT_CODES = ("reproduced", "partial", "not reproduced", "contradicted")
_REPRODUCED, _PARTIAL, _NOT_REPRODUCED, _CONTRADICTED = range(4)
REPRODUCED = _REPRODUCED  #: verdict code of "reproduced" in :func:`verdict_codes` output


def adjust_rows(P: np.ndarray, method: str) -> np.ndarray:
    """Row-wise Holm or Benjamini-Hochberg adjusted p-values of ``P (B, m)``.

    The same arithmetic as :func:`analysis.families.holm` /
    :func:`~analysis.families.benjamini_hochberg` applied to every row
    (non-finite entries stay NaN and are not counted in ``m``), vectorised.

    Examples
    --------
    >>> adjust_rows(np.array([[0.01, 0.04, 0.03]]), "holm").round(4).tolist()
    [[0.03, 0.06, 0.06]]
    >>> adjust_rows(np.array([[0.01, np.nan, 0.03]]), "bh").round(4).tolist()
    [[0.02, nan, 0.03]]
    """
    P = np.asarray(P, dtype=float)
    if method == "none":
        return P.copy()
    finite = np.isfinite(P)
    m = finite.sum(axis=1, keepdims=True).astype(float)
    order = np.argsort(np.where(finite, P, np.inf), axis=1, kind="stable")
    q = np.take_along_axis(np.where(finite, P, np.inf), order, axis=1)
    i = np.arange(P.shape[1], dtype=float)[None, :]
    with np.errstate(invalid="ignore"):
        if method == "holm":
            adj = np.minimum(1.0, np.maximum.accumulate((m - i) * q, axis=1))
        elif method == "bh":
            scaled = m * q / (i + 1.0)
            adj = np.minimum(1.0, np.minimum.accumulate(scaled[:, ::-1], axis=1)[:, ::-1])
        else:
            raise InputError(f"unknown adjustment {method!r}; choose holm, bh or none")
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=1)
    return np.where(finite, out, np.nan)


def verdict_codes(s1: Mapping, s2: Mapping, *, alpha: float, family_rule: str = "holm",
                  p_adjust: str = "none", claims=None) -> dict[str, np.ndarray]:
    """The verdict rules of :func:`analysis.claims.judge`, vectorised over studies.

    Parameters
    ----------
    s1, s2 : mapping
        Decision inputs from the batched Study 1 / Study 2 fits (shape (B,) arrays).
    alpha, family_rule, p_adjust
        As for :func:`analysis.claims.judge`.
    claims : sequence of Claim, optional
        Defaults to :data:`analysis.claims.CLAIMS`, whose data (members,
        expected sign, rising and flat groups) drive the rules.

    Returns
    -------
    dict of claim id -> int8 array (B,) of indices into :data:`VERDICT_CODES`.
    The test suite checks agreement with ``judge`` study by study.
    """
    from .claims import CLAIMS

    p_all = np.column_stack([s2[key]["p"] for key in INTERACTIONS])
    decision = dict(zip(INTERACTIONS, adjust_rows(p_all, p_adjust).T))
    out = {}
    for claim in (CLAIMS if claims is None else claims):
        if claim.study == 1:
            est, p = s1[(claim.outcome, claim.gene)]
            out[claim.id] = (_null_rule(p, alpha) if claim.kind == "null"
                             else _positive_rule(est, p, claim.expected_sign, None, alpha))
        elif claim.kind == "null":
            P = np.column_stack([s2[m]["p"] for m in claim.members])
            rule = family_rule if len(claim.members) > 1 else "none"
            out[claim.id] = _family_rule(P, alpha, rule)
        else:
            member = s2[claim.members[0]]
            pattern = None if claim.rising_group is None else _pattern(claim, member, alpha)
            out[claim.id] = _positive_rule(member["estimate"], decision[claim.members[0]],
                                           claim.expected_sign, pattern, alpha)
    return out


def _null_rule(p, alpha) -> np.ndarray:
    return np.where(p < alpha, _CONTRADICTED, _REPRODUCED).astype(np.int8)


def _family_rule(P, alpha, rule) -> np.ndarray:
    """Contradicted when any within-family adjusted p < alpha."""
    return _null_rule(np.nanmin(np.where(np.isfinite(P), adjust_rows(P, rule), np.inf), axis=1),
                      alpha)


def _positive_rule(est, p, sign, pattern, alpha) -> np.ndarray:
    sig = p < alpha
    right = np.sign(est) == sign
    contra = sig & ~right
    if pattern is None:
        return np.select([contra, sig], [_CONTRADICTED, _REPRODUCED],
                         _NOT_REPRODUCED).astype(np.int8)
    return np.select([contra, sig & pattern, sig | (pattern & right)],
                     [_CONTRADICTED, _REPRODUCED, _PARTIAL], _NOT_REPRODUCED).astype(np.int8)


def _pattern(claim, member: Mapping, alpha) -> np.ndarray:
    """Named group's style slope positive and significant, the other group's not significant."""
    from .families import GROUP_LABELS

    code = {label: c for c, label in GROUP_LABELS[claim.gene].items()}
    r, f = code[claim.rising_group], code[claim.flat_group]
    return ((member[f"slope{r}"] > 0) & (member[f"p{r}"] < alpha)) & ~(member[f"p{f}"] < alpha)

"""Batched decisions on many simulated studies: the Study 1 and Study 2 models fitted
with :func:`analysis.stats.fastols.batch_ols`, and the verdict rules of
:func:`analysis.study.claims.judge` applied to every study at once.

The rules here are the array form of the ones in :mod:`analysis.study.claims` (driven
by the same :data:`analysis.study.claims.CLAIMS` data); ``tests/test_power.py``
checks that both give the same verdict on every one of 100 simulated datasets.
Used by :mod:`analysis.simulation.power` for power curves and replication probabilities.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._errors import InputError

__all__ = ["INTERACTIONS", "VERDICT_CODES", "REPRODUCED", "interaction_name",
           "fit_complete_cases", "study1_inputs", "study2_inputs", "sesoi_arrays", "adjust_rows",
           "tost_p", "verdict_codes"]


_OUTCOMES = ("CO", "SO")
_STYLES = ("secure", "anxious", "avoidant")
_GENES = {"DRD2": "drd2_a1_carrier", "DRD4": "drd4_7r_carrier"}
#: the 12 Study 2 models in the order of :func:`analysis.study.families.study2`
INTERACTIONS = tuple((o, g, s) for o in _OUTCOMES for g in _GENES for s in _STYLES)


def interaction_name(outcome: str, gene: str, style: str) -> str:
    """Target name of a Study 2 interaction, e.g. ``CO:DRD4_x_avoidant``.

    >>> interaction_name("CO", "DRD4", "avoidant")
    'CO:DRD4_x_avoidant'
    """
    return f"{outcome}:{gene}_x_{style}"


def fit_complete_cases(X: np.ndarray, y: np.ndarray, se: str, L=None) -> dict:
    """Batched OLS with listwise deletion per fit (as :mod:`analysis.study.families` does).

    ``X (B, n, k)``, ``y (B, n)`` may hold NaN.  Fits are grouped by their
    number of complete rows; within a group the complete rows are moved to the
    front (stable order) and the group is fitted with one
    :func:`~analysis.stats.fastols.batch_ols` call, so every statistic (HC types
    included) is that of the complete-case fit.  Returns ``params``, ``se`` and
    ``p`` ``(B, k)``, ``df (B,)`` (residual degrees of freedom) and, with
    ``L (m, k)``, ``combo``, ``combo_se`` and ``combo_p`` ``(B, m)``.
    """
    from scipy import stats

    from ..stats.fastols import batch_ols

    ok = np.isfinite(y) & np.isfinite(X).all(axis=2)
    counts = ok.sum(axis=1)
    B, n, k = X.shape
    m = 0 if L is None else np.atleast_2d(L).shape[0]
    out = {"params": np.full((B, k), np.nan), "se": np.full((B, k), np.nan),
           "p": np.full((B, k), np.nan), "df": np.full(B, np.nan),
           "combo": np.full((B, m), np.nan), "combo_se": np.full((B, m), np.nan),
           "combo_p": np.full((B, m), np.nan)}
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
        out["se"][idx] = fit.std_errors[se]
        out["p"][idx] = fit.p_value(se)
        out["df"][idx] = fit.df_resid
        if L is not None:
            est, sev = fit.linear_combination(L, se)
            out["combo"][idx] = est
            out["combo_se"][idx] = sev
            with np.errstate(divide="ignore", invalid="ignore"):
                out["combo_p"][idx] = 2.0 * stats.t.sf(np.abs(est / sev), fit.df_resid)
    return out


def study1_inputs(scores: Mapping[str, np.ndarray], se: str) -> dict:
    """Study 1 per simulated study: ``outcome ~ drd2_a1_carrier + drd4_7r_carrier``.

    Returns ``{(outcome, gene): dict(estimate, se, df, p)}`` with arrays of shape (B,).
    """
    genes = [np.asarray(scores[c], dtype=float) for c in _GENES.values()]
    out = {}
    for outcome in _OUTCOMES:
        y = np.asarray(scores[outcome], dtype=float)
        X = np.stack([np.ones_like(y), *genes], axis=2)
        fit = fit_complete_cases(X, y, se)
        for j, gene in enumerate(_GENES, start=1):
            out[(outcome, gene)] = {"estimate": fit["params"][:, j], "se": fit["se"][:, j],
                                    "df": fit["df"], "p": fit["p"][:, j]}
    return out


_GROUP_L = np.array([[0.0, 1.0, 0.0, 0.0],      # style slope among non-carriers (code 0)
                     [0.0, 1.0, 0.0, 1.0]])     # style slope among carriers (code 1)


def study2_inputs(scores: Mapping[str, np.ndarray], se: str) -> dict:
    """Study 2 per simulated study: the 12 models ``outcome ~ style * carrier``.

    Design ``[1, style, carrier, style x carrier]`` (the term order of
    :func:`analysis.stats.moderation.probe` with focal = style, moderator = carrier).
    Returns ``{(outcome, gene, style): dict(estimate, se, df, p, slope0, se0, p0,
    slope1, se1, p1)}`` with arrays of shape (B,): the interaction (carriers'
    slope minus non-carriers') and the style slope within each carrier group.
    """
    out = {}
    for outcome, gene, style in INTERACTIONS:
        y = np.asarray(scores[outcome], dtype=float)
        a = np.asarray(scores[style], dtype=float)
        g = np.asarray(scores[_GENES[gene]], dtype=float)
        X = np.stack([np.ones_like(y), a, g, a * g], axis=2)
        fit = fit_complete_cases(X, y, se, L=_GROUP_L)
        out[(outcome, gene, style)] = {
            "estimate": fit["params"][:, 3], "se": fit["se"][:, 3], "df": fit["df"],
            "p": fit["p"][:, 3],
            "slope0": fit["combo"][:, 0], "se0": fit["combo_se"][:, 0], "p0": fit["combo_p"][:, 0],
            "slope1": fit["combo"][:, 1], "se1": fit["combo_se"][:, 1], "p1": fit["combo_p"][:, 1]}
    return out


def sesoi_arrays(spec: Mapping, scores1: Mapping | None, scores2: Mapping | None) -> dict:
    """:func:`analysis.study.claims.sesoi_in_raw_units` for every simulated study: ``{id: (B,)}``.

    The same arithmetic on the score arrays ``(B, n)`` (NaN = missing score):
    Study 1 ``d x`` pooled within-carrier-group SD of the outcome, Study 2
    ``interaction_std x SD(outcome) / SD(style)`` (``ddof = 1``), the smallest
    over a family's members.
    """
    from .claims import CLAIMS

    d, k = float(spec["main_effect_d"]), float(spec["interaction_std"])
    out = {}
    for claim in CLAIMS:
        if claim.study == 1 and scores1 is not None:
            out[claim.id] = d * _pooled_sd(np.asarray(scores1[claim.outcome], dtype=float),
                                           np.asarray(scores1[_GENES[claim.gene]]))
        elif claim.study == 2 and scores2 is not None:
            sd = {c: np.nanstd(np.asarray(scores2[c], dtype=float), axis=1, ddof=1)
                  for m in claim.members for c in (m[0], m[2])}
            out[claim.id] = np.min([k * sd[m[0]] / sd[m[2]] for m in claim.members], axis=0)
    return out


def _pooled_sd(y: np.ndarray, group: np.ndarray) -> np.ndarray:
    ok = np.isfinite(y)
    ss, n_groups = np.zeros(y.shape[0]), np.zeros(y.shape[0])
    for level in (0, 1):
        mask = ok & (group == level)
        cnt = mask.sum(axis=1)
        mean = np.where(mask, y, 0.0).sum(axis=1) / np.maximum(cnt, 1)
        ss += np.where(mask, (y - mean[:, None]) ** 2, 0.0).sum(axis=1)
        n_groups += cnt > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(ss / (ok.sum(axis=1) - n_groups))


# ===================================================== vectorised verdict rules
#: verdict codes of the vectorised rules: indices into :data:`analysis.study.claims.VERDICTS`
#: (``not tested`` is never produced here: simulated studies measure every variable)
VERDICT_CODES = ("reproduced", "partial", "inconclusive", "not reproduced", "contradicted",
                 "not tested")
REPRODUCED = 0  #: verdict code of "reproduced" in :func:`verdict_codes` output
def adjust_rows(P: np.ndarray, method: str) -> np.ndarray:
    """Row-wise Holm or Benjamini-Hochberg adjusted p-values of ``P (B, m)``.

    The same arithmetic as :func:`analysis.study.families.holm` /
    :func:`~analysis.study.families.benjamini_hochberg` applied to every row
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
                  p_adjust: str = "none", claims=None, sesoi: Mapping | None = None,
                  equivalence_alpha: float | None = None) -> dict[str, np.ndarray]:
    """The verdict rules of :func:`analysis.study.claims.judge`, vectorised over studies.

    The conditions of :data:`analysis.study.claims.RULES` are computed as boolean
    arrays and the rules applied by the same :func:`analysis.study.claims.apply_rules`
    that ``judge`` uses, so only the inputs (batched fits instead of
    :mod:`analysis.study.families`) differ.

    Parameters
    ----------
    s1, s2 : mapping
        Decision inputs from the batched Study 1 / Study 2 fits (shape (B,) arrays).
    alpha, family_rule, p_adjust, equivalence_alpha
        As for :func:`analysis.study.claims.judge`.
    claims : sequence of Claim, optional
        Defaults to :data:`analysis.study.claims.CLAIMS`.
    sesoi : mapping, optional
        ``{claim id: (B,) array or float}`` in raw units (:func:`sesoi_arrays`);
        without it equivalence is never shown.

    Returns
    -------
    dict of claim id -> int8 array (B,) of indices into :data:`VERDICT_CODES`.
    The test suite checks agreement with ``judge`` study by study.
    """
    from .claims import CLAIMS, apply_rules, rule_set

    eq_alpha = alpha if equivalence_alpha is None else equivalence_alpha
    sesoi = sesoi or {}
    p_all = np.column_stack([s2[key]["p"] for key in INTERACTIONS])
    decision = dict(zip(INTERACTIONS, adjust_rows(p_all, p_adjust).T))
    out = {}
    for claim in (CLAIMS if claims is None else claims):
        margin = sesoi.get(claim.id)
        if claim.study == 1:
            member = s1[(claim.outcome, claim.gene)]
            p = member["p"]
        elif claim.kind == "null":
            member = None
        else:
            member = s2[claim.members[0]]
            p = decision[claim.members[0]]
        if claim.kind == "null" and claim.study == 2:
            cond = _family_conditions([s2[m] for m in claim.members], alpha, eq_alpha,
                                      family_rule if len(claim.members) > 1 else "none", margin)
        elif claim.kind == "null":
            cond = {"effect": p < alpha,
                    "equivalent": _equivalent(member["estimate"], member["se"], member["df"],
                                              margin, eq_alpha)}
        else:
            cond = {"significant": p < alpha,
                    "expected_sign": np.sign(member["estimate"]) == claim.expected_sign}
            if claim.rising_group is not None:
                cond.update(_pattern(claim, member, alpha, eq_alpha, margin))
        out[claim.id] = apply_rules(rule_set(claim), cond)
    return out


def tost_p(est, se, df, margin) -> np.ndarray:
    """Vectorised :func:`analysis.study.claims.tost` p-value ``max(p_lower, p_upper)``."""
    from scipy import stats

    with np.errstate(invalid="ignore", divide="ignore"):
        lower = stats.t.sf((est + margin) / se, df)
        upper = stats.t.cdf((est - margin) / se, df)
    return np.maximum(lower, upper)


def _equivalent(est, se, df, margin, eq_alpha) -> np.ndarray:
    if margin is None:
        return np.zeros(np.shape(est), dtype=bool)
    return tost_p(est, se, df, margin) < eq_alpha


def _family_conditions(members, alpha, eq_alpha, rule, margin) -> dict:
    """Any within-family adjusted p < alpha; equivalence for every member (IUT)."""
    P = np.column_stack([m["p"] for m in members])
    adjusted = np.where(np.isfinite(P), adjust_rows(P, rule), np.inf)
    effect = np.nanmin(adjusted, axis=1) < alpha
    if margin is None:
        return {"effect": effect, "equivalent": np.zeros(P.shape[0], dtype=bool)}
    worst = np.max(np.column_stack([tost_p(m["estimate"], m["se"], m["df"], margin)
                                    for m in members]), axis=1)
    return {"effect": effect, "equivalent": worst < eq_alpha}


def _pattern(claim, member: Mapping, alpha, eq_alpha, margin) -> dict:
    """Named group's slope positive and significant; the other group's significance and
    equivalence (TOST against the claim's SESOI)."""
    from .families import GROUP_LABELS

    code = {label: c for c, label in GROUP_LABELS[claim.gene].items()}
    r, f = code[claim.rising_group], code[claim.flat_group]
    return {"rising": (member[f"slope{r}"] > 0) & (member[f"p{r}"] < alpha),
            "flat_effect": member[f"p{f}"] < alpha,
            "flat_equivalent": _equivalent(member[f"slope{f}"], member[f"se{f}"], member["df"],
                                           margin, eq_alpha)}

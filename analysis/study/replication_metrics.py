"""Replication metrics: how does this study's estimate compare with the original's?

A verdict (:mod:`analysis.study.claims`) asks whether *this* sample shows what the
article claimed.  The metrics here ask the complementary question a
replication methodologist asks when the original numbers are known: is the new
estimate consistent with the old one, and what do both say together?  They
need the original study's estimates, which this project does NOT have (the
article's tables are unavailable): the user supplies them in a YAML file
(template ``data/original_estimates.yaml``, shipped with nulls; a filled
example built from the simulation's *assumed* effects is
``data/original_estimates.example.yaml`` and is labelled as an example in
every output).

Effect-size scales
------------------
``partial r`` (always): the deciding coefficient's t statistic turned into a
partial correlation, ``r = t / sqrt(t^2 + df)`` (e.g. Cohen, Cohen, West &
Aiken 2003, eq. 3.5.x; the same identity ``families.gene_style_correlation``
uses), compared on Fisher's ``z = atanh(r)`` with ``SE(z) = 1 / sqrt(df - 1)``
(for a partial correlation controlling k variables in n cases, ``SE = 1 /
sqrt(n - k - 3)``; with ``df = n - k - 2`` that is ``1 / sqrt(df - 1)``).
Scale-free, so an original measured with another instrument can be compared.

``b`` (only when the instruments match: the original's response ranges of the
outcome, and for Study 2 of the moderator, equal this study's): the raw
coefficient with its standard error.

Metrics (per claim and scale; ``z* = Phi^{-1}(1 - alpha/2)``)
-------------------------------------------------------------
same direction and significant
    the replication's estimate has the original's sign and ``p < alpha``
    (p from the replication's t test, identical for r and b).
original inside the replication CI
    the original's point estimate lies inside the replication's ``1 - alpha``
    interval (for r: ``tanh(z_rep -/+ z* SE_rep)``; for b: the t interval).
replication inside the prediction interval (Patil, Peng & Leek 2016,
Perspectives on Psychological Science 11:539-544, doi:10.1177/1745691616646366)
    ``est_orig -/+ z* sqrt(SE_orig^2 + SE_rep^2)``: where a replication
    estimate falls with probability ``1 - alpha`` if both studies estimate the
    same effect (their formula, on Fisher's z for correlations).
small telescopes (Simonsohn 2015, Psychological Science 26:559-569,
doi:10.1177/0956797614567341)
    ``effect_33``: the effect the original design had 33% power to detect
    (two-sided, alpha); on the z scale from the normal power function with
    ``SE_orig``, on the b scale from the noncentral t with the original's df
    (``b33 = lambda33 * SE_orig``).  One-sided test of ``H0: effect >= effect_33``
    in the original's direction: ``p = Phi((s z_rep - z33) / SE_rep)`` (b: t with
    the replication's df).  ``p < alpha``: the replication's effect is
    significantly smaller than one the original could meaningfully have detected.
replication Bayes factor (Verhagen & Wagenmakers 2014, Journal of Experimental
Psychology: General 143:1457-1475, doi:10.1037/a0035856)
    ``BF_r0 = N(est_rep; est_orig, SE_orig^2 + SE_rep^2) / N(est_rep; 0, SE_rep^2)``:
    the proponent's hypothesis is the original's posterior under a flat prior,
    ``N(est_orig, SE_orig^2)``; the sceptic's is ``effect = 0``.  This is the
    NORMAL APPROXIMATION of their t-test Bayes factor (they use noncentral-t
    likelihoods); it is stated in every output.  ``BF_r0 > 1`` favours the
    original's effect, ``< 1`` the null.
fixed-effect combination (inverse-variance; e.g. Borenstein et al. 2009, ch. 11)
    ``w_i = 1 / SE_i^2``, ``est = sum w est / sum w``, ``SE = 1 / sqrt(sum w)``,
    Cochran's ``Q = sum w_i (est_i - est)^2`` on 1 df with its p-value
    (heterogeneity between the two studies).

Examples
--------
>>> round(partial_r(2.0, 100), 4)
0.1961
>>> low, high = prediction_interval(0.3, 0.1, 0.1)
>>> round(low, 4), round(high, 4)
(0.0228, 0.5772)
>>> round(replication_bayes_factor(0.3, 0.1, 0.3, 0.1), 3)
63.652
"""
from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._errors import InputError
from .claims import _json  # the one JSON-scalar converter (NaN -> None)

__all__ = ["OriginalEstimate", "OriginalEstimates", "load_original_estimates",
           "MetricRow", "ReplicationMetrics", "replication_metrics", "compare_estimates",
           "partial_r", "fisher_z_se", "prediction_interval", "effect_33_normal",
           "effect_33_t", "small_telescope_p", "replication_bayes_factor",
           "fixed_effect", "BF_NOTE", "EXAMPLE_NOTE"]

BF_NOTE = ("Replication Bayes factor: normal approximation of Verhagen & Wagenmakers (2014) "
           "(original's posterior under a flat prior vs effect = 0).")
EXAMPLE_NOTE = ("EXAMPLE original estimates: built from the simulation's assumed effects "
                "(data/simulation.yaml), NOT the article's numbers.")
_N_PREDICTORS = {1: 2, 2: 3}   # deciding models: CO/SO ~ DRD2 + DRD4; Y ~ G + W + G x W


# --------------------------------------------------------------------- formulas
def partial_r(t: float, df: float) -> float:
    """Partial correlation of a coefficient from its t statistic: ``t / sqrt(t^2 + df)``.

    >>> round(partial_r(-3.0, 50), 4)
    -0.3906
    """
    return float(t / math.sqrt(t * t + df))


def fisher_z_se(df: float) -> float:
    """SE of Fisher's z of a partial correlation whose t test has ``df`` residual df:
    ``1 / sqrt(df - 1)`` (= ``1 / sqrt(n - k - 3)`` with k controlled variables)."""
    if df <= 1:
        raise InputError(f"the degrees of freedom must exceed 1 for Fisher's z, got {df!r}")
    return 1.0 / math.sqrt(df - 1.0)


def prediction_interval(est_orig: float, se_orig: float, se_rep: float,
                        level: float = 0.95) -> tuple[float, float]:
    """Patil, Peng & Leek (2016) prediction interval for a replication estimate:
    ``est_orig -/+ z* sqrt(se_orig^2 + se_rep^2)``."""
    half = float(stats.norm.ppf(0.5 + level / 2)) * math.hypot(se_orig, se_rep)
    return float(est_orig - half), float(est_orig + half)


def _power_normal(delta: float, se: float, alpha: float) -> float:
    zc = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.sf(zc - delta / se) + stats.norm.cdf(-zc - delta / se))


def effect_33_normal(se_orig: float, alpha: float = 0.05, power: float = 1 / 3) -> float:
    """Effect (>= 0) a two-sided z test with standard error ``se_orig`` detects with
    probability ``power`` (Simonsohn's d33 on a normal scale such as Fisher's z)."""
    return float(optimize.brentq(lambda d: _power_normal(d, se_orig, alpha) - power,
                                 0.0, 50 * se_orig, xtol=1e-14 * se_orig))


def effect_33_t(se_orig: float, df_orig: float, alpha: float = 0.05,
                power: float = 1 / 3) -> float:
    """Effect (>= 0) the original's two-sided t test (``df_orig``) detects with
    probability ``power``: ``lambda33 * se_orig``, lambda33 the noncentrality at
    which ``P(|T'(df, lambda)| > t*) = power``."""
    tc = stats.t.ppf(1 - alpha / 2, df_orig)

    def gap(lam):
        return float(stats.nct.sf(tc, df_orig, lam) + stats.nct.cdf(-tc, df_orig, lam)) - power

    hi = 4.0
    while gap(hi) < 0:   # power rises with lambda; widen until the root is bracketed
        hi *= 2
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-12)) * se_orig


def small_telescope_p(est_rep: float, se_rep: float, effect_33: float, direction: int,
                      df_rep: float | None = None) -> float:
    """One-sided p of ``H0: direction * effect >= effect_33`` (normal, or t with ``df_rep``)."""
    stat = (direction * est_rep - effect_33) / se_rep
    return float(stats.norm.cdf(stat) if df_rep is None else stats.t.cdf(stat, df_rep))


def replication_bayes_factor(est_orig: float, se_orig: float, est_rep: float,
                             se_rep: float) -> float:
    """Normal-approximation replication Bayes factor ``BF_r0`` (Verhagen & Wagenmakers 2014).

    ``N(est_rep; est_orig, se_orig^2 + se_rep^2) / N(est_rep; 0, se_rep^2)``: the
    marginal likelihood of the replication estimate under the original's
    flat-prior posterior against its likelihood at effect 0.
    """
    log_h1 = stats.norm.logpdf(est_rep, est_orig, math.hypot(se_orig, se_rep))
    log_h0 = stats.norm.logpdf(est_rep, 0.0, se_rep)
    return float(math.exp(log_h1 - log_h0))


def fixed_effect(estimates: Sequence[float], std_errors: Sequence[float],
                 alpha: float = 0.05) -> dict:
    """Inverse-variance fixed-effect estimate, its SE and CI, Cochran's Q and its p."""
    est = np.asarray(estimates, dtype=float)
    w = 1.0 / np.asarray(std_errors, dtype=float) ** 2
    pooled = float(np.sum(w * est) / np.sum(w))
    se = float(1.0 / math.sqrt(np.sum(w)))
    q = float(np.sum(w * (est - pooled) ** 2))
    zc = stats.norm.ppf(1 - alpha / 2)
    return {"estimate": pooled, "std_error": se, "conf_low": pooled - zc * se,
            "conf_high": pooled + zc * se, "q_statistic": q, "q_df": est.size - 1,
            "q_p_value": float(stats.chi2.sf(q, est.size - 1))}


# --------------------------------------------------------------------- the original file
@dataclass(frozen=True, slots=True, kw_only=True)
class OriginalEstimate:
    """One claim's deciding estimate in the original study (as supplied by the user).

    ``std_error`` may be given directly or derived from ``conf_low/conf_high``
    (t interval with ``df``, else normal); ``df`` directly or as ``n -
    n_predictors - 1``.  ``outcome_range`` / ``moderator_range`` are the
    original instruments' response ranges (min, max), used to decide whether raw
    coefficients are comparable.  ``member`` picks the interaction a family
    claim (S2c, S2d) is compared on: ``(outcome, gene, style)``.
    """

    claim: str
    estimate: float | None = None
    std_error: float | None = None
    df: float | None = None
    outcome_range: tuple[float, float] | None = None
    moderator_range: tuple[float, float] | None = None
    member: tuple[str, str, str] | None = None
    term: str | None = None
    note: str | None = None

    @property
    def complete(self) -> bool:
        return None not in (self.estimate, self.std_error, self.df)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("outcome_range", "moderator_range", "member"):
            d[k] = None if d[k] is None else list(d[k])
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginalEstimates:
    """The original study's estimates, per claim id, with the file's provenance."""

    claims: Mapping[str, OriginalEstimate] = field(repr=False)
    label: str
    example: bool
    source: str | None = None
    path: str | None = None
    sha256: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.claims.values()])

    def to_dict(self) -> dict:
        return {"label": self.label, "example": self.example, "source": self.source,
                "sha256": self.sha256, "claims": {k: v.to_dict() for k, v in self.claims.items()}}


_ENTRY_KEYS = {"estimate", "std_error", "conf_low", "conf_high", "conf_level", "df", "n",
               "n_predictors", "outcome_range", "moderator_range", "member", "term", "note"}


def load_original_estimates(path) -> OriginalEstimates:
    """Read an original-estimates YAML file (:mod:`analysis.io.safe_yaml`: size, depth and alias
    limits, no duplicate keys, no tags).

    Raises :class:`InputError` naming the file and the key for anything malformed.
    Null values are allowed (the shipped template is all nulls): such a claim
    gets no metrics, with the reason stated.
    """
    from .claims import CLAIMS

    path = os.fspath(path)
    data = _read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("claims"), Mapping):
        raise InputError("must be a mapping with a 'claims' section", file=path,
                         hint="See data/original_estimates.yaml")
    meta = data.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise InputError("'meta' must be a mapping", file=path)
    studies = {c.id: c.study for c in CLAIMS}
    entries = {}
    for claim_id, spec in data["claims"].items():
        if str(claim_id) not in studies:
            raise InputError(f"unknown claim {claim_id!r} (expected one of "
                             f"{', '.join(studies)})", file=path)
        entries[str(claim_id)] = _entry(str(claim_id), spec or {}, studies[str(claim_id)], path)
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    example = meta.get("example", False)
    if not isinstance(example, bool):
        raise InputError("'meta.example' must be true or false", file=path)
    return OriginalEstimates(claims=entries, label=str(meta.get("label") or "original study"),
                             example=example, source=_text(meta.get("source")),
                             path=path, sha256=digest)


def _read_yaml(path: str):
    """The file's YAML through :func:`analysis.io.safe_yaml.safe_load` (size, depth, alias
    and node limits, no duplicate keys, no tags), every problem as one InputError."""
    import yaml

    from ..io.safe_yaml import check_size, safe_load

    if not os.path.isfile(path):
        raise InputError("original-estimates file not found", file=path,
                         hint="Start from data/original_estimates.yaml")
    check_size(os.path.getsize(path), file=path, what="original-estimates file")
    with open(path, "rb") as handle:  # read-only
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=path) from None
    try:
        return safe_load(text, file=path)
    except yaml.constructor.ConstructorError:
        raise InputError("uses a YAML tag that is not allowed", file=path,
                         hint="plain YAML only: tags such as !!python/... could run code") from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", "") or "invalid YAML").split())
        raise InputError(f"is not valid YAML: {problem}", file=path) from None


def _text(value) -> str | None:
    return None if value is None else str(value)


def _num(spec, key, claim, path, *, positive=False) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (positive and value <= 0):
        raise InputError(f"claims.{claim}.{key} must be a {'positive ' if positive else ''}"
                         f"number or null, got {value!r}", file=path)
    return float(value)


def _pair(spec, key, claim, path) -> tuple[float, float] | None:
    value = spec.get(key)
    if value is None or (isinstance(value, list) and all(v is None for v in value)):
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            or not value[0] < value[1]):
        raise InputError(f"claims.{claim}.{key} must be [min, max] with min < max, "
                         f"got {value!r}", file=path)
    return float(value[0]), float(value[1])


def _entry(claim: str, spec, study: int, path: str) -> OriginalEstimate:
    if not isinstance(spec, Mapping):
        raise InputError(f"claims.{claim} must be a mapping", file=path)
    unknown = set(map(str, spec)) - _ENTRY_KEYS
    if unknown:
        raise InputError(f"claims.{claim}: unknown key(s) {', '.join(sorted(unknown))}",
                         file=path, hint=f"allowed: {', '.join(sorted(_ENTRY_KEYS))}")
    df = _num(spec, "df", claim, path, positive=True)
    n = _num(spec, "n", claim, path, positive=True)
    k = _num(spec, "n_predictors", claim, path, positive=True) or _N_PREDICTORS[study]
    if df is None and n is not None:
        df = n - k - 1
    if df is not None and df <= 2:
        raise InputError(f"claims.{claim}: the residual degrees of freedom must exceed 2 "
                         f"(got {df:g}; df = n - predictors - 1 when n is given)", file=path)
    se = _num(spec, "std_error", claim, path, positive=True)
    low, high = _num(spec, "conf_low", claim, path), _num(spec, "conf_high", claim, path)
    if se is None and low is not None and high is not None:
        level = _num(spec, "conf_level", claim, path, positive=True) or 0.95
        crit = stats.t.ppf(0.5 + level / 2, df) if df else stats.norm.ppf(0.5 + level / 2)
        if not high > low or not 0 < level < 1:
            raise InputError(f"claims.{claim}: conf_low < conf_high and 0 < conf_level < 1 "
                             "are required", file=path)
        se = (high - low) / (2 * crit)
    member = spec.get("member")
    if member is not None and (not isinstance(member, list) or len(member) != 3):
        raise InputError(f"claims.{claim}.member must be [outcome, gene, style]", file=path)
    return OriginalEstimate(claim=claim, estimate=_num(spec, "estimate", claim, path),
                            std_error=se, df=df, term=_text(spec.get("term")),
                            outcome_range=_pair(spec, "outcome_range", claim, path),
                            moderator_range=_pair(spec, "moderator_range", claim, path),
                            member=None if member is None else tuple(map(str, member)),
                            note=_text(spec.get("note")))


# --------------------------------------------------------------------- comparing
@dataclass(frozen=True, slots=True, kw_only=True)
class MetricRow:
    """The replication metrics of one claim on one scale (``partial r`` or ``b``).

    Estimates and intervals are on the named scale (partial r: back-transformed
    from Fisher's z); ``available`` is False (with ``reason``) when the original
    estimate, the replication estimate or matching instruments are missing.
    """

    claim: str
    scale: str
    available: bool
    reason: str | None = None
    original_estimate: float | None = None
    original_std_error: float | None = None
    original_df: float | None = None
    replication_estimate: float | None = None
    replication_std_error: float | None = None
    replication_df: float | None = None
    replication_p_value: float | None = None
    replication_conf_low: float | None = None
    replication_conf_high: float | None = None
    same_direction_significant: bool | None = None
    original_in_replication_ci: bool | None = None
    prediction_low: float | None = None
    prediction_high: float | None = None
    replication_in_prediction_interval: bool | None = None
    effect_33: float | None = None
    small_telescope_p: float | None = None
    smaller_than_effect_33: bool | None = None
    bayes_factor_r0: float | None = None
    combined_estimate: float | None = None
    combined_conf_low: float | None = None
    combined_conf_high: float | None = None
    q_statistic: float | None = None
    q_p_value: float | None = None
    text: str | None = None

    def to_dict(self) -> dict:
        return {k: _json(v) for k, v in asdict(self).items()}


def compare_estimates(original: tuple[float, float, float], replication: tuple[float, float,
                      float, float], *, scale: str = "partial r", alpha: float = 0.05) -> dict:
    """Every metric for one pair of estimates.

    ``original = (estimate, std_error, df)``; ``replication = (estimate,
    std_error, df, p_value)`` of the deciding coefficient (raw units).  With
    ``scale="partial r"`` both are converted to partial r and compared on
    Fisher's z; with ``scale="b"`` the raw coefficients are compared.
    Returns the :class:`MetricRow` fields (without claim/scale/text).
    """
    (bo, so, dfo), (br, sr, dfr, pr) = original, replication
    zc = stats.norm.ppf(1 - alpha / 2)
    direction = 1 if bo >= 0 else -1
    if scale == "partial r":
        eo, er = math.atanh(partial_r(bo / so, dfo)), math.atanh(partial_r(br / sr, dfr))
        se_o, se_r = fisher_z_se(dfo), fisher_z_se(dfr)
        back = math.tanh
        ci = (er - zc * se_r, er + zc * se_r)
        e33 = effect_33_normal(se_o, alpha)
        tele = small_telescope_p(er, se_r, e33, direction)
    elif scale == "b":
        eo, er, se_o, se_r = bo, br, so, sr
        back = float
        tc = stats.t.ppf(1 - alpha / 2, dfr)
        ci = (er - tc * se_r, er + tc * se_r)
        e33 = effect_33_t(se_o, dfo, alpha)
        tele = small_telescope_p(er, se_r, e33, direction, df_rep=dfr)
    else:
        raise InputError(f"scale must be 'partial r' or 'b', got {scale!r}")
    pi = prediction_interval(eo, se_o, se_r, 1 - alpha)
    fe = fixed_effect([eo, er], [se_o, se_r], alpha)
    return {
        "original_estimate": back(eo), "original_std_error": se_o, "original_df": dfo,
        "replication_estimate": back(er), "replication_std_error": se_r, "replication_df": dfr,
        "replication_p_value": pr, "replication_conf_low": back(ci[0]),
        "replication_conf_high": back(ci[1]),
        "same_direction_significant": bool(np.sign(er) == direction and pr < alpha),
        "original_in_replication_ci": bool(ci[0] <= eo <= ci[1]),
        "prediction_low": back(pi[0]), "prediction_high": back(pi[1]),
        "replication_in_prediction_interval": bool(pi[0] <= er <= pi[1]),
        "effect_33": back(direction * e33), "small_telescope_p": tele,
        "smaller_than_effect_33": bool(tele < alpha),
        "bayes_factor_r0": replication_bayes_factor(eo, se_o, er, se_r),
        "combined_estimate": back(fe["estimate"]), "combined_conf_low": back(fe["conf_low"]),
        "combined_conf_high": back(fe["conf_high"]), "q_statistic": fe["q_statistic"],
        "q_p_value": fe["q_p_value"]}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ReplicationMetrics:
    """Replication metrics for every claim (rows: claim x scale) and their provenance."""

    rows: tuple[MetricRow, ...]
    alpha: float
    label: str
    example: bool
    sha256: str | None = None
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame([asdict(r) for r in self.rows],
                             columns=list(MetricRow.__dataclass_fields__))
        frame.insert(2, "original_source", self.source_label)
        return frame

    @property
    def source_label(self) -> str:
        """The original file's label, marked EXAMPLE when it is the assumed-effects example."""
        marked = self.example and "EXAMPLE" not in self.label.upper()
        return self.label + (" [EXAMPLE, not the article]" if marked else "")

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "label": self.label, "example": self.example,
                "sha256": self.sha256, "notes": list(self.notes),
                "rows": [r.to_dict() for r in self.rows]}

    def paragraph(self) -> str:
        """A short plain-language summary of the partial-r comparisons (for the report)."""
        rows = [r for r in self.rows if r.available and r.scale == "partial r"]
        head = (f"Compared with the original estimates ({self.source_label}): ")
        if not rows:
            return head + "no claim has a complete original estimate (estimate, SE and df)."
        k = len(rows)
        count = lambda attr: sum(bool(getattr(r, attr)) for r in rows)  # noqa: E731
        return (head + f"of {k} claims compared on the partial correlation, "
                f"{count('same_direction_significant')} are significant in the original's "
                f"direction, {count('replication_in_prediction_interval')} fall inside the "
                f"original's prediction interval, {count('original_in_replication_ci')} have the "
                f"original inside the replication's CI, and {count('smaller_than_effect_33')} "
                f"are significantly smaller than the effect the original had 33% power to "
                f"detect (small telescopes). " + " ".join(self.notes))

    def for_claim(self, claim: str) -> list[dict]:
        """The JSON-safe rows of one claim (what the scorecard record carries)."""
        return [{**r.to_dict(), "original_source": self.source_label}
                for r in self.rows if r.claim == claim]


def replication_metrics(scorecard, originals: OriginalEstimates, *, study2_interactions=None,
                        ranges: Mapping[str, tuple[float, float]] | None = None,
                        alpha: float | None = None) -> ReplicationMetrics:
    """Compare every judged claim with the original study's estimate.

    Parameters
    ----------
    scorecard : analysis.study.claims.Scorecard
        Supplies the replication's deciding estimate, SE, df and p per claim.
    originals : OriginalEstimates
        From :func:`load_original_estimates`.
    study2_interactions : DataFrame, optional
        ``Study2Result.interactions``: needed for a family claim (S2c, S2d),
        compared on the member the original file names.
    ranges : mapping, optional
        This study's response range per scale (``{"CO": (1, 9), ...}``); raw
        coefficients are compared only where they equal the original's.
    alpha : float, optional
        Defaults to the scorecard's.
    """
    alpha = scorecard.alpha if alpha is None else alpha
    rows = []
    for verdict in scorecard.rows:
        orig = originals.claims.get(verdict.id)
        rep, reason = _replication_numbers(verdict, orig, study2_interactions)
        if reason is not None:
            rows.append(MetricRow(claim=verdict.id, scale="partial r", available=False,
                                  reason=reason))
            continue
        rows.append(_row(verdict.id, "partial r", orig, rep, alpha))
        match = _instruments_match(verdict, orig, ranges or {})
        rows.append(_row(verdict.id, "b", orig, rep, alpha) if match is None else
                    MetricRow(claim=verdict.id, scale="b", available=False, reason=match))
    notes = [BF_NOTE, "Partial r from t and df (r = t / sqrt(t^2 + df)), compared on "
             "Fisher's z with SE = 1 / sqrt(df - 1)."]
    if originals.example:
        notes.insert(0, EXAMPLE_NOTE)
        rows = [replace(r, text=f"[EXAMPLE original, not the article] {r.text}")
                if r.text else r for r in rows]
    return ReplicationMetrics(rows=tuple(rows), alpha=alpha, label=originals.label,
                              example=originals.example, sha256=originals.sha256,
                              notes=tuple(notes))


def _replication_numbers(verdict, orig, interactions):
    if orig is None or not orig.complete:
        return None, "original estimate, SE and df not supplied"
    if verdict.verdict == "not tested":
        return None, "claim not tested on these data"
    if verdict.n_members > 1:
        if orig.member is None:
            return None, "family claim: the original file must name the member compared"
        if interactions is None:
            return None, "family claim: Study 2 interactions not available"
        keys = interactions[["outcome", "gene", "style"]].astype(str).apply(tuple, axis=1)
        hit = interactions[keys == orig.member]
        if hit.empty:
            return None, f"member {' x '.join(orig.member)} not estimated on these data"
        row = hit.iloc[0]
        return (float(row["estimate"]), float(row["std_error"]), float(row["df"]),
                float(row["p_value"])), None
    if verdict.estimate is None or verdict.std_error is None:
        return None, "no replication estimate"
    p = verdict.p_unadjusted if verdict.p_unadjusted is not None else verdict.p_value
    return (verdict.estimate, verdict.std_error, verdict.df, p), None   # the estimate's own p


def _instruments_match(verdict, orig, ranges) -> str | None:
    outcome = orig.member[0] if orig.member else verdict.outcome
    style = orig.member[2] if orig.member else verdict.style
    if orig.outcome_range is None or ranges.get(outcome) is None:
        return "raw b not compared: response range of the outcome unknown"
    if tuple(map(float, ranges[outcome])) != orig.outcome_range:
        return "raw b not compared: the outcome instruments' response ranges differ"
    if verdict.study == 2:
        if orig.moderator_range is None or ranges.get(style) is None:
            return "raw b not compared: response range of the moderator unknown"
        if tuple(map(float, ranges[style])) != orig.moderator_range:
            return "raw b not compared: the moderator instruments' response ranges differ"
    return None


def _row(claim, scale, orig, rep, alpha) -> MetricRow:
    values = compare_estimates((orig.estimate, orig.std_error, orig.df), rep, scale=scale,
                               alpha=alpha)
    return MetricRow(claim=claim, scale=scale, available=True,
                     text=_words(claim, scale, values, alpha), **values)


def _words(claim: str, scale: str, v: dict, alpha: float) -> str:
    sym = "r" if scale == "partial r" else "b"
    level = f"{100 * (1 - alpha):g}%"
    parts = [
        f"{claim}: replication {sym} = {v['replication_estimate']:.3f} "
        f"[{v['replication_conf_low']:.3f}, {v['replication_conf_high']:.3f}] vs original "
        f"{v['original_estimate']:.3f}",
        ("same direction and significant" if v["same_direction_significant"]
         else "not significant in the original's direction"),
        ("original inside" if v["original_in_replication_ci"] else "original outside")
        + f" the replication's {level} CI",
        ("inside" if v["replication_in_prediction_interval"] else "outside")
        + f" the original's {level} prediction interval [{v['prediction_low']:.3f}, "
          f"{v['prediction_high']:.3f}]",
        ("significantly smaller" if v["smaller_than_effect_33"] else "not significantly smaller")
        + f" than {sym}33 = {v['effect_33']:.3f} (p = {v['small_telescope_p']:.3g})",
        f"replication BF = {v['bayes_factor_r0']:.3g} (normal approximation)",
        f"combined {sym} = {v['combined_estimate']:.3f} [{v['combined_conf_low']:.3f}, "
        f"{v['combined_conf_high']:.3f}], Q = {v['q_statistic']:.2f} (p = {v['q_p_value']:.3g})",
    ]
    return "; ".join(parts) + "."




# --------------------------------------------------------------------- the example file
_EXAMPLE_MEMBERS = {"S2c": ("SO", "DRD4", "avoidant"), "S2d": ("CO", "DRD4", "secure")}


def example_originals(config, *, multiple: int = 100) -> dict:
    """The filled EXAMPLE file's content, built from the simulation's assumed effects.

    Not the article's numbers (those are unavailable): every claim's deciding
    model is fitted to one simulated sample of ``multiple`` times the config's
    n (a near-population value of the estimate the assumptions imply, in
    observed-score units), and the SE is rescaled to the config's n
    (``SE * sqrt(multiple)``) with ``df = n - predictors - 1``: what an original
    study of the assumed size would report if its estimate hit the assumed
    effect exactly.  Deterministic (seed label ``original-example``).
    """
    from .claims import judge
    from .families import study1, study2
    from .simulate import derive_seed, simulate_scores

    fits = {}
    for name, fit in (("study1", study1), ("study2", study2)):
        n = int(config[name]["n"])
        draw = simulate_scores(config, name, n=n * multiple,
                               seed=np.random.default_rng(derive_seed(config, name,
                                                                      "original-example")))
        fits[name] = (fit(pd.DataFrame({k: v[0] for k, v in draw.items()})), n)
    card = judge(fits["study1"][0], fits["study2"][0])
    inter = fits["study2"][0].interactions.set_index(["outcome", "gene", "style"])
    ranges = {s: [config["instruments"][s]["min"], config["instruments"][s]["max"]]
              for s in config["instruments"]}
    claims = {}
    for row in card.rows:
        member = _EXAMPLE_MEMBERS.get(row.id)
        est, se = ((row.estimate, row.std_error) if member is None else
                   tuple(float(inter.loc[member, k]) for k in ("estimate", "std_error")))
        n = fits[f"study{row.study}"][1]
        entry = {"estimate": round(est, 6), "std_error": round(se * math.sqrt(multiple), 6),
                 "n": n, "outcome_range": ranges[member[0] if member else row.outcome]}
        if row.study == 2:
            entry["moderator_range"] = ranges[member[2] if member else row.style]
        if member is not None:
            entry["member"] = list(member)
        claims[row.id] = entry
    return {"meta": {"label": "EXAMPLE built from data/simulation.yaml (not the article)",
                     "example": True,
                     "source": f"analysis.study.replication_metrics.example_originals, config sha256 "
                               f"{config.sha256}"},
            "claims": claims}


_EXAMPLE_HEADER = """\
# EXAMPLE ORIGINAL ESTIMATES -- NOT THE ARTICLE'S NUMBERS.
# The tables of Verbeke, Bagozzi & van den Berg (2014) are not available to this
# project.  This file is built from the simulation's ASSUMED effects
# (data/simulation.yaml) by analysis.study.replication_metrics.example_originals:
# each deciding model fitted to one simulated sample 100 times the assumed n,
# SE rescaled to the assumed n.  It shows what `--original` does; every output
# made with it is labelled EXAMPLE.  Regenerate: `make original-example`.
# For real original estimates, fill in data/original_estimates.yaml instead.
"""


def write_example(path=None, config=None) -> Path:
    """Write the EXAMPLE original-estimates file (default
    ``data/original_estimates.example.yaml``) from the config's assumed effects."""
    import yaml

    from .. import paths
    from .config import load_config

    config = load_config() if config is None else config
    target = Path(path) if path is not None else paths.ROOT / "data" / "original_estimates.example.yaml"
    content = example_originals(config)
    dumper = type("NoAliases", (yaml.SafeDumper,), {"ignore_aliases": lambda self, data: True})
    text = _EXAMPLE_HEADER + yaml.dump(content, Dumper=dumper, sort_keys=False,
                                       default_flow_style=None, width=100)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, target)
    return target

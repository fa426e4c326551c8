"""The eight published claims (S1a-S2d) as data, and the rules that judge them.

Each :class:`Claim` records what Verbeke, Bagozzi & van den Berg (2014) found
(paraphrased from ``FINDINGS.md``), whether it asserts an effect (``positive``)
or the absence of one (``null``), the model term(s) that decide it and the
expected sign.  :func:`judge` applies the verdict rules to a
:class:`~analysis.families.Study1Result` and a
:class:`~analysis.families.Study2Result` and returns a :class:`Scorecard`.

Verdict rules (``alpha`` two-sided; "significant" means ``p < alpha``)
------------------------------------------------------------------------
Positive claim, main effect (S1c):
    ``reproduced`` = significant with the expected sign; ``contradicted`` =
    significant with the opposite sign; ``not reproduced`` = not significant.
Positive claim with a group pattern (S2a, S2b); the *pattern* holds when the
named group's style slope is positive and significant and the other group's
slope is not significant:
    ``reproduced`` = interaction significant with the expected sign and the
    pattern holds; ``partial`` = interaction significant with the expected sign
    but the pattern fails, or the pattern holds and the interaction estimate
    has the expected sign but is not significant; ``contradicted`` =
    interaction significant with the opposite sign; otherwise ``not reproduced``.
    With carrier coding (carrier = 1) the interaction is the carriers' slope
    minus the non-carriers' slope, so S2a (A2/A2 = 0 has the rising slope)
    expects a NEGATIVE interaction and S2b a positive one.
Null claim, single test (S1a, S1b, S1d):
    ``reproduced`` = not significant; ``contradicted`` = significant (in either
    direction: an effect where the paper reported none).
Null claim, family (S2c: the 6 SO interactions; S2d: the 8 secure/anxious
interactions):
    the members' p-values are adjusted within the family (``family_rule``,
    default Holm 1979, which controls the family-wise error rate); the claim is
    ``contradicted`` when any adjusted p < alpha and ``reproduced`` otherwise.
    The row shows the worst member (largest ``|t|``) and the family result.
Equivalence (null claims only; Schuirmann 1987, Lakens 2017,
doi:10.1177/1948550617697177): two one-sided t tests of ``H0: b <= -sesoi``
and ``H0: b >= sesoi``; ``tost_p = max(p_lower, p_upper)``; ``equivalence =
"shown"`` when ``tost_p < alpha`` (evidence of no effect larger than the
SESOI), ``"not shown"`` otherwise (absence of evidence only), ``"not tested"``
without a SESOI.  For a family the intersection-union test (Berger 1982)
applies: equivalence is shown when every member shows it, and ``tost_p`` is
the largest member ``tost_p`` (no multiplicity adjustment needed).

SESOI units
-----------
The smallest effect size of interest is in RAW units of the outcome scale per
unit of the predictor, i.e. the same units as the coefficient it is compared
with: for Study 1 the carrier vs non-carrier difference in mean CO / SO
(scale points); for Study 2 the difference between the two genotype groups'
slopes (outcome points per attachment-scale point).  Because the units differ
between the studies, ``sesoi`` can be a mapping ``{"study1": ..., "study2":
...}`` (or per claim id, e.g. ``{"S2c": 0.1}``); the values come from the
simulation config and are assumptions, to be reported as such.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from ._errors import InputError
from .families import GENES, GROUP_LABELS, benjamini_hochberg, holm

__all__ = ["Claim", "ClaimVerdict", "Scorecard", "CLAIMS", "VERDICTS", "judge", "tost",
           "verdict_reproduced"]

VERDICTS = ("reproduced", "partial", "not reproduced", "contradicted", "not tested")
FAMILY_RULES = ("holm", "bh", "none")


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """One published claim and how it is decided.

    ``members`` lists the ``(outcome, gene, style)`` models whose interaction
    decides a Study 2 claim (one model, or a family for S2c/S2d); Study 1
    claims are decided by the carrier coefficient of ``gene`` in the ``outcome``
    model.  ``expected_sign`` is +1 / -1 for positive claims and 0 for nulls.
    ``rising_group`` / ``flat_group`` name the genotype groups (``GROUP_LABELS``)
    whose style slope must be positive-significant / non-significant.
    """

    id: str
    study: int
    statement: str
    kind: str
    outcome: str
    gene: str
    style: str | None
    expected_sign: int
    test: str
    members: tuple[tuple[str, str, str], ...] = ()
    rising_group: str | None = None
    flat_group: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["members"] = [list(m) for m in self.members]
        return d


def _family(outcomes, genes, styles):
    return tuple((o, g, s) for o in outcomes for g in genes for s in styles)


CLAIMS: tuple[Claim, ...] = (
    Claim(id="S1a", study=1, kind="null", outcome="CO", gene="DRD2", style=None, expected_sign=0,
          statement="DRD2 A1 carrier status is not related to customer orientation (CO).",
          test="CO ~ DRD2 A1 carrier + DRD4 7R carrier: carrier coefficient not significant; "
               "TOST against +/- SESOI"),
    Claim(id="S1b", study=1, kind="null", outcome="SO", gene="DRD2", style=None, expected_sign=0,
          statement="DRD2 A1 carrier status is not related to sales orientation (SO).",
          test="SO ~ DRD2 A1 carrier + DRD4 7R carrier: carrier coefficient not significant; "
               "TOST against +/- SESOI"),
    Claim(id="S1c", study=1, kind="positive", outcome="CO", gene="DRD4", style=None,
          expected_sign=1,
          statement="DRD4 7R carriers are higher in customer orientation (CO).",
          test="CO ~ DRD2 A1 carrier + DRD4 7R carrier: 7R carrier coefficient > 0 and p < alpha"),
    Claim(id="S1d", study=1, kind="null", outcome="SO", gene="DRD4", style=None, expected_sign=0,
          statement="DRD4 7R carrier status is not related to sales orientation (SO).",
          test="SO ~ DRD2 A1 carrier + DRD4 7R carrier: 7R carrier coefficient not significant; "
               "TOST against +/- SESOI"),
    Claim(id="S2a", study=2, kind="positive", outcome="CO", gene="DRD2", style="avoidant",
          expected_sign=-1, members=(("CO", "DRD2", "avoidant"),),
          rising_group="A2/A2", flat_group="A1 carrier",
          statement="Avoidant attachment moderates the DRD2 effect on CO: more avoidant "
                    "attachment goes with higher CO for A2/A2 persons, not for A1 carriers.",
          test="CO ~ A1 carrier x avoidant: interaction < 0 (A1 carrier = 1) and p < alpha; "
               "avoidant slope > 0 and significant in A2/A2, not significant in A1 carriers"),
    Claim(id="S2b", study=2, kind="positive", outcome="CO", gene="DRD4", style="avoidant",
          expected_sign=1, members=(("CO", "DRD4", "avoidant"),),
          rising_group="7R carrier", flat_group="non-carrier",
          statement="Avoidant attachment moderates the DRD4 effect on CO: more avoidant "
                    "attachment goes with higher CO for 7R carriers, not for non-carriers.",
          test="CO ~ 7R carrier x avoidant: interaction > 0 and p < alpha; avoidant slope > 0 "
               "and significant in 7R carriers, not significant in non-carriers"),
    Claim(id="S2c", study=2, kind="null", outcome="SO", gene="DRD2, DRD4",
          style="secure, anxious, avoidant", expected_sign=0,
          members=_family(["SO"], ["DRD2", "DRD4"], ["secure", "anxious", "avoidant"]),
          statement="There are no gene x attachment effects on sales orientation (SO).",
          test="the 6 SO gene x style interactions: none significant after adjustment within "
               "the family (family rule); equivalence by intersection-union TOST"),
    Claim(id="S2d", study=2, kind="null", outcome="CO, SO", gene="DRD2, DRD4",
          style="secure, anxious", expected_sign=0,
          members=_family(["CO", "SO"], ["DRD2", "DRD4"], ["secure", "anxious"]),
          statement="Secure and anxious attachment do not moderate the gene effects.",
          test="the 8 CO/SO gene x secure/anxious interactions: none significant after "
               "adjustment within the family (family rule); equivalence by intersection-union TOST"),
)


# ------------------------------------------------------------------ TOST
def tost(estimate: float, std_error: float, df: float, sesoi: float) -> tuple[float, float, float]:
    """Two one-sided t tests of ``|b| >= sesoi`` (Schuirmann 1987).

    ``p_lower = P(T >= (b + sesoi) / se)`` tests ``H0: b <= -sesoi``;
    ``p_upper = P(T <= (b - sesoi) / se)`` tests ``H0: b >= sesoi``, with
    ``T ~ t(df)``.  Equivalence at level alpha iff ``max(p_lower, p_upper) < alpha``,
    i.e. iff the ``1 - 2 alpha`` CI lies inside ``(-sesoi, sesoi)``.

    Returns ``(tost_p, p_lower, p_upper)``.

    Examples
    --------
    >>> [round(v, 4) for v in tost(0.0, 0.1, 100, 0.2)]
    [0.0241, 0.0241, 0.0241]
    """
    p_lower = float(stats.t.sf((estimate + sesoi) / std_error, df))
    p_upper = float(stats.t.cdf((estimate - sesoi) / std_error, df))
    return max(p_lower, p_upper), p_lower, p_upper


# ------------------------------------------------------------------ verdict rows
@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimVerdict:
    """One scorecard row.  For family claims the numbers are the worst member's
    (largest ``|t|``); ``p_decision`` is the p-value the verdict used (the
    smallest within-family adjusted p for families)."""

    id: str
    study: int
    statement: str
    kind: str
    verdict: str
    test: str
    detail: str
    outcome: str
    gene: str
    style: str | None
    term: str | None = None
    expected_sign: int = 0
    estimate: float | None = None
    std_error: float | None = None
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    p_decision: float | None = None
    conf_low: float | None = None
    conf_high: float | None = None
    group_pattern: bool | None = None
    rising_slope: float | None = None
    rising_p: float | None = None
    flat_slope: float | None = None
    flat_p: float | None = None
    family_result: str | None = None
    n_members: int = 1
    equivalence: str | None = None
    tost_p: float | None = None
    sesoi: float | None = None
    replication_probability: float | None = None

    def to_dict(self) -> dict:
        return {k: _json(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Scorecard:
    """The eight verdicts and the settings that produced them."""

    rows: tuple[ClaimVerdict, ...]
    alpha: float
    family_rule: str
    p_adjust: str
    sesoi: dict
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in self.rows])

    def to_records(self) -> list[dict]:
        """JSON-safe list of row dicts (NaN -> None), one per claim."""
        return [r.to_dict() for r in self.rows]

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "family_rule": self.family_rule, "p_adjust": self.p_adjust,
                "sesoi": {k: _json(v) for k, v in self.sesoi.items()},
                "claims": self.to_records(), "notes": list(self.notes)}

    def verdicts(self) -> dict[str, str]:
        return {r.id: r.verdict for r in self.rows}

    def with_replication_probability(self, probs: Mapping[str, float]) -> Scorecard:
        """A new Scorecard with ``replication_probability`` filled from ``{id: share}``."""
        unknown = set(probs) - {r.id for r in self.rows}
        if unknown:
            raise KeyError(f"no such claim(s): {sorted(unknown)}")
        rows = tuple(replace(r, replication_probability=_json(probs.get(r.id))) for r in self.rows)
        return replace(self, rows=rows)


def verdict_reproduced(scorecard: Scorecard) -> dict[str, bool]:
    """``{claim id: verdict == "reproduced"}``: the indicator a replication-probability
    simulation averages over simulated studies."""
    return {r.id: r.verdict == "reproduced" for r in scorecard.rows}


# ------------------------------------------------------------------ judge
def judge(study1_result, study2_result, *, alpha: float = 0.05,
          sesoi: float | Mapping[str, float] | None = None, family_rule: str = "holm",
          p_adjust: str = "none", claims: tuple[Claim, ...] = CLAIMS) -> Scorecard:
    """Judge every claim on the Study 1 / Study 2 results.

    Parameters
    ----------
    study1_result, study2_result : Study1Result, Study2Result or None
        ``None`` (e.g. an outcome not measured) gives ``not tested`` verdicts.
        Only ``study1_result.to_frame()`` and ``study2_result.interactions`` /
        ``.simple_slopes`` are read.
    alpha : float
        Significance level for every decision and for TOST.
    sesoi : float, mapping or None
        Smallest effect size of interest in raw coefficient units (module
        docstring): one number, or ``{"study1": .., "study2": ..}`` and/or
        ``{claim id: ..}``.  ``None``: equivalence ``not tested``.
    family_rule : {"holm", "bh", "none"}
        Adjustment within a null family (S2c, S2d).
    p_adjust : {"none", "holm", "bh"}
        Which Study 2 p-value decides the single-model claims (S2a, S2b):
        unadjusted, or adjusted across the 12 interactions.

    Examples
    --------
    >>> from analysis.families import study1, study2, _example_data
    >>> d = _example_data(200)
    >>> card = judge(study1(d), study2(d), sesoi=0.5)
    >>> [r.id for r in card.rows] == ["S1a", "S1b", "S1c", "S1d", "S2a", "S2b", "S2c", "S2d"]
    True
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}")
    if family_rule not in FAMILY_RULES or p_adjust not in FAMILY_RULES:
        raise InputError(f"family_rule and p_adjust must be one of {', '.join(FAMILY_RULES)}")
    s1 = None if study1_result is None else study1_result.to_frame()
    s2 = None if study2_result is None else (study2_result.interactions,
                                              study2_result.simple_slopes)
    ctx = {"alpha": alpha, "family_rule": family_rule, "p_adjust": p_adjust}
    rows, used = [], {}
    for claim in claims:
        used[claim.id] = _sesoi_for(claim, sesoi)
        rows.append(_judge_one(claim, s1, s2, used[claim.id], ctx))
    notes = ["SESOI in raw units of the outcome per unit of the predictor; an assumption."
             if sesoi is not None else "No SESOI given: equivalence not tested."]
    return Scorecard(rows=tuple(rows), alpha=alpha, family_rule=family_rule, p_adjust=p_adjust,
                     sesoi=used, notes=tuple(notes))


def _sesoi_for(claim: Claim, sesoi) -> float | None:
    if sesoi is None:
        return None
    value = (sesoi.get(claim.id, sesoi.get(f"study{claim.study}"))
             if isinstance(sesoi, Mapping) else sesoi)
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"the smallest effect size of interest must be a positive number, "
                         f"got {value!r} for {claim.id}")
    return value


def _judge_one(claim: Claim, s1, s2, sesoi, ctx) -> ClaimVerdict:
    base = dict(id=claim.id, study=claim.study, statement=claim.statement, kind=claim.kind,
                test=claim.test, outcome=claim.outcome, gene=claim.gene, style=claim.style,
                expected_sign=claim.expected_sign, n_members=max(1, len(claim.members)),
                sesoi=sesoi)
    source = s1 if claim.study == 1 else s2
    if claim.study == 1 and s1 is not None:
        base["test"] = fitted_test(claim, s1)
    stats_row = None if source is None else _lookup(claim, s1, s2)
    if stats_row is None:
        return ClaimVerdict(verdict="not tested", detail="The model deciding this claim was not "
                            "estimated on these data.", **base)
    if claim.kind == "null" and len(claim.members) > 1:
        return _judge_family(claim, stats_row, sesoi, ctx, base)
    if claim.kind == "null":
        return _judge_null(claim, stats_row, sesoi, ctx, base)
    return _judge_positive(claim, stats_row, s2, ctx, base)


_TERM_WORDS = {"drd2_a1_carrier": "DRD2 A1 carrier", "drd4_7r_carrier": "DRD4 7R carrier"}


def fitted_test(claim: Claim, s1) -> str:
    """The claim's test text naming the Study 1 model actually fitted.

    The claims table describes the full design (``CO ~ DRD2 A1 carrier + DRD4
    7R carrier``); when a locus is absent or covariates were added, the model
    differs, and the text says so (e.g. ``CO ~ DRD4 7R carrier``).

    >>> frame = pd.DataFrame({"outcome": ["CO", "CO"], "term": ["Intercept", "drd4_7r_carrier"]})
    >>> fitted_test(CLAIMS[2], frame).split(":")[0]
    'CO ~ DRD4 7R carrier'
    """
    terms = [str(t) for t in s1.loc[s1["outcome"] == claim.outcome, "term"]
             if str(t) != "Intercept"]
    if not terms:
        return claim.test
    words = " + ".join(_TERM_WORDS.get(t, t) for t in terms)
    return f"{claim.outcome} ~ {words}:" + claim.test.split(":", 1)[1]


def _lookup(claim: Claim, s1, s2):
    """The decisive coefficient row (a Series), or for a family the members' frame."""
    if claim.study == 1:
        hit = s1[(s1["outcome"] == claim.outcome) & (s1["term"] == GENES[claim.gene])]
        return None if hit.empty else hit.iloc[0]
    inter = s2[0]
    keys = pd.MultiIndex.from_frame(inter[["outcome", "gene", "style"]])
    pos = [keys.get_loc(m) for m in claim.members if m in keys]
    if len(pos) < len(claim.members):
        return None
    rows = inter.iloc[pos].reset_index(drop=True)
    return rows if len(claim.members) > 1 else rows.iloc[0]


def _numbers(row) -> dict:
    return {"term": str(row["term"]),
            **{k: _json(row[k]) for k in ("estimate", "std_error", "statistic", "df", "p_value",
                                          "conf_low", "conf_high")}}


def _decision_p(row, ctx) -> float:
    column = {"none": "p_value", "holm": "p_holm", "bh": "p_bh"}[ctx["p_adjust"]]
    return float(row[column]) if column in row.index else float(row["p_value"])


def _equivalence(row, sesoi, alpha) -> tuple[str, float | None]:
    if sesoi is None:
        return "not tested", None
    p, _, _ = tost(float(row["estimate"]), float(row["std_error"]), float(row["df"]), sesoi)
    return ("shown" if p < alpha else "not shown"), p


def _judge_null(claim, row, sesoi, ctx, base) -> ClaimVerdict:
    alpha = ctx["alpha"]
    p = float(row["p_value"])
    verdict = "contradicted" if p < alpha else "reproduced"
    equivalence, tost_p = _equivalence(row, sesoi, alpha)
    detail = (f"{_effect_words(claim, row)}; "
              + ("a significant effect where the paper reports none." if p < alpha else
                 "not significant, as claimed.")
              + _equivalence_words(equivalence, sesoi))
    return ClaimVerdict(verdict=verdict, detail=detail, p_decision=p, equivalence=equivalence,
                        tost_p=tost_p, **_numbers(row), **base)


def _judge_family(claim, members: pd.DataFrame, sesoi, ctx, base) -> ClaimVerdict:
    alpha, rule = ctx["alpha"], ctx["family_rule"]
    p = members["p_value"].to_numpy(dtype=float)
    adjusted = {"holm": holm, "bh": benjamini_hochberg, "none": np.asarray}[rule](p)
    n_sig = int(np.sum(adjusted < alpha))
    worst = int(np.nanargmax(np.abs(members["statistic"].to_numpy(dtype=float))))
    eq = [_equivalence(members.iloc[i], sesoi, alpha) for i in range(len(members))]
    if sesoi is None:
        equivalence, tost_p = "not tested", None
    else:
        tost_p = max(t for _, t in eq)
        equivalence = "shown" if tost_p < alpha else "not shown"
    rule_words = {"holm": "after Holm adjustment", "bh": "after Benjamini-Hochberg adjustment",
                  "none": "unadjusted"}[rule]
    family = (f"{n_sig} of {len(members)} interactions significant {rule_words} (smallest "
              f"adjusted p = {np.nanmin(adjusted):.3g})")
    if sesoi is not None:
        family += f"; equivalence shown for {sum(e == 'shown' for e, _ in eq)} of {len(eq)}"
    w = members.iloc[worst]
    detail = (f"{family}. Largest |t|: {w['outcome']} ~ {w['gene']} x {w['style']}, "
              f"{_stat_words(w)}." + _equivalence_words(equivalence, sesoi, family=True))
    return ClaimVerdict(verdict="contradicted" if n_sig else "reproduced", detail=detail,
                        p_decision=float(np.nanmin(adjusted)), family_result=family,
                        equivalence=equivalence, tost_p=tost_p, **_numbers(w), **base)


def _judge_positive(claim, row, s2, ctx, base) -> ClaimVerdict:
    alpha = ctx["alpha"]
    p = _decision_p(row, ctx) if claim.study == 2 else float(row["p_value"])
    est = float(row["estimate"])
    right = np.sign(est) == claim.expected_sign
    sig = p < alpha
    pattern, slopes = None, {}
    if claim.rising_group is not None:
        pattern, slopes = _group_pattern(claim, s2[1], alpha)
    if sig and not right:
        verdict = "contradicted"
    elif pattern is None:
        verdict = "reproduced" if sig else "not reproduced"
    elif sig and pattern:
        verdict = "reproduced"
    elif sig or (pattern and right):
        verdict = "partial"
    else:
        verdict = "not reproduced"
    detail = _positive_words(claim, row, p, sig, right, pattern, slopes)
    return ClaimVerdict(verdict=verdict, detail=detail, p_decision=p, group_pattern=pattern,
                        **slopes, **_numbers(row), **base)


def _group_pattern(claim, slopes: pd.DataFrame, alpha) -> tuple[bool | None, dict]:
    outcome, gene, style = claim.members[0]
    sel = slopes[(slopes["outcome"] == outcome) & (slopes["gene"] == gene)
                 & (slopes["style"] == style)].set_index("group")
    if claim.rising_group not in sel.index or claim.flat_group not in sel.index:
        return None, {}
    rising, flat = sel.loc[claim.rising_group], sel.loc[claim.flat_group]
    holds = bool(rising["estimate"] > 0 and rising["p_value"] < alpha
                 and not flat["p_value"] < alpha)
    return holds, {"rising_slope": _json(rising["estimate"]), "rising_p": _json(rising["p_value"]),
                   "flat_slope": _json(flat["estimate"]), "flat_p": _json(flat["p_value"])}


# ------------------------------------------------------------------ words
def _stat_words(row) -> str:
    return (f"b = {row['estimate']:.3f} (SE {row['std_error']:.3f}), "
            f"t({row['df']:.0f}) = {row['statistic']:.2f}, p = {row['p_value']:.3g}")


def _effect_words(claim, row) -> str:
    if claim.study == 1:
        groups = GROUP_LABELS[claim.gene]
        return f"{claim.outcome}, {groups[1]} minus {groups[0]}: {_stat_words(row)}"
    return f"{claim.outcome} ~ {claim.gene} x {claim.style} interaction: {_stat_words(row)}"


def _equivalence_words(equivalence, sesoi, family=False) -> str:
    if equivalence == "not tested":
        return ""
    scope = "every interaction lies" if family else "the effect lies"
    if equivalence == "shown":
        return f" Equivalence shown: {scope} within +/-{sesoi:g} (evidence of no meaningful effect)."
    return (f" Equivalence not shown at +/-{sesoi:g}: absence of evidence, not evidence "
            "of absence.")


def _positive_words(claim, row, p, sig, right, pattern, slopes) -> str:
    sign = "positive" if claim.expected_sign > 0 else "negative"
    text = (f"{_effect_words(claim, row)}; expected {sign}; "
            + ("significant" if sig else "not significant") + f" (decision p = {p:.3g})"
            + ("" if right else ", opposite sign") + ".")
    if pattern is not None:
        text += (f" Slope of {claim.style}: {claim.rising_group} {slopes['rising_slope']:.3f} "
                 f"(p = {slopes['rising_p']:.3g}), {claim.flat_group} {slopes['flat_slope']:.3f} "
                 f"(p = {slopes['flat_p']:.3g}); the claimed pattern "
                 + ("holds." if pattern else "does not hold."))
    return text


def _json(v):
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return v

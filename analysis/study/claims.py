"""The eight published claims (S1a-S2d) as data, and the rules that judge them.

Each :class:`Claim` records what Verbeke, Bagozzi & van den Berg (2014) found
(paraphrased from ``FINDINGS.md``), whether it asserts an effect (``positive``)
or the absence of one (``null``), the model term(s) that decide it and the
expected sign.  :func:`judge` applies the verdict rules to a
:class:`~analysis.study.families.Study1Result` and a
:class:`~analysis.study.families.Study2Result` and returns a :class:`Scorecard`.

Verdict rules
-------------
The rules are DATA, in one place: :data:`RULES` maps each kind of claim
(``positive``: S1c; ``pattern``: S2a, S2b; ``null``: S1a, S1b, S1d and the
families S2c, S2d) to an ordered list of ``(conditions, verdict)``; the first
rule whose conditions hold decides (:func:`apply_rules`, used both by
:func:`judge` and by the vectorised simulation rules of
:mod:`analysis.study.batchclaims`).  :data:`CONDITIONS` and :data:`VERDICT_MEANING`
put them in words; :func:`verdict_legend` is the table the report shows.
In short (``alpha`` two-sided; TOST at ``equivalence_alpha``):

* positive (S1c): significant in the claimed direction -> ``reproduced``;
  significant against it -> ``contradicted``; else ``not reproduced``.
* pattern (S2a, S2b; "rising for group A, not for group B"): interaction
  significant against the claimed direction -> ``contradicted``; significant,
  group A's slope positive and significant, group B's slope not significant
  AND shown equivalent to 0 -> ``reproduced``; the same but B's flatness not
  shown -> ``inconclusive`` (the null part is undecided); other significant
  cases, or a holding pattern with a non-significant interaction of the right
  sign -> ``partial``; else ``not reproduced``.  With carrier coding (carrier =
  1) the interaction is the carriers' slope minus the non-carriers', so S2a
  (A2/A2 = 0 has the rising slope) expects a NEGATIVE interaction.
* null (S1a, S1b, S1d; family S2c, S2d): effect significant and equivalence
  not shown -> ``contradicted``; significant but equivalent (an effect smaller
  than the SESOI) -> ``not reproduced``; equivalence shown -> ``reproduced``;
  neither -> ``inconclusive`` (absence of evidence is not evidence of absence).
  A family's effect test adjusts its members' p-values within the family
  (``family_rule``, default Holm 1979) and the smallest adjusted p is the p the
  scorecard shows; equivalence of a family is the intersection-union test
  (Berger 1982): every member must show it, ``tost_p`` is the largest.

Equivalence (Schuirmann 1987; Lakens 2017, doi:10.1177/1948550617697177): two
one-sided t tests of ``H0: b <= -sesoi`` and ``H0: b >= sesoi``; ``tost_p =
max(p_lower, p_upper)``; ``shown`` when ``tost_p < equivalence_alpha``.

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
:func:`sesoi_in_raw_units` converts the config's standardized values (Cohen's
d for Study 1, a standardized slope for Study 2) to raw units.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import InputError
from .families import GENES, GROUP_LABELS, benjamini_hochberg, holm

__all__ = ["Claim", "ClaimVerdict", "Scorecard", "CLAIMS", "VERDICTS", "VERDICT_MEANING", "RULES",
           "CONDITIONS", "apply_rules", "rule_set", "verdict_legend", "judge", "tost",
           "sesoi_in_raw_units", "verdict_reproduced"]



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


# ------------------------------------------------------------------ verdict rules (data)
#: The verdict vocabulary, in display order.
VERDICTS = ("reproduced", "partial", "inconclusive", "not reproduced", "contradicted",
            "not tested")
FAMILY_RULES = ("holm", "bh", "none")

#: What each verdict means, one line each (the report's legend).
VERDICT_MEANING = {
    "reproduced": "The data show what the paper claims: the effect where it claims one (significant, "
                  "in its direction) and equivalence (TOST against the SESOI) where it claims none.",
    "partial": "Part of a pattern claim holds: the moderation is significant in the claimed "
               "direction but a group slope disagrees, or the group pattern holds while the "
               "moderation is not significant.",
    "inconclusive": "Neither the effect nor its absence is shown: a non-significant test whose "
                    "confidence interval still includes effects as large as the SESOI. Absence "
                    "of evidence, not evidence of absence.",
    "not reproduced": "The claimed effect is not significant; or, for a claim of no effect, a "
                      "significant effect that is smaller than the SESOI (equivalence also shown).",
    "contradicted": "A significant effect against the claim: opposite to the claimed direction, "
                    "or a non-negligible effect (equivalence not shown) where the paper reports none.",
    "not tested": "The data lack a variable the claim needs (e.g. DRD2 not genotyped).",
}

#: The conditions the rules test, in words (``alpha`` = claims.alpha; TOST at
#: claims.equivalence_alpha against the SESOI).
CONDITIONS = {
    "significant": "the deciding test is significant (p < alpha)",
    "expected_sign": "the estimate has the claimed sign",
    "rising": "the named group's style slope is positive and significant",
    "flat_effect": "the other group's style slope is significant",
    "flat_equivalent": "the other group's style slope is shown equivalent to 0 (TOST)",
    "effect": "the effect is significant (p < alpha; a family: any multiplicity-adjusted p < alpha)",
    "equivalent": "equivalence shown (TOST; a family: every member, intersection-union test)",
}

#: The verdict rules, as data: per kind of claim an ordered list of
#: ``(conditions, verdict)``; the first rule whose conditions all hold decides
#: (``{"x": False}`` requires ``x`` to be false, ``{}`` always holds).  Applied by
#: :func:`apply_rules` to scalars (:func:`judge`) and to arrays of simulated
#: studies (:func:`analysis.study.batchclaims.verdict_codes`).
RULES: dict[str, tuple[tuple[dict, str], ...]] = {
    # S1c: a main effect in a stated direction
    "positive": (
        ({"significant": True, "expected_sign": False}, "contradicted"),
        ({"significant": True}, "reproduced"),
        ({}, "not reproduced"),
    ),
    # S2a, S2b: a moderation in a stated direction, the named group's slope rising and the
    # other group's flat ("not for non-carriers": its null part needs equivalence)
    "pattern": (
        ({"significant": True, "expected_sign": False}, "contradicted"),
        ({"significant": True, "rising": True, "flat_effect": False, "flat_equivalent": True},
         "reproduced"),
        ({"significant": True, "rising": True, "flat_effect": False}, "inconclusive"),
        ({"significant": True}, "partial"),
        ({"expected_sign": True, "rising": True, "flat_effect": False}, "partial"),
        ({}, "not reproduced"),
    ),
    # S1a, S1b, S1d, S2c, S2d: no effect (a family: no member effect)
    "null": (
        ({"effect": True, "equivalent": False}, "contradicted"),
        ({"effect": True}, "not reproduced"),
        ({"equivalent": True}, "reproduced"),
        ({}, "inconclusive"),
    ),
}


def rule_set(claim: "Claim") -> str:
    """The kind of rule that decides ``claim``: ``positive``, ``pattern`` or ``null``."""
    if claim.kind == "null":
        return "null"
    return "pattern" if claim.rising_group is not None else "positive"


def apply_rules(kind: str, conditions: Mapping[str, object]):
    """Apply :data:`RULES` ``[kind]`` to boolean conditions (scalars or equal-shape arrays).

    Returns the verdict index into :data:`VERDICTS` (an int for scalars, an
    int8 array otherwise): the first rule whose conditions all hold.

    Examples
    --------
    >>> VERDICTS[apply_rules("null", {"effect": False, "equivalent": False})]
    'inconclusive'
    >>> apply_rules("positive", {"significant": np.array([True, True, False]),
    ...                          "expected_sign": np.array([True, False, True])}).tolist()
    [0, 4, 3]
    """
    rules = RULES[kind]
    needed = {name for cond, _ in rules for name in cond}
    missing = needed - set(conditions)
    if missing:
        raise KeyError(f"rule set {kind!r} needs the condition(s) {sorted(missing)}")
    values = {k: np.asarray(conditions[k], dtype=bool) for k in needed}
    shape = np.broadcast_shapes(*(v.shape for v in values.values())) if values else ()
    picks = []
    for cond, _ in rules:
        hit = np.ones(shape, dtype=bool)
        for name, want in cond.items():
            hit &= values[name] if want else ~values[name]
        picks.append(hit)
    codes = np.select(picks, [VERDICTS.index(v) for _, v in rules],
                      VERDICTS.index(rules[-1][1])).astype(np.int8)
    return int(codes) if codes.ndim == 0 else codes


def verdict_legend() -> pd.DataFrame:
    """The rules in words, one row per rule: ``claim_kind, order, when, verdict, meaning``.

    The report renders this table as the scorecard's legend (rendering only
    formats it).  ``when`` joins :data:`CONDITIONS` for the rule's conditions
    ("otherwise" for the catch-all rule).

    >>> verdict_legend().groupby("claim_kind").size().to_dict()
    {'null': 4, 'pattern': 6, 'positive': 3}
    """
    kinds = {"positive": "effect in a direction (S1c)",
             "pattern": "moderation with a group pattern (S2a, S2b)",
             "null": "no effect (S1a, S1b, S1d; families S2c, S2d)"}
    rows = []
    for kind, rules in RULES.items():
        for i, (cond, verdict) in enumerate(rules, start=1):
            words = [CONDITIONS[k] if v else "not: " + CONDITIONS[k] for k, v in cond.items()]
            rows.append({"claim_kind": kind, "claims": kinds[kind], "order": i,
                         "when": "; ".join(words) if words else "otherwise", "verdict": verdict,
                         "meaning": VERDICT_MEANING[verdict]})
    return pd.DataFrame(rows)


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
    """One scorecard row.

    ``estimate`` .. ``conf_high`` are those of the deciding term (for a family the
    member with the largest ``|t|``).  ``p_value`` is **the p-value the verdict
    used** (``p_label`` says which: unadjusted, or adjusted within the family /
    across the 12 interactions); ``p_unadjusted`` is the shown term's own p.
    ``p_decision`` equals ``p_value`` (kept for old readers).  ``sesoi`` is the
    smallest effect size of interest in raw units of the estimate, ``sesoi_std``
    the standardized value from the config (``sesoi_unit`` names the scale).
    For pattern claims ``flat_tost_p`` / ``flat_equivalence`` judge the null part
    ("not for ...": the other group's slope against +/- ``sesoi``).
    """

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
    rule: str = ""
    term: str | None = None
    expected_sign: int = 0
    estimate: float | None = None
    std_error: float | None = None
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    p_label: str | None = None
    p_unadjusted: float | None = None
    p_decision: float | None = None
    conf_low: float | None = None
    conf_high: float | None = None
    group_pattern: bool | None = None
    rising_group: str | None = None
    flat_group: str | None = None
    rising_slope: float | None = None
    rising_p: float | None = None
    flat_slope: float | None = None
    flat_p: float | None = None
    flat_tost_p: float | None = None
    flat_equivalence: str | None = None
    family_result: str | None = None
    n_members: int = 1
    equivalence: str | None = None
    tost_p: float | None = None
    equivalence_alpha: float | None = None
    sesoi: float | None = None
    sesoi_std: float | None = None
    sesoi_unit: str | None = None
    replication_probability: float | None = None
    verdict_probabilities: dict | None = None

    def to_dict(self) -> dict:
        out = {k: _json(v) for k, v in asdict(self).items()}
        if self.verdict_probabilities is not None:
            out["verdict_probabilities"] = {k: {kk: _json(vv) for kk, vv in v.items()}
                                            for k, v in self.verdict_probabilities.items()}
        return out


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Scorecard:
    """The eight verdicts and the settings that produced them."""

    rows: tuple[ClaimVerdict, ...]
    alpha: float
    family_rule: str
    p_adjust: str
    sesoi: dict
    equivalence_alpha: float = 0.05
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in self.rows])

    def to_records(self) -> list[dict]:
        """JSON-safe list of row dicts (NaN -> None), one per claim."""
        return [r.to_dict() for r in self.rows]

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "equivalence_alpha": self.equivalence_alpha,
                "family_rule": self.family_rule, "p_adjust": self.p_adjust,
                "sesoi": {k: _json(v) for k, v in self.sesoi.items()},
                "claims": self.to_records(), "notes": list(self.notes),
                "legend": verdict_legend().to_dict(orient="records")}

    def verdicts(self) -> dict[str, str]:
        return {r.id: r.verdict for r in self.rows}

    def with_replication_probability(self, probs: Mapping[str, float],
                                     shares: Mapping[str, Mapping] | None = None) -> Scorecard:
        """A new Scorecard with ``replication_probability`` filled from ``{id: share}`` and,
        optionally, ``verdict_probabilities`` from ``{id: {verdict: {"probability", "mc_se"}}}``."""
        unknown = (set(probs) | set(shares or {})) - {r.id for r in self.rows}
        if unknown:
            raise KeyError(f"no such claim(s): {sorted(unknown)}")
        rows = tuple(replace(r, replication_probability=_json(probs.get(r.id)),
                             verdict_probabilities=(shares or {}).get(r.id))
                     for r in self.rows)
        return replace(self, rows=rows)


def verdict_reproduced(scorecard: Scorecard) -> dict[str, bool]:
    """``{claim id: verdict == "reproduced"}``: the indicator a replication-probability
    simulation averages over simulated studies."""
    return {r.id: r.verdict == "reproduced" for r in scorecard.rows}


# ------------------------------------------------------------------ judge
def judge(study1_result, study2_result, *, alpha: float = 0.05,
          sesoi: float | Mapping[str, float] | None = None, family_rule: str = "holm",
          p_adjust: str = "none", claims: tuple[Claim, ...] = CLAIMS,
          equivalence_alpha: float | None = None,
          sesoi_std: Mapping[str, float] | None = None) -> Scorecard:
    """Judge every claim on the Study 1 / Study 2 results with the rules of :data:`RULES`.

    Parameters
    ----------
    study1_result, study2_result : Study1Result, Study2Result or None
        ``None`` (e.g. an outcome not measured) gives ``not tested`` verdicts.
        Only ``study1_result.to_frame()`` and ``study2_result.interactions`` /
        ``.simple_slopes`` are read.
    alpha : float
        Significance level of every effect test.
    sesoi : float, mapping or None
        Smallest effect size of interest in raw coefficient units (module
        docstring): one number, or ``{"study1": .., "study2": ..}`` and/or
        ``{claim id: ..}`` (:func:`sesoi_in_raw_units` converts the config's
        standardized values).  ``None``: equivalence cannot be shown, so a null
        claim is at best ``inconclusive``.
    family_rule : {"holm", "bh", "none"}
        Adjustment within a null family (S2c, S2d).
    p_adjust : {"none", "holm", "bh"}
        Which Study 2 p-value decides the single-model claims (S2a, S2b):
        unadjusted, or adjusted across the 12 interactions.
    equivalence_alpha : float, optional
        Level of each one-sided test of TOST (config ``claims.equivalence_alpha``;
        default ``alpha``).
    sesoi_std : mapping, optional
        ``{claim id: standardized SESOI}``, recorded next to the raw value.

    Examples
    --------
    >>> from analysis.study.families import study1, study2, _example_data
    >>> d = _example_data(200)
    >>> card = judge(study1(d), study2(d), sesoi=0.5)
    >>> [r.id for r in card.rows] == ["S1a", "S1b", "S1c", "S1d", "S2a", "S2b", "S2c", "S2d"]
    True
    """
    eq_alpha = alpha if equivalence_alpha is None else equivalence_alpha
    for name, value in (("alpha", alpha), ("equivalence_alpha", eq_alpha)):
        if not 0 < value < 1:
            raise InputError(f"{name} must be between 0 and 1, got {value!r}")
    if family_rule not in FAMILY_RULES or p_adjust not in FAMILY_RULES:
        raise InputError(f"family_rule and p_adjust must be one of {', '.join(FAMILY_RULES)}")
    s1 = None if study1_result is None else study1_result.to_frame()
    s2 = None if study2_result is None else (study2_result.interactions,
                                              study2_result.simple_slopes)
    ctx = {"alpha": alpha, "eq_alpha": eq_alpha, "family_rule": family_rule,
           "p_adjust": p_adjust, "sesoi_std": dict(sesoi_std or {})}
    rows, used = [], {}
    for claim in claims:
        used[claim.id] = _sesoi_for(claim, sesoi)
        rows.append(_judge_one(claim, s1, s2, used[claim.id], ctx))
    notes = ["SESOI in raw units of the outcome per unit of the predictor; an assumption."
             if sesoi is not None else
             "No SESOI given: equivalence cannot be shown, so no null claim can be reproduced."]
    return Scorecard(rows=tuple(rows), alpha=alpha, family_rule=family_rule, p_adjust=p_adjust,
                     sesoi=used, equivalence_alpha=eq_alpha, notes=tuple(notes))


SESOI_UNITS = {1: "Cohen's d (carrier minus non-carrier, pooled within-group SD)",
               2: "standardized slope (outcome SD per style SD)"}


def sesoi_in_raw_units(spec: Mapping, s1: pd.DataFrame | None,
                       s2: pd.DataFrame | None) -> tuple[dict[str, float], dict[str, float]]:
    """The config's standardized SESOIs in each claim's raw units: ``(raw, standardized)``.

    ``spec`` is the config's ``claims.sesoi`` (``main_effect_d``,
    ``interaction_std``).  Study 1 claims compare group means: ``d x`` the
    pooled within-group SD of the outcome.  Study 2 claims compare slopes of
    the outcome on a style: ``interaction_std x SD(outcome) / SD(style)``; a
    family takes the smallest value over its members (the conservative choice
    for showing equivalence).  The same value judges a pattern claim's flat
    group slope.  SDs use every non-missing value (``ddof = 1``);
    :func:`analysis.study.batchclaims.sesoi_arrays` is the array form.

    >>> d = pd.DataFrame({"CO": [1.0, 2, 3, 4], "drd4_7r_carrier": [0, 0, 1, 1],
    ...                   "drd2_a1_carrier": [0, 1, 0, 1]})
    >>> raw, std = sesoi_in_raw_units({"main_effect_d": 0.5, "interaction_std": 0.3}, d, None)
    >>> round(raw["S1c"], 4), std["S1c"]
    (0.3536, 0.5)
    """
    d, k = float(spec["main_effect_d"]), float(spec["interaction_std"])
    raw, std = {}, {}
    for claim in CLAIMS:
        if claim.study == 1 and s1 is not None:
            gene_col = GENES[claim.gene]
            if {claim.outcome, gene_col} <= set(s1.columns):
                raw[claim.id], std[claim.id] = d * _pooled_sd(s1, claim.outcome, gene_col), d
        elif claim.study == 2 and s2 is not None:
            if all({m[0], m[2]} <= set(s2.columns) for m in claim.members):
                raw[claim.id] = min(k * s2[m[0]].std() / s2[m[2]].std() for m in claim.members)
                std[claim.id] = k
    return raw, std


def _pooled_sd(frame: pd.DataFrame, outcome: str, group: str) -> float:
    sub = frame[[outcome, group]].dropna()
    groups = [g[outcome].to_numpy() for _, g in sub.groupby(group)]
    ss = sum(((g - g.mean()) ** 2).sum() for g in groups)
    return float(np.sqrt(ss / (len(sub) - len(groups))))


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
                sesoi=sesoi, sesoi_std=_json(ctx["sesoi_std"].get(claim.id)),
                sesoi_unit=SESOI_UNITS[claim.study], rule=rule_set(claim),
                rising_group=claim.rising_group, flat_group=claim.flat_group,
                equivalence_alpha=ctx["eq_alpha"])
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
    return _judge_positive(claim, stats_row, s2, sesoi, ctx, base)


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


def _numbers(row, p: float, label: str) -> dict:
    out = {"term": str(row["term"]),
           **{k: _json(row[k]) for k in ("estimate", "std_error", "statistic", "df",
                                         "conf_low", "conf_high")}}
    out.update(p_value=_json(p), p_decision=_json(p), p_label=label,
               p_unadjusted=_json(row["p_value"]))
    return out


_ADJUST_WORDS = {"holm": "Holm-adjusted", "bh": "Benjamini-Hochberg-adjusted", "none": "unadjusted"}


def _decision_p(row, ctx) -> tuple[float, str]:
    column = {"none": "p_value", "holm": "p_holm", "bh": "p_bh"}[ctx["p_adjust"]]
    if ctx["p_adjust"] == "none" or column not in row.index:
        return float(row["p_value"]), "unadjusted"
    return float(row[column]), f"{_ADJUST_WORDS[ctx['p_adjust']]} across the 12 interactions"


def _equivalence(row, sesoi, eq_alpha) -> tuple[str, float | None]:
    if sesoi is None:
        return "not tested", None
    p, _, _ = tost(float(row["estimate"]), float(row["std_error"]), float(row["df"]), sesoi)
    return ("shown" if p < eq_alpha else "not shown"), p


def _judge_null(claim, row, sesoi, ctx, base) -> ClaimVerdict:
    p = float(row["p_value"])
    equivalence, tost_p = _equivalence(row, sesoi, ctx["eq_alpha"])
    verdict = VERDICTS[apply_rules("null", {"effect": p < ctx["alpha"],
                                            "equivalent": equivalence == "shown"})]
    detail = (f"{_effect_words(claim, row)}; "
              + ("a significant effect where the paper reports none." if p < ctx["alpha"] else
                 "not significant.")
              + _equivalence_words(equivalence, sesoi))
    return ClaimVerdict(verdict=verdict, detail=detail, equivalence=equivalence, tost_p=tost_p,
                        **_numbers(row, p, "unadjusted"), **base)


def _judge_family(claim, members: pd.DataFrame, sesoi, ctx, base) -> ClaimVerdict:
    alpha, rule = ctx["alpha"], ctx["family_rule"]
    p = members["p_value"].to_numpy(dtype=float)
    adjusted = {"holm": holm, "bh": benjamini_hochberg, "none": np.asarray}[rule](p)
    n_sig = int(np.sum(adjusted < alpha))
    worst = int(np.nanargmax(np.abs(members["statistic"].to_numpy(dtype=float))))
    eq = [_equivalence(members.iloc[i], sesoi, ctx["eq_alpha"]) for i in range(len(members))]
    if sesoi is None:
        equivalence, tost_p = "not tested", None
    else:
        tost_p = max(t for _, t in eq)
        equivalence = "shown" if tost_p < ctx["eq_alpha"] else "not shown"
    verdict = VERDICTS[apply_rules("null", {"effect": n_sig > 0,
                                            "equivalent": equivalence == "shown"})]
    family = (f"{n_sig} of {len(members)} interactions significant "
              f"({_ADJUST_WORDS[rule]} within the family; smallest adjusted p = "
              f"{np.nanmin(adjusted):.3g})")
    if sesoi is not None:
        family += f"; equivalence shown for {sum(e == 'shown' for e, _ in eq)} of {len(eq)}"
    w = members.iloc[worst]
    detail = (f"{family}. Largest |t|: {w['outcome']} ~ {w['gene']} x {w['style']}, "
              f"{_stat_words(w)}." + _equivalence_words(equivalence, sesoi, family=True))
    label = f"{_ADJUST_WORDS[rule]} within the {len(members)}-member family (smallest)"
    return ClaimVerdict(verdict=verdict, detail=detail, family_result=family,
                        equivalence=equivalence, tost_p=tost_p,
                        **_numbers(w, float(np.nanmin(adjusted)), label), **base)


def _judge_positive(claim, row, s2, sesoi, ctx, base) -> ClaimVerdict:
    alpha = ctx["alpha"]
    p, label = _decision_p(row, ctx) if claim.study == 2 else (float(row["p_value"]),
                                                                "unadjusted")
    right = bool(np.sign(float(row["estimate"])) == claim.expected_sign)
    cond = {"significant": p < alpha, "expected_sign": right}
    pattern, slopes = None, {}
    if claim.rising_group is not None:
        pattern, slopes, parts = _group_pattern(claim, s2[1], sesoi, ctx)
        if pattern is None:
            return ClaimVerdict(verdict="not tested", detail="A genotype group of this claim "
                                "has no slope estimate in these data.", **base)
        cond.update(parts)
    verdict = VERDICTS[apply_rules(rule_set(claim), cond)]
    detail = _positive_words(claim, row, p, cond, pattern, slopes)
    return ClaimVerdict(verdict=verdict, detail=detail, group_pattern=pattern, **slopes,
                        **_numbers(row, p, label), **base)


def _group_pattern(claim, slopes: pd.DataFrame, sesoi, ctx):
    """``(pattern holds, slope numbers, rule conditions)`` for a pattern claim.

    The pattern holds when the named group's slope is positive and significant
    and the other group's is not significant (its flatness is shown only by
    ``flat_equivalent``: TOST of the slope against +/- ``sesoi``)."""
    outcome, gene, style = claim.members[0]
    sel = slopes[(slopes["outcome"] == outcome) & (slopes["gene"] == gene)
                 & (slopes["style"] == style)].set_index("group")
    if claim.rising_group not in sel.index or claim.flat_group not in sel.index:
        return None, {}, {}
    rising, flat = sel.loc[claim.rising_group], sel.loc[claim.flat_group]
    alpha = ctx["alpha"]
    flat_eq, flat_tost = _equivalence(flat, sesoi, ctx["eq_alpha"])
    parts = {"rising": bool(rising["estimate"] > 0 and rising["p_value"] < alpha),
             "flat_effect": bool(flat["p_value"] < alpha),
             "flat_equivalent": flat_eq == "shown"}
    holds = parts["rising"] and not parts["flat_effect"]
    numbers = {"rising_slope": _json(rising["estimate"]), "rising_p": _json(rising["p_value"]),
               "flat_slope": _json(flat["estimate"]), "flat_p": _json(flat["p_value"]),
               "flat_tost_p": _json(flat_tost), "flat_equivalence": flat_eq}
    return holds, numbers, parts


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
        return " No SESOI: equivalence not tested."
    scope = "every interaction lies" if family else "the effect lies"
    if equivalence == "shown":
        return f" Equivalence shown: {scope} within +/-{sesoi:.3g} (evidence of no meaningful effect)."
    return (f" Equivalence not shown at +/-{sesoi:.3g}: absence of evidence, not evidence "
            "of absence.")


def _positive_words(claim, row, p, cond, pattern, slopes) -> str:
    sign = "positive" if claim.expected_sign > 0 else "negative"
    text = (f"{_effect_words(claim, row)}; expected {sign}; "
            + ("significant" if cond["significant"] else "not significant")
            + f" (decision p = {p:.3g})" + ("" if cond["expected_sign"] else ", opposite sign")
            + ".")
    if pattern is not None:
        flat_eq = {"shown": "shown flat (equivalence within the SESOI)",
                   "not shown": "not shown flat (equivalence not shown)",
                   "not tested": "not tested for flatness (no SESOI)"}[slopes["flat_equivalence"]]
        text += (f" Slope of {claim.style}: {claim.rising_group} {slopes['rising_slope']:.3f} "
                 f"(p = {slopes['rising_p']:.3g}), {claim.flat_group} {slopes['flat_slope']:.3f} "
                 f"(p = {slopes['flat_p']:.3g}; {flat_eq}).")
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

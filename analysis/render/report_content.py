"""The report's standard content: claim cards, verdict legend, methods, detail tables.

Turns numbers that were already computed (scorecard records, result tables,
settings) into :class:`~analysis.render.report_sections.Section` objects; every number
is written by :mod:`analysis.render.apa`.  Nothing here computes a statistic.

Produces: the *Summary* (claim cards + verdict legend), the *Methods* section
and the collapsed *Detail tables* of ``index.html`` / ``report.md``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from . import apa
from .report_sections import Card, Section, Table

__all__ = ["verdict_legend", "claim_card", "summary_section", "methods_section",
           "detail_section", "analysis_methods", "apa_text", "TABLE_CAPTIONS"]

#: Fallback meaning of each verdict (used when :mod:`analysis.study.claims` has no legend).
_LEGEND = (
    ("reproduced", "The data agree with the published claim under its rule (a claimed effect "
                   "is significant with the claimed sign and pattern; a claimed null is not "
                   "significant)."),
    ("partial", "Part of a claimed pattern holds (e.g. the interaction is significant but the "
                "simple slopes do not show the claimed pattern)."),
    ("not reproduced", "A claimed effect is not significant: absence of evidence, not evidence "
                       "against the claim."),
    ("contradicted", "A significant result against the claim (opposite sign, or an effect where "
                     "the paper reports none)."),
    ("not tested", "The data lack a variable the claim needs."),
)


def verdict_legend() -> list[tuple[str, str]]:
    """``[(verdict, meaning)]``, one per verdict: :data:`analysis.study.claims.VERDICT_MEANING`
    (the verdict rules' own words), else the fallback.  The rules themselves (which
    condition gives which verdict, per kind of claim) are the ``verdict_legend`` table."""
    from ..study import claims
    meaning = getattr(claims, "VERDICT_MEANING", None)
    if isinstance(meaning, Mapping):
        return [(str(k), str(v)) for k, v in meaning.items()]
    return list(_LEGEND)


_P_RE = re.compile(r"\b(p|adjusted p|decision p)( = | < | > )(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)")
_SCI_RE = re.compile(r"-?\d+(?:\.\d+)?e[-+]?\d+")
_PM_RE = re.compile(r"\+/-(\d+(?:\.\d+)?)")


def apa_text(text: str) -> str:
    """Rewrite numbers in a ready-made sentence the APA way (p without leading zero, no
    scientific notation, ±): formatting only, the numbers are not changed.

    >>> apa_text("t(222) = 5.30, p = 2.73e-07; smallest adjusted p = 0.96; within +/-0.21187")
    't(222) = 5.30, p < .001; smallest adjusted p = .960; within ±0.212'
    """
    text = _P_RE.sub(lambda m: m.group(1) + " " + _p_words(float(m.group(3))), str(text))
    text = _SCI_RE.sub(lambda m: apa.fmt_number(float(m.group(0))), text)
    return _PM_RE.sub(lambda m: "±" + apa.fmt_number(float(m.group(1))), text)


def _p_words(p: float) -> str:
    shown = apa.fmt_p(p)
    return shown if shown[0] in "<>" else f"= {shown}"


def _get(rec: Mapping, key: str):
    value = rec.get(key)
    return None if apa.is_missing(value) else value


def _deciding_test(rec: Mapping, conf_level: float) -> str:
    if _get(rec, "estimate") is None:
        return "No test: the data lack a variable this claim needs."
    term = rec.get("term")
    from .report_sections import term_label
    what = f"{term_label(term)}: " if term else ""
    parts = [f"b = {apa.fmt_number(rec['estimate'])}"]
    if _get(rec, "std_error") is not None:
        parts.append(f"SE = {apa.fmt_number(rec['std_error'])}")
    if _get(rec, "statistic") is not None:
        parts.append(apa.apa_test(t=rec["statistic"], df=rec.get("df"), p=rec.get("p_value")))
    if _get(rec, "conf_low") is not None and _get(rec, "conf_high") is not None:
        parts.append(f"{100 * conf_level:g}% CI {apa.fmt_ci(rec['conf_low'], rec['conf_high'])}")
    prefix = ""
    if int(rec.get("n_members") or 1) > 1:
        prefix = f"Largest |t| of the {int(rec['n_members'])} tests, "
        what = f"{rec.get('term') and term_label(rec['term'])}: "
    return prefix + what + ", ".join(parts)


def _decision(rec: Mapping, alpha: float, family_rule: str) -> str:
    p = _get(rec, "p_decision")
    if p is None:
        p = _get(rec, "p_value")
    if p is None:
        return ""
    side = "<" if p < alpha else "≥"
    n = int(rec.get("n_members") or 1)
    a = apa.fmt_unit(alpha, 2 if round(alpha, 2) == alpha else 3)
    if n > 1:
        rule = {"holm": "Holm-adjusted", "bh": "Benjamini-Hochberg-adjusted",
                "none": "unadjusted"}.get(family_rule, f"{family_rule}-adjusted")
        return (f"Decided by the smallest {rule} p of the {n} tests: "
                f"{apa.fmt_p_equals(p)} {side} α = {a}.")
    same = _get(rec, "p_value") is not None and abs(float(rec["p_value"]) - float(p)) < 1e-15
    kind = "" if same else " (adjusted)"
    return f"Decided by {apa.fmt_p_equals(p)}{kind} {side} α = {a}."


def _equivalence(rec: Mapping) -> str:
    eq = rec.get("equivalence")
    if not eq or rec.get("kind") != "null":
        return "Not applicable (the claim asserts an effect)." if rec.get("kind") != "null" else ""
    bound = _get(rec, "sesoi")
    tost = _get(rec, "tost_p")
    within = f"±{apa.fmt_number(bound)}" if bound is not None else "the SESOI"
    tp = f", TOST {apa.fmt_p_equals(tost)}" if tost is not None else ""
    if eq == "shown":
        return f"Shown: the effect lies within {within}{tp} (evidence of no meaningful effect)."
    if eq == "not shown":
        return (f"Not shown at {within}{tp}: absence of evidence, not evidence of absence.")
    return "Not tested (no smallest effect size of interest)."


def _why(rec: Mapping, alpha: float) -> str:
    verdict, kind = rec.get("verdict"), rec.get("kind")
    p = _get(rec, "p_decision") if _get(rec, "p_decision") is not None else _get(rec, "p_value")
    if verdict == "not tested" or p is None:
        return "The claim could not be tested on these data."
    sig = p < alpha
    if int(rec.get("n_members") or 1) > 1:
        m = re.match(r"(\d+) of (\d+)", str(rec.get("family_result") or ""))
        count = f"{m.group(1)} of {m.group(2)}" if m else ("some" if sig else "none")
        return (f"{count} interactions significant after adjustment within the family, so "
                + ("the claimed absence of moderation is contradicted." if sig
                   else "no moderation is found, as claimed."))
    if kind == "null":
        return ("A significant effect where the paper reports none." if sig else
                "Not significant, as claimed.")
    sign = "positive" if int(rec.get("expected_sign") or 0) > 0 else "negative"
    est = _get(rec, "estimate")
    right = est is not None and (est > 0) == (sign == "positive")
    text = ("Significant" if sig else "Not significant") + f" (expected {sign} sign"
    text += ")" if right else "; the estimate has the opposite sign)"
    pattern = rec.get("group_pattern")
    if pattern is not None and _get(rec, "rising_slope") is not None:
        text += (f"; slope b = {apa.fmt_number(rec['rising_slope'])} "
                 f"({apa.fmt_p_equals(rec['rising_p'])}) in the group claimed to rise, "
                 f"b = {apa.fmt_number(rec['flat_slope'])} ({apa.fmt_p_equals(rec['flat_p'])}) "
                 f"in the other: the claimed pattern " + ("holds" if pattern else "does not hold"))
    return text + "."


def claim_card(rec: Mapping, *, alpha: float = 0.05, family_rule: str = "holm",
               conf_level: float = 0.95) -> Card:
    """One scorecard record as a :class:`Card` (strings only)."""
    prob = _get(rec, "replication_probability")
    return Card(id=str(rec["id"]), statement=str(rec["statement"]), verdict=str(rec["verdict"]),
                test=_deciding_test(rec, conf_level), decision=_decision(rec, alpha, family_rule),
                equivalence=_equivalence(rec),
                replication=("" if prob is None else
                             f"{apa.fmt_percent(prob)} of simulated studies of this size give "
                             "'reproduced' (under the assumed effects)."),
                why=_why(rec, alpha))


def summary_section(records: Sequence[Mapping], *, alpha: float = 0.05,
                    family_rule: str = "holm", conf_level: float = 0.95) -> Section:
    """The first section: one card per claim and the verdict legend."""
    cards = tuple(claim_card(r, alpha=alpha, family_rule=family_rule, conf_level=conf_level)
                  for r in records)
    counts = {}
    for c in cards:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    line = ", ".join(f"{n} {v}" for v, n in counts.items())
    return Section(id="summary", title="Summary", place="summary", order=0,
                   paragraphs=(f"{len(cards)} published claims: {line}.",),
                   items=tuple(verdict_legend()), cards=cards)


# --------------------------------------------------------------------------- methods

def methods_section(items: Sequence[tuple[str, str]]) -> Section:
    """Methods: ``items`` are ``(heading, plain text)`` pairs (the report adds the assumptions)."""
    return Section(id="methods", title="Methods", place="methods", order=0, items=tuple(items))


#: Captions of the standard tables (name -> human title).
TABLE_CAPTIONS = {
    "scorecard": "Scorecard: every claim with its deciding numbers",
    "study1_models": "Study 1: genotype main effects on CO and SO",
    "study2_interactions": "Study 2: gene × attachment interactions",
    "study2_simple_slopes": "Study 2: simple slopes of the attachment style per genotype group",
    "study2_bootstrap": "Study 2: bootstrap intervals",
    "study2_genotype_slopes_drd2": "Study 2: DRD2 slopes for each of the three genotypes",
    "study2_johnson_neyman": "Study 2: Johnson-Neyman regions of significance",
    "study2_crossover": "Study 2: crossover points (where the genotype lines cross)",
    "study2_gene_style_correlation": "Study 2: genotype-attachment association "
                                     "(gene-environment correlation check)",
    "replication_probability": "Replication probability per claim (simulation)",
    "own_models": "Your own hypotheses (codebook models:): the deciding interactions",
    "own_models_effects": "Your own hypotheses: conditional effects of each focal variable "
                          "at its moderator's values",
    "replication_metrics": "Replication metrics against the original estimates",
    "study2_susceptibility": "Study 2: differential susceptibility (crossover, model comparison)",
    "validation": "Validation findings (row counts only)",
    "reliability": "Scale reliability",
    "allele_frequencies": "Allele frequencies",
    "hardy_weinberg": "Hardy-Weinberg equilibrium tests",
}


def _caption(name: str) -> str:
    if name in TABLE_CAPTIONS:
        return TABLE_CAPTIONS[name]
    m = re.match(r"(.+)_descriptives_(.+)", name)
    if m:
        study = m.group(1).replace("study", "Study ").replace("your_data", "Your data")
        return f"{study}: descriptives ({m.group(2).replace('_', ' ')})"
    return name.replace("_", " ").capitalize()


#: Columns shown on the page for wide tables (the CSV keeps every column).
SHOWN_COLUMNS = {
    "study2_interactions": ("outcome", "gene", "style", "estimate", "std_error", "statistic",
                            "df", "p_value", "p_holm", "conf_low", "conf_high", "r2_change", "n"),
    "study2_bootstrap": ("outcome", "gene", "style", "quantity", "estimate", "boot_std_error",
                         "boot_conf_low", "boot_conf_high", "boot_method", "n_boot"),
    "study2_crossover": ("outcome", "gene", "style", "estimate", "std_error", "conf_low",
                         "conf_high", "fieller_low", "fieller_high", "classification"),
    "study2_genotype_slopes_drd2": ("outcome", "style", "genotype", "estimate", "std_error",
                                    "statistic", "df", "p_value", "conf_low", "conf_high",
                                    "n_group", "omnibus_p"),
    "study2_johnson_neyman": ("outcome", "gene", "style", "significant_region", "observed_min",
                              "observed_max", "bound_1", "share_below_1", "bound_2",
                              "share_below_2"),
    "hardy_weinberg": ("study", "locus", "n", "p_value", "p_value_multiallelic",
                       "heterozygosity_observed", "heterozygosity_expected"),
    "study2_gene_style_correlation": ("gene", "style", "estimate", "std_error", "statistic",
                                      "df", "p_value", "conf_low", "conf_high", "r", "n"),
    "study2_susceptibility": ("outcome", "gene", "style", "susceptible_group", "crossover",
                              "crossover_conf_low", "crossover_conf_high", "best_bic",
                              "p_diathesis_stress", "p_vantage", "pa"),
    "replication_metrics": ("claim", "scale", "original_estimate", "replication_estimate",
                            "replication_conf_low", "replication_conf_high",
                            "same_direction_significant", "original_in_replication_ci",
                            "replication_in_prediction_interval", "small_telescope_p",
                            "bayes_factor_r0"),
    "multiverse_summary": ("claim", "kind", "n_specs", "median_estimate", "estimate_min",
                           "estimate_max", "share_significant", "share_equivalent", "p_median",
                           "p_share", "p_stouffer", "draws"),
    "multiverse_influence": ("claim", "dimension", "eta_squared", "option_low", "median_low",
                             "option_high", "median_high"),
    "replication_probability": ("id", "probability", "mc_se", "conf_low", "conf_high",
                                "n_sims", "share_reproduced", "share_partial",
                                "share_not_reproduced", "share_contradicted"),
}


def detail_section(tables: Mapping, names: Sequence[str], *, max_rows: int = 60) -> Section:
    """The collapsed detail tables, in ``names`` order (each also in ``tables/<name>.csv``)."""
    shown = []
    for name in names:
        frame = tables[name]
        cols = SHOWN_COLUMNS.get(name)
        cols = None if cols is None else [c for c in cols if c in frame.columns]
        hidden = [] if cols is None else [c for c in frame.columns if c not in cols]
        note = ("More columns in the CSV file." if hidden else "")
        shown.append(Table(name=name, frame=frame, caption=_caption(name), columns=cols,
                           note=note, csv=True, max_rows=max_rows))
    return Section(id="tables", title="Detail tables", place="details", order=0,
                   paragraphs=("Each table is collapsed; click its title to open it. The CSV "
                               "files hold every column and every number in full.",),
                   tables=tuple(shown))


def analysis_methods(*, studies: Sequence[tuple[str, int, str]], se: str, alpha: float,
                     covariates: Sequence[str], keller: bool, family_rule: str, p_adjust: str,
                     min_answered: float, sesoi: Mapping, n_boot: int, replication_sims: int | None,
                     seed: int) -> list[tuple[str, str]]:
    """The Methods items of the claim report, from the settings that produced it.

    ``studies``: ``(name, n rows, source)`` per dataset.  Plain text only; every
    number written by :mod:`analysis.render.apa`.
    """
    se_words = ("classical OLS standard errors (homoskedastic)" if str(se).lower() == "ols"
                else f"heteroskedasticity-consistent {se.upper()} standard errors")
    rule = {"holm": "Holm (1979) step-down", "bh": "Benjamini-Hochberg (1995)",
            "none": "no"}.get(family_rule, family_rule)
    data = "; ".join(f"{name}: {apa.fmt_int(n)} rows ({source})" for name, n, source in studies)
    level = f"{100 * (1 - alpha):g}%"
    items = [
        ("Data", f"{data}. Reports show aggregates only; genotype cells smaller than the "
                 "codebook's minimum group size are not shown."),
        ("Scoring", "Each scale score is the mean of the answered items after reverse keying "
                    f"(min + max - x); a score needs at least {apa.fmt_percent(min_answered)} "
                    "of its items answered, otherwise it is missing. Response ranges come from "
                    "the codebook."),
        ("Genotype codings", "DRD2 Taq1A: A1 carrier (A1/A1 or A1/A2) = 1, A2/A2 = 0. DRD4 "
                             "exon III VNTR: 7R carrier (at least one 7-repeat allele) = 1, "
                             "non-carrier = 0. With this coding an interaction is the carriers' "
                             "slope minus the non-carriers' slope."),
        ("Models", "Study 1: ordinary least squares (OLS) of CO and of SO on both carrier "
                   "indicators. Study 2: for each outcome (CO, SO), gene (DRD2, DRD4) and "
                   "attachment style (secure, anxious, avoidant), outcome = b0 + b1 carrier + "
                   "b2 style + b3 carrier × style (PROCESS Model 1), with the style's simple slope "
                   "in each genotype group and the Johnson-Neyman region of significance "
                   "(closed form; Bauer & Curran 2005)."),
        ("Standard errors", f"{se_words}; t tests with the residual degrees of freedom; "
                            f"{level} confidence intervals."),
        ("Covariates", (", ".join(covariates) if covariates else "none") +
         ("; Keller (2014) controls (covariate × gene and covariate × style terms) reported "
          "beside the main models." if keller else ".")),
        ("Multiplicity", f"Each single claim (S1a-S2b) is decided by its own p "
                         f"({'unadjusted' if p_adjust == 'none' else p_adjust + '-adjusted'}); "
                         f"the null families S2c (6 SO interactions) and S2d (8 secure/anxious "
                         f"interactions) by {rule} adjustment within the family. The 'p (Holm)' "
                         "and 'p (BH)' columns of the interaction table adjust across all 12 "
                         "Study 2 interactions and are shown for information."),
        ("Equivalence", "Null claims are also tested for equivalence with two one-sided tests "
                        "(TOST; Schuirmann 1987; Lakens 2017) against a smallest effect size of "
                        "interest (SESOI), an assumption: "
                        + ", ".join(f"{k} = {apa.fmt_number(v)}" for k, v in sesoi.items()
                                    if v is not None) + " (raw units of each claim's coefficient)."),
        ("Verdict rules", "Significant means p < " + apa.fmt_unit(alpha) + " (two-sided). "
                          "The rule of each claim is stated on its card; the legend under "
                          "Summary says what each verdict means."),
    ]
    if n_boot:
        items.append(("Bootstrap", f"Pairs bootstrap with {apa.fmt_int(n_boot)} resamples per "
                                   f"Study 2 model (BCa and percentile intervals), seed "
                                   f"{apa.fmt_int(seed)}."))
    else:
        items.append(("Bootstrap", "Not run (0 resamples, --bootstrap 0 or the config's "
                                   "bootstrap.n_boot): the Study 2 intervals are Wald intervals "
                                   "only."))
    if replication_sims:
        items.append(("Replication probability", f"{apa.fmt_int(replication_sims)} simulated "
                      "studies of the same size under the assumed effects (data/simulation.yaml); "
                      "the share whose verdict is 'reproduced'."))
    return items

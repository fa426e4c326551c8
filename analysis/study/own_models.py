"""The user's own hypotheses: the codebook's ``models:`` probes, fitted and judged by ``analyze``.

Each :class:`~analysis.io.codebook.ModelSpec` is a PROCESS Model 1 probe
(:func:`analysis.stats.moderation.probe`, the engine of ``salesgxe probe``) on the
scored analysis frame (:func:`scored_frame`: scale scores, genotype codings,
covariates and any raw column a model names).  Its verdict comes from the
claims' rules (:data:`analysis.study.claims.RULES` through
:func:`analysis.study.claims.apply_rules`, the same vocabulary):

* ``prediction: positive`` / ``negative``: rule set ``positive`` on the
  ``focal:moderator`` coefficient (significant in the predicted direction ->
  ``reproduced``; significant against it -> ``contradicted``; else
  ``not reproduced``);
* ``prediction: null``: rule set ``null`` with the model's ``sesoi`` (TOST,
  Schuirmann 1987, :func:`analysis.study.claims.tost`): effect and no equivalence ->
  ``contradicted``; effect but equivalent -> ``not reproduced``; equivalence ->
  ``reproduced``; neither -> ``inconclusive``.

The deciding numbers are the interaction's coefficient row of the probe
(``estimate, std_error, statistic, df, p_value, conf_low, conf_high``) under the
model's covariance (OLS, HC0-HC4, or CR1/CR2 with Satterthwaite df for CR2); a
model whose genotype-coded variable has a group smaller than ``min_group_size``
keeps its verdict but its numbers are blanked (as the paper's claims are,
:func:`analysis.privacy.suppress_scorecard`).  Nothing here is rendered: the
report sections come from :func:`report_section`.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from .claims import _json  # the one JSON-scalar converter (NaN -> None)

__all__ = ["OwnVerdict", "OwnModels", "ORIGIN", "scored_frame", "check_variables",
           "fit_own_models", "judge_probe", "report_section"]

#: How an own hypothesis is marked in every output (scorecard, tables, cards).
ORIGIN = "your hypothesis"
_NUMBERS = ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high")


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnVerdict:
    """One own hypothesis judged: the scorecard record (``origin`` marks it as the user's)."""

    id: str
    statement: str
    verdict: str
    kind: str                 # "positive" (a direction) or "null": the claims' rule set
    rule: str
    prediction: str
    expected_sign: int
    outcome: str
    focal: str
    moderator: str
    covariates: tuple[str, ...]
    se_type: str
    cluster: str | None
    n: int
    n_dropped: int
    term: str
    test: str
    detail: str
    estimate: float | None = None
    std_error: float | None = None
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    p_decision: float | None = None
    p_label: str = "unadjusted"
    conf_low: float | None = None
    conf_high: float | None = None
    r2_change: float | None = None
    equivalence: str | None = None
    tost_p: float | None = None
    equivalence_alpha: float | None = None
    sesoi: float | None = None
    suppressed: str | None = None
    origin: str = ORIGIN
    replication_probability: float | None = None
    n_members: int = 1

    def to_dict(self) -> dict:
        out = asdict(self)
        out["covariates"] = list(self.covariates)
        return {k: _json(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnModels:
    """Every own hypothesis: verdicts, and the probes that decided them (never rendered)."""

    verdicts: tuple[OwnVerdict, ...]
    probes: tuple = field(default=(), repr=False)
    alpha: float = 0.05
    equivalence_alpha: float = 0.05

    def to_records(self) -> list[dict]:
        return [v.to_dict() for v in self.verdicts]

    def to_frame(self) -> pd.DataFrame:
        """The detail table: one row per hypothesis with its deciding numbers."""
        cols = ["id", "origin", "outcome", "focal", "moderator", "covariates", "se_type",
                "cluster", "n", "prediction", "term", *_NUMBERS, "r2_change", "sesoi",
                "equivalence", "tost_p", "verdict", "suppressed"]
        rows = [{**v.to_dict(), "covariates": ", ".join(v.covariates) or "none"}
                for v in self.verdicts]
        return pd.DataFrame(rows, columns=cols)

    def effects_frame(self) -> pd.DataFrame:
        """Conditional effects of each model's focal variable at its moderator's probe
        values (the default probe of ``salesgxe probe``), blanked where suppressed."""
        frames = []
        for verdict, res in zip(self.verdicts, self.probes):
            eff = res.conditional_effects().copy()
            if verdict.suppressed:
                eff[[c for c in eff.columns if c in _NUMBERS]] = np.nan
            eff.insert(0, "id", verdict.id)
            eff.insert(1, "focal", verdict.focal)
            frames.append(eff)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ---------------------------------------------------------------- data
def scored_frame(frame: pd.DataFrame, raw: pd.DataFrame | None = None, *, codebook=None,
                 models: Sequence = ()) -> pd.DataFrame:
    """The scored analysis frame the own models use and ``--export-scored`` writes.

    ``frame`` is the validated analysis frame (:func:`analysis.io.validate.prepare`:
    scale scores, genotype codings, covariates); its ``id`` column is left out (the
    respondent ids never leave the process).  Raw columns that a model names (a
    cluster column, a single item) are added from ``raw`` (the data as read, same
    rows), with the codebook's missing-value codes set to missing; the codebook's genotype
    and id columns never (their codings are the variables).
    """
    out = frame.drop(columns=["id"], errors="ignore").copy()
    sensitive = set() if codebook is None else codebook.sensitive_columns()
    extra = [col for m in models for _, col in m.variables
             if col not in out.columns and raw is not None and col in raw.columns
             and col not in sensitive]          # raw genotypes and ids never leave
    for col in dict.fromkeys(extra):
        values = raw[col]
        codes = () if codebook is None else codebook.missing_codes_for(col)
        out[col] = values.where(~values.isin(list(codes))) if codes else values
    return out


def check_variables(models: Sequence, columns: Sequence[str], *, codebook=None,
                    file: str | None = None) -> None:
    """Every variable of every model is a column of the scored frame; else one line
    naming the codebook file and the key (``models.H1.focal``).  The genotype and id
    columns of the codebook are refused by name (their codings are the variables)."""
    columns = list(columns)
    sensitive = {} if codebook is None else {
        **{spec.column: f"the {locus} genotype column: use a coding such as "
                        f"{locus.lower()}_{'a1' if locus == 'DRD2' else '7r'}_carrier"
           for locus, spec in codebook.genotypes.items()},
        **({codebook.id: "the respondent id column"} if codebook.id else {})}
    for model in models:
        for key, col in model.variables:
            where = f"models.{model.id}.{key}"
            if col in sensitive:
                raise InputError(f"{where}: {col!r} is {sensitive[col]}", file=file,
                                 hint="Raw genotypes and ids never enter a report")
            if col not in columns:
                close = difflib.get_close_matches(col, columns, n=1, cutoff=0.6)
                raise InputError(
                    f"{where}: {col!r} is not a scale of the codebook, a genotype coding, a "
                    "covariate or a column of the data", file=file,
                    hint=(f"Did you mean {close[0]!r}? " if close else "")
                    + "Scales and codings: CO, SO, secure, anxious, avoidant, drd2_a1_carrier, "
                      "drd2_a1_count, drd4_7r_carrier, drd4_7r_count")


# ---------------------------------------------------------------- fitting and judging
def fit_own_models(frame: pd.DataFrame, models: Sequence, *, alpha: float = 0.05,
                   equivalence_alpha: float | None = None, min_group_size: int = 10,
                   codebook=None, file: str | None = None) -> OwnModels:
    """Fit each model with :func:`analysis.stats.moderation.probe` and judge it
    (:func:`judge_probe`).  ``file`` (the codebook) is named in errors; with ``codebook``
    its genotype and id columns are refused as variables."""
    from ..stats.moderation import ProbeResult, probe

    eq_alpha = alpha if equivalence_alpha is None else equivalence_alpha
    check_variables(models, frame.columns, codebook=codebook, file=file)
    verdicts, probes = [], []
    for m in models:
        try:
            res = probe(frame, outcome=m.outcome, focal=m.focal, moderator=m.moderator,
                        covariates=m.covariates, se=m.se, cluster=m.cluster, alpha=alpha)
        except InputError as err:
            # rows are rows of the data, not of the codebook: the row numbers stay, the
            # values of a sensitive column stay withheld
            raise InputError(f"models.{m.id}: {err.problem}", file=file, column=err.column,
                             rows=err.rows, values=err.values or None, hint=err.hint,
                             sensitive=err.sensitive) from None
        if not isinstance(res, ProbeResult):
            raise InputError(f"models.{m.id}: the focal x moderator interaction has more than "
                             "one term (a variable with 3 or more groups); a predicted "
                             "direction needs one product term", file=file,
                             hint="Use a two-group coding such as drd2_a1_carrier, or "
                                  "`salesgxe probe` for the omnibus test")
        small = _small_group(frame, m, min_group_size)
        verdicts.append(judge_probe(m, res, alpha=alpha, equivalence_alpha=eq_alpha,
                                    suppressed=small))
        probes.append(res)
    return OwnModels(verdicts=tuple(verdicts), probes=tuple(probes), alpha=alpha,
                     equivalence_alpha=eq_alpha)


def _small_group(frame: pd.DataFrame, model, k: int) -> str | None:
    """A suppression note when the focal or the moderator is a genotype coding with a group
    of fewer than ``k`` people among the rows the model uses (listwise deletion): its
    conditional effects would describe that group.  A genotype covariate only adjusts."""
    from ..io.codebook import GENOTYPE_CODINGS
    from ..privacy import suppression_note
    used = frame[[c for _, c in model.variables]].dropna()
    for col in (c for c in (model.focal, model.moderator) if c in GENOTYPE_CODINGS):
        counts = used[col].value_counts()
        if len(counts) < 2 or counts.min() < k:
            return suppression_note(k)
    return None


def judge_probe(model, res, *, alpha: float, equivalence_alpha: float,
                suppressed: str | None = None) -> OwnVerdict:
    """The verdict of one own hypothesis from its probe, by :data:`analysis.study.claims.RULES`."""
    from .claims import VERDICTS, apply_rules, tost

    row = res.coefficients.set_index("term").loc[res.interaction]
    numbers = {k: float(row[k]) for k in _NUMBERS}
    p = numbers["p_value"]
    if model.prediction == "null":
        tost_p = tost(numbers["estimate"], numbers["std_error"], numbers["df"],
                      model.sesoi)[0]
        equivalence = "shown" if tost_p < equivalence_alpha else "not shown"
        kind, cond = "null", {"effect": p < alpha, "equivalent": equivalence == "shown"}
    else:
        tost_p, equivalence = None, None
        kind = "positive"
        cond = {"significant": p < alpha,
                "expected_sign": bool(np.sign(numbers["estimate"]) == model.expected_sign)}
    verdict = VERDICTS[apply_rules(kind, cond)]
    if suppressed:
        numbers = dict.fromkeys(numbers)
        tost_p = None
    covs = " + ".join(res.covariates)
    test = (f"{model.outcome} ~ {model.focal} x {model.moderator}" + (f" + {covs}" if covs
                                                                      else "")
            + f" ({res.se_type} SE" + (f", clusters: {model.cluster}" if model.cluster else "")
            + f"): {model.focal}:{model.moderator} interaction "
            + ("TOST against +/- SESOI" if kind == "null" else
               f"{'>' if model.expected_sign > 0 else '<'} 0 and p < alpha"))
    return OwnVerdict(
        id=model.id, statement=model.describe(), verdict=verdict, kind=kind, rule=kind,
        prediction=model.prediction, expected_sign=model.expected_sign, outcome=model.outcome,
        focal=model.focal, moderator=model.moderator, covariates=tuple(res.covariates),
        se_type=res.se_type, cluster=model.cluster, n=res.n, n_dropped=res.n_dropped,
        term=res.interaction, test=test, detail=_detail(model, numbers, cond, equivalence),
        **numbers, p_decision=numbers["p_value"],
        r2_change=None if suppressed else float(res.r2_change), equivalence=equivalence,
        tost_p=tost_p, equivalence_alpha=equivalence_alpha if kind == "null" else None,
        sesoi=model.sesoi, suppressed=suppressed)


def _detail(model, numbers: dict, cond: dict, equivalence) -> str:
    if numbers["estimate"] is None:
        return "Numbers withheld: a genotype group of this model is below the minimum size."
    words = (f"b = {numbers['estimate']:.3f} (SE {numbers['std_error']:.3f}), "
             f"t({numbers['df']:.0f}) = {numbers['statistic']:.2f}, "
             f"p = {numbers['p_value']:.3g}")
    if model.prediction == "null":
        return (f"{words}; equivalence {equivalence} at +/-{model.sesoi:.3g}.")
    side = "significant" if cond["significant"] else "not significant"
    sign = "" if cond["expected_sign"] else ", opposite to the predicted sign"
    return f"{words}; predicted {model.prediction}; {side}{sign}."


# ---------------------------------------------------------------- report
def report_section(records: Sequence[dict], tables: dict, *, alpha: float,
                   conf_level: float):
    """The report's section of own hypotheses (summary place, after the paper's claims):
    one card per hypothesis and the detail table; every number already computed."""
    from ..render.report_content import claim_card
    from ..render.report_sections import Section, Table

    cards = tuple(_own_words(claim_card({**rec, "statement": f"Your hypothesis: "
                                                             f"{rec['statement']}"},
                                        alpha=alpha, conf_level=conf_level))
                  for rec in records)
    shown = ["id", "outcome", "focal", "moderator", "se_type", "n", "prediction", "estimate",
             "std_error", "statistic", "df", "p_value", "conf_low", "conf_high", "tost_p",
             "verdict"]
    frame = tables["own_models"]
    table = Table(name="own_models", frame=frame, columns=[c for c in shown if c in frame],
                  caption="Your own hypotheses (codebook models:): the deciding "
                          "focal x moderator interaction", collapsed=False,
                  labels={"focal": "Focal", "moderator": "Moderator", "se_type": "SE type",
                          "prediction": "Predicted"},
                  note="More columns (covariates, clusters, equivalence) in the CSV file.")
    counts: dict[str, int] = {}
    for c in cards:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    line = ", ".join(f"{n} {v}" for v, n in counts.items())
    return Section(id="own-hypotheses", title="Your own hypotheses", place="summary", order=10,
                   paragraphs=(f"{len(cards)} hypotheses of your own from the codebook's "
                               f"models: section: {line}. These are NOT claims of the paper: "
                               "they are judged by the same verdict rules (a predicted "
                               "direction like a claimed effect, a predicted null like a "
                               "claimed absence, with your SESOI), each with its own "
                               "covariates and standard errors, unadjusted for multiplicity.",),
                   cards=cards, tables=(table,))


#: The claim cards' words about "the claim", said of a hypothesis instead (text only).
_OWN_WORDS = (("the claim asserts an effect", "the hypothesis predicts an effect"),
              ("as claimed", "as predicted"), ("where the paper reports none",
                                              "where none was predicted"),
              ("The claim could not", "The hypothesis could not"))


def _own_words(card):
    from dataclasses import replace

    def say(text: str) -> str:
        for old, new in _OWN_WORDS:
            text = text.replace(old, new)
        return text
    return replace(card, why=say(card.why), equivalence=say(card.equivalence))

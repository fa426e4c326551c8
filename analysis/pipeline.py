"""The main job: read -> validate -> score -> code genotypes -> fit -> probe -> judge -> render.

:func:`replicate` simulates both studies from ``data/simulation.yaml``, saves
the raw exports with their codebooks under ``data/simulated/`` and then runs
them through exactly the path a user's survey takes (:func:`analyze`):
:func:`analysis.io.readers.read_data`, :meth:`analysis.io.codebook.Codebook.load`,
:func:`analysis.io.validate.validate` / :func:`~analysis.io.validate.prepare`, the
model families, the scorecard, figures and the report.  Nothing here computes
a statistic of its own: it wires the modules together.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths

__all__ = ["StudyData", "Analysis", "load_study", "run_analysis", "replicate", "analyze",
           "simulate_exports", "sesoi_in_raw_units", "resolve_covariates", "scored_data",
           "EXPORT_NOTICE"]

SIMULATED_NOTE = ("Simulated data: generated from the published claims with assumed effect "
                  "sizes, sample sizes and allele frequencies (data/simulation.yaml). A verdict "
                  "of 'reproduced' tests the pipeline, not the science.")


# Tables shown in index.html / report.md (every table is written to tables/*.csv).
DISPLAY_TABLES = ("verdict_legend", "covariates", "replication_by_verdict", "own_models_effects",
                  "study1_models",
                  "study2_interactions", "study2_simple_slopes", "study2_bootstrap",
                  "study2_genotype_slopes_drd2", "study2_johnson_neyman", "study2_crossover",
                  "study2_susceptibility", "study2_gene_style_correlation", "study2_keller",
                  "replication_probability", "replication_metrics",
                  "multiverse_findings", "multiverse_summary", "multiverse_influence", "validation",
                  "missingness_scales", "missingness_items", "reliability", "item_total",
                  "allele_frequencies", "hardy_weinberg", "descriptives_scales",
                  "descriptives_correlations", "descriptives_genotype_counts")


def _display_tables(tables: Mapping) -> list[str]:
    """The DISPLAY_TABLES present and not empty (the Keller table only when it ran),
    descriptives of every dataset included (by suffix)."""
    return [name for key in DISPLAY_TABLES for name in tables
            if (name == key or (key.startswith("descriptives") and name.endswith("_" + key)))
            and not (key == "study2_keller" and len(tables[name]) == 0)]


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyData:
    """One dataset on its way in: the validated, analysis-ready frame and its checks.

    ``frame`` holds per-person rows and never leaves the process: reports get
    aggregates only (``validation`` details, model tables).
    """

    name: str
    path: Path
    codebook_path: Path | None
    frame: pd.DataFrame = field(repr=False)
    validation: object = field(repr=False)
    covariates: tuple[str, ...] = ()
    source: str | None = None
    scale_ranges: dict = field(default_factory=dict)  # scale -> (min, max) from the codebook
    min_group_size: int = 10
    dataset: object = field(default=None, repr=False)   # the data as read (the multiverse
    codebook: object = field(default=None, repr=False)  # re-scores and re-codes from them)


def load_study(name: str, data_path, codebook, **reader_options) -> StudyData:
    """Read, validate and prepare one dataset (raises InputError on any validation error).

    ``reader_options`` go to :func:`analysis.io.readers.read_data` (``sheet``,
    ``decimal``, ``encoding``, ``header_row``, ``skip_rows``)."""
    from .io.codebook import Codebook
    from .io.readers import read_data
    from .io.validate import validate_and_prepare

    dataset = read_data(data_path, **reader_options)
    book = codebook if isinstance(codebook, Codebook) else Codebook.load(codebook)
    report, frame = validate_and_prepare(dataset, book)
    covariates = tuple(c for c in book.covariates if c in frame.columns)
    ranges = {n: (float(sp.min), float(sp.max)) for n, sp in book.scales.items()
              if sp.min is not None and sp.max is not None}
    return StudyData(name=name, path=Path(data_path),
                     codebook_path=None if isinstance(codebook, Codebook) else Path(codebook),
                     frame=frame, validation=report, covariates=covariates, source=book.source,
                     scale_ranges=ranges, min_group_size=int(book.min_group_size),
                     dataset=dataset, codebook=book)


def sesoi_in_raw_units(config, s1: pd.DataFrame, s2: pd.DataFrame) -> dict[str, float]:
    """The config's standardized smallest effects of interest in each claim's raw units
    (:func:`analysis.study.claims.sesoi_in_raw_units`, which also returns the standardized values)."""
    from .study.claims import sesoi_in_raw_units as convert

    return convert(config["claims"]["sesoi"], s1, s2)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """Everything the report shows, computed once (rendering only formats it)."""

    study1: object = field(repr=False)
    study2: object = field(repr=False)
    scorecard: object = field(repr=False)
    descriptives: dict = field(repr=False)
    checks: dict = field(repr=False)
    replication: object = field(repr=False)
    multiverse: object = field(default=None, repr=False)
    replication_metrics: object = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    min_group_size: int = 10
    small_genes: tuple[frozenset, frozenset] = (frozenset(), frozenset())
    own_models: object = field(default=None, repr=False)  # analysis.study.own_models.OwnModels

    @property
    def covariates(self) -> dict[str, list[str]]:
        """``{"study1": [...], "study2": [...]}``: the covariates in every model of each study."""
        out = {}
        for name, res in (("study1", self.study1), ("study2", self.study2)):
            if res is not None:
                out[name] = list(res.covariates)
        return out
    settings: dict = field(default_factory=dict)  # se, keller, covariates, studies (for Methods)
    figure_data: dict = field(default_factory=dict, repr=False)  # binned means (aggregates)
    standardized: dict = field(default_factory=dict, repr=False)  # betas for the manuscript

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report, by file name, cells below ``min_group_size`` suppressed
        (:func:`analysis.privacy.suppress_tables`)."""
        from .privacy import suppress_tables
        return suppress_tables(self._raw_tables(), k=self.min_group_size,
                               small1=set(self.small_genes[0]), small2=set(self.small_genes[1]))

    def scorecard_records(self) -> list[dict]:
        """The scorecard's JSON records; with original estimates, each claim's record
        carries its ``replication_metrics`` rows (analysis.study.replication_metrics), and S2a/S2b
        their susceptibility row.  Claims resting on a gene group below ``min_group_size``
        are blanked (:func:`analysis.privacy.suppress_scorecard`)."""
        from .privacy import suppress_scorecard
        records = self.scorecard.to_records()
        if self.replication_metrics is not None:
            for rec in records:
                rec["replication_metrics"] = self.replication_metrics.for_claim(rec["id"])
        sus = self.checks.get("study2_susceptibility")
        if sus is not None and not sus.empty:
            from .study.claims import CLAIMS
            from .study.susceptibility import _records as json_rows
            keyed = sus.set_index(["outcome", "gene", "style"])
            for rec, claim in zip(records, CLAIMS):
                if (rec["id"] == claim.id and len(claim.members) == 1
                        and claim.members[0] in keyed.index):
                    rec["susceptibility"] = json_rows(keyed.loc[[claim.members[0]]]
                                                      .reset_index())[0]
        return suppress_scorecard(records, k=self.min_group_size,
                                  small=set(self.small_genes[0]) | set(self.small_genes[1]))

    def _raw_tables(self) -> dict[str, pd.DataFrame]:
        out = {}
        if self.study1 is not None:
            out["study1_models"] = self.study1.to_frame()
        if self.study2 is not None:
            out.update({f"study2_{k}": v for k, v in self.study2.to_frames().items()})
        for study, desc in self.descriptives.items():
            out.update({f"{study}_descriptives_{k}": v for k, v in desc.items()})
        out.update(self.checks)
        if self.replication is not None:
            out["replication_probability"] = self.replication.to_frame()
        if "binned_means" in self.figure_data:
            out["study2_binned_means"] = self.figure_data["binned_means"]
        if self.replication_metrics is not None:
            out["replication_metrics"] = self.replication_metrics.to_frame()
        if self.multiverse is not None:
            out.update(self.multiverse.to_frames())
        if self.own_models is not None:
            out["own_models"] = self.own_models.to_frame()
            out["own_models_effects"] = self.own_models.effects_frame()
        return out



def _checks(studies: Sequence[StudyData]) -> dict[str, pd.DataFrame]:
    """Validation findings, data quality (missingness, the answered-share rule, reliability,
    item-total statistics), allele frequencies and Hardy-Weinberg tests from the validation
    details: aggregates only (findings give a row count, never row numbers)."""
    from .io.quality import item_missingness, item_total_table, reliability_table, scale_missingness

    hwe, alleles, findings = [], [], []
    for sd in studies:
        details = sd.validation.details
        findings += [{"study": sd.name, "severity": p.severity, "code": p.code,
                      "column": p.column, "n_rows": len(p.rows), "message": p.message}
                     for p in sd.validation.problems]
        alleles += [{"study": sd.name, "locus": locus, **row}
                    for locus, rows in details.get("allele_frequencies", {}).items()
                    for row in rows]
        for locus, h in details.get("hwe", {}).items():
            hwe.append({"study": sd.name, "locus": locus, "method": h.get("method"),
                        "n": h.get("n"), "p_value": h.get("p_value"),
                        "p_value_multiallelic": h.get("p_value_multiallelic"),
                        "heterozygosity_observed": h.get("heterozygosity_observed"),
                        "heterozygosity_expected": h.get("heterozygosity_expected"),
                        "warning": h.get("warning")})
    columns = ["study", "severity", "code", "column", "n_rows", "message"]
    named = [(sd.name, sd.validation.details) for sd in studies]
    return {"validation": pd.DataFrame(findings, columns=columns),
            "missingness_scales": scale_missingness(named),
            "missingness_items": item_missingness(named),
            "reliability": reliability_table(named), "item_total": item_total_table(named),
            "allele_frequencies": pd.DataFrame(alleles), "hardy_weinberg": pd.DataFrame(hwe)}


def available(frame: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """The outcomes, styles and genes a prepared frame has (the codebook may leave some out)."""
    from .study.families import GENES, OUTCOMES, STYLES

    return {"outcomes": tuple(o for o in OUTCOMES if o in frame.columns),
            "styles": tuple(s for s in STYLES if s in frame.columns),
            "genes": tuple(g for g, col in GENES.items() if col in frame.columns)}


#: What the replication simulations estimate, by use (the label every output carries).
REPLICATION_LABELS = {
    "replicate": "Replication probability: the share of simulated studies of this design (the "
                 "assumed effects, data/simulation.yaml) that get each verdict.",
    "analyze": "Power of your design to reproduce each claim if the assumed effects were true: "
               "the share of simulated studies with your sample size and the ASSUMED effects "
               "(data/simulation.yaml, not estimates from your data) that get each verdict. It "
               "says how informative a study of this size is, not whether your verdicts are right.",
}
#: Default simulated studies for ``analyze`` (the report shows the Monte Carlo SE, at most
#: sqrt(0.25 / 400) = 0.025); ``--sims`` raises it.  ``replicate`` uses the config's n_sims.
ANALYZE_DEFAULT_SIMS = 400


def resolve_covariates(option, study: StudyData) -> tuple[str, ...]:
    """The covariates every model gets: ``"codebook"`` (the codebook's list, default),
    ``"none"``, or a list / comma-separated text naming some of the codebook's covariates."""
    from ._errors import InputError

    if option is None or option == "codebook":
        return tuple(study.covariates)
    if option == "none":
        return ()
    names = [c.strip() for c in (option.split(",") if isinstance(option, str) else option)
             if str(c).strip()]
    unknown = [c for c in names if c not in study.covariates]
    if unknown:
        raise InputError(f"--covariates: {unknown[0]!r} is not a covariate of the codebook "
                         f"({', '.join(study.covariates) or 'none listed'})",
                         hint="list it under covariates in the codebook, or use codebook|none")
    return tuple(dict.fromkeys(names))


def run_analysis(s1: StudyData, s2: StudyData, config, *, se: str = "ols", keller: bool = False,
                 covariates="codebook", replication_sims: int | None = None,
                 progress: bool | None = None, n_jobs: int = 1,
                 purpose: str = "replicate", originals=None,
                 ranges: Mapping[str, tuple[float, float]] | None = None,
                 multiverse: bool = True, multiverse_draws: int | None = None,
                 own_models=None, n_boot: int | None = None) -> Analysis:
    """Fit both model families, judge the claims, attach per-verdict replication probabilities.

    ``own_models`` (:class:`analysis.study.own_models.OwnModels`, fitted by :func:`analyze` from
    the codebook's ``models:``) are carried into the report beside the claims.
    ``covariates`` (``"codebook"``, ``"none"`` or names) enter every model of both
    studies as main effects; ``keller`` adds Keller's (2014) covariate x gene and
    covariate x style terms on top (Study 2).  A claim whose variables are not in
    the data (e.g. DRD2 not genotyped, SO not measured) is ``not tested``.  ``originals``
    (an :class:`analysis.study.replication_metrics.OriginalEstimates`) adds the replication
    metrics; ``ranges`` (response range per scale) decides where raw b is compared."""
    from .study import claims, families
    from .privacy import small_genes

    alpha = float(config["claims"]["alpha"])
    n_boot = config_n_boot(config) if n_boot is None else int(n_boot)
    have1, have2 = available(s1.frame), available(s2.frame)
    covs1, covs2 = resolve_covariates(covariates, s1), resolve_covariates(covariates, s2)
    study1 = (families.study1(s1.frame, se=se, alpha=alpha, covariates=covs1,
                              outcomes=have1["outcomes"], genes=have1["genes"])
              if have1["outcomes"] and have1["genes"] else None)
    k = min(s1.min_group_size, s2.min_group_size)
    study2 = (families.study2(s2.frame, se=se, alpha=alpha, covariates=covs2, keller=keller,
                              min_group_size=k, **have2) if all(have2.values()) else None)
    raw, std = claims.sesoi_in_raw_units(config["claims"]["sesoi"], s1.frame, s2.frame)
    card = claims.judge(study1, study2, alpha=alpha, sesoi=raw, sesoi_std=std,
                        equivalence_alpha=float(config["claims"]["equivalence_alpha"]))
    card, replication = _replication(card, s1, s2, config, se, replication_sims, progress,
                                     n_jobs, purpose)
    checks = _checks(_unique((s1, s2)))
    checks["verdict_legend"] = claims.verdict_legend()
    checks["covariates"] = _covariate_table(s1, s2, covs1, covs2, keller)
    if replication is not None:
        checks["replication_by_verdict"] = _by_verdict(replication, card, purpose)
    if study2 is not None:
        checks.update(_study2_extras(s2, study2, config, covs2, have2, alpha, n_boot))
    metrics = None
    if originals is not None:
        from .study.replication_metrics import replication_metrics
        metrics = replication_metrics(card, originals, ranges=ranges,
                                      study2_interactions=None if study2 is None
                                      else study2.interactions)
    small = (frozenset(small_genes(s1.frame, k)), frozenset(small_genes(s2.frame, k)))
    return Analysis(study1=study1, study2=study2, scorecard=card,
                    descriptives={s.name: families.descriptives(s.frame)
                                  for s in _unique((s1, s2))},
                    checks=checks, replication=replication, replication_metrics=metrics,
                    min_group_size=k, small_genes=small, settings=_settings(s1, s2, se, keller, covs2, k, n_boot),
                    figure_data=_figure_data(s2, have2),
                    standardized=_betas(s1, s2, have1, have2, covs2),
                    multiverse=_multiverse(s1, s2, config, multiverse_draws, progress, n_jobs)
                    if multiverse else None, own_models=own_models,
                    notes=(f"Covariates in every model: {', '.join(covs2) or 'none'}"
                           + (" (+ Keller covariate x gene and x style terms in Study 2)"
                              if keller and covs2 else "") + ".",
                           REPLICATION_LABELS[purpose]))


def _replication(card, s1, s2, config, se, replication_sims, progress, n_jobs, purpose):
    """Per-verdict shares of simulated studies at the data's sizes (none when 0 sims)."""
    from .simulation import power

    default = (ANALYZE_DEFAULT_SIMS if purpose == "analyze"
               else int(config["replication"]["n_sims"]))
    n_sims = default if replication_sims is None else int(replication_sims)
    if n_sims <= 0:
        return card, None
    sizes = {"study1": {"n": int(s1.frame.shape[0])}, "study2": {"n": int(s2.frame.shape[0])}}
    replication = power.replication_probabilities(config.with_overrides(sizes), n_sims=n_sims,
                                                  se=se, progress=progress, n_jobs=n_jobs)
    tested = {r.id for r in card.rows if r.verdict != "not tested"}
    shares = replication.verdict_probabilities()
    card = card.with_replication_probability(
        {k: v for k, v in replication.to_mapping().items() if k in tested},
        {k: v for k, v in shares.items() if k in tested})
    return card, replication


def _by_verdict(replication, card, purpose) -> pd.DataFrame:
    """Long table: per claim and verdict the simulated probability and its Monte Carlo SE."""
    tested = {r.id for r in card.rows if r.verdict != "not tested"}
    rows = [{"id": cid, "verdict": verdict, "probability": v["probability"],
             "mc_se": v["mc_se"], "n_sims": replication.n_sims}
            for cid, by in replication.verdict_probabilities().items() if cid in tested
            for verdict, v in by.items()]
    frame = pd.DataFrame(rows, columns=["id", "verdict", "probability", "mc_se", "n_sims"])
    frame["what"] = {"replicate": "replication probability",
                     "analyze": "power of your design (assumed effects)"}[purpose]
    return frame


def _covariate_table(s1, s2, covs1, covs2, keller) -> pd.DataFrame:
    rows = [{"study": "Study 1", "models": "CO, SO ~ DRD2 + DRD4", "covariates":
             ", ".join(covs1) or "none", "keller_terms": False},
            {"study": "Study 2", "models": "CO, SO ~ gene x style (12 models)", "covariates":
             ", ".join(covs2) or "none", "keller_terms": bool(keller and covs2)}]
    return pd.DataFrame(rows)


def _study2_extras(s2, study2, config, covs, have2, alpha, n_boot) -> dict:
    from .study import families

    from .study.susceptibility import study2_susceptibility

    out = {"study2_crossover": families.crossovers(s2.frame, study2, covariates=covs)}
    # covariates as in every other model: the free-crossover models are fitted in closed
    # form (analysis.study.susceptibility), so their covariance exists with any covariates
    sus = study2_susceptibility(s2.frame, list(study2.reverse_probes), covariates=covs,
                                alpha=alpha)
    out.update(study2_susceptibility=sus["summary"], study2_susceptibility_models=sus["models"],
               study2_roisman=sus["roisman"])
    if n_boot:
        out["study2_bootstrap"] = families.bootstrap_study2(
            s2.frame, n_boot=n_boot, seed=int(config["meta"]["seed"]), alpha=alpha,
            covariates=covs, **have2)
    return out


def config_n_boot(config) -> int:
    """The config's ``bootstrap.n_boot`` (0 when absent): the default of ``--bootstrap``."""
    return int(config.to_dict().get("bootstrap", {}).get("n_boot", 0))


def _settings(s1: StudyData, s2: StudyData, se, keller, covs, k, n_boot) -> dict:
    """What produced the analysis, for the Methods section (text only)."""
    return {"se": se, "keller": keller, "covariates": tuple(covs), "n_boot": int(n_boot),
            "studies": tuple((s.name, int(s.frame.shape[0]), s.source or str(s.path.name))
                             for s in _unique((s1, s2))),
            "scale_ranges": {**s1.scale_ranges, **s2.scale_ranges},
            "min_group_size": int(k)}


def _figure_data(s2: StudyData, have2) -> dict:
    """Binned means of each outcome along the avoidant style per genotype group
    (every bin >= the codebook's min_group_size people): what the figures show of the data."""
    from .study.families import GENES, GROUP_LABELS
    from .render.figure_data import study2_binned_means
    if not all(have2.values()) or "avoidant" not in have2["styles"]:
        return {}
    genes = {g: GENES[g] for g in have2["genes"]}
    return {"binned_means": study2_binned_means(
        s2.frame, outcomes=have2["outcomes"], genes=genes, styles=("avoidant",),
        group_labels=GROUP_LABELS, min_group_size=s2.min_group_size)}


def _betas(s1: StudyData, s2: StudyData, have1, have2, covs) -> dict:
    """Standardized coefficients (z-scored before the product) for the manuscript tables."""
    from .study.families import GENES
    from .stats.standardized import standardized_coefficients
    out = {}
    if have1["outcomes"] and len(have1["genes"]) == 2:
        for outcome in have1["outcomes"]:
            betas = standardized_coefficients(s1.frame, outcome=outcome,
                                              focal=GENES["DRD2"], covariates=(GENES["DRD4"],))
            out[outcome] = betas
    if all(have2.values()) and "avoidant" in have2["styles"]:
        for outcome in have2["outcomes"]:
            for gene in have2["genes"]:
                out[(outcome, gene, "avoidant")] = standardized_coefficients(
                    s2.frame, outcome=outcome, focal=GENES[gene], moderator="avoidant",
                    covariates=covs)
    return out


def _multiverse(s1: StudyData, s2: StudyData, config, draws, progress, n_jobs):
    """Every claim's specification curve and joint test (analysis.study.multiverse), when the
    config (or the codebook) has a multiverse section and the data came with their codebook."""
    from .study.multiverse import grid_for, run_multiverse
    from .study.specdata import build_variants

    if s1.dataset is None or s2.dataset is None or (
            "multiverse" not in config and s2.codebook.multiverse is None):
        return None
    grid = grid_for(s2.codebook, config)
    v1 = build_variants(s1.name, s1.dataset, s1.codebook, grid, frame=s1.frame)
    v2 = v1 if s2 is s1 else build_variants(s2.name, s2.dataset, s2.codebook, grid, frame=s2.frame)
    return run_multiverse({1: v1, 2: v2}, grid, alpha=float(config["claims"]["alpha"]),
                          sesoi=dict(config["claims"]["sesoi"]), seed=int(config["meta"]["seed"]),
                          draws=draws, progress=progress, n_jobs=n_jobs)


def _unique(studies):
    seen, out = set(), []
    for s in studies:
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
    return tuple(out)


def _figures(analysis: Analysis, tables: Mapping, records: list, note: str) -> tuple[dict, dict]:
    """Figures from the suppressed tables: no group below ``min_group_size`` is drawn."""
    from .render import plots

    s2 = analysis.study2
    small2 = set(analysis.small_genes[1])
    st = analysis.settings
    ranges = st.get("scale_ranges", {})
    binned = analysis.figure_data.get("binned_means")
    figs, captions = {}, {}
    if s2 is not None and "avoidant" in set(s2.interactions["style"]):
        genes = tuple(g for g in ("DRD4", "DRD2") if g in set(s2.interactions["gene"]))
        outcomes = sorted(set(s2.interactions["outcome"]))
        shared = _shared_range([ranges.get(o) for o in outcomes])
        for outcome in outcomes:
            name = f"simple_slopes_{outcome}_avoidant"
            lines = tables["study2_predicted_lines"].dropna(subset=["estimate"])
            figs[name] = plots.simple_slopes_figure(
                lines, outcome=outcome, style="avoidant", genes=genes,
                assumption_note=note, binned=binned, slopes=s2.simple_slopes,
                outcome_range=shared, style_range=ranges.get("avoidant"),
                min_group_size=st.get("min_group_size"))
            captions[name] = (f"{outcome} against avoidant attachment, one line per genotype group "
                              "(carriers of the risk / plasticity allele: orange, solid; "
                              "non-carriers: blue, dashed) with 95% confidence bands, binned "
                              "means of the data (each point at least "
                              f"{st.get('min_group_size', 10)} people) and each group's slope "
                              "with its 95% CI in the legend. Outcome axis: the instrument's "
                              "full response range.")
        grid = s2.gene_effect_grid
        for gene in genes:
            if ("CO", gene, "avoidant") not in s2.jn or gene in small2:
                continue
            sub = grid[(grid.outcome == "CO") & (grid.gene == gene) & (grid["style"] == "avoidant")]
            name = f"johnson_neyman_CO_{gene}_avoidant"
            carrier, other = plots.GENE_GROUPS.get(gene, (gene, "non-carrier"))
            figs[name] = plots.johnson_neyman_figure(sub, s2.jn[("CO", gene, "avoidant")],
                                                     outcome="CO", gene=gene, style="avoidant",
                                                     style_range=ranges.get("avoidant"))
            captions[name] = (f"Effect of {carrier} vs {other} ({carrier} minus {other}) on CO "
                              "along avoidant attachment, with the Johnson-Neyman region of "
                              "significance and the share of cases below / above each bound.")
    figs["scorecard"] = plots.scorecard_figure(_records_frame(records))
    captions["scorecard"] = "Each published claim: estimate with its confidence interval and verdict."
    if analysis.multiverse is not None:
        from .study.multiverse import figures
        mv_figs, mv_captions = figures(analysis.multiverse, note)
        figs.update(mv_figs)
        captions.update(mv_captions)
    return figs, captions


def _records_frame(records: list) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    for col in ("estimate", "conf_low", "conf_high", "p_value"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def _check_target(out_dir, force: bool, inputs=()) -> None:
    """Fail before any work when the report folder cannot be written or replaced
    (:func:`analysis.safe_output.check_folder`)."""
    from .safe_output import check_folder
    check_folder(out_dir, force=force, inputs=inputs)


def _check_replicate_targets(out_dir, data_dir, force: bool, config_path: Path,
                             original=None) -> None:
    """Both folders of ``replicate`` checked before anything is simulated; neither inside
    the other (the report would delete its own inputs, or the data the report)."""
    from ._errors import InputError
    out, data = Path(out_dir).resolve(), Path(data_dir).resolve()
    if out == data or out in data.parents or data in out.parents:
        raise InputError("the report folder and the data folder (--data-dir) must not contain "
                         "each other", file=str(out_dir))
    inputs = [config_path, *([] if original is None else [original])]
    _check_target(out_dir, force, inputs=inputs)
    _check_target(data_dir, force, inputs=inputs)


def _save_exports(simulated: Mapping, data_dir, *, force: bool, config_path: Path,
                  meta: Mapping) -> dict[str, dict[str, Path]]:
    """Write the simulated exports as one owned folder (crash-safe, never over foreign files)."""
    from .safe_output import write_folder
    from .study.simulate import save_simulated

    names: dict[str, dict[str, Path]] = {}

    def fill(staging: Path) -> None:
        for name, study in simulated.items():
            written = save_simulated(study, staging)
            names[name] = {k: Path(data_dir) / v.name for k, v in written.items()}

    write_folder(data_dir, fill, force=force, inputs=[config_path], meta=meta)
    return names


def _shared_range(ranges):
    """One outcome range for every panel (the widest), so slopes compare across outcomes."""
    known = [r for r in ranges if r is not None]
    if not known:
        return None
    return (min(r[0] for r in known), max(r[1] for r in known))


def _methods(analysis: Analysis, config):
    """The Methods section from the settings that produced ``analysis`` (text only)."""
    from .render.report_content import analysis_methods, methods_section
    st, card, cfg = analysis.settings, analysis.scorecard, config.to_dict()
    items = analysis_methods(
        studies=st.get("studies", ()), se=st.get("se", "ols"), alpha=card.alpha,
        covariates=st.get("covariates", ()), keller=bool(st.get("keller")),
        family_rule=card.family_rule, p_adjust=card.p_adjust,
        min_answered=float(cfg.get("scoring", {}).get("min_answered", 0.5)),
        sesoi=card.sesoi, n_boot=int(st.get("n_boot", config_n_boot(config))),
        replication_sims=None if analysis.replication is None else analysis.replication.n_sims,
        seed=int(cfg["meta"]["seed"]))
    if analysis.own_models is not None and analysis.own_models.verdicts:
        items.append(("Your own hypotheses", (
            f"{len(analysis.own_models.verdicts)} models from the codebook's models: section, "
            "each a PROCESS Model 1 probe with its own covariates and standard errors (not the "
            "covariates above), judged by the claims' verdict rules on its focal x moderator "
            "interaction: a predicted direction like a claimed effect, a predicted null by "
            "TOST against its own SESOI; unadjusted for multiplicity.")))
    return methods_section(items)


def _write(analysis: Analysis, out_dir, *, config, config_path: Path, inputs, title, note, force,
           command, figure_note: str, extra_meta=None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from .study.config import assumptions_table, config_hash
    from .render.report import write_report
    from .safe_output import relative_command

    tables = analysis.tables()
    records = analysis.scorecard_records()
    figures, captions = _figures(analysis, tables, records, figure_note)
    note = " ".join([note, *analysis.notes])
    meta = {"config_hash": config_hash(config_path), "seed": int(config["meta"]["seed"]),
            "command": command or relative_command(),
            "replication_sims": None if analysis.replication is None else analysis.replication.n_sims,
            "covariates": analysis.covariates,
            **(extra_meta or {})}
    card = analysis.scorecard
    conventions = {"alpha": card.alpha, "family_rule": card.family_rule,
                   "conf_level": 1 - card.alpha}
    files, results = _manuscript(analysis, records, conventions)
    scorecard, own_sections = _own_hypotheses(analysis, records, tables, conventions)
    return write_report(
        out_dir, tables=tables, scorecard=scorecard,
        figures=figures, captions=captions, assumptions=assumptions_table(config), meta=meta,
        inputs=[config_path, *inputs], title=title, provenance_note=note, force=force,
        display_tables=_display_tables(tables), conventions=conventions,
        sections=[_methods(analysis, config), results, *own_sections,
                  *_multiverse_section(analysis, figures)],
        files=files,
        sensitive_columns=("resp_id", "drd2_taq1a", "drd4_vntr", "drd2_genotype"))


def _multiverse_section(analysis: Analysis, figures: Mapping) -> list:
    """The specification curves in a section of their own (after the results), with the
    plain-words summary per claim; no section without a multiverse."""
    if analysis.multiverse is None:
        return []
    from .study.multiverse import summary_text
    from .render.report_sections import Section, gene_words
    names = tuple(n for n in figures if n.startswith("specification_curve_"))
    lines = tuple(gene_words(line) for line in summary_text(analysis.multiverse))
    return [Section(id="multiverse", title="Multiverse: every defensible analysis of each claim",
                    place="results", order=60, paragraphs=lines,
                    figures=names, figure_columns=2)]


def _own_hypotheses(analysis: Analysis, records, tables, conventions) -> tuple[list, list]:
    """The scorecard with the user's own hypotheses appended (each marked ``origin``: the
    paper's claims ``paper claim``, the codebook's models ``your hypothesis``), and the
    sections: the paper's summary built from the claims only, the own hypotheses' own."""
    own = analysis.own_models
    if own is None or not own.verdicts:
        return records, []
    from .study.own_models import report_section
    from .render.report_content import summary_section
    paper = [{**rec, "origin": "paper claim"} for rec in records]
    alpha, level = conventions["alpha"], conventions["conf_level"]
    summary = summary_section(records, alpha=alpha, family_rule=conventions["family_rule"],
                              conf_level=level)
    mine = own.to_records()
    return paper + mine, [summary, report_section(mine, tables, alpha=alpha, conf_level=level)]


def _manuscript(analysis: Analysis, records, conventions) -> tuple[dict, object]:
    """APA tables (docx, tex, md) and draft results paragraphs: files and a report section."""
    from .render import manuscript
    from .render.report_sections import Section
    tables = manuscript.tables_for_analysis(analysis, records=records,
                                            betas=analysis.standardized)
    paragraphs = manuscript.results_paragraphs(
        records, alpha=conventions["alpha"], family_rule=conventions["family_rule"],
        se=analysis.settings.get("se", "ols"), conf_level=conventions["conf_level"])
    md = "\n\n".join(["# Draft results paragraphs (edit freely)",
                       *(f"**{cid}.** {text}" for cid, text in paragraphs)]) + "\n"
    files = {f"manuscript/tables.{fmt}": manuscript.render_tables(tables, fmt)
             for fmt in manuscript.FORMATS}
    files["manuscript/results.md"] = md.encode("utf-8")
    section = Section(id="results-draft", title="Draft results paragraphs", place="results",
                      paragraphs=tuple(f"{cid}. {text}" for cid, text in paragraphs)
                      + ("APA tables of these results: manuscript/tables.docx (Word), "
                         "manuscript/tables.tex (LaTeX, booktabs), manuscript/tables.md.",))
    return files, section


def replicate(out_dir=paths.REPLICATION_REPORT, *, config_path=paths.CONFIG, force: bool = False,
              data_dir=paths.SIMULATED, replication_sims: int | None = None,
              command: str | None = None, progress: bool | None = None,
              n_jobs: int = 1, covariates="codebook", original=None, multiverse: bool = True,
              multiverse_draws: int | None = None, n_boot: int | None = None) -> Path:
    """Simulate both studies, analyse them as a user's data would be, write the report.

    ``n_jobs`` spreads the replication-probability simulations over local
    processes; the numbers do not depend on it.  ``original``: a file of the
    original study's estimates (``data/original_estimates.yaml`` format) adds
    the replication metrics.  ``n_boot``: resamples of the Study 2 bootstrap table
    (default: the config's ``bootstrap.n_boot``; 0 leaves it out)."""
    from .study.config import config_hash, load_config
    from .safe_output import relative_command
    from .study.simulate import simulate_study

    config_path = Path(config_path)
    _check_replicate_targets(out_dir, data_dir, force, config_path, original)
    config = load_config(config_path)
    originals = _originals(original)
    simulated = {name: simulate_study(config, name) for name in ("study1", "study2")}
    meta = {"command": command or relative_command(), "seed": int(config["meta"]["seed"]),
            "config_hash": config_hash(config_path)}
    saved = _save_exports(simulated, data_dir, force=force, config_path=config_path, meta=meta)
    studies = {name: load_study(name, saved[name]["data"], saved[name]["codebook"])
               for name in simulated}
    ranges = {s: (float(v["min"]), float(v["max"])) for s, v in config["instruments"].items()}
    analysis = run_analysis(studies["study1"], studies["study2"], config, covariates=covariates,
                            replication_sims=replication_sims, progress=progress, n_jobs=n_jobs,
                            originals=originals, ranges=ranges,
                            multiverse=multiverse, multiverse_draws=multiverse_draws,
                            n_boot=n_boot)
    inputs = [p for s in studies.values() for p in (s.path, s.codebook_path)]
    inputs += [] if original is None else [Path(original)]
    return _write(analysis, out_dir, config=config, config_path=config_path, inputs=inputs,
                  title=str(config["meta"]["label"]), note=SIMULATED_NOTE, force=force,
                  command=command, figure_note="Simulated data; effect sizes are assumptions "
                                               "(data/simulation.yaml)")


def analyze(data_path, codebook_path, out_dir, *, config_path=paths.CONFIG, force: bool = False,
            se: str = "ols", keller: bool = False, covariates="codebook", reference=None,
            sheet=None, decimal=None, encoding=None, header_row=None, skip_rows=None,
            replication_sims: int | None = None, command: str | None = None,
            progress: bool | None = None, n_jobs: int = 1, original=None,
            multiverse: bool = True, multiverse_draws: int | None = None,
            export_scored=None, n_boot: int | None = None) -> Path:
    """The same analysis and report on a user's survey (one dataset serves both studies).

    ``covariates``: ``"codebook"`` (default: the codebook's covariates in every model of
    both studies), ``"none"`` or names; ``reference``: ``{column: value coded 0}`` for
    two-valued text covariates (adds to the codebook's ``reference``).  The replication
    simulations default to :data:`ANALYZE_DEFAULT_SIMS` studies at the data's N.
    ``original``: a file of the original study's estimates adds the replication metrics;
    ``n_boot``: resamples of the Study 2 bootstrap table (default: the config's
    ``bootstrap.n_boot``; 0 leaves it out).  The codebook's ``models:`` (the user's own hypotheses) are fitted and judged
    (:mod:`analysis.study.own_models`) and reported beside the claims.  ``export_scored``: a
    ``.csv`` or ``.parquet`` file for the scored analysis frame (:func:`scored_data`),
    written after a one-line notice on stderr (:data:`EXPORT_NOTICE`): it holds row-level
    genetic data, is never written inside the report folder, and the report does not
    contain it."""
    from .io.codebook import Codebook
    from .study.config import load_config

    config_path = Path(config_path)
    inputs = [config_path, data_path, codebook_path, *([] if original is None else [original])]
    _check_target(out_dir, force, inputs=inputs)
    if export_scored is not None:
        _check_export(export_scored, out_dir, force, inputs)
    config = load_config(config_path)
    originals = _originals(original)
    book = Codebook.load(codebook_path)
    if reference:
        book = book.with_reference(reference)
    data = load_study("your_data", data_path, book, sheet=sheet, decimal=decimal,
                      encoding=encoding, header_row=header_row, skip_rows=skip_rows)
    _say_long_runs(data, book, config, n_boot, multiverse, multiverse_draws)
    scored = scored_data(data)
    own = _fit_own(scored, book, config, data.min_group_size, codebook_path)
    analysis = run_analysis(data, data, config, se=se, keller=keller, covariates=covariates,
                            replication_sims=replication_sims, progress=progress, n_jobs=n_jobs,
                            purpose="analyze", originals=originals,
                            ranges=_codebook_ranges(codebook_path),
                            multiverse=multiverse, multiverse_draws=multiverse_draws,
                            own_models=own, n_boot=n_boot)
    source = data.source or "the user"
    note = (f"Data supplied by {source} ({Path(data_path).name}): these verdicts are evidence "
            "about the published claims in this sample.")
    out = _write(analysis, out_dir, config=config, config_path=config_path,
                 inputs=[Path(data_path), Path(codebook_path),
                         *([] if original is None else [Path(original)])],
                 title=f"Testing the published claims on {Path(data_path).name}", note=note,
                 force=force, command=command, extra_meta={"data_source": str(source)},
                 figure_note=f"Data: {Path(data_path).name} ({source})")
    if export_scored is not None:
        _export(scored, export_scored, force=force, inputs=inputs)
    return out


#: Seconds per row x resample of the Study 2 bootstrap table (12 models) and per row x
#: fit of the default multiverse (every specification once plus once per null draw), from
#: ``make bench`` on a 2-core machine (100 resamples of 1,000,000 rows: 67 s; 500 draws of
#: about 240 rows: 4 s).  They only decide the notices of :func:`long_run_notices`.
BOOTSTRAP_SECONDS_PER_ROW, MULTIVERSE_SECONDS_PER_ROW = 6.7e-7, 3.3e-5
LONG_RUN_SECONDS = 300


def long_run_notices(n: int, n_boot: int, draws: int | None) -> list[str]:
    """One line per step of ``analyze`` expected to take longer than
    :data:`LONG_RUN_SECONDS` at ``n`` rows, with the option that shortens it;
    ``draws=None``: no multiverse.

    Examples
    --------
    >>> long_run_notices(240, 5000, 500)
    []
    >>> [line.split(" (")[0] for line in long_run_notices(1_000_000, 5000, 500)]
    ['note: the Study 2 bootstrap table', 'note: the multiverse']
    """
    out = []
    boot = n * n_boot * BOOTSTRAP_SECONDS_PER_ROW
    if boot > LONG_RUN_SECONDS:
        out.append(f"note: the Study 2 bootstrap table ({n_boot:,} resamples of {n:,} rows, "
                   f"12 models) may take {_duration(boot)}; --bootstrap 0 leaves it out, "
                   "--bootstrap 200 shortens it")
    fits = None if draws is None else n * (draws + 1) * MULTIVERSE_SECONDS_PER_ROW
    if fits is not None and fits > LONG_RUN_SECONDS:
        out.append(f"note: the multiverse ({draws:,} null draws of every specification on "
                   f"{n:,} rows) may take {_duration(fits)}; --no-multiverse leaves it out, "
                   "--multiverse-draws 0 keeps the curves without the joint test")
    return out


def _duration(seconds: float) -> str:
    """A rough duration on a 2-core machine, in words (minutes or hours)."""
    if seconds < 5400:
        return f"about {max(1, round(seconds / 60))} minutes on a 2-core machine"
    return f"about {round(seconds / 3600)} hours on a 2-core machine"


def _say_long_runs(data: StudyData, book, config, n_boot, multiverse, multiverse_draws):
    import sys

    boot = config_n_boot(config) if n_boot is None else int(n_boot)
    draws = None
    if multiverse and ("multiverse" in config or book.multiverse is not None):
        from .study.multiverse import grid_for
        draws = grid_for(book, config).draws if multiverse_draws is None else multiverse_draws
    for line in long_run_notices(int(data.frame.shape[0]), boot, draws):
        print("salesgxe: " + line, file=sys.stderr)


#: The one line printed on stderr before ``--export-scored`` writes its file.
EXPORT_NOTICE = ("note: {file} holds row-level genetic data (the genotype codings of every "
                 "respondent, with their scale scores and covariates): store it as securely "
                 "as the raw data and do not share it")
EXPORT_FORMATS = (".csv", ".parquet")


def scored_data(study: StudyData) -> pd.DataFrame:
    """The scored analysis frame of a loaded dataset: scale scores, genotype codings,
    covariates and the raw columns the codebook's ``models:`` name (no respondent id).
    The own hypotheses are fitted on exactly this frame, and ``--export-scored`` writes it
    (:func:`analysis.study.own_models.scored_frame`)."""
    from .study.own_models import scored_frame
    book = study.codebook
    models = () if book is None else book.models
    raw = None if study.dataset is None else study.dataset.frame
    return scored_frame(study.frame, raw, codebook=book, models=models).reset_index(drop=True)


def _fit_own(scored: pd.DataFrame, book, config, k: int, codebook_path):
    """The codebook's own hypotheses fitted and judged (None without a ``models:`` list)."""
    if not book.models:
        return None
    from .study.own_models import fit_own_models
    return fit_own_models(scored, book.models, alpha=float(config["claims"]["alpha"]),
                          equivalence_alpha=float(config["claims"]["equivalence_alpha"]),
                          min_group_size=k, codebook=book, file=str(codebook_path))


def _check_export(path, out_dir, force: bool, inputs) -> None:
    """Before any work: a .csv/.parquet file, not inside the report folder, writable."""
    from ._errors import InputError
    from .safe_output import check_file
    if Path(path).suffix.lower() not in EXPORT_FORMATS:
        raise InputError("--export-scored: the file name must end in .csv or .parquet",
                         file=str(path))
    target, report = Path(path).resolve(), Path(out_dir).resolve()
    if target == report or report in target.parents:
        raise InputError("--export-scored: the scored data (row-level genetic data) must not "
                         "go inside the report folder", file=str(path),
                         hint="Choose a file outside the --out folder")
    check_file(path, force=force, inputs=inputs)


def _export(scored: pd.DataFrame, path, *, force: bool, inputs) -> Path:
    """The notice on stderr, then the file through :func:`analysis.safe_output.write_file`."""
    import io
    import sys

    from .safe_output import write_file
    from .sanitize import neutralize_frame, sanitize_terminal
    print("salesgxe: " + EXPORT_NOTICE.format(file=sanitize_terminal(Path(path).name)),
          file=sys.stderr)
    if Path(path).suffix.lower() == ".parquet":
        buffer = io.BytesIO()
        scored.to_parquet(buffer, index=False)
        payload = buffer.getvalue()
    else:
        payload = neutralize_frame(scored).to_csv(index=False, lineterminator="\n").encode()
    return write_file(path, payload, force=force, inputs=inputs)


def simulate_exports(out_dir, *, n: int | None = None, seed: int | None = None,
                     config_path=paths.CONFIG, force: bool = False) -> dict[str, dict]:
    """Write simulated Study 1 and Study 2 exports (the format of ``data/simulated/``).

    ``n`` respondents per study (default: the config's ``study1.n`` / ``study2.n``);
    ``seed`` replaces ``meta.seed`` (default: the config's, so that without options
    the files equal ``data/simulated/``).  Large ``n`` lets anyone check the DGP's
    truth (:func:`analysis.study.simulate.implied_effects`).  An existing, non-empty
    ``out_dir`` is not written into without ``force``; each file is written to a
    temporary name and moved into place.

    Returns ``{study: {kind: path}}``.
    """
    from ._errors import InputError
    from .study.config import load_config
    from .study.simulate import save_simulated, simulate_study

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", file=str(out))
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError("exists and is not empty; use --force to write the exports into it",
                         file=str(out))
    config = load_config(config_path)
    if seed is not None:
        config = config.with_overrides({"meta": {"seed": int(seed)}})
    return {name: save_simulated(simulate_study(config, name, n=n), out)
            for name in ("study1", "study2")}


def _originals(original):
    """Load the original-estimates file first, so a bad file fails before any work."""
    if original is None:
        return None
    from .study.replication_metrics import load_original_estimates
    return load_original_estimates(original)


def _codebook_ranges(codebook_path) -> dict[str, tuple[float, float]]:
    """Response range per item-scored scale of a codebook (for comparing raw b)."""
    from .io.codebook import Codebook

    book = Codebook.load(codebook_path)
    return {name: (float(spec.min), float(spec.max)) for name, spec in book.scales.items()
            if spec.min is not None and spec.max is not None}

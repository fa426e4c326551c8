"""The main job: read -> validate -> score -> code genotypes -> fit -> probe -> judge -> render.

:func:`replicate` simulates both studies from ``data/simulation.yaml``, saves
the raw exports with their codebooks under ``data/simulated/`` and then runs
them through exactly the path a user's survey takes (:func:`analyze`):
:func:`analysis.io.read_data`, :meth:`analysis.codebook.Codebook.load`,
:func:`analysis.validate.validate` / :func:`~analysis.validate.prepare`, the
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
           "sesoi_in_raw_units"]

SIMULATED_NOTE = ("Simulated data: generated from the published claims with assumed effect "
                  "sizes, sample sizes and allele frequencies (data/simulation.yaml). A verdict "
                  "of 'reproduced' tests the pipeline, not the science.")


# Tables shown in index.html / report.md (every table is written to tables/*.csv).
DISPLAY_TABLES = ("study1_models", "study2_interactions", "study2_simple_slopes", "study2_bootstrap",
                  "study2_genotype_slopes_drd2", "study2_johnson_neyman", "study2_crossover",
                  "study2_susceptibility", "study2_gene_style_correlation", "study2_keller",
                  "replication_probability", "replication_metrics", "validation",
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
    min_group_size: int = 10


def load_study(name: str, data_path, codebook, **reader_options) -> StudyData:
    """Read, validate and prepare one dataset (raises InputError on any validation error).

    ``reader_options`` go to :func:`analysis.io.read_data` (``sheet``,
    ``decimal``, ``encoding``, ``header_row``, ``skip_rows``)."""
    from .codebook import Codebook
    from .io import read_data
    from .validate import validate_and_prepare

    dataset = read_data(data_path, **reader_options)
    book = codebook if isinstance(codebook, Codebook) else Codebook.load(codebook)
    report, frame = validate_and_prepare(dataset, book)
    covariates = tuple(c for c in book.covariates if c in frame.columns)
    return StudyData(name=name, path=Path(data_path),
                     codebook_path=None if isinstance(codebook, Codebook) else Path(codebook),
                     frame=frame, validation=report, covariates=covariates, source=book.source,
                     min_group_size=int(book.min_group_size))


def sesoi_in_raw_units(config, s1: pd.DataFrame, s2: pd.DataFrame) -> dict[str, float]:
    """Convert the config's standardised smallest effects of interest to each claim's units.

    Study 1 nulls compare group means: ``d * pooled within-group SD`` of the
    outcome.  Study 2 families compare slopes of the outcome on a style:
    ``interaction_std * SD(outcome) / SD(style)``, taking the smallest value over
    the family's members (the conservative choice for showing equivalence).
    """
    from .claims import CLAIMS

    spec = config["claims"]["sesoi"]
    d, k = float(spec["main_effect_d"]), float(spec["interaction_std"])
    out = {}
    for claim in CLAIMS:
        if claim.study == 1:
            gene_col = {"DRD2": "drd2_a1_carrier", "DRD4": "drd4_7r_carrier"}[claim.gene]
            if {claim.outcome, gene_col} <= set(s1.columns):
                out[claim.id] = d * _pooled_sd(s1, claim.outcome, gene_col)
        else:
            members = claim.members or ((claim.outcome, claim.gene, claim.style),)
            if all({m[0], m[2]} <= set(s2.columns) for m in members):
                out[claim.id] = min(k * s2[m[0]].std() / s2[m[2]].std() for m in members)
    return out


def _pooled_sd(frame: pd.DataFrame, outcome: str, group: str) -> float:
    sub = frame[[outcome, group]].dropna()
    groups = [g[outcome].to_numpy() for _, g in sub.groupby(group)]
    ss = sum(((g - g.mean()) ** 2).sum() for g in groups)
    return float(np.sqrt(ss / (len(sub) - len(groups))))


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """Everything the report shows, computed once (rendering only formats it)."""

    study1: object = field(repr=False)
    study2: object = field(repr=False)
    scorecard: object = field(repr=False)
    descriptives: dict = field(repr=False)
    checks: dict = field(repr=False)
    replication: object = field(repr=False)
    replication_metrics: object = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    min_group_size: int = 10
    small_genes: tuple[frozenset, frozenset] = (frozenset(), frozenset())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report, by file name, cells below ``min_group_size`` suppressed
        (:func:`analysis.privacy.suppress_tables`)."""
        from .privacy import suppress_tables
        return suppress_tables(self._raw_tables(), k=self.min_group_size,
                               small1=set(self.small_genes[0]), small2=set(self.small_genes[1]))

    def scorecard_records(self) -> list[dict]:
        """The scorecard's JSON records; with original estimates, each claim's record
        carries its ``replication_metrics`` rows (analysis.replication_metrics), and S2a/S2b
        their susceptibility row.  Claims resting on a gene group below ``min_group_size``
        are blanked (:func:`analysis.privacy.suppress_scorecard`)."""
        from .privacy import suppress_scorecard
        records = self.scorecard.to_records()
        if self.replication_metrics is not None:
            for rec in records:
                rec["replication_metrics"] = self.replication_metrics.for_claim(rec["id"])
        sus = self.checks.get("study2_susceptibility")
        if sus is not None and not sus.empty:
            from .claims import CLAIMS
            from .susceptibility import _records as json_rows
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
        if self.replication_metrics is not None:
            out["replication_metrics"] = self.replication_metrics.to_frame()
        return out



def _checks(studies: Sequence[StudyData]) -> dict[str, pd.DataFrame]:
    """Validation findings, data quality (missingness, the answered-share rule, reliability,
    item-total statistics), allele frequencies and Hardy-Weinberg tests from the validation
    details: aggregates only (findings give a row count, never row numbers)."""
    from .quality import item_missingness, item_total_table, reliability_table, scale_missingness

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
    from .families import GENES, OUTCOMES, STYLES

    return {"outcomes": tuple(o for o in OUTCOMES if o in frame.columns),
            "styles": tuple(s for s in STYLES if s in frame.columns),
            "genes": tuple(g for g, col in GENES.items() if col in frame.columns)}


def run_analysis(s1: StudyData, s2: StudyData, config, *, se: str = "ols", keller: bool = False,
                 replication_sims: int | None = None, progress: bool | None = None,
                 n_jobs: int = 1, originals=None,
                 ranges: Mapping[str, tuple[float, float]] | None = None) -> Analysis:
    """Fit both model families, judge the claims, attach replication probabilities.

    A claim whose variables are not in the data (e.g. DRD2 not genotyped, SO not
    measured) is ``not tested``; everything else runs.  ``originals`` (an
    :class:`analysis.replication_metrics.OriginalEstimates`) adds the replication
    metrics; ``ranges`` (response range per scale) decides where raw b is compared."""
    from . import claims, families, power
    from .privacy import small_genes

    alpha = float(config["claims"]["alpha"])
    have1, have2 = available(s1.frame), available(s2.frame)
    covs = s2.covariates if keller else ()
    k = min(s1.min_group_size, s2.min_group_size)
    study1 = (families.study1(s1.frame, se=se, alpha=alpha, outcomes=have1["outcomes"],
                              genes=have1["genes"]) if have1["outcomes"] and have1["genes"] else None)
    study2 = (families.study2(s2.frame, se=se, alpha=alpha, covariates=covs, keller=keller,
                              min_group_size=k, **have2)
              if all(have2.values()) else None)
    card = claims.judge(study1, study2, alpha=alpha,
                        sesoi=sesoi_in_raw_units(config, s1.frame, s2.frame))
    replication = None
    n_sims = int(config["replication"]["n_sims"]) if replication_sims is None else replication_sims
    if n_sims > 0:
        sizes = {"study1": {"n": int(s1.frame.shape[0])}, "study2": {"n": int(s2.frame.shape[0])}}
        replication = power.replication_probabilities(config.with_overrides(sizes), n_sims=n_sims,
                                                      se=se, progress=progress, n_jobs=n_jobs)
        tested = {r.id for r in card.rows if r.verdict != "not tested"}
        card = card.with_replication_probability(
            {k: v for k, v in replication.to_mapping().items() if k in tested})
    descriptives = {s.name: families.descriptives(s.frame) for s in _unique((s1, s2))}
    checks = _checks(_unique((s1, s2)))
    if study2 is not None:
        checks["study2_crossover"] = families.crossovers(s2.frame, study2, covariates=covs)
        from .susceptibility import study2_susceptibility
        sus = study2_susceptibility(s2.frame, list(study2.reverse_probes), covariates=covs,
                                    alpha=alpha)
        checks["study2_susceptibility"] = sus["summary"]
        checks["study2_susceptibility_models"] = sus["models"]
        checks["study2_roisman"] = sus["roisman"]
        n_boot = int(config.to_dict().get("bootstrap", {}).get("n_boot", 0))
        if n_boot:
            checks["study2_bootstrap"] = families.bootstrap_study2(
                s2.frame, n_boot=n_boot, seed=int(config["meta"]["seed"]), alpha=alpha,
                covariates=covs, **have2)
    metrics = None
    if originals is not None:
        from .replication_metrics import replication_metrics
        metrics = replication_metrics(card, originals, ranges=ranges,
                                      study2_interactions=None if study2 is None
                                      else study2.interactions)
    small = (frozenset(small_genes(s1.frame, k)), frozenset(small_genes(s2.frame, k)))
    return Analysis(study1=study1, study2=study2, scorecard=card, descriptives=descriptives,
                    checks=checks, replication=replication, replication_metrics=metrics,
                    min_group_size=k, small_genes=small)


def _unique(studies):
    seen, out = set(), []
    for s in studies:
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
    return tuple(out)


def _figures(analysis: Analysis, tables: Mapping, records: list, note: str) -> tuple[dict, dict]:
    """Figures from the suppressed tables: no group below ``min_group_size`` is drawn."""
    from . import plots

    s2 = analysis.study2
    small2 = set(analysis.small_genes[1])
    figs, captions = {}, {}
    if s2 is not None and "avoidant" in set(s2.interactions["style"]):
        genes = tuple(g for g in ("DRD4", "DRD2") if g in set(s2.interactions["gene"]))
        for outcome in sorted(set(s2.interactions["outcome"])):
            name = f"simple_slopes_{outcome}_avoidant"
            lines = tables["study2_predicted_lines"].dropna(subset=["estimate"])
            figs[name] = plots.simple_slopes_figure(lines, outcome=outcome,
                                                    style="avoidant", genes=genes,
                                                    assumption_note=note)
            captions[name] = (f"{outcome} against avoidant attachment, one line per genotype "
                              "group with 95% confidence bands (other variables at their means).")
        grid = s2.gene_effect_grid
        for gene in genes:
            if ("CO", gene, "avoidant") not in s2.jn or gene in small2:
                continue
            sub = grid[(grid.outcome == "CO") & (grid.gene == gene) & (grid["style"] == "avoidant")]
            name = f"johnson_neyman_CO_{gene}_avoidant"
            figs[name] = plots.johnson_neyman_figure(sub, s2.jn[("CO", gene, "avoidant")],
                                                     outcome="CO", gene=gene, style="avoidant")
            captions[name] = (f"Effect of {gene} carrier status on CO along avoidant attachment, "
                              "with the Johnson-Neyman region of significance.")
    figs["scorecard"] = plots.scorecard_figure(_records_frame(records))
    captions["scorecard"] = "Each published claim: estimate with its confidence interval and verdict."
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
    from .simulate import save_simulated

    names: dict[str, dict[str, Path]] = {}

    def fill(staging: Path) -> None:
        for name, study in simulated.items():
            written = save_simulated(study, staging)
            names[name] = {k: Path(data_dir) / v.name for k, v in written.items()}

    write_folder(data_dir, fill, force=force, inputs=[config_path], meta=meta)
    return names


def _write(analysis: Analysis, out_dir, *, config, config_path: Path, inputs, title, note, force,
           command, figure_note: str, extra_meta=None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from .config import assumptions_table, config_hash
    from .report import write_report
    from .safe_output import relative_command

    tables = analysis.tables()
    records = analysis.scorecard_records()
    figures, captions = _figures(analysis, tables, records, figure_note)
    meta = {"config_hash": config_hash(config_path), "seed": int(config["meta"]["seed"]),
            "command": command or relative_command(),
            "replication_sims": None if analysis.replication is None else analysis.replication.n_sims,
            **(extra_meta or {})}
    return write_report(
        out_dir, tables=tables, scorecard=records,
        figures=figures, captions=captions, assumptions=assumptions_table(config), meta=meta,
        inputs=[config_path, *inputs], title=title, provenance_note=note, force=force,
        display_tables=_display_tables(tables),
        sensitive_columns=("resp_id", "drd2_taq1a", "drd4_vntr", "drd2_genotype"))


def replicate(out_dir=paths.REPLICATION_REPORT, *, config_path=paths.CONFIG, force: bool = False,
              data_dir=paths.SIMULATED, replication_sims: int | None = None,
              command: str | None = None, progress: bool | None = None,
              n_jobs: int = 1, original=None) -> Path:
    """Simulate both studies, analyse them as a user's data would be, write the report.

    ``n_jobs`` spreads the replication-probability simulations over local
    processes; the numbers do not depend on it.  ``original``: a file of the
    original study's estimates (``data/original_estimates.yaml`` format) adds
    the replication metrics."""
    from .config import config_hash, load_config
    from .safe_output import relative_command
    from .simulate import simulate_study

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
    analysis = run_analysis(studies["study1"], studies["study2"], config,
                            replication_sims=replication_sims, progress=progress, n_jobs=n_jobs,
                            originals=originals, ranges=ranges)
    inputs = [p for s in studies.values() for p in (s.path, s.codebook_path)]
    inputs += [] if original is None else [Path(original)]
    return _write(analysis, out_dir, config=config, config_path=config_path, inputs=inputs,
                  title=str(config["meta"]["label"]), note=SIMULATED_NOTE, force=force,
                  command=command, figure_note="Simulated data; effect sizes are assumptions "
                                               "(data/simulation.yaml)")


def analyze(data_path, codebook_path, out_dir, *, config_path=paths.CONFIG, force: bool = False,
            se: str = "ols", keller: bool = False, sheet=None, decimal=None, encoding=None,
            header_row=None, skip_rows=None, replication_sims: int | None = None,
            command: str | None = None, progress: bool | None = None, n_jobs: int = 1,
            original=None) -> Path:
    """The same analysis and report on a user's survey (one dataset serves both studies).

    ``original``: a file of the original study's estimates adds the replication metrics."""
    from .config import load_config

    config_path = Path(config_path)
    _check_target(out_dir, force, inputs=[config_path, data_path, codebook_path,
                                          *([] if original is None else [original])])
    config = load_config(config_path)
    originals = _originals(original)
    data = load_study("your_data", data_path, codebook_path, sheet=sheet, decimal=decimal,
                      encoding=encoding, header_row=header_row, skip_rows=skip_rows)
    analysis = run_analysis(data, data, config, se=se, keller=keller,
                            replication_sims=replication_sims, progress=progress, n_jobs=n_jobs,
                            originals=originals, ranges=_codebook_ranges(codebook_path))
    source = data.source or "the user"
    note = (f"Data supplied by {source} ({Path(data_path).name}): these verdicts are evidence "
            "about the published claims in this sample. Replication probabilities still rest on "
            "the assumed effect sizes in the config, at this sample's size.")
    return _write(analysis, out_dir, config=config, config_path=config_path,
                  inputs=[Path(data_path), Path(codebook_path),
                          *([] if original is None else [Path(original)])],
                  title=f"Testing the published claims on {Path(data_path).name}", note=note,
                  force=force, command=command, extra_meta={"data_source": str(source)},
                  figure_note=f"Data: {Path(data_path).name} ({source})")



def _originals(original):
    """Load the original-estimates file first, so a bad file fails before any work."""
    if original is None:
        return None
    from .replication_metrics import load_original_estimates
    return load_original_estimates(original)


def _codebook_ranges(codebook_path) -> dict[str, tuple[float, float]]:
    """Response range per item-scored scale of a codebook (for comparing raw b)."""
    from .codebook import Codebook

    book = Codebook.load(codebook_path)
    return {name: (float(spec.min), float(spec.max)) for name, spec in book.scales.items()
            if spec.min is not None and spec.max is not None}

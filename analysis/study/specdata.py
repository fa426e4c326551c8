"""The data side of the multiverse: every variable each option needs, and one design per spec.

:func:`build_variants` reads a dataset once and derives, for every option of
the grid, the variables it stands for: genotype codings from the parsed
alleles (:func:`analysis.measures.genotypes.code_genotypes`), scale scores under each
scoring rule (:func:`analysis.measures.scales.score_scale`), the covariates as
:func:`analysis.io.validate.prepare` coded them, and the rare-DRD4-allele flag
of the sample rule.  Everything is aligned to the rows of the data file (``N``
rows); a specification is a design ``X (N, k)``, an outcome ``y (N,)`` and a
row mask, so resampled row counts can be shared by every specification.

:func:`spec_design` builds one specification's design (Study 1:
``y ~ gene [+ other gene] [+ covariates]``; Study 2:
``y ~ style + gene + style:gene [+ covariates] [+ Keller terms]``, Keller 2014,
as :func:`analysis.study.families.keller_design`), and :func:`apply_outlier_rule`
the outlier option (externally studentized residuals, Belsley, Kuh & Welsch
1980, eq. 2.33; or winsorizing the outcome at two quantiles).

Per-person values stay in memory; nothing here is written or printed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from .specgrid import GENE_OF, SpecGrid

__all__ = ["StudyVariants", "build_variants", "variants_from_frames", "SpecDesign",
           "spec_design", "apply_outlier_rule", "studentized_residuals", "winsorize"]

_CARRIER = {"DRD2": "drd2_a1_carrier", "DRD4": "drd4_7r_carrier"}
_COUNT = {"DRD2": "drd2_a1_count", "DRD4": "drd4_7r_count"}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StudyVariants:
    """One dataset's variables under every option (arrays of length ``n``, NaN = missing).

    Attributes
    ----------
    scores : dict
        scoring option name -> {scale: array}.
    genes : dict
        genotype kind -> array (codings the data allow).
    covariates : dict
        covariate name -> array (as validated: text binaries coded 0/1).
    rare_drd4 : dict
        sample option name -> bool array (True = excluded), for sample rules.
    unavailable : dict
        (dimension, option name) -> reason the option cannot apply to these data.
    """

    name: str
    n: int
    scores: Mapping = field(repr=False)
    genes: Mapping = field(repr=False)
    covariates: Mapping = field(repr=False)
    rare_drd4: Mapping = field(repr=False)
    min_group_size: int = 10
    unavailable: Mapping = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def build_variants(name: str, dataset, codebook, grid: SpecGrid, frame: pd.DataFrame | None = None
                   ) -> StudyVariants:
    """Every option's variables for one dataset (``frame``: the validated analysis frame,
    recomputed when not given; an invalid dataset raises its first validation error).
    Items and alleles are read as validation reads them
    (:func:`analysis.io.validate.cleaned_inputs`: missing codes and labels applied)."""
    from ..io.validate import cleaned_inputs, validate_and_prepare

    if frame is None:
        _, frame = validate_and_prepare(dataset, codebook)
    frame = frame.reset_index(drop=True)
    items, alleles = cleaned_inputs(dataset, codebook)
    scores, unavailable = _scores(frame, items, codebook, grid)
    genes = _genes(frame, alleles)
    for opt in grid.dimensions.get("genotype", ()):
        if opt.kind not in genes and GENE_OF[opt.kind] in codebook.genotypes:
            unavailable[("genotype", opt.name)] = ("needs allele-level genotypes, but the "
                                                   f"{GENE_OF[opt.kind]} column is a carrier code")
    rare = {}
    for opt in grid.dimensions.get("sample", ()):
        if opt.kind == "common_drd4_alleles":
            if "DRD4" not in alleles:
                unavailable[("sample", opt.name)] = "needs allele-level DRD4 genotypes"
            else:
                rare[opt.name] = _rare_carriers(alleles["DRD4"], opt.param("min_frequency"))
    covs = {c: frame[c].to_numpy(dtype=float) for c in codebook.covariates if c in frame}
    for opt in grid.dimensions.get("covariates", ()):
        if opt.kind != "none" and not covs:
            unavailable[("covariates", opt.name)] = "the codebook lists no covariates"
    return StudyVariants(name=name, n=len(frame), scores=scores, genes=genes, covariates=covs,
                         rare_drd4=rare, min_group_size=codebook.min_group_size,
                         unavailable=unavailable)


def variants_from_frames(name: str, *, scores: Mapping, genes: Mapping, covariates=None,
                         rare_drd4=None, min_group_size: int = 10) -> StudyVariants:
    """Variants from ready arrays (simulation studies and tests).

    >>> import numpy as np
    >>> v = variants_from_frames("x", scores={"codebook_rule": {"CO": np.zeros(3)}},
    ...                          genes={"drd4_7r_carrier": np.array([0., 1., 1.])})
    >>> v.n
    3
    """
    first = next(iter(next(iter(scores.values())).values()))
    return StudyVariants(name=name, n=len(first),
                         scores={k: {s: np.asarray(a, float) for s, a in v.items()}
                                 for k, v in scores.items()},
                         genes={k: np.asarray(a, float) for k, a in genes.items()},
                         covariates={k: np.asarray(a, float) for k, a in (covariates or {}).items()},
                         rare_drd4=dict(rare_drd4 or {}), min_group_size=min_group_size)


# ----------------------------------------------------------------- reading
def _genes(frame: pd.DataFrame, alleles: Mapping) -> dict:
    from ..measures.genotypes import code_genotypes

    genes = {}
    for locus, kinds in (("DRD4", ("drd4_7r_carrier", "drd4_7r_count", "drd4_long")),
                         ("DRD2", ("drd2_a1_carrier", "drd2_a1_count", "drd2_a1a1"))):
        if _CARRIER[locus] in frame:
            genes[kinds[0]] = frame[_CARRIER[locus]].to_numpy(dtype=float)
        if locus in alleles:
            count = code_genotypes(alleles[locus], locus, "additive")
            genes[kinds[1]] = count.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            third = code_genotypes(alleles[locus], locus,
                                   "long" if locus == "DRD4" else "recessive")
            genes[kinds[2]] = third.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return genes


def _rare_carriers(alleles: pd.DataFrame, min_frequency: float) -> np.ndarray:
    """Rows carrying an allele whose sample frequency is below ``min_frequency``."""
    from ..measures.genotypes import allele_frequencies

    freq = allele_frequencies(alleles)
    rare = set(freq.loc[freq["frequency"] < min_frequency, "allele"].tolist())
    a1, a2 = alleles["allele1"], alleles["allele2"]
    return (a1.isin(rare) | a2.isin(rare)).fillna(False).to_numpy(dtype=bool)


def _scores(frame, items, codebook, grid) -> tuple[dict, dict]:
    from ..measures.scales import score_scale

    options = grid.dimensions.get("scoring", ()) or ()
    item_scales = {s: sp for s, sp in codebook.scales.items() if s in items}
    scores, unavailable = {}, {}
    base = {s: frame[s].to_numpy(dtype=float) for s in codebook.scales if s in frame}
    scores["codebook_rule"] = base
    for opt in options:
        if opt.kind == "codebook_rule":
            scores[opt.name] = base
            continue
        if not item_scales:
            unavailable[("scoring", opt.name)] = "every scale is a ready score (no items)"
            continue
        scores[opt.name] = {s: base[s] if s not in item_scales else
                            _score_one(score_scale, items[s], item_scales[s], opt) for s in base}
    return scores, unavailable


def _score_one(score_scale, answers: pd.DataFrame, spec, opt) -> np.ndarray:
    items = list(spec.items)
    share = spec.min_answered
    if opt.kind == "all_answered":
        share = 1.0
    elif opt.kind == "answered_share":
        share = opt.param("share")
    elif opt.kind == "without_reworded":
        kept = [c for c in items if c not in spec.reverse]
        items = kept or items
    reverse = [c for c in spec.reverse if c in items]
    score = score_scale(answers[items], reverse=reverse, min_value=spec.min, max_value=spec.max,
                        min_answered=share)
    return score.to_numpy(dtype=float)


# ----------------------------------------------------------------- one specification
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpecDesign:
    """One specification's design: ``X (N, k)`` (zeros in excluded rows), ``y``, mask,
    the deciding column ``j`` and the spread of ``y`` and of the style (for the SESOI)."""

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    terms: tuple[str, ...]
    column: int
    gene: np.ndarray = field(repr=False)
    style: np.ndarray | None = field(default=None, repr=False)


def spec_design(v: StudyVariants, member: tuple, spec: Mapping, grid: SpecGrid) -> SpecDesign:
    """The design of one specification of the model ``member = (outcome, gene, style|None)``.

    Rows with a missing value in any model variable, or excluded by the sample
    rule, get ``mask = False`` (listwise deletion within the specification).
    """
    outcome, gene, style = member
    scoring = spec.get("scoring", "codebook_rule")
    y = v.scores[scoring][outcome]
    g = v.genes[_kind(grid, "genotype", spec["genotype"])]
    cov_kind = _kind(grid, "covariates", spec.get("covariates", "none"))
    covs = [] if cov_kind == "none" else list(v.covariates)
    cols, terms = [np.ones(v.n)], ["Intercept"]
    a = None
    if style is None:
        cols.append(g)
        terms.append(spec["genotype"])
        if spec.get("loci", "both") != "single" and _CARRIER[_other(gene)] in _carrier_names(v):
            cols.append(v.genes[_carrier_kind(_other(gene))])
            terms.append(_carrier_kind(_other(gene)))
        column = 1
    else:
        a = v.scores[scoring][style]
        cols += [a, g, a * g]
        terms += [style, spec["genotype"], f"{style}:{spec['genotype']}"]
        column = 3
    for c in covs:
        x = v.covariates[c]
        cols.append(x)
        terms.append(c)
        if cov_kind in ("keller_gene", "keller_full"):
            cols.append(x * g)
            terms.append(f"{c}:gene")
        if cov_kind == "keller_full":
            cols.append(x * a)
            terms.append(f"{c}:{style}")
    X = np.column_stack(cols)
    mask = np.isfinite(X).all(axis=1) & np.isfinite(y)
    sample = spec.get("sample", "all")
    if sample in v.rare_drd4:
        mask &= ~v.rare_drd4[sample]
    X = np.where(mask[:, None], X, 0.0)
    return SpecDesign(X=X, y=np.where(mask, y, 0.0), mask=mask, terms=tuple(terms),
                      column=column, gene=np.where(mask, g, np.nan),
                      style=None if a is None else np.where(mask, a, np.nan))


def _kind(grid: SpecGrid, dim: str, name: str) -> str:
    try:
        return grid.option(dim, name).kind
    except KeyError:
        return name


def _other(gene: str) -> str:
    return "DRD2" if gene == "DRD4" else "DRD4"


def _carrier_kind(gene: str) -> str:
    return "drd4_7r_carrier" if gene == "DRD4" else "drd2_a1_carrier"


def _carrier_names(v: StudyVariants) -> set:
    return {_CARRIER[g] for g in ("DRD2", "DRD4") if _carrier_kind(g) in v.genes}


# ----------------------------------------------------------------- outlier rules
def studentized_residuals(X: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Externally studentized residuals ``e_i / (s_(i) sqrt(1 - h_i))`` of the OLS fit on
    the masked rows, ``s_(i)^2 = (RSS - e_i^2 / (1 - h_i)) / (n - k - 1)`` (Belsley, Kuh &
    Welsch 1980; statsmodels ``resid_studentized_external``).  NaN outside the mask.

    >>> import numpy as np
    >>> X = np.column_stack([np.ones(6), np.arange(6.0)])
    >>> y = np.array([0.1, 1.0, 2.1, 2.9, 4.2, 9.0])
    >>> bool(np.nanargmax(np.abs(studentized_residuals(X, y, np.ones(6, bool)))) == 5)
    True
    """
    Xm, ym = X[mask], y[mask]
    n, k = Xm.shape
    q, r = np.linalg.qr(Xm)
    e = ym - q @ (q.T @ ym)
    h = np.einsum("ij,ij->i", q, q)
    rss = e @ e
    out = np.full(len(y), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (rss - e * e / (1.0 - h)) / (n - k - 1)
        out[mask] = e / np.sqrt(s2 * (1.0 - h))
    return out


def winsorize(y: np.ndarray, mask: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """``y`` clipped to its ``lower`` and ``upper`` quantiles over the masked rows
    (``numpy.quantile``, linear interpolation).

    >>> import numpy as np
    >>> winsorize(np.arange(101.0), np.ones(101, bool), 0.01, 0.99)[[0, 50, 100]].tolist()
    [1.0, 50.0, 99.0]
    """
    lo, hi = np.quantile(y[mask], [lower, upper])
    return np.where(mask, np.clip(y, lo, hi), y)


def apply_outlier_rule(design: SpecDesign, option) -> tuple[np.ndarray, np.ndarray]:
    """``(y, mask)`` of one outlier option applied to the observed data of a specification.

    The rule is applied once, to the observed data: it defines the specification's
    analysis sample (or outcome), which the null draws then resample.
    """
    if option is None or option.kind == "none":
        return design.y, design.mask
    if option.kind == "winsorize":
        return winsorize(design.y, design.mask, option.param("lower"),
                         option.param("upper")), design.mask
    if option.kind == "studentized":
        t = studentized_residuals(design.X, design.y, design.mask)
        keep = design.mask & (np.abs(np.nan_to_num(t, nan=np.inf)) <= option.param("threshold"))
        return design.y, keep
    raise InputError(f"unknown outlier rule {option.kind!r}")

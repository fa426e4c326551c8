"""Figures and manuscript tables of one's own model: ``salesgxe probe --plot DIR`` and ``--table``.

The equivalent of R ``interactions::interact_plot`` / ``johnson_neyman`` and PROCESS
``plot=1`` for PROCESS Model 1: a :class:`analysis.stats.moderation.ProbeResult` (binary or
continuous focal predictor X and moderator W) or an
:class:`analysis.stats.designs.CategoricalProbeResult` (a multicategorical X or W), drawn by the
report's own
renderers (:func:`analysis.render.plots.simple_slopes_figure`,
:func:`analysis.render.plots.johnson_neyman_figure`) in the report's style.

Every number drawn comes from the fitted model through the one conditional-effect
core, :func:`analysis.stats.probing.linear_combination` (an effect or a prediction is
``L b`` with variance ``L V L'`` under the probe's covariance: OLS, HC0-HC4, CR1/CR2,
with the same degrees of freedom as the printed tables); the renderers compute
nothing.  The data are shown only as binned means (:func:`analysis.render.figure_data.binned_means`:
every point the mean of at least ``min_group_size`` people, groups below it left out).

What is drawn (:func:`probe_plot_data`):

* **Simple slopes** (``simple_slopes``): the predicted outcome (covariates at their
  means, weighted means with weights) against the continuous one of X and W (X when
  both are continuous or both binary), one line with its CI band per group of the
  other variable (binary) or per probe value of it (continuous: the 16th/50th/84th
  percentiles, or the ``--at`` values).  The legend gives each line's slope with its
  CI: with X on the x axis these are the probe's conditional effects of X; with a
  binary X they are the slopes of W in each X group (the second orientation).
* **Johnson-Neyman, effect of X along W** (``johnson_neyman_focal_along_moderator``):
  when W is continuous; the probe's own JN region.
* **Johnson-Neyman, effect of W along X** (``johnson_neyman_moderator_along_focal``):
  when X is continuous: ``b2 + b3 x`` along the observed range of X, the same model read
  the other way round (no refit; the JN boundaries solve the same closed form).
  For a binary X the effect of W is not a function along a continuum but one slope per
  X group: those two slopes (with CIs and their difference ``b3``) are the legend of the
  simple-slopes figure and ``slopes.csv``; a JN region over the two values 0/1 would be
  meaningless, so none is drawn.  For a binary W likewise no JN along W is drawn (the
  two conditional effects of X are the probe's table).
* **Multicategorical X or W**: one line per group along the other variable (the slopes in
  the legend: for a multicategorical W the probe's effects of X per group), and, along a
  continuous other variable, one JN figure per contrast (group minus reference;
  ``..._1``, ``..._2``, ...): for a multicategorical X the probe's own contrast JN, for a
  multicategorical W the same solved on the fit (``johnson_neyman_rows``).  A group
  below ``min_group_size`` loses its line, its bins and its contrasts (said in the notes
  of the manifest and the figure).

Examples
--------
>>> import numpy as np, pandas as pd, tempfile, pathlib
>>> from analysis.stats.moderation import probe
>>> rng = np.random.default_rng(2)
>>> df = pd.DataFrame({"x": rng.normal(size=300), "w": rng.normal(size=300)})
>>> df["y"] = 0.3 * df.x + 0.4 * df.x * df.w + rng.normal(size=300)
>>> res = probe(df, outcome="y", focal="x", moderator="w")
>>> pdata = probe_plot_data(res, df)
>>> sorted(pdata.jn)
['focal_along_moderator', 'moderator_along_focal']
>>> bool(np.allclose(pdata.slopes["estimate"], res.conditional_effects()["estimate"][:3]))
True
>>> out = write_probe_plots(res, df, pathlib.Path(tempfile.mkdtemp()) / "plots")
>>> [p.name for p in sorted(out.glob("*.png"))]
['johnson_neyman_focal_along_moderator.png', 'johnson_neyman_moderator_along_focal.png', 'simple_slopes.png']
>>> md = write_probe_tables(res, "md", data=df)      # returns the bytes; path= writes them
>>> md.decode().splitlines()[0]
'**Table 1**'
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["ProbePlotData", "JNPart", "probe_plot_data", "probe_sample", "probe_figures",
           "write_probe_plots", "write_probe_tables", "PLOT_FILES", "TABLE_FORMATS"]

TABLE_FORMATS = ("docx", "tex", "md")
_LINE_POINTS = 50
_JN_POINTS = 101
_LINE_LABELS = ("p16", "p50", "p84")

#: file stem -> what it holds (also written into the manifest)
PLOT_FILES = {
    "simple_slopes": "predicted outcome against the continuous variable, one line with its CI "
                     "band per group / probe value of the other; binned means of the data",
    "johnson_neyman_focal_along_moderator": "effect of the focal predictor along the moderator "
                                            "with its Johnson-Neyman region",
    "johnson_neyman_moderator_along_focal": "effect of the moderator along the focal predictor "
                                            "with its Johnson-Neyman region",
    "lines.csv": "the simple-slopes lines: predicted outcome, SE and CI at each x value",
    "slopes.csv": "slope of the x-axis variable for each line (the legend)",
    "conditional_effects.csv": "the probe's conditional effects of the focal predictor "
                               "(every default or --at probe value)",
    "binned_means.csv": "binned means of the outcome per line group (each bin >= "
                        "min_group_size people)",
    "johnson_neyman.csv": "the effect along the continuous variable(s), drawn in the JN figures",
    "johnson_neyman_bounds.csv": "Johnson-Neyman boundaries, region and shares below / above",
    "linearity": "with --check-linearity: binned effects (Hainmueller, Mummolo & Xu 2019) "
                 "against the linear interaction's line",
    "linearity_bins.csv": "with --check-linearity: each bin's effect, the linear prediction "
                          "and their difference",
    "linearity_line.csv": "with --check-linearity: the linear model's marginal-effect line",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbePlotData:
    """Everything the probe figures draw (aggregates only), in the package's vocabulary.

    Attributes
    ----------
    x_axis, line_variable : str
        The variable on the simple-slopes x axis and the one whose groups / probe
        values give the lines (``focal`` or ``moderator`` names).
    lines : DataFrame
        ``group, x_value, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high``: predicted outcome with covariates at their (weighted) means.
    slopes : DataFrame
        ``group, line_value, estimate, ..., conf_high, n_group``: slope of ``x_axis``
        at each line (``n_group`` for a binary line variable).
    binned : DataFrame
        ``group, bin, moderator_mean, outcome_mean, n`` (``moderator_mean`` is the
        mean of the x-axis variable in the bin).
    jn : dict of {str: JNPart}
        ``"focal_along_moderator"`` / ``"moderator_along_focal"`` (with ``_1``, ``_2`` ...
        per contrast of a multicategorical variable) where meaningful.
    conditional_effects : DataFrame
        The probe's own conditional-effects table (``ProbeResult.conditional_effects()``).
    """

    outcome: str
    focal: str
    moderator: str
    x_axis: str
    line_variable: str
    lines: pd.DataFrame = field(repr=False)
    slopes: pd.DataFrame = field(repr=False)
    binned: pd.DataFrame = field(repr=False)
    jn: dict = field(repr=False)
    conditional_effects: pd.DataFrame = field(repr=False)
    min_group_size: int = 10
    alpha: float = 0.05
    notes: tuple[str, ...] = ()

    def frames(self) -> dict[str, pd.DataFrame]:
        """The CSV files of ``--plot``: ``{file name: frame}``."""
        jn_rows, bound_rows = [], []
        for key, part in self.jn.items():
            head = {"orientation": key, "effect_of": part.effect_of, "along": part.along}
            g = part.grid.copy()
            for i, (col, value) in enumerate(head.items()):
                g.insert(i, col, value)
            jn_rows.append(g)
            d = part.jn.to_dict()
            tail = {"significant_region": d["significant_region"],
                    "observed_low": d["observed_range"][0], "observed_high": d["observed_range"][1]}
            for i, b in enumerate(d["bounds"]):
                bound_rows.append({**head, "bound": b, "in_range": d["in_range"][i],
                                   "share_below": d["share_below"][i],
                                   "share_above": d["share_above"][i], **tail})
            if not d["bounds"]:
                bound_rows.append({**head, **tail})
        out = {"lines.csv": self.lines, "slopes.csv": self.slopes,
               "conditional_effects.csv": self.conditional_effects,
               "binned_means.csv": self.binned}
        if jn_rows:
            out["johnson_neyman.csv"] = pd.concat(jn_rows, ignore_index=True)
            out["johnson_neyman_bounds.csv"] = pd.DataFrame(bound_rows)
        return out


# ----------------------------------------------------------------------- the sample
def _reference_from_coding(coding: dict) -> dict:
    """``{column: level coded 0}`` of the text columns the probe recoded."""
    return {col: next(k for k, v in mapping.items() if v == 0) for col, mapping in coding.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rows:
    """The probe's rows: the numeric sample, and the level of a multicategorical variable."""

    sample: object
    levels: np.ndarray | None = None       # level name per row (multicategorical variable)


def probe_sample(result, data: pd.DataFrame, *, genotype: dict | None = None,
                 categorical: Sequence[str] = (), file: str | None = None):
    """The rows and codes ``result`` was fitted on (:func:`analysis.stats.moderation.prepare_sample`
    with the probe's coding), checked to be the same sample (``n`` and coding).

    ``genotype`` / ``categorical``: the same options the probe was run with.  Returns the
    :class:`analysis.stats.moderation.Sample` (for a multicategorical variable, its column holds
    the level's position in the probe's ``categorical.levels``).
    """
    return _probe_rows(result, data, genotype=genotype, categorical=categorical,
                       file=file).sample


def _check_design(result) -> None:
    from ..stats.designs import CategoricalProbeResult
    from ..stats.moderation import ProbeResult
    if not isinstance(result, (ProbeResult, CategoricalProbeResult)):
        raise InputError("--plot and --table draw PROCESS Model 1; for two moderators "
                         "(Models 2/3) use --region-plot")


def _probe_rows(result, data, *, genotype=None, categorical=(), file=None) -> _Rows:
    from ..stats.designs import CategoricalProbeResult, resolve_variables
    from ..stats.moderation import prepare_sample
    _check_design(result)
    used = [result.outcome, result.focal, result.moderator, *result.covariates]
    recoded, reference = {}, _reference_from_coding(result.coding)
    found = {}
    if genotype or categorical or isinstance(result, CategoricalProbeResult):
        data, found, recoded = resolve_variables(data, [result.focal, result.moderator],
                                                 categorical=categorical, genotype=genotype,
                                                 file=file)
    levels = None
    if isinstance(result, CategoricalProbeResult):
        cat = result.categorical
        spec = found.get(cat.name)
        if spec is None:
            raise InputError(f"{cat.name!r} is not multicategorical in these data", file=file)
        position = {lv: float(i) for i, lv in enumerate(cat.levels)}
        data = data.assign(**{cat.name: spec.labels.map(position).to_numpy()})
    sample = prepare_sample(data, used, cluster=result.cluster, weights=result.weights,
                            file=file, reference=reference, recoded=recoded)
    if len(sample.frame) != result.n or sample.coding != result.coding:
        raise InputError("these data are not the rows the probe result was fitted on "
                         f"({len(sample.frame)} complete rows, the probe used {result.n})",
                         file=file)
    if isinstance(result, CategoricalProbeResult):
        levels = np.asarray(result.categorical.levels, dtype=object)[
            sample.frame[result.categorical.name].to_numpy(int)]
        counts = tuple(int((levels == lv).sum()) for lv in result.categorical.levels)
        if result.categorical.counts and counts != tuple(result.categorical.counts):
            raise InputError("these data are not the rows the probe result was fitted on "
                             "(group sizes differ)", file=file)
    return _Rows(sample=sample, levels=levels)


# ----------------------------------------------------------------------- plot data
def _is_binary(values: np.ndarray) -> bool:
    return np.unique(values).size == 2


def _group_names(result, sample, var: str, values: np.ndarray) -> list[str]:
    """Display names of a binary variable's two values: the text levels; for a genotype
    parsed with ``--genotype VAR=carrier`` the report's group names ("7R carrier" /
    "non-carrier", "A1 carrier" / "A2/A2", drawn in the report's carrier styles); else
    ``var = v``."""
    import re

    from .plots import GENE_GROUPS
    if var in result.coding:
        inverse = {v: k for k, v in result.coding[var].items()}
        return [str(inverse[int(v)]) for v in values]
    locus = re.search(r"parsed as (DRD[24]) genotypes, coded 1 = carrier",
                      sample.recoded.get(var, ""))
    if locus and set(values.tolist()) == {0.0, 1.0}:
        carrier, other = GENE_GROUPS[locus.group(1)]
        return [carrier if v == 1 else other for v in values]
    return [f"{var} = {v:g}" for v in values]


def _mean(v: np.ndarray, weights) -> float:
    return float(np.average(v, weights=weights))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Design:
    """How the lines of the simple-slopes figure are built: for line ``k``, the row of the
    slope of ``x_var`` and the rows of the predicted outcome along ``x_var`` (both
    ``L`` matrices of :func:`analysis.stats.probing.linear_combination`)."""

    x_var: str
    line_var: str
    names: list
    values: list                      # numeric value of the line variable (NaN for a level)
    counts: list                      # people per line group (None: lines at probe values)
    x: np.ndarray                     # x-axis variable per row
    groups: np.ndarray                # line group per row (binned means)
    slope_rows: np.ndarray            # (lines, k)
    level_rows: np.ndarray            # (lines, k): the line's fixed part
    x_unit: np.ndarray                # (lines, k): d row / d x


def _numeric_design(result, rows: _Rows) -> _Design:
    """Binary or continuous X and W (ProbeResult)."""
    frame, fit = rows.sample.frame, result.fit
    x_var = result.focal
    if _is_binary(frame[result.focal].to_numpy(float)) and not _is_binary(
            frame[result.moderator].to_numpy(float)):
        x_var = result.moderator
    line_var = result.moderator if x_var == result.focal else result.focal
    lv = frame[line_var].to_numpy(float)
    if _is_binary(lv):
        values = np.unique(lv)
        names = _group_names(result, rows.sample, line_var, values)
        counts = [int((lv == g).sum()) for g in values]
        groups = pd.Series(lv).map(dict(zip(values, names))).to_numpy(object)
    else:
        eff = result.conditional_effects()
        keep = eff["label"].isin(_LINE_LABELS)
        eff = eff[keep] if keep.any() else eff
        values = eff["moderator_value"].to_numpy(float)
        names = [f"{line_var} = {v:.2f} ({lab})" for lab, v in zip(eff["label"], values)]
        counts = [None] * len(names)
        groups = _nearest_groups(lv, values, names)
    k = len(fit.terms)
    ix, il, ii = fit.index(x_var), fit.index(line_var), fit.index(result.interaction)
    slope, fixed, unit = np.zeros((len(values), k)), np.zeros((len(values), k)), np.zeros(
        (len(values), k))
    slope[:, ix], slope[:, ii] = 1.0, values
    fixed[:, fit.index("Intercept")], fixed[:, il] = 1.0, values
    unit[:, ix], unit[:, ii] = 1.0, values
    return _Design(x_var=x_var, line_var=line_var, names=names, values=list(values),
                   counts=counts, x=frame[x_var].to_numpy(float), groups=groups,
                   slope_rows=slope, level_rows=fixed, x_unit=unit)


def _categorical_design(result, rows: _Rows) -> _Design:
    """A multicategorical focal or moderator: one line per group, along the other variable."""
    fit, cat, frame = result.fit, result.categorical, rows.sample.frame
    x_var = result.focal if result.role == "moderator" else result.moderator
    cols = [fit.index(c) for c in cat.columns]
    inter = [fit.index(f"{result.focal}:{c}" if result.role == "moderator"
                       else f"{c}:{result.moderator}") for c in cat.columns]
    k, m = len(fit.terms), len(cat.levels)
    slope, fixed = np.zeros((m, k)), np.zeros((m, k))
    slope[:, fit.index(x_var)] = 1.0
    slope[:, inter] = cat.matrix
    fixed[:, fit.index("Intercept")] = 1.0
    fixed[:, cols] = cat.matrix
    return _Design(x_var=x_var, line_var=cat.name, names=list(cat.levels),
                   values=[np.nan] * m, counts=[int((rows.levels == lv).sum())
                                                for lv in cat.levels],
                   x=frame[x_var].to_numpy(float), groups=rows.levels,
                   slope_rows=slope, level_rows=fixed, x_unit=slope.copy())


def _nearest_groups(v: np.ndarray, values: np.ndarray, names: list[str]) -> np.ndarray:
    """Each row's line: the nearest probe value (ties to the lower one)."""
    order = np.argsort(values)
    cuts = (values[order][1:] + values[order][:-1]) / 2
    return np.asarray(names, dtype=object)[order][np.searchsorted(cuts, v, side="left")]


def _simple_slope_parts(result, rows: _Rows, design: _Design, min_group_size: int):
    """Lines (predicted outcome ``(fixed + x unit) b`` with covariates at their means),
    the slope of each line and the binned means, groups below ``min_group_size`` left out."""
    from .figure_data import binned_means
    from ..stats.probing import linear_combination
    frame, weights, fit = rows.sample.frame, rows.sample.weights, result.fit
    small = np.array([c is not None and c < min_group_size for c in design.counts])
    x = design.x
    xs = np.unique(x) if _is_binary(x) else np.linspace(x.min(), x.max(), _LINE_POINTS)
    cov = np.zeros(len(fit.terms))
    for c in result.covariates:
        cov[fit.index(c)] = _mean(frame[c].to_numpy(float), weights)
    parts = []
    for i, name in enumerate(design.names):
        if small[i]:
            continue
        L = design.level_rows[i] + cov + xs[:, None] * design.x_unit[i]
        pred = linear_combination(fit, L)
        pred.insert(0, "x_value", xs)
        pred.insert(0, "group", name)
        parts.append(pred)
    slopes = linear_combination(fit, design.slope_rows)
    slopes.insert(0, "line_value", design.values)
    slopes.insert(0, "group", design.names)
    slopes["n_group"] = [np.nan if c is None else c for c in design.counts]
    slopes = slopes[~small].reset_index(drop=True)
    binned = binned_means(pd.DataFrame({"y": frame[result.outcome], "x": x, "g": design.groups}),
                          outcome="y", moderator="x", group="g", min_group_size=min_group_size)
    binned = binned[binned["group"].isin(set(slopes["group"]))].reset_index(drop=True)
    notes = [f"{n}: fewer than {min_group_size} people, not drawn"
             for n, s in zip(design.names, small) if s]
    return pd.concat(parts, ignore_index=True), slopes, binned, notes


@dataclass(frozen=True, slots=True, kw_only=True)
class JNPart:
    """One Johnson-Neyman figure: the effect ``l0 b + v l1 b`` of ``effect_of`` along
    ``along`` (``grid``: its estimate, SE and CI on the observed range plus the in-range
    bounds) and the region (``jn``)."""

    effect_of: str
    along: str
    grid: pd.DataFrame = field(repr=False)
    jn: object = field(repr=False)
    line_label: str
    axis_label: str


def _jn_part(result, rows: _Rows, l0, l1, along: str, words: tuple, *, jn=None,
             jn_fdr: bool = False, effect_of: str) -> JNPart:
    """The effect ``(l0 + v l1) b`` along ``along``: the probe's own JN region when given,
    else :func:`analysis.stats.probing.johnson_neyman_rows` on the same fit."""
    from ..stats.probing import johnson_neyman_rows, linear_combination
    v = rows.sample.frame[along].to_numpy(float)
    if jn is None:
        jn = johnson_neyman_rows(result.fit, l0, l1, v, focal=effect_of, moderator=along,
                                 fdr=jn_fdr, weights=rows.sample.weights)
    lo, hi = jn.observed_range
    inner = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
    grid = np.unique(np.concatenate([np.linspace(lo, hi, _JN_POINTS), inner]))
    frame = linear_combination(result.fit, l0[None, :] + grid[:, None] * l1[None, :])
    frame.insert(0, "moderator_value", grid)
    frame["in_range"] = True
    return JNPart(effect_of=effect_of, along=along, grid=frame, jn=jn, line_label=words[0],
                  axis_label=words[1])


def _unit(fit, term: str) -> np.ndarray:
    row = np.zeros(len(fit.terms))
    row[fit.index(term)] = 1.0
    return row


def _numeric_jn(result, rows: _Rows, jn_fdr: bool, small: set) -> dict:
    """Each orientation along a continuous variable; none for the difference of two groups
    when one of them is below ``min_group_size`` (``small``: the design's line variable)."""
    frame, fit, out = rows.sample.frame, result.fit, {}
    for key, effect_of, along in (("focal_along_moderator", result.focal, result.moderator),
                                  ("moderator_along_focal", result.moderator, result.focal)):
        if _is_binary(frame[along].to_numpy(float)) or effect_of in small:
            continue
        own = result.jn if effect_of == result.focal else None
        out[key] = _jn_part(result, rows, _unit(fit, effect_of), _unit(fit, result.interaction),
                            along, _effect_words(result, effect_of), jn=own, jn_fdr=jn_fdr,
                            effect_of=effect_of)
    return out


def _categorical_jn(result, rows: _Rows, jn_fdr: bool, small: set) -> dict:
    """Each group minus the reference along the continuous other variable (contrast JN;
    for a multicategorical focal the probe's own ``contrast_jn``)."""
    fit, cat, out = result.fit, result.categorical, {}
    along = result.moderator if result.role == "focal" else result.focal
    if _is_binary(rows.sample.frame[along].to_numpy(float)):
        return out
    key = "focal_along_moderator" if result.role == "focal" else "moderator_along_focal"
    cols = [fit.index(c) for c in cat.columns]
    inter = [fit.index(f"{c}:{result.moderator}" if result.role == "focal"
                       else f"{result.focal}:{c}") for c in cat.columns]
    for i, lv in enumerate(cat.others, start=1):
        if {lv, cat.reference} & small:
            continue                               # a group below min_group_size: not drawn
        diff = cat.row(lv) - cat.row(cat.reference)
        l0, l1 = np.zeros(len(fit.terms)), np.zeros(len(fit.terms))
        l0[cols], l1[inter] = diff, diff
        label = f"{lv} - {cat.reference}"
        words = (f"effect of {lv} vs {cat.reference}",
                 f"Effect of {lv} vs {cat.reference} on {result.outcome}\n"
                 f"({lv} minus {cat.reference})")
        out[f"{key}_{i}"] = _jn_part(result, rows, l0, l1, along, words,
                                     jn=result.contrast_jn.get(label), jn_fdr=jn_fdr,
                                     effect_of=f"{cat.name}: {label}")
    return out


def _effect_words(result, var: str) -> tuple[str, str]:
    """``(line label, y-axis label)`` of the effect of ``var`` on the outcome: which group is
    subtracted from which for a text-coded binary variable, else the change per unit."""
    y = result.outcome
    if var in result.coding:
        zero, one = (k for k, _ in sorted(result.coding[var].items(), key=lambda kv: kv[1]))
        return (f"effect of {one} vs {zero}",
                f"Effect of {one} vs {zero} on {y}\n({one} minus {zero})")
    return f"effect of {var}", f"Effect of {var} on {y}\n(change in {y} per unit of {var})"


def probe_plot_data(result, data: pd.DataFrame, *, min_group_size: int = 10,
                    jn_fdr: bool | None = None, genotype: dict | None = None,
                    categorical: Sequence[str] = (), file: str | None = None) -> ProbePlotData:
    """The numbers of the probe figures, from ``result`` and the rows it was fitted on.

    ``data``: the data frame given to :func:`analysis.stats.moderation.probe` (the sample is
    re-derived with the probe's coding and checked to match); ``min_group_size``: the
    smallest bin / group shown (the codebook's privacy default, 10); ``jn_fdr``: FDR
    Johnson-Neyman for the orientations the probe did not compute (default: as the
    probe's own JN).  ``genotype`` / ``categorical``: as given to ``probe``.
    """
    from ..stats.designs import CategoricalProbeResult
    if min_group_size < 2:
        raise InputError(f"--min-group-size must be at least 2, got {min_group_size}")
    rows = _probe_rows(result, data, genotype=genotype, categorical=categorical, file=file)
    is_cat = isinstance(result, CategoricalProbeResult)
    if jn_fdr is None:
        own = (next(iter(result.contrast_jn.values()), None) if is_cat else result.jn)
        jn_fdr = bool(own is not None and own.fdr)
    design = (_categorical_design if is_cat else _numeric_design)(result, rows)
    lines, slopes, binned, notes = _simple_slope_parts(result, rows, design, min_group_size)
    if rows.sample.weights is not None:
        notes.append("Binned means are unweighted; lines and effects come from the weighted fit.")
    small = {n for n, c in zip(design.names, design.counts) if c is not None and c < min_group_size}
    if small and not is_cat:
        small = {design.line_var}
    jn = (_categorical_jn if is_cat else _numeric_jn)(result, rows, jn_fdr, small)
    return ProbePlotData(outcome=result.outcome, focal=result.focal, moderator=result.moderator,
                         x_axis=design.x_var, line_variable=design.line_var, lines=lines,
                         slopes=slopes, binned=binned, jn=jn,
                         conditional_effects=result.conditional_effects(),
                         min_group_size=min_group_size, alpha=result.alpha, notes=tuple(notes))


# ----------------------------------------------------------------------- figures
def probe_figures(result, pdata: ProbePlotData, *, note: str | None = None) -> dict:
    """``{file stem: matplotlib Figure}`` drawn by the report's renderers from ``pdata``."""
    from . import plots
    level = 1 - float(pdata.alpha)
    key = {"outcome": pdata.outcome, "gene": pdata.line_variable, "style": pdata.x_axis}
    lines = pdata.lines.rename(columns={"x_value": "style_value"}).assign(**key)
    binned = pdata.binned.assign(**key)
    slopes = pdata.slopes.assign(**key)
    figs = {"simple_slopes": plots.simple_slopes_figure(
        lines, outcome=pdata.outcome, style=pdata.x_axis, genes=(pdata.line_variable,),
        binned=binned, slopes=slopes, min_group_size=pdata.min_group_size, conf_level=level,
        legend_title=f"{pdata.line_variable}: slope of {pdata.x_axis} [{100 * level:g}% CI]",
        binned_what=pdata.x_axis,
        title=f"{pdata.outcome} by {pdata.focal} x {pdata.moderator}",
        assumption_note=" ".join(x for x in (note, *pdata.notes) if x) or None)}
    for orientation, part in pdata.jn.items():
        figs[f"johnson_neyman_{orientation}"] = plots.johnson_neyman_figure(
            part.grid, part.jn, outcome=pdata.outcome, gene=part.effect_of, style=part.along,
            effect_label=part.axis_label, effect_name=part.line_label,
            title=f"{pdata.outcome}: {part.line_label} along {part.along}", assumption_note=note)
    return figs


def write_probe_plots(result, data: pd.DataFrame, folder, *, force: bool = False,
                      min_group_size: int = 10, jn_fdr: bool | None = None,
                      genotype: dict | None = None, categorical: Sequence[str] = (),
                      inputs: Sequence = (), meta: dict | None = None,
                      file: str | None = None, linearity=None) -> Path:
    """Write the probe figures (PNG + SVG), their data (CSV) and a manifest into ``folder``.

    ``linearity`` (an :class:`analysis.stats.linearity.LinearityCheck` of the same model)
    adds its figure and its bins and line tables; nothing is recomputed.

    Through :func:`analysis.safe_output.write_folder`: an existing folder is replaced only
    with ``force`` and only when this package wrote it; no file of ``inputs`` may lie
    inside it.  CSV text cells are neutralized (:func:`analysis.sanitize.neutralize_frame`).

    >>> import numpy as np, pandas as pd, tempfile, pathlib
    >>> from analysis.stats.moderation import probe
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"g": np.repeat([0.0, 1.0], 100), "a": rng.normal(4, 1, 200)})
    >>> df["y"] = 5 + 0.5 * df.g * df.a + rng.normal(size=200)
    >>> res = probe(df, outcome="y", focal="a", moderator="g")
    >>> folder = write_probe_plots(res, df, pathlib.Path(tempfile.mkdtemp()) / "fig")
    >>> (folder / "simple_slopes.png").exists(), (folder / "johnson_neyman_moderator_along_focal.svg").exists()
    (True, True)
    """
    import json

    from .plots import save_figure
    from ..safe_output import check_folder, write_folder
    from ..sanitize import neutralize_frame
    check_folder(folder, force=force, inputs=inputs)
    pdata = probe_plot_data(result, data, min_group_size=min_group_size, jn_fdr=jn_fdr,
                            genotype=genotype, categorical=categorical, file=file)
    figs = probe_figures(result, pdata)
    frames = pdata.frames()
    if linearity is not None:
        from .plots import linearity_figure
        figs["linearity"] = linearity_figure(
            linearity.line, linearity.bins, focal=linearity.focal,
            moderator=linearity.moderator, outcome=linearity.outcome, alpha=linearity.alpha)
        frames["linearity_bins.csv"] = linearity.bins
        frames["linearity_line.csv"] = linearity.line

    def fill(staging: Path) -> None:
        for stem, fig in figs.items():
            save_figure(fig, staging / stem, formats=("png", "svg"))
        for name, frame in frames.items():
            neutralize_frame(frame).to_csv(staging / name, index=False, lineterminator="\n")
        from ..safe_output import folder_manifest
        manifest = folder_manifest(staging, inputs=inputs, meta={
            **(meta or {}), "outcome": pdata.outcome, "focal": pdata.focal,
            "moderator": pdata.moderator, "x_axis": pdata.x_axis,
            "lines": pdata.line_variable, "min_group_size": pdata.min_group_size,
            "orientations": {k: {"effect_of": v.effect_of, "along": v.along}
                             for k, v in pdata.jn.items()},
            "files": {k: v for k, v in PLOT_FILES.items() if k in frames or k in figs
                      or any(f.startswith(k + "_") for f in figs)},
            "notes": list(pdata.notes)})
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return write_folder(folder, fill, force=force, inputs=inputs)


# ----------------------------------------------------------------------- tables
def write_probe_tables(result, fmt: str, path=None, *, data: pd.DataFrame | None = None,
                       standardized: bool = False, force: bool = False, inputs: Sequence = (),
                       genotype: dict | None = None, categorical: Sequence[str] = (),
                       file: str | None = None) -> bytes:
    """APA tables of the probe (regression, conditional effects, JN bounds) in ``fmt``.

    The report's writer (:func:`analysis.render.manuscript.write_tables`); with ``path`` the bytes
    are written through :func:`analysis.safe_output.write_file` (no overwrite without
    ``force``).  ``standardized=True`` adds the standardized coefficients, computed on the
    probe's rows with every variable z-scored *before* the product is formed
    (:func:`analysis.stats.standardized.standardized_coefficients`); it needs ``data``, and
    is refused with weights (the betas would be unweighted).
    """
    from .manuscript import write_tables
    from ..safe_output import check_file, write_file
    if fmt not in TABLE_FORMATS:
        raise InputError(f"--table must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    if path is not None:
        check_file(path, force=force, inputs=inputs)
    _check_design(result)
    betas = None
    if standardized:
        betas = _betas(result, data, genotype=genotype, categorical=categorical, file=file)
    elif data is not None:
        probe_sample(result, data, genotype=genotype, categorical=categorical, file=file)
    content = write_tables(result, fmt, betas=betas)
    if path is not None:
        write_file(path, content, force=force, inputs=inputs)
    return content


def _betas(result, data, **kw) -> pd.DataFrame:
    from ..stats.standardized import standardized_coefficients
    if data is None:
        raise InputError("standardized coefficients need the data the probe was fitted on")
    if result.weights is not None:
        raise InputError("--standardized is not available with --weights (the z-scores and "
                         "the refit would be unweighted)")
    if not hasattr(result, "moderator_binary"):
        raise InputError("--standardized is not available for a multicategorical variable "
                         "(a z-scored set of group codes has no agreed meaning)")
    sample = probe_sample(result, data, **kw)
    return standardized_coefficients(sample.frame, outcome=result.outcome, focal=result.focal,
                                     moderator=result.moderator, covariates=result.covariates)

"""Figures and manuscript tables of one's own model: ``salesgxe probe --plot DIR`` and ``--table``.

The equivalent of R ``interactions::interact_plot`` / ``johnson_neyman`` and PROCESS
``plot=1`` for a :class:`analysis.moderation.ProbeResult` (PROCESS Model 1 with a
binary or continuous focal predictor X and moderator W), drawn by the report's own
renderers (:func:`analysis.plots.simple_slopes_figure`,
:func:`analysis.plots.johnson_neyman_figure`) in the report's style.

Every number drawn comes from the fitted model through the one conditional-effect
core, :func:`analysis.probing.linear_combination` (an effect or a prediction is
``L b`` with variance ``L V L'`` under the probe's covariance: OLS, HC0-HC4, CR1/CR2,
with the same degrees of freedom as the printed tables); the renderers compute
nothing.  The data are shown only as binned means (:func:`analysis.figure_data.binned_means`:
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

Examples
--------
>>> import numpy as np, pandas as pd, tempfile, pathlib
>>> from analysis.moderation import probe
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

from ._errors import InputError

__all__ = ["ProbePlotData", "probe_plot_data", "probe_sample", "write_probe_plots",
           "write_probe_tables", "PLOT_FILES", "TABLE_FORMATS"]

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
    jn : dict
        ``"focal_along_moderator"`` / ``"moderator_along_focal"`` ->
        ``(grid frame, JohnsonNeyman, effect of, along)`` where meaningful.
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
        for key, (grid, jn, effect, along) in self.jn.items():
            g = grid.copy()
            g.insert(0, "along", along)
            g.insert(0, "effect_of", effect)
            g.insert(0, "orientation", key)
            jn_rows.append(g)
            d = jn.to_dict()
            for i, b in enumerate(d["bounds"]):
                bound_rows.append({"orientation": key, "effect_of": effect, "along": along,
                                   "bound": b, "in_range": d["in_range"][i],
                                   "share_below": d["share_below"][i],
                                   "share_above": d["share_above"][i],
                                   "significant_region": d["significant_region"],
                                   "observed_low": d["observed_range"][0],
                                   "observed_high": d["observed_range"][1]})
            if not d["bounds"]:
                bound_rows.append({"orientation": key, "effect_of": effect, "along": along,
                                   "significant_region": d["significant_region"],
                                   "observed_low": d["observed_range"][0],
                                   "observed_high": d["observed_range"][1]})
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


def probe_sample(result, data: pd.DataFrame, *, genotype: dict | None = None,
                 categorical: Sequence[str] = (), file: str | None = None):
    """The rows and codes ``result`` was fitted on (:func:`analysis.moderation.prepare_sample`
    with the probe's coding), checked to be the same sample (``n`` and coding).

    ``genotype`` / ``categorical``: the same options the probe was run with.
    """
    from .moderation import ProbeResult, prepare_sample
    if not isinstance(result, ProbeResult):
        raise InputError("--plot and --table draw PROCESS Model 1 with a binary or continuous "
                         "focal predictor and moderator; for a multicategorical variable or two "
                         "moderators they are not available yet (Models 2/3: --region-plot)")
    used = [result.outcome, result.focal, result.moderator, *result.covariates]
    recoded = {}
    if genotype or categorical:
        from .designs import resolve_variables
        data, found, recoded = resolve_variables(data, [result.focal, result.moderator],
                                           categorical=categorical, genotype=genotype, file=file)
    sample = prepare_sample(data, used, cluster=result.cluster, weights=result.weights,
                            file=file, reference=_reference_from_coding(result.coding),
                            recoded=recoded)
    if len(sample.frame) != result.n or sample.coding != result.coding:
        raise InputError("these data are not the rows the probe result was fitted on "
                         f"({len(sample.frame)} complete rows, the probe used {result.n})",
                         file=file)
    return sample


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


def _prediction_rows(result, x_var: str, xs: np.ndarray, line_value: float, means: dict):
    """Rows of ``L``: predicted outcome at ``x_var = xs`` and the other variable at
    ``line_value``, covariates at ``means``."""
    fit = result.fit
    other = result.moderator if x_var == result.focal else result.focal
    L = np.zeros((xs.size, len(fit.terms)))
    L[:, fit.index("Intercept")] = 1.0
    L[:, fit.index(x_var)] = xs
    L[:, fit.index(other)] = line_value
    L[:, fit.index(result.interaction)] = xs * line_value
    for c, m in means.items():
        L[:, fit.index(c)] = m
    return L


def _line_groups(result, sample, line_var: str):
    """``(names, values, counts)`` of the lines: both groups of a binary variable (with
    their sizes), else the probe values of W (p16/p50/p84, or ``--at``)."""
    v = sample.frame[line_var].to_numpy(float)
    if _is_binary(v):
        values = np.unique(v)
        return _group_names(result, sample, line_var, values), values, [int((v == g).sum()) for g in values]
    eff = result.conditional_effects()
    keep = eff["label"].isin(_LINE_LABELS)
    if not keep.any():
        keep[:] = True
    eff = eff[keep]
    names = [f"{line_var} = {val:.2f} ({lab})" for lab, val in
             zip(eff["label"], eff["moderator_value"])]
    return names, eff["moderator_value"].to_numpy(float), [None] * len(names)


def _slopes(result, x_var, names, values, counts, small):
    from .probing import conditional_effects
    if x_var == result.focal:
        eff = conditional_effects(result.fit, result.focal, result.interaction, values,
                                  moderator=result.moderator).to_frame()
    else:
        eff = conditional_effects(result.fit, result.moderator, result.interaction, values,
                                  moderator=result.focal).to_frame()
    eff = eff.drop(columns="label").rename(columns={"moderator_value": "line_value"})
    eff.insert(0, "group", names)
    eff["n_group"] = [np.nan if c is None else c for c in counts]
    return eff[~np.asarray(small)].reset_index(drop=True)


def _nearest_groups(v: np.ndarray, values: np.ndarray, names: list[str]) -> np.ndarray:
    """Each row's line: the nearest probe value (ties to the lower one)."""
    order = np.argsort(values)
    cuts = (values[order][1:] + values[order][:-1]) / 2
    return np.asarray(names, dtype=object)[order][np.searchsorted(cuts, v, side="left")]


def _simple_slope_parts(result, sample, min_group_size: int):
    from .figure_data import binned_means
    from .probing import linear_combination
    frame, weights = sample.frame, sample.weights
    x_var = result.focal
    if _is_binary(frame[result.focal].to_numpy(float)) and not _is_binary(
            frame[result.moderator].to_numpy(float)):
        x_var = result.moderator
    line_var = result.moderator if x_var == result.focal else result.focal
    names, values, counts = _line_groups(result, sample, line_var)
    small = [c is not None and c < min_group_size for c in counts]
    x = frame[x_var].to_numpy(float)
    xs = np.unique(x) if _is_binary(x) else np.linspace(x.min(), x.max(), _LINE_POINTS)
    means = {c: _mean(frame[c].to_numpy(float), weights) for c in result.covariates}
    parts = []
    for name, value, drop in zip(names, values, small):
        if drop:
            continue
        pred = linear_combination(result.fit, _prediction_rows(result, x_var, xs, value, means))
        pred.insert(0, "x_value", xs)
        pred.insert(0, "group", name)
        parts.append(pred)
    lines = pd.concat(parts, ignore_index=True)
    slopes = _slopes(result, x_var, names, values, counts, small)
    lv = frame[line_var].to_numpy(float)
    group = (pd.Series(lv).map(dict(zip(values, names))).to_numpy(object) if counts[0] is not None
             else _nearest_groups(lv, values, names))
    binned = binned_means(pd.DataFrame({"y": frame[result.outcome], "x": x, "g": group}),
                          outcome="y", moderator="x", group="g", min_group_size=min_group_size)
    binned = binned[binned["group"].isin(set(slopes["group"]))].reset_index(drop=True)
    notes = [f"{n}: fewer than {min_group_size} people, not drawn" for n, s in zip(names, small)
             if s]
    return x_var, line_var, lines, slopes, binned, notes


def _jn_part(result, sample, effect_of: str, along: str, jn_fdr: bool):
    """``(grid, JohnsonNeyman)`` of the effect of ``effect_of`` along ``along``."""
    from .probing import conditional_effects, johnson_neyman
    if effect_of == result.focal and result.jn is not None:
        jn = result.jn
    else:
        jn = johnson_neyman(result.fit, effect_of, result.interaction,
                            sample.frame[along].to_numpy(float), moderator=along, fdr=jn_fdr,
                            weights=sample.weights)
    lo, hi = jn.observed_range
    inner = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
    grid = np.unique(np.concatenate([np.linspace(lo, hi, _JN_POINTS), inner]))
    frame = conditional_effects(result.fit, effect_of, result.interaction, grid,
                                moderator=along, observed_range=(lo, hi)).to_frame()
    return frame.drop(columns="label"), jn


def probe_plot_data(result, data: pd.DataFrame, *, min_group_size: int = 10,
                    jn_fdr: bool | None = None, genotype: dict | None = None,
                    categorical: Sequence[str] = (), file: str | None = None) -> ProbePlotData:
    """The numbers of the probe figures, from ``result`` and the rows it was fitted on.

    ``data``: the data frame given to :func:`analysis.moderation.probe` (the sample is
    re-derived with the probe's coding and checked to match); ``min_group_size``: the
    smallest bin / group shown (the codebook's privacy default, 10); ``jn_fdr``: FDR
    Johnson-Neyman for the second orientation (default: as the probe's own JN).
    """
    if min_group_size < 2:
        raise InputError(f"--min-group-size must be at least 2, got {min_group_size}")
    sample = probe_sample(result, data, genotype=genotype, categorical=categorical, file=file)
    if jn_fdr is None:
        jn_fdr = bool(result.jn is not None and result.jn.fdr)
    x_var, line_var, lines, slopes, binned, notes = _simple_slope_parts(result, sample,
                                                                        min_group_size)
    jn = {}
    frame = sample.frame
    for key, effect_of, along in (("focal_along_moderator", result.focal, result.moderator),
                                  ("moderator_along_focal", result.moderator, result.focal)):
        if not _is_binary(frame[along].to_numpy(float)):
            grid, res_jn = _jn_part(result, sample, effect_of, along, jn_fdr)
            jn[key] = (grid, res_jn, effect_of, along)
    return ProbePlotData(outcome=result.outcome, focal=result.focal, moderator=result.moderator,
                         x_axis=x_var, line_variable=line_var, lines=lines, slopes=slopes,
                         binned=binned, jn=jn, conditional_effects=result.conditional_effects(),
                         min_group_size=min_group_size, alpha=result.alpha, notes=tuple(notes))


# ----------------------------------------------------------------------- figures
def _effect_words(result, var: str) -> tuple[str, str]:
    """``(line label, y-axis label)`` of the effect of ``var`` on the outcome: which group is
    subtracted from which for a text-coded binary variable, else the change per unit."""
    y = result.outcome
    if var in result.coding:
        zero, one = (k for k, _ in sorted(result.coding[var].items(), key=lambda kv: kv[1]))
        return (f"effect of {one} vs {zero}",
                f"Effect of {one} vs {zero} on {y}\n({one} minus {zero})")
    return f"effect of {var}", f"Effect of {var} on {y}\n(change in {y} per unit of {var})"


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
    for orientation, (grid, jn, effect_of, along) in pdata.jn.items():
        line, ylabel = _effect_words(result, effect_of)
        figs[f"johnson_neyman_{orientation}"] = plots.johnson_neyman_figure(
            grid, jn, outcome=pdata.outcome, gene=effect_of, style=along,
            effect_label=ylabel, effect_name=line,
            title=f"{pdata.outcome}: {line} along {along}", assumption_note=note)
    return figs


def write_probe_plots(result, data: pd.DataFrame, folder, *, force: bool = False,
                      min_group_size: int = 10, jn_fdr: bool | None = None,
                      genotype: dict | None = None, categorical: Sequence[str] = (),
                      inputs: Sequence = (), meta: dict | None = None,
                      file: str | None = None) -> Path:
    """Write the probe figures (PNG + SVG), their data (CSV) and a manifest into ``folder``.

    Through :func:`analysis.safe_output.write_folder`: an existing folder is replaced only
    with ``force`` and only when this package wrote it; no file of ``inputs`` may lie
    inside it.  CSV text cells are neutralized (:func:`analysis.sanitize.neutralize_frame`).

    >>> import numpy as np, pandas as pd, tempfile, pathlib
    >>> from analysis.moderation import probe
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
    from .safe_output import check_folder, write_folder
    from .sanitize import neutralize_frame
    check_folder(folder, force=force, inputs=inputs)
    pdata = probe_plot_data(result, data, min_group_size=min_group_size, jn_fdr=jn_fdr,
                            genotype=genotype, categorical=categorical, file=file)
    figs = probe_figures(result, pdata)
    frames = pdata.frames()

    def fill(staging: Path) -> None:
        for stem, fig in figs.items():
            save_figure(fig, staging / stem, formats=("png", "svg"))
        for name, frame in frames.items():
            neutralize_frame(frame).to_csv(staging / name, index=False, lineterminator="\n")
        from .safe_output import folder_manifest
        manifest = folder_manifest(staging, inputs=inputs, meta={
            **(meta or {}), "outcome": pdata.outcome, "focal": pdata.focal,
            "moderator": pdata.moderator, "x_axis": pdata.x_axis,
            "lines": pdata.line_variable, "min_group_size": pdata.min_group_size,
            "orientations": {k: {"effect_of": v[2], "along": v[3]} for k, v in pdata.jn.items()},
            "files": {k: v for k, v in PLOT_FILES.items()
                      if k in frames or k in figs}, "notes": list(pdata.notes)})
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return write_folder(folder, fill, force=force, inputs=inputs)


# ----------------------------------------------------------------------- tables
def write_probe_tables(result, fmt: str, path=None, *, data: pd.DataFrame | None = None,
                       standardized: bool = False, force: bool = False, inputs: Sequence = (),
                       genotype: dict | None = None, categorical: Sequence[str] = (),
                       file: str | None = None) -> bytes:
    """APA tables of the probe (regression, conditional effects, JN bounds) in ``fmt``.

    The report's writer (:func:`analysis.manuscript.write_tables`); with ``path`` the bytes
    are written through :func:`analysis.safe_output.write_file` (no overwrite without
    ``force``).  ``standardized=True`` adds the standardized coefficients, computed on the
    probe's rows with every variable z-scored *before* the product is formed
    (:func:`analysis.standardized.standardized_coefficients`); it needs ``data``, and
    is refused with weights (the betas would be unweighted).
    """
    from .manuscript import write_tables
    from .safe_output import check_file, write_file
    if fmt not in TABLE_FORMATS:
        raise InputError(f"--table must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    if path is not None:
        check_file(path, force=force, inputs=inputs)
    betas = None
    if standardized:
        betas = _betas(result, data, genotype=genotype, categorical=categorical, file=file)
    elif data is not None:
        probe_sample(result, data, genotype=genotype, categorical=categorical, file=file)
    else:
        from .moderation import ProbeResult
        if not isinstance(result, ProbeResult):
            probe_sample(result, pd.DataFrame())          # the one message for other designs
    content = write_tables(result, fmt, betas=betas)
    if path is not None:
        write_file(path, content, force=force, inputs=inputs)
    return content


def _betas(result, data, **kw) -> pd.DataFrame:
    from .standardized import standardized_coefficients
    if data is None:
        raise InputError("standardized coefficients need the data the probe was fitted on")
    if result.weights is not None:
        raise InputError("--standardized is not available with --weights (the z-scores and "
                         "the refit would be unweighted)")
    sample = probe_sample(result, data, **kw)
    return standardized_coefficients(sample.frame, outcome=result.outcome, focal=result.focal,
                                     moderator=result.moderator, covariates=result.covariates)

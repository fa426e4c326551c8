"""Figures drawn from result frames: simple slopes, Johnson-Neyman, scorecard.

Produces the report's figures (``reports/replication/figures/``): the
simple-slope plot the study's story is told with (outcome against an
attachment style, one line per genotype group with a confidence band, DRD4 and
DRD2 panels side by side), the Johnson-Neyman plot of the genotype effect along
the style, and a forest-style scorecard.

Every function **only draws the numbers it is given**: no statistic is
computed here (not even a confidence interval), so a figure can always be
traced to a table.  Figures carry aggregates only: lines, bands and shares,
never a participant's value or genotype.

Figures are built as :class:`matplotlib.figure.Figure` objects on the Agg
canvas, without :mod:`matplotlib.pyplot`, so nothing global (backend, figure
registry, rcParams) is changed.  Colours are the Okabe-Ito colour-blind-safe
set (Okabe & Ito 2008, "Color Universal Design", https://jfly.uni-koeln.de/color/),
and every group also gets its own line style so the figures survive greyscale
printing.  :func:`save_figure` writes PNG (300 dpi), SVG and PDF
deterministically and atomically.
"""
from __future__ import annotations

import os
import secrets
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..sanitize import mpl_literal

__all__ = ["OKABE_ITO", "ROLE_STYLES", "GENE_GROUPS", "simple_slopes_figure",
           "johnson_neyman_figure", "significant_spans", "scorecard_figure", "save_figure",
           "power_small_multiples", "axis_label", "effect_label", "group_style",
           "text_overlaps", "linearity_figure", "figure_bytes"]

#: The Okabe-Ito palette (name -> hex).
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}

#: One meaning per look, in every panel: carriers of the risk / plasticity allele (DRD4 7R,
#: DRD2 A1) are vermillion, solid, filled circles; non-carriers are blue, dashed, open
#: squares.  Colour, line style and marker differ, so greyscale prints keep them apart.
ROLE_STYLES = {
    "carrier": {"color": "#D55E00", "linestyle": "-", "marker": "o", "markerfacecolor": "#D55E00"},
    "non-carrier": {"color": "#0072B2", "linestyle": "--", "marker": "s",
                    "markerfacecolor": "white"},
}
#: group name -> role (further DRD2 genotypes get the spare styles below)
GROUP_ROLES = {"7R carrier": "carrier", "A1 carrier": "carrier", "non-carrier": "non-carrier",
               "A2/A2": "non-carrier", "carrier": "carrier"}
#: gene -> (carrier group, non-carrier group), the names used in labels
GENE_GROUPS = {"DRD4": ("7R carrier", "non-carrier"), "DRD2": ("A1 carrier", "A2/A2")}
_SPARE_STYLES = ({"color": "#009E73", "linestyle": "-.", "marker": "^", "markerfacecolor": "#009E73"},
                 {"color": "#CC79A7", "linestyle": ":", "marker": "D", "markerfacecolor": "white"},
                 # further groups (probe --plot: lines at 3+ values or levels): never a role's look
                 {"color": "#56B4E9", "linestyle": (0, (5, 1, 1, 1)), "marker": "v",
                  "markerfacecolor": "white"},
                 {"color": "#E69F00", "linestyle": (0, (3, 1, 1, 1, 1, 1)), "marker": "P",
                  "markerfacecolor": "#E69F00"},
                 {"color": "#000000", "linestyle": (0, (1, 1)), "marker": "X",
                  "markerfacecolor": "#000000"})
# carriers first in every panel and legend
_GROUP_ORDER = ("7R carrier", "A1 carrier", "non-carrier", "A2/A2", "A1/A2", "A1/A1")

_OUTCOME_NAMES = {"CO": "Customer orientation (CO)", "SO": "Sales orientation (SO)"}
_STYLE_NAMES = {"avoidant": "Avoidant attachment", "anxious": "Anxious attachment",
                "secure": "Secure attachment"}
_GENE_TITLES = {"DRD4": "DRD4 exon III VNTR", "DRD2": "DRD2 Taq1A"}

_VERDICT_STYLE = {  # verdict -> (colour, marker)
    "reproduced": ("bluish_green", "o"), "partial": ("orange", "s"),
    "inconclusive": ("sky_blue", "v"), "not reproduced": ("black", "D"),
    "contradicted": ("vermillion", "X"),
}

_LINES_COLUMNS = ("outcome", "gene", "style", "group", "style_value", "estimate",
                  "conf_low", "conf_high")
_GRID_COLUMNS = ("moderator_value", "estimate", "conf_low", "conf_high")
_JN_KEYS = ("bounds", "in_range", "significant_region", "alpha", "observed_range",
            "share_below", "share_above")

_RC = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
       "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
       "axes.spines.right": False, "svg.hashsalt": "salesgxe", "svg.fonttype": "path"}

_SAVE_METADATA = {
    "png": {"Software": "salesgxe (matplotlib)"},
    "svg": {"Date": None, "Creator": "salesgxe (matplotlib)"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "salesgxe",
            "Producer": "salesgxe (matplotlib)"},
}


# --------------------------------------------------------------------------- helpers

def _rc():
    import matplotlib
    return matplotlib.rc_context(_RC)


def _new_figure(size: tuple[float, float]):
    """A pyplot-free figure on the Agg canvas (no global state touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _require(frame, columns: Sequence[str], what: str):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; it needs {list(columns)}")
    return frame


def _literal(text) -> str:
    """Text for matplotlib shown as typed (no mathtext): analysis.sanitize.mpl_literal."""
    return mpl_literal(text)


def axis_label(name: str, value_range: Sequence[float] | None = None) -> str:
    """``"Customer orientation (CO), 1-9"``: the construct and the instrument's range.

    >>> axis_label("CO", (1, 9)), axis_label("avoidant", (1, 6)), axis_label("tenure")
    ('Customer orientation (CO), 1-9', 'Avoidant attachment, 1-6', 'tenure')
    """
    base = _OUTCOME_NAMES.get(name, _STYLE_NAMES.get(name, str(name)))
    if value_range is None or any(v is None for v in value_range):
        return base
    lo, hi = (float(v) for v in value_range)
    return f"{base}, {lo:g}-{hi:g}"


def _label(name: str, override: str | None, value_range=None) -> str:
    return _literal(override if override is not None else axis_label(name, value_range))


def _order_groups(groups) -> list:
    seen = list(dict.fromkeys(groups))
    known = [g for g in _GROUP_ORDER if g in seen]
    return known + [g for g in seen if g not in known]


def group_style(group: str, spare: int = 0) -> dict:
    """Line/marker style of a genotype group: by its role (carrier / non-carrier)."""
    role = GROUP_ROLES.get(str(group))
    if role is not None:
        return dict(ROLE_STYLES[role])
    return dict(_SPARE_STYLES[spare % len(_SPARE_STYLES)])


def _finish(fig, title: str | None, note: str | None) -> None:
    """Suptitle and a small wrapped footnote in a band reserved below the axes.

    Both may carry user text (``source``, a file name): shown literally, never as
    mathtext (:func:`analysis.sanitize.mpl_literal`)."""
    if title:
        fig.suptitle(_literal(title))
    if not note:
        return
    width_in, height_in = fig.get_size_inches()
    wrapped = _literal(textwrap.fill(str(note), width=max(40, int(width_in * 17))))
    n_lines = wrapped.count("\n") + 1
    band = min(0.4, (0.16 + 0.12 * n_lines) / height_in)
    fig.get_layout_engine().set(rect=(0, band, 1, 1 - band))
    fig.text(0.01, 0.01, wrapped, fontsize=7, ha="left", va="bottom", color="#333333")


# --------------------------------------------------------------------------- simple slopes

def simple_slopes_figure(lines, *, outcome: str = "CO", style: str = "avoidant",
                         genes: Sequence[str] = ("DRD4", "DRD2"), title: str | None = None,
                         assumption_note: str | None = None, conf_level: float = 0.95,
                         outcome_label: str | None = None, style_label: str | None = None,
                         rug: Sequence[float] | None = None,
                         figsize: tuple[float, float] | None = None, binned=None, slopes=None,
                         outcome_range: Sequence[float] | None = None,
                         style_range: Sequence[float] | None = None,
                         min_group_size: int | None = None, legend_title: str | None = None,
                         binned_what: str | None = None):
    """Simple-slope plot: outcome against an attachment style, one line per genotype group.

    Produces the study's main figure (CO against avoidant attachment; DRD4 and
    DRD2 panels side by side).  Each line is the predicted outcome in one
    genotype group, ``estimate`` against ``style_value``, with the band from
    ``conf_low`` to ``conf_high`` exactly as given (nothing is recomputed).
    Carriers of the risk / plasticity allele look the same in every panel
    (:data:`ROLE_STYLES`), carriers first.  The data are shown as binned means
    (``binned``, from :func:`analysis.render.figure_data.binned_means`: each point the
    mean of at least ``min_group_size`` people), never as individual points.

    Parameters
    ----------
    lines : pandas.DataFrame
        Long format with columns ``outcome, gene, style, group, style_value,
        estimate, std_error, conf_low, conf_high``; rows for other outcomes or
        styles are ignored.  Groups: DRD4 ``"7R carrier"`` / ``"non-carrier"``;
        DRD2 ``"A1 carrier"`` / ``"A2/A2"`` (any other group names are drawn too).
    outcome, style : str
        Which outcome and attachment style to draw.
    genes : sequence of str
        One panel per gene, left to right.
    title, assumption_note : str, optional
        Figure title, and a footnote such as "Simulated data; effect sizes are
        assumptions (data/simulation.yaml)".
    conf_level : float
        Only used to label the band (the band itself is ``conf_low``..``conf_high``).
    outcome_label, style_label : str, optional
        Axis labels; by default the construct and ``outcome_range`` /
        ``style_range`` ("Customer orientation (CO), 1-9").
    rug : sequence of float, optional
        Aggregated marks along the x axis (e.g. deciles of the style), pooled
        over genotype groups.  Never pass per-person values with genotypes.
    figsize : (float, float), optional
    binned : pandas.DataFrame, optional
        ``outcome, gene, style, group, moderator_mean, outcome_mean, n``: drawn as points.
    slopes : pandas.DataFrame, optional
        Simple slopes (``outcome, gene, style, group, estimate, conf_low,
        conf_high``, ``n_group``): printed in the legend per group.
    outcome_range, style_range : (float, float), optional
        The instruments' full response ranges: the axes span them, so panels
        and outcomes compare (CO and SO on the same 1-9 scale).
    min_group_size : int, optional
        Stated in the footnote for the binned means.
    legend_title, binned_what : str, optional
        The legend's title (default ``"<gene> group: slope [95% CI]"``) and what the
        bins of the footnote cut (default "the attachment score"); ``probe --plot``
        names its own variables.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _require(lines, _LINES_COLUMNS, "lines")
    frame = frame[(frame["outcome"] == outcome) & (frame["style"] == style)]
    absent = [g for g in genes if not (frame["gene"] == g).any()]
    if absent:
        raise ValueError(f"lines has no rows for outcome={outcome!r}, style={style!r}, gene(s) {absent}")
    pick = _picker(outcome, style)
    with _rc():
        fig = _new_figure(figsize or (3.7 * len(genes) + 0.6, 4.6))
        axes = fig.subplots(1, len(genes), sharey=True, squeeze=False)[0]
        for ax, gene in zip(axes, genes):
            _slopes_panel(ax, frame[frame["gene"] == gene], gene, conf_level,
                          pick(binned, gene), pick(slopes, gene), legend_title)
            ax.set_xlabel(_label(style, style_label, style_range))
            if style_range is not None:
                ax.set_xlim(*_padded(style_range))
            if rug is not None:
                _draw_rug(ax, rug)
        axes[0].set_ylabel(_label(outcome, outcome_label, outcome_range))
        if outcome_range is not None:
            axes[0].set_ylim(*_padded(outcome_range))
        _finish(fig, title, _slopes_note(assumption_note, binned, min_group_size, conf_level,
                                         binned_what))
    return fig


def _picker(outcome, style):
    def pick(table, gene):
        if table is None:
            return None
        return table[(table["outcome"] == outcome) & (table["style"] == style)
                     & (table["gene"] == gene)]
    return pick


def _padded(value_range: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in value_range)
    pad = 0.03 * (hi - lo)
    return lo - pad, hi + pad


def _slopes_note(note, binned, min_group_size, conf_level, binned_what=None) -> str | None:
    parts = [f"Lines: predicted values with {100 * conf_level:g}% CI bands."]
    if binned is not None:
        size = f" of at least {min_group_size} people" if min_group_size else ""
        what = binned_what or "the attachment score"
        parts.append(f"Points: mean outcome in bins of {what}{size} per group "
                     "(no individual shown).")
    if note:
        parts.append(str(note))
    return " ".join(parts)


def _group_label(group, slopes) -> str:
    """``"7R carrier (n = 80): slope 0.67 [0.49, 0.85]"`` from the slopes table."""
    from .apa import fmt_ci, fmt_int, fmt_number
    text = str(group)
    if slopes is None:
        return _literal(text)
    row = slopes[slopes["group"] == group]
    if row.empty:
        return _literal(text)
    r = row.iloc[0]
    if "n_group" in row.columns and r["n_group"] == r["n_group"]:
        text += f" (n = {fmt_int(r['n_group'])})"
    text += f": slope {fmt_number(r['estimate'], 2)} {fmt_ci(r['conf_low'], r['conf_high'], 2)}"
    return _literal(text)


def _slopes_panel(ax, panel, gene: str, conf_level: float, binned=None, slopes=None,
                  legend_title: str | None = None) -> None:
    for spare, group in enumerate(_order_groups(panel["group"])):
        rows = panel[panel["group"] == group].sort_values("style_value")
        x = rows["style_value"].to_numpy(float)
        kw = group_style(group, spare)
        marker, face = kw.pop("marker"), kw.pop("markerfacecolor")
        ax.fill_between(x, rows["conf_low"].to_numpy(float), rows["conf_high"].to_numpy(float),
                        color=kw["color"], alpha=0.15, linewidth=0)
        ax.plot(x, rows["estimate"].to_numpy(float), linewidth=2, label=_group_label(group, slopes),
                marker=marker, markerfacecolor=face, markevery=[len(x) - 1] if len(x) else None,
                markersize=6, **kw)
        if binned is not None:
            pts = binned[binned["group"] == group]
            ax.plot(pts["moderator_mean"].to_numpy(float), pts["outcome_mean"].to_numpy(float),
                    linestyle="none", marker=marker, markerfacecolor=face, markersize=4.5,
                    markeredgecolor=kw["color"], color=kw["color"], label="_binned", alpha=0.9)
    ax.set_title(_GENE_TITLES.get(gene, _literal(gene)))
    title = (_literal(legend_title) if legend_title is not None
             else f"{_literal(gene)} group: slope [{100 * conf_level:g}% CI]")
    ax.legend(title=title, frameon=False,
              loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=1)


def _draw_rug(ax, values: Sequence[float]) -> None:
    from matplotlib.transforms import blended_transform_factory
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    for v in values:
        ax.plot([v, v], [0, 0.03], transform=trans, color="#555555", linewidth=0.8,
                label="_rug")


# --------------------------------------------------------------------------- Johnson-Neyman

def significant_spans(jn: Mapping) -> list[tuple[float, float]]:
    """Intervals of the observed range where the effect is significant, from a JN dict.

    Reads ``significant_region`` and the in-range ``bounds`` of
    :meth:`analysis.stats.probing.JohnsonNeyman.to_dict` (nothing is tested here).

    >>> significant_spans({"observed_range": [1, 7], "bounds": [0.2, 3.5],
    ...                    "in_range": [False, True], "significant_region": "above"})
    [(3.5, 7.0)]
    """
    lo, hi = (float(v) for v in jn["observed_range"])
    inner = [float(b) for b, ok in zip(jn["bounds"], jn["in_range"]) if ok]
    region = jn["significant_region"]
    needed = {"everywhere": 0, "nowhere": 0, "above": 1, "below": 1, "inside": 2, "outside": 2}
    if region not in needed or len(inner) < needed[region]:
        raise ValueError(f"JN region {region!r} does not fit the {len(inner)} in-range bound(s)")
    if region == "everywhere":
        return [(lo, hi)]
    if region == "above":
        return [(inner[0], hi)]
    if region == "below":
        return [(lo, inner[0])]
    if region == "inside":
        return [(inner[0], inner[1])]
    if region == "outside":
        return [(lo, inner[0]), (inner[1], hi)]
    return []


def effect_label(gene: str, outcome: str) -> str:
    r"""``"Effect of 7R carrier vs non-carrier on CO"``: which group is subtracted from which.

    >>> print(effect_label("DRD2", "SO"))
    Effect of A1 carrier vs A2/A2 on SO
    (A1 carrier minus A2/A2)
    """
    carrier, other = GENE_GROUPS.get(gene, (f"{gene} carrier", "non-carrier"))
    return f"Effect of {carrier} vs {other} on {outcome}\n({carrier} minus {other})"


def johnson_neyman_figure(grid, jn: Mapping, *, outcome: str, gene: str, style: str,
                          title: str | None = None, effect_label: str | None = None,
                          style_label: str | None = None, assumption_note: str | None = None,
                          style_range: Sequence[float] | None = None,
                          figsize: tuple[float, float] = (5.6, 4.6),
                          effect_name: str | None = None):
    """Johnson-Neyman plot: the genotype effect along an attachment style.

    Draws the conditional effect (``estimate``, band ``conf_low``..``conf_high``)
    against ``moderator_value``, a zero line, the significance region(s) shaded
    from the JN result, a vertical line at each boundary inside the observed
    range, and the observed range of the style.  The boundaries, with the share
    of cases below / above (PROCESS's "% below / % above"), are named in the
    legend under the plot, so no label crosses a line or another label.
    The boundaries solve ``(b1 + b3 w)^2 = t*^2 (V11 + 2 w V13 + w^2 V33)``
    (Johnson & Fay 1950; Bauer & Curran 2005, doi:10.1207/s15327906mbr4003_5);
    they are taken from ``jn`` as given.

    Parameters
    ----------
    grid : pandas.DataFrame
        Columns ``moderator_value, estimate, std_error, conf_low, conf_high``:
        the effect of carrier status (carrier minus non-carrier).
    jn : dict or JohnsonNeyman
        :meth:`analysis.stats.probing.JohnsonNeyman.to_dict` (or the object itself): ``bounds, in_range,
        significant_region, alpha, observed_range, share_below, share_above``
        (``fdr`` optional).
    outcome, gene, style : str
        Names used in labels.
    title, effect_label, style_label, assumption_note : str, optional
        The y label defaults to :func:`effect_label` ("Effect of 7R carrier vs
        non-carrier on CO").
    style_range : (float, float), optional
        The attachment instrument's response range (x axis).
    figsize : (float, float)
    effect_name : str, optional
        The curve's legend entry (default "effect of <carrier group> status").

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = _require(grid, _GRID_COLUMNS, "grid").sort_values("moderator_value")
    jn = jn.to_dict() if hasattr(jn, "to_dict") else jn
    missing = [k for k in _JN_KEYS if k not in jn]
    if missing:
        raise ValueError(f"jn lacks key(s) {missing}")
    ylabel = effect_label if effect_label is not None else globals()["effect_label"](gene, outcome)
    with _rc():
        fig = _new_figure(figsize)
        ax = fig.add_subplot()
        _jn_regions(ax, jn)
        x = g["moderator_value"].to_numpy(float)
        ax.fill_between(x, g["conf_low"].to_numpy(float), g["conf_high"].to_numpy(float),
                        color="#555555", alpha=0.2, linewidth=0,
                        label=f"{100 * (1 - float(jn['alpha'])):g}% CI")
        ax.plot(x, g["estimate"].to_numpy(float), color=OKABE_ITO["black"], linewidth=2,
                label=_literal(effect_name if effect_name is not None
                               else f"effect of {GENE_GROUPS.get(gene, (gene,))[0]} status"))
        ax.axhline(0.0, color="#777777", linewidth=0.8, label="_zero")
        _jn_bounds(ax, jn)
        _observed_range(ax, jn["observed_range"])
        ax.set_xlabel(_label(style, style_label, style_range))
        if style_range is not None:
            ax.set_xlim(*_padded(style_range))
        ax.set_ylabel(_literal(ylabel))
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2,
                   frameon=False)
        _finish(fig, title or f"{outcome}: {gene} effect along {style} attachment",
                assumption_note)
    return fig


def _jn_regions(ax, jn: Mapping) -> None:
    kind = "FDR-controlled, " if jn.get("fdr") else ""
    label = f"significant ({kind}alpha = {float(jn['alpha']):g})"
    for a, b in significant_spans(jn):
        ax.axvspan(a, b, color=OKABE_ITO["bluish_green"], alpha=0.12, linewidth=0,
                   hatch="//", label=label)
        label = "_nolegend_"


def _jn_bounds(ax, jn: Mapping) -> None:
    """A dashed line per in-range boundary, named (value, % below / above) in the legend."""
    styles = ("--", (0, (1, 1.5)))
    shown = [(float(b), below, above) for b, ok, below, above in
             zip(jn["bounds"], jn["in_range"], jn["share_below"], jn["share_above"]) if ok]
    for k, (b, below, above) in enumerate(shown):
        text = f"JN = {b:.2f}"
        if below is not None and above is not None:
            text += f": {100 * below:.0f}% below, {100 * above:.0f}% above"
        ax.axvline(b, color=OKABE_ITO["vermillion"], linestyle=styles[k % 2], linewidth=1.2,
                   label=text)


def _observed_range(ax, observed: Sequence[float]) -> None:
    from matplotlib.transforms import blended_transform_factory
    lo, hi = (float(v) for v in observed)
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    ax.plot([lo, hi], [0.015, 0.015], transform=trans, color="#555555", linewidth=3,
            solid_capstyle="butt", label="observed range")


# --------------------------------------------------------------------------- linearity

_BINS_COLUMNS = ("label", "bin_low", "bin_high", "moderator_value", "estimate", "conf_low",
                 "conf_high", "support")


def linearity_figure(line, bins, *, focal: str, moderator: str, outcome: str, alpha: float,
                     title: str | None = None, note: str | None = None,
                     figsize: tuple[float, float] = (5.6, 4.6)):
    """The linearity check: the linear model's effect of X along W against the binned effects.

    Draws the linear marginal-effect line (``estimate`` against ``moderator_value``) with
    its band ``conf_low``..``conf_high``, and each bin's effect (Hainmueller, Mummolo & Xu
    2019 binning estimator) at the bin median as a point with its interval; bin edges as
    light vertical lines, a flagged bin (``support`` not empty) drawn with an open marker.
    Draws only the numbers given (:class:`analysis.stats.linearity.LinearityCheck` ``.line`` and
    ``.bins``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = _require(line, _GRID_COLUMNS, "line").sort_values("moderator_value")
    b = _require(bins, _BINS_COLUMNS, "bins")
    conf = f"{100 * (1 - float(alpha)):g}% CI"
    with _rc():
        fig = _new_figure(figsize)
        ax = fig.add_subplot()
        x = g["moderator_value"].to_numpy(float)
        ax.fill_between(x, g["conf_low"].to_numpy(float), g["conf_high"].to_numpy(float),
                        color="#555555", alpha=0.2, linewidth=0, label=f"linear model, {conf}")
        ax.plot(x, g["estimate"].to_numpy(float), color=OKABE_ITO["black"], linewidth=2,
                label="linear model")
        ax.axhline(0.0, color="#777777", linewidth=0.8, label="_zero")
        for edge in b["bin_low"].to_numpy(float)[1:]:
            ax.axvline(edge, color="#BBBBBB", linewidth=0.8, linestyle=":", label="_edge")
        _binned_points(ax, b, conf)
        ax.set_xlabel(_label(moderator, None))
        ax.set_ylabel(_literal(f"Effect of {focal} on {outcome}"))
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2,
                   frameon=False)
        _finish(fig, title or f"{outcome}: is the effect of {focal} linear in {moderator}?",
                note)
    return fig


def _binned_points(ax, b, conf: str) -> None:
    flagged = b["support"].fillna("").astype(str) != ""
    shown = b["estimate"].notna()                  # a withheld (privacy) effect is not drawn
    for mask, face, text in ((~flagged & shown, OKABE_ITO["vermillion"], f"binned effect, {conf}"),
                             (flagged & shown, "white", "binned effect, flagged bin")):
        if not mask.any():
            continue
        rows = b[mask]
        est = rows["estimate"].to_numpy(float)
        err = [est - rows["conf_low"].to_numpy(float), rows["conf_high"].to_numpy(float) - est]
        ax.errorbar(rows["moderator_value"].to_numpy(float), est, yerr=err, fmt="o",
                    color=OKABE_ITO["vermillion"], markerfacecolor=face, capsize=3,
                    linewidth=1.4, label=text)


def figure_bytes(fig, fmt: str, *, dpi: int = 300) -> bytes:
    """The figure as ``fmt`` (png, svg, pdf) bytes, deterministic as :func:`save_figure`,
    for writers that go through :func:`analysis.safe_output.write_file`."""
    import io

    import matplotlib
    if fmt not in _SAVE_METADATA:
        raise ValueError(f"unsupported figure format {fmt!r}; use one of {sorted(_SAVE_METADATA)}")
    _freeze_layout(fig)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_SAVE_METADATA[fmt], facecolor="white")
    return buffer.getvalue()


# --------------------------------------------------------------------------- scorecard

def scorecard_figure(scorecard, *, title: str | None = "Claims scorecard",
                     assumption_note: str | None = None):
    """Forest-style scorecard: one row per claim, estimate with CI, verdict as text.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        Columns ``id, verdict, estimate`` (``conf_low, conf_high,
        replication_probability`` optional).  Estimates are on each claim's own
        scale; rows without an estimate show their verdict only.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    sc = _require(scorecard, ("id", "verdict", "estimate"), "scorecard").reset_index(drop=True)
    n = len(sc)
    with _rc():
        fig = _new_figure((6.4, 0.42 * n + 1.3))
        ax = fig.add_subplot()
        y = np.arange(n)[::-1].astype(float)
        for yi, (_, row) in zip(y, sc.iterrows()):
            _scorecard_row(ax, yi, row)
        ax.axvline(0.0, color="#777777", linewidth=0.8)
        ax.set_yticks(y, [mpl_literal(v) for v in sc["id"]])
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel("Estimate with CI (each claim on its own scale)")
        _finish(fig, title, assumption_note)
    return fig


def _finite(v) -> bool:
    try:
        return v is not None and float(v) == float(v) and abs(float(v)) != float("inf")
    except (TypeError, ValueError):
        return False


def _scorecard_row(ax, y: float, row) -> None:
    from matplotlib.transforms import blended_transform_factory
    colour, marker = _VERDICT_STYLE.get(str(row["verdict"]), ("sky_blue", "o"))
    colour = OKABE_ITO[colour]
    if _finite(row["estimate"]):
        est = float(row["estimate"])
        lo, hi = row.get("conf_low"), row.get("conf_high")
        if _finite(lo) and _finite(hi):
            ax.plot([float(lo), float(hi)], [y, y], color=colour, linewidth=1.5)
        ax.plot([est], [y], marker=marker, color=colour, markersize=6, linestyle="none")
    text = mpl_literal(row["verdict"])
    if _finite(row.get("replication_probability")):
        text += f"  (rep. {100 * float(row['replication_probability']):.0f}%)"
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(1.02, y, text, transform=trans, va="center", ha="left", fontsize=8, color=colour,
            clip_on=False)


# --------------------------------------------------------------------------- power

def power_small_multiples(frame, *, kinds: Sequence[str] = ("claim", "interaction"),
                          levels: Sequence[float] = (0.8, 0.9), ncols: int = 4,
                          note: str | None = None, ylabel: str | None = None,
                          title: str | None = None):
    """Power curves as small multiples: one panel per target, shared axes, one line each.

    Twelve curves in one panel need a legend that hides them; one small panel per
    target needs none (each panel is titled with its target).  Draws ``power``
    against ``n`` with the band ``conf_low``..``conf_high`` (as given) and the
    reference levels as dashed lines, labelled once on the first panel's axis.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``kind, target, n, power, conf_low, conf_high`` (:meth:`PowerResult.to_frame`).
    kinds : sequence of str
        Which rows, in order (``"claim"``: share reproduced; ``"interaction"``: power
        of one interaction test); panels of a kind are titled ``"claim S1a"`` /
        ``"test CO:DRD2_x_secure"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sub = _require(frame, ("kind", "target", "n", "power", "conf_low", "conf_high"),
                   "power frame")
    sub = pd_concat([sub[sub["kind"] == k] for k in kinds])
    targets = list(dict.fromkeys(zip(sub["kind"], sub["target"])))
    if not targets:
        raise ValueError(f"no power rows of kind(s) {list(kinds)}")
    ncols = min(ncols, len(targets))
    nrows = -(-len(targets) // ncols)
    with _rc():
        fig = _new_figure((1.9 * ncols + 0.8, 1.55 * nrows + 1.2))
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
        for ax, (kind, target) in zip(axes, targets):
            g = sub[(sub["kind"] == kind) & (sub["target"] == target)].sort_values("n")
            ax.fill_between(g["n"], g["conf_low"], g["conf_high"], color=OKABE_ITO["blue"],
                            alpha=0.2, linewidth=0)
            ax.plot(g["n"], g["power"], color=OKABE_ITO["blue"], marker="o", markersize=3,
                    linewidth=1.5)
            for level in levels:
                ax.axhline(level, color="#777777", linewidth=0.7, linestyle=(0, (4, 3)))
            ax.set_title(_literal(f"{_KIND_WORDS.get(kind, kind)} {target}"), fontsize=8)
            ax.set_ylim(0, 1.02)
            ax.set_xscale("log")
            ticks = (0, 0.5, min(levels), 1.0)
            ax.set_yticks(ticks, [_pct(v) for v in ticks])
            ax.tick_params(labelsize=7)
        for ax in axes[len(targets):]:
            ax.set_visible(False)
        ns = sorted(set(sub["n"]))
        for k, ax in enumerate(axes[:len(targets)]):
            ax.set_xticks(ns, [str(int(n)) for n in ns], rotation=90)
            ax.minorticks_off()
            if k + ncols >= len(targets):  # lowest panel of its column
                ax.set_xlabel("N per study (log scale)", fontsize=7)
        fig.supylabel(_literal(ylabel or "Power"), fontsize=8)
        _finish(fig, title, note)
    return fig


_KIND_WORDS = {"claim": "claim", "interaction": "test"}


def pd_concat(frames):
    import pandas as pd
    return pd.concat(frames, ignore_index=True)


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


# --------------------------------------------------------------------------- saving

def text_overlaps(fig, *, tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of drawn texts whose rendered bounding boxes overlap (should be none).

    Draws the figure once and compares the window extents of every visible,
    non-empty text that is actually drawn: figure texts and titles, axes
    titles, axis labels, tick labels inside the view, free texts, legend
    titles and entries.
    """
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
    hits = []
    for i, (ta, ba) in enumerate(boxes):
        for tb, bb in boxes[i + 1:]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > tolerance and h > tolerance:
                hits.append((ta, tb))
    return hits


def _legend_texts(legend) -> list:
    return [] if legend is None else [legend.get_title(), *legend.get_texts()]


def _tick_texts(axis) -> list:
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
        if tick.get_visible() and lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
            out += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    return out


def _drawn_texts(fig) -> list:
    texts = [*fig.texts, *(t for lg in fig.legends for t in _legend_texts(lg))]
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, name, None) is not None:
            texts.append(getattr(fig, name))
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  *ax.texts, *_legend_texts(ax.get_legend()),
                  *_tick_texts(ax.xaxis), *_tick_texts(ax.yaxis)]
    unique = list({id(t): t for t in texts}.values())
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def _freeze_layout(fig) -> None:
    """Run the layout engine once, then keep its result for every later draw.

    Constrained layout is re-run on each draw and is not idempotent to the last
    bit, so two saves of one figure could place the axes a hair apart (and SVG
    clip ids, hashed from the clip box, would differ).  Freezing makes every
    format and every re-save show the same layout.
    """
    engine = fig.get_layout_engine()
    if engine is None or type(engine).__name__ == "PlaceHolderLayoutEngine":
        return
    import matplotlib
    with matplotlib.rc_context(_RC):
        fig.draw_without_rendering()
    fig.set_layout_engine("none")
    # positions rounded to 1e-6 of the figure (thousandths of a pixel): the layout also
    # varies in the last bit with the process's history (text extent caches), which
    # changed the SVG clip ids of a figure from one run to the next
    for ax in fig.axes:
        ax.set_position([round(v, 6) for v in ax.get_position().bounds])


def save_figure(fig, path_stem, *, formats: Sequence[str] = ("png", "svg"),
                dpi: int = 300) -> list[Path]:
    """Write ``fig`` as ``path_stem.<fmt>`` for each format; deterministic and atomic.

    PNG at ``dpi`` (300 by default), SVG and PDF without creation dates, with
    a fixed creator and a fixed SVG id salt, so saving the same figure twice
    gives byte-identical files.  The figure's layout is computed once and then
    frozen (see :func:`_freeze_layout`), so all formats share it.  Each file is written to a temporary name in
    the same folder and moved into place with :func:`os.replace`.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of ``formats``.
    """
    import matplotlib
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    _freeze_layout(fig)
    written = []
    for fmt in formats:
        if fmt not in _SAVE_METADATA:
            raise ValueError(f"unsupported figure format {fmt!r}; use one of {sorted(_SAVE_METADATA)}")
        target = stem.with_name(f"{stem.name}.{fmt}")
        tmp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
        try:
            with matplotlib.rc_context(_RC):
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_SAVE_METADATA[fmt],
                            facecolor="white")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(target)
    return written

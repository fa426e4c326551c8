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

from .sanitize import mpl_literal

__all__ = ["OKABE_ITO", "simple_slopes_figure", "johnson_neyman_figure", "significant_spans",
           "scorecard_figure", "save_figure"]

#: The Okabe-Ito palette (name -> hex).
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}

# per group (in display order): colour and line style
_GROUP_COLOURS = ("vermillion", "blue", "bluish_green", "reddish_purple", "orange", "sky_blue")
_GROUP_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
# the claimed "responsive" group first, so it gets the strongest colour and a solid line
_GROUP_ORDER = ("7R carrier", "non-carrier", "A2/A2", "A1 carrier", "A1/A2", "A1/A1")

_OUTCOME_LABELS = {"CO": "Customer orientation (CO, 1-9)", "SO": "Sales orientation (SO, 1-9)"}
_STYLE_LABELS = {"avoidant": "Avoidant attachment (1-7)", "anxious": "Anxious attachment (1-7)",
                 "secure": "Secure attachment (1-7)"}
_GENE_TITLES = {"DRD4": "DRD4 exon III VNTR", "DRD2": "DRD2 Taq1A"}

_VERDICT_STYLE = {  # verdict -> (colour, marker)
    "reproduced": ("bluish_green", "o"), "partial": ("orange", "s"),
    "not reproduced": ("black", "D"), "contradicted": ("vermillion", "X"),
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


def _label(mapping: Mapping[str, str], key: str, override: str | None) -> str:
    return mpl_literal(override if override is not None else mapping.get(key, str(key)))


def _order_groups(groups) -> list:
    seen = list(dict.fromkeys(groups))
    known = [g for g in _GROUP_ORDER if g in seen]
    return known + [g for g in seen if g not in known]


def _group_style(i: int) -> dict:
    return {"color": OKABE_ITO[_GROUP_COLOURS[i % len(_GROUP_COLOURS)]],
            "linestyle": _GROUP_LINESTYLES[i % len(_GROUP_LINESTYLES)]}


def _finish(fig, title: str | None, note: str | None) -> None:
    """Suptitle and a small wrapped footnote in a band reserved below the axes.

    Both may carry user text (``source``, a file name): shown literally, never as
    mathtext (:func:`analysis.sanitize.mpl_literal`)."""
    if title:
        fig.suptitle(mpl_literal(title))
    if not note:
        return
    width_in, height_in = fig.get_size_inches()
    wrapped = mpl_literal(textwrap.fill(str(note), width=max(40, int(width_in * 17))))
    n_lines = wrapped.count("\n") + 1
    band = min(0.4, (0.08 + 0.12 * n_lines) / height_in)
    fig.get_layout_engine().set(rect=(0, band, 1, 1 - band))
    fig.text(0.01, 0.01, wrapped, fontsize=7, ha="left", va="bottom", color="#333333")


# --------------------------------------------------------------------------- simple slopes

def simple_slopes_figure(lines, *, outcome: str = "CO", style: str = "avoidant",
                         genes: Sequence[str] = ("DRD4", "DRD2"), title: str | None = None,
                         assumption_note: str | None = None, conf_level: float = 0.95,
                         outcome_label: str | None = None, style_label: str | None = None,
                         rug: Sequence[float] | None = None,
                         figsize: tuple[float, float] | None = None):
    """Simple-slope plot: outcome against an attachment style, one line per genotype group.

    Produces the study's main figure (CO against avoidant attachment; DRD4 and
    DRD2 panels side by side).  Each line is the predicted outcome in one
    genotype group, ``estimate`` against ``style_value``, with the band from
    ``conf_low`` to ``conf_high`` exactly as given (nothing is recomputed).

    Parameters
    ----------
    lines : pandas.DataFrame
        Long format with columns ``outcome, gene, style, group, style_value,
        estimate, std_error, conf_low, conf_high``; rows for other outcomes or
        styles are ignored.  Groups: DRD4 ``"7R carrier"`` / ``"non-carrier"``;
        DRD2 ``"A2/A2"`` / ``"A1 carrier"`` (any other group names are drawn too).
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
        Axis labels; defaults such as "Customer orientation (CO, 1-9)".
    rug : sequence of float, optional
        Aggregated marks along the x axis (e.g. deciles of the style), pooled
        over genotype groups.  Never pass per-person values with genotypes.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _require(lines, _LINES_COLUMNS, "lines")
    frame = frame[(frame["outcome"] == outcome) & (frame["style"] == style)]
    absent = [g for g in genes if not (frame["gene"] == g).any()]
    if absent:
        raise ValueError(f"lines has no rows for outcome={outcome!r}, style={style!r}, gene(s) {absent}")
    with _rc():
        fig = _new_figure(figsize or (3.6 * len(genes) + 0.6, 3.8))
        axes = fig.subplots(1, len(genes), sharey=True, squeeze=False)[0]
        for ax, gene in zip(axes, genes):
            _slopes_panel(ax, frame[frame["gene"] == gene], gene, conf_level)
            ax.set_xlabel(_label(_STYLE_LABELS, style, style_label))
            if rug is not None:
                _draw_rug(ax, rug)
        axes[0].set_ylabel(_label(_OUTCOME_LABELS, outcome, outcome_label))
        _finish(fig, title, assumption_note)
    return fig


def _slopes_panel(ax, panel, gene: str, conf_level: float) -> None:
    for i, group in enumerate(_order_groups(panel["group"])):
        rows = panel[panel["group"] == group].sort_values("style_value")
        x = rows["style_value"].to_numpy(float)
        kw = _group_style(i)
        ax.fill_between(x, rows["conf_low"].to_numpy(float), rows["conf_high"].to_numpy(float),
                        color=kw["color"], alpha=0.18, linewidth=0)
        ax.plot(x, rows["estimate"].to_numpy(float), linewidth=2, label=mpl_literal(group),
                **kw)
    ax.set_title(_GENE_TITLES.get(gene, mpl_literal(gene)))
    ax.legend(title=mpl_literal(f"{gene} group (band: {100 * conf_level:g}% CI)"), frameon=False,
              loc="best")


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
    :meth:`analysis.probing.JohnsonNeyman.to_dict` (nothing is tested here).

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


def johnson_neyman_figure(grid, jn: Mapping, *, outcome: str, gene: str, style: str,
                          title: str | None = None, effect_label: str | None = None,
                          style_label: str | None = None, assumption_note: str | None = None,
                          figsize: tuple[float, float] = (5.6, 3.9)):
    """Johnson-Neyman plot: the genotype effect along an attachment style.

    Draws the conditional effect (``estimate``, band ``conf_low``..``conf_high``)
    against ``moderator_value``, a zero line, the significance region(s) shaded
    from the JN result, a vertical line at each boundary inside the observed
    range labelled with its value and the share of cases below / above
    (PROCESS's "% below / % above"), and the observed range of the style.
    The boundaries solve ``(b1 + b3 w)^2 = t*^2 (V11 + 2 w V13 + w^2 V33)``
    (Johnson & Fay 1950; Bauer & Curran 2005, doi:10.1207/s15327906mbr4003_5);
    they are taken from ``jn`` as given.

    Parameters
    ----------
    grid : pandas.DataFrame
        Columns ``moderator_value, estimate, std_error, conf_low, conf_high``.
    jn : dict or JohnsonNeyman
        :meth:`analysis.probing.JohnsonNeyman.to_dict` (or the object itself): ``bounds, in_range,
        significant_region, alpha, observed_range, share_below, share_above``
        (``fdr`` optional).
    outcome, gene, style : str
        Names used in labels.
    title, effect_label, style_label, assumption_note : str, optional
    figsize : (float, float)

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = _require(grid, _GRID_COLUMNS, "grid").sort_values("moderator_value")
    jn = jn.to_dict() if hasattr(jn, "to_dict") else jn
    missing = [k for k in _JN_KEYS if k not in jn]
    if missing:
        raise ValueError(f"jn lacks key(s) {missing}")
    with _rc():
        fig = _new_figure(figsize)
        ax = fig.add_subplot()
        _jn_regions(ax, jn)
        x = g["moderator_value"].to_numpy(float)
        ax.fill_between(x, g["conf_low"].to_numpy(float), g["conf_high"].to_numpy(float),
                        color=OKABE_ITO["blue"], alpha=0.2, linewidth=0,
                        label=f"{100 * (1 - float(jn['alpha'])):g}% CI")
        ax.plot(x, g["estimate"].to_numpy(float), color=OKABE_ITO["blue"], linewidth=2,
                label=mpl_literal(f"effect of {gene}"))
        ax.axhline(0.0, color=OKABE_ITO["black"], linewidth=0.8)
        _jn_bounds(ax, jn)
        _observed_range(ax, jn["observed_range"])
        ax.set_xlabel(_label(_STYLE_LABELS, style, style_label))
        ax.set_ylabel(mpl_literal(effect_label or f"Effect of {gene} genotype on {outcome}"))
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
    """Dashed line per in-range boundary; labels stacked so near bounds do not collide."""
    from matplotlib.transforms import blended_transform_factory
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    lo, hi = (float(v) for v in jn["observed_range"])
    shown = [(float(b), below, above) for b, ok, below, above in
             zip(jn["bounds"], jn["in_range"], jn["share_below"], jn["share_above"]) if ok]
    for k, (b, below, above) in enumerate(shown):
        ax.axvline(b, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=1)
        text = f"JN = {b:.2f}"
        if below is not None and above is not None:
            text += f"\n{100 * below:.0f}% below, {100 * above:.0f}% above"
        right = b <= (lo + hi) / 2  # label on the roomier side of the line
        ax.annotate(text, (b, 0.98 - 0.14 * k), xycoords=trans, xytext=(3 if right else -3, 0),
                    textcoords="offset points", fontsize=7, ha="left" if right else "right",
                    va="top", color=OKABE_ITO["vermillion"],
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})


def _observed_range(ax, observed: Sequence[float]) -> None:
    from matplotlib.transforms import blended_transform_factory
    lo, hi = (float(v) for v in observed)
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    ax.plot([lo, hi], [0.015, 0.015], transform=trans, color="#555555", linewidth=3,
            solid_capstyle="butt", label="observed range")


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


# --------------------------------------------------------------------------- saving

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

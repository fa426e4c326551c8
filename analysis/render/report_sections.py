"""Building blocks of the report page: sections, tables, human labels, glossary.

How to add content to a report (for every module that has something to show)
-----------------------------------------------------------------------------
The page has fixed places, in reading order::

    summary  -> figures -> methods -> results -> details -> glossary, reproducibility

``summary`` holds the claim cards and the verdict legend; ``details`` holds
the collapsed tables.  Content arrives as :class:`Section` objects passed to
:func:`analysis.render.report.write_report` (``sections=[...]``); the templates render
every section in its place, in ``order``, with a table-of-contents entry, in
HTML and Markdown alike.  Nobody needs to touch the templates::

    from analysis.render.report_sections import Section, Table
    Section(id="data-quality", title="Data quality", place="methods", order=20,
            paragraphs=("Straight-lining was screened with ...",),
            items=(("Attention checks", "3 of 250 failed ..."),),
            tables=(Table(name="attention_checks", frame=df, caption="Attention checks"),))

* ``paragraphs``: plain text (escaped for each medium; never HTML or Markdown).
* ``items``: ``(term, text)`` pairs rendered as a definition list.
* ``tables``: :class:`Table` objects; numbers are formatted by
  :mod:`analysis.render.apa` from the column kind, columns get human labels from
  :data:`COLUMN_LABELS` (extend with ``Table(labels={...})`` or
  :func:`register_labels`), ``conf_low``/``conf_high`` pairs are shown as one
  ``95% CI`` column.  ``collapsed=True`` (the default outside ``summary``)
  puts the table in a closed ``<details>``.  The full table also goes to
  ``tables/<name>.csv`` when ``csv=True``.
* ``figures``: names of figures passed to ``write_report(figures=...)``;
  ``figure_columns=2`` shows them side by side on wide screens.
* ``cards``: :class:`Card` objects (the claim cards of the summary).

Rendering never computes statistics: a section carries numbers already
computed; only their text is produced here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import apa

__all__ = ["Section", "Table", "Card", "PLACES", "COLUMN_LABELS", "GLOSSARY",
           "register_labels", "label_for", "term_label", "display_table"]

#: Where a section can go, in reading order.
PLACES = ("summary", "figures", "methods", "results", "details")


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A table to show: ``frame`` with a caption; labels and kinds may be overridden."""

    name: str
    frame: object = field(repr=False)
    caption: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    columns: Sequence[str] | None = None  # shown columns (all by default); CSV keeps all
    note: str = ""
    collapsed: bool = True
    csv: bool = False
    max_rows: int | None = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """One claim card: every string is already formatted (plain text)."""

    id: str
    statement: str
    verdict: str
    test: str = ""
    decision: str = ""
    equivalence: str = ""
    replication: str = ""
    why: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One block of the page (see the module docstring)."""

    id: str
    title: str
    place: str = "results"
    order: int = 50
    paragraphs: Sequence[str] = ()
    items: Sequence[tuple[str, str]] = ()
    tables: Sequence[Table] = ()
    figures: Sequence[str] = ()
    figure_columns: int = 1  # 2: figures side by side on wide screens (one column below 1000 px)
    cards: Sequence[Card] = ()
    subsections: Sequence["Section"] = ()

    def __post_init__(self):
        if self.place not in PLACES:
            raise ValueError(f"section {self.id!r}: place must be one of {PLACES}")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.id):
            raise ValueError(f"section id {self.id!r}: lower-case letters, digits and '-' only")


# --------------------------------------------------------------------------- labels

#: raw column name -> (human label, cell kind for :func:`analysis.render.apa.fmt_cell`).
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "id": ("Claim", "text"), "study": ("Study", "text"), "statement": ("Claim", "text"),
    "verdict": ("Verdict", "text"), "outcome": ("Outcome", "text"), "gene": ("Gene", "text"),
    "style": ("Attachment style", "text"), "term": ("Term", "text"), "group": ("Group", "text"),
    "genotype": ("Genotype", "text"), "locus": ("Locus", "text"), "allele": ("Allele", "text"),
    "coding": ("Coding", "text"), "scale": ("Scale", "text"), "variable": ("Variable", "text"),
    "model": ("Model", "text"), "method": ("Method", "text"), "quantity": ("Quantity", "text"),
    "severity": ("Severity", "text"), "code": ("Finding", "text"), "column": ("Column", "text"),
    "message": ("Message", "text"), "warning": ("Warning", "text"),
    "dimension": ("Choice", "text"), "eta_squared": ("η²", "unit"),
    "option_low": ("Option", "text"), "median_low": ("Median", "number"),
    "estimate": ("b", "number"), "std_error": ("SE", "number"), "statistic": ("t", "stat"),
    "df": ("df", "df"), "p_value": ("p", "p"), "p_holm": ("p (Holm)", "p"),
    "p_bh": ("p (BH)", "p"), "p_decision": ("p deciding", "p"),
    "conf_low": ("CI lower", "number"), "conf_high": ("CI upper", "number"),
    "boot_std_error": ("Bootstrap SE", "number"), "boot_conf_low": ("Bootstrap CI lower", "number"),
    "boot_conf_high": ("Bootstrap CI upper", "number"),
    "pct_conf_low": ("Percentile CI lower", "number"), "pct_conf_high": ("Percentile CI upper", "number"),
    "boot_method": ("Bootstrap interval", "text"), "n_boot": ("Resamples", "int"),
    "n_failed": ("Failed resamples", "int"),
    "r2": ("R²", "unit"), "r2_change": ("ΔR²", "unit"), "f2": ("f²", "number"), "r": ("r", "unit"),
    "n": ("n", "int"), "k": ("Items", "int"), "n_group": ("n in group", "int"),
    "n_rows": ("Rows", "int"), "n_terms": ("Terms", "int"), "count": ("Count", "int"),
    "share": ("Share", "unit"), "frequency": ("Frequency", "unit"),
    "mean": ("M", "number"), "sd": ("SD", "number"), "min": ("Min", "number"),
    "max": ("Max", "number"),
    "alpha": ("Cronbach's α", "unit"), "standardized_alpha": ("Standardized α", "unit"),
    "omega": ("McDonald's ω", "unit"),
    "p_value_multiallelic": ("p (multi-allelic)", "p"),
    "heterozygosity_observed": ("Heterozygosity observed", "unit"),
    "heterozygosity_expected": ("Heterozygosity expected", "unit"),
    "probability": ("Replication probability", "unit"), "mc_se": ("Monte Carlo SE", "number"),
    "n_sims": ("Simulated studies", "int"),
    "share_reproduced": ("Share reproduced", "unit"), "share_partial": ("Share partial", "unit"),
    "share_not_reproduced": ("Share not reproduced", "unit"),
    "share_contradicted": ("Share contradicted", "unit"),
    "replication_probability": ("Replication probability", "unit"),
    "equivalence": ("Equivalence", "text"), "tost_p": ("p (TOST)", "p"), "sesoi": ("SESOI", "number"),
    "fieller_low": ("Fieller CI lower", "number"), "fieller_high": ("Fieller CI upper", "number"),
    "poi_right": ("Share right of crossover", "unit"), "classification": ("Interaction type", "text"),
    "bound_low": ("Observed min", "number"), "bound_high": ("Observed max", "number"),
    "unstable": ("Unstable group", "text"), "skipped": ("Skipped", "text"),
    "omnibus_f": ("Omnibus F", "stat"), "omnibus_df1": ("df1", "df"), "omnibus_df2": ("df2", "df"),
    "omnibus_p": ("Omnibus p", "p"),
    "significant_region": ("Significant region", "text"),
    "region_unrestricted": ("Region (unrestricted)", "text"), "t_crit": ("Critical t", "stat"),
    "observed_min": ("Observed min", "number"), "observed_max": ("Observed max", "number"),
    "bound_1": ("JN bound 1", "number"), "bound_1_in_range": ("Bound 1 in range", "text"),
    "share_below_1": ("Share below bound 1", "unit"), "bound_2": ("JN bound 2", "number"),
    "bound_2_in_range": ("Bound 2 in range", "text"), "share_below_2": ("Share below bound 2", "unit"),
    "moderator_value": ("Moderator value", "number"), "style_value": ("Style value", "number"),
    "name": ("Name", "text"), "value": ("Value", "general"), "source": ("Source", "text"),
    "description": ("Description", "text"), "unit": ("Unit", "text"),
    "parameter": ("Parameter", "code"), "basis": ("Basis", "text"),
    "susceptible_group": ("Susceptible group", "text"), "favourable_end": ("Favourable end", "text"),
    "crossover": ("Crossover", "number"), "crossover_conf_low": ("Crossover CI lower", "number"),
    "crossover_conf_high": ("Crossover CI upper", "number"), "best_bic": ("Best model (BIC)", "text"),
    "best_aic": ("Best model (AIC)", "text"), "p_strong_ds": ("p (strong vs weak DS)", "p"),
    "p_diathesis_stress": ("p (diathesis-stress)", "p"), "p_vantage": ("p (vantage)", "p"),
    "pa": ("PA", "unit"), "claim": ("Claim", "text"),
    "original_estimate": ("Original", "number"), "replication_estimate": ("Replication", "number"),
    "replication_conf_low": ("Replication CI lower", "number"),
    "replication_conf_high": ("Replication CI upper", "number"),
    "same_direction_significant": ("Significant, same direction", "text"),
    "original_in_replication_ci": ("Original inside CI", "text"),
    "replication_in_prediction_interval": ("Inside prediction interval", "text"),
    "small_telescope_p": ("p (small telescope)", "p"), "bayes_factor_r0": ("Replication BF", "general"),
}

#: Glossary shown at the end of the page: term -> explanation (plain text).
GLOSSARY: dict[str, str] = {
    "b": "Unstandardized regression coefficient (estimate), in units of the outcome per unit "
         "of the predictor.",
    "SE": "Standard error of the estimate (type given under Methods).",
    "t": "Test statistic b / SE, compared with a t distribution with df degrees of freedom.",
    "df": "Residual degrees of freedom (n minus the number of model terms).",
    "p": "Two-sided p-value; '< .001' means below one in a thousand.",
    "p (Holm), p (BH)": "p-values adjusted within the family of tests (Holm 1979 step-down; "
                        "Benjamini & Hochberg 1995).",
    "CI": "Confidence interval at the stated level (95% unless stated otherwise).",
    "R², ΔR², f²": "Explained variance, its increase when the interaction is added, and "
                   "Cohen's f² = ΔR² / (1 - R²).",
    "SESOI": "Smallest effect size of interest: the equivalence bound (an assumption).",
    "TOST": "Two one-sided tests of equivalence (Schuirmann 1987): evidence that the effect "
            "lies inside ±SESOI.",
    "JN": "Johnson-Neyman bound: the moderator value where the genotype effect changes from "
          "significant to not significant.",
    "Replication probability": "Share of simulated studies of this size, under the assumed "
                               "effects, whose verdict is 'reproduced'.",
    "α, ω": "Reliability: Cronbach's alpha and McDonald's omega (one-factor model).",
}


def register_labels(labels: Mapping[str, tuple[str, str]]) -> None:
    """Add ``{raw column: (label, kind)}`` entries (kinds: :data:`analysis.render.apa.KINDS`)."""
    for key, (label, kind) in labels.items():
        if kind not in apa.KINDS:
            raise ValueError(f"unknown cell kind {kind!r} for column {key!r}")
        COLUMN_LABELS[str(key)] = (str(label), kind)


_GENE_TERMS = {"drd2_a1_carrier": "DRD2 A1 carrier", "drd4_7r_carrier": "DRD4 7R carrier",
               "Intercept": "Intercept"}


def term_label(term) -> str:
    """Human name of a model term: ``avoidant:drd4_7r_carrier -> 'avoidant × DRD4 7R carrier'``.

    >>> term_label("avoidant:drd4_7r_carrier")
    'avoidant × DRD4 7R carrier'
    """
    parts = str(term).split(":")
    return " × ".join(_GENE_TERMS.get(p, p) for p in parts)


def _humanize(name: str) -> str:
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


def label_for(column: str, labels: Mapping[str, str] | None = None) -> str:
    """Human label of a raw column name."""
    if labels and column in labels:
        return labels[column]
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column][0]
    return _humanize(column)


def _kind_for(column: str, series, kinds: Mapping[str, str]) -> str:
    import numpy as np
    import pandas as pd
    if column in kinds:
        return kinds[column]
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column][1]
    low = column.lower()
    if low in {"p", "pvalue"} or low.startswith("p_") or low.endswith("_p"):
        return "p"
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        return "text"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "int"
    v = series.to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    if v.size and np.all(v == np.round(v)) and np.all(np.abs(v) < 1e15):
        return "int"
    return "number"


def _text_cell(column: str, value) -> str:
    if column == "term" and not apa.is_missing(value):
        return term_label(value)
    if column in ("variable",) and str(value) in _GENE_TERMS:
        return _GENE_TERMS[str(value)]
    if column in ("code", "classification", "significant_region", "region_unrestricted",
                  "boot_method", "quantity", "best_bic", "best_aic") and not apa.is_missing(value):
        return str(value).replace("_", " ")
    text = gene_words(apa.fmt_cell(value, "text"))
    # numbers inside ready-made sentences: no scientific notation (formatting only)
    return _SCI.sub(lambda m: apa.fmt_cell(float(m.group(0)), "general"), text)


_SCI = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][-+]?\d+(?![\w.])")
_GENE_WORDS = re.compile(r"(?<![\w.])(" + "|".join(k for k in _GENE_TERMS if "_" in k)
                         + r")(?![\w])")


def gene_words(text: str) -> str:
    """Raw genotype-coding column names inside text, in words (multiverse options, sentences).

    >>> gene_words("[drd2_a1a1, drd2_a1_carrier] with 'drd4_7r_carrier'")
    "[drd2_a1a1, DRD2 A1 carrier] with 'DRD4 7R carrier'"
    """
    return _GENE_WORDS.sub(lambda m: _GENE_TERMS[m.group(1)], str(text))


def _ci_pairs(columns: Sequence[str]) -> dict[str, str]:
    """``{low column: high column}`` for every ``*conf_low``/``*_low`` pair shown as one CI."""
    pairs = {}
    for c in columns:
        for lo, hi in (("conf_low", "conf_high"), ("_low", "_high")):
            if c.endswith(lo) and c[: -len(lo)] + hi in columns:
                pairs[c] = c[: -len(lo)] + hi
                break
    return pairs


def _ci_label(low: str, labels: Mapping[str, str], conf_level: float) -> str:
    base = label_for(low, labels)
    base = re.sub(r"\s*lower$", "", base)
    level = f"{100 * conf_level:g}% "
    if base in ("CI", "Observed min"):
        return f"{level}CI" if base == "CI" else "Observed range"
    return base.replace("CI", f"{level}CI") if "CI" in base else f"{base} range"


def display_table(table: Table, conf_level: float = 0.95) -> dict:
    """Header, formatted rows and alignment of a :class:`Table` for the templates.

    Returns ``{"header", "rows", "text", "code", "hidden", "name", "caption", "note",
    "collapsed", "file"}``; every cell is a string (formatted by :mod:`analysis.render.apa`);
    ``text``/``code`` flag left-aligned and identifier (``<code>``) columns.
    """
    import pandas as pd
    frame = table.frame
    if any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    cols = [str(c) for c in (table.columns if table.columns is not None else frame.columns)]
    frame = frame.rename(columns=str)
    pairs = _ci_pairs(cols)
    highs = set(pairs.values())
    header, makers, text, code = [], [], [], []
    for c in cols:
        if c in highs:
            continue
        if c in pairs:
            header.append(_ci_label(c, table.labels, conf_level))
            lo, hi = frame[c], frame[pairs[c]]
            kind = _kind_for(c, lo, table.kinds)
            fmt = (apa.fmt_number if kind == "number"
                   else (lambda v, k=kind: gene_words(apa.fmt_cell(v, k))))
            makers.append(lambda i, lo=lo, hi=hi, fmt=fmt: (
                "NA" if apa.is_missing(lo.iat[i]) else f"[{fmt(lo.iat[i])}, {fmt(hi.iat[i])}]"))
            text.append(False)
            code.append(False)
            continue
        kind = _kind_for(c, frame[c], table.kinds)
        header.append(label_for(c, table.labels))
        series = frame[c]
        if kind in ("text", "code"):
            makers.append(lambda i, s=series, c=c: _text_cell(c, s.iat[i]))
        else:
            makers.append(lambda i, s=series, k=kind: apa.fmt_cell(s.iat[i], k))
        text.append(kind in ("text", "general", "code"))
        code.append(kind == "code")
    n = len(frame) if table.max_rows is None else min(len(frame), table.max_rows)
    rows = [[m(i) for m in makers] for i in range(n)]
    return {"name": table.name, "caption": table.caption or _humanize(table.name),
            "header": header, "rows": rows, "text": text, "code": code,
            "hidden": len(frame) - n,
            "note": table.note, "collapsed": table.collapsed,
            "file": f"tables/{_file_name(table.name)}.csv" if table.csv else None,
            "slug": re.sub(r"[^a-z0-9-]+", "-", table.name.lower()).strip("-")}


def _file_name(name: str) -> str:
    """The CSV file name :mod:`analysis.render.report` gives a table (same rule)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "unnamed"


def is_empty(frame) -> bool:
    """True for a frame without rows (nothing to show)."""
    return frame is None or len(frame) == 0


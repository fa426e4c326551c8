"""Privacy by construction: which columns are sensitive, and small-cell suppression.

Genotypes are sensitive personal data, and a participant id links a row to a
person.  Two rules hold for every command (messages, logs, reports, figures,
manifests):

1. **No value of a sensitive column is ever shown.**  A column is sensitive
   if the codebook says so (its genotype and id columns), *or* its values
   parse as genotypes (any notation :mod:`analysis.measures.genotypes` reads), *or* it
   looks like an identifier (every non-missing value distinct, at least two
   of them, and not a float column with fractional values).  Errors on such
   a column name the file, the column and row numbers only
   (``InputError(..., sensitive=True)``).
2. **Small cells are suppressed, not only flagged.**  A row of a published
   table that describes fewer than ``min_group_size`` people (the codebook's,
   default 10) keeps its labels but loses every number: estimates, standard
   errors, statistics, p-values and intervals are blanked, the count reads
   ``"< 10"`` and a ``suppressed`` column says ``"n < 10, suppressed"``.
   Counts of alleles or genotypes from 1 to ``min_group_size - 1`` read
   ``"< 10"`` (a zero stays 0: it describes nobody), and their shares are
   blanked.  Figures draw no group that is suppressed in the tables.

API
---
``sensitive_columns(frame, codebook=None) -> set[str]``
``is_sensitive(values, *, name=None, codebook=None) -> bool``
``looks_like_genotypes(values) -> bool`` / ``looks_like_identifier(values) -> bool``
``suppression_note(k) -> str`` -- ``"n < k, suppressed"``
``small_count(n, k)`` -- ``n`` or ``"< k"`` (for display columns)
``suppress_rows(frame, small, *, k, count_columns=(), keep=()) -> DataFrame``
    Blank every non-label column of the rows where ``small`` is True.
``suppress_counts(frame, count_column, *, k, blank=(...)) -> DataFrame``
    Counts below ``k`` shown as ``"< k"``, their share/frequency blanked.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"group": ["A2/A2", "A1/A1"], "estimate": [0.2, 0.9], "n_group": [150, 3]})
>>> suppress_rows(t, t["n_group"] < 10, k=10, count_columns=["n_group"]).to_dict("list")
... # doctest: +NORMALIZE_WHITESPACE
{'group': ['A2/A2', 'A1/A1'], 'estimate': [0.2, nan], 'n_group': [150, '< 10'],
 'suppressed': ['', 'n < 10, suppressed']}
>>> sorted(sensitive_columns(pd.DataFrame({"id": ["p1", "p2", "p3"], "g": ["4/7", "4/4", "4/7"],
...                                        "co": [5.5, 6.0, 5.5]})))
['g', 'id']
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["sensitive_columns", "is_sensitive", "looks_like_genotypes", "looks_like_identifier",
           "suppression_note", "small_count", "suppress_rows", "suppress_counts",
           "DEFAULT_MIN_GROUP_SIZE", "SUPPRESSED_COLUMN"]

DEFAULT_MIN_GROUP_SIZE = 10
SUPPRESSED_COLUMN = "suppressed"
_GENOTYPE_SHARE = 0.5
_ID_PREFIX = 1000
_LABEL_COLUMNS = {"study", "outcome", "gene", "style", "group", "genotype", "term", "locus",
                  "allele", "coding", "label", "quantity", "model", "variable", "scale", "method",
                  "kind", "target", "id", "statement", "verdict", "classification", "boot_method",
                  "skipped", "unstable", "in_group_range", "severity", "code", "column", "message",
                  SUPPRESSED_COLUMN}


# ------------------------------------------------------------------ sensitive columns

def looks_like_genotypes(values) -> bool:
    """True when at least half the non-missing text values parse as DRD2 or DRD4 genotypes."""
    from .measures.genotypes import _DEFAULT_SNP_MAP, _parse_drd2, _parse_drd4, _token
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    tokens = [t for t in (_token(v) for v in series.dropna().unique()) if t is not None]
    if not tokens:
        return False
    hits = sum(_parse_drd2(t, _DEFAULT_SNP_MAP) is not None or _parse_drd4(t) is not None
               for t in tokens)
    return hits >= _GENOTYPE_SHARE * len(tokens)


def looks_like_identifier(values) -> bool:
    """True when every non-missing value is distinct (>= 2 of them) and the column is not a
    float measurement (floats with fractional parts are scores, not ids)."""
    series = pd.Series(values)
    try:                        # a repeat among the first values settles it (rating items)
        if not series.iloc[:_ID_PREFIX].dropna().is_unique:
            return False
    except TypeError:
        return False
    series = series.dropna()
    if len(series) < 2 or pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_float_dtype(series):
        arr = series.to_numpy(dtype=float)
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            return False
    try:
        return bool(series.is_unique)
    except TypeError:
        return False


def is_sensitive(values, *, name=None, codebook=None) -> bool:
    """Whether values of this column may never be shown (see the module docstring)."""
    if codebook is not None and name is not None and name in codebook.sensitive_columns():
        return True
    return looks_like_genotypes(values) or looks_like_identifier(values)


def sensitive_columns(frame: pd.DataFrame, codebook=None) -> set[str]:
    """Every sensitive column of ``frame`` (codebook's genotype/id columns included)."""
    out = set(codebook.sensitive_columns()) if codebook is not None else set()
    for col in frame.columns:
        if col not in out and is_sensitive(frame[col]):
            out.add(col)
    return out


# ------------------------------------------------------------------ suppression

def suppression_note(k: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """The words every suppressed cell carries: ``'n < 10, suppressed'``."""
    return f"n < {int(k)}, suppressed"


def small_count(n, k: int = DEFAULT_MIN_GROUP_SIZE):
    """``n`` unchanged when 0, missing or >= ``k``; else the text ``'< k'``."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return n
    return f"< {int(k)}" if 0 < n < k else n


def suppress_rows(frame: pd.DataFrame, small, *, k: int = DEFAULT_MIN_GROUP_SIZE,
                  count_columns: Sequence[str] = (), keep: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` whose ``small`` rows keep only their labels.

    Every column that is not a label (``group``, ``gene``, ``term``, ...; see
    ``_LABEL_COLUMNS``) nor in ``keep`` is blanked (NaN) in those rows; the
    ``count_columns`` read ``"< k"``; a ``suppressed`` column holds the note
    (added only when a row is suppressed).  Other rows are untouched.
    """
    mask = np.asarray(pd.Series(list(small) if not hasattr(small, "index") else small,
                                index=frame.index).fillna(False), dtype=bool)
    if not mask.any():
        return frame.copy()
    out = frame.copy()
    note = np.where(mask, suppression_note(k), "")
    if SUPPRESSED_COLUMN in out.columns:
        prev = out[SUPPRESSED_COLUMN].fillna("").astype(str).to_numpy()
        note = np.where(mask, note, prev)
    out[SUPPRESSED_COLUMN] = note
    keep = set(keep) | _LABEL_COLUMNS
    for col in out.columns:
        if col in keep or col in count_columns:
            continue
        out[col] = out[col].astype(object) if out[col].dtype == bool else out[col]
        out.loc[mask, col] = np.nan
    for col in count_columns:
        if col in out.columns:
            out[col] = out[col].astype(object)
            out.loc[mask, col] = f"< {int(k)}"
    return out


def suppress_counts(frame: pd.DataFrame, count_column: str, *, k: int = DEFAULT_MIN_GROUP_SIZE,
                    blank: Sequence[str] = ("share", "frequency")) -> pd.DataFrame:
    """Counts from 1 to ``k - 1`` shown as ``"< k"`` and their ``blank`` columns emptied."""
    out = frame.copy()
    if count_column not in out.columns or out.empty:
        return out
    n = pd.to_numeric(out[count_column], errors="coerce")
    small = ((n > 0) & (n < k)).to_numpy()
    if small.any():
        out[count_column] = out[count_column].astype(object)
        out.loc[small, count_column] = f"< {int(k)}"
        for col in blank:
            if col in out.columns:
                out.loc[small, col] = np.nan
    return out


# ------------------------------------------------------------------ the report's tables

#: The carrier column of each gene in an analysis frame.
GENE_COLUMNS = {"DRD2": "drd2_a1_carrier", "DRD4": "drd4_7r_carrier"}
_GENE_LEVEL_TABLES = ("study2_interactions", "study2_bootstrap", "study2_crossover",
                      "study2_johnson_neyman", "study2_gene_effect_grid", "study2_keller",
                      "study2_gene_style_correlation")
_GROUP_KEYS = ["outcome", "gene", "style", "group"]


def small_genes(frame: pd.DataFrame, k: int = DEFAULT_MIN_GROUP_SIZE) -> set[str]:
    """Genes whose carrier or non-carrier group has fewer than ``k`` people in ``frame``."""
    out = set()
    for gene, col in GENE_COLUMNS.items():
        if col in frame.columns:
            counts = frame[col].dropna().value_counts()
            if len(counts) and (counts.min() < k or len(counts) < 2):
                out.add(gene)
    return out


def _mentions(terms: pd.Series, genes: set[str]) -> np.ndarray:
    cols = [GENE_COLUMNS[g] for g in genes]
    return terms.astype(str).map(lambda t: any(c in t for c in cols)).to_numpy()


def suppress_tables(tables: dict, *, k: int, small1: set[str], small2: set[str]) -> dict:
    """The report's tables with every cell of fewer than ``k`` people suppressed.

    ``small1``/``small2``: genes with a carrier group below ``k`` in Study 1 /
    Study 2 (:func:`small_genes`).  Gene-level tables (every ``study2_*`` table
    with a ``gene`` column, the replication metrics by claim) lose the rows of
    those genes; group-level tables (simple slopes, DRD2 genotype slopes, predicted
    lines, bootstrap slopes) the rows of groups below ``k``; genotype and
    allele counts below ``k`` read ``"< k"``; correlations with a small
    gene's carrier column are blanked.  Tables not named here pass unchanged.
    """
    out = dict(tables)
    small_slopes = None
    for name, frame in tables.items():
        if name == "study1_models" and small1 and "term" in frame:
            out[name] = suppress_rows(frame, _mentions(frame["term"], small1), k=k)
        elif (name in _GENE_LEVEL_TABLES or name.startswith("study2_")) and small2 \
                and "gene" in frame:
            out[name] = suppress_rows(frame, frame["gene"].isin(small2), k=k)
        elif name == "replication_metrics" and "claim" in frame and (small1 | small2):
            out[name] = suppress_rows(frame, frame["claim"].isin(_claims_of(small1 | small2)),
                                      k=k)
        elif name.endswith("genotype_counts"):
            out[name] = suppress_counts(frame, "n", k=k)
        elif name == "allele_frequencies":
            out[name] = suppress_counts(frame, "count", k=k)
        elif name.endswith("descriptives_correlations"):
            genes = small1 if name.startswith("study1") else small2
            out[name] = _blank_correlations(frame, genes)
    for name, col in (("study2_simple_slopes", "n_group"), ("study2_genotype_slopes_drd2", "n_group")):
        if name in out and col in out[name]:
            frame = out[name]
            n = pd.to_numeric(frame[col], errors="coerce")
            small = (n < k).to_numpy()
            out[name] = suppress_rows(frame, small, k=k, count_columns=[col])
            if name == "study2_simple_slopes":
                small_slopes = frame.loc[small, _GROUP_KEYS]
    if small_slopes is not None and len(small_slopes):
        out.update(_suppress_group_rows(out, small_slopes, k))
    return out


def _blank_correlations(frame: pd.DataFrame, genes: set[str]) -> pd.DataFrame:
    cols = [GENE_COLUMNS[g] for g in genes if GENE_COLUMNS[g] in frame.columns]
    if not cols:
        return frame
    out = frame.copy()
    out[cols] = np.nan
    if "variable" in out:
        out.loc[out["variable"].isin(cols), [c for c in out.columns if c != "variable"]] = np.nan
    return out


def _suppress_group_rows(tables: dict, small: pd.DataFrame, k: int) -> dict:
    """Predicted lines and bootstrap slopes of the groups suppressed in the simple slopes."""
    keys = set(map(tuple, small.astype(str).to_numpy()))
    out = {}
    lines = tables.get("study2_predicted_lines")
    if lines is not None and set(_GROUP_KEYS) <= set(lines.columns):
        hit = [tuple(map(str, r)) in keys for r in lines[_GROUP_KEYS].to_numpy()]
        out["study2_predicted_lines"] = suppress_rows(lines, hit, k=k)
    boot = tables.get("study2_bootstrap")
    if boot is not None and {"quantity", "outcome", "gene", "style"} <= set(boot.columns):
        grp = boot["quantity"].astype(str).str.removeprefix("slope: ")
        hit = [(str(o), str(g), str(s), str(q)) in keys and qq.startswith("slope: ")
               for o, g, s, q, qq in zip(boot["outcome"], boot["gene"], boot["style"], grp,
                                         boot["quantity"].astype(str))]
        out["study2_bootstrap"] = suppress_rows(boot, hit, k=k)
    return out


def _claims_of(genes: set[str]) -> set[str]:
    """Ids of the claims resting on any of ``genes`` (family claims: any member)."""
    from .study.claims import CLAIMS
    return {c.id for c in CLAIMS if {c.gene, *(m[1] for m in (c.members or ()))} & genes}


def suppress_scorecard(records: list[dict], *, k: int, small: set[str]) -> list[dict]:
    """Scorecard entries resting on a gene with a group below ``k``: numbers blanked."""
    hit = _claims_of(small)
    out = []
    for rec in records:
        rec = dict(rec)
        if rec.get("id") in hit:
            for key in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
                if key in rec:
                    rec[key] = None
            for key in ("equivalence", "replication_metrics"):
                if rec.get(key) is not None:
                    rec[key] = None
            rec[SUPPRESSED_COLUMN] = suppression_note(k)
        out.append(rec)
    return out

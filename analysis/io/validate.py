"""Check a data set against its codebook, report every problem, build the analysis frame.

:func:`validate` runs every check in one pass and returns a
:class:`ValidationReport`: each :class:`Problem` names the file, column,
1-based data rows and (where it is safe) the offending values, and is an
**error** (the analysis cannot run) or a **warning** (it can, but look).
Values from genotype and id columns are never shown, only row numbers.

:func:`prepare` returns the analysis-ready frame (the contract with the
replication pipeline, which analyses simulated data through this same path):

======================  =====================================================
column                  meaning
======================  =====================================================
``id``                  respondent id (only when the codebook names one)
``CO``, ``SO``          customer / sales orientation scores (item means)
``secure``, ``anxious``,
``avoidant``            attachment scores (when in the codebook)
``drd2_a1_carrier``     1 = A1/A1 or A1/A2, 0 = A2/A2
``drd2_genotype``       ``"A1/A1"``, ``"A1/A2"``, ``"A2/A2"``
``drd2_a1_count``       number of A1 alleles, 0-2
``drd4_7r_carrier``     1 = at least one 7-repeat allele
``drd4_7r_count``       number of 7R alleles, 0-2
covariates              under their own names, as numbers
======================  =====================================================

Rows stay in file order (one per data row, incomplete rows kept with NaN);
columns of a scale or locus that the codebook does not define are absent.

Checks: unknown columns (with close-name suggestions), empty data, duplicate
or missing ids, missing-value codes applied (and codes that are also valid
answers), text in a numeric item, out-of-range and non-integer answers, rows
without enough answers for a score, a scale missing for everyone, a constant
scale, low reliability (alpha < .6), items that correlate negatively with their
scale (a forgotten reverse key?), unparseable genotypes, no-calls, genotype
groups below ``min_group_size`` (warning) or of size 0-1 (error: the model is
not estimable), Hardy-Weinberg p < .05, a likely strand flip, non-numeric or
constant covariates (a two-valued text covariate such as gender is coded 0/1 by
meaning: the codebook's ``reference`` value is 0, recognised carrier labels code
the carrier as 1, anything else is an error asking for the reference; never
alphabetically), and too few complete rows per fitted model (``complete_rows``).
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from .codebook import OUTCOMES, SCALES, Codebook

__all__ = ["Problem", "ValidationReport", "validate", "prepare", "validate_and_prepare",
           "LOW_ALPHA"]

LOW_ALPHA = 0.6
_MIN_ESTIMABLE = 2          # a genotype group needs at least 2 people for a slope
_SMALL_SAMPLE = 30
_BASE_PARAMETERS = 4        # b0, gene, attachment, gene x attachment


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One finding.  ``severity`` is ``"error"`` or ``"warning"``; ``code`` a
    short identifier (``unknown_column``, ``duplicate_id``, ...); ``rows`` are
    1-based data rows; ``values`` are withheld for genotype and id columns."""

    severity: str
    code: str
    message: str
    file: str | None = None
    column: str | None = None
    rows: tuple[int, ...] = ()
    values: tuple = ()
    hint: str | None = None

    @property
    def text(self) -> str:
        """One line: where, what, values, hint (the InputError format)."""
        return self.to_input_error().message

    def to_input_error(self) -> InputError:
        return InputError(self.message, file=self.file, column=self.column,
                          rows=list(self.rows), values=list(self.values) or None,
                          hint=self.hint)

    def to_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "file": self.file,
                "column": self.column, "rows": [int(r) for r in self.rows],
                "values": [_json_value(v) for v in self.values], "message": self.message,
                "hint": self.hint, "text": self.text}


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationReport:
    """All problems found in one pass, plus aggregate details.

    Attributes
    ----------
    file, codebook : str or None
        Data file and codebook file.
    n_rows : int
    problems : tuple of Problem
    notes : tuple of str
        What was done (reader notes, missing codes applied, counts).
    details : dict
        Aggregates only: reliability per scale, HWE and genotype counts per
        locus, complete rows.
    """

    file: str | None
    codebook: str | None
    n_rows: int
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def to_dict(self) -> dict:
        return {"file": self.file, "codebook": self.codebook, "n_rows": self.n_rows,
                "ok": self.ok, "n_errors": len(self.errors), "n_warnings": len(self.warnings),
                "errors": [p.to_dict() for p in self.errors],
                "warnings": [p.to_dict() for p in self.warnings],
                "notes": list(self.notes), "details": _jsonable(self.details)}

    def summary(self) -> str:
        head = (f"Validation of {self.file!r} with codebook {self.codebook!r}: "
                f"{self.n_rows} rows; {len(self.errors)} error(s), "
                f"{len(self.warnings)} warning(s).")
        verdict = ("OK: the analysis can run." if self.ok
                   else "NOT OK: fix the errors before the analysis can run.")
        lines = [head, verdict]
        for title, items in (("Errors (the analysis cannot run):", self.errors),
                             ("Warnings (the analysis can run; check these):", self.warnings)):
            if items:
                lines += ["", title] + [f"  - {p.text}" for p in items]
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def _json_value(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return None if not math.isfinite(v) else v
    if isinstance(v, (int, str, bool)) or v is None:
        return v
    return str(v)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return _json_value(obj)


# ------------------------------------------------------------------ the checker
class _Checker:
    """Mutable working state of one validation pass (private)."""

    def __init__(self, dataset, codebook: Codebook):
        self.ds, self.cb = dataset, codebook
        self.file = dataset.path
        self.frame = dataset.frame.reset_index(drop=True)
        self.problems: list[Problem] = []
        self.notes: list[str] = list(dataset.notes)
        self.details: dict = {}
        self.missing_columns: set[str] = set()
        self.out: dict[str, pd.Series] = {}
        from ..privacy import sensitive_columns
        # the codebook's genotype/id columns, and any column whose values parse as genotypes
        # or look like identifiers: their values never reach a message
        self.sensitive = sensitive_columns(self.frame, codebook)
        self.label_counts: dict[str, int] = {}

    def add(self, severity: str, code: str, message: str, *, column=None, rows=(),
            values=(), hint=None) -> None:
        if column is not None and column in self.sensitive:
            values = ()
        self.problems.append(Problem(
            severity=severity, code=code, message=message, file=self.file,
            column=None if column is None else str(column),
            rows=tuple(int(r) for r in rows), values=tuple(_unique(values)), hint=hint))

    def present(self, column: str) -> bool:
        return column not in self.missing_columns


def _unique(values) -> list:
    seen, out = set(), []
    for v in values:
        key = repr(v)
        if key not in seen:
            seen.add(key)
            out.append(v.item() if isinstance(v, np.generic) else v)
    return out


def _rows(mask) -> list[int]:
    return (np.flatnonzero(np.asarray(mask, dtype=bool)) + 1).tolist()


# ------------------------------------------------------------------ entry points
def validate(dataset, codebook: Codebook) -> ValidationReport:
    """Check ``dataset`` (:class:`analysis.io.readers.Dataset`) against ``codebook``.

    Every check runs; nothing is raised for problems in the data (they are
    reported).  Raises :class:`InputError` only for arguments of the wrong type.

    Examples
    --------
    >>> from analysis.io.readers import Dataset
    >>> df = pd.DataFrame({"c1": [1, 2, 3], "c2": [2, 3, 9], "g": ["4/7", "4/4", "7/7"]})
    >>> cb = Codebook.from_dict({"scales": {"CO": {"items": ["c1", "c2", "c3"],
    ...                          "min": 1, "max": 5}}, "genotypes": {"DRD4": {"column": "g"}}})
    >>> report = validate(Dataset.from_frame(df, path="d.csv"), cb)
    >>> [p.code for p in report.errors][:2]
    ['unknown_column', 'out_of_range']
    """
    return _run(dataset, codebook)[0]


def prepare(dataset, codebook: Codebook) -> pd.DataFrame:
    """The analysis-ready frame (see the module docstring for its columns).

    Raises
    ------
    InputError
        The first error of :func:`validate` (values withheld for genotype and
        id columns), with a hint to run ``salesgxe validate`` for the rest.
    """
    return _report_and_frame(dataset, codebook)[1]


def validate_and_prepare(dataset, codebook: Codebook) -> tuple[ValidationReport, pd.DataFrame]:
    """Both in one pass: the report and the analysis frame (raises like :func:`prepare`)."""
    return _report_and_frame(dataset, codebook)


def _report_and_frame(dataset, codebook):
    report, frame = _run(dataset, codebook)
    if not report.ok:
        first = report.errors[0]
        more = len(report.errors) - 1
        hint = (first.hint + ". " if first.hint else "") + (
            f"{more} more error(s): run `salesgxe validate` to see them all" if more else
            "Run `salesgxe validate` for the full report")
        raise InputError(first.message, file=first.file, column=first.column,
                         rows=list(first.rows), values=list(first.values) or None, hint=hint,
                         sensitive=first.column in codebook.sensitive_columns())
    return report, frame


def _run(dataset, codebook) -> tuple[ValidationReport, pd.DataFrame | None]:
    if not isinstance(codebook, Codebook):
        raise InputError("validate needs a Codebook (use Codebook.load(path))")
    if not hasattr(dataset, "frame") or not isinstance(dataset.frame, pd.DataFrame):
        raise InputError("validate needs a Dataset (use analysis.io.readers.read_data(path))")
    chk = _Checker(dataset, codebook)
    frame = None
    if _check_shape(chk):
        _check_columns(chk)
        _apply_missing_codes(chk)
        _check_id(chk)
        for name, spec in codebook.scales.items():
            _check_scale(chk, name, spec)
        _check_scale_structure(chk)
        for locus, spec in codebook.genotypes.items():
            _check_genotype(chk, locus, spec)
        _check_covariates(chk)
        frame = _assemble(chk)
        _check_complete(chk, frame)
        _check_models(chk, frame)
    report = ValidationReport(file=chk.file, codebook=codebook.path,
                              n_rows=int(chk.frame.shape[0]), problems=tuple(chk.problems),
                              notes=tuple(chk.notes), details=chk.details)
    return report, frame


# ------------------------------------------------------------------ structure
def _check_shape(chk: _Checker) -> bool:
    if chk.frame.shape[1] == 0:
        chk.add("error", "empty", "the data have no columns")
        return False
    if chk.frame.shape[0] == 0:
        chk.add("error", "empty", "the data have a header but no data rows")
        return False
    return True


def _suggest(name: str, columns: list[str]) -> str | None:
    folded = [c for c in columns if c.strip().lower() == name.strip().lower()]
    close = folded or difflib.get_close_matches(name, columns, n=3, cutoff=0.5)
    if close:
        return "Did you mean " + " or ".join(repr(c) for c in close) + "?"
    return None


def _check_columns(chk: _Checker) -> None:
    columns = [str(c) for c in chk.frame.columns]
    wanted = list(chk.cb.roles().items())
    wanted += [(c, "missing_codes entry") for c in chk.cb.column_missing_codes]
    for col, role in wanted:
        if col in columns or col in chk.missing_columns:
            continue
        chk.missing_columns.add(col)
        hint = _suggest(col, columns) or (f"The data have {len(columns)} columns; check the "
                                           "spelling against the file's header")
        if getattr(chk.ds, "shape_hint", None):
            hint += f" ({chk.ds.shape_hint})"
        chk.add("error", "unknown_column",
                f"the codebook's {role} column {col!r} is not in the data", hint=hint)


def _apply_missing_codes(chk: _Checker) -> None:
    counts = {}
    for col in chk.cb.roles():
        codes = chk.cb.missing_codes_for(col)
        if not codes or not chk.present(col):
            continue
        values = chk.frame[col]
        hit = _code_mask(values, codes)
        if hit.any():
            chk.frame[col] = values.mask(hit)
            counts[col] = int(hit.sum())
    if counts:
        detail = ", ".join(f"{c}: {n}" for c, n in counts.items())
        chk.notes.append(f"missing-value codes set to missing: {sum(counts.values())} cell(s) "
                         f"in {len(counts)} column(s) ({detail})")
    _codes_inside_ranges(chk)


def _code_mask(values: pd.Series, codes) -> np.ndarray:
    numeric = [float(c) for c in codes if isinstance(c, (int, float))]
    text = {str(c).strip().lower() for c in codes if isinstance(c, str)}
    hit = np.zeros(len(values), dtype=bool)
    if numeric:
        num = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_bool_dtype(values) \
            else pd.Series(np.nan, index=values.index)
        hit |= np.isin(num.to_numpy(dtype=float, na_value=np.nan), numeric)
    if text:
        strings = values.map(lambda v: str(v).strip().lower() if isinstance(v, str) else None)
        hit |= strings.isin(text).to_numpy(dtype=bool)
    return hit


def _codes_inside_ranges(chk: _Checker) -> None:
    for name, spec in chk.cb.scales.items():
        if spec.score is not None:
            continue
        inside = sorted({float(c) for col in spec.items for c in chk.cb.missing_codes_for(col)
                         if isinstance(c, (int, float)) and spec.min <= c <= spec.max})
        if inside:
            chk.add("warning", "code_is_valid_answer",
                    f"missing-value code(s) {', '.join(f'{c:g}' for c in inside)} lie inside "
                    f"the {name} response range [{spec.min:g}, {spec.max:g}], so those answers "
                    "were treated as missing", hint="Check that this is intended")


def _check_id(chk: _Checker) -> None:
    col = chk.cb.id
    if col is None or not chk.present(col):
        return
    ids = chk.frame[col]
    missing = ids.isna().to_numpy()
    if missing.any():
        chk.add("warning", "missing_id", f"{int(missing.sum())} row(s) have no id", column=col,
                rows=_rows(missing))
    dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if dup.any():
        groups = int(ids[dup].nunique())
        chk.add("error", "duplicate_id", f"{int(dup.sum())} rows share {groups} id value(s)",
                column=col, rows=_rows(dup), hint="Each respondent needs a unique id; remove "
                                                  "duplicated responses or fix the ids")


# ------------------------------------------------------------------ scales
_DECIMAL_COMMA = r"\s*-?\d*,\d+\s*"


def _skip_rows_hint(chk: _Checker, rows) -> str | None:
    shape = getattr(chk.ds, "shape_hint", None) or ""
    if shape and "--skip-rows" in shape and rows and max(rows) <= 3:
        return shape[0].upper() + shape[1:]
    return None


def _text_hint(chk: _Checker, text: pd.Series, rows: list[int], labels=None, *,
               item: bool = True) -> str:
    """What to do about text in a numeric column, from the shape of the text."""
    if labels:
        known = ", ".join(f"{c:g} = {t!r}" for c, t in list(labels.items())[:9])
        return ("These answers are not among the scale's labels (" + known + "); add them "
                "to labels or missing_codes")
    skip = _skip_rows_hint(chk, rows)
    if skip:
        return skip
    if text.astype(str).str.fullmatch(_DECIMAL_COMMA).all():
        return "These look like decimal commas: read the file with --decimal ,"
    if item and len(set(text)) <= 12:
        return ("Text answers (a 'choice text' export?): export numeric values, or give the "
                "scale labels: {code: text} in the codebook; or add the text to missing_codes "
                "if it means 'missing'")
    return "Recode the text to numbers, or add it to missing_codes if it means 'missing'"


def _numeric_values(chk: _Checker, col: str, *, what: str, labels=None) -> np.ndarray:
    """Column as a float array; text and infinite cells are reported and set to NaN."""
    raw = chk.frame[col]
    if pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=float)
    num = pd.to_numeric(raw, errors="coerce") if not pd.api.types.is_numeric_dtype(raw) \
        else raw
    num = num.to_numpy(dtype=float, na_value=np.nan)     # may share the frame's memory
    text = np.isnan(num) & raw.notna().to_numpy()
    if text.any():
        chk.add("error", "not_numeric", f"{int(text.sum())} cell(s) of this {what} are text, "
                "not numbers", column=col, rows=_rows(text), values=raw[text].tolist(),
                hint=_text_hint(chk, raw[text], _rows(text), labels, item="item" in what))
    inf = np.isinf(num)
    if inf.any():
        chk.add("error", "not_finite", f"{int(inf.sum())} cell(s) of this {what} are "
                "infinite", column=col, rows=_rows(inf), values=num[inf].tolist())
        num = np.where(inf, np.nan, num)                 # never written in place
    return num


def _numeric_column(chk: _Checker, col: str, *, what: str, labels=None) -> pd.Series:
    """:func:`_numeric_values` as a Series on the frame's index."""
    return pd.Series(_numeric_values(chk, col, what=what, labels=labels), index=chk.frame.index)


def _item_values(chk: _Checker, name: str, spec) -> dict[str, np.ndarray]:
    """Each present item of the scale as a float array: text, infinite and out-of-range
    answers reported and set to NaN, fractional answers reported."""
    cols = {}
    for col in spec.items:
        if not chk.present(col):
            continue
        if spec.labels:
            _apply_answer_labels(chk, name, spec, col)
        num = _numeric_values(chk, col, what=f"{name} item", labels=spec.labels)
        outside = (num < spec.min) | (num > spec.max)
        if outside.any():
            chk.add("error", "out_of_range",
                    f"{int(outside.sum())} answer(s) outside the {name} response range "
                    f"[{spec.min:g}, {spec.max:g}]", column=col, rows=_rows(outside),
                    values=num[outside].tolist(),
                    hint="Check min/max in the codebook, or add codes such as 99 to "
                         "missing_codes")
            num = np.where(outside, np.nan, num)
        fraction = ~np.isnan(num) & (num != np.round(num))
        if fraction.any():
            chk.add("warning", "not_integer", f"{int(fraction.sum())} answer(s) are not "
                    "whole numbers (unusual for a rating item)", column=col,
                    rows=_rows(fraction), values=num[fraction].tolist())
        cols[col] = num
    return cols


def _item_frame(chk: _Checker, name: str, spec) -> pd.DataFrame:
    return pd.DataFrame(_item_values(chk, name, spec), index=chk.frame.index)


def _apply_answer_labels(chk: _Checker, name: str, spec, col: str) -> None:
    """Answer texts ("choice text" exports) -> codes through the scale's labels."""
    raw = chk.frame[col]
    if pd.api.types.is_numeric_dtype(raw):
        return
    codes = spec.code_of()
    folded = raw.map(lambda v: " ".join(str(v).split()).lower() if isinstance(v, str) else None)
    hit = folded.isin(list(codes)).to_numpy()
    if hit.any():
        mapped = raw.astype(object).copy()
        mapped[hit] = folded[hit].map(codes).astype(float)
        chk.frame[col] = mapped
        chk.label_counts[name] = chk.label_counts.get(name, 0) + int(hit.sum())


def _check_scale(chk: _Checker, name: str, spec) -> None:
    if spec.score is not None:
        chk.details.setdefault("prescored", []).append(name)
        if chk.present(spec.score):
            score = _numeric_column(chk, spec.score, what=f"{name} score")
            _check_score(chk, name, score, spec.score)
        return
    items = _item_values(chk, name, spec)
    if len(items) < len(spec.items):
        return  # unknown columns already reported; no score from a partial scale
    from ..measures.scales import reverse_key, score_answers
    # one (k, N) array per scale, reverse keys applied once: the score and the
    # reliability statistics read it; missingness counts read its NaN mask
    names = list(items)
    keyed = np.vstack([items[c] for c in names]) if names else np.empty((0, len(chk.frame)))
    rows = [names.index(c) for c in dict.fromkeys(spec.reverse)]
    if rows:
        keyed[rows] = reverse_key(keyed[rows], spec.min, spec.max)
    score = pd.Series(score_answers(keyed, min_answered=spec.min_answered),
                      index=chk.frame.index, name=name)
    missing = np.isnan(keyed)
    answered = len(names) - missing.sum(axis=0)
    _check_answered(chk, name, spec, answered)
    chk.details.setdefault("missingness", {})[name] = _missingness(spec, names, missing,
                                                                   answered, score)
    if _check_score(chk, name, score, None):
        _check_reliability(chk, name, spec, keyed, names)


def _check_scale_structure(chk: _Checker) -> None:
    """One-item scales and items in two scales (warnings); answer texts mapped (notes)."""
    for name, n in chk.label_counts.items():
        chk.notes.append(f"{name}: {n} answer text(s) mapped to codes through the scale's labels")
    for name, spec in chk.cb.scales.items():
        if spec.score is None and len(spec.items) == 1:
            chk.add("warning", "one_item_scale", f"{name} has one item: its reliability cannot "
                    "be estimated and measurement error is unknown", column=spec.items[0],
                    hint="Check the codebook: is this really a one-item measure?")
    for col, scales in chk.cb.shared_items().items():
        chk.add("warning", "item_in_two_scales", f"the item is in {len(scales)} scales "
                f"({', '.join(scales)}): their scores share its error, which inflates their "
                "correlation", column=col, hint="Keep each item in one scale")


def _missingness(spec, names: list[str], missing: np.ndarray, answered: np.ndarray,
                 score: pd.Series) -> dict:
    """Counts only: missing answers per item and what the answered-share rule did to N.

    ``missing`` is the (k, N) mask of unanswered items, ``answered`` its column counts."""
    n_rows, k = int(missing.shape[1]), len(names)
    none = int((answered == 0).sum())
    scored = int(np.count_nonzero(~np.isnan(score.to_numpy())))
    per_item = missing.sum(axis=1)
    return {"n_rows": n_rows, "k": k, "min_answered": float(spec.min_answered),
            "items": {str(c): int(m) for c, m in zip(names, per_item)},
            "n_complete": int((answered == k).sum()), "n_no_answer": none,
            "n_below_rule": int(n_rows - none - scored), "n_scored": scored}


def _check_answered(chk: _Checker, name: str, spec, answered: np.ndarray) -> None:
    k = len(spec.items)
    none = answered == 0
    if none.any() and not none.all():
        chk.add("warning", "scale_missing_row", f"{int(none.sum())} row(s) answered no {name} "
                f"item: no {name} score for them", rows=_rows(none))
    few = (answered > 0) & (answered < spec.min_answered * k - 1e-9)
    if few.any():
        chk.add("warning", "too_few_answers",
                f"{int(few.sum())} row(s) answered fewer than {spec.min_answered:.0%} of the "
                f"{name} items: no {name} score for them", rows=_rows(few),
                hint="Lower min_answered in the codebook to keep them")


def _check_score(chk: _Checker, name: str, score: pd.Series, column) -> bool:
    """Scale missing for everyone or constant: errors.  Returns True when usable."""
    values = score.to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        chk.add("error", "scale_all_missing", f"no respondent has a {name} score (all its "
                "values are missing)", column=column)
        return False
    if np.all(values == values[0]):
        chk.add("error", "constant_scale", f"the {name} score is the same ({values[0]:g}) "
                "for every respondent: it cannot be analysed", column=column,
                hint="Check the item columns and the missing-value codes")
        return False
    chk.out[name] = score.astype(float)
    return True


def _check_reliability(chk: _Checker, name: str, spec, keyed: np.ndarray,
                       names: list[str]) -> None:
    """Reliability of the reverse-keyed (k, N) answers (:func:`reliability_from_answers`)."""
    if keyed.shape[0] < 2:
        return
    from ..measures.scales import reliability_from_answers
    rel = reliability_from_answers(keyed, names, name=name)
    chk.details.setdefault("reliability", {})[name] = rel.to_dict()
    if not math.isnan(rel.alpha) and rel.alpha < LOW_ALPHA:
        chk.add("warning", "low_reliability", f"{name} has low reliability (Cronbach's alpha "
                f"= {rel.alpha:.2f} < {LOW_ALPHA})",
                hint="Check reverse keys and item assignment")
    for row in rel.items.itertuples():
        if not math.isnan(row.r_corrected) and row.r_corrected < 0:
            keyed_word = "reverse-keyed " if row.item in spec.reverse else ""
            chk.add("warning", "negative_item",
                    f"{keyed_word}item correlates negatively with the rest of {name} "
                    f"(r = {row.r_corrected:.2f})", column=row.item,
                    hint="A forgotten (or wrong) reverse key? Check 'reverse' in the codebook")
    for text in rel.warnings:
        if "correlates negatively" not in text:
            chk.notes.append(f"{name} reliability: {text}")


# ------------------------------------------------------------------ genotypes
def _parse_locus(chk: _Checker, locus: str, spec) -> tuple[pd.DataFrame | None, pd.Series | None]:
    """(alleles, carrier): alleles is None for a pre-coded carrier column."""
    from ..measures import genotypes as gt
    values = _labelled_genotypes(chk, locus, spec)
    if values is None:
        return None, None
    try:
        if spec.format == "carrier":
            return None, gt.parse_carrier(values, column=spec.column, file=chk.file)
        alleles = gt.parse_genotypes(values, locus, column=spec.column, file=chk.file,
                                     allele_map=spec.allele_map)
    except InputError as err:
        chk.add("error", "unparseable_genotype", err.problem, column=spec.column,
                rows=err.rows, hint=_skip_rows_hint(chk, err.rows) or err.hint)
        return None, None
    return alleles, gt.code_genotypes(alleles, locus, "carrier")


def _label_parses(text: str, locus: str, fmt: str) -> bool:
    from ..measures import genotypes as gt
    series = pd.Series([text], dtype=object)
    try:
        if fmt == "carrier":
            gt.parse_carrier(series)
        else:
            gt.parse_genotypes(series, locus)
    except InputError:
        return False
    return True


def _labelled_genotypes(chk: _Checker, locus: str, spec) -> pd.Series | None:
    """The genotype column with its SPSS/Stata value labels applied (codes -> labels).

    Labels are metadata, not participants' values, so they may be named; a
    labelled column whose labels do not parse is one error naming the labels."""
    values = chk.frame[spec.column]
    labels = getattr(chk.ds, "value_labels", {}).get(spec.column)
    if not labels or not pd.api.types.is_numeric_dtype(values):
        return values
    bad = [str(t) for t in labels.values() if not _label_parses(str(t), locus, spec.format)]
    shown = ", ".join(f"{c:g} = {str(t)!r}" for c, t in labels.items())
    if bad:
        other = "carrier" if spec.format == "alleles" else "alleles"
        fits_other = all(_label_parses(str(t), locus, other) for t in labels.values())
        hint = (f"The labels fit format: {other}: set it in the codebook" if fits_other else
                "Relabel the codes with genotypes (e.g. A1/A2, 4R/7R) or carrier/non-carrier")
        chk.add("error", "unparseable_labels", f"the column's value labels do not parse as "
                f"{locus} {'carrier codes' if spec.format == 'carrier' else 'genotypes'}: "
                + ", ".join(repr(b) for b in bad[:6]), column=spec.column, hint=hint)
        return None
    mapping = {float(c): str(t) for c, t in labels.items()}
    num = values.astype(float)
    mapped = num.map(mapping)
    mapped = mapped.where(num.isna() | num.isin(list(mapping)), num)
    chk.notes.append(f"{locus} column {spec.column!r}: value labels applied before parsing "
                     f"({shown})")
    return mapped.astype(object)


def _check_genotype(chk: _Checker, locus: str, spec) -> None:
    if not chk.present(spec.column):
        return
    alleles, carrier = _parse_locus(chk, locus, spec)
    if carrier is None:
        return
    missing = carrier.isna().to_numpy()
    if missing.all():
        chk.add("error", "genotype_all_missing", f"no {locus} genotype is available (all "
                "no-calls or empty)", column=spec.column)
        return
    if missing.any():
        chk.add("warning", "genotype_missing", f"{int(missing.sum())} {locus} no-call(s) or "
                "empty cell(s): these rows are left out of the gene analyses",
                column=spec.column, rows=_rows(missing))
    _check_groups(chk, locus, spec, carrier)
    prefix = "drd2_a1" if locus == "DRD2" else "drd4_7r"
    chk.out[f"{prefix}_carrier"] = carrier.astype("Float64").astype(float)
    if alleles is not None:
        _check_alleles(chk, locus, spec, alleles)


def _check_groups(chk: _Checker, locus: str, spec, carrier: pd.Series) -> None:
    risk = "A1" if locus == "DRD2" else "7R"
    sizes = {f"{risk} carriers": int((carrier == 1).sum()),
             f"{risk} non-carriers": int((carrier == 0).sum())}
    chk.details.setdefault("genotype_groups", {})[locus] = sizes
    for group, size in sizes.items():
        if size < _MIN_ESTIMABLE:
            chk.add("error", "group_not_estimable",
                    f"the {locus} group of {group} has "
                    f"{'no members' if size == 0 else f'fewer than {_MIN_ESTIMABLE} members'}: "
                    "the gene effect and its interactions cannot be estimated", column=spec.column,
                    hint="Check the genotype column and its notation")
        elif size < chk.cb.min_group_size:
            chk.add("warning", "unstable_group",
                    f"the {locus} group of {group} has fewer than min_group_size = "
                    f"{chk.cb.min_group_size} members: estimates for it are unstable and "
                    "suppressed in reports",
                    column=spec.column)


def _check_alleles(chk: _Checker, locus: str, spec, alleles: pd.DataFrame) -> None:
    from ..measures import genotypes as gt
    prefix = "drd2_a1" if locus == "DRD2" else "drd4_7r"
    chk.out[f"{prefix}_count"] = gt.code_genotypes(alleles, locus, "additive").astype(
        "Float64").astype(float)
    from ..privacy import suppress_counts
    k = chk.cb.min_group_size
    labels = gt.code_genotypes(alleles, locus, "genotype")   # built once: counts and column
    counts = gt._counts_of_labels(labels, locus)          # = gt.genotype_counts(alleles, locus)
    # details reach the terminal and --json: counts 1..k-1 read "< k", their shares blank
    chk.details.setdefault("genotype_counts", {})[locus] = \
        suppress_counts(counts, "count", k=k).to_dict("records")
    freqs = gt.allele_frequencies(alleles)
    chk.details.setdefault("allele_frequencies", {})[locus] = \
        suppress_counts(freqs, "count", k=k).to_dict("records")
    if locus == "DRD2":
        chk.out["drd2_genotype"] = labels
        small = [f"{g} (n < {chk.cb.min_group_size})"     # counts below it are never shown
                 for g, n in zip(counts["genotype"], counts["count"])
                 if n < chk.cb.min_group_size]
        if small:
            chk.add("warning", "unstable_genotype", "DRD2 genotype group(s) smaller than "
                    f"min_group_size = {chk.cb.min_group_size}: {', '.join(small)}; the "
                    "genotype and additive codings are unstable (the carrier coding is the "
                    "primary one)", column=spec.column)
        flip = gt._strand_warning(freqs)          # gt.strand_check(alleles), freqs reused
        if flip:
            chk.add("warning", "strand_flip", flip, column=spec.column)
    hwe = gt.hwe_test(alleles, locus)
    chk.details.setdefault("hwe", {})[locus] = hwe.to_dict()
    if hwe.warning and hwe.n > 0:
        chk.add("warning", "hwe", hwe.warning, column=spec.column)


# ------------------------------------------------------------------ covariates
def _binary_text(chk: _Checker, col: str) -> pd.Series | None | bool:
    """A two-valued text covariate coded 0/1 by meaning (codebook ``reference`` or recognised
    carrier labels; :func:`analysis.measures.genotypes.binary_text_coding`), never
    alphabetically.

    None when the column is not two-valued text; False (and an error finding) when no
    reference is known.
    """
    from ..measures.genotypes import binary_text_coding

    raw = chk.frame[col]
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        return None
    # the column's distinct texts, each stripped once (blank = missing); rows by code.
    # Mixed-type columns become text first (1 and 1.0 are one key to factorize, two texts)
    texts = raw if isinstance(raw.dtype, pd.StringDtype) else raw.astype("string")
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    text = pd.Series(uniques).astype("string").str.strip()
    text = text.mask(text == "")
    if pd.to_numeric(text.dropna(), errors="coerce").notna().all():
        return None
    levels = sorted(text.dropna().unique())
    if len(levels) != 2:
        return None
    try:
        mapping = binary_text_coding(levels, chk.cb.reference.get(col), column=col)
    except InputError:
        shown = " / ".join(repr(v) for v in levels)
        chk.add("error", "text_covariate_needs_reference",
                f"is two-valued text ({shown}); text is never coded alphabetically, so say "
                "which value is coded 0", column=col,
                hint=f"add 'reference: {{{col}: VALUE}}' to the codebook or use --reference "
                     f"{col}=VALUE")
        return False
    inverse = {v: k for k, v in mapping.items()}
    chk.notes.append(f"covariate {col}: text coded {inverse[0]!r} = 0, {inverse[1]!r} = 1")
    coded = np.append(text.map(mapping).astype(float).to_numpy(), np.nan)  # last: missing
    return pd.Series(coded[np.where(codes < 0, len(coded) - 1, codes)], index=raw.index,
                     name=raw.name)


def _check_covariates(chk: _Checker) -> None:
    for col in chk.cb.covariates:
        if not chk.present(col):
            continue
        coded = _binary_text(chk, col)
        if coded is False:
            continue
        num = coded if coded is not None else _numeric_column(chk, col, what="covariate")
        values = num.to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            chk.add("error", "covariate_all_missing", "the covariate has no values",
                    column=col)
        elif np.all(values == values[0]):
            chk.add("error", "constant_covariate", f"the covariate is the same "
                    f"({values[0]:g}) for every respondent: it cannot be estimated",
                    column=col, hint="Remove it from covariates")
        else:
            chk.out[col] = num


# ------------------------------------------------------------------ assembly
_GENE_COLUMNS = ("drd2_a1_carrier", "drd2_genotype", "drd2_a1_count", "drd4_7r_carrier",
                 "drd4_7r_count")


def _assemble(chk: _Checker) -> pd.DataFrame:
    cols = {}
    if chk.cb.id is not None and chk.present(chk.cb.id):
        cols["id"] = chk.frame[chk.cb.id]
    for name in SCALES + _GENE_COLUMNS + tuple(chk.cb.covariates):
        if name in chk.out:
            cols[name] = chk.out[name]
    return pd.DataFrame(cols, index=chk.frame.index)


def complete_rows(frame: pd.DataFrame, covariates) -> dict[str, int]:
    """Rows each model of ``analyze`` uses (listwise deletion), by model name.

    ``Study 1: Y ~ DRD2 + DRD4`` (both carrier codes and the covariates) and
    ``Study 2: Y ~ GENE x STYLE`` (+ covariates): exactly the rows
    :func:`analysis.study.families.study1` / :func:`~analysis.study.families.study2` fit, so
    ``validate`` and ``analyze`` report the same N (a test checks it).
    """
    genes = {g: c for g, c in (("DRD2", "drd2_a1_carrier"), ("DRD4", "drd4_7r_carrier"))
             if c in frame}
    covs = [c for c in covariates if c in frame]
    present = {}                                    # each column's mask, computed once

    def usable(columns) -> int:
        for c in columns:
            if c not in present:
                present[c] = frame[c].notna().to_numpy()
        return int(np.logical_and.reduce([present[c] for c in columns]).sum())

    out = {}
    for y in (c for c in OUTCOMES if c in frame):
        if genes:
            out[f"Study 1: {y} ~ {' + '.join(genes)}"] = usable([y, *genes.values(), *covs])
        for gene, col in genes.items():
            for style in (c for c in ("secure", "anxious", "avoidant") if c in frame):
                out[f"Study 2: {y} ~ {gene} x {style}"] = usable([y, col, style, *covs])
    return out


def _check_models(chk: _Checker, frame: pd.DataFrame) -> None:
    """Every variable of the codebook's own hypotheses (``models:``) is a scale, a genotype
    coding, a covariate or a column of the data: one error per model, naming the codebook
    and the key (:func:`analysis.study.own_models.check_variables`)."""
    if not chk.cb.models:
        return
    from ..study.own_models import check_variables
    columns = [c for c in frame.columns if c != "id"] + list(chk.frame.columns)
    for model in chk.cb.models:
        try:
            check_variables([model], columns, codebook=chk.cb)
        except InputError as err:
            chk.problems.append(Problem(severity="error", code="model_variable",
                                        message=err.problem, file=chk.cb.path or chk.file,
                                        hint=err.hint))


def _check_complete(chk: _Checker, frame: pd.DataFrame) -> None:
    """Rows usable by each model (outcome, genes or gene and style, the covariates)."""
    outcomes = [c for c in OUTCOMES if c in frame]
    genes = [c for c in ("drd2_a1_carrier", "drd4_7r_carrier") if c in frame]
    if not outcomes or not genes:
        return
    covs = [c for c in chk.cb.covariates if c in frame]
    usable = complete_rows(frame, covs)
    chk.details["complete_rows"] = usable
    need = _BASE_PARAMETERS + len(covs) + 2
    fewest = min(usable.values())
    if fewest < need:
        chk.add("error", "too_few_rows", f"only {fewest} complete row(s) for the smallest "
                f"model; at least {need} are needed to estimate it",
                hint="Check missing values in the scales, genotypes and covariates")
    elif fewest < _SMALL_SAMPLE:
        chk.add("warning", "small_sample", f"only {fewest} complete rows: estimates and "
                "tests will be very imprecise")
    chk.notes.append("complete rows per model: " + ", ".join(f"{k}: {v}"
                                                             for k, v in usable.items()))


def cleaned_inputs(dataset, codebook: Codebook) -> tuple[dict, dict]:
    """Item answers and parsed alleles exactly as :func:`validate` reads them.

    Returns ``({scale: item DataFrame}, {locus: alleles DataFrame})``: missing-value
    codes, answer labels and genotype value labels applied, answers outside the
    response range masked; allele-format loci only.  Per-person data, kept in
    memory for analyses that re-score scales or re-code genotypes (the
    multiverse, :mod:`analysis.study.specdata`); call it on data that passed
    validation (its problems are not reported again).  The dataset is not modified.
    """
    chk = _Checker(dataset, codebook)
    _apply_missing_codes(chk)
    items = {name: _item_frame(chk, name, spec) for name, spec in codebook.scales.items()
             if spec.score is None and all(chk.present(c) for c in spec.items)}
    alleles = {}
    for locus, spec in codebook.genotypes.items():
        if spec.format == "alleles" and chk.present(spec.column):
            parsed, _ = _parse_locus(chk, locus, spec)
            if parsed is not None:
                alleles[locus] = parsed
    return items, alleles

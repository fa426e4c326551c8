"""Readers: CSV/TSV/TXT, XLSX, SPSS SAV/ZSAV, Stata DTA and Parquet -> one :class:`Dataset`.

Every reader returns the same thing: a pandas DataFrame whose column names are
the file's own column names (as strings) plus the metadata a statistical
package keeps beside the numbers (variable labels, value labels, user-defined
missing values) and plain-language ``notes`` about what the reader did
(encoding fallback, missing codes set to missing).

Rules
-----
* Input files are opened read-only and never modified.
* Every problem with the file is an :class:`~analysis._errors.InputError`
  naming the file: missing file, directory, unsupported extension (the
  supported ones are listed), empty file, header-only file, unreadable or
  corrupt file, duplicate column names, unknown sheet (the sheets are listed).
* SPSS user-defined missing values (``MISSING VALUES`` in SPSS, read with
  pyreadstat's ``user_missing=True``) become NaN; how many cells per column is
  reported in ``notes`` and ``user_missing_counts``, never which values.
* Text columns whose non-missing values are all strings get pandas' ``str``
  dtype in every format, and empty strings are missing (SPSS has no missing
  string), so the same data give the same frame whatever the file format.

Text files: the encoding is UTF-8 (with or without a byte-order mark), else
Windows-1252/Latin-1 (with a note); the delimiter is detected with
:class:`csv.Sniffer` among ``, ; TAB |`` and checked against the header line.
``decimal=","`` reads decimal-comma numbers (European exports).

Examples
--------
>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "d.csv")
>>> _ = open(path, "w", encoding="utf-8").write("id;score\\n1;2,5\\n2;3,0\\n")
>>> ds = read_data(path, decimal=",")
>>> ds.format, ds.frame["score"].tolist()
('csv', [2.5, 3.0])
"""
from __future__ import annotations

import csv
import io as _stdio
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field

from .._errors import InputError

__all__ = ["Dataset", "SUPPORTED", "read_data", "read_table_for_probe"]

SUPPORTED = {
    ".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".tab": "tsv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".sav": "sav", ".zsav": "zsav",
    ".dta": "dta",
    ".parquet": "parquet", ".pq": "parquet",
}
_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64_000
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """A data file read into memory, with its metadata.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data; column names are the file's, as strings; rows in file order.
    path : str
        The path as given by the user (used in messages).
    format : str
        ``csv``, ``tsv``, ``txt``, ``xlsx``, ``sav``, ``zsav``, ``dta``,
        ``parquet`` or ``frame`` (built in memory).
    column_labels : dict
        Column -> variable label (SPSS/Stata), when the file has them.
    value_labels : dict
        Column -> {code: label} (SPSS/Stata value labels), kept as metadata.
    missing_ranges : dict
        Column -> list of ``{"lo": ..., "hi": ...}`` user-missing ranges
        (SPSS), as declared in the file.
    user_missing_counts : dict
        Column -> number of cells set to missing because they held a declared
        user-missing value (counts only, never the values).
    notes : tuple of str
        What the reader did, in plain words.
    platform : str or None
        The survey platform whose export layout was recognised (``Qualtrics``,
        ``SoSci Survey``, ``LimeSurvey``; see :mod:`analysis.io.exports`).
    shape_hint : str or None
        Advice for messages when the file's shape suggests a reader option
        (``--skip-rows N``, ``--sheet NAME``, ``--decimal ,``); never data values.
    """

    frame: object
    path: str
    format: str
    column_labels: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)
    missing_ranges: dict = field(default_factory=dict)
    user_missing_counts: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    platform: str | None = None
    shape_hint: str | None = None

    @classmethod
    def from_frame(cls, frame, *, path: str = "<data frame>", **meta) -> Dataset:
        """Wrap an in-memory DataFrame (e.g. simulated data) as a Dataset.

        >>> import pandas as pd
        >>> Dataset.from_frame(pd.DataFrame({1: [2]})).frame.columns.tolist()
        ['1']
        """
        import pandas as pd
        frame = pd.DataFrame(frame).copy()
        frame.columns = [str(c) for c in frame.columns]
        _check_duplicates(list(frame.columns), path)
        return cls(frame=frame, path=str(path), format="frame", **meta)

    @property
    def n_rows(self) -> int:
        return int(self.frame.shape[0])

    def to_dict(self) -> dict:
        """JSON-safe metadata (no data values except labels and declared codes)."""
        return {"path": self.path, "format": self.format, "n_rows": self.n_rows,
                "columns": [str(c) for c in self.frame.columns],
                "column_labels": {k: _jsonable(v) for k, v in self.column_labels.items()},
                "value_labels": {k: {str(c): str(lab) for c, lab in v.items()}
                                 for k, v in self.value_labels.items()},
                "missing_ranges": {k: [{"lo": _jsonable(r["lo"]), "hi": _jsonable(r["hi"])}
                                       for r in v] for k, v in self.missing_ranges.items()},
                "user_missing_counts": dict(self.user_missing_counts),
                "notes": list(self.notes), "platform": self.platform,
                "shape_hint": self.shape_hint}


def _jsonable(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


# ----------------------------------------------------------------- entry points
def read_data(path, *, sheet=None, decimal: str | None = None,
              encoding: str | None = None, header_row: int | None = None,
              skip_rows: int | None = None) -> Dataset:
    """Read a data file of any supported format.

    Parameters
    ----------
    path : str or path-like
        ``.csv .tsv .txt .tab .xlsx .xlsm .sav .zsav .dta .parquet .pq``.
    sheet : str or int, optional
        XLSX only: sheet name, or 0-based index (default: the first sheet).
    decimal : str, optional
        Text files only: decimal separator, ``"."`` (default) or ``","``.
    encoding : str, optional
        Text files only: force an encoding instead of detecting it.
    header_row : int, optional
        Text and XLSX files: the 1-based row holding the column names (rows
        above it are skipped).  Default: row 1, or as a recognised survey
        export needs (:mod:`analysis.io.exports`).
    skip_rows : int, optional
        Text and XLSX files: rows right after the header that are not data
        (e.g. question texts); the first of them supplies column labels.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        For every problem with the file (see the module docstring).
    """
    path = os.fspath(path)
    fmt = _format_of(path)
    _check_file(path)
    if decimal is not None and decimal not in (".", ","):
        raise InputError(f"decimal separator must be '.' or ',', got {decimal!r}", file=path)
    rows = {"header_row": _row_option(header_row, "--header-row", 1, path),
            "skip_rows": _row_option(skip_rows, "--skip-rows", 0, path)}
    if fmt not in ("csv", "tsv", "txt", "xlsx") and any(v is not None for v in rows.values()):
        raise InputError("--header-row and --skip-rows apply to text and Excel files only "
                         f"(this is a {fmt.upper()} file, whose variables are named inside it)",
                         file=path)
    if fmt in ("csv", "tsv", "txt"):
        ds = _read_text(path, fmt, decimal=decimal, encoding=encoding, **rows)
    elif fmt == "xlsx":
        ds = _guarded(path, fmt, _read_xlsx, sheet, rows)
    elif fmt in ("sav", "zsav"):
        ds = _guarded(path, fmt, _read_spss)
    elif fmt == "dta":
        ds = _guarded(path, fmt, _read_stata)
    else:
        ds = _guarded(path, fmt, _read_parquet)
    return _finish(ds)


def _row_option(value, name: str, low: int, path: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"{name} must be a whole number of at least {low}, got {value!r}",
                         file=path)
    return int(value)


def read_table_for_probe(path, **opts):
    """The DataFrame of :func:`read_data` (what ``salesgxe probe`` analyses)."""
    return read_data(path, **opts).frame


# ------------------------------------------------------------------ checks
def _format_of(path: str) -> str:
    lower = path.lower()
    for ext in sorted(SUPPORTED, key=len, reverse=True):
        if lower.endswith(ext):
            return SUPPORTED[ext]
    ext = os.path.splitext(path)[1] or "(none)"
    raise InputError(f"unsupported file type {ext!r}", file=path,
                     hint="Supported: " + ", ".join(sorted(SUPPORTED))
                          + " (save Excel 97-2003 .xls files as .xlsx)")


def _check_file(path: str) -> None:
    if os.path.isdir(path):
        raise InputError("is a folder, not a data file", file=path)
    if not os.path.exists(path):
        raise InputError("no such file", file=path)
    if not os.access(path, os.R_OK):
        raise InputError("cannot be opened for reading (permission denied)", file=path)
    if os.path.getsize(path) == 0:
        raise InputError("the file is empty (0 bytes)", file=path)


def _check_duplicates(columns: list[str], path: str) -> None:
    counts = Counter(columns)
    dups = [c for c, n in counts.items() if n > 1]
    if dups:
        raise InputError("duplicate column name(s): " + ", ".join(repr(c) for c in dups),
                         file=path, hint="every column needs a unique name; rename the copies")


def _guarded(path: str, fmt: str, reader, *args) -> Dataset:
    """Run a binary-format reader; anything it raises becomes an InputError."""
    try:
        return reader(path, *args)
    except InputError:
        raise
    except MemoryError:
        raise InputError("is too large to read into memory", file=path) from None
    except Exception as exc:  # noqa: BLE001 - library errors of a corrupt file vary
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise InputError(f"could not be read as a {fmt.upper()} file ({reason})", file=path,
                         hint="check that the file is complete and really is in this format"
                         ) from None


def _finish(ds: Dataset) -> Dataset:
    """Common post-processing: string names, duplicates, empty frames, text dtypes."""
    import pandas as pd
    frame = ds.frame
    names = [str(c) for c in frame.columns]
    _check_duplicates(names, ds.path)
    if not names:
        raise InputError("has no columns", file=ds.path)
    if frame.shape[0] == 0:
        raise InputError("has a header but no data rows", file=ds.path)
    # a new frame over the reader's columns (copy-on-write: nothing is copied, and
    # nothing done to it reaches the reader's frame); only changed columns are set
    frame = pd.DataFrame(frame)
    frame.columns = names
    frame = frame.reset_index(drop=True)
    for col in names:
        values = frame[col]
        normal = _normalise_text(values)
        if normal is not values:
            frame[col] = normal
    frame = _drop_trailing_empty(frame)
    if frame.shape[0] == 0:
        raise InputError("has a header but no data rows (every row is empty)", file=ds.path)
    return Dataset(frame=frame, path=ds.path, format=ds.format,
                   column_labels=ds.column_labels, value_labels=ds.value_labels,
                   missing_ranges=ds.missing_ranges,
                   user_missing_counts=ds.user_missing_counts, notes=ds.notes,
                   platform=ds.platform, shape_hint=ds.shape_hint or _shape_hint(frame, ds))


def _shape_hint(frame, ds: Dataset) -> str | None:
    """A reader option the file's shape suggests (for error hints), or None."""
    from .exports import suspect_header_rows
    if ds.format not in ("csv", "tsv", "txt", "xlsx"):
        return None
    k = suspect_header_rows(frame)
    if k:
        return (f"the first {k} data row(s) look like extra header rows (text above "
                f"numbers): try --skip-rows {k}")
    if ds.format != "xlsx" and _decimal_commas(frame):
        return "numbers such as '2,5' look like decimal commas: try --decimal ,"
    return None


def _decimal_commas(frame) -> bool:
    import pandas as pd
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        sample = values.head(1000).dropna().astype(str).head(200)
        if len(sample) and sample.str.fullmatch(r"\s*-?\d*,\d+\s*").mean() > 0.5:
            return True
    return False


def _drop_trailing_empty(frame):
    """Drop fully empty rows at the end (spreadsheet exports); row numbers keep."""
    if len(frame) == 0 or not frame.iloc[-1:].isna().all(axis=1).iloc[0]:
        return frame                                # the usual case: the last row has data
    empty = frame.isna().all(axis=1).to_numpy()
    keep = len(empty)
    while keep and empty[keep - 1]:
        keep -= 1
    return frame.iloc[:keep]


def _normalise_text(col):
    """Object columns of strings -> ``str`` dtype; blank strings -> missing."""
    import pandas as pd
    if col.dtype != object and not isinstance(col.dtype, pd.StringDtype):
        return col
    if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
        return col                                  # not all strings (checked in C)
    out = col.astype("str")
    blank = out.str.strip().eq("").fillna(False).astype(bool)
    return out.mask(blank)


# ------------------------------------------------------------------ text files
def _decode(raw: bytes, path: str, encoding: str | None) -> tuple[str, list[str]]:
    if encoding:
        try:
            return raw.decode(encoding), []
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot be decoded as {encoding!r} ({exc.__class__.__name__})",
                             file=path) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), ["encoding: UTF-8 with byte-order mark"]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), ["encoding: UTF-16"]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text, enc = raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, enc = raw.decode("latin-1"), "Latin-1 (ISO-8859-1)"
    return text, [f"encoding: not valid UTF-8, read as {enc}; check accented characters"]


def _utf8_body(raw: bytes, encoding: str | None, notes: list[str]) -> bytes | None:
    """The file's bytes after a UTF-8 byte-order mark when :func:`_decode` read them as
    UTF-8 (they decode to the same text), else None (another encoding was used)."""
    if encoding is not None:
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:]
    return raw if not notes else None


def _delimiter(text: str, fmt: str) -> str:
    lines = [ln for ln in text[:_SNIFF_CHARS].splitlines() if ln.strip()]
    header = lines[0] if lines else ""
    sample = "\n".join(lines[:50])
    try:
        found = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        found = None
    if found and found in header:
        return found
    if fmt == "tsv" and "\t" in header:
        return "\t"
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == "\t"))
    return best if counts[best] else ("\t" if fmt == "tsv" else ",")


def _lines(text: str):
    """The lines of ``text`` one by one, each with its ``\n`` (as iterating
    ``io.StringIO(text)`` gives them, without copying the whole text first)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _first_records(text: str, delim: str, n: int) -> tuple[list[list[str]], list[int]]:
    """The first ``n`` CSV records and the physical line each one ends on (quoted
    cells may span lines, as Qualtrics question texts do)."""
    reader = csv.reader(_lines(text), delimiter=delim)
    records, ends = [], []
    for record in reader:
        records.append(record)
        ends.append(reader.line_num)
        if len(records) >= n:
            break
    return records, ends


def _apply_layout(text: str, delim: str, path: str, header_row, skip_rows):
    """(text with only the header and data lines, layout) for a delimited file."""
    from .exports import detect_layout
    want = (header_row or 1) + (skip_rows if skip_rows is not None else 3) + 1
    records, ends = _first_records(text, delim, want)
    try:
        layout = detect_layout(records, header_row=header_row, skip_rows=skip_rows)
    except InputError as err:
        raise InputError(err.problem, file=path, hint=err.hint) from None
    if layout.header_row == 1 and layout.skip_rows == 0:
        return text, layout
    first = layout.header_row - 1
    if len(records) <= first:
        raise InputError(f"has no row {layout.header_row} to use as the header", file=path)
    lines = _stdio.StringIO(text).readlines()
    head_start = ends[first - 1] if first else 0
    head_end = ends[first]
    last_skipped = first + layout.skip_rows
    data_start = ends[last_skipped] if last_skipped < len(ends) else len(lines)
    return "".join(lines[head_start:head_end] + lines[data_start:]), layout


def _read_text(path: str, fmt: str, *, decimal: str | None, encoding: str | None,
               header_row=None, skip_rows=None) -> Dataset:
    import pandas as pd
    with open(path, "rb") as handle:  # read-only
        raw = handle.read()
    text, notes = _decode(raw, path, encoding)
    if not text.strip():
        raise InputError("the file is empty (only blank lines)", file=path)
    delim = _delimiter(text, fmt)
    text, layout = _apply_layout(text, delim, path, header_row, skip_rows)
    header = next(csv.reader(_lines(text), delimiter=delim), [])
    _check_duplicates([h.strip() for h in header], path)
    if decimal == "," and delim == ",":
        raise InputError("decimal comma with a comma delimiter is ambiguous", file=path,
                         hint="export with ';' or tab as the delimiter")
    body = _utf8_body(raw, encoding, notes) if layout.header_row == 1 and \
        layout.skip_rows == 0 else None
    source = (_stdio.BytesIO(body) if body is not None     # the file's own UTF-8 bytes:
              else _stdio.StringIO(text))                   # no copy of the text
    try:
        frame = pd.read_csv(source, sep=delim, decimal=decimal or ".", skipinitialspace=True,
                            low_memory=False, **({"encoding": "utf-8"} if body is not None
                                                 else {}))
    except (pd.errors.ParserError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise InputError(f"could not be parsed as delimited text ({reason})", file=path,
                         hint="check for unbalanced quotes or rows with extra fields") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    notes.append(f"delimiter: {_DELIM_NAMES[delim]}")
    if decimal == ",":
        notes.append("decimal separator: comma")
    notes += list(layout.notes)
    return Dataset(frame=frame, path=path, format=fmt, notes=tuple(notes),
                   column_labels=dict(layout.labels), platform=layout.platform)


# ------------------------------------------------------------------ binary formats
def _pick_sheet(names: list[str], sheet, path: str):
    if sheet is None:
        return names[0]
    if isinstance(sheet, str) and sheet in names:
        return sheet
    text = str(sheet).strip()
    if text.lstrip("-").isdigit() and not isinstance(sheet, bool):
        idx = int(text)
        if 0 <= idx < len(names):
            return names[idx]
    raise InputError(f"has no sheet {sheet!r}", file=path,
                     hint="available sheets: " + ", ".join(repr(n) for n in names)
                          + " (or a 0-based index)")


# Limits checked on the zip directory before openpyxl parses anything (an .xlsx is a
# zip of XML parts; a few MB can inflate to gigabytes).  The ratio rule is Apache
# POI's ZipSecureFile default (minimum inflate ratio 0.01); rows and columns are
# Excel's own maxima; Python's zipfile never inflates a member beyond the size its
# directory declares, so the declared sizes bound the work.
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_PART_BYTES = 500_000_000      # uncompressed, each zip member
XLSX_MAX_TOTAL_BYTES = 1_000_000_000   # uncompressed, all members together
XLSX_MAX_RATIO = 100                   # uncompressed / compressed, members over 1 MB
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELLS = 50_000_000            # rows x columns declared by a sheet's <dimension>
_RATIO_FROM_BYTES = 1_000_000
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Za-z]{1,3})(\d{1,7})"
                        rb"(?::([A-Za-z]{1,3})(\d{1,7}))?\"")


def _check_xlsx_archive(path: str) -> None:
    """Refuse an .xlsx whose parts inflate beyond the limits above, before parsing."""
    import zipfile
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise InputError(f"has {len(members):,} parts in its zip archive (limit "
                             f"{XLSX_MAX_MEMBERS:,}); not a spreadsheet Excel writes", file=path)
        total = 0
        for info in members:
            total += info.file_size
            _check_xlsx_member(info, total, path)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with archive.open(info) as part:        # only the head is inflated
                    _check_dimension(part.read(4096), info.filename, path)


def _check_xlsx_member(info, total: int, path: str) -> None:
    name, size = info.filename, info.file_size
    if size > XLSX_MAX_PART_BYTES:
        raise InputError(f"part {name!r} would inflate to {size:,} bytes (limit "
                         f"{XLSX_MAX_PART_BYTES:,}); refused before reading", file=path,
                         hint="Save the data as CSV or Parquet for files this large")
    if total > XLSX_MAX_TOTAL_BYTES:
        raise InputError(f"would inflate to more than {XLSX_MAX_TOTAL_BYTES:,} bytes; refused "
                         f"before reading", file=path,
                         hint="Save the data as CSV or Parquet for files this large")
    ratio = size / max(info.compress_size, 1)
    if size > _RATIO_FROM_BYTES and ratio > XLSX_MAX_RATIO:
        raise InputError(f"part {name!r} is compressed {ratio:,.0f} times (limit "
                         f"{XLSX_MAX_RATIO}), as in a zip bomb; refused before reading", file=path)


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + char - 64
    return number


def _check_dimension(head: bytes, name: str, path: str) -> None:
    match = _DIMENSION.search(head)
    if match is None:
        return
    last_col, last_row = (match.group(3), match.group(4)) if match.group(3) else match.group(1, 2)
    rows, cols = int(last_row), _column_number(last_col)
    if rows > XLSX_MAX_ROWS or cols > XLSX_MAX_COLUMNS or rows * cols > XLSX_MAX_CELLS:
        raise InputError(f"sheet part {name!r} declares {rows:,} rows x {cols:,} columns "
                         f"(limits {XLSX_MAX_ROWS:,} rows, {XLSX_MAX_COLUMNS:,} columns, "
                         f"{XLSX_MAX_CELLS:,} cells); refused before reading", file=path,
                         hint="Save the data as CSV or Parquet for files this large")


def _read_xlsx(path: str, sheet, rows: dict | None = None) -> Dataset:
    import pandas as pd
    from .exports import detect_layout
    _check_xlsx_archive(path)
    rows = rows or {}
    with pd.ExcelFile(path, engine="openpyxl") as book:
        sheets = [str(n) for n in book.sheet_names]
        name = _pick_sheet(sheets, sheet, path)
        head = pd.read_excel(book, sheet_name=name, header=None, nrows=(rows.get("header_row")
                             or 1) + 4, dtype=str, keep_default_na=False)
        records = [[str(v) for v in r] for r in head.itertuples(index=False)]
        try:
            layout = detect_layout(records, **rows)
        except InputError as err:
            raise InputError(err.problem, file=path, hint=err.hint) from None
        first = layout.header_row - 1
        _check_excel_header(book, name, path, first)
        skip = list(range(first)) + list(range(first + 1, first + 1 + layout.skip_rows))
        frame = pd.read_excel(book, sheet_name=name, skiprows=skip or None)
    columns = [str(c) for c in frame.columns]
    unnamed = [c for c in columns if c.startswith("Unnamed: ")]
    notes = [f"sheet: {name!r}"] + list(layout.notes)
    if unnamed:
        notes.append(f"{len(unnamed)} column(s) without a header were named 'Unnamed: N'")
    hint = _sheet_hint(sheets, name, sheet, frame, unnamed)
    return Dataset(frame=frame, path=path, format="xlsx", notes=tuple(notes),
                   column_labels=dict(layout.labels), platform=layout.platform,
                   shape_hint=hint)


def _sheet_hint(sheets: list[str], name: str, sheet, frame, unnamed: list) -> str | None:
    """The first sheet looks like notes (few named columns) and other sheets exist."""
    others = [s for s in sheets if s != name]
    if sheet is not None or not others:
        return None
    named = frame.shape[1] - len(unnamed)
    if named <= 2 or len(unnamed) > frame.shape[1] / 2:
        listed = ", ".join(repr(s) for s in others[:5])
        return (f"sheet {name!r} (the first) has {named} named column(s) and looks like "
                f"notes; the workbook also has {listed}: try --sheet {_shell_word(others[0])}")
    return None


def _shell_word(text: str) -> str:
    import shlex
    return shlex.quote(text)


def _check_excel_header(book, name: str, path: str, first: int = 0) -> None:
    """pandas renames duplicate Excel headers 'a', 'a.1': check the raw header row."""
    import pandas as pd
    raw = pd.read_excel(book, sheet_name=name, header=None, nrows=1,
                        skiprows=first or None)
    header = [str(v).strip() for v in raw.iloc[0].tolist() if v == v] if len(raw) else []
    _check_duplicates(header, path)


def _user_missing(frame, ranges: dict) -> tuple[object, dict]:
    """Set declared user-missing values to NaN; return the frame and counts."""
    import numpy as np
    counts = {}
    for col, specs in ranges.items():
        if col not in frame.columns:
            continue
        values = frame[col]
        hit = np.zeros(len(values), dtype=bool)
        for spec in specs:
            lo, hi = spec["lo"], spec["hi"]
            if isinstance(lo, str) or isinstance(hi, str):
                hit |= values.astype("str").str.strip().isin({str(lo).strip(), str(hi).strip()}
                                                             ).fillna(False).to_numpy(bool)
            else:
                num = values.to_numpy(dtype=float, na_value=np.nan) \
                    if values.dtype != object else _to_float(values)
                hit |= (num >= lo) & (num <= hi)
        if hit.any():
            frame[col] = values.mask(hit)
            counts[str(col)] = int(hit.sum())
    return frame, counts


def _to_float(values):
    import pandas as pd
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _read_spss(path: str) -> Dataset:
    import pyreadstat
    frame, meta = pyreadstat.read_sav(path, user_missing=True, apply_value_formats=False)
    ranges = {str(k): list(v) for k, v in (meta.missing_ranges or {}).items()}
    frame, counts = _user_missing(frame, ranges)
    notes = []
    if counts:
        total = sum(counts.values())
        detail = ", ".join(f"{c}: {n}" for c, n in counts.items())
        notes.append(f"SPSS user-defined missing values set to missing: {total} cell(s) "
                     f"in {len(counts)} column(s) ({detail})")
    return Dataset(frame=frame, path=path, format="zsav" if path.lower().endswith(".zsav")
                   else "sav", column_labels=_labels(meta), value_labels=_value_labels(meta),
                   missing_ranges=ranges, user_missing_counts=counts, notes=tuple(notes))


def _labels(meta) -> dict:
    names = meta.column_names or []
    labels = meta.column_labels or []
    return {str(n): lab for n, lab in zip(names, labels) if lab}


def _value_labels(meta) -> dict:
    return {str(k): dict(v) for k, v in (meta.variable_value_labels or {}).items() if v}


def _read_stata(path: str) -> Dataset:
    import pyreadstat
    frame, meta = pyreadstat.read_dta(path, apply_value_formats=False)
    return Dataset(frame=frame, path=path, format="dta", column_labels=_labels(meta),
                   value_labels=_value_labels(meta),
                   notes=("Stata missing values (., .a-.z) read as missing",))


def _read_parquet(path: str) -> Dataset:
    import pandas as pd
    frame = pd.read_parquet(path)
    return Dataset(frame=frame, path=path, format="parquet")

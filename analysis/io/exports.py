"""Survey-platform exports: header rows, question texts and what the platform left in the file.

Survey platforms write more than a header and data rows.  This module finds
where the data start and which row holds the question texts, for the layouts
that are documented and regular enough to recognise without asking:

========================  ==============================================================
platform                  layout (as documented; see ``docs/methods.md``, "Data input")
========================  ==============================================================
Qualtrics (current)       row 1 column names, row 2 question texts, row 3
                          ``{"ImportId":"QID12_1"}`` per column, then data (CSV, TSV
                          and XLSX alike; "numeric values" or "choice text").
Qualtrics (legacy, 2017)  row 1 column names (``V1``... or names), row 2 question texts.
SoSci Survey              one header row; system variables ``CASE``, ``SERIAL``,
                          ``REF``, ``QUESTNNR``, ``MODE``, ``STARTED`` first and
                          ``TIME001``..., ``LASTDATA``, ``FINISHED``, ``LASTPAGE``...
                          last; unanswered items are coded -9.
LimeSurvey                one header row (question codes, e.g. ``CO[SQ001]``, or
                          question texts); ``id``, ``submitdate``, ``lastpage``,
                          ``startlanguage`` first; answers as codes or full text.
========================  ==============================================================

SoSci Survey and LimeSurvey exports have a single header row, so they read as
plain files; they are recognised only to say so and to give platform-specific
advice.  Anything else is a plain file; ``header_row``/``skip_rows`` (CLI
``--header-row N`` / ``--skip-rows N``) handle any other layout by hand.

A file that looks like an export but is not quite one (e.g. Qualtrics
metadata columns with an ImportId row in only some columns) gets one note
saying what was detected, never a silent guess.

Examples
--------
>>> recs = [["StartDate", "Q1_1"], ["Start Date", "I listen"],
...         ['{"ImportId":"startDate"}', '{"ImportId":"QID1_1"}'], ["2024-01-01", "5"]]
>>> lay = detect_layout(recs)
>>> lay.platform, lay.skip_rows, lay.labels["Q1_1"]
('Qualtrics', 2, 'I listen')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .._errors import InputError

__all__ = ["Layout", "detect_layout", "suspect_header_rows", "PLATFORM_NOTES"]

_SAMPLE_ROWS = 1000
_IMPORT_ID = re.compile(r'^\s*\{\s*"?ImportId"?\s*:', re.I)
QUALTRICS_META = frozenset({
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)",
    "finished", "recordeddate", "responseid", "recipientlastname", "recipientfirstname",
    "recipientemail", "externalreference", "externaldatareference", "locationlatitude",
    "locationlongitude", "distributionchannel", "userlanguage", "responseset"})
SOSCI_META = frozenset({"case", "serial", "ref", "questnnr", "mode", "started", "lastdata",
                        "finished", "q_viewer", "lastpage", "maxpage", "missing", "missrel",
                        "time_sum", "time_rsi", "deg_time", "mailsent"})
LIMESURVEY_META = frozenset({"id", "submitdate", "lastpage", "startlanguage", "seed",
                             "startdate", "datestamp", "ipaddr", "refurl", "token"})
PLATFORM_NOTES = {
    "SoSci Survey": "SoSci Survey codes unanswered items as -9 (and 'don't know' options "
                    "often as -1): list them under missing_codes",
    "LimeSurvey": "LimeSurvey: export with 'Question code' headings and 'Answer codes' "
                  "responses; 'Full answers' text is mapped to codes through the codebook's "
                  "labels",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Where a text/spreadsheet file's header and data are.

    ``header_row`` is 1-based; ``skip_rows`` rows after it are not data;
    ``labels`` maps column -> question text (from the skipped rows);
    ``platform`` names what was recognised (or None); ``notes`` say it.
    """

    header_row: int = 1
    skip_rows: int = 0
    platform: str | None = None
    labels: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _lower(names) -> set[str]:
    return {str(n).strip().lower() for n in names}


def _import_share(record: list[str]) -> float:
    cells = [c for c in record if str(c).strip()]
    if not cells:
        return 0.0
    return sum(bool(_IMPORT_ID.match(str(c))) for c in cells) / len(cells)


def _labels(names: list[str], texts: list[str]) -> dict:
    out = {}
    for name, text in zip(names, texts):
        text = " ".join(str(text).split())
        if text and text != str(name).strip():
            out[str(name).strip()] = text[:500]
    return out


def _is_number(text) -> bool:
    try:
        float(str(text).strip().replace(",", "."))
    except ValueError:
        return False
    return True


def detect_layout(records: list[list[str]], *, header_row: int | None = None,
                  skip_rows: int | None = None) -> Layout:
    """The layout of a file from its first records (lists of cell texts).

    With ``header_row`` or ``skip_rows`` given, they are used as given (the
    rows skipped after the header still supply question texts when they look
    like texts); otherwise the platform layouts above are recognised.
    """
    if header_row is not None or skip_rows is not None:
        return _given_layout(records, header_row or 1, skip_rows or 0)
    if not records:
        return Layout()
    names = [str(c).strip() for c in records[0]]
    rest = records[1:4]
    share = [_import_share(r) for r in rest]
    meta = _lower(names)
    if len(share) >= 2 and share[1] >= 0.5:
        return Layout(skip_rows=2, platform="Qualtrics", labels=_labels(names, rest[0]),
                      notes=("Qualtrics export: row 2 (question texts) and row 3 (ImportId) "
                             "are header rows, not data; question texts kept as column labels",))
    if share and share[0] >= 0.5:
        return Layout(skip_rows=1, platform="Qualtrics",
                      notes=("Qualtrics export without its question-text row: row 2 "
                             "(ImportId) is a header row, not data",))
    n_meta = len(meta & QUALTRICS_META)
    if n_meta >= 3:
        return _qualtrics_without_import(names, rest, share, n_meta)
    return _single_header(names)


def _qualtrics_without_import(names, rest, share, n_meta) -> Layout:
    partial = [i for i, s in enumerate(share[:2]) if 0 < s < 0.5]
    if partial:
        row = partial[0] + 2
        raise InputError(
            f"looks like a Qualtrics export ({n_meta} Qualtrics metadata columns) but row {row} "
            f"has an ImportId in only {share[partial[0]]:.0%} of its cells", hint=(
                f"If rows 2-{row} are header rows, read with --skip-rows {row - 1}; "
                "otherwise re-export from Qualtrics (Data & Analysis > Export data > CSV)"))
    if rest and _texts_over_numbers(names, rest):
        return Layout(skip_rows=1, platform="Qualtrics", labels=_labels(names, rest[0]),
                      notes=("Qualtrics export (legacy layout): row 2 (question texts) is a "
                             "header row, not data; question texts kept as column labels",))
    return Layout(platform="Qualtrics", notes=(
        f"Qualtrics metadata columns found ({n_meta}) but no question-text or ImportId rows: "
        "read as a plain file with one header row",))


def _texts_over_numbers(names, rest) -> bool:
    """Row 2 is text where rows 3+ hold numbers in most such columns (a label row)."""
    if len(rest) < 2:
        return False
    label, data = rest[0], rest[1:]
    cols = [j for j in range(len(names)) if all(j < len(r) and str(r[j]).strip()
                                                 and _is_number(r[j]) for r in data)]
    if not cols:
        return False
    texty = sum(1 for j in cols if j < len(label) and str(label[j]).strip()
                and not _is_number(label[j]))
    return texty >= max(1, 0.8 * len(cols))


def _single_header(names) -> Layout:
    meta = _lower(names)
    if len(meta & SOSCI_META) >= 4 and {"case", "questnnr"} & meta:
        return Layout(platform="SoSci Survey", notes=(
            "SoSci Survey export (system variables CASE, QUESTNNR...): one header row. "
            + PLATFORM_NOTES["SoSci Survey"],))
    if len(meta & LIMESURVEY_META) >= 3 and "submitdate" in meta:
        long_names = sum(len(n) > 60 or n.count(" ") >= 5 for n in names)
        extra = (" Most headings are question texts, not codes: export with 'Question code' "
                 "headings" if long_names > len(names) / 2 else "")
        return Layout(platform="LimeSurvey", notes=(
            "LimeSurvey export (id, submitdate, lastpage...): one header row." + extra,))
    return Layout()


def _given_layout(records, header_row: int, skip_rows: int) -> Layout:
    if header_row < 1 or skip_rows < 0:
        raise InputError("--header-row must be 1 or more and --skip-rows 0 or more",
                         hint=f"got header row {header_row}, skip rows {skip_rows}")
    names = [str(c).strip() for c in records[header_row - 1]] \
        if len(records) >= header_row else []
    skipped = records[header_row:header_row + skip_rows]
    labels = _labels(names, skipped[0]) if skipped and _import_share(skipped[0]) < 0.5 else {}
    where = f"header on row {header_row}" + (f", {skip_rows} row(s) after it skipped"
                                             if skip_rows else "")
    return Layout(header_row=header_row, skip_rows=skip_rows, labels=labels,
                  notes=(f"layout as requested: {where}",))


def suspect_header_rows(frame, *, max_rows: int = 3) -> int:
    """How many leading data rows look like extra header rows (0 if none).

    A row is suspect when, in most columns that are numeric from the next row
    on, it holds text (judged on the first 1,000 rows, so the cost does not
    grow with the file).  Used for the ``--skip-rows`` hint only; it never
    changes what is read.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": ["Age", "31", "40", "25", "52"],
    ...                    "b": ["Item", "2", "5", "3", "4"]})
    >>> suspect_header_rows(df)
    1
    """
    import pandas as pd
    if frame.shape[0] <= max_rows + 1:
        return 0
    text_cols = [c for c in frame.columns if frame[c].dtype == object
                 or isinstance(frame[c].dtype, pd.StringDtype)]
    if not text_cols:
        return 0
    head = frame[text_cols].iloc[:_SAMPLE_ROWS]  # the shape shows in the first rows
    for k in range(max_rows, 0, -1):
        hits = 0
        for col in text_cols:
            tail = head[col].iloc[k:].dropna()
            top = head[col].iloc[:k]
            if len(tail) and pd.to_numeric(tail, errors="coerce").notna().all() and \
                    pd.to_numeric(top, errors="coerce").isna().all() and top.notna().all():
                hits += 1
        if hits >= max(2, 0.5 * len(text_cols)):
            return k
    return 0

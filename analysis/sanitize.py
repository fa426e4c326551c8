r"""User text made inert for each medium it is written to.

Column names, file names, codebook text and ``source`` come from the user (or
from whoever wrote the survey export) and end up in CSV tables, Markdown,
terminals and figures.  Each medium has its own live syntax; these functions
make user text appear literally in it.  They take and return ``str`` (or the
value unchanged when it is not text) and are idempotent where stated.

==============================  ===============================================
medium                          function
==============================  ===============================================
CSV cell / column name          :func:`neutralize_csv_cell`, :func:`neutralize_frame`
Markdown (report.md)            :func:`escape_markdown`
terminal (stdout/stderr)        :func:`sanitize_terminal`
matplotlib text                 :func:`mpl_literal`
==============================  ===============================================

Sources: OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection);
CommonMark 0.31 section 2.4 "Backslash escapes" and GFM 0.29 section 6.9
"Autolinks (extension)"; ECMA-48 (5th ed., 1991) sections 5.3-5.6 for control
sequences; matplotlib "Writing mathematical expressions" (a literal dollar is
written ``\$``).

Examples
--------
>>> neutralize_csv_cell("=1+2"), neutralize_csv_cell(-1.5), neutralize_csv_cell("-1.5")
("'=1+2", -1.5, '-1.5')
>>> print(escape_markdown("![x](http://host/x.png)"))
\!\[x\]\(http\:\/\/host\/x\.png\)
>>> sanitize_terminal("red\x1b[31m alert\x07")
'red alert'
>>> print(mpl_literal("cost in $ and $x$"))
cost in \$ and \$x\$
"""
from __future__ import annotations

import re

__all__ = ["CSV_DANGEROUS_PREFIXES", "neutralize_csv_cell", "neutralize_frame",
           "escape_markdown", "sanitize_terminal", "mpl_literal"]

#: first characters that make a spreadsheet treat a text cell as a formula (OWASP)
CSV_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# A plain number written as text ("-1.5", "+2e-3") is not a formula in any
# spreadsheet; it stays as it is so negative numbers in text columns survive.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralize_csv_cell(value):
    """Prefix ``'`` to a text cell a spreadsheet would run as a formula.

    A ``str`` starting with ``= + - @``, a tab or a carriage return gets a
    leading apostrophe (OWASP's rule), unless it is a plain number such as
    ``"-1.5"``.  Anything else (numbers, ``None``, NaN, other text) is returned
    unchanged.  Carriage returns inside text become line feeds: Python's csv
    writer (3.11) leaves a field with a bare ``\r`` unquoted when the line
    terminator is ``\n``, and a spreadsheet would start a new row, whose first
    cell could be a formula, there; a field with ``\n`` is quoted.
    Idempotent: the result never starts with a dangerous character.

    Examples
    --------
    >>> neutralize_csv_cell("@SUM(A1)"), neutralize_csv_cell("CO_1"), neutralize_csv_cell(-3)
    ("'@SUM(A1)", 'CO_1', -3)
    """
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
    if value.startswith(CSV_DANGEROUS_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + text
    return text


def neutralize_frame(frame):
    """A copy of ``frame`` safe to write as CSV: text cells, column names and
    index labels neutralised with :func:`neutralize_csv_cell`.

    Numeric columns are untouched (a negative number is not text); object,
    string and categorical columns are mapped cell by cell.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralize_frame(pd.DataFrame({"=cmd": ["+x", "ok"], "b": [-1.0, 2.0]})).to_dict("list")
    {"'=cmd": ["'+x", 'ok'], 'b': [-1.0, 2.0]}
    """
    import pandas as pd
    out = frame.copy()
    for i, (_, col) in enumerate(out.items()):
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.cat.rename_categories(
                {c: neutralize_csv_cell(c) for c in col.cat.categories})
        elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            col = col.map(neutralize_csv_cell, na_action="ignore")
        else:
            continue
        out.isetitem(i, col)
    out.columns = _neutralize_index(out.columns)
    out.index = _neutralize_index(out.index)
    return out


def _neutralize_index(index):
    import pandas as pd
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_neutralize_index(lv) for lv in index.levels]) \
            .set_names([neutralize_csv_cell(n) for n in index.names])
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        index = index.map(neutralize_csv_cell)
    return index.rename(neutralize_csv_cell(index.name))


# ------------------------------------------------------------------- Markdown
# Every ASCII punctuation character may be backslash-escaped in CommonMark and
# then stands for itself.  Escaping all that can carry meaning (emphasis, code,
# links, images, autolinks via ':' '.' '@', HTML, entities, tables, headings,
# lists, math '$' on GitHub) leaves no live syntax.  ',', ';', '?' and '%'
# never carry meaning and stay readable.
_MD_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~&:@=$^\"'/")
_MD_TABLE = str.maketrans({c: "\\" + c for c in _MD_SPECIAL})


def escape_markdown(text, *, inline: bool = True) -> str:
    r"""User text that renders literally in CommonMark/GFM (report.md).

    Markdown punctuation is backslash-escaped, so ``![x](http://host/x.png)``,
    links, autolinks (``http://``, ``www.``, e-mail), raw HTML, entities,
    emphasis, code spans, headings and table pipes show as typed.  Control
    characters are removed (:func:`sanitize_terminal`).  With ``inline=True``
    (the default: table cells, sentences) line breaks and tabs become spaces and
    outer spaces are dropped, so a value cannot end a table row or start a block.  ``None`` gives ``""``.

    Not idempotent (escaping twice shows the backslashes), by design: escape
    once, where the text is placed.

    Examples
    --------
    >>> print(escape_markdown("a|b <img src=x>"))
    a\|b \<img src\=x\>
    """
    if text is None:
        return ""
    text = sanitize_terminal(str(text))
    if inline:
        # outer blanks would vanish when rendered, and four leading ones start a code block
        text = text.replace("\n", " ").replace("\t", " ").strip(" ")
    return text.translate(_MD_TABLE)


# ------------------------------------------------------------------- terminal
# ECMA-48 sequences, 7-bit (ESC ...) and 8-bit (C1) forms.  Each alternative is
# a simple run of character classes, so matching is linear in the text length.
_STRING_END = r"(?:\x07|\x1b\\|\x9c)?"
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"                    # CSI (colours, cursor moves)
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*" + _STRING_END +  # OSC, DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?",                                   # other escapes (incl. lone ESC)
    re.DOTALL)
# C0 and C1 controls, DEL, and Unicode bidirectional overrides/isolates
# ("Trojan Source", CVE-2021-42574), line/paragraph separators.
_CONTROLS_KEEP_NL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROLS_ALL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def sanitize_terminal(text, *, keep_newlines: bool = True) -> str:
    r"""Text safe to print to a terminal: escape sequences and controls removed.

    ANSI/ECMA-48 escape sequences (CSI colours and cursor moves, OSC titles and
    hyperlinks, DCS/APC strings; 7-bit and 8-bit forms) are removed whole, then
    every remaining C0/C1 control character, DEL, and Unicode bidi override is
    removed.  Tabs are kept; newlines are kept unless ``keep_newlines=False``
    (carriage returns always go: they let text overwrite a line).
    Idempotent, and text without controls is returned unchanged.

    Examples
    --------
    >>> sanitize_terminal("\x1b]0;owned\x07col\rumn")
    'column'
    """
    if text is None:
        return ""
    text = str(text)
    if not _needs_sanitizing(text):
        return text
    text = _ESCAPES.sub("", text)
    return (_CONTROLS_KEEP_NL if keep_newlines else _CONTROLS_ALL).sub("", text)


def _needs_sanitizing(text: str) -> bool:
    return _CONTROLS_ALL.search(text) is not None


# ------------------------------------------------------------------ matplotlib
def mpl_literal(text) -> str:
    r"""User text for a matplotlib label, title or legend, shown literally.

    matplotlib reads text with an even number of unescaped ``$`` as mathtext
    (and raises on malformed TeX after all the work is done).  Every ``$`` is
    written ``\$``, which matplotlib shows as a dollar sign and never parses;
    control characters are removed.  ``None`` gives ``""``.

    Examples
    --------
    >>> print(mpl_literal("$\\frac{a}$ Inc."))
    \$\frac{a}\$ Inc.
    """
    if text is None:
        return ""
    return sanitize_terminal(str(text)).replace("$", r"\$")

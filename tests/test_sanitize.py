"""Escapers of user text for CSV, Markdown, terminals and matplotlib (analysis.sanitize).

Property-based (hypothesis): the CSV neutraliser never lets a text cell start
with a formula character, the Markdown escaper's output renders (CommonMark +
GFM tables/autolinks, mistune) to exactly the input text with no live markup,
and the terminal sanitiser leaves no control character and removes escape
sequences whole.
"""
from __future__ import annotations

import csv
import html
import io
import re
import unicodedata

import matplotlib
import mistune
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sanitize import (
    CSV_DANGEROUS_PREFIXES,
    escape_markdown,
    mpl_literal,
    neutralize_csv_cell,
    neutralize_frame,
    sanitize_terminal,
)

_MD = mistune.create_markdown(plugins=["table", "url", "strikethrough"])
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FORMULA_START = st.sampled_from(CSV_DANGEROUS_PREFIXES)
# text that tends to start with a formula character
_CELLS = st.one_of(st.text(), st.builds(lambda a, b: a + b, _FORMULA_START, st.text()))


def _controls(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"
            or c in "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]


# ------------------------------------------------------------------------ CSV
@given(_CELLS)
def test_csv_cell_never_starts_with_a_formula_character(text):
    out = neutralize_csv_cell(text)
    assert not out.startswith(CSV_DANGEROUS_PREFIXES) or _NUMBER.fullmatch(out)
    plain = text.replace("\r\n", "\n").replace("\r", "\n")   # CR would split the row
    assert out in (plain, "'" + plain)                   # nothing else changes
    assert neutralize_csv_cell(out) == out               # idempotent


@given(st.one_of(st.integers(), st.floats(allow_nan=True), st.none(), st.booleans()))
def test_csv_non_text_values_untouched(value):
    out = neutralize_csv_cell(value)
    assert out is value


@pytest.mark.parametrize("text", ["=1+2", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
                                  "\t=1", "\r=1", "=HYPERLINK(\"http://x\")"])
def test_csv_owasp_examples_prefixed(text):
    assert neutralize_csv_cell(text) == "'" + text.replace("\r", "\n")


@pytest.mark.parametrize("text", ["-1.5", "+2", "-3e-4", ".5", "CO_1", "", "'=x"])
def test_csv_harmless_text_untouched(text):
    assert neutralize_csv_cell(text) == text


@settings(max_examples=50, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=4, unique=True), st.data())
def test_frame_written_as_csv_has_no_formula_cell(names, data):
    """Every header and text cell of the written CSV is inert; numbers are kept."""
    frame = pd.DataFrame({n: data.draw(st.lists(_CELLS, min_size=3, max_size=3)) for n in names})
    frame["number"] = [-1.5, 0.0, 2.0]
    frame["category"] = pd.Categorical(["=a", "b", "=a"])
    safe = neutralize_frame(frame)
    written = safe.to_csv(index=False, lineterminator="\n")
    rows = list(csv.reader(io.StringIO(written, newline="")))
    assert len(rows) == 4                                # header + 3 rows, no row split off
    for cell in (c for row in rows for c in row):
        assert not cell.startswith(("=", "+", "@")) or _NUMBER.fullmatch(cell)
        assert not cell.startswith("-") or _NUMBER.fullmatch(cell)
    np.testing.assert_array_equal(safe["number"].to_numpy(), [-1.5, 0.0, 2.0])
    assert frame.columns[0] == names[0]                  # the input frame is not modified


def test_frame_index_and_column_names_neutralised():
    frame = pd.DataFrame({"=cmd": [1, 2]}, index=pd.Index(["@a", "b"], name="+i"))
    out = neutralize_frame(frame)
    assert list(out.columns) == ["'=cmd"]
    assert list(out.index) == ["'@a", "b"] and out.index.name == "'+i"
    assert list(out["'=cmd"]) == [1, 2]


# ------------------------------------------------------------------- Markdown
def _rendered_text(markdown: str) -> str:
    """The visible text of one rendered paragraph (fails on any other markup)."""
    out = _MD(markdown)
    if out == "":
        return ""
    assert out.startswith("<p>") and out.endswith("</p>\n"), out
    inner = out[len("<p>"):-len("</p>\n")]
    assert "<" not in inner and ">" not in inner, out   # no tag at all: no img, a, html
    return html.unescape(inner)


def _expected_visible(text: str) -> str:
    return sanitize_terminal(text).replace("\n", " ").replace("\t", " ").strip(" ")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp"),
                                               blacklist_characters="\x0b\x0c\x1c\x1d\x1e\x1f\x85"))
                | st.sampled_from([" ", "![x](http://h/x.png)", "[a](b)", "<img src=x>",
                                   "www.a.com", "a@b.io", "`", "|", "&amp;", "\n", "$x$"]),
                max_size=6).map("".join))
def test_markdown_renders_exactly_the_text_and_nothing_live(text):
    """Rendered (CommonMark + GFM autolinks, mistune), the escaped text shows exactly the
    input (line breaks as spaces, outer spaces trimmed) and contains no tag at all."""
    assert _rendered_text(escape_markdown(text)) == _expected_visible(text)


@pytest.mark.parametrize("text", ["![x](http://host/x.png)", "[click](javascript:alert(1))",
                                  "<script>alert(1)</script>", "http://evil.example/x",
                                  "www.evil.example", "mail@evil.example", "<http://x.y>",
                                  "&lt;b&gt;", "**bold** _em_ `code`", "# heading",
                                  "1. list", "> quote", "~~gone~~", "a | b"])
def test_markdown_attacks_render_literally(text):
    assert _rendered_text(escape_markdown(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")))
       | st.sampled_from(["a|b", "x\n| y |", "![i](http://h/i.png)|", "\\|"]))
def test_markdown_table_cell_stays_one_cell(text):
    """A value in a GFM table cell neither adds cells nor ends the row."""
    table = "| h | k |\n|---|---|\n| " + escape_markdown(text) + " | z |\n"
    out = _MD(table)
    assert out.count("<td>") == 2 and out.count("<tr>") == 2, out
    cell = out.split("<td>")[1].split("</td>")[0]
    assert "<" not in cell
    # mistune trims the spaces around an escaped pipe inside a cell: compare without spaces
    assert html.unescape(cell).replace(" ", "") == _expected_visible(text).replace(" ", "")


def test_markdown_none_and_block_mode():
    assert escape_markdown(None) == ""
    assert escape_markdown("a\nb", inline=False) == "a\nb"


# ------------------------------------------------------------------- terminal
@given(st.text())
def test_terminal_output_has_no_control_character(text):
    out = sanitize_terminal(text)
    assert _controls(out) == []
    assert sanitize_terminal(out) == out                 # idempotent
    assert "\n" not in sanitize_terminal(text, keep_newlines=False)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"),
                                      blacklist_characters="\u2028\u2029\u202a\u202b\u202c"
                                                           "\u202d\u202e\u2066\u2067\u2068\u2069")))
def test_terminal_plain_text_unchanged(text):
    assert sanitize_terminal(text) == text


_PLAIN = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)
_SEQUENCES = st.one_of(
    st.builds(lambda p, f: "\x1b[" + p + f, st.from_regex(r"[0-9;?]{0,6}", fullmatch=True),
              st.sampled_from("mHJKABCDsuhl")),                           # CSI
    st.builds(lambda p, end: "\x1b]" + p + end, _PLAIN, st.sampled_from(["\x07", "\x1b\\"])),  # OSC
    st.builds(lambda p: "\x9b" + p + "m", st.from_regex(r"[0-9;]{0,4}", fullmatch=True)),   # 8-bit CSI
    st.sampled_from(["\x1b7", "\x1b8", "\x1bc", "\x07", "\r", "\x08", "\x00", "\x7f"]))


@given(st.lists(st.tuples(_PLAIN, _SEQUENCES), max_size=6), _PLAIN)
def test_terminal_escape_sequences_removed_whole(parts, tail):
    """Text interleaved with well-formed escape sequences gives back exactly the text."""
    text = "".join(p + s for p, s in parts) + tail
    assert sanitize_terminal(text) == "".join(p for p, _ in parts) + tail


def test_terminal_examples():
    title = "\x1b]0;pwned\x07"
    link = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"
    assert sanitize_terminal(f"{title}CO{link}\x1b[2J\x1b[31mred\x1b[0m") == "COclickred"
    assert sanitize_terminal("a\tb\nc\r\u202egnp.exe") == "a\tb\ncgnp.exe"


# ------------------------------------------------------------------ matplotlib
@given(st.text(max_size=40) | st.sampled_from(["$x$", r"$\frac{a}$", r"\$5 and $6$", "$$"]))
def test_mpl_text_is_never_mathtext(text):
    from matplotlib.text import Text
    literal = mpl_literal(text)
    shown, ismath = Text(0, 0, literal)._preprocess_math(literal)
    assert ismath is False
    assert shown == sanitize_terminal(text)


@pytest.mark.parametrize("text", [r"$\frac{a}$", "$x^$", "Cost in $ ($US)", "data_$1$.csv"])
def test_mpl_draw_does_not_crash(text):
    """Reproduced: a '$...$' in `source` or a file name made matplotlib raise on draw."""
    import matplotlib.pyplot as plt
    matplotlib.use("Agg")
    fig, ax = plt.subplots()
    try:
        ax.set_title(mpl_literal(text))
        ax.plot([0, 1], label=mpl_literal(text))
        ax.legend()
        fig.canvas.draw()
        assert ax.title.get_text() == mpl_literal(text)
    finally:
        plt.close(fig)

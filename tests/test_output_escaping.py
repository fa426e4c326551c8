"""User text reaches every output medium inert: CSV tables, report.md, index.html,
figures and the terminal (analysis.sanitize wired into report, plots and cli).

One `analyze` run (module fixture) on the example survey with a hostile genotype
column name, a hostile `source` and a data file named with `$...$`; each test checks
one medium.  Reproduced on the old main: the run crashed in matplotlib's mathtext
after the whole analysis (`$\\frac{a}$` in `source`), column names starting with
`=` reached the CSV tables as they were, `![x](http://host/x.png)` stayed a live
image in report.md, and escape sequences in column names reached the terminal raw.
"""
from __future__ import annotations

import csv
import re

import mistune
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.cli import main
from analysis.io.readers import read_data

EVIL_COLUMN = "=1+cmd|' /C calc'!A0 ![x](http://host/x.png)"
EVIL_SOURCE = "Lab $\\frac{a}$ ![x](http://host/x.png) <b>bold</b> \x1b]0;pwned\x07end"
DATA_NAME = "sur$v$ey.csv"
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("escaping")
    frame = read_data(paths.ROOT / "data" / "examples" / "survey.sav").frame
    frame = frame.rename(columns={"DRD4_VNTR": EVIL_COLUMN})
    frame.to_csv(folder / DATA_NAME, index=False)
    book = yaml.safe_load((paths.ROOT / "data" / "examples" / "codebook.yaml").read_text())
    book["genotypes"]["DRD4"]["column"] = EVIL_COLUMN
    book["source"] = EVIL_SOURCE
    (folder / "codebook.yaml").write_text(yaml.safe_dump(book, allow_unicode=True))
    out = folder / "report"
    code = main(["analyze", str(folder / DATA_NAME), "--codebook", str(folder / "codebook.yaml"),
                 "--out", str(out), "--sims", "0"])
    assert code == 0
    return out


def test_figures_written_despite_mathtext_in_source_and_file_name(report):
    figures = list((report / "figures").glob("*.png"))
    assert figures, "no figure written"


def test_csv_tables_have_no_formula_cell(report):
    seen_column = False
    for path in [*(report / "tables").glob("*.csv"), report / "scorecard.csv",
                 report / "assumptions.csv"]:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    seen_column |= EVIL_COLUMN in cell
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) \
                        or _NUMBER.fullmatch(cell), (path.name, cell)
    assert seen_column        # the column name did reach a table (validation findings)
    validation = pd.read_csv(report / "tables" / "validation.csv")
    assert ("'" + EVIL_COLUMN) in set(validation["column"].dropna())


def test_report_md_has_no_live_markup_from_user_text(report):
    text = (report / "report.md").read_text(encoding="utf-8")
    html = mistune.create_markdown(plugins=["table", "url", "strikethrough"])(text)
    assert "host/x.png" in html                                   # shown, as text
    assert "http://host" not in re.findall(r'(?:src|href)="([^"]*)"', html).__str__()
    assert "<b>" not in html and "&lt;b&gt;bold" in html
    assert "\x1b" not in text and "pwned" not in text


def test_index_html_has_no_control_characters(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "\x1b" not in page and "\x07" not in page
    assert "<b>bold</b>" not in page


def test_terminal_output_has_no_escape_sequences(tmp_path, capsys):
    data = pd.read_csv(paths.ROOT / "data" / "examples" / "probe_example.csv")
    hostile = "avoid\x1b]0;pwned\x07ant\x1b[31m"
    data.rename(columns={"avoidant": hostile}).to_csv(tmp_path / "d.csv", index=False)
    code = main(["probe", str(tmp_path / "d.csv"), "-y", "CO", "-x", hostile, "-w", "drd4_7r",
                 "--reference", "drd4_7r=non-carrier"])
    out = capsys.readouterr()
    assert code == 0 and "avoidant" in out.out
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err
    code = main(["probe", str(tmp_path / "d.csv"), "-y", "CO", "-x", hostile + "\x1b[2Jx",
                 "-w", "drd4_7r"])
    err = capsys.readouterr().err
    assert code == 2 and "\x1b" not in err and len(err.strip().splitlines()) == 1

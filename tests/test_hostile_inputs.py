"""Hostile and huge inputs are refused early, in bounded time, with one line and exit code 2.

Every test reproduces a problem seen on the old main (its docstring says what) and
builds its hostile file in a temporary folder: no zip bomb or YAML bomb is committed,
and the xlsx tests never inflate more than a few MB (limits are patched where a test
needs to cross one cheaply).
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.io import readers as aio
from analysis import paths
from analysis.io import safe_yaml
from analysis._errors import InputError
from analysis.cli import main
from analysis.io.codebook import Codebook
from analysis.study.config import load_config

SURVEY = paths.ROOT / "data" / "examples" / "survey.sav"
CODEBOOK = paths.ROOT / "data" / "examples" / "codebook.yaml"


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _one_line_exit_2(argv, capsys, inputs) -> str:
    """Run the CLI in-process; assert exit 2, one stderr line, no traceback, inputs intact."""
    before = {p: _sha(p) for p in inputs}
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1 and ": error: " in lines[0], captured.err
    assert "Traceback" not in captured.err + captured.out
    assert {p: _sha(p) for p in inputs} == before
    return lines[0]


def _validate_codebook(text: str, tmp_path, capsys) -> str:
    cb = tmp_path / "codebook.yaml"
    cb.write_text(text, encoding="utf-8")
    return _one_line_exit_2(["validate", SURVEY, "--codebook", cb], capsys, [cb, SURVEY])


# ----------------------------------------------------------------------- YAML
def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\nid: ResponseId\n"


def test_billion_laughs_codebook_refused(tmp_path, capsys):
    """Reproduced: this ~450-byte codebook of nested aliases hung `validate` (no output
    after 60 s; the duplicate-key walk expands 9**9 nodes)."""
    text = _billion_laughs()
    assert len(text.encode()) < 500
    line = _validate_codebook(text, tmp_path, capsys)
    assert "expands to more than 100,000 values" in line and "line " in line


def test_alias_heavy_codebook_refused(tmp_path, capsys):
    """Reproduced: a 117 KB codebook (a 3,000-key mapping referenced by 20,000 aliases)
    took 75 s in the old duplicate-key check (it walked every alias again); refused now
    once the aliases expand past 100,000 values (or at the 101st alias)."""
    text = ("id: ResponseId\nbase: &b {" + ", ".join(f"k{i}: {i}" for i in range(3000))
            + "}\nrefs: [" + ", ".join(["*b"] * 20000) + "]\n")
    line = _validate_codebook(text, tmp_path, capsys)
    assert "expands to more than 100,000 values" in line
    few = "id: ResponseId\nb: &b 1\nrefs: [" + ", ".join(["*b"] * 101) + "]\n"
    assert "more than 100 YAML aliases" in _validate_codebook(few, tmp_path, capsys)


@pytest.mark.parametrize("depth", [51, 5000])
def test_deeply_nested_codebook_refused(depth, tmp_path, capsys):
    """Reproduced: 5,000 nested '[' gave a RecursionError traceback from the YAML composer."""
    line = _validate_codebook("id: " + "[" * depth + "]" * depth + "\n", tmp_path, capsys)
    assert re.search(r"more than 50 levels deep|nesting depth", line), line


def test_block_nesting_limit_is_50():
    ok = "".join("  " * i + f"k{i}:\n" for i in range(49)) + "  " * 49 + "k49: 1\n"
    safe_yaml.safe_load(ok, file="x")                    # 50 mappings deep: allowed
    deep = "".join("  " * i + f"k{i}:\n" for i in range(50)) + "  " * 50 + "k50: 1\n"
    with pytest.raises(InputError, match="more than 50 levels deep.*line 51"):
        safe_yaml.safe_load(deep, file="x")


def test_duplicate_key_found_in_linear_pass():
    text = "id: a\nscales:\n  CO: {items: [a, b]}\n  CO: {items: [c]}\n"
    with pytest.raises(InputError, match=r"key 'CO' appears twice in one mapping \(line 4\)"):
        safe_yaml.safe_load(text, file="cb.yaml")
    # same key in different mappings, merge keys and list items are fine
    assert safe_yaml.safe_load("a: {x: 1}\nb: {x: 1}\nc: [x, x]\n")["c"] == ["x", "x"]
    merged = safe_yaml.safe_load("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n")
    assert merged["d"] == {"x": 1, "y": 2}


def test_codebook_over_1_mb_refused(tmp_path, capsys):
    line = _validate_codebook("id: ResponseId\n" + "# padding\n" * 100_001, tmp_path, capsys)
    assert "too large for a codebook" in line and "limit is 1,000,000" in line


def test_config_yaml_is_bounded_too(tmp_path, capsys):
    """Reproduced: `--config` went through plain yaml.safe_load (same billion laughs, and a
    non-UTF-8 config gave a UnicodeDecodeError traceback)."""
    bomb = tmp_path / "config.yaml"
    bomb.write_text(_billion_laughs(), encoding="utf-8")
    with pytest.raises(InputError, match="expands to more than"):
        load_config(bomb)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("meta: {seed: 1}\nnote: Zo\xeb\n".encode("latin-1"))
    with pytest.raises(InputError, match="is not UTF-8"):
        load_config(latin)


def test_example_codebook_still_loads():
    assert Codebook.load(str(CODEBOOK)).id == "ResponseId"


# ----------------------------------------------------------------------- XLSX
def _xlsx_with_sheet(path: Path, rows: int, *, dimension: str | None = None,
                     random_values: bool = False) -> Path:
    """An openpyxl-written xlsx whose first sheet gets ``rows`` extra rows appended
    (repetitive, so highly compressible, unless ``random_values``)."""
    buf = io.BytesIO()
    pd.DataFrame({"id": [1, 2], "x": [3.0, 4.0]}).to_excel(buf, index=False)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    rng = np.random.default_rng(3)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                if dimension:
                    data = re.sub(rb'<dimension ref="[^"]*"/>',
                                  f'<dimension ref="{dimension}"/>'.encode(), data)
                values = rng.random(rows) if random_values else np.ones(rows)
                extra = b"".join(f'<row r="{i + 4}"><c r="A{i + 4}"><v>{i}</v></c>'
                                 f'<c r="B{i + 4}"><v>{float(v)!r}</v></c></row>'.encode()
                                 if random_values else
                                 b'<row><c t="n"><v>1</v></c><c t="n"><v>1</v></c></row>'
                                 for i, v in enumerate(values))
                data = data.replace(b"</sheetData>", extra + b"</sheetData>")
            dst.writestr(info.filename, data)
    return path


def _validate_data(path: Path, capsys) -> str:
    return _one_line_exit_2(["validate", path, "--codebook", CODEBOOK], capsys, [path, CODEBOOK])


def test_xlsx_zip_bomb_refused_before_parsing(tmp_path, capsys):
    """Reproduced: a 4 MB .xlsx whose sheet inflates to 1.2 GB ran for over 60 s (memory
    rising) in `validate`.  Same shape here at 3 MB inflated (compressed ~300 times), which
    the old main parsed instead of refusing."""
    bomb = _xlsx_with_sheet(tmp_path / "bomb.xlsx", 60_000)
    info = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 3_000_000 and info.file_size / info.compress_size > 100
    line = _validate_data(bomb, capsys)
    assert "'xl/worksheets/sheet1.xml' is compressed" in line and "zip bomb" in line


def test_xlsx_part_and_total_size_limits(tmp_path, capsys, monkeypatch):
    """The absolute limits (500 MB a part, 1 GB in all) checked with lowered limits, on a
    file of random numbers (compressed about 3 times, so only the size rule applies)."""
    data = _xlsx_with_sheet(tmp_path / "big.xlsx", 4_000, random_values=True)
    monkeypatch.setattr(aio, "XLSX_MAX_PART_BYTES", 100_000)
    assert "would inflate to" in _validate_data(data, capsys)
    monkeypatch.setattr(aio, "XLSX_MAX_PART_BYTES", 10_000_000)
    monkeypatch.setattr(aio, "XLSX_MAX_TOTAL_BYTES", 100_000)
    assert "would inflate to more than 100,000 bytes" in _validate_data(data, capsys)
    monkeypatch.setattr(aio, "XLSX_MAX_TOTAL_BYTES", 10_000_000)
    assert aio.read_data(data).frame.shape == (4_002, 2)   # within the limits it reads


@pytest.mark.parametrize("dimension", ["A1:XFD1048576", "A1:B2000000", "A1:XFE3"])
def test_xlsx_declared_dimension_refused(dimension, tmp_path, capsys):
    """Reproduced: a sheet declaring 1,048,576 x 16,384 cells (or beyond Excel's maxima)
    was handed to openpyxl; now its <dimension> is read from the first 4 KB and refused."""
    data = _xlsx_with_sheet(tmp_path / "dim.xlsx", 0, dimension=dimension)
    assert "declares" in _validate_data(data, capsys)


def test_xlsx_not_a_zip_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    assert "could not be read as a XLSX file" in _validate_data(bad, capsys)

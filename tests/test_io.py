"""Readers: the same data in every supported format read back identically.

Independent check: the reference frame is built in memory; each file is
written by a *different* library (pandas' CSV/Excel/Stata/Parquet writers,
pyreadstat's SPSS writer) and read back through ``analysis.io.readers.read_data``.
Numbers are compared exactly (they are binary-exact decimals like 2.25, so no
tolerance is needed) after casting numeric columns to float, because SPSS
stores every number as a double.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis._errors import InputError
from analysis.io.readers import Dataset, read_data, read_table_for_probe

REFERENCE = pd.DataFrame({
    "id": [1, 2, 3, 4, 5],
    "score": [1.5, 2.25, np.nan, 4.0, -0.5],
    "q1": [1, 5, 3, 2, 4],
    "name": ["Zoë", "b", None, "d", "Ærø"],
    "geno": ["A1/A2", "A2/A2", None, "A1/A1", "A2/A2"],
})


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _write(frame: pd.DataFrame, folder, kind: str) -> tuple[str, dict]:
    """Write ``frame`` in format ``kind``; return the path and read options."""
    writers = {
        "comma": ("d.csv", lambda p: frame.to_csv(p, index=False), {}),
        "semicolon": ("d.csv", lambda p: frame.to_csv(p, index=False, sep=";"), {}),
        "tab": ("d.tsv", lambda p: frame.to_csv(p, index=False, sep="\t"), {}),
        "tab_txt": ("d.txt", lambda p: frame.to_csv(p, index=False, sep="\t"), {}),
        "pipe": ("d.csv", lambda p: frame.to_csv(p, index=False, sep="|"), {}),
        "bom": ("d.csv", lambda p: frame.to_csv(p, index=False, encoding="utf-8-sig"), {}),
        "latin1": ("d.csv", lambda p: frame.to_csv(p, index=False, encoding="latin-1"), {}),
        "decimal_comma": ("d.csv", lambda p: frame.to_csv(p, index=False, sep=";", decimal=","),
                          {"decimal": ","}),
        "xlsx": ("d.xlsx", lambda p: frame.to_excel(p, index=False), {}),
        "sav": ("d.sav", lambda p: pyreadstat.write_sav(frame, p), {}),
        "zsav": ("d.zsav", lambda p: pyreadstat.write_sav(frame, p, compress=True), {}),
        "dta": ("d.dta", lambda p: frame.to_stata(p, write_index=False), {}),
        "parquet": ("d.parquet", lambda p: frame.to_parquet(p), {}),
    }
    name, write, opts = writers[kind]
    path = os.path.join(folder, name)
    write(path)
    return path, opts


KINDS = ["comma", "semicolon", "tab", "tab_txt", "pipe", "bom", "latin1", "decimal_comma",
         "xlsx", "sav", "zsav", "dta", "parquet"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_format_reads_back_identically(tmp_path, kind):
    path, opts = _write(REFERENCE, tmp_path, kind)
    before = _sha(path)
    ds = read_data(path, **opts)
    assert _sha(path) == before  # input never modified
    got = ds.frame
    assert list(got.columns) == list(REFERENCE.columns)
    for col in ["id", "score", "q1"]:
        assert pd.api.types.is_numeric_dtype(got[col]), (kind, col, got[col].dtype)
        np.testing.assert_array_equal(got[col].to_numpy(float), REFERENCE[col].to_numpy(float))
    for col in ["name", "geno"]:
        assert pd.api.types.is_string_dtype(got[col]), (kind, col, got[col].dtype)
        assert got[col].tolist()[:2] == REFERENCE[col].tolist()[:2]
        assert got[col].isna().tolist() == REFERENCE[col].isna().tolist()
    assert got["name"].tolist()[-1] == "Ærø"


def test_notes_name_what_the_reader_did(tmp_path):
    path, _ = _write(REFERENCE, tmp_path, "latin1")
    notes = " ".join(read_data(path).notes)
    assert "not valid UTF-8" in notes and "comma" in notes
    path, _ = _write(REFERENCE, tmp_path, "semicolon")
    assert "delimiter: semicolon" in read_data(path).notes


def test_spss_user_missing_become_nan_and_are_counted(tmp_path):
    frame = pd.DataFrame({"q1": [1.0, -9.0, 3.0, 99.0, 99.0], "q2": [2.0, 2.0, 98.0, 1.0, 1.0],
                          "g": ["A1/A2", "X", "A2/A2", "A2/A2", "A1/A1"]})
    path = str(tmp_path / "m.sav")
    pyreadstat.write_sav(frame, path, missing_ranges={"q1": [-9, 99], "q2": [{"lo": 90, "hi": 100}],
                                                      "g": ["X"]},
                         variable_value_labels={"q1": {1: "never", 9: "always"}},
                         column_labels={"q1": "I help customers"})
    before = _sha(path)
    ds = read_data(path)
    assert _sha(path) == before
    assert ds.frame["q1"].isna().tolist() == [False, True, False, True, True]
    assert ds.frame["q2"].isna().tolist() == [False, False, True, False, False]
    assert ds.frame["g"].isna().tolist() == [False, True, False, False, False]
    assert ds.user_missing_counts == {"q1": 3, "q2": 1, "g": 1}
    assert ds.value_labels["q1"] == {1: "never", 9: "always"}
    assert ds.column_labels["q1"] == "I help customers"
    note = " ".join(ds.notes)
    assert "5 cell(s) in 3 column(s)" in note and "X" not in note.replace("SPSS", "")
    assert ds.to_dict()["user_missing_counts"] == {"q1": 3, "q2": 1, "g": 1}


def test_xlsx_sheet_by_name_and_index(tmp_path):
    path = str(tmp_path / "two.xlsx")
    with pd.ExcelWriter(path) as writer:
        REFERENCE.head(2).to_excel(writer, sheet_name="first", index=False)
        REFERENCE.to_excel(writer, sheet_name="survey", index=False)
    assert read_data(path).frame.shape[0] == 2
    assert read_data(path, sheet="survey").frame.shape[0] == 5
    assert read_data(path, sheet=1).frame.shape[0] == 5
    assert read_data(path, sheet="1").frame.shape[0] == 5
    with pytest.raises(InputError, match="'first', 'survey'"):
        read_data(path, sheet="Sheet1")


def test_trailing_empty_rows_are_dropped_but_inner_rows_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n;\n3;4\n;\n;\n", encoding="utf-8")
    frame = read_data(path).frame
    assert frame.shape == (3, 2)
    assert frame["a"].isna().tolist() == [False, True, False]


def test_single_column_and_quoted_fields(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("score\n1\n2\n", encoding="utf-8")
    assert read_data(path).frame["score"].tolist() == [1, 2]
    path = tmp_path / "q.csv"
    path.write_text('id,comment\n1,"yes, really"\n2,"no; never"\n', encoding="utf-8")
    assert read_data(path).frame["comment"].tolist() == ["yes, really", "no; never"]


def test_probe_helper_and_from_frame(tmp_path):
    path, _ = _write(REFERENCE, tmp_path, "comma")
    assert read_table_for_probe(path).shape == REFERENCE.shape
    ds = Dataset.from_frame(REFERENCE, path="sim")
    assert ds.format == "frame" and ds.n_rows == 5 and ds.to_dict()["columns"][0] == "id"
    with pytest.raises(InputError, match="duplicate"):
        Dataset.from_frame(pd.DataFrame([[1, 2]], columns=["a", "a"]))

"""Bad inputs through the Python API: every case is a clear InputError (or an
error Problem) that names the file/column/rows, never shows a genotype value,
and leaves every input file byte-for-byte unchanged.

Each case builds its files in a fresh folder, records their sha256, runs
read_data -> Codebook.load -> validate -> prepare up to the stage where the
problem must be caught, and checks the message.  The CLI layer (exit code 2)
is tested separately on top of these cases.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis._errors import InputError
from analysis.io.codebook import Codebook
from analysis.io.readers import Dataset, read_data
from analysis.io.validate import prepare, validate

N = 30
GENOS = ["4R/7R", "4R/4R", "2R/4R", "7R/7R", "3R/4R"]
MALICIOUS = "__import__('os').system('x')"


def _base_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    z = rng.standard_normal(N)
    items = {f"c{j}": np.clip(np.round(3 + 1.2 * (0.8 * z + 0.6 * rng.standard_normal(N))), 1, 5)
             .astype(int) for j in (1, 2, 3)}
    return pd.DataFrame({"pid": [f"P{i:03d}" for i in range(N)], **items,
                         "g": [GENOS[i % len(GENOS)] for i in range(N)],
                         "age": rng.integers(20, 60, N)})


def _base_codebook() -> dict:
    return {"id": "pid", "scales": {"CO": {"items": ["c1", "c2", "c3"], "min": 1, "max": 5}},
            "genotypes": {"DRD4": {"column": "g"}}, "covariates": ["age"]}


@dataclass
class Case:
    """One bad input: files to write, the stage that must catch it, what to see."""

    name: str
    stage: str                                   # read | codebook | validate
    frame: object = None                         # callable(df) -> df, or None
    codebook: object = None                      # callable(dict) -> dict/text, or None
    data_name: str = "data.csv"
    write: object = None                         # callable(path, df) for special files
    read_opts: dict = field(default_factory=dict)
    code: str | None = None                      # Problem.code for validate-stage cases
    match: str = ""                              # regex the message must contain
    names: tuple = ()                            # substrings the message must contain
    names_file: bool = True                      # message names the data/codebook file


def _set(col, rows, value):
    def change(df):
        df = df.copy()
        df[col] = df[col].astype(object)
        df.loc[list(rows), col] = value
        return df
    return change


def _cb_set(fn):
    def change(cb):
        cb = yaml.safe_load(yaml.safe_dump(cb))
        fn(cb)
        return cb
    return change


def _text(content, encoding="utf-8"):
    def write(path, df):
        with open(path, "wb") as handle:
            handle.write(content.encode(encoding) if isinstance(content, str) else content)
    return write


def _xlsx_header_only(path, df):
    df.head(0).to_excel(path, index=False)


def _sav_header_only(path, df):
    pyreadstat.write_sav(df.head(0).astype({"g": str, "pid": str}), str(path))


def _xlsx_dup(path, df):
    out = df.copy()
    out.columns = ["pid", "c1", "c2", "c2", "g", "age"]
    out.to_excel(path, index=False)


def _xlsx(path, df):
    df.to_excel(path, index=False, sheet_name="answers")


CASES = [
    # ---------------------------------------------------------------- reading
    Case("missing file", "read", write=lambda p, df: None, match="no such file"),
    Case("directory instead of file", "read", write=lambda p, df: os.mkdir(p),
         data_name="folder.csv", match="is a folder"),
    Case("unsupported extension", "read", data_name="data.xls", write=_text("x"),
         match=r"unsupported file type '\.xls'.*Supported: \.csv"),
    Case("no extension", "read", data_name="data", write=_text("a,b\n1,2\n"),
         match="unsupported file type '\\(none\\)'"),
    Case("empty file", "read", write=_text(""), match="empty"),
    Case("blank lines only", "read", write=_text("\n \n\n"), match="empty"),
    Case("header-only csv", "read", write=_text("pid,c1,c2,c3,g,age\n"),
         match="header but no data rows"),
    Case("header-only xlsx", "read", data_name="data.xlsx", write=_xlsx_header_only,
         match="header but no data rows"),
    Case("header-only sav", "read", data_name="data.sav", write=_sav_header_only,
         match="header but no data rows"),
    Case("only empty rows", "read", write=_text("a;b\n;\n;\n"), match="no data rows"),
    Case("wrong sheet name", "read", data_name="data.xlsx", write=_xlsx,
         read_opts={"sheet": "Sheet1"}, match="has no sheet 'Sheet1'.*'answers'"),
    Case("sheet index out of range", "read", data_name="data.xlsx", write=_xlsx,
         read_opts={"sheet": 3}, match="has no sheet 3"),
    Case("corrupt xlsx", "read", data_name="data.xlsx", write=_text(b"PK\x03\x04garbage"),
         match="could not be read as a XLSX file"),
    Case("corrupt sav", "read", data_name="data.sav", write=_text("not spss at all"),
         match="could not be read as a SAV file"),
    Case("corrupt parquet", "read", data_name="data.parquet", write=_text(b"PAR1xx"),
         match="could not be read as a PARQUET file"),
    Case("corrupt dta", "read", data_name="data.dta", write=_text(b"\x00\x01junk"),
         match="could not be read as a DTA file"),
    Case("duplicate column names csv", "read", write=_text("id,c1,c1\n1,2,3\n"),
         match="duplicate column name.*'c1'"),
    Case("duplicate column names xlsx", "read", data_name="data.xlsx", write=_xlsx_dup,
         match="duplicate column name.*'c2'"),
    Case("ragged rows", "read", write=_text("a,b\n1,2\n1,2,3,4\n"),
         match="could not be parsed"),
    Case("bad decimal option", "read", read_opts={"decimal": ";"}, match="decimal separator"),
    Case("forced wrong encoding", "read", write=_text("a,b\nZoë,2\n"),
         read_opts={"encoding": "ascii"}, match="cannot be decoded as 'ascii'"),
    # ---------------------------------------------------------------- codebook
    Case("missing codebook file", "codebook", codebook=lambda cb: None,
         match="codebook file not found"),
    Case("codebook is a list", "codebook", codebook=lambda cb: "- a\n- b\n",
         match="must be a mapping"),
    Case("python tag in YAML", "codebook",
         codebook=lambda cb: "scales: !!python/object/apply:os.system ['echo hacked']\n",
         match="YAML tag that is not allowed.*line 1"),
    Case("invalid YAML", "codebook", codebook=lambda cb: "scales: [CO\n  id: x\n",
         match="is not valid YAML"),
    Case("empty codebook", "codebook", codebook=lambda cb: "# nothing\n",
         match="codebook is empty"),
    Case("duplicate key", "codebook",
         codebook=lambda cb: yaml.safe_dump(cb, sort_keys=False) + "id: other\n",
         match="key 'id' appears twice"),
    Case("unknown top-level key", "codebook", codebook=_cb_set(lambda c: c.update(scale=1)),
         match="unknown key 'scale' in top level.*Did you mean 'scales'"),
    Case("unknown scale key", "codebook",
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(itmes=["c1"])),
         match="unknown key 'itmes' in scales.CO.*Did you mean 'items'"),
    Case("unknown scale name", "codebook",
         codebook=_cb_set(lambda c: c["scales"].update(customer={"score": "c1"})),
         match="unknown key 'customer' in scales"),
    Case("items and score", "codebook",
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(score="c1")),
         match="either 'items'.*or 'score'"),
    Case("min not below max", "codebook",
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(min=5, max=1)),
         match="min \\(5\\) must be below max \\(1\\)"),
    Case("missing range", "codebook",
         codebook=_cb_set(lambda c: c["scales"]["CO"].pop("max")), match="'min' and 'max'"),
    Case("reverse not an item", "codebook",
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(reverse=["c9"])),
         match="reverse lists 'c9'"),
    Case("min_answered out of range", "codebook",
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(min_answered=1.5)),
         match="min_answered must be a share"),
    Case("bad genotype format", "codebook",
         codebook=_cb_set(lambda c: c["genotypes"]["DRD4"].update(format="vcf")),
         match="format must be 'alleles' or 'carrier'"),
    Case("no genotypes", "codebook", codebook=_cb_set(lambda c: c.pop("genotypes")),
         match="needs a 'genotypes' mapping"),
    Case("no outcome scale", "codebook",
         codebook=_cb_set(lambda c: c.update(scales={"avoidant": {"score": "c1"}})),
         match="no outcome scale"),
    Case("column in two roles", "codebook",
         codebook=_cb_set(lambda c: c.update(covariates=["c1"])),
         match="column 'c1' is used twice"),
    Case("boolean missing code", "codebook",
         codebook=_cb_set(lambda c: c.update(missing_codes=[True])),
         match="missing-value codes must be numbers or text"),
    Case("min_group_size too small", "codebook",
         codebook=_cb_set(lambda c: c.update(min_group_size=0)), match="min_group_size"),
    Case("yes/no key", "codebook", codebook=lambda cb: "yes: 1\n", match="is not a name"),
    # ---------------------------------------------------------------- validation
    Case("unknown column with suggestion", "validate", code="unknown_column",
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(items=["c1", "c2", "c4"])),
         match="column 'c4' is not in the data.*Did you mean 'c3' or 'c2' or 'c1'"),
    Case("unknown column case", "validate", code="unknown_column",
         codebook=_cb_set(lambda c: c.update(covariates=["AGE"])), match="Did you mean 'age'"),
    Case("unparseable genotype", "validate", code="unparseable_genotype",
         frame=_set("g", [2, 9], "4R/banana"), names=("column 'g'", "rows 3, 10"),
         match="not a recognised DRD4 genotype"),
    Case("unparseable carrier code", "validate", code="unparseable_genotype",
         frame=lambda df: df.assign(g=["yes", "no", "maybe"] * 10),
         codebook=_cb_set(lambda c: c["genotypes"]["DRD4"].update(format="carrier")),
         names=("column 'g'",), match="not a recognised carrier code"),
    Case("out-of-range Likert", "validate", code="out_of_range", frame=_set("c2", [4], 7),
         names=("column 'c2'", "row 5", "(value 7.0)"), match="outside the CO response range"),
    Case("undeclared missing code", "validate", code="out_of_range", frame=_set("c1", [0], 99),
         names=("row 1",), match="add codes such as 99 to missing_codes"),
    Case("text in a numeric item", "validate", code="not_numeric",
         frame=_set("c3", [6], "agree"), names=("column 'c3'", "row 7", "'agree'"),
         match="are text, not numbers"),
    Case("infinite value", "validate", code="not_finite", frame=_set("c1", [3], math.inf),
         names=("row 4",), match="infinite"),
    Case("duplicate ids", "validate", code="duplicate_id", frame=_set("pid", [1, 5], "P000"),
         names=("column 'pid'", "rows 1, 2, 6"), match="share 1 id value"),
    Case("genotype group of size 0", "validate", code="group_not_estimable",
         frame=lambda df: df.assign(g="4R/4R"), match="7R carriers has no members"),
    Case("genotype group of size 1", "validate", code="group_not_estimable",
         frame=lambda df: df.assign(g=["4R/7R"] + ["4R/4R"] * (N - 1)),
         match="7R carriers has fewer than 2 members"),   # issue 8: never the exact count
    Case("all genotypes missing", "validate", code="genotype_all_missing",
         frame=lambda df: df.assign(g="undetermined"), match="no DRD4 genotype"),
    Case("constant scale", "validate", code="constant_scale",
         frame=lambda df: df.assign(c1=3, c2=3, c3=3), match="CO score is the same \\(3\\)"),
    Case("all items missing for a scale", "validate", code="scale_all_missing",
         frame=lambda df: df.assign(c1=-9, c2=-9, c3=-9),
         codebook=_cb_set(lambda c: c.update(missing_codes=[-9])),
         match="no respondent has a CO score"),
    Case("ready score is text", "validate", code="not_numeric",
         frame=_set("c1", [0, 1], "high"),
         codebook=_cb_set(lambda c: c.update(scales={"SO": {"score": "c1"}})),
         names=("rows 1, 2",), match="SO score are text"),
    Case("non-numeric covariate", "validate", code="not_numeric",
         frame=lambda df: df.assign(age=["young", "old", "mid"] * 10), names=("column 'age'",),
         match="covariate are text"),
    Case("constant covariate", "validate", code="constant_covariate",
         frame=lambda df: df.assign(age=40), match="covariate is the same"),
    Case("too few complete rows", "validate", code="too_few_rows",
         frame=lambda df: df.assign(age=[20, 30, 40] + [None] * (N - 3)),
         match="only 3 complete row"),
    Case("malicious column name as unknown column", "validate", code="unknown_column",
         codebook=_cb_set(lambda c: c.update(covariates=[MALICIOUS])),
         names=(MALICIOUS,), match="is not in the data"),
    Case("malicious column name with bad value", "validate", code="out_of_range",
         frame=lambda df: df.rename(columns={"c1": MALICIOUS}).assign(**{MALICIOUS: 9}),
         codebook=_cb_set(lambda c: c["scales"]["CO"].update(items=[MALICIOUS, "c2", "c3"])),
         names=(repr(MALICIOUS),), match="outside the CO response range"),
]


def _sha_tree(folder) -> dict:
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            out[path] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def _materialise(case: Case, folder):
    df = _base_frame()
    if case.frame is not None:
        df = case.frame(df)
    data = os.path.join(folder, case.data_name)
    if case.write is not None:
        case.write(data, df)
    else:
        df.to_csv(data, index=False)
    cb_path = os.path.join(folder, "codebook.yaml")
    cb = case.codebook(_base_codebook()) if case.codebook is not None else _base_codebook()
    if cb is not None:
        with open(cb_path, "w", encoding="utf-8") as handle:
            handle.write(cb if isinstance(cb, str) else yaml.safe_dump(cb, sort_keys=False))
    return data, cb_path, df


def _without_hint(err: InputError) -> str:
    """The message minus the hint (hints may quote notation examples such as 4R/7R)."""
    return InputError(err.problem, file=err.file, column=err.column, rows=err.rows,
                      values=err.values or None).message


def _run(case: Case, data: str, cb_path: str) -> tuple[str, str]:
    """(message, message without hint) of the error the case must produce."""
    if case.stage in ("read", "codebook"):
        with pytest.raises(InputError) as err:
            if case.stage == "read":
                read_data(data, **case.read_opts)
            else:
                read_data(data, **case.read_opts)
                Codebook.load(cb_path)
        return err.value.message, _without_hint(err.value)
    ds = read_data(data, **case.read_opts)
    cb = Codebook.load(cb_path)
    report = validate(ds, cb)
    assert not report.ok
    found = [p for p in report.errors if p.code == case.code]
    assert found, [p.text for p in report.errors]
    with pytest.raises(InputError) as err:
        prepare(ds, cb)
    assert not any(v in _without_hint(err.value) for v in GENOS + ["banana", "maybe"])
    return found[0].text, _without_hint(found[0].to_input_error())


def test_there_are_at_least_30_distinct_cases():
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path):
    data, cb_path, df = _materialise(case, str(tmp_path))
    before = _sha_tree(tmp_path)
    message, core = _run(case, data, cb_path)
    assert _sha_tree(tmp_path) == before  # nothing modified, nothing written
    assert "Traceback" not in message
    if case.match:
        assert re.search(case.match, message), message
    for text in case.names:
        assert text in message, message
    if case.names_file:
        where = cb_path if case.stage == "codebook" else data
        assert f"file {where!r}" in message, message
    genotype_values = {str(v) for v in df["g"].dropna() if len(str(v)) >= 3} | set(GENOS)
    assert not any(v in core for v in genotype_values), message


def test_malicious_column_name_is_just_a_name(tmp_path):
    df = _base_frame().rename(columns={"c1": MALICIOUS})
    path = tmp_path / "m.csv"
    df.to_csv(path, index=False)
    cb = _base_codebook()
    cb["scales"]["CO"]["items"] = [MALICIOUS, "c2", "c3"]
    ds = read_data(path)
    assert MALICIOUS in ds.frame.columns
    report = validate(ds, Codebook.from_dict(cb))
    assert report.ok, report.summary()
    assert not os.path.exists("x")
    assert prepare(ds, Codebook.from_dict(cb))["CO"].notna().all()


def test_genotype_values_never_in_any_problem():
    df = _base_frame()
    df.loc[[0, 1], "g"] = ["9R/9R/9R", "A1/A2"]       # bad DRD4 notations
    df.loc[[2, 3], "pid"] = "P010"                      # duplicate ids
    cb = Codebook.from_dict(_base_codebook())
    report = validate(Dataset.from_frame(df, path="d.csv"), cb)
    text = report.summary() + str(report.to_dict()["errors"])
    for value in ["9R/9R/9R", "A1/A2", "P010"]:
        assert value not in text
    assert {p.code for p in report.errors} >= {"unparseable_genotype", "duplicate_id"}


def test_validate_rejects_wrong_argument_types():
    with pytest.raises(InputError, match="needs a Codebook"):
        validate(Dataset.from_frame(_base_frame()), {"scales": {}})
    with pytest.raises(InputError, match="needs a Dataset"):
        validate(_base_frame(), Codebook.from_dict(_base_codebook()))


def test_empty_in_memory_frame_is_an_error_problem():
    ds = Dataset.from_frame(_base_frame().head(0))
    report = validate(ds, Codebook.from_dict(_base_codebook()))
    assert [p.code for p in report.errors] == ["empty"]
    with pytest.raises(InputError, match="no data rows"):
        prepare(ds, Codebook.from_dict(_base_codebook()))


# ---------------------------------------------------------------- property test
_names = st.text(min_size=1, max_size=6).filter(lambda s: s.strip() != "")
_cells = st.one_of(st.integers(-20, 120), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=5), st.none(), st.booleans(),
                   st.sampled_from(["A1/A2", "4R/7R", "CT", "NA", "", "yes", "0/0", "7"]))


@st.composite
def _frame_and_codebook(draw):
    names = draw(st.lists(_names, min_size=2, max_size=6, unique=True))
    n = draw(st.integers(0, 8))
    frame = pd.DataFrame({c: pd.Series(draw(st.lists(_cells, min_size=n, max_size=n)),
                                       dtype=object) for c in names})
    pick = st.sampled_from(names + ["not-a-column"])
    low = draw(st.integers(-3, 5))
    scale = draw(st.sampled_from(["CO", "SO"]))
    spec = ({"score": draw(pick)} if draw(st.booleans()) else
            {"items": draw(st.lists(pick, min_size=1, max_size=3, unique=True)),
             "min": low, "max": low + draw(st.integers(1, 8)),
             "min_answered": draw(st.sampled_from([0.3, 0.5, 1.0]))})
    cb = {"scales": {scale: spec},
          "genotypes": {draw(st.sampled_from(["DRD2", "DRD4"])): {
              "column": draw(pick), "format": draw(st.sampled_from(["alleles", "carrier"]))}},
          "missing_codes": draw(st.lists(st.one_of(st.integers(-10, 100), st.text(max_size=3)),
                                         max_size=3)),
          "min_group_size": draw(st.integers(2, 12))}
    if draw(st.booleans()):
        cb["id"] = draw(pick)
    if draw(st.booleans()):
        cb["covariates"] = draw(st.lists(pick, max_size=2, unique=True))
    return frame, cb


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frame_and_codebook())
def test_validate_never_raises_anything_but_input_error(case):
    frame, cb_dict = case
    try:
        cb = Codebook.from_dict(cb_dict, path="cb.yaml")
        ds = Dataset.from_frame(frame, path="random.csv")
        report = validate(ds, cb)
        report.summary()
        report.to_dict()
        prepare(ds, cb)
    except InputError:
        pass

"""Survey-platform exports and labelled genotypes give the same analysis as the plain export.

The exports are built in temporary folders from the simulated Study 2 export
(``tests/survey_exports.py``; never real participants' data).  The reference
is the plain CSV read through the same path.  "Identical" means exactly equal
(``assert_frame_equal`` with ``check_exact=True``): the analysis-ready frame
of every variant (scores, genotype codings, covariates), and, for the plain,
Qualtrics-shaped and labelled-SPSS versions, the scorecard and the Study 2
interaction table of the full analysis.  The same answers go in, so the same
numbers must come out, not merely close ones.
"""
from __future__ import annotations

import os
import sys

import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis._errors import InputError
from analysis.cli import main
from analysis.io.codebook import Codebook
from analysis.study.config import load_config
from analysis.io.readers import read_data
from analysis.pipeline import load_study, run_analysis
from analysis.io.validate import validate

sys.path.insert(0, os.path.dirname(__file__))
import survey_exports as se  # noqa: E402

PLAIN = paths.SIMULATED / "study2.csv"
CODEBOOK = paths.SIMULATED / "study2_codebook.yaml"


@pytest.fixture(scope="module")
def config():
    return load_config().with_overrides({"bootstrap": {"n_boot": 0}})


@pytest.fixture(scope="module")
def plain():
    return read_data(PLAIN).frame


def _result(path, codebook, config=None, **opts):
    """(analysis frame, None, study) or, with a config, (scorecard, interactions, study)."""
    study = load_study("study2", path, codebook, **opts)
    if config is None:
        return study.frame, None, study
    res = run_analysis(study, study, config, replication_sims=0, multiverse=False)
    return res.scorecard.to_frame(), res.study2.interactions, study


@pytest.fixture(scope="module")
def reference():
    return _result(PLAIN, CODEBOOK)


def _same(got, ref) -> None:
    pd.testing.assert_frame_equal(got[0], ref[0], check_exact=True)
    if ref[1] is not None:
        pd.testing.assert_frame_equal(got[1], ref[1], check_exact=True)


def _choice_codebook(tmp_path) -> str:
    book = yaml.safe_load(CODEBOOK.read_text())
    for name, spec in book["scales"].items():
        spec["labels"] = se.AGREE9 if name in ("CO", "SO") else se.AGREE7
    path = tmp_path / "choice_codebook.yaml"
    path.write_text(yaml.safe_dump(book))
    return str(path)


@pytest.mark.parametrize("kind", ["csv", "tsv", "xlsx"])
def test_qualtrics_export_gives_identical_analysis_frame(kind, plain, reference, config, tmp_path):
    path = tmp_path / f"qualtrics.{kind}"
    se.write_qualtrics(plain, path, kind=kind)
    got = _result(path, CODEBOOK)
    _same(got, reference)
    report = got[2].validation
    assert any("Qualtrics export: row 2 (question texts) and row 3 (ImportId)" in n
               for n in report.notes)


def test_qualtrics_choice_text_mapped_through_codebook_labels(plain, reference, config, tmp_path):
    path = tmp_path / "qualtrics_text.csv"
    se.write_qualtrics(plain, path, choice_text=True)
    got = _result(path, _choice_codebook(tmp_path))
    _same(got, reference)
    assert any("answer text(s) mapped to codes" in n for n in got[2].validation.notes)
    # Without labels, the text answers are errors whose hint says what to do.
    report = validate(read_data(path), Codebook.load(CODEBOOK))
    texts = [p for p in report.errors if p.code == "not_numeric"]
    assert texts and "choice text" in texts[0].hint and "labels" in texts[0].hint


def test_labelled_spss_genotypes_give_identical_analysis_frame(plain, reference, config, tmp_path):
    path = tmp_path / "labelled.sav"
    se.write_labelled_sav(plain, path)
    got = _result(path, CODEBOOK)
    _same(got, reference)
    notes = " ".join(got[2].validation.notes)
    assert "DRD2 column 'drd2_taq1a': value labels applied before parsing (0 = 'A2/A2', " \
           "1 = 'A1/A2', 2 = 'A1/A1')" in notes


def test_labelled_carrier_codes_give_identical_drd4_claims(plain, reference, config, tmp_path):
    # DRD4 delivered as 1 = "non-carrier", 2 = "carrier": the labels, not the codes, decide.
    path = tmp_path / "carrier.sav"
    se.write_labelled_sav(plain, path, drd4_carrier=True)
    book = yaml.safe_load(CODEBOOK.read_text())
    book["genotypes"]["DRD4"]["format"] = "carrier"
    cb = tmp_path / "carrier.yaml"
    cb.write_text(yaml.safe_dump(book))
    got = _result(path, str(cb))
    # DRD4 comes as a carrier code: no allele counts, the carrier column is identical.
    ref = reference[0].drop(columns=["drd4_7r_count"])
    _same((got[0], None), (ref, None))


def test_labels_that_do_not_parse_get_one_line_naming_the_labels(plain, tmp_path):
    frame, labels = se.labelled_genotypes(plain)
    labels["drd2_taq1a"] = {0: "group one", 1: "group two", 2: "A1/A1"}
    import pyreadstat
    path = tmp_path / "odd.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels)
    report = validate(read_data(path), Codebook.load(CODEBOOK))
    bad = [p for p in report.errors if p.column == "drd2_taq1a"]
    assert len(bad) == 1 and bad[0].code == "unparseable_labels"
    assert "'group one', 'group two'" in bad[0].text and not bad[0].rows and not bad[0].values


def test_identical_scorecards_for_plain_qualtrics_and_labelled_spss(plain, config, tmp_path):
    # The acceptance test: the full analysis (model families, claims, verdicts) of
    # the plain export, a Qualtrics-shaped export and a labelled-SPSS file of the same data.
    sources = {"qualtrics": tmp_path / "q.csv", "sav": tmp_path / "l.sav"}
    se.write_qualtrics(plain, sources["qualtrics"])
    se.write_labelled_sav(plain, sources["sav"])
    ref = _result(PLAIN, CODEBOOK, config)
    assert set(ref[0]["verdict"]) - {"not tested"}  # a real scorecard, not an empty one
    for name, src in sources.items():
        _same(_result(src, CODEBOOK, config), ref)


def test_validate_cli_reads_qualtrics_export(plain, tmp_path, capsys):
    path = tmp_path / "q.csv"
    se.write_qualtrics(plain, path)
    assert main(["validate", str(path), "--codebook", str(CODEBOOK)]) == 0
    assert "Qualtrics export" in capsys.readouterr().out


# ----------------------------------------------------------------- layouts and hints
def test_skip_rows_and_header_row_read_any_layout(plain, tmp_path):
    path = tmp_path / "notes_on_top.csv"
    body = plain.to_csv(index=False)
    path.write_text("Survey of salespeople\nexported 2024-03-01\n" + body.split("\n", 1)[0]
                    + "\n" + ",".join("x" for _ in plain.columns) + "\n" + body.split("\n", 1)[1])
    ds = read_data(path, header_row=3, skip_rows=1)
    pd.testing.assert_frame_equal(ds.frame, plain)
    assert "layout as requested: header on row 3, 1 row(s) after it skipped" in ds.notes


def test_binary_formats_refuse_row_options(plain, tmp_path):
    path = tmp_path / "d.sav"
    se.write_labelled_sav(plain, path)
    with pytest.raises(InputError, match="apply to text and Excel files only"):
        read_data(path, skip_rows=2)


def test_almost_qualtrics_file_gets_one_line_saying_what_was_detected(plain, tmp_path):
    path = tmp_path / "almost.csv"
    se.write_qualtrics(plain, path)
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    cells = lines[2].split(",")
    lines[2] = ",".join(cells[:3] + ["x"] * (len(cells) - 3))  # ImportId row mostly overwritten
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_data(path)
    text = err.value.message
    assert "looks like a Qualtrics export" in text and "row 3 has an ImportId" in text
    assert "--skip-rows 2" in text and "\n" not in text


def test_unhandled_header_rows_hint_skip_rows(plain, tmp_path):
    path = tmp_path / "two_header_rows.csv"
    top = pd.DataFrame([["Question text"] * plain.shape[1]], columns=plain.columns)
    pd.concat([top, plain.astype(object)]).to_csv(path, index=False)
    report = validate(read_data(path), Codebook.load(CODEBOOK))
    hints = {p.hint for p in report.errors if p.rows == (1,)}
    assert len([p for p in report.errors if p.rows == (1,)]) == 42  # 39 items, 2 loci, age
    assert hints and all("try --skip-rows 1" in h for h in hints)


def test_decimal_comma_hint(tmp_path, capsys):
    path = tmp_path / "dc.csv"
    path.write_text("id;co1;co2;g\n1;2,5;3;4/7\n2;3,5;4;4/4\n3;4,5;5;7/7\n")
    cb = tmp_path / "cb.yaml"
    cb.write_text(yaml.safe_dump({"id": "id", "scales": {"CO": {"items": ["co1", "co2"],
                                  "min": 1, "max": 9}}, "genotypes": {"DRD4": {"column": "g"}}}))
    assert main(["validate", str(path), "--codebook", str(cb)]) == 2
    assert "--decimal ," in capsys.readouterr().out
    report = validate(read_data(path), Codebook.load(cb))
    assert any("--decimal ," in (p.hint or "") for p in report.errors)


def test_sheet_hint_when_first_sheet_holds_notes(plain, tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"About this file": ["Simulated survey", "see codebook"]}).to_excel(
            book, sheet_name="README", index=False)
        plain.to_excel(book, sheet_name="data", index=False)
    report = validate(read_data(path), Codebook.load(CODEBOOK))
    unknown = [p for p in report.errors if p.code == "unknown_column"]
    assert unknown and all("try --sheet data" in p.hint for p in unknown)
    assert validate(read_data(path, sheet="data"), Codebook.load(CODEBOOK)).ok


def test_sosci_and_limesurvey_exports_are_recognised(tmp_path):
    sosci = tmp_path / "sosci.csv"
    sosci.write_text("CASE,SERIAL,REF,QUESTNNR,MODE,STARTED,AB01_01,AB01_02,TIME001,LASTDATA,"
                     "FINISHED\n1,,,base,interview,2024-01-01,3,-9,20,2024-01-01,1\n"
                     "2,,,base,interview,2024-01-01,5,4,25,2024-01-01,1\n")
    ds = read_data(sosci)
    assert ds.platform == "SoSci Survey" and any("-9" in n for n in ds.notes)
    lime = tmp_path / "lime.csv"
    lime.write_text("id,submitdate,lastpage,startlanguage,seed,CO[SQ001],CO[SQ002]\n"
                    "1,2024-01-01,3,en,123,4,5\n2,2024-01-01,3,en,456,6,7\n")
    ds = read_data(lime)
    assert ds.platform == "LimeSurvey" and ds.frame["CO[SQ002]"].tolist() == [5, 7]


def test_cli_reader_options_reach_every_reading_command():
    from analysis.cli import build_parser
    parser = build_parser()
    for command in ("probe", "analyze", "validate", "init-codebook"):
        sub = parser._subparsers._group_actions[0].choices[command]
        flags = {o for a in sub._actions for o in a.option_strings}
        assert {"--skip-rows", "--header-row", "--sheet", "--decimal"} <= flags, command

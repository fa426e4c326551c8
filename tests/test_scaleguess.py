"""init-codebook's guesses: candidate scales, reverse keys, role names, one-item flags.

Built from the simulated Study 2 export renamed to anonymous item codes
(``tests/survey_exports.py``): the true scales and reverse keys are known, so
the guesses are checked against the truth, not against themselves.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.cli import main
from analysis.io.codebook import Codebook, init_codebook
from analysis.io.readers import Dataset, read_data
from analysis.io.scaleguess import parallel_analysis, propose_scales, stem_of
from analysis.io.validate import validate

sys.path.insert(0, os.path.dirname(__file__))
import survey_exports as se  # noqa: E402

PLAIN = paths.SIMULATED / "study2.csv"
OTHER = {"resp_id", "gender", "age", "drd2_taq1a", "drd4_vntr"}


@pytest.fixture(scope="module")
def plain():
    return read_data(PLAIN).frame


def _truth_sets(truth):
    return ({frozenset(items) for items, _ in truth.values()},
            {frozenset(rev) for _, rev in truth.values()})


@pytest.mark.parametrize("shuffled", [False, True], ids=["stems", "shuffled"])
def test_guesses_recover_true_scales_and_reverse_keys(plain, shuffled):
    # stems: A1..A12, B1..B12, C1..C5, D1..D5, E1..E5; shuffled: Q1..Q39 in random order, so
    # only the correlations (parallel analysis + clustering on 1 - |r|) can find the scales.
    frame, truth = se.item_coded(plain, shuffled=shuffled)
    guesses = propose_scales(frame, exclude=OTHER)
    scales, reverse = _truth_sets(truth)
    assert {frozenset(g.items) for g in guesses} == scales
    assert {frozenset(g.reverse) for g in guesses} == reverse
    assert all(g.role is None for g in guesses)  # no name or label cue: no role invented
    assert all(g.alpha > 0.7 for g in guesses)


def test_roles_from_question_texts_give_a_codebook_that_validates(plain, tmp_path):
    # A Qualtrics export of the item-coded survey: the question texts (SOCO / ECR-type
    # wording) name the constructs; init-codebook's output loads and validates unedited
    # apart from nothing, and its scales equal the truth.
    frame, truth = se.item_coded(plain)
    path = tmp_path / "qualtrics.csv"
    labelled = frame.copy()
    se.write_qualtrics(labelled, path)
    text = path.read_text(encoding="utf-8-sig").split("\n")
    texts = text[1].split(",")
    names = text[0].split(",")
    stems = {v: k for k, v in se.ITEM_CODES.items()}
    for j, name in enumerate(names):
        stem = stems.get(name.rstrip("0123456789"))
        if stem and name[len(name.rstrip("0123456789")):]:
            texts[j] = f'"{se.QUESTION[stem]} ({name})"'
    text[1] = ",".join(texts)
    path.write_text("\n".join(text), encoding="utf-8")
    ds = read_data(path)
    book = Codebook.from_dict(yaml.safe_load(init_codebook(ds)))
    roles = {"co": "CO", "so": "SO", "sec": "secure", "anx": "anxious", "avo": "avoidant"}
    for stem, (items, rev) in truth.items():
        spec = book.scales[roles[stem]]
        assert spec.items == tuple(items) and set(spec.reverse) == set(rev), stem
    assert book.genotypes["DRD2"].column == "drd2_taq1a" and book.id == "resp_id"
    assert "Progress" not in book.covariates and "Duration (in seconds)" not in book.covariates
    # text covariates are never coded alphabetically: the guessed codebook asks for gender's
    # reference value (a commented template), and validates once it is given
    assert [p.code for p in validate(ds, book).errors] == ["text_covariate_needs_reference"]
    assert validate(ds, book.with_reference({"gender": "male"})).ok


def test_one_item_group_is_flagged_not_proposed(plain):
    frame = plain[["resp_id", "drd4_vntr", "co_01", "co_02", "co_03", "avo_01"]].rename(
        columns={"avo_01": "attitude"})
    ds = Dataset.from_frame(frame, column_labels={"attitude": "Avoidance of conflict"})
    text = init_codebook(ds)
    assert "  avoidant:" not in text
    assert '# one-item candidate "attitude" not proposed: one item: no reliability' in text


def test_labelled_genotypes_found_by_init_codebook(plain, tmp_path):
    path = tmp_path / "l.sav"
    se.write_labelled_sav(plain, path)
    book = Codebook.from_dict(yaml.safe_load(init_codebook(read_data(path))))
    assert book.genotypes["DRD2"].column == "drd2_taq1a"
    assert book.genotypes["DRD4"].format == "alleles"


def test_cli_init_codebook_on_item_coded_survey_shows_candidates(plain, tmp_path, capsys):
    frame, _ = se.item_coded(plain)
    path = tmp_path / "items.csv"
    frame.to_csv(path, index=False)
    assert main(["init-codebook", str(path)]) == 0
    out = capsys.readouterr().out
    assert '# candidate scale "E": 5 items grouped by name stem' in out
    assert '#   reverse: ["E2", "E5"]' in out


def test_stems():
    assert [stem_of(n) for n in ["A1", "Q3_8", "co_01", "AB01_02", "CO[SQ001]", "Q1_10",
                                 "age", "12"]] == ["A", "Q3", "co", "AB01", "CO", "Q1", None, None]


def test_parallel_analysis_counts_dimensions():
    # Two independent 4-item factors (loadings .7): two dimensions; pure noise: one.
    rng = np.random.default_rng(3)
    f = rng.standard_normal((400, 2))
    x = np.hstack([0.7 * f[:, [k]] + 0.7 * rng.standard_normal((400, 4)) for k in (0, 1)])
    assert parallel_analysis(np.corrcoef(x, rowvar=False), 400) == 2
    noise = rng.standard_normal((400, 8))
    assert parallel_analysis(np.corrcoef(noise, rowvar=False), 400) == 1


def test_validate_warns_one_item_and_shared_items(plain):
    book = yaml.safe_load((paths.SIMULATED / "study2_codebook.yaml").read_text())
    book["scales"]["secure"] = {"items": ["sec_01"], "min": 1, "max": 7}
    book["scales"]["anxious"]["items"].append("avo_01")
    report = validate(Dataset.from_frame(plain), Codebook.from_dict(book))
    codes = {(p.code, p.column) for p in report.warnings}
    assert ("one_item_scale", "sec_01") in codes and ("item_in_two_scales", "avo_01") in codes


def test_choice_text_export_gets_labels_that_read_it_back_exactly(plain, tmp_path):
    # A Qualtrics "choice text" export: init-codebook numbers the answer texts of each
    # scale in scale order and writes them as labels; the codebook (its roles come from
    # the item names) then reads the texts back to the original codes exactly.
    from analysis.pipeline import load_study
    path = tmp_path / "choice.csv"
    se.write_qualtrics(plain, path, choice_text=True)
    text = init_codebook(read_data(path))
    assert 'labels: {1: "Strongly disagree", 2: "Disagree"' in text
    cb = tmp_path / "cb.yaml"
    cb.write_text(text)
    from analysis.io.codebook import Codebook
    # text covariates are never coded alphabetically: name gender's value coded 0
    got = load_study("s", path, Codebook.load(cb).with_reference({"gender": "male"})).frame
    ref = load_study("s", PLAIN, paths.SIMULATED / "study2_codebook.yaml").frame
    pd.testing.assert_frame_equal(got[ref.columns], ref, check_exact=True)

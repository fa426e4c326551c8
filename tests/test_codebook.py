"""Codebook schema and init-codebook guesses.

The example codebook is compared with the column layout that the example's
generator documents (data/examples/make_example.py), not with the codebook
module's own output; init-codebook is checked on frames whose right answer
is known by construction.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.io.codebook import ANALYSIS_COLUMNS, Codebook, init_codebook
from analysis.io.readers import Dataset, read_data

EXAMPLE_CB = paths.EXAMPLES / "codebook.yaml"
EXAMPLE_SAV = paths.EXAMPLES / "survey.sav"
MINIMAL = {"scales": {"CO": {"items": ["a", "b"], "min": 1, "max": 9}},
           "genotypes": {"DRD4": {"column": "g"}}}


def test_example_codebook_matches_the_generator_layout():
    cb = Codebook.load(EXAMPLE_CB)
    assert cb.id == "ResponseId" and cb.min_group_size == 10
    assert cb.scales["CO"].items == tuple(f"Q1_{i}" for i in range(1, 13))
    assert cb.scales["SO"].items == tuple(f"Q2_{i}" for i in range(1, 13))
    assert cb.scales["secure"].reverse == ("ATT_3",)
    assert cb.scales["avoidant"].reverse == ("ATT_13",)
    assert (cb.scales["anxious"].min, cb.scales["anxious"].max) == (1.0, 7.0)
    assert cb.genotypes["DRD2"].column == "DRD2_Taq1A"
    assert cb.genotypes["DRD4"].format == "alleles"
    assert cb.covariates == ("age", "gender")
    assert cb.missing_codes == (-9, 99)
    assert "not real people" in cb.source


def test_to_dict_round_trips():
    cb = Codebook.load(EXAMPLE_CB)
    again = Codebook.from_dict(cb.to_dict(), path=cb.path)
    assert again == cb
    per_column = dict(MINIMAL, missing_codes={"all": [-9], "a": [0, "NA"]})
    cb = Codebook.from_dict(per_column)
    assert cb.missing_codes_for("a") == (-9, 0, "NA") and cb.missing_codes_for("b") == (-9,)
    assert Codebook.from_dict(cb.to_dict()) == cb


def test_defaults_case_folding_and_shorthand():
    cb = Codebook.from_dict({"scales": {"co": {"items": ["a", "b"], "min": 1, "max": 5},
                                        "Avoidant": {"score": "avo"}},
                             "genotypes": {"drd2": "taq", "DRD4": {"column": 7}}})
    assert set(cb.scales) == {"CO", "avoidant"}
    assert cb.scales["CO"].min_answered == 0.5 and cb.scales["avoidant"].score == "avo"
    assert cb.genotypes["DRD2"].column == "taq" and cb.genotypes["DRD4"].column == "7"
    assert cb.roles() == {"a": "CO item", "b": "CO item", "avo": "avoidant score",
                          "taq": "DRD2 genotype", "7": "DRD4 genotype"}
    assert cb.sensitive_columns() == {"taq", "7"}


def test_allele_map_is_normalised():
    data = dict(MINIMAL, genotypes={"DRD2": {"column": "g", "allele_map": {"a": "a1",
                                                                          "G": "A2"}}})
    assert Codebook.from_dict(data).genotypes["DRD2"].allele_map == {"A": "A1", "G": "A2"}


def test_analysis_columns_are_the_contract():
    assert ANALYSIS_COLUMNS == ("id", "CO", "SO", "secure", "anxious", "avoidant",
                                "drd2_a1_carrier", "drd2_genotype", "drd2_a1_count",
                                "drd4_7r_carrier", "drd4_7r_count")


# ---------------------------------------------------------------- init-codebook
def _load_text(text: str) -> Codebook:
    return Codebook.from_dict(yaml.safe_load(text), path="<init>")


def test_init_codebook_on_the_example_recovers_the_hand_written_codebook():
    text = init_codebook(read_data(EXAMPLE_SAV))
    guessed, truth = _load_text(text), Codebook.load(EXAMPLE_CB)
    assert guessed.id == truth.id
    for name, spec in truth.scales.items():
        got = guessed.scales[name]
        assert (got.items, got.reverse, got.min, got.max) == \
            (spec.items, spec.reverse, spec.min, spec.max), name
    assert {k: v.column for k, v in guessed.genotypes.items()} == \
        {k: v.column for k, v in truth.genotypes.items()}
    assert guessed.covariates == truth.covariates
    assert sorted(guessed.missing_codes) == [-9, 99]
    assert text.count("# guessed: check") >= 10  # comments survive (text, not yaml.dump)


def _likert(rng, n, k, low=1, high=7, reverse=()):
    latent = rng.standard_normal(n)
    out = {}
    for j in range(k):
        x = np.clip(np.round(4 + 1.3 * (0.8 * latent + 0.6 * rng.standard_normal(n))), low, high)
        out[j] = (low + high - x) if j in reverse else x
    return out


def test_init_codebook_guesses_prefixes_genotypes_ids_codes_and_reverse_keys():
    rng = np.random.default_rng(3)
    n = 60
    frame = {"participant": np.arange(n) + 100}
    for j, x in _likert(rng, n, 4, 1, 9).items():
        frame[f"CO0{j + 1}"] = x
    for j, x in _likert(rng, n, 3, 1, 9).items():
        frame[f"soco_so_{j + 1}"] = x
    for j, x in _likert(rng, n, 4, reverse=(2,)).items():
        frame[f"avo{j + 1}"] = x
    for j, x in _likert(rng, n, 3).items():
        frame[f"anx_{j + 1}"] = x
        frame[f"sec.{j + 1}"] = x
    frame["rs1800497"] = rng.choice(["CT", "CC", "TT"], n)
    frame["geno_b"] = rng.choice(["4/7", "4/4", "2/4"], n)
    frame["age"] = rng.integers(20, 60, n)
    frame["sex"] = rng.choice(["m", "f"], n)
    frame["education"] = rng.choice(["low", "mid", "high"], n)
    df = pd.DataFrame(frame)
    df.loc[3, "CO02"] = 99  # a code outside the 1-9 range
    text = init_codebook(Dataset.from_frame(df))
    cb = _load_text(text)
    assert cb.id == "participant"
    assert cb.scales["CO"].items == ("CO01", "CO02", "CO03", "CO04")
    assert (cb.scales["CO"].min, cb.scales["CO"].max) == (1.0, 9.0)  # 99 excluded
    assert 99 in cb.missing_codes
    assert cb.scales["SO"].items == ("soco_so_1", "soco_so_2", "soco_so_3")
    assert cb.scales["avoidant"].reverse == ("avo3",)
    assert cb.scales["anxious"].items == ("anx_1", "anx_2", "anx_3")
    assert cb.scales["secure"].items == ("sec.1", "sec.2", "sec.3")
    assert cb.genotypes["DRD2"].column == "rs1800497"
    assert cb.genotypes["DRD4"].column == "geno_b"  # found by its values
    assert cb.covariates == ("age", "sex")  # two-valued text is coded 0/1 by validate
    assert '"education" is text with more than two values' in text


def test_init_codebook_carrier_column_and_missing_roles():
    df = pd.DataFrame({"drd4_7r": [0, 1, 0, 1], "co_1": [1, 2, 3, 4], "co_2": [2, 2, 3, 5]})
    text = init_codebook(Dataset.from_frame(df))
    cb = _load_text(text)
    assert cb.genotypes["DRD4"].format == "carrier"
    assert "DRD2: not found" in text and "SO (sales orientation): not found" in text
    assert "id: null" in text


@pytest.mark.parametrize("name", ["__import__('os').system('x')", "co: 1 # x", "ä ö\tü",
                                  "line\nbreak", "'quoted\"", "😀 emoji", "- dash", "&anchor"])
def test_init_codebook_quotes_any_column_name(name):
    df = pd.DataFrame({name + " co_1": [1, 2, 3], name + " co_2": [2, 3, 3],
                       "drd2": ["A1/A2", "A2/A2", "A1/A1"]})
    text = init_codebook(Dataset.from_frame(df, path=name + ".csv"))
    cb = _load_text(text)
    assert cb.scales["CO"].items == (name + " co_1", name + " co_2")


def test_init_codebook_never_writes_genotype_values():
    df = pd.DataFrame({"taq1a": ["A1/A1", "A1/A2", "A2/A2"], "vntr": ["4R/7R", "2R/4R", "7R/7R"],
                       "co_1": [1, 2, 3], "co_2": [3, 2, 1]})
    text = init_codebook(Dataset.from_frame(df))
    for value in ["A1/A1", "A1/A2", "A2/A2", "4R/7R", "2R/4R", "7R/7R"]:
        assert value not in text

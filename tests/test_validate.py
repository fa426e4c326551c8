"""validate() and prepare(): the example passes with warnings only, the analysis
frame matches an independent numpy computation, and every file format of the
same data gives the identical frame.

Independent checks: scores are recomputed with numpy from the raw item
matrix (codes -9/99 -> NaN, reverse = 8 - x, mean if at least half answered);
genotype codings by counting substrings of the raw genotype strings;
Cronbach's alpha from its closed form k/(k-1) (1 - sum var_i / var_total)
(methods.md section 9) on complete cases.  These are exact computations on
the same numbers, so tolerances are 1e-12 (floating-point summation order).
"""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis._errors import InputError
from analysis.io.codebook import Codebook
from analysis.measures.genotypes import hwe_test, parse_genotypes
from analysis.io.readers import Dataset, read_data
from analysis.io.validate import prepare, validate

EXAMPLE_CB = paths.EXAMPLES / "codebook.yaml"
EXAMPLE_SAV = paths.EXAMPLES / "survey.sav"
CONTRACT = ["id", "CO", "SO", "secure", "anxious", "avoidant", "drd2_a1_carrier",
            "drd2_genotype", "drd2_a1_count", "drd4_7r_carrier", "drd4_7r_count", "age",
            "gender"]
GENOTYPE_STRINGS = ["A1/A1", "A1/A2", "A2/A2", "A2/A1", "2R/4R", "4R/4R", "4R/7R", "7R/7R",
                    "2R/7R", "3R/4R"]


def _generator():
    spec = importlib.util.spec_from_file_location("make_example",
                                                  paths.EXAMPLES / "make_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example():
    ds, cb = read_data(EXAMPLE_SAV), Codebook.load(EXAMPLE_CB)
    return ds, cb, validate(ds, cb), prepare(ds, cb)


@pytest.fixture(scope="module")
def raw():
    """The generator's frame, user-missing codes still numbers."""
    return _generator().simulate()


def test_example_passes_with_warnings_only(example):
    _, _, report, _ = example
    assert report.ok and not report.errors
    assert sorted(p.code for p in report.warnings) == ["genotype_missing", "genotype_missing",
                                                       "too_few_answers"]
    too_few = next(p for p in report.warnings if p.code == "too_few_answers")
    assert too_few.rows == (17,)  # generator: row index 16 answered 5 of 12 CO items
    no_calls = {p.column: p.rows for p in report.warnings if p.code == "genotype_missing"}
    assert no_calls == {"DRD2_Taq1A": (42,), "DRD4_VNTR": (108,)}
    assert "OK: the analysis can run." in report.summary()


def test_report_is_json_safe_and_has_no_genotype_values(example):
    _, _, report, _ = example
    data = report.to_dict()
    json.dumps(data, allow_nan=False)
    messages = json.dumps([data["errors"], data["warnings"], data["notes"]])
    messages += report.summary()
    for value in GENOTYPE_STRINGS + ["undetermined"]:
        assert value not in messages
    assert data["details"]["hwe"]["DRD2"]["n"] == 239


def test_example_generator_is_deterministic(tmp_path, raw):
    out = _generator().write(tmp_path / "again.sav")
    assert out.read_bytes() == EXAMPLE_SAV.read_bytes()
    assert raw.shape == (240, 44)


def _scores(raw: pd.DataFrame, cols: list[str], reverse=(), high=9, share=0.5):
    x = raw[cols].to_numpy(dtype=float)
    x = np.where(np.isin(x, [-9, 99]), np.nan, x)
    for col in reverse:
        j = cols.index(col)
        x[:, j] = 1 + high - x[:, j]
    answered = np.sum(~np.isnan(x), axis=1)
    with np.errstate(all="ignore"):
        return np.where(answered >= share * len(cols), np.nanmean(x, axis=1), np.nan), x


def test_prepare_frame_matches_independent_computation(example, raw):
    _, _, _, frame = example
    assert list(frame.columns) == CONTRACT and len(frame) == 240
    co, _ = _scores(raw, [f"Q1_{i}" for i in range(1, 13)])
    np.testing.assert_allclose(frame["CO"], co, rtol=0, atol=1e-12)
    assert np.isnan(frame["CO"].iloc[16])
    att = [f"ATT_{i}" for i in range(1, 16)]
    sec, _ = _scores(raw, att[:5], reverse=["ATT_3"], high=7)
    avo, _ = _scores(raw, att[10:], reverse=["ATT_13"], high=7)
    np.testing.assert_allclose(frame["secure"], sec, rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame["avoidant"], avo, rtol=0, atol=1e-12)
    drd2 = raw["DRD2_Taq1A"].where(raw["DRD2_Taq1A"] != "undetermined")
    np.testing.assert_array_equal(frame["drd2_a1_count"], drd2.str.count("A1").astype(float))
    np.testing.assert_array_equal(frame["drd2_a1_carrier"],
                                  (drd2.str.count("A1") > 0).astype(float).where(drd2.notna()))
    assert frame["drd2_genotype"].where(drd2.notna()).equals(drd2.astype("str")) or \
        frame["drd2_genotype"].fillna("-").tolist() == drd2.fillna("-").tolist()
    drd4 = raw["DRD4_VNTR"].where(raw["DRD4_VNTR"] != "")
    np.testing.assert_array_equal(frame["drd4_7r_count"], drd4.str.count("7R").astype(float))
    np.testing.assert_array_equal(frame["age"], raw["age"].where(raw["age"] != -9))
    assert frame["id"].tolist() == raw["ResponseId"].tolist()


def test_alpha_in_details_matches_closed_form(example, raw):
    _, _, report, _ = example
    _, x = _scores(raw, [f"ATT_{i}" for i in range(11, 16)], reverse=["ATT_13"], high=7)
    x = x[~np.isnan(x).any(axis=1)]
    k = x.shape[1]
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    got = report.details["reliability"]["avoidant"]
    assert got["n"] == x.shape[0]
    assert got["alpha"] == pytest.approx(alpha, abs=1e-12)


@pytest.mark.parametrize("kind", ["csv", "csv_semicolon_decimal_comma", "xlsx", "dta",
                                  "parquet"])
def test_every_format_gives_the_identical_analysis_frame(tmp_path, example, raw, kind):
    _, cb, _, expected = example
    writers = {
        "csv": ("s.csv", lambda p: raw.to_csv(p, index=False), {}),
        "csv_semicolon_decimal_comma": (
            "s.csv", lambda p: raw.to_csv(p, index=False, sep=";", decimal=","),
            {"decimal": ","}),
        "xlsx": ("s.xlsx", lambda p: raw.to_excel(p, index=False), {}),
        "dta": ("s.dta", lambda p: raw.to_stata(p, write_index=False), {}),
        "parquet": ("s.parquet", lambda p: raw.to_parquet(p), {}),
    }
    name, write, opts = writers[kind]
    path = tmp_path / name
    write(path)
    ds = read_data(path, **opts)
    report = validate(ds, cb)
    assert report.ok, report.summary()
    got = prepare(ds, cb)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=1e-12)
    assert "missing-value codes set to missing" in " ".join(report.notes)


# ---------------------------------------------------------------- warnings
ITEMS = ["c1", "c2", "c3", "c4", "c5"]


def _cb(**extra) -> Codebook:
    base = {"scales": {"CO": {"items": ITEMS, "min": 1, "max": 5}},
            "genotypes": {"DRD4": {"column": "g"}}}
    base.update(extra)
    return Codebook.from_dict(base, path="cb.yaml")


def _frame(n=40, seed=0, genotypes=None):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    items = {f"c{j}": np.clip(np.round(3 + 1.2 * (0.8 * z + 0.6 * rng.standard_normal(n))), 1, 5)
             for j in range(1, 6)}
    g = genotypes if genotypes is not None else rng.choice(["4/4", "4/7", "2/4", "7/7"], n)
    return pd.DataFrame({**items, "g": g})


def _codes(report, severity="warning"):
    return [p.code for p in (report.warnings if severity == "warning" else report.errors)]


def test_forgotten_reverse_key_and_low_alpha_are_warnings():
    df = _frame()
    df["c3"] = 6 - df["c3"]  # reverse-worded item, codebook forgets it
    report = validate(Dataset.from_frame(df, path="d.csv"), _cb())
    assert report.ok
    neg = [p for p in report.warnings if p.code == "negative_item"]
    assert [p.column for p in neg] == ["c3"] and "reverse key" in neg[0].hint
    assert "low_reliability" in _codes(report)
    cb = _cb(scales={"CO": {"items": ITEMS, "reverse": ["c3"], "min": 1, "max": 5}})
    fixed = validate(Dataset.from_frame(df, path="d.csv"), cb)
    assert "negative_item" not in _codes(fixed) and "low_reliability" not in _codes(fixed)


def test_small_genotype_group_is_unstable_warning():
    g = ["4/7"] * 5 + ["4/4"] * 35
    report = validate(Dataset.from_frame(_frame(genotypes=g), path="d.csv"), _cb())
    unstable = [p for p in report.warnings if p.code == "unstable_group"]
    # issue 8: the message says the group is small, never its exact count (published in the
    # report's validation table)
    assert len(unstable) == 1 and "fewer than min_group_size = 10" in unstable[0].message
    assert "5" not in unstable[0].message
    assert report.details["genotype_groups"]["DRD4"] == {"7R carriers": 5, "7R non-carriers": 35}


def test_hwe_and_strand_warnings_follow_the_genotype_module():
    g = ["A1/A2"] * 30 + ["A1/A1"] * 10  # A1 frequency 0.625 and no A2/A2: HWE and strand
    df = _frame(genotypes=g)
    cb = _cb(genotypes={"DRD2": {"column": "g"}})
    report = validate(Dataset.from_frame(df, path="d.csv"), cb)
    p = hwe_test(parse_genotypes(pd.Series(g), "DRD2"), "DRD2").p_value
    assert p < 0.05 and "hwe" in _codes(report)
    assert "strand_flip" in _codes(report)
    assert "group_not_estimable" in _codes(report, "error")  # 0 non-carriers (A2/A2)


def test_missing_code_inside_the_range_is_a_warning():
    report = validate(Dataset.from_frame(_frame(), path="d.csv"), _cb(missing_codes=[5, -9]))
    assert "code_is_valid_answer" in _codes(report)


def test_small_sample_warning_and_complete_rows():
    report = validate(Dataset.from_frame(_frame(n=20), path="d.csv"), _cb())
    assert "small_sample" in _codes(report)
    assert report.details["complete_rows"] == {"Study 1: CO ~ DRD4": 20}


def test_prepare_without_optional_parts_and_with_carrier_format():
    df = _frame()
    df["g"] = ["yes", "no"] * 20
    cb = _cb(genotypes={"DRD4": {"column": "g", "format": "carrier"}})
    frame = prepare(Dataset.from_frame(df, path="d.csv"), cb)
    assert list(frame.columns) == ["CO", "drd4_7r_carrier"]
    assert frame["drd4_7r_carrier"].tolist() == [1.0, 0.0] * 20


def test_validate_and_prepare_is_one_pass_of_both(example):
    from analysis.io.validate import validate_and_prepare
    ds, cb, report, frame = example
    again, got = validate_and_prepare(ds, cb)
    assert again.to_dict() == report.to_dict()
    pd.testing.assert_frame_equal(got, frame)


def test_text_covariate_coded_by_meaning_or_reference_never_alphabetically():
    """Issue 9 item 5: a two-valued text covariate needs a reference level (codebook
    'reference:' or --reference) unless its labels are recognised carrier labels."""
    df = _frame(n=60)
    rng = np.random.default_rng(1)
    df["sex"] = rng.choice(["female", "male"], len(df))
    ds = Dataset.from_frame(df, path="d.csv")
    report = validate(ds, _cb(covariates=["sex"]))
    assert not report.ok
    err = next(p for p in report.errors if p.code == "text_covariate_needs_reference")
    assert err.column == "sex" and "reference: {sex: VALUE}" in err.hint
    book = _cb(covariates=["sex"], reference={"sex": "male"})
    assert validate(ds, book).ok
    coded = prepare(ds, book)["sex"]
    np.testing.assert_array_equal(coded.to_numpy(), (df["sex"] == "female").astype(float))
    assert validate(ds, _cb(covariates=["sex"]).with_reference({"sex": "female"})).ok
    # recognised carrier labels need no reference: the carrier is 1
    df["other_gene"] = rng.choice(["7R carrier", "non-carrier"], len(df))
    book = _cb(covariates=["other_gene"])
    assert validate(Dataset.from_frame(df, path="d.csv"), book).ok
    np.testing.assert_array_equal(prepare(Dataset.from_frame(df, path="d.csv"),
                                          book)["other_gene"].to_numpy(),
                                  (df["other_gene"] == "7R carrier").astype(float))
    with pytest.raises(InputError, match="not a covariate"):
        _cb(covariates=["sex"], reference={"age": "x"})

"""Equivalence tests for the one-pass validation path (issue #8).

The reliability statistics of a scale now come from one covariance matrix of
its complete rows (:func:`analysis.measures.scales.reliability_from_answers`),
scores from :func:`~analysis.measures.scales.score_answers`, and validation
reads each column once as a numpy array.  Each is checked here against a
straightforward independent computation: pandas' own reductions, the
per-statistic public functions (``cronbach_alpha``, ``standardized_alpha``,
``mcdonald_omega``, ``item_total``: one pass over the rows each) and
``np.corrcoef`` of an item with the sum of the other items.

Tolerances: bit-identical (``==``) where the same floating-point operations are
done in the same order (alpha, standardised alpha, omega, alpha if deleted, item
means, sds and counts; scores of whole-number answers, whose sums are exact);
relative 1e-12 for the corrected item-total r (closed form from the covariance
matrix instead of a Pearson r on the rows: a different order of operations) and
1e-15 for scores of fractional answers (item sums in another order).
"""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from analysis.io.codebook import Codebook
from analysis.io.readers import Dataset, _lines, read_data
from analysis.io.validate import complete_rows, validate
from analysis.measures.scales import (
    _answer_stats, cronbach_alpha, item_total, mcdonald_omega, reliability,
    reliability_from_answers, reverse_key, score_answers, score_scale, standardized_alpha,
)
from analysis.privacy import looks_like_identifier


def _answers(n: int, k: int, seed: int, *, whole: bool, missing: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    x = 4 + latent + rng.normal(size=(n, k))
    x = np.clip(np.round(x) if whole else x, 1, 7)
    x[rng.random(x.shape) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(k)])


def _rest_r(frame: pd.DataFrame) -> list[float]:
    """Corrected item-total r the plain way: Pearson r of each item with the sum of
    the others, on complete rows."""
    data = frame.dropna().to_numpy()
    out = []
    for j in range(data.shape[1]):
        rest = np.delete(data, j, axis=1).sum(axis=1)
        out.append(float(np.corrcoef(data[:, j], rest)[0, 1]))
    return out


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("k", [2, 3, 6])
def test_reliability_from_one_covariance_matrix_equals_per_statistic_passes(whole, k):
    frame = _answers(3000, k, seed=k + 10 * whole, whole=whole)
    rel = reliability(frame, name="S")
    assert rel.alpha == cronbach_alpha(frame)
    assert rel.standardized_alpha == standardized_alpha(frame)
    omega = mcdonald_omega(frame)
    assert rel.omega == omega or (math.isnan(rel.omega) and math.isnan(omega))
    table = item_total(frame)
    for col in ("alpha_if_deleted", "mean", "sd", "n"):
        assert rel.items[col].tolist() == table[col].tolist() or (
            col == "alpha_if_deleted" and k == 2)        # NaN == NaN is False
    np.testing.assert_allclose(rel.items["r_corrected"], _rest_r(frame), rtol=1e-12)
    np.testing.assert_allclose(rel.items["r_corrected"], table["r_corrected"], rtol=1e-12)
    assert rel.n == len(frame.dropna()) and rel.n_total == len(frame) and rel.k == k


def test_reliability_from_answers_takes_the_item_rows_of_an_array():
    frame = _answers(500, 4, seed=3, whole=True)
    a = reliability(frame, name="S").to_dict()
    b = reliability_from_answers(frame.to_numpy().T, list(frame.columns), name="S").to_dict()
    assert a == b


def test_reliability_degenerate_cases_match_item_total():
    constant = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0] * 5, "c": [5.0, 3, 4, 2, 1]})
    rel = reliability(constant)
    assert math.isnan(rel.standardized_alpha) and math.isnan(rel.omega)
    assert math.isnan(rel.items["r_corrected"][1])
    assert any("item b is constant" in w for w in rel.warnings)
    np.testing.assert_allclose(rel.items["r_corrected"], item_total(constant)["r_corrected"],
                               rtol=1e-12)
    # constant rest score: the other two items always sum to the same value
    rest_constant = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [4.0, 3, 2, 1], "c": [1.0, 3, 2, 4]})
    assert math.isnan(reliability(rest_constant).items["r_corrected"][2])
    assert math.isnan(item_total(rest_constant)["r_corrected"][2])
    one_row = pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]})
    rel = reliability(one_row)
    assert rel.n == 1 and math.isnan(rel.alpha) and rel.items["r_corrected"].isna().all()


@pytest.mark.parametrize("whole", [True, False])
def test_item_statistics_are_pandas_mean_and_sd(whole):
    frame = _answers(2000, 3, seed=7, whole=whole, missing=0.3)
    for col in frame:
        mean, sd, n = _answer_stats(frame[col].to_numpy())
        assert (mean, sd, n) == (frame[col].mean(), frame[col].std(ddof=1),
                                 int(frame[col].notna().sum()))
    assert _answer_stats(np.array([np.nan, 2.0]))[2] == 1
    assert math.isnan(_answer_stats(np.array([np.nan, 2.0]))[1])
    assert math.isnan(_answer_stats(np.array([np.nan, np.nan]))[0])


@pytest.mark.parametrize("whole", [True, False])
def test_scores_equal_pandas_mean_with_the_answered_share_rule(whole):
    frame = _answers(4000, 5, seed=11, whole=whole, missing=0.35)
    keyed = frame.copy()
    keyed["i2"] = reverse_key(keyed["i2"], 1, 7)
    answered = keyed.notna().sum(axis=1)
    expected = keyed.mean(axis=1).where((answered >= 0.6 * 5 - 1e-9) & (answered > 0))
    got = score_scale(frame, reverse=["i2"], min_value=1, max_value=7, min_answered=0.6)
    direct = score_answers(keyed.to_numpy().T.copy(), min_answered=0.6)
    assert got.isna().tolist() == expected.isna().tolist()
    if whole:
        assert got.fillna(-1).tolist() == expected.fillna(-1).tolist()
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    np.testing.assert_array_equal(got.to_numpy(), direct)


def test_validate_details_equal_public_functions_on_keyed_items():
    rng = np.random.default_rng(2)
    items = _answers(800, 4, seed=5, whole=False)
    df = items.assign(g=rng.choice(["A1/A2", "A2/A2", "A1/A1"], size=800))
    cb = Codebook.from_dict({"scales": {"CO": {"items": list(items.columns),
                                               "reverse": ["i1"], "min": 1, "max": 7}},
                             "genotypes": {"DRD2": {"column": "g"}}})
    report = validate(Dataset.from_frame(df), cb)
    keyed = items.copy()
    keyed["i1"] = reverse_key(keyed["i1"], 1, 7)
    expected = reliability(keyed, name="CO").to_dict()
    assert report.details["reliability"]["CO"] == expected
    miss = report.details["missingness"]["CO"]
    assert miss["items"] == {c: int(items[c].isna().sum()) for c in items}
    assert miss["n_complete"] == len(items.dropna())
    assert miss["n_scored"] == int(score_scale(items, reverse=["i1"], min_value=1, max_value=7
                                               ).notna().sum())


def test_complete_rows_equals_listwise_counts():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(500, 6)),
                         columns=["CO", "SO", "secure", "drd2_a1_carrier", "drd4_7r_carrier",
                                  "age"])
    frame = frame.mask(rng.random(frame.shape) < 0.1)
    got = complete_rows(frame, ["age"])
    assert got["Study 1: CO ~ DRD2 + DRD4"] == len(
        frame[["CO", "drd2_a1_carrier", "drd4_7r_carrier", "age"]].dropna())
    assert got["Study 2: SO ~ DRD4 x secure"] == len(
        frame[["SO", "drd4_7r_carrier", "secure", "age"]].dropna())
    assert len(got) == 2 * (1 + 2)


def test_binary_text_covariate_coded_on_distinct_values():
    rng = np.random.default_rng(8)
    items = _answers(300, 3, seed=1, whole=True)
    gender = rng.choice(np.array(["male", " female", "female ", "", None], dtype=object), 300)
    df = items.assign(g=rng.choice(["A1/A2", "A2/A2", "A1/A1"], size=300), sex=gender)
    cb = Codebook.from_dict({"scales": {"CO": {"items": list(items.columns), "min": 1, "max": 7}},
                             "genotypes": {"DRD2": {"column": "g"}}, "covariates": ["sex"],
                             "reference": {"sex": "male"}})
    for frame in (df, df.astype({"sex": "str"})):
        report = validate(Dataset.from_frame(frame), cb)
        assert not [p for p in report.problems if p.column == "sex"]
    from analysis.io.validate import prepare
    out = prepare(Dataset.from_frame(df), cb)["sex"]
    text = pd.Series(gender).astype("string").str.strip()
    expected = text.mask(text == "").map({"male": 0.0, "female": 1.0}).astype(float)
    np.testing.assert_array_equal(out.to_numpy(), expected.to_numpy())


def test_identifier_check_with_a_late_repeat():
    values = pd.Series(np.arange(5000, dtype=float))
    assert looks_like_identifier(values)
    late = values.copy()
    late.iloc[4000] = 3.0                      # a repeat only after the first 1,000 values
    assert not looks_like_identifier(late)
    assert not looks_like_identifier(pd.Series([1.0, 2.0] * 2000))


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "a\rb\n\n", "x\u2028y\nz"])
def test_lines_split_as_stringio(text):
    assert list(_lines(text)) == list(io.StringIO(text))


@pytest.mark.parametrize("prefix,encoding", [(b"", "utf-8"), (b"\xef\xbb\xbf", "utf-8"),
                                             (b"", "cp1252")])
def test_text_read_from_bytes_equals_text_path(tmp_path, prefix, encoding):
    body = "id,name,score\n1, Zoë ,2.5\n2,\"a, b\",3\n3,,\n".encode(encoding)
    path = tmp_path / "d.csv"
    path.write_bytes(prefix + body)
    ds = read_data(path)
    expected = pd.read_csv(io.StringIO(body.decode(encoding)), skipinitialspace=True)
    assert ds.frame["name"].tolist()[:2] == ["Zoë ", "a, b"]
    np.testing.assert_array_equal(ds.frame["score"].to_numpy(), expected["score"].to_numpy())
    assert ds.frame["id"].tolist() == [1, 2, 3]


def _het_distribution_reference(n: int, n_rare: int) -> np.ndarray:
    """The Wigginton et al. (2005) recurrence written on a numpy array, step by step."""
    n_common = 2 * n - n_rare
    probs = np.zeros(n_rare + 1)
    mid = n_rare * n_common // (2 * n)
    if mid % 2 != n_rare % 2:
        mid += 1
    probs[mid] = 1.0
    hom_r, hom_c = (n_rare - mid) // 2, (n_common - mid) // 2
    for het in range(mid, 1, -2):
        probs[het - 2] = probs[het] * het * (het - 1) / (4.0 * (hom_r + 1) * (hom_c + 1))
        hom_r, hom_c = hom_r + 1, hom_c + 1
    hom_r, hom_c = (n_rare - mid) // 2, (n_common - mid) // 2
    for het in range(mid, n_rare - 1, 2):
        probs[het + 2] = probs[het] * 4.0 * hom_r * hom_c / ((het + 2.0) * (het + 1.0))
        hom_r, hom_c = hom_r - 1, hom_c - 1
    return probs / probs.sum()


def test_het_distribution_is_the_array_recurrence_bit_for_bit():
    from analysis.measures.genotypes import _het_distribution
    rng = np.random.default_rng(9)
    cases = [(1, 0), (1, 1), (2, 1), (3, 3), (100, 37), (1000, 1000), (1000, 0), (60000, 21000)]
    cases += [(int(n), int(rng.integers(0, n + 1))) for n in rng.integers(1, 2000, 50)]
    for n, rare in cases:
        np.testing.assert_array_equal(_het_distribution(n, rare),
                                      _het_distribution_reference(n, rare))


@pytest.mark.parametrize("locus,notations", [
    ("DRD2", ["A1/A2", "A2/A2", "CT", "TT", "", None, "NA"]),
    ("DRD4", ["4/7", "7R/4R", "2-4", "", None, "4/4", "11/2"])])
def test_genotype_labels_equal_the_row_by_row_text(locus, notations):
    from analysis.measures.genotypes import _labels, parse_genotypes
    rng = np.random.default_rng(12)
    values = pd.Series(rng.choice(np.array(notations, dtype=object), 3000),
                       index=pd.RangeIndex(3000)[::-1])
    alleles = parse_genotypes(values, locus)
    ok = alleles["allele1"].notna() & alleles["allele2"].notna()
    expected = (alleles["allele1"].astype(str) + "/" + alleles["allele2"].astype(str)) \
        .where(ok).astype("str")
    got = _labels(alleles)
    assert got.equals(expected) and got.dtype == expected.dtype
    assert got.index.equals(alleles.index)


def test_validate_never_writes_into_the_dataset():
    rng = np.random.default_rng(13)
    items = _answers(400, 4, seed=6, whole=True)
    items.iloc[3, 0], items.iloc[5, 1], items.iloc[7, 2] = np.inf, 99.0, 2.5
    df = items.assign(g=rng.choice(["A1/A2", "A2/A2", "A1/A1"], size=400),
                      age=rng.integers(20, 60, 400).astype(float))
    df.loc[9, "age"] = -np.inf
    ds = Dataset.from_frame(df)
    before = ds.frame.copy()
    cb = Codebook.from_dict({"scales": {"CO": {"items": list(items.columns), "reverse": ["i3"],
                                               "min": 1, "max": 7}},
                             "genotypes": {"DRD2": {"column": "g"}}, "covariates": ["age"]})
    report = validate(ds, cb)
    assert {"not_finite", "out_of_range"} <= {p.code for p in report.problems}
    pd.testing.assert_frame_equal(ds.frame, before)

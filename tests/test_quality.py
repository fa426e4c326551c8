"""Data-quality content of the report, checked against direct computations on the raw export.

The simulated Study 2 export (``data/simulated/study2.csv``) is read with
pandas alone; missing answers, the answered-share rule and item-total
statistics are recomputed here with numpy and compared with the report's
tables (exact for counts, 1e-12 for correlations).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.cli import main
from analysis.pipeline import load_study
from analysis.io.quality import NOT_COMPUTABLE

PLAIN = paths.SIMULATED / "study2.csv"
CODEBOOK = paths.SIMULATED / "study2_codebook.yaml"


@pytest.fixture(scope="module")
def study():
    return load_study("study2", PLAIN, CODEBOOK)


@pytest.fixture(scope="module")
def book():
    return yaml.safe_load(CODEBOOK.read_text())


def test_missingness_and_answered_share_rule_match_raw_counts(study, book):
    from analysis.pipeline import _checks
    tables = _checks([study])
    raw = pd.read_csv(PLAIN)
    items = tables["missingness_items"]
    for scale, spec in book["scales"].items():
        sub = raw[spec["items"]]
        got = items[items.scale == scale].set_index("item")["n_missing"]
        assert got.to_dict() == sub.isna().sum().to_dict()
        answered = sub.notna().sum(axis=1)
        row = tables["missingness_scales"].set_index("scale").loc[scale]
        need = spec["min_answered"] * len(spec["items"])
        assert row["n_scored"] == int((answered >= need).sum())
        assert row["n_below_rule"] == int(((answered > 0) & (answered < need)).sum())
        assert row["n_complete"] == int((answered == len(spec["items"])).sum())
        assert row["n_scored"] == int(study.frame[scale].notna().sum())


def test_item_total_statistics_match_numpy(study, book):
    from analysis.pipeline import _checks
    table = _checks([study])["item_total"]
    spec = book["scales"]["avoidant"]
    data = pd.read_csv(PLAIN)[spec["items"]].dropna().to_numpy(float)
    cols = spec["items"]
    for rev in spec["reverse"]:
        j = cols.index(rev)
        data[:, j] = spec["min"] + spec["max"] - data[:, j]
    got = table[table.scale == "avoidant"].set_index("item")
    for j, item in enumerate(cols):
        rest = np.delete(data, j, axis=1)
        r = np.corrcoef(data[:, j], rest.sum(axis=1))[0, 1]
        k = rest.shape[1]
        alpha = k / (k - 1) * (1 - rest.var(axis=0, ddof=1).sum() / rest.sum(axis=1).var(ddof=1))
        assert got.loc[item, "r_corrected"] == pytest.approx(r, abs=1e-12)
        assert got.loc[item, "alpha_if_deleted"] == pytest.approx(alpha, abs=1e-12)
    rel = _checks([study])["reliability"].set_index("scale")
    assert rel.loc["avoidant", "n"] == data.shape[0]
    assert "listwise" in rel.loc["avoidant", "rows_used"]


def test_report_shows_quality_tables_prescored_note_and_fitted_model(tmp_path, book):
    # One user survey: DRD2 not genotyped, 'secure' delivered as a ready score.  The report
    # shows the data-quality tables, reliability says why it is missing for the ready
    # score, and S1c names the model actually fitted.
    raw = pd.read_csv(PLAIN)
    raw["secure_score"] = raw[book["scales"]["secure"]["items"]].mean(axis=1)
    data = tmp_path / "survey.csv"
    raw.to_csv(data, index=False)
    book = dict(book)
    book["scales"] = {**book["scales"], "secure": {"score": "secure_score"}}
    book["genotypes"] = {"DRD4": book["genotypes"]["DRD4"]}
    cb = tmp_path / "cb.yaml"
    cb.write_text(yaml.safe_dump(book))
    cfg = tmp_path / "config.yaml"
    cfg.write_text(paths.CONFIG.read_text().replace("n_boot: 5000", "n_boot: 0"))
    out = tmp_path / "rep"
    assert main(["analyze", str(data), "--codebook", str(cb), "--out", str(out), "--sims", "0",
                 "--config", str(cfg)]) == 0
    rel = pd.read_csv(out / "tables" / "reliability.csv")
    assert (out / "tables" / "reliability.csv").stat().st_size > 100
    assert rel.set_index("scale").loc["secure", "rows_used"] == NOT_COMPUTABLE
    card = {r["id"]: r for r in json.loads((out / "scorecard.json").read_text())}
    assert card["S1c"]["test"].startswith("CO ~ DRD4 7R carrier")   # + the codebook's covariates
    assert "DRD2" not in card["S1c"]["test"]
    md = (out / "report.md").read_text()
    for name in ("missingness_scales", "missingness_items", "item_total",
                 "descriptives_correlations"):
        # headings are titles ("### Missingness scales"); compare them as table keys
        keys = [h[4:].lower().replace("(", "").replace(")", "").replace(" ", "_")
                for h in md.splitlines() if h.startswith("### ")]
        assert any(k.endswith(name) for k in keys), (name, keys)
    assert "listwise" in md


def test_keller_table_shown_only_when_it_ran():
    from analysis.pipeline import _display_tables
    ran = {"study2_keller": pd.DataFrame({"term": ["age:avoidant"]}), "reliability": pd.DataFrame()}
    assert "study2_keller" in _display_tables(ran)
    assert "study2_keller" not in _display_tables({"study2_keller": pd.DataFrame()})

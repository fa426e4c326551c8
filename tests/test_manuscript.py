"""Manuscript output: APA tables in Word / LaTeX / Markdown, standardized betas, paragraphs.

The Word tables of the committed report are opened with python-docx and their
headers and numbers checked against the CSV tables of the same report; the
standardized betas are checked against statsmodels on data z-scored by hand.
"""
import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.render import apa, manuscript
from analysis import paths
from analysis.stats.standardized import standardized_coefficients

REFERENCE = paths.REPLICATION_REPORT
DOCX = REFERENCE / "manuscript" / "tables.docx"


def _docx_tables():
    from docx import Document
    doc = Document(str(DOCX))
    titles = [p.text for p in doc.paragraphs if p.text.startswith("Table ")]
    grids = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return titles, grids, doc


def test_docx_tables_match_the_csv_tables():
    titles, grids, _ = _docx_tables()
    assert titles[:2] == ["Table 1", "Table 2"] and len(grids) == len(titles)
    study1 = pd.read_csv(REFERENCE / "tables" / "study1_models.csv")
    for grid, outcome in zip(grids[:2], ("CO", "SO")):
        assert grid[0] == ["Predictor", "b", "SE", "t", "p", "95% CI", "β"]
        csv = study1[study1.outcome == outcome].reset_index(drop=True)
        for row, (_, r) in zip(grid[1:], csv.iterrows()):
            assert row[1:6] == [apa.fmt_number(r.estimate), apa.fmt_number(r.std_error),
                                apa.fmt_stat(r.statistic), apa.fmt_p(r.p_value),
                                apa.fmt_ci(r.conf_low, r.conf_high)]
    # the DRD4 7R row of the CO model (with the codebook's covariates), spelled out
    assert grids[0][3][:5] == ["DRD4 7R carrier", "0.300", "0.092", "3.25", ".001"]
    slopes_grid = next(g for g in grids if g[0][:4] == ["Outcome", "Gene", "Attachment", "Group"])
    slopes = pd.read_csv(REFERENCE / "tables" / "study2_simple_slopes.csv")
    assert len(slopes_grid) - 1 == len(slopes)
    for row, (_, r) in zip(slopes_grid[1:], slopes.iterrows()):
        assert row[:5] == [r.outcome, r.gene, r["style"], r.group, str(int(r.n_group))]
        assert row[5] == apa.fmt_number(r.estimate) and row[8] == apa.fmt_p(r.p_value)
    card = json.loads((REFERENCE / "scorecard.json").read_text())
    score_grid = grids[-1]
    assert score_grid[0] == ["Claim", "Statement", "Verdict", "b", "p (deciding)", "Equivalence"]
    assert [r[0] for r in score_grid[1:]] == [c["id"] for c in card]
    assert [r[4] for r in score_grid[1:]] == [apa.fmt_p(c["p_decision"]) for c in card]


def test_docx_is_apa_styled_and_byte_stable():
    titles, grids, doc = _docx_tables()
    italic_titles = [p for p in doc.paragraphs if p.runs and p.runs[0].italic
                     and not p.text.startswith("Note.")]
    assert len(italic_titles) >= len(titles)
    notes = [p.text for p in doc.paragraphs if p.text.startswith("Note.")]
    assert any("OLS standard errors" in n and "z-scored before the product" in n for n in notes)
    tables = [manuscript.regression_table(pd.read_csv(REFERENCE / "tables" / "study1_models.csv"),
                                          title="t", panel_column="outcome")]
    assert manuscript.to_docx(tables) == manuscript.to_docx(tables)


def test_latex_and_markdown_tables():
    coefs = pd.DataFrame({"term": ["Intercept", "avoidant:drd4_7r_carrier"], "estimate": [1.0, 0.5],
                          "std_error": [0.1, 0.2], "statistic": [10.0, 2.5], "df": [96, 96],
                          "p_value": [1e-9, 0.0142], "conf_low": [0.8, 0.1],
                          "conf_high": [1.2, 0.9]})
    betas = pd.DataFrame({"term": ["drd4_7r_carrier:avoidant"], "beta": [0.1234]})
    t = manuscript.regression_table(coefs, betas=betas, title="CO_model 100% & more")
    tex = manuscript.to_latex([t])
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"CO\_model 100\% \& more" in tex and r"$\beta$" in tex
    assert "avoidant $\\times$ DRD4 7R carrier & 0.500 & 0.200 & 2.50 & .014" in tex
    assert tex.count(r"\begin{tabular}{lrrrrrr}") == 1
    md = manuscript.to_markdown([t])
    assert "| avoidant × DRD4 7R carrier | 0.500 | 0.200 | 2.50 | .014 | [0.100, 0.900] | 0.12 |" in md
    assert "&lt;" not in md and "e-0" not in md


def test_standardized_betas_equal_statsmodels_on_zscored_data():
    rng = np.random.default_rng(11)
    n = 300
    d = pd.DataFrame({"g": rng.integers(0, 2, n).astype(float), "w": rng.normal(4, 1.2, n),
                      "age": rng.normal(40, 9, n)})
    d["y"] = 5 + 0.3 * d.g + 0.2 * d.w + 0.5 * d.g * d.w + 0.01 * d.age + rng.normal(0, 1, n)
    d.loc[3, "w"] = np.nan  # listwise deletion like the model
    got = standardized_coefficients(d, outcome="y", focal="g", moderator="w", covariates=["age"])
    c = d.dropna()
    z = (c - c.mean()) / c.std(ddof=1)
    X = sm.add_constant(pd.DataFrame({"g": z.g, "w": z.w, "gw": z.g * z.w, "age": z.age}))
    ref = sm.OLS(z.y, X).fit().params
    # closed-form least squares on the same numbers: agreement to rounding (1e-10)
    np.testing.assert_allclose(got.beta, ref[["g", "w", "gw", "age"]], rtol=1e-10, atol=1e-12)
    assert got.term.tolist() == ["g", "w", "g:w", "age"]
    # not the naive b * sd(x) / sd(y) of the product term
    raw = sm.OLS(c.y, sm.add_constant(pd.DataFrame({"g": c.g, "w": c.w, "gw": c.g * c.w,
                                                     "age": c.age}))).fit().params
    naive = raw["gw"] * (c.g * c.w).std() / c.y.std()
    assert abs(naive - got.beta[2]) > 0.05


def test_write_tables_for_a_probe_result(tmp_path):
    from analysis.stats.moderation import probe
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"x": rng.integers(0, 2, 150).astype(float), "w": rng.uniform(1, 7, 150)})
    d["y"] = 5 + 0.4 * d.x * d.w + rng.normal(0, 1, 150)
    result = probe(d, outcome="y", focal="x", moderator="w")
    betas = standardized_coefficients(d, outcome="y", focal="x", moderator="w")
    for fmt in manuscript.FORMATS:
        data = manuscript.write_tables(result, fmt, tmp_path / f"t.{fmt}", betas=betas)
        assert (tmp_path / f"t.{fmt}").read_bytes() == data
    md = (tmp_path / "t.md").read_text()
    coefs = result.coefficients.set_index("term")
    assert f"| x × w | {apa.fmt_number(coefs.loc['x:w', 'estimate'])} |" in md
    assert "Table 3" in md and "Bauer" in md and not re.search(r"\d[eE][-+]\d", md)
    assert "| p50 " in md  # the probe point with its value
    from docx import Document
    doc = Document(str(tmp_path / "t.docx"))
    assert doc.tables[0].rows[0].cells[-1].text == "β"
    with pytest.raises(ValueError, match="docx, tex, md"):
        manuscript.write_tables(result, "pdf")


def test_results_paragraph_per_claim_states_conventions():
    card = json.loads((REFERENCE / "scorecard.json").read_text())
    paragraphs = manuscript.results_paragraphs(card, alpha=0.05, family_rule="holm", se="ols",
                                               conf_level=0.95)
    assert [cid for cid, _ in paragraphs] == [c["id"] for c in card]
    s2b = dict(paragraphs)["S2b"]
    assert "t(220) = 5.18, p < .001" in s2b and "OLS standard errors" in s2b
    s2d = dict(paragraphs)["S2d"]
    assert "Holm-adjusted p of the 8 tests: p > .999" in s2d and "(holm)" in s2d
    assert "TOST" in dict(paragraphs)["S1a"]
    committed = (REFERENCE / "manuscript" / "results.md").read_text(encoding="utf-8")
    assert committed.count("**S") == len(card)


def test_citation_file_is_valid_and_current():
    import tomllib
    import yaml
    root = paths.ROOT
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    assert {"cff-version", "message", "title", "authors", "version"} <= set(cff)
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert str(cff["version"]) == version
    assert cff["references"][0]["doi"] == "10.3389/fnhum.2014.00032"


def test_readme_maps_every_committed_figure_and_table_to_its_command():
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Figures and tables: command -> file", 1)[1].split("\n## ", 1)[0]
    for path in sorted(REFERENCE.rglob("*")):
        rel = path.relative_to(REFERENCE).as_posix()
        if rel.startswith(("figures/", "manuscript/")) and path.suffix in (".png", ".docx"):
            assert f"reports/replication/{rel}" in section, rel

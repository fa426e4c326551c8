"""Own hypotheses in ``analyze`` (issue 11, item 7): the codebook's ``models:`` section,
``--export-scored``, and their README / Python examples.

The reference for every own model is ``salesgxe probe`` run on the exported scored file
with the same specification (the engine is shared, so the numbers must agree to 1e-10
relative) and, for OLS / HC3 / CR1, an independent statsmodels fit on the same rows."""
import contextlib
import io
import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis._errors import InputError
from analysis.cli import main
from analysis.io.codebook import Codebook

SIM_DATA = paths.SIMULATED / "study2.csv"
SIM_BOOK = paths.SIMULATED / "study2_codebook.yaml"
SURVEY = paths.EXAMPLES / "survey.sav"
EXAMPLE_BOOK = paths.EXAMPLES / "codebook.yaml"
RTOL = 1e-10
NUMBERS = ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high")

MODELS = [
    # the simulated S2b effect: CO rises with avoidant attachment in 7R carriers
    {"id": "H1", "outcome": "CO", "focal": "avoidant", "moderator": "drd4_7r_carrier",
     "prediction": "positive", "statement": "Avoidant attachment raises CO in 7R carriers."},
    {"id": "H2", "outcome": "CO", "focal": "avoidant", "moderator": "drd4_7r_carrier",
     "prediction": "negative", "se": "HC3"},
    {"id": "H3", "outcome": "SO", "focal": "secure", "moderator": "drd2_a1_carrier",
     "prediction": "null", "sesoi": 0.6, "se": "CR2", "cluster": "company"},
    {"id": "H4", "outcome": "SO", "focal": "anxious", "moderator": "CO",
     "covariates": ["drd4_7r_count"], "se": "CR1", "cluster": "company",
     "prediction": "positive"},
]


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def _book_with(models, base=SIM_BOOK) -> dict:
    spec = yaml.safe_load(Path(base).read_text(encoding="utf-8"))
    spec["models"] = models
    return spec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The simulated Study 2 export with a company column, a codebook with MODELS, and one
    ``analyze --export-scored`` run."""
    base = tmp_path_factory.mktemp("own")
    frame = pd.read_csv(SIM_DATA)
    rng = np.random.default_rng(11)
    frame["company"] = [f"firm{k:02d}" for k in rng.integers(0, 40, len(frame))]
    data = base / "study2_firms.csv"
    frame.to_csv(data, index=False)
    book = base / "codebook.yaml"
    book.write_text(yaml.safe_dump(_book_with(MODELS), sort_keys=False), encoding="utf-8")
    scored = base / "scored.csv"
    code, out, err = _run(["analyze", data, "--codebook", book, "--out", base / "report",
                           "--sims", "0", "--no-multiverse", "--export-scored", scored])
    assert code == 0, err
    records = json.loads((base / "report" / "scorecard.json").read_text(encoding="utf-8"))
    return {"base": base, "data": data, "book": book, "scored": scored, "err": err,
            "report": base / "report", "own": {r["id"]: r for r in records
                                               if r.get("origin") == "your hypothesis"},
            "records": records}


def _probe_json(path, model):
    argv = ["probe", path, "-y", model["outcome"], "-x", model["focal"], "-w",
            model["moderator"], "--json"]
    if model.get("covariates"):
        argv += ["--covariates", ",".join(model["covariates"])]
    if model.get("se"):
        argv += ["--se", model["se"]]
    if model.get("cluster"):
        argv += ["--cluster", model["cluster"]]
    code, out, err = _run(argv)
    assert code == 0, err
    obj = json.loads(out)
    term = f"{model['focal']}:{model['moderator']}"
    return obj, next(c for c in obj["coefficients"] if c["term"] == term)


def _expected_verdict(model, row, alpha=0.05):
    """The verdict written out by hand from the rules' words (not through claims.RULES)."""
    from scipy import stats
    p, b = row["p_value"], row["estimate"]
    if model["prediction"] == "null":
        se, df, d = row["std_error"], row["df"], model["sesoi"]
        tost_p = max(stats.t.sf((b + d) / se, df), stats.t.cdf((b - d) / se, df))
        if p < alpha:
            return "contradicted" if tost_p >= alpha else "not reproduced"
        return "reproduced" if tost_p < alpha else "inconclusive"
    right = (b > 0) == (model["prediction"] == "positive")
    if p < alpha:
        return "reproduced" if right else "contradicted"
    return "not reproduced"


# ------------------------------------------------------------------ the numbers
@pytest.mark.parametrize("model", MODELS, ids=[m["id"] for m in MODELS])
def test_own_model_equals_probe_on_the_exported_data(run, model):
    rec = run["own"][model["id"]]
    obj, row = _probe_json(run["scored"], model)
    for key in NUMBERS:
        assert rec[key] == pytest.approx(row[key], rel=RTOL, abs=1e-14), key
    assert rec["n"] == obj["n"] and rec["se_type"] == obj["se_type"]
    assert rec["verdict"] == _expected_verdict(model, row)
    assert rec["origin"] == "your hypothesis"


def test_the_verdicts_cover_the_rules(run):
    """H1 and H2 are the same strong interaction: predicted right, predicted wrong."""
    own = run["own"]
    assert own["H1"]["verdict"] == "reproduced" and own["H2"]["verdict"] == "contradicted"
    # a null shown by equivalence under CR2 (Satterthwaite df, far below the 39 of CR1)
    assert own["H3"]["verdict"] == "reproduced" and own["H3"]["equivalence"] == "shown"
    firms = pd.read_csv(run["scored"])["company"].nunique()
    assert own["H3"]["df"] < 30 and own["H4"]["df"] == firms - 1       # CR1: G - 1
    assert own["H4"]["verdict"] == "not reproduced"
    assert own["H3"]["tost_p"] < 0.05 and own["H1"]["tost_p"] is None


@pytest.mark.parametrize("model", [MODELS[0], MODELS[1], MODELS[3]], ids=["ols", "HC3", "CR1"])
def test_own_model_equals_statsmodels(run, model):
    import statsmodels.api as sm
    frame = pd.read_csv(run["scored"])
    cols = [model["outcome"], model["focal"], model["moderator"], *model.get("covariates", []),
            *([model["cluster"]] if model.get("cluster") else [])]
    d = frame[cols].dropna()
    X = pd.DataFrame({"const": 1.0, "x": d[model["focal"]], "w": d[model["moderator"]],
                      "xw": d[model["focal"]] * d[model["moderator"]]})
    for c in model.get("covariates", []):
        X[c] = d[c]
    se = model.get("se", "ols")
    ols = sm.OLS(d[model["outcome"]], X)
    if se == "CR1":
        groups = pd.factorize(d[model["cluster"]])[0]
        fit = ols.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    else:
        fit = ols.fit(cov_type="nonrobust" if se == "ols" else se)
    rec = run["own"][model["id"]]
    assert rec["estimate"] == pytest.approx(fit.params["xw"], rel=RTOL)
    assert rec["std_error"] == pytest.approx(fit.bse["xw"], rel=RTOL)
    if se == "CR1":   # t with G - 1 df, as sandwich::vcovCL(type = "HC1") users do
        from scipy import stats
        g = len(set(groups))
        p = 2 * stats.t.sf(abs(fit.params["xw"] / fit.bse["xw"]), g - 1)
        assert rec["df"] == g - 1 and rec["p_value"] == pytest.approx(p, rel=1e-9)
    elif se == "ols":
        assert rec["p_value"] == pytest.approx(fit.pvalues["xw"], rel=1e-9)


def test_report_marks_own_hypotheses_apart_from_the_claims(run):
    records = run["records"]
    assert [r["id"] for r in records[:8]] == ["S1a", "S1b", "S1c", "S1d", "S2a", "S2b", "S2c",
                                             "S2d"]
    assert {r["origin"] for r in records[:8]} == {"paper claim"}
    assert [r["id"] for r in records[8:]] == ["H1", "H2", "H3", "H4"]
    md = (run["report"] / "report.md").read_text(encoding="utf-8")
    assert "## Your own hypotheses" in md and "NOT claims of the paper" in md
    assert "Your hypothesis: Avoidant attachment raises CO in 7R carriers." in md
    assert "8 published claims" in md          # the paper's summary counts the claims only
    assert "- **Your own hypotheses**: 4 models from the codebook's models: section" in md
    table = pd.read_csv(run["report"] / "tables" / "own_models.csv")
    assert table["id"].tolist() == ["H1", "H2", "H3", "H4"]
    assert set(table["origin"]) == {"your hypothesis"}
    effects = pd.read_csv(run["report"] / "tables" / "own_models_effects.csv")
    assert set(effects["id"]) == {"H1", "H2", "H3", "H4"}
    card = pd.read_csv(run["report"] / "scorecard.csv")
    assert card.loc[card["id"] == "H3", "origin"].item() == "your hypothesis"


# ------------------------------------------------------------------ the export
def test_export_round_trips_and_is_the_models_frame(run, tmp_path):
    from analysis.pipeline import load_study, scored_data
    book = Codebook.load(run["book"])
    frame = scored_data(load_study("x", run["data"], book))
    back = pd.read_csv(run["scored"])
    pd.testing.assert_frame_equal(back, frame, check_dtype=False, check_exact=True)
    assert "company" in back.columns                    # a raw column a model names
    assert "id" not in back.columns and "resp_id" not in back.columns   # no respondent ids
    assert {"CO", "avoidant", "drd2_a1_carrier", "drd4_7r_carrier"} <= set(back.columns)
    # parquet keeps the dtypes as well
    pq = tmp_path / "scored.parquet"
    code, _, err = _run(["analyze", run["data"], "--codebook", run["book"], "--out",
                         tmp_path / "rep", "--sims", "0", "--no-multiverse",
                         "--export-scored", pq])
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_parquet(pq), frame, check_exact=True)


def test_export_notice_is_one_line_on_stderr(run):
    from analysis.pipeline import EXPORT_NOTICE
    lines = [ln for ln in run["err"].splitlines() if ln.strip()]
    assert lines == ["salesgxe: " + EXPORT_NOTICE.format(file="scored.csv")]
    assert "row-level genetic data" in lines[0]


def test_report_does_not_contain_the_export(run):
    manifest = json.loads((run["report"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"] and "scored.csv" not in json.dumps(manifest["outputs"])
    assert "resp_id" not in (run["report"] / "tables" / "own_models.csv").read_text()
    row = pd.read_csv(run["scored"]).iloc[7]
    needle = ",".join(repr(float(row[c])) for c in ("CO", "SO"))   # one person's scores
    for path in run["report"].rglob("*"):
        if path.is_file():
            assert needle.encode() not in path.read_bytes(), path


def test_export_refused_inside_the_report_folder(run, tmp_path):
    out = tmp_path / "rep"
    code, stdout, err = _run(["analyze", run["data"], "--codebook", run["book"], "--out", out,
                              "--sims", "0", "--no-multiverse", "--export-scored",
                              out / "scored.csv"])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "inside the report folder" in err and not out.exists()


@pytest.mark.parametrize("name,words", [("scored.xlsx", ".csv or .parquet"),
                                        ("exists.csv", "--force")])
def test_export_bad_targets_refused_before_the_work(run, tmp_path, name, words):
    (tmp_path / "exists.csv").write_text("keep me\n")
    code, _, err = _run(["analyze", run["data"], "--codebook", run["book"], "--out",
                         tmp_path / "rep", "--sims", "0", "--no-multiverse",
                         "--export-scored", tmp_path / name])
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err
    assert not (tmp_path / "rep").exists()
    assert (tmp_path / "exists.csv").read_text() == "keep me\n"


def test_export_never_replaces_an_input(run, tmp_path):
    code, _, err = _run(["analyze", run["data"], "--codebook", run["book"], "--out",
                         tmp_path / "rep", "--sims", "0", "--no-multiverse",
                         "--export-scored", run["data"], "--force"])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert pd.read_csv(run["data"]).shape[1] > 20          # still the raw export


# ------------------------------------------------------------------ bad specifications
def _cli_error(tmp_path, models, data=SURVEY, base=EXAMPLE_BOOK):
    book = tmp_path / "my_codebook.yaml"
    book.write_text(yaml.safe_dump(_book_with(models, base), sort_keys=False), encoding="utf-8")
    code, out, err = _run(["analyze", data, "--codebook", book, "--out", tmp_path / "rep",
                           "--sims", "0", "--no-multiverse"])
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "my_codebook.yaml" in err and not (tmp_path / "rep").exists()
    return err


def test_unknown_variable_one_line_with_file_and_key(tmp_path):
    err = _cli_error(tmp_path, [{"id": "H1", "outcome": "CO", "focal": "avoidnt",
                                 "moderator": "drd4_7r_carrier", "prediction": "positive"}])
    assert "models.H1.focal" in err and "'avoidnt'" in err and "Did you mean 'avoidant'" in err


def test_unknown_covariate_and_cluster_named_by_key(tmp_path):
    err = _cli_error(tmp_path, [{"id": "mine", "outcome": "CO", "focal": "avoidant",
                                 "moderator": "drd4_7r_carrier", "covariates": ["age", "tenure"],
                                 "prediction": "positive"}])
    assert "models.mine.covariates" in err and "'tenure'" in err


def test_raw_genotype_column_refused_by_name(tmp_path):
    err = _cli_error(tmp_path, [{"id": "H1", "outcome": "CO", "focal": "avoidant",
                                 "moderator": "DRD4_VNTR", "prediction": "positive"}])
    assert "models.H1.moderator" in err and "drd4_7r_carrier" in err
    assert "4R" not in err and "7R/" not in err


@pytest.mark.parametrize("claim_id", ["S2a", "s1C"])
def test_paper_claim_id_refused(tmp_path, claim_id):
    err = _cli_error(tmp_path, [{"id": claim_id, "outcome": "CO", "focal": "avoidant",
                                 "moderator": "drd4_7r_carrier", "prediction": "positive"}])
    assert f"models.{claim_id}.id" in err and "paper's claim" in err


def test_raw_column_a_model_names_is_used(tmp_path):
    """A raw column of the data (an item) is a variable too, with the codebook's missing codes
    set to missing first."""
    book = Codebook.from_dict(_book_with([{"id": "item", "outcome": "Q1_1", "focal": "avoidant",
                                           "moderator": "drd4_7r_carrier",
                                           "prediction": "positive"}], EXAMPLE_BOOK))
    from analysis.pipeline import load_study, scored_data
    frame = scored_data(load_study("x", SURVEY, book))
    from analysis.io.readers import read_data
    raw = read_data(SURVEY).frame["Q1_1"]
    assert frame["Q1_1"].isna().sum() >= raw.isin([-9, 99]).sum()
    assert not frame["Q1_1"].isin([-9, 99]).any()


_GOOD = {"id": "H1", "outcome": "CO", "focal": "avoidant", "moderator": "drd4_7r_carrier",
         "prediction": "positive"}


@pytest.mark.parametrize("change,words", [
    ({"id": "H1 x"}, "models[2].id"),
    ({"prediction": "bigger"}, "models.H1.prediction must be positive, negative or null"),
    ({"prediction": "null"}, "models.H1.sesoi is required"),
    ({"sesoi": 0.2}, "models.H1.sesoi only applies"),
    ({"se": "CR2"}, "models.H1.se CR2 needs a cluster"),
    ({"se": "HC3", "cluster": "firm"}, "models.H1.se HC3 ignores the clusters"),
    ({"se": "HC9"}, "models.H1.se must be one of"),
    ({"moderatr": "x"}, "unknown key 'moderatr' in models.H1"),
    ({"focal": "CO"}, "three different variables"),
    ({"covariates": ["avoidant"]}, "models.H1.covariates: 'avoidant' is already"),
    ({"id": "h0"}, "models.h0.id: 'h0' is used by two models"),
])
def test_codebook_models_checked_with_file_and_key(change, words):
    spec = _book_with([{"id": "h0", **{k: v for k, v in _GOOD.items() if k != "id"}},
                       {**_GOOD, **change}], EXAMPLE_BOOK)
    with pytest.raises(InputError) as err:
        Codebook.from_dict(spec, path="my_codebook.yaml")
    message = err.value.message
    assert words in message and "my_codebook.yaml" in message and "\n" not in message


def test_prediction_null_may_be_yaml_null_and_defaults():
    text = ("models:\n  - {id: H9, outcome: SO, focal: secure, moderator: drd2_a1_carrier,"
            " prediction: null, sesoi: 0.25, cluster: firm}\n")
    spec = {**_book_with([], EXAMPLE_BOOK), **yaml.safe_load(text)}
    (model,) = Codebook.from_dict(spec).models
    assert model.prediction == "null" and model.se == "CR2" and model.sesoi == 0.25
    assert Codebook.from_dict(spec).to_dict()["models"][0]["cluster"] == "firm"


def test_small_genotype_group_blanks_the_numbers_keeps_the_verdict():
    """The example's A1/A1 group has 12 people: with min_group_size 20 a model whose moderator
    is the A1 allele count has its numbers withheld (as the claims' are)."""
    from analysis.study.own_models import fit_own_models
    from analysis.pipeline import load_study, scored_data
    models = [{"id": "count", "outcome": "CO", "focal": "avoidant", "moderator": "drd2_a1_count",
               "prediction": "positive"}, _GOOD,
              {**_GOOD, "id": "adjusted", "covariates": ["drd2_a1_count"]}]
    book = Codebook.from_dict(_book_with(models, EXAMPLE_BOOK))
    frame = scored_data(load_study("x", SURVEY, book))
    assert (frame["drd2_a1_count"] == 2).sum() < 20
    own = fit_own_models(frame, book.models, min_group_size=20)
    small, fine, adjusted = own.to_records()
    assert small["suppressed"] and all(small[k] is None for k in NUMBERS)
    assert small["verdict"] in ("reproduced", "not reproduced", "contradicted")
    assert not fine["suppressed"] and fine["estimate"] is not None
    # a genotype covariate only adjusts: no group is described, nothing withheld
    assert not adjusted["suppressed"] and adjusted["estimate"] is not None
    effects = own.effects_frame()
    assert effects.loc[effects["id"] == "count", "estimate"].isna().all()


def test_multicategorical_variable_refused_for_a_direction(tmp_path):
    err = _cli_error(tmp_path, [{"id": "H1", "outcome": "CO", "focal": "avoidant",
                                 "moderator": "drd2_genotype", "prediction": "positive"}])
    assert "models.H1" in err and "one product term" in err


# ------------------------------------------------------------------ README and Python API
def _readme_section():
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Your own hypotheses")
    return text[start:text.index("\n## ", start)]


def test_readme_own_hypotheses_example_runs(tmp_path, monkeypatch):
    """The README's codebook snippet appended to the example codebook, then its commands."""
    monkeypatch.chdir(paths.ROOT)
    section = _readme_section()
    snippet = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    book = tmp_path / "codebook.yaml"
    book.write_text(EXAMPLE_BOOK.read_text(encoding="utf-8") + "\n" + snippet, encoding="utf-8")
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(ln) for ln in block.replace("\\\n", " ").splitlines()
                if ln.startswith("salesgxe ")]
    assert len(commands) >= 2
    swap = {"codebook.yaml": str(book), "reports/mine": str(tmp_path / "mine"),
            "scored.parquet": str(tmp_path / "scored.parquet")}
    for argv in commands:
        code, out, err = _run([swap.get(a, a) for a in argv[1:]] + (
            ["--sims", "0", "--no-multiverse"] if argv[1] == "analyze" else []))
        assert code == 0, (argv, err)
    own = [r for r in json.loads((tmp_path / "mine" / "scorecard.json").read_text())
           if r.get("origin") == "your hypothesis"]
    assert [r["id"] for r in own] == [m.id for m in Codebook.load(book).models]
    assert "row-level genetic data" in err or (tmp_path / "scored.parquet").exists()
    assert (tmp_path / "scored.parquet").exists()


def test_readme_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(paths.ROOT)
    block = _readme_section().split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)      # our own documentation
    own, scored = namespace["own"], namespace["scored"]
    assert [v.id for v in own.verdicts] == ["H1", "H2"]
    assert "drd4_7r_carrier" in scored.columns and "id" not in scored.columns
    assert "H1" in capsys.readouterr().out


def test_hostile_statement_is_inert_in_every_medium(tmp_path):
    """The statement is user text: Markdown-escaped, HTML-escaped, formula-neutralised in CSV,
    terminal escapes dropped."""
    statement = '=HYPERLINK("http://x") <script>alert(1)</script> [link](http://evil) \x1b[31mred'
    book = tmp_path / "codebook.yaml"
    book.write_text(yaml.safe_dump(_book_with([{**_GOOD, "statement": statement}],
                                              EXAMPLE_BOOK)), encoding="utf-8")
    code, _, err = _run(["analyze", SURVEY, "--codebook", book, "--out", tmp_path / "rep",
                         "--sims", "0", "--no-multiverse"])
    assert code == 0, err
    rep = tmp_path / "rep"
    md = (rep / "report.md").read_text(encoding="utf-8")
    html = (rep / "index.html").read_text(encoding="utf-8")
    assert "Your hypothesis: =HYPERLINK" in md and "\\[link\\]" in md and "\x1b" not in md
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    card = pd.read_csv(rep / "scorecard.csv", dtype=str)
    assert card.loc[card["id"] == "H1", "statement"].item().startswith("'=HYPERLINK")


def test_validate_reports_every_bad_model_variable(tmp_path):
    models = [{**_GOOD, "focal": "avoidnt"}, {**_GOOD, "id": "H2", "moderator": "DRD2_Taq1A"},
              {**_GOOD, "id": "H3"}]
    book = tmp_path / "my_codebook.yaml"
    book.write_text(yaml.safe_dump(_book_with(models, EXAMPLE_BOOK)), encoding="utf-8")
    code, out, err = _run(["validate", SURVEY, "--codebook", book, "--json"])
    assert code == 2, err
    found = [p for p in json.loads(out)["errors"] if p["code"] == "model_variable"]
    assert [p["message"].split(":")[0] for p in found] == ["models.H1.focal",
                                                           "models.H2.moderator"]
    assert all(p["file"].endswith("my_codebook.yaml") for p in found)
    assert not any(v in json.dumps(found) for v in ("A1/A2", "A2/A2", "A1/A1"))
    assert "use a coding such as drd2_a1_carrier" in found[1]["message"]


def test_scored_frame_never_takes_a_raw_genotype_or_id_column():
    """Even called directly (bypassing validate), the raw genotype and id columns stay out;
    fit_own_models then names the key that asked for one."""
    from analysis.io.codebook import ModelSpec
    from analysis.study.own_models import fit_own_models, scored_frame
    from analysis.pipeline import load_study
    book = Codebook.load(EXAMPLE_BOOK)
    study = load_study("x", SURVEY, book)
    asks = [ModelSpec(id="g", outcome="CO", focal="avoidant", moderator="DRD4_VNTR",
                      prediction="positive"),
            ModelSpec(id="i", outcome="CO", focal="avoidant", moderator="drd4_7r_carrier",
                      covariates=("ResponseId",), prediction="positive")]
    frame = scored_frame(study.frame, study.dataset.frame, codebook=book, models=asks)
    assert not {"DRD4_VNTR", "DRD2_Taq1A", "ResponseId", "id"} & set(frame.columns)
    with pytest.raises(InputError, match=r"models\.g\.moderator: 'DRD4_VNTR' is the DRD4"):
        fit_own_models(frame, asks, codebook=book)

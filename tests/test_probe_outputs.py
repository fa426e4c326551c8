"""`salesgxe probe --plot DIR` and `--table docx|tex|md` (issue 11, item 5).

The plot data are checked against statsmodels (independent fits: the full model with
HC3, separate per-group OLS fits for the slopes per group) and the CSVs against the
probe result itself; the figures must decode; nothing row-level (ids, outcome values)
may reach any file; bad targets and formats give one line and exit code 2.
"""
import json
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.stats.moderation import probe
from analysis.render.probe_outputs import probe_plot_data, write_probe_plots, write_probe_tables

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "probe_example.csv"


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _data(n=240, seed=11):
    """Continuous x, w, a covariate, a text-coded binary group, unique marker ids and outcome
    values with nine distinct decimals (searched for in every output)."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"pid": [f"IDQZ{i:04d}X" for i in range(n)],
                      "x": rng.normal(3, 1, n), "w": rng.normal(4, 1.2, n),
                      "c": rng.normal(40, 8, n),
                      "grp": np.where(rng.random(n) < 0.4, "carrier", "non-carrier")})
    g = (d["grp"] == "carrier").to_numpy(float)
    d["y"] = (2 + 0.3 * d.x - 0.2 * d.w + 0.25 * d.x * d.w + 0.02 * d.c + 0.8 * g * d.w
              + rng.normal(0, 1, n))
    d["y"] = d["y"].round(6) + np.arange(n) * 1e-9 + 3.1e-7     # unique 9-decimal values
    return d


@pytest.fixture(scope="module")
def cont(tmp_path_factory):
    """Continuous x and w with a covariate, HC3: probe, statsmodels, written folder."""
    import statsmodels.formula.api as smf
    d = _data()
    res = probe(d, outcome="y", focal="x", moderator="w", covariates=["c"], se="HC3")
    sm = smf.ols("y ~ x * w + c", data=d).fit(cov_type="HC3")
    folder = write_probe_plots(res, d, tmp_path_factory.mktemp("cont") / "plots")
    return d, res, sm, folder


def _sm_effect(sm, focal, inter, at):
    """Conditional effect b_f + at * b_fw and its SE from statsmodels' own covariance."""
    names = list(sm.params.index)
    L = np.zeros((len(at), len(names)))
    L[:, names.index(focal)] = 1.0
    L[:, names.index(inter)] = at
    V = sm.cov_params().to_numpy()
    return L @ sm.params.to_numpy(), np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))


def test_csv_plot_data_are_the_probe_results_numbers_and_statsmodels(cont):
    d, res, sm, folder = cont
    eff = res.conditional_effects()
    csv = pd.read_csv(folder / "conditional_effects.csv")
    cols = ["moderator_value", "estimate", "std_error", "conf_low", "conf_high", "p_value"]
    # the CSV is the probe result's table (round trip of repr floats): 1e-12
    np.testing.assert_allclose(csv[cols].to_numpy(), eff[cols].to_numpy(), rtol=1e-12, atol=0)
    # and the probe's numbers are statsmodels' (HC3): 1e-8 relative
    est, se = _sm_effect(sm, "x", "x:w", eff["moderator_value"].to_numpy())
    np.testing.assert_allclose(eff["estimate"], est, rtol=1e-8)
    np.testing.assert_allclose(eff["std_error"], se, rtol=1e-8)
    # the legend's slopes = the p16/p50/p84 rows of the probe's table, to 1e-12
    slopes = pd.read_csv(folder / "slopes.csv")
    want = eff[eff["label"].isin(["p16", "p50", "p84"])]
    np.testing.assert_allclose(slopes["estimate"], want["estimate"], rtol=1e-12)
    np.testing.assert_allclose(slopes["conf_high"], want["conf_high"], rtol=1e-12)


def test_lines_are_statsmodels_predictions_at_the_covariate_mean(cont):
    d, res, sm, folder = cont
    lines = pd.read_csv(folder / "lines.csv")
    slopes = pd.read_csv(folder / "slopes.csv")
    assert lines["group"].nunique() == 3 and len(lines) == 3 * 50
    for _, s in slopes.iterrows():
        part = lines[lines["group"] == s["group"]]
        new = pd.DataFrame({"x": part["x_value"], "w": s["line_value"], "c": d["c"].mean()})
        pred = sm.get_prediction(new).summary_frame(alpha=0.05)    # HC3 covariance
        np.testing.assert_allclose(part["estimate"], pred["mean"], rtol=1e-9)
        np.testing.assert_allclose(part["std_error"], pred["mean_se"], rtol=1e-8)
        # the slope printed for the line is the line's own slope
        rise = np.diff(part["estimate"].to_numpy()) / np.diff(part["x_value"].to_numpy())
        np.testing.assert_allclose(rise, s["estimate"], rtol=1e-9)
    assert lines["x_value"].min() == pytest.approx(d["x"].min(), rel=1e-15)


def test_both_jn_orientations_checked_against_statsmodels(cont):
    d, res, sm, folder = cont
    jn = pd.read_csv(folder / "johnson_neyman.csv")
    bounds = pd.read_csv(folder / "johnson_neyman_bounds.csv")
    assert set(jn["orientation"]) == {"focal_along_moderator", "moderator_along_focal"}
    for key, effect, along, inter in (("focal_along_moderator", "x", "w", "x:w"),
                                      ("moderator_along_focal", "w", "x", "x:w")):
        g = jn[jn["orientation"] == key]
        assert set(g["effect_of"]) == {effect} and set(g["along"]) == {along}
        est, se = _sm_effect(sm, effect, inter, g["moderator_value"].to_numpy())
        np.testing.assert_allclose(g["estimate"], est, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(g["std_error"], se, rtol=1e-8)
        assert g["moderator_value"].min() == pytest.approx(d[along].min(), rel=1e-15)
        assert g["moderator_value"].max() == pytest.approx(d[along].max(), rel=1e-15)
        # at each boundary |t| equals the critical t(df_resid): the JN definition, 1e-8
        from scipy import stats
        t_crit = stats.t.ppf(0.975, sm.df_resid)
        b = bounds[(bounds["orientation"] == key)].dropna(subset=["bound"])
        assert len(b) >= 1
        est, se = _sm_effect(sm, effect, inter, b["bound"].to_numpy())
        np.testing.assert_allclose(np.abs(est / se), t_crit, rtol=1e-8)
    # the first orientation is the probe's own JN
    own = bounds[bounds["orientation"] == "focal_along_moderator"]["bound"].dropna()
    np.testing.assert_allclose(own, res.jn.bounds, rtol=1e-12)


def _decodes(folder: Path, stem: str) -> None:
    import matplotlib.image as mpimg
    img = mpimg.imread(folder / f"{stem}.png")
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 300
    assert img[..., :3].std() > 0.01                      # not a blank canvas
    root = ET.parse(folder / f"{stem}.svg").getroot()
    assert root.tag.endswith("svg")


def test_figures_decode_and_manifest_lists_every_file(cont):
    _, res, _, folder = cont
    for stem in ("simple_slopes", "johnson_neyman_focal_along_moderator",
                 "johnson_neyman_moderator_along_focal"):
        _decodes(folder, stem)
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {o["path"] for o in manifest["outputs"]}
    assert listed == {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert manifest["meta"]["x_axis"] == "x" and manifest["meta"]["lines"] == "w"
    assert manifest["meta"]["orientations"]["moderator_along_focal"] == {"effect_of": "w",
                                                                        "along": "x"}


def test_nothing_row_level_in_any_output(cont):
    d, _, _, folder = cont
    markers = list(d["pid"]) + [f"{v:.9f}" for v in d["y"]] + [repr(float(v)) for v in d["y"]]
    for path in folder.iterdir():
        text = path.read_bytes()
        leaked = [m for m in markers if m.encode() in text]
        assert not leaked, (path.name, leaked[:3])
    binned = pd.read_csv(folder / "binned_means.csv")
    assert binned["n"].min() >= 10 and set(binned.columns) == {
        "group", "bin", "moderator_mean", "outcome_mean", "n"}


def test_binary_focal_second_orientation_is_the_slope_per_group(tmp_path):
    """Text-coded binary X, continuous W: the lines run along W, one per X group; their slopes
    are W's slope in each group (checked against separate OLS fits of each group, which give
    the same point estimates without covariates); JN only of X along W."""
    import statsmodels.formula.api as smf
    d = _data(seed=5)
    res = probe(d, outcome="y", focal="grp", moderator="w", se="HC3")
    pdata = probe_plot_data(res, d)
    assert pdata.x_axis == "w" and pdata.line_variable == "grp"
    assert list(pdata.jn) == ["focal_along_moderator"]
    slopes = pdata.slopes.set_index("group")
    for level in ("carrier", "non-carrier"):
        sub = d[d["grp"] == level]
        alone = smf.ols("y ~ w", data=sub).fit()
        assert slopes.loc[level, "estimate"] == pytest.approx(alone.params["w"], rel=1e-9)
        assert slopes.loc[level, "n_group"] == len(sub)
    # the difference of the two slopes is the interaction coefficient
    b3 = res.fit.params[res.fit.index("grp:w")]
    assert slopes.loc["carrier", "estimate"] - slopes.loc["non-carrier", "estimate"] == \
        pytest.approx(b3, rel=1e-10)
    folder = write_probe_plots(res, d, tmp_path / "p")
    assert not (folder / "johnson_neyman_moderator_along_focal.png").exists()
    _decodes(folder, "johnson_neyman_focal_along_moderator")
    grid = pd.read_csv(folder / "johnson_neyman.csv")
    np.testing.assert_allclose(grid["estimate"], res.conditional_effects(
        at=grid["moderator_value"].to_numpy())["estimate"], rtol=1e-12)


def test_small_group_is_not_drawn(tmp_path):
    d = _data(n=120, seed=3)
    d["g"] = 0.0
    d.loc[:6, "g"] = 1.0                                # 7 people < min_group_size 10
    res = probe(d, outcome="y", focal="x", moderator="g")
    pdata = probe_plot_data(res, d, min_group_size=10)
    assert list(pdata.slopes["group"]) == ["g = 0"]
    assert set(pdata.lines["group"]) == {"g = 0"} and set(pdata.binned["group"]) <= {"g = 0"}
    assert pdata.notes and "fewer than 10" in pdata.notes[0]
    # binary W: no JN along W; the difference of the two groups along x involves the small
    # group: not drawn either
    assert pdata.jn == {}


def test_other_rows_than_the_probes_are_refused():
    d = _data()
    res = probe(d, outcome="y", focal="x", moderator="w")
    from analysis._errors import InputError
    with pytest.raises(InputError, match="not the rows"):
        probe_plot_data(res, d.iloc[:100])


# ----------------------------------------------------------------------------- CLI
def _cli_data(tmp_path):
    path = tmp_path / "d.csv"
    _data().to_csv(path, index=False)
    return path


BASE = ["-y", "y", "-x", "x", "-w", "grp", "--covariates", "c"]


def test_cli_plot_refuses_overwrite_without_force(tmp_path, capsys):
    path = _cli_data(tmp_path)
    out = tmp_path / "figs"
    code, _, err = _run(["probe", path, *BASE, "--plot", out], capsys)
    assert code == 0, err
    first = (out / "simple_slopes.svg").read_bytes()
    code, stdout, err = _run(["probe", path, *BASE, "--plot", out], capsys)
    assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1
    assert "exists; use --force" in err and "Traceback" not in err
    code, _, err = _run(["probe", path, *BASE, "--plot", out, "--force"], capsys)
    assert code == 0, err
    assert (out / "simple_slopes.svg").read_bytes() == first       # deterministic output


@pytest.mark.parametrize("extra, words", [
    (["--table", "pdf"], "--table must be one of docx, tex, md"),
    (["--table", "md", "--table-out", "t.docx"], "writes a .md file"),
    (["--table-out", "t.pdf"], "--table-out must end in"),
    (["--standardized"], "give --table"),
])
def test_cli_bad_table_options_one_line(tmp_path, capsys, monkeypatch, extra, words):
    monkeypatch.chdir(tmp_path)
    path = _cli_data(tmp_path)
    code, out, err = _run(["probe", path, *BASE, *extra], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert words in err
    assert not list(tmp_path.glob("t.*")) and not list(tmp_path.glob("probe_tables*"))


def test_cli_plot_into_a_foreign_folder_or_around_the_input_is_refused(tmp_path, capsys):
    path = _cli_data(tmp_path)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("keep me")
    code, out, err = _run(["probe", path, *BASE, "--plot", foreign, "--force"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "not a folder salesgxe wrote" in err
    assert (foreign / "thesis.docx").read_text() == "keep me"
    inner = tmp_path / "inside"
    inner.mkdir()
    data = inner / "d.csv"
    _data().to_csv(data, index=False)
    code, out, err = _run(["probe", data, *BASE, "--plot", inner, "--force"], capsys)
    assert code == 2 and "lies inside the output folder" in err and data.exists()


def test_cli_plot_refused_for_two_moderators(tmp_path, capsys):
    path = _cli_data(tmp_path)
    code, out, err = _run(["probe", path, "-y", "y", "-x", "x", "-w", "w", "-z", "c", "--model",
                           "2", "--plot", tmp_path / "p"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "--region-plot" in err and not (tmp_path / "p").exists()


# ------------------------------------------------------------ multicategorical variables
def _three(seed=8, n=300, small=None):
    d = _data(n=n, seed=seed)
    levels = np.resize(["alpha", "beta", "gamma"], n)
    if small is not None:
        levels[:] = np.resize(["alpha", "beta"], n)
        levels[:small] = "gamma"
    d["three"] = levels
    shift = pd.Series(levels).map({"alpha": 0.0, "beta": 0.5, "gamma": -0.4}).to_numpy()
    d["y"] = d["y"] + shift * d["x"]
    return d


def test_multicategorical_moderator_against_statsmodels(tmp_path):
    import statsmodels.formula.api as smf
    from scipy import stats
    d = _three()
    res = probe(d, outcome="y", focal="x", moderator="three", se="HC3")
    sm = smf.ols("y ~ x * C(three, Treatment('alpha'))", data=d).fit(cov_type="HC3")
    folder = write_probe_plots(res, d, tmp_path / "cat")
    slopes = pd.read_csv(folder / "slopes.csv")
    eff = res.conditional_effects()
    assert list(slopes["group"]) == ["alpha", "beta", "gamma"]
    np.testing.assert_allclose(slopes["estimate"], eff["estimate"], rtol=1e-12)   # the probe's
    np.testing.assert_allclose(slopes["std_error"], eff["std_error"], rtol=1e-12)
    assert list(slopes["n_group"]) == [100, 100, 100]
    names = list(sm.params.index)
    V = sm.cov_params().to_numpy()
    for lv in ("beta", "gamma"):                    # slope of x in group lv, statsmodels
        L = np.zeros(len(names))
        L[names.index("x")] = 1
        L[names.index(f"x:C(three, Treatment('alpha'))[T.{lv}]")] = 1
        row = slopes[slopes["group"] == lv].iloc[0]
        assert row["estimate"] == pytest.approx(L @ sm.params.to_numpy(), rel=1e-9)
        assert row["std_error"] == pytest.approx(np.sqrt(L @ V @ L), rel=1e-8)
    # each group minus alpha along x (the second orientation), with its JN bounds
    jn = pd.read_csv(folder / "johnson_neyman.csv")
    bounds = pd.read_csv(folder / "johnson_neyman_bounds.csv")
    t_crit = stats.t.ppf(0.975, sm.df_resid)
    for i, lv in enumerate(("beta", "gamma"), start=1):
        key = f"moderator_along_focal_{i}"
        g = jn[jn["orientation"] == key]
        assert set(g["effect_of"]) == {f"three: {lv} - alpha"}
        L = np.zeros((len(g), len(names)))
        L[:, names.index(f"C(three, Treatment('alpha'))[T.{lv}]")] = 1
        L[:, names.index(f"x:C(three, Treatment('alpha'))[T.{lv}]")] = g["moderator_value"]
        np.testing.assert_allclose(g["estimate"], L @ sm.params.to_numpy(), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(g["std_error"], np.sqrt(np.einsum("ij,jk,ik->i", L, V, L)),
                                   rtol=1e-8)
        b = bounds[bounds["orientation"] == key]["bound"].dropna().to_numpy()
        if b.size:
            Lb = np.zeros((b.size, len(names)))
            Lb[:, names.index(f"C(three, Treatment('alpha'))[T.{lv}]")] = 1
            Lb[:, names.index(f"x:C(three, Treatment('alpha'))[T.{lv}]")] = b
            t = (Lb @ sm.params.to_numpy()) / np.sqrt(np.einsum("ij,jk,ik->i", Lb, V, Lb))
            np.testing.assert_allclose(np.abs(t), t_crit, rtol=1e-8)
        _decodes(folder, f"johnson_neyman_{key}")
    _decodes(folder, "simple_slopes")
    assert bounds["bound"].notna().any()            # at least one region bound was checked


def test_multicategorical_focal_uses_the_probes_contrast_jn(tmp_path):
    d = _three(seed=4)
    res = probe(d, outcome="y", focal="three", moderator="w")
    pdata = probe_plot_data(res, d)
    assert pdata.x_axis == "w" and pdata.line_variable == "three"
    assert sorted(pdata.jn) == ["focal_along_moderator_1", "focal_along_moderator_2"]
    for part in pdata.jn.values():
        label = part.effect_of.split(": ", 1)[1]
        assert part.jn is res.contrast_jn[label]
    # slopes of w per group: separate OLS fits of each group give the same point estimates
    import statsmodels.formula.api as smf
    for lv in ("alpha", "beta", "gamma"):
        alone = smf.ols("y ~ w", data=d[d["three"] == lv]).fit()
        row = pdata.slopes[pdata.slopes["group"] == lv].iloc[0]
        assert row["estimate"] == pytest.approx(alone.params["w"], rel=1e-9)
    md = write_probe_tables(res, "md", data=d).decode()
    assert "Omnibus test of the interaction: F(2," in md and "| Effect |" in md


def test_multicategorical_small_group_not_drawn(tmp_path):
    d = _three(small=7)                               # gamma: 7 people (probe needs 5)
    res = probe(d, outcome="y", focal="x", moderator="three")
    pdata = probe_plot_data(res, d, min_group_size=10)
    assert list(pdata.slopes["group"]) == ["alpha", "beta"]
    assert "gamma" not in set(pdata.lines["group"]) | set(pdata.binned["group"])
    assert [p.effect_of for p in pdata.jn.values()] == ["three: beta - alpha"]
    assert pdata.notes == ("gamma: fewer than 10 people, not drawn",)
    from analysis._errors import InputError
    with pytest.raises(InputError, match="multicategorical"):
        write_probe_tables(res, "md", data=d, standardized=True)


def test_cli_table_docx_with_standardized_betas(tmp_path, capsys):
    import docx

    from analysis.render import apa
    from analysis.stats.standardized import standardized_coefficients
    path = _cli_data(tmp_path)
    target = tmp_path / "tables.docx"
    code, out, err = _run(["probe", path, *BASE, "--se", "HC3", "--table", "docx", "--table-out",
                           target, "--standardized", "--json"], capsys)
    assert code == 0, err
    obj = json.loads(out)
    doc = docx.Document(str(target))
    reg = doc.tables[0]
    header = [c.text for c in reg.rows[0].cells]
    assert header == ["Predictor", "b", "SE", "t", "p", "95% CI", "β"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in reg.rows[1:]}
    inter = next(c for c in obj["coefficients"] if c["term"] == "x:grp")
    assert rows["x × grp"][1] == apa.fmt_number(inter["estimate"])
    # betas on the probe's rows with grp coded as the probe coded it (carrier = 1)
    d = _data().assign(grp=lambda f: (f["grp"] == "carrier").astype(float))
    betas = standardized_coefficients(d, outcome="y", focal="x", moderator="grp",
                                      covariates=["c"]).set_index("term")["beta"]
    assert rows["x × grp"][6] == apa.fmt_number(betas["x:grp"], 2)
    assert "HC3" in doc.paragraphs[-1].text or any("HC3" in p.text for p in doc.paragraphs)
    code, _, err = _run(["probe", path, *BASE, "--table", "docx", "--table-out", target], capsys)
    assert code == 2 and "use --force" in err


def test_python_api_tables_match_the_report_writer():
    from analysis.render import manuscript
    d = _data()
    res = probe(d, outcome="y", focal="x", moderator="w")
    assert write_probe_tables(res, "tex", data=d) == manuscript.write_tables(res, "tex")
    with pytest.raises(Exception, match="must be one of"):
        write_probe_tables(res, "rtf")


# ------------------------------------------------------------------- README examples
def _readme_probe_output_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line.strip()) for line in text.splitlines()
            if line.strip().startswith("salesgxe probe data/examples/")
            and ("--plot" in line or "--table" in line)]


def test_readme_plot_and_table_examples_run(tmp_path, capsys, monkeypatch):
    """The README's worked examples, run in a scratch folder that sees the repo's data/."""
    commands = _readme_probe_output_commands()
    assert any("--plot" in c for c in commands) and any("--table" in c for c in commands)
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    for argv in commands:
        code, _, err = _run(argv[1:], capsys)
        assert code == 0, (argv, err)
    for argv in commands:
        if "--plot" in argv:
            folder = tmp_path / argv[argv.index("--plot") + 1]
            _decodes(folder, "simple_slopes")
        if "--table-out" in argv:
            assert (tmp_path / argv[argv.index("--table-out") + 1]).stat().st_size > 0


def test_hostile_names_are_inert_in_figures_and_csv(tmp_path):
    """A column name that is broken mathtext and group levels that are spreadsheet formulas:
    the figures still render (text shown literally) and no CSV cell starts a formula."""
    import csv
    d = _data()
    d = d.rename(columns={"x": "$\\frac{$x"})
    d["grp"] = d["grp"].map({"carrier": "=HYPERLINK(\"http://x\")", "non-carrier": "@SUM(A1)"})
    res = probe(d, outcome="y", focal="$\\frac{$x", moderator="grp",
                reference={"grp": "@SUM(A1)"})
    folder = write_probe_plots(res, d, tmp_path / "hostile")
    for stem in ("simple_slopes", "johnson_neyman_moderator_along_focal"):
        _decodes(folder, stem)
    for path in folder.glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                bad = [c for c in row if c[:1] in ("=", "+", "@", "\t", "\r")
                       or (c[:1] == "-" and not c.lstrip("-").replace(".", "", 1)
                           .replace("e-", "", 1).replace("e+", "", 1).isdigit())]
                assert not bad, (path.name, bad)
    assert "'=HYPERLINK" in (folder / "slopes.csv").read_text()


def test_cli_standardized_refusals_leave_nothing_written(tmp_path, capsys):
    d = _three()
    d["wt"] = np.linspace(0.5, 1.5, len(d))
    path = tmp_path / "d.csv"
    d.to_csv(path, index=False)
    for extra in (["-x", "x", "-w", "w", "--weights", "wt"], ["-x", "x", "-w", "three"]):
        code, out, err = _run(["probe", path, "-y", "y", *extra, "--plot", tmp_path / "p",
                               "--table", "md", "--table-out", tmp_path / "t.md",
                               "--standardized"], capsys)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert "--standardized is not available" in err
        assert not (tmp_path / "p").exists() and not (tmp_path / "t.md").exists()


@pytest.mark.parametrize("kw", [
    dict(outcome="CO", focal="avoidant", moderator="anxious", cluster="company"),
    dict(outcome="CO", focal="channel", moderator="avoidant", reference={"channel": "field"}),
    dict(outcome="CO", focal="avoidant", moderator="drd2", genotype={"drd2": "genotype"}),
    dict(outcome="CO", focal="drd4_7r", moderator="avoidant", covariates=["age"],
         reference={"drd4_7r": "non-carrier"}),
])
def test_no_label_overlaps_in_the_probe_figures(kw):
    """Rendered bounding boxes of every text (legend entries with slopes, JN bounds, titles)
    never overlap, for 2-4 lines and per-contrast JN figures (the report's rule)."""
    from analysis.render.plots import text_overlaps
    from analysis.render.probe_outputs import probe_figures
    data = pd.read_csv(ROOT / "data" / "examples" / "designs_example.csv")
    res = probe(data, **kw)
    pdata = probe_plot_data(res, data, genotype=kw.get("genotype"))
    figs = probe_figures(res, pdata)
    assert len(figs) >= 2
    for name, fig in figs.items():
        assert text_overlaps(fig) == [], name


def test_cli_plot_with_check_linearity_adds_its_figure_and_tables(tmp_path, capsys):
    """`--plot DIR --check-linearity`: the linearity figure and its data join the folder,
    the same numbers as `--json` (nothing recomputed for the files)."""
    rng = np.random.default_rng(7)
    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n), "w": rng.uniform(1, 7, n)})
    d["y"] = 1 + 0.3 * d.x * d.w + rng.normal(size=n)
    path = tmp_path / "lin.csv"
    d.to_csv(path, index=False)
    out = tmp_path / "figs"
    code, stdout, err = _run(["probe", path, "-y", "y", "-x", "x", "-w", "w",
                              "--check-linearity", "--plot", out, "--json"], capsys)
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"linearity.png", "linearity.svg", "linearity_bins.csv",
            "linearity_line.csv"} <= names
    bins = pd.read_csv(out / "linearity_bins.csv")
    shown = pd.DataFrame(json.loads(stdout)["linearity"]["bins"])
    assert len(bins) == len(shown) == 3
    np.testing.assert_allclose(bins["estimate"], shown["estimate"], rtol=1e-12)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "linearity" in manifest["meta"]["files"]

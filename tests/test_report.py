"""Report folder: atomic writes, --force, manifest checksums, schema, escaping, reproducibility."""
import hashlib
import json
import re
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from analysis.render import plots, report
from analysis._errors import InputError
from analysis.render.report import compare_reports, write_report

EVIL = "<script>alert(1)</script>"
EVIL_CODE = "__import__('os').system('x')"
NOTE = "Simulated data: verdicts test the pipeline, not the science"


def _scorecard():
    ids = ["S1a", "S1b", "S1c", "S1d", "S2a", "S2b", "S2c", "S2d"]
    verdicts = ["reproduced", "partial", "not reproduced", "contradicted"] * 2
    return [dict(id=i, statement=f"claim {i} {EVIL}" if i == "S1a" else f"claim {i}",
                 verdict=v, estimate=0.1 * k if k != 3 else float("nan"), conf_low=-0.2,
                 conf_high=0.4, p_value=np.float64(0.01 * (k + 1)),
                 replication_probability=None if k == 7 else 0.5 + 0.05 * k,
                 equivalence={"p_value": float("nan"), "bound": 0.1})
            for k, (i, v) in enumerate(zip(ids, verdicts))]


def _figure():
    lines = pd.DataFrame([dict(outcome="CO", gene=g, style="avoidant", group=grp, style_value=x,
                               estimate=5 + s * x, std_error=0.1, conf_low=4.8 + s * x,
                               conf_high=5.2 + s * x)
                          for g, grps in (("DRD4", ("7R carrier", "non-carrier")),
                                          ("DRD2", ("A2/A2", "A1 carrier")))
                          for grp, s in zip(grps, (0.3, 0.0)) for x in (1.0, 7.0)])
    return plots.simple_slopes_figure(lines, figsize=(3, 1.6))


@pytest.fixture
def inputs(tmp_path):
    config = tmp_path / "in" / "simulation.yaml"
    config.parent.mkdir()
    config.write_text("seed: 20140210  # assumption\n", encoding="utf-8")
    extra = tmp_path / "in" / "figure.png"
    plots.save_figure(_figure(), extra.with_suffix(""), formats=("png",), dpi=30)
    return dict(config=config, figure_file=extra)


def _kwargs(files, **over):
    tables = {
        "study2 interactions": pd.DataFrame({
            "term": ["DRD4 x avoidant", EVIL, EVIL_CODE],
            "estimate": [0.123456789012345, -1e-7, np.nan],
            "p_value": [0.0004, 0.5, np.nan], "n": [250, 250, 250]}),
        "descriptives": pd.DataFrame({"mean": [5.1, 4.2], "sd": [1.0, 0.9]},
                                     index=pd.Index(["CO", "SO"], name="scale")),
    }
    kw = dict(tables=tables, scorecard=_scorecard(),
              figures={"simple_slopes": _figure(), "copied": [files["figure_file"]]},
              assumptions=pd.DataFrame({"name": ["n_study2", "b_avoidant_7R"],
                                        "value": [250, 0.35],
                                        "source": ["assumption: typical sample", EVIL]}),
              meta={"config_hash": "sha256:abc123", "seed": 20140210,
                    "command": ["salesgxe", "replicate", "--out", "x"]},
              inputs=[files["config"]], title=f"Replication {EVIL}", provenance_note=NOTE,
              dpi=30, captions={"simple_slopes": "CO against avoidant attachment"})
    kw.update(over)
    return kw


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".tmp-", ".old-")))


def test_report_contents_and_scorecard_schema(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == ["assumptions.csv", "figures/figure.png", "figures/simple_slopes.png",
                     "figures/simple_slopes.svg", "index.html", "manifest.json", "report.md",
                     "run.json", "scorecard.csv", "scorecard.json", "tables/descriptives.csv",
                     "tables/study2_interactions.csv"]
    sc = json.loads((out / "scorecard.json").read_text())
    assert isinstance(sc, list) and [e["id"] for e in sc] == [e["id"] for e in _scorecard()]
    for entry in sc:
        assert set(report.SCORECARD_FIELDS) <= set(entry)
        assert entry["verdict"] in {"reproduced", "partial", "not reproduced", "contradicted"}
    assert sc[3]["estimate"] is None and sc[7]["replication_probability"] is None  # NaN -> null
    assert sc[0]["equivalence"] == {"p_value": None, "bound": 0.1}
    assert sc[1]["p_value"] == 0.02 and type(sc[1]["p_value"]) is float
    csv = pd.read_csv(out / "scorecard.csv")
    assert list(csv["id"]) == [e["id"] for e in sc]
    np.testing.assert_allclose(csv["estimate"], [e["estimate"] for e in _scorecard()],
                               rtol=1e-9)  # %.10g keeps 10 significant digits
    assert _leftovers(tmp_path) == []


def test_tables_round_trip_with_fixed_format(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    t = pd.read_csv(out / "tables" / "study2_interactions.csv")
    assert list(t["term"]) == ["DRD4 x avoidant", EVIL, EVIL_CODE]  # data, never code
    assert t["estimate"][0] == pytest.approx(0.123456789012345, rel=1e-9)  # 10 significant digits
    assert "avoidant,0.123456789,0.0004,250\n" in (out / "tables" / "study2_interactions.csv").read_text()
    d = pd.read_csv(out / "tables" / "descriptives.csv")
    assert list(d.columns) == ["scale", "mean", "sd"]  # a named index is kept as a column


def test_manifest_checksums_and_fields(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    m = json.loads((out / "manifest.json").read_text())
    files = sorted(p for p in out.rglob("*")
                   if p.is_file() and p.name not in ("manifest.json", "run.json"))
    assert [e["path"] for e in m["outputs"]] == sorted(p.relative_to(out).as_posix() for p in files)
    for e in m["outputs"] + m["inputs"]:
        path = out / e["path"] if e in m["outputs"] else inputs["config"]
        data = path.read_bytes()
        assert e["sha256"] == hashlib.sha256(data).hexdigest() and e["bytes"] == len(data)
    # Outside the repo and the working directory: the file name only, never an absolute path.
    assert m["inputs"][0]["path"] == "simulation.yaml"
    assert m["seed"] == 20140210 and m["config_hash"] == "sha256:abc123"
    assert m["command"] == ["salesgxe", "replicate", "--out", "x"]
    assert m["package"]["name"] == "salesgxe"
    assert m["provenance"] == {"note": NOTE, "assumptions": "assumptions.csv"}
    for dep in ("numpy", "pandas", "scipy", "statsmodels", "matplotlib"):
        assert re.match(r"\d+\.\d+", m["dependencies"][dep])
    # What differs between identical runs lives in the untracked run log, not the manifest.
    assert not {"generated_at", "platform", "python"} & set(m) and m["run_log"] == "run.json"
    run = json.loads((out / "run.json").read_text())
    when = datetime.fromisoformat(run["generated_at"])
    assert abs((datetime.now(timezone.utc) - when).total_seconds()) < 600
    assert run["platform"] and run["python"]


def test_html_is_escaped_and_self_contained(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    html = (out / "index.html").read_text()
    assert EVIL not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "__import__(&#39;os&#39;).system(&#39;x&#39;)" in html  # shown as text
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "<link" not in html
    assert html.count('src="data:image/') == 2  # both figures embedded (SVG or PNG)
    assert 'src="data:image/svg+xml;base64,' in html
    assert NOTE in html and "rests on the assumptions" in html
    assert "b_avoidant_7R" in html and "assumption: typical sample" in html
    assert "CO against avoidant attachment" in html
    assert "&lt; .001" in html  # p-values formatted for display (APA)
    assert "2.01402e+07" not in html and "20140210" in html  # the seed as an integer


def test_markdown_escaped_with_relative_figures(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    md = (out / "report.md").read_text()
    assert EVIL not in md and "\\<script" in md          # escape_markdown: shown as text
    assert "&lt;" not in md and "&amp;" not in md  # backslash escapes, never HTML entities
    assert "](figures/simple_slopes.png)" in md and "](figures/figure.png)" in md
    from analysis.sanitize import escape_markdown
    # intraword underscores are not emphasis in CommonMark, so names stay as typed
    assert escape_markdown(NOTE) in md and "| b_avoidant_7R |" in md
    assert "rests on the assumptions" in md
    assert "| n_study2 | 250 |" in md  # assumptions shown as given


def test_no_timestamp_outside_manifest(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    for p in out.rglob("*"):
        if p.is_file() and p.name != "run.json":
            assert today.encode() not in p.read_bytes(), p.name


def test_two_writes_identical_except_generated_at(tmp_path, inputs):
    a = write_report(tmp_path / "a", **_kwargs(inputs))
    b = write_report(tmp_path / "b", **_kwargs(inputs))  # fresh figure objects
    assert compare_reports(a, b) == []
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    assert ma == mb
    for p in a.rglob("*"):
        if p.is_file() and p.name != "run.json":
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes(), p


def test_compare_reports_detects_changes(tmp_path, inputs):
    a = write_report(tmp_path / "a", **_kwargs(inputs))
    kw = _kwargs(inputs)
    kw["tables"]["descriptives"].loc["SO", "sd"] = 0.9000001
    b = write_report(tmp_path / "b", **kw)
    diffs = compare_reports(a, b)
    assert "tables/descriptives.csv differs (first at line 3)" in diffs
    (b / "tables" / "extra.csv").write_text("x\n1\n")
    assert f"only in {b}: tables/extra.csv" in compare_reports(a, b)
    c = write_report(tmp_path / "c", **_kwargs(inputs, meta={"config_hash": "sha256:abc123",
                                                             "seed": 20140210, "command": "other"}))
    assert any(d.startswith("manifest.json: command differs") for d in compare_reports(a, c))
    assert compare_reports(a, c, ignore=("command", "meta")) == []
    assert compare_reports(a, c, ignore=("command", "meta"), figures=False,
                           environment=False) == []


def test_compare_reports_tolerates_last_bit_noise_only(tmp_path):
    # Another BLAS kernel sums in another order: ~1e-15 relative, not a different result.
    a, b = tmp_path / "a", tmp_path / "b"
    for d, x in ((a, "0.30171904590202586"), (b, "0.30171904590202564")):
        (d / "tables").mkdir(parents=True)
        (d / "tables" / "t.csv").write_text(f"term,estimate\nx,{x}\n")
        (d / "s.json").write_text(f'[{{"estimate": {x}, "verdict": "reproduced"}}]')
    assert compare_reports(a, b) == []
    (b / "tables" / "t.csv").write_text("term,estimate\nx,0.3017191\n")  # 3e-7: a change
    (b / "s.json").write_text('[{"estimate": 0.30171904590202564, "verdict": "partial"}]')
    assert compare_reports(a, b) == ["s.json differs (first at line 1)",
                                     "tables/t.csv differs (first at line 2)"]


def test_crash_mid_write_leaves_nothing(tmp_path, inputs, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(report, "_render", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(tmp_path / "rep", **_kwargs(inputs))
    assert not (tmp_path / "rep").exists() and _leftovers(tmp_path) == []


def test_crash_with_force_keeps_old_report(tmp_path, inputs, monkeypatch):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(report, "_write_tables", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_report(out, force=True, **_kwargs(inputs))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert _leftovers(tmp_path) == []


def test_force_semantics(tmp_path, inputs):
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    with pytest.raises(InputError, match="exists; use --force to replace it"):
        write_report(out, **_kwargs(inputs))
    write_report(out, force=True, **_kwargs(inputs))
    assert (out / "index.html").is_file()
    assert _leftovers(tmp_path) == []
    # A file the manifest does not list (the user's notes) makes the folder not ours.
    (out / "notes.txt").write_text("my notes on this report")
    with pytest.raises(InputError, match="notes.txt"):
        write_report(out, force=True, **_kwargs(inputs))
    assert (out / "notes.txt").read_text() == "my notes on this report"
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(InputError, match="not a folder salesgxe wrote"):
        write_report(precious, force=True, **_kwargs(inputs))
    assert (precious / "chapter1.tex").read_text() == "years of work"


def test_refuses_per_person_columns_and_bad_scorecard(tmp_path, inputs):
    kw = _kwargs(inputs)
    kw["tables"]["people"] = pd.DataFrame({"participant": [1, 2], "DRD4_genotype": ["4/7", "4/4"]})
    with pytest.raises(ValueError, match="people") as err:
        write_report(tmp_path / "rep", sensitive_columns=["DRD4_genotype"], **kw)
    assert "4/7" not in str(err.value)
    bad = _scorecard()
    del bad[2]["replication_probability"]
    with pytest.raises(ValueError, match="S1c"):
        write_report(tmp_path / "rep", **_kwargs(inputs, scorecard=bad))
    with pytest.raises(InputError, match="input file not found"):
        write_report(tmp_path / "rep", **_kwargs(inputs, inputs=[tmp_path / "nope.csv"]))
    assert not (tmp_path / "rep").exists() and _leftovers(tmp_path) == []


def test_display_formatting_only_rounds():
    from analysis.render.report_sections import Table, display_table
    frame = pd.DataFrame({"estimate": [0.12345, -2e-5, np.nan], "p_value": [0.0004, 0.04321, 1.0],
                          "n": [10.0, 20.0, np.nan], "label": ["a", None, "c"],
                          "conf_low": [-0.1, -0.2, np.nan], "conf_high": [0.3, 0.4, np.nan]})
    shown = display_table(Table(name="t", frame=frame, max_rows=2))
    assert shown["header"] == ["b", "p", "n", "Label", "95% CI"]  # human labels, one CI column
    assert shown["rows"] == [["0.123", "< .001", "10", "a", "[-0.100, 0.300]"],
                             ["-0.000020", ".043", "20", "NA", "[-0.200, 0.400]"]]
    assert shown["hidden"] == 1


@pytest.mark.parametrize("failing", ["exchange", "rename-1", "rename-2"])
def test_failing_swap_keeps_the_complete_old_report(tmp_path, inputs, monkeypatch, failing):
    """The rename/exchange calls of a --force replacement raise: the old report stays complete
    (every file its manifest lists, with its checksum) and readable at --out."""
    import os

    from analysis import safe_output
    out = write_report(tmp_path / "rep", **_kwargs(inputs))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    if failing == "exchange":
        monkeypatch.setattr(safe_output, "_exchange",
                            lambda a, b: (_ for _ in ()).throw(OSError(5, "I/O error")))
    else:
        monkeypatch.setattr(safe_output, "_RENAMEAT2", None)        # the two-renames fallback
        real, calls, nth = os.rename, [0], int(failing[-1])

        def rename(a, b):
            calls[0] += 1
            if calls[0] == nth:
                raise OSError(5, "I/O error")
            return real(a, b)
        monkeypatch.setattr(safe_output.os, "rename", rename)
    with pytest.raises(InputError, match="I/O error"):
        write_report(out, force=True, **_kwargs(inputs, title="new"))
    monkeypatch.undo()
    assert safe_output.verify_folder(out) == []
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert "<html" in (out / "index.html").read_text(encoding="utf-8").lower()
    assert _leftovers(tmp_path) == []


def test_compare_reports_reads_png_by_pixels(tmp_path):
    from matplotlib.image import imsave
    a, b = tmp_path / "a", tmp_path / "b"
    img = np.zeros((4, 5, 3))
    img[1, 2] = [1, 0.5, 0]
    for d, meta in ((a, {"Software": "one"}), (b, {"Software": "another"})):
        (d / "figures").mkdir(parents=True)
        imsave(d / "figures" / "f.png", img, metadata=meta)
    assert (a / "figures/f.png").read_bytes() != (b / "figures/f.png").read_bytes()
    assert compare_reports(a, b) == []          # same pixels, other encoder bytes
    img[1, 2] = [1, 0.5, 0.1]
    imsave(b / "figures" / "f.png", img)
    assert compare_reports(a, b) == ["figures/f.png differs"]


def test_extra_files_are_written_and_listed(tmp_path, inputs):
    out = write_report(tmp_path / "rep", files={"manuscript/tables.md": b"**Table 1**\n"},
                       **_kwargs(inputs))
    assert (out / "manuscript" / "tables.md").read_bytes() == b"**Table 1**\n"
    m = json.loads((out / "manifest.json").read_text())
    assert "manuscript/tables.md" in [e["path"] for e in m["outputs"]]
    for bad in ("../escape.txt", "/abs.txt", "manifest.json"):
        with pytest.raises(ValueError, match="plain relative path"):
            write_report(tmp_path / "rep2", files={bad: b"x"}, **_kwargs(inputs))

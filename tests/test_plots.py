"""Figures draw exactly the numbers given, in the Okabe-Ito palette, and save deterministically."""
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.text import Text

from analysis.render import plots

# Okabe & Ito (2008), "Color Universal Design", https://jfly.uni-koeln.de/color/ (RGB 0-255)
OKABE_ITO_RGB = {(0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66),
                 (0, 114, 178), (213, 94, 0), (204, 121, 167)}
OKABE_ITO_HEX = {"#%02x%02x%02x" % rgb for rgb in OKABE_ITO_RGB}

GROUPS = {"DRD4": ("non-carrier", "7R carrier"), "DRD2": ("A1 carrier", "A2/A2")}


def _lines(seed=0):
    """Long-format simple-slope frame with arbitrary (random) numbers, plus rows to be ignored."""
    rng = np.random.default_rng(seed)
    rows = []
    for outcome in ("CO", "SO"):
        for style in ("avoidant", "secure"):
            for gene, groups in GROUPS.items():
                for group in groups:
                    for x in (1.0, 2.5, 4.0, 5.5, 7.0):
                        est = rng.normal(5, 1)
                        se = rng.uniform(0.1, 0.3)
                        rows.append(dict(outcome=outcome, gene=gene, style=style, group=group,
                                         style_value=x, estimate=est, std_error=se,
                                         conf_low=est - rng.uniform(0.2, 0.5),
                                         conf_high=est + rng.uniform(0.2, 0.5)))
    return pd.DataFrame(rows).sample(frac=1, random_state=1)  # order must not matter


def _data_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def _band_vertices(ax):
    return [c.get_paths()[0].vertices for c in ax.collections if isinstance(c, PolyCollection)]


def _texts(fig):
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_simple_slopes_draw_exactly_the_given_numbers():
    lines = _lines()
    fig = plots.simple_slopes_figure(lines, outcome="CO", style="avoidant")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["DRD4 exon III VNTR", "DRD2 Taq1A"]
    for ax, gene in zip(axes, ("DRD4", "DRD2")):
        drawn = _data_lines(ax)
        assert {ln.get_label() for ln in drawn} == set(GROUPS[gene])
        bands = _band_vertices(ax)
        assert len(bands) == 2
        for ln in drawn:
            want = lines[(lines.outcome == "CO") & (lines["style"] == "avoidant")
                         & (lines.gene == gene) & (lines.group == ln.get_label())]
            want = want.sort_values("style_value")
            # exact: the figure must carry the given floats, not recomputed ones
            np.testing.assert_array_equal(ln.get_xdata(), want.style_value.to_numpy())
            np.testing.assert_array_equal(ln.get_ydata(), want.estimate.to_numpy())
            lower = {(x, y) for x, y in zip(want.style_value, want.conf_low)}
            upper = {(x, y) for x, y in zip(want.style_value, want.conf_high)}
            assert any(lower | upper <= {tuple(v) for v in verts} for verts in bands)


def test_simple_slopes_labels_note_and_order():
    note = "Simulated data; effect sizes are assumptions (data/simulation.yaml)"
    fig = plots.simple_slopes_figure(_lines(), title="CO by avoidant attachment",
                                     assumption_note=note)
    left, right = fig.axes
    assert left.get_xlabel() == "Avoidant attachment"  # no range given, none invented
    assert left.get_ylabel() == "Customer orientation (CO)"
    # carriers of the risk / plasticity allele first in every panel
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["7R carrier", "non-carrier"]
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["A1 carrier", "A2/A2"]
    texts = " ".join(_texts(fig)).replace("\n", " ")
    assert note in texts and "CO by avoidant attachment" in texts and "95% CI" in texts


def test_palette_is_okabe_ito_and_styles_differ_for_greyscale():
    assert {to_hex(c) for c in plots.OKABE_ITO.values()} == OKABE_ITO_HEX
    fig = plots.simple_slopes_figure(_lines(), style="secure", outcome="SO")
    assert fig.axes[0].get_xlabel() == "Secure attachment"
    for ax in fig.axes:
        drawn = _data_lines(ax)
        colours = [to_hex(ln.get_color()) for ln in drawn]
        assert set(colours) <= OKABE_ITO_HEX and len(set(colours)) == len(drawn)
        assert len({str(ln.get_linestyle()) for ln in drawn}) == len(drawn)
        for band in ax.collections:
            assert to_hex(band.get_facecolor()[0], keep_alpha=False) in OKABE_ITO_HEX


def test_simple_slopes_missing_gene_is_an_error():
    lines = _lines()
    with pytest.raises(ValueError, match="DRD5"):
        plots.simple_slopes_figure(lines, genes=("DRD4", "DRD5"))
    with pytest.raises(ValueError, match="conf_high"):
        plots.simple_slopes_figure(lines.drop(columns="conf_high"))


def test_no_per_person_values_in_figure_text():
    # per-person values (ids, raw genotypes, individual scores) never reach the drawing
    # functions; the rug takes aggregated marks only and draws no text.
    rug = [1.8, 2.9, 3.7, 4.4, 5.6]
    fig = plots.simple_slopes_figure(_lines(), rug=rug, assumption_note="Simulated data")
    texts = _texts(fig)
    for t in texts:
        assert not re.search(r"\b\d+/\d+\b", t)          # VNTR genotypes such as 4/7
        assert "A1/A2" not in t and "A1/A1" not in t     # individual DRD2 genotypes
        assert not any(f"{v:g}" in t for v in rug)       # rug values are marks, not labels
    rug_marks = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "_rug"]
    assert sorted(ln.get_xdata()[0] for ln in rug_marks) == rug


def _jn_inputs(region="outside", bounds=(2.0, 4.4), in_range=(True, True)):
    w = np.linspace(1, 7, 31)
    est = -0.8 + 0.25 * w
    grid = pd.DataFrame(dict(moderator_value=w, estimate=est, std_error=0.15,
                             conf_low=est - 0.29, conf_high=est + 0.31))
    below = [0.1 if ok else None for ok in in_range]
    above = [0.9 if ok else None for ok in in_range]
    jn = dict(bounds=list(bounds), in_range=list(in_range), significant_region=region,
              alpha=0.05, observed_range=[1.2, 6.8], share_below=below, share_above=above,
              fdr=False)
    return grid, jn


def test_johnson_neyman_figure_carries_the_given_numbers():
    grid, jn = _jn_inputs()
    fig = plots.johnson_neyman_figure(grid.iloc[::-1], jn, outcome="CO", gene="DRD4",
                                      style="avoidant")
    ax = fig.axes[0]
    effect = [ln for ln in ax.get_lines() if ln.get_label() == "effect of 7R carrier status"][0]
    np.testing.assert_array_equal(effect.get_xdata(), grid.moderator_value.to_numpy())
    np.testing.assert_array_equal(effect.get_ydata(), grid.estimate.to_numpy())
    band = [c for c in ax.collections if c.get_label() == "95% CI"][0]
    verts = {tuple(v) for v in band.get_paths()[0].vertices}
    assert set(zip(grid.moderator_value, grid.conf_low)) <= verts
    assert set(zip(grid.moderator_value, grid.conf_high)) <= verts
    zero = [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [0, 0]]
    assert zero, "horizontal zero line"
    verticals = sorted(ln.get_xdata()[0] for ln in ax.get_lines()
                       if ln.get_linestyle() == "--")
    assert verticals == [2.0, 4.4]
    texts = _texts(fig)
    assert any("JN = 2.00" in t and "10% below, 90% above" in t for t in texts)
    observed = [ln for ln in ax.get_lines() if ln.get_label() == "observed range"][0]
    assert list(observed.get_xdata()) == [1.2, 6.8]


def test_johnson_neyman_out_of_range_bound_not_drawn():
    grid, jn = _jn_inputs(region="above", bounds=(-3.0, 4.4), in_range=(False, True))
    fig = plots.johnson_neyman_figure(grid, jn, outcome="CO", gene="DRD2", style="avoidant")
    verticals = [ln.get_xdata()[0] for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert verticals == [4.4]
    assert not any("-3.00" in t for t in _texts(fig))


@pytest.mark.parametrize("region, bounds, in_range, spans", [
    ("everywhere", [], [], [(1.2, 6.8)]),
    ("nowhere", [-1.0], [False], []),
    ("above", [-9.0, 3.0], [False, True], [(3.0, 6.8)]),
    ("below", [3.0], [True], [(1.2, 3.0)]),
    ("inside", [2.0, 4.0], [True, True], [(2.0, 4.0)]),
    ("outside", [2.0, 4.0], [True, True], [(1.2, 2.0), (4.0, 6.8)]),
])
def test_significant_spans_and_shading(region, bounds, in_range, spans):
    jn = dict(bounds=bounds, in_range=in_range, significant_region=region,
              observed_range=[1.2, 6.8])
    assert plots.significant_spans(jn) == spans
    grid, full = _jn_inputs()
    full.update(jn, share_below=[0.5] * len(bounds), share_above=[0.5] * len(bounds))
    fig = plots.johnson_neyman_figure(grid, full, outcome="CO", gene="DRD4", style="avoidant")
    shaded = [c for c in fig.axes[0].patches if c.get_hatch() == "//"]
    xs = sorted((p.get_x(), p.get_x() + p.get_width()) for p in shaded)
    assert len(xs) == len(spans)
    # rectangle edges are stored as x and width: x + width may differ in the last bit
    assert np.ravel(xs).tolist() == pytest.approx(np.ravel(spans).tolist(), abs=1e-12)


def test_significant_spans_rejects_inconsistent_region():
    with pytest.raises(ValueError, match="inside"):
        plots.significant_spans(dict(bounds=[2.0], in_range=[True], significant_region="inside",
                                     observed_range=[1, 7]))


def test_scorecard_figure_rows_and_verdicts():
    sc = pd.DataFrame(dict(id=["S1a", "S1c", "S2b"],
                           verdict=["reproduced", "contradicted", "partial"],
                           estimate=[0.1, -0.3, np.nan], conf_low=[-0.1, -0.5, np.nan],
                           conf_high=[0.3, -0.1, np.nan],
                           replication_probability=[0.9, 0.25, np.nan]))
    fig = plots.scorecard_figure(sc)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["S1a", "S1c", "S2b"]
    points = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", None, "")]
    assert sorted(ln.get_xdata()[0] for ln in points) == [-0.3, 0.1]  # S2b has no estimate
    texts = _texts(fig)
    assert "reproduced  (rep. 90%)" in texts and "contradicted  (rep. 25%)" in texts
    assert "partial" in texts


def test_save_figure_png_dpi_and_deterministic_svg(tmp_path):
    from PIL import Image
    fig = plots.simple_slopes_figure(_lines(), figsize=(4, 2))
    paths = plots.save_figure(fig, tmp_path / "slopes", formats=("png", "svg", "pdf"))
    assert [p.name for p in paths] == ["slopes.png", "slopes.svg", "slopes.pdf"]
    with Image.open(paths[0]) as img:
        assert img.info["dpi"] == pytest.approx((300, 300), abs=0.01)  # pHYs stores px/m
        assert img.size == (1200, 600)
    first = paths[1].read_bytes()
    plots.save_figure(fig, tmp_path / "slopes", formats=("svg",))
    assert paths[1].read_bytes() == first
    # a freshly built figure from the same numbers gives the same bytes, with no date inside
    fresh = plots.simple_slopes_figure(_lines(), figsize=(4, 2))
    plots.save_figure(fresh, tmp_path / "again", formats=("svg",), dpi=72)
    assert (tmp_path / "again.svg").read_bytes() == first
    assert b"<dc:date>" not in first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "again.svg", "slopes.pdf", "slopes.png", "slopes.svg"]  # no temp files left


def test_save_figure_bad_format_leaves_nothing(tmp_path):
    fig = plots.scorecard_figure(pd.DataFrame(dict(id=["S1a"], verdict=["partial"],
                                                   estimate=[0.2])))
    with pytest.raises(ValueError, match="bmp"):
        plots.save_figure(fig, tmp_path / "x", formats=("bmp",))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- report figures

def _slopes_table():
    rows = []
    for gene, groups in GROUPS.items():
        for k, group in enumerate(groups):
            rows.append(dict(outcome="CO", gene=gene, style="avoidant", group=group,
                             estimate=0.1 + 0.5 * k, std_error=0.1, statistic=1.0, df=200,
                             p_value=0.3, conf_low=-0.05 + 0.5 * k, conf_high=0.25 + 0.5 * k,
                             n_group=40 + 60 * k))
    return pd.DataFrame(rows)


def _binned():
    rows = []
    for gene, groups in GROUPS.items():
        for group in groups:
            for b in range(1, 5):
                rows.append(dict(outcome="CO", gene=gene, style="avoidant", group=group, bin=b,
                                 moderator_mean=1.5 * b, outcome_mean=5 + 0.1 * b, n=12))
    return pd.DataFrame(rows)


def _report_slopes_figure(**kw):
    return plots.simple_slopes_figure(_lines(), outcome="CO", style="avoidant",
                                      binned=_binned(), slopes=_slopes_table(),
                                      outcome_range=(1, 9), style_range=(1, 6),
                                      min_group_size=10, assumption_note="Simulated data", **kw)


def test_carriers_look_the_same_in_every_panel():
    # orange meant 7R *carrier* in the DRD4 panel but A2/A2 (*non*-carrier) in the DRD2 panel
    fig = _report_slopes_figure()
    looks = {}
    for ax in fig.axes:
        for ln in _data_lines(ax):
            group = ln.get_label().split(" (")[0]
            role = plots.GROUP_ROLES[group]
            look = (to_hex(ln.get_color()), str(ln.get_linestyle()), ln.get_marker())
            looks.setdefault(role, set()).add(look)
    assert set(looks) == {"carrier", "non-carrier"}
    assert all(len(v) == 1 for v in looks.values()), looks
    carrier, other = looks["carrier"].pop(), looks["non-carrier"].pop()
    # greyscale safe: not told apart by colour alone
    assert carrier[1] != other[1] and carrier[2] != other[2]


def test_binned_means_slopes_and_ranges_are_drawn_as_given():
    fig = _report_slopes_figure()
    binned, slopes = _binned(), _slopes_table()
    for ax, gene in zip(fig.axes, ("DRD4", "DRD2")):
        points = [ln for ln in ax.get_lines() if ln.get_label() == "_binned"]
        assert len(points) == 2
        drawn = {tuple(ln.get_xdata()) for ln in points}
        want = {tuple(binned[(binned.gene == gene) & (binned.group == g)].moderator_mean)
                for g in GROUPS[gene]}
        assert drawn == want
        legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
        for _, r in slopes[slopes.gene == gene].iterrows():
            assert f"{r['group']} (n = {r['n_group']}): slope {r['estimate']:.2f} " \
                   f"[{r['conf_low']:.2f}, {r['conf_high']:.2f}]" in legend
        lo, hi = ax.get_ylim()
        assert lo <= 1 and hi >= 9  # the instrument's full range, so panels compare
        assert ax.get_xlim()[0] <= 1 and ax.get_xlim()[1] >= 6
    assert fig.axes[0].get_xlabel() == "Avoidant attachment, 1-6"  # from the codebook range
    assert fig.axes[0].get_ylabel() == "Customer orientation (CO), 1-9"
    assert "at least 10 people" in " ".join(_texts(fig))


def test_johnson_neyman_axis_says_who_minus_whom():
    grid, jn = _jn_inputs()
    fig = plots.johnson_neyman_figure(grid, jn, outcome="CO", gene="DRD2", style="avoidant")
    assert fig.axes[0].get_ylabel() == ("Effect of A1 carrier vs A2/A2 on CO\n"
                                        "(A1 carrier minus A2/A2)")


@pytest.mark.parametrize("bounds", [(2.0, 4.4), (3.0, 3.05)])
def test_no_text_overlaps_on_rendered_figures(bounds):
    grid, jn = _jn_inputs(bounds=bounds)
    figures = [_report_slopes_figure(title="CO by avoidant attachment"),
               plots.johnson_neyman_figure(grid, jn, outcome="CO", gene="DRD4", style="avoidant",
                                           assumption_note="Simulated data"),
               plots.scorecard_figure(pd.DataFrame(dict(
                   id=["S1a", "S1b", "S2a"], verdict=["reproduced", "contradicted", "partial"],
                   estimate=[0.1, -0.2, 0.3], conf_low=[0, -0.4, 0.1], conf_high=[0.2, 0, 0.5],
                   replication_probability=[0.9, 0.2, 0.5])))]
    for fig in figures:
        assert plots.text_overlaps(fig) == []


def test_overlap_check_can_fail():
    fig = plots._new_figure((3, 2))
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    assert plots.text_overlaps(fig) == [("first label", "second label")]


def test_power_small_multiples_one_panel_per_target_without_overlap():
    rows = [dict(kind=k, target=t, n=n, power=min(1, n / 900), conf_low=max(0, n / 900 - 0.05),
                 conf_high=min(1, n / 900 + 0.05))
            for k, ts in (("claim", ["S1a", "S1b", "S1c", "S2a", "S2b"]),
                          ("interaction", ["CO:DRD4_x_avoidant", "SO:DRD2_x_secure"]))
            for t in ts for n in (100, 200, 400, 800)]
    fig = plots.power_small_multiples(pd.DataFrame(rows), note="Assumed effects.")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible][:2] == ["claim S1a", "claim S1b"]
    assert len(visible) == 7 and all(len(ax.get_lines()) == 3 for ax in visible)  # curve + 80/90
    assert not any(ax.get_legend() for ax in visible)  # titles label the panels, no legend
    assert plots.text_overlaps(fig) == []

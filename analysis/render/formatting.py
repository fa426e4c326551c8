"""Plain-text rendering of results (PROCESS-style tables). Never computes statistics."""
from __future__ import annotations

import math

__all__ = ["table", "probe_summary"]

_COLS = [("estimate", "coeff"), ("std_error", "se"), ("statistic", "t"), ("p_value", "p"),
         ("conf_low", "LLCI"), ("conf_high", "ULCI")]


def _num(v, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "NA"
    if isinstance(v, (bool,)):
        return "yes" if v else "no"
    if isinstance(v, (int,)):
        return str(v)
    try:
        return f"{float(v):.{digits}f}"
    except (TypeError, ValueError):
        return str(v)


def table(rows: list[list[str]], header: list[str]) -> str:
    """Right-aligned text table (first column left-aligned)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    def line(cells):
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest])
    return "\n".join([line(header)] + [line(r) for r in rows])


def _cols(frame) -> list[tuple[str, str]]:
    boot = [("boot_conf_low", "BootLLCI"), ("boot_conf_high", "BootULCI")]
    base = _COLS
    if "df" in frame and frame["df"].nunique() > 1:       # CR2: Satterthwaite df per row
        base = _COLS[:3] + [("df", "df")] + _COLS[3:]
    return base + [c for c in boot if c[0] in frame]


def _effects_rows(frame, key: str) -> list[list[str]]:
    return [[str(r[key])] + [_num(r[c]) for c, _ in _cols(frame)] for _, r in frame.iterrows()]


def _se_label(res) -> str:
    se, fit = res.se_type, res.fit
    if se == "ols":
        return f"OLS; t tests on {fit.df_resid} df"
    if se.startswith("HC"):
        return f"heteroskedasticity-consistent ({se}); t tests on {fit.df_resid} df"
    g = fit.cluster.n_clusters
    if se == "CR1":
        return f"cluster-robust CR1 ({g} clusters of {res.cluster}); t tests on G - 1 = {g - 1} df"
    return (f"cluster-robust CR2 ({g} clusters of {res.cluster}); t tests on Satterthwaite df "
            "(column df), HTZ F tests")


def _wild_block(wild) -> str:
    kind = "null imposed (WCR)" if wild.null_imposed else "null not imposed (WCU)"
    how = "all sign vectors enumerated" if wild.enumerated else f"seed {wild.seed}"
    frame = wild.to_frame()
    cols = [c for c in ("wild_p_value", "wild_conf_low", "wild_conf_high") if c in frame]
    rows = [[r["label"], _num(r["estimate"])] + [_num(r[c]) for c in cols] for _, r in frame.iterrows()]
    head = (f"Wild cluster bootstrap ({wild.n_boot} replicates, {wild.weights} weights, {kind}, "
            f"{how})")
    return head + "\n" + table(rows, ["quantity", "estimate", *cols])


def probe_summary(res) -> str:
    """PROCESS-like text output for a :class:`analysis.stats.moderation.ProbeResult`."""
    fit = res.fit
    conf = f"{100 * (1 - res.alpha):g}%"
    out = [
        "Model 1 (moderation)",
        f"  Y = {res.outcome}   X = {res.focal}   W = {res.moderator}"
        + (f"   covariates: {', '.join(res.covariates)}" if res.covariates else ""),
        f"  Sample size: {res.n}" + (f" ({res.n_dropped} dropped: missing values)" if res.n_dropped else ""),
        f"  Standard errors: {_se_label(res)}; {conf} confidence intervals",
    ]
    if res.weights:
        out.append(f"  Weighted least squares (weights: {res.weights}); Kish effective N = "
                   f"{fit.n_effective:.1f}")
    if res.centering:
        out.append("  Mean centred for the coefficients: " + ", ".join(
            f"{k} (mean {v:.4f})" for k, v in res.centering.items())
            + "; conditional effects and JN are in the original units")
    for col, mapping in res.coding.items():
        out.append(f"  Coding of {col}: " + ", ".join(f"{k!r} = {v}" for k, v in mapping.items()))
    out += ["", "Model summary",
            table([[_num(fit.r2), _num(fit.r2_adj), _num(res.model_f), str(len(fit.terms) - 1),
                    _num(res.model_df2 if res.model_df2 is not None else fit.df_resid, 2),
                    _num(res.model_p)]],
                  ["R2", "R2-adj", "F", "df1", "df2", "p"]),
            "", "Coefficients"]
    coefs = res.coefficients
    out.append(table(_effects_rows(coefs, "term"), ["term"] + [h for _, h in _cols(coefs)]))
    f_label = "F" if res.se_type == "ols" else f"F({res.se_type})"
    out += ["", "Test of the highest-order unconditional interaction",
            table([[res.interaction, _num(res.r2_change), _num(res.f_change), "1",
                    _num(res.df_change, 2), _num(res.p_change)]],
                  ["term", "R2-chng", f_label, "df1", "df2", "p"]),
            "", f"Conditional effects of {res.focal} at values of {res.moderator}"]
    eff = res.conditional_effects()
    rows = [[r["label"], _num(r["moderator_value"])] + [_num(r[c]) for c, _ in _cols(eff)]
            for _, r in eff.iterrows()]
    out.append(table(rows, ["at", res.moderator] + [h for _, h in _cols(eff)]))
    if getattr(res, "wild", None) is not None:
        out += ["", _wild_block(res.wild)]
    if res.boot is not None:
        out.append(f"  Bootstrap: {res.boot.n_boot} pairs resamples ({res.boot.n_failed} not "
                   f"estimable), {res.boot.boot_method} intervals, seed {res.boot.seed}")
    if res.jn is not None:
        out += ["", res.jn.summary(), "",
                f"Conditional effect of {res.focal} at values of {res.moderator} "
                "(Johnson-Neyman table; boundaries inside the range included)"]
        grid = res.jn_table()
        cols = _cols(grid)
        rows = [[_num(r["moderator_value"])] + [_num(r[c]) for c, _ in cols]
                for _, r in grid.iterrows()]
        out.append(table(rows, [res.moderator] + [h for _, h in cols]))
    if res.notes:
        out += ["", "Notes"] + [f"  - {n}" for n in res.notes]
    return "\n".join(out)


def _frame_rows(frame, first: list[str]) -> tuple[list[list[str]], list[str]]:
    cols = _cols(frame)
    rows = [[str(r[c]) if not isinstance(r[c], float) else _num(r[c]) for c in first]
            + [_num(r[c]) for c, _ in cols] for _, r in frame.iterrows()]
    return rows, first + [h for _, h in cols]


def _design_header(res, title: str, variables: str) -> list[str]:
    """The opening lines of a design's text output: model, variables, n, SEs, weights,
    codings (shared by the multicategorical and two-moderator summaries)."""
    conf = f"{100 * (1 - res.alpha):g}%"
    out = [title,
           f"  {variables}"
           + (f"   covariates: {', '.join(res.covariates)}" if res.covariates else ""),
           f"  Sample size: {res.n}" + (f" ({res.n_dropped} dropped: missing values)"
                                        if res.n_dropped else ""),
           f"  Standard errors: {_se_label(res)}; {conf} confidence intervals"]
    if res.weights:
        out.append(f"  Weighted least squares (weights: {res.weights}); Kish effective N = "
                   f"{res.fit.n_effective:.1f}")
    for col, mapping in res.coding.items():
        out.append(f"  Coding of {col}: " + ", ".join(f"{k!r} = {v}" for k, v in mapping.items()))
    return out


def categorical_summary(res) -> str:
    """PROCESS-like text output for :class:`analysis.stats.designs.CategoricalProbeResult`."""
    fit, cat = res.fit, res.categorical
    conf = f"{100 * (1 - res.alpha):g}%"
    out = _design_header(res, f"Model 1 (moderation) with a multicategorical {res.role}",
                         f"Y = {res.outcome}   X = {res.focal}   W = {res.moderator}")
    coding = cat.coding_frame()
    out += ["", f"Coding of {cat.name} ({cat.scheme} coding, reference {cat.reference!r}; "
                f"from {cat.source})",
            table([[lv, str(n)] + [_num(v, 0) for v in coding.loc[lv]]
                   for lv, n in zip(cat.levels, cat.counts)], ["level", "n", *coding.columns])]
    out += ["", "Model summary",
            table([[_num(fit.r2), _num(fit.r2_adj), _num(res.model_f), str(len(fit.terms) - 1),
                    _num(res.model_p)]], ["R2", "R2-adj", "F", "df1", "p"]),
            "", "Coefficients"]
    coefs = res.coefficients
    out.append(table(_effects_rows(coefs, "term"), ["term"] + [h for _, h in _cols(coefs)]))
    omni = res.omnibus_interaction
    f_label = "F" if res.se_type == "ols" else f"F({res.se_type})"
    out += ["", "Test of the highest-order unconditional interaction (omnibus)",
            table([["X*W", _num(omni["r2_change"]), _num(omni["statistic"]), _num(omni["df_num"], 0),
                    _num(omni["df_den"], 2), _num(omni["p_value"])]],
                  ["", "R2-chng", f_label, "df1", "df2", "p"])]
    if res.role == "moderator":
        rows, head = _frame_rows(res.effects, ["label"])
        out += ["", f"Conditional effects of {res.focal} in each group of {res.moderator}",
                table(rows, head)]
        rows, head = _frame_rows(res.pairwise, ["label"])
        out += ["", "Pairwise differences between the groups' effects", table(rows, head)]
    else:
        rows, head = _frame_rows(res.effects, ["label", "moderator_value", "contrast"])
        out += ["", f"Group differences in {res.outcome} ({res.focal}) at values of {res.moderator}",
                table(rows, head)]
        omni_rows = [[r["label"], _num(r["moderator_value"]), _num(r["statistic"]),
                      _num(r["df_num"], 0), _num(r["df_den"], 2), _num(r["p_value"])]
                     for _, r in res.omnibus_at.iterrows()]
        out += ["", f"Omnibus test of group differences at values of {res.moderator}",
                table(omni_rows, ["at", res.moderator, f_label, "df1", "df2", "p"])]
        if res.omnibus_jn is not None:
            out += ["", _omnibus_jn_text(res.omnibus_jn)]
        for name, jn in res.contrast_jn.items():
            out += ["", f"Contrast {name}: " + jn.summary()]
    if res.notes:
        out += ["", "Notes"] + [f"  - {n}" for n in res.notes]
    return "\n".join(out)


def _omnibus_jn_text(jn) -> str:
    lo, hi = jn.observed_range
    lines = [f"Omnibus Johnson-Neyman (Hayes & Montoya 2017; {jn.se_type}, alpha = {jn.alpha:g}); "
             f"observed {jn.moderator} range [{lo:.4g}, {hi:.4g}]"]
    for b, ok, below, above in zip(jn.bounds, jn.in_range, jn.share_below, jn.share_above):
        lines.append(f"  boundary {b:.4f}: " + (
            f"{100 * below:.2f}% of cases below, {100 * above:.2f}% above" if ok
            else "outside the observed range"))
    lines.append(f"  groups differ significantly: {jn.significant_region} (within the observed range)")
    return "\n".join(lines)


def two_moderator_summary(res) -> str:
    """PROCESS-like text output for :class:`analysis.stats.twomoderators.TwoModeratorProbeResult`."""
    fit = res.fit
    conf = f"{100 * (1 - res.alpha):g}%"
    kind = "X*W + X*Z" if res.model == 2 else "X*W*Z, moderated moderation"
    out = _design_header(res, f"Model {res.model} ({kind})",
                         f"Y = {res.outcome}   X = {res.focal}   W = {res.moderator}   "
                         f"Z = {res.moderator2}")
    out += ["", "Model summary",
            table([[_num(fit.r2), _num(fit.r2_adj), _num(res.model_f), str(len(fit.terms) - 1),
                    _num(res.model_p)]], ["R2", "R2-adj", "F", "df1", "p"]),
            "", "Coefficients"]
    coefs = res.coefficients
    out.append(table(_effects_rows(coefs, "term"), ["term"] + [h for _, h in _cols(coefs)]))
    f_label = "F" if res.se_type == "ols" else f"F({res.se_type})"
    rows = [[r["label"], _num(r["r2_change"]), _num(r["statistic"]), _num(r["df_num"], 0),
             _num(r["df_den"], 2), _num(r["p_value"])] for _, r in res.tests.iterrows()]
    out += ["", "Test(s) of the highest-order unconditional interaction(s)",
            table(rows, ["", "R2-chng", f_label, "df1", "df2", "p"])]
    if res.index_mm is not None:
        m = res.index_mm
        out += ["", f"Index of moderated moderation ({m['term']}): {_num(m['estimate'])} "
                    f"(se {_num(m['std_error'])}, p {_num(m['p_value'])}, {conf} CI "
                    f"[{_num(m['conf_low'])}, {_num(m['conf_high'])}])"]
        rows, head = _frame_rows(res.conditional_interaction, ["label", "moderator2_value"])
        out += ["", f"Conditional {res.focal} x {res.moderator} interaction at values of "
                    f"{res.moderator2}", table(rows, head)]
        if res.interaction_jn is not None:
            out += ["", "Interaction " + res.interaction_jn.summary()]
    rows, head = _frame_rows(res.effects, ["label_w", "label_z", "moderator_value",
                                           "moderator2_value"])
    out += ["", f"Conditional effects of {res.focal} at values of {res.moderator} and "
                f"{res.moderator2}", table(rows, head)]
    for label, jn in res.jn_by_z.items():
        out += ["", f"At {res.moderator2} = {label}: " + jn.summary()]
    if res.notes:
        out += ["", "Notes"] + [f"  - {n}" for n in res.notes]
    return "\n".join(out)


def _bounds_text(bounds) -> str:
    return ", ".join(_num(b) for b in bounds) if bounds else "none in the observed range"


def linearity_summary(chk) -> str:
    """The ``--check-linearity`` block: bins, the Wald tests, the W^2 sensitivity refit."""
    conf = f"{100 * (1 - chk.alpha):g}%"
    rows = [[r.label, f"{_num(r.bin_low, 3)} to {_num(r.bin_high, 3)}", r.n,
             _num(r.moderator_value, 3), _num(r.estimate), _num(r.conf_low), _num(r.conf_high),
             _num(r.linear_estimate), _num(r.difference), r.support or "ok"]
            for r in chk.bins.itertuples(index=False)]
    head = ["bin", "W range", "n", "median W", "effect", "LLCI", "ULCI", "linear", "diff",
            "support"]
    out = ["", "Linearity check: binning estimator (Hainmueller, Mummolo & Xu 2019)",
           f"effect of {chk.focal} at the median of each bin of {chk.moderator} ({chk.bin_rule}), "
           f"one pooled regression; {conf} CIs, {chk.se_type} covariance",
           table(rows, head), ""]
    for wald in (chk.wald, chk.wald_effects):
        out.append(f"H0: {wald['hypothesis']}: {wald['test']} = {_num(wald['statistic'])}, "
                   f"df = ({_num(wald['df_num'], 0)}, {_num(wald['df_den'], 2)}), "
                   f"p = {_num(wald['p_value'])}; chi2({_num(wald['df_num'], 0)}) = "
                   f"{_num(wald['chi2'])}, p = {_num(wald['p_value_chi2'])}")
    sens = [[r.model, r.term, *(_num(getattr(r, c)) for c, _ in _COLS)]
            for r in chk.sensitivity.itertuples(index=False)]
    out += ["", f"Sensitivity: refit with {chk.moderator}^2 and {chk.focal}:{chk.moderator}^2",
            table(sens, ["model", "term", *(h for _, h in _COLS)]),
            f"JN bounds (observed range): linear {_bounds_text(chk.jn_linear)}; "
            f"quadratic {_bounds_text(chk.jn_quadratic)}"]
    out += [f"Support: {f}" for f in chk.flags]
    return "\n".join(out)

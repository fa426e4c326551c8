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
    """PROCESS-like text output for a :class:`analysis.moderation.ProbeResult`."""
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

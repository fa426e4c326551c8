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
    return _COLS + [c for c in boot if c[0] in frame]


def _effects_rows(frame, key: str) -> list[list[str]]:
    return [[str(r[key])] + [_num(r[c]) for c, _ in _cols(frame)] for _, r in frame.iterrows()]


def probe_summary(res) -> str:
    """PROCESS-like text output for a :class:`analysis.moderation.ProbeResult`."""
    fit = res.fit
    conf = f"{100 * (1 - res.alpha):g}%"
    se_label = "OLS" if res.se_type == "ols" else f"heteroskedasticity-consistent ({res.se_type})"
    out = [
        "Model 1 (moderation)",
        f"  Y = {res.outcome}   X = {res.focal}   W = {res.moderator}"
        + (f"   covariates: {', '.join(res.covariates)}" if res.covariates else ""),
        f"  Sample size: {res.n}" + (f" ({res.n_dropped} dropped: missing values)" if res.n_dropped else ""),
        f"  Standard errors: {se_label}; t tests on {fit.df_resid} df; {conf} confidence intervals",
    ]
    if res.centering:
        out.append("  Mean centred for the coefficients: " + ", ".join(
            f"{k} (mean {v:.4f})" for k, v in res.centering.items())
            + "; conditional effects and JN are in the original units")
    for col, mapping in res.coding.items():
        out.append(f"  Coding of {col}: " + ", ".join(f"{k!r} = {v}" for k, v in mapping.items()))
    out += ["", "Model summary",
            table([[_num(fit.r2), _num(fit.r2_adj), _num(res.model_f), str(len(fit.terms) - 1),
                    str(fit.df_resid), _num(res.model_p)]],
                  ["R2", "R2-adj", "F", "df1", "df2", "p"]),
            "", "Coefficients"]
    coefs = res.coefficients
    out.append(table(_effects_rows(coefs, "term"), ["term"] + [h for _, h in _cols(coefs)]))
    f_label = "F" if res.se_type == "ols" else f"F({res.se_type})"
    out += ["", "Test of the highest-order unconditional interaction",
            table([[res.interaction, _num(res.r2_change), _num(res.f_change), "1",
                    str(fit.df_resid), _num(res.p_change)]],
                  ["term", "R2-chng", f_label, "df1", "df2", "p"]),
            "", f"Conditional effects of {res.focal} at values of {res.moderator}"]
    eff = res.conditional_effects()
    rows = [[r["label"], _num(r["moderator_value"])] + [_num(r[c]) for c, _ in _cols(eff)]
            for _, r in eff.iterrows()]
    out.append(table(rows, ["at", res.moderator] + [h for _, h in _cols(eff)]))
    if res.boot is not None:
        out.append(f"  Bootstrap: {res.boot.n_boot} pairs resamples ({res.boot.n_failed} not "
                   f"estimable), {res.boot.boot_method} intervals, seed {res.boot.seed}")
    if res.jn is not None:
        out += ["", res.jn.summary(), "",
                f"Conditional effect of {res.focal} at values of {res.moderator} "
                "(Johnson-Neyman table; boundaries inside the range included)"]
        grid = res.jn_table()
        rows = [[_num(r["moderator_value"])] + [_num(r[c]) for c, _ in _COLS]
                for _, r in grid.iterrows()]
        out.append(table(rows, [res.moderator] + [h for _, h in _COLS]))
    if res.notes:
        out += ["", "Notes"] + [f"  - {n}" for n in res.notes]
    return "\n".join(out)

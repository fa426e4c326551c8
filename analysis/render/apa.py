"""The one number formatter of every report, table and paragraph (APA 7 style).

Rendering never computes a statistic; it only turns numbers into text, and it
does so here, in one place, so a p-value looks the same in the HTML report,
``report.md``, a Word table and a results paragraph.

Conventions (American Psychological Association 2020, *Publication Manual*,
7th ed., sections 6.36 and 6.44; https://apastyle.apa.org/instructional-aids/numbers-statistics-guide.pdf):

* estimates, SEs, CIs: :data:`DECIMALS` (3) decimals; test statistics (t, F, z)
  2 decimals; values between 0 and 0.001 get as many decimals as two
  significant digits need (at most 6): ``0.000027``, never ``2.7e-05``.
* p-values and other quantities that cannot exceed 1 (p, proportions,
  correlations, alpha, omega): no leading zero: ``.012``; ``p < .001``;
  ``p > .999``.
* whole numbers (n, df of OLS, counts, the seed) as integers: ``20140204``,
  never ``2.01402e+07``.
* a minus sign is the ASCII hyphen-minus (copy-paste safe); missing is ``NA``.
* scientific notation nowhere (no reader of these tables expects it).

Examples
--------
>>> fmt_p(0.0004), fmt_p(0.01234), fmt_p(0.9996), fmt_p(float("nan"))
('< .001', '.012', '> .999', 'NA')
>>> fmt_number(2.7e-05), fmt_number(-0.123456), fmt_number(12345.678)
('0.000027', '-0.123', '12345.678')
>>> fmt_int(20140204.0), fmt_stat(-0.38254), fmt_unit(0.95)
('20140204', '-0.38', '.95')
>>> apa_test(t=-0.3825, df=243, p=0.70239)
't(243) = -0.38, p = .702'
>>> fmt_ci(-0.2203, 0.14865)
'[-0.220, 0.149]'
"""
from __future__ import annotations

import math

__all__ = ["DECIMALS", "fmt_number", "fmt_p", "fmt_p_equals", "fmt_int", "fmt_stat",
           "fmt_unit", "fmt_ci", "fmt_percent", "fmt_df", "fmt_cell", "apa_test", "is_missing"]

#: Decimals for estimates, SEs and CIs.
DECIMALS = 3
#: Decimals for test statistics (t, F, z, chi-square).
STAT_DECIMALS = 2
_MAX_DECIMALS = 6


def is_missing(value) -> bool:
    """True for None, NaN, pandas NA/NaT."""
    if value is None:
        return True
    try:
        import pandas as pd
        return bool(pd.isna(value))
    except (TypeError, ValueError, ImportError):
        return False


def _float(value) -> float | None:
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fixed(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_number(value, decimals: int = DECIMALS) -> str:
    """An estimate: ``decimals`` decimals, more (up to 6) for small nonzero values.

    >>> fmt_number(0.0), fmt_number(-0.0000001), fmt_number(1.5, 2)
    ('0.000', '-0.0000001', '1.50')
    """
    v = _float(value)
    if v is None:
        return "NA"
    if not math.isfinite(v):
        return "inf" if v > 0 else "-inf"
    if v != 0 and abs(v) < 10 ** -decimals:
        needed = -math.floor(math.log10(abs(v))) + 1  # two significant digits
        if needed <= _MAX_DECIMALS:
            return _fixed(v, needed)
        return _fixed(v, max(decimals, -math.floor(math.log10(abs(v)))))
    return _fixed(v, decimals)


def _no_leading_zero(text: str) -> str:
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def fmt_unit(value, decimals: int = 2) -> str:
    """A quantity that cannot exceed 1 in magnitude (r, proportion, alpha): no leading zero."""
    v = _float(value)
    if v is None:
        return "NA"
    return _no_leading_zero(_fixed(v, decimals))


def fmt_p(value) -> str:
    """A p-value as APA writes it: ``.012``, ``< .001``, ``> .999``."""
    v = _float(value)
    if v is None:
        return "NA"
    if v < 0.001:
        return "< .001"
    if v > 0.999:
        return "> .999"
    return _no_leading_zero(f"{v:.3f}")


def fmt_p_equals(value, name: str = "p") -> str:
    """``p = .012`` or ``p < .001`` (the operator included)."""
    text = fmt_p(value)
    return f"{name} {text}" if text[0] in "<>" else f"{name} = {text}"


def fmt_int(value) -> str:
    """A whole number (n, df, count, seed) without decimals or exponent."""
    v = _float(value)
    if v is None:
        return "NA"
    return str(int(round(v)))


def fmt_df(value) -> str:
    """Degrees of freedom: integer when whole, else 2 decimals (Welch, Satterthwaite)."""
    v = _float(value)
    if v is None:
        return "NA"
    return fmt_int(v) if v == round(v) else f"{v:.2f}"


def fmt_stat(value) -> str:
    """A test statistic (t, F, z): 2 decimals."""
    return fmt_number(value, STAT_DECIMALS)


def fmt_ci(low, high, decimals: int = DECIMALS) -> str:
    """``[low, high]``."""
    return f"[{fmt_number(low, decimals)}, {fmt_number(high, decimals)}]"


def fmt_percent(value, decimals: int = 0) -> str:
    """A share as a percentage: ``0.9524 -> '95%'``."""
    v = _float(value)
    if v is None:
        return "NA"
    return f"{100 * v:.{decimals}f}%"


def apa_test(*, t=None, df=None, p=None, F=None, df2=None, z=None) -> str:
    """The test in APA form: ``t(243) = -0.38, p = .702``, ``F(2, 220) = 0.33, p = .718``."""
    parts = []
    if t is not None:
        parts.append(f"t({fmt_df(df)}) = {fmt_stat(t)}")
    elif F is not None:
        parts.append(f"F({fmt_df(df)}, {fmt_df(df2)}) = {fmt_stat(F)}")
    elif z is not None:
        parts.append(f"z = {fmt_stat(z)}")
    if p is not None:
        parts.append(fmt_p_equals(p))
    return ", ".join(parts)


#: Cell kinds understood by :func:`fmt_cell`.
KINDS = ("number", "p", "int", "stat", "unit", "percent", "df", "text", "general", "code")


def fmt_cell(value, kind: str = "number") -> str:
    """Format one table cell by its column kind (see :data:`KINDS`).

    Booleans read ``yes``/``no``; text is returned as is (escaping is the
    template's job); ``general`` shows up to 6 significant digits without an
    exponent (for inputs such as assumptions, shown as given).

    >>> fmt_cell(True), fmt_cell(250.0, "int"), fmt_cell(0.35, "general"), fmt_cell(2.5e-7, "general")
    ('yes', '250', '0.35', '0.00000025')
    """
    if is_missing(value):
        return "NA"
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if kind in ("text", "code") or _float(value) is None:
        return str(value)
    formatter = {"number": fmt_number, "p": fmt_p, "int": fmt_int, "stat": fmt_stat,
                 "unit": fmt_unit, "percent": fmt_percent, "df": fmt_df}.get(kind)
    if formatter is not None:
        return formatter(value)
    return _general(float(value))


def _general(v: float) -> str:
    if not math.isfinite(v):
        return "NA" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == round(v) and abs(v) < 1e15:
        return str(int(v))
    text = f"{v:.6g}"
    if "e" in text:
        text = f"{v:.{_MAX_DECIMALS + 6}f}".rstrip("0")
        digits = -math.floor(math.log10(abs(v))) + 5
        text = f"{v:.{min(max(digits, 0), 20)}f}".rstrip("0").rstrip(".")
    return text

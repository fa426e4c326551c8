"""Data-quality tables for the report, from the aggregates that validation records.

Nothing here reads per-person data: every table is built from
:attr:`analysis.io.validate.ValidationReport.details` (counts, reliability
results), so it can only hold aggregates.  The tables answer what a reviewer
checks first about survey data:

* ``scale_missingness``: per scale, how many rows answered every item, some,
  none, and how many lost their score to the answered-share rule
  (``min_answered``): the rule's effect on N.
* ``item_missingness``: missing answers per item (count and share).
* ``reliability_table``: Cronbach's alpha, standardised alpha and McDonald's
  omega per scale, with the rows they use stated (alpha and omega are computed
  on the rows that answered every item of the scale, i.e. listwise, while the
  scores use every row that passes the answered-share rule); a scale given as
  a ready score gets "reliability not computable from scores" instead of an
  empty table.
* ``item_total_table``: corrected item-total correlation (item against the
  sum of the other items) and alpha if the item is deleted, per item
  (Nunnally & Bernstein 1994, ch. 7; the same statistics as SPSS RELIABILITY
  /SUMMARY=TOTAL and R ``psych::alpha``'s ``r.drop`` and ``alpha.drop``).

Formulas are in ``docs/methods.md`` section 9.

Examples
--------
>>> details = {"missingness": {"CO": {"n_rows": 10, "k": 2, "min_answered": 0.5,
...            "items": {"a": 1, "b": 0}, "n_complete": 9, "n_no_answer": 0,
...            "n_below_rule": 0, "n_scored": 10}}}
>>> scale_missingness([("s", details)])[["scale", "n_scored", "n_below_rule"]].values.tolist()
[['CO', 10, 0]]
"""
from __future__ import annotations

import pandas as pd

__all__ = ["scale_missingness", "item_missingness", "reliability_table", "item_total_table",
           "NOT_COMPUTABLE"]

NOT_COMPUTABLE = "reliability not computable from scores (the codebook gives a ready score)"
_SCALE_COLUMNS = ["study", "scale", "k", "n_rows", "n_complete", "n_partial", "n_no_answer",
                  "min_answered", "n_below_rule", "n_scored", "share_scored"]
_ITEM_COLUMNS = ["study", "scale", "item", "n_rows", "n_missing", "share_missing"]
_REL_COLUMNS = ["study", "scale", "k", "n", "n_total", "alpha", "standardized_alpha", "omega",
                "rows_used"]
_ITEM_TOTAL_COLUMNS = ["study", "scale", "item", "n", "mean", "sd", "r_corrected",
                       "alpha_if_deleted"]


def scale_missingness(studies) -> pd.DataFrame:
    """Per scale: complete / partial / no answers and the answered-share rule's effect on N.

    ``studies`` is a sequence of ``(name, validation details)``."""
    rows = []
    for study, details in studies:
        for scale, m in details.get("missingness", {}).items():
            partial = m["n_rows"] - m["n_complete"] - m["n_no_answer"]
            rows.append({"study": study, "scale": scale, "k": m["k"], "n_rows": m["n_rows"],
                         "n_complete": m["n_complete"], "n_partial": partial,
                         "n_no_answer": m["n_no_answer"], "min_answered": m["min_answered"],
                         "n_below_rule": m["n_below_rule"], "n_scored": m["n_scored"],
                         "share_scored": m["n_scored"] / m["n_rows"] if m["n_rows"] else None})
    return pd.DataFrame(rows, columns=_SCALE_COLUMNS)


def item_missingness(studies) -> pd.DataFrame:
    """Per item: missing answers (after missing-value codes), count and share."""
    rows = []
    for study, details in studies:
        for scale, m in details.get("missingness", {}).items():
            for item, n_missing in m["items"].items():
                rows.append({"study": study, "scale": scale, "item": item,
                             "n_rows": m["n_rows"], "n_missing": n_missing,
                             "share_missing": n_missing / m["n_rows"] if m["n_rows"] else None})
    return pd.DataFrame(rows, columns=_ITEM_COLUMNS)


def reliability_table(studies) -> pd.DataFrame:
    """Alpha, standardised alpha and omega per scale, with the rows each uses."""
    rows = []
    for study, details in studies:
        for scale, r in details.get("reliability", {}).items():
            n, total = r.get("n"), r.get("n_total")
            rows.append({"study": study, "scale": scale, "k": r.get("k"), "n": n,
                         "n_total": total, "alpha": r.get("alpha"),
                         "standardized_alpha": r.get("standardized_alpha"),
                         "omega": r.get("omega"),
                         "rows_used": f"complete rows: the {n} of {total} rows that answered "
                                      "every item (listwise)"})
        for scale in details.get("prescored", []):
            rows.append({"study": study, "scale": scale, "k": None, "n": None, "n_total": None,
                         "alpha": None, "standardized_alpha": None, "omega": None,
                         "rows_used": NOT_COMPUTABLE})
    return pd.DataFrame(rows, columns=_REL_COLUMNS)


def item_total_table(studies) -> pd.DataFrame:
    """Corrected item-total r and alpha if deleted, per item (complete rows, like alpha)."""
    rows = []
    for study, details in studies:
        for scale, r in details.get("reliability", {}).items():
            for item in r.get("items", []):
                rows.append({"study": study, "scale": scale, "item": item.get("item"),
                             "n": item.get("n"), "mean": item.get("mean"), "sd": item.get("sd"),
                             "r_corrected": item.get("r_corrected"),
                             "alpha_if_deleted": item.get("alpha_if_deleted")})
    return pd.DataFrame(rows, columns=_ITEM_TOTAL_COLUMNS)

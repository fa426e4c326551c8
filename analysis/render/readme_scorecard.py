"""The README's scorecard, generated from the committed reference report (never by hand).

``python -m analysis.render.readme_scorecard`` (run by ``make replicate``) rewrites the
block between ``<!-- scorecard:start -->`` and ``<!-- scorecard:end -->`` in
``README.md`` from ``reports/replication/scorecard.json``; a test checks that the
README holds exactly what :func:`render` gives for the committed scorecard.
Formatting only: every number comes from the scorecard.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import paths

__all__ = ["render", "update", "START", "END"]

START, END = "<!-- scorecard:start -->", "<!-- scorecard:end -->"
_VERDICT_COLUMNS = ("reproduced", "partial", "inconclusive", "not reproduced", "contradicted")


def _num(value, fmt: str = ".3g") -> str:
    return "-" if value is None else format(float(value), fmt)


def _equivalence(row: Mapping) -> str:
    if row.get("equivalence") is None and row.get("flat_equivalence") is None:
        return "(positive claim)"
    eq = row.get("equivalence") or row.get("flat_equivalence")
    what = "" if row.get("equivalence") else f"{row.get('flat_group', 'flat group')} slope "
    if eq == "not tested":
        return "not tested (no SESOI)"
    tost = row.get("tost_p") if row.get("equivalence") else row.get("flat_tost_p")
    return (f"{what}{eq} (TOST p {_num(tost)}; SESOI ±{_num(row.get('sesoi'))} = "
            f"{_num(row.get('sesoi_std'), '.2f')} std.)")


def _probability(row: Mapping, verdict: str) -> str:
    probs = row.get("verdict_probabilities") or {}
    if verdict not in probs:
        return "n/a"
    p = probs[verdict]
    return f"{p['probability']:.3f} ({p['mc_se']:.3f})"


def render(records: Sequence[Mapping], n_sims: int | None = None) -> str:
    """The Markdown scorecard table with its column key (between the markers)."""
    head = ["claim", "statement", "verdict", "estimate", "p (deciding)", "equivalence",
            *(f"P({v})" for v in _VERDICT_COLUMNS)]
    lines = [START, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        label = r.get("p_label") or "unadjusted"
        p = f"{_num(r.get('p_value'))}" + ("" if label == "unadjusted" else f" ({label})")
        cells = [r["id"], str(r.get("statement", "")).replace("|", "/"), r["verdict"], _num(r.get("estimate"), ".3f"), p, _equivalence(r),
                 *(_probability(r, v) for v in _VERDICT_COLUMNS)]
        lines.append("| " + " | ".join(cells) + " |")
    sims = f"{n_sims:,}" if n_sims else "the configured number of"
    lines += ["", _KEY.format(sims=sims), "", END]
    return "\n".join(lines)


_KEY = """Columns. **claim**, **statement**: the published claim, paraphrased
(`analysis/study/claims.py`). **verdict**: by the rules in the legend below. **estimate**:
the coefficient that decides the claim (Study 1: carrier minus non-carrier;
S2a/S2b: the gene x avoidant interaction with A1 and 7R carriers coded 1, so
S2a's expected sign is negative; S2c/S2d: the family member with the largest
|t|). **p (deciding)**: the p-value the verdict used, so for the families S2c
and S2d the Holm-adjusted p within the family (the smallest), not the member's
own p. **equivalence**: for a claim of no effect (and for the "not for ..." part
of S2a/S2b, the flat group's slope) the two one-sided tests (TOST, at
`claims.equivalence_alpha`) against the smallest effect size of interest, given
in raw units and in standardized units (Cohen's d for Study 1, a standardized
slope for Study 2; an assumption in `data/simulation.yaml`): `shown` is evidence
of no effect larger than the SESOI, `not shown` is absence of evidence only.
**P(verdict)**: the share of {sims} simulated studies of the same design (same
sample sizes, the assumed effects) that get each verdict, with its Monte Carlo
SE in brackets; `n/a` where the claim's rules cannot give that verdict."""


def update(readme=paths.ROOT / "README.md",
           scorecard=paths.REPLICATION_REPORT / "scorecard.json") -> bool:
    """Rewrite the README block from the scorecard; True when the file changed."""
    readme, scorecard = Path(readme), Path(scorecard)
    records = json.loads(scorecard.read_text(encoding="utf-8"))
    manifest = scorecard.parent / "manifest.json"
    n_sims = None
    if manifest.exists():
        n_sims = json.loads(manifest.read_text(encoding="utf-8")).get("meta", {}).get(
            "replication_sims")
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: the markers {START} / {END} are missing")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = before + render(records, n_sims) + after
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover
    changed = update()
    print("README scorecard " + ("updated" if changed else "unchanged"), file=sys.stderr)

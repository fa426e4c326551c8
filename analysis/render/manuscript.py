"""Tables and results paragraphs ready for a manuscript: Word (.docx), LaTeX, Markdown.

APA 7 tables (American Psychological Association 2020, *Publication Manual*,
ch. 7): a number and an italic title above, horizontal rules only (booktabs in
LaTeX), ``b, SE, t, p, 95% CI`` and the standardized ``beta`` (computed by
:mod:`analysis.stats.standardized`: variables z-scored *before* the product is
formed), a general note below.  Every number is written by :mod:`analysis.render.apa`;
nothing here computes a statistic.

Produces, for every report (``manuscript/`` in the report folder) and for
``salesgxe probe --table docx|tex|md`` (through :func:`write_tables`):

* the regression table of each model (Study 1: both outcomes; Study 2: the
  gene x avoidant models of the claims),
* the simple slopes, the Johnson-Neyman bounds with the shares of cases
  below / above, the scorecard,
* a drafted results paragraph per claim (:func:`results_paragraphs`) with every
  convention stated (SE type, CI, multiplicity, equivalence bounds).

Examples
--------
>>> import pandas as pd
>>> coefs = pd.DataFrame({"term": ["Intercept", "x"], "estimate": [1.0, 0.25],
...     "std_error": [0.1, 0.05], "statistic": [10.0, 5.0], "df": [98, 98],
...     "p_value": [1e-16, 2e-6], "conf_low": [0.8, 0.15], "conf_high": [1.2, 0.35]})
>>> t = regression_table(coefs, title="Model of y", number=1)
>>> t.header
['Predictor', 'b', 'SE', 't', 'p', '95% CI']
>>> t.rows[1]
['x', '0.250', '0.050', '5.00', '< .001', '[0.150, 0.350]']
>>> print(to_markdown([t]).splitlines()[0])
**Table 1**
"""
from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import apa
from .report_sections import term_label

__all__ = ["ManuscriptTable", "regression_table", "simple_slopes_table", "jn_table",
           "scorecard_table", "tables_for_probe", "tables_for_analysis", "to_markdown",
           "to_latex", "to_docx", "write_tables", "results_paragraphs", "FORMATS"]

FORMATS = ("docx", "tex", "md")


@dataclass(frozen=True, slots=True, kw_only=True)
class ManuscriptTable:
    """One APA table: every cell already text."""

    number: int
    name: str
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    text_columns: tuple[int, ...] = (0,)
    panels: dict = field(default_factory=dict)  # row index -> panel heading (e.g. "CO")


def _ci_label(conf_level: float) -> str:
    return f"{100 * conf_level:g}% CI"


def _beta_map(betas) -> dict:
    if betas is None:
        return {}
    return {frozenset(str(t).split(":")): b for t, b in zip(betas["term"], betas["beta"])}


def regression_table(coefs, *, title: str, number: int = 1, betas=None, name: str = "regression",
                     conf_level: float = 0.95, note: str = "", panel_column: str | None = None
                     ) -> ManuscriptTable:
    """``Predictor | b | SE | t | p | 95% CI (| beta)`` from a coefficient frame.

    ``coefs``: the package vocabulary (``term, estimate, std_error, statistic,
    df, p_value, conf_low, conf_high``); ``betas``: ``term, beta`` (terms
    matched regardless of the order of a product's factors); ``panel_column``:
    a column (e.g. ``outcome``) whose values start panels.
    """
    bmap = _beta_map(betas)
    header = ["Predictor", "b", "SE", "t", "p", _ci_label(conf_level)]
    if bmap:
        header.append("β")
    rows, panels, last = [], {}, None
    for _, r in coefs.iterrows():
        if panel_column is not None and r[panel_column] != last:
            last = r[panel_column]
            panels[len(rows)] = str(last)
        row = [term_label(r["term"]), apa.fmt_number(r["estimate"]),
               apa.fmt_number(r["std_error"]), apa.fmt_stat(r["statistic"]),
               apa.fmt_p(r["p_value"]), apa.fmt_ci(r["conf_low"], r["conf_high"])]
        if bmap:
            key = frozenset(str(r["term"]).split(":"))
            row.append("" if r["term"] == "Intercept" else apa.fmt_number(bmap.get(key), 2)
                       if key in bmap else "")
        rows.append(row)
    return ManuscriptTable(number=number, name=name, title=title, header=header, rows=rows,
                           note=note, panels=panels)


def simple_slopes_table(slopes, *, number: int, conf_level: float = 0.95, note: str = "",
                        title: str = "Simple slopes of the attachment style per genotype group"
                        ) -> ManuscriptTable:
    """``Outcome | Gene | Style | Group | n | b | SE | t | p | CI`` from the simple-slopes frame."""
    header = ["Outcome", "Gene", "Attachment", "Group", "n", "b", "SE", "t", "p",
              _ci_label(conf_level)]
    rows = [[str(r["outcome"]), str(r["gene"]), str(r["style"]), str(r["group"]),
             apa.fmt_int(r.get("n_group")), apa.fmt_number(r["estimate"]),
             apa.fmt_number(r["std_error"]), apa.fmt_stat(r["statistic"]), apa.fmt_p(r["p_value"]),
             apa.fmt_ci(r["conf_low"], r["conf_high"])] for _, r in slopes.iterrows()]
    return ManuscriptTable(number=number, name="simple_slopes", title=title, header=header,
                           rows=rows, note=note, text_columns=(0, 1, 2, 3))


def _bound_text(bound, in_range) -> str:
    if apa.is_missing(bound):
        return "-"
    text = apa.fmt_number(bound, 2)
    return text if bool(in_range) else f"{text} (outside the data)"


def jn_table(jn, *, number: int, note: str = "",
             title: str = "Johnson-Neyman regions of significance") -> ManuscriptTable:
    """JN bounds with the share of cases below each bound (from the flattened JN frame)."""
    header = ["Outcome", "Gene", "Attachment", "Significant region", "Bound 1", "% below",
              "Bound 2", "% below"]
    rows = []
    for _, r in jn.iterrows():
        rows.append([str(r["outcome"]), str(r["gene"]), str(r["style"]),
                     str(r["significant_region"]).replace("_", " "),
                     _bound_text(r.get("bound_1"), r.get("bound_1_in_range")),
                     _share(r.get("share_below_1")),
                     _bound_text(r.get("bound_2"), r.get("bound_2_in_range")),
                     _share(r.get("share_below_2"))])
    return ManuscriptTable(number=number, name="johnson_neyman", title=title, header=header,
                           rows=rows, note=note, text_columns=(0, 1, 2, 3))


def _share(v) -> str:
    return "-" if apa.is_missing(v) else apa.fmt_percent(v)


def scorecard_table(records: Sequence[Mapping], *, number: int, note: str = "",
                    title: str = "Published claims and their verdicts") -> ManuscriptTable:
    """``Claim | Statement | Verdict | b | p (deciding) | Equivalence``."""
    header = ["Claim", "Statement", "Verdict", "b", "p (deciding)", "Equivalence"]
    rows = [[str(r["id"]), str(r["statement"]), str(r["verdict"]),
             apa.fmt_number(r.get("estimate")),
             apa.fmt_p(r.get("p_decision", r.get("p_value"))),
             str(r.get("equivalence") or "n/a")] for r in records]
    return ManuscriptTable(number=number, name="scorecard", title=title, header=header,
                           rows=rows, note=note, text_columns=(0, 1, 2, 5))


# --------------------------------------------------------------------------- sets of tables

_CLUSTER_WORDS = {"CR1": "CR1 cluster-robust standard errors; t tests on G - 1 degrees of "
                         "freedom (G clusters)",
                  "CR2": "CR2 cluster-robust standard errors; t tests with Satterthwaite "
                         "degrees of freedom (Bell & McCaffrey 2002)"}


def _conventions_note(se: str, conf_level: float, extra: str = "") -> str:
    key = str(se).upper()
    if key in _CLUSTER_WORDS:
        se_words = _CLUSTER_WORDS[key]
    else:
        se_words = ("OLS standard errors" if str(se).lower() == "ols"
                    else f"{key} heteroskedasticity-consistent standard errors")
        se_words += "; t tests on the residual degrees of freedom"
    return (f"Note. b = unstandardized coefficient; {se_words}; "
            f"CI = {100 * conf_level:g}% confidence interval. " + extra).strip()


_BETA_NOTE = ("β = standardized coefficient: every variable, the 0/1 genotype code included, "
              "was z-scored before the product was formed (Friedrich 1982).")


def tables_for_probe(result, *, betas=None) -> list[ManuscriptTable]:
    """Regression, conditional effects and (continuous moderator) JN tables of a probe result.

    A :class:`analysis.stats.moderation.ProbeResult` or, for a multicategorical focal or
    moderator, an :class:`analysis.stats.designs.CategoricalProbeResult` (the omnibus
    interaction test in the note, one JN row per contrast of a multicategorical focal).
    ``betas``: :func:`analysis.stats.standardized.standardized_coefficients` of the same model.
    """
    level = 1 - float(result.alpha)
    note = _conventions_note(result.se_type, level,
                             (_BETA_NOTE + " " if betas is not None else "")
                             + _omnibus_words(result) + _design_words(result)
                             + f"N = {apa.fmt_int(result.n)}.")
    tables = [regression_table(result.coefficients, betas=betas, number=1, conf_level=level,
                               note=note, title=f"Regression of {result.outcome} on "
                                                f"{result.focal}, {result.moderator} and their "
                                                "product")]
    eff = result.conditional_effects()
    header = ["Moderator value", "b", "SE", "t", "p", _ci_label(level)]
    rows = [[_at_label(r),
             apa.fmt_number(r["estimate"]), apa.fmt_number(r["std_error"]),
             apa.fmt_stat(r["statistic"]), apa.fmt_p(r["p_value"]),
             apa.fmt_ci(r["conf_low"], r["conf_high"])] for _, r in eff.iterrows()]
    tables.append(ManuscriptTable(number=2, name="conditional_effects", header=header, rows=rows,
                                  title=f"Conditional effect of {result.focal} at values of "
                                        f"{result.moderator}", note=note))
    jns = _probe_jns(result)
    if jns:
        tables.append(_jn_bounds_table(result, jns))
    return tables


def _jn_bounds_table(result, jns: Mapping) -> ManuscriptTable:
    """Bounds with % below / above; an ``Effect`` column when there are several (contrasts)."""
    header = ["Effect", "Significant region", "Bound", "In observed range", "% below", "% above"]
    rows = []
    for name, jn in jns.items():
        jn = jn.to_dict()
        bounds = list(zip(jn["bounds"], jn["in_range"], jn["share_below"]))
        rows += [[str(name), str(jn["significant_region"]), apa.fmt_number(b, 2),
                  "yes" if ok else "no", _share(lo),
                  "-" if apa.is_missing(lo) else apa.fmt_percent(1 - float(lo))]
                 for b, ok, lo in bounds] or [[str(name), str(jn["significant_region"]), "-",
                                               "-", "-", "-"]]
    several = len(jns) > 1
    if not several:
        header, rows = header[1:], [r[1:] for r in rows]
    return ManuscriptTable(number=3, name="johnson_neyman", header=header, rows=rows,
                           title=f"Johnson-Neyman bounds for {result.focal} along "
                                 f"{result.moderator}",
                           note="Note. Bounds solve (b1 + b3 w)² = t*² Var(b1 + b3 w) "
                                "(Bauer & Curran 2005); shares of cases below and above each "
                                "bound.", text_columns=(0, 1) if several else (0,))


def _probe_jns(result) -> dict:
    """``{effect: JohnsonNeyman}``: the probe's JN, or one per contrast of a multicategorical
    focal (``contrast_jn``)."""
    jn = getattr(result, "jn", None)
    if jn is not None:
        return {result.focal: jn}
    return dict(getattr(result, "contrast_jn", None) or {})


def _design_words(result) -> str:
    """Weights and clusters of a probe, stated in the note."""
    parts = []
    if getattr(result, "weights", None):
        parts.append(f"Weighted least squares (weights: {result.weights}).")
    if getattr(result, "cluster", None):
        n = result.fit.cluster.n_clusters if result.fit.cluster is not None else None
        parts.append(f"Clusters: {result.cluster}" + (f" (G = {apa.fmt_int(n)})." if n else "."))
    return " ".join(parts) + (" " if parts else "")


def _omnibus_words(result) -> str:
    omni = getattr(result, "omnibus_interaction", None)
    if not omni:
        return ""
    return ("Omnibus test of the interaction: "
            + apa.apa_test(F=omni["statistic"], df=omni["df_num"], df2=omni["df_den"],
                           p=omni["p_value"])
            + f", ΔR² = {apa.fmt_number(omni['r2_change'])}. ")


def _at_label(r) -> str:
    label = r.get("label")
    if apa.is_missing(r.get("moderator_value")):
        return str(label)                               # a group of a multicategorical moderator
    value = apa.fmt_number(r["moderator_value"], 2)
    text = value if apa.is_missing(label) else f"{label} ({value})"
    contrast = r.get("contrast")
    return text if apa.is_missing(contrast) else f"{contrast} at {text}"


def tables_for_analysis(analysis, *, records: Sequence[Mapping], betas: Mapping | None = None
                        ) -> list[ManuscriptTable]:
    """The report's manuscript tables: Study 1 models, the Study 2 avoidant models of the claims,
    simple slopes, JN bounds, scorecard."""
    betas = betas or {}
    card = analysis.scorecard
    level = 1 - float(card.alpha)
    se = analysis.settings.get("se", "ols")
    tables, number = [], 1
    if analysis.study1 is not None:
        s1 = analysis.study1.to_frame()
        for outcome in dict.fromkeys(s1["outcome"]):
            sub = s1[s1["outcome"] == outcome]
            note = _conventions_note(se, level, (_BETA_NOTE + " " if outcome in betas else "")
                                     + f"N = {apa.fmt_int(sub['n'].iloc[0])}.")
            tables.append(regression_table(sub, betas=betas.get(outcome), number=number,
                                           conf_level=level, note=note, name=f"study1_{outcome}",
                                           title=f"Study 1: {outcome} regressed on genotype"))
            number += 1
    s2 = analysis.study2
    if s2 is not None:
        for key, probe in s2.reverse_probes.items():
            if key[2] != "avoidant":
                continue
            note = _conventions_note(se, level, (_BETA_NOTE + " " if key in betas else "")
                                     + f"N = {apa.fmt_int(probe.n)}.")
            tables.append(regression_table(
                probe.coefficients, betas=betas.get(key), number=number, conf_level=level,
                note=note, name=f"study2_{'_'.join(key)}",
                title=f"Study 2: {key[0]} regressed on {key[1]} carrier status, {key[2]} "
                      "attachment and their product"))
            number += 1
        tables.append(simple_slopes_table(s2.simple_slopes, number=number, conf_level=level,
                                          note=_conventions_note(se, level)))
        number += 1
        tables.append(jn_table(s2.to_frames()["johnson_neyman"], number=number,
                               note="Note. Bounds of the region where the genotype effect is "
                                    f"significant at α = {apa.fmt_unit(card.alpha)} (Bauer & "
                                    "Curran 2005); % below = share of cases below the bound."))
        number += 1
    tables.append(scorecard_table(records, number=number,
                                  note="Note. p (deciding) = the p-value the verdict rule used "
                                       f"({card.family_rule}-adjusted within the S2c and S2d "
                                       "families)."))
    return tables


# --------------------------------------------------------------------------- rendering

def to_markdown(tables: Sequence[ManuscriptTable]) -> str:
    """APA tables as Markdown (number bold, title italic, note below)."""
    from .report import md_escape
    out = []
    for t in tables:
        out += [f"**Table {t.number}**", "", f"*{md_escape(t.title)}*", ""]
        out.append("| " + " | ".join(md_escape(h) for h in t.header) + " |")
        out.append("|" + "|".join(" --- " if i in t.text_columns else " --: "
                                  for i in range(len(t.header))) + "|")
        for i, row in enumerate(t.rows):
            if i in t.panels:
                out.append("| " + " | ".join([f"**{md_escape(t.panels[i])}**"]
                                             + [""] * (len(row) - 1)) + " |")
            out.append("| " + " | ".join(md_escape(c) for c in row) + " |")
        if t.note:
            out += ["", md_escape(t.note)]
        out.append("")
    return "\n".join(out)


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "β": r"$\beta$", "×": r"$\times$", "α": r"$\alpha$", "²": r"\textsuperscript{2}",
                "±": r"$\pm$", "Δ": r"$\Delta$"}


def tex_escape(text) -> str:
    """LaTeX text (every special character escaped; a few symbols as math)."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(tables: Sequence[ManuscriptTable]) -> str:
    """APA tables as LaTeX (``booktabs``; wrap the file in a document with ``\\usepackage{booktabs}``)."""
    out = ["% salesgxe manuscript tables: needs \\usepackage{booktabs}", ""]
    for t in tables:
        spec = "".join("l" if i in t.text_columns else "r" for i in range(len(t.header)))
        out += [r"\begin{table}[htbp]", r"\centering",
                rf"\caption*{{\textbf{{Table {t.number}}}\\\textit{{{tex_escape(t.title)}}}}}",
                rf"\label{{tab:{tex_escape(t.name)}}}", rf"\begin{{tabular}}{{{spec}}}",
                r"\toprule", " & ".join(tex_escape(h) for h in t.header) + r" \\", r"\midrule"]
        for i, row in enumerate(t.rows):
            if i in t.panels:
                out.append(rf"\multicolumn{{{len(row)}}}{{l}}{{\textit{{{tex_escape(t.panels[i])}}}}} \\")
            out.append(" & ".join(tex_escape(c) for c in row) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}"]
        if t.note:
            out.append(rf"\par\smallskip\parbox{{\linewidth}}{{\footnotesize {tex_escape(t.note)}}}")
        out += [r"\end{table}", ""]
    return "\n".join(out)


def to_docx(tables: Sequence[ManuscriptTable]) -> bytes:
    """APA tables in one Word document (python-docx); byte-stable for the same tables."""
    from docx import Document
    from docx.shared import Pt
    doc = Document()
    _fix_core_properties(doc)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(11)
    for k, t in enumerate(tables):
        if k:
            doc.add_paragraph()
        doc.add_paragraph().add_run(f"Table {t.number}").bold = True
        doc.add_paragraph().add_run(t.title).italic = True
        grid = doc.add_table(rows=1 + len(t.rows) + len(t.panels), cols=len(t.header))
        _docx_rows(grid, t)
        _apa_rules(grid)
        if t.note:
            note = doc.add_paragraph()
            if t.note.startswith("Note."):
                note.add_run("Note.").italic = True
                note.add_run(t.note[len("Note."):])
            else:
                note.add_run(t.note)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _stable_zip(buffer.getvalue())


def _docx_rows(grid, t: ManuscriptTable) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    for j, h in enumerate(t.header):
        grid.rows[0].cells[j].text = h
    r = 1
    for i, row in enumerate(t.rows):
        if i in t.panels:
            cell = grid.rows[r].cells[0]
            cell.text = t.panels[i]
            r += 1
        for j, value in enumerate(row):
            cell = grid.rows[r].cells[j]
            cell.text = value
            if j not in t.text_columns:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        r += 1


def _apa_rules(grid) -> None:
    """Horizontal rules only: above and below the header, below the last row (APA 7)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def border(cell, edges):
        tc_pr = cell._tc.get_or_add_tcPr()
        borders = OxmlElement("w:tcBorders")
        for edge in edges:
            el = OxmlElement(f"w:{edge}")
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), "6")
            el.set(qn("w:color"), "000000")
            borders.append(el)
        tc_pr.append(borders)

    last = len(grid.rows) - 1
    for i, row in enumerate(grid.rows):
        edges = (["top", "bottom"] if i == 0 else []) + (["bottom"] if i == last and i else [])
        if edges:
            for cell in row.cells:
                border(cell, edges)


def _fix_core_properties(doc) -> None:
    from datetime import datetime
    fixed = datetime(2014, 2, 4)
    props = doc.core_properties
    props.author, props.last_modified_by = "salesgxe", "salesgxe"
    props.created = props.modified = fixed
    props.revision = 1
    props.title = "salesgxe manuscript tables"


def _stable_zip(data: bytes) -> bytes:
    """Rewrite the .docx zip with fixed entry times, so identical tables give identical bytes."""
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2014, 2, 4, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_tables(tables: Sequence[ManuscriptTable], fmt: str) -> bytes:
    """The tables in ``fmt`` (``docx``, ``tex`` or ``md``) as bytes."""
    if fmt == "docx":
        return to_docx(tables)
    if fmt == "tex":
        return to_latex(tables).encode("utf-8")
    if fmt == "md":
        return to_markdown(tables).encode("utf-8")
    raise ValueError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_tables(result, fmt: str, path=None, *, betas=None, records=None) -> bytes:
    """Manuscript tables of a ``ProbeResult`` (``salesgxe probe --table``) or an ``Analysis``.

    Returns the file content; with ``path`` it is also written (through
    :mod:`analysis.safe_output` when available, else atomically here).
    """
    if hasattr(result, "reverse_probes") or hasattr(result, "scorecard"):
        recs = records if records is not None else result.scorecard.to_records()
        tables = tables_for_analysis(result, records=recs, betas=betas)
    else:
        tables = tables_for_probe(result, betas=betas)
    data = render_tables(tables, fmt)
    if path is not None:
        _write_bytes(path, data)
    return data


def _write_bytes(path, data: bytes) -> None:
    import os
    import secrets
    from pathlib import Path
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- paragraphs

def results_paragraphs(records: Sequence[Mapping], *, alpha: float, family_rule: str,
                       se: str, conf_level: float) -> list[tuple[str, str]]:
    """``[(claim id, paragraph)]``: a draft results paragraph per claim, numbers filled in.

    Each states the test in APA style, what decides the verdict and the conventions
    (SE type, CI level, multiplicity, equivalence bound); edit freely.
    """
    from .report_content import claim_card
    se_words = ("OLS standard errors" if str(se).lower() == "ols"
                else f"{str(se).upper()} standard errors")
    out = []
    for rec in records:
        card = claim_card(rec, alpha=alpha, family_rule=family_rule, conf_level=conf_level)
        text = (f"Claim {card.id} ({card.statement.rstrip('.')}) was {card.verdict}. "
                f"{card.test}. {card.decision} {card.why}")
        if rec.get("kind") == "null" and card.equivalence:
            text += f" Equivalence test (TOST): {card.equivalence}"
        text += (f" Tests are two-sided at α = {apa.fmt_unit(alpha)} with {se_words} and "
                 f"{100 * conf_level:g}% confidence intervals")
        text += (f"; family claims are adjusted within the family ({family_rule})."
                 if int(rec.get("n_members") or 1) > 1 else ".")
        out.append((card.id, re.sub(r"\.\.", ".", text)))
    return out

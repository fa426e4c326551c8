"""Writes the report folder (``reports/replication/`` by default) atomically.

Produces ``index.html`` (self-contained), ``report.md``, ``scorecard.json``,
``scorecard.csv``, ``tables/<name>.csv``, ``figures/*``, ``assumptions.csv``,
``manifest.json`` (versions, config hash, seed, command, sha256 and size of
every input and output: identical for identical runs on any machine) and
``run.json`` (time, platform, Python: what differs between identical runs;
never committed, never compared).

The page (HTML and Markdown from one context): a sticky table of contents,
the summary (claim cards with the deciding test in APA style, the verdict
legend), figures, methods, results, collapsed detail tables with human column
labels, a glossary.  Content is added as sections: see
:mod:`analysis.render.report_sections`.  Numbers are written by :mod:`analysis.render.apa`
only.

Rendering never computes statistics: it formats the numbers it is given
(rounding for display only; CSV files keep ``%.10g``).  HTML and Markdown carry
aggregates only; every output states that the numbers rest on assumptions
(the assumptions table is included) and where the data came from.

The folder is written and installed by :func:`analysis.safe_output.write_folder`:
checked before the work, replaced only when it is a report this package wrote
(and only with ``force``), swapped in atomically, so a crash never leaves a
half-written report or no report at all.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from .._errors import InputError
from .apa import fmt_int, is_missing
from ..sanitize import escape_markdown, neutralize_frame, sanitize_terminal
from ..paths import ROOT

__all__ = ["write_report", "compare_reports", "SCORECARD_FIELDS", "DEPENDENCIES"]

#: Fields every scorecard entry must have (``scorecard.json`` schema).
SCORECARD_FIELDS = ("id", "statement", "verdict", "estimate", "p_value", "replication_probability")
#: Distributions whose versions go into ``manifest.json``.
DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "jinja2", "pyyaml",
                "pyreadstat", "openpyxl", "pyarrow", "joblib")
_FLOAT_FORMAT = "%.10g"
#: Untracked file with what differs between identical runs (time, platform, Python).
RUN_LOG = "run.json"
_NOT_IN_MANIFEST = ("manifest.json", RUN_LOG)
_FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}
_TEMPLATES = Path(__file__).with_name("templates")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


# --------------------------------------------------------------------------- public API

def write_report(out_dir, *, tables: Mapping, scorecard: Sequence[Mapping],
                 figures: Mapping, assumptions, meta: Mapping, inputs: Iterable,
                 title: str, provenance_note: str, force: bool = False,
                 captions: Mapping[str, str] | None = None,
                 display_tables: Sequence[str] | None = None, max_rows: int = 60,
                 sensitive_columns: Sequence[str] = (), dpi: int = 300,
                 figure_formats: Sequence[str] = ("png", "svg"),
                 sections: Sequence = (), conventions: Mapping | None = None,
                 files: Mapping[str, bytes] | None = None) -> Path:
    """Write a complete report folder at ``out_dir``, atomically.

    Parameters
    ----------
    out_dir : path
        Target folder.  If it exists, ``force`` is required, and it must be
        empty or a folder this package wrote (see :mod:`analysis.safe_output`).
    tables : dict of str -> pandas.DataFrame
        Written to ``tables/<name>.csv`` (``%.10g``); shown in HTML/Markdown
        (those in ``display_tables``, at most ``max_rows`` rows each).
    scorecard : list of dict
        One entry per claim with at least :data:`SCORECARD_FIELDS`.
    figures : dict of str -> Figure or list of path
        A matplotlib figure is saved as ``figures/<name>.<fmt>``; files are copied.
    assumptions : pandas.DataFrame
        Every assumed number, shown in full in HTML/Markdown and ``assumptions.csv``.
    meta : dict
        JSON-safe facts for the manifest: ``config_hash``, ``seed``, ``command``, ...
    inputs : iterable of path
        Files the report rests on (config, data); their sha256 goes into the manifest.
    title, provenance_note : str
        The note says whether the data are simulated or a user's.
    force : bool
        Replace an existing report.
    captions : dict, optional
        Figure captions by name.
    sensitive_columns : sequence of str
        Per-person column names (genotype, id); a table carrying one is refused.
    dpi, figure_formats :
        For figures given as matplotlib objects.
    sections : sequence of analysis.render.report_sections.Section
        Extra content (methods, results, data quality, ...), each rendered in
        its ``place``; see :mod:`analysis.render.report_sections`.  The summary (claim
        cards and verdict legend, built from ``scorecard`` unless a section
        with id ``"summary"`` is given), the figures not placed by a section,
        the assumptions and the collapsed detail tables are added here.
    conventions : dict, optional
        ``alpha`` (0.05), ``family_rule`` ("holm"), ``conf_level`` (0.95):
        the settings the cards state.
    files : dict of str -> bytes, optional
        Further outputs by relative path (e.g. ``manuscript/tables.docx``),
        listed in the manifest like every other output.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    from .. import safe_output
    out_dir = Path(out_dir)
    inputs = [Path(p) for p in inputs]
    _check_inputs(inputs, tables, sensitive_columns)

    def fill(tmp: Path) -> None:
        _fill(tmp, tables=tables, scorecard=scorecard, figures=figures, assumptions=assumptions,
              meta=meta, inputs=inputs, title=title, provenance_note=provenance_note,
              captions=captions or {}, display_tables=display_tables, max_rows=max_rows,
              dpi=dpi, figure_formats=figure_formats, sections=sections,
              conventions=dict(conventions or {}), files=dict(files or {}))

    safe_output.write_folder(out_dir, fill, force=force, inputs=inputs)
    return out_dir


def compare_reports(dir_a, dir_b, *, figures: bool = True, environment: bool = True,
                    ignore: Iterable[str] = ()) -> list[str]:
    """Differences between two report folders, ignoring the run log (``run.json``).

    Every file must be byte-identical (SVG, HTML, Markdown, docx), PNG files
    pixel-identical (compared by a hash of the decoded pixels), except that numbers in ``.csv`` and
    ``.json`` files may differ in their last bits (relative ``1e-8``): the same
    fit summed in another order by another BLAS kernel differs at ~1e-15, and
    an iterative fit (omega's one-factor ML) at ~1e-9, which is not a
    different result.  ``manifest.json`` is compared field by field
    (without the top-level fields in ``ignore``,
    e.g. ``"command"`` when the output path differs); the checksums it lists
    for ``.csv``/``.json`` outputs are left to that content comparison.
    ``figures=False`` skips ``figures/*`` and ``index.html`` (which embeds
    them), whose bytes can depend on the font renderer; ``environment=False``
    skips the dependency versions.

    Returns
    -------
    list of str
        One line per difference; empty when the reports agree.
    """
    a, b = Path(dir_a), Path(dir_b)
    fa, fb = _report_files(a, figures), _report_files(b, figures)
    diffs = [f"only in {a}: {r}" for r in sorted(fa - fb)]
    diffs += [f"only in {b}: {r}" for r in sorted(fb - fa)]
    for rel in sorted(fa & fb):
        if rel == "manifest.json":
            diffs += _compare_manifests(a / rel, b / rel, figures, environment, set(ignore))
        elif not _same_content(a / rel, b / rel):
            diffs.append(f"{rel} differs{_first_difference(a / rel, b / rel)}")
    return diffs


# --------------------------------------------------------------------------- target and inputs

def check_target(out_dir: Path, force: bool, inputs: Iterable = ()) -> None:
    """Raise InputError if the report cannot be written at ``out_dir`` (call it before long
    work): see :func:`analysis.safe_output.check_folder`."""
    from ..safe_output import check_folder
    check_folder(out_dir, force=force, inputs=inputs)


def _check_inputs(inputs: list[Path], tables: Mapping, sensitive: Sequence[str]) -> None:
    for p in inputs:
        if not p.is_file():
            raise InputError("input file not found", file=str(p))
    banned = {str(c) for c in sensitive}
    for name, frame in tables.items():
        cols = set(map(str, frame.columns)) | set(map(str, frame.index.names))
        if cols & banned:
            raise ValueError(f"table {name!r} carries per-person column(s); reports hold "
                             "aggregates only")


# --------------------------------------------------------------------------- writing

def _fill(tmp: Path, *, tables, scorecard, figures, assumptions, meta, inputs, title,
          provenance_note, captions, display_tables, max_rows, dpi, figure_formats,
          sections=(), conventions=None, files=None) -> None:
    records = _write_scorecard(tmp, scorecard)
    _write_files(tmp, files or {})
    _write_tables(tmp / "tables", tables)
    _write_csv(assumptions, tmp / "assumptions.csv")
    fig_files = _write_figures(tmp / "figures", figures, dpi, figure_formats)
    shown = list(tables) if display_tables is None else list(display_tables)
    all_sections = _standard_sections(records, tables, shown, assumptions, provenance_note,
                                      list(fig_files), list(sections), conventions or {},
                                      max_rows)
    context = _page_context(all_sections, _figure_context(tmp, fig_files, captions),
                            conventions or {})
    context.update(title=title, provenance_note=provenance_note, facts=_facts(meta))
    _render("report.md.j2", context, tmp / "report.md")
    _render("report.html.j2", context, tmp / "index.html")
    manifest, run = _manifest(tmp, meta, inputs)
    manifest["provenance"] = {"note": provenance_note, "assumptions": "assumptions.csv"}
    _write_json(manifest, tmp / "manifest.json")
    _write_json(run, tmp / RUN_LOG)


_SAFE_PATH = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.[a-z]{1,5}")


def _write_files(tmp: Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        if not _SAFE_PATH.fullmatch(rel) or rel in ("manifest.json", RUN_LOG, "index.html"):
            raise ValueError(f"output file name {rel!r} is not a plain relative path")
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _standard_sections(records, tables, shown, assumptions, note, figure_names, sections,
                       conventions, max_rows) -> list:
    """The caller's sections plus summary, figures, assumptions and detail tables."""
    from .report_content import detail_section, summary_section
    from .report_sections import PLACES, Section, Table
    ids = {s.id for s in sections}
    out = list(sections)
    if "summary" not in ids:
        out.append(summary_section(records, alpha=float(conventions.get("alpha", 0.05)),
                                   family_rule=str(conventions.get("family_rule", "holm")),
                                   conf_level=float(conventions.get("conf_level", 0.95))))
    placed = {f for s in sections for f in _all_figures(s)}
    rest = tuple(f for f in figure_names if f not in placed)
    if rest and "figures" not in ids:
        out.append(Section(id="figures", title="Figures", place="figures", order=0, figures=rest))
    out.append(Section(id="assumptions", title="Assumptions", place="methods", order=90,
                       paragraphs=(note, "Every assumed number, as given in the configuration:"),
                       tables=(Table(name="assumptions", frame=assumptions,
                                     caption=f"Assumptions ({len(assumptions)} numbers and "
                                             "settings)",
                                     kinds={"value": "general"}, max_rows=None),)))
    if shown and "tables" not in ids:
        out.append(detail_section(tables, shown, max_rows=max_rows))
    return sorted(out, key=lambda s: (PLACES.index(s.place), s.order))


def _all_figures(section) -> list[str]:
    return [*section.figures, *(f for sub in section.subsections for f in _all_figures(sub))]


_SYMBOLS = {"reproduced": "\u2713", "partial": "\u25D0", "not reproduced": "\u25CB",
            "contradicted": "\u2717", "not tested": "\u2013"}


def _slug(text) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _page_context(sections, fig_ctx: list[dict], conventions: Mapping) -> dict:
    """Sections as plain dicts for the templates (tables formatted, figures resolved)."""
    from .report_sections import GLOSSARY
    figs = {f["name"]: f for f in fig_ctx}
    level = float(conventions.get("conf_level", 0.95))

    def convert(s):
        return {"id": s.id, "title": s.title, "paragraphs": list(s.paragraphs),
                "entries": [(str(a), str(b)) for a, b in s.items],
                "tables": [_table_context(t, level) for t in s.tables],
                "figures": [figs[f] for f in s.figures if f in figs],
                "figure_columns": int(s.figure_columns),
                "cards": [dict(_card_dict(c)) for c in s.cards],
                "subsections": [convert(x) for x in s.subsections]}

    converted = [convert(s) for s in sections]
    toc = [{"id": s["id"], "title": s["title"]} for s in converted]
    toc += [{"id": "glossary", "title": "Glossary"},
            {"id": "reproducibility", "title": "Reproducibility"}]
    return {"sections": converted, "toc": toc, "glossary": list(GLOSSARY.items())}


def _card_dict(card) -> dict:
    from dataclasses import asdict
    d = asdict(card)
    d.update(verdict_slug=_slug(card.verdict), symbol=_SYMBOLS.get(card.verdict, "\u2022"))
    return d


def _table_context(table, conf_level: float) -> dict:
    from .report_sections import display_table
    return display_table(table, conf_level)


def _file_name(name: str) -> str:
    cleaned = _SAFE_NAME.sub("_", str(name)).strip("._")
    return cleaned or "unnamed"


def _unique_names(names: Iterable[str], what: str) -> dict[str, str]:
    mapping = {n: _file_name(n) for n in names}
    if len(set(mapping.values())) != len(mapping):
        raise ValueError(f"{what} names collide once made file-safe: {sorted(mapping)}")
    return mapping


def _write_tables(folder: Path, tables: Mapping) -> None:
    folder.mkdir()
    for name, file in _unique_names(tables, "table").items():
        _write_csv(tables[name], folder / f"{file}.csv")


def _write_csv(frame, path: Path) -> None:
    """CSV with every text cell and column name neutralised against formula injection."""
    frame = neutralize_frame(_named_index_as_columns(frame))
    frame.to_csv(path, index=False, float_format=_FLOAT_FORMAT, lineterminator="\n")


def _named_index_as_columns(frame):
    """A named (multi-)index carries data (e.g. ``term``): keep it as columns."""
    return frame.reset_index() if any(n is not None for n in frame.index.names) else frame


def _write_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")


def _write_scorecard(tmp: Path, scorecard: Sequence[Mapping]) -> list[dict]:
    records = [dict(entry) for entry in scorecard]
    for i, rec in enumerate(records):
        missing = [k for k in SCORECARD_FIELDS if k not in rec]
        if missing:
            raise ValueError(f"scorecard entry {i + 1} ({rec.get('id')!r}) lacks {missing}")
    _write_json([_json_safe(r) for r in records], tmp / "scorecard.json")
    _write_csv(_scorecard_frame(records), tmp / "scorecard.csv")
    return records


def _scorecard_frame(records: list[dict], display: bool = False):
    """Scorecard as a frame; nested values as JSON text.  ``display``: the headline columns."""
    import pandas as pd
    flat = [{k: (json.dumps(_json_safe(v), sort_keys=True) if isinstance(v, (dict, list, tuple))
                 else v) for k, v in r.items()} for r in records]
    frame = pd.DataFrame.from_records(flat) if flat else pd.DataFrame(columns=SCORECARD_FIELDS)
    if display:
        extra = [c for c in ("conf_low", "conf_high") if c in frame.columns]
        equiv = [c for c in ("equivalence",) if c in frame.columns]
        frame = frame[["id", "statement", "verdict", "estimate", *extra, "p_value", *equiv,
                       "replication_probability"]]
    return frame


def _write_figures(folder: Path, figures: Mapping, dpi: int, formats) -> dict[str, list[Path]]:
    folder.mkdir()
    written: dict[str, list[Path]] = {}
    for name, file in _unique_names(figures, "figure").items():
        fig = figures[name]
        if hasattr(fig, "savefig"):
            from .plots import save_figure
            written[name] = save_figure(fig, folder / file, formats=formats, dpi=dpi)
        else:
            written[name] = [_copy_figure(Path(p), folder) for p in fig]
    return written


def _copy_figure(src: Path, folder: Path) -> Path:
    if src.suffix.lower() not in _FIGURE_SUFFIXES or not src.is_file():
        raise ValueError(f"figure file {src} is missing or not one of {_FIGURE_SUFFIXES}")
    target = folder / f"{_file_name(src.stem)}{src.suffix.lower()}"
    if target.exists():
        raise ValueError(f"two figure files map to {target.name}")
    shutil.copyfile(src, target)
    return target


# --------------------------------------------------------------------------- rendering

def _figure_context(tmp: Path, fig_files: dict[str, list[Path]], captions: Mapping) -> list[dict]:
    """Per figure: caption, relative path for Markdown (PNG first), data URI for HTML (SVG first)."""
    out = []
    for name, files in fig_files.items():
        by_suffix = {p.suffix: p for p in files}
        md = next((by_suffix[s] for s in (".png", ".svg", ".pdf") if s in by_suffix), None)
        html = next((by_suffix[s] for s in (".svg", ".png") if s in by_suffix), None)
        uri = None
        if html is not None:
            data = base64.b64encode(html.read_bytes()).decode("ascii")
            uri = f"data:{_MIME[html.suffix]};base64,{data}"
        out.append({"name": name, "slug": _file_name(name), "caption": captions.get(name, name), "data_uri": uri,
                    "path": md.relative_to(tmp).as_posix() if md else None,
                    "files": [p.relative_to(tmp).as_posix() for p in files]})
    return out


_MD_NUMERIC = re.compile(r"[0-9\s.,%<>=±\-\[\]]*")


def md_escape(text) -> str:
    """Markdown text that renders literally: :func:`analysis.sanitize.escape_markdown`
    (backslash escapes, never HTML entities), except that a cell made only of
    formatted numbers (``< .001``, ``[-0.220, 0.149]``, ``95%``) is left as is:
    it has no live Markdown syntax and stays readable in the raw file.

    >>> print(md_escape("<script> & a|b"), md_escape("[-0.220, 0.149]"), md_escape("< .001"))
    \\<script> & a\\|b [-0.220, 0.149] < .001
    """
    text = " ".join(str(text).split())
    if _MD_NUMERIC.fullmatch(text):  # only ever inside a table cell or a sentence
        return text
    return escape_markdown(text)


def _no_controls(value):
    """Every value a template prints: terminal escapes and control characters removed
    (already-escaped ``Markup`` stays ``Markup``, so it is not escaped twice)."""
    if not isinstance(value, str):
        return value
    clean = sanitize_terminal(value)
    return clean if type(value) is str else type(value)(clean)


def _md_code(value) -> str:
    """Text inside a Markdown code span: nothing is live there but the backtick."""
    return " ".join(sanitize_terminal(str(value)).replace("`", "'").split())


def _environment():
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=lambda name: bool(name) and ".html" in name,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        finalize=_no_controls,
        trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = md_escape
    env.filters["code"] = _md_code
    env.filters["slug"] = _slug
    env.filters["symbol"] = lambda v: _SYMBOLS.get(str(v), "\u2022")
    return env


def _render(template: str, context: Mapping, path: Path) -> None:
    text = _environment().get_template(template).render(**context)
    path.write_text(text, encoding="utf-8")


def _facts(meta: Mapping) -> list[tuple[str, str]]:
    """Run facts that do not change between identical runs (shown in HTML/Markdown)."""
    facts = [("package", f"salesgxe {_package_version()}")]
    for key, label in (("config_hash", "config hash"), ("seed", "seed")):
        if meta.get(key) is not None:
            value = meta[key]
            facts.append((label, fmt_int(value) if key == "seed" else str(value)))
    facts.append(("command, versions, checksums", "manifest.json"))
    facts.append(("time and platform of this run", f"{RUN_LOG} (not committed)"))
    return facts


# --------------------------------------------------------------------------- manifest

def _package_version() -> str:
    from .. import __version__
    return __version__


def _versions() -> dict[str, str | None]:
    from importlib import metadata
    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _entry(path: Path, shown: str) -> dict:
    return {"path": shown, "sha256": _sha256(path), "bytes": path.stat().st_size}


def _input_name(path: Path) -> str:
    """Repository-relative for the package's own files, else relative to the working
    directory or the bare file name: never an absolute path (privacy)."""
    from ..safe_output import display_path
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return display_path(path)


def _manifest(tmp: Path, meta: Mapping, inputs: list[Path]) -> tuple[dict, dict]:
    """The manifest (identical for identical runs on any machine) and the run log.

    What changes between identical runs (time, platform, Python patch
    version) goes to :data:`RUN_LOG`, which is never committed (``.gitignore``)
    and never compared, so a fresh clone stays clean after ``make replicate``.
    """
    import platform
    files = sorted((p for p in tmp.rglob("*") if p.is_file() and p.name not in _NOT_IN_MANIFEST),
                   key=lambda p: p.relative_to(tmp).as_posix())
    manifest = {
        "package": {"name": "salesgxe", "version": _package_version()},
        "dependencies": _versions(),
        "config_hash": _json_safe(meta.get("config_hash")),
        "seed": _json_safe(meta.get("seed")),
        "command": _json_safe(meta.get("command")),
        "meta": _json_safe(dict(meta)),
        "inputs": [_entry(p, _input_name(p)) for p in inputs],
        "outputs": [_entry(p, p.relative_to(tmp).as_posix()) for p in files],
        "run_log": RUN_LOG,
    }
    run = {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "python": platform.python_version(), "platform": platform.platform()}
    return manifest, run


def _json_safe(value):
    """Plain JSON types; NaN/inf/NA -> None, numpy scalars -> Python, paths -> str."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [_json_safe(v) for v in list(value)]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        return int(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, Path):
        return value.as_posix()
    return None if is_missing(value) else str(value)


# --------------------------------------------------------------------------- comparing

def _report_files(folder: Path, figures: bool) -> set[str]:
    rels = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and p.name != RUN_LOG}
    if not figures:
        rels = {r for r in rels if not _is_figure_output(r)}
    return rels


def _is_figure_output(rel: str) -> bool:
    return rel.startswith("figures/") or rel == "index.html"


def _compare_manifests(pa: Path, pb: Path, figures: bool, environment: bool,
                       ignore: set[str]) -> list[str]:
    ma, mb = (json.loads(p.read_text(encoding="utf-8")) for p in (pa, pb))
    skip = {"generated_at", "python", "platform"} | ignore  # older manifests had them
    if not environment:
        skip |= {"dependencies"}
    diffs = []
    for key in sorted((set(ma) | set(mb)) - skip):
        va, vb = ma.get(key), mb.get(key)
        if key in ("inputs", "outputs"):
            diffs += _compare_entries(key, va or [], vb or [], figures or key == "inputs")
        elif va != vb:
            diffs.append(f"manifest.json: {key} differs ({va!r} vs {vb!r})")
    return diffs


def _compare_entries(key: str, a: list, b: list, keep_figures: bool) -> list[str]:
    da = {e["path"]: e for e in a if keep_figures or not _is_figure_output(e["path"])}
    db = {e["path"]: e for e in b if keep_figures or not _is_figure_output(e["path"])}
    diffs = [f"manifest.json: {key} lists {p} on one side only" for p in sorted(set(da) ^ set(db))]
    diffs += [f"manifest.json: {key} checksum of {p} differs" for p in sorted(set(da) & set(db))
              if da[p] != db[p] and not (key == "outputs" and p.endswith(_CONTENT_COMPARED))]
    return diffs


_RTOL, _ATOL = 1e-8, 1e-12
_NUMERIC_SUFFIXES = (".csv", ".json")
# outputs whose manifest checksum is left to the content comparison (numbers, pixels)
_CONTENT_COMPARED = (*_NUMERIC_SUFFIXES, ".png")


def _same_content(a: Path, b: Path) -> bool:
    """Byte equality; PNG by pixels (the encoder's bytes may differ); CSV / JSON up to
    last-bit numeric noise."""
    if a.read_bytes() == b.read_bytes():
        return True
    if a.suffix == ".png":
        return _pixel_hash(a) == _pixel_hash(b)
    if a.suffix not in _NUMERIC_SUFFIXES:
        return False
    if a.suffix == ".json":
        return _close(*(json.loads(p.read_text(encoding="utf-8")) for p in (a, b)))
    import csv
    rows = [list(csv.reader(p.read_text(encoding="utf-8").splitlines())) for p in (a, b)]
    return _close(*rows)


def _pixel_hash(path: Path) -> str:
    """sha256 of the decoded RGBA pixels and the image size."""
    from matplotlib.image import imread
    import numpy as np
    pixels = np.ascontiguousarray(imread(path))
    return hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).hexdigest()


def _close(x, y) -> bool:
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(_close(u, v) for u, v in zip(x, y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if x == y:
        return True
    fx, fy = _as_float(x), _as_float(y)
    return fx is not None and fy is not None and math.isclose(fx, fy, rel_tol=_RTOL, abs_tol=_ATOL)


def _as_float(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _first_difference(a: Path, b: Path) -> str:
    if a.suffix not in (".csv", ".json", ".md", ".html"):
        return ""
    la = a.read_text(encoding="utf-8", errors="replace").splitlines()
    lb = b.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, (x, y) in enumerate(zip(la, lb), start=1):
        if x != y:
            return f" (first at line {i})"
    return f" (line count {len(la)} vs {len(lb)})"

"""Command-line front end: ``salesgxe <command>`` (also ``python -m analysis``).

Only argparse is imported at start-up; each command imports what it needs when
it runs, so ``salesgxe probe --help`` answers at once.  A problem with the
user's input (:class:`analysis._errors.InputError`) is printed as one line on
stderr with exit code 2 and no traceback.

Adding a command: write ``_add_<name>(sub) -> parser`` (with an example in the
epilog) and ``_run_<name>(args) -> int``, and list the pair in ``COMMANDS``.
"""
from __future__ import annotations

import argparse
import json
import sys

EXIT_INPUT = 2
_FMT = argparse.RawDescriptionHelpFormatter


def _add_reader_options(p: argparse.ArgumentParser) -> None:
    """Options every command that reads a data file shares."""
    p.add_argument("--sheet", default=None, help="sheet name or index for .xlsx files")
    p.add_argument("--decimal", default=None, help="decimal separator for text files, e.g. ','")
    p.add_argument("--encoding", default=None, help="text encoding (default: detected)")
    p.add_argument("--header-row", type=int, default=None, metavar="N",
                   help="text/xlsx: the column names are on row N (default 1, or as a "
                        "recognised Qualtrics export needs)")
    p.add_argument("--skip-rows", type=int, default=None, metavar="N",
                   help="text/xlsx: N rows after the header are not data (e.g. question "
                        "texts; the first supplies column labels)")


def _reader_options(args) -> dict:
    return {"sheet": args.sheet, "decimal": args.decimal, "encoding": args.encoding,
            "header_row": args.header_row, "skip_rows": args.skip_rows}


def _reference_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--reference", action="append", default=[], metavar="COLUMN=VALUE",
                   help=f"for a two-valued text {what}, the value coded 0 (repeatable). Text is "
                        "never coded alphabetically: recognised carrier labels (carrier/"
                        "non-carrier, 7R+/7R-, A1 carrier/A2/A2) code the carrier as 1; any "
                        "other two-valued text needs this")


def _parse_reference(items) -> dict:
    from ._errors import InputError
    reference = {}
    for item in items:
        column, sep, level = item.partition("=")
        if not sep or not column.strip():
            raise InputError(f"--reference needs COLUMN=VALUE, got {item!r}")
        reference[column.strip()] = level.strip()
    return reference


def _covariates_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--covariates", default="codebook", metavar="codebook|none|A,B,...",
                   help="covariates entered in every model of both studies: the codebook's "
                        "(default), none, or some of them by name")


def _read_dataset(args):
    from .io.readers import read_data
    return read_data(args.data, **_reader_options(args))


def _float_list(text: str) -> list[float]:
    try:
        return [float(part) for part in _csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _add_multiverse_options(p: argparse.ArgumentParser) -> None:
    """replicate / analyze: the multiverse section of the report (analysis.study.multiverse)."""
    p.add_argument("--multiverse-draws", type=int, default=None, metavar="N",
                   help="null draws of the multiverse joint test (default: multiverse.draws of "
                        "the config, 500; 0 = curves without the joint test)")
    p.add_argument("--no-multiverse", action="store_true",
                   help="leave the multiverse section (specification curves) out of the report")


def _multiverse_args(args) -> dict:
    from ._errors import InputError
    if args.multiverse_draws is not None and args.multiverse_draws < 0:
        raise InputError(f"--multiverse-draws must be 0 or more, got {args.multiverse_draws}")
    return {"multiverse": not args.no_multiverse, "multiverse_draws": args.multiverse_draws}


def _add_bootstrap_option(p: argparse.ArgumentParser) -> None:
    """replicate / analyze: resamples of the Study 2 bootstrap table."""
    p.add_argument("--bootstrap", type=int, default=None, metavar="N",
                   help="case-bootstrap resamples per model of the Study 2 bootstrap table "
                        "(default: bootstrap.n_boot of the config, 5000; at least 100, or 0 "
                        "to leave the table out). Its time grows with rows x resamples: lower "
                        "it for very large samples, where Wald and bootstrap intervals agree")


def _bootstrap_args(args) -> dict:
    from ._errors import InputError
    if args.bootstrap is not None and not (args.bootstrap == 0 or args.bootstrap >= 100):
        raise InputError(f"--bootstrap must be 0 (no bootstrap table) or at least 100 "
                         f"resamples, got {args.bootstrap}")
    return {"n_boot": args.bootstrap}


# ----------------------------------------------------------------------- probe
def _add_probe(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "probe", formatter_class=_FMT,
        help="moderation analysis (PROCESS Model 1) of any data file",
        description="Fit Y = b0 + b1 X + b2 W + b3 XW (+ covariates) by OLS and probe the "
                    "interaction: coefficients, R2 change, conditional effects of X at values "
                    "of W, and the Johnson-Neyman region.",
        epilog="example:\n  salesgxe probe data/examples/probe_example.csv --outcome CO "
               "--focal avoidant --moderator drd4_7r --reference drd4_7r=non-carrier --se HC3\n"
               "  salesgxe probe survey.csv --outcome y --focal x --moderator w "
               "--covariates age,sex --json\n"
               "  salesgxe probe survey.csv -y CO -x avoidant -w drd4_7r --cluster company "
               "--wild-bootstrap 9999 --seed 1\n"
               "  salesgxe probe survey.csv -y CO -x avoidant -w drd4_7r --weights w_design\n"
               "  salesgxe probe survey.csv -y CO -x avoidant -w drd2 --genotype drd2=genotype "
               "--reference drd2=A2/A2\n"
               "  salesgxe probe survey.csv -y CO -x drd4_7r -w avoidant -z anxious --model 3 "
               "--region-plot region.png\n"
               "  salesgxe probe survey.csv -y CO -x drd4_7r -w avoidant --check-linearity "
               "--linearity-plot linearity.png\n"
               "  salesgxe probe survey.csv -y CO -x avoidant -w drd4_7r --plot probe_figures "
               "--table docx --table-out tables.docx --standardized")
    p.add_argument("data", help="data file (.csv, .tsv, .txt, .xlsx, .sav, .zsav, .dta, .parquet)")
    p.add_argument("--outcome", "-y", required=True, help="outcome column Y")
    p.add_argument("--focal", "-x", required=True, help="focal predictor column X")
    p.add_argument("--moderator", "-w", required=True, help="moderator column W")
    p.add_argument("--moderator2", "-z", default=None,
                   help="second moderator Z (with --model 2: X*W + X*Z, or --model 3: X*W*Z)")
    p.add_argument("--model", type=int, default=None, choices=[1, 2, 3],
                   help="PROCESS model number (2 or 3 with --moderator2; default 1)")
    p.add_argument("--at2", type=_float_list, default=None, metavar="Z1,Z2,...",
                   help="values of the second moderator to probe instead of the defaults")
    p.add_argument("--region-plot", default=None, metavar="FILE",
                   help="Models 2/3: write the significance region of X over (W, Z) "
                        "(.png, .pdf or .svg)")
    p.add_argument("--plot", default=None, metavar="DIR",
                   help="Model 1: write the simple-slopes figure (binned means of the data, each "
                        "bin >= --min-group-size people) and the Johnson-Neyman figures in both "
                        "orientations (one per contrast of a multicategorical variable; PNG + "
                        "SVG), their data as CSV and a manifest into DIR")
    p.add_argument("--table", default=None, metavar="docx|tex|md",
                   help="Model 1: write the APA tables of the model (regression, conditional "
                        "effects, JN bounds) as Word, LaTeX or Markdown")
    p.add_argument("--table-out", default=None, metavar="FILE",
                   help="file of --table (default: probe_tables.<format> in the current folder; "
                        "its suffix alone also selects the format)")
    p.add_argument("--standardized", action="store_true",
                   help="add standardized coefficients to --table (every variable z-scored "
                        "before the product is formed)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --region-plot / --linearity-plot / --table-out file "
                        "or --plot folder")
    p.add_argument("--covariates", type=_csv_list, default=[], help="comma-separated covariate columns")
    p.add_argument("--se", default=None,
                   choices=["ols", "HC0", "HC1", "HC2", "HC3", "HC4", "CR1", "CR2"],
                   help="covariance for every test, effect and JN boundary (default: ols; CR2 "
                        "with --cluster; HC3 with --weights)")
    p.add_argument("--cluster", default=None, metavar="COLUMN",
                   help="cluster column (company, team): cluster-robust CR2 (Satterthwaite df) "
                        "or CR1 (G - 1 df) standard errors")
    p.add_argument("--weights", default=None, metavar="COLUMN",
                   help="sampling-weight column: weighted least squares, weighted probe values, "
                        "robust (HC3) standard errors by default, Kish effective N")
    p.add_argument("--wild-bootstrap", type=int, default=0, metavar="B",
                   help="wild cluster bootstrap p values for the interaction and the "
                        "conditional effects (needs --cluster), e.g. 9999")
    p.add_argument("--wild-weights", default="rademacher", choices=["rademacher", "webb"],
                   help="cluster weights of the wild bootstrap (webb for < 12 clusters)")
    p.add_argument("--wild-no-null", action="store_true",
                   help="do not impose the null in the wild bootstrap (adds bootstrap-t intervals)")
    p.add_argument("--linear-probability", action="store_true",
                   help="accept a two-valued outcome and fit it by OLS anyway (HC3 by default), "
                        "labelled as a linear probability model")
    p.add_argument("--alpha", type=float, default=0.05, help="two-sided level (default 0.05)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="B",
                   help="add percentile and BCa bootstrap intervals (B resamples, e.g. 5000)")
    p.add_argument("--seed", type=int, default=None, help="seed of the bootstrap")
    p.add_argument("--at", type=_float_list, default=None, metavar="W1,W2,...",
                   help="moderator values to probe instead of the defaults (PROCESS wmodval)")
    p.add_argument("--center", default="none", choices=["none", "all", "continuous"],
                   help="mean-centre X and W (all) or the non-binary ones (continuous) for the "
                        "coefficient table, as PROCESS center=1/2 (default: none)")
    p.add_argument("--jn-fdr", action="store_true",
                   help="Johnson-Neyman with the FDR-controlled critical t (Esarey & Sumner 2018)")
    _reference_option(p, "column (a multicategorical one: the reference group)")
    p.add_argument("--categorical", type=_csv_list, default=[], metavar="VAR[,VAR]",
                   help="treat the numeric codes of the focal predictor or moderator as groups "
                        "(a text column with 3-10 levels is multicategorical anyway)")
    p.add_argument("--genotype", action="append", default=[], metavar="VAR=CODING",
                   help="parse a genotype column (DRD2/DRD4 notation) as genotype (three groups), "
                        "carrier (0/1) or additive (0/1/2)")
    p.add_argument("--coding", default="indicator", choices=["indicator", "effect"],
                   help="coding of a multicategorical variable (default: indicator)")
    p.add_argument("--min-group-size", type=int, default=None, metavar="N",
                   help="rows each group of a multicategorical variable needs, and each bin "
                        "of --check-linearity (default 5; 10 for a genotype); with --plot, the "
                        "smallest bin and group drawn (default 10)")
    _add_reader_options(p)
    p.add_argument("--susceptibility", action="store_true",
                   help="differential susceptibility vs diathesis-stress: Roisman et al. (2012) "
                        "PoI/PA and the Widaman/Belsky model comparison (the binary one of "
                        "focal/moderator is the genotype, the other the environment)")
    p.add_argument("--susceptible", type=int, default=1, choices=[0, 1],
                   help="genotype code of the putatively susceptible group (default 1)")
    p.add_argument("--favourable", default="high", choices=["high", "low"],
                   help="which end of the environment is favourable (default high)")
    p.add_argument("--ds-range", default="observed", choices=["observed", "2sd"],
                   help="range whose bounds fix the diathesis-stress crossover (default observed)")
    _add_linearity_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _add_linearity_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check-linearity", action="store_true",
                   help="check the linear interaction: the binning estimator of Hainmueller, "
                        "Mummolo & Xu (2019), a Wald test against the linear model, a W^2 and "
                        "X*W^2 sensitivity refit and common-support flags")
    p.add_argument("--bins", type=int, default=3, metavar="K",
                   help="--check-linearity: number of quantile bins of the moderator (default 3)")
    p.add_argument("--bin-edges", type=_float_list, default=None, metavar="C1,C2,...",
                   help="--check-linearity: interior cut points of the moderator instead of "
                        "quantile bins")
    p.add_argument("--linearity-plot", default=None, metavar="FILE",
                   help="--check-linearity: write the figure (linear effect line with band and "
                        "binned effects) to FILE (.png, .pdf or .svg; --force to replace)")


def _check_linearity(args, data, res, reference):
    """``--check-linearity``: the binning-estimator check on the probe's variables."""
    from ._errors import InputError
    from .stats.linearity import check_linearity
    if getattr(res, "moderator_binary", None) is None:
        raise InputError("--check-linearity needs Model 1 with a numeric focal predictor and "
                         "moderator (not a multicategorical variable or a second moderator)")
    return check_linearity(data, outcome=args.outcome, focal=args.focal,
                           moderator=args.moderator, covariates=args.covariates, se=res.se_type,
                           alpha=args.alpha, bins=args.bins, bin_edges=args.bin_edges,
                           min_group_size=args.min_group_size, cluster=args.cluster,
                           weights=args.weights, reference=reference,
                           linear_probability=args.linear_probability,
                           categorical=args.categorical, genotype=_genotype_option(args),
                           file=args.data)


def _linearity_plot_target(args):
    """Check ``--linearity-plot FILE`` before the work (suffix, no overwrite without --force)."""
    import os

    from ._errors import InputError
    from .safe_output import check_file
    if args.linearity_plot is None:
        return None
    if not args.check_linearity:
        raise InputError("--linearity-plot needs --check-linearity")
    suffix = os.path.splitext(args.linearity_plot)[1].lower()
    if suffix not in {".png", ".pdf", ".svg"}:
        raise InputError("--linearity-plot must end in .png, .pdf or .svg",
                         file=args.linearity_plot)
    check_file(args.linearity_plot, force=args.force, inputs=[args.data])
    return suffix[1:]


def _write_linearity_plot(chk, args, fmt: str) -> None:
    from .render.plots import figure_bytes, linearity_figure
    from .safe_output import write_file
    fig = linearity_figure(chk.line, chk.bins, focal=chk.focal, moderator=chk.moderator,
                           outcome=chk.outcome, alpha=chk.alpha)
    write_file(args.linearity_plot, figure_bytes(fig, fmt), force=args.force, inputs=[args.data])
    _say(f"linearity figure written to {args.linearity_plot}", file=sys.stderr)


def _genotype_option(args) -> dict:
    """``--genotype VAR=CODING`` items as ``{VAR: CODING}``."""
    from ._errors import InputError
    genotype = {}
    for item in args.genotype:
        column, sep, coding = item.partition("=")
        if not sep:
            raise InputError(f"--genotype needs VAR=genotype|carrier|additive, got {item!r}")
        genotype[column.strip()] = coding.strip()
    return genotype


def _run_probe(args) -> int:
    from .stats.moderation import probe
    from ._errors import InputError
    reference = _parse_reference(args.reference)
    genotype = _genotype_option(args)
    plot_format = _linearity_plot_target(args)
    if not args.check_linearity and (args.bins != 3 or args.bin_edges is not None):
        raise InputError("--bins and --bin-edges need --check-linearity")
    outputs = _check_probe_outputs(args)
    data = _read_dataset(args).frame
    res = probe(data, outcome=args.outcome, focal=args.focal, moderator=args.moderator,
                covariates=args.covariates, se=args.se, alpha=args.alpha,
                reference=reference, jn_fdr=args.jn_fdr, bootstrap=args.bootstrap,
                seed=args.seed, center=args.center, at=args.at, cluster=args.cluster,
                weights=args.weights, wild_bootstrap=args.wild_bootstrap,
                wild_weights=args.wild_weights, wild_null=not args.wild_no_null,
                categorical=args.categorical, genotype=genotype, coding=args.coding,
                min_group_size=args.min_group_size, moderator2=args.moderator2, model=args.model,
                at2=args.at2, linear_probability=args.linear_probability, file=args.data)
    if args.region_plot:
        _write_region_plot(res, args.region_plot, args.force)
    lin = _check_linearity(args, data, res, reference) if args.check_linearity else None
    _write_probe_outputs(args, outputs, res, data, genotype, lin)
    sus = _susceptibility(args, data, res, reference) if args.susceptibility else None
    if plot_format is not None:
        _write_linearity_plot(lin, args, plot_format)
    if args.json:
        out = res.to_dict()
        if sus is not None:
            out["susceptibility"] = sus.to_dict()
        if lin is not None:
            out["linearity"] = lin.to_dict()
        _print_json(out)
    else:
        _say(res.summary())                           # column names and levels are user text
        if sus is not None:
            _say(_susceptibility_text(sus))
        if lin is not None:
            _say(lin.summary())
    return 0


def _check_probe_outputs(args) -> dict:
    """``--plot`` / ``--table`` checked before the work: the format, and the targets
    (:func:`analysis.safe_output.check_folder` / ``check_file``: no overwrite without
    ``--force``, only folders this package wrote, the input never inside)."""
    import os

    from ._errors import InputError
    from .render.probe_outputs import TABLE_FORMATS
    from .safe_output import check_file, check_folder
    fmt, path = args.table, args.table_out
    if fmt is None and path is not None:
        fmt = os.path.splitext(path)[1].lower().lstrip(".")
        if fmt not in TABLE_FORMATS:
            raise InputError(f"--table-out must end in {', '.join('.' + f for f in TABLE_FORMATS)}"
                             " (or give --table)", file=path)
    if fmt is not None:
        fmt = fmt.strip().lower()
        if fmt not in TABLE_FORMATS:
            raise InputError(f"--table must be one of {', '.join(TABLE_FORMATS)}, got "
                             f"{args.table!r}")
        path = path or f"probe_tables.{fmt}"
        if os.path.splitext(path)[1].lower() != f".{fmt}":
            raise InputError(f"--table {fmt} writes a .{fmt} file", file=path)
        check_file(path, force=args.force, inputs=[args.data])
    elif args.standardized:
        raise InputError("--standardized adds standardized coefficients to --table; give --table")
    if args.standardized and args.weights:
        raise InputError("--standardized is not available with --weights (the z-scores and "
                         "the refit would be unweighted)")
    if args.plot is not None:
        check_folder(args.plot, force=args.force, inputs=[args.data])
    if (args.plot or fmt) and (args.moderator2 or (args.model or 1) > 1):
        raise InputError("--plot and --table draw Model 1; for Models 2/3 use --region-plot")
    return {"fmt": fmt, "table": path, "plot": args.plot}


def _write_probe_outputs(args, outputs: dict, res, data, genotype: dict, lin=None) -> None:
    """Tables rendered first (every check of theirs before anything is written), then the
    figure folder (with the linearity check's figure and tables when it ran), then the
    table file."""
    from .render.probe_outputs import write_probe_plots, write_probe_tables
    from .safe_output import relative_command, write_file
    common = {"genotype": genotype, "categorical": args.categorical, "file": args.data}
    content = None
    if outputs["table"]:
        content = write_probe_tables(res, outputs["fmt"], data=data,
                                     standardized=args.standardized, **common)
    if outputs["plot"]:
        write_probe_plots(res, data, outputs["plot"], min_group_size=args.min_group_size or 10,
                          jn_fdr=args.jn_fdr, meta={"command": relative_command()},
                          inputs=[args.data], force=args.force, linearity=lin, **common)
        _say(f"probe figures written to {outputs['plot']}", file=sys.stderr)
    if content is not None:
        write_file(outputs["table"], content, force=args.force, inputs=[args.data])
        _say(f"probe tables written to {outputs['table']}", file=sys.stderr)


def _write_region_plot(res, path: str, force: bool) -> None:
    """The 2-D significance-region figure, written atomically; never over an existing
    file without ``--force``."""
    import os
    import tempfile

    from ._errors import InputError
    if getattr(res, "model", 1) not in (2, 3):
        raise InputError("--region-plot needs two moderators (--moderator2 Z --model 2|3)")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in {".png", ".pdf", ".svg"}:
        raise InputError("--region-plot must end in .png, .pdf or .svg", file=path)
    if os.path.exists(path) and not force:
        raise InputError("exists already; use --force to replace it", file=path)
    from .stats.twomoderators import significance_region_figure
    fig = significance_region_figure(res)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".region-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format=suffix[1:], dpi=150, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _say(f"significance region written to {path}", file=sys.stderr)


def _susceptibility(args, data, res, reference):
    """The differential-susceptibility analysis on the probe's variables: the binary one
    of focal / moderator is the genotype, the other the environment."""
    from ._errors import InputError
    from .study.susceptibility import susceptibility
    if args.weights or args.cluster:
        raise InputError("--susceptibility fits unweighted OLS models with independent errors; "
                         "it cannot be combined with --weights or --cluster")
    if getattr(res, "moderator_binary", None) is None:
        raise InputError("--susceptibility needs Model 1 with a two-valued genotype (not a "
                         "multicategorical variable or a second moderator)")
    gene = args.moderator if res.moderator_binary else args.focal
    env = args.focal if gene == args.moderator else args.moderator
    return susceptibility(data, outcome=args.outcome, gene=gene, moderator=env,
                          covariates=args.covariates, susceptible=args.susceptible,
                          favourable=args.favourable, range_rule=args.ds_range, alpha=args.alpha,
                          reference=reference, file=args.data)


def _susceptibility_text(sus) -> str:
    """Plain-text block: the seven models, Roisman's indices, one summary sentence."""
    cols = ["label", "crossover", "crossover_conf_low", "crossover_conf_high", "n_params", "aic",
            "bic", "f_vs_full", "p_vs_full"]
    models = sus.models.to_frame()[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}",
                                                    na_rep="")
    idx = sus.indices.frame[["range_words", "range_low", "range_high", "beyond_observed",
                             "poi_right", "both_sides"]].to_string(
        index=False, float_format=lambda v: f"{v:.4g}")
    return (f"\nDifferential susceptibility vs diathesis-stress (Widaman et al. 2012; Belsky, "
            f"Pluess & Widaman 2013); susceptible group: {sus.models.susceptible}\n{models}\n\n"
            f"Roisman et al. (2012): PA (share above C; definition unverified) = "
            f"{sus.indices.pa:.3f}\n{idx}\n\n{sus.summary()}")


# ------------------------------------------------------------------- replicate
def _add_replicate(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "replicate", formatter_class=_FMT,
        help="reproduce the study's analysis on simulated data and write the report",
        description="Simulate Study 1 and Study 2 from the assumptions in the config, save the "
                    "raw exports under data/simulated/, analyse them through the same path as a "
                    "user's survey, judge the eight published claims and write the report "
                    "(index.html, report.md, scorecard.json/csv, tables/, figures/, manifest.json).",
        epilog="example:\n  salesgxe replicate --out reports/replication --force\n"
               "  salesgxe replicate --out /tmp/rep --sims 2000")
    p.add_argument("--out", default=None, help="report folder (default: reports/replication)")
    p.add_argument("--config", default=None, help="simulation config (default: data/simulation.yaml)")
    p.add_argument("--data-dir", default=None, help="where the simulated exports go "
                   "(default: data/simulated)")
    p.add_argument("--sims", type=int, default=None,
                   help="simulated studies per replication probability (default: from the config)")
    p.add_argument("--jobs", type=int, default=1,
                   help="local processes for the replication simulations (same numbers for any value)")
    _covariates_option(p)
    _add_multiverse_options(p)
    _add_bootstrap_option(p)
    p.add_argument("--original", default=None, metavar="FILE",
                   help="original study's estimates (YAML, see data/original_estimates.yaml): "
                        "adds replication metrics per claim")
    p.add_argument("--force", action="store_true", help="replace an existing report folder")
    return p


def _run_replicate(args) -> int:
    from . import paths
    from .pipeline import replicate
    out = replicate(args.out or paths.REPLICATION_REPORT, config_path=args.config or paths.CONFIG,
                    data_dir=args.data_dir or paths.SIMULATED, force=args.force,
                    replication_sims=args.sims, command=_command(args), n_jobs=args.jobs,
                    covariates=_covariates_value(args.covariates), original=args.original,
                    **_multiverse_args(args), **_bootstrap_args(args))
    _say(f"report written to {out}")
    return 0


def _covariates_value(text: str):
    return text if text in ("codebook", "none") else _csv_list(text)


def _command(args) -> str:
    """The command line as recorded in the manifest (absolute paths made relative or reduced
    to file names: a manifest does not reveal where a user keeps their data)."""
    from .safe_output import relative_command
    return relative_command() if args is not None else "salesgxe"


# --------------------------------------------------------------------- analyze
def _add_analyze(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "analyze", formatter_class=_FMT,
        help="run the full replication analysis and scorecard on your own survey data",
        description="Validate DATA against the codebook, score the scales, code the genotypes, fit "
                    "the Study 1 and Study 2 model families, judge the eight published claims on "
                    "your data and write the same report as `make replicate`; hypotheses of your "
                    "own listed under models: in the codebook are fitted and judged by the same "
                    "rules and reported beside the claims.",
        epilog="example:\n  salesgxe analyze data/examples/survey.sav "
               "--codebook data/examples/codebook.yaml --out reports/my_survey")
    p.add_argument("data", help="data file (.csv, .tsv, .xlsx, .sav, .zsav, .dta, .parquet)")
    p.add_argument("--codebook", required=True, help="codebook YAML (start with init-codebook)")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--config", default=None, help="assumptions for replication probabilities "
                   "(default: data/simulation.yaml)")
    p.add_argument("--se", default="ols", choices=["ols", "HC0", "HC1", "HC2", "HC3", "HC4"])
    _covariates_option(p)
    p.add_argument("--keller", action="store_true",
                   help="add covariate x gene and covariate x style terms (Keller 2014) on top "
                        "of the covariates")
    _reference_option(p, "covariate")
    p.add_argument("--sims", type=int, default=None,
                   help="simulated studies for the power of your design to reproduce each claim "
                        "under the assumed effects (default 400, Monte Carlo SE <= 0.025 shown; "
                        "0 to skip)")
    p.add_argument("--jobs", type=int, default=1,
                   help="local processes for the replication simulations (same numbers for any value)")
    _add_multiverse_options(p)
    _add_bootstrap_option(p)
    _add_reader_options(p)
    p.add_argument("--original", default=None, metavar="FILE",
                   help="original study's estimates (YAML, see data/original_estimates.yaml): "
                        "adds replication metrics per claim")
    p.add_argument("--export-scored", default=None, metavar="FILE",
                   help="also write the scored analysis frame (scale scores, genotype codings, "
                        "covariates; no ids) to FILE (.csv or .parquet) for `probe` or other "
                        "software. It holds ROW-LEVEL GENETIC DATA: never inside the report "
                        "folder, never in the report; a notice says so on stderr")
    p.add_argument("--force", action="store_true",
                   help="replace an existing report folder (and --export-scored file)")
    return p


def _run_analyze(args) -> int:
    from . import paths
    from .pipeline import analyze
    out = analyze(args.data, args.codebook, args.out, config_path=args.config or paths.CONFIG,
                  force=args.force, se=args.se, keller=args.keller,
                  covariates=_covariates_value(args.covariates),
                  reference=_parse_reference(args.reference), **_reader_options(args),
                  replication_sims=args.sims,
                  command=_command(args), n_jobs=args.jobs, original=args.original,
                  export_scored=args.export_scored, **_multiverse_args(args),
                  **_bootstrap_args(args))
    _say(f"report written to {out}")
    if args.export_scored:
        _say(f"scored data written to {args.export_scored}")
    return 0


# -------------------------------------------------------------------- validate
def _add_validate(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "validate", formatter_class=_FMT,
        help="check a data file against its codebook: every problem in one pass",
        description="Report all problems at once, each naming file, column and rows: errors "
                    "(the analysis cannot run; exit code 2) and warnings (it can). Genotype "
                    "and id values are never shown, only row numbers.",
        epilog="example:\n  salesgxe validate data/examples/survey.sav "
               "--codebook data/examples/codebook.yaml")
    p.add_argument("data", help="data file")
    p.add_argument("--codebook", required=True, help="codebook YAML")
    _reference_option(p, "covariate")
    _add_reader_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _run_validate(args) -> int:
    from .io.codebook import Codebook
    from .io.validate import validate
    book = Codebook.load(args.codebook)
    if args.reference:
        book = book.with_reference(_parse_reference(args.reference))
    report = validate(_read_dataset(args), book)
    if args.json:
        _print_json(report.to_dict())
    else:
        _say(report.summary())
    return 0 if report.ok else EXIT_INPUT


# --------------------------------------------------------------- init-codebook
def _add_init_codebook(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "init-codebook", formatter_class=_FMT,
        help="write a commented starting codebook guessed from a data file",
        description="Guess the id column, item groups (CO, SO, secure, anxious, avoidant), "
                    "response ranges, reverse-keyed items, genotype columns, missing codes and "
                    "covariates. Every guess is marked '# guessed: check': edit, then validate.",
        epilog="example:\n  salesgxe init-codebook data/examples/survey.sav --out my_codebook.yaml")
    p.add_argument("data", help="data file")
    p.add_argument("--out", default=None, help="codebook file to write (default: print it)")
    _add_reader_options(p)
    p.add_argument("--force", action="store_true", help="overwrite an existing codebook file")
    return p


def _run_init_codebook(args) -> int:
    from .io.codebook import init_codebook
    from .safe_output import check_file, write_file
    if args.out is not None:
        check_file(args.out, force=args.force, inputs=[args.data])
    text = init_codebook(_read_dataset(args))
    if args.out is None:
        sys.stdout.write(_terminal(text))
        return 0
    write_file(args.out, text, force=args.force, inputs=[args.data])
    _say(f"codebook written to {args.out}: edit the '# guessed: check' lines, then run "
         f"salesgxe validate {args.data} --codebook {args.out}", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------- power
def _add_power(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "power", formatter_class=_FMT,
        help="power of the gene x attachment tests and of each claim over sample sizes",
        description="Simulate studies of the configured design at each sample size, fit the "
                    "Study 1 and Study 2 models in batches and report, per N, the power of the "
                    "12 interaction tests and the share of studies reproducing each claim, with "
                    "Monte Carlo intervals, type S/M errors and the smallest N reaching 80% and "
                    "90%. Effect sizes are assumptions (config or --effect), never the "
                    "article's numbers.",
        epilog="example:\n  salesgxe power --n 50,100,...,1000 --reps 2000 --out reports/power\n"
               "  salesgxe power --n 100,200,400 --effect drd4_x_avoidant=0.3 --targets "
               "S2b,CO:DRD4_x_avoidant --jobs 2 --json\n"
               "  salesgxe power --scheduler tcp://127.0.0.1:8786\n"
               "effect keys (--effect KEY=VALUE, repeatable):\n"
               "  TERM | CO.TERM | SO.TERM | study1.CO.TERM   coefficient of a config term, e.g.\n"
               "      drd4_7r_x_avoidant (alias drd4_x_avoidant), drd2_a2a2_x_avoidant; units:\n"
               "      latent residual SD per SD of latent attachment (bare TERM = Study 2, CO)\n"
               "  drd4_7r_carrier, drd2_a1_carrier              carrier shares (0-1)\n"
               "  reliability, reliability.SCALE                score reliability (0-1)")
    p.add_argument("--config", default=None, help="simulation config (default: data/simulation.yaml)")
    p.add_argument("--n", default=None, metavar="N,N,...",
                   help="sample sizes, e.g. 100,200,400 or 50,100,...,1000 "
                        "(default: power.n_grid of the config)")
    p.add_argument("--reps", type=int, default=None,
                   help="simulated studies per sample size (default: power.n_sims of the config)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: meta.seed of the config)")
    p.add_argument("--targets", type=_csv_list, default=None,
                   help="claim ids and/or interactions, e.g. S2a,S2b,CO:DRD4_x_avoidant")
    p.add_argument("--effect", action="append", default=[], metavar="KEY=VALUE",
                   help="override an assumed effect (repeatable; keys below)")
    p.add_argument("--se", default="ols", choices=["ols", "HC0", "HC1", "HC2", "HC3", "HC4"],
                   help="covariance for every test (default: ols)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (-1 = all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--out", default=None, help="folder for power.csv/json, min_n.json and the figure")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _run_power(args) -> int:
    from .study.config import load_config
    from .simulation.power import parse_effects, parse_n_grid, power_curve, summary, write_power_outputs
    from .safe_output import check_folder
    if args.out:
        check_folder(args.out, force=args.force, inputs=[args.config] if args.config else [])
    config = load_config(args.config) if args.config else load_config()
    result = power_curve(config, n_grid=None if args.n is None else parse_n_grid(args.n),
                         reps=args.reps, seed=args.seed, effects=parse_effects(args.effect),
                         se=args.se, targets=args.targets, n_jobs=args.jobs,
                         scheduler=args.scheduler, progress=False if args.json else None)
    written = (write_power_outputs(result, args.out, force=args.force, command=_command(args))
               if args.out else {})
    if args.json:
        _print_json({**result.to_dict(), "outputs": {k: str(v) for k, v in written.items()}})
        return 0
    _say(summary(result))
    if written:
        _say(f"power table and figure written to {args.out}")
    return 0


# -------------------------------------------------------------------- simulate
def _add_simulate(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "simulate", formatter_class=_FMT,
        help="write simulated Study 1 and Study 2 exports (the DGP of the config) at any N",
        description="Simulate both studies from the assumptions in the config and write "
                    "study1.csv / study2.csv with their data dictionaries and codebooks (the "
                    "format of data/simulated/). At a large N the analysis recovers the DGP's "
                    "truth, every asserted null included. Every number is an assumption.",
        epilog="example:\n  salesgxe simulate --n 200000 --seed 1 --out /tmp/big\n"
               "  salesgxe analyze /tmp/big/study2.csv --codebook /tmp/big/study2_codebook.yaml "
               "--out /tmp/big_report --sims 0")
    p.add_argument("--n", type=int, default=None,
                   help="respondents per study (default: study1.n / study2.n of the config)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: meta.seed of the config)")
    p.add_argument("--out", required=True, help="folder for the exports")
    p.add_argument("--config", default=None, help="simulation config (default: data/simulation.yaml)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder, "
                   "replacing the exports there")
    return p


def _run_simulate(args) -> int:
    from . import paths
    from ._errors import InputError
    from .pipeline import simulate_exports
    if args.n is not None and args.n < 10:
        raise InputError(f"--n must be at least 10, got {args.n}")
    written = simulate_exports(args.out, n=args.n, seed=args.seed, force=args.force,
                               config_path=args.config or paths.CONFIG)
    for study, files in written.items():
        print(f"{study}: {files['data']} (+ dictionary, codebook)")
    return 0


# ------------------------------------------------------------------ machinery
# ------------------------------------------------------------------ multiverse
def _add_multiverse(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "multiverse", formatter_class=_FMT,
        help="every defensible analysis of each claim: specification curves and joint tests",
        description="Fit every specification of each published claim (genotype coding x "
                    "scoring x covariates x SE type x outlier rule x sample rule ...; the "
                    "codebook's own 'multiverse:' section, else the default grid of the "
                    "config), draw the specification curves and run the joint test of "
                    "Simonsohn, Simmons & Nelson (2020) with null-imposed bootstrap draws.",
        epilog="example:\n  salesgxe multiverse data/examples/survey.sav "
               "--codebook data/examples/codebook.yaml --out reports/multiverse\n"
               "  salesgxe multiverse survey.csv --codebook cb.yaml --out mv --claims S2b "
               "--draws 1000 --scheduler tcp://127.0.0.1:8786")
    p.add_argument("data", help="data file (.csv, .tsv, .xlsx, .sav, .zsav, .dta, .parquet)")
    p.add_argument("--codebook", required=True, help="YAML codebook (may hold a multiverse: section)")
    p.add_argument("--out", required=True, help="output folder (tables, figures, summary)")
    p.add_argument("--config", default=None, help="simulation config (default: data/simulation.yaml)")
    p.add_argument("--claims", type=_csv_list, default=None, help="claim ids, e.g. S2a,S2b (default: all)")
    p.add_argument("--draws", type=int, default=None,
                   help="null draws of the joint test (default: multiverse.draws, 500)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: meta.seed of the config)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (same numbers)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://host:8786 (same numbers)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    _add_reader_options(p)
    return p


def _run_multiverse(args) -> int:
    from pathlib import Path

    from ._errors import InputError
    from .study.multiverse import run_files, summary_text, write_folder
    from .render.report import check_target
    from .sanitize import sanitize_terminal
    if args.draws is not None and args.draws < 0:
        raise InputError(f"--draws must be 0 or more, got {args.draws}")
    inputs = [p for p in (args.data, args.codebook, args.config) if p]
    check_target(Path(args.out), args.force, inputs=inputs)
    result = run_files(args.data, args.codebook, config_path=args.config, draws=args.draws,
                       seed=args.seed, n_jobs=args.jobs, scheduler=args.scheduler,
                       progress=False if args.json else None, claims=args.claims,
                       **_reader_options(args))
    note = (f"Data: {Path(args.data).name}. Specifications from "
            + ("the codebook's multiverse section." if result.grid.user_defined
               else "the default grid (data/simulation.yaml)."))
    meta = {"command": _command(args), "seed": result.seed, "draws": result.draws,
            "null_method": result.null_method, "data": Path(args.data).name}
    write_folder(result, args.out, force=args.force, meta=meta, note=note, inputs=inputs)
    if args.json:
        _print_json(result.to_dict())
        return 0
    for line in summary_text(result):
        print(sanitize_terminal(line))
    print(f"multiverse written to {args.out}")
    return 0


COMMANDS = [
    (_add_replicate, _run_replicate),
    (_add_probe, _run_probe),
    (_add_analyze, _run_analyze),
    (_add_validate, _run_validate),
    (_add_init_codebook, _run_init_codebook),
    (_add_power, _run_power),
    (_add_simulate, _run_simulate),
    (_add_multiverse, _run_multiverse),
]


def _terminal(text: str, *, one_line: bool = False) -> str:
    """Text for a terminal: escape sequences and control characters from column names,
    file names or codebook text removed (:func:`analysis.sanitize.sanitize_terminal`)."""
    from .sanitize import sanitize_terminal
    if one_line:
        text = " ".join(text.splitlines())
    return sanitize_terminal(text, keep_newlines=not one_line)


def _say(text: str, file=None) -> None:
    """``print`` for everything the CLI shows: user text made safe for a terminal."""
    print(_terminal(str(text)), file=sys.stdout if file is None else file)


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, allow_nan=False) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesgxe", formatter_class=_FMT,
        description="Gene x attachment moderation analysis of salespeople: replicate the "
                    "published study, probe interactions, test the claims on your own data.",
        epilog="examples:\n  salesgxe replicate --out reports/replication\n"
               "  salesgxe probe data.csv --outcome CO --focal drd4_7r --moderator avoidant")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"salesgxe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add, run in COMMANDS:
        add(sub).set_defaults(_run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    import os
    # The package does many small matrix products; a multithreaded BLAS makes those
    # 4-10x slower on small machines (measured by analysis.bench). Users can override.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    from ._errors import InputError
    try:
        return int(args._run(args) or 0)
    except InputError as err:
        _say(f"salesgxe {args.command}: error: {_terminal(err.message, one_line=True)}",
             file=sys.stderr)
        return EXIT_INPUT
    except OSError as err:  # unreadable input, unwritable output folder, disk full
        _say(f"salesgxe {args.command}: error: {_terminal(str(err), one_line=True)}",
             file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("salesgxe: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

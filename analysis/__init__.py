"""salesgxe: replication package for a gene x attachment moderation study of salespeople.

The public API is imported lazily so that ``salesgxe --help`` starts fast::

    >>> import analysis
    >>> callable(analysis.probe)
    True
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "probe": "analysis.stats.moderation",
    "ProbeResult": "analysis.stats.moderation",
    "check_linearity": "analysis.stats.linearity",
    "LinearityCheck": "analysis.stats.linearity",
    "conditional_effects": "analysis.stats.probing",
    "johnson_neyman": "analysis.stats.probing",
    "linear_combination": "analysis.stats.probing",
    "fdr_critical_t": "analysis.stats.probing",
    "crossover": "analysis.stats.probing",
    "wald_test": "analysis.stats.probing",
    "fit_ols": "analysis.stats.models",
    "OLSFit": "analysis.stats.models",
    "InputError": "analysis._errors",
    # data in
    "read_data": "analysis.io.readers",
    "Codebook": "analysis.io.codebook",
    "init_codebook": "analysis.io.codebook",
    "validate": "analysis.io.validate",
    "prepare": "analysis.io.validate",
    "score_scale": "analysis.measures.scales",
    "reliability": "analysis.measures.scales",
    "parse_genotypes": "analysis.measures.genotypes",
    "code_genotypes": "analysis.measures.genotypes",
    "hwe_exact": "analysis.measures.genotypes",
    "hwe_test": "analysis.measures.genotypes",
    # the study
    "load_config": "analysis.study.config",
    "simulate_study": "analysis.study.simulate",
    "study1": "analysis.study.families",
    "study2": "analysis.study.families",
    "judge": "analysis.study.claims",
    "CLAIMS": "analysis.study.claims",
    "replicate": "analysis.pipeline",
    "compare_models": "analysis.study.susceptibility",
    "roisman_indices": "analysis.study.susceptibility",
    "load_original_estimates": "analysis.study.replication_metrics",
    "analyze": "analysis.pipeline",
    "scored_data": "analysis.pipeline",
    "fit_own_models": "analysis.study.own_models",
    # speed and power
    "batch_ols": "analysis.stats.fastols",
    "bootstrap_linear": "analysis.stats.bootstrap",
    "power_curve": "analysis.simulation.power",
    "replication_probabilities": "analysis.simulation.power",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__

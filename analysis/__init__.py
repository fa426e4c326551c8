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
    "probe": "analysis.moderation",
    "ProbeResult": "analysis.moderation",
    "check_linearity": "analysis.linearity",
    "LinearityCheck": "analysis.linearity",
    "conditional_effects": "analysis.probing",
    "johnson_neyman": "analysis.probing",
    "linear_combination": "analysis.probing",
    "fdr_critical_t": "analysis.probing",
    "crossover": "analysis.probing",
    "wald_test": "analysis.probing",
    "fit_ols": "analysis.models",
    "OLSFit": "analysis.models",
    "InputError": "analysis._errors",
    # data in
    "read_data": "analysis.io",
    "Codebook": "analysis.codebook",
    "init_codebook": "analysis.codebook",
    "validate": "analysis.validate",
    "prepare": "analysis.validate",
    "score_scale": "analysis.scales",
    "reliability": "analysis.scales",
    "parse_genotypes": "analysis.genotypes",
    "code_genotypes": "analysis.genotypes",
    "hwe_exact": "analysis.genotypes",
    "hwe_test": "analysis.genotypes",
    # the study
    "load_config": "analysis.config",
    "simulate_study": "analysis.simulate",
    "study1": "analysis.families",
    "study2": "analysis.families",
    "judge": "analysis.claims",
    "CLAIMS": "analysis.claims",
    "replicate": "analysis.pipeline",
    "compare_models": "analysis.susceptibility",
    "roisman_indices": "analysis.susceptibility",
    "load_original_estimates": "analysis.replication_metrics",
    "analyze": "analysis.pipeline",
    "scored_data": "analysis.pipeline",
    "fit_own_models": "analysis.own_models",
    # speed and power
    "batch_ols": "analysis.fastols",
    "bootstrap_linear": "analysis.bootstrap",
    "power_curve": "analysis.power",
    "replication_probabilities": "analysis.power",
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

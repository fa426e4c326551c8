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
    "conditional_effects": "analysis.probing",
    "johnson_neyman": "analysis.probing",
    "linear_combination": "analysis.probing",
    "fit_ols": "analysis.models",
    "OLSFit": "analysis.models",
    "InputError": "analysis._errors",
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

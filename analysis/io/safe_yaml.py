"""YAML from users, loaded safely and in bounded time and memory.

``yaml.safe_load`` never runs code, but it does not bound the work: a 478-byte
file of nested aliases ("billion laughs") expands to billions of nodes in
anything that walks the result, 5,000 nested ``[`` exhaust Python's recursion
limit in the composer, and a mapping with the same key twice silently keeps
the last value.  :func:`safe_load` first streams the parser's *events* (a state
machine, no recursion) once, in linear time, and refuses, with one line naming
the file and the line, a document that

* is larger than :data:`MAX_BYTES` (1 MB),
* nests collections deeper than :data:`MAX_DEPTH` (50),
* uses more than :data:`MAX_ALIASES` aliases (``*name``; 100),
* expands (every alias counted as a copy of its anchor) to more than
  :data:`MAX_NODES` nodes (100,000),
* repeats a key in one mapping,

and only then builds the Python object with the safe loader (libyaml's when
installed).  The check stops at the first event past a limit, so a hostile
file costs no more than reading its first offending part.

Examples
--------
>>> safe_load("a: 1\\nb: [x, y]\\n")
{'a': 1, 'b': ['x', 'y']}
>>> safe_load("a: 1\\na: 2\\n", file="cb.yaml")
Traceback (most recent call last):
...
analysis._errors.InputError: file 'cb.yaml': key 'a' appears twice in one mapping (line 2). Merge the two entries into one
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import InputError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_ALIASES", "MAX_NODES", "safe_load", "check_size"]

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_ALIASES = 100
MAX_NODES = 100_000


@dataclass(slots=True)
class _Frame:
    mapping: bool
    anchor: str | None
    size: int = 1
    children: int = 0
    keys: set = field(default_factory=set)


def check_size(n_bytes: int, *, file: str | None = None, what: str = "YAML file") -> None:
    """Refuse more than :data:`MAX_BYTES` bytes before anything is parsed."""
    if n_bytes > MAX_BYTES:
        raise InputError(f"is too large for a {what} ({n_bytes:,} bytes; the limit is "
                         f"{MAX_BYTES:,})", file=file)


def safe_load(text: str, *, file: str | None = None):
    """Parse ``text`` as one plain YAML document within the module's limits.

    Raises :class:`~analysis._errors.InputError` for a limit or a duplicate
    key, and ``yaml.YAMLError`` for invalid YAML or a tag (the caller words it).
    """
    import yaml
    check_size(len(text.encode("utf-8", "surrogatepass")), file=file)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _check_events(yaml.parse(text, Loader=loader), file)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _refuse(problem: str, event, file, hint: str) -> None:
    line = getattr(getattr(event, "start_mark", None), "line", None)
    where = f" (line {line + 1})" if line is not None else ""
    raise InputError(problem + where, file=file, hint=hint)


def _check_events(events, file) -> None:
    """One pass over the parser events: depth, aliases, expanded size, duplicate keys."""
    import yaml
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}
    n_aliases = 0
    for event in events:
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= MAX_DEPTH:
                _refuse(f"nests lists or mappings more than {MAX_DEPTH} levels deep", event, file,
                        "A codebook needs a few levels; this file is not one")
            stack.append(_Frame(isinstance(event, yaml.MappingStartEvent), event.anchor))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = stack.pop()
            if done.anchor is not None:
                anchors[done.anchor] = done.size
            _add_child(stack, done.size, None, event, file)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = 1
            _add_child(stack, 1, event.value, event, file)
        elif isinstance(event, yaml.AliasEvent):
            n_aliases += 1
            if n_aliases > MAX_ALIASES:
                _refuse(f"uses more than {MAX_ALIASES} YAML aliases (*name)", event, file,
                        "Write the values out instead of repeating them by alias")
            _add_child(stack, anchors.get(event.anchor, 1), None, event, file)


def _add_child(stack: list[_Frame], size: int, key, event, file) -> None:
    if not stack:
        return
    parent = stack[-1]
    if parent.mapping and parent.children % 2 == 0 and key is not None and key != "<<":
        if key in parent.keys:
            _refuse(f"key {key!r} appears twice in one mapping", event, file,
                    "Merge the two entries into one")
        parent.keys.add(key)
    parent.children += 1
    parent.size += size
    if parent.size > MAX_NODES:
        _refuse(f"expands to more than {MAX_NODES:,} values (through YAML aliases or sheer "
                f"size)", event, file, "Write the values out instead of repeating them by alias")

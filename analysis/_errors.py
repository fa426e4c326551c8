"""Errors that reach the user as one clear line (exit code 2, no traceback).

Every problem with the user's input is raised as :class:`InputError`, which
carries where the problem is (file, column, rows) and, when it is safe to show,
the offending value(s).  Values from genotype columns are never put into a
message: pass ``sensitive=True`` and only row numbers are shown.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["InputError", "format_rows"]

_MAX_SHOWN = 5


def format_rows(rows: Iterable[int], limit: int = _MAX_SHOWN) -> str:
    """Render 1-based data-row numbers compactly: ``'3, 7, 9 and 12 more'``."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    extra = len(rows) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown


class InputError(ValueError):
    """A problem with user-supplied data, codebook or options.

    Parameters
    ----------
    problem : str
        What is wrong, in plain words ("is not numeric").
    file, column : str, optional
        Where.  ``file`` is shown as given by the user.
    rows : sequence of int, optional
        1-based data-row numbers (the header is not counted).
    values : sequence, optional
        Offending values, shown unless ``sensitive``.
    hint : str, optional
        How to fix it.
    sensitive : bool
        True for genotype (or id) columns: values are withheld.
    """

    def __init__(self, problem: str, *, file: str | None = None,
                 column: str | None = None, rows: Sequence[int] | None = None,
                 values: Sequence[object] | None = None, hint: str | None = None,
                 sensitive: bool = False) -> None:
        self.problem = problem
        self.file = file
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.values = [] if sensitive or values is None else list(values)
        self.hint = hint
        self.sensitive = sensitive
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file!r}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.rows:
            label = "row" if len(self.rows) == 1 else "rows"
            where.append(f"{label} {format_rows(self.rows)}")
        text = (", ".join(where) + ": " if where else "") + self.problem
        if self.values:
            vals = ", ".join(repr(v) for v in self.values[:_MAX_SHOWN])
            more = len(self.values) - _MAX_SHOWN
            text += f" (value{'s' if len(self.values) > 1 else ''} {vals}"
            text += f" and {more} more)" if more > 0 else ")"
        if self.hint:
            text += f". {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {"file": self.file, "column": self.column, "rows": self.rows,
                "values": [str(v) for v in self.values], "problem": self.problem,
                "hint": self.hint, "message": self.message}

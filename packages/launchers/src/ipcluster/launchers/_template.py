"""Batch-script templates: ``{n}``, ``{queue}``, ``{profile_dir}`` and expressions on them (``{n//4}``).

IPython rendered its templates with an ``EvalFormatter``: a field is a Python expression evaluated over
the template's keys, so ``#PBS -l nodes={n//4}:ppn=4`` asks for a node per four engines. A field names
keys only (no builtins), and a whole-number result prints as an integer, so the IPython docs' ``{n/4}``
still writes ``nodes=32`` for 128 engines rather than ``nodes=32.0``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any


class TemplateError(ValueError):
    """A template field that cannot be evaluated: names the field and the keys there are."""


class EvalFormatter(string.Formatter):
    """`str.format` whose fields are expressions over the keyword arguments."""

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        try:
            value = eval(field_name, {"__builtins__": {}}, dict(kwargs))  # the user's own template
        except Exception as exc:
            keys = ", ".join(sorted(kwargs))
            raise TemplateError(f"cannot fill in {{{field_name}}} ({type(exc).__name__}: {exc}); "
                                f"a batch template may use these keys: {keys}") from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value, field_name


def render(template: str, keys: Mapping[str, Any]) -> str:
    return EvalFormatter().format(template, **keys)

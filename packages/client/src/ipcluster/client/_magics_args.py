"""The options of the %px magics, as ipyparallel spells them, and what --targets may say."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any

from IPython.core import magic_arguments

GROUPINGS = ("type", "engine", "order")
TARGETS_HELP = "an engine id (0), a list of ids ([0,2] or 0,2), a slice of the engine ids (1:3) or all"


def parse_targets(text: str, ids: Sequence[int]) -> int | list[int] | str:
    """``--targets`` as a view takes it; a slice is taken of `ids`, the engines registered now.

    Raises ValueError with one line saying what is accepted.
    """
    text = text.strip()
    if text == "all":
        return "all"
    try:
        if ":" in text:
            bounds = [int(part) if part.strip() else None for part in text.split(":")]
            if len(bounds) > 3:
                raise ValueError(text)
            return list(ids[slice(*bounds)])
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"--targets {text!r}: give {TARGETS_HELP}") from None
    if _is_id(value):
        return value
    if isinstance(value, list | tuple) and value and all(_is_id(item) for item in value):
        return list(value)
    raise ValueError(f"--targets {text!r}: give {TARGETS_HELP}")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _apply(function: Callable, arguments: list[Callable]) -> Callable:
    for argument in reversed(arguments):  # decorators apply bottom-up; keep the help in reading order
        function = argument(function)
    return function


def exec_args(function: Callable) -> Callable:
    """--targets and --block/--noblock: where %%px runs code, and whether it waits; %pxconfig sets both."""
    return _apply(function, [
        magic_arguments.argument("-t", "--targets", type=str, help=f"the engines: {TARGETS_HELP}"),
        magic_arguments.argument("-b", "--block", action="store_const", const=True, dest="block",
                                 help="wait for the engines and show their output (the default)"),
        magic_arguments.argument("-a", "--noblock", action="store_const", const=False, dest="block",
                                 help="return at once; %%pxresult shows the output later"),
    ])


def output_args(function: Callable) -> Callable:
    """--group-outputs (with -e and -r as short forms): how %%px and %pxresult order the engines' output."""
    return _apply(function, [
        magic_arguments.argument("--group-outputs", dest="groupby", choices=GROUPINGS, default="type",
                                 help="type: all stdout, then all stderr, then all results; engine: each "
                                      "engine's together; order: as type (ipcluster engines send no rich "
                                      "display outputs, which is all ipyparallel's order collates)"),
        magic_arguments.argument("-e", action="store_const", dest="groupby", const="engine",
                                 help="same as --group-outputs=engine"),
        magic_arguments.argument("-r", action="store_const", dest="groupby", const="order",
                                 help="same as --group-outputs=order"),
    ])

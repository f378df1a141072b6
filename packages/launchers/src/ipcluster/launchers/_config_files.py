"""A profile's config files, written from the traitlets classes themselves, so a new setting appears by itself.

Each file lists every setting its command reads, commented out at its default under its help, grouped by
the class that defines it (``c.IPClusterEngines.n`` also sets ``ipcluster start``'s, a subclass). traitlets'
own Application settings (log_format, show_config, ...) are left out: these commands never read them.
"""

from __future__ import annotations

from collections.abc import Sequence

from traitlets.config import Configurable

from ipcluster.protocol._app import BaseParallelApplication

RULE = "#" + "-" * 78


def config_files() -> dict[str, str]:
    """File name -> text, for each config file a command reads: ipcluster, ipcontroller, ipengine."""
    # imported when asked: cluster.py imports this module's users, and every other command would pay for these
    from ipcluster.engine._app import IPEngineApp
    from ipcluster.hub.stores import BACKENDS
    from ipcluster.launchers import cluster
    from ipcluster.launchers.controller import IPControllerApp
    from ipcluster.protocol import STORE_CLASSES

    commands: list[type[BaseParallelApplication]] = [*cluster.SUBCOMMANDS.values(), IPControllerApp, IPEngineApp]
    apps = [app for app in commands if app.config_file_stem]
    files = {}
    for stem in dict.fromkeys(app.config_file_stem for app in apps):
        readers = [app for app in apps if app.config_file_stem == stem]
        # ipcontroller hands its c.SQLiteDB.* (and other stores') sections to the hub
        stores = [BACKENDS[name] for name in STORE_CLASSES] if IPControllerApp in readers else []
        # and the sections each command reads besides its own (c.MPI, c.MPILauncher)
        sections = [cls for app in readers for cls in app.classes if not issubclass(cls, BaseParallelApplication)]
        files[f"{stem}_config.py"] = render(stem, readers, [*dict.fromkeys(sections), *stores])
    return files


def render(command: str, apps: Sequence[type[BaseParallelApplication]],
           others: Sequence[type[Configurable]] = ()) -> str:
    """The config file of `command`, read by `apps`, with the settings of `others` after theirs."""
    sections = [*app_classes(apps), *others]
    lines = [
        f"# Configuration file for {command}, written by `ipcluster profile create`.",
        "# Every setting is here, commented out at its default: uncomment a line to change it.",
        "# The command line wins over this file (`--Class.setting=value`).",
        *alias_lines(apps, {cls.__name__ for cls in sections}),
        "",
        "c = get_config()  # noqa",
    ]
    for cls in sections:
        traits = cls.class_own_traits(config=True)
        if traits:
            lines += ["", RULE, f"# {title(cls)}", RULE]
        for name in sorted(traits):
            trait = traits[name]
            lines += ["", f"# {' '.join((trait.help or 'no help').split())}",
                      f"# c.{cls.__name__}.{name} = {trait.default_value_repr()}"]
    return "\n".join(lines) + "\n"


def app_classes(apps: Sequence[type[BaseParallelApplication]]) -> list[type[BaseParallelApplication]]:
    """The apps and their ancestors up to BaseParallelApplication, each once, ancestors first."""
    ordered: list[type[BaseParallelApplication]] = []
    for app in apps:
        for cls in reversed(app.mro()):
            if issubclass(cls, BaseParallelApplication) and cls not in ordered:
                ordered.append(cls)
    return ordered


def alias_lines(apps: Sequence[type[BaseParallelApplication]], ours: set[str]) -> list[str]:
    """The ipyparallel and IPython class names the apps also read (`aliases_of_classes`), one line each."""
    targets: dict[str, list[str]] = {}
    for app in apps:
        for old, new in app.aliases_of_classes.items():
            if old not in ours and new not in targets.setdefault(old, []):
                targets[old].append(new)
    if not targets:
        return []
    return ["# Also read, under the names ipyparallel and IPython use:",
            *(f"#   c.{old}.*  as  {', '.join(f'c.{new}.*' for new in news)}" for old, news in sorted(targets.items()))]


def title(cls: type[Configurable]) -> str:
    """'Class(Base): what it is', from the app's description or the first line of the class's docstring."""
    about = cls.__dict__.get("description") or (cls.__doc__ or "").strip().split("\n")[0]
    return f"{cls.__name__}({cls.__bases__[0].__name__})" + (f": {about}" if about else "")

"""Every way to build, check, test and benchmark ipcluster: ``nox -l`` lists them.

Packages are discovered under ``packages/``; each unit session installs one
package with just the sibling packages it depends on, so a missing dependency
shows up as a failing import.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = sorted(path.name for path in (ROOT / "packages").iterdir() if (path / "pyproject.toml").exists())
# The generator's version is written into the generated code, so it is pinned: the
# staleness test then fails only when a .proto changes. Bump it with `nox -s protos`.
GRPC_TOOLS = "grpcio-tools==1.85.1"
TEST_TOOLS = ["pytest>=8", "pytest-timeout>=2.3", "numpy>=1.26", "psutil>=5.9", "tqdm>=4"]
# The record stores' client libraries, and nx-27017: a MongoDB wire-protocol server the tests start
# (no MongoDB installs here). redis-server itself comes from tools/setup-system.
STORE_TOOLS = ["redis>=5", "pymongo>=4.6", "nx-27017>=0.8"]
# MPI engines: mpi4py and MPICH as wheels (seconds to install; never build mpi4py from source)
MPI_TOOLS = ["mpi4py>=4", "mpich>=4"]
# IPython: the client's optional %px magics (its `magics` extra) run in a real shell in the tests
MAGICS_TOOLS = ["ipython>=8"]
# SSH tunnels: paramiko, the `ssh` extra of client and engine (OpenSSH's ssh and sshd come from apt)
SSH_TOOLS = ["paramiko>=3.4"]
# what a package's own tests need beyond TEST_TOOLS
PACKAGE_TEST_TOOLS = {"hub": STORE_TOOLS, "client": MAGICS_TOOLS, "protocol": SSH_TOOLS}


def system_services(session: nox.Session) -> None:
    """redis-server, Slurm, Grid Engine and the like, which the tests start for real: apt-installed when missing."""
    session.run(str(ROOT / "tools" / "setup-system"), external=True)

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "unit", "integration"]


def local_dependencies(name: str, seen: set[str] | None = None) -> list[str]:
    """The package and every ``ipcluster-*`` package it needs, read from the pyproject files."""
    seen = set() if seen is None else seen
    if name in seen:
        return []
    seen.add(name)
    project = tomllib.loads((ROOT / "packages" / name / "pyproject.toml").read_text())["project"]
    order: list[str] = []
    for requirement in project.get("dependencies", []):
        if requirement.startswith("ipcluster-"):
            order += local_dependencies(requirement.split("==")[0].removeprefix("ipcluster-"), seen)
    return [*order, name]


def install_packages(session: nox.Session, *names: str) -> None:
    wanted: list[str] = []
    for name in names:
        wanted += [dep for dep in local_dependencies(name) if dep not in wanted]
    session.install(*(arg for dep in wanted for arg in ("-e", f"packages/{dep}")))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over everything except generated code."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over every package's source, configured in the root pyproject.toml."""
    install_packages(session, *PACKAGES)
    session.install("mypy>=1.11", "types-protobuf>=5", "types-paramiko>=3.4", *STORE_TOOLS, *MAGICS_TOOLS)
    session.run("mypy", *session.posargs)


@nox.session
@nox.parametrize("package", PACKAGES)
def unit(session: nox.Session, package: str) -> None:
    """A package's own tests, with only what it depends on installed."""
    install_packages(session, package)
    session.install(*TEST_TOOLS, GRPC_TOOLS, *PACKAGE_TEST_TOOLS.get(package, []))
    if package == "hub":
        system_services(session)
    session.run("pytest", f"packages/{package}/tests", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Real clusters: real processes over real sockets."""
    install_packages(session, *PACKAGES)
    session.install(*TEST_TOOLS, *STORE_TOOLS, *MPI_TOOLS, *MAGICS_TOOLS, *SSH_TOOLS)
    system_services(session)
    # `tools/nox -s integration -- tests/integration/test_x.py` runs that file alone; options alone apply to all
    paths = [arg for arg in session.posargs if not arg.startswith("-")]
    session.run("pytest", *([] if paths else ["tests/integration"]), *session.posargs)


@nox.session
def protos(session: nox.Session) -> None:
    """Regenerate the committed protobuf code from packages/protocol/proto."""
    session.install(GRPC_TOOLS)
    session.run("python", "packages/protocol/proto/generate.py")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: a local cluster of 4 engines computes with both views, then stops."""
    install_packages(session, "launchers")
    session.install("numpy>=1.26")
    session.run("python", "examples/demo.py")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark table: ipcluster beside ipyparallel and the raw pyzmq floors."""
    install_packages(session, "launchers")
    # pytest: the store servers come from the hub's test helpers, which also define their fixtures
    session.install("numpy>=1.26", "psutil>=5.9", "ipyparallel==9.2.0", "pytest>=8", *STORE_TOOLS)
    system_services(session)
    session.run("python", "benchmarks/run.py", *session.posargs)

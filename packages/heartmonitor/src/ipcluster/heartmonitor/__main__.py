"""``ipcluster-heartmonitor``: run the heart monitor alone, from the controller's spec file."""

from ipcluster.heartmonitor._monitor import HeartMonitor
from ipcluster.protocol._service import run_service


def main(argv: list[str] | None = None) -> int:
    return run_service("heartmonitor", HeartMonitor, argv)


if __name__ == "__main__":
    raise SystemExit(main())

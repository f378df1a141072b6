"""``ipcluster-hub``: run the hub alone, from the controller's spec file."""

from ipcluster.hub._hub import Hub
from ipcluster.protocol._service import run_service


def main(argv: list[str] | None = None) -> int:
    return run_service("hub", Hub, argv)


if __name__ == "__main__":
    raise SystemExit(main())

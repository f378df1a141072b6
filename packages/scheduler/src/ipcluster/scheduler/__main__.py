"""``ipcluster-scheduler``: run the scheduler alone, from the controller's spec file."""

from ipcluster.protocol._service import run_service
from ipcluster.scheduler._scheduler import Scheduler


def main(argv: list[str] | None = None) -> int:
    return run_service("scheduler", Scheduler, argv)


if __name__ == "__main__":
    raise SystemExit(main())

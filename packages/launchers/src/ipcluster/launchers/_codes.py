"""ipcluster's exit codes besides 0 and 1, as ipyparallel's."""

ALREADY_RUNNING, ALREADY_STOPPED, NO_CLUSTER = 10, 11, 12

"""How a batch launcher reads its system's answers: a transient status failure is not the job's end, a "no such
job" is, and a cancel that fails while the job is still listed is reported, not swallowed.

The commands are tiny shell scripts standing in for squeue and scancel: they fail on demand, which a real
scheduler will not do (the real ones run in tests/integration/test_batch_launchers.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from ipcluster.launchers import batch, systems

SUBMIT = ["sh", "-c", "echo 'Submitted batch job 42'"]


def launcher(tmp_path: Path, status: str, delete: str = "true") -> systems.SlurmEngineSetLauncher:
    """A Slurm engine launcher whose squeue runs the shell snippet `status` (and scancel, `delete`)."""
    config = Config({"SlurmLauncher": {"submit_command": SUBMIT, "status_command": ["sh", "-c", status],
                                       "delete_command": ["sh", "-c", delete], "poll_interval": 0.0}})
    engines = systems.SlurmEngineSetLauncher(tmp_path, 2, config=config)
    engines.start()
    assert "42" == engines.job_id
    return engines


def test_transient_status_failures_keep_the_job_and_too_many_are_one_line(tmp_path):
    """squeue failing (a busy controller) leaves the last known state; STATUS_FAILURES in a row are a BatchError
    that names how to cancel the job."""
    answers = tmp_path / "answers"
    answers.write_text("RUNNING\n")
    engines = launcher(tmp_path, f"head -1 {answers}; test \"$(head -1 {answers})\" != fail")
    assert engines.running
    answers.write_text("fail\n")
    for _ in range(batch.STATUS_FAILURES - 1):
        assert engines.running  # still "RUNNING", as last seen
    with pytest.raises(batch.BatchError, match=r"\(5 times in a row\); Slurm job 42 may still run: cancel it with "
                                                r"`sh -c true`"):
        engines.running  # noqa: B018 - the property asks squeue


def test_a_job_the_system_no_longer_knows_has_ended(tmp_path):
    """squeue's "Invalid job id" means the job ended and was forgotten: not running, and reaped once."""
    engines = launcher(tmp_path, "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1")
    assert not engines.running
    assert [engines] == engines.reap()
    assert [] == engines.reap()


def test_a_failed_cancel_of_a_listed_job_is_reported(tmp_path):
    """scancel failing while squeue still lists the job is a BatchError; failing for a gone job is fine."""
    listed = launcher(tmp_path, "echo RUNNING", delete="echo 'scancel: error: Access denied' >&2; exit 1")
    with pytest.raises(batch.BatchError, match=r"cannot cancel Slurm job 42: .*Access denied; `ipcluster stop` "
                                                r"tries again"):
        listed.stop()
    gone = launcher(tmp_path, "true", delete="echo 'scancel: error: Invalid job id specified' >&2; exit 1")
    gone.stop()
    assert not gone.running

"""Pid files recognise their own process, not merely its pid."""

import json
import os

from ipcluster.launchers._pidfile import is_running, process_start_time, read_pid_file, remove_stale, write_pid_file


def test_pid_file_records_the_start_time(tmp_path):
    """write_pid_file stores this process's start time beside its pid."""
    path = tmp_path / "x.pid"
    write_pid_file(path)
    data = read_pid_file(path)
    assert process_start_time(os.getpid()) == data["start_time"]
    assert is_running(data)


def test_a_reused_pid_is_not_running(tmp_path):
    """A live pid whose start time differs from the recorded one belongs to someone else."""
    path = tmp_path / "x.pid"
    path.write_text(json.dumps({"pid": os.getpid(), "start_time": process_start_time(os.getpid()) + 1}))
    assert not is_running(read_pid_file(path))


def test_an_old_pid_file_without_start_time_trusts_the_pid(tmp_path):
    """A pid file written before start times were recorded is judged by its pid alone."""
    assert is_running({"pid": os.getpid()})


def test_start_time_of_a_missing_process_is_unknown():
    """No /proc entry, no start time."""
    assert process_start_time(2**22 + 1) is None


def test_a_stale_pid_files_cleanup_commands_run_before_it_is_removed(tmp_path, capsys):
    """The cleanup commands of a killed ipcluster (a batch job's cancel) run, each reported; then the file goes."""
    path = tmp_path / "ipcluster.pid"
    cancelled = tmp_path / "cancelled"
    data = {"pid": 2**22 + 1, "cleanup": [["touch", str(cancelled)], ["false"]]}
    path.write_text(json.dumps(data))
    remove_stale(path, data)
    assert cancelled.exists()
    assert not path.exists()
    assert [f"ipcluster: cleaning up after a stopped ipcluster: `touch {cancelled}`: done",
            "ipcluster: cleaning up after a stopped ipcluster: `false`: exit 1",
            f"ipcluster: pid {2**22 + 1} has exited; removed its stale pid file {path}"] == \
        capsys.readouterr().err.splitlines()

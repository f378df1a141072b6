#!/usr/bin/env python3
"""Windows HPC Server's `job` command (submit, view, cancel), standing in for the real one (called as `job`).

`job submit /jobfile:PATH [/scheduler:HOST]` reads a job description as HPC Server writes it: a
`<Job Name=...>` root (any XML namespace) with `<Tasks><Task CommandLine=... WorkDirectory=...
StdOutFilePath=... StdErrFilePath=... StdInFilePath=...>` and optional `<EnvironmentVariables>`
of `<Variable><Name/><Value/></Variable>`. Each task's command line runs through /bin/sh in its
work directory (default: where `job submit` ran), with `job submit`'s environment plus the task's
variables (a Windows node would give its own: here that is this machine's).
"""

from __future__ import annotations

import getpass
import os
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

import standin

KIND = "winhpc"
FIELD = "{:<24}: {}"


def local(element: ElementTree.Element) -> str:
    """The tag without its namespace."""
    return element.tag.rsplit("}", 1)[-1]


def children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if local(child) == name]


def task_variables(task: ElementTree.Element) -> dict[str, str]:
    variables = {}
    for group in children(task, "EnvironmentVariables"):
        for variable in children(group, "Variable"):
            (name,), (value,) = children(variable, "Name"), children(variable, "Value")
            variables[name.text or ""] = value.text or ""
    return variables


def switches(args: list[str]) -> dict[str, str]:
    """`/name:value` arguments, by lower-case name."""
    found = {}
    for arg in args:
        if not arg.startswith("/"):
            raise standin.Refused(f"Unknown parameter: {arg}")
        name, _, value = arg[1:].partition(":")
        found[name.lower()] = value
    return found


def submit(args: list[str]) -> None:
    path = switches(args).get("jobfile")
    if not path:
        raise standin.Refused("job submit needs /jobfile:PATH")
    root = ElementTree.parse(path).getroot()
    tasks = [task for group in children(root, "Tasks") for task in children(group, "Task")]
    if local(root) != "Job" or not tasks:
        raise standin.Refused(f"{path}: not a job description with tasks (<Job><Tasks><Task .../></Tasks></Job>)")

    def task_list(_job_id: int, folder: Path) -> list[standin.Task]:
        return [standin.Task(
            ["/bin/sh", "-c", task.get("CommandLine", "")], task.get("WorkDirectory") or os.getcwd(),
            {**os.environ, **task_variables(task)}, stdout=task.get("StdOutFilePath") or str(folder / f"{n}.out"),
            stderr=task.get("StdErrFilePath") or str(folder / f"{n}.err"),
            stdin=task.get("StdInFilePath") or os.devnull) for n, task in enumerate(tasks)]

    job_id = standin.submit(KIND, task_list, name=root.get("Name", ""), owner=getpass.getuser())
    print(f"Job has been submitted. ID: {job_id}.")


def state(job: standin.Job) -> str:
    states = job.states()
    if job.cancelled:
        return "Canceled"
    if standin.RUNNING in states:
        return "Running"
    if standin.PENDING in states:
        return "Queued"
    return "Failed" if standin.FAILED in states else "Finished"


def named_job(args: list[str]) -> standin.Job:
    if not args or not args[0].isdigit():
        raise standin.Refused("give a job id: job view ID, job cancel ID")
    job = standin.find(args[0], KIND)
    if job is None:
        raise standin.Refused(f"The job {args[0]} does not exist.")
    return job


def view(args: list[str]) -> None:
    job = named_job(args)
    submitted = datetime.fromtimestamp(job.details["submitted"])
    for label, value in (("Job ID", job.id), ("State", state(job)), ("Name", job.details["name"]),
                         ("Owner", job.details["owner"]), ("Submit Time", f"{submitted:%m/%d/%Y %I:%M:%S %p}"),
                         ("Number of Tasks", job.details["tasks"])):
        print(FIELD.format(label, value))


def cancel(args: list[str]) -> None:
    job = named_job(args)
    if not job.unfinished():
        raise standin.Refused(f"Job {job.id} cannot be canceled: it is {state(job)}.")
    job.kill()
    print(f"Job {job.id} has been canceled.")


def job(args: list[str]) -> None:
    actions = {"submit": submit, "view": view, "cancel": cancel}
    if not args or args[0] not in actions:
        raise standin.Refused(f"this stand-in knows: job {'|'.join(actions)} ...")
    actions[args[0]](args[1:])


if __name__ == "__main__":
    standin.main({"job": job})

"""Batch scripts: EvalFormatter expressions, default and user templates, the queue line, and their errors."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from traitlets.config import Config

from ipcluster.launchers import systems
from ipcluster.launchers._template import TemplateError, render
from ipcluster.launchers.batch import BatchError

SEED_TEMPLATE = """#PBS -N ipython
#PBS -l nodes={n/4}:ppn=4
#PBS -q {queue}
/usr/local/bin/mpiexec -n {n} ipengine --profile-dir={profile_dir}
"""


def test_fields_are_expressions_on_the_keys():
    """{n//4}, the docs' {n/4} (a whole number prints as one), format specs and {{ }} all work."""
    assert "32 32 0.5 [  8] {n}" == render("{n//4} {n/4} {m/2} [{m*8:>3}] {{n}}", {"n": 128, "m": 1})


def test_a_field_naming_no_key_lists_the_keys():
    """A typo in a template is one line that names the field and the keys there are."""
    with pytest.raises(TemplateError, match=r"cannot fill in \{nodes\} \(NameError.*keys: n, queue"):
        render("{nodes}", {"n": 1, "queue": ""})


def test_the_docs_pbs_template_renders_from_config(tmp_path):
    """c.PBSEngineSetLauncher.batch_template with c.PBSLauncher.queue, as the IPython docs configure it."""
    config = Config({"PBSLauncher": {"queue": "veryshort.q"},
                     "PBSEngineSetLauncher": {"batch_template": SEED_TEMPLATE}})
    script = systems.PBSEngineSetLauncher(tmp_path, 128, config=config).write_script()
    assert (f"#PBS -N ipython\n#PBS -l nodes=32:ppn=4\n#PBS -q veryshort.q\n"
            f"/usr/local/bin/mpiexec -n 128 ipengine --profile-dir={tmp_path}\n") == script.read_text()
    assert tmp_path / "pbs_engines" == script


def test_batch_template_file_is_read_relative_to_the_profile(tmp_path):
    """batch_template_file names a file in the profile folder (or anywhere, by absolute path)."""
    (tmp_path / "sge.engine.template").write_text("#$ -t 1-{n}\necho {queue}\n")
    config = Config({"SGEEngineSetLauncher": {"batch_template_file": "sge.engine.template"}})
    launcher = systems.SGEEngineSetLauncher(tmp_path, 3, config=config)
    launcher.queue = "all.q"
    assert "#$ -t 1-3\necho all.q\n" == launcher.write_script().read_text()


def test_a_missing_template_file_is_one_line(tmp_path):
    """A template file that is not there names the setting and the path."""
    config = Config({"LSFLauncher": {"batch_template_file": "nope.template"}})
    with pytest.raises(BatchError, match=r"cannot read c.LSFEngineSetLauncher.batch_template_file '.*nope.template'"):
        systems.LSFEngineSetLauncher(tmp_path, 1, config=config).write_script()


@pytest.mark.parametrize(("cls", "line"), [
    (systems.PBSEngineSetLauncher, "#PBS -q short"),
    (systems.SGEControllerLauncher, "#$ -q short"),
    (systems.LSFEngineSetLauncher, "#BSUB -q short"),
    (systems.SlurmControllerLauncher, "#SBATCH --partition=short"),
])
def test_a_queue_line_goes_after_the_shebang_of_templates_without_one(tmp_path, cls, line):
    """queue set and no {queue} in the template: the system's queue directive is the script's second line."""
    args = (tmp_path, 2) if issubclass(cls, systems.BatchEngineSetLauncher) else (tmp_path,)
    launcher = cls(*args, config=Config({cls.__name__: {"queue": "short"}}))
    lines = launcher.write_script().read_text().splitlines()
    assert ["#!/bin/sh", line] == lines[:2]
    assert 1 == sum(1 for text in lines if "short" in text)


@pytest.mark.parametrize(("cls", "expected"), [
    (systems.PBSEngineSetLauncher, "#PBS -t 1-3"),
    (systems.SGEEngineSetLauncher, "#$ -t 1-3"),
    (systems.LSFEngineSetLauncher, "#BSUB -J ipengine[1-3]"),
    (systems.SlurmEngineSetLauncher, "#SBATCH --ntasks=3"),
    (systems.HTCondorEngineSetLauncher, "queue 3"),
])
def test_default_engine_scripts_start_n_engines_of_this_profile(tmp_path, cls, expected):
    """Each default engine script asks its system for n engines and runs ipcluster's engine on this profile."""
    text = cls(tmp_path, 3, ["--timeout=30"]).write_script().read_text()
    assert expected in text.splitlines()
    assert f"--profile-dir={tmp_path}" in text and "--timeout=30" in text and "ipcluster.engine" in text


def test_htcondor_arguments_are_quoted_its_way(tmp_path):
    """Arguments with spaces and quotes survive HTCondor's quoting (quotes doubled inside single quotes)."""
    assert """"'-m' 'it''s' 'a ""b""'\"""" == systems.condor_arguments(["-m", "it's", 'a "b"'])


def test_windows_hpc_job_file_has_a_task_per_engine(tmp_path):
    """The job description XML holds n tasks, each the engine command line quoted for Windows, then escaped."""
    launcher = systems.WindowsHPCEngineSetLauncher(tmp_path, 2, ["--x=a b"])
    text = launcher.write_script().read_text()
    assert tmp_path / "windowshpc_engines.xml" == tmp_path / launcher.batch_file_name
    assert 2 == text.count("<Task ")
    job = ElementTree.fromstring(text)
    assert "2" == job.get("MaxCores")
    assert all(task.get("CommandLine").endswith(' "--x=a b"') for task in job.iter("Task"))  # Windows quoting

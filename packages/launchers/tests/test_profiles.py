"""`ipcluster profile create|list` and the config files it writes, without starting anything."""

import re

import pytest
from traitlets.config import PyFileConfigLoader

from ipcluster.engine._app import IPEngineApp
from ipcluster.hub.stores import BACKENDS
from ipcluster.launchers._config_files import config_files, render
from ipcluster.launchers.cluster import IPClusterEngines, IPClusterStart, main
from ipcluster.launchers.controller import IPControllerApp
from ipcluster.launchers.stop import IPClusterStop

FILES = ["ipcluster_config.py", "ipcontroller_config.py", "ipengine_config.py"]
SETTING = re.compile(r"^# (c\.(\w+)\.(\w+) = .*)$", re.MULTILINE)


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "ipython"


def out_lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def load(path):
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_create_makes_the_folders_and_the_three_files(ipython_dir, capsys):
    """The profile gets security/ log/ pid/ startup/ and one config file per command, one line each."""
    assert 0 == main(["profile", "create", "--profile=mpi"])
    profile = ipython_dir / "profile_mpi"
    assert ["ipcluster_config.py", "ipcontroller_config.py", "ipengine_config.py", "log", "pid", "security",
            "startup"] == sorted(p.name for p in profile.iterdir())
    assert [f"ipcluster: wrote {profile / name}" for name in FILES] == out_lines(capsys)


def test_every_setting_of_every_reader_is_written_once():
    """Each file names each config trait of the classes reading it, ipcontroller's also the stores'."""
    texts = config_files()
    expected = {
        "ipcluster_config.py": [IPClusterStart, IPClusterEngines, IPClusterStop],
        "ipcontroller_config.py": [IPControllerApp, *BACKENDS.values()],
        "ipengine_config.py": [IPEngineApp],
    }
    assert FILES == sorted(texts)
    for name, classes in expected.items():
        written = [(cls, trait) for _, cls, trait in SETTING.findall(texts[name])]
        assert len(set(written)) == len(written), name
        for cls in classes:
            for trait in cls.class_traits(config=True):
                owner = next(c for c in cls.mro() if trait in c.class_own_traits())  # the nearest definition
                if not owner.__module__.startswith("traitlets"):  # Application's own: never read by our commands
                    assert (owner.__name__, trait) in written, (name, cls.__name__, trait)


def test_files_start_as_ipython_does_and_name_the_old_class_names():
    """The header lists the accepted ipyparallel names; then `c = get_config()  # noqa`; no traitlets internals."""
    text = config_files()["ipcontroller_config.py"]
    header, body = text.split("\nc = get_config()  # noqa\n")
    assert "#   c.HubFactory.*  as  c.IPControllerApp.*" in header.splitlines()
    assert all(line.startswith("#") or not line for line in body.splitlines())
    assert "c.Application." not in body
    assert "# c.IPControllerApp.ip = '127.0.0.1'\n" in body


def test_uncommenting_every_setting_loads_and_gives_the_defaults(tmp_path):
    """Every commented line is valid Python and a valid value: uncommented, each reads back as its default."""
    apps = [IPClusterStart, IPClusterStop, IPControllerApp, IPEngineApp]
    sections = [cls for app in apps for cls in app.classes]  # c.MPI, c.MPILauncher
    classes = {base.__name__: base for cls in [*apps, *sections, *BACKENDS.values()] for base in cls.mro()}
    for name, text in config_files().items():
        path = tmp_path / name
        path.write_text(SETTING.sub(r"\1", text))
        config = load(path)
        for _, cls, trait in SETTING.findall(text):
            assert classes[cls].class_traits()[trait].default() == config[cls][trait], (name, cls, trait)


def test_an_uncommented_setting_takes_effect(ipython_dir):
    """Editing one line of the written ipcontroller_config.py changes what ipcontroller reads."""
    assert 0 == main(["profile", "create"])
    path = ipython_dir / "profile_default/ipcontroller_config.py"
    path.write_text(path.read_text().replace("# c.IPControllerApp.hwm = 1", "c.IPControllerApp.hwm = 7"))
    app = IPControllerApp()
    app.initialize([])
    assert 7 == app.hwm


def test_create_keeps_edited_files_unless_reset(ipython_dir, capsys):
    """A second create keeps every file and says so; --reset writes them again."""
    assert 0 == main(["profile", "create"])
    edited = ipython_dir / "profile_default/ipengine_config.py"
    edited.write_text("c.IPEngineApp.timeout = 9\n")
    capsys.readouterr()
    assert 0 == main(["profile", "create"])
    lines = out_lines(capsys)
    assert 3 == len(lines) and all(line.startswith("ipcluster: kept ") for line in lines)
    assert "c.IPEngineApp.timeout = 9\n" == edited.read_text()
    assert 0 == main(["profile", "create", "--reset"])
    assert config_files()["ipengine_config.py"] == edited.read_text()


def test_reset_replaces_a_broken_file(ipython_dir):
    """--reset does not read the config it replaces, so a file that raises can be repaired."""
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipcluster_config.py").write_text("raise RuntimeError('broken')\n")
    assert 0 == main(["profile", "create", "--reset"])
    assert config_files()["ipcluster_config.py"] == (profile / "ipcluster_config.py").read_text()


def test_create_with_profile_dir(tmp_path, ipython_dir):
    """--profile-dir puts the profile anywhere, IPYTHONDIR untouched."""
    assert 0 == main(["profile", "create", f"--profile-dir={tmp_path / 'elsewhere'}"])
    assert (tmp_path / "elsewhere/ipengine_config.py").exists()
    assert not ipython_dir.exists()


@pytest.mark.parametrize("argv, message", [
    (["profile"], "no profile command: use one of create, list"),
    (["profile", "remove"], "unknown profile command 'remove': use one of create, list"),
    (["profile", "create", "--profile=a/b"], "--profile='a/b' is not a profile name"),
    (["profile", "create", "--force"], "unknown option --force"),
])
def test_bad_input_is_one_line_and_exit_1(ipython_dir, capsys, argv, message):
    """Mistakes are one line on stderr naming the problem, and exit 1; nothing is created."""
    assert 1 == main(argv)
    err = capsys.readouterr().err.splitlines()
    assert 1 == len(err), err
    assert message in err[0]
    assert not ipython_dir.exists()


def test_profile_list_shows_ipython_dir_and_current_folder(ipython_dir, tmp_path, capsys):
    """Folders named profile_* in IPYTHONDIR, then in the current folder, name and path on one line each."""
    for folder in ("profile_default", "profile_mpi", "other"):
        (ipython_dir / folder).mkdir(parents=True)
    (ipython_dir / "profile_file").write_text("not a folder")
    (tmp_path / "profile_here").mkdir()
    assert 0 == main(["profile", "list"])
    assert [f"default    {ipython_dir / 'profile_default'}", f"mpi        {ipython_dir / 'profile_mpi'}",
            f"here       {tmp_path / 'profile_here'}"] == out_lines(capsys)


def test_profile_list_without_profiles_says_so_and_creates_nothing(ipython_dir, capsys):
    """No profile anywhere: one line, exit 0, and no default profile made on the way."""
    assert 0 == main(["profile", "list"])
    assert 1 == len(out_lines(capsys))
    assert not ipython_dir.exists()


def test_render_leaves_out_empty_sections():
    """A class without settings (NoDB) gets no section header."""
    assert "# NoDB(" not in render("ipcontroller", [IPControllerApp], [BACKENDS["NoDB"]])

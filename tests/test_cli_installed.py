"""The command line as a newcomer gets it (issue 19): `pip install .` into a fresh environment gives a
`social-value` command, `python -m evaluator` works from any folder, and every verb runs from a folder outside
the repository with the shipped tables and fonts found inside the installed package.

The environment is a venv that also sees this interpreter's site-packages (a .pth file), so pandas and the rest
are not installed again: `pip install --no-deps`, and without build isolation when this interpreter can build a
wheel itself (offline); otherwise pip fetches setuptools for the build, as on a fresh CI machine."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TENDER = "home_care_north"


def _can_build_offline() -> bool:
    """setuptools with a bdist_wheel of its own (70.1+) or the `wheel` package beside it."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    return (importlib.util.find_spec("wheel") is not None
            or importlib.util.find_spec("setuptools.command.bdist_wheel") is not None)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, social-value script, a working folder outside the repository, env)."""
    base = tmp_path_factory.mktemp("installed")
    assert not base.resolve().is_relative_to(ROOT)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "outer.pth").write_text("\n".join(sorted(outer)) + "\n")  # pandas, reportlab, pip: not reinstalled
    source = base / "clone"  # a copy of the repository as a fresh clone has it (no caches, no build leftovers)
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info",
                                                                 "build", ".pytest_cache", "node_modules"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    cmd = [py, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check"]
    cmd += ["--no-build-isolation"] if _can_build_offline() else []
    done = subprocess.run(cmd + [str(source)], capture_output=True, text=True, cwd=base, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.rmtree(source)  # the installed tool must not lean on the source it was built from

    work = base / "work"
    (work / "tender").mkdir(parents=True)
    shutil.copy(ROOT / "rubrics" / f"{TENDER}.yaml", work / "tender" / "rubric.yaml")
    shutil.copytree(ROOT / "rubrics" / "proxies", work / "tender" / "proxies")
    shutil.copytree(ROOT / "sample_bids" / TENDER, work / "tender" / "bids")
    env["SOCIAL_VALUE_HOME"] = str(base / "home")
    return py, env_dir / "bin" / "social-value", work, env


def _run(installed, *args, script: bool = True, ok: int = 0) -> subprocess.CompletedProcess:
    py, exe, work, env = installed
    cmd = [str(exe)] if script else [str(py), "-m", "evaluator"]
    done = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, cwd=work, env=env,
                          timeout=300)
    assert done.returncode == ok, (args, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    return done


def test_the_package_is_the_installed_one_not_the_repository(installed):
    py, exe, work, env = installed
    found = subprocess.run([py, "-c", "import evaluator, evaluator.rubric as r; print(evaluator.__file__); "
                                      "print(r.SHIPPED_PROXIES); print(sorted(p.name for p in r.SHIPPED_PROXIES.glob('*.csv')))"],
                           capture_output=True, text=True, cwd=work, env=env, check=True).stdout.splitlines()
    venv_dir = exe.parent.parent
    assert Path(found[0]).is_relative_to(venv_dir), found
    assert Path(found[1]).is_relative_to(venv_dir) and "public_2025.csv" in found[2], found
    assert exe.is_file()


def test_every_shipped_path_the_modules_name_exists_once_installed(installed):
    """A module that names a shipped file by Path(__file__).parents[1] / "rubrics" finds it in the repository
    and not once installed (parents[1] is site-packages): every module-level path into rubrics/ must exist in
    the installed package. Name shipped files from evaluator.rubric.SHIPPED_RUBRICS."""
    py, exe, work, env = installed
    probe = (
        "import importlib, pkgutil, pathlib, evaluator\n"
        "bad = []\n"
        "for m in pkgutil.walk_packages(evaluator.__path__, 'evaluator.'):\n"
        "    if m.name.endswith('__main__'):\n"
        "        continue\n"
        "    mod = importlib.import_module(m.name)\n"
        "    for k, v in vars(mod).items():\n"
        "        if isinstance(v, pathlib.Path) and 'rubrics' in v.parts and not v.exists():\n"
        "            bad.append(f'{m.name}.{k} = {v}')\n"
        "print('\\n'.join(bad))\n")
    done = subprocess.run([py, "-c", probe], capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "", "shipped files not found once installed:\n" + done.stdout


RUBRIC = ["--rubric", "tender/rubric.yaml"]
TENDER_ARGS = RUBRIC + ["--bids", "tender/bids", "--scores", "tender/bids/scores.csv"]


def test_every_verb_runs_from_a_folder_outside_the_repository(installed):
    work = installed[2]
    out = _run(installed, "evaluate", *TENDER_ARGS).stdout
    assert "Northtown Community Care CIC" in out and "Rank" in out
    same = _run(installed, "evaluate", *TENDER_ARGS, script=False).stdout  # python -m evaluator: the same
    assert same == out
    assert "Apex Care Group Ltd" in _run(installed, "explain", *TENDER_ARGS, "--bidder", "Apex Care Group Ltd").stdout
    assert _run(installed, "check", *RUBRIC).returncode == 0
    assert _run(installed, "check", *RUBRIC, "--bid", "tender/bids/apex_care_group.yaml").stdout.strip()
    _run(installed, "report", *TENDER_ARGS, "--out", "reports")
    pdfs = sorted(p.name for p in (work / "reports").glob("*.pdf"))
    assert len(pdfs) >= 2 and all((work / "reports" / p).stat().st_size > 5000 for p in pdfs)  # fonts found
    assert list((work / "reports").glob("*.xlsx"))
    _run(installed, "template", *RUBRIC, "--out", "template.xlsx")
    assert (work / "template.xlsx").stat().st_size > 1000
    sens = json.loads(_run(installed, "sensitivity", *TENDER_ARGS, "--draws", "200", "--json").stdout)
    assert sens
    assert _run(installed, "review", "tender/rubric.yaml").stdout.strip()
    assert _run(installed, "track", *RUBRIC, "--bids", "tender/bids", "--delivery", "tender/bids/delivery.csv").stdout
    _run(installed, "workspace", "init", "--db", "tender.sqlite", "--rubric", "tender/rubric.yaml",
         "--bids", "tender/bids", "--scores", "tender/bids/scores.csv")
    _run(installed, "workspace", "score", "--db", "tender.sqlite", "--bidder", "Apex Care Group Ltd",
         "--criterion", "Q1", "--evaluator", "New Evaluator", "--score", "60", "--rationale", "Adequate plan")
    _run(installed, "workspace", "complete", "--db", "tender.sqlite", "--evaluator", "New Evaluator")
    assert "New Evaluator" in _run(installed, "workspace", "status", "--db", "tender.sqlite").stdout
    _run(installed, "workspace", "export", "--db", "tender.sqlite", "--out", "exported")
    _run(installed, "workspace", "import", "--db", "again.sqlite", "--from", "exported")
    _run(installed, "audit", "--db", "again.sqlite")
    _run(installed, "evaluate", "--db", "again.sqlite")


def test_help_names_the_command_as_it_was_typed(installed):
    assert _run(installed, "--help").stdout.startswith("usage: social-value")
    assert _run(installed, "--help", script=False).stdout.startswith("usage: python -m evaluator")


def test_a_rubric_outside_the_repository_is_told_the_shipped_tables(installed):
    """The refusal of a proxy path leading outside lists the shipped tables: found inside the installed package."""
    work = installed[2]
    text = (work / "tender" / "rubric.yaml").read_text()
    (work / "elsewhere.yaml").write_text(text.replace("proxies: proxies/public_2025.csv", "proxies: ../../x.csv"))
    err = _run(installed, "check", "--rubric", "elsewhere.yaml", ok=2).stderr
    assert "shipped table" in err and "proxies/public_2025.csv" in err, err


def test_the_dependencies_are_the_pinned_requirements():
    """pyproject.toml takes its dependencies from requirements.txt: one pinned list for both ways of installing."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dependencies" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    lines = [x.split("#")[0].strip() for x in (ROOT / "requirements.txt").read_text().splitlines()]
    assert all("==" in x for x in lines if x), "every requirement pinned"
    assert project["project"]["scripts"]["social-value"] == "evaluator.__main__:run"

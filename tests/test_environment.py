"""environment.yml (conda) lists the same dependencies and ranges as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from evalkit.paths import ROOT

# conda-forge splits dask[distributed] into two packages
EXTRAS = {("dask", "distributed"): ["dask", "distributed"]}


def _key(req: Requirement, name: str) -> str:
    """A dependency's name, with its environment marker when it has one (augsynth-py is listed
    once per Python range, with another extra on each)."""
    return f"{name.lower()}; {req.marker}" if req.marker else name.lower()


def _requirements() -> list[Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in meta["dependencies"] + meta["optional-dependencies"]["dev"]]


def _pyproject() -> dict[str, str]:
    out: dict[str, str] = {}
    for req in _requirements():
        names = EXTRAS.get((req.name, *sorted(req.extras)), [req.name]) if req.extras else [req.name]
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras and len(names) == 1 else ""
        for n in names:
            out[_key(req, n)] = extras + str(req.specifier)
    return out


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item.strip())
            name, spec = m.group(1).lower(), m.group(2)
            if name in {"python", "pip"}:
                continue
            req = Requirement(f"{name}{spec}")
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            out[_key(req, name)] = extras + str(req.specifier)
    return out


def test_environment_yml_matches_pyproject():
    py, env = _pyproject(), _environment()
    assert set(py) == set(env), f"only in pyproject: {set(py) - set(env)}; only in environment.yml: {set(env) - set(py)}"
    diff = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not diff, f"version ranges differ (pyproject, environment.yml): {diff}"


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            key = name.lower().replace("_", "-")
            assert key not in pins, f"{name} is pinned twice in {lock}"
            pins[key] = version
    return pins


@pytest.mark.parametrize(("lock", "python"), [("requirements.lock", "3.11"), ("requirements-py312.lock", "3.12")])
def test_lock_pins_every_direct_dependency_exactly(lock, python):
    pins = _pins(lock)
    marker_env = {"python_version": python, "python_full_version": f"{python}.0"}
    for req in _requirements():
        if req.marker and not req.marker.evaluate(marker_env):
            continue
        key = req.name.lower().replace("_", "-")
        assert key in pins, f"{req.name} is not pinned in {lock}"
        assert req.specifier.contains(pins[key], prereleases=True), (
            f"{lock} pins {req.name}=={pins[key]}, outside pyproject's range {req.specifier}"
        )


def test_each_lock_has_its_numpy():
    # 3.11: numpy 1.26 (balance caps it there, and augsynth-py's numpy1 extra with it);
    # 3.12: numpy 2 with the scipy and scikit-learn that balance caps on 3.11 only
    old, new = _pins("requirements.lock"), _pins("requirements-py312.lock")
    assert Version(old["numpy"]).major == 1 and Version(new["numpy"]).major == 2
    assert Version(new["scipy"]) >= Version("1.14") and Version(new["scikit-learn"]) >= Version("1.4")
    assert Version(old["cvxpy"]) < Version("1.8")  # augsynth-py[numpy1]


def test_python_range_agrees():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert meta["requires-python"] == ">=3.11" and ">=3.11" in py


def test_register_kernel_writes_what_ipykernel_install_writes(tmp_path):
    """`make install` registers the kernel with tools/register_kernel.py (no ipykernel import);
    its kernel.json must be ipykernel's own, and the logos must be there."""
    import importlib.util
    import json

    from ipykernel.kernelspec import get_kernel_dict

    spec = importlib.util.spec_from_file_location("register_kernel", ROOT / "tools" / "register_kernel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    dest = mod.register("evalkit", "Python (evalkit)", prefix=tmp_path)
    expected = get_kernel_dict(python_arguments=["-Xfrozen_modules=off"])
    expected["display_name"] = "Python (evalkit)"
    assert json.loads((dest / "kernel.json").read_text()) == expected
    assert {p.name for p in dest.iterdir()} >= {"kernel.json", "logo-32x32.png", "logo-64x64.png"}


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-py312.lock"])
def test_locks_leave_out_the_slow_iri_checker(lock):
    """rfc3987-syntax builds a Lark grammar whenever jsonschema is imported (about 3 CPU-seconds in
    every process that imports nbformat); the locks leave it out (see NOT_LOCKED in the Makefile)."""
    pins = _pins(lock)
    assert "rfc3987-syntax" not in pins and "lark" not in pins


def test_importing_nbformat_does_not_build_the_iri_grammar():
    import subprocess
    import sys

    code = "import sys, nbformat, papermill; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False", "rfc3987-syntax is installed: `make install` syncs the venv to the lock"

"""environment.yml (conda) lists the same dependencies and ranges as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from evalkit.paths import ROOT

# conda-forge splits dask[distributed] into two packages
EXTRAS = {("dask", "distributed"): ["dask", "distributed"]}


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out: dict[str, str] = {}
    for spec in meta["dependencies"] + meta["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        names = EXTRAS.get((req.name, *sorted(req.extras)), [req.name]) if req.extras else [req.name]
        for n in names:
            out[n.lower()] = str(req.specifier)
    return out


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item.strip())
            name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
            if name in {"python", "pip"}:
                continue
            out[name] = str(Requirement(f"x{spec}").specifier)
    return out


def test_environment_yml_matches_pyproject():
    py, env = _pyproject(), _environment()
    assert set(py) == set(env), f"only in pyproject: {set(py) - set(env)}; only in environment.yml: {set(env) - set(py)}"
    diff = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not diff, f"version ranges differ (pyproject, environment.yml): {diff}"


def test_lock_pins_every_direct_dependency_exactly():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[name.lower().replace("_", "-")] = version
    for name, spec in _pyproject().items():
        key = name.replace("_", "-")
        assert key in lock, f"{name} is not pinned in requirements.lock"
        assert Requirement(f"{name}{spec}").specifier.contains(lock[key], prereleases=True), (
            f"locked {name}=={lock[key]} is outside pyproject's range {spec}"
        )


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

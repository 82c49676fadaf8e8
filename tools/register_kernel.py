"""Register the ``evalkit`` Jupyter kernel in a venv, as ``python -m ipykernel install --sys-prefix``
does, without importing ipykernel (which pulls in IPython, tornado and zmq: about a second of an
install that should take seconds).

Writes ``<sys.prefix>/share/jupyter/kernels/<name>/kernel.json`` and copies ipykernel's logos.
The JSON is ipykernel's own (``ipykernel.kernelspec.get_kernel_dict`` with ``-Xfrozen_modules=off``
on Python 3.11+, as ``ipykernel install`` writes it); tests/test_environment.py checks the two agree.

Usage (run with the venv's python): ``python tools/register_kernel.py [--name evalkit]
[--display-name "Python (evalkit)"]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
from pathlib import Path


def kernel_dict(display_name: str) -> dict:
    python_arguments = ["-Xfrozen_modules=off"] if sys.version_info >= (3, 11) else []
    return {
        "argv": [sys.executable, *python_arguments, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"debugger": True, "supported_encryption": ["curve"]},
        "kernel_protocol_version": "5.5",
    }


def register(name: str, display_name: str, prefix: Path | None = None) -> Path:
    spec = importlib.util.find_spec("ipykernel")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("ipykernel is not installed in this environment")
    resources = Path(next(iter(spec.submodule_search_locations))) / "resources"
    dest = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for logo in sorted(resources.glob("logo-*")):
        shutil.copyfile(logo, dest / logo.name)
    (dest / "kernel.json").write_text(json.dumps(kernel_dict(display_name), indent=1), encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", default="evalkit")
    ap.add_argument("--display-name", default="Python (evalkit)")
    a = ap.parse_args(argv)
    print(f"Installed kernelspec {a.name} in {register(a.name, a.display_name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

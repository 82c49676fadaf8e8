"""Where things live: the repository root, the data folders and ``../shared``.

Notebooks receive folder parameters as text. :func:`resolve` turns a relative
path into an absolute one anchored at the repository root, so a notebook gives
the same answer whether papermill, nbval or JupyterLab started its kernel, and
whatever the kernel's working directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("EVALKIT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").is_file() and (here / "data").is_dir():
        return here
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "evalkit").is_dir():
            return candidate
    return cwd


ROOT: Path = _find_root()
RAW: Path = ROOT / "data" / "raw"
DERIVED: Path = ROOT / "data" / "derived"
RUNS: Path = ROOT / "papermill_runs"
NOTEBOOKS: Path = ROOT / "notebooks"
LAS: Path = RAW / "las"


def resolve(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as an absolute path, relative paths taken from the repository root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (ROOT / p).resolve()


def shared_dir() -> Path:
    """The ``../shared`` folder beside the repository (override with ``EVALKIT_SHARED``)."""
    env = os.environ.get("EVALKIT_SHARED")
    return Path(env).resolve() if env else (ROOT.parent / "shared").resolve()


def input_roots() -> list[Path]:
    """Folders inputs may be read from: the repository, ``../shared``, the package's own resources,
    and any folder in ``EVALKIT_INPUT_ROOTS``.

    ``EVALKIT_INPUT_ROOTS`` (folders separated by ``os.pathsep``) is for data kept
    elsewhere on purpose, and for the test suite's temporary folders. A file
    that resolves anywhere else (through ``..`` or a symbolic link) is refused.
    """
    extra = [Path(p).expanduser().resolve() for p in os.environ.get("EVALKIT_INPUT_ROOTS", "").split(os.pathsep) if p]
    package = Path(__file__).resolve().parent  # evalkit/resources, wherever the package is installed
    return [ROOT.resolve(), shared_dir(), package, *extra]


def is_input_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` resolves inside one of :func:`input_roots`."""
    target = Path(path).resolve()
    return any(target == r or r in target.parents for r in input_roots())


def external(*parts: str) -> Path | None:
    """Path to a public data set in ``../shared/external``, or ``None`` when it is absent.

    External data are read in place and never copied into the repository.
    """
    p = shared_dir().joinpath("external", *parts)
    return p if p.exists() else None


def seed(name_prefix: str) -> Path | None:
    """Path to a seed text in ``../shared/seeds`` by its number prefix (e.g. ``"000"``)."""
    d = shared_dir() / "seeds"
    if not d.is_dir():
        return None
    hits = sorted(d.glob(f"{name_prefix}_*.txt"))
    return hits[0] if hits else None

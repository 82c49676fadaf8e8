"""Writing results: atomically, aggregate only, and never into ``data/raw``.

Every table a notebook saves goes through :func:`save_table`, which applies the
package's small-number suppression (:mod:`evalkit.disclosure`) to the count
columns it is told about, and refuses tables that look child-level. Files are
written to a temporary name and renamed, so an interrupted run never leaves a
half-written file that looks complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evalkit.paths import RAW, resolve


class OutputError(RuntimeError):
    """An output would break a rule (raw data, disclosure)."""


def _guard(path: Path) -> Path:
    path = resolve(path)
    try:
        path.relative_to(RAW.resolve())
    except ValueError:
        return path
    raise OutputError(f"refusing to write {path}: data/raw holds inputs and is never written by code")


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    ``mode`` sets the file's permissions (e.g. ``0o644`` for a report others read); by default
    the temporary file's own (0600) is kept.
    """
    path = _guard(Path(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


#: Significant digits of floating-point numbers in written tables. Numerical noise between
#: machines (BLAS kernels, thread counts) sits near 1e-13 relative after evalkit's seeded,
#: quantised computations; 10 significant digits keep every reproduced figure exact while a
#: rerun on another CPU writes the same bytes. Estimates from iterative optimisers are rounded
#: further by the code that produces them.
SIGNIFICANT_DIGITS = 10


def write_csv(df: pd.DataFrame, path: str | Path, *, digits: int = SIGNIFICANT_DIGITS) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically (no index, LF line ends).

    Floats are written with ``digits`` significant digits (see :data:`SIGNIFICANT_DIGITS`).

    Examples
    --------
    >>> import tempfile
    >>> p = write_csv(pd.DataFrame({"x": [1 / 3, 2.5]}), Path(tempfile.mkdtemp()) / "t.csv")
    >>> p.read_text().splitlines()
    ['x', '0.3333333333', '2.5']
    """
    return atomic_write_text(path, df.to_csv(index=False, lineterminator="\n", float_format=f"%.{digits}g"))


def save_table(
    df: pd.DataFrame,
    out_dir: str | Path,
    name: str,
    *,
    counts: Sequence[str] = (),
    threshold: int | None = None,
    totals: Sequence[str] = (),
) -> pd.DataFrame:
    """Suppress small counts, check the table is aggregate, and write ``<out_dir>/<name>.csv``.

    Parameters
    ----------
    df
        An aggregate table.
    out_dir, name
        Where to write it.
    counts
        Columns holding counts of people, suppressed below ``threshold``.
    threshold
        Smallest count shown (default :data:`evalkit.disclosure.DEFAULT_THRESHOLD`: counts 1-5 are hidden).
    totals
        Columns of ``counts`` that are row totals of the others (secondary suppression).

    Returns
    -------
    pandas.DataFrame
        The table as written (after suppression), for display.
    """
    from evalkit import disclosure

    disclosure.assert_aggregate(df, name=name)
    safe = disclosure.suppress(df, counts, threshold=threshold, totals=totals) if counts else df
    write_csv(safe, Path(out_dir) / f"{name}.csv")
    return safe


def save_figure(fig, out_dir: str | Path, name: str) -> Path:
    """Save a matplotlib figure as PNG with no timestamp metadata (reproducible bytes)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return atomic_write_bytes(Path(out_dir) / f"{name}.png", buf.getvalue())

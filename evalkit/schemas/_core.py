"""Reading and validating input tables.

Every input table has a :class:`TableSpec`: a file name, a pandera schema and
the keys that must be unique. :func:`read_table` reads a CSV defensively
(encoding, BOM, empty files, Excel formulas, UK dates, huge files) and
validates it. Every problem becomes one :class:`Problem`, printed as one line
that names the file, the row, the column and the rule. A table with problems
raises :class:`InputError`, whose message is those lines and nothing else: no
pandas traceback reaches the user.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first
data row is row 2.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.errors as pa_errors
import pandera.pandas as pa

from evalkit.errors import EvalkitWarning, InputDataError
from evalkit.errors import shown as _value

#: Largest file read by default. A larger file is almost always the wrong file
#: (an export of a whole case-management system rather than the table asked for).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

EXCEL_ERRORS = {"#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#N/A", "#NUM!", "#NULL!", "#SPILL!"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UK_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Problem:
    """One problem with one input, printed as one line."""

    file: str
    rule: str
    detail: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{': '.join(where)}: [{self.rule}] {self.detail}"


class InputError(InputDataError):
    """Raised when an input table breaks its schema. ``str(err)`` is one line per problem.

    A subclass of :class:`evalkit.errors.InputDataError` (and so of ``ValueError``).
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


Finding = tuple[int | None, str | None, str, str]


@dataclass(frozen=True)
class Requirement:
    """Something a notebook needs across the rows of one table (base class).

    Subclasses are called on the validated table and return findings
    ``(position, column, rule, detail)``, like :attr:`TableSpec.checks`;
    :meth:`describe` gives the sentence the column README shows.
    """

    needed_by: str = ""

    def __call__(self, df: pd.DataFrame) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _for(self) -> str:
        return f" (needed by {self.needed_by})" if self.needed_by else ""


def _fmt(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@dataclass(frozen=True)
class RequiredValues(Requirement):
    """Rows that must be present: every value of ``values`` appears in ``column``.

    For key/value tables (``key``, ``item``, ``window`` ...). ``where`` restricts the
    search to rows where other columns have given values.
    """

    column: str = ""
    values: tuple[Any, ...] = ()
    where: tuple[tuple[str, Any], ...] = ()

    def __call__(self, df: pd.DataFrame) -> list[Finding]:
        if self.column not in df.columns:
            return []
        sub = df
        for c, v in self.where:
            if c in sub.columns:
                sub = sub[sub[c].astype(str) == str(v)]
        have = {_fmt(v) for v in sub[self.column].dropna()}
        cond = "".join(f", {c}={_fmt(v)}" for c, v in self.where)
        return [
            (None, self.column, "required-row",
             f"no row has {self.column} {_fmt(v)!r}{self._for()}; add a row with {self.column}={_fmt(v)}{cond}")
            for v in self.values
            if _fmt(v) not in have
        ]

    def describe(self) -> str:
        cond = "".join(f" (where {c} is {_fmt(v)})" for c, v in self.where)
        return f"rows with `{self.column}` = " + ", ".join(f"`{_fmt(v)}`" for v in self.values) + cond + self._for()


@dataclass(frozen=True)
class MinGroupSize(Requirement):
    """At least ``n`` rows for each value in ``groups`` of ``column`` (all rows if ``column`` is empty)."""

    column: str = ""
    groups: tuple[Any, ...] = ()
    n: int = 1
    label: str = ""

    def __call__(self, df: pd.DataFrame) -> list[Finding]:
        if not self.column:
            if len(df) < self.n:
                return [(None, None, "too-few-rows",
                         f"{len(df)} row(s); at least {self.n} needed{self._for()}; add rows")]
            return []
        if self.column not in df.columns:
            return []
        col = df[self.column].map(_fmt)
        out = []
        for g in self.groups:
            k = int((col == _fmt(g)).sum())
            if k < self.n:
                what = self.label or f"rows with {self.column}={_fmt(g)}"
                out.append((None, self.column, "group-too-small",
                            f"{k} {what}; at least {self.n} needed{self._for()}; add rows with "
                            f"{self.column}={_fmt(g)}"))
        return out

    def describe(self) -> str:
        if not self.column:
            return f"at least {self.n} rows{self._for()}"
        return (f"at least {self.n} rows for each of `{self.column}` = "
                + ", ".join(f"`{_fmt(g)}`" for g in self.groups) + self._for())


@dataclass(frozen=True)
class Ordered(Requirement):
    """``start`` is not after ``end`` on any row (both may be empty)."""

    start: str = ""
    end: str = ""

    def __call__(self, df: pd.DataFrame) -> list[Finding]:
        if self.start not in df.columns or self.end not in df.columns:
            return []
        bad = (df[self.start] > df[self.end]).fillna(False).to_numpy(dtype=bool)
        return [
            (i, self.start, "start-after-end",
             f"{self.start} ({df[self.start].iloc[i]}) is after {self.end} ({df[self.end].iloc[i]}); swap them "
             "or correct one")
            for i in range(len(df)) if bad[i]
        ]

    def describe(self) -> str:
        return f"`{self.start}` not after `{self.end}`"


@dataclass(frozen=True)
class NotGreater(Requirement):
    """A count ``part`` is never larger than its denominator ``whole`` on the same row."""

    part: str = ""
    whole: str = ""

    def __call__(self, df: pd.DataFrame) -> list[Finding]:
        if self.part not in df.columns or self.whole not in df.columns:
            return []
        a = pd.to_numeric(df[self.part], errors="coerce")
        b = pd.to_numeric(df[self.whole], errors="coerce")
        bad = (a > b).fillna(False).to_numpy(dtype=bool)
        return [
            (i, self.part, "count-over-denominator",
             f"{self.part} ({a.iloc[i]:g}) is larger than {self.whole} ({b.iloc[i]:g}), its denominator")
            for i in range(len(df)) if bad[i]
        ]

    def describe(self) -> str:
        return f"`{self.part}` not larger than `{self.whole}`"


@dataclass(frozen=True)
class ConsistentTotal(Requirement):
    """``total`` equals the sum of ``parts`` on every row where all are given (within ``tol``)."""

    parts: tuple[str, ...] = ()
    total: str = ""
    tol: float = 1e-9

    def __call__(self, df: pd.DataFrame) -> list[Finding]:
        cols = [*self.parts, self.total]
        if not set(cols) <= set(df.columns):
            return []
        v = df[cols].apply(pd.to_numeric, errors="coerce")
        full = v.notna().all(axis=1)
        diff = (v[list(self.parts)].sum(axis=1) - v[self.total]).abs()
        bad = (full & (diff > self.tol * v[self.total].abs().clip(lower=1))).to_numpy(dtype=bool)
        return [
            (i, self.total, "inconsistent-total",
             f"{self.total} is {v[self.total].iloc[i]:g} but {' + '.join(self.parts)} = "
             f"{v[list(self.parts)].iloc[i].sum():g}")
            for i in range(len(df)) if bad[i]
        ]

    def describe(self) -> str:
        return f"`{self.total}` = " + " + ".join(f"`{c}`" for c in self.parts)


@dataclass
class TableSpec:
    """What one input table must look like.

    Parameters
    ----------
    name
        File stem: the table is read from ``<folder>/<name>.csv``.
    schema
        pandera schema. Give every column a ``description`` and, for numbers,
        ``metadata={"unit": ...}``; both feed the templates and the column README.
    description
        One line on what the table holds.
    unique
        Columns whose combination must not repeat (the table's key).
    date_columns
        Columns holding dates. ISO (2016-03-31) and UK (31/03/2016) forms are
        accepted; a column that mixes them, or any other form, is an error.
    month_columns
        Columns holding months as ``YYYY-MM``.
    min_rows
        Fewest data rows allowed (default 1: an empty table is an error).
    max_bytes
        Largest file size accepted.
    source
        The seed folder the table belongs to (e.g. ``"000_gloucestershire_yst"``),
        or ``"la"`` for tables that a new local authority supplies.
    example
        One example row for templates (column -> value).
    more_examples
        Further example rows, so that a template already holds every row the
        ``requires`` ask for (each item of a key/value table, both windows).
    checks
        Extra whole-table checks: functions ``(df) -> list[(position, column, rule, detail)]``,
        where ``position`` is the 0-based position of the offending row in ``df`` (or ``None``
        for a whole-table problem); it is turned into the file's row number for the message.
    requires
        What the notebooks need *across rows*, declared as data (:class:`RequiredValues`,
        :class:`MinGroupSize`, :class:`Ordered`, :class:`NotGreater`, :class:`ConsistentTotal`).
        Checked by :func:`validate_frame` (so by ``evalkit validate`` and by every notebook's
        load step) once the rows themselves are valid; listed in the column README.
    """

    name: str
    schema: pa.DataFrameSchema
    description: str = ""
    unique: list[str] = field(default_factory=list)
    date_columns: list[str] = field(default_factory=list)
    month_columns: list[str] = field(default_factory=list)
    min_rows: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    source: str = ""
    example: Mapping[str, Any] = field(default_factory=dict)
    checks: list[Callable[[pd.DataFrame], list[tuple[int | None, str | None, str, str]]]] = field(
        default_factory=list
    )
    requires: list[Requirement] = field(default_factory=list)
    more_examples: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def columns(self) -> list[str]:
        return list(self.schema.columns)

    def required_columns(self) -> list[str]:
        return [c for c, col in self.schema.columns.items() if col.required]


REGISTRY: dict[str, TableSpec] = {}

#: Cross-table checks for a folder: name -> function(folder, tables) -> list[Problem].
FOLDER_CHECKS: dict[str, Callable[[Path, dict[str, pd.DataFrame]], list[Problem]]] = {}


def register(spec: TableSpec) -> TableSpec:
    """Add ``spec`` to the registry. Table names are unique across the package."""
    if spec.name in REGISTRY and REGISTRY[spec.name] is not spec:
        raise ValueError(f"table name {spec.name!r} is registered twice")
    REGISTRY[spec.name] = spec
    return spec


def register_folder_check(
    name: str,
) -> Callable[
    [Callable[[Path, dict[str, pd.DataFrame]], list[Problem]]],
    Callable[[Path, dict[str, pd.DataFrame]], list[Problem]],
]:
    """Decorator registering a cross-table check run by :func:`validate_folder`."""

    def deco(fn: Callable[[Path, dict[str, pd.DataFrame]], list[Problem]]):
        FOLDER_CHECKS[name] = fn
        return fn

    return deco


def get_spec(name: str) -> TableSpec:
    stem = Path(name).stem if name.endswith(".csv") else name
    try:
        return REGISTRY[stem]
    except KeyError:
        raise KeyError(f"no schema is registered for a table named {stem!r}") from None


# --------------------------------------------------------------------------- reading


def _display(path: Path) -> str:
    from evalkit.paths import ROOT

    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _check_containment(path: Path, shown: str) -> None:
    """Refuse a file outside the input folders, or a symbolic link leaving its own folder.

    An LA folder is a unit: a link inside it to a file elsewhere would be read
    as the LA's own data and hashed in the manifest under the wrong name.
    (Where a folder may live at all is checked on the parameters that name it:
    see :mod:`evalkit.params_schema`.)
    """
    from evalkit.paths import is_input_path

    if not is_input_path(path):
        raise InputError(
            [
                Problem(
                    shown,
                    "outside-repository",
                    f"resolves to {path.resolve()}, outside the repository and ../shared; put the LA's files "
                    "in data/raw/las/<la>/ (or add the folder to EVALKIT_INPUT_ROOTS on purpose)",
                )
            ]
        )
    if not path.is_symlink():
        return
    folder = path.parent.resolve()
    target = path.resolve()
    try:
        target.relative_to(folder)
    except ValueError:
        raise InputError(
            [
                Problem(
                    shown,
                    "symlink-outside",
                    f"a symbolic link to {target}, outside this folder; copy the file here instead",
                )
            ]
        ) from None


def read_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a CSV file's text, refusing what cannot be a sensible table.

    Raises :class:`InputError` for a missing, empty, oversized or non-UTF-8
    file. A UTF-8 byte-order mark (as Excel writes) is removed.
    """
    shown = _display(path)
    if path.is_dir():
        raise InputError([Problem(shown, "file-is-folder", "this is a folder, not a file; put the CSV itself here")])
    if path.is_symlink() and not path.exists():
        raise InputError([Problem(shown, "file-missing", "a symbolic link whose target does not exist")])
    if not path.is_file():
        if path.exists():
            raise InputError([Problem(shown, "file-not-regular", "not a regular file (a device, pipe or socket)")])
        raise InputError([Problem(shown, "file-missing", "the file does not exist")])
    _check_containment(path, shown)
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            [
                Problem(
                    shown,
                    "file-too-large",
                    f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
                    "for this table; check that it is the right file",
                )
            ]
        )
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(
            [Problem(shown, "file-unreadable", f"the file cannot be read ({err.strerror or err}); check its permissions")]
        ) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and (raw[1:2] == b"\x00" or raw[0:1] == b"\x00")):
        raise InputError(
            [
                Problem(
                    shown,
                    "encoding",
                    "the file is UTF-16 ('Unicode Text'), not UTF-8; re-save it as 'CSV UTF-8' "
                    "(in Excel: Save As > CSV UTF-8)",
                )
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start]
        hint = " (0xa3 is '£' in Latin-1/Windows-1252)" if byte == 0xA3 else ""
        raise InputError(
            [
                Problem(
                    shown,
                    "encoding",
                    f"not valid UTF-8 (byte 0x{byte:02x} on line {line}{hint}); "
                    "re-save the file as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8)",
                    row=line,
                )
            ]
        ) from None
    if not text.strip():
        raise InputError([Problem(shown, "file-empty", "the file is empty")])
    return text


def _parse_dates(
    values: pd.Series, column: str, shown: str, rowmap: Callable[[int], int] = lambda i: i + 2
) -> tuple[pd.Series, list[Problem]]:
    """Parse a column of ISO or UK dates, rejecting mixtures and other forms."""
    problems: list[Problem] = []
    kinds: dict[str, list[int]] = {}
    out: list[Any] = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and pd.isna(v)) or v == "":
            out.append(pd.NaT)
            continue
        s = str(v).strip()
        if _ISO_DATE.match(s):
            kinds.setdefault("ISO (YYYY-MM-DD)", []).append(i)
            fmt = "%Y-%m-%d"
        elif _UK_DATE.match(s):
            kinds.setdefault("UK (DD/MM/YYYY)", []).append(i)
            fmt = "%d/%m/%Y"
        else:
            problems.append(
                Problem(
                    shown,
                    "date-format",
                    f"{s!r} is not a date in ISO (2016-03-31) or UK (31/03/2016) form",
                    row=rowmap(i),
                    column=column,
                )
            )
            out.append(pd.NaT)
            continue
        try:
            out.append(pd.Timestamp(datetime.strptime(s, fmt)))
        except ValueError:
            problems.append(
                Problem(shown, "date-invalid", f"{s!r} is not a real calendar date", rowmap(i), column)
            )
            out.append(pd.NaT)
    if len(kinds) > 1:
        minority = min(kinds, key=lambda k: len(kinds[k]))
        first = kinds[minority][0]
        problems.append(
            Problem(
                shown,
                "date-mixed-formats",
                f"dates mix {' and '.join(sorted(kinds))} forms; use one form throughout "
                f"(first {minority} date here)",
                row=rowmap(first),
                column=column,
            )
        )
    return pd.Series(out, index=values.index, dtype="datetime64[ns]"), problems


def _parse_months(
    values: pd.Series, column: str, shown: str, rowmap: Callable[[int], int] = lambda i: i + 2
) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    out: list[Any] = []
    for i, v in enumerate(values):
        s = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()
        if not s:
            out.append(pd.NaT)
        elif _ISO_MONTH.match(s) and 1 <= int(s[5:7]) <= 12:
            out.append(pd.Timestamp(date(int(s[:4]), int(s[5:7]), 1)))
        else:
            problems.append(
                Problem(shown, "month-format", f"{s!r} is not a month in YYYY-MM form", rowmap(i), column)
            )
            out.append(pd.NaT)
    return pd.Series(out, index=values.index, dtype="datetime64[ns]"), problems


TRUE_WORDS = {"true", "yes", "y", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "f"}


def _parse_bools(
    values: pd.Series, column: str, shown: str, rowmap: Callable[[int], int], *, nullable: bool
) -> tuple[pd.Series, list[Problem]]:
    """Read true/false, yes/no or 1/0 (any case); anything else is an error, never truthiness."""
    problems: list[Problem] = []
    out: list[Any] = []
    for i, v in enumerate(values):
        if isinstance(v, bool):
            out.append(v)
            continue
        s = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip().lower()
        if s in TRUE_WORDS:
            out.append(True)
        elif s in FALSE_WORDS:
            out.append(False)
        elif s == "" and nullable:
            out.append(pd.NA)
        else:
            problems.append(
                Problem(
                    shown,
                    "wrong-type",
                    f"{v!r} is not true or false (use true/false, yes/no or 1/0)"
                    if s
                    else "a value is required here (true or false)",
                    rowmap(i),
                    column,
                )
            )
            out.append(pd.NA)
    dtype = "boolean" if nullable or problems else bool
    return pd.Series(out, index=values.index, dtype=dtype), problems


class RowNumbers(tuple):
    """File row numbers of a table's rows (``df.attrs["rows"]``): an immutable tuple that
    pandas may share instead of deep-copying.

    pandas deep-copies ``DataFrame.attrs`` on nearly every operation (each column access,
    mask, copy); a plain list of one int per row made validating a table of a few thousand
    rows spend most of its time copying that list.
    """

    __slots__ = ()

    def __copy__(self) -> RowNumbers:
        return self

    def __deepcopy__(self, memo: dict) -> RowNumbers:
        return self


def _frame_from_text(text: str, shown: str) -> pd.DataFrame:
    """Parse CSV text into an all-text DataFrame.

    Cells are trimmed, Excel's wholly empty trailing columns and wholly empty
    rows are dropped, and ``df.attrs["rows"]`` keeps each remaining row's line
    number in the file (header = row 1) so problems point at the right row.
    """
    first = text.split("\n", 1)[0]
    if first.count(",") == 0 and (first.count(";") > 0 or first.count("\t") > 0):
        sep = ";" if first.count(";") >= first.count("\t") else "tab"
        raise InputError(
            [Problem(shown, "delimiter", f"columns are separated by {sep!r}; evalkit reads comma-separated files")]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    try:
        header = next(reader)
        width = len(header)
        for rec in reader:
            line = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) > width:
                extra = rec[width:]
                if all(not c.strip() for c in extra):
                    rec = rec[:width]
                else:
                    problems.append(
                        Problem(
                            shown,
                            "csv-structure",
                            f"the row has {len(rec)} fields but the header has {width} "
                            "(an unquoted comma, or a missing header?)",
                            row=line,
                        )
                    )
                    continue
            records.append(rec + [""] * (width - len(rec)))
            lines.append(line)
    except csv.Error as err:
        raise InputError([Problem(shown, "csv-structure", str(err), row=reader.line_num)]) from None
    except StopIteration:
        raise InputError([Problem(shown, "file-empty", "the file has no header row")]) from None
    if problems:
        raise InputError(problems)
    header = [h.strip() for h in header]
    df = pd.DataFrame(records, columns=range(width), dtype=object)
    keep = [
        i for i, h in enumerate(header) if h or not all(not r[i].strip() for r in records)
    ]
    blank = [i for i in keep if not header[i]]
    if blank:
        raise InputError(
            [Problem(shown, "blank-header", f"column {i + 1} has values but no name in the header") for i in blank]
        )
    seen: dict[str, int] = {}
    dup = []
    for i in keep:
        if header[i] in seen:
            dup.append(Problem(shown, "duplicate-column", f"column {header[i]!r} appears twice"))
        seen[header[i]] = i
    if dup:
        raise InputError(dup)
    df = df[keep]
    df.columns = [header[i] for i in keep]
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip()
    df.attrs["rows"] = RowNumbers(lines)
    return df


def _check_title_rows(text: str, spec: TableSpec, shown: str) -> None:
    """Refuse a file whose header is not on row 1 (a title or notes above it, as spreadsheets often have)."""
    required = spec.required_columns()
    if not required:
        return
    try:
        rows = []
        for rec in csv.reader(io.StringIO(text, newline="")):
            rows.append({c.strip() for c in rec})
            if len(rows) >= 8:
                break
    except csv.Error:
        return
    if not rows or set(required) <= rows[0]:
        return
    for k, rec in enumerate(rows[1:], start=2):
        if set(required) <= rec:
            raise InputError(
                [
                    Problem(
                        shown,
                        "title-row",
                        f"the column names are on row {k}, not row 1; delete the {k - 1} row(s) above "
                        "the header (a title or notes)",
                        row=1,
                    )
                ]
            )


def _row(df: pd.DataFrame, i: Any) -> int:
    """File row number (header = 1) of DataFrame row label ``i``."""
    rows = df.attrs.get("rows")
    pos = df.index.get_loc(i) if i in df.index else int(i)
    if rows is not None and isinstance(pos, int) and pos < len(rows):
        return int(rows[pos])
    return int(pos) + 2


def _cell_problems(df: pd.DataFrame, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    for c in df.columns:
        col = df[c]
        formula = col.str.startswith("=") & (col.str.len() > 1)
        for i in col.index[formula][:20]:
            problems.append(
                Problem(
                    shown,
                    "excel-formula",
                    f"cell holds a spreadsheet formula {col[i]!r}, not its value; "
                    "paste values before exporting",
                    row=_row(df, i),
                    column=c,
                )
            )
        errs = col.isin(EXCEL_ERRORS)
        for i in col.index[errs][:20]:
            problems.append(
                Problem(shown, "excel-error", f"cell holds the spreadsheet error {col[i]!r}", _row(df, i), c)
            )
    return problems


def _rule_name(check: Any) -> str:
    s = str(check)
    mapping = {
        "column_in_dataframe": "missing-column",
        "column_in_schema": "unexpected-column",
        "field_uniqueness": "duplicate-key",
        "multiple_fields_uniqueness": "duplicate-key",
        "not_nullable": "missing-value",
        "dataframe_not_equal_1": "empty",
    }
    for key, name in mapping.items():
        if key in s:
            return name
    if s.startswith("coerce_dtype"):
        return "wrong-type"
    if s.startswith("dtype("):
        return "wrong-type"
    return s


def _describe(rule: str, check: str, failure: Any, spec: TableSpec, column: str | None) -> str:
    col = spec.schema.columns.get(column) if column else None
    if rule == "missing-column":
        return f"required column {failure!r} is missing"
    if rule == "missing-value":
        return "a value is required here"
    if rule == "wrong-type":
        want = str(col.dtype) if col is not None else check
        kind = "a whole number" if "int" in want.lower() else "a number" if "float" in want.lower() else want
        if "bool" in want.lower():
            kind = "true or false"
        return f"{failure!r} is not {kind}"
    if rule == "duplicate-key":
        return f"duplicate value {failure!r}"
    return f"value {failure!r} breaks the rule"


def _pandera_problems(
    err: pa_errors.SchemaErrors,
    spec: TableSpec,
    shown: str,
    rowmap: Callable[[int], int],
    skip_columns: frozenset[str] = frozenset(),
) -> list[Problem]:
    fc = err.failure_cases
    # A column that failed to convert is then checked as text, which pandera reports as a
    # TypeError with no row; the wrong-type lines already say what is wrong.
    failed_cols = {
        str(r["column"]) for r in fc.to_dict("records") if str(r.get("check", "")).startswith("coerce_dtype")
    }
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for rec in fc.to_dict("records"):
        column = rec.get("column")
        column = None if column is None or (isinstance(column, float) and pd.isna(column)) else str(column)
        check = str(rec.get("check"))
        failure = rec.get("failure_case")
        idx = rec.get("index")
        row = None if idx is None or (isinstance(idx, float) and pd.isna(idx)) else rowmap(int(idx))
        rule = _rule_name(check)
        if column in failed_cols and rule != "wrong-type" and "TypeError" in str(failure):
            continue
        if column in skip_columns:
            continue
        if rec.get("schema_context") == "DataFrameSchema" and rule not in {
            "missing-column", "duplicate-key", "unexpected-column"
        }:
            column = None  # a whole-row rule: report once per row
            if skip_columns:
                continue  # it fails because a value could not be read; that is already reported
        if rule == "missing-column":
            column = str(failure)
            row = None
        key = (row, column, rule)
        if key in seen:
            continue
        seen.add(key)
        detail = (
            "the row breaks this rule" if column is None and row is not None and rule == check
            else _describe(rule, check, failure, spec, column)
        )
        if rule not in {"missing-column", "missing-value", "wrong-type", "duplicate-key"}:
            rule = check
        problems.append(Problem(shown, rule, detail, row=row, column=column))
    return problems


def _unique_problems(
    df: pd.DataFrame, spec: TableSpec, shown: str, rowmap: Callable[[int], int]
) -> list[Problem]:
    if not spec.unique or not set(spec.unique) <= set(df.columns):
        return []
    dup = df.duplicated(subset=spec.unique, keep="first")
    out = []
    # Keys that differ only in case or surrounding spaces ("YP001" and "yp001") are one person twice.
    folded = df[spec.unique].apply(lambda s: s.map(lambda v: v.strip().casefold() if isinstance(v, str) else v))
    fold_dup = folded.duplicated(keep="first") & ~dup
    for i in df.index[fold_dup]:
        first = df.index[(folded == folded.loc[i]).all(axis=1)][0]
        key = ", ".join(f"{c}={_value(df.at[i, c])}" for c in spec.unique)
        other = ", ".join(f"{c}={_value(df.at[first, c])}" for c in spec.unique)
        out.append(
            Problem(
                shown,
                "duplicate-key-case",
                f"{key} differs from {other} in row {rowmap(first)} only in upper/lower case; "
                "identifiers must differ in more than case",
                row=rowmap(i),
                column=spec.unique[0] if len(spec.unique) == 1 else None,
            )
        )
    for i in df.index[dup]:
        key = ", ".join(f"{c}={_value(df.at[i, c])}" for c in spec.unique)
        first = df.index[(df[spec.unique] == df.loc[i, spec.unique]).all(axis=1)][0]
        out.append(
            Problem(
                shown,
                "duplicate-key",
                f"{key} already appears in row {rowmap(first)}; the key ({', '.join(spec.unique)}) must be unique",
                row=rowmap(i),
                column=spec.unique[0] if len(spec.unique) == 1 else None,
            )
        )
    return out


#: Cells that stand for "missing" in spreadsheets. evalkit wants an empty cell instead.
PLACEHOLDERS = {"n/a", "na", "n.a.", "-", "--", "\u2013", "\u2014", "null", "none", "nan", ".", "?", "missing"}
_MONEY = re.compile(r"^(?P<sign>-?)£?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)$")


def _numeric_kind(col: Any) -> str | None:
    want = str(col.dtype).lower()
    if "int" in want:
        return "int"
    if "float" in want:
        return "float"
    return None


def _clean_numbers(
    df: pd.DataFrame, spec: TableSpec, shown: str, rowmap: Callable[[int], int]
) -> tuple[list[Problem], list[str]]:
    """Tidy spreadsheet number formats in numeric columns, in place.

    Accepted on purpose, with a warning: a leading ``£`` and thousands
    separators (``"£1,730"`` and ``"1,234"`` are read as 1730 and 1234).
    Refused with a message: a percent sign (``"45%"``: 45 or 0.45 depends on the
    column) and placeholders for missing values (``n/a``, ``-``: leave the cell
    empty; write 0 if zero is meant).
    """
    problems: list[Problem] = []
    notes: list[str] = []
    for c, col in spec.schema.columns.items():
        if c not in df.columns or _numeric_kind(col) is None or df[c].dtype != object:
            continue
        cleaned = 0
        first_row = None
        values = df[c].tolist()
        for i, v in enumerate(values):
            if v is None or not isinstance(v, str):
                continue
            t = v.strip()
            low = t.lower()
            if low in PLACEHOLDERS:
                problems.append(
                    Problem(shown, "placeholder", f"{t!r} stands in for a missing value; leave the cell empty "
                            "(or write 0 if zero is meant)", rowmap(i), c)
                )
                continue
            if t.endswith("%") and t[:-1].strip().replace(".", "", 1).lstrip("-").isdigit():
                unit = (col.metadata or {}).get("unit", "")
                problems.append(
                    Problem(shown, "percent-sign", f"{t!r} has a percent sign; write the number alone "
                            f"(the column's unit is {unit or 'not stated'}: 45 for a percentage, 0.45 for a share)",
                            rowmap(i), c)
                )
                continue
            if "£" in t or "," in t:
                m = _MONEY.match(t.replace(" ", ""))
                if m:
                    values[i] = m.group("sign") + m.group("num").replace(",", "")
                    cleaned += 1
                    first_row = first_row or rowmap(i)
        if cleaned:
            df[c] = values
            notes.append(
                f"{shown}: column '{c}': [number-format] removed '£' or thousands separators from {cleaned} "
                f"value(s) (first on row {first_row}); evalkit reads them as plain numbers"
            )
    return problems, notes


def validate_frame(df: pd.DataFrame, spec: TableSpec, shown: str = "<table>") -> pd.DataFrame:
    """Validate an all-text or typed DataFrame against ``spec``; return the typed frame.

    Raises :class:`InputError` listing every problem found.
    """
    problems: list[Problem] = []
    rows = df.attrs.get("rows")

    def rowmap(pos: int) -> int:
        return int(rows[pos]) if rows is not None and 0 <= pos < len(rows) else pos + 2

    df = df.copy().reset_index(drop=True)
    if len(df) < spec.min_rows:
        problems.append(
            Problem(shown, "no-rows", f"the table has {len(df)} data rows; at least {spec.min_rows} needed")
        )
    # Treat empty text as missing before coercion.
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].mask(df[c].astype(str).str.strip() == "", None)
    unparsed: set[str] = set()
    more, notes = _clean_numbers(df, spec, shown, rowmap)
    problems += more
    unparsed |= {p.column for p in more if p.column}
    for c in spec.date_columns:
        if c in df.columns:
            df[c], more = _parse_dates(df[c], c, shown, rowmap)
            problems += more
            unparsed |= {c} if more else set()
    for c in spec.month_columns:
        if c in df.columns:
            df[c], more = _parse_months(df[c], c, shown, rowmap)
            problems += more
            unparsed |= {c} if more else set()
    for c, col in spec.schema.columns.items():
        if c in df.columns and str(col.dtype).lower() in {"bool", "boolean"}:
            df[c], more = _parse_bools(df[c], c, shown, rowmap, nullable=col.nullable)
            problems += more
            unparsed |= {c} if more else set()
    problems += _unique_problems(df, spec, shown, rowmap)
    typed = df
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            typed = spec.schema.validate(df, lazy=True)
    except pa_errors.SchemaErrors as err:
        problems += _pandera_problems(err, spec, shown, rowmap, frozenset(unparsed))
    except pa_errors.SchemaError as err:  # pragma: no cover - lazy=True normally collects
        problems.append(Problem(shown, "schema", str(err).splitlines()[0]))
    if not problems:
        for check in [*spec.checks, *spec.requires]:
            for pos, column, rule, detail in check(typed):
                row = None if pos is None else rowmap(int(pos))
                problems.append(Problem(shown, rule, detail, row=row, column=column))
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise InputError(problems)
    notes += _future_dates(typed, spec, shown, rowmap)
    for note in notes:
        warnings.warn(note, EvalkitWarning, stacklevel=3)
    typed.attrs["rows"] = RowNumbers(rowmap(i) for i in range(len(typed)))
    typed.attrs["warnings"] = notes
    return typed


def _future_dates(df: pd.DataFrame, spec: TableSpec, shown: str, rowmap: Callable[[int], int]) -> list[str]:
    """Warnings for dates after today in date columns (a typo for the year, as a rule)."""
    today = pd.Timestamp(date.today())
    out = []
    for c in spec.date_columns:
        if c in df.columns:
            late = df.index[df[c] > today]
            if len(late):
                first = df.index.get_loc(late[0])
                out.append(
                    f"{shown}: row {rowmap(int(first))}: column '{c}': [date-in-future] "
                    f"{df.at[late[0], c]:%Y-%m-%d} is after today ({len(late)} such date(s)); check the year"
                )
    return out


def file_row(df: pd.DataFrame, position: int) -> int:
    """Row number in the file (header = 1) of the row at ``position`` of a table read by :func:`read_table`.

    Folder checks use it so their messages point at the same rows as the schema's.
    """
    rows = df.attrs.get("rows")
    return int(rows[position]) if rows is not None and 0 <= position < len(rows) else position + 2


def read_table(path: str | Path, spec: TableSpec | str | None = None) -> pd.DataFrame:
    """Read and validate one CSV table.

    Parameters
    ----------
    path
        The CSV file.
    spec
        Its :class:`TableSpec` or table name; by default looked up from the file name.

    Returns
    -------
    pandas.DataFrame
        The validated, typed table.

    Raises
    ------
    InputError
        With one line per problem, naming file, row, column and rule.
    """
    path = Path(path)
    if spec is None:
        spec = get_spec(path.stem)
    elif isinstance(spec, str):
        spec = get_spec(spec)
    shown = _display(path)
    text = read_text(path, max_bytes=spec.max_bytes)
    _check_title_rows(text, spec, shown)
    df = _frame_from_text(text, shown)
    problems = _cell_problems(df, shown)
    if problems:
        raise InputError(problems)
    return validate_frame(df, spec, shown)


def load_table(folder: str | Path, name: str) -> pd.DataFrame:
    """Read table ``name`` (a registered table) from ``folder``."""
    from evalkit.paths import resolve

    spec = get_spec(name)
    return read_table(resolve(folder) / spec.filename, spec)


def load_optional(folder: str | Path, name: str) -> pd.DataFrame | None:
    """Like :func:`load_table`, but ``None`` when the file is absent (it is still validated if present)."""
    from evalkit.paths import resolve

    spec = get_spec(name)
    path = resolve(folder) / spec.filename
    return read_table(path, spec) if path.exists() else None


def validate_folder(folder: str | Path, *, strict: bool = True, only: Iterable[str] | None = None
                    ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate every CSV under ``folder``.

    Returns the tables that passed and the list of problems. With ``strict``,
    a CSV whose name matches no registered table is itself a problem.
    ``only`` (registered table names) limits the check to those tables' CSVs,
    e.g. the ones a notebook reads; the cross-table checks then see only them.
    """
    from evalkit.paths import resolve

    folder = resolve(folder)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    if not folder.exists():
        return tables, [Problem(_display(folder), "folder-missing", "the folder does not exist")]
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.csv"))
    if not files and not (folder.is_dir() and (folder / "params.yaml").is_file()):
        # (an LA folder may hold only params.yaml, its notebooks reading data_dir folders elsewhere)
        problems.append(Problem(_display(folder), "no-tables", "no CSV files found"))
    if only is not None:
        wanted = set(only)
        files = [f for f in files if f.stem in wanted]
    by_dir: dict[Path, dict[str, pd.DataFrame]] = {}
    for f in files:
        if f.stem not in REGISTRY:
            if strict:
                known = ", ".join(sorted(REGISTRY)) if len(REGISTRY) < 12 else f"{len(REGISTRY)} known tables"
                problems.append(
                    Problem(
                        _display(f),
                        "unknown-table",
                        f"no schema for a table named {f.stem!r} ({known}; see `evalkit tables`)",
                    )
                )
            continue
        try:
            df = read_table(f)
        except InputError as err:
            problems += err.problems
            continue
        tables[str(f.relative_to(folder)) if folder.is_dir() else f.name] = df
        by_dir.setdefault(f.parent, {})[f.stem] = df
    # Cross-table checks run per directory, on the tables that passed on their own.
    for d, group in by_dir.items():
        for check in FOLDER_CHECKS.values():
            problems += check(d, group)
    return tables, problems

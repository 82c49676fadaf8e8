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


class InputError(ValueError):
    """Raised when an input table breaks its schema. ``str(err)`` is one line per problem."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
    checks
        Extra whole-table checks: functions ``(df) -> list[(position, column, rule, detail)]``,
        where ``position`` is the 0-based position of the offending row in ``df`` (or ``None``
        for a whole-table problem); it is turned into the file's row number for the message.
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


def read_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a CSV file's text, refusing what cannot be a sensible table.

    Raises :class:`InputError` for a missing, empty, oversized or non-UTF-8
    file. A UTF-8 byte-order mark (as Excel writes) is removed.
    """
    shown = _display(path)
    if not path.is_file():
        raise InputError([Problem(shown, "file-missing", "the file does not exist")])
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
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    shown,
                    "encoding",
                    f"not valid UTF-8 (byte 0x{raw[err.start]:02x} on line {line}); "
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
    df.attrs["rows"] = lines
    return df


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
    for i in df.index[dup]:
        key = ", ".join(f"{c}={df.at[i, c]!r}" for c in spec.unique)
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
        for check in spec.checks:
            for pos, column, rule, detail in check(typed):
                row = None if pos is None else rowmap(int(pos))
                problems.append(Problem(shown, rule, detail, row=row, column=column))
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise InputError(problems)
    typed.attrs["rows"] = [rowmap(i) for i in range(len(typed))]
    return typed


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


def validate_folder(folder: str | Path, *, strict: bool = True) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate every CSV under ``folder``.

    Returns the tables that passed and the list of problems. With ``strict``,
    a CSV whose name matches no registered table is itself a problem.
    """
    from evalkit.paths import resolve

    folder = resolve(folder)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    if not folder.exists():
        return tables, [Problem(_display(folder), "folder-missing", "the folder does not exist")]
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.csv"))
    if not files:
        problems.append(Problem(_display(folder), "no-tables", "no CSV files found"))
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

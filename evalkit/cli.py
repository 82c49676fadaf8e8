"""The ``evalkit`` command.

``evalkit validate [PATH ...]``
    Check input tables against their schemas; one line per problem; exit 1 on any.
``evalkit tables``
    List the input tables evalkit knows, with their columns.
``evalkit reproduce``
    Run every notebook on the shipped data (what ``make reproduce`` does), through the
    same parallel, warm-kernel, resumable engine as ``evalkit batch``.
``evalkit new-la NAME`` and ``evalkit batch ...``
    Scaffold and batch-run new local authorities (see :mod:`evalkit.batch`).

No Python traceback reaches the user for a bad input: errors print as lines and
set the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _cmd_validate(args: argparse.Namespace) -> int:
    import warnings

    from evalkit import params_schema, schemas
    from evalkit.errors import EvalkitWarning
    from evalkit.paths import RAW, resolve

    paths = args.paths or [str(RAW)]
    problems: list = []
    n_tables = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EvalkitWarning)
        for p in paths:
            folder = resolve(p)
            for yml in sorted(folder.rglob("params.yaml")) if folder.is_dir() else []:
                if yml.exists():
                    problems += (params_schema.validate_params(yml) + params_schema.missing_tables(yml)
                                 + params_schema.data_problems(yml))
            tables, found = schemas.validate_folder(p, strict=not args.lenient)
            n_tables += len(tables)
            problems += found
    for w in caught:
        if issubclass(w.category, EvalkitWarning):
            print(f"warning: {w.message}")
    for prob in problems:
        print(prob)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"OK: {n_tables} table(s) valid.")
    return 0


def _cmd_tables(args: argparse.Namespace) -> int:
    from evalkit import schemas

    for name, spec in sorted(schemas.REGISTRY.items()):
        if args.source and spec.source not in {args.source, "*"}:
            continue
        print(f"{name}.csv  [{spec.source}]  {spec.description}")
        if args.columns:
            for col, c in spec.schema.columns.items():
                req = "required" if c.required else "optional"
                print(f"    {col:<28} {str(c.dtype):<16} {req:<9} {c.description or ''}")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evalkit import schemas, templates

    spec = schemas.get_spec(args.name)
    text = templates.template_csv(spec.name)
    if args.out:
        out = Path(args.out)
        target = out / spec.filename if out.is_dir() else out
        if target.exists():
            print(f"{target} exists; not overwritten", file=sys.stderr)
            return 1
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    else:
        print(text, end="")
    if args.doc:
        print(templates.column_doc(spec.name), file=sys.stderr)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from evalkit.batch import report, reproduce

    result = reproduce(notebooks=args.notebooks or None, run_id=args.run_id, workers=args.workers,
                       resume=args.resume, scheduler=args.scheduler)
    return report(result, f"evalkit reproduce --resume --run-id {result.run_dir.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate input CSVs against their schemas")
    v.add_argument("paths", nargs="*", help="folders or files (default: data/raw)")
    v.add_argument("--lenient", action="store_true", help="ignore CSVs with no registered schema")
    v.set_defaults(func=_cmd_validate)

    t = sub.add_parser("tables", help="list the input tables evalkit knows")
    t.add_argument("--source", help="only tables of this source folder (or 'la')")
    t.add_argument("--columns", action="store_true", help="show each table's columns")
    t.set_defaults(func=_cmd_tables)

    tp = sub.add_parser("template", help="print (or write) a CSV template for an input table")
    tp.add_argument("name", help="table name, e.g. case_study_ratings (see `evalkit tables`)")
    tp.add_argument("--out", help="file or folder to write to (never overwrites)")
    tp.add_argument("--doc", action="store_true", help="also print the column documentation (to stderr)")
    tp.set_defaults(func=_cmd_template)

    r = sub.add_parser("reproduce", help="run every notebook on the shipped data with papermill")
    r.add_argument("--notebooks", nargs="*", help="notebook stems or paths (default: all)")
    r.add_argument("--run-id", help="name of the run folder under papermill_runs/ (default: a timestamp)")
    r.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: usable cores)")
    r.add_argument("--resume", action="store_true", help="rerun only what failed or did not finish in a run")
    r.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed scheduler at ADDRESS")
    r.set_defaults(func=_cmd_reproduce)

    try:
        from evalkit import batch

        batch.add_subcommands(sub)
    except ImportError:  # pragma: no cover - batch is optional while it is being built
        pass
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback
        from evalkit.errors import EvalkitError
        from evalkit.schemas import InputError

        if isinstance(err, InputError):
            print(err)
            return 1
        if isinstance(err, EvalkitError):
            print(f"evalkit {args.command}: {err}", file=sys.stderr)
            return 2
        print(f"evalkit {args.command}: error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

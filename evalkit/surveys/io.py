"""Reading an authority's survey folder (validated through :mod:`evalkit.schemas`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit import schemas
from evalkit.schemas import surveys as survey_schemas

WIDE = "survey_responses_wide"
LONG = "survey_responses_long"


def long_to_wide(long: pd.DataFrame, *, id_column: str = "respondent_id") -> pd.DataFrame:
    """Pivot the long layout to the wide one (one row per respondent and wave).

    Columns other than ``item`` and ``response`` are carried from the first row
    of each respondent and wave.
    """
    keys = [id_column, "wave"]
    extra = [c for c in long.columns if c not in {*keys, "item", "response"}]
    wide = long.pivot(index=keys, columns="item", values="response")
    wide.columns.name = None
    if extra:
        first = long.groupby(keys, sort=False)[extra].first()
        wide = first.join(wide)
    return wide.reset_index()


def load_responses(data_dir: str | Path, *, id_column: str = "respondent_id") -> pd.DataFrame:
    """Read and validate the survey responses in ``data_dir``, wide or long.

    Parameters
    ----------
    data_dir
        Folder holding ``survey_responses_wide.csv`` or ``survey_responses_long.csv``.
    id_column
        Name of the respondent id column in the file (renamed to
        ``respondent_id`` in the result).

    Returns
    -------
    pandas.DataFrame
        Wide layout, item columns numeric, id column ``respondent_id``.

    Raises
    ------
    evalkit.schemas.InputError
        One line per problem (file, row, column, respondent, rule).
    """
    from evalkit.paths import resolve

    folder = resolve(data_dir)
    wide_path, long_path = folder / f"{WIDE}.csv", folder / f"{LONG}.csv"
    if wide_path.is_file():
        df = schemas.read_table(wide_path, survey_schemas.wide_spec(id_column))
    elif long_path.is_file():
        df = long_to_wide(schemas.read_table(long_path, survey_schemas.long_spec(id_column)), id_column=id_column)
    else:
        raise schemas.InputError([schemas.Problem(
            str(folder), "file-missing",
            f"no survey responses: put {WIDE}.csv or {LONG}.csv in this folder "
            "(templates in evalkit/resources/templates)")])
    if id_column != "respondent_id":
        if "respondent_id" in df.columns:
            raise schemas.InputError([schemas.Problem(
                str(folder), "duplicate-column",
                f"both {id_column!r} and 'respondent_id' are present; keep one id column")])
        df = df.rename(columns={id_column: "respondent_id"})
    for c in survey_schemas.item_columns(df):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    # Characteristics arrive as text: a column whose every value is a number is numeric (age).
    for c in covariate_columns(df):
        if df[c].dtype == object:
            num = pd.to_numeric(df[c], errors="coerce")
            if num.notna().sum() == df[c].notna().sum() and num.notna().any():
                df[c] = num
    return df


#: The word that asks for the built-in synthetic surveys instead of an LA's file.
SYNTHETIC = "synthetic"


def responses_or_synthetic(
    data_dir: str | Path | None, *, la_name: str, id_column: str = "respondent_id", seed: int = 11
) -> tuple[pd.DataFrame, dict[str, float], str]:
    """The survey responses to analyse: an LA's file, or synthetic data when asked for by name.

    Synthetic data are used only when ``data_dir`` is the word ``"synthetic"``;
    a folder without a survey file is an error (never a silent switch to
    synthetic data), and so is ``data_dir=None``.

    Returns
    -------
    wide : pandas.DataFrame
        Wide layout, as :func:`load_responses` returns it.
    truth : dict
        The synthetic data's true values (empty for an LA's file).
    title : str
        ``la_name``, with "(SYNTHETIC data)" added for synthetic data unless the
        name already says "synthetic", for every output's title.
    """
    from evalkit.errors import InputDataError

    if isinstance(data_dir, str) and data_dir.strip().lower() == SYNTHETIC:
        from evalkit.synthetic import surveys as synth

        title = la_name if SYNTHETIC in la_name.lower() else f"{la_name} (SYNTHETIC data)"
        return synth.survey_folder(seed)[WIDE], synth.truths(seed), title
    if data_dir is None or (isinstance(data_dir, str) and not data_dir.strip()):
        raise InputDataError(
            f"data_dir: [data-dir-missing] no survey folder given; set data_dir to the folder holding {WIDE}.csv "
            f"or {LONG}.csv, or to {SYNTHETIC!r} for the built-in synthetic surveys"
        )
    return load_responses(data_dir, id_column=id_column), {}, la_name


def covariate_columns(df: pd.DataFrame) -> list[str]:
    """Respondent characteristics in a wide table: not the id, wave, group, date or an item."""
    skip = {"respondent_id", "wave", "respondent_group", "date"}
    return [c for c in df.columns if c not in skip and survey_schemas.item_range(c) is None]

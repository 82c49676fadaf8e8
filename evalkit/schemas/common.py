"""Tables shared by every source folder: the figures a document states."""

from __future__ import annotations

import pandera.pandas as pa

from evalkit.schemas._core import TableSpec, register

COMPARATORS = ["=", "~", ">", ">=", "<", "<="]


def provenance_columns(
    verbatim_required: bool = False, section_description: str = "Section of the source"
) -> dict[str, pa.Column]:
    """The provenance columns a transcribed table may carry: section, seed lines and words.

    Parameters
    ----------
    verbatim_required
        Whether every row must quote the source's words (``verbatim``).
    section_description
        How the ``section`` column is described in the schema documentation.

    Returns
    -------
    dict of str to pandera.Column
        Columns to unpack into a ``DataFrameSchema``.
    """
    return {
        "section": pa.Column(str, required=False, nullable=True, description=section_description),
        "seed_lines": pa.Column(str, required=False, nullable=True, description="Lines of the seed text"),
        "verbatim": pa.Column(
            str, required=verbatim_required, nullable=not verbatim_required, description="Words of the source"
        ),
    }

stated_figures = register(
    TableSpec(
        name="stated_figures",
        source="*",
        description=(
            "Every figure a document states, as printed, with where it is stated. "
            "The reported-vs-reproduced table is built from this file."
        ),
        unique=["figure_id"],
        schema=pa.DataFrameSchema(
            {
                "figure_id": pa.Column(
                    str,
                    pa.Check.str_matches(r"^[a-z0-9][a-z0-9_.]*$"),
                    description="Stable identifier (lower case, digits, _ and .)",
                ),
                "description": pa.Column(str, description="What the figure is"),
                "reported": pa.Column(
                    str,
                    description=(
                        "The figure exactly as printed, without currency signs or thousands "
                        "separators (e.g. 4714, 1.6, 26). Its decimal places set the rounding "
                        "tolerance. Text for a non-numeric claim."
                    ),
                ),
                "unit": pa.Column(str, description="Unit (GBP, GBP_m, hours, %, count, ...)"),
                "comparator": pa.Column(
                    str,
                    pa.Check.isin(COMPARATORS),
                    required=False,
                    nullable=True,
                    description="'=' (default), '~' for 'about', '>'/'>=' for 'over'/'at least', '<'/'<='",
                ),
                "section": pa.Column(str, description="Table, figure or section that states it"),
                "page": pa.Column(
                    "Int64", required=False, nullable=True, description="Printed page number, where known"
                ),
                "seed_lines": pa.Column(
                    str,
                    required=False,
                    nullable=True,
                    description="Lines of the seed text (e.g. '70;73-74')",
                ),
                "verbatim": pa.Column(
                    str, required=False, nullable=True, description="The words of the document"
                ),
            },
            coerce=True,
            strict=False,
        ),
        example={
            "figure_id": "cin_plan_12m",
            "description": "CIN plan support for 12 months",
            "reported": "4714",
            "unit": "GBP",
            "comparator": "=",
            "section": "Table 2",
            "page": "",
            "seed_lines": "71",
            "verbatim": "or £4,714 for 12 months",
        },
    )
)

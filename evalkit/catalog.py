"""Which notebook reads which tables, and how a local authority's folder feeds it.

The entries of the source-document notebooks (01-04) are generated from the
tables and settings their study declares (:mod:`evalkit.studies`).

The batch runner (:mod:`evalkit.batch`) and the ``new-la`` scaffold read this
catalog: a new LA's folder holds the tables of every notebook it runs (table
names are unique across the package, so they never clash), and each notebook
receives ``la_name``, ``data_dir`` (the LA's folder) and ``out_dir``, plus
the parameters listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NotebookEntry:
    """How one notebook is run for a local authority.

    Attributes
    ----------
    stem
        Notebook file stem in ``notebooks/``.
    title
        One line on what it does.
    required
        Tables the LA folder must hold for this notebook.
    optional
        Tables it uses when present.
    la_params
        Parameters set for every LA run (on top of ``la_name``, ``data_dir``, ``out_dir``).
        ``{la_dir}`` in a text value is replaced by the LA's folder.
    data_param
        Name of the notebook parameter that takes the LA folder (``None``: the
        notebook keeps its default data and takes only ``la_name`` and ``la_params``).
    scaffold
        Tables ``evalkit new-la`` writes templates for (default: ``required + optional``
        less ``stated_figures``). Tables that describe a seed document rather than an
        LA are left out.
    needs_panel
        The notebook analyses the LA in the DfE children-looked-after panel, so the LA's
        name must be one the panel knows.
    """

    stem: str
    title: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    la_params: dict[str, Any] = field(default_factory=dict)
    data_param: str | None = "data_dir"
    scaffold: tuple[str, ...] | None = None
    needs_panel: bool = False

    @property
    def tables(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def scaffold_tables(self) -> tuple[str, ...]:
        tables = self.scaffold if self.scaffold is not None else self.tables
        return tuple(t for t in tables if t != "stated_figures")


def _from_study(name: str) -> NotebookEntry:
    """The entry of a study's notebook, from the tables and settings the study declares (:mod:`evalkit.studies`)."""
    from evalkit import studies

    st = studies.get(name)
    return NotebookEntry(
        st.INFO.notebook,
        st.INFO.title,
        required=st.TABLES.required,
        optional=st.TABLES.optional,
        la_params=dict(st.INFO.la_params),
        data_param=st.INFO.data_param,
        scaffold=st.TABLES.scaffold,
    )


CATALOG: dict[str, NotebookEntry] = {
    e.stem: e
    for e in [
        *(_from_study(name) for name in ("yst", "sefton", "glos_iis", "ofsted")),
        NotebookEntry(
            "06_its_adolescent_entries",
            "Controlled interrupted time series of the LA's adolescent entries to care against comparators",
            optional=("la_timeseries",),
        ),
        NotebookEntry(
            "07_matching_la_level",
            "The LA against matched comparison LAs: difference-in-differences, event study, synthetic control",
            data_param=None,
            needs_panel=True,
        ),
        NotebookEntry(
            "08_matching_child_level",
            "Young people who received the service against matched young people who did not",
            required=("child_records",),
        ),
        NotebookEntry(
            "09_survey_baselines",
            "Survey baselines: ratings, SDQ/SWEMWBS scoring, change, attrition weighting",
            optional=("survey_responses_wide", "survey_responses_long"),
            la_params={"data_dir": "{la_dir}"},  # always the LA's own file: a missing one is an error, never synthetic
            scaffold=("survey_responses_wide",),
        ),
        NotebookEntry(
            "10_programme_and_scan",
            "Every LA's level change (funnel plot) and the programme estimate over the seed-named adopters",
            data_param=None,
            needs_panel=True,
        ),
    ]
}


def entry(stem: str) -> NotebookEntry:
    """The catalog entry of a notebook (by stem or unambiguous prefix)."""
    if stem in CATALOG:
        return CATALOG[stem]
    hits = [k for k in CATALOG if k.startswith(stem)]
    if len(hits) == 1:
        return CATALOG[hits[0]]
    raise KeyError(f"no notebook {stem!r} in the batch catalog; have: {', '.join(CATALOG)}")


def register(e: NotebookEntry) -> NotebookEntry:
    CATALOG[e.stem] = e
    return e

"""What the seed documents report about their surveys, read from their ``stated_figures.csv``.

The facts are transcribed (with line numbers) by whoever owns each seed folder;
this module only selects the survey rows for a side table in the survey
notebook. The reproduction rows for these facts belong to each document's own
notebook.
"""

from __future__ import annotations

import re

import pandas as pd

from evalkit.surveys._safe import safe_table

#: Seed folder -> pattern of the ``figure_id`` values that describe its surveys or sample.
SEED_SURVEY_FIGURES: dict[str, str] = {
    "000_gloucestershire_yst": r"survey|rating|^fig\d",
    "001_sefton_cas": r"survey",
    "004_ofsted_edging_away": r"^(las_visited|families|young_people|parents_carers|young_person_min_age|"
                              r"young_people_ever_looked_after)$",
}


def seed_survey_facts(folders: dict[str, str] | None = None) -> pd.DataFrame:
    """Survey facts the seeds state, as printed, from the folders present.

    A folder that is absent or whose ``stated_figures.csv`` does not validate is
    listed with a note instead of failing. The values are the documents'
    published figures as printed (not derived from person-level data), so no
    count is suppressed; the table is still checked to be aggregate.
    """
    from evalkit import schemas
    from evalkit.paths import RAW

    folders = folders or SEED_SURVEY_FIGURES
    rows = []
    for folder, pattern in folders.items():
        path = RAW / folder
        if not (path / "stated_figures.csv").is_file():
            rows.append({"seed": folder, "figure_id": "", "description": "(folder or stated_figures.csv not present)",
                         "reported": "", "unit": "", "seed_lines": ""})
            continue
        try:
            stated = schemas.load_table(path, "stated_figures")
        except schemas.InputError as err:
            rows.append({"seed": folder, "figure_id": "", "description": f"(stated_figures.csv invalid: "
                         f"{str(err).splitlines()[0]})", "reported": "", "unit": "", "seed_lines": ""})
            continue
        rx = re.compile(pattern)
        hit = stated[[bool(rx.search(str(v))) for v in stated["figure_id"]]]
        for _, r in hit.iterrows():
            comp = r.get("comparator")
            comp = "" if comp is None or pd.isna(comp) or comp == "=" else str(comp)
            rows.append({"seed": folder, "figure_id": r["figure_id"], "description": r["description"],
                         "reported": f"{comp}{r['reported']}", "unit": r["unit"],
                         "seed_lines": "" if pd.isna(r.get("seed_lines")) else str(r.get("seed_lines"))})
    return safe_table(pd.DataFrame(rows, columns=["seed", "figure_id", "description", "reported", "unit",
                                                  "seed_lines"]))

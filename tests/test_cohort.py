"""Tests for the synthetic Sefton-shaped cohort and the child_records schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import schemas
from evalkit.schemas import child_records as cr
from evalkit.synthetic import cohort as co
from evalkit.synthetic.cohort import apportion, make_cohort


def test_apportion_by_hand():
    assert apportion(126, [137, 192]).tolist() == [52, 74]  # 52.47 / 73.53
    assert apportion(20, [47, 5, 1]).tolist() == [18, 2, 0]  # 17.74 / 1.89 / 0.38
    assert apportion(6, [13, 2, 1]).tolist() == [5, 1, 0]  # 4.88 / 0.75 / 0.38
    assert apportion(0, [1, 2]).tolist() == [0, 0]
    with pytest.raises(ValueError):
        apportion(3, [0, 0])


def test_seeded_and_reproducible():
    a, b = make_cohort(seed=3), make_cohort(seed=3)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth == b.truth
    assert not make_cohort(seed=4).data.equals(a.data)


def test_treated_group_follows_published_shares():
    for seed in (0, 1, 2):
        c = make_cohort(seed=seed)
        t = c.targets.set_index("figure")
        assert (c.data["received_service"] == 1).sum() == 126
        for fig, r in t.iterrows():
            base = 52 if "| edge_of_care" in fig else 126  # 52 = round(126 * 137 / 329)
            tol = (1 if fig.startswith("prior_") and "|" not in fig else 0.5) / base + 1e-9
            assert abs(r["synthetic_share"] - r["published_share"]) <= tol, (seed, fig)


def test_plan_counts_split_like_footnote_17():
    c = make_cohort(seed=0)
    tr = c.data[(c.data["received_service"] == 1) & (c.data["edge_of_care"] == 1)]
    cin = tr["prior_cin_plans"].value_counts().to_dict()
    k = int((tr["prior_cin_plans"] > 0).sum())
    assert [cin.get(n, 0) for n in (1, 2, 3)] == apportion(k, [47, 5, 1]).tolist()
    assert tr["prior_cp_plans"].max() <= 2  # footnote 17 gives no CP '3 plans'


def test_valid_against_child_records_schema():
    c = make_cohort(seed=0)
    typed = schemas.validate_frame(c.data.astype(str), cr.child_records, "synthetic")
    assert len(typed) == len(c.data)
    assert set(co.FLAGS) <= set(cr.RISK_FLAGS)
    assert cr.covariates_present(typed)[:5] == cr.BASE_COVARIATES


def test_truth_and_confounding():
    c = make_cohort(n_treated=4000, n_comparison=8000, seed=0)
    d = c.data
    tr = d[d["received_service"] == 1]
    # about 5% of the treated enter care (the target, from the evaluation's ~5%)
    assert abs(tr["entered_care"].mean() - 0.05) < 0.012
    assert c.truth["entered_care"] < 0 and c.truth["missing_episodes"] < 0
    assert c.truth["months_in_care"] == pytest.approx(co.MEAN_MONTHS_IF_ENTERED * c.truth["entered_care"])
    # confounded: the naive difference in missing episodes is far from the truth (biased to harm)
    naive = tr["missing_episodes"].mean() - d.loc[d["received_service"] == 0, "missing_episodes"].mean()
    assert naive - c.truth["missing_episodes"] > 0.2
    # the pool carries less risk on every factor
    for f in ("edge_of_care", "missing_risk", "prior_cp_plans"):
        assert tr[f].mean() > d.loc[d["received_service"] == 0, f].mean()


def test_no_confounding_when_pool_shift_zero_reduces_gap():
    a = make_cohort(n_treated=2000, n_comparison=4000, seed=1, pool_shift=0.0).data
    b = make_cohort(n_treated=2000, n_comparison=4000, seed=1, pool_shift=1.0).data

    def gap(d: pd.DataFrame) -> float:
        g = d.groupby("received_service")["edge_of_care"].mean()
        return float(g[1] - g[0])

    assert abs(gap(a)) < abs(gap(b))


@pytest.mark.parametrize("kw", [{"n_treated": 5}, {"n_comparison": 2.5}, {"treated_care_risk": 0.9}])
def test_bad_arguments(kw):
    with pytest.raises(ValueError):
        make_cohort(**kw)


def test_schema_reports_bad_rows(tmp_path):
    d = make_cohort(seed=0).data.head(30).astype(object)
    d.loc[3, "received_service"] = 2
    d.loc[5, "sex"] = "F"
    d.loc[8, "prior_cp_plans"] = -1
    d.to_csv(tmp_path / "child_records.csv", index=False)
    with pytest.raises(schemas.InputError) as err:
        schemas.load_table(tmp_path, "child_records")
    msg = str(err.value)
    assert "row 5: column 'received_service'" in msg
    assert "row 7: column 'sex'" in msg
    assert "row 10: column 'prior_cp_plans'" in msg


def test_schema_whole_table_rules(tmp_path):
    d = make_cohort(seed=0).data.head(40).copy()
    d["received_service"] = 1
    i = int(np.flatnonzero(d["entered_care"].to_numpy() == 0)[0])
    d.loc[i, "months_in_care"] = 3.0
    d.to_csv(tmp_path / "child_records.csv", index=False)
    with pytest.raises(schemas.InputError) as err:
        schemas.load_table(tmp_path, "child_records")
    msg = str(err.value)
    assert "[both-groups]" in msg and "comparison pool" in msg
    assert f"row {i + 2}: column 'months_in_care': [months-without-entry]" in msg


def test_constants_agree_with_transcribed_sefton_tables():
    from evalkit import paths

    folder = paths.RAW / "001_sefton_cas"
    if not (folder / "sefton_prior_plans.csv").is_file():
        pytest.skip("data/raw/001_sefton_cas/sefton_prior_plans.csv not present")
    assert co.published_shares_from_raw(folder) == co.PUBLISHED_SHARES
    plans = schemas.load_table(folder, "sefton_prior_plans").set_index(["group", "plan_type"])
    for kind, split in co.PLAN_COUNT_SPLIT.items():
        r = plans.loc[("edge_of_care", kind.upper())]
        got = tuple(0 if pd.isna(r[f"n_{k}_previous"]) else int(r[f"n_{k}_previous"]) for k in (1, 2, 3))
        assert got == split

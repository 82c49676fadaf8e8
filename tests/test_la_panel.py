"""Tests for evalkit.la_panel (the DfE CLA panel), the synthetic panel and the la_timeseries schema."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from evalkit import la_panel, paths, schemas
from evalkit.synthetic.panel import make_la_panel

REAL = paths.external(la_panel.PANEL_FILE)
needs_panel = pytest.mark.skipif(
    REAL is None, reason="../shared/external/dfe_cla_la_panel.csv not present: real-panel tests skipped"
)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    if REAL is None:
        pytest.skip("../shared/external/dfe_cla_la_panel.csv not present")
    return la_panel.load_panel()


@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return make_la_panel(seed=0)


# --------------------------------------------------------------------------- real panel


@needs_panel
def test_load_panel_columns_and_types(panel):
    assert list(panel.columns[:8]) == la_panel.PANEL_COLUMNS
    assert len(panel) == 38273  # README: 38,273 rows
    assert panel["la_old_code"].map(type).eq(str).all()
    assert panel["year"].dtype.kind == "i"
    assert panel["value"].dtype == float
    assert panel["suppressed"].dtype == bool
    assert panel["year"].min() == 2010 and panel["year"].max() == 2024
    assert panel["la_old_code"].nunique() == 158  # README: 158 LA entities
    # suppressed cells carry no value
    assert panel.loc[panel["suppressed"], "value"].isna().all()


@needs_panel
def test_load_panel_is_cached_and_returns_copies(panel):
    t0 = time.perf_counter()
    a = la_panel.load_panel()
    assert time.perf_counter() - t0 < 0.5
    a.loc[0, "value"] = -999.0
    b = la_panel.load_panel()
    assert b.loc[0, "value"] != -999.0


@needs_panel
def test_find_la_names_and_codes(panel):
    assert la_panel.find_la(panel, "Sefton") == "343"
    assert la_panel.find_la(panel, "  sefton ") == "343"
    assert la_panel.find_la(panel, 343) == "343"
    assert la_panel.find_la(panel, "E08000014") == "343"
    assert la_panel.find_la(panel, "St Helens") == la_panel.find_la(panel, "St. Helens")
    assert la_panel.find_la(panel, "Barking & Dagenham") == la_panel.find_la(panel, "Barking and Dagenham")
    # old-style ONS code harmonised to the latest one
    assert la_panel.find_la(panel, "E08000037") == "390"


@needs_panel
def test_find_la_dorset_is_ambiguous(panel):
    with pytest.raises(la_panel.UnknownLA, match="more than one") as err:
        la_panel.find_la(panel, "Dorset")
    assert "835" in str(err.value) and "838" in str(err.value)
    assert la_panel.find_la(panel, "835") == "835"
    assert la_panel.find_la(panel, "E06000059") == "838"


@needs_panel
def test_find_la_unknown_lists_close_matches(panel):
    with pytest.raises(la_panel.UnknownLA, match="Sefton"):
        la_panel.find_la(panel, "Sefon")
    with pytest.raises(la_panel.UnknownLA, match="no local authority"):
        la_panel.find_la(panel, "Atlantis")


@needs_panel
def test_adolescent_starts_sefton(panel):
    s = la_panel.measure_series(panel, "adolescent_starts")
    assert list(s.columns) == la_panel.SERIES_COLUMNS
    assert s["year"].min() == 2011 and s["year"].max() == 2022
    sef = s[s["la_old_code"] == "343"].set_index("year")
    # DfE 2011: 47 aged 10-15 and 9 aged 16+ (README spot checks of Sefton)
    assert sef.loc[2011, "value"] == 56
    # 2012: the 16+ band is suppressed, so the sum is unknown
    assert np.isnan(sef.loc[2012, "value"]) and bool(sef.loc[2012, "suppressed"])


@needs_panel
def test_adolescent_starts_equals_sum_of_bands_everywhere(panel):
    s = la_panel.measure_series(panel, "adolescent_starts").set_index(["la_old_code", "year"])
    raw = panel[panel["measure"].isin(["started_age_10_15", "started_age_16_over"])]
    a = raw[raw["measure"] == "started_age_10_15"].set_index(["la_old_code", "year"])["value"]
    b = raw[raw["measure"] == "started_age_16_over"].set_index(["la_old_code", "year"])["value"]
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1)
    expect = both["a"] + both["b"]  # NaN if either is NaN
    got = s["value"].reindex(expect.index)
    assert np.allclose(got.fillna(-1), expect.fillna(-1))
    assert len(s) == len(expect)


@needs_panel
def test_raw_measure_series(panel):
    s = la_panel.measure_series(panel, "started_count")
    assert s["year"].min() == 2010 and s["year"].max() == 2024
    assert not s.duplicated(["la_old_code", "year"]).any()


@needs_panel
def test_unknown_measure_lists_valid_ones(panel):
    with pytest.raises(la_panel.UnknownMeasure, match="adolescent_starts") as err:
        la_panel.measure_series(panel, "adolesent_starts")
    assert "Valid measures" in str(err.value) and "started_count" in str(err.value)


@needs_panel
def test_load_or_synthetic_real():
    p, is_real, msg = la_panel.load_or_synthetic()
    assert is_real and "DfE" in msg and len(p) == 38273


# --------------------------------------------------------------------------- absent or bad file


def test_panel_missing(tmp_path, monkeypatch):
    with pytest.raises(la_panel.PanelMissing, match="does not exist"):
        la_panel.load_panel(tmp_path / "nope.csv")
    assert issubclass(la_panel.PanelMissing, FileNotFoundError)
    monkeypatch.setenv("EVALKIT_SHARED", str(tmp_path))
    with pytest.raises(la_panel.PanelMissing, match="not present"):
        la_panel.load_panel()
    p, is_real, msg = la_panel.load_or_synthetic(seed=3)
    assert not is_real and "SYNTHETIC" in msg
    assert str(tmp_path) not in msg  # no absolute paths in notebook text
    assert p.attrs["synthetic"] and p.attrs["truth"]["seed"] == 3


def test_bad_panel_files(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("la_code,la_old_code,year\nE1,343,2010\n")
    with pytest.raises(ValueError, match="required columns"):
        la_panel.load_panel(f)
    cols = "la_code,la_old_code,la_name,region,year,measure,value,suppressed,marker,source_file\n"
    row = "E08000014,343,Sefton,North West,2011,started_count,300,False,,x.csv\n"
    f.write_text(cols + row + row)
    with pytest.raises(ValueError, match="appears twice"):
        la_panel.load_panel(f)
    f.write_text(cols + row.replace(",300,", ",lots,"))
    with pytest.raises(ValueError, match="row 2: column 'value'"):
        la_panel.load_panel(f)
    f.write_text(cols + row.replace(",False,", ",maybe,"))
    with pytest.raises(ValueError, match="suppressed"):
        la_panel.load_panel(f)
    f.write_text(cols + row)
    ok = la_panel.load_panel(f)
    assert ok["la_old_code"].iloc[0] == "343" and ok["value"].iloc[0] == 300.0


# --------------------------------------------------------------------------- synthetic panel


def test_synthetic_panel_shape(synth):
    assert list(synth.columns[:8]) == la_panel.PANEL_COLUMNS
    assert synth["la_old_code"].str.startswith("X").all()
    assert synth["la_name"].str.contains("ynthetic").all()
    ages = synth[synth["measure"] == "started_age_10_15"]
    assert ages["year"].min() == 2011 and ages["year"].max() == 2022
    rates = synth[synth["measure"] == "cla_rate_per_10000"]
    assert rates["year"].min() == 2019
    assert synth.loc[synth["suppressed"], "value"].isna().all()
    assert synth["value"].dropna().between(0, 1e6).all()
    small = synth.loc[~synth["suppressed"] & ~synth["measure"].str.contains("rate|population"), "value"]
    assert not small.between(1, 5).any()  # 1-5 always suppressed


def test_synthetic_panel_is_seeded(synth):
    again = make_la_panel(seed=0)
    pd.testing.assert_frame_equal(synth, again)
    other = make_la_panel(seed=1)
    assert not synth["value"].fillna(-1).equals(other["value"].fillna(-1))


def test_synthetic_panel_treated_effect(synth):
    truth = synth.attrs["truth"]
    code = la_panel.find_la(synth, "Sefton")
    assert code == truth["treated_la_old_code"]
    assert truth["level_ratio"] == 0.8 and truth["start_year"] == 2016
    s = la_panel.measure_series(synth, "adolescent_starts")
    assert s["value"].notna().mean() > 0.9
    # started_count is the sum of the five bands where none is suppressed
    w = synth[synth["year"].between(2011, 2022)].pivot_table(
        index=["la_old_code", "year"], columns="measure", values="value")
    bands = [f"started_age_{b}" for b in ("under1", "1_4", "5_9", "10_15", "16_over")]
    ok = w[bands].notna().all(axis=1)
    assert np.allclose(w.loc[ok, bands].sum(axis=1), w.loc[ok, "started_count"])


def test_synthetic_panel_bad_arguments():
    with pytest.raises(ValueError, match="n_las"):
        make_la_panel(n_las=2)
    with pytest.raises(ValueError, match="start_year"):
        make_la_panel(start_year=2011)


# --------------------------------------------------------------------------- own series


def _write(tmp_path, text: str):
    (tmp_path / "la_timeseries.csv").write_text(text)
    return tmp_path


def test_la_timeseries_schema_ok_and_series(tmp_path):
    d = _write(tmp_path, "la_name,year,measure,value,suppressed\n"
                         "Sefton,2011,adolescent_starts,56,false\n"
                         "Sefton,2012,adolescent_starts,,true\n"
                         "Sefton,2013,adolescent_starts,47,false\n")
    t = schemas.load_table(d, "la_timeseries")
    s = la_panel.series_from_table(t, "adolescent_starts")
    assert list(s.columns) == la_panel.SERIES_COLUMNS
    assert s["la_old_code"].iloc[0] == "own:Sefton"
    assert s["value"].isna().sum() == 1 and s["suppressed"].sum() == 1
    with pytest.raises(la_panel.UnknownMeasure, match="adolescent_starts"):
        la_panel.series_from_table(t, "started_count")


def test_la_timeseries_gap_and_duplicate_messages(tmp_path):
    d = _write(tmp_path, "la_name,year,measure,value\n"
                         "Sefton,2011,adolescent_starts,56\n"
                         "Sefton,2013,adolescent_starts,47\n"
                         "Sefton,2013,adolescent_starts,48\n")
    with pytest.raises(schemas.InputError) as err:
        schemas.load_table(d, "la_timeseries")
    msg = str(err.value)
    assert "row 3: column 'year': [time-gap]" in msg and "2012" in msg
    assert "row 4: column 'year': [duplicate-time]" in msg


def test_la_timeseries_needs_one_time_column(tmp_path):
    d = _write(tmp_path, "la_name,measure,value\nSefton,x,1\n")
    with pytest.raises(schemas.InputError, match="'year' column"):
        schemas.load_table(d, "la_timeseries")
    d = _write(tmp_path, "la_name,month,measure,value\nSefton,2020-01,x,1\nSefton,2020-03,x,2\n")
    with pytest.raises(schemas.InputError, match="2020-02"):
        schemas.load_table(d, "la_timeseries")
    # the template's layout: both columns, one left empty
    d = _write(tmp_path, "la_name,year,month,measure,value\nSefton,2020,,x,1\nSefton,2021,,x,2\n")
    assert len(schemas.load_table(d, "la_timeseries")) == 2
    d = _write(tmp_path, "la_name,year,month,measure,value\nSefton,2020,2020-01,x,1\n")
    with pytest.raises(schemas.InputError, match="not both"):
        schemas.load_table(d, "la_timeseries")
    d = _write(tmp_path, "la_name,year,measure,value\nSefton,2020,x,-3\n")
    with pytest.raises(schemas.InputError, match="row 2: column 'value'"):
        schemas.load_table(d, "la_timeseries")

"""Seeded survey data shaped like the seeds, with known truths.

:func:`professionals_survey`
    A pre/post online survey of professionals like seed 001's: 52 answer at
    baseline, 20 at follow-up, and the chance of answering the follow-up rises
    with the baseline answer (the keener answer again). Five ``likert_`` items.
:func:`young_people_cohort`
    Young people completing the SDQ (self-report, 25 items as ticked) and
    SWEMWBS (7 items) at baseline and follow-up, with a known true change;
    those with more difficulties at baseline are less likely to be followed up,
    and a few items are left blank (exercising the SDQ prorating rule).
:func:`attrition_sample`
    A plain continuous baseline score and change, with follow-up depending on
    the baseline score: the test bed for attrition weighting.
:func:`survey_folder`
    Both surveys in one ``survey_responses_wide`` table (what an evaluator's
    folder would hold).

Truths: ``truth["cohort_change"]`` is the mean change had everyone generated
been followed up with every item answered; ``truth["population_change"]`` is
the expected change in the population the cohort is drawn from, computed
exactly by Gauss-Hermite quadrature over the latent trait (item response model
below). Nothing here describes a real person or authority.

Item model: graded logistic responses, ``P(Y >= k | theta) = logistic(a (theta - b_k))``,
one latent trait per construct (difficulties, prosocial behaviour, wellbeing,
professionals' view). Reverse-scored SDQ items are recorded as ticked, i.e.
``2 - scored``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.surveys import _resources as res

WIDE_COLUMNS_ID = ["respondent_id", "wave", "respondent_group"]


@dataclass
class SyntheticSurvey:
    """A synthetic survey: the wide responses and what is true about them."""

    data: pd.DataFrame
    truth: dict[str, float] = field(default_factory=dict)
    description: str = ""


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _category_probs(theta: np.ndarray, a: float, thresholds: np.ndarray) -> np.ndarray:
    """P(Y = k | theta) for k = 0..K under the graded response model; shape (len(theta), K + 1)."""
    theta = np.asarray(theta, dtype=float)[:, None]
    cum = _logistic(a * (theta - thresholds[None, :]))  # P(Y >= k), k = 1..K
    upper = np.hstack([np.ones((theta.shape[0], 1)), cum])
    lower = np.hstack([cum, np.zeros((theta.shape[0], 1))])
    return np.clip(upper - lower, 0, 1)


def _draw(theta: np.ndarray, a: float, thresholds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = _category_probs(theta, a, thresholds)
    u = rng.random(len(theta))[:, None]
    return (u > np.cumsum(p, axis=1)).sum(axis=1)


def _gauss_hermite(mean: float, sd: float, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return mean + sd * x, w / w.sum()


# ----------------------------------------------------------------- professionals


def professionals_survey(
    seed: int = 11,
    *,
    n_baseline: int = 52,
    n_follow_up: int = 20,
    true_shift: float = 0.4,
    regression: float = -0.3,
    response_slope: float = 0.8,
) -> SyntheticSurvey:
    """Professionals' pre/post survey: ``n_baseline`` at baseline, exactly ``n_follow_up`` at follow-up.

    Each professional has a latent view ``v ~ N(0, 1)`` (partner organisations
    0.3 lower); five items are graded responses 1-5 to it. At follow-up the view
    is ``v + true_shift + regression * v + N(0, 0.4)``: views improve on average,
    least for those already positive. Follow-up respondents are drawn without
    replacement with probability proportional to ``exp(response_slope * z)``,
    ``z`` the standardised baseline composite, so the keen are over-represented
    and a completers-only estimate understates the improvement.
    """
    if not 0 < n_follow_up <= n_baseline:
        raise ValueError("need 0 < n_follow_up <= n_baseline")
    rng = np.random.default_rng(seed)
    role = rng.choice(["CAS team", "partner organisation"], size=n_baseline, p=[0.45, 0.55])
    years = rng.choice(["under 2 years", "2-5 years", "over 5 years"], size=n_baseline, p=[0.3, 0.4, 0.3])
    v = rng.normal(0, 1, n_baseline) - 0.3 * (role == "partner organisation")
    v_f = v + true_shift + regression * v + rng.normal(0, 0.4, n_baseline)
    items = [f"likert_{i:02d}" for i in range(1, 6)]
    thresholds = [np.array([-2.0, -1.0, 0.2, 1.4]) + s for s in (-0.2, 0.0, 0.1, 0.3, -0.1)]
    a = 1.7
    base = np.column_stack([_draw(v, a, t, rng) + 1 for t in thresholds])
    fol = np.column_stack([_draw(v_f, a, t, rng) + 1 for t in thresholds])
    comp_b = base.mean(axis=1)
    z = (comp_b - comp_b.mean()) / comp_b.std()
    p = np.exp(response_slope * z)
    responders = rng.choice(n_baseline, size=n_follow_up, replace=False, p=p / p.sum())
    ids = [f"P{i + 1:03d}" for i in range(n_baseline)]
    rows = []
    for i in range(n_baseline):
        rows.append({"respondent_id": ids[i], "wave": "baseline", "respondent_group": "professional",
                     "role": role[i], "years_in_post": years[i], **dict(zip(items, base[i], strict=True))})
    for i in sorted(responders):
        rows.append({"respondent_id": ids[i], "wave": "follow_up", "respondent_group": "professional",
                     "role": role[i], "years_in_post": years[i], **dict(zip(items, fol[i], strict=True))})
    data = pd.DataFrame(rows)
    comp_f = fol.mean(axis=1)
    truth = {
        "cohort_change": float((comp_f - comp_b).mean()),
        "completers_change_realised": float((comp_f - comp_b)[responders].mean()),
        "n_baseline": n_baseline,
        "n_follow_up": n_follow_up,
    }
    return SyntheticSurvey(data, truth, "professionals' survey: likert_01-05 (1-5), role, years_in_post")


# ------------------------------------------------------------------ young people

_SDQ_A = 1.6
_SWEMWBS_A = 1.8


def _sdq_thresholds() -> dict[str, np.ndarray]:
    """Fixed thresholds (0->1, 1->2) of each SDQ item on its latent trait (scored direction)."""
    keys = res.sdq_items()
    out = {}
    for _, r in keys.iterrows():
        shift = ((int(r["item"]) * 37) % 11) / 10 - 0.5  # fixed, item-specific spread
        if r["subscale"] == "prosocial":
            out[r["column"]] = np.array([-1.8, -0.6]) + 0.4 * shift
        else:
            out[r["column"]] = np.array([0.3, 1.6]) + 0.6 * shift
    return out


def _swemwbs_thresholds() -> list[np.ndarray]:
    return [np.array([-2.2, -1.1, 0.3, 1.6]) + 0.15 * (k - 3) for k in range(7)]


def _expected_sdq_total(theta: np.ndarray) -> np.ndarray:
    keys = res.sdq_items()
    thr = _sdq_thresholds()
    total = np.zeros(len(theta))
    for _, r in keys[keys["subscale"] != "prosocial"].iterrows():
        p = _category_probs(theta, _SDQ_A, thr[r["column"]])
        total += p @ np.arange(3)
    return total


def _expected_swemwbs_metric(omega: np.ndarray) -> np.ndarray:
    table = res.swemwbs_conversion()
    out = np.zeros(len(omega))
    for j, w in enumerate(omega):
        dist = np.array([1.0])
        for t in _swemwbs_thresholds():
            dist = np.convolve(dist, _category_probs(np.array([w]), _SWEMWBS_A, t)[0])
        raw = 7 + np.arange(len(dist))
        out[j] = float(dist @ table.loc[raw].to_numpy())
    return out


def young_people_cohort(
    seed: int = 11,
    *,
    n: int = 60,
    difficulty_shift: float = -0.35,
    difficulty_regression: float = -0.25,
    wellbeing_shift: float = 0.30,
    change_noise: float = 0.4,
    response_intercept: float = 0.3,
    response_slope: float = -0.9,
    blank_rate: float = 0.03,
) -> SyntheticSurvey:
    """Young people's SDQ (self-report) and SWEMWBS at baseline and follow-up, with a known true change.

    Latent traits: difficulties ``theta ~ N(0, 1)``, prosocial ``-0.4 theta + ...``,
    wellbeing ``omega = -0.6 theta + 0.8 N(0, 1)``. At follow-up
    ``theta_f = theta + difficulty_shift + difficulty_regression * theta + N(0, change_noise)``
    and ``omega_f = omega + wellbeing_shift + N(0, change_noise)``. Follow-up
    response: ``logit P = response_intercept + response_slope * theta``
    (more difficulties, less likely to answer again). ``blank_rate`` of items
    are left blank at random.

    ``truth`` holds ``sdq_total_population_change`` and
    ``swemwbs_metric_population_change`` (exact, by quadrature), and the cohort's
    realised changes with complete data (``*_cohort_change``).
    """
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, n)
    prosocial = -0.4 * theta + np.sqrt(1 - 0.16) * rng.normal(0, 1, n)
    omega = -0.6 * theta + 0.8 * rng.normal(0, 1, n)
    theta_f = theta + difficulty_shift + difficulty_regression * theta + rng.normal(0, change_noise, n)
    prosocial_f = prosocial + 0.1 + rng.normal(0, change_noise, n)
    omega_f = omega + wellbeing_shift + rng.normal(0, change_noise, n)
    sex = rng.choice(["female", "male"], size=n)
    age = rng.integers(11, 18, size=n)
    followed = rng.random(n) < _logistic(response_intercept + response_slope * theta)

    keys = res.sdq_items()
    thr = _sdq_thresholds()
    sw_thr = _swemwbs_thresholds()

    def answers(t_diff, t_pro, t_wb):
        out = {}
        for _, r in keys.iterrows():
            lat = t_pro if r["subscale"] == "prosocial" else t_diff
            y = _draw(lat, _SDQ_A, thr[r["column"]], rng)
            out[r["column"]] = 2 - y if r["reverse_scored"] else y
        for k, t in enumerate(sw_thr, start=1):
            out[f"swemwbs_{k:02d}"] = _draw(t_wb, _SWEMWBS_A, t, rng) + 1
        return pd.DataFrame(out)

    base = answers(theta, prosocial, omega)
    fol = answers(theta_f, prosocial_f, omega_f)
    # Complete-data truths for this cohort (before blanks and attrition).
    from evalkit.surveys.scales import score_sdq, score_swemwbs

    def totals(items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        s = score_sdq(items, informant="self", id_column="_", wave_column=None).scores["total"].to_numpy()
        m = score_swemwbs(items, id_column="_", wave_column=None).scores["metric"].to_numpy()
        return s, m

    sdq_b, sw_b = totals(base)
    sdq_f, sw_f = totals(fol)
    item_cols = list(base.columns)
    base = base.astype(float).mask(rng.random(base.shape) < blank_rate)
    fol = fol.astype(float).mask(rng.random(fol.shape) < blank_rate)
    ids = [f"YP{i + 1:03d}" for i in range(n)]
    info = pd.DataFrame({"respondent_id": ids, "respondent_group": "young_person", "sex": sex, "age": age})
    b = pd.concat([info.assign(wave="baseline"), base], axis=1)
    f = pd.concat([info.assign(wave="follow_up"), fol], axis=1)[followed]
    data = pd.concat([b, f], ignore_index=True)
    data = data[["respondent_id", "wave", "respondent_group", "sex", "age", *item_cols]]
    # Exact population truths by quadrature over the latent traits.
    t0, w0 = _gauss_hermite(0.0, 1.0)
    sd_f = np.sqrt((1 + difficulty_regression) ** 2 + change_noise**2)
    t1, w1 = _gauss_hermite(difficulty_shift, sd_f)
    o0, v0 = _gauss_hermite(0.0, 1.0, 40)
    o1, v1 = _gauss_hermite(wellbeing_shift, np.sqrt(1 + change_noise**2), 40)
    truth = {
        "sdq_total_population_change": float(w1 @ _expected_sdq_total(t1) - w0 @ _expected_sdq_total(t0)),
        "swemwbs_metric_population_change": float(v1 @ _expected_swemwbs_metric(o1) - v0 @ _expected_swemwbs_metric(o0)),
        "sdq_total_cohort_change": float(np.nanmean(sdq_f - sdq_b)),
        "swemwbs_metric_cohort_change": float(np.nanmean(sw_f - sw_b)),
        "n_baseline": n,
        "n_follow_up": int(followed.sum()),
    }
    return SyntheticSurvey(data, truth, "young people: sdq_01-25 (self-report, 0-2 as ticked), "
                                        "swemwbs_01-07 (1-5), sex, age")


def survey_folder(seed: int = 11) -> dict[str, pd.DataFrame]:
    """Both synthetic surveys in one wide table, keyed by file stem (``survey_responses_wide``)."""
    pro = professionals_survey(seed).data
    yp = young_people_cohort(seed).data
    return {"survey_responses_wide": pd.concat([pro, yp], ignore_index=True)}


def truths(seed: int = 11) -> dict[str, float]:
    """The truths of :func:`survey_folder`'s two surveys, prefixed ``professionals_`` and ``young_people_``."""
    out = {f"professionals_{k}": v for k, v in professionals_survey(seed).truth.items()}
    out.update({f"young_people_{k}": v for k, v in young_people_cohort(seed).truth.items()})
    return out


# ------------------------------------------------------------------- simulation


def attrition_sample(
    seed: int,
    *,
    n: int = 200,
    true_change: float = -2.0,
    change_slope: float = -0.15,
    change_sd: float = 3.0,
    response_intercept: float = 0.0,
    response_slope: float = -0.08,
    baseline_mean: float = 50.0,
    baseline_sd: float = 10.0,
) -> SyntheticSurvey:
    """Continuous baseline score ``x`` and change ``d``; follow-up depends on ``x`` (missing at random).

    ``d = true_change + change_slope (x - mean) + N(0, change_sd)`` and
    ``logit P(followed up) = response_intercept + response_slope (x - mean)``.
    With both slopes negative, those with low baseline scores both answer more
    and improve less, so the completers-only mean change is biased upwards;
    weighting on ``x`` removes the bias. The population mean change is exactly
    ``true_change``. Also carries an irrelevant category ``group``.

    Returns a :class:`SyntheticSurvey` whose ``data`` is already linked: one row
    per respondent with ``score_baseline``, ``score_follow_up`` (NaN when lost),
    ``group`` and ``followed_up``.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(baseline_mean, baseline_sd, n)
    d = true_change + change_slope * (x - baseline_mean) + rng.normal(0, change_sd, n)
    followed = rng.random(n) < _logistic(response_intercept + response_slope * (x - baseline_mean))
    data = pd.DataFrame({
        "score_baseline": x,
        "score_follow_up": np.where(followed, x + d, np.nan),
        "group": rng.choice(["a", "b"], size=n),
        "followed_up": followed,
    }, index=pd.Index([f"S{i:04d}" for i in range(n)], name="respondent_id"))
    truth = {"population_change": true_change, "sample_change": float(d.mean()), "n": n,
             "n_followed_up": int(followed.sum())}
    return SyntheticSurvey(data, truth, "linked attrition sample")

"""A seeded synthetic child-level cohort shaped like Sefton's Community Adolescent Service.

:func:`make_cohort` returns a table in the form an LA supplies for the
child-level matched comparison (:mod:`evalkit.schemas.child_records`): young
people who received the service (*treated*) and young people known to
children's social care who did not (*comparison pool*), their covariates and
three outcomes over a follow-up year, with a **known true effect**.

What follows the Sefton evaluation (seed ``001``, line numbers of the seed text)
--------------------------------------------------------------------------------
The treated group has 126 young people, the size of the evaluation's cost-benefit
sample (L1606). Its covariate shares are those the evaluation publishes for
the 329 assessed young people aged 18 or under (L900-904, L889-893) and for the
137 meeting the edge-of-care criterion (footnote 17, L923-927), turned into
counts for 126 by largest-remainder rounding, so every seed gives exactly those
shares:

- edge of care: 137 / 329 (L890);
- previous CIN, CP and LAC plans: 53, 31, 16 of the 137 edge-of-care young
  people; 127 - 53, 87 - 31, 33 - 16 of the other 192 (L902-904, L924-927);
- number of previous plans among those with any, edge-of-care group:
  CIN 47 / 5 / 1 with 1 / 2 / 3 plans, CP 27 / 4 / 0, LAC 13 / 2 / 1 (L924-927);
- persistent absence 51 / 329 and NEET 40 / 329 (L893).

What is assumed (not published; stated so in :data:`ASSUMPTIONS`)
-----------------------------------------------------------------
- The plan-count split of the non-edge-of-care group (taken to be the
  edge-of-care group's).
- The shares of domestic violence, substance misuse, self-harm, CSE and missing
  risk: the evaluation says only that they were "correspondingly high" (L891);
  Figure 2's bars were lost in the text extraction. Each is set below the
  edge-of-care share, which the text says was the most prevalent (L890).
- Age (12-17) and sex distributions.
- The comparison pool: its size and its lower prevalence of every risk factor.
- The outcome model. Its intercept is set so that about 5% of the treated
  enter care, as the evaluation reports ("around 5 per cent ... went on to
  become LAC", L49-50; 6 of the 126 "had subsequently become LAC", L1667-1668).

Confounding and the truth
-------------------------
The treated group carries more risk than the pool, and risk raises every
outcome, so the naive treated-minus-pool difference is biased towards harm.
Potential outcomes are drawn from known models; the true effect on the treated
(``SyntheticCohort.truth``) is the average over the treated young people of
``E[Y(1) - Y(0) | X]``, computed exactly from those models. Risk flags and
previous plans are correlated through a latent "history" score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Published figures the treated group follows: (name, numerator, base, seed lines).
PUBLISHED_SHARES: list[tuple[str, int, int, str]] = [
    ("edge_of_care", 137, 329, "889-890"),
    ("prior_cin_any", 127, 329, "901-903"),
    ("prior_cp_any", 87, 329, "903"),
    ("prior_lac_any", 33, 329, "903-904"),
    ("prior_cin_any | edge_of_care", 53, 137, "924-925"),
    ("prior_cp_any | edge_of_care", 31, 137, "926"),
    ("prior_lac_any | edge_of_care", 16, 137, "926-927"),
    ("persistent_absence", 51, 329, "892-893"),
    ("neet", 40, 329, "893"),
]

#: Number of previous plans (1, 2, 3) among edge-of-care young people with any (footnote 17, L924-927).
PLAN_COUNT_SPLIT: dict[str, tuple[int, int, int]] = {
    "cin": (47, 5, 1),
    "cp": (27, 4, 0),
    "lac": (13, 2, 1),
}

#: Shares not published, assumed for the synthetic treated group.
ASSUMED_FLAG_SHARES: dict[str, float] = {
    "domestic_violence": 0.32,
    "substance_misuse": 0.26,
    "self_harm": 0.22,
    "cse_risk": 0.20,
    "missing_risk": 0.27,
}

ASSUMPTIONS: list[str] = [
    "plan-count split (1/2/3 previous plans) of the non-edge-of-care group taken to be the "
    "edge-of-care group's (footnote 17 gives it only for the edge-of-care group)",
    "shares of domestic violence (32%), substance misuse (26%), self-harm (22%), CSE (20%) and "
    "missing (27%) assumed: the text says only 'correspondingly high' (L891) and Figure 2's values "
    "were lost; each is kept below the edge-of-care share (42%), the most prevalent (L890)",
    "age 12-17 with more 14-16 year olds, and sex 50:50, assumed",
    "comparison pool: young people known to children's social care who did not receive the "
    "service, with every risk factor less common (odds scaled down); its size is a parameter",
    "outcome models (logistic for entering care, months in care given entry, Poisson missing "
    "episodes) assumed; the intercept gives about 5% of the treated entering care (L49-50, L1667-1668)",
]

FLAGS = ["edge_of_care", "neet", "persistent_absence", *ASSUMED_FLAG_SHARES]
PLAN_TYPES = ("cin", "cp", "lac")
AGES = np.arange(12, 18)
AGE_WEIGHTS = np.array([0.10, 0.14, 0.19, 0.21, 0.20, 0.16])
FOLLOW_UP_MONTHS = 12.0
#: Mean months in care for a young person who enters care in the follow-up year: 1 + 11 * Beta(2, 2).
MEAN_MONTHS_IF_ENTERED = 1.0 + 11.0 * 0.5


@dataclass
class SyntheticCohort:
    """A synthetic cohort and its truth.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per young person, columns of the ``child_records`` table.
    truth : dict
        True effect on the treated for each outcome (mean over the treated of
        ``E[Y(1) - Y(0) | X]``).
    targets : pandas.DataFrame
        Published share, synthetic treated share and seed lines, per figure.
    params : dict
        The arguments used.
    """

    data: pd.DataFrame
    truth: dict[str, float]
    targets: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def covariates(self) -> list[str]:
        """Covariate columns of :attr:`data`."""
        return ["age", "sex", "prior_cin_plans", "prior_cp_plans", "prior_lac_plans", *FLAGS]

    @property
    def outcomes(self) -> list[str]:
        return ["entered_care", "months_in_care", "missing_episodes"]


def apportion(total: int, weights: list[float] | np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError("apportion: total must be >= 0 and weights non-negative with a positive sum")
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    short = total - out.sum()
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:short]] += 1
    return out


def _pick(rng: np.random.Generator, score: np.ndarray, k: int, strength: float) -> np.ndarray:
    """Exactly ``k`` of the units, chosen at random with weight ``exp(strength * score)``."""
    mask = np.zeros(len(score), dtype=bool)
    if k <= 0:
        return mask
    p = np.exp(strength * (score - score.max()))
    mask[rng.choice(len(score), size=k, replace=False, p=p / p.sum())] = True
    return mask


def _treated_covariates(n: int, rng: np.random.Generator) -> pd.DataFrame:
    z = rng.standard_normal(n)  # latent history score: correlates plans and flags
    edge_n = apportion(n, [137, 329 - 137])[0]
    edge = _pick(rng, z, edge_n, 0.6)
    out = pd.DataFrame({"edge_of_care": edge.astype(int)})
    for plan, (tot_all, tot_edge) in {"cin": (127, 53), "cp": (87, 31), "lac": (33, 16)}.items():
        counts = np.zeros(n, dtype=int)
        for grp, share in ((edge, tot_edge / 137), (~edge, (tot_all - tot_edge) / 192)):
            idx = np.flatnonzero(grp)
            k = int(apportion(len(idx), [share, 1 - share])[0])
            has = _pick(rng, z[idx], k, 0.8)
            split = apportion(k, list(PLAN_COUNT_SPLIT[plan]))
            n_plans = np.repeat([1, 2, 3], split)
            rng.shuffle(n_plans)
            counts[idx[has]] = n_plans
        out[f"prior_{plan}_plans"] = counts
    for flag, share in (("persistent_absence", 51 / 329), ("neet", 40 / 329), *ASSUMED_FLAG_SHARES.items()):
        k = int(apportion(n, [share, 1 - share])[0])
        out[flag] = _pick(rng, z + 0.8 * edge, k, 0.5).astype(int)
    return out


#: How much lower each risk factor's log-odds is in the comparison pool (times ``pool_shift``):
#: referral selected most strongly on edge of care, previous plans and missing.
POOL_LOG_ODDS_SHIFT: dict[str, float] = {
    "edge_of_care": 1.0,
    "prior_cin_plans": 0.6,
    "prior_cp_plans": 0.8,
    "prior_lac_plans": 0.8,
    "missing_risk": 0.8,
    "cse_risk": 0.6,
    "substance_misuse": 0.5,
    "domestic_violence": 0.4,
    "self_harm": 0.4,
    "persistent_absence": 0.3,
    "neet": 0.3,
}


def _pool_covariates(n: int, rng: np.random.Generator, treated: pd.DataFrame, shift: float) -> pd.DataFrame:
    """Comparison pool: each risk factor's log-odds lowered by ``shift * POOL_LOG_ODDS_SHIFT``."""
    z = rng.standard_normal(n)
    out = {}

    def draw(name: str, share: float, extra: np.ndarray) -> np.ndarray:
        logit = np.log(share / (1 - share)) - shift * POOL_LOG_ODDS_SHIFT[name] + extra
        return (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

    edge = draw("edge_of_care", float(treated["edge_of_care"].mean()), 0.5 * z)
    out["edge_of_care"] = edge
    for plan in PLAN_TYPES:
        name = f"prior_{plan}_plans"
        has = draw(name, float((treated[name] > 0).mean()), 0.7 * z + 0.4 * edge)
        split = np.array(PLAN_COUNT_SPLIT[plan], dtype=float)
        n_plans = rng.choice([1, 2, 3], size=n, p=split / split.sum())
        out[name] = has * n_plans
    for flag in ("persistent_absence", "neet", *ASSUMED_FLAG_SHARES):
        out[flag] = draw(flag, float(treated[flag].mean()), 0.5 * z + 0.4 * edge)
    return pd.DataFrame(out)


def _outcome_models(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Linear predictors (without intercept or effect) for entering care and missing episodes."""
    lp_care = (
        0.9 * df["edge_of_care"]
        + 0.7 * (df["prior_lac_plans"] > 0)
        + 0.35 * (df["prior_cp_plans"] > 0)
        + 0.25 * (df["prior_cin_plans"] > 0)
        + 0.35 * df["missing_risk"]
        + 0.3 * df["substance_misuse"]
        + 0.25 * df["domestic_violence"]
        + 0.15 * (df["age"] - 14.5)
    ).to_numpy(float)
    lp_missing = (
        1.1 * df["missing_risk"]
        + 0.5 * df["cse_risk"]
        + 0.35 * df["substance_misuse"]
        + 0.3 * df["edge_of_care"]
        + 0.2 * df["self_harm"]
        + 0.1 * (df["age"] - 14.5)
    ).to_numpy(float)
    return lp_care, lp_missing


def make_cohort(
    n_treated: int = 126,
    n_comparison: int = 1000,
    *,
    seed: int = 0,
    care_effect_log_odds: float = -0.7,
    missing_effect_log_rate: float = -0.4,
    pool_shift: float = 1.0,
    treated_care_risk: float = 0.05,
) -> SyntheticCohort:
    """Make a seeded synthetic cohort with a known effect of the service.

    Parameters
    ----------
    n_treated
        Young people who received the service (126 in the Sefton sample).
    n_comparison
        Young people in the comparison pool.
    seed
        Random seed.
    care_effect_log_odds
        Effect of the service on the log-odds of entering care (negative = fewer).
    missing_effect_log_rate
        Effect on the log of the expected number of missing episodes.
    pool_shift
        How much less risk the pool carries: each risk factor's log-odds is
        lowered by ``pool_shift`` times its entry in :data:`POOL_LOG_ODDS_SHIFT`
        (0 = no confounding by design).
    treated_care_risk
        Target share of the treated entering care under the service (5%, L49-50).

    Returns
    -------
    SyntheticCohort
    """
    for name, v in (("n_treated", n_treated), ("n_comparison", n_comparison)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 10:
            raise ValueError(f"{name}: need a whole number of at least 10, got {v!r}")
    if not 0 < treated_care_risk < 0.5:
        raise ValueError(f"treated_care_risk: must be between 0 and 0.5, got {treated_care_risk}")
    rng = np.random.default_rng(seed)
    tr = _treated_covariates(int(n_treated), rng)
    pool = _pool_covariates(int(n_comparison), rng, tr, pool_shift)
    df = pd.concat([tr.assign(received_service=1), pool.assign(received_service=0)], ignore_index=True)
    n = len(df)
    df["age"] = rng.choice(AGES, size=n, p=AGE_WEIGHTS / AGE_WEIGHTS.sum())
    # the pool is a little younger on average: older adolescents were referred more (L875)
    young = (df["received_service"] == 0) & (rng.random(n) < 0.25)
    df.loc[young, "age"] = np.maximum(12, df.loc[young, "age"] - 1)
    df["sex"] = np.where(rng.random(n) < 0.5, "female", "male")

    lp_care, lp_missing = _outcome_models(df)
    t = df["received_service"].to_numpy()
    is_t = t == 1

    # intercept: mean P(enter care | treated, with the service) = treated_care_risk
    from scipy import optimize

    def mean_p1(a: float) -> float:
        return float((1 / (1 + np.exp(-(a + lp_care[is_t] + care_effect_log_odds)))).mean())

    a_care = optimize.brentq(lambda a: mean_p1(a) - treated_care_risk, -20, 20)
    p0 = 1 / (1 + np.exp(-(a_care + lp_care)))
    p1 = 1 / (1 + np.exp(-(a_care + lp_care + care_effect_log_odds)))
    lam0 = np.exp(-0.9 + lp_missing)
    lam1 = lam0 * np.exp(missing_effect_log_rate)
    p = np.where(is_t, p1, p0)
    lam = np.where(is_t, lam1, lam0)
    entered = (rng.random(n) < p).astype(int)
    months = np.round(1.0 + 11.0 * rng.beta(2.0, 2.0, size=n), 1) * entered
    missing = rng.poisson(lam)

    truth = {
        "entered_care": float((p1 - p0)[is_t].mean()),
        "months_in_care": float(MEAN_MONTHS_IF_ENTERED * (p1 - p0)[is_t].mean()),
        "missing_episodes": float((lam1 - lam0)[is_t].mean()),
    }
    order = rng.permutation(n)  # so row order does not reveal the group
    df = df.iloc[order].reset_index(drop=True)
    entered, months, missing = entered[order], months[order], missing[order]
    data = pd.DataFrame(
        {
            "child_id": [f"SYN{k:05d}" for k in range(1, n + 1)],
            "received_service": df["received_service"].astype(int),
            "age": df["age"].astype(int),
            "sex": df["sex"],
            "prior_cin_plans": df["prior_cin_plans"].astype(int),
            "prior_cp_plans": df["prior_cp_plans"].astype(int),
            "prior_lac_plans": df["prior_lac_plans"].astype(int),
            **{f: df[f].astype(int) for f in FLAGS},
            "entered_care": entered,
            "months_in_care": months,
            "missing_episodes": missing.astype(int),
        }
    )
    data.attrs["synthetic"] = True
    data.attrs["truth"] = truth
    return SyntheticCohort(
        data=data,
        truth=truth,
        targets=published_vs_synthetic(data),
        params={
            "n_treated": int(n_treated),
            "n_comparison": int(n_comparison),
            "seed": int(seed),
            "care_effect_log_odds": care_effect_log_odds,
            "missing_effect_log_rate": missing_effect_log_rate,
            "pool_shift": pool_shift,
            "treated_care_risk": treated_care_risk,
        },
    )


def published_shares_from_raw(folder: str = "data/raw/001_sefton_cas") -> list[tuple[str, int, int, str]]:
    """The published figures of :data:`PUBLISHED_SHARES`, read from the transcribed Sefton tables.

    Reads ``sefton_prior_plans`` and ``sefton_cohort_counts`` through their
    schemas, so a notebook can show the synthetic cohort against the figures
    as transcribed from the seed (with their ``seed_lines``), not against this
    module's constants. The tests check the two agree.
    """
    from evalkit import schemas

    plans = schemas.load_table(folder, "sefton_prior_plans")
    counts = schemas.load_table(folder, "sefton_cohort_counts").set_index("key")

    def count(key: str) -> tuple[int, str]:
        return int(counts.at[key, "value"]), str(counts.at[key, "seed_lines"])

    base, _ = count("assessed_18_or_under")
    edge, edge_lines = count("criterion_edge_of_care")
    out = [("edge_of_care", edge, base, edge_lines)]
    pl = plans.set_index(["group", "plan_type"])
    for kind in ("CIN", "CP", "LAC"):
        r = pl.loc[("all_assessed", kind)]
        out.append((f"prior_{kind.lower()}_any", int(r["n_any_previous"]), int(r["base_n"]), str(r["seed_lines"])))
    for kind in ("CIN", "CP", "LAC"):
        r = pl.loc[("edge_of_care", kind)]
        out.append((f"prior_{kind.lower()}_any | edge_of_care", int(r["n_any_previous"]), int(r["base_n"]),
                    str(r["seed_lines"])))
    for key, name in (("criterion_persistent_absence", "persistent_absence"), ("criterion_neet", "neet")):
        n, lines = count(key)
        out.append((name, n, base, lines))
    return out


def published_vs_synthetic(
    data: pd.DataFrame, published: list[tuple[str, int, int, str]] | None = None
) -> pd.DataFrame:
    """Each published share against the synthetic treated group's share.

    Parameters
    ----------
    data
        A cohort's table.
    published
        ``(figure, numerator, base, seed lines)`` rows; default :data:`PUBLISHED_SHARES`
        (or pass :func:`published_shares_from_raw`).

    Returns
    -------
    pandas.DataFrame
        ``figure, published_n, published_base, published_share, synthetic_share,
        seed_lines``.
    """
    tr = data[data["received_service"] == 1]
    edge = tr["edge_of_care"] == 1
    vals = {
        "edge_of_care": edge.mean(),
        "prior_cin_any": (tr["prior_cin_plans"] > 0).mean(),
        "prior_cp_any": (tr["prior_cp_plans"] > 0).mean(),
        "prior_lac_any": (tr["prior_lac_plans"] > 0).mean(),
        "prior_cin_any | edge_of_care": (tr.loc[edge, "prior_cin_plans"] > 0).mean(),
        "prior_cp_any | edge_of_care": (tr.loc[edge, "prior_cp_plans"] > 0).mean(),
        "prior_lac_any | edge_of_care": (tr.loc[edge, "prior_lac_plans"] > 0).mean(),
        "persistent_absence": tr["persistent_absence"].mean(),
        "neet": tr["neet"].mean(),
    }
    rows = []
    for name, num, base, lines in PUBLISHED_SHARES if published is None else published:
        rows.append(
            {
                "figure": name,
                "published_n": num,
                "published_base": base,
                "published_share": num / base,
                "synthetic_share": float(vals[name]),
                "seed_lines": lines,
            }
        )
    return pd.DataFrame(rows)

"""Survey baselines: ratings, standard outcome scales, and change that allows for attrition.

Submodules
----------
:mod:`~evalkit.surveys.ratings`
    Likert and rating items: counts, shares with Wilson or exact intervals,
    medians, bootstrap means, diverging stacked bars.
:mod:`~evalkit.surveys.scales`
    SDQ (five subscales, total difficulties, internalising, externalising, bands),
    WEMWBS and SWEMWBS (with the published metric conversion), scored from items
    with each scale's published missing-item rule. Rules ship as data in
    ``evalkit/resources/scales``.
:mod:`~evalkit.surveys.change`
    Linking waves; paired t, Wilcoxon with Hodges-Lehmann, effect size;
    Jacobson-Truax Reliable Change Index.
:mod:`~evalkit.surveys.attrition`
    Completers against those lost, nonresponse weights with ``balance``,
    weighted change, and a plain verdict on attrition.
:mod:`~evalkit.surveys.analysis`
    :func:`analyse_change`: all of the above in one call, for notebooks.

Every table these return passes small-number suppression; person-level frames
(scores, linked waves, weights) are for computation only and must not be saved.
"""

from __future__ import annotations

from evalkit.surveys._resources import (
    published_reliability,
    reliabilities,
    sdq_bands,
    swemwbs_conversion,
)
from evalkit.surveys.analysis import ChangeAnalysis, analyse_change, cronbach_alpha, score_likert
from evalkit.surveys.attrition import (
    NonresponseWeights,
    Verdict,
    attrition_table,
    attrition_verdict,
    nonresponse_weights,
    weighted_mean,
)
from evalkit.surveys.baselines import SurveyBaselines, survey_baselines, table_text
from evalkit.surveys.change import (
    PairedChange,
    ReliableChange,
    WaveError,
    hodges_lehmann,
    link_waves,
    paired_change,
    reliable_change,
)
from evalkit.surveys.io import (
    covariate_columns,
    load_responses,
    long_to_wide,
    responses_or_synthetic,
)
from evalkit.surveys.ratings import (
    AGREE5,
    RATING5,
    LikertSummary,
    bootstrap_mean_ci,
    likert_summary,
    proportion_ci,
    to_long,
)
from evalkit.surveys.scales import (
    ScaleInputError,
    ScaleScores,
    score_scale,
    score_sdq,
    score_swemwbs,
    score_wemwbs,
    swemwbs_metric,
)
from evalkit.surveys.seeds import seed_survey_facts

__all__ = [
    "AGREE5",
    "RATING5",
    "ChangeAnalysis",
    "LikertSummary",
    "NonresponseWeights",
    "PairedChange",
    "ReliableChange",
    "ScaleInputError",
    "ScaleScores",
    "SurveyBaselines",
    "Verdict",
    "WaveError",
    "analyse_change",
    "attrition_table",
    "attrition_verdict",
    "bootstrap_mean_ci",
    "covariate_columns",
    "cronbach_alpha",
    "hodges_lehmann",
    "likert_summary",
    "link_waves",
    "load_responses",
    "responses_or_synthetic",
    "long_to_wide",
    "nonresponse_weights",
    "paired_change",
    "proportion_ci",
    "published_reliability",
    "reliabilities",
    "reliable_change",
    "score_likert",
    "score_scale",
    "score_sdq",
    "score_swemwbs",
    "score_wemwbs",
    "sdq_bands",
    "seed_survey_facts",
    "swemwbs_conversion",
    "survey_baselines",
    "swemwbs_metric",
    "table_text",
    "to_long",
    "weighted_mean",
]

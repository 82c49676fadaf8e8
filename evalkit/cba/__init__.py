"""A general cost-benefit engine for children's social care evaluations.

The shape follows statsmodels: define the model, evaluate it, read a results
object. Everything a notebook needs is importable from ``evalkit.cba``.

Quick start
-----------
>>> from evalkit import cba
>>> params = cba.Parameters([
...     cba.back_solve("unit_missing", 22040, 9, source="Table 3", confidence=3),
...     cba.Parameter("n_missing", 9, kind="quantity", low=5, high=12),
...     cba.Parameter("deadweight", 0.2, kind="rate", low=0.0, high=0.5),
... ])
>>> model = cba.CBAModel(
...     [cba.Stream("missing", quantity="n_missing", unit_cost="unit_missing", payer="police")],
...     deadweight="deadweight",
... )
>>> res = model.evaluate(params)
>>> round(res.npv, 2)          # 22040 x (1 - 0.2) x (1 - OB for grade 3)
14105.6

Building blocks
---------------
:class:`Parameter`, :class:`Parameters`, :func:`back_solve`
    Named inputs with source, kind (``unit_cost``, ``quantity``, ``rate``,
    ``other``), price year, confidence grade (1 best .. 5 weakest), range and
    distribution. ``back_solve(name, total, quantity)`` keeps the unit cost a
    stated total implies, flagged ``back_solved=True``.
:class:`Stream`
    ``quantity x unit_cost`` for one ``payer`` (``local_authority``,
    ``police``, ``health``, ... see :data:`DEFAULT_PAYERS`), of kind
    ``benefit`` (a saving), ``disbenefit`` (an outcome that costs money) or
    ``cost`` (delivering the intervention), in year(s) ``years`` (0 = first
    year; a list, or ``{year: weight}`` from :func:`persistence`). Quantity,
    unit cost and rates are numbers or parameter names.
:class:`CBAModel`
    Streams plus settings: ``discount_rate`` (default 3.5%, the HM Treasury
    Green Book rate; ``"green_book"`` for the declining long-term schedule; or
    a parameter name), ``horizon`` (years), default ``deadweight``,
    ``displacement``, ``attribution`` (deductions in [0, 1]; see
    :mod:`evalkit.cba.adjust`), ``ob_grades`` (confidence grade -> optimism
    bias), ``adjust`` (False for the gross "as reported" reading) and
    ``price_year``/``index`` for uprating.
``model.evaluate(params, **overrides)`` -> :class:`CBAResult`
    ``.npv``, ``.bcr`` (net outcomes / costs), ``.roi`` (NPV / costs),
    ``.payback_year`` (discounted; ``.payback_year_undiscounted``),
    ``.pv_benefits``, ``.pv_disbenefits``, ``.pv_costs``, ``.by_payer()``
    (payer rows sum to the total), ``.lines`` (per stream: gross, rates,
    adjustment factor, PV), ``.flows`` (by year), ``.summary()`` (plain text)
    and ``.waterfall(ax)`` (PV by stream coloured by payer).

Adjustments (:mod:`evalkit.cba.adjust`)
    Outcome streams (benefits and disbenefits) are multiplied by
    ``(1 - deadweight)(1 - displacement)(1 - attribution)``; then benefits by
    ``(1 - ob)`` and disbenefits and costs by ``(1 + ob)``, where ``ob`` is the
    optimism-bias rate for the stream's confidence grade (or the grade of its
    unit-cost parameter). Default grades are in
    ``evalkit/resources/optimism_bias_grades.csv`` (0/10/20/30/40% for grades
    1-5). They are evalkit's defaults in the structure of the New Economy /
    GMCA method, **not** a verified copy of its published table; see
    ``evalkit/resources/SOURCES.md``.

Time (:mod:`evalkit.cba.discount`)
    :func:`discount_factors`, :func:`present_value`, :func:`npv`,
    :func:`payback_year` for plain yearly series.

Prices (:mod:`evalkit.cba.prices`)
    :class:`IndexTable` (year -> level), :func:`load_index` (shipped tables,
    e.g. ``"gdp_deflator"``), ``Parameters.uprate(to_year, index)``. A unit
    cost with no price year cannot be uprated (:class:`PriceYearError`).

Sensitivity (:mod:`evalkit.cba.sensitivity`)
    :func:`one_way_sensitivity` -> ``.table``, ``.to_text()``, ``.tornado(ax)``;
    :func:`break_even` -> the value of one parameter at which a metric (NPV
    by default, any payer) hits a target; :func:`monte_carlo` (seeded;
    identical on rerun) -> ``.values``, ``.interval(level)``,
    ``.prob_positive``, ``.summary()``, ``.plot(ax)``, ``.by_payer``.

Tables (:mod:`evalkit.cba.frames`)
    :func:`parameters_from_frame` and :func:`streams_from_frame` build the
    model from CSV tables, so a rerun for another LA changes data, not code.

Errors (:mod:`evalkit.cba.errors`)
    All are ``ValueError`` subclasses naming the stream or parameter and the
    rule: :class:`NegativeQuantityError`, :class:`NegativeUnitCostError`,
    :class:`PriceYearError`, :class:`UnknownPayerError`, :class:`RateError`,
    :class:`UnknownParameterError`, :class:`ConfidenceGradeError`.
"""

from __future__ import annotations

from evalkit.cba.adjust import DEFAULT_OB_GRADES, net_factor, ob_rate
from evalkit.cba.discount import (
    GREEN_BOOK_RATE,
    discount_factors,
    npv,
    payback_year,
    present_value,
)
from evalkit.cba.errors import (
    CBAError,
    ConfidenceGradeError,
    NegativeQuantityError,
    NegativeUnitCostError,
    PriceYearError,
    RateError,
    UnknownParameterError,
    UnknownPayerError,
)
from evalkit.cba.frames import backsolved_outcomes, parameters_from_frame, streams_from_frame
from evalkit.cba.model import (
    DEFAULT_PAYERS,
    METRICS,
    CBAModel,
    CBAResult,
    Stream,
    persistence,
    persistence_quarters,
)
from evalkit.cba.params import Parameter, Parameters, back_solve
from evalkit.cba.prices import IndexTable, load_index
from evalkit.cba.sensitivity import (
    BreakEvenResult,
    MonteCarloResult,
    SensitivityResult,
    break_even,
    break_even_table,
    monte_carlo,
    one_way_sensitivity,
)

__all__ = [
    "DEFAULT_OB_GRADES",
    "DEFAULT_PAYERS",
    "GREEN_BOOK_RATE",
    "METRICS",
    "BreakEvenResult",
    "CBAError",
    "CBAModel",
    "CBAResult",
    "ConfidenceGradeError",
    "IndexTable",
    "MonteCarloResult",
    "NegativeQuantityError",
    "NegativeUnitCostError",
    "Parameter",
    "Parameters",
    "PriceYearError",
    "RateError",
    "SensitivityResult",
    "Stream",
    "UnknownParameterError",
    "UnknownPayerError",
    "back_solve",
    "backsolved_outcomes",
    "break_even",
    "break_even_table",
    "discount_factors",
    "load_index",
    "monte_carlo",
    "net_factor",
    "npv",
    "ob_rate",
    "one_way_sensitivity",
    "parameters_from_frame",
    "payback_year",
    "persistence",
    "persistence_quarters",
    "present_value",
    "streams_from_frame",
]

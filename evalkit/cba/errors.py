"""Errors raised by :mod:`evalkit.cba`.

Every error is a :class:`ValueError` subclass whose message names the stream,
parameter or argument at fault and the rule it breaks, so a notebook user sees
one clear line rather than a numpy traceback.
"""

from __future__ import annotations

from evalkit.errors import InputDataError


class CBAError(InputDataError):
    """Base class for bad input to the cost-benefit engine."""


class NegativeQuantityError(CBAError):
    """A quantity (a count of outcomes, months, cases) is negative."""


class NegativeUnitCostError(CBAError):
    """A unit cost is negative (direction is set by the stream's ``kind``, never by sign)."""


class PriceYearError(CBAError):
    """Uprating was asked for but a unit cost has no price year, or the index lacks a year."""


class UnknownPayerError(CBAError):
    """A stream names a payer outside the model's list of payers."""


class RateError(CBAError):
    """A rate (deadweight, attribution, displacement, optimism bias, discount) is outside its range."""


class UnknownParameterError(CBAError):
    """A stream or a sensitivity call names a parameter that is not defined."""


class ConfidenceGradeError(CBAError):
    """A confidence grade is not one of the grades of the optimism-bias table."""

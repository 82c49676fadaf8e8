"""One family of errors and one warning class for the whole package.

Every error that reaches a user derives from :class:`EvalkitError`, so a caller
(the CLI, the batch engine, a notebook) can catch the package's own failures
without catching programming errors. Subclasses name the kind of failure:

* :class:`InputDataError`: a user's file, folder or parameter breaks a rule
  (the message names the file, row, column and rule);
* :class:`ModelError`: a model cannot be fitted or is not identified on the
  data given;
* :class:`ConfigError`: a setting (``params.yaml``, a notebook parameter) is
  invalid.

:class:`EvalkitWarning` marks conditions recorded during fitting (a fallback, a
bound hit, a check outside its band). Result objects keep them in ``notes``.
"""

from __future__ import annotations


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose."""


class InputDataError(EvalkitError, ValueError):
    """A user's input (file, folder, table, row) breaks a documented rule."""


class ConfigError(EvalkitError, ValueError):
    """A setting (``params.yaml`` key, notebook parameter, CLI option) is invalid."""


class ModelError(EvalkitError, ValueError):
    """A model cannot be fitted, or is not identified, on the data given."""


class EvalkitWarning(UserWarning):
    """A condition worth recording with a result (kept in the result's ``notes``)."""


def shown(value: object) -> str:
    """``repr`` of a value for a message, numpy scalars as the Python value they hold.

    numpy 2 reprs its scalars with their type (``np.float64(0.0)``, ``np.int64(3)``); a message
    about a user's cell shows the cell's value (``0.0``, ``3``) on every numpy version.

    >>> import numpy as np
    >>> shown(np.float64(0.0)), shown(np.int64(3)), shown("x"), shown(np.str_("x"))
    ('0.0', '3', "'x'", "'x'")
    """
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item) and getattr(value, "ndim", None) == 0:
        value = item()
    return repr(value)

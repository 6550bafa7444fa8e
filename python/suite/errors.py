"""The project's error types: every deliberate error is a DlfsError, and a ValueError or OSError too.

R mirrors them as condition classes: ``InputError`` is ``dlfs_input_error`` (plus ``dlfs_error``),
and so on (the snake_case of the name, prefixed with ``dlfs_``).
"""


class DlfsError(Exception):
    """Base of every error this project raises on purpose; the message says what to fix."""


class InputError(DlfsError, ValueError):
    """An argument has the wrong shape, an out-of-range value, NaN where not allowed, and so on."""


class InputTypeError(InputError, TypeError):
    """An argument has the wrong type or dtype (integers where a float is perturbed, strings)."""


class NumericalError(DlfsError, ArithmeticError):
    """A result would be NaN from finite inputs: weights or products beyond float64 (training: divergence)."""


class DataFileError(DlfsError, OSError):
    """A data file is missing, not IDX, truncated, corrupt or inconsistent; the message names it."""


class FixtureError(DlfsError, ValueError):
    """A fixture file is missing, tampered with, or malformed; the message names it."""


class CheckpointError(DlfsError, ValueError):
    """A checkpoint is malformed, truncated, fails its checksums, or does not fit the run."""


class OutputExistsError(DlfsError, FileExistsError):
    """An output directory already holds a run (use --force to overwrite, --resume to continue)."""


class DivergedError(DlfsError, ArithmeticError):
    """Training reached a non-finite loss; the last good state is on disk."""

    def __init__(self, message: str, iteration: int) -> None:
        """Keep the iteration whose loss was not finite."""
        super().__init__(message)
        self.iteration = iteration

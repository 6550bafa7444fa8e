"""One embedded R per process (rpy2): setup checks, r/load.R sourced once, one R call per function."""

import functools
import importlib.metadata
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np

RPY2_PIN = "3.5.17"
R_PACKAGES = ("jsonlite", "digest")  # what r/suite/fixtures_io.R needs to read the fixtures
SETUP_HINT = "  run `make setup` (installs the Debian packages and the pinned Python requirements)"

# Every case of a function through R's run_case(), each in its own tryCatch, so that an error names its
# case and leaves the others to run. An error comes back as one string with a marker prefix.
PER_CASE_R = """function(fn, root) {
  cases <- load_cases(fn, root)
  out <- lapply(cases, function(case) tryCatch(run_case(fn, case), error = function(e)
    paste("R error:", conditionMessage(e))))
  names(out) <- vapply(cases, function(case) case$id, "")
  out
}"""


class SetupError(RuntimeError):
    """R, an R package or rpy2 is missing or of a version that cannot work; the message says what to do."""


class CaseError:
    """A case whose implementation raised instead of returning a result."""

    def __init__(self, message: str) -> None:
        """Keep the error message (first line)."""
        self.message = message.strip().splitlines()[0] if message.strip() else "error"

    def __repr__(self) -> str:
        """The message."""
        return self.message


def version_tuple(text: str) -> tuple[int, ...]:
    """'3.5.17' -> (3, 5, 17); '3.6.0rc1' -> (3, 6, 0)."""
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


def check_r(rpy2_version: str, r_version: tuple[int, ...], missing: list[str]) -> None:
    """SetupError if the R version does not suit rpy2 or R packages are missing."""
    if r_version < (4, 2):
        raise SetupError(f"R {r_version} is too old; this project needs R >= 4.2:\n"
                         "  apt-get install -y r-base-core r-base-dev\n" + SETUP_HINT)
    if version_tuple(rpy2_version) >= (3, 6, 7) and r_version < (4, 5):
        raise SetupError(f"rpy2 {rpy2_version} requires R >= 4.5, this R is "
                         f"{'.'.join(map(str, r_version))}:\n  pip install rpy2=={RPY2_PIN}\n" + SETUP_HINT)
    if missing:
        debs = " ".join(f"r-cran-{p}" for p in missing)
        raise SetupError(f"R package(s) missing: {', '.join(missing)}:\n  apt-get install -y {debs}\n"
                         + SETUP_HINT)


def to_numpy(value: Any) -> Any:
    """An R result as float64 arrays (maps of them for named lists); R error strings as CaseError."""
    if hasattr(value, "items"):
        return {str(k): to_numpy(v) for k, v in value.items()}
    arr = np.asarray(value)
    if arr.dtype.kind in "USO":
        return CaseError(" ".join(str(v) for v in arr.ravel()) or "R returned a non-numeric value")
    # R doubles arrive as float64 already; integers (32-bit in R) and logicals widen exactly.
    return arr.astype(np.float64)


class RBridge:
    """The embedded R with the r/ modules of one checkout loaded into their own environment."""

    def __init__(self, root: Path) -> None:
        """Embed R (once per process), check versions and packages, source r/load.R once."""
        if shutil.which("R") is None:
            raise SetupError("R is not installed (rpy2 needs R and its headers):\n  apt-get install -y "
                             "--no-install-recommends r-base-core r-base-dev\n" + SETUP_HINT)
        try:
            rpy2_version = importlib.metadata.version("rpy2")
            import rpy2.robjects as ro
            from rpy2.rinterface_lib import callbacks
        except importlib.metadata.PackageNotFoundError:
            raise SetupError(f"rpy2 is not installed in this Python:\n  pip install rpy2=={RPY2_PIN}\n"
                             + SETUP_HINT) from None
        except Exception as exc:  # an rpy2 built for another R fails here
            raise SetupError(f"rpy2 {rpy2_version} cannot embed this R ({exc}):\n"
                             f"  pip install --force-reinstall rpy2=={RPY2_PIN}\n" + SETUP_HINT) from exc
        self.console: list[str] = []
        callbacks.consolewrite_warnerror = self.console.append
        callbacks.consolewrite_print = self.console.append
        self.ro = ro
        r_version = version_tuple(str(ro.r("paste(R.version$major, R.version$minor, sep = '.')")[0]))
        missing = [p for p in R_PACKAGES
                   if not ro.r(f"isTRUE(requireNamespace('{p}', quietly = TRUE))")[0]]
        check_r(rpy2_version, r_version, missing)
        load_r = root / "r" / "load.R"
        if not load_r.exists():
            raise SetupError(f"{load_r} is missing: the R mirror is not in this checkout")
        self.env = ro.r("new.env()")
        ro.r["sys.source"](str(load_r), envir=self.env)

    @classmethod
    @functools.cache
    def get(cls, root: Path) -> "RBridge":
        """The bridge for this checkout, created on first use (R starts once per process)."""
        return cls(root.resolve())

    def run_function(self, function: str, fixtures: Path) -> list[tuple[str, Any]]:
        """(case id, result) for every case of `function`, from ONE R call; ("*", error) if it fails."""
        from rpy2.rinterface_lib.embedded import RRuntimeError

        try:
            results = self.eval(PER_CASE_R, function, str(fixtures))
        except RRuntimeError as exc:
            return [("*", CaseError(f"R error: {exc}"))]
        return [(str(k), to_numpy(v)) for k, v in results.items()]

    def eval(self, code: str, *args: Any) -> Any:
        """R code evaluated in the loaded environment (then called on args, if any), converted to numpy."""
        from rpy2.robjects import default_converter, numpy2ri
        from rpy2.robjects.conversion import localconverter

        with localconverter(default_converter + numpy2ri.converter):
            value = self.ro.r["eval"](self.ro.r["parse"](text=code), self.env)
            return value(*args) if args else value

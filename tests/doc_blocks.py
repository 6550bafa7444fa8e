"""Run the code blocks of a walkthrough (docs/ch04.md) and compare what each prints with the document.

The fence convention (stated at the top of docs/ch04.md): a ```python or ```r block is run, and the
```text block right after it (blank lines between are allowed) is what it must print to stdout. All
blocks of one language run in order in one session: Python here with exec, R in one Rscript process.
Any other fence (```sh, ```text on its own) is prose and not run.
"""

import contextlib
import io
import json
import re
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
LANGUAGES = ("python", "r")


class DocFormatError(ValueError):
    """A code block without the output block that must follow it."""


@dataclass
class Block:
    """A code block, what the document says it prints, and the line where it starts."""

    language: str
    code: str
    expected: str
    line: int


def parse_blocks(text: str) -> list[Block]:
    """The document's code blocks in order, each paired with the ```text block right after it."""
    fences = list(FENCE.finditer(text))
    blocks = []
    for i, m in enumerate(fences):
        language = m.group(1).lower()
        if language not in LANGUAGES:
            continue
        line = text.count("\n", 0, m.start()) + 1
        nxt = fences[i + 1] if i + 1 < len(fences) else None
        if nxt is None or nxt.group(1) != "text" or text[m.end():nxt.start()].strip():
            raise DocFormatError(f"line {line}: a ```{language} block must be followed by a ```text block "
                                 "with what it prints (empty if nothing)")
        blocks.append(Block(language, m.group(2), nxt.group(2), line))
    return blocks


def normalise(output: str) -> str:
    """Output without trailing spaces on each line and without trailing blank lines."""
    return "\n".join(line.rstrip() for line in output.rstrip().splitlines())


def run_python(blocks: list[Block]) -> list[str]:
    """Each block's stdout, all blocks exec'd in order in one namespace (cwd: the repository)."""
    namespace: dict = {"__name__": "__doc__"}
    outputs = []
    with contextlib.chdir(ROOT), warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning in the walkthrough is a defect, as in the tests
        for block in blocks:
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(block.code, f"docs block at line {block.line}", "exec"), namespace)
            outputs.append(buffer.getvalue())
    return outputs


R_DRIVER = r"""
options(warn = 2)  # a warning in the walkthrough is a defect: it stops the block
blocks <- jsonlite::fromJSON(commandArgs(trailingOnly = TRUE)[1L])
env <- new.env(parent = globalenv())
outputs <- character(length(blocks))
for (i in seq_along(blocks)) {
  # source(print.eval = TRUE) prints visible values as the console does.
  outputs[i] <- paste(utils::capture.output(
    source(exprs = parse(text = blocks[i], keep.source = FALSE), local = env, print.eval = TRUE,
           echo = FALSE)
  ), collapse = "\n")
}
writeLines(jsonlite::toJSON(outputs), commandArgs(trailingOnly = TRUE)[2L])
"""


def run_r(blocks: list[Block], timeout: float = 600) -> list[str]:
    """Each block's stdout, all blocks run in order in one Rscript session (cwd: the repository)."""
    with tempfile.TemporaryDirectory(prefix="doc-r-") as tmp:
        code, out, driver = Path(tmp, "blocks.json"), Path(tmp, "out.json"), Path(tmp, "driver.R")
        code.write_text(json.dumps([b.code for b in blocks]))
        driver.write_text(R_DRIVER)
        proc = subprocess.run(["Rscript", str(driver), str(code), str(out)], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"the R blocks failed:\n{proc.stderr[-3000:]}")
        return [o + "\n" if o else "" for o in json.loads(out.read_text())]


def mismatches(text: str, language: str) -> tuple[int, list[str]]:
    """Run the document's blocks of one language; the number run and a message per differing block."""
    blocks = [b for b in parse_blocks(text) if b.language == language]
    outputs = (run_python if language == "python" else run_r)(blocks)
    problems = []
    for block, got in zip(blocks, outputs, strict=True):
        if normalise(got) != normalise(block.expected):
            problems.append(f"```{language} block at line {block.line} printed:\n{got}\n"
                            f"the document shows:\n{block.expected}")
    return len(blocks), problems

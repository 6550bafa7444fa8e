"""The README's Quick look prints what it shows: each code block runs; its output is the text block below.

Convention: in the "## Quick look" section, a ```python or ```r block is followed by a ```text block
holding exactly what it prints. The blocks of one language run in order in one session (Python in a
subprocess, R through Rscript from the repository root), as a reader would paste them.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SEPARATOR = "<<<end of block>>>"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)
RUNNERS = {
    "python": ([sys.executable, "-"], f'\nprint("{SEPARATOR}")\n'),
    "r": (["Rscript", "-"], f'\ncat("{SEPARATOR}\\n")\n'),
}


def quick_look(text: str) -> str:
    """The text of the "## Quick look" section."""
    match = re.search(r"^## Quick look\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "README.md has no '## Quick look' section"
    return match.group(1)


def examples(text: str) -> dict[str, list[tuple[str, str]]]:
    """(code, expected output) pairs per language, in document order."""
    blocks = [(m.group(1), m.group(2)) for m in BLOCK.finditer(quick_look(text))]
    pairs: dict[str, list[tuple[str, str]]] = {lang: [] for lang in RUNNERS}
    for (lang, code), (next_lang, output) in zip(blocks, [*blocks[1:], ("", "")], strict=True):
        if lang in RUNNERS:
            assert next_lang == "text", f"a ```{lang} block is not followed by a ```text block:\n{code}"
            pairs[lang].append((code, output))
    return pairs


def run_blocks(lang: str, codes: list[str]) -> list[str]:
    """Run the blocks in one session; what each printed."""
    command, separator = RUNNERS[lang]
    script = "".join(code + separator for code in codes)
    done = subprocess.run(command, input=script, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, f"{lang} blocks failed:\n{done.stderr}"
    printed = done.stdout.split(SEPARATOR + "\n")
    assert printed[-1] == "", f"{lang}: output after the last block: {printed[-1]!r}"
    return printed[:-1]


def mismatches(text: str) -> list[str]:
    """Every block whose printed output differs from the README's, with both versions."""
    found = []
    for lang, pairs in examples(text).items():
        printed = run_blocks(lang, [code for code, _ in pairs])
        for (code, expected), got in zip(pairs, printed, strict=True):
            if got != expected:
                found.append(f"```{lang}\n{code}``` prints\n{got}but the README shows\n{expected}")
    return found


def test_quick_look_has_the_books_examples_in_both_languages() -> None:
    """Four examples per language (softmax, cross-entropy, numerical gradient, TwoLayerNet), with output."""
    pairs = examples(README.read_text())
    for lang, wanted in {"python": ("softmax(", "cross_entropy_error(", "numerical_gradient(function_2",
                                    "TwoLayerNet("),
                         "r": ('source("r/load.R")', "softmax(", "cross_entropy_error(",
                               "numerical_gradient(function_2", "TwoLayerNet(")}.items():
        code = "".join(c for c, _ in pairs[lang])
        assert len(pairs[lang]) >= 4 and all(out.strip() for _, out in pairs[lang]), lang
        assert all(w in code for w in wanted), f"{lang}: missing one of {wanted}"
    assert "(docs/ch04.md)" in quick_look(README.read_text())


def test_quick_look_prints_what_the_readme_shows() -> None:
    """Each block's output, exactly."""
    assert mismatches(README.read_text()) == []


@pytest.mark.parametrize("lang", sorted(RUNNERS))
def test_a_changed_printed_value_fails(lang: str) -> None:
    """The check can fail: one digit changed in the last output of a language's blocks is caught."""
    text = README.read_text()
    code, expected = examples(text)[lang][-1]
    digit = re.search(r"\d(?=\D*$)", expected)
    assert digit, expected
    changed = expected[:digit.start()] + str((int(digit.group()) + 1) % 10) + expected[digit.end():]
    modified = text.replace(f"{code}```\n```text\n{expected}", f"{code}```\n```text\n{changed}", 1)
    assert modified != text
    found = mismatches(modified)
    assert len(found) == 1 and f"```{lang}\n{code}" in found[0] and changed in found[0]

"""docs/ch04.md is checked, not trusted: every code block runs and must print what the document shows."""

import pytest

from tests.doc_blocks import ROOT, DocFormatError, mismatches, parse_blocks

DOC = ROOT / "docs" / "ch04.md"


@pytest.mark.parametrize("language", ["python", "r"])
def test_every_block_prints_what_the_document_shows(language):
    count, problems = mismatches(DOC.read_text(), language)
    assert count >= 19, f"only {count} {language} blocks: the walkthrough lost its steps"
    assert not problems, "\n\n".join(problems)


def test_blocks_come_in_pairs_in_both_languages():
    blocks = parse_blocks(DOC.read_text())
    counts = {lang: sum(b.language == lang for b in blocks) for lang in ("python", "r")}
    assert counts["python"] == counts["r"], counts  # each step shows both languages


@pytest.mark.parametrize("language", ["python", "r"])
def test_a_changed_printed_value_fails(tmp_path, language):
    # A temporary copy of the document's first two sections, with one printed digit changed in one
    # output block of this language: the check must report exactly that block.
    text = DOC.read_text().split("\n## 3.")[0]
    marker = "```python" if language == "python" else "```r"
    start = text.index(marker, text.index("### The central difference"))
    value = text.index("0.1999999999990898", start)
    copy = tmp_path / "ch04.md"
    copy.write_text(text[:value] + "0.1999999999990899" + text[value + len("0.1999999999990898"):])
    count, problems = mismatches(copy.read_text(), language)
    assert count >= 5
    assert len(problems) == 1, problems
    assert "0.1999999999990899" in problems[0] and "0.1999999999990898" in problems[0]
    unchanged_count, unchanged = mismatches(text, language)
    assert unchanged_count == count and not unchanged


def test_a_code_block_without_output_is_refused():
    with pytest.raises(DocFormatError, match="line 3: a ```python block must be followed"):
        parse_blocks("Text\n\n```python\nprint(1)\n```\n\nMore text.\n")
    with pytest.raises(DocFormatError, match="```r block"):
        parse_blocks("```r\n1\n```\nprose between\n```text\n[1] 1\n```\n")
    assert len(parse_blocks("```sh\nmake\n```\n```python\nprint(1)\n```\n```text\n1\n```\n")) == 1

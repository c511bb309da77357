"""Every link of the project's Markdown pages leads somewhere: files that exist, and headings
that exist under GitHub's rules for their anchors.

The README's studies moved to docs/results.md with some fifty links between the two pages; a
heading renamed, or a page moved, would leave a reader at the top of a page or at a 404.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted((ROOT / "models").glob("*/README.md")), ROOT / "data" / "jku" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading):
    """GitHub's anchor of a heading: lower case, punctuation (backticks, dots, colons, slashes,
    question marks) dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    text = re.sub(r"(?ms)^```.*?^```", "", path.read_text())      # no headings in code
    return {anchor(line.lstrip("#").rstrip("#")) for line in text.splitlines()
            if re.match(r"#{1,6} ", line)}


def links(path):
    text = re.sub(r"(?ms)^```.*?^```", "", path.read_text())
    return [link for link in LINK.findall(text) if not re.match(r"[a-z]+:", link)]


def broken(path):
    """The links of ``path`` that lead nowhere."""
    out = []
    for link in links(path):
        target, _, fragment = link.partition("#")
        page = (path.parent / target).resolve() if target else path
        if not page.exists():
            out.append(link)
        elif fragment and page.suffix == ".md" and fragment not in anchors(page):
            out.append(link)
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_of_a_page_leads_somewhere(page):
    assert page.exists()
    assert broken(page) == []


def test_anchors_follow_githubs_rules_and_broken_links_are_found(tmp_path):
    assert anchor("Which Model `--pretrained` Uses") == "which-model---pretrained-uses"
    assert anchor("What lands in `output/RUN/`") == "what-lands-in-outputrun"
    assert anchor("The choice or the candidates? `bench/discovery.py --best-subset`") == (
        "the-choice-or-the-candidates-benchdiscoverypy---best-subset")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# Part B\n\n## A study: `x.py`\n")
    page = tmp_path / "a.md"
    page.write_text("# Top\n\n[ok](#top) [ok](docs/b.md#a-study-xpy) [ok](https://x.org/#no)\n"
                    "[gone](docs/c.md) [bad](docs/b.md#a-study) [bad](#nowhere)\n"
                    "```\n# not a heading\n[not a link](#not-a-heading)\n```\n")
    assert broken(page) == ["docs/c.md", "docs/b.md#a-study", "#nowhere"]

"""The API guide (`api_docs/guide/*.md`) as HTML pages: `/api/guide/` is its README, `/api/guide/<page>/` a chapter.

Links between the markdown files (`errors.md`, `orders.md#compliance-reasons`) become links between the pages;
headings get GitHub's anchors, so a link works the same on the repository and on the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from django.urls import reverse
from markdown.extensions.toc import slugify_unicode

GUIDE_DIR = Path(__file__).resolve().parent / "guide"
INDEX = "README"
_PAGE_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)([\w-]+)\.md(#[^"]*)?"', re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\]\(([\w-]+)\.md[#)]")
_TITLE = re.compile(r"^#\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class GuidePage:
    slug: str  # "" for the index, else the file name without .md
    title: str
    html: str


def page_url(slug: str) -> str:
    return reverse("guide") if slug in ("", INDEX) else reverse("guide-page", args=[slug])


def page_slugs() -> list[str]:
    """Every page, in reading order: the index, then the chapters in the order the index links them, then any other."""
    names = {path.stem for path in GUIDE_DIR.glob("*.md")} - {INDEX}
    linked = list(dict.fromkeys(_MARKDOWN_LINK.findall((GUIDE_DIR / f"{INDEX}.md").read_text(encoding="utf-8"))))
    ordered = [name for name in linked if name in names]
    return ["", *ordered, *sorted(names - set(ordered))]


def page_path(slug: str) -> Path | None:
    """The markdown file of a page, or None for a name that is not one (no path tricks: names are \\w and -)."""
    name = slug or INDEX
    if not re.fullmatch(r"[\w-]+", name) or (slug and name == INDEX):
        return None
    path = GUIDE_DIR / f"{name}.md"
    return path if path.is_file() else None


def render(slug: str) -> GuidePage | None:
    path = page_path(slug)
    if path is None:
        return None
    return _render(path, path.stat().st_mtime_ns)  # a changed file renders anew (no restart while editing)


@lru_cache(maxsize=64)
def _render(path: Path, _mtime_ns: int) -> GuidePage:
    text = path.read_text(encoding="utf-8")
    html = markdown.markdown(
        text,
        extensions=["tables", "fenced_code", "sane_lists", "toc"],
        extension_configs={"toc": {"slugify": slugify_unicode}},
        output_format="html",
    )
    html = _PAGE_LINK.sub(lambda match: f'href="{page_url(match.group(1))}{match.group(2) or ""}"', html)
    title_match = _TITLE.search(text)
    title = title_match.group(1).strip() if title_match else path.stem
    return GuidePage(slug="" if path.stem == INDEX else path.stem, title=title, html=html)


def table_of_contents() -> list[tuple[str, str, str]]:
    """(slug, title, url) of every page, in reading order."""
    contents = []
    for slug in page_slugs():
        page = render(slug)
        if page is not None:
            contents.append((slug, page.title, page_url(slug)))
    return contents

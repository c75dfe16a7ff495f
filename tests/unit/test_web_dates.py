"""A web page's publication date where sites put it: a <meta> of the page (PubDate, publishdate,
article:published_time) or a 发布时间 line above the article, when the report itself prints no
date; so a late report is still found late. The dates below are typed by hand into the pages."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest

from nianbao.check import check_bytes
from nianbao.model import Status
from nianbao.parse.meta import labelled_date, meta_date
from tests.synth.blocks import blocks
from tests.synth.to_html import to_html
from tests.synth.truth import random_truth

pytestmark = pytest.mark.unit


def _page(head: str = "", above: str = "") -> bytes:
    """A clean 2023 report as a web page with no date in its text, and ``head`` / ``above`` added."""
    truth = replace(random_truth(random.Random(5), year=2023), published=None)
    page = to_html(blocks(truth, random.Random(5))).decode()
    page = page.replace("</head>", f"{head}</head>", 1)
    return page.replace('<div id="zoom" class="content">', f'{above}<div id="zoom" class="content">', 1).encode()


def _published(data: bytes) -> tuple[date | None, set[str]]:
    result = check_bytes(data, "page.html")
    assert result.status is not Status.UNREADABLE
    return result.report.published, {f.code for f in result.findings}


def test_without_a_date_anywhere_the_date_is_missing():
    published, codes = _published(_page())
    assert published is None
    assert "DATE_MISSING" in codes


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="PubDate" content="2024-03-15 09:30">', date(2024, 3, 15)),
        ('<meta name="publishdate" content="2024-01-20">', date(2024, 1, 20)),
        ('<meta property="article:published_time" content="2024-01-26T08:00:00+08:00">', date(2024, 1, 26)),
        ('<meta name="ArticlePubDate" content="2024年02月02日 10:15">', date(2024, 2, 2)),
    ],
)
def test_the_date_in_the_pages_metadata(head, expected):
    published, codes = _published(_page(head=head))
    assert published == expected
    assert "DATE_MISSING" not in codes
    assert ("PUBLISHED_LATE" in codes) is (expected > date(2024, 1, 31))


def test_the_date_line_above_the_article_wins_over_metadata():
    above = '<div class="info">发布时间：2024-03-15 10:30:00　来源：县政府办公室　浏览次数：1024</div>'
    published, codes = _published(_page(head='<meta name="PubDate" content="2024-01-10">', above=above))
    assert published == date(2024, 3, 15)
    assert "PUBLISHED_LATE" in codes


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("发布时间：2024-01-20 10:30 来源：县政府办", date(2024, 1, 20)),
        ("发布日期: 2024年1月18日", date(2024, 1, 18)),
        ("成文日期：2024/01/05", date(2024, 1, 5)),
        ("发布时间：2024-02-30", None),  # no such day
        ("浏览次数：2024-01-20", None),  # not a publication label
        ("发布时间：见正文", None),
    ],
)
def test_a_labelled_date_line(line, expected):
    found = labelled_date(line)
    assert (found.day if found else None) == expected


def test_metadata_that_is_not_a_date_is_ignored():
    assert meta_date("yesterday") is None
    assert meta_date("") is None
    assert meta_date("1900-01-01") is None  # not a plausible report year

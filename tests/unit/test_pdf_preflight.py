"""The preflight's operator count (extract/pdf_preflight.py), against its definition."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.extract.pdf_preflight import _count_operators

pytestmark = pytest.mark.unit

# The definition, as a regular expression: a token that starts with a letter or a quote right after
# whitespace, a bracket, a brace, a parenthesis or "%" (not "/": that starts a name), or at the start.
DEFINITION = re.compile(rb"(?:(?<=[\s\[\]<>(){}%])|^)[A-Za-z'\"][^\s\[\]<>(){}/%]*")

DELIMITERS = [*(bytes([c]) for c in b" \n\r\t\f\v\x00"), b"[", b"]", b"<", b">", b"(", b")", b"{", b"}", b"/", b"%"]
TOKENS = [b"q", b"Q", b"BT", b"Tj", b"'", b'"', b"re", b"f*", b"12", b"-3.5", b".5", b"+1", b"F1", b"\xe4", b"#"]
PDF_BYTES = st.lists(st.sampled_from([*DELIMITERS, *TOKENS]), max_size=60).map(b"".join)


def test_a_page_of_text_counts_its_operators_and_the_words_in_its_strings():
    # BT, Tf, Td, Tj, ET, and "Hello" in its string (an upper bound); not the name /F1 or numbers
    assert _count_operators(b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET") == 6
    assert _count_operators(b"q 1 0 0 1 0 0 cm 0 0 10 10 re f Q") == 5
    assert _count_operators(b"/Fm0 Do\n/Fm0 Do") == 2
    assert _count_operators(b"") == 0
    assert _count_operators(b"'") == 1  # a quote operator at the very start


@settings(max_examples=400, deadline=None)
@given(PDF_BYTES)
def test_the_count_is_the_definitions(content):
    assert _count_operators(content) == len(DEFINITION.findall(content))

"""The attachment's base64 check runs in C, not through the published regex (which costs about a
second of CPU per 10 MB), and must accept exactly what the published pattern accepts."""

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from intake.api_contract import BASE64_PATTERN, contract_errors, is_strict_base64

# ECMA-262 reads `$` as the end of the text, as the contract's validator does.
PUBLISHED = re.compile(BASE64_PATTERN[:-1] + r"\Z")

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
near_base64 = st.text(alphabet=ALPHABET + "=-_ \n\r\t.é٣\x00", max_size=24)


@given(near_base64)
def test_agrees_with_the_published_pattern_on_near_misses(text):
    assert is_strict_base64(text) == bool(PUBLISHED.search(text))


@given(st.binary(max_size=64))
def test_accepts_every_encoded_file(raw):
    assert is_strict_base64(base64.b64encode(raw).decode())


@given(st.text(max_size=40))
def test_agrees_on_any_text(text):
    assert is_strict_base64(text) == bool(PUBLISHED.search(text))


def test_a_wrong_attachment_is_named_in_the_errors():
    body = {"attachments": [{"filename": "a.pdf", "content_base64": "JVBERi0"}]}
    assert "attachments" in contract_errors(body)

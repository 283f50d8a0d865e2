import pytest
from django.http import Http404

from clinic.params import pk_or_404, pk_or_none, search_text

NOT_IDS = ["x", " ", "", None, "-1", "0", "²", "１２", "9" * 5000, "2147483648"]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_anything_that_is_not_an_id_is_none_and_404(raw):
    assert pk_or_none(raw) is None
    with pytest.raises(Http404):
        pk_or_404(raw)


@pytest.mark.parametrize(
    ("raw", "pk"), [("7", 7), (" 42 ", 42), (15, 15), ("2147483647", 2**31 - 1)]
)
def test_an_id_is_read(raw, pk):
    assert pk_or_none(raw) == pk == pk_or_404(raw)


def test_search_text_drops_nul_and_control_characters_and_is_bounded():
    assert search_text(" Ana\x00 Díaz\n") == "Ana Díaz"
    assert search_text("x" * 500) == "x" * 100
    assert search_text(None) == ""

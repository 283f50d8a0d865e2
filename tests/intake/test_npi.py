import pytest
from django.core.exceptions import ValidationError

from intake.validators import npi_check_digit_ok, validate_npi


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_known_valid_npis_pass(npi):
    assert npi_check_digit_ok(npi)
    validate_npi(npi)


@pytest.mark.parametrize("npi", ["1234567890", "1245319590", "1003000127"])
def test_a_wrong_check_digit_is_refused_with_a_clear_message(npi):
    with pytest.raises(ValidationError, match="check digit"):
        validate_npi(npi)


@pytest.mark.parametrize("npi", ["123456789", "12345678901", "12345abcde", ""])
def test_anything_but_ten_digits_is_refused(npi):
    with pytest.raises(ValidationError, match="exactly 10 digits"):
        validate_npi(npi)

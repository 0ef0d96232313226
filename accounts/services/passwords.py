from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ErrorDetail, ValidationError


def password_check(password: str, *, field: str) -> None:
    """Django's password validators, reported against the request field that carried the password."""
    try:
        validate_password(password)
    except DjangoValidationError as error:
        raise ValidationError({field: [ErrorDetail(m, code="weak_password") for m in error.messages]}) from None

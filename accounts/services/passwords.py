from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError

from accounts.models import User
from pharmex.errors import InvalidInput


def password_check(password: str, *, field: str, email: str = "", full_name: str = "") -> None:
    """Django's password validators, reported against the request field that carried the password.

    The future user's email and name are passed so a password resembling them is refused too.
    Raises: InvalidInput (400, `weak_password`).
    """
    try:
        validate_password(password, user=User(email=email, full_name=full_name))
    except DjangoValidationError as error:
        raise InvalidInput([{"field": field, "code": "weak_password", "message": m} for m in error.messages]) from None

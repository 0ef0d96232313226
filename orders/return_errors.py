"""Problems a return can run into (SPEC §5, returns); listed in api_docs/guide/errors.md."""

from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class ReturnInvalid(DomainError):
    """The request does not fit the return: `errors` lists each problem with its field."""

    code = "return_invalid"
    problem = "return-invalid"
    title = _("The return request is not valid")
    http_status = 400


class ReturnNotAllowed(DomainError):
    """The rules refuse the return now: more than is left to return, the return window closed, no recall."""

    code = "return_not_allowed"
    problem = "return-not-allowed"
    title = _("The goods cannot be returned")

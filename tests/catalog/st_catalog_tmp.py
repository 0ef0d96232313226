import hypothesis
import pytest
import schemathesis

from tests.test_schemathesis import NOT_APPLICABLE, ROLES, _auth_headers, _keep_test_connection, api_schema  # noqa: F401

schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"^/api/v1/(drugs|drug-imports|offers|offer-imports)")


def _make(role):
    @schema.parametrize()
    @hypothesis.settings(
        max_examples=int(__import__("os").environ.get("STX", "6")),
        deadline=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def test(case):
        case.call_and_validate(headers=_auth_headers(role), excluded_checks=NOT_APPLICABLE)

    test.__name__ = f"test_cat_{role}"
    return test


for _role in ROLES:
    globals()[f"test_cat_{_role}"] = _make(_role)

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from accounts.choices import MemberRole
from tests.factories import DrugFactory, LicenseFactory, OrganizationFactory

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def shared_rows(name: str) -> list[dict]:
    """Rows of a ../shared/data file; skips the test (visibly, with the reason) when it is absent."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (reference data lives outside the repository)")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def drug(db):
    return DrugFactory(generic_name="阿莫西林胶囊", brand_name="阿莫仙")


@pytest.fixture
def seller(db, member_of):
    """A distributor that may trade with chemical, TCM, biologics and cold-chain scope, and its operator."""
    organization = OrganizationFactory(trading=False, legal_name="海南测试医药有限公司")
    LicenseFactory(organization=organization, scope_tags=["chemical", "tcm", "biologics", "cold_chain", "rx", "otc"])
    return organization, member_of(organization, MemberRole.OPERATOR)


@pytest.fixture
def pharmacy_user(buyer, member_of):
    return member_of(buyer, MemberRole.OPERATOR)

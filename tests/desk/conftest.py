from __future__ import annotations

import pytest

from accounts.models import User
from pharmex.choices import StaffRole
from tests.factories import UserFactory


@pytest.fixture
def reviewer(db) -> User:
    """A platform admin with the admin site's every permission (createsuperuser makes one)."""
    return UserFactory(email="reviewer@platform.test", staff_role=StaffRole.ADMIN, is_staff=True, is_superuser=True)

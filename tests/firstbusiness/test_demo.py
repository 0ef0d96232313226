import pytest

from accounts import demo as accounts_demo
from firstbusiness import demo
from firstbusiness.models import Document, DocumentShare

pytestmark = pytest.mark.django_db


def test_demo_package_is_shared_with_the_hospital_and_loads_idempotently():
    accounts_demo.load()

    logins = demo.load()
    demo.load()

    assert [login["email"] for login in logins] == [
        "supplier.quality@pharmex.example",
        "hospital.quality@pharmex.example",
    ]
    assert sorted(Document.objects.values_list("type", flat=True)) == ["license_copy", "quality_agreement"]
    share = DocumentShare.objects.get()
    assert (share.provider.legal_name, share.recipient.legal_name, share.status) == (
        "海南康泰医药有限公司",
        "海口市人民医院",
        "active",
    )

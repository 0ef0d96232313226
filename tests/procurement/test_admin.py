"""The procurement pages of the admin site: every model listed, searched and filtered; 集采 results uploaded from
a form page; each contract's progress against the agreed volumes; plans as checked and placed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from procurement.models import ProcurementContract
from tests.orders.conftest import place
from tests.procurement.test_contract_upload import HEADER, row
from tests.procurement.test_contracts import load

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/procurement/procurementcontract/upload/"


@pytest.fixture
def root(client):
    client.force_login(User.objects.create_superuser("root@platform.test", "x-password-1"))
    return client


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("deliverydesignation", "?region=460100&status__exact=accepted&q=x"),
        ("contractprice", "?q=x"),
        ("procurementcontract", "?q=第十批"),
        ("quote", "?status__exact=answered"),
        ("quoterequest", "?q=x"),
        ("procurementplan", "?status__exact=placed&q=x"),
    ],
)
def test_every_procurement_model_has_a_searchable_filtered_list(root, public, model, query):
    assert root.get(f"/admin/procurement/{model}/").status_code == 200
    assert root.get(f"/admin/procurement/{model}/{query}").status_code == 200


def test_the_contract_list_links_to_the_upload_page(root):
    assert UPLOAD in root.get("/admin/procurement/procurementcontract/").content.decode()


def test_an_admin_uploads_a_result_file_from_the_form_page(client, admin_user, public):
    client.handler.enforce_csrf_checks = True
    client.force_login(admin_user)
    page = client.get(UPLOAD)
    token = page.cookies["csrftoken"].value
    forged = client.post(UPLOAD, {"file": SimpleUploadedFile("r.csv", b"x")})
    assert forged.status_code == 403

    bad = HEADER + row(public, public.hospital) + row(public, public.hospital, price="1.00")
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("r.csv", bad.encode()), "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "rows[3].agreed_price" in response.content.decode()
    assert not ProcurementContract.objects.exists()

    good = HEADER + row(public, public.hospital, volume=70)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("r.csv", good.encode()), "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, "/admin/procurement/procurementcontract/")
    assert ProcurementContract.objects.count() == 1
    assert list(ProcurementContract.objects.get().volumes.values_list("annual_volume", flat=True)) == [70]


def test_only_platform_admins_reach_the_upload_page(client, finance_admin_user):
    client.force_login(finance_admin_user)
    assert client.get(UPLOAD).status_code == 302


def test_a_contract_page_shows_each_institutions_progress(root, public):
    contract = load(public, public.hospital, volume=100)
    assert place(public.client(public.hospital), (public.mah_offer.pk, 7)).status_code == 201
    page = root.get(f"/admin/procurement/procurementcontract/{contract['id']}/change/").content.decode()
    assert f"<td>{public.hospital.legal_name}</td><td>100</td><td>7</td><td>0</td>" in page


def test_a_plan_page_shows_its_lines_and_history(root, public):
    from tests.procurement.test_plan_placement import place as place_plan
    from tests.procurement.test_plan_placement import upload

    client = public.client(public.hospital)
    plan = upload(client, f"drug_id,quantity\n{public.drug.pk},2\n").json()
    assert place_plan(client, plan["id"]).status_code == 201
    page = root.get(f"/admin/procurement/procurementplan/{plan['id']}/change/")
    assert page.status_code == 200
    assert "plan.csv" in page.content.decode()


def test_the_designations_of_a_city_are_listed_by_region(root, public):
    from tests.procurement.test_delivery_enterprises import designate

    haikou = designate(public, regions=["460100"])
    hainan = designate(public, regions=["460000"])
    page = root.get("/admin/procurement/deliverydesignation/?region=460100").content.decode()
    assert f"/admin/procurement/deliverydesignation/{haikou['id']}/change/" in page
    assert f"/admin/procurement/deliverydesignation/{hainan['id']}/change/" not in page

"""Every write of the catalogue (STYLE G5): keyword-only, atomic, audited."""

from catalog.services.drugs import drug_approve, drug_propose, drug_update, drug_withdraw
from catalog.services.imports import import_job_create, import_job_run
from catalog.services.offers import (
    default_vat_rate,
    listing_refusal,
    offer_create,
    offer_delete,
    offer_reinstate,
    offer_suspend,
    offer_update,
    stock_release,
    stock_reserve,
)

__all__ = [
    "default_vat_rate",
    "drug_approve",
    "drug_propose",
    "drug_update",
    "drug_withdraw",
    "import_job_create",
    "import_job_run",
    "listing_refusal",
    "offer_create",
    "offer_delete",
    "offer_reinstate",
    "offer_suspend",
    "offer_update",
    "stock_release",
    "stock_reserve",
]

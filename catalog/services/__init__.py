"""Every write of the catalogue (STYLE G5): keyword-only, atomic, audited."""

from catalog.services.ceilings import ceiling_set
from catalog.services.drugs import drug_approve, drug_propose, drug_update, drug_withdraw
from catalog.services.imports import import_job_create, import_job_run
from catalog.services.market import drug_registration_expiry_run, market_exit_reason
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
from catalog.services.vat import vat_election_end, vat_election_start

__all__ = [
    "ceiling_set",
    "default_vat_rate",
    "drug_approve",
    "drug_propose",
    "drug_registration_expiry_run",
    "drug_update",
    "drug_withdraw",
    "import_job_create",
    "import_job_run",
    "listing_refusal",
    "market_exit_reason",
    "offer_create",
    "offer_delete",
    "offer_reinstate",
    "offer_suspend",
    "offer_update",
    "stock_release",
    "stock_reserve",
    "vat_election_end",
    "vat_election_start",
]

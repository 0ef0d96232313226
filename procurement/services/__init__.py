from procurement.services.contract_upload import contract_results_upload
from procurement.services.contracts import contract_create, contract_price_create, contract_price_end
from procurement.services.designations import (
    designation_accept,
    designation_create,
    designation_decline,
    designation_revoke,
)
from procurement.services.invoice_chain import chain_description, shipment_chain, upstream_invoice_record
from procurement.services.plan_placement import plan_create, plan_orders, plan_place
from procurement.services.plans import plan_check
from procurement.services.quotes import quote_accept, quote_answer, quote_decline, quote_request_create
from procurement.services.sole_sellers import (
    sole_seller_register,
    sole_seller_reject,
    sole_seller_revoke,
    sole_seller_verify,
)

__all__ = [
    "chain_description",
    "contract_create",
    "contract_price_create",
    "contract_price_end",
    "contract_results_upload",
    "designation_accept",
    "designation_create",
    "designation_decline",
    "designation_revoke",
    "plan_check",
    "plan_create",
    "plan_orders",
    "plan_place",
    "quote_accept",
    "quote_answer",
    "quote_decline",
    "quote_request_create",
    "shipment_chain",
    "sole_seller_register",
    "sole_seller_reject",
    "sole_seller_revoke",
    "sole_seller_verify",
    "upstream_invoice_record",
]

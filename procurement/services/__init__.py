from procurement.services.contract_upload import contract_results_upload
from procurement.services.contracts import contract_create, contract_price_create, contract_price_end
from procurement.services.designations import (
    designation_accept,
    designation_create,
    designation_decline,
    designation_revoke,
)
from procurement.services.plan_placement import plan_create, plan_orders, plan_place
from procurement.services.plans import plan_check
from procurement.services.quotes import quote_accept, quote_answer, quote_decline, quote_request_create

__all__ = [
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
]

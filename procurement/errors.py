from django.utils.translation import gettext_lazy as _

from orders.receipt_rules import ReceiptRefused


class TwoInvoiceChainBroken(ReceiptRefused):
    """Receipt by a public institution of a distributor's shipment whose two-invoice chain (两票制, SPEC §5a) is
    incomplete or too long; `errors` names each problem: the lot without a first invoice, the invalid issuer, the
    third seller, the missing second invoice."""

    code = "two_invoice_chain_broken"
    problem = "two-invoice-chain-broken"
    title = _("The two-invoice chain (两票制) of this shipment is broken")

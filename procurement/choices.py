from django.db import models
from django.utils.translation import gettext_lazy as _


class DesignationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")  # the manufacturer/MAH designated; the distributor has not answered
    ACCEPTED = "accepted", _("Accepted")  # in force from valid_from to valid_until
    DECLINED = "declined", _("Declined")  # terminal: the distributor refused
    REVOKED = "revoked", _("Revoked")  # the manufacturer ended it: in force up to its (new) valid_until


class QuoteStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # the buyer asked; the supplier has not answered
    ANSWERED = "answered", _("Answered")  # price and validity given; the buyer may accept until valid_until
    DECLINED = "declined", _("Declined")  # terminal: the supplier will not quote
    ACCEPTED = "accepted", _("Accepted")  # terminal: turned into one order at the quoted price


class SoleSellerKind(models.TextChoices):
    SOLE_SALES_COMPANY = "sole_sales_company", _("Sole sales company (唯一销售公司)")
    SOLE_NATIONAL_AGENT = "sole_national_agent", _("Sole national agent of an imported drug (全国总代理)")


class SoleSellerStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")  # registered by the manufacturer/MAH; counts for nothing yet
    VERIFIED = "verified", _("Verified")  # checked by a platform admin: a valid first-invoice issuer
    REJECTED = "rejected", _("Rejected")  # terminal: the admin refused it
    REVOKED = "revoked", _("Revoked")  # terminal: the manufacturer or an admin ended it


class PlanStatus(models.TextChoices):
    CHECKED = "checked", _("Checked")  # stored with every line priced and checked by the gate; nothing ordered
    PLACED = "placed", _("Placed")  # terminal: its eligible lines became one checkout (an order per supplier)

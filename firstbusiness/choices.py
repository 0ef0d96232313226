from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    # about the organisation
    LICENSE_COPY = "license_copy", _("Licence copy (资质证照)")  # a scan of one of its licences
    QUALITY_AGREEMENT = "quality_agreement", _("Quality assurance agreement (质量保证协议)")
    INVOICING_INFORMATION = "invoicing_information", _("Invoicing information (开票资料)")
    # about one of its sales representatives
    REPRESENTATIVE_AUTHORIZATION = "representative_authorization", _("Power of attorney (法人授权委托书)")
    REPRESENTATIVE_IDENTITY = "representative_identity", _("Representative's identity card (身份证复印件)")
    # about a drug it supplies
    DRUG_REGISTRATION = "drug_registration", _("Drug registration certificate (药品注册证书/批件)")
    QUALITY_STANDARD = "quality_standard", _("Quality standard (质量标准)")
    INSPECTION_REPORT = "inspection_report", _("Inspection report of a lot (检验报告书)")


LICENSE_TYPES = frozenset({DocumentType.LICENSE_COPY})
REPRESENTATIVE_TYPES = frozenset({DocumentType.REPRESENTATIVE_AUTHORIZATION, DocumentType.REPRESENTATIVE_IDENTITY})
DRUG_TYPES = frozenset({DocumentType.DRUG_REGISTRATION, DocumentType.QUALITY_STANDARD, DocumentType.INSPECTION_REPORT})
# Documents whose validity the uploader must state (the licence copy takes its licence's).
VALIDITY_REQUIRED = frozenset(
    {DocumentType.QUALITY_AGREEMENT, DocumentType.REPRESENTATIVE_AUTHORIZATION, DocumentType.DRUG_REGISTRATION}
)
# What a buyer's approval rests on, and so expires with: a supplier's licences and quality agreement (首营企业),
# a drug's registration and quality standard (首营品种).
SUPPLIER_BASIS = frozenset({DocumentType.LICENSE_COPY, DocumentType.QUALITY_AGREEMENT})
DRUG_BASIS = frozenset({DocumentType.DRUG_REGISTRATION, DocumentType.QUALITY_STANDARD})


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting platform verification")  # submitted: immutable from now on
    VERIFIED = "verified", _("Verified by the platform")
    REJECTED = "rejected", _("Rejected by the platform")  # does not match what it claims; upload a new version
    SUPERSEDED = "superseded", _("Superseded by a newer version")  # kept for the retention period


CURRENT_STATUSES = frozenset({DocumentStatus.PENDING, DocumentStatus.VERIFIED})


class AccessKind(models.TextChoices):
    LINK_ISSUED = "link_issued", _("Download link issued")
    DOWNLOADED = "downloaded", _("Downloaded")


class RepresentativeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")  # no longer represents the supplier; its account may only read


class ShareStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested by the recipient")
    ACTIVE = "active", _("Shared")  # the recipient reads the provider's documents
    DECLINED = "declined", _("Declined by the provider")
    REVOKED = "revoked", _("Revoked by the provider")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    APPROVED = "approved", _("Approved")  # until valid_until, the earliest expiry of the documents it rests on
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")  # a document it rested on expired; review the renewed documents again

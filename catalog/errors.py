from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class NotASupplier(DomainError):
    code = "not_a_supplier"
    problem = "not-a-supplier"
    title = _("Only manufacturers and distributors list offers or propose drugs")
    http_status = 403


class SupplierMayNotTrade(DomainError):
    code = "supplier_may_not_trade"
    problem = "supplier-may-not-trade"
    title = _("The supplier may not trade: it must be verified and hold a valid trading licence")


class DrugNotActive(DomainError):
    code = "drug_not_active"
    problem = "drug-not-active"
    title = _("The drug is not active in the catalogue")


class RegistrationExpired(DomainError):
    code = "registration_expired"
    problem = "registration-expired"
    title = _("The drug's registration (批准文号) has expired: it may not be offered or sold")


class NetworkSaleBanned(DomainError):
    """Drugs that 药品网络销售监督管理办法 bars from sale over the network; `errors[].code` names the class."""

    code = "network_sale_banned"
    problem = "network-sale-banned"
    title = _("This drug may not be sold over the network (vaccines, blood products and special-management drugs)")


class LicenseScopeMissing(DomainError):
    code = "license_scope_missing"
    problem = "license-scope-missing"
    title = _("Your licence scope does not cover this drug")


class OfferExists(DomainError):
    code = "offer_exists"
    problem = "offer-exists"
    title = _("You already have an offer for this drug; update it instead")


class OfferHasOrders(DomainError):
    code = "offer_has_orders"
    problem = "offer-has-orders"
    title = _("This offer was ordered and stays for the record; pause it instead")


class VatRateNotAllowed(DomainError):
    code = "vat_rate_not_allowed"
    problem = "vat-rate-not-allowed"
    title = _("This VAT rate does not apply to this supplier and drug")
    http_status = 400


class VatElectionNotAllowed(DomainError):
    """The drug is not eligible for simplified VAT, or the supplier already runs an election for it."""

    code = "vat_election_not_allowed"
    problem = "vat-election-not-allowed"
    title = _("Simplified VAT (3%) cannot be elected for this drug")


class VatElectionLocked(DomainError):
    code = "vat_election_locked"
    problem = "vat-election-locked"
    title = _("A simplified-VAT election is locked for 36 months from its start")


class CeilingPeriodConflict(DomainError):
    code = "ceiling_period_conflict"
    problem = "ceiling-period-conflict"
    title = _("A new ceiling period must start after the drug's latest one")


class DrugExists(DomainError):
    code = "drug_exists"
    problem = "drug-exists"
    title = _("A drug with this approval number, specification and package already exists")


class OfferSuspended(DomainError):
    code = "offer_suspended"
    problem = "offer-suspended"
    title = _("Platform staff suspended this offer; only they can lift the suspension")


class ImportTooLarge(DomainError):
    code = "import_too_large"
    problem = "import-too-large"
    title = _("The import file is too large")
    http_status = 413


class ImportFileInvalid(DomainError):
    code = "import_file_invalid"
    problem = "import-file-invalid"
    title = _("The import file could not be read")
    http_status = 400


class UploadBomb(DomainError):
    """An XLSX whose ZIP directory says it unpacks to more than is accepted (in total, for one part, at a
    compression ratio past 100:1, or with too many shared strings): refused before any parser reads it."""

    code = "upload_bomb"
    problem = "upload-bomb"
    title = _("The file unpacks to more than is accepted")
    http_status = 413

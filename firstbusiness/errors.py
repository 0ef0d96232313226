from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class DocumentContentNotAccepted(DomainError):
    code = "document_content_not_accepted"
    problem = "document-content-not-accepted"
    title = _("Documents are PDF, PNG or JPEG files, as their content shows")
    http_status = 415


class DocumentScanRefused(DomainError):
    code = "document_scan_refused"
    problem = "document-scan-refused"
    title = _("The file was refused by the document scan")
    http_status = 400


class RepresentativeRevoked(DomainError):
    code = "representative_revoked"
    problem = "representative-revoked"
    title = _("This sales representative was revoked; register the person again")


class PackageNotShared(DomainError):
    code = "first_business_package_not_shared"
    problem = "first-business-package-not-shared"
    title = _("The supplier has not shared its first-business documents with your organisation")


class ReviewDocumentsMissing(DomainError):
    code = "first_business_documents_missing"
    problem = "first-business-documents-missing"
    title = _("The supplier has no current document this approval could rest on")


class ReviewDocumentExpired(DomainError):
    code = "first_business_document_expired"
    problem = "first-business-document-expired"
    title = _("A document this approval would rest on has expired")


class DownloadLinkExpired(DomainError):
    code = "download_link_expired"
    problem = "download-link-expired"
    title = _("This download link has expired; ask for a new one")
    http_status = 410

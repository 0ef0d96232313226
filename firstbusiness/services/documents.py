"""Documents: accepted by content and scanned, stored by content hash, submitted immutable, versioned, verified
by the platform, and read through signed links with every access recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import License
from catalog.selectors import drug_list
from firstbusiness import content, selectors
from firstbusiness.choices import (
    CURRENT_STATUSES,
    DRUG_TYPES,
    LICENSE_TYPES,
    REPRESENTATIVE_TYPES,
    VALIDITY_REQUIRED,
    AccessKind,
    DocumentType,
    RepresentativeStatus,
)
from firstbusiness.errors import RepresentativeRevoked
from firstbusiness.links import Link, link_document_id, link_issue
from firstbusiness.models import Document, DocumentAccess, SalesRepresentative
from firstbusiness.services.representatives import representative_mandate_sync
from firstbusiness.storage import document_file_name, document_file_store
from firstbusiness.transitions import DOCUMENT
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.context import current_request_id
from pharmex.errors import InvalidInput, NotAParty, NotFound
from pharmex.files import file_sha256, file_size
from pharmex.transitions import transition, transition_apply, transition_lock


@dataclass(frozen=True)
class StoredFile:
    """An accepted file, already in the document store (by content hash)."""

    name: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def document_file_accept(*, actor: Actor, file: BinaryIO, original_name: str = "") -> StoredFile:
    """Check the file by its content, scan it and store it — outside any transaction (a remote store is network
    I/O); nothing in the database refers to it until document_submit commits.

    Raises: OrganizationRequired, DocumentContentNotAccepted, DocumentScanRefused.
    """
    organization = actor.require_organization()
    kind = content.detect(file)
    content.scan(file, kind)
    sha256 = file_sha256(file)
    name = document_file_store(
        name=document_file_name(organization_id=organization.pk, sha256=sha256, extension=kind.extension), file=file
    )
    return StoredFile(
        name=name, content_type=kind.media_type, size=file_size(file), sha256=sha256, original_name=original_name[:200]
    )


def _error(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def _subject(*, actor: Actor, data: dict) -> dict:
    """The subject fields of a new document, checked against its type and the actor's organisation.

    Raises: InvalidInput naming every field that does not fit; RepresentativeRevoked.
    """
    organization_id = actor.organization_id
    kind = data["type"]
    errors = []
    wanted = {
        "license_id": kind in LICENSE_TYPES,
        "representative_id": kind in REPRESENTATIVE_TYPES,
        "drug_id": kind in DRUG_TYPES,
        "lot": kind == DocumentType.INSPECTION_REPORT,
        "scope_drug_ids": kind == DocumentType.REPRESENTATIVE_AUTHORIZATION,
        "scope_provinces": kind == DocumentType.REPRESENTATIVE_AUTHORIZATION,
        "valid_from": kind not in LICENSE_TYPES,
        "valid_until": kind not in LICENSE_TYPES,
    }
    optional = {"scope_drug_ids", "scope_provinces", "valid_from", "valid_until"}
    for field, allowed in wanted.items():
        given = data.get(field) not in (None, "", [])
        if given and not allowed:
            errors.append(
                _error(field, "not_allowed", _("A %(type)s document does not take this field.") % {"type": kind})
            )
        elif allowed and not given and field not in optional:
            errors.append(_error(field, "required", _("This field is required.")))
    if kind in VALIDITY_REQUIRED and not data.get("valid_until"):
        errors.append(_error("valid_until", "required", _("This document states how long it is valid.")))
    if errors:
        raise InvalidInput(errors)
    subject: dict = {"lot": data.get("lot", "")}
    if kind in LICENSE_TYPES:
        license = License.objects.filter(pk=data["license_id"], organization_id=organization_id).first()
        if license is None:
            raise InvalidInput([_error("license_id", "not_found", _("Your organisation has no such licence."))])
        subject.update(license=license, valid_from=license.valid_from, valid_until=license.valid_until)
    else:
        subject.update(valid_from=data.get("valid_from"), valid_until=data.get("valid_until"))
    if kind in REPRESENTATIVE_TYPES:
        representative = SalesRepresentative.objects.filter(
            pk=data["representative_id"], organization_id=organization_id
        ).first()
        if representative is None:
            raise InvalidInput(
                [_error("representative_id", "not_found", _("Your organisation has no such sales representative."))]
            )
        if representative.status != RepresentativeStatus.ACTIVE:
            raise RepresentativeRevoked()
        subject["representative"] = representative
    visible_drugs = drug_list(actor=actor)
    if kind in DRUG_TYPES:
        drug = visible_drugs.filter(pk=data["drug_id"]).first()
        if drug is None:
            raise InvalidInput([_error("drug_id", "not_found", _("There is no such drug."))])
        subject["drug"] = drug
    scope_ids = sorted(set(data.get("scope_drug_ids") or []))
    if scope_ids:
        found = set(visible_drugs.filter(pk__in=scope_ids).values_list("pk", flat=True))
        if missing := [pk for pk in scope_ids if pk not in found]:
            raise InvalidInput(
                [_error("scope_drug_ids", "not_found", _("There is no drug %(ids)s.") % {"ids": missing})]
            )
    subject["scope_drug_ids"] = scope_ids
    subject["scope_provinces"] = sorted(set(data.get("scope_provinces") or []))
    if subject["valid_from"] and subject["valid_until"] and subject["valid_until"] < subject["valid_from"]:
        raise InvalidInput([_error("valid_until", "invalid", _("A document cannot end before it starts."))])
    return subject


def _same_subject(old: Document, new: Document) -> bool:
    return (old.type, old.license_id, old.representative_id, old.drug_id, old.lot) == (
        new.type,
        new.license_id,
        new.representative_id,
        new.drug_id,
        new.lot,
    )


@transaction.atomic
def document_submit(*, actor: Actor, data: dict, stored: StoredFile) -> Document:
    """Submit a document (immutable from now on); with `replaces`, as the next version of that document, which
    is superseded in the same transaction and kept.

    Raises: InvalidInput (subject, validity, a `replaces` of another subject), RepresentativeRevoked,
    InvalidTransition (the replaced version is already superseded).
    """
    organization = actor.require_organization()
    subject = _subject(actor=actor, data=data)
    scope_drug_ids = subject.pop("scope_drug_ids")
    document = Document(
        organization=organization,
        type=data["type"],
        title=data["title"],
        file=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        original_name=stored.original_name,
        uploaded_by=actor.user,
        uploaded_by_label=actor.audit.label[:255],
        **subject,
    )
    replaced = None
    if (replaces := data.get("replaces")) is not None:
        if not Document.objects.filter(pk=replaces, organization=organization).exists():
            raise InvalidInput([_error("replaces", "not_found", _("Your organisation has no such document."))])
        replaced = transition_lock(DOCUMENT, replaces, "supersede")
        if not _same_subject(replaced, document):
            raise InvalidInput(
                [
                    _error(
                        "replaces",
                        "other_subject",
                        _("A new version keeps the type and subject of the one it replaces."),
                    )
                ]
            )
        # The old version leaves first: one current version per series (a database constraint).
        transition_apply(DOCUMENT, replaced, action="supersede", actor=actor, data={"version": replaced.version + 1})
        document.series, document.version = replaced.series, replaced.version + 1
    document.save()
    if scope_drug_ids:
        document.scope_drugs.set(scope_drug_ids)
    audit_record(
        actor=actor.audit,
        action="document.submitted",
        object_type="document",
        object_id=document.pk,
        organization_id=organization.pk,
        changes={
            "type": document.type,
            "title": document.title,
            "version": document.version,
            "replaces": replaced.pk if replaced else None,
            "sha256": document.sha256,
            "valid_until": document.valid_until,
        },
    )
    if document.representative_id is not None:
        representative_mandate_sync(representative=document.representative, actor=actor)
    return document


@transaction.atomic
def document_verify(*, actor: Actor, document: Document, note: str = "") -> Document:
    """The platform checked the document against what it claims. Raises: NotAParty (admins), InvalidTransition."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(DOCUMENT, document.pk, action="verify", actor=actor, note=note, changes={"review_note": note})


@transaction.atomic
def document_reject(*, actor: Actor, document: Document, note: str) -> Document:
    """The document is not what it claims (the owner uploads a new version). A rejected power of attorney no longer
    lets its representative act. Raises: NotAParty (admins), InvalidTransition."""
    actor.require_staff(StaffRole.ADMIN)
    document = transition(DOCUMENT, document.pk, action="reject", actor=actor, note=note, changes={"review_note": note})
    if document.representative_id is not None:
        representative_mandate_sync(representative=document.representative, actor=actor)
    return document


def _record_access(*, actor: Actor, document: Document, kind: str) -> None:
    DocumentAccess.objects.create(
        document=document,
        kind=kind,
        organization_id=actor.organization_id,
        actor=actor.audit.label[:255],
        request_id=current_request_id(),
    )


@transaction.atomic
def document_link(*, actor: Actor, document: Document) -> Link:
    """A short-lived signed link to a document the actor reads (selectors.document_get); recorded.

    Raises: NotAParty for a caller who is neither an organisation's nor platform staff.
    """
    if actor.organization is None and not actor.is_staff:
        raise NotAParty()
    _record_access(actor=actor, document=document, kind=AccessKind.LINK_ISSUED)
    return link_issue(actor=actor, document_id=document.pk)


@transaction.atomic
def document_open(*, actor: Actor, token: str) -> Document:
    """The document a signed link names, when the caller it was issued to may still read it; the download is
    recorded before a byte is sent.

    Raises: NotFound (forged, another caller's, or no longer shared), DownloadLinkExpired.
    """
    document_id = link_document_id(actor=actor, token=token)
    document = selectors.document_list(actor=actor).filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    _record_access(actor=actor, document=document, kind=AccessKind.DOWNLOADED)
    return document


def current(document: Document) -> bool:
    return document.status in CURRENT_STATUSES

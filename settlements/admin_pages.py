"""What the settlements admin pages share: who holds the finance role, and the one form page — a form whose valid
POST calls a service, the message it returns shown on the list the admin goes back to; a refusal (DomainError) is
shown on the form, with nothing written."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from pharmex.choices import StaffRole
from pharmex.errors import DomainError


def is_finance(request: HttpRequest) -> bool:
    return StaffRole.FINANCE_ADMIN in request.user.staff_roles


def form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    form: forms.Form,
    *,
    act: Callable[[dict], str],
    done: str,
    title: str,
    submit_label: str,
    intro: str = "",
) -> HttpResponse:
    """`form` on admin/settlements/form.html; on a valid POST `act(cleaned_data)` calls the service and returns the
    message to show, and the admin goes to `done` (a URL name)."""
    if request.method == "POST" and form.is_valid():
        try:
            message = act(form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error.detail))
        else:
            model_admin.message_user(request, message)
            return redirect(done)
    context = {
        **model_admin.admin_site.each_context(request),
        "form": form,
        "submit_label": submit_label,
        "title": title,
        "intro": intro,
    }
    return TemplateResponse(request, "admin/settlements/form.html", context)

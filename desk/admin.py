"""The admin index is the operator's desk: the review queues with their counts and the dashboard, above the list of
apps (templates/admin/desk/index.html)."""

from django.contrib import admin

admin.site.index_template = "admin/desk/index.html"

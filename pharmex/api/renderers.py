"""Renderers for the API's file downloads (CSV, XLSX, PDF), so a client that asks for the file's type with
`Accept` is served rather than refused with 406.

The view hands back the finished file (a StreamingHttpResponse or an HttpResponse), which DRF passes through
without rendering; these renderers only take part in content negotiation. An error on such a route is data,
not a file: it is rendered as JSON whatever was negotiated, and the problem's media type is set by the
exception handler.
"""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer, JSONRenderer


class _FileRenderer(BaseRenderer):
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data, "application/json", renderer_context)


class CSVRenderer(_FileRenderer):
    media_type, format = "text/csv", "csv"


class XLSXRenderer(_FileRenderer):
    media_type, format = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"


class PDFRenderer(_FileRenderer):
    media_type, format = "application/pdf", "pdf"


SPREADSHEET_RENDERERS = [JSONRenderer, CSVRenderer, XLSXRenderer]
PDF_RENDERERS = [JSONRenderer, PDFRenderer]

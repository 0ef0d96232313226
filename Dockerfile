# PharmEx production image: one image for web (gunicorn), the Celery worker, beat and the migrate job
# (docker-compose.yml picks the command). Python 3.11 on Debian bookworm, the same line as CI.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=pharmex.settings.production

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. The lock pins every package with its
# hashes; --no-deps means nothing outside the lock can sneak in. psycopg[binary] bundles libpq, so the
# slim image needs no compiler or system libraries.
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes --no-deps -r requirements/base.txt

COPY . .

# Run as an unprivileged user. staticfiles/ is created (and owned) here so the named volume that
# docker-compose mounts on it starts writable for `collectstatic` in the migrate job.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app pharmex \
    && mkdir -p /app/staticfiles /app/.run/documents \
    && chown pharmex /app/staticfiles /app/.run /app/.run/documents
USER pharmex

EXPOSE 8000
CMD ["gunicorn", "pharmex.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]

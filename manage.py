#!/usr/bin/env python
"""Django's command-line utility; reaches the embedded database when DATABASE_URL is not set."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
    if not os.environ.get("DATABASE_URL"):
        from pharmex import embedded_pg

        embedded_pg.ensure_running()  # left running: `make stop` or `python -m pharmex.embedded_pg stop`
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

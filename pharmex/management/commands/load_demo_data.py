import json
from importlib import import_module, util

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


def load_demo_data() -> list[dict]:
    """Each app's demo data (`<app>/demo.py` `load()`), in INSTALLED_APPS order; returns the demo logins.

    On an empty database the rows get the same ids every time: the API guide's examples use them."""
    logins: list[dict] = []
    for config in apps.get_app_configs():  # INSTALLED_APPS order is dependency order
        module_name = f"{config.name}.demo"
        if util.find_spec(module_name) is None:
            continue
        logins.extend(import_module(module_name).load() or [])
    return logins


class Command(BaseCommand):
    help = "Load the demo data of every app that has a demo module (idempotent: a rerun adds nothing twice)."

    @transaction.atomic
    def handle(self, *args, **options):
        logins = load_demo_data()
        run_dir = settings.BASE_DIR / ".run"
        run_dir.mkdir(exist_ok=True)
        (run_dir / "demo-logins.json").write_text(json.dumps(logins, ensure_ascii=False, indent=2))
        self.stdout.write(f"demo data loaded ({len(logins)} demo logins in .run/demo-logins.json)")

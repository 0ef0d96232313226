from django.apps import AppConfig


class PharmexConfig(AppConfig):
    name = "pharmex"
    verbose_name = "PharmEx platform"

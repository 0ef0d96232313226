from django.apps import AppConfig


class FirstBusinessConfig(AppConfig):
    name = "firstbusiness"
    verbose_name = "First-business review (电子首营)"

    def ready(self) -> None:
        from firstbusiness import handlers  # noqa: F401  (marks on the catalogue's market view)

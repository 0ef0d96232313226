"""Lookups an index serves: `ILIKE '%…%'` by a gin_trgm_ops index (Django's icontains wraps both sides in UPPER(),
which no index serves), `LIKE 'q%'` by a varchar_pattern_ops B-tree. Registered on CharField when the app loads."""

from django.db.models import CharField, Lookup


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@CharField.register_lookup
class TrigramIContains(Lookup):
    lookup_name = "trgm_icontains"
    # pg_trgm takes no trigram from a shorter text, and the index then returns every row for a recheck.
    fewest_characters = 3

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *[f"%{like_escape(p)}%" for p in rhs_params]]


@CharField.register_lookup
class PrefixLike(Lookup):
    """`LIKE 'q%'`, served by a varchar_pattern_ops B-tree whatever the database collation."""

    lookup_name = "prefix_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *[f"{like_escape(p)}%" for p in rhs_params]]

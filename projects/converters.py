"""Path converters shared by every URL of the app."""


class RowIdConverter:
    """A primary key as it can exist: 1 to 18 digits, so below 2**63.

    A longer number never matches, so the URL is a 404 before any view runs; SQLite can't
    even compare a bigger integer, and PostgreSQL's bigint would overflow.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)

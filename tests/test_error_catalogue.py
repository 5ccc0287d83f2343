from vaults import errors
from vaults.models import AuditEvent


def catalogue():
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, errors.CatalogueEntry)
    ]


def test_every_code_fits_the_audit_trail():
    # PostgreSQL refuses a longer value, which would turn a refusal into a 500.
    limit = AuditEvent._meta.get_field("error_code").max_length
    assert len(catalogue()) >= 8
    assert [e.code for e in catalogue() if len(e.code) > limit] == []


def test_codes_are_unique_and_every_entry_says_what_to_do():
    codes = [entry.code for entry in catalogue()]
    assert len(codes) == len(set(codes))
    assert all(entry.message and entry.cause and entry.action for entry in catalogue())

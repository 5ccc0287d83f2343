"""Request and response bodies of the agent API; unknown fields are refused."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from vaults.models import ServerKind

SERVER_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
VERSION = r"^\d+(\.\d+){0,3}$"
DIGEST = r"^[0-9a-f]{64}$"
BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"
# For query and path parameters, which StrictSchema's validator does not see.
NO_NUL = r"^[^\x00]*$"


class StrictSchema(Schema):
    # Strict: "7" is not 7, and a misspelt field is an error rather than a
    # silent default, so an agent never believes a setting took effect.
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def refuse_nul_characters(cls, value):
        """Refuse text holding a NUL character."""
        # PostgreSQL text cannot hold NUL; refused here, it is a 422 naming
        # the field instead of a database error and a 500.
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain a NUL character")
        return value


class RegisterIn(StrictSchema):
    token: str = Field(min_length=1, max_length=200)
    name: str = Field(pattern=SERVER_NAME)
    kind: Literal[tuple(ServerKind.values)] = ServerKind.AGENT
    agent_version: str = Field(pattern=VERSION, max_length=40)
    product_version: str = Field("", max_length=60)


class RegisterOut(Schema):
    server_id: int
    name: str
    vault_id: int
    vault_name: str
    credential: str
    security_settings_enabled: bool


class KeyEnvelope(StrictSchema):
    format: Literal["strongroom-key-envelope/1"]
    kdf: Literal["scrypt"]
    n: int = Field(ge=2**10, le=2**20)
    r: int = Field(ge=1, le=32)
    p: int = Field(ge=1, le=16)
    salt: str = Field(max_length=64, pattern=BASE64)
    nonce: str = Field(max_length=64, pattern=BASE64)
    wrapped_key: str = Field(max_length=128, pattern=BASE64)


class ChunkIdsIn(StrictSchema):
    ids: list[str] = Field(max_length=1000)


class ChunkIdsOut(Schema):
    missing: list[str]


class ProtectIn(StrictSchema):
    source: str = Field(min_length=1, max_length=1024)
    policy: str = Field(min_length=1, max_length=50)


class StopProtectionIn(StrictSchema):
    source: str = Field(min_length=1, max_length=1024)
    delete_data: bool = False
    pin: str | None = Field(None, max_length=20)


class PointSummary(Schema):
    id: int
    taken_at: datetime
    size: int
    file_count: int
    expires_at: datetime | None


class ItemOut(Schema):
    source: str
    kind: str
    state: str
    policy: str | None
    latest_point: PointSummary | None = None
    purge_after: datetime | None = None


class StatsIn(StrictSchema):
    files: int = Field(0, ge=0)
    dirs: int = Field(0, ge=0)
    symlinks: int = Field(0, ge=0)
    bytes: int = Field(0, ge=0)
    chunks: int = Field(0, ge=0)
    new_chunks: int = Field(0, ge=0)
    new_bytes: int = Field(0, ge=0)
    skipped: int = Field(0, ge=0)


class PointIn(StrictSchema):
    source: str = Field(min_length=1, max_length=1024)
    manifest: str = Field(min_length=1, pattern=BASE64)
    chunks: list[str] = Field(max_length=500_000)
    stats: StatsIn


class PointOut(PointSummary):
    source: str
    server: str


class StatusOut(Schema):
    name: str
    kind: str
    agent_version: str
    product_version: str
    meets_minimum: bool
    minimum: str
    vault_id: int
    vault_name: str
    security_settings_enabled: bool
    has_key_envelope: bool
    items: list[ItemOut]


class ChangePassphraseIn(StrictSchema):
    pin: str = Field("", max_length=20)
    key_envelope: KeyEnvelope


class RetentionIn(StrictSchema):
    daily_days: int = Field(ge=1, le=9999)
    weekly_weeks: int = Field(ge=0, le=5163)
    monthly_months: int = Field(ge=0, le=1188)
    yearly_years: int = Field(ge=0, le=99)


class PolicyOut(Schema):
    name: str
    schedule_time: str
    daily_days: int
    weekly_weeks: int
    monthly_months: int
    yearly_years: int
    security_settings_enabled: bool


class Done(Schema):
    ok: bool = True

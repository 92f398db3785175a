"""Settings: defaults that run with no configuration, then a TOML file, then WARROOM_* env.

Precedence (highest first): explicit CLI flags (applied by the CLI as overrides),
environment variables `WARROOM_<NAME>`, the TOML file named by `WARROOM_CONFIG`
(or `--config`), and the defaults below.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "warroom"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARROOM_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=0, le=65535)
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    public_url: str | None = Field(
        default=None, description="Base URL people reach the server at (for printed links)."
    )
    insecure: bool = Field(
        default=False, description="Allow binding a non-loopback address without any token."
    )
    sqlite_synchronous: str = Field(
        default="FULL",
        pattern="^(FULL|NORMAL|EXTRA)$",
        description="SQLite synchronous pragma; FULL survives power loss.",
    )

    # Input limits (rule 4: oversize input gets a clear 4xx).
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_body_chars: int = Field(default=65_536, ge=1)
    max_tags: int = Field(default=20, ge=0)
    max_tag_length: int = Field(default=64, ge=1)
    max_links: int = Field(default=20, ge=0)
    max_actions: int = Field(default=10, ge=0)

    # Per-token rate limit: a token bucket refilled at rate_limit_per_second, holding burst.
    rate_limit_per_second: float = Field(default=200.0, gt=0)
    rate_limit_burst: int = Field(default=400, ge=1)

    # Live streams.
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)
    stream_buffer_events: int = Field(default=10_000, ge=100)
    stream_poll_seconds: float = Field(
        default=1.0, gt=0, description="Safety-net poll of the event log (other writers)."
    )

    # MCP over HTTP: allowed Origin / Host values beyond loopback (DNS-rebinding protection).
    mcp_allowed_origins: list[str] = Field(default_factory=list)
    mcp_allowed_hosts: list[str] = Field(default_factory=list)

    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    staleness_interval_seconds: float = Field(default=30.0, gt=0)

    # Paging and delivery.
    outbound_allowlist: list[str] = Field(
        default_factory=list,
        description="Hosts or CIDRs that deliveries may reach although private/loopback.",
    )
    delivery_max_attempts: int = Field(default=10, ge=1)
    delivery_backoff_seconds: float = Field(default=1.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(default=300.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    delivery_lease_seconds: float = Field(
        default=60.0, gt=0, description="A claimed delivery not recorded by then is sent again (same id)."
    )
    circuit_failures: int = Field(default=5, ge=1)
    circuit_cooldown_seconds: float = Field(default=30.0, gt=0)
    clock_poll_seconds: float = Field(default=0.25, gt=0)
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    opsgenie_api_url: str = "https://api.opsgenie.com"

    github_webhook_secret: SecretStr | None = Field(
        default=None, description="If set, GitHub change webhooks must carry a matching X-Hub-Signature-256."
    )

    log_level: str = "info"
    log_json: bool = False

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand(cls, v: Any) -> Any:
        return Path(v).expanduser() if isinstance(v, str | Path) else v

    @property
    def effective_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+pysqlite:///{self.data_dir / 'warroom.db'}"

    @property
    def is_loopback(self) -> bool:
        return _loopback_cached(self.host)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets masked, for `warroom config show`."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = mask_url(value.get_secret_value())
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        out["effective_database_url"] = mask_url(self.effective_database_url)
        return out


@functools.lru_cache(maxsize=64)
def _loopback_cached(host: str) -> bool:
    return is_loopback_host(host)  # asked on every unauthenticated request


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def mask_url(url: str) -> str:
    """Hide the password of a URL such as postgresql://user:pw@host/db."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the TOML file (if any), the environment, then explicit overrides."""
    path = config_file or os.environ.get("WARROOM_CONFIG")
    file_values: dict[str, Any] = {}
    if path:
        p = Path(path).expanduser()
        try:
            with p.open("rb") as fh:
                file_values = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file {p} does not exist; create it or unset WARROOM_CONFIG") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
        file_values = file_values.get("warroom", file_values)
    env_values = Settings().model_dump(exclude_unset=True)
    merged = {**file_values, **env_values, **{k: v for k, v in overrides.items() if v is not None}}
    return Settings.model_validate(merged) if merged else Settings()


class ConfigError(ValueError):
    """The configuration cannot be used as given."""

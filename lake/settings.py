"""The one typed settings object of cofre.

Every module reads its configuration from :func:`get_settings`. Environment variables carry the
prefix ``COFRE_`` (``COFRE_PROFILE``, ``COFRE_HOME``, ``COFRE_DATABASE_URL`` ...). The profile picks
the defaults of every unset field:

* ``embedded`` (default): local files under ``COFRE_HOME`` (``./var``), SQLite, the embedded log
  store, Feast SQLite online store, MLflow on SQLite with local artifacts, in-process sandboxes.
* ``stack``: the local stack of real servers started by ``make stack-up`` (PostgreSQL, FerretDB,
  SeaweedFS S3), all on 127.0.0.1.

This is the only place that branches on the profile: everything downstream reads resolved URLs.

Secrets (lake/installation_keys.py): the master secret is ``COFRE_SECRET_KEY`` or, in the embedded
profile, a file generated once under ``COFRE_HOME/secrets``; ``pseudonym_key`` and
``stellar_secret_seed`` default to HKDF derivations of it and :meth:`Settings.document_link_key`
derives the document-link key. Without a master secret (stack profile, no ``COFRE_SECRET_KEY``)
those keys are :class:`MissingSecret`: any use raises a SettingsError naming the variable.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from lake import installation_keys as ik

ENV_PREFIX = "COFRE_"
DOCUMENT_LINK_MAX_TTL_S = 3600
SECRET_FIELDS = ("secret_key", "pseudonym_key", "stellar_secret_seed", "s3_secret_key", "client_secret")


def sqlalchemy_url(url: str) -> str:
    """``url`` as SQLAlchemy needs it: a plain ``postgresql://`` URL (as the settings, psql and Feast
    take it) names the psycopg 3 driver, which SQLAlchemy would otherwise take to be psycopg2."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class SettingsError(RuntimeError):
    """Raised at start-up when an environment variable holds a bad value; names the variable."""


class MissingSecret(SecretStr):
    """Stands for a key that has no source (stack profile without COFRE_SECRET_KEY): any use of the
    value raises a SettingsError naming the variable, so nothing runs on a guessable key."""

    def __init__(self, purpose: str) -> None:
        super().__init__("")
        self._purpose = purpose

    def get_secret_value(self) -> str:
        raise SettingsError(_missing_secret_message(self._purpose))

    def _display(self) -> str:
        return "<unset: COFRE_SECRET_KEY>"

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def _missing_secret_message(why: str) -> str:
    return (
        f"COFRE_SECRET_KEY must be set explicitly ({why}): the per-installation secret generated under "
        "COFRE_HOME is only used by the embedded profile on loopback. Generate one with "
        "`python -c 'import secrets; print(secrets.token_hex(32))'` and keep it out of the lake."
    )


def _check_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    parsed = urlparse(value)
    scheme = parsed.scheme.split("+")[0]
    if scheme not in schemes:
        raise ValueError(f"malformed URL {value!r}: scheme must be one of {', '.join(schemes)}")
    if scheme in ("http", "https", "postgresql", "mongodb", "s3") and not (parsed.netloc or parsed.path):
        raise ValueError(f"malformed URL {value!r}: missing host")
    if scheme in ("http", "https", "mongodb") and not parsed.hostname:
        raise ValueError(f"malformed URL {value!r}: missing host")
    return value


PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Resolved configuration; unset fields get the profile's defaults in :meth:`_fill_defaults`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)

    profile: Literal["embedded", "stack"] = "embedded"
    home: Path = Path("./var")

    # --- ports of the local stack (deploy/stack.sh reads the same COFRE_STACK_* variables) ---
    stack_pg_port: int = 55432
    stack_mongo_port: int = 27018
    stack_s3_port: int = 8333
    stack_start_timeout_s: float = Field(default=60.0, gt=0, description="readiness wait per server")
    # monitoring of the local stack (deploy/stackctl/monitoring.py): Prometheus scrapes these targets
    stack_prometheus_port: int = 19090
    stack_alertmanager_port: int = 19093
    stack_alert_webhook_port: int = 19094
    stack_scrape_gateway: str = Field(default="127.0.0.1:8000", description="host:port of `cofre serve`")
    stack_scrape_exporter: str = Field(default="127.0.0.1:9464", description="pipelines exporter")
    stack_scrape_sandboxes: str = Field(
        default=",".join(f"127.0.0.1:{8700 + i}" for i in range(5)), description="`cofre sandbox serve` ports"
    )
    # tracing (serving/observability.py): spans always (trace ids in logs and problems), exported over
    # OTLP/HTTP only to this endpoint (e.g. http://collector:4318/v1/traces); tracing=false: none at all
    tracing: bool = True
    otlp_traces_endpoint: str | None = None

    # --- lake and object storage -------------------------------------------------------------
    lake_uri: str | None = Field(default=None, description="file path or s3://bucket/prefix")
    s3_endpoint: str | None = Field(default=None, description="S3 endpoint URL (SeaweedFS/MinIO)")
    s3_access_key: str = "cofre"
    s3_secret_key: SecretStr = SecretStr("cofre-dev-secret")
    s3_region: str = "us-east-1"
    s3_lake_bucket: str = "lake"
    s3_documents_bucket: str = "documents"
    s3_mlflow_bucket: str = "mlflow"
    documents_uri: str | None = Field(default=None, description="local folder or s3://bucket")
    lake_auditor_bronze: bool = Field(
        default=False, description="expose bronze tables (raw payloads, clear CPF) in the DuckDB auditor"
    )
    lake_commit_retries: int = Field(default=12, description="retries of a Delta commit on conflict")
    lake_buckets: int = Field(
        default=16,
        ge=1,
        le=4096,
        description="customer buckets of the per-customer tables (silver.transactions, gold per-customer "
        "features): Dagster partitions and the Delta `bucket` partition column (lake.buckets); changing it "
        "needs a backfill of every bucket",
    )
    lake_parquet_compression: Literal["ZSTD", "SNAPPY", "LZ4_RAW", "UNCOMPRESSED"] = Field(
        default="ZSTD", description="codec of the Parquet files the lake writes"
    )
    lake_parquet_compression_level: int | None = Field(
        default=1, description="codec level (ZSTD: 1 is fast and still about a third smaller than SNAPPY)"
    )

    # --- relational, logs and audit ----------------------------------------------------------
    database_url: str | None = None
    log_store_url: str | None = Field(default=None, description="mongodb://... or sqlite:///path")
    log_store_db: str = "cofre"

    # --- features and models -----------------------------------------------------------------
    feast_repo: Path = Path(__file__).resolve().parent.parent / "features"
    feast_online_url: str | None = Field(default=None, description="sqlite:///path or postgresql://...")
    feast_registry_url: str | None = Field(
        default=None,
        description="Feast registry: a file path (registry.db) or postgresql://... (sql registry)",
    )
    feast_project: str = Field(default="cofre", pattern=r"^[A-Za-z0-9_]+$", description="Feast project name")
    mlflow_tracking_uri: str | None = None
    mlflow_artifacts_uri: str | None = None
    model_threads: int = Field(
        default=1,
        ge=0,
        description="OpenMP/BLAS threads while a model trains (models/threads.py); 0 = the libraries' default",
    )

    # --- secrets (lake/installation_keys.py) ---------------------------------------------------
    secret_key: SecretStr | None = Field(
        default=None,
        description="the installation's master secret (>= 32 characters); every purpose key is derived "
        "from it with HKDF. Unset: generated under COFRE_HOME/secrets (embedded profile only)",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="HMAC key for pseudonymising CPF/CNPJ/PIX keys and audit actors; never written to "
        "the lake. Unset: HKDF(secret, 'cofre/pseudonym/v1'); an explicit value wins",
    )

    # --- audit anchoring on Stellar -----------------------------------------------------------
    stellar_secret_seed: SecretStr | None = Field(
        default=None,
        description="S... seed of the anchoring account; unset: derived with HKDF(secret, 'cofre/anchoring/v1')",
    )
    stellar_network_passphrase: str = "Test SDF Network ; September 2015"
    # --- Soroban smart contracts (serving/contracts; sandbox: native/contracts/rpc_sandbox) -----
    soroban_rpc_url: str | None = Field(
        default=None,
        description="Soroban RPC endpoint (JSON-RPC); a public testnet RPC works unchanged. Unset: the "
        "contracts API answers 503",
    )
    soroban_network_passphrase: str = Field(
        default="Standalone Network ; February 2017",
        description="network of soroban_rpc_url ('Test SDF Network ; September 2015' on testnet)",
    )
    soroban_friendbot_url: str | None = Field(
        default=None, description="account funding service; unset: <soroban_rpc_url>/friendbot"
    )
    soroban_escrow_contract_id: str | None = Field(
        default=None, description="C... id; unset: deployed by the bank with salt sha256('cofre:escrow')"
    )
    soroban_anchor_contract_id: str | None = Field(
        default=None,
        description="C... id; unset: deployed by the bank with salt sha256('cofre:audit_anchor')",
    )
    soroban_token_code: str = Field(default="BRLC", description="asset code of the bank's BRL token")
    soroban_retries: int = Field(
        default=3, ge=0, le=10, description="retries of an RPC call on connection errors"
    )
    # --- LGPD ----------------------------------------------------------------------------------
    lgpd_deadline_days: int = Field(default=15, description="legal answer deadline (LGPD art. 19)")
    lgpd_export_ttl_s: int = Field(default=24 * 3600, gt=0, description="how long a built export is kept")
    lgpd_exports_per_day: int = Field(
        default=3, gt=0, description="access exports a user may request per day"
    )

    # --- external systems (None: in-process sandbox) -----------------------------------------
    open_finance_url: str | None = None
    serasa_url: str | None = None
    pix_url: str | None = None
    horizon_url: str | None = None
    notify_url: str | None = Field(default=None, description="SMS/e-mail provider (Zenvia-like v2 API)")
    notify_token: SecretStr = Field(
        default=SecretStr("cofre-notify-sandbox"), description="X-API-TOKEN of the SMS/e-mail provider"
    )
    notify_sender: str = "cofre"
    datavalid_url: str | None = Field(default=None, description="facial identity validation (Datavalid-like)")
    client_id: str = "cofre"
    client_secret: SecretStr = SecretStr("cofre-sandbox-secret")
    pix_webhook_secret: SecretStr = Field(
        default=SecretStr("cofre-pix-webhook-sandbox"),
        description="HMAC key of Pix webhook deliveries (stands in for the PSP's mTLS)",
    )
    pix_webhook_tolerance_s: int = Field(default=300, gt=0, description="max age of a signed Pix delivery")
    http_timeout_s: float = 10.0
    http_retries: int = 4
    http_backoff_base_s: float = 0.25
    http_backoff_max_s: float = 8.0
    # --- sandboxes of the external systems (sandbox/: open_finance, serasa, pix, horizon) -------------------
    sandbox_token_ttl_s: int = 300
    sandbox_auto_authorise: bool = Field(
        default=True, description="Open Finance sandbox: authorise a consent for a known CPF at creation"
    )
    sandbox_fault_rate: float = Field(default=0.0, description="fraction of requests answered 429/503")
    sandbox_fault_seed: int = 0
    sandbox_fault_retry_after_s: int = 1
    sandbox_page_size_max: int = 1000
    sandbox_webhook_retries: int = 3

    # --- simulation size used by `make demo` -------------------------------------------------
    sim_customers: int = 2_000
    sim_months: int = 12
    sim_seed: int = 42
    sim_fraud_rate: float = 0.005

    # --- serving -----------------------------------------------------------------------------
    jwt_issuer: str = "https://auth.cofre.local"
    jwt_audience: str = "cofre-app"
    access_token_ttl_s: int = 300
    refresh_token_ttl_s: int = 30 * 24 * 3600
    stepup_amount_cents: int = 100_000
    rate_limit: str = "120/minute"
    gateway_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="worker processes of `cofre serve`; with more than one, the rate limiter counts in a "
        "shared store (PostgreSQL when database_url is one, else a SQLite file under COFRE_HOME/run) and "
        "Prometheus metrics are aggregated across workers (multiprocess mode)",
    )
    stepup_token_ttl_s: int = 120
    jwt_key_rotation_s: int = 30 * 24 * 3600
    documents_max_bytes: int = 5 * 1024 * 1024
    document_link_ttl_s: int = Field(
        default=300,
        gt=0,
        le=DOCUMENT_LINK_MAX_TTL_S,
        description="lifetime of a signed download link; a link expiring later than this from now is refused",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1, description="cap on request bodies (413); uploads: documents_max_bytes"
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="the whole request body must arrive within this time (408)"
    )
    behind_tls: bool = Field(
        default=False, description="a TLS-terminating proxy fronts the gateway: send HSTS on every response"
    )
    hsts_max_age_s: int = Field(
        default=365 * 24 * 3600, ge=0, description="Strict-Transport-Security max-age"
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="failed logins of one account (or trusted device) before a lockout"
    )
    login_backoff_base_s: int = Field(
        default=30, ge=1, description="the first login lockout; it doubles with each further failure"
    )
    login_lockout_max_s: int = Field(default=900, ge=1, description="the longest login lockout")
    # argon2id cost of stored passwords; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    # Only the embedded profile may go below them (the test suite does, to register users quickly);
    # the stack profile refuses weaker values. Stored hashes carry their own parameters, so a hash made
    # with other ones still verifies.
    password_hash_time_cost: int = Field(default=3, ge=1, description="argon2id iterations")
    password_hash_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory in KiB")
    password_hash_parallelism: int = Field(default=4, ge=1, description="argon2id lanes")
    login_failure_reset_s: int = Field(
        default=24 * 3600, ge=1, description="a streak of failed logins older than this is forgotten"
    )
    refresh_reuse_grace_s: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="a rotated refresh token presented again within this time gets the same new pair",
    )
    pix_ispb: str = Field(
        default="00000000", pattern=r"^[0-9]{8}$", description="ISPB of the bank in E2E ids"
    )

    # --- identity proofing (KYC) ---------------------------------------------------------------
    kyc_otp_ttl_s: int = Field(default=600, gt=0, description="lifetime of a one-time code")
    kyc_otp_max_attempts: int = Field(default=5, gt=0, description="wrong codes before a challenge dies")
    kyc_otp_daily_limit: int = Field(default=5, gt=0, description="codes a login may request per 24 h")
    kyc_face_daily_limit: int = Field(default=3, gt=0, description="selfie checks a login may run per 24 h")
    kyc_face_min_similarity: float = Field(
        default=0.9, gt=0, le=1, description="selfie vs reference-photo similarity that proves identity"
    )

    # --- support assistant (serving/chat) ------------------------------------------------------
    chat_rate_limit: str = Field(default="20/minute", description="hard per-user limit of chat messages")
    llm_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL (.../v1); unset: extractive answers only"
    )
    llm_model: str | None = Field(default=None, description="model name sent to the LLM endpoint")
    llm_api_key: SecretStr | None = Field(default=None, description="bearer key of the LLM endpoint")
    llm_timeout_s: float = Field(default=30.0, gt=0)

    _installation: Any = PrivateAttr(default=None)

    @field_validator("secret_key")
    @classmethod
    def _secret_len(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < ik.MIN_SECRET_CHARS:
            raise ValueError(
                f"must be at least {ik.MIN_SECRET_CHARS} characters "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return v

    @field_serializer(*SECRET_FIELDS)
    def _masked(self, v: SecretStr | None) -> str | None:
        return None if v is None else str(v)

    @field_validator(
        "s3_endpoint",
        "open_finance_url",
        "serasa_url",
        "pix_url",
        "horizon_url",
        "soroban_rpc_url",
        "soroban_friendbot_url",
        "notify_url",
        "datavalid_url",
        "llm_url",
    )
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        return _check_url(v, ("http", "https"))

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str | None) -> str | None:
        return _check_url(v, ("sqlite", "postgresql"))

    @field_validator("log_store_url")
    @classmethod
    def _log_url(cls, v: str | None) -> str | None:
        return _check_url(v, ("mongodb", "sqlite"))

    @field_validator("feast_online_url")
    @classmethod
    def _feast_url(cls, v: str | None) -> str | None:
        return _check_url(v, ("sqlite", "postgresql"))

    @field_validator("lake_uri", "documents_uri", "mlflow_artifacts_uri")
    @classmethod
    def _storage_uri(cls, v: str | None) -> str | None:
        if v is not None and "://" in v:
            return _check_url(v, ("s3", "file"))
        return v

    @field_validator("sim_fraud_rate", "sandbox_fault_rate")
    @classmethod
    def _rate(cls, v: float) -> float:
        if not 0.0 <= v < 1.0:
            raise ValueError("must be in [0, 1)")
        return v

    def _check_password_cost(self) -> None:
        fields = ("password_hash_time_cost", "password_hash_memory_kib", "password_hash_parallelism")
        weaker = [f for f in fields if getattr(self, f) < Settings.model_fields[f].default]
        if self.profile == "stack" and weaker:
            names = ", ".join(f"COFRE_{f.upper()}" for f in weaker)
            raise SettingsError(f"{names}: below the argon2id defaults, allowed on the embedded profile only")

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        # a relative home is the project's (not the working directory's): Jupyter in notebooks/ and
        # a shell in the root see the same ./var
        home = (self.home if self.home.is_absolute() else PROJECT_ROOT / self.home).resolve()
        self.home = home
        self._resolve_keys(home)
        self._check_password_cost()
        if self.profile == "embedded":
            self.lake_uri = self.lake_uri or str(home / "lake")
            self.documents_uri = self.documents_uri or str(home / "documents")
            self.database_url = self.database_url or f"sqlite:///{home / 'cofre.db'}"
            self.log_store_url = self.log_store_url or f"sqlite:///{home / 'logs.db'}"
            self.feast_online_url = self.feast_online_url or f"sqlite:///{home / 'feast' / 'online.db'}"
            self.feast_registry_url = self.feast_registry_url or str(home / "feast" / "registry.db")
            self.mlflow_tracking_uri = self.mlflow_tracking_uri or f"sqlite:///{home / 'mlflow.db'}"
            self.mlflow_artifacts_uri = self.mlflow_artifacts_uri or str(home / "mlartifacts")
        else:
            self.s3_endpoint = self.s3_endpoint or f"http://127.0.0.1:{self.stack_s3_port}"
            self.lake_uri = self.lake_uri or f"s3://{self.s3_lake_bucket}/lake"
            self.documents_uri = self.documents_uri or f"s3://{self.s3_documents_bucket}"
            pg = f"postgresql+psycopg://postgres@127.0.0.1:{self.stack_pg_port}"
            self.database_url = self.database_url or f"{pg}/cofre"
            self.log_store_url = self.log_store_url or f"mongodb://127.0.0.1:{self.stack_mongo_port}/"
            self.feast_online_url = self.feast_online_url or f"{pg}/feast"
            self.feast_registry_url = self.feast_registry_url or f"{pg}/feast"
            self.mlflow_tracking_uri = self.mlflow_tracking_uri or f"{pg}/mlflow"
            self.mlflow_artifacts_uri = self.mlflow_artifacts_uri or f"s3://{self.s3_mlflow_bucket}/artifacts"
        return self

    def _resolve_keys(self, home: Path) -> None:
        """Master secret (explicit, or the embedded profile's generated file), then the purpose keys
        not set explicitly: pseudonyms and anchoring (see lake/installation_keys.py)."""
        inst: ik.InstallationSecret | None = None
        if self.secret_key is not None:
            inst = ik.InstallationSecret(self.secret_key.get_secret_value(), "env")
        elif self.profile == "embedded":
            try:
                inst = ik.load_or_create(home)
            except (ik.SecretsError, OSError) as exc:
                raise SettingsError(f"COFRE_HOME: cannot use the installation secret: {exc}") from None
        self._installation = inst
        if self.pseudonym_key is None:
            if inst is None:
                self.pseudonym_key = MissingSecret("the stack profile needs it for pseudonyms")
            elif inst.legacy_keys:
                self.pseudonym_key = SecretStr(ik.LEGACY_PSEUDONYM_KEY)
            else:
                self.pseudonym_key = SecretStr(ik.derive(inst.value, ik.LABEL_PSEUDONYM).hex())
        if self.stellar_secret_seed is None:
            if inst is None:
                self.stellar_secret_seed = MissingSecret("the stack profile needs it for the anchoring key")
            elif inst.legacy_keys:
                self.stellar_secret_seed = SecretStr(
                    ik.legacy_stellar_seed(self.pseudonym_key.get_secret_value())
                )
            else:
                self.stellar_secret_seed = SecretStr(
                    ik.stellar_seed(ik.derive(inst.value, ik.LABEL_ANCHORING))
                )

    # --- secrets ---------------------------------------------------------------------------------
    @property
    def secrets_source(self) -> str:
        """``env`` (COFRE_SECRET_KEY), ``file`` (generated under COFRE_HOME), ``file-legacy-keys``
        (an older installation, see lake/installation_keys.py) or ``missing``."""
        inst = self._installation
        if inst is None:
            return "missing"
        return "file-legacy-keys" if inst.legacy_keys else inst.source

    def purpose_key(self, label: str) -> bytes:
        """HKDF-derived key of one purpose (``cofre/<purpose>/v1``); refuses without a master secret."""
        if self._installation is None:
            raise SettingsError(_missing_secret_message(f"the stack profile needs it for {label}"))
        return ik.derive(self._installation.value, label)

    def pseudonym_key_bytes(self) -> bytes:
        """The HMAC key of pseudonyms, as bytes (set by validation: explicit, derived, or a
        ``MissingSecret`` that refuses to be read)."""
        if self.pseudonym_key is None:  # pragma: no cover - _resolve_keys always sets it
            raise SettingsError(_missing_secret_message("the stack profile needs it for pseudonyms"))
        return self.pseudonym_key.get_secret_value().encode("utf-8")

    def document_link_key(self) -> bytes:
        return self.purpose_key(ik.LABEL_DOCUMENT_LINKS)

    def require_explicit_secrets(self, why: str) -> None:
        """Refuse to go on unless COFRE_SECRET_KEY is set (stack profile, non-loopback bind)."""
        if self.secret_key is None:
            raise SettingsError(_missing_secret_message(why))

    # --- derived helpers ---------------------------------------------------------------------
    @property
    def lake_is_s3(self) -> bool:
        return str(self.lake_uri).startswith("s3://")

    def storage_options(self) -> dict[str, str]:
        """delta-rs/object_store options for the lake URI (empty for local paths)."""
        if not self.lake_is_s3:
            return {}
        endpoint = self.s3_endpoint or ""
        opts = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": self.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3_secret_key.get_secret_value(),
            "AWS_REGION": self.s3_region,
            "aws_conditional_put": "etag",
        }
        if endpoint.startswith("http://"):
            opts["AWS_ALLOW_HTTP"] = "true"
        return opts

    def path(self, *parts: str) -> Path:
        """A path under COFRE_HOME, its parent folder created."""
        p = self.home.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (plus overrides); a bad value names its variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            got = "<hidden>" if field in SECRET_FIELDS else repr(err.get("input"))
            problems.append(f"{ENV_PREFIX}{field.upper()}: {err['msg']} (got {got})")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    return load_settings()

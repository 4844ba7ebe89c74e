//! Configuration of a `pos` process, read from environment variables (or the matching flags).
//!
//! Every variable is documented in `docs/configuration.md`; a test keeps the two in step.
//! Defaults run locally against the stack `cargo xtask up` starts. A bad value stops the process
//! at start with a message naming the variable.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::str::FromStr;

use pos_api::Module;

/// Settings of one `pos serve` process.
#[derive(clap::Args, Clone)]
pub struct Config {
    /// Modules this process serves: `all` or a comma-separated list (e.g. `auth,product`).
    #[arg(long, env = "POS_MODULES", value_name = "POS_MODULES", default_value = "all")]
    pub modules: ModuleSet,

    /// Address of the gRPC listener (gRPC, grpc-web, reflection, health).
    #[arg(
        long,
        env = "POS_GRPC_ADDR",
        value_name = "POS_GRPC_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub grpc_addr: SocketAddr,

    /// Address of the admin HTTP listener (`/metrics`, `/healthz`, `/readyz`).
    #[arg(
        long,
        env = "POS_ADMIN_ADDR",
        value_name = "POS_ADMIN_ADDR",
        default_value = "127.0.0.1:9464"
    )]
    pub admin_addr: SocketAddr,

    /// PostgreSQL connection URL.
    #[arg(
        long,
        env = "POS_DATABASE_URL",
        value_name = "POS_DATABASE_URL",
        default_value = "postgres://pos:pos@127.0.0.1:5432/pos",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Maximum PostgreSQL connections of this process. In-process calls between modules nest
    /// (CreateCashier → CreateUser → ProvisionCredential), each holding a connection, so a process
    /// serving every module needs more than one serving a single module.
    #[arg(
        long,
        env = "POS_DATABASE_MAX_CONNECTIONS",
        value_name = "POS_DATABASE_MAX_CONNECTIONS",
        default_value_t = 32
    )]
    pub database_max_connections: u32,

    /// Seconds a request waits for a PostgreSQL connection (including opening one) before it
    /// answers UNAVAILABLE.
    #[arg(
        long,
        env = "POS_DATABASE_ACQUIRE_TIMEOUT_SECONDS",
        value_name = "POS_DATABASE_ACQUIRE_TIMEOUT_SECONDS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=300)
    )]
    pub database_acquire_timeout_seconds: u64,

    /// Redis connection URL (cache, sessions, carts).
    #[arg(
        long,
        env = "POS_REDIS_URL",
        value_name = "POS_REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,

    /// Kafka-protocol bootstrap brokers (`host:port,...`) the outbox relays publish to and the
    /// consumers read from.
    #[arg(
        long,
        env = "POS_KAFKA_BROKERS",
        value_name = "POS_KAFKA_BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka_brokers: String,

    /// Partitions of each topic this process creates at start (existing topics are kept).
    #[arg(
        long,
        env = "POS_KAFKA_TOPIC_PARTITIONS",
        value_name = "POS_KAFKA_TOPIC_PARTITIONS",
        default_value_t = 3,
        value_parser = clap::value_parser!(i32).range(1..)
    )]
    pub kafka_topic_partitions: i32,

    /// Replication factor of each topic this process creates at start.
    #[arg(
        long,
        env = "POS_KAFKA_REPLICATION_FACTOR",
        value_name = "POS_KAFKA_REPLICATION_FACTOR",
        default_value_t = 1,
        value_parser = clap::value_parser!(i32).range(1..)
    )]
    pub kafka_replication_factor: i32,

    /// Most records per producer batch. 1 suits tansu (the local broker), which cannot serve a
    /// fetch that starts inside a batch; raise it (e.g. 1000) on a real Kafka cluster.
    #[arg(
        long,
        env = "POS_KAFKA_BATCH_MESSAGES",
        value_name = "POS_KAFKA_BATCH_MESSAGES",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub kafka_batch_messages: u32,

    /// Prefix of every topic and consumer group (e.g. `staging.`), to share one broker between
    /// isolated environments; empty: the plain names.
    #[arg(
        long,
        env = "POS_KAFKA_NAMESPACE",
        value_name = "POS_KAFKA_NAMESPACE",
        default_value = ""
    )]
    pub kafka_namespace: String,

    /// librdkafka debug contexts for every Kafka client (e.g. `cgrp,fetch`).
    #[arg(long, env = "POS_KAFKA_DEBUG", value_name = "POS_KAFKA_DEBUG")]
    pub kafka_debug: Option<String>,

    /// Where modules this process does not serve are reached: `module=http://host:port,...`.
    #[arg(long, env = "POS_UPSTREAMS", value_name = "POS_UPSTREAMS", default_value = "")]
    pub upstreams: Upstreams,

    /// Log format: `json` (one object per line) or `text`.
    #[arg(
        long,
        env = "POS_LOG_FORMAT",
        value_name = "POS_LOG_FORMAT",
        default_value = "json"
    )]
    pub log_format: LogFormat,

    /// Secret that signs page tokens (at least 32 bytes in production).
    #[arg(
        long,
        env = "POS_PAGE_TOKEN_SECRET",
        value_name = "POS_PAGE_TOKEN_SECRET",
        default_value = "local-development-page-token-secret",
        hide_env_values = true
    )]
    pub page_token_secret: String,

    /// Secret shared by every process of one deployment that authenticates module-to-module calls
    /// and `cargo xtask seed` (the `x-pos-service` header; at least 32 bytes in production).
    #[arg(
        long,
        env = "POS_SERVICE_TOKEN_SECRET",
        value_name = "POS_SERVICE_TOKEN_SECRET",
        default_value = "local-development-service-token-secret",
        hide_env_values = true
    )]
    pub service_token_secret: String,

    /// SMTP server the notification module sends mail through: `smtp://host:port` (plain, for a
    /// local relay), `smtps://user:pass@host:465` (TLS) or `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS).
    #[arg(
        long,
        env = "POS_SMTP_URL",
        value_name = "POS_SMTP_URL",
        default_value = "smtp://127.0.0.1:2525",
        hide_env_values = true
    )]
    pub smtp_url: String,

    /// Sender of every email the platform sends, e.g. `POS <no-reply@example.com>`.
    #[arg(
        long,
        env = "POS_MAIL_FROM",
        value_name = "POS_MAIL_FROM",
        default_value = "POS <no-reply@pos.local>"
    )]
    pub mail_from: String,

    /// Public URL of the browser POS, used for links in emails (e.g. the password reset page).
    #[arg(
        long,
        env = "POS_PUBLIC_URL",
        value_name = "POS_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,

    /// Where uploaded files (merchant documents, product images) are kept: a directory
    /// (`file:///var/lib/pos/objects`), `memory://` (lost on exit; tests), or an S3 or
    /// S3-compatible bucket `s3://bucket/prefix` (credentials, region and endpoint from the
    /// `AWS_*` variables). Every process serving the merchant or product module must see the same
    /// store.
    #[arg(
        long,
        env = "POS_OBJECT_STORE_URL",
        value_name = "POS_OBJECT_STORE_URL",
        default_value = "file://.run/objects",
        hide_env_values = true
    )]
    pub object_store_url: String,

    /// OTLP/gRPC endpoint traces are exported to (e.g. `http://jaeger:4317`); unset: no export.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "OTEL_EXPORTER_OTLP_ENDPOINT"
    )]
    pub otlp_endpoint: Option<String>,

    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(
        long,
        env = "POS_SHUTDOWN_GRACE_SECONDS",
        value_name = "POS_SHUTDOWN_GRACE_SECONDS",
        default_value_t = 20
    )]
    pub shutdown_grace_seconds: u64,

    /// Seconds an unpaid (OPEN) order holds its stock before it is cancelled automatically.
    #[arg(
        long,
        env = "POS_ORDER_HOLD_SECONDS",
        value_name = "POS_ORDER_HOLD_SECONDS",
        default_value_t = 1800,
        value_parser = clap::value_parser!(u64).range(1..=86_100)
    )]
    pub order_hold_seconds: u64,

    /// Seconds a report answer stays in the Redis cache (events that change it invalidate it
    /// sooner); 0 turns the cache off.
    #[arg(
        long,
        env = "POS_REPORT_CACHE_SECONDS",
        value_name = "POS_REPORT_CACHE_SECONDS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(0..=86_400)
    )]
    pub report_cache_seconds: u64,

    /// ISO-4217 currency of the zero rows of a report that covers several merchants when there
    /// is no activity at all (a merchant's reports use the merchant's currency).
    #[arg(
        long,
        env = "POS_DEFAULT_CURRENCY",
        value_name = "POS_DEFAULT_CURRENCY",
        default_value = "IDR",
        value_parser = currency_code
    )]
    pub default_currency: String,

    /// Payment processor that charges card, e-wallet and bank-transfer payments.
    #[arg(
        long,
        env = "POS_PAYMENT_PROCESSOR",
        value_name = "POS_PAYMENT_PROCESSOR",
        value_enum,
        default_value_t = PaymentProcessorKind::Simulated
    )]
    pub payment_processor: PaymentProcessorKind,
}

impl std::fmt::Debug for Config {
    /// Everything but the secrets (connection URLs may carry passwords).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("modules", &self.modules)
            .field("grpc_addr", &self.grpc_addr)
            .field("admin_addr", &self.admin_addr)
            .field("database_max_connections", &self.database_max_connections)
            .field("upstreams", &self.upstreams)
            .field("kafka_brokers", &self.kafka_brokers)
            .field("kafka_topic_partitions", &self.kafka_topic_partitions)
            .field("kafka_replication_factor", &self.kafka_replication_factor)
            .field("kafka_batch_messages", &self.kafka_batch_messages)
            .field("kafka_debug", &self.kafka_debug)
            .field("kafka_namespace", &self.kafka_namespace)
            .field("log_format", &self.log_format)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field("shutdown_grace_seconds", &self.shutdown_grace_seconds)
            .field("order_hold_seconds", &self.order_hold_seconds)
            .field("report_cache_seconds", &self.report_cache_seconds)
            .field("default_currency", &self.default_currency)
            .field("payment_processor", &self.payment_processor)
            .field(
                "database_acquire_timeout_seconds",
                &self.database_acquire_timeout_seconds,
            )
            .finish_non_exhaustive()
    }
}

/// A non-empty set of modules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSet(pub BTreeSet<Module>);

impl ModuleSet {
    /// Every module.
    pub fn all() -> Self {
        ModuleSet(Module::ALL.into_iter().collect())
    }

    /// Whether `module` is in the set.
    pub fn contains(&self, module: Module) -> bool {
        self.0.contains(&module)
    }
}

impl FromStr for ModuleSet {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.trim() == "all" {
            return Ok(ModuleSet::all());
        }
        let modules = value
            .split(',')
            .filter(|name| !name.trim().is_empty())
            .map(|name| name.parse::<Module>().map_err(|error| error.to_string()))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if modules.is_empty() {
            return Err("name at least one module, or `all`".to_owned());
        }
        Ok(ModuleSet(modules))
    }
}

/// Addresses of modules served by other processes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upstreams(pub BTreeMap<Module, String>);

impl FromStr for Upstreams {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let mut upstreams = BTreeMap::new();
        for pair in value.split(',').filter(|pair| !pair.trim().is_empty()) {
            let (name, address) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not `module=http://host:port`"))?;
            let module = name.parse::<Module>().map_err(|error| error.to_string())?;
            let address = address.trim();
            if !(address.starts_with("http://") || address.starts_with("https://")) {
                return Err(format!(
                    "address of `{module}` must start with http:// or https://"
                ));
            }
            upstreams.insert(module, address.to_owned());
        }
        Ok(Upstreams(upstreams))
    }
}

/// Which payment processor the transaction module charges through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PaymentProcessorKind {
    /// Deterministic outcomes chosen by the payment token (`tok_decline`, `tok_pending`, …), for
    /// development, tests and demos; moves no money.
    Simulated,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for Loki/Promtail.
    Json,
    /// Human-readable lines, for a terminal.
    Text,
}

/// An ISO-4217 currency code (upper case, not a special code such as XXX).
fn currency_code(value: &str) -> Result<String, String> {
    match iso_currency::Currency::from_code(value) {
        Some(currency) if value == value.to_ascii_uppercase() && !currency.is_special() => {
            Ok(value.to_owned())
        }
        _ => Err(format!("{value:?} is not an ISO-4217 currency code")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn defaults_serve_every_module_locally() {
        let cli = Cli::try_parse_from(["pos"]).unwrap();
        assert_eq!(cli.config.modules, ModuleSet::all());
        assert_eq!(cli.config.grpc_addr.to_string(), "127.0.0.1:50051");
        assert!(cli.config.upstreams.0.is_empty());
    }

    #[test]
    fn a_module_subset_and_upstreams_parse() {
        let cli = Cli::try_parse_from([
            "pos",
            "--modules",
            "order, product",
            "--upstreams",
            "transaction=http://127.0.0.1:50053",
        ])
        .unwrap();
        assert!(cli.config.modules.contains(Module::Order));
        assert!(!cli.config.modules.contains(Module::Auth));
        assert_eq!(
            cli.config.upstreams.0[&Module::Transaction],
            "http://127.0.0.1:50053"
        );
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let error = Cli::try_parse_from(["pos", "--modules", "inventory"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("POS_MODULES"), "{error}");
        assert!(error.contains("unknown module `inventory`"), "{error}");
        let error = Cli::try_parse_from(["pos", "--grpc-addr", "nowhere"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("POS_GRPC_ADDR"), "{error}");
        let error = Cli::try_parse_from(["pos", "--upstreams", "order=tcp://x"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("POS_UPSTREAMS"), "{error}");
    }

    #[test]
    fn the_default_currency_is_an_iso_4217_code() {
        assert_eq!(
            Cli::try_parse_from(["pos"]).unwrap().config.default_currency,
            "IDR"
        );
        let cli = Cli::try_parse_from(["pos", "--default-currency", "EUR"]).unwrap();
        assert_eq!(cli.config.default_currency, "EUR");
        for bad in ["eur", "EURO", "XXX", ""] {
            let error = Cli::try_parse_from(["pos", "--default-currency", bad])
                .unwrap_err()
                .to_string();
            assert!(error.contains("POS_DEFAULT_CURRENCY"), "{bad}: {error}");
        }
    }
}

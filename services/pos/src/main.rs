//! `pos`: one binary for every module of the POS platform.
//!
//! `pos serve` serves the modules named by `POS_MODULES` (all by default); `pos migrate` applies
//! the embedded database migrations (for deployment jobs; developers use `cargo xtask migrate`);
//! `pos reports rebuild` recomputes the report rollups from the report facts (`cargo xtask reports
//! rebuild` runs it).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use pos_platform::{Config, telemetry};

#[derive(Parser)]
#[command(
    name = "pos",
    version,
    about = "POS platform: serves any subset of its modules over gRPC"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the chosen modules until SIGINT or SIGTERM.
    Serve(Box<Config>),
    /// Writes idempotent demo data through the API of a running platform and prints credentials.
    Seed {
        /// gRPC address of the platform.
        #[arg(long, env = "POS_SEED_TARGET", default_value = "http://127.0.0.1:50051")]
        target: String,
        /// Addresses of modules served elsewhere than `target`: `module=http://host:port,...`.
        #[arg(long, env = "POS_UPSTREAMS", default_value = "")]
        upstreams: pos_platform::config::Upstreams,
        /// E-mail of the first admin.
        #[arg(long, env = "POS_SEED_ADMIN_EMAIL", default_value = "admin@pos.local")]
        admin_email: String,
        /// Password of the first admin; generated when unset.
        #[arg(long, env = "POS_SEED_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// The deployment's service-credential secret (the seed writes as a service).
        #[arg(
            long,
            env = "POS_SERVICE_TOKEN_SECRET",
            default_value = "local-development-service-token-secret",
            hide_env_values = true
        )]
        service_token_secret: String,
    },
    /// Operator tasks of the report module.
    Reports {
        #[command(subcommand)]
        action: ReportsAction,
    },
    /// Applies every pending database migration and exits.
    Migrate {
        /// Database to migrate.
        #[arg(
            long,
            env = "POS_DATABASE_URL",
            default_value = "postgres://pos:pos@127.0.0.1:5432/pos",
            hide_env_values = true
        )]
        database_url: String,
    },
}

/// `pos reports …`.
#[derive(Subcommand)]
enum ReportsAction {
    /// Truncates the report rollups and recomputes them from the facts in one transaction
    /// (consumers wait meanwhile), then prints the counts and the time it took.
    Rebuild {
        /// Database holding the `reports` schema.
        #[arg(
            long,
            env = "POS_DATABASE_URL",
            default_value = "postgres://pos:pos@127.0.0.1:5432/pos",
            hide_env_values = true
        )]
        database_url: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(config) => serve(&config).await,
        Command::Seed {
            target,
            upstreams,
            admin_email,
            admin_password,
            service_token_secret,
        } => {
            let password = admin_password.unwrap_or_else(uuid_password);
            let report = pos::seed(
                &target,
                &upstreams,
                &service_token_secret,
                &admin_email,
                &password,
            )
            .await?;
            print_seed_report(&report);
            if report.complete() {
                Ok(())
            } else {
                std::process::exit(3)
            }
        }
        Command::Reports {
            action: ReportsAction::Rebuild { database_url },
        } => rebuild_reports(&database_url).await,
        Command::Migrate { database_url } => {
            let pool = sqlx::PgPool::connect(&database_url)
                .await
                .context("connecting to POS_DATABASE_URL")?;
            pos_platform::db::MIGRATOR
                .run(&pool)
                .await
                .context("applying migrations")?;
            Ok(())
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let telemetry = telemetry::init("pos", config.log_format, config.otlp_endpoint.as_deref())?;
    let mut running = pos::start(config).await?;
    let result = tokio::select! {
        () = shutdown_signal() => {
            tracing::info!("shutdown requested; finishing in-flight requests");
            running.shutdown().await
        }
        error = running.failed() => Err(error),
    };
    if let Err(error) = &result {
        tracing::error!(error = ?error, "pos stopped with an error");
    } else {
        tracing::info!("pos stopped");
    }
    telemetry.shutdown();
    result
}

/// `pos reports rebuild`: talks to an operator, so its outcome goes to stdout.
#[allow(clippy::print_stdout)]
async fn rebuild_reports(database_url: &str) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(database_url)
        .await
        .context("connecting to POS_DATABASE_URL")?;
    let started = std::time::Instant::now();
    let rebuilt = pos_report::rebuild::rebuild(&pool)
        .await
        .context("rebuilding the report rollups")?;
    println!(
        "    rebuilt the report rollups from {} sales, {} refunds and {} payments in {:.2} s",
        rebuilt.sales,
        rebuilt.refunds,
        rebuilt.payments,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (Kubernetes).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// A random 32-character password for a generated demo account.
fn uuid_password() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The seed talks to an operator: its report goes to stdout.
#[allow(clippy::print_stdout)]
fn print_seed_report(report: &pos::SeedReport) {
    for (step, outcome) in &report.steps {
        match outcome {
            pos::StepOutcome::Done => println!("    done     {step}"),
            pos::StepOutcome::Skipped(why) => println!("    skipped  {step}: {why}"),
        }
    }
    for (login, password) in &report.credentials {
        println!("    credentials: {login} / {password}");
    }
    if !report.complete() {
        println!("    some steps were skipped: their modules are not built yet");
    }
}

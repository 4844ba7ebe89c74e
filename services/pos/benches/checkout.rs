//! `cargo xtask bench checkout`: what a sale costs.
//!
//! Starts a whole platform (every module in this process, a fresh migrated database, the shared
//! Redis and broker), makes an ACTIVE merchant, a cashier and 30 products with plenty of stock,
//! then for a fixed time N concurrent tills each run checkouts back to back: `CreateOrder` with 3
//! lines (3 distinct products, at random) followed by a cash `CreatePayment` of the whole balance,
//! as the cashier over gRPC. Each checkout's latency is both calls. Meanwhile the consumers do
//! what a sale sets off (the order becomes PAID, the stock reservation is committed).
//!
//! Then it runs the equivalent SQL (`checkout.sql`: the rows a checkout writes, in one transaction
//! per module as the modules do) with `pgbench` on the same database and prints both throughputs
//! and their ratio: how much the platform costs over the bare database work.
//!
//! `POS_BENCH_CLIENTS` (default 8) and `POS_BENCH_SECONDS` (default 10) size the run.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark reports on stdout and stderr"
)]

#[path = "../tests/support/platform.rs"]
mod platform;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use platform::{CashierSession, TestPlatform, bearer};
use pos_api::pos::order::v1::order_service_client::OrderServiceClient;
use pos_api::pos::order::v1::{CreateOrderRequest, Order, OrderItem};
use pos_api::pos::transaction::v1::transaction_service_client::TransactionServiceClient;
use pos_api::pos::transaction::v1::{CreatePaymentRequest, PaymentMethod};
use tonic::transport::Channel;

/// Products the tills pick from.
const PRODUCTS: usize = 30;
/// Stock of each product: enough for any run.
const STOCK: i64 = 10_000_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<()> {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("skipped: run with `cargo xtask bench checkout`");
        return Ok(());
    }
    let clients = usize::try_from(env_number("POS_BENCH_CLIENTS", 8))?.max(1);
    let seconds = env_number("POS_BENCH_SECONDS", 10).max(1);

    let platform = TestPlatform::start().await;
    let owner = platform.active_merchant().await;
    let cashier = platform.cashier(&owner).await;
    let mut products = Vec::with_capacity(PRODUCTS);
    for n in 0..PRODUCTS {
        let price = 1_000 + 500 * i64::try_from(n)?;
        products.push(platform.product(&owner, price, STOCK).await.id);
    }
    let products = Arc::new(products);
    println!(
        "checkout = CreateOrder (3 lines) + cash CreatePayment, as a cashier over gRPC; {clients} tills, \
         {seconds} s after 2 s of warm-up; every module in one release-build process on {} cores, \
         with the bench's clients",
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    let channel = platform.channel().await;
    let grpc = measure(
        &channel,
        &cashier,
        &products,
        clients,
        Duration::from_secs(seconds),
    )
    .await?;
    println!(
        "gRPC        {:>8.1} checkouts/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} checkouts, {} failed)",
        grpc.throughput,
        millis(grpc.p50),
        millis(grpc.p99),
        grpc.completed,
        grpc.failed
    );

    // The platform stops first: pgbench's placeholder events must not reach its relays.
    let TestPlatform { pos, database, .. } = platform;
    pos.shutdown().await?;
    let pgbench = pgbench(&database.url, &products, clients, seconds);
    database.drop_database().await?;
    let pgbench = pgbench?;
    println!(
        "pgbench SQL {:>8.1} checkouts/s   mean {:>6.2} ms   (checkout.sql, same database, {clients} clients)",
        pgbench.tps, pgbench.mean_latency_ms
    );
    println!(
        "ratio: the platform does {:.1}% of the bare SQL's checkouts per second ({:.1}x slower)",
        100.0 * grpc.throughput / pgbench.tps,
        pgbench.tps / grpc.throughput
    );
    Ok(())
}

struct Figures {
    completed: usize,
    failed: usize,
    throughput: f64,
    p50: Duration,
    p99: Duration,
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn measure(
    channel: &Channel,
    cashier: &CashierSession,
    products: &Arc<Vec<String>>,
    clients: usize,
    duration: Duration,
) -> Result<Figures> {
    let measuring = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let mut tills = Vec::new();
    for till in 0..clients {
        tills.push(tokio::spawn(till_loop(
            till,
            channel.clone(),
            cashier.clone(),
            products.clone(),
            measuring.clone(),
            done.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    done.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for till in tills {
        let (mut till_latencies, till_failed) = till.await??;
        latencies.append(&mut till_latencies);
        failed += till_failed;
    }
    if latencies.is_empty() {
        bail!("no checkout completed ({failed} failed)");
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a few thousand latencies"
        )]
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index]
    };
    #[allow(clippy::cast_precision_loss, reason = "a count of checkouts")]
    let throughput = latencies.len() as f64 / elapsed.as_secs_f64();
    Ok(Figures {
        completed: latencies.len(),
        failed,
        throughput,
        p50: percentile(0.50),
        p99: percentile(0.99),
    })
}

/// One till: checkouts back to back until `done`; the latencies of those started while
/// `measuring`, and how many failed.
async fn till_loop(
    till: usize,
    channel: Channel,
    cashier: CashierSession,
    products: Arc<Vec<String>>,
    measuring: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
) -> Result<(Vec<Duration>, usize)> {
    let mut orders = OrderServiceClient::new(channel.clone());
    let mut payments = TransactionServiceClient::new(channel);
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut n = till;
    while !done.load(Ordering::SeqCst) {
        let counted = measuring.load(Ordering::SeqCst);
        // Three distinct products, spread over the catalogue.
        let lines = (0..3)
            .map(|k| OrderItem {
                product_id: products[(n * 7 + k * 11) % products.len()].clone(),
                quantity: 1,
                ..OrderItem::default()
            })
            .collect();
        n += 1;
        let started = Instant::now();
        let outcome = checkout(&mut orders, &mut payments, &cashier, lines).await;
        if counted && !done.load(Ordering::SeqCst) {
            match outcome {
                Ok(()) => latencies.push(started.elapsed()),
                Err(error) => {
                    failed += 1;
                    if failed <= 3 {
                        eprintln!("till {till}: checkout failed: {error:#}");
                    }
                }
            }
        }
    }
    Ok((latencies, failed))
}

async fn checkout(
    orders: &mut OrderServiceClient<Channel>,
    payments: &mut TransactionServiceClient<Channel>,
    cashier: &CashierSession,
    items: Vec<OrderItem>,
) -> Result<()> {
    let token = &cashier.session.access_token;
    let order = orders
        .create_order(bearer(
            token,
            CreateOrderRequest {
                order: Some(Order {
                    merchant_id: cashier.merchant_id.clone(),
                    cashier_id: cashier.cashier_id.clone(),
                    items,
                    ..Order::default()
                }),
                request_id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await
        .context("CreateOrder")?
        .into_inner()
        .order
        .context("no order")?;
    payments
        .create_payment(bearer(
            token,
            CreatePaymentRequest {
                order_id: order.id,
                method: PaymentMethod::Cash.into(),
                request_id: uuid::Uuid::now_v7().to_string(),
                ..CreatePaymentRequest::default()
            },
        ))
        .await
        .context("CreatePayment")?;
    Ok(())
}

struct PgbenchFigures {
    tps: f64,
    mean_latency_ms: f64,
}

/// Runs `checkout.sql` with pgbench against the platform's database: the same products, the same
/// number of clients and seconds.
fn pgbench(url: &str, products: &[String], clients: usize, seconds: u64) -> Result<PgbenchFigures> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/checkout.sql");
    let setup = format!(
        "CREATE TABLE public.bench_products (n int PRIMARY KEY, id uuid NOT NULL); \
         INSERT INTO public.bench_products VALUES {};",
        products
            .iter()
            .enumerate()
            .map(|(n, id)| format!("({n}, '{id}')"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let status = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", &setup])
        .status()
        .context("running psql (apt: postgresql-client)")?;
    if !status.success() {
        bail!("psql setup failed ({status})");
    }
    let output = Command::new("pgbench")
        .args([
            "--no-vacuum",
            "--file",
            script,
            "--client",
            &clients.to_string(),
            "--jobs",
            &clients.min(2).to_string(),
            "--time",
            &seconds.to_string(),
            "--define",
            &format!("products={}", products.len()),
            url,
        ])
        .output()
        .context("running pgbench (apt: postgresql-contrib / postgresql-15)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let field = |prefix: &str| -> Result<f64> {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("no `{prefix}` in pgbench output:\n{stdout}"))
    };
    Ok(PgbenchFigures {
        tps: field("tps =")?,
        mean_latency_ms: field("latency average =")?,
    })
}

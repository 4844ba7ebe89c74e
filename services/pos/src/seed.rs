//! Demo data, written through the public gRPC API (never into tables), so every rule of every
//! module holds for it. Each write carries a fixed `request_id`, so running the seed again changes
//! nothing. Steps whose RPC is not built yet are reported as skipped, not failed.

use pos_api::pos::category::v1 as category;
use pos_api::pos::user::v1 as user;
use pos_api::{Clients, Module};
use pos_platform::config::Upstreams;

/// What one seed step did.
#[derive(Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The data exists now (created, or found from an earlier run).
    Done,
    /// The RPC answered UNIMPLEMENTED: its module is not built yet.
    Skipped(String),
}

/// The outcome of every step, by name.
#[derive(Debug, Default)]
pub struct SeedReport {
    /// `(step, outcome)` in execution order.
    pub steps: Vec<(String, StepOutcome)>,
    /// Credentials of the demo accounts that were created.
    pub credentials: Vec<(String, String)>,
}

impl SeedReport {
    /// Whether every step is done.
    pub fn complete(&self) -> bool {
        self.steps
            .iter()
            .all(|(_, outcome)| *outcome == StepOutcome::Done)
    }
}

const CATEGORIES: [(&str, &str, &str); 5] = [
    (
        "0193f1a0-0000-7000-8000-000000000101",
        "Drinks",
        "Coffee, tea, juice and water",
    ),
    (
        "0193f1a0-0000-7000-8000-000000000102",
        "Bakery",
        "Bread, pastries and cakes",
    ),
    (
        "0193f1a0-0000-7000-8000-000000000103",
        "Snacks",
        "Chips, nuts and sweets",
    ),
    (
        "0193f1a0-0000-7000-8000-000000000104",
        "Groceries",
        "Rice, oil, sugar and staples",
    ),
    (
        "0193f1a0-0000-7000-8000-000000000105",
        "Household",
        "Cleaning and personal care",
    ),
];

/// Seeds the platform: each module is reached at its address in `upstreams`, or at `target`
/// (e.g. `http://127.0.0.1:50051`) when it has none.
pub async fn seed(
    target: &str,
    upstreams: &Upstreams,
    admin_email: &str,
    admin_password: &str,
) -> anyhow::Result<SeedReport> {
    let clients = Clients::default();
    let mut transports = std::collections::HashMap::new();
    for module in Module::ALL {
        let address = upstreams.0.get(&module).map_or(target, String::as_str);
        transports.insert(module, Clients::remote(module, address)?);
    }
    clients.install(transports);
    let mut report = SeedReport::default();

    let created = clients
        .user()?
        .create_user(user::CreateUserRequest {
            user: Some(user::User {
                email: admin_email.to_owned(),
                first_name: "Platform".to_owned(),
                last_name: "Admin".to_owned(),
                ..Default::default()
            }),
            password: admin_password.to_owned(),
            request_id: "0193f1a0-0000-7000-8000-000000000001".to_owned(),
        })
        .await;
    if record(&mut report, "admin user", created)? {
        report
            .credentials
            .push((admin_email.to_owned(), admin_password.to_owned()));
    }

    let mut categories = clients.category()?;
    for (request_id, name, description) in CATEGORIES {
        let created = categories
            .create_category(category::CreateCategoryRequest {
                category: Some(category::Category {
                    name: name.to_owned(),
                    description: description.to_owned(),
                    ..Default::default()
                }),
                request_id: request_id.to_owned(),
            })
            .await;
        record(&mut report, &format!("category {name}"), created)?;
    }
    Ok(report)
}

/// Records a step; `Ok(true)` when it is done.
fn record<T>(
    report: &mut SeedReport,
    step: &str,
    result: Result<tonic::Response<T>, tonic::Status>,
) -> anyhow::Result<bool> {
    match result {
        Ok(_) => {
            report.steps.push((step.to_owned(), StepOutcome::Done));
            Ok(true)
        }
        Err(status) if status.code() == tonic::Code::Unimplemented => {
            report
                .steps
                .push((step.to_owned(), StepOutcome::Skipped(status.message().to_owned())));
            Ok(false)
        }
        Err(status) => Err(anyhow::anyhow!("seeding {step} failed: {status}")),
    }
}

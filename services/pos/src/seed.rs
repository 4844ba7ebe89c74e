//! The first admin and demo data, written through the public gRPC API (never into tables), so
//! every rule of every module holds for it. The seed authenticates with the service credential
//! (`POS_SERVICE_TOKEN_SECRET`, caller name `seed`), so only operators holding the deployment's
//! secret can run it. Each write is looked up first (and carries a fixed `request_id` where the
//! RPC takes one), so running the seed again changes nothing. Steps whose RPC is not built yet are reported as skipped.

use pos_api::pos::category::v1 as category;
use pos_api::pos::role::v1 as role;
use pos_api::pos::user::v1 as user;
use pos_api::{Clients, Module};
use pos_platform::access::{ServiceCredential, authenticated};
use pos_platform::config::Upstreams;
use tonic::Code;

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
/// (e.g. `http://127.0.0.1:50051`) when it has none, with a service credential keyed by
/// `service_secret`.
pub async fn seed(
    target: &str,
    upstreams: &Upstreams,
    service_secret: &str,
    admin_email: &str,
    admin_password: &str,
) -> anyhow::Result<SeedReport> {
    let clients = Clients::default();
    let credentials = ServiceCredential::new(service_secret);
    let mut transports = std::collections::HashMap::new();
    for module in Module::ALL {
        let address = upstreams.0.get(&module).map_or(target, String::as_str);
        let transport = Clients::remote(module, address)?;
        transports.insert(module, authenticated(transport, credentials.clone(), "seed"));
    }
    clients.install(transports);
    let mut report = SeedReport::default();

    if let Some(admin_id) = seed_admin_user(&clients, &mut report, admin_email, admin_password).await? {
        seed_admin_grant(&clients, &mut report, &admin_id).await?;
    }

    for (request_id, name, description) in CATEGORIES {
        seed_category(&clients, &mut report, request_id, name, description).await?;
    }
    Ok(report)
}

/// Creates the demo category `name`, or finds it (by name, case-insensitively, trashed ones
/// included: a category an operator trashed stays in the trash) from an earlier run. The fixed
/// `request_id` makes concurrent or retried runs create it once.
async fn seed_category(
    clients: &Clients,
    report: &mut SeedReport,
    request_id: &str,
    name: &str,
    description: &str,
) -> anyhow::Result<()> {
    let step = format!("category {name}");
    let mut categories = clients.category()?;
    let listed = categories
        .list_categories(category::ListCategoriesRequest {
            query: name.to_owned(),
            lifecycle: pos_api::pos::common::v1::Lifecycle::All.into(),
            page_size: 500,
            ..Default::default()
        })
        .await;
    let Some(listed) = ok_or_skipped(report, &step, listed)? else {
        return Ok(());
    };
    if listed
        .into_inner()
        .categories
        .iter()
        .any(|found| found.name.eq_ignore_ascii_case(name))
    {
        report
            .steps
            .push((format!("{step} (already there)"), StepOutcome::Done));
        return Ok(());
    }
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
    record(report, &step, created)?;
    Ok(())
}

/// Creates the first admin's account (verified, with `password`), or finds it from an earlier run
/// (its password is then left as it is and not printed). Returns its id unless the step was
/// skipped.
async fn seed_admin_user(
    clients: &Clients,
    report: &mut SeedReport,
    email: &str,
    password: &str,
) -> anyhow::Result<Option<String>> {
    let mut users = clients.user()?;
    let listed = users
        .list_users(user::ListUsersRequest {
            query: email.to_owned(),
            lifecycle: pos_api::pos::common::v1::Lifecycle::All.into(),
            page_size: 10,
            ..Default::default()
        })
        .await;
    let Some(listed) = ok_or_skipped(report, "admin user", listed)? else {
        return Ok(None);
    };
    if let Some(found) = listed
        .into_inner()
        .users
        .into_iter()
        .find(|found| found.email.eq_ignore_ascii_case(email))
    {
        report
            .steps
            .push(("admin user (already there)".to_owned(), StepOutcome::Done));
        return Ok(Some(found.id));
    }
    let created = users
        .create_user(user::CreateUserRequest {
            user: Some(user::User {
                email: email.to_owned(),
                first_name: "Platform".to_owned(),
                last_name: "Admin".to_owned(),
                ..Default::default()
            }),
            password: password.to_owned(),
            request_id: "0193f1a0-0000-7000-8000-000000000001".to_owned(),
        })
        .await;
    let id = created
        .as_ref()
        .ok()
        .and_then(|response| response.get_ref().user.as_ref())
        .map(|created| created.id.clone());
    if record(report, "admin user", created)? {
        report.credentials.push((email.to_owned(), password.to_owned()));
    }
    Ok(id)
}

/// Grants the built-in `admin` role, platform-wide, to the first admin.
async fn seed_admin_grant(clients: &Clients, report: &mut SeedReport, admin_id: &str) -> anyhow::Result<()> {
    let mut roles = clients.role()?;
    let listed = roles
        .list_roles(role::ListRolesRequest {
            query: "admin".to_owned(),
            page_size: 50,
            ..Default::default()
        })
        .await;
    let Some(listed) = ok_or_skipped(report, "admin role", listed)? else {
        return Ok(());
    };
    let admin_role = listed
        .into_inner()
        .roles
        .into_iter()
        .find(|candidate| candidate.name == "admin" && candidate.built_in)
        .ok_or_else(|| anyhow::anyhow!("the built-in admin role is missing"))?;
    let granted = roles
        .grant_role(role::GrantRoleRequest {
            user_id: admin_id.to_owned(),
            role_id: admin_role.id,
            merchant_id: String::new(),
            cashier_id: String::new(),
        })
        .await;
    match granted {
        Err(status) if status.code() == Code::AlreadyExists => {
            report.steps.push(("admin role".to_owned(), StepOutcome::Done));
        }
        other => {
            record(report, "admin role", other)?;
        }
    }
    Ok(())
}

/// The response, or `None` after recording the step as skipped (UNIMPLEMENTED).
fn ok_or_skipped<T>(
    report: &mut SeedReport,
    step: &str,
    result: Result<tonic::Response<T>, tonic::Status>,
) -> anyhow::Result<Option<tonic::Response<T>>> {
    match result {
        Err(status) if status.code() == Code::Unimplemented => {
            report
                .steps
                .push((step.to_owned(), StepOutcome::Skipped(status.message().to_owned())));
            Ok(None)
        }
        Err(status) => Err(anyhow::anyhow!("seeding {step} failed: {status}")),
        Ok(response) => Ok(Some(response)),
    }
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
        Err(status) if status.code() == Code::Unimplemented => {
            report
                .steps
                .push((step.to_owned(), StepOutcome::Skipped(status.message().to_owned())));
            Ok(false)
        }
        Err(status) => Err(anyhow::anyhow!("seeding {step} failed: {status}")),
    }
}

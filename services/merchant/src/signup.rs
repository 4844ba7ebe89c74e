//! Merchants opened at sign-up: when `AuthService.Register` carried a store, the auth module's
//! `UserRegistered` event says so, and this handler creates the merchant — `PENDING`, owned by
//! the new user — publishes `MerchantCreated`, and grants the owner the built-in `merchant` role
//! bound to the merchant (through the role module's contract), so the owner can see and complete
//! it while an admin reviews it.
//!
//! The merchant id is derived from the event id (a UUIDv7 with the event's time and the event
//! id's random bits), so a redelivered event — e.g. after the grant succeeded but the commit
//! failed — finds the same merchant and the same grant instead of creating a second store.

use futures::future::BoxFuture;
use pos_api::Module;
use pos_api::pos::auth::v1::UserRegistered;
use pos_api::pos::common::v1::EventMeta;
use pos_api::pos::merchant::v1::{Merchant, MerchantCreated, MerchantStatus};
use pos_api::pos::role::v1::{GrantRoleRequest, ListRolesRequest};
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError, Outbox, OutboxEvent};
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

/// Creates the merchants of sign-ups.
pub(crate) struct SignupHandler {
    ctx: ModuleContext,
}

impl SignupHandler {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        SignupHandler { ctx }
    }

    async fn open(
        &self,
        tx: &mut PgConnection,
        event: &Event,
        registered: UserRegistered,
    ) -> Result<(), HandlerError> {
        let Some(signup) = registered.merchant else {
            return Ok(());
        };
        let owner = Uuid::parse_str(&registered.user_id)
            .map_err(|_| anyhow::anyhow!("UserRegistered without a valid user id"))?;
        let merchant_id = merchant_id_for(event);
        let time_zone = if signup.time_zone.is_empty() {
            "UTC".to_owned()
        } else {
            signup.time_zone
        };
        let contact_email = if signup.contact_email.is_empty() {
            registered.email.clone()
        } else {
            signup.contact_email
        };
        let inserted = sqlx::query!(
            "INSERT INTO merchants.merchants \
             (id, owner_user_id, name, description, address, contact_email, contact_phone, currency_code, time_zone) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            merchant_id,
            owner,
            &signup.name,
            &signup.description,
            &signup.address,
            &contact_email,
            &signup.contact_phone,
            &signup.currency_code,
            &time_zone,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let event_id = Uuid::now_v7();
            let created = MerchantCreated {
                meta: Some(EventMeta {
                    event_id: event_id.to_string(),
                    occur_time: Some(now()),
                    actor_user_id: owner.to_string(),
                    request_id: String::new(),
                }),
                merchant: Some(Merchant {
                    id: merchant_id.to_string(),
                    owner_user_id: owner.to_string(),
                    name: signup.name,
                    description: signup.description,
                    address: signup.address,
                    contact_email,
                    contact_phone: signup.contact_phone,
                    currency_code: signup.currency_code,
                    time_zone,
                    status: MerchantStatus::Pending.into(),
                    ..Merchant::default()
                }),
                owner_email: registered.email,
                owner_name: format!("{} {}", registered.first_name, registered.last_name)
                    .trim()
                    .to_owned(),
            };
            Outbox::of(Module::Merchant)
                .append(
                    &mut *tx,
                    &OutboxEvent::new(event_id, merchant_id.to_string(), &created),
                )
                .await?;
        }
        self.grant_owner(owner, merchant_id).await
    }

    /// Grants `merchant`, bound to the merchant; a grant that exists already is fine.
    async fn grant_owner(&self, owner: Uuid, merchant_id: Uuid) -> Result<(), HandlerError> {
        let mut roles = self.ctx.clients.role().map_err(anyhow::Error::from)?;
        let role = roles
            .list_roles(ListRolesRequest {
                query: "merchant".to_owned(),
                page_size: 50,
                ..ListRolesRequest::default()
            })
            .await
            .map_err(|status| anyhow::anyhow!("listing roles: {status}"))?
            .into_inner()
            .roles
            .into_iter()
            .find(|role| role.name == "merchant" && role.built_in)
            .ok_or_else(|| anyhow::anyhow!("the built-in merchant role is missing"))?;
        let granted = roles
            .grant_role(GrantRoleRequest {
                user_id: owner.to_string(),
                role_id: role.id,
                merchant_id: merchant_id.to_string(),
                cashier_id: String::new(),
            })
            .await;
        match granted {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::AlreadyExists => Ok(()),
            Err(status) => Err(anyhow::anyhow!("granting the merchant role: {status}").into()),
        }
    }
}

impl EventHandler for SignupHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type != UserRegistered::full_name() {
                return Ok(());
            }
            let registered: UserRegistered = event.decode()?;
            self.open(tx, event, registered).await
        })
    }
}

/// A UUIDv7 with the event's time and the event id's random bits: the same for every delivery.
fn merchant_id_for(event: &Event) -> Uuid {
    let millis = u64::try_from(event.occurred_at.timestamp_millis()).unwrap_or_default();
    let random: [u8; 10] = event.id.as_bytes()[6..16].try_into().expect("10 bytes");
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

fn now() -> prost_types::Timestamp {
    let now = chrono::Utc::now();
    prost_types::Timestamp {
        seconds: now.timestamp(),
        nanos: i32::try_from(now.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

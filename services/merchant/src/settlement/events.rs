//! The settlement events of `pos.merchant.v1.events`, keyed like every merchant event by the
//! merchant id (so one merchant's settlements stay in order), appended in the transaction of the
//! change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::events::{Actor, Outbox, OutboxEvent};

use super::store::SettlementRow;
use crate::owner::Owner;
use crate::store::{MerchantRow, timestamp};

/// Appends `SettlementRequested`.
pub(crate) async fn requested(
    conn: &mut PgConnection,
    actor: &Actor,
    settlement: &SettlementRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::SettlementRequested {
        meta: Some(actor.meta(id)),
        settlement_id: settlement.id.to_string(),
        merchant_id: settlement.merchant_id.to_string(),
        cut_off_time: Some(timestamp(settlement.cut_off_at)),
        currency_code: settlement.currency_code.clone(),
    };
    Outbox::of(Module::Merchant)
        .append(
            conn,
            &OutboxEvent::new(id, settlement.merchant_id.to_string(), &event),
        )
        .await
}

/// Appends `SettlementRecorded`.
pub(crate) async fn recorded(
    conn: &mut PgConnection,
    settlement: &SettlementRow,
    merchant: &MerchantRow,
    owner: &Owner,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::SettlementRecorded {
        meta: Some(Actor::default().meta(id)),
        settlement: Some(settlement.to_pb()),
        merchant_name: merchant.name.clone(),
        owner_user_id: merchant.owner_user_id.to_string(),
        owner_email: owner.email.clone(),
    };
    Outbox::of(Module::Merchant)
        .append(
            conn,
            &OutboxEvent::new(id, settlement.merchant_id.to_string(), &event),
        )
        .await
}

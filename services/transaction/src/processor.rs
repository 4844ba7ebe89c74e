//! The payment processor that charges CARD, E_WALLET and BANK_TRANSFER payments.
//!
//! Handlers see only the [`PaymentProcessor`] trait; which implementation serves a process is
//! chosen by `POS_PAYMENT_PROCESSOR` (see `docs/configuration.md`). The only one today is
//! [`Simulated`], a deterministic processor driven by test tokens (like a card network's sandbox);
//! a real processor (card acquirer, wallet, bank) plugs in behind the same trait.
//!
//! Handlers never hold a database transaction across a processor call: the payment is recorded
//! PENDING and committed first, then charged, then the outcome is applied in a second transaction.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use uuid::Uuid;

use pos_api::pos::transaction::v1::PaymentFailureReason;
use pos_platform::config::PaymentProcessorKind;

/// How long a charge may take before the payment is returned PENDING.
pub(crate) const CHARGE_DEADLINE: Duration = Duration::from_secs(10);

/// What the processor answered to a charge (or a cancel).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ChargeOutcome {
    /// The money moved; `reference` identifies the charge at the processor (never card data).
    Approved {
        /// Authorisation code or wallet/bank reference.
        reference: String,
    },
    /// No money moved.
    Declined {
        /// Why.
        reason: PaymentFailureReason,
        /// The processor's detail, for people.
        message: String,
    },
    /// No answer yet (or by the deadline); the payment stays PENDING.
    Pending,
}

/// A payment processor.
pub(crate) trait PaymentProcessor: Send + Sync + 'static {
    /// Charges `amount_minor` of `currency` against `token`; `payment_id` is the idempotency key
    /// at the processor (the same payment is never charged twice).
    fn charge<'a>(
        &'a self,
        payment_id: Uuid,
        token: &'a str,
        currency: &'a str,
        amount_minor: i64,
    ) -> BoxFuture<'a, ChargeOutcome>;

    /// Cancels the PENDING charge of `payment_id`: `Declined` (reason CANCELLED) when nothing was
    /// charged, `Approved` when the charge went through after all.
    fn cancel<'a>(&'a self, payment_id: Uuid, token: &'a str) -> BoxFuture<'a, ChargeOutcome>;
}

/// The processor `POS_PAYMENT_PROCESSOR` selects (`pos_platform::Config::payment_processor`).
pub(crate) fn configured(kind: PaymentProcessorKind) -> Arc<dyn PaymentProcessor> {
    match kind {
        PaymentProcessorKind::Simulated => Arc::new(Simulated),
    }
}

/// A deterministic processor for development and tests. Tokens:
/// `tok_decline` → DECLINED, `tok_insufficient_funds` → INSUFFICIENT_FUNDS, `tok_expired` →
/// EXPIRED, `tok_cancelled` → CANCELLED, `tok_unavailable` → PROCESSOR_UNAVAILABLE, `tok_pending`
/// → no answer (PENDING; a cancel then succeeds); anything else is approved with a reference
/// derived from the payment id.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Simulated;

impl Simulated {
    fn outcome(payment_id: Uuid, token: &str) -> ChargeOutcome {
        let declined = |reason, message: &str| ChargeOutcome::Declined {
            reason,
            message: message.to_owned(),
        };
        match token {
            "tok_decline" => declined(PaymentFailureReason::Declined, "the card was declined"),
            "tok_insufficient_funds" => {
                declined(PaymentFailureReason::InsufficientFunds, "insufficient funds")
            }
            "tok_expired" => declined(PaymentFailureReason::Expired, "the card has expired"),
            "tok_cancelled" => declined(PaymentFailureReason::Cancelled, "cancelled on the terminal"),
            "tok_unavailable" => declined(
                PaymentFailureReason::ProcessorUnavailable,
                "the processor could not be reached",
            ),
            "tok_pending" => ChargeOutcome::Pending,
            _ => ChargeOutcome::Approved {
                reference: format!("sim_{}", payment_id.simple()),
            },
        }
    }
}

impl PaymentProcessor for Simulated {
    fn charge<'a>(
        &'a self,
        payment_id: Uuid,
        token: &'a str,
        _currency: &'a str,
        _amount_minor: i64,
    ) -> BoxFuture<'a, ChargeOutcome> {
        Box::pin(async move { Simulated::outcome(payment_id, token) })
    }

    fn cancel<'a>(&'a self, _payment_id: Uuid, _token: &'a str) -> BoxFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            ChargeOutcome::Declined {
                reason: PaymentFailureReason::Cancelled,
                message: "cancelled before it was charged".to_owned(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn test_tokens_give_their_outcome() {
        let processor = Simulated;
        let id = Uuid::now_v7();
        let cases = [
            ("tok_decline", PaymentFailureReason::Declined),
            ("tok_insufficient_funds", PaymentFailureReason::InsufficientFunds),
            ("tok_expired", PaymentFailureReason::Expired),
            ("tok_cancelled", PaymentFailureReason::Cancelled),
            ("tok_unavailable", PaymentFailureReason::ProcessorUnavailable),
        ];
        for (token, expected) in cases {
            match processor.charge(id, token, "IDR", 100).await {
                ChargeOutcome::Declined { reason, .. } => assert_eq!(reason, expected, "{token}"),
                other => panic!("{token}: {other:?}"),
            }
        }
        assert_eq!(
            processor.charge(id, "tok_pending", "IDR", 100).await,
            ChargeOutcome::Pending
        );
        assert!(matches!(
            processor.charge(id, "tok_visa", "IDR", 100).await,
            ChargeOutcome::Approved { reference } if reference.starts_with("sim_")
        ));
    }
}

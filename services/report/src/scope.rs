//! What a caller may read: the request's filters narrowed to the caller's `report.read` scope.
//!
//! Admins (and platform modules) read anything; a merchant owner reads its merchant (an empty
//! `merchant_id` means it); a cashier reads its own figures (`merchant_id` and `cashier_id` are
//! forced to its own). Naming figures outside one's scope is `PERMISSION_DENIED` /
//! `REPORT_SCOPE_DENIED`. Ids are not checked for existence: an unknown id gives zeros.

use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;
use uuid::Uuid;

use crate::error::ReportError;

/// The permission every report RPC needs.
pub(crate) const PERMISSION: &str = "report.read";

/// The filters of a request, as sent (empty strings mean "not set").
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Requested<'a> {
    /// `merchant_id`.
    pub(crate) merchant_id: &'a str,
    /// `cashier_id`.
    pub(crate) cashier_id: &'a str,
    /// `category_id`.
    pub(crate) category_id: &'a str,
    /// `order_id`.
    pub(crate) order_id: &'a str,
}

/// The filters a request is answered with, combined with AND; none set means the platform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub(crate) struct Scope {
    /// Only this merchant's figures.
    pub(crate) merchant_id: Option<Uuid>,
    /// Only the figures of orders this cashier sold (payments it took).
    pub(crate) cashier_id: Option<Uuid>,
    /// Only this category's lines.
    pub(crate) category_id: Option<Uuid>,
    /// Only this order.
    pub(crate) order_id: Option<Uuid>,
}

/// `value` as an id, `None` when empty, `INVALID_ARGUMENT` on `field` when it is not a UUID.
fn id(field: &str, value: &str) -> Result<Option<Uuid>, ReportError> {
    if value.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(value)
        .map(Some)
        .map_err(|_| ReportError::invalid(field, "must be a UUID"))
}

/// The filters `auth` may be answered with for `requested`.
pub(crate) fn resolve(auth: &AuthContext, requested: Requested<'_>) -> Result<Scope, ReportError> {
    let asked = Scope {
        merchant_id: id("merchant_id", requested.merchant_id)?,
        cashier_id: id("cashier_id", requested.cashier_id)?,
        category_id: id("category_id", requested.category_id)?,
        order_id: id("order_id", requested.order_id)?,
    };
    narrow(auth.merchant_scope(PERMISSION), asked)
}

/// `asked` narrowed to `scope`.
fn narrow(scope: Option<MerchantScope>, asked: Scope) -> Result<Scope, ReportError> {
    match scope {
        None => Err(ReportError::PermissionMissing),
        Some(MerchantScope::Platform) => Ok(asked),
        Some(MerchantScope::Merchant(merchant_id)) => {
            if asked.merchant_id.is_some_and(|asked| asked != merchant_id) {
                return Err(ReportError::ScopeDenied { field: "merchant_id" });
            }
            Ok(Scope {
                merchant_id: Some(merchant_id),
                ..asked
            })
        }
        Some(MerchantScope::Cashier {
            merchant_id,
            cashier_id,
        }) => {
            if asked.merchant_id.is_some_and(|asked| asked != merchant_id) {
                return Err(ReportError::ScopeDenied { field: "merchant_id" });
            }
            if asked.cashier_id.is_some_and(|asked| asked != cashier_id) {
                return Err(ReportError::ScopeDenied { field: "cashier_id" });
            }
            Ok(Scope {
                merchant_id: Some(merchant_id),
                cashier_id: Some(cashier_id),
                ..asked
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(merchant_id: Option<Uuid>, cashier_id: Option<Uuid>) -> Scope {
        Scope {
            merchant_id,
            cashier_id,
            ..Scope::default()
        }
    }

    #[test]
    fn the_platform_reads_what_it_asks() {
        let merchant = Uuid::now_v7();
        let scope = narrow(Some(MerchantScope::Platform), asked(Some(merchant), None)).unwrap();
        assert_eq!(scope, asked(Some(merchant), None));
        assert_eq!(
            narrow(Some(MerchantScope::Platform), Scope::default()).unwrap(),
            Scope::default()
        );
    }

    #[test]
    fn an_owner_reads_its_merchant_implied_or_named_and_no_other() {
        let merchant = Uuid::now_v7();
        let owner = Some(MerchantScope::Merchant(merchant));
        assert_eq!(
            narrow(owner, Scope::default()).unwrap(),
            asked(Some(merchant), None)
        );
        assert_eq!(
            narrow(owner, asked(Some(merchant), None)).unwrap(),
            asked(Some(merchant), None)
        );
        let other = narrow(owner, asked(Some(Uuid::now_v7()), None)).unwrap_err();
        assert!(matches!(other, ReportError::ScopeDenied { field: "merchant_id" }));
    }

    #[test]
    fn a_cashier_reads_only_its_own_figures() {
        let merchant = Uuid::now_v7();
        let cashier = Uuid::now_v7();
        let own = Some(MerchantScope::Cashier {
            merchant_id: merchant,
            cashier_id: cashier,
        });
        let mine = asked(Some(merchant), Some(cashier));
        assert_eq!(narrow(own, Scope::default()).unwrap(), mine);
        assert_eq!(narrow(own, mine).unwrap(), mine);
        assert!(matches!(
            narrow(own, asked(None, Some(Uuid::now_v7()))).unwrap_err(),
            ReportError::ScopeDenied { field: "cashier_id" }
        ));
        assert!(matches!(
            narrow(own, asked(Some(Uuid::now_v7()), None)).unwrap_err(),
            ReportError::ScopeDenied { field: "merchant_id" }
        ));
    }

    #[test]
    fn a_caller_without_report_read_is_refused() {
        assert!(matches!(
            narrow(None, Scope::default()).unwrap_err(),
            ReportError::PermissionMissing
        ));
    }

    #[test]
    fn ids_that_are_not_uuids_are_invalid_arguments() {
        let auth = AuthContext::service("test");
        let error = resolve(
            &auth,
            Requested {
                category_id: "drinks",
                ..Requested::default()
            },
        )
        .unwrap_err();
        assert!(matches!(error, ReportError::InvalidField { field, .. } if field == "category_id"));
    }
}

//! Who is calling: the identity the access layer ([`crate::access`]) puts in the request
//! extensions before a handler runs.
//!
//! A caller is either a signed-in user (a verified access token, with the user's current grants)
//! or a module of the platform (the `x-pos-service` credential, see
//! [`crate::access::ServiceCredential`]), which acts with every permission platform-wide.
//!
//! The access layer already enforced the RPC's rule from `pos_api::policy`; handlers use the
//! context to decide *which rows* the caller may touch: [`AuthContext::merchant_scope`].

use std::collections::BTreeSet;

use tonic::{Request, Status};
use uuid::Uuid;

/// Who made the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in user.
    User {
        /// The user (`sub`).
        user_id: Uuid,
        /// The session of the access token (`sid`).
        session_id: Uuid,
    },
    /// A module of the platform (or `cargo xtask seed`), named by its credential.
    Service {
        /// The caller's name, e.g. `pos` or `seed`.
        name: String,
    },
}

/// The verified identity behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthContext {
    /// Who is calling.
    pub principal: Principal,
    /// Names of the caller's active roles (e.g. `admin`, `merchant`, `cashier`).
    pub roles: BTreeSet<String>,
    /// Every permission the caller's active grants confer, named `<module>.<action>`.
    pub permissions: BTreeSet<String>,
    /// The subset of [`Self::permissions`] granted platform-wide (not limited to a merchant).
    pub platform_permissions: BTreeSet<String>,
    /// The subset of [`Self::permissions`] granted on [`Self::merchant_id`] as its owner (grants
    /// bound to a cashier are not in it).
    pub merchant_permissions: BTreeSet<String>,
    /// The merchant the caller acts for (store owners and cashiers).
    pub merchant_id: Option<Uuid>,
    /// The cashier the caller is (cashiers only).
    pub cashier_id: Option<Uuid>,
}

/// Which rows of a merchant-owned resource a caller may touch with a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MerchantScope {
    /// Every merchant's rows (admins, services).
    Platform,
    /// Only this merchant's rows (its owner).
    Merchant(Uuid),
    /// Only this cashier's sales at this merchant.
    Cashier {
        /// The cashier's merchant.
        merchant_id: Uuid,
        /// The cashier.
        cashier_id: Uuid,
    },
}

impl AuthContext {
    /// The context of `request`, or `UNAUTHENTICATED` when the request carries none.
    pub fn require<T>(request: &Request<T>) -> Result<&AuthContext, Status> {
        request
            .extensions()
            .get::<AuthContext>()
            .ok_or_else(|| Status::unauthenticated("a valid access token is required"))
    }

    /// The context of a platform module's own call.
    pub fn service(name: impl Into<String>) -> Self {
        AuthContext {
            principal: Principal::Service { name: name.into() },
            roles: BTreeSet::new(),
            permissions: BTreeSet::new(),
            platform_permissions: BTreeSet::new(),
            merchant_permissions: BTreeSet::new(),
            merchant_id: None,
            cashier_id: None,
        }
    }

    /// The signed-in user, or `None` for a service call.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { user_id, .. } => Some(user_id),
            Principal::Service { .. } => None,
        }
    }

    /// The session of the access token, or `None` for a service call.
    pub fn session_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { session_id, .. } => Some(session_id),
            Principal::Service { .. } => None,
        }
    }

    /// Whether the caller is a module of the platform.
    pub fn is_service(&self) -> bool {
        matches!(self.principal, Principal::Service { .. })
    }

    /// Whether the caller holds `permission` (at any scope). Services hold every permission.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.is_service() || self.permissions.contains(permission)
    }

    /// Whether the caller holds `permission` platform-wide. Services do.
    pub fn has_platform_permission(&self, permission: &str) -> bool {
        self.is_service() || self.platform_permissions.contains(permission)
    }

    /// Whether the request is about the caller itself (e.g. GetUser of one's own id).
    pub fn is_user(&self, user_id: Uuid) -> bool {
        self.user_id() == Some(user_id)
    }

    /// The rows the caller may touch with `permission`: every merchant's when it holds it
    /// platform-wide, else its merchant's as owner, else its own sales as cashier, else none.
    pub fn merchant_scope(&self, permission: &str) -> Option<MerchantScope> {
        if self.has_platform_permission(permission) {
            return Some(MerchantScope::Platform);
        }
        let merchant_id = self.merchant_id?;
        if self.merchant_permissions.contains(permission) {
            return Some(MerchantScope::Merchant(merchant_id));
        }
        match self.cashier_id {
            Some(cashier_id) if self.permissions.contains(permission) => Some(MerchantScope::Cashier {
                merchant_id,
                cashier_id,
            }),
            _ => None,
        }
    }

    /// Whether the caller holds one of `grant`'s permissions at its scope or wider.
    pub fn satisfies(&self, grant: &pos_api::policy::Grant) -> bool {
        use pos_api::policy::Scope;
        grant.any_of.iter().any(|permission| match grant.scope {
            Scope::Platform => self.has_platform_permission(permission),
            Scope::Merchant => {
                self.has_platform_permission(permission) || self.merchant_permissions.contains(*permission)
            }
            Scope::Cashier => self.has_permission(permission),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(merchant: Uuid) -> AuthContext {
        AuthContext {
            principal: Principal::User {
                user_id: Uuid::now_v7(),
                session_id: Uuid::now_v7(),
            },
            roles: BTreeSet::from(["merchant".to_owned()]),
            permissions: BTreeSet::from(["product.write".to_owned()]),
            platform_permissions: BTreeSet::new(),
            merchant_permissions: BTreeSet::from(["product.write".to_owned()]),
            merchant_id: Some(merchant),
            cashier_id: None,
        }
    }

    #[test]
    fn a_request_without_context_is_unauthenticated() {
        let request = Request::new(());
        let status = AuthContext::require(&request).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn a_request_with_context_yields_it() {
        let context = owner(Uuid::now_v7());
        let mut request = Request::new(());
        request.extensions_mut().insert(context.clone());
        assert_eq!(AuthContext::require(&request).unwrap(), &context);
    }

    #[test]
    fn a_store_owner_is_limited_to_its_merchant() {
        let merchant = Uuid::now_v7();
        let context = owner(merchant);
        assert!(context.has_permission("product.write"));
        assert!(!context.has_platform_permission("product.write"));
        assert_eq!(
            context.merchant_scope("product.write"),
            Some(MerchantScope::Merchant(merchant))
        );
        assert_eq!(context.merchant_scope("order.refund"), None);
    }

    #[test]
    fn a_cashier_is_limited_to_its_own_sales() {
        let merchant = Uuid::now_v7();
        let cashier = Uuid::now_v7();
        let mut context = owner(merchant);
        context.merchant_permissions.clear();
        context.cashier_id = Some(cashier);
        assert_eq!(
            context.merchant_scope("product.write"),
            Some(MerchantScope::Cashier {
                merchant_id: merchant,
                cashier_id: cashier
            })
        );
    }

    #[test]
    fn services_act_platform_wide() {
        let context = AuthContext::service("pos");
        assert!(context.is_service());
        assert_eq!(context.user_id(), None);
        assert!(context.has_platform_permission("user.write"));
        assert_eq!(
            context.merchant_scope("order.refund"),
            Some(MerchantScope::Platform)
        );
    }
}

//! Who is calling: the authentication context a verified access token yields.
//!
//! An interceptor (built with the identity module) verifies the token and stores an
//! [`AuthContext`] in the request extensions; handlers read it from there.

use std::collections::BTreeSet;

use tonic::{Request, Status};
use uuid::Uuid;

/// The verified identity behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthContext {
    /// The user the access token was issued to.
    pub user_id: Uuid,
    /// Names of the roles granted to the user (e.g. `admin`, `merchant`, `cashier`).
    pub roles: BTreeSet<String>,
    /// Permissions the roles grant, named `<module>.<action>`.
    pub permissions: BTreeSet<String>,
    /// The merchant the user acts for (store owners and cashiers).
    pub merchant_id: Option<Uuid>,
    /// The cashier account the user is (cashiers only).
    pub cashier_id: Option<Uuid>,
}

impl AuthContext {
    /// The context of `request`, or `UNAUTHENTICATED` when the request carries none.
    pub fn require<T>(request: &Request<T>) -> Result<&AuthContext, Status> {
        request
            .extensions()
            .get::<AuthContext>()
            .ok_or_else(|| Status::unauthenticated("a valid access token is required"))
    }

    /// Whether the user holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_context_is_unauthenticated() {
        let request = Request::new(());
        let status = AuthContext::require(&request).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn a_request_with_context_yields_it() {
        let context = AuthContext {
            user_id: Uuid::now_v7(),
            roles: BTreeSet::from(["cashier".to_owned()]),
            permissions: BTreeSet::from(["order.write".to_owned()]),
            merchant_id: Some(Uuid::now_v7()),
            cashier_id: None,
        };
        let mut request = Request::new(());
        request.extensions_mut().insert(context.clone());
        let found = AuthContext::require(&request).unwrap();
        assert_eq!(found, &context);
        assert!(found.has_permission("order.write"));
        assert!(!found.has_permission("order.refund"));
    }
}

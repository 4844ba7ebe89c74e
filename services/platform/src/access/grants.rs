//! What a user may do right now: the user's role grants, resolved through the role module
//! (`RoleService.ListUserRoles`, called with the service credential) and cached in this process.
//!
//! The cache is dropped as soon as the role or user module says something changed (see
//! [`super::invalidation`]: every process follows `pos.role.v1.events` and `pos.user.v1.events`);
//! entries also expire after [`TTL`], which bounds staleness if the broker is unreachable.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pos_api::Clients;
use pos_api::pos::role::v1::{ListUserRolesRequest, ListUserRolesResponse};
use uuid::Uuid;

/// How long a resolved set of grants is reused without an invalidating event.
pub const TTL: Duration = Duration::from_secs(60);

/// The effective grants of one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Names of the active roles granted.
    pub roles: BTreeSet<String>,
    /// Every permission the active grants confer.
    pub permissions: BTreeSet<String>,
    /// Permissions from platform-wide grants.
    pub platform_permissions: BTreeSet<String>,
    /// Permissions from grants bound to a merchant but not to a cashier.
    pub merchant_permissions: BTreeSet<String>,
    /// The merchant the user acts for.
    pub merchant_id: Option<Uuid>,
    /// The cashier the user is.
    pub cashier_id: Option<Uuid>,
}

impl Grants {
    /// The grants described by a `ListUserRoles` answer; grants of trashed roles confer nothing.
    pub fn from_response(response: &ListUserRolesResponse) -> Self {
        let mut grants = Grants::default();
        for grant in &response.grants {
            let Some(role) = grant.role.as_ref().filter(|role| role.delete_time.is_none()) else {
                continue;
            };
            let merchant_id = Uuid::parse_str(&grant.merchant_id).ok();
            let cashier_id = Uuid::parse_str(&grant.cashier_id).ok();
            grants.roles.insert(role.name.clone());
            grants.permissions.extend(role.permissions.iter().cloned());
            match (merchant_id, cashier_id) {
                (None, _) => grants
                    .platform_permissions
                    .extend(role.permissions.iter().cloned()),
                (Some(merchant), None) => {
                    grants.merchant_id = Some(merchant);
                    grants
                        .merchant_permissions
                        .extend(role.permissions.iter().cloned());
                }
                (Some(merchant), Some(cashier)) => {
                    grants.merchant_id = Some(merchant);
                    grants.cashier_id = Some(cashier);
                }
            }
        }
        grants
    }
}

/// Cached grants by user, with the time they were resolved.
type Entries = HashMap<Uuid, (Instant, Arc<Grants>)>;

/// How many locks serialise the resolutions of users (a user always maps to the same one).
const RESOLUTION_STRIPES: usize = 64;

/// Resolves and caches grants. Concurrent misses for one user wait for a single resolution
/// instead of each asking the role module (a burst of a new session's first calls would
/// otherwise exhaust its connections).
#[derive(Clone)]
pub(crate) struct GrantCache {
    clients: Clients,
    entries: Arc<Mutex<Entries>>,
    resolving: Arc<[tokio::sync::Mutex<()>]>,
}

impl GrantCache {
    pub(crate) fn new(clients: Clients) -> Self {
        GrantCache {
            clients,
            entries: Arc::new(Mutex::new(HashMap::new())),
            resolving: (0..RESOLUTION_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The grants of `user_id`, from the cache (`true`: they may be stale) or the role module.
    pub(crate) async fn resolve(&self, user_id: Uuid) -> Result<(Arc<Grants>, bool), tonic::Status> {
        if let Some(grants) = self.cached(user_id) {
            return Ok((grants, true));
        }
        let _turn = self.turn(user_id).lock().await;
        // Resolved by the call this one waited for: as fresh as a fetch of its own.
        if let Some(grants) = self.cached(user_id) {
            return Ok((grants, false));
        }
        Ok((self.fetch_now(user_id).await?, false))
    }

    /// The grants of `user_id` from the role module, cached.
    pub(crate) async fn fetch(&self, user_id: Uuid) -> Result<Arc<Grants>, tonic::Status> {
        let _turn = self.turn(user_id).lock().await;
        self.fetch_now(user_id).await
    }

    /// The lock that serialises resolutions of `user_id`.
    fn turn(&self, user_id: Uuid) -> &tokio::sync::Mutex<()> {
        let stripe = usize::try_from(user_id.as_u128() % RESOLUTION_STRIPES as u128).unwrap_or(0);
        &self.resolving[stripe]
    }

    async fn fetch_now(&self, user_id: Uuid) -> Result<Arc<Grants>, tonic::Status> {
        let response = self
            .clients
            .role()?
            .list_user_roles(ListUserRolesRequest {
                user_id: user_id.to_string(),
            })
            .await?
            .into_inner();
        let grants = Arc::new(Grants::from_response(&response));
        self.lock().insert(user_id, (Instant::now(), Arc::clone(&grants)));
        Ok(grants)
    }

    /// Drops what is cached for `user_id`.
    pub(crate) fn forget_user(&self, user_id: Uuid) {
        self.lock().remove(&user_id);
    }

    /// Drops everything (a role's permissions changed: any user may be affected).
    pub(crate) fn forget_all(&self) {
        self.lock().clear();
    }

    fn cached(&self, user_id: Uuid) -> Option<Arc<Grants>> {
        let mut entries = self.lock();
        match entries.get(&user_id) {
            Some((at, grants)) if at.elapsed() < TTL => Some(Arc::clone(grants)),
            Some(_) => {
                entries.remove(&user_id);
                None
            }
            None => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use pos_api::pos::role::v1::{Role, RoleGrant};

    use super::*;

    fn grant(name: &str, permissions: &[&str], merchant: Option<Uuid>, cashier: Option<Uuid>) -> RoleGrant {
        RoleGrant {
            role: Some(Role {
                name: name.to_owned(),
                permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
                ..Default::default()
            }),
            merchant_id: merchant.map(|id| id.to_string()).unwrap_or_default(),
            cashier_id: cashier.map(|id| id.to_string()).unwrap_or_default(),
            ..Default::default()
        }
    }

    #[test]
    fn platform_merchant_and_cashier_grants_land_in_their_scopes() {
        let merchant = Uuid::now_v7();
        let cashier = Uuid::now_v7();
        let response = ListUserRolesResponse {
            grants: vec![
                grant("auditor", &["report.read"], None, None),
                grant("merchant", &["product.write"], Some(merchant), None),
                grant("cashier", &["order.write"], Some(merchant), Some(cashier)),
            ],
            permissions: Vec::new(),
        };
        let grants = Grants::from_response(&response);
        assert_eq!(
            grants.platform_permissions,
            BTreeSet::from(["report.read".to_owned()])
        );
        assert_eq!(
            grants.merchant_permissions,
            BTreeSet::from(["product.write".to_owned()])
        );
        assert!(grants.permissions.contains("order.write"));
        assert_eq!(grants.merchant_id, Some(merchant));
        assert_eq!(grants.cashier_id, Some(cashier));
        assert_eq!(grants.roles.len(), 3);
    }

    #[test]
    fn a_trashed_role_confers_nothing() {
        let mut trashed = grant("auditor", &["report.read"], None, None);
        trashed.role.as_mut().unwrap().delete_time = Some(prost_types::Timestamp::default());
        let grants = Grants::from_response(&ListUserRolesResponse {
            grants: vec![trashed],
            permissions: Vec::new(),
        });
        assert_eq!(grants, Grants::default());
    }
}

//! The access layer in front of every module's services: it finds the RPC's rule in
//! `pos_api::policy`, authenticates the caller (service credential or bearer access token),
//! refuses revoked sessions, resolves the caller's current grants and enforces the rule — all
//! before the handler runs, which then finds an [`AuthContext`] in the request extensions.
//!
//! Paths that are not RPCs of the platform (health, reflection) pass untouched.

use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::Utc;
use futures::future::BoxFuture;
use pos_api::policy::{self, Rule};
use pos_api::{Clients, Module};
use tonic::body::Body;
use tonic::{Code, Status};
use tower::{Layer, Service};

use super::grants::GrantCache;
use super::keys::{KeysError, SigningKeys};
use super::revocation;
use super::service_credential::{HEADER as SERVICE_HEADER, ServiceCredential};
use crate::access_token::TokenError;
use crate::auth::{AuthContext, Principal};
use crate::events::KafkaSettings;
use crate::redis_pool::RedisPool;
use crate::status;

/// What the access layer needs; one per process, shared by its layers.
#[derive(Clone)]
pub struct Access {
    credentials: ServiceCredential,
    keys: SigningKeys,
    grants: GrantCache,
    redis: RedisPool,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").finish_non_exhaustive()
    }
}

impl Access {
    /// Access control that asks the auth and role modules through `clients`.
    pub fn new(credentials: ServiceCredential, clients: Clients, redis: RedisPool) -> Self {
        Access {
            credentials,
            keys: SigningKeys::new(clients.clone()),
            grants: GrantCache::new(clients),
            redis,
        }
    }

    /// The tower layer enforcing the policy.
    pub fn layer(&self) -> AccessLayer {
        AccessLayer {
            access: Arc::new(self.clone()),
        }
    }

    /// Follows the role and user topics, dropping cached grants on change, until `stop`.
    pub async fn follow_changes(&self, settings: KafkaSettings, stop: tokio::sync::watch::Receiver<bool>) {
        super::invalidation::follow(settings, self.grants.clone(), stop).await;
    }

    /// Who is calling, or the status refusing the request under `rule`.
    async fn authorize(&self, rule: Rule, headers: http::HeaderMap) -> Result<Option<AuthContext>, Status> {
        if let Some(credential) = headers.get(SERVICE_HEADER) {
            let name = credential
                .to_str()
                .ok()
                .and_then(|credential| self.credentials.verify(credential, Utc::now()).ok())
                .ok_or_else(|| {
                    refused(
                        Code::Unauthenticated,
                        "SERVICE_CREDENTIAL_INVALID",
                        "invalid service credential",
                    )
                })?;
            return Ok(Some(AuthContext::service(name)));
        }
        if rule == Rule::Anonymous {
            return Ok(None);
        }
        let token = bearer(&headers).ok_or_else(|| {
            refused(
                Code::Unauthenticated,
                "TOKEN_MISSING",
                "an access token is required (authorization: Bearer …)",
            )
        })?;
        let claims = self.keys.verify(token).await.map_err(|error| match error {
            KeysError::Token(TokenError::Expired) => refused(
                Code::Unauthenticated,
                "TOKEN_EXPIRED",
                "the access token has expired; refresh the session",
            ),
            KeysError::Token(_) => refused(
                Code::Unauthenticated,
                "TOKEN_INVALID",
                "the access token is not valid",
            ),
            KeysError::Unavailable(cause) => {
                tracing::warn!(%cause, "cannot verify access tokens");
                status::error(
                    Code::Unavailable,
                    Module::Auth,
                    "DEPENDENCY_UNAVAILABLE",
                    "the auth module is unavailable, retry later",
                    [],
                )
            }
        })?;
        match revocation::is_revoked(&self.redis, claims.session_id).await {
            Some(true) => {
                return Err(refused(
                    Code::Unauthenticated,
                    "SESSION_REVOKED",
                    "the session has ended; sign in again",
                ));
            }
            Some(false) => {}
            None => tracing::warn!("Redis did not answer; session revocation not checked for this request"),
        }
        let unavailable = |error: tonic::Status| {
            tracing::warn!(error = %error.message(), "cannot resolve the caller's grants");
            status::error(
                Code::Unavailable,
                Module::Role,
                "DEPENDENCY_UNAVAILABLE",
                "the role module is unavailable, retry later",
                [],
            )
        };
        let (mut grants, cached) = self.grants.resolve(claims.user_id).await.map_err(unavailable)?;
        if let Rule::Requires(grant) = rule
            && cached
            && !context_of(&claims, &grants).satisfies(&grant)
        {
            // Cached grants are refreshed by role events, which lag: a grant made a moment ago
            // (e.g. the owner role of a merchant just created) must not be refused. Ask again.
            grants = self.grants.fetch(claims.user_id).await.map_err(unavailable)?;
        }
        let context = context_of(&claims, &grants);
        if let Rule::Requires(grant) = rule
            && !context.satisfies(&grant)
        {
            return Err(status::error(
                Code::PermissionDenied,
                Module::Auth,
                "PERMISSION_MISSING",
                format!(
                    "this needs permission {} ({:?} scope)",
                    grant.any_of.join(" or "),
                    grant.scope
                ),
                [("permission".to_owned(), grant.any_of.join(","))],
            ));
        }
        Ok(Some(context))
    }
}

/// The context of a signed-in user holding `grants`.
fn context_of(claims: &crate::access_token::AccessClaims, grants: &super::grants::Grants) -> AuthContext {
    AuthContext {
        principal: Principal::User {
            user_id: claims.user_id,
            session_id: claims.session_id,
        },
        roles: grants.roles.clone(),
        permissions: grants.permissions.clone(),
        platform_permissions: grants.platform_permissions.clone(),
        merchant_permissions: grants.merchant_permissions.clone(),
        merchant_id: grants.merchant_id,
        cashier_id: grants.cashier_id,
    }
}

fn refused(code: Code, reason: &str, message: &str) -> Status {
    status::error(code, Module::Auth, reason, message, [])
}

fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Applies [`Access`] to a service stack.
#[derive(Clone, Debug)]
pub struct AccessLayer {
    access: Arc<Access>,
}

impl<S> Layer<S> for AccessLayer {
    type Service = AccessService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessService {
            access: Arc::clone(&self.access),
            inner,
        }
    }
}

/// The service [`AccessLayer`] produces.
#[derive(Clone, Debug)]
pub struct AccessService<S> {
    access: Arc<Access>,
    inner: S,
}

impl<S> Service<http::Request<Body>> for AccessService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The clone is ready only after poll_ready; keep the ready one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let access = Arc::clone(&self.access);
        Box::pin(async move {
            request.extensions_mut().remove::<AuthContext>();
            let Some(rule) = policy::rule(request.uri().path()) else {
                return inner.call(request).await;
            };
            match access.authorize(rule, request.headers().clone()).await {
                Ok(Some(context)) => {
                    request.extensions_mut().insert(context);
                    inner.call(request).await
                }
                Ok(None) => inner.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

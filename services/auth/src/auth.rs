//! `pos.auth.v1.AuthService`: the trait implementation, delegating each RPC to its flow
//! (`register.rs`, `login.rs`, `refresh.rs`, `signout.rs`, `passwords.rs`, `me.rs`,
//! `provision.rs`, `signing.rs`).

use tonic::{Request, Response, Status};

use pos_api::pos::auth::v1 as pb;
use pos_api::pos::auth::v1::auth_service_server::AuthService;
use pos_platform::ModuleContext;

use crate::error::AuthError;
use crate::keys::KeyRing;

/// Handlers of `pos.auth.v1.AuthService`.
pub(crate) struct AuthApi {
    pub(crate) ctx: ModuleContext,
    pub(crate) keys: KeyRing,
}

impl AuthApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        let keys = KeyRing::new(ctx.db.clone());
        AuthApi { ctx, keys }
    }
}

fn answer<T>(result: Result<T, AuthError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn register(
        &self,
        request: Request<pb::RegisterRequest>,
    ) -> Result<Response<pb::RegisterResponse>, Status> {
        answer(self.register_flow(request).await)
    }

    async fn verify_email(
        &self,
        request: Request<pb::VerifyEmailRequest>,
    ) -> Result<Response<pb::VerifyEmailResponse>, Status> {
        answer(self.verify_email_flow(request).await)
    }

    async fn resend_verification_code(
        &self,
        request: Request<pb::ResendVerificationCodeRequest>,
    ) -> Result<Response<pb::ResendVerificationCodeResponse>, Status> {
        answer(self.resend_verification_code_flow(request).await)
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Result<Response<pb::LoginResponse>, Status> {
        answer(self.login_flow(request).await)
    }

    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        answer(self.refresh_session_flow(request).await)
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        answer(self.logout_flow(request).await)
    }

    async fn logout_all_sessions(
        &self,
        request: Request<pb::LogoutAllSessionsRequest>,
    ) -> Result<Response<pb::LogoutAllSessionsResponse>, Status> {
        answer(self.logout_all_sessions_flow(request).await)
    }

    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<Response<pb::GetMeResponse>, Status> {
        answer(self.get_me_flow(request).await)
    }

    async fn forgot_password(
        &self,
        request: Request<pb::ForgotPasswordRequest>,
    ) -> Result<Response<pb::ForgotPasswordResponse>, Status> {
        answer(self.forgot_password_flow(request).await)
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        answer(self.reset_password_flow(request).await)
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        answer(self.change_password_flow(request).await)
    }

    async fn provision_credential(
        &self,
        request: Request<pb::ProvisionCredentialRequest>,
    ) -> Result<Response<pb::ProvisionCredentialResponse>, Status> {
        answer(self.provision_credential_flow(request).await)
    }

    async fn list_signing_keys(
        &self,
        request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        answer(self.list_signing_keys_flow(request).await)
    }
}

//! `pos.auth.v1.AuthService`.

use tonic::{Request, Response, Status};

use pos_api::pos::auth::v1 as pb;
use pos_api::pos::auth::v1::auth_service_server::AuthService;
use pos_platform::ModuleContext;

use crate::error::AuthError;

/// Handlers of `pos.auth.v1.AuthService`.
pub(crate) struct AuthApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #5")]
    ctx: ModuleContext,
}

impl AuthApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        AuthApi { ctx }
    }
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn register(
        &self,
        _request: Request<pb::RegisterRequest>,
    ) -> Result<Response<pb::RegisterResponse>, Status> {
        Err(AuthError::NotBuiltYet("Register").into())
    }

    async fn verify_email(
        &self,
        _request: Request<pb::VerifyEmailRequest>,
    ) -> Result<Response<pb::VerifyEmailResponse>, Status> {
        Err(AuthError::NotBuiltYet("VerifyEmail").into())
    }

    async fn resend_verification_code(
        &self,
        _request: Request<pb::ResendVerificationCodeRequest>,
    ) -> Result<Response<pb::ResendVerificationCodeResponse>, Status> {
        Err(AuthError::NotBuiltYet("ResendVerificationCode").into())
    }

    async fn login(
        &self,
        _request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        Err(AuthError::NotBuiltYet("Login").into())
    }

    async fn refresh_session(
        &self,
        _request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        Err(AuthError::NotBuiltYet("RefreshSession").into())
    }

    async fn logout(
        &self,
        _request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        Err(AuthError::NotBuiltYet("Logout").into())
    }

    async fn logout_all_sessions(
        &self,
        _request: Request<pb::LogoutAllSessionsRequest>,
    ) -> Result<Response<pb::LogoutAllSessionsResponse>, Status> {
        Err(AuthError::NotBuiltYet("LogoutAllSessions").into())
    }

    async fn get_me(
        &self,
        _request: Request<pb::GetMeRequest>,
    ) -> Result<Response<pb::GetMeResponse>, Status> {
        Err(AuthError::NotBuiltYet("GetMe").into())
    }

    async fn forgot_password(
        &self,
        _request: Request<pb::ForgotPasswordRequest>,
    ) -> Result<Response<pb::ForgotPasswordResponse>, Status> {
        Err(AuthError::NotBuiltYet("ForgotPassword").into())
    }

    async fn reset_password(
        &self,
        _request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        Err(AuthError::NotBuiltYet("ResetPassword").into())
    }

    async fn change_password(
        &self,
        _request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        Err(AuthError::NotBuiltYet("ChangePassword").into())
    }

    async fn provision_credential(
        &self,
        _request: Request<pb::ProvisionCredentialRequest>,
    ) -> Result<Response<pb::ProvisionCredentialResponse>, Status> {
        Err(AuthError::NotBuiltYet("ProvisionCredential").into())
    }

    async fn list_signing_keys(
        &self,
        _request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        Err(AuthError::NotBuiltYet("ListSigningKeys").into())
    }
}

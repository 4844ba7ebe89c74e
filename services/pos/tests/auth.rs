//! The auth module end to end, through a real `pos` process with every module (and the real access
//! layer) against PostgreSQL, Redis, the Kafka-protocol broker and an SMTP sink.
//!
//! Every test starts its own platform, but platforms share the broker's topics and consumer groups
//! (`<module>@<topic>`), so an event may be consumed by another test's process. The tests of this
//! file therefore run one at a time ([`SERIAL`]). Most of them read the secrets they need (codes,
//! reset tokens) from their own database's auth outbox — exactly what the mailer receives — so they
//! do not depend on other modules' consumers; three exercise the consumers on purpose: the issue's
//! flow (mail through the notification module, the profile through the user module), a trashed user
//! and an email change (the auth module's consumer of user events).

#[path = "support/platform.rs"]
mod platform;
#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use platform::{PASSWORD, TestPlatform, bearer, eventually};
use pos_api::pos::auth::v1 as pb;
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::user::v1::user_service_client::UserServiceClient;
use pos_api::pos::user::v1::{DeleteUserRequest, RestoreUserRequest, UpdateUserRequest, User};
use pos_platform::access_token::{TokenVerifier, VerifyingKey};
use smtp::SmtpSink;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// One platform at a time (see the module comment).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long event-driven effects (mail, consumers) may take. Generous: a platform's consumers join
/// groups whose previous members (the last test's process) may hold partitions until Kafka's
/// 45-second session timeout.
const WAIT: Duration = Duration::from_secs(120);

const NEW_PASSWORD: &str = "a different long passphrase";

// ---------------------------------------------------------------------------------------------
// The flow
// ---------------------------------------------------------------------------------------------

/// Issue #5's "done when": register → the email arrives → verify → login → refresh → reuse of the
/// old refresh token revokes the family (and the session's access token is refused) → reset the
/// password from a mailed link → the old sessions are gone.
#[tokio::test]
async fn register_verify_login_refresh_reuse_and_reset_run_end_to_end_with_real_mail() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let platform = TestPlatform::start_with(&["--smtp-url", &url]).await;
    let mut auth = auth(&platform).await;
    let email = unique_email("flow");

    auth.register(register_request(&email, PASSWORD)).await.unwrap();
    let mail = sink.wait_for(&email, WAIT).await;
    let code = six_digit_code(&mail.text_body).unwrap_or_else(|| panic!("no code in {:?}", mail.text_body));
    auth.verify_email(pb::VerifyEmailRequest {
        email: email.clone(),
        code,
    })
    .await
    .unwrap();

    let first = login(&mut auth, &email, PASSWORD).await;
    let me = eventually(WAIT, "GetMe to find the registered user", || {
        let mut auth = auth.clone();
        let token = first.access_token.clone();
        async move { auth.get_me(bearer(&token, pb::GetMeRequest {})).await.ok() }
    })
    .await
    .into_inner();
    assert_eq!(me.user.expect("the user").email, email);
    assert_eq!(me.session_id, first.session_id);

    let refreshed = auth
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: first.refresh_token.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .expect("tokens");
    assert_eq!(
        refreshed.session_id, first.session_id,
        "a refresh keeps the session"
    );
    assert_ne!(
        refreshed.refresh_token, first.refresh_token,
        "the refresh token rotates"
    );

    let reuse = auth
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: first.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&reuse, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
    let family = auth
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: refreshed.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&family, Code::Unauthenticated, "REFRESH_TOKEN_INVALID");
    refused_as_revoked(&auth, &refreshed.access_token).await;

    let second = login(&mut auth, &email, PASSWORD).await;
    auth.forgot_password(pb::ForgotPasswordRequest { email: email.clone() })
        .await
        .unwrap();
    let reset_mail = eventually(WAIT, "the password reset mail", || {
        let mails = sink.messages_to(&email);
        async move {
            mails
                .into_iter()
                .find(|mail| reset_token(&mail.text_body).is_some())
        }
    })
    .await;
    let token = reset_token(&reset_mail.text_body).expect("a reset token");
    auth.reset_password(pb::ResetPasswordRequest {
        reset_token: token,
        new_password: NEW_PASSWORD.to_owned(),
    })
    .await
    .unwrap();

    let old_session = auth
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: second.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&old_session, Code::Unauthenticated, "REFRESH_TOKEN_INVALID");
    refused_as_revoked(&auth, &second.access_token).await;
    let old_password = auth.login(login_request(&email, PASSWORD)).await.unwrap_err();
    assert_error(&old_password, Code::Unauthenticated, "INVALID_CREDENTIALS");
    login(&mut auth, &email, NEW_PASSWORD).await;

    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// No enumeration
// ---------------------------------------------------------------------------------------------

/// Register answers the same empty response for a new, an unverified and a verified email, and
/// never creates a second account.
#[tokio::test]
async fn register_answers_the_same_for_new_unverified_and_verified_emails() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let fresh = unique_email("fresh");
    let verified = unique_email("verified");
    signed_up(&platform, &verified).await;

    let new = auth
        .register(register_request(&fresh, PASSWORD))
        .await
        .unwrap()
        .into_inner();
    let again = auth
        .register(register_request(&fresh, PASSWORD))
        .await
        .unwrap()
        .into_inner();
    let taken = auth
        .register(register_request(&verified, PASSWORD))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(new, pb::RegisterResponse {});
    assert_eq!(again, new);
    assert_eq!(taken, new);
    assert_eq!(credentials_with_email(&platform, &fresh).await, 1);
    assert_eq!(credentials_with_email(&platform, &verified).await, 1);
    platform.stop().await;
}

/// ForgotPassword and ResendVerificationCode answer OK whether the email has an account or not.
#[tokio::test]
async fn forgot_password_and_resend_code_answer_the_same_for_known_and_unknown_emails() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let known = unique_email("known");
    signed_up(&platform, &known).await;
    let unverified = unique_email("unverified");
    auth.register(register_request(&unverified, PASSWORD))
        .await
        .unwrap();
    let unknown = unique_email("unknown");

    for email in [&known, &unknown] {
        let answer = auth
            .forgot_password(pb::ForgotPasswordRequest { email: email.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer, pb::ForgotPasswordResponse {}, "{email}");
    }
    for email in [&known, &unverified, &unknown] {
        let answer = auth
            .resend_verification_code(pb::ResendVerificationCodeRequest { email: email.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer, pb::ResendVerificationCodeResponse {}, "{email}");
    }
    platform.stop().await;
}

/// Login refuses an unknown email and a wrong password with the same code and reason.
#[tokio::test]
async fn login_refuses_an_unknown_email_and_a_wrong_password_alike() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let known = unique_email("known");
    signed_up(&platform, &known).await;

    let unknown = auth
        .login(login_request(&unique_email("nobody"), PASSWORD))
        .await
        .unwrap_err();
    let wrong = auth
        .login(login_request(&known, "not the password at all"))
        .await
        .unwrap_err();

    assert_error(&unknown, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_error(&wrong, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(unknown.message(), wrong.message());
    platform.stop().await;
}

/// An unverified account is told so, but only once the password was right.
#[tokio::test]
async fn an_unverified_email_is_refused_only_after_a_correct_password() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("unverified");
    auth.register(register_request(&email, PASSWORD)).await.unwrap();

    let wrong = auth
        .login(login_request(&email, "not the password at all"))
        .await
        .unwrap_err();
    let right = auth.login(login_request(&email, PASSWORD)).await.unwrap_err();

    assert_error(&wrong, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_error(&right, Code::FailedPrecondition, "EMAIL_NOT_VERIFIED");
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Brute force
// ---------------------------------------------------------------------------------------------

/// Ten failed logins lock the email: the eleventh attempt is refused with ACCOUNT_LOCKED and a
/// retry delay, even with the right password.
#[tokio::test]
async fn ten_failed_logins_lock_the_email_even_for_the_right_password() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("locked");
    signed_up(&platform, &email).await;

    for attempt in 1..=10 {
        let failure = auth
            .login(login_request(&email, "not the password at all"))
            .await
            .unwrap_err();
        assert_eq!(
            reason(&failure),
            "INVALID_CREDENTIALS",
            "attempt {attempt}: {failure:?}"
        );
    }
    let locked = auth.login(login_request(&email, PASSWORD)).await.unwrap_err();

    assert_error(&locked, Code::ResourceExhausted, "ACCOUNT_LOCKED");
    let retry_after: u64 = locked
        .get_error_details()
        .error_info()
        .expect("error info")
        .metadata["retry_after_seconds"]
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry_after), "retry after {retry_after} s");
    let lock_event = outbox_events::<pb::AccountLocked>(&platform).await;
    assert_eq!(lock_event.len(), 1, "one AccountLocked");
    assert_eq!(lock_event[0].failed_attempts, 10);
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Verification codes
// ---------------------------------------------------------------------------------------------

/// A wrong code and an unknown email fail alike; five wrong codes burn the code, after which the
/// right one fails too.
#[tokio::test]
async fn five_wrong_codes_burn_the_verification_code() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("burn");
    auth.register(register_request(&email, PASSWORD)).await.unwrap();
    let code = verification_code(&platform, &email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let unknown = auth
        .verify_email(pb::VerifyEmailRequest {
            email: unique_email("nobody"),
            code: code.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&unknown, Code::InvalidArgument, "VERIFICATION_CODE_INVALID");
    for _ in 0..5 {
        let failure = verify(&mut auth, &email, wrong).await.unwrap_err();
        assert_error(&failure, Code::InvalidArgument, "VERIFICATION_CODE_INVALID");
    }
    let burnt = verify(&mut auth, &email, &code).await.unwrap_err();

    assert_error(&burnt, Code::InvalidArgument, "VERIFICATION_CODE_INVALID");
    platform.stop().await;
}

/// A code stops working when it expires (15 minutes; the test moves its expiry into the past).
#[tokio::test]
async fn an_expired_verification_code_is_refused() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("expired");
    auth.register(register_request(&email, PASSWORD)).await.unwrap();
    let code = verification_code(&platform, &email).await;
    sqlx::query("UPDATE auth.verification_codes SET expires_at = now() - interval '1 second'")
        .execute(&platform.database.pool)
        .await
        .unwrap();

    let expired = verify(&mut auth, &email, &code).await.unwrap_err();

    assert_error(&expired, Code::InvalidArgument, "VERIFICATION_CODE_INVALID");
    platform.stop().await;
}

/// A used code cannot verify again, and a resent code replaces the previous one.
#[tokio::test]
async fn a_code_works_once_and_a_resent_code_replaces_the_previous_one() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("resend");
    auth.register(register_request(&email, PASSWORD)).await.unwrap();
    let first = verification_code(&platform, &email).await;
    auth.resend_verification_code(pb::ResendVerificationCodeRequest { email: email.clone() })
        .await
        .unwrap();
    let codes = outbox_events::<pb::VerificationCodeIssued>(&platform).await;
    let second = codes.last().expect("a resent code").verification_code.clone();

    if first != second {
        let replaced = verify(&mut auth, &email, &first).await.unwrap_err();
        assert_error(&replaced, Code::InvalidArgument, "VERIFICATION_CODE_INVALID");
    }
    verify(&mut auth, &email, &second).await.unwrap();
    let used = verify(&mut auth, &email, &second).await.unwrap_err();

    assert_error(&used, Code::InvalidArgument, "VERIFICATION_CODE_INVALID");
    login(&mut auth, &email, PASSWORD).await;
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------

/// A reset token sets the password once; the second use is refused.
#[tokio::test]
async fn a_reset_token_works_once() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("reset");
    signed_up(&platform, &email).await;
    auth.forgot_password(pb::ForgotPasswordRequest { email: email.clone() })
        .await
        .unwrap();
    let token = outbox_events::<pb::PasswordResetRequested>(&platform)
        .await
        .pop()
        .expect("a reset token")
        .reset_token;

    let reset = |password: &str| pb::ResetPasswordRequest {
        reset_token: token.clone(),
        new_password: password.to_owned(),
    };
    auth.reset_password(reset(NEW_PASSWORD)).await.unwrap();
    let again = auth
        .reset_password(reset("yet another passphrase"))
        .await
        .unwrap_err();

    assert_error(&again, Code::InvalidArgument, "RESET_TOKEN_INVALID");
    login(&mut auth, &email, NEW_PASSWORD).await;
    platform.stop().await;
}

/// ChangePassword ends every other session of the user and keeps the one that changed it.
#[tokio::test]
async fn changing_the_password_revokes_the_other_sessions_but_not_the_current_one() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("change");
    signed_up(&platform, &email).await;
    let current = login(&mut auth, &email, PASSWORD).await;
    let other = login(&mut auth, &email, PASSWORD).await;

    let changed = auth
        .change_password(bearer(
            &current.access_token,
            pb::ChangePasswordRequest {
                current_password: PASSWORD.to_owned(),
                new_password: NEW_PASSWORD.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(changed.revoked_count, 1);
    let other_refresh = auth
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: other.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&other_refresh, Code::Unauthenticated, "REFRESH_TOKEN_INVALID");
    refused_as_revoked(&auth, &other.access_token).await;
    auth.refresh_session(pb::RefreshSessionRequest {
        refresh_token: current.refresh_token.clone(),
    })
    .await
    .expect("the current session goes on");
    login(&mut auth, &email, NEW_PASSWORD).await;
    platform.stop().await;
}

/// ChangePassword refuses a wrong current password and a new password equal to the current one.
#[tokio::test]
async fn change_password_refuses_a_wrong_current_password_and_an_unchanged_one() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("unchanged");
    signed_up(&platform, &email).await;
    let session = login(&mut auth, &email, PASSWORD).await;
    let change = |current: &str, new: &str| {
        bearer(
            &session.access_token,
            pb::ChangePasswordRequest {
                current_password: current.to_owned(),
                new_password: new.to_owned(),
            },
        )
    };

    let wrong = auth
        .change_password(change("not the password at all", NEW_PASSWORD))
        .await
        .unwrap_err();
    let unchanged = auth
        .change_password(change(PASSWORD, PASSWORD))
        .await
        .unwrap_err();
    let anonymous = auth
        .change_password(pb::ChangePasswordRequest {
            current_password: PASSWORD.to_owned(),
            new_password: NEW_PASSWORD.to_owned(),
        })
        .await
        .unwrap_err();

    assert_error(&wrong, Code::InvalidArgument, "CURRENT_PASSWORD_WRONG");
    assert_error(&unchanged, Code::InvalidArgument, "PASSWORD_UNCHANGED");
    assert_error(&anonymous, Code::Unauthenticated, "TOKEN_MISSING");
    let failures = outbox_events::<pb::LoginFailed>(&platform).await;
    assert_eq!(
        failures.len(),
        1,
        "the wrong current password counts as a failed login"
    );
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

/// Logout ends the session of the refresh token and answers OK for tokens it does not know.
#[tokio::test]
async fn logout_ends_the_session_and_answers_ok_for_unknown_tokens() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("logout");
    signed_up(&platform, &email).await;
    let session = login(&mut auth, &email, PASSWORD).await;

    auth.logout(pb::LogoutRequest {
        refresh_token: "no-such-token".to_owned(),
    })
    .await
    .expect("unknown tokens are fine");
    auth.logout(pb::LogoutRequest {
        refresh_token: session.refresh_token.clone(),
    })
    .await
    .unwrap();

    let refresh = auth
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: session.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_error(&refresh, Code::Unauthenticated, "REFRESH_TOKEN_INVALID");
    refused_as_revoked(&auth, &session.access_token).await;
    platform.stop().await;
}

/// LogoutAllSessions ends every session of the caller, or every other one when asked to keep
/// the current one.
#[tokio::test]
async fn logout_all_sessions_can_keep_the_current_one() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("everywhere");
    signed_up(&platform, &email).await;
    let current = login(&mut auth, &email, PASSWORD).await;
    let others = [
        login(&mut auth, &email, PASSWORD).await,
        login(&mut auth, &email, PASSWORD).await,
    ];

    let kept = auth
        .logout_all_sessions(bearer(
            &current.access_token,
            pb::LogoutAllSessionsRequest {
                keep_current_session: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.revoked_count, 2);
    for other in &others {
        refused_as_revoked(&auth, &other.access_token).await;
    }

    let all = auth
        .logout_all_sessions(bearer(
            &current.access_token,
            pb::LogoutAllSessionsRequest {
                keep_current_session: false,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.revoked_count, 1);
    refused_as_revoked(&auth, &current.access_token).await;
    platform.stop().await;
}

/// Two concurrent refreshes with the same token: exactly one gets new tokens; the other is a
/// reuse, which revokes the session.
#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_win() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("race");
    signed_up(&platform, &email).await;
    let session = login(&mut auth, &email, PASSWORD).await;
    let request = || pb::RefreshSessionRequest {
        refresh_token: session.refresh_token.clone(),
    };

    let (mut a, mut b) = (auth.clone(), auth.clone());
    let (first, second) = tokio::join!(a.refresh_session(request()), b.refresh_session(request()));

    let outcomes = [first, second];
    let winners = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(winners, 1, "{outcomes:?}");
    let loser = outcomes
        .iter()
        .find_map(|outcome| outcome.as_ref().err())
        .expect("a loser");
    assert_error(loser, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The user module's events
// ---------------------------------------------------------------------------------------------

/// Trashing a user ends its sessions and stops its sign-in; restoring it lets it sign in again.
#[tokio::test]
async fn a_trashed_user_is_signed_out_and_cannot_sign_in_until_restored() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("trashed");
    let user_id = platform.create_user(&email).await;
    let session = login(&mut auth, &email, PASSWORD).await;
    let users = UserServiceClient::new(platform.channel().await);

    users
        .clone()
        .delete_user(platform.as_service(DeleteUserRequest {
            user_id: user_id.clone(),
        }))
        .await
        .unwrap();

    refused_as_revoked(&auth, &session.access_token).await;
    let refused = eventually(WAIT, "Login of the trashed user to be refused", || {
        let mut auth = auth.clone();
        let request = login_request(&email, PASSWORD);
        async move { auth.login(request).await.err() }
    })
    .await;
    assert_error(&refused, Code::Unauthenticated, "INVALID_CREDENTIALS");
    users
        .clone()
        .restore_user(platform.as_service(RestoreUserRequest {
            user_id: user_id.clone(),
        }))
        .await
        .unwrap();
    eventually(WAIT, "Login of the restored user", || {
        let mut auth = auth.clone();
        let request = login_request(&email, PASSWORD);
        async move { auth.login(request).await.ok() }
    })
    .await;
    platform.stop().await;
}

/// An admin's email change moves sign-in to the new address: the sessions end, the old email no
/// longer signs in, and the new one does once verified with the code mailed to it.
#[tokio::test]
async fn an_email_change_moves_sign_in_to_the_new_address_once_verified() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let old = unique_email("old");
    let new = unique_email("new");
    let user_id = platform.create_user(&old).await;
    let session = login(&mut auth, &old, PASSWORD).await;
    let users = UserServiceClient::new(platform.channel().await);

    users
        .clone()
        .update_user(platform.as_service(UpdateUserRequest {
            user: Some(User {
                id: user_id.clone(),
                email: new.clone(),
                ..User::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["email".to_owned()],
            }),
        }))
        .await
        .unwrap();

    refused_as_revoked(&auth, &session.access_token).await;
    let code = eventually(WAIT, "a code for the new email", || {
        let new = new.clone();
        let platform = &platform;
        async move {
            outbox_events::<pb::VerificationCodeIssued>(platform)
                .await
                .into_iter()
                .find(|event| event.email == new)
                .map(|event| event.verification_code)
        }
    })
    .await;
    let old_login = auth.login(login_request(&old, PASSWORD)).await.unwrap_err();
    let unverified = auth.login(login_request(&new, PASSWORD)).await.unwrap_err();
    assert_error(&old_login, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_error(&unverified, Code::FailedPrecondition, "EMAIL_NOT_VERIFIED");
    verify(&mut auth, &new, &code).await.unwrap();
    login(&mut auth, &new, PASSWORD).await;
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Validation, keys, provisioning, outages
// ---------------------------------------------------------------------------------------------

/// Bad Register input names every bad field; a weak password is WEAK_PASSWORD on `password`.
#[tokio::test]
async fn register_validation_names_every_bad_field() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;

    let mut bad = register_request("not-an-email", PASSWORD);
    bad.first_name = String::new();
    bad.merchant = Some(pb::MerchantSignup {
        name: "Warung".to_owned(),
        currency_code: "rupiah".to_owned(),
        time_zone: "Asia/Atlantis".to_owned(),
        ..pb::MerchantSignup::default()
    });
    let invalid = auth.register(bad).await.unwrap_err();
    let weak = auth
        .register(register_request(&unique_email("weak"), "password1"))
        .await
        .unwrap_err();

    assert_error(&invalid, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&invalid),
        [
            "email",
            "first_name",
            "merchant.currency_code",
            "merchant.time_zone"
        ]
    );
    assert_error(&weak, Code::InvalidArgument, "WEAK_PASSWORD");
    assert_eq!(violated_fields(&weak), ["password"]);
    platform.stop().await;
}

/// ListSigningKeys publishes the current key, and it verifies the access tokens Login issues.
#[tokio::test]
async fn the_listed_signing_key_verifies_access_tokens() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("keys");
    let user_id = signed_up(&platform, &email).await;
    let session = login(&mut auth, &email, PASSWORD).await;

    let listed = auth
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .unwrap()
        .into_inner();

    assert_eq!(listed.issuer, "pos.auth");
    assert_eq!(listed.keys.len(), 1);
    assert!(listed.keys[0].current);
    let verifier = TokenVerifier::new([VerifyingKey::from_paserk(&listed.keys[0].public_key).unwrap()]);
    let claims = verifier.verify(&session.access_token).unwrap();
    assert_eq!(claims.user_id.to_string(), user_id);
    assert_eq!(claims.session_id.to_string(), session.session_id);
    assert_eq!((claims.expires_at - claims.issued_at).num_minutes(), 15);
    platform.stop().await;
}

/// ProvisionCredential (the user module's call): a retry changes nothing, another user with the
/// same email is ALREADY_EXISTS, and without a password an invitation goes out.
#[tokio::test]
async fn provision_credential_is_idempotent_and_keeps_emails_unique() {
    let _serial = SERIAL.lock().await;
    let platform = TestPlatform::start().await;
    let mut auth = auth(&platform).await;
    let email = unique_email("provisioned");
    let provision = |user_id: &str, email: &str, password: &str| {
        platform.as_service(pb::ProvisionCredentialRequest {
            user_id: user_id.to_owned(),
            email: email.to_owned(),
            first_name: "Provisioned".to_owned(),
            password: password.to_owned(),
            inviter_name: "Ada Admin".to_owned(),
            ..pb::ProvisionCredentialRequest::default()
        })
    };
    let user_id = uuid::Uuid::now_v7().to_string();

    let first = auth
        .provision_credential(provision(&user_id, &email, PASSWORD))
        .await
        .unwrap();
    let retry = auth
        .provision_credential(provision(&user_id, &email, PASSWORD))
        .await
        .unwrap();
    let clash = auth
        .provision_credential(provision(
            &uuid::Uuid::now_v7().to_string(),
            &email.to_uppercase(),
            PASSWORD,
        ))
        .await
        .unwrap_err();
    let invited_email = unique_email("invited");
    let invited = auth
        .provision_credential(provision(&uuid::Uuid::now_v7().to_string(), &invited_email, ""))
        .await
        .unwrap();

    assert!(first.into_inner().email_verified);
    assert!(retry.into_inner().email_verified);
    assert_error(&clash, Code::AlreadyExists, "EMAIL_ALREADY_REGISTERED");
    assert!(!invited.into_inner().email_verified);
    let invitations = outbox_events::<pb::PasswordResetRequested>(&platform).await;
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0].email, invited_email);
    assert_eq!(invitations[0].purpose(), pb::PasswordResetPurpose::Invitation);
    assert_eq!(invitations[0].inviter_name, "Ada Admin");
    login(&mut auth, &email, PASSWORD).await;
    platform.stop().await;
}

/// With Redis unreachable, sign-in still works (lockout counting is skipped and logged).
#[tokio::test]
async fn logins_still_work_when_redis_is_down() {
    let _serial = SERIAL.lock().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", closed.local_addr().unwrap());
    drop(closed);
    let platform = TestPlatform::start_with(&["--redis-url", &url]).await;
    let mut auth = auth(&platform).await;
    let email = unique_email("noredis");
    signed_up(&platform, &email).await;

    let failure = auth
        .login(login_request(&email, "not the password at all"))
        .await
        .unwrap_err();
    let session = login(&mut auth, &email, PASSWORD).await;

    assert_error(&failure, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert!(!session.access_token.is_empty());
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A signed-in session's credentials.
struct Tokens {
    access_token: String,
    refresh_token: String,
    session_id: String,
}

/// A fresh email without digits, so the codes read from mail cannot be confused with it.
fn unique_email(tag: &str) -> String {
    let letters: String = uuid::Uuid::now_v7()
        .simple()
        .to_string()
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) => char::from(b'g' + u8::try_from(digit).unwrap_or(0)),
            None => c,
        })
        .collect();
    format!("{tag}-{letters}@example.com")
}

async fn auth(platform: &TestPlatform) -> AuthServiceClient<Channel> {
    AuthServiceClient::new(platform.channel().await)
}

fn register_request(email: &str, password: &str) -> pb::RegisterRequest {
    pb::RegisterRequest {
        email: email.to_owned(),
        first_name: "Ana".to_owned(),
        last_name: "Silva".to_owned(),
        password: password.to_owned(),
        merchant: None,
    }
}

fn login_request(email: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
    }
}

async fn login(auth: &mut AuthServiceClient<Channel>, email: &str, password: &str) -> Tokens {
    let tokens = auth
        .login(login_request(email, password))
        .await
        .unwrap_or_else(|status| panic!("Login {email}: {status:?}"))
        .into_inner()
        .tokens
        .expect("session tokens");
    Tokens {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        session_id: tokens.session_id,
    }
}

async fn verify(
    auth: &mut AuthServiceClient<Channel>,
    email: &str,
    code: &str,
) -> Result<tonic::Response<pb::VerifyEmailResponse>, Status> {
    auth.verify_email(pb::VerifyEmailRequest {
        email: email.to_owned(),
        code: code.to_owned(),
    })
    .await
}

/// Registers `email` with [`PASSWORD`] and verifies it with the code from the outbox; its user id.
async fn signed_up(platform: &TestPlatform, email: &str) -> String {
    let mut auth = auth(platform).await;
    auth.register(register_request(email, PASSWORD)).await.unwrap();
    let registered = outbox_events::<pb::UserRegistered>(platform)
        .await
        .into_iter()
        .find(|event| event.email == email)
        .expect("UserRegistered");
    verify(&mut auth, email, &registered.verification_code)
        .await
        .unwrap();
    registered.user_id
}

/// The latest verification code issued for `email` (UserRegistered or VerificationCodeIssued).
async fn verification_code(platform: &TestPlatform, email: &str) -> String {
    let issued = outbox_events::<pb::VerificationCodeIssued>(platform)
        .await
        .into_iter()
        .filter(|event| event.email == email)
        .map(|event| event.verification_code)
        .next_back();
    match issued {
        Some(code) => code,
        None => {
            outbox_events::<pb::UserRegistered>(platform)
                .await
                .into_iter()
                .find(|event| event.email == email)
                .expect("UserRegistered")
                .verification_code
        }
    }
}

/// Every event of type `M` in the platform's auth outbox, oldest first (what the mailer receives).
async fn outbox_events<M: prost::Message + prost::Name + Default>(platform: &TestPlatform) -> Vec<M> {
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM auth.outbox WHERE event_type = $1 ORDER BY id")
            .bind(M::full_name())
            .fetch_all(&platform.database.pool)
            .await
            .unwrap();
    payloads
        .iter()
        .map(|payload| M::decode(payload.as_slice()).unwrap())
        .collect()
}

async fn credentials_with_email(platform: &TestPlatform, email: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM auth.credentials WHERE email_key = lower($1)")
        .bind(email)
        .fetch_one(&platform.database.pool)
        .await
        .unwrap()
}

/// Polls GetMe with `access_token` until the access layer refuses it as SESSION_REVOKED.
async fn refused_as_revoked(auth: &AuthServiceClient<Channel>, access_token: &str) {
    let status = eventually(WAIT, "the access token to be refused", || {
        let mut auth = auth.clone();
        let token = access_token.to_owned();
        async move {
            auth.get_me(bearer(&token, pb::GetMeRequest {}))
                .await
                .err()
                .filter(|status| status.code() == Code::Unauthenticated)
        }
    })
    .await;
    assert_error(&status, Code::Unauthenticated, "SESSION_REVOKED");
}

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

fn assert_error(status: &Status, code: Code, expected_reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(status), expected_reason, "{status:?}");
}

fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad_request| {
            bad_request
                .field_violations
                .iter()
                .map(|violation| violation.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The first run of exactly six digits in `text`.
fn six_digit_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_owned)
}

/// The first run of 43 base64url characters in `text` (a 256-bit token).
fn reset_token(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .find(|run| run.len() == 43)
        .map(str::to_owned)
}

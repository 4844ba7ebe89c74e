//! Validation of the module's requests: each request becomes an input struct deriving
//! `validator::Validate`, checked with `pos_platform::validation` (INVALID_ARGUMENT with one field
//! violation per bad field) before anything is looked up, so validation reveals nothing about
//! accounts. Passwords are checked by [`crate::password::check_policy`] (WEAK_PASSWORD) instead.

use std::borrow::Cow;

use pos_api::Module;
use pos_api::pos::auth::v1 as pb;
use validator::{Validate, ValidateEmail as _, ValidationError};

use crate::error::AuthError;
use crate::password;

/// Longest email, in characters.
const EMAIL_MAX_CHARS: usize = 254;

fn violation(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// A required, syntactically valid email of at most 254 characters.
fn email(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(violation("required", "is required"));
    }
    if value.chars().count() > EMAIL_MAX_CHARS {
        return Err(violation("length", "must have at most 254 characters"));
    }
    if !value.validate_email() {
        return Err(violation("email", "is not a valid email address"));
    }
    Ok(())
}

/// An optional email (empty is fine).
fn optional_email(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() { Ok(()) } else { email(value) }
}

/// A required, non-blank value.
fn required(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(violation("required", "is required"))
    } else {
        Ok(())
    }
}

/// An ISO-4217 alphabetic code in upper case (special codes such as `XXX` or `XAU` are refused).
fn currency_code(value: &str) -> Result<(), ValidationError> {
    let upper = value.len() == 3 && value.bytes().all(|byte| byte.is_ascii_uppercase());
    match iso_currency::Currency::from_code(value) {
        Some(currency) if upper && !currency.is_special() => Ok(()),
        _ => Err(violation(
            "currency_code",
            "must be an ISO-4217 currency code in upper case, e.g. IDR",
        )),
    }
}

/// An IANA time zone name (empty means UTC).
fn time_zone(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || value.parse::<chrono_tz::Tz>().is_ok() {
        Ok(())
    } else {
        Err(violation(
            "time_zone",
            "must be an IANA time zone, e.g. Asia/Jakarta",
        ))
    }
}

/// Digits, spaces, `+`, `-`, `(`, `)`.
fn phone(value: &str) -> Result<(), ValidationError> {
    if value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
    {
        Ok(())
    } else {
        Err(violation("phone", "may hold only digits, spaces, +, -, ( and )"))
    }
}

/// Checks `password` against the policy; `field` names it in the error.
pub(crate) fn check_password(field: &'static str, value: &str) -> Result<(), AuthError> {
    password::check_policy(value).map_err(|reason| AuthError::WeakPassword { field, reason })
}

fn validate(input: &impl Validate) -> Result<(), AuthError> {
    pos_platform::validation::validate(Module::Auth, "", input).map_err(AuthError::invalid)
}

/// The names of a person, trimmed and validated.
#[derive(Clone, Debug)]
pub(crate) struct Names {
    /// Given name, 1–100 characters.
    pub(crate) first_name: String,
    /// Family name, up to 100 characters.
    pub(crate) last_name: String,
}

/// `RegisterRequest.merchant`, validated like `pos.merchant.v1.Merchant`.
#[derive(Clone, Debug, Validate)]
struct MerchantSignupInput<'a> {
    #[validate(
        custom(function = "required"),
        length(max = 255, message = "must have at most 255 characters")
    )]
    name: &'a str,
    #[validate(length(max = 2000, message = "must have at most 2000 characters"))]
    description: &'a str,
    #[validate(length(max = 500, message = "must have at most 500 characters"))]
    address: &'a str,
    #[validate(custom(function = "optional_email"))]
    contact_email: &'a str,
    #[validate(
        length(max = 20, message = "must have at most 20 characters"),
        custom(function = "phone")
    )]
    contact_phone: &'a str,
    #[validate(custom(function = "currency_code"))]
    currency_code: &'a str,
    #[validate(custom(function = "time_zone"))]
    time_zone: &'a str,
}

#[derive(Debug, Validate)]
struct RegisterInput<'a> {
    #[validate(custom(function = "email"))]
    email: &'a str,
    #[validate(
        custom(function = "required"),
        length(max = 100, message = "must have at most 100 characters")
    )]
    first_name: &'a str,
    #[validate(length(max = 100, message = "must have at most 100 characters"))]
    last_name: &'a str,
    #[validate(nested)]
    merchant: Option<MerchantSignupInput<'a>>,
}

/// A validated Register request.
#[derive(Debug)]
pub(crate) struct Registration {
    /// The email, trimmed.
    pub(crate) email: String,
    /// The person's names.
    pub(crate) names: Names,
    /// The store to open, trimmed, with the time zone defaulted to UTC.
    pub(crate) merchant: Option<pb::MerchantSignup>,
}

/// Validates a Register request (fields first, then the password policy).
pub(crate) fn registration(request: &pb::RegisterRequest) -> Result<Registration, AuthError> {
    let merchant = request.merchant.as_ref().map(|merchant| pb::MerchantSignup {
        name: merchant.name.trim().to_owned(),
        description: merchant.description.trim().to_owned(),
        address: merchant.address.trim().to_owned(),
        contact_email: merchant.contact_email.trim().to_owned(),
        contact_phone: merchant.contact_phone.trim().to_owned(),
        currency_code: merchant.currency_code.trim().to_owned(),
        time_zone: match merchant.time_zone.trim() {
            "" => "UTC".to_owned(),
            zone => zone.to_owned(),
        },
    });
    let input = RegisterInput {
        email: request.email.trim(),
        first_name: request.first_name.trim(),
        last_name: request.last_name.trim(),
        merchant: merchant.as_ref().map(|merchant| MerchantSignupInput {
            name: &merchant.name,
            description: &merchant.description,
            address: &merchant.address,
            contact_email: &merchant.contact_email,
            contact_phone: &merchant.contact_phone,
            currency_code: &merchant.currency_code,
            time_zone: &merchant.time_zone,
        }),
    };
    validate(&input)?;
    check_password("password", &request.password)?;
    Ok(Registration {
        email: input.email.to_owned(),
        names: Names {
            first_name: input.first_name.to_owned(),
            last_name: input.last_name.to_owned(),
        },
        merchant,
    })
}

#[derive(Debug, Validate)]
struct EmailInput<'a> {
    #[validate(custom(function = "email"))]
    email: &'a str,
}

/// Validates a request holding only an email; returns it trimmed.
pub(crate) fn email_only(email: &str) -> Result<String, AuthError> {
    let input = EmailInput { email: email.trim() };
    validate(&input)?;
    Ok(input.email.to_owned())
}

#[derive(Debug, Validate)]
struct VerifyEmailInput<'a> {
    #[validate(custom(function = "email"))]
    email: &'a str,
    #[validate(
        custom(function = "required"),
        length(max = 32, message = "must have at most 32 characters")
    )]
    code: &'a str,
}

/// Validates a VerifyEmail request; returns the trimmed email and code.
pub(crate) fn verify_email(request: &pb::VerifyEmailRequest) -> Result<(String, String), AuthError> {
    let input = VerifyEmailInput {
        email: request.email.trim(),
        code: request.code.trim(),
    };
    validate(&input)?;
    Ok((input.email.to_owned(), input.code.to_owned()))
}

#[derive(Debug, Validate)]
struct LoginInput<'a> {
    #[validate(custom(function = "email"))]
    email: &'a str,
    #[validate(
        custom(function = "required"),
        length(max = 128, message = "must have at most 128 characters")
    )]
    password: &'a str,
}

/// Validates a Login request; returns the trimmed email (the password is used as entered).
pub(crate) fn login(request: &pb::LoginRequest) -> Result<String, AuthError> {
    let input = LoginInput {
        email: request.email.trim(),
        password: &request.password,
    };
    validate(&input)?;
    Ok(input.email.to_owned())
}

/// An opaque token or code (real ones are 43 and 6 characters).
#[derive(Debug, Validate)]
struct SecretInput<'a> {
    #[validate(
        custom(function = "required"),
        length(max = 512, message = "must have at most 512 characters")
    )]
    secret: &'a str,
}

/// Validates a request's one opaque token, named `field`.
pub(crate) fn token(field: &'static str, value: &str) -> Result<(), AuthError> {
    pos_platform::validation::validate(Module::Auth, "", &SecretInput { secret: value })
        .map_err(|status| AuthError::invalid(rename_field(&status, "secret", field)))
}

/// Validates a ResetPassword request (token first, then the password policy).
pub(crate) fn reset_password(request: &pb::ResetPasswordRequest) -> Result<(), AuthError> {
    token("reset_token", &request.reset_token)?;
    check_password("new_password", &request.new_password)
}

#[derive(Debug, Validate)]
struct ChangePasswordInput<'a> {
    #[validate(
        custom(function = "required"),
        length(max = 128, message = "must have at most 128 characters")
    )]
    current_password: &'a str,
}

/// Validates a ChangePassword request (fields first, then the new password's policy).
pub(crate) fn change_password(request: &pb::ChangePasswordRequest) -> Result<(), AuthError> {
    validate(&ChangePasswordInput {
        current_password: &request.current_password,
    })?;
    check_password("new_password", &request.new_password)
}

#[derive(Debug, Validate)]
struct ProvisionInput<'a> {
    #[validate(custom(function = "uuid"))]
    user_id: &'a str,
    #[validate(custom(function = "email"))]
    email: &'a str,
    #[validate(
        custom(function = "required"),
        length(max = 100, message = "must have at most 100 characters")
    )]
    first_name: &'a str,
    #[validate(length(max = 100, message = "must have at most 100 characters"))]
    last_name: &'a str,
    #[validate(length(max = 201, message = "must have at most 201 characters"))]
    inviter_name: &'a str,
    #[validate(length(max = 255, message = "must have at most 255 characters"))]
    merchant_name: &'a str,
}

fn uuid(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(violation("required", "is required"));
    }
    uuid::Uuid::parse_str(value)
        .map(|_| ())
        .map_err(|_| violation("uuid", "must be a UUID"))
}

/// A validated ProvisionCredential request.
#[derive(Debug)]
pub(crate) struct Provision {
    /// The user being created.
    pub(crate) user_id: uuid::Uuid,
    /// Its email, trimmed.
    pub(crate) email: String,
    /// Its names.
    pub(crate) names: Names,
    /// Initial password, when one was given.
    pub(crate) password: Option<String>,
    /// Who created the user, for the invitation.
    pub(crate) inviter_name: String,
    /// The merchant the user will work for, for the invitation.
    pub(crate) merchant_name: String,
}

/// Validates a ProvisionCredential request (fields first, then the password policy when a
/// password is given).
pub(crate) fn provision(request: &pb::ProvisionCredentialRequest) -> Result<Provision, AuthError> {
    let input = ProvisionInput {
        user_id: request.user_id.trim(),
        email: request.email.trim(),
        first_name: request.first_name.trim(),
        last_name: request.last_name.trim(),
        inviter_name: request.inviter_name.trim(),
        merchant_name: request.merchant_name.trim(),
    };
    validate(&input)?;
    let password = if request.password.is_empty() {
        None
    } else {
        check_password("password", &request.password)?;
        Some(request.password.clone())
    };
    Ok(Provision {
        user_id: uuid::Uuid::parse_str(input.user_id).map_err(|error| AuthError::Internal(error.into()))?,
        email: input.email.to_owned(),
        names: Names {
            first_name: input.first_name.to_owned(),
            last_name: input.last_name.to_owned(),
        },
        password,
        inviter_name: input.inviter_name.to_owned(),
        merchant_name: input.merchant_name.to_owned(),
    })
}

/// `status` with the field violations on `from` moved to `to`.
fn rename_field(status: &tonic::Status, from: &str, to: &str) -> tonic::Status {
    use tonic_types::StatusExt as _;
    let details = status.get_error_details();
    let violations = details
        .bad_request()
        .map(|bad_request| {
            bad_request
                .field_violations
                .iter()
                .cloned()
                .map(|mut violation| {
                    if violation.field == from {
                        to.clone_into(&mut violation.field);
                    }
                    violation
                })
                .collect()
        })
        .unwrap_or_default();
    pos_platform::status::invalid_argument(Module::Auth, violations)
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt as _;

    use super::*;

    fn fields(error: AuthError) -> Vec<(String, String)> {
        let status = tonic::Status::from(error);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let details = status.get_error_details();
        details
            .bad_request()
            .expect("bad request")
            .field_violations
            .iter()
            .map(|violation| (violation.field.clone(), violation.reason.clone()))
            .collect()
    }

    fn register(email: &str, password: &str) -> pb::RegisterRequest {
        pb::RegisterRequest {
            email: email.to_owned(),
            first_name: "Ana".to_owned(),
            last_name: "Silva".to_owned(),
            password: password.to_owned(),
            merchant: None,
        }
    }

    #[test]
    fn a_valid_registration_is_trimmed() {
        let mut request = register("  Ana@Example.com ", "correct horse battery");
        request.first_name = " Ana ".to_owned();
        let registration = registration(&request).unwrap();
        assert_eq!(registration.email, "Ana@Example.com");
        assert_eq!(registration.names.first_name, "Ana");
    }

    #[test]
    fn every_bad_registration_field_is_named() {
        let mut request = register("not an email", "correct horse battery");
        request.first_name = "   ".to_owned();
        request.last_name = "x".repeat(101);
        request.merchant = Some(pb::MerchantSignup {
            name: String::new(),
            currency_code: "idr".to_owned(),
            time_zone: "Mars/Olympus".to_owned(),
            contact_phone: "call me".to_owned(),
            contact_email: "nope".to_owned(),
            ..Default::default()
        });
        assert_eq!(
            fields(registration(&request).unwrap_err()),
            [
                ("email", "EMAIL"),
                ("first_name", "REQUIRED"),
                ("last_name", "LENGTH"),
                ("merchant.contact_email", "EMAIL"),
                ("merchant.contact_phone", "PHONE"),
                ("merchant.currency_code", "CURRENCY_CODE"),
                ("merchant.name", "REQUIRED"),
                ("merchant.time_zone", "TIME_ZONE"),
            ]
            .map(|(field, reason)| (field.to_owned(), reason.to_owned()))
        );
    }

    #[test]
    fn a_merchant_signup_defaults_to_utc_and_accepts_iana_zones_and_iso_currencies() {
        let mut request = register("ana@example.com", "correct horse battery");
        request.merchant = Some(pb::MerchantSignup {
            name: "Warung Ana".to_owned(),
            currency_code: "IDR".to_owned(),
            ..Default::default()
        });
        let registration = registration(&request).unwrap();
        assert_eq!(registration.merchant.unwrap().time_zone, "UTC");
        assert!(time_zone("Asia/Jakarta").is_ok());
        assert!(currency_code("USD").is_ok());
        assert!(currency_code("XXX").is_err(), "no-currency code");
        assert!(currency_code("ABC").is_err(), "not a currency");
    }

    #[test]
    fn a_weak_password_is_reported_after_the_fields_are_valid() {
        let error = registration(&register("ana@example.com", "password")).unwrap_err();
        assert!(
            matches!(
                error,
                AuthError::WeakPassword {
                    field: "password",
                    ..
                }
            ),
            "{error:?}"
        );
        let error = registration(&register("bad", "password")).unwrap_err();
        assert!(matches!(error, AuthError::Invalid(_)), "{error:?}");
    }

    #[test]
    fn an_empty_token_is_named_by_its_request_field() {
        assert_eq!(
            fields(token("refresh_token", "").unwrap_err()),
            [("refresh_token".to_owned(), "REQUIRED".to_owned())]
        );
    }

    #[test]
    fn an_overlong_email_is_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            fields(email_only(&long).unwrap_err()),
            [("email".to_owned(), "LENGTH".to_owned())]
        );
    }
}

//! Access tokens: PASETO `v4.public` (Ed25519), signed by the auth module and verified by every
//! module with public keys alone.
//!
//! Claims: `sub` (user id), `iss`, `aud`, `exp`, `nbf`, `iat`, `jti`, plus `roles`, and the
//! `merchant_id`/`cashier_id` the user acts for. The footer carries the signing key's PASERK id
//! (`kid`), so keys rotate without logging anyone out: verifiers hold the current and the previous
//! public keys and pick by `kid`.
//!
//! Built on `pasetors` (the maintained PASETO implementation for Rust: v4 only, constant-time,
//! PASERK key ids), not on hand-written signing code.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use pasetors::claims::{Claims, ClaimsValidationRules};
use pasetors::footer::Footer;
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate as _};
use pasetors::paserk::{FormatAsPaserk as _, Id};
use pasetors::token::UntrustedToken;
use pasetors::version4::V4;
use pasetors::{Public, public};
use uuid::Uuid;

/// `iss` of every access token.
pub const ISSUER: &str = "pos.auth";
/// `aud` of every access token.
pub const AUDIENCE: &str = "pos";
/// Longest lifetime an access token may have.
pub const MAX_LIFETIME: Duration = Duration::minutes(15);

/// What an access token says about its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user (`sub`).
    pub user_id: Uuid,
    /// Unique id of this token (`jti`).
    pub token_id: Uuid,
    /// The session the token belongs to (`sid`); stays the same across refreshes.
    pub session_id: Uuid,
    /// Names of the user's roles.
    pub roles: BTreeSet<String>,
    /// The merchant the user acts for (store owners and cashiers).
    pub merchant_id: Option<Uuid>,
    /// The cashier account the user is (cashiers only).
    pub cashier_id: Option<Uuid>,
    /// When the token was issued (`iat`, also `nbf`).
    pub issued_at: DateTime<Utc>,
    /// When it stops being valid (`exp`).
    pub expires_at: DateTime<Utc>,
}

/// Why a token was not issued or not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not a `v4.public` PASETO with a key id footer.
    #[error("not a v4.public token with a key id")]
    Malformed,
    /// Signed with a key this verifier does not know (retired, or never ours).
    #[error("signed with an unknown key")]
    UnknownKey,
    /// The token was valid but its `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// Bad signature, wrong issuer or audience, not yet valid, or missing claims.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The claims cannot be issued (lifetime over the maximum or not positive).
    #[error("cannot issue: {0}")]
    Refused(String),
}

/// A key that signs access tokens (held by the auth module only).
pub struct SigningKey {
    id: String,
    secret: AsymmetricSecretKey<V4>,
    public: AsymmetricPublicKey<V4>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, TokenError> {
        let pair =
            AsymmetricKeyPair::<V4>::generate().map_err(|_| TokenError::Refused("key generation".into()))?;
        Ok(Self::from_parts(pair.secret, pair.public))
    }

    /// The key from its 64 secret bytes (Ed25519 seed followed by the public key).
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        let secret = AsymmetricSecretKey::<V4>::from(bytes).map_err(|_| TokenError::Malformed)?;
        let public = AsymmetricPublicKey::<V4>::try_from(&secret).map_err(|_| TokenError::Malformed)?;
        Ok(Self::from_parts(secret, public))
    }

    fn from_parts(secret: AsymmetricSecretKey<V4>, public: AsymmetricPublicKey<V4>) -> Self {
        SigningKey {
            id: key_id(&public),
            secret,
            public,
        }
    }

    /// The 64 secret bytes (Ed25519 seed followed by the public key), for the auth module's key
    /// store. Never logged.
    pub fn to_secret_bytes(&self) -> Vec<u8> {
        self.secret.as_bytes().to_vec()
    }

    /// The PASERK id (`k4.pid.…`) written in the footer of the tokens it signs.
    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// The public half, for verifiers.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            id: self.id.clone(),
            public: self.public.clone(),
        }
    }

    /// Signs `claims`.
    pub fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let lifetime = claims.expires_at - claims.issued_at;
        if lifetime <= Duration::zero() || lifetime > MAX_LIFETIME {
            return Err(TokenError::Refused(format!(
                "lifetime {lifetime} is not within (0, {MAX_LIFETIME}]"
            )));
        }
        let refused = |error: pasetors::errors::Error| TokenError::Refused(error.to_string());
        let mut paseto = Claims::new().map_err(refused)?;
        paseto.issuer(ISSUER).map_err(refused)?;
        paseto.audience(AUDIENCE).map_err(refused)?;
        paseto.subject(&claims.user_id.to_string()).map_err(refused)?;
        paseto
            .token_identifier(&claims.token_id.to_string())
            .map_err(refused)?;
        paseto.issued_at(&rfc3339(claims.issued_at)).map_err(refused)?;
        paseto.not_before(&rfc3339(claims.issued_at)).map_err(refused)?;
        paseto.expiration(&rfc3339(claims.expires_at)).map_err(refused)?;
        paseto
            .add_additional("sid", claims.session_id.to_string())
            .map_err(refused)?;
        paseto
            .add_additional("roles", claims.roles.iter().cloned().collect::<Vec<_>>())
            .map_err(refused)?;
        if let Some(merchant) = claims.merchant_id {
            paseto
                .add_additional("merchant_id", merchant.to_string())
                .map_err(refused)?;
        }
        if let Some(cashier) = claims.cashier_id {
            paseto
                .add_additional("cashier_id", cashier.to_string())
                .map_err(refused)?;
        }
        let mut footer = Footer::new();
        footer.key_id(&Id::from(&self.public));
        public::sign(&self.secret, &paseto, Some(&footer), None).map_err(refused)
    }
}

/// A public key that verifies access tokens, with its id.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    id: String,
    public: AsymmetricPublicKey<V4>,
}

impl VerifyingKey {
    /// The key from its 32 public bytes.
    pub fn from_public_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        let public = AsymmetricPublicKey::<V4>::from(bytes).map_err(|_| TokenError::Malformed)?;
        Ok(VerifyingKey {
            id: key_id(&public),
            public,
        })
    }

    /// The key in PASERK form (`k4.public.…`), as `ListSigningKeys` publishes it.
    pub fn to_paserk(&self) -> String {
        let mut text = String::new();
        self.public
            .fmt(&mut text)
            .expect("formatting a PASERK key into a String cannot fail");
        text
    }

    /// The key from its PASERK form (`k4.public.…`).
    pub fn from_paserk(text: &str) -> Result<Self, TokenError> {
        let public = AsymmetricPublicKey::<V4>::try_from(text).map_err(|_| TokenError::Malformed)?;
        Ok(VerifyingKey {
            id: key_id(&public),
            public,
        })
    }

    /// The raw 32 public bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.public.as_bytes().to_vec()
    }

    /// Its PASERK id.
    pub fn key_id(&self) -> &str {
        &self.id
    }
}

/// Verifies access tokens against the keys currently trusted.
#[derive(Clone, Debug, Default)]
pub struct TokenVerifier {
    keys: BTreeMap<String, AsymmetricPublicKey<V4>>,
}

impl TokenVerifier {
    /// A verifier trusting `keys` (during a rotation: the new key and the previous one).
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        TokenVerifier {
            keys: keys.into_iter().map(|key| (key.id, key.public)).collect(),
        }
    }

    /// Checks the signature, issuer, audience and validity period of `token`, and reads it.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let untrusted = UntrustedToken::<Public, V4>::try_from(token).map_err(|_| TokenError::Malformed)?;
        let mut footer = Footer::new();
        footer
            .parse_bytes(untrusted.untrusted_footer())
            .map_err(|_| TokenError::Malformed)?;
        let kid = footer
            .get_claim("kid")
            .and_then(|kid| kid.as_str())
            .ok_or(TokenError::Malformed)?;
        let key = self.keys.get(kid).ok_or(TokenError::UnknownKey)?;
        let mut rules = ClaimsValidationRules::new();
        rules.validate_issuer_with(ISSUER);
        rules.validate_audience_with(AUDIENCE);
        let trusted =
            public::verify(key, &untrusted, &rules, Some(&footer), None).map_err(|error| match error {
                pasetors::errors::Error::ClaimValidation(pasetors::errors::ClaimValidationError::Exp) => {
                    TokenError::Expired
                }
                other => TokenError::Invalid(other.to_string()),
            })?;
        let claims = trusted
            .payload_claims()
            .ok_or_else(|| TokenError::Invalid("no claims".into()))?;
        read_claims(claims)
    }
}

fn read_claims(claims: &Claims) -> Result<AccessClaims, TokenError> {
    let text = |name: &str| {
        claims
            .get_claim(name)
            .and_then(|value| value.as_str())
            .ok_or_else(|| TokenError::Invalid(format!("claim `{name}` is missing")))
    };
    let uuid = |name: &str, value: &str| {
        Uuid::parse_str(value).map_err(|_| TokenError::Invalid(format!("claim `{name}` is not a UUID")))
    };
    let time = |name: &str| {
        DateTime::parse_from_rfc3339(text(name)?)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| TokenError::Invalid(format!("claim `{name}` is not a time")))
    };
    let optional_uuid = |name: &str| {
        claims
            .get_claim(name)
            .and_then(|value| value.as_str())
            .map(|value| uuid(name, value))
            .transpose()
    };
    let roles = claims
        .get_claim("roles")
        .and_then(|value| value.as_array())
        .ok_or_else(|| TokenError::Invalid("claim `roles` is missing".into()))?
        .iter()
        .map(|role| {
            role.as_str()
                .map(str::to_owned)
                .ok_or_else(|| TokenError::Invalid("a role is not a string".into()))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(AccessClaims {
        user_id: uuid("sub", text("sub")?)?,
        token_id: uuid("jti", text("jti")?)?,
        session_id: uuid("sid", text("sid")?)?,
        roles,
        merchant_id: optional_uuid("merchant_id")?,
        cashier_id: optional_uuid("cashier_id")?,
        issued_at: time("iat")?,
        expires_at: time("exp")?,
    })
}

fn key_id(public: &AsymmetricPublicKey<V4>) -> String {
    let mut id = String::new();
    Id::from(public)
        .fmt(&mut id)
        .expect("formatting a PASERK id into a String cannot fail");
    id
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(lifetime: Duration) -> AccessClaims {
        let issued_at = Utc::now();
        AccessClaims {
            user_id: Uuid::now_v7(),
            token_id: Uuid::new_v4(),
            session_id: Uuid::now_v7(),
            roles: BTreeSet::from(["cashier".to_owned()]),
            merchant_id: Some(Uuid::now_v7()),
            cashier_id: Some(Uuid::now_v7()),
            issued_at: DateTime::parse_from_rfc3339(&rfc3339(issued_at))
                .unwrap()
                .with_timezone(&Utc),
            expires_at: DateTime::parse_from_rfc3339(&rfc3339(issued_at + lifetime))
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn a_token_reads_back_the_claims_it_was_issued_with() {
        let key = SigningKey::generate().unwrap();
        let issued = claims(Duration::minutes(15));
        let token = key.issue(&issued).unwrap();
        assert!(token.starts_with("v4.public."), "{token}");
        let verifier = TokenVerifier::new([key.verifying_key()]);
        assert_eq!(verifier.verify(&token).unwrap(), issued);
    }

    #[test]
    fn a_lifetime_over_fifteen_minutes_is_refused() {
        let key = SigningKey::generate().unwrap();
        assert!(matches!(
            key.issue(&claims(Duration::minutes(16))),
            Err(TokenError::Refused(_))
        ));
    }

    #[test]
    fn an_expired_token_is_refused_as_expired() {
        let key = SigningKey::generate().unwrap();
        let mut old = claims(Duration::minutes(1));
        old.issued_at -= Duration::minutes(10);
        old.expires_at -= Duration::minutes(10);
        let token = key.issue(&old).unwrap();
        let verifier = TokenVerifier::new([key.verifying_key()]);
        assert_eq!(verifier.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn tokens_of_the_previous_key_verify_during_a_rotation_and_unknown_keys_do_not() {
        let previous = SigningKey::generate().unwrap();
        let current = SigningKey::generate().unwrap();
        let stranger = SigningKey::generate().unwrap();
        let verifier = TokenVerifier::new([current.verifying_key(), previous.verifying_key()]);
        let issued = claims(Duration::minutes(5));
        assert!(verifier.verify(&previous.issue(&issued).unwrap()).is_ok());
        assert!(verifier.verify(&current.issue(&issued).unwrap()).is_ok());
        assert_eq!(
            verifier.verify(&stranger.issue(&issued).unwrap()),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn a_tampered_token_is_invalid_and_garbage_is_malformed() {
        let key = SigningKey::generate().unwrap();
        let token = key.issue(&claims(Duration::minutes(5))).unwrap();
        let verifier = TokenVerifier::new([key.verifying_key()]);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let body = &mut parts[2];
        let flipped = if body.starts_with('A') { "B" } else { "A" };
        body.replace_range(0..1, flipped);
        assert!(matches!(
            verifier.verify(&parts.join(".")),
            Err(TokenError::Invalid(_))
        ));
        assert_eq!(verifier.verify("Bearer nonsense"), Err(TokenError::Malformed));
        assert_eq!(verifier.verify("v4.public.AAAA"), Err(TokenError::Malformed));
    }

    #[test]
    fn keys_round_trip_through_their_bytes_and_keep_their_id() {
        let key = SigningKey::generate().unwrap();
        let public = VerifyingKey::from_public_bytes(&key.verifying_key().to_bytes()).unwrap();
        assert_eq!(public.key_id(), key.key_id());
        assert!(key.key_id().starts_with("k4.pid."), "{}", key.key_id());
    }
}

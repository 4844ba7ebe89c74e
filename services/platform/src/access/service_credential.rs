//! The credential modules present when they call each other (and `cargo xtask seed` when it
//! writes demo data): the `x-pos-service` header, `<name>.<expiry unix seconds>.<HMAC>`, where
//! the HMAC-SHA256 over `<name>.<expiry>` is keyed with `POS_SERVICE_TOKEN_SECRET`, shared by the
//! processes of one deployment. A valid credential grants every permission platform-wide, so the
//! secret never reaches clients, and a credential lives one minute.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// Metadata key of the credential.
pub const HEADER: &str = "x-pos-service";

/// How long a minted credential is accepted.
const LIFETIME: Duration = Duration::seconds(60);

/// Mints and checks service credentials.
#[derive(Clone)]
pub struct ServiceCredential {
    secret: Vec<u8>,
}

impl std::fmt::Debug for ServiceCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceCredential(..)")
    }
}

/// Why a presented credential was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    /// Not `<name>.<expiry>.<mac>`.
    #[error("malformed service credential")]
    Malformed,
    /// Past its expiry.
    #[error("expired service credential")]
    Expired,
    /// The MAC does not match: another secret, or a forgery.
    #[error("service credential with a bad signature")]
    BadSignature,
}

impl ServiceCredential {
    /// Credentials keyed with `secret`.
    pub fn new(secret: &str) -> Self {
        ServiceCredential {
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// A credential for caller `name`, valid for a minute from `now`.
    pub fn mint(&self, name: &str, now: DateTime<Utc>) -> String {
        let body = format!("{name}.{}", (now + LIFETIME).timestamp());
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&body));
        format!("{body}.{mac}")
    }

    /// The caller's name when `credential` is valid at `now`.
    pub fn verify(&self, credential: &str, now: DateTime<Utc>) -> Result<String, CredentialError> {
        let (body, mac) = credential.rsplit_once('.').ok_or(CredentialError::Malformed)?;
        let (name, expiry) = body.rsplit_once('.').ok_or(CredentialError::Malformed)?;
        let expiry: i64 = expiry.parse().map_err(|_| CredentialError::Malformed)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| CredentialError::Malformed)?;
        let mut check = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        check.update(body.as_bytes());
        check
            .verify_slice(&mac)
            .map_err(|_| CredentialError::BadSignature)?;
        if expiry < now.timestamp() {
            return Err(CredentialError::Expired);
        }
        Ok(name.to_owned())
    }

    fn mac(&self, body: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// `transport` with a fresh credential of caller `name` on every request that carries none.
pub fn authenticated(
    transport: pos_api::Transport,
    credentials: ServiceCredential,
    name: &str,
) -> pos_api::Transport {
    let name = name.to_owned();
    tower::util::BoxCloneSyncService::new(tower::ServiceExt::map_request(
        transport,
        move |mut request: http::Request<tonic::body::Body>| {
            if !request.headers().contains_key(HEADER) {
                let credential = credentials.mint(&name, Utc::now());
                if let Ok(value) = http::HeaderValue::from_str(&credential) {
                    request.headers_mut().insert(HEADER, value);
                }
            }
            request
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_credential_verifies_until_it_expires() {
        let credentials = ServiceCredential::new("secret");
        let now = Utc::now();
        let credential = credentials.mint("seed", now);
        assert_eq!(credentials.verify(&credential, now).unwrap(), "seed");
        assert_eq!(
            credentials.verify(&credential, now + Duration::seconds(61)),
            Err(CredentialError::Expired)
        );
    }

    #[test]
    fn another_secret_or_a_changed_name_is_refused() {
        let now = Utc::now();
        let credential = ServiceCredential::new("secret").mint("seed", now);
        assert_eq!(
            ServiceCredential::new("other").verify(&credential, now),
            Err(CredentialError::BadSignature)
        );
        let forged = credential.replacen("seed", "root", 1);
        assert_eq!(
            ServiceCredential::new("secret").verify(&forged, now),
            Err(CredentialError::BadSignature)
        );
        assert_eq!(
            ServiceCredential::new("secret").verify("garbage", now),
            Err(CredentialError::Malformed)
        );
    }
}

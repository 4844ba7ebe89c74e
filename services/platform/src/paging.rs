//! Pagination (AIP-158): page sizes with a default and a cap, and opaque page tokens.
//!
//! A token carries the position after the last row returned (a keyset cursor chosen by the
//! module), a fingerprint of the filters it was issued for and an expiry, and is signed with
//! HMAC-SHA256 so clients cannot forge or edit it. Reusing a token with other filters, an edited
//! token or an expired one is `INVALID_ARGUMENT` on `page_token`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tonic::Status;
use tonic_types::FieldViolation;

use pos_api::Module;

/// Page size used when a request asks for 0.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page size served; larger requests are served this many.
pub const MAX_PAGE_SIZE: u32 = 500;
/// How long a page token stays valid.
pub const TOKEN_LIFETIME_SECONDS: i64 = 3 * 24 * 3600;

/// Normalizes a requested page size: 0 → default, above the cap → cap, negative → error.
pub fn page_size(module: Module, requested: i32) -> Result<u32, Status> {
    match u32::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err(crate::status::invalid_argument(
            module,
            vec![FieldViolation::new("page_size", "must not be negative")],
        )),
    }
}

/// Signs and checks page tokens.
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageTokens(..)")
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Payload<C> {
    /// The cursor.
    c: C,
    /// Fingerprint of the filters.
    f: String,
    /// Expiry, seconds since the epoch.
    e: i64,
}

impl PageTokens {
    /// A signer keyed with `secret`.
    pub fn new(secret: &str) -> Self {
        PageTokens {
            key: secret.as_bytes().to_vec(),
        }
    }

    /// The token that resumes after `cursor` for a listing with `filters`.
    pub fn encode<C: Serialize>(&self, cursor: &C, filters: &impl Serialize) -> String {
        self.encode_at(cursor, filters, chrono::Utc::now().timestamp())
    }

    fn encode_at<C: Serialize>(&self, cursor: &C, filters: &impl Serialize, now: i64) -> String {
        let payload = Payload {
            c: cursor,
            f: fingerprint(filters),
            e: now + TOKEN_LIFETIME_SECONDS,
        };
        let body = serde_json::to_vec(&payload).expect("page cursors serialize");
        let mut token = URL_SAFE_NO_PAD.encode(&body);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(self.mac(&body)));
        token
    }

    /// The cursor in `token` (`None` for the first page), checked against `filters`.
    pub fn decode<C: DeserializeOwned>(
        &self,
        module: Module,
        token: &str,
        filters: &impl Serialize,
    ) -> Result<Option<C>, Status> {
        self.decode_at(module, token, filters, chrono::Utc::now().timestamp())
    }

    fn decode_at<C: DeserializeOwned>(
        &self,
        module: Module,
        token: &str,
        filters: &impl Serialize,
        now: i64,
    ) -> Result<Option<C>, Status> {
        if token.is_empty() {
            return Ok(None);
        }
        let bad =
            |why: &str| crate::status::invalid_argument(module, vec![FieldViolation::new("page_token", why)]);
        let (body, signature) = token.split_once('.').ok_or_else(|| bad("is not a page token"))?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| bad("is not a page token"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| bad("is not a page token"))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(&body);
        mac.verify_slice(&signature)
            .map_err(|_| bad("is not a page token issued by this service"))?;
        let payload: Payload<C> = serde_json::from_slice(&body).map_err(|_| bad("is not a page token"))?;
        if payload.f != fingerprint(filters) {
            return Err(bad(
                "was issued for other filters; send the same filters or start over",
            ));
        }
        if payload.e < now {
            return Err(bad("has expired; start over from the first page"));
        }
        Ok(Some(payload.c))
    }

    fn mac(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

fn fingerprint(filters: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(filters).expect("filters serialize");
    let digest = Sha256::digest(bytes);
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Cursor {
        name: String,
        id: String,
    }

    fn cursor() -> Cursor {
        Cursor {
            name: "Drinks".into(),
            id: "0193".into(),
        }
    }

    #[test]
    fn page_sizes_default_cap_and_reject_negatives() {
        assert_eq!(page_size(Module::Product, 0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(Module::Product, 20).unwrap(), 20);
        assert_eq!(page_size(Module::Product, 100_000).unwrap(), MAX_PAGE_SIZE);
        assert_eq!(
            page_size(Module::Product, -1).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn a_token_round_trips_for_the_same_filters() {
        let tokens = PageTokens::new("secret");
        let token = tokens.encode(&cursor(), &("query", 1));
        let decoded: Option<Cursor> = tokens.decode(Module::Category, &token, &("query", 1)).unwrap();
        assert_eq!(decoded, Some(cursor()));
        let first: Option<Cursor> = tokens.decode(Module::Category, "", &("query", 1)).unwrap();
        assert_eq!(first, None);
    }

    #[test]
    fn a_token_is_refused_with_other_filters_edited_forged_or_expired() {
        let tokens = PageTokens::new("secret");
        let token = tokens.encode_at(&cursor(), &"a", 1_000);
        let refused = |result: Result<Option<Cursor>, Status>| {
            let status = result.unwrap_err();
            assert_eq!(status.code(), tonic::Code::InvalidArgument);
            status.message().to_owned()
        };
        assert!(refused(tokens.decode_at(Module::Category, &token, &"b", 1_000)).contains("other filters"));
        let forged = PageTokens::new("other").encode_at(&cursor(), &"a", 1_000);
        assert!(
            refused(tokens.decode_at(Module::Category, &forged, &"a", 1_000))
                .contains("not a page token issued")
        );
        let mut edited = token.clone();
        edited.replace_range(0..1, if edited.starts_with('e') { "f" } else { "e" });
        refused(tokens.decode_at(Module::Category, &edited, &"a", 1_000));
        let later = 1_000 + TOKEN_LIFETIME_SECONDS + 1;
        assert!(refused(tokens.decode_at(Module::Category, &token, &"a", later)).contains("expired"));
    }
}

//! ListSigningKeys: the public keys that verify access tokens.

use pos_api::pos::auth::v1 as pb;
use pos_platform::access_token::ISSUER;
use tonic::Request;

use crate::auth::AuthApi;
use crate::error::AuthError;
use crate::events::timestamp;
use crate::store::signing_keys;

impl AuthApi {
    pub(crate) async fn list_signing_keys_flow(
        &self,
        _request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<pb::ListSigningKeysResponse, AuthError> {
        // Verifiers may ask before anyone signed in: make sure there is a key to list.
        self.keys.current().await?;
        let mut conn = self.ctx.db.acquire().await?;
        let keys = signing_keys::published(&mut conn)
            .await?
            .into_iter()
            .map(|key| pb::SigningKey {
                key_id: key.kid,
                public_key: key.public_key,
                current: key.retired_at.is_none(),
                create_time: Some(timestamp(key.created_at)),
                retire_time: key.retired_at.map(timestamp),
            })
            .collect();
        Ok(pb::ListSigningKeysResponse {
            keys,
            issuer: ISSUER.to_owned(),
        })
    }
}

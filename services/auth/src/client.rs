//! What the auth module records about the client behind a request: its address and user agent.

use tonic::Request;

/// Longest user agent kept, in characters.
const USER_AGENT_MAX_CHARS: usize = 256;

/// The client of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientInfo {
    /// The first address of `x-forwarded-for` (set by the edge), else the peer address; empty
    /// when neither is known (an in-process call).
    pub(crate) ip: String,
    /// The `user-agent` metadata, cut to 256 characters.
    pub(crate) user_agent: String,
}

impl ClientInfo {
    /// The client of `request`.
    pub(crate) fn of<T>(request: &Request<T>) -> Self {
        let metadata = request.metadata();
        let forwarded = metadata
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(str::trim)
            .filter(|first| !first.is_empty())
            .map(str::to_owned);
        let ip = forwarded
            .or_else(|| request.remote_addr().map(|address| address.ip().to_string()))
            .unwrap_or_default();
        let user_agent = metadata
            .get("user-agent")
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(USER_AGENT_MAX_CHARS).collect())
            .unwrap_or_default();
        ClientInfo { ip, user_agent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_forwarded_address_wins() {
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("x-forwarded-for", "203.0.113.7, 10.0.0.2".parse().unwrap());
        assert_eq!(ClientInfo::of(&request).ip, "203.0.113.7");
    }

    #[test]
    fn without_forwarding_or_peer_the_address_is_empty() {
        assert_eq!(ClientInfo::of(&Request::new(())), ClientInfo::default());
    }

    #[test]
    fn the_user_agent_is_cut_to_256_characters() {
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("user-agent", "a".repeat(300).parse().unwrap());
        assert_eq!(ClientInfo::of(&request).user_agent.len(), 256);
    }
}

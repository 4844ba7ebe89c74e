//! One-time secrets: opaque tokens (refresh, reset, invitation) and email verification codes,
//! generated from the operating system's random source and stored only as SHA-256 hashes.
//!
//! SHA-256 without a slow KDF is enough here: tokens carry 256 random bits, and codes live 15
//! minutes and are burnt after 5 wrong attempts; the code hash also binds the user id, so one
//! table of precomputed hashes does not fit every user.

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// Bytes of randomness in an opaque token.
const TOKEN_BYTES: usize = 32;
/// Digits in a verification code.
pub(crate) const CODE_DIGITS: u32 = 6;

/// A new opaque token: 256 random bits, base64url without padding (43 characters).
pub(crate) fn new_token() -> String {
    let mut bytes = [0_u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of an opaque token.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new verification code: [`CODE_DIGITS`] decimal digits, uniformly distributed.
pub(crate) fn new_code() -> String {
    let modulus = 10_u32.pow(CODE_DIGITS);
    // Reject the top of the u32 range so every code is equally likely.
    let limit = u32::MAX - u32::MAX % modulus;
    loop {
        let candidate = OsRng.next_u32();
        if candidate < limit {
            return format!("{:0width$}", candidate % modulus, width = CODE_DIGITS as usize);
        }
    }
}

/// The stored form of a verification code of `user_id`.
pub(crate) fn code_hash(user_id: Uuid, code: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(user_id.as_bytes());
    hasher.update(code.trim().as_bytes());
    hasher.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_carry_256_bits_in_url_safe_text_and_never_repeat() {
        let tokens: HashSet<String> = (0..100).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 100);
        for token in &tokens {
            assert_eq!(token.len(), 43, "{token}");
            assert_eq!(URL_SAFE_NO_PAD.decode(token).unwrap().len(), 32);
            assert!(
                token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
        }
    }

    #[test]
    fn a_token_hash_is_sha256_of_the_token_and_not_the_token() {
        let token = new_token();
        let hash = token_hash(&token);
        assert_eq!(hash.len(), 32);
        assert_eq!(hash, token_hash(&token));
        assert_ne!(hash, token_hash(&new_token()));
        assert_ne!(hash, token.as_bytes());
    }

    #[test]
    fn codes_are_six_digits_with_leading_zeros_kept() {
        for _ in 0..1000 {
            let code = new_code();
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
        }
    }

    #[test]
    fn a_code_hash_depends_on_the_user_and_ignores_surrounding_spaces() {
        let user = Uuid::now_v7();
        assert_eq!(code_hash(user, "012345"), code_hash(user, " 012345 "));
        assert_ne!(code_hash(user, "012345"), code_hash(Uuid::now_v7(), "012345"));
        assert_ne!(code_hash(user, "012345"), code_hash(user, "012346"));
    }
}

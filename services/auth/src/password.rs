//! Passwords: the acceptance policy and argon2id hashing.
//!
//! Policy (NIST SP 800-63B, OWASP ASVS 5.0 §6.2): 8 to 128 characters, no composition rules,
//! compared exactly as entered (no trimming, no case folding), and refused when it is one of the
//! most common passwords. The common-password list is the 30,000-entry password frequency list
//! shipped in the `zxcvbn` crate (a maintained port of Dropbox's estimator), so no list is
//! hand-copied here.
//!
//! Hashing: argon2id from RustCrypto's `argon2`, m = 19 MiB, t = 2, p = 1 (OWASP's minimum),
//! stored as a PHC string carrying salt and parameters, so parameters can be raised later and
//! old hashes still verify.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use zxcvbn::matching::patterns::MatchPattern;

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 8;
/// Most characters a password may have.
pub const MAX_CHARS: usize = 128;

/// Why a password is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordRejected {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("must have at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("must have at most {MAX_CHARS} characters")]
    TooLong,
    /// One of the most common passwords.
    #[error("is one of the most commonly used passwords")]
    TooCommon,
}

/// Checks `password` against the policy. Characters are Unicode scalar values, counted as
/// entered.
pub fn check_policy(password: &str) -> Result<(), PasswordRejected> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordRejected::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordRejected::TooLong);
    }
    if is_common(password) {
        return Err(PasswordRejected::TooCommon);
    }
    Ok(())
}

/// Whether the whole password (ignoring case) is an entry of the common-password list.
fn is_common(password: &str) -> bool {
    let entropy = zxcvbn::zxcvbn(password, &[]);
    let whole = password.chars().count();
    entropy.sequence().iter().any(|found| {
        found.i == 0
            && found.j + 1 == whole
            && matches!(
                &found.pattern,
                MatchPattern::Dictionary(word)
                    if word.dictionary_name == Default::default() && !word.l33t && !word.reversed
            )
    })
}

/// Hashing failed (only on a broken random source or invalid parameters).
#[derive(Debug, thiserror::Error)]
#[error("hashing the password failed: {0}")]
pub struct HashingFailed(String);

/// The argon2id hasher with the platform's parameters.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a fresh random salt into a PHC string.
pub fn hash(password: &str) -> Result<String, HashingFailed> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| HashingFailed(error.to_string()))
}

/// Whether `password` matches the stored PHC string (parameters are read from the string). A
/// malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_as_entered() {
        assert_eq!(check_policy("seven77"), Err(PasswordRejected::TooShort));
        assert_eq!(check_policy("ñandú🙂x!"), Ok(()), "8 characters, 13 bytes");
        assert_eq!(check_policy(&"kx7#".repeat(32)), Ok(()), "128 characters");
        assert_eq!(
            check_policy(&"kx7#".repeat(32).add_char()),
            Err(PasswordRejected::TooLong)
        );
    }

    #[test]
    fn common_passwords_are_refused_and_no_composition_rule_applies() {
        for common in ["password", "12345678", "iloveyou", "qwertyuiop", "PASSWORD1"] {
            assert_eq!(check_policy(common), Err(PasswordRejected::TooCommon), "{common}");
        }
        // Long lowercase passphrases are fine: no digit or symbol is demanded.
        assert_eq!(check_policy("correct horse battery staple"), Ok(()));
    }

    #[test]
    fn a_hash_verifies_its_password_exactly_and_nothing_else() {
        let stored = hash("Tr0ub4dor&3 ").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("Tr0ub4dor&3 ", &stored));
        assert!(!verify("Tr0ub4dor&3", &stored), "no trimming");
        assert!(!verify("tr0ub4dor&3 ", &stored), "no case folding");
        assert!(!verify("Tr0ub4dor&3 ", "not a phc string"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(hash("same password").unwrap(), hash("same password").unwrap());
    }

    trait AddChar {
        fn add_char(self) -> String;
    }

    impl AddChar for String {
        fn add_char(mut self) -> String {
            self.push('z');
            self
        }
    }
}

//! Emails as the auth module compares them.

/// The comparison key of an email: trimmed and lower-cased. Two accounts never share a key, and
/// sign-in, lockout counters and rate limits are keyed by it.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The email as stored and mailed to: trimmed, otherwise as entered.
pub(crate) fn email_display(email: &str) -> String {
    email.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_ignores_case_and_surrounding_spaces() {
        assert_eq!(email_key("  Ana.Silva@Example.COM \n"), "ana.silva@example.com");
        assert_eq!(
            email_key("ana.silva@example.com"),
            email_key("ANA.SILVA@EXAMPLE.COM")
        );
    }

    #[test]
    fn the_displayed_email_keeps_its_case() {
        assert_eq!(email_display(" Ana.Silva@Example.com "), "Ana.Silva@Example.com");
    }

    #[test]
    fn the_key_lower_cases_beyond_ascii() {
        assert_eq!(email_key("ÉLODIE@exemple.fr"), "élodie@exemple.fr");
    }
}

//! What every module's List RPCs share: the lifecycle filter and `LIKE` search text.

use pos_api::pos::common::v1::Lifecycle;

/// The SQL name of a request's `Lifecycle` (`active`, `trashed` or `all`; unset means active),
/// or `None` for a value the contract does not define.
pub fn lifecycle_filter(value: i32) -> Option<&'static str> {
    match Lifecycle::try_from(value) {
        Ok(Lifecycle::Unspecified | Lifecycle::Active) => Some("active"),
        Ok(Lifecycle::Trashed) => Some("trashed"),
        Ok(Lifecycle::All) => Some("all"),
        Err(_) => None,
    }
}

/// `text` with the `LIKE` wildcards and the escape character escaped, so a search for `50%_off`
/// matches those characters literally.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn an_unset_lifecycle_lists_active_rows_and_an_unknown_one_is_refused() {
        assert_eq!(lifecycle_filter(0), Some("active"));
        assert_eq!(lifecycle_filter(2), Some("trashed"));
        assert_eq!(lifecycle_filter(3), Some("all"));
        assert_eq!(lifecycle_filter(9), None);
    }
}

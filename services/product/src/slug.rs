//! Slugs: URL-safe identifiers derived from a product's name, unique across all products.
//! Uniqueness is the database's job (UNIQUE constraint); on a collision the creator retries with
//! [`with_suffix`], never checking first.

use uuid::Uuid;

/// Longest slug base derived from a name (a suffix may add 7 characters).
const MAX_BASE_CHARS: usize = 80;

/// The slug base of `name`: lower-case ASCII letters and digits, every other run of characters
/// turned into one hyphen, no leading or trailing hyphen; `product` when nothing is left.
pub(crate) fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut hyphen = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if hyphen && !slug.is_empty() {
                slug.push('-');
            }
            hyphen = false;
            slug.push(c.to_ascii_lowercase());
            if slug.len() >= MAX_BASE_CHARS {
                break;
            }
        } else {
            hyphen = true;
        }
    }
    if slug.is_empty() {
        "product".to_owned()
    } else {
        slug
    }
}

/// `base` with a random 6-character suffix (`base-k3x9qa`), for a retry after a collision.
pub(crate) fn with_suffix(base: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut random = Uuid::new_v4().as_u128();
    let mut suffix = String::with_capacity(6);
    for _ in 0..6 {
        suffix.push(char::from(ALPHABET[usize::try_from(random % 36).unwrap_or(0)]));
        random /= 36;
    }
    format!("{base}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_lower_case_hyphenated_ascii() {
        assert_eq!(slugify("Kopi Susu  Gula-Aren!"), "kopi-susu-gula-aren");
        assert_eq!(slugify("  --Teh 500ml-- "), "teh-500ml");
        assert_eq!(slugify("☕"), "product");
        assert!(slugify(&"x".repeat(300)).len() <= MAX_BASE_CHARS);
    }

    #[test]
    fn suffixes_keep_the_base_and_differ() {
        let first = with_suffix("kopi");
        let second = with_suffix("kopi");
        assert!(first.starts_with("kopi-"));
        assert_eq!(first.len(), "kopi-".len() + 6);
        assert_ne!(first, second);
    }
}

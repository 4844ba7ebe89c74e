//! Slugs: URL-safe identifiers derived from a category's name.
//!
//! A slug is the name transliterated to ASCII (`Café & Bar` → `cafe-bar`), lower case, with every
//! run of other characters turned into one hyphen. Uniqueness is the database's job (the unique
//! index `categories_slug_key`): a writer tries [`base`] or, when it is taken, the next number
//! (`-2`, `-3`, …); when it loses a race to a concurrent writer it moves on to the next candidate of
//! [`Candidates`] (one more number, then random suffixes), never checking first.

use uuid::Uuid;

/// Longest base slug; leaves room for a suffix within the column's 100 characters.
const MAX_BASE_CHARS: usize = 80;

/// Slug of a name with no letter or digit at all (e.g. `"!!!"`).
const FALLBACK: &str = "category";

/// Length of a random suffix (lower-case hex).
const RANDOM_SUFFIX_CHARS: usize = 8;

/// How many attempts take the base or the next number before random suffixes are used. Every
/// failed attempt lost a race to a concurrent writer of the same name, which the next number would
/// likely lose again (all the losers compute the same one, and each round waits for the winner to
/// commit): after two, a random suffix ends the contention at once.
const NUMBERED_ATTEMPTS: u32 = 2;

/// The slug `name` derives, before any suffix.
pub(crate) fn base(name: &str) -> String {
    let ascii = deunicode::deunicode(name);
    let mut slug = String::with_capacity(ascii.len());
    let mut pending_hyphen = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if slug.len() > MAX_BASE_CHARS {
        slug.truncate(MAX_BASE_CHARS);
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    if slug.is_empty() {
        FALLBACK.to_owned()
    } else {
        slug
    }
}

/// Whether `slug` is `base` or `base` with a numbered or random suffix, i.e. a slug [`Candidates`]
/// of `base` could have produced.
pub(crate) fn derives_from(slug: &str, base: &str) -> bool {
    slug == base
        || slug
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|suffix| {
                let numbered = !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_digit());
                let random = suffix.len() == RANDOM_SUFFIX_CHARS
                    && suffix
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
                numbered || random
            })
}

/// The numbered suffix of `slug` over `base` (`books-7` → 7; `books` → 1).
fn number(slug: &str, base: &str) -> Option<u32> {
    if slug == base {
        return Some(1);
    }
    slug.strip_prefix(base)?.strip_prefix('-')?.parse().ok()
}

/// The slugs to try, in order, for one base.
#[derive(Debug)]
pub(crate) struct Candidates {
    base: String,
    attempts: u32,
}

impl Candidates {
    /// Candidates for `base` (see [`base`]).
    pub(crate) fn new(base: String) -> Self {
        Candidates { base, attempts: 0 }
    }

    /// The base slug.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The next slug to try, given the slugs of `base` that exist now (read just before, so a
    /// concurrent writer may still take it: the unique index decides): the base itself when it is
    /// free, otherwise the number after the largest taken one; random suffixes once
    /// [`NUMBERED_ATTEMPTS`] attempts collided.
    pub(crate) fn next(&mut self, taken: &[String]) -> String {
        self.attempts += 1;
        if self.attempts <= NUMBERED_ATTEMPTS {
            if !taken.contains(&self.base) {
                return self.base.clone();
            }
            let highest = taken
                .iter()
                .filter_map(|slug| number(slug, &self.base))
                .max()
                .unwrap_or(1);
            return format!("{}-{}", self.base, highest.saturating_add(1));
        }
        let random = Uuid::new_v4().simple().to_string();
        format!("{}-{}", self.base, &random[..RANDOM_SUFFIX_CHARS])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_the_name_in_lower_case_ascii_words() {
        assert_eq!(base("Home & Kitchen"), "home-kitchen");
        assert_eq!(base("  Beauty   and Health!! "), "beauty-and-health");
        assert_eq!(base("Café Crème"), "cafe-creme");
        assert_eq!(base("Größe"), "grosse");
        assert_eq!(base("Электроника"), "elektronika");
        assert_eq!(base("T-Shirts_2024"), "t-shirts-2024");
        assert_eq!(base("!!!"), "category");
        assert_eq!(base(""), "category");
    }

    #[test]
    fn a_long_name_gives_a_bounded_slug_without_a_trailing_hyphen() {
        let slug = base(&format!("{} b", "a".repeat(79)));
        assert_eq!(slug, "a".repeat(79));
        assert!(base(&"word ".repeat(40)).len() <= MAX_BASE_CHARS);
        assert!(!base(&"word ".repeat(40)).ends_with('-'));
    }

    #[test]
    fn candidates_start_with_the_base_then_count_up_from_the_highest_taken() {
        let mut candidates = Candidates::new("books".into());
        assert_eq!(candidates.next(&[]), "books");
        assert_eq!(candidates.next(&["books".into()]), "books-2");
        let mut gaps = Candidates::new("books".into());
        assert_eq!(
            gaps.next(&["books".into(), "books-2".into(), "books-7".into()]),
            "books-8"
        );
        let mut purged_base = Candidates::new("books".into());
        assert_eq!(purged_base.next(&["books-2".into()]), "books");
    }

    #[test]
    fn candidates_turn_random_after_many_collisions() {
        let mut candidates = Candidates::new("toys".into());
        for _ in 0..NUMBERED_ATTEMPTS {
            candidates.next(&["toys".into()]);
        }
        let random = candidates.next(&["toys".into()]);
        assert!(
            random.starts_with("toys-") && random.len() == "toys-".len() + 8,
            "{random}"
        );
        assert!(derives_from(&random, "toys"));
    }

    #[test]
    fn a_suffixed_slug_derives_from_its_base_only() {
        assert!(derives_from("books", "books"));
        assert!(derives_from("books-3", "books"));
        assert!(!derives_from("books-3", "book"));
        assert!(!derives_from("bookshelf", "books"));
        assert!(!derives_from("books-", "books"));
        assert!(!derives_from("books-more", "books"));
    }
}

//! Barcodes: validation (GS1 check digits of EAN-8, UPC-A, EAN-13 and GTIN-14, or an in-house
//! code) and generation of in-store EAN-13 codes (prefix 20–29).

use uuid::Uuid;

/// Longest barcode accepted.
pub(crate) const MAX_CHARS: usize = 50;

/// Whether `code` is an acceptable barcode: 8, 12, 13 or 14 digits with a valid GS1 check digit,
/// or an in-house code of 1–50 characters from `[A-Za-z0-9-]` that is not all digits of one of
/// those lengths (so a mistyped EAN never passes as an in-house code).
pub(crate) fn is_valid(code: &str) -> bool {
    if code.is_empty() || code.len() > MAX_CHARS {
        return false;
    }
    if code.bytes().all(|byte| byte.is_ascii_digit()) && matches!(code.len(), 8 | 12 | 13 | 14) {
        return has_valid_check_digit(code);
    }
    code.bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
}

/// The GS1 check digit of `payload` (the digits before the check digit).
pub(crate) fn check_digit(payload: &[u8]) -> u8 {
    // Weights 3, 1, 3, … from the rightmost payload digit.
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| u32::from(*digit) * if index % 2 == 0 { 3 } else { 1 })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// Whether the last digit of the all-digit `code` is its GS1 check digit.
fn has_valid_check_digit(code: &str) -> bool {
    let digits: Vec<u8> = code.bytes().map(|byte| byte - b'0').collect();
    match digits.split_last() {
        Some((last, payload)) => check_digit(payload) == *last,
        None => false,
    }
}

/// A random in-store EAN-13: prefix 20–29, ten random digits, a valid check digit.
pub(crate) fn generate_ean13() -> String {
    let mut random = Uuid::new_v4().as_u128();
    let mut digits = Vec::with_capacity(13);
    digits.push(2);
    for _ in 0..11 {
        digits.push(u8::try_from(random % 10).unwrap_or(0));
        random /= 10;
    }
    digits.push(check_digit(&digits));
    digits.iter().map(|digit| char::from(b'0' + digit)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_gs1_codes_are_accepted() {
        for code in ["96385074", "036000291452", "4006381333931", "10614141000415"] {
            assert!(is_valid(code), "{code}");
        }
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        for code in ["96385075", "036000291453", "4006381333932", "10614141000416"] {
            assert!(!is_valid(code), "{code}");
        }
    }

    #[test]
    fn in_house_codes_are_letters_digits_and_hyphens_up_to_50() {
        assert!(is_valid("SKU-001"));
        assert!(is_valid("1234"));
        assert!(is_valid(&"a".repeat(50)));
        assert!(!is_valid(&"a".repeat(51)));
        assert!(!is_valid("SKU 001"));
        assert!(!is_valid("SKU_001"));
        assert!(!is_valid(""));
    }

    #[test]
    fn generated_codes_are_valid_in_store_ean13() {
        for _ in 0..1000 {
            let code = generate_ean13();
            assert_eq!(code.len(), 13);
            assert!(code.starts_with('2'));
            assert!(is_valid(&code), "{code}");
        }
    }
}

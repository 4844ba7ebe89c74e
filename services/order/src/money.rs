//! Order amounts: tax (merchants have no tax rate yet, so the rate is 0) and totals.

/// The tax rate of a merchant, in basis points. Merchants carry no rate yet: 0.
pub(crate) const fn tax_rate_basis_points() -> i32 {
    0
}

/// Tax on `amount_minor` at `rate_basis_points`, rounded half up.
pub(crate) fn tax(amount_minor: i64, rate_basis_points: i32) -> i64 {
    let product = i128::from(amount_minor) * i128::from(rate_basis_points);
    let rounded = (product + 5_000).div_euclid(10_000);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// Subtotal, tax and total of lines (quantity, unit price) at `rate_basis_points`.
pub(crate) fn totals(lines: impl IntoIterator<Item = (i64, i64)>, rate_basis_points: i32) -> (i64, i64, i64) {
    let subtotal = lines.into_iter().fold(0_i64, |sum, (quantity, price)| {
        sum.saturating_add(quantity.saturating_mul(price))
    });
    let tax = tax(subtotal, rate_basis_points);
    (subtotal, tax, subtotal.saturating_add(tax))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_rounds_half_up() {
        assert_eq!(tax(1_000, 1_100), 110);
        assert_eq!(tax(5, 1_000), 1); // 0.5 → 1
        assert_eq!(tax(4, 1_000), 0); // 0.4 → 0
        assert_eq!(tax(12_345, 0), 0);
    }

    #[test]
    fn totals_add_the_tax_to_the_subtotal() {
        assert_eq!(totals([(2, 1_500), (1, 700)], 1_000), (3_700, 370, 4_070));
    }
}

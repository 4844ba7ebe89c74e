//! The business day of an instant: the local date in the merchant's time zone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The local date of `instant` in `time_zone` (an IANA name); UTC when the name is unknown.
pub(crate) fn business_date(instant: DateTime<Utc>, time_zone: &str) -> NaiveDate {
    match time_zone.parse::<Tz>() {
        Ok(zone) => instant.with_timezone(&zone).date_naive(),
        Err(_) => {
            tracing::warn!(time_zone, "unknown time zone; business day taken in UTC");
            instant.date_naive()
        }
    }
}

/// An event timestamp as a UTC instant, `fallback` when absent or out of range.
pub(crate) fn instant(timestamp: Option<&prost_types::Timestamp>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    timestamp
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn half_past_eleven_on_new_years_eve_in_jakarta_is_still_december() {
        // 23:30 in Jakarta (UTC+7) is 16:30 UTC.
        assert_eq!(
            business_date(at("2025-12-31T16:30:00Z"), "Asia/Jakarta"),
            date(2025, 12, 31)
        );
        // Half an hour later it is the first day of the next year there.
        assert_eq!(
            business_date(at("2025-12-31T17:00:00Z"), "Asia/Jakarta"),
            date(2026, 1, 1)
        );
    }

    #[test]
    fn an_evening_in_new_york_is_the_next_day_in_utc_but_not_for_the_merchant() {
        assert_eq!(
            business_date(at("2025-02-01T04:30:00Z"), "America/New_York"),
            date(2025, 1, 31)
        );
        assert_eq!(business_date(at("2025-02-01T04:30:00Z"), "UTC"), date(2025, 2, 1));
    }

    #[test]
    fn an_unknown_zone_falls_back_to_utc() {
        assert_eq!(
            business_date(at("2024-02-29T23:59:59Z"), "Mars/Olympus"),
            date(2024, 2, 29)
        );
    }

    #[test]
    fn a_missing_timestamp_takes_the_fallback() {
        let fallback = at("2024-02-29T12:00:00Z");
        assert_eq!(instant(None, fallback), fallback);
        let t = prost_types::Timestamp { seconds: 0, nanos: 0 };
        assert_eq!(instant(Some(&t), fallback), at("1970-01-01T00:00:00Z"));
    }
}

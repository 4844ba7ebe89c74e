//! Report periods: validation of `granularity` / `year` / `month`, the business-date range of a
//! period, and its `pos.report.v1.Period` message with bounds in a time zone.
//!
//! Every fact of the read model is stamped with its merchant's business date, so a period is a
//! half-open range of business dates `[start, end)`: month M of year Y is `[Y-M-01, first day of
//! the next month)`, year Y is `[Y-01-01, (Y+1)-01-01)`. The bounds of the `Period` message are the
//! local midnights of those dates in the response's time zone.

use chrono::{DateTime, Datelike as _, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;
use tonic_types::FieldViolation;

use pos_api::pos::report::v1 as pb;

use crate::error::ReportError;

/// Smallest year a request may name.
const MIN_YEAR: i32 = 1;
/// Largest year a request may name.
const MAX_YEAR: i32 = 9999;
/// Number of years a YEAR breakdown covers (`year − 4` … `year`).
const BREAKDOWN_YEARS: i32 = 5;

/// The length of a report period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub(crate) enum Granularity {
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

impl Granularity {
    /// The SQL expression that maps the date column `column` to the first day of its period.
    pub(crate) fn bucket_sql(self, column: &str) -> String {
        match self {
            Granularity::Month => format!("date_trunc('month', {column}::timestamp)::date"),
            Granularity::Year => format!("date_trunc('year', {column}::timestamp)::date"),
        }
    }
}

/// One period: a year, or a month of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub(crate) struct PeriodKey {
    /// Calendar year (0 only as the period before year 1).
    pub(crate) year: i32,
    /// Month 1–12, or 0 for a yearly period.
    pub(crate) month: u32,
}

impl PeriodKey {
    /// The period of `granularity` that contains `date`.
    pub(crate) fn containing(granularity: Granularity, date: NaiveDate) -> Self {
        match granularity {
            Granularity::Month => PeriodKey {
                year: date.year(),
                month: date.month(),
            },
            Granularity::Year => PeriodKey {
                year: date.year(),
                month: 0,
            },
        }
    }

    /// First business date of the period.
    pub(crate) fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.max(1), 1).expect("validated periods have dates")
    }

    /// First business date after the period (exclusive end).
    pub(crate) fn end(self) -> NaiveDate {
        self.next().start()
    }

    /// The period right after this one.
    fn next(self) -> Self {
        match self.month {
            0 => PeriodKey {
                year: self.year + 1,
                month: 0,
            },
            12 => PeriodKey {
                year: self.year + 1,
                month: 1,
            },
            month => PeriodKey {
                year: self.year,
                month: month + 1,
            },
        }
    }

    /// The period right before this one (January → December of `year − 1`; year → `year − 1`).
    pub(crate) fn previous(self) -> Self {
        match self.month {
            0 => PeriodKey {
                year: self.year - 1,
                month: 0,
            },
            1 => PeriodKey {
                year: self.year - 1,
                month: 12,
            },
            month => PeriodKey {
                year: self.year,
                month: month - 1,
            },
        }
    }

    /// The `Period` message, with bounds at the local midnights of its dates in `zone`.
    pub(crate) fn message(self, zone: Tz) -> pb::Period {
        pb::Period {
            year: self.year,
            month: i32::try_from(self.month).expect("months are 0-12"),
            start_time: timestamp(local_midnight(zone, self.start())),
            end_time: timestamp(local_midnight(zone, self.end())),
        }
    }
}

/// A comparison: the requested period and the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Comparison {
    /// Month or year.
    pub(crate) granularity: Granularity,
    /// The requested period.
    pub(crate) current: PeriodKey,
    /// The period before it.
    pub(crate) previous: PeriodKey,
}

impl Comparison {
    /// Both periods, the requested one first.
    pub(crate) fn periods(self) -> [PeriodKey; 2] {
        [self.current, self.previous]
    }

    /// The business dates both periods cover: `[previous.start, current.end)`.
    pub(crate) fn range(self) -> (NaiveDate, NaiveDate) {
        (self.previous.start(), self.current.end())
    }
}

/// A breakdown: consecutive periods in ascending order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Breakdown {
    /// Month or year.
    pub(crate) granularity: Granularity,
    /// The periods, ascending.
    pub(crate) periods: Vec<PeriodKey>,
}

impl Breakdown {
    /// The business dates the periods cover: `[first.start, last.end)`.
    pub(crate) fn range(&self) -> (NaiveDate, NaiveDate) {
        let first = self.periods.first().expect("a breakdown has periods");
        let last = self.periods.last().expect("a breakdown has periods");
        (first.start(), last.end())
    }
}

/// Validates `granularity` and `year`, collecting violations.
fn granularity_and_year(
    granularity: i32,
    year: i32,
    violations: &mut Vec<FieldViolation>,
) -> Option<Granularity> {
    let granularity = match pb::Granularity::try_from(granularity) {
        Ok(pb::Granularity::Month) => Some(Granularity::Month),
        Ok(pb::Granularity::Year) => Some(Granularity::Year),
        Ok(pb::Granularity::Unspecified) | Err(_) => {
            violations.push(FieldViolation::new(
                "granularity",
                "must be GRANULARITY_MONTH or GRANULARITY_YEAR",
            ));
            None
        }
    };
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        violations.push(FieldViolation::new("year", "must be between 1 and 9999"));
    }
    granularity
}

/// The comparison a Compare* request asks for; `month` is ignored for YEAR.
pub(crate) fn comparison(granularity: i32, year: i32, month: i32) -> Result<Comparison, ReportError> {
    let mut violations = Vec::new();
    let granularity = granularity_and_year(granularity, year, &mut violations);
    let month = match granularity {
        Some(Granularity::Month) => match u32::try_from(month) {
            Ok(month @ 1..=12) => month,
            _ => {
                violations.push(FieldViolation::new(
                    "month",
                    "must be between 1 and 12 for GRANULARITY_MONTH",
                ));
                0
            }
        },
        _ => 0,
    };
    match granularity {
        Some(granularity) if violations.is_empty() => {
            let current = PeriodKey { year, month };
            Ok(Comparison {
                granularity,
                current,
                previous: current.previous(),
            })
        }
        _ => Err(ReportError::InvalidPeriod(violations)),
    }
}

/// The periods a Get* request covers: the 12 months of `year`, or the years `year − 4` … `year`
/// (years before 1 left out).
pub(crate) fn breakdown(granularity: i32, year: i32) -> Result<Breakdown, ReportError> {
    let mut violations = Vec::new();
    let granularity = granularity_and_year(granularity, year, &mut violations);
    match granularity {
        Some(granularity) if violations.is_empty() => {
            let periods = match granularity {
                Granularity::Month => (1..=12).map(|month| PeriodKey { year, month }).collect(),
                Granularity::Year => ((year - BREAKDOWN_YEARS + 1).max(MIN_YEAR)..=year)
                    .map(|year| PeriodKey { year, month: 0 })
                    .collect(),
            };
            Ok(Breakdown { granularity, periods })
        }
        _ => Err(ReportError::InvalidPeriod(violations)),
    }
}

/// The instant the local day `date` starts in `zone`: its midnight, or the first local time that
/// exists that day when a daylight-saving gap swallows midnight (the earlier instant when
/// midnight happens twice).
pub(crate) fn local_midnight(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    let mut local = midnight;
    // Gaps are at most a few hours; probe in quarter hours for a day at most.
    for _ in 0..96 {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => {
                return instant.with_timezone(&Utc);
            }
            LocalResult::None => local += TimeDelta::minutes(15),
        }
    }
    Utc.from_utc_datetime(&midnight)
}

/// A protobuf timestamp of `instant`, or `None` outside the range a `google.protobuf.Timestamp`
/// may hold (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z; JSON transcoding refuses others): the
/// bounds of year 0 (the period before year 1) and of the end of year 9999 are left unset.
fn timestamp(instant: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    /// 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z, in seconds since the epoch.
    const RANGE: std::ops::Range<i64> = -62_135_596_800..253_402_300_800;
    let seconds = instant.timestamp();
    RANGE
        .contains(&seconds)
        .then_some(prost_types::Timestamp { seconds, nanos: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTH: i32 = pb::Granularity::Month as i32;
    const YEAR: i32 = pb::Granularity::Year as i32;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn fields(error: ReportError) -> Vec<String> {
        match error {
            ReportError::InvalidPeriod(violations) => violations.into_iter().map(|v| v.field).collect(),
            other => panic!("expected INVALID_PERIOD, got {other:?}"),
        }
    }

    #[test]
    fn december_ends_at_the_first_of_january_of_the_next_year() {
        let december = comparison(MONTH, 2025, 12).unwrap();
        assert_eq!(december.current.start(), date(2025, 12, 1));
        assert_eq!(december.current.end(), date(2026, 1, 1));
        assert_eq!(
            december.previous,
            PeriodKey {
                year: 2025,
                month: 11
            }
        );
        assert_eq!(december.range(), (date(2025, 11, 1), date(2026, 1, 1)));
    }

    #[test]
    fn february_of_a_leap_year_has_29_days_and_of_other_years_28() {
        let leap = PeriodKey { year: 2024, month: 2 };
        assert_eq!((leap.end() - leap.start()).num_days(), 29);
        let common = PeriodKey { year: 2025, month: 2 };
        assert_eq!((common.end() - common.start()).num_days(), 28);
        let century = PeriodKey { year: 2100, month: 2 };
        assert_eq!((century.end() - century.start()).num_days(), 28);
    }

    #[test]
    fn the_last_day_of_a_month_belongs_to_it() {
        let april = PeriodKey { year: 2025, month: 4 };
        let last_day = date(2025, 4, 30);
        assert!(april.start() <= last_day && last_day < april.end());
        assert_eq!(PeriodKey::containing(Granularity::Month, last_day), april);
    }

    #[test]
    fn the_period_before_january_is_december_of_the_year_before() {
        let january = comparison(MONTH, 2026, 1).unwrap();
        assert_eq!(
            january.previous,
            PeriodKey {
                year: 2025,
                month: 12
            }
        );
        assert_eq!(january.range(), (date(2025, 12, 1), date(2026, 2, 1)));
    }

    #[test]
    fn a_year_comparison_covers_the_year_and_the_one_before_and_ignores_month() {
        let year = comparison(YEAR, 2025, 77).unwrap();
        assert_eq!(year.current, PeriodKey { year: 2025, month: 0 });
        assert_eq!(year.previous, PeriodKey { year: 2024, month: 0 });
        assert_eq!(year.range(), (date(2024, 1, 1), date(2026, 1, 1)));
    }

    #[test]
    fn a_year_breakdown_covers_five_years_ascending_and_skips_years_before_1() {
        let five = breakdown(YEAR, 2025).unwrap();
        let years: Vec<_> = five.periods.iter().map(|p| p.year).collect();
        assert_eq!(years, [2021, 2022, 2023, 2024, 2025]);
        assert_eq!(five.range(), (date(2021, 1, 1), date(2026, 1, 1)));
        let early = breakdown(YEAR, 2).unwrap();
        let years: Vec<_> = early.periods.iter().map(|p| p.year).collect();
        assert_eq!(years, [1, 2]);
    }

    #[test]
    fn a_month_breakdown_covers_the_twelve_months_of_the_year() {
        let months = breakdown(MONTH, 2024).unwrap();
        assert_eq!(months.periods.len(), 12);
        assert_eq!(
            months.periods[11],
            PeriodKey {
                year: 2024,
                month: 12
            }
        );
        assert_eq!(months.range(), (date(2024, 1, 1), date(2025, 1, 1)));
    }

    #[test]
    fn every_bad_period_field_is_named() {
        assert_eq!(fields(comparison(0, 0, 0).unwrap_err()), ["granularity", "year"]);
        assert_eq!(fields(comparison(MONTH, 2025, 13).unwrap_err()), ["month"]);
        assert_eq!(
            fields(comparison(MONTH, 10_000, 0).unwrap_err()),
            ["year", "month"]
        );
        assert_eq!(fields(comparison(9, 2025, 1).unwrap_err()), ["granularity"]);
        assert_eq!(fields(breakdown(YEAR, -1).unwrap_err()), ["year"]);
        assert!(comparison(MONTH, 9999, 12).is_ok());
        assert!(comparison(MONTH, 1, 1).is_ok());
    }

    #[test]
    fn period_bounds_are_local_midnights_in_the_zone() {
        let jakarta: Tz = "Asia/Jakarta".parse().unwrap();
        let march = PeriodKey { year: 2025, month: 3 }.message(jakarta);
        // 2025-03-01T00:00+07:00 and 2025-04-01T00:00+07:00.
        assert_eq!(march.start_time.unwrap().seconds, 1_740_762_000);
        assert_eq!(march.end_time.unwrap().seconds, 1_743_440_400);
        let utc = PeriodKey { year: 2025, month: 0 }.message(Tz::UTC);
        assert_eq!(utc.start_time.unwrap().seconds, 1_735_689_600);
        assert_eq!(utc.month, 0);
    }

    #[test]
    fn bounds_a_timestamp_cannot_hold_are_left_unset() {
        let last = PeriodKey {
            year: 9999,
            month: 12,
        }
        .message(Tz::UTC);
        assert_eq!(last.start_time.unwrap().seconds, 253_399_622_400);
        assert_eq!(last.end_time, None);
        let before_first = comparison(YEAR, 1, 0).unwrap().previous.message(Tz::UTC);
        assert_eq!((before_first.year, before_first.start_time), (0, None));
        assert_eq!(before_first.end_time.unwrap().seconds, -62_135_596_800);
    }

    #[test]
    fn a_day_whose_midnight_does_not_exist_starts_at_its_first_local_time() {
        // Chile moved its clocks from 00:00 to 01:00 on 2022-09-11.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let start = local_midnight(santiago, date(2022, 9, 11));
        assert_eq!(start.to_rfc3339(), "2022-09-11T04:00:00+00:00");
    }
}

//! The English education calendar (`english-calendar.md`), written from the spec alone as an
//! independent oracle for the engine's calendar built-ins: school years and year groups,
//! compulsory school age (Education Act 1996, s8), and the funding periods of the early
//! education entitlements.
//!
//! Every function takes known dates: the three-valued "unknown in, unknown out" rule is the
//! caller's (`Option::map`). Dates are chrono [`NaiveDate`]s; results that would leave chrono's
//! range (years beyond ±262,000) saturate at its ends, which no record reaches.
//!
//! ```
//! use chrono::NaiveDate;
//! use earlyhelp_benches::calendar::*;
//!
//! let d = |s: &str| s.parse::<NaiveDate>().unwrap();
//! assert_eq!(year_group(d("2019-09-01"), d("2024-09-02")), 0); // Reception
//! assert!(compulsory_school_age(d("2008-01-20"), d("2024-06-28")));
//! assert_eq!(next_funding_period(d("2024-05-15")), d("2024-09-01"));
//! assert_eq!(add_years(d("2020-02-29"), 1), d("2021-03-01"));
//! ```

use chrono::{Datelike, NaiveDate, Weekday};

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// `d` plus `n` calendar years. A 29 February falls on 1 March in a year that has none (the
/// spec's birthday rule, as `years_between` counts ages), so a child born on 29 February 2020
/// is two on 1 March 2022.
pub fn add_years(d: NaiveDate, n: i32) -> NaiveDate {
    let year = d.year().saturating_add(n);
    if d.month() == 2 && d.day() == 29 && !is_leap(year) {
        ymd(year, 3, 1)
    } else {
        ymd(year, d.month(), d.day())
    }
}

/// Completed years from `dob` to `on` (a person is 5 on their fifth birthday; born on
/// 29 February, on 1 March in other years). Negative when `on` is before `dob`.
pub fn age(dob: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - dob.year();
    if on < add_years(dob, years) {
        years -= 1;
    }
    years
}

/// The year in which the school year containing `d` starts (school years run 1 September to
/// 31 August).
fn school_year_start(d: NaiveDate) -> i32 {
    if d.month() >= 9 {
        d.year()
    } else {
        d.year() - 1
    }
}

/// The national curriculum year group of a child born on `dob`, in the school year containing
/// `on`, in their chronological year group: `a − 4`, where `a` is the age on the 31 August
/// before that school year. Reception is 0, Year 11 is 11, `-1` the year before Reception.
pub fn year_group(dob: NaiveDate, on: NaiveDate) -> i32 {
    age(dob, ymd(school_year_start(on), 8, 31)) - 4
}

/// The prescribed days of s8(2): 31 March, 31 August and 31 December.
fn is_prescribed_day(d: NaiveDate) -> bool {
    matches!((d.month(), d.day()), (3, 31) | (8, 31) | (12, 31))
}

/// The first prescribed day on or after `d`.
fn prescribed_day_from(d: NaiveDate) -> NaiveDate {
    match d.month() {
        1..=3 => ymd(d.year(), 3, 31),
        4..=8 => ymd(d.year(), 8, 31),
        _ => ymd(d.year(), 12, 31),
    }
}

/// The last Friday in June of `year`.
fn last_friday_in_june(year: i32) -> NaiveDate {
    let june_30 = ymd(year, 6, 30);
    let back =
        (june_30.weekday().num_days_from_monday() + 7 - Weekday::Fri.num_days_from_monday()) % 7;
    june_30 - chrono::Days::new(u64::from(back))
}

/// The first day of compulsory school age: the fifth birthday if it is a prescribed day,
/// otherwise the first prescribed day after it.
pub fn compulsory_school_age_start(dob: NaiveDate) -> NaiveDate {
    let fifth = add_years(dob, 5);
    if is_prescribed_day(fifth) {
        fifth
    } else {
        prescribed_day_from(fifth)
    }
}

/// The last day of compulsory school age: the last Friday in June of the school year in which
/// the child turns 16 (the line drawn at 1 September, as the spec says).
pub fn compulsory_school_age_end(dob: NaiveDate) -> NaiveDate {
    last_friday_in_june(school_year_start(add_years(dob, 16)) + 1)
}

/// Whether a child born on `dob` is of compulsory school age on `on`.
pub fn compulsory_school_age(dob: NaiveDate, on: NaiveDate) -> bool {
    compulsory_school_age_start(dob) <= on && on <= compulsory_school_age_end(dob)
}

/// The last day of the funding period (1 Jan–31 Mar, 1 Apr–31 Aug, 1 Sep–31 Dec) containing
/// `d`.
pub fn funding_period_end(d: NaiveDate) -> NaiveDate {
    match d.month() {
        1..=3 => ymd(d.year(), 3, 31),
        4..=8 => ymd(d.year(), 8, 31),
        _ => ymd(d.year(), 12, 31),
    }
}

/// The first day of the funding period after the one containing `d`.
pub fn next_funding_period(d: NaiveDate) -> NaiveDate {
    match d.month() {
        1..=3 => ymd(d.year(), 4, 1),
        4..=8 => ymd(d.year(), 9, 1),
        _ => ymd(d.year().saturating_add(1), 1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// english-calendar.md, "School years".
    #[test]
    fn year_group_table() {
        for (dob, on, want) in [
            ("2019-09-01", "2024-09-02", 0),
            ("2019-08-31", "2024-09-02", 1),
            ("2020-08-31", "2024-09-02", 0),
            ("2008-09-01", "2024-06-01", 10),
            ("2008-08-31", "2024-06-01", 11),
        ] {
            assert_eq!(year_group(d(dob), d(on)), want, "{dob} on {on}");
        }
    }

    /// english-calendar.md, "Compulsory school age".
    #[test]
    fn compulsory_school_age_table() {
        for (dob, on, want) in [
            ("2019-12-31", "2024-12-31", true),
            ("2019-11-15", "2024-12-30", false),
            ("2019-04-10", "2024-08-30", false),
            ("2008-01-20", "2024-06-28", true),
            ("2008-01-20", "2024-06-29", false),
            ("2008-08-31", "2024-06-01", true),
        ] {
            assert_eq!(compulsory_school_age(d(dob), d(on)), want, "{dob} on {on}");
        }
        // The starts the table's reasons give.
        assert_eq!(
            compulsory_school_age_start(d("2019-11-15")),
            d("2024-12-31")
        );
        assert_eq!(
            compulsory_school_age_start(d("2019-04-10")),
            d("2024-08-31")
        );
        assert_eq!(compulsory_school_age_end(d("2008-01-20")), d("2024-06-28"));
    }

    /// english-calendar.md, "Funding periods": the two-year-old entitlement runs from
    /// `next_funding_period(second birthday)` to `funding_period_end(third birthday)`.
    #[test]
    fn funding_period_table() {
        for (dob, from, until) in [
            ("2022-05-15", "2024-09-01", "2025-08-31"),
            ("2022-01-01", "2024-04-01", "2025-03-31"),
            ("2021-09-30", "2024-01-01", "2024-12-31"),
            ("2022-08-31", "2024-09-01", "2025-08-31"),
            ("2021-04-20", "2023-09-01", "2024-08-31"),
        ] {
            let b = d(dob);
            assert_eq!(next_funding_period(add_years(b, 2)), d(from), "{dob}");
            assert_eq!(funding_period_end(add_years(b, 3)), d(until), "{dob}");
        }
    }

    /// "a birthday on 29 February falls on 1 March in other years".
    #[test]
    fn leap_day_birthdays() {
        assert_eq!(add_years(d("2020-02-29"), 2), d("2022-03-01"));
        assert_eq!(add_years(d("2020-02-29"), 4), d("2024-02-29"));
        assert_eq!(add_years(d("2020-02-28"), 1), d("2021-02-28"));
        assert_eq!(age(d("2020-02-29"), d("2022-02-28")), 1);
        assert_eq!(age(d("2020-02-29"), d("2022-03-01")), 2);
        // Fifth birthday 1 March 2025: compulsory school age from 31 March.
        assert_eq!(
            compulsory_school_age_start(d("2020-02-29")),
            d("2025-03-31")
        );
        // Born 29 February 2000: 16 on 1 March 2016, so Year 11 ends in June 2016.
        assert_eq!(compulsory_school_age_end(d("2000-02-29")), d("2016-06-24"));
    }

    #[test]
    fn last_fridays_in_june() {
        for (year, want) in [
            (2024, "2024-06-28"),
            (2025, "2025-06-27"),
            (2023, "2023-06-30"),
            (2022, "2022-06-24"),
        ] {
            assert_eq!(last_friday_in_june(year), d(want));
        }
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        // 1990-01-01 .. 2040-12-31
        (0i64..18_627).prop_map(|n| d("1990-01-01") + chrono::Days::new(n as u64))
    }

    proptest! {
        #[test]
        fn year_group_rises_by_one_each_first_of_september(dob in date(), on in date()) {
            let next = on.succ_opt().unwrap();
            let step = year_group(dob, next) - year_group(dob, on);
            let new_year = next.month() == 9 && next.day() == 1;
            prop_assert_eq!(step, i32::from(new_year));
        }

        #[test]
        fn year_group_is_age_minus_four_on_31_august(dob in date(), year in 1995i32..2040) {
            // On 1 September the child starts year group (age on 31 August) − 4.
            let sept = ymd(year, 9, 1);
            prop_assert_eq!(year_group(dob, sept), age(dob, ymd(year, 8, 31)) - 4);
        }

        #[test]
        fn compulsory_school_age_is_one_interval(dob in date()) {
            let start = compulsory_school_age_start(dob);
            let end = compulsory_school_age_end(dob);
            prop_assert!(is_prescribed_day(start));
            prop_assert_eq!(end.weekday(), Weekday::Fri);
            prop_assert_eq!(end.month(), 6);
            prop_assert!(end.day() + 7 > 30);
            // Starts at 5 (at most four months later), ends at 15 or 16 (Year 11).
            prop_assert!(age(dob, start) == 5);
            prop_assert!((15..=16).contains(&age(dob, end)));
            prop_assert_eq!(year_group(dob, end), 11);
            // Scan every day from 4 to 17: true exactly on [start, end].
            let mut day = add_years(dob, 4);
            let mut switches = 0;
            let mut previous = false;
            while day < add_years(dob, 17) {
                let now = compulsory_school_age(dob, day);
                prop_assert_eq!(now, start <= day && day <= end);
                switches += usize::from(now != previous);
                previous = now;
                day = day.succ_opt().unwrap();
            }
            prop_assert_eq!(switches, 2);
        }

        #[test]
        fn funding_periods_partition_the_year(day in date()) {
            let end = funding_period_end(day);
            let next = next_funding_period(day);
            prop_assert!(day <= end);
            prop_assert_eq!(end.succ_opt().unwrap(), next);
            // `day` and the whole run up to `end` lie in one period.
            prop_assert_eq!(funding_period_end(end), end);
            // The next period starts on a period boundary, after `day`'s period.
            prop_assert!(matches!((next.month(), next.day()), (1, 1) | (4, 1) | (9, 1)));
            prop_assert_eq!(next_funding_period(next.pred_opt().unwrap()), next);
            // Three periods a year.
            let a = next_funding_period(ymd(day.year(), 1, 1));
            let b = next_funding_period(a);
            let c = next_funding_period(b);
            prop_assert_eq!((a, b, c), (ymd(day.year(), 4, 1), ymd(day.year(), 9, 1), ymd(day.year() + 1, 1, 1)));
        }

        #[test]
        fn add_years_is_a_birthday(dob in date(), n in 0i32..20) {
            let b = add_years(dob, n);
            prop_assert_eq!(b.year(), dob.year() + n);
            prop_assert_eq!(age(dob, b), n);
            prop_assert_eq!(age(dob, b.pred_opt().unwrap()), n - 1);
            if (dob.month(), dob.day()) != (2, 29) {
                prop_assert_eq!((b.month(), b.day()), (dob.month(), dob.day()));
            }
        }
    }
}

//! Calendar dates as day numbers, with the month arithmetic the reference record uses.
//!
//! A hand-rolled type keeps the crate free of a date dependency; the generator only needs
//! proleptic Gregorian dates, "n years/months earlier" clamped to the end of the month, and
//! `YYYY-MM-DD` output.

/// A calendar date, stored as days since 1970-01-01 so that adding days and comparing are cheap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date(i32);

impl Date {
    /// The date for a year, month (1–12) and day (1–31, assumed valid for the month).
    pub(crate) const fn ymd(year: i32, month: u32, day: u32) -> Date {
        // Howard Hinnant's days_from_civil: exact integer arithmetic, no tables.
        let y = if month <= 2 { year - 1 } else { year };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Date(era * 146_097 + doe - 719_468)
    }

    /// The year, month and day of this date.
    pub(crate) const fn to_ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
        (year, month, day)
    }

    /// This date moved by a number of days (negative: earlier).
    pub(crate) const fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }

    /// Days from `earlier` to `self`.
    pub(crate) const fn days_since(self, earlier: Date) -> i32 {
        self.0 - earlier.0
    }

    /// The same day `months` calendar months earlier, clamped to the end of a shorter month
    /// (2024-02-29 minus 12 months is 2023-02-28), as `recent()` in the rules defines it.
    pub(crate) const fn sub_months(self, months: u32) -> Date {
        let (y, m, d) = self.to_ymd();
        let total = y * 12 + (m as i32 - 1) - months as i32;
        let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        let last = days_in_month(ny, nm);
        Date::ymd(ny, nm, if d < last { d } else { last })
    }

    /// The same day `years` later (earlier when negative); 29 February falls on 1 March in a
    /// year without one, as birthdays do in the calendar spec.
    pub(crate) const fn add_years(self, years: i32) -> Date {
        let (y, m, d) = self.to_ymd();
        let ny = y + years;
        if m == 2 && d == 29 && !is_leap(ny) {
            Date::ymd(ny, 3, 1)
        } else {
            Date::ymd(ny, m, d)
        }
    }

    /// Completed years from `self` (a date of birth) to `on`.
    pub(crate) const fn age_on(self, on: Date) -> i32 {
        let years = on.to_ymd().0 - self.to_ymd().0;
        if on.0 < self.add_years(years).0 {
            years - 1
        } else {
            years
        }
    }

    /// The year in which the school year (1 September to 31 August) containing this date starts.
    const fn school_year(self) -> i32 {
        let (y, m, _) = self.to_ymd();
        if m >= 9 {
            y
        } else {
            y - 1
        }
    }

    /// The chronological year group on `on` of a child born on `self` (Reception 0): the age
    /// on the 31 August before the school year, less 4 (`english-calendar.md`).
    pub(crate) const fn year_group(self, on: Date) -> i32 {
        self.age_on(Date::ymd(on.school_year(), 8, 31)) - 4
    }

    /// Whether a child born on `self` is of compulsory school age on `on`: from the first
    /// prescribed day (31 March, 31 August, 31 December) on or after the fifth birthday to the
    /// last Friday in June of the school year in which the child turns 16.
    pub(crate) const fn compulsory_school_age(self, on: Date) -> bool {
        let fifth = self.add_years(5);
        let (y, m, _) = fifth.to_ymd();
        let start = match m {
            1..=3 => Date::ymd(y, 3, 31),
            4..=8 => Date::ymd(y, 8, 31),
            _ => Date::ymd(y, 12, 31),
        };
        let june_30 = Date::ymd(self.add_years(16).school_year() + 1, 6, 30);
        // 1970-01-01 was a Thursday: weekday 0 = Monday, so Friday is 4.
        let weekday = (june_30.0 + 3).rem_euclid(7);
        let end = june_30.add_days(-(weekday - 4).rem_euclid(7));
        start.0 <= on.0 && on.0 <= end.0
    }

    /// Writes the date as `YYYY-MM-DD` (years 0–9999, which is all the generator produces).
    pub(crate) fn write_iso(self, out: &mut Vec<u8>) {
        let (y, m, d) = self.to_ymd();
        let y = y.clamp(0, 9999) as u32;
        out.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
        ]);
    }
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    fn iso(d: Date) -> String {
        let mut v = Vec::new();
        d.write_iso(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn round_trips_and_formats() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 12, 31), (1955, 7, 4)] {
            assert_eq!(Date::ymd(y, m, d).to_ymd(), (y, m, d));
        }
        assert_eq!(Date::ymd(1970, 1, 1), Date(0));
        assert_eq!(iso(Date::ymd(2023, 4, 1)), "2023-04-01");
        assert_eq!(Date::ymd(2024, 3, 1).add_days(-1), Date::ymd(2024, 2, 29));
    }

    /// The tables of `english-calendar.md`.
    #[test]
    fn calendar_tables() {
        let d = Date::ymd;
        assert_eq!(d(2019, 9, 1).year_group(d(2024, 9, 2)), 0);
        assert_eq!(d(2019, 8, 31).year_group(d(2024, 9, 2)), 1);
        assert_eq!(d(2020, 8, 31).year_group(d(2024, 9, 2)), 0);
        assert_eq!(d(2008, 9, 1).year_group(d(2024, 6, 1)), 10);
        assert_eq!(d(2008, 8, 31).year_group(d(2024, 6, 1)), 11);
        assert!(d(2019, 12, 31).compulsory_school_age(d(2024, 12, 31)));
        assert!(!d(2019, 11, 15).compulsory_school_age(d(2024, 12, 30)));
        assert!(!d(2019, 4, 10).compulsory_school_age(d(2024, 8, 30)));
        assert!(d(2008, 1, 20).compulsory_school_age(d(2024, 6, 28)));
        assert!(!d(2008, 1, 20).compulsory_school_age(d(2024, 6, 29)));
        assert!(d(2008, 8, 31).compulsory_school_age(d(2024, 6, 1)));
        assert_eq!(d(2020, 2, 29).add_years(2), d(2022, 3, 1));
        assert_eq!(d(2020, 2, 29).age_on(d(2022, 2, 28)), 1);
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        assert_eq!(
            Date::ymd(2024, 2, 29).sub_months(12),
            Date::ymd(2023, 2, 28)
        );
        assert_eq!(Date::ymd(2024, 3, 31).sub_months(1), Date::ymd(2024, 2, 29));
        assert_eq!(
            Date::ymd(2024, 1, 15).sub_months(13),
            Date::ymd(2022, 12, 15)
        );
        assert_eq!(
            Date::ymd(2025, 3, 31).sub_months(12 * 7),
            Date::ymd(2018, 3, 31)
        );
    }
}

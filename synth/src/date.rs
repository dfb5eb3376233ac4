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

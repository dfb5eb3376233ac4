//! Runtime values and the three-valued logic over them.
//!
//! Every value may be *unknown*. An unknown remembers which record paths made it unknown
//! ([`Missing`]), so an undetermined decision can say which fields would settle it.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// Where a value sits in the input record: `members[2].education.attendance_pct`.
#[derive(Debug)]
pub(crate) struct PathNode {
    parent: Option<Path>,
    segment: Segment,
    /// Its text and sort key, made the first time it is shown: paths are made once per thread
    /// and come back record after record, so each is rendered once, not once per record.
    shown: std::sync::OnceLock<Shown>,
}

#[derive(Debug)]
struct Shown {
    text: Box<str>,
    /// The segments from the root as bytes that sort as the paths do, naturally (`members[2]`
    /// before `members[10]`): a field is 1, its name and 0 (names hold no NUL); an index is 2
    /// and its eight bytes, most significant first.
    key: Box<[u8]>,
}

impl PathNode {
    fn shown(&self) -> &Shown {
        self.shown.get_or_init(|| {
            let keys = path_key(self);
            let mut key = Vec::with_capacity(keys.len() * 10);
            for k in &keys {
                match k {
                    PathKey::Field(f) => {
                        key.push(1);
                        key.extend_from_slice(f.as_bytes());
                        key.push(0);
                    }
                    PathKey::Index(i) => {
                        key.push(2);
                        key.extend_from_slice(&(*i as u64).to_be_bytes());
                    }
                }
            }
            Shown {
                text: render_path(&keys).into_boxed_str(),
                key: key.into_boxed_slice(),
            }
        })
    }
}

#[derive(Debug)]
enum Segment {
    Root,
    Field(Arc<str>),
    Index(usize),
}

pub(crate) type Path = Arc<PathNode>;

/// The root every record's paths start from: one per thread, shared by its records (a path is
/// compared by its segments, never by which root it hangs from).
pub(crate) fn root_path() -> Path {
    thread_local! {
        static ROOT: Path = Arc::new(PathNode {
            parent: None,
            segment: Segment::Root,
            shown: Default::default(),
        });
    }
    ROOT.with(Arc::clone)
}

pub(crate) fn field_path(parent: &Path, name: &Arc<str>) -> Path {
    // A name's text is aligned, so its address is even: an index's key is odd.
    interned(parent, Arc::as_ptr(name).cast::<u8>() as usize, || {
        Segment::Field(name.clone())
    })
}

pub(crate) fn index_path(parent: &Path, index: usize) -> Path {
    interned(parent, index.wrapping_shl(1) | 1, || Segment::Index(index))
}

/// The path `segment` below `parent`, made once per thread: the same paths come back record
/// after record (`members[2].education`), and a lookup costs less than an allocation and its
/// release. A key stays valid while its entry lives, as the entry holds the parent it names.
fn interned(parent: &Path, key: usize, segment: impl Fn() -> Segment) -> Path {
    /// Enough for every path of the records a policy reads; past it, paths are made afresh.
    const MOST: usize = 16_384;
    thread_local! {
        static PATHS: std::cell::RefCell<HashMap<(usize, usize), Path, BuildHasherDefault<PathHasher>>> =
            Default::default();
    }
    let make = || {
        Arc::new(PathNode {
            parent: Some(parent.clone()),
            segment: segment(),
            shown: Default::default(),
        })
    };
    let key = (Arc::as_ptr(parent) as usize, key);
    PATHS
        .try_with(|paths| {
            let mut paths = paths.borrow_mut();
            if let Some(path) = paths.get(&key) {
                return path.clone();
            }
            let path = make();
            if paths.len() < MOST {
                paths.insert(key, path.clone());
            }
            path
        })
        .unwrap_or_else(|_| make())
}

/// A multiply-rotate hash of the two words of a path key (the standard one is built to resist
/// chosen keys, which addresses are not).
#[derive(Default)]
struct PathHasher(u64);

impl std::hash::Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_usize(usize::from(*b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// One segment of a path, as it is rendered and sorted.
#[derive(Debug)]
enum PathKey<'a> {
    Field(&'a str),
    Index(usize),
}

/// A path's segments from the root; held inline, as records nest only a few levels deep.
type Keys<'a> = smallvec::SmallVec<[PathKey<'a>; 8]>;

fn path_key(path: &PathNode) -> Keys<'_> {
    let mut keys = Keys::new();
    let mut node = Some(path);
    while let Some(n) = node {
        match &n.segment {
            Segment::Root => {}
            Segment::Field(f) => keys.push(PathKey::Field(f)),
            Segment::Index(i) => keys.push(PathKey::Index(*i)),
        }
        node = n.parent.as_deref();
    }
    keys.reverse();
    keys
}

fn render_path(keys: &[PathKey<'_>]) -> String {
    let room = keys.iter().map(|k| match k {
        PathKey::Field(f) => f.len() + 1,
        PathKey::Index(_) => 6,
    });
    let mut s = String::with_capacity(room.sum());
    for k in keys {
        match k {
            PathKey::Field(f) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(f);
            }
            PathKey::Index(i) => {
                s.push('[');
                push_digits(&mut s, *i);
                s.push(']');
            }
        }
    }
    s
}

/// The decimal digits of `n`, without the formatting machinery (paths are rendered for every
/// undetermined record).
fn push_digits(s: &mut String, n: usize) {
    if n >= 10 {
        push_digits(s, n / 10);
    }
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// Paths as a caller reads them: rendered, in natural order, each once.
pub(crate) fn rendered_paths<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Vec<String> {
    // `String::from(&str)`: a `Box<str>`'s `to_string` goes through the formatting machinery.
    shown_paths(paths).map(String::from).collect()
}

/// The texts of `paths`, sorted, each once.
pub(crate) fn shown_paths<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> impl ExactSizeIterator<Item = &'a str> {
    // Several decisions share causes, and distinct nodes can name one path (a field read twice
    // as unknown): sorted by their keys, each path is kept once.
    let mut shown: Vec<&Shown> = paths.into_iter().map(|p| p.shown()).collect();
    shown.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    shown.dedup_by(|a, b| a.key == b.key);
    shown.into_iter().map(|s| &*s.text)
}

impl fmt::Display for PathNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown().text)
    }
}

/// Why a value is unknown: the record paths that, once known, could settle it.
#[derive(Clone, Debug, Default)]
pub(crate) enum Missing {
    /// Unknown for no record field (e.g. `min of` an empty list).
    #[default]
    None,
    /// Read straight from this path; a field read on it extends the path.
    At(Path),
    /// One cause, no longer extendable: the common case, kept without allocating a list.
    One(Path),
    /// Several causes, merged by an operator.
    Set(Arc<Vec<Path>>),
}

impl Missing {
    pub(crate) fn paths(&self) -> &[Path] {
        match self {
            Missing::None => &[],
            Missing::At(p) | Missing::One(p) => std::slice::from_ref(p),
            Missing::Set(v) => v,
        }
    }

    pub(crate) fn union(&self, other: &Missing) -> Missing {
        let holds = |of: &Missing, p: &Path| of.paths().iter().any(|q| Arc::ptr_eq(p, q));
        match (self, other) {
            (Missing::None, x) | (x, Missing::None) => x.clone().settled(),
            // One side already holds every cause of the other: no new list.
            (a, b) if b.paths().iter().all(|p| holds(a, p)) => a.clone().settled(),
            (a, b) if a.paths().iter().all(|p| holds(b, p)) => b.clone().settled(),
            (a, b) => {
                let mut v = Vec::with_capacity(a.paths().len() + b.paths().len());
                v.extend(a.paths().iter().cloned());
                v.extend(b.paths().iter().filter(|p| !holds(a, p)).cloned());
                Missing::Set(Arc::new(v))
            }
        }
    }

    /// The same causes, no longer extendable by field reads.
    pub(crate) fn settled(self) -> Missing {
        match self {
            Missing::At(p) => Missing::One(p),
            other => other,
        }
    }
}

/// A duration as written: years, months and days (weeks are 7 days). Years are kept apart from
/// months because they move 29 February differently (see [`add_years`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Duration {
    pub years: u32,
    pub months: u32,
    pub days: u32,
}

impl Duration {
    /// For ordering durations: a year is 12 months.
    pub(crate) fn key(self) -> (u64, u32) {
        (
            u64::from(self.years) * 12 + u64::from(self.months),
            self.days,
        )
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.years > 0 {
            parts.push(unit(self.years, "year", "years"));
        }
        if self.months > 0 {
            parts.push(unit(self.months, "month", "months"));
        }
        match self.days {
            0 if !parts.is_empty() => {}
            d if d % 7 == 0 && d > 0 && parts.is_empty() => {
                parts.push(unit(d / 7, "week", "weeks"))
            }
            d => parts.push(unit(d, "day", "days")),
        }
        f.write_str(&parts.join(" "))
    }
}

/// An element list whose membership may itself be unknown: `children where age(it) < 5` holds a
/// child of unknown age as a *maybe* member.
#[derive(Debug, Default)]
pub(crate) struct List {
    pub items: Vec<Value>,
    /// `None`: every item is certainly a member. Otherwise one entry per item: `None` certain,
    /// `Some(missing)` uncertain.
    pub maybe: Option<Vec<Option<Missing>>>,
}

impl List {
    pub(crate) fn certain(items: Vec<Value>) -> List {
        List { items, maybe: None }
    }
    /// Adds `item` as a member when `membership` is true, as a maybe-member when it is unknown.
    #[inline]
    pub(crate) fn push(&mut self, membership: Value, item: impl FnOnce() -> Value) {
        match membership {
            Value::Bool(true) => {
                if let Some(maybe) = &mut self.maybe {
                    maybe.push(None);
                }
            }
            Value::Bool(false) => return,
            other => {
                let certain = self.items.len();
                // Sized for the whole list, as its items are: no growing one element at a time.
                let room = self.items.capacity().max(certain + 1);
                self.maybe
                    .get_or_insert_with(|| {
                        let mut m = Vec::with_capacity(room);
                        m.resize(certain, None);
                        m
                    })
                    .push(Some(other.missing().settled()));
            }
        }
        self.items.push(item());
    }
    /// Whether item `i` is a member: `Bool(true)` or unknown.
    pub(crate) fn membership(&self, i: usize) -> Value {
        match self.maybe.as_ref().and_then(|m| m.get(i)) {
            Some(Some(missing)) => Value::Unknown(missing.clone()),
            _ => Value::Bool(true),
        }
    }
}

/// A record read from the input: its path and one slot per declared field.
#[derive(Debug)]
pub(crate) struct Record {
    pub path: Path,
    /// Which declared record type this is.
    pub record: u32,
    pub fields: Fields,
}

/// A record's field slots, in an allocation of their own sized to the record. Held inline (up
/// to twelve) they spared that allocation, but made a record some 330 bytes, copied on its way
/// into its `Arc`: the copies cost more time than the allocation (5% of the command line's, with
/// the same instructions; benches/README.md, *The seventh round*).
pub(crate) type Fields = Box<[Value]>;

/// `n` unknown field slots, as a record starts before its fields are read.
pub(crate) fn unknown_fields(n: usize) -> Fields {
    std::iter::repeat_with(Value::unknown).take(n).collect()
}

#[derive(Clone, Debug)]
pub(crate) enum Value {
    Unknown(Missing),
    Bool(bool),
    /// Numbers, percentages and money alike: exact decimals.
    Num(Decimal),
    /// A count not yet settled: at least `lo`, at most `hi` (`count of` over maybe-members).
    Range {
        lo: u32,
        hi: u32,
        missing: Missing,
    },
    Text(Arc<str>),
    Date(NaiveDate),
    Duration(Duration),
    /// An enum value or scale level, by position in its declaration.
    Symbol(u32),
    /// A group or need, by index.
    Group(u32),
    Need(u32),
    Record(Arc<Record>),
    List(Arc<List>),
}

impl Value {
    pub(crate) fn unknown() -> Value {
        Value::Unknown(Missing::None)
    }
    pub(crate) fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }
    pub(crate) fn missing(&self) -> Missing {
        match self {
            Value::Unknown(m) => m.clone(),
            Value::Range { missing, .. } => missing.clone(),
            _ => Missing::None,
        }
    }
}

// ---------------------------------------------------------------- Kleene logic

/// `false and x = false`; `true and x = x`; otherwise unknown, with both causes.
pub(crate) fn and(a: Value, b: impl FnOnce() -> Value) -> Value {
    match a {
        Value::Bool(false) => a,
        Value::Bool(true) => b(),
        Value::Unknown(ma) => match b() {
            Value::Bool(false) => Value::Bool(false),
            Value::Unknown(mb) => Value::Unknown(ma.union(&mb)),
            _ => Value::Unknown(ma.settled()),
        },
        _ => Value::unknown(),
    }
}

/// `true or x = true`; `false or x = x`; otherwise unknown, with both causes.
pub(crate) fn or(a: Value, b: impl FnOnce() -> Value) -> Value {
    match a {
        Value::Bool(true) => a,
        Value::Bool(false) => b(),
        Value::Unknown(ma) => match b() {
            Value::Bool(true) => Value::Bool(true),
            Value::Unknown(mb) => Value::Unknown(ma.union(&mb)),
            _ => Value::Unknown(ma.settled()),
        },
        _ => Value::unknown(),
    }
}

pub(crate) fn not(a: Value) -> Value {
    match a {
        Value::Bool(b) => Value::Bool(!b),
        Value::Unknown(m) => Value::Unknown(m.settled()),
        _ => Value::unknown(),
    }
}

// ---------------------------------------------------------------- dates

/// Completed years from `from` to `to`: a person's age on `to`. A 29 February birthday falls on
/// 1 March in other years, as for legal ages in England.
pub(crate) fn years_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year()) - i64::from(from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// Completed months from `from` to `to`: the largest n with `from + n months <= to`, month
/// arithmetic clamped to month ends (31 January + 1 month = 28 or 29 February). Negative when
/// `to` is earlier: then `from − |n| months <= to`, so the count rounds down, not towards zero.
pub(crate) fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let shifted = |n: i64| -> Option<NaiveDate> {
        let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 {
            from.checked_add_months(m)
        } else {
            from.checked_sub_months(m)
        }
    };
    // Start from the calendar-month difference and step to the largest n that fits.
    let mut n = (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month())
        - i64::from(from.month());
    while n > -1_000_000 && shifted(n).is_none_or(|d| d > to) {
        n -= 1;
    }
    while n < 1_000_000 && shifted(n + 1).is_some_and(|d| d <= to) {
        n += 1;
    }
    n
}

/// `d` moved by `years` (negative: back): the same day and month, except that 29 February falls
/// on 1 March in a year without one — as a birthday does (`english-calendar.md`).
pub(crate) fn add_years(d: NaiveDate, years: i64) -> Option<NaiveDate> {
    let year = i32::try_from(i64::from(d.year()).checked_add(years)?).ok()?;
    NaiveDate::from_ymd_opt(year, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// `d + dur`: years first (29 February → 1 March), then months clamped to the month end, then days.
pub(crate) fn add_duration(d: NaiveDate, dur: Duration) -> Option<NaiveDate> {
    add_years(d, i64::from(dur.years))?
        .checked_add_months(Months::new(dur.months))?
        .checked_add_days(chrono::Days::new(u64::from(dur.days)))
}

/// `d − dur`, the mirror of [`add_duration`].
pub(crate) fn sub_duration(d: NaiveDate, dur: Duration) -> Option<NaiveDate> {
    add_years(d, -i64::from(dur.years))?
        .checked_sub_months(Months::new(dur.months))?
        .checked_sub_days(chrono::Days::new(u64::from(dur.days)))
}

/// Parses `YYYY-MM-DD` strictly: four-digit year 0001–9999, a real calendar day.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if y == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Orders two decimals. At the same scale (ages and counts against whole numbers, percentages
/// written alike) the mantissas order them; `Decimal`'s own comparison rescales first.
#[inline]
pub(crate) fn cmp_decimal(x: &Decimal, y: &Decimal) -> std::cmp::Ordering {
    if x.scale() == y.scale() {
        x.mantissa().cmp(&y.mantissa())
    } else {
        x.cmp(y)
    }
}

/// Parses a decimal written in a policy or a record: `90`, `89.99`, `1e3`.
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()
    } else {
        // Exactly, or not at all: `parse` would round digits past the 28th without a word.
        Decimal::from_str_exact(s).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_once_each_in_natural_order() {
        let root = root_path();
        let name = |n: &str| -> Arc<str> { n.into() };
        let (members, x, a, ab) = (name("members"), name("x"), name("a"), name("ab"));
        let at = |i: usize| index_path(&field_path(&root, &members), i);
        let paths = [
            field_path(&at(10), &x),
            field_path(&at(2), &x),
            at(2),
            field_path(&root, &ab),
            field_path(&root, &a),
            field_path(&field_path(&root, &a), &x),
            // The same path made twice, as two nodes (past the per-thread table): shown once.
            Arc::new(PathNode {
                parent: Some(at(2)),
                segment: Segment::Field(x.clone()),
                shown: Default::default(),
            }),
        ];
        assert_eq!(
            rendered_paths(&paths),
            [
                "a",
                "a.x",
                "ab",
                "members[2]",
                "members[2].x",
                "members[10].x"
            ]
        );
        assert_eq!(paths[0].to_string(), "members[10].x");
    }

    #[test]
    fn decimals_order_as_numbers_whatever_their_scale() {
        let n = |s: &str| parse_decimal(s).expect("test number");
        let cases = [
            ("90", "90.0"),
            ("89.99", "90"),
            ("-1", "0"),
            ("-0.5", "-0.25"),
            ("0", "-0"),
            ("17", "18"),
            ("100.00", "99.999"),
            (
                "79228162514264337593543950335",
                "-79228162514264337593543950335",
            ),
        ];
        for (a, b) in cases {
            let (x, y) = (n(a), n(b));
            assert_eq!(cmp_decimal(&x, &y), x.cmp(&y), "{a} against {b}");
            assert_eq!(cmp_decimal(&y, &x), y.cmp(&x), "{b} against {a}");
        }
    }

    #[test]
    fn a_date_displays_as_its_iso_text() {
        // Outputs and explanations show dates with `Display`, which must write YYYY-MM-DD.
        for (y, m, day) in [
            (1, 1, 1),
            (2024, 2, 29),
            (999, 12, 31),
            (9999, 12, 31),
            (12345, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, day).expect("test date");
            assert_eq!(date.to_string(), date.format("%Y-%m-%d").to_string());
        }
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
    }

    fn d(s: &str) -> NaiveDate {
        parse_date(s).expect("test date")
    }

    #[test]
    fn age_turns_on_the_birthday_and_leap_day_birthdays_on_1_march() {
        assert_eq!(years_between(d("2019-03-15"), d("2024-03-14")), 4);
        assert_eq!(years_between(d("2019-03-15"), d("2024-03-15")), 5);
        assert_eq!(years_between(d("2008-02-29"), d("2025-02-28")), 16);
        assert_eq!(years_between(d("2008-02-29"), d("2025-03-01")), 17);
        assert_eq!(years_between(d("2008-02-29"), d("2024-02-29")), 16);
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(months_between(d("2024-01-31"), d("2024-02-29")), 1);
        assert_eq!(months_between(d("2023-01-31"), d("2023-02-27")), 0);
        assert_eq!(months_between(d("2023-01-31"), d("2023-02-28")), 1);
        assert_eq!(months_between(d("2024-02-29"), d("2023-02-28")), -12);
        assert_eq!(months_between(d("2024-03-15"), d("2024-03-10")), -1);
        assert_eq!(months_between(d("2024-03-15"), d("2023-02-20")), -13);
        let twelve = Duration {
            months: 12,
            ..Duration::default()
        };
        let one_year = Duration {
            years: 1,
            ..Duration::default()
        };
        // Months clamp; years move 29 February to 1 March, as birthdays do.
        assert_eq!(
            sub_duration(d("2024-02-29"), one_year),
            Some(d("2023-03-01"))
        );
        assert_eq!(
            add_duration(d("2024-02-29"), one_year),
            Some(d("2025-03-01"))
        );
        assert_eq!(add_duration(d("2024-02-29"), twelve), Some(d("2025-02-28")));
        assert_eq!(sub_duration(d("2024-02-29"), twelve), Some(d("2023-02-28")));
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2023-02-30").is_none());
        assert!(parse_date("0000-01-01").is_none());
        assert!(parse_date("2023-2-03").is_none());
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("+002-02-29").is_none());
    }

    #[test]
    fn decimals_are_exact() {
        assert!(parse_decimal("89.99").expect("dec") < parse_decimal("90").expect("dec"));
        assert_eq!(parse_decimal("90.00"), parse_decimal("90"));
        assert_eq!(parse_decimal("1e2"), parse_decimal("100"));
    }
}

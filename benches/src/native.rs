//! A hand-written, native Rust implementation of the Supporting Families rules, v2
//! (the shared spec `supporting-families.md`, with the calendar of `english-calendar.md`)
//! over serde-typed structs of the reference record v1.1.
//!
//! It has two jobs: it is the speed limit the policy engine is benchmarked
//! against, and it is an independent oracle the engine is differentially tested
//! against. It therefore shares no code with the engine, decodes only the fields
//! the rules read, and evaluates in three-valued (Kleene) logic exactly as the
//! spec says: an absent or `null` value is unknown, an empty list is known empty.
//!
//! [`evaluate`] is the national reading: family needs counted, the ONS dependent child, and
//! the programme period (2022-10-03 to 2025-03-31) enforced. [`Settings`] switches on the
//! council variants the spec names (headline outcomes counted, every child under 18
//! dependent) or evaluation outside the period.
//!
//! ```
//! use earlyhelp_benches::native::evaluate_json;
//!
//! let out = evaluate_json(
//!     r#"{"id": "F1", "assessment_date": "2024-06-01",
//!         "members": [{"id": "C1", "role": "child", "date_of_birth": "2014-01-01",
//!                      "education": {"attendance_pct": 90}}],
//!         "housing": {"status": "homeless"},
//!         "finances": {"problem_debt": true}}"#,
//! )
//! .unwrap();
//! assert_eq!(out.eligible, Some(true));
//! assert_eq!(out.headlines, ["education", "housing", "financial"]);
//! assert_eq!(out.needs, ["persistent_absence", "housing_need", "problem_debt"]);
//! ```

use std::ops::{BitAnd, BitOr, BitOrAssign, Index, IndexMut, Not};

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::Deserialize;

use crate::calendar;

// ---------------------------------------------------------------------------
// The record: exactly the fields the rules read. `Option` = may be unknown.
// ---------------------------------------------------------------------------

/// A family record (`family-record.md`), reduced to the fields the rules read.
///
/// Other fields (including `id`) are ignored, whatever their type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Family {
    /// The "as at" date: ages and look-back windows are computed from it.
    #[serde(deserialize_with = "date")]
    pub assessment_date: NaiveDate,
    /// Everyone in the household.
    pub members: Vec<Person>,
    /// A member of the household is expecting a baby.
    pub expectant_parent: Option<bool>,
    /// Notifications about the household; `None` when the list is unknown.
    pub incidents: Option<Vec<Incident>>,
    /// Housing situation.
    pub housing: Option<Housing>,
    /// Household finances.
    pub finances: Option<Finances>,
    /// Relationships within the family.
    pub relationships: Option<Relationships>,
    /// Current involvement of children's social care.
    pub social_care: Option<SocialCare>,
}

/// A member of the household.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Person {
    /// The member's role; required, so always known.
    pub role: Role,
    /// Date of birth; `None` when unknown.
    #[serde(default, deserialize_with = "opt_date")]
    pub date_of_birth: Option<NaiveDate>,
    /// School and early-years data.
    pub education: Option<Education>,
    /// Employment status.
    pub employment: Option<Employment>,
    /// Health concerns.
    pub health: Option<Health>,
    /// Offending history.
    pub offending: Option<Offending>,
    /// Safeguarding concerns.
    pub safeguarding: Option<Safeguarding>,
}

/// A member's role in the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A parent or carer (an adult).
    ParentCarer,
    /// A child (of any age: dependence is decided by age).
    Child,
    /// Another adult in the household.
    OtherAdult,
}

/// `Person.education`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Education {
    /// Percentage of sessions attended, as an exact decimal.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub attendance_pct: Option<Decimal>,
    /// Dates of fixed-period suspensions.
    #[serde(default, deserialize_with = "opt_dates")]
    pub suspensions: Option<Vec<NaiveDate>>,
    /// Dates of permanent exclusions.
    #[serde(default, deserialize_with = "opt_dates")]
    pub permanent_exclusions: Option<Vec<NaiveDate>>,
    /// Missing education / not on any school roll.
    pub missing_education: Option<bool>,
    /// Takes up a funded early education place.
    pub early_years_place: Option<bool>,
    /// Early-years development concern.
    pub development_concern: Option<bool>,
    /// The year group the child is taught in, where recorded (Reception 0).
    pub year_group: Option<i32>,
}

/// `Person.employment`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Employment {
    /// Employment status.
    pub status: Option<EmploymentStatus>,
    /// Claims an out-of-work benefit.
    pub out_of_work_benefits: Option<bool>,
}

/// `Employment.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentStatus {
    Employed,
    SelfEmployed,
    Unemployed,
    EconomicallyInactive,
    InEducation,
    Neet,
}

/// `Person.health`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Health {
    /// Mental health concern.
    pub mental_health_concern: Option<bool>,
    /// Physical health concern.
    pub physical_health_concern: Option<bool>,
    /// Substance misuse.
    pub substance_misuse: Option<SubstanceMisuse>,
}

/// `Health.substance_misuse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubstanceMisuse {
    None,
    Alcohol,
    Drugs,
    Both,
}

/// `Person.offending`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Offending {
    /// Dates of proven offences / police charges.
    #[serde(default, deserialize_with = "opt_dates")]
    pub offences: Option<Vec<NaiveDate>>,
    /// Dates of recorded anti-social behaviour.
    #[serde(default, deserialize_with = "opt_dates")]
    pub anti_social_behaviour: Option<Vec<NaiveDate>>,
    /// Currently open to the youth justice service.
    pub youth_justice: Option<bool>,
}

/// `Person.safeguarding`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Safeguarding {
    /// Dates the person was reported missing.
    #[serde(default, deserialize_with = "opt_dates")]
    pub missing_episodes: Option<Vec<NaiveDate>>,
    /// Risk of exploitation.
    pub exploitation_risk: Option<ExploitationRisk>,
    /// Is a young carer.
    pub young_carer: Option<bool>,
    /// Victim of domestic abuse.
    pub domestic_abuse_victim: Option<bool>,
    /// Perpetrator of domestic abuse.
    pub domestic_abuse_perpetrator: Option<bool>,
}

/// `Safeguarding.exploitation_risk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExploitationRisk {
    None,
    Sexual,
    Criminal,
    Both,
}

/// A notification about the household; its type and date are required.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Incident {
    /// What kind of incident it was.
    #[serde(rename = "type")]
    pub kind: IncidentType,
    /// When it happened.
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
}

/// `Incident.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentType {
    DomesticAbuse,
    PoliceCallout,
    AntiSocialBehaviour,
    MissingPerson,
    ChildProtectionConcern,
}

/// `Family.housing`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Housing {
    /// Housing status.
    pub status: Option<HousingStatus>,
    /// In rent arrears.
    pub rent_arrears: Option<bool>,
    /// Dates eviction notices were served.
    #[serde(default, deserialize_with = "opt_dates")]
    pub eviction_notices: Option<Vec<NaiveDate>>,
}

/// `Housing.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HousingStatus {
    Settled,
    TemporaryAccommodation,
    Homeless,
    AtRiskOfHomelessness,
}

/// `Family.finances`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Finances {
    /// Problem debt.
    pub problem_debt: Option<bool>,
}

/// `Family.relationships`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Relationships {
    /// Harmful conflict between parents/carers.
    pub parental_conflict: Option<bool>,
    /// Conflict between parent and child.
    pub parent_child_conflict: Option<bool>,
}

/// `Family.social_care`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct SocialCare {
    /// The highest current involvement of children's social care.
    pub status: Option<SocialCareStatus>,
}

/// `SocialCare.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialCareStatus {
    None,
    EarlyHelp,
    ChildInNeed,
    ChildProtection,
    LookedAfter,
}

// ---------------------------------------------------------------------------
// Strict decoding of dates and exact decimals.
// ---------------------------------------------------------------------------

/// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day) into
/// a real calendar date. chrono's `%Y-%m-%d` is laxer (signs, short fields).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// A date decoded strictly; only used as a serde vehicle for [`NaiveDate`].
#[repr(transparent)]
struct StrictDate(NaiveDate);

impl<'de> Deserialize<'de> for StrictDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = StrictDate;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a date string YYYY-MM-DD")
            }
            // `visit_str` also serves borrowed strings, so dates never allocate.
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StrictDate, E> {
                parse_date(s)
                    .map(StrictDate)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
            }
        }
        d.deserialize_str(DateVisitor)
    }
}

pub(crate) fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    StrictDate::deserialize(d).map(|s| s.0)
}

pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Ok(Option::<StrictDate>::deserialize(d)?.map(|s| s.0))
}

fn opt_dates<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<NaiveDate>>, D::Error> {
    // Same layout, so this collect reuses the vector's buffer.
    Ok(Option::<Vec<StrictDate>>::deserialize(d)?.map(|v| v.into_iter().map(|s| s.0).collect()))
}

/// Reads a JSON number exactly from its source text (never through `f64`),
/// e.g. `89.99`, `90`, `9e1`, `8.999E+1`. `None` when the value cannot be held
/// exactly in a [`Decimal`] (more than 28 decimal places or beyond ±7.9e28).
fn parse_decimal(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    // Trailing fractional zeros carry no value but could overflow the scale.
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    let mut value = Decimal::from_str_exact(mantissa).ok()?;
    if value.is_zero() {
        return Some(Decimal::ZERO);
    }
    // value = mantissa digits × 10^-scale; the exponent shifts the scale.
    let scale = i64::from(value.scale()).checked_sub(exponent)?;
    if scale >= 0 {
        value.set_scale(u32::try_from(scale).ok()?).ok()?;
    } else {
        // A negative scale means multiplying by 10^-scale; anything past 10^28
        // overflows anyway, which also bounds this loop.
        if scale < -28 {
            return None;
        }
        value.set_scale(0).ok()?;
        for _ in 0..-scale {
            value = value.checked_mul(Decimal::TEN)?;
        }
    }
    Some(value)
}

pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    // With serde_json's `arbitrary_precision`, `Number` keeps the literal text.
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => parse_decimal(n.as_str()).map(Some).ok_or_else(|| {
            de::Error::invalid_value(
                Unexpected::Other(n.as_str()),
                &"a number representable as an exact decimal",
            )
        }),
    }
}

/// Decodes one family record from JSON.
///
/// Absent and `null` fields become `None` (unknown). Required fields
/// (`assessment_date`, `members`, each member's `role`, each incident's `type`
/// and `date`) must be present and non-null. A wrong type, an enum value not in
/// the record spec, a date that is not a real `YYYY-MM-DD` day, or a number
/// that cannot be held exactly as a decimal is an `Err`, never a panic.
pub fn decode(json: &str) -> Result<Family, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------
// Three-valued logic.
// ---------------------------------------------------------------------------

/// A Kleene truth value. Ordered `False < Unknown < True`, so `and` is the
/// minimum and `or` the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Truth {
    False,
    Unknown,
    True,
}

impl Truth {
    /// `pred(value)`, or unknown when the value is.
    pub(crate) fn of<T>(value: Option<T>, pred: impl FnOnce(T) -> bool) -> Truth {
        value.map(pred).into()
    }
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

impl From<Option<bool>> for Truth {
    fn from(b: Option<bool>) -> Truth {
        b.map_or(Truth::Unknown, Truth::from)
    }
}

impl From<Truth> for Option<bool> {
    fn from(t: Truth) -> Option<bool> {
        match t {
            Truth::False => Some(false),
            Truth::Unknown => None,
            Truth::True => Some(true),
        }
    }
}

impl BitAnd for Truth {
    type Output = Truth;
    fn bitand(self, rhs: Truth) -> Truth {
        self.min(rhs)
    }
}

impl BitOr for Truth {
    type Output = Truth;
    fn bitor(self, rhs: Truth) -> Truth {
        self.max(rhs)
    }
}

impl BitOrAssign for Truth {
    fn bitor_assign(&mut self, rhs: Truth) {
        *self = *self | rhs;
    }
}

impl Not for Truth {
    type Output = Truth;
    fn not(self) -> Truth {
        match self {
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
            Truth::True => Truth::False,
        }
    }
}

// ---------------------------------------------------------------------------
// The outcome framework: headlines and needs, in the spec's table order.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Headline {
    Education,
    EarlyYears,
    Health,
    SubstanceUse,
    Relationships,
    Safeguarding,
    Crime,
    DomesticAbuse,
    Housing,
    Financial,
}

impl Headline {
    const COUNT: usize = 10;

    fn id(self) -> &'static str {
        match self {
            Headline::Education => "education",
            Headline::EarlyYears => "early_years",
            Headline::Health => "health",
            Headline::SubstanceUse => "substance_use",
            Headline::Relationships => "relationships",
            Headline::Safeguarding => "safeguarding",
            Headline::Crime => "crime",
            Headline::DomesticAbuse => "domestic_abuse",
            Headline::Housing => "housing",
            Headline::Financial => "financial",
        }
    }

    /// Inverse of `as usize`, for walking the table in order.
    const ALL: [Headline; Headline::COUNT] = [
        Headline::Education,
        Headline::EarlyYears,
        Headline::Health,
        Headline::SubstanceUse,
        Headline::Relationships,
        Headline::Safeguarding,
        Headline::Crime,
        Headline::DomesticAbuse,
        Headline::Housing,
        Headline::Financial,
    ];
}

// Variants mirror the spec's need ids, one of which is `housing_need`.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    PersistentAbsence,
    SuspensionOrExclusion,
    MissingEducation,
    Neet,
    DevelopmentConcern,
    NoEarlyEducation,
    MentalHealth,
    PhysicalHealth,
    SubstanceMisuse,
    ParentalConflict,
    ParentChildConflict,
    YoungCarer,
    Exploitation,
    MissingEpisodes,
    SocialCare,
    ChildProtectionConcern,
    Offending,
    AntiSocialBehaviour,
    DomesticAbuseIncident,
    DomesticAbuseInvolved,
    HousingNeed,
    EvictionOrArrears,
    Worklessness,
    ProblemDebt,
}

impl Need {
    const COUNT: usize = 24;

    /// Every need, in table order (the order of the `needs` output).
    const ALL: [Need; Need::COUNT] = [
        Need::PersistentAbsence,
        Need::SuspensionOrExclusion,
        Need::MissingEducation,
        Need::Neet,
        Need::DevelopmentConcern,
        Need::NoEarlyEducation,
        Need::MentalHealth,
        Need::PhysicalHealth,
        Need::SubstanceMisuse,
        Need::ParentalConflict,
        Need::ParentChildConflict,
        Need::YoungCarer,
        Need::Exploitation,
        Need::MissingEpisodes,
        Need::SocialCare,
        Need::ChildProtectionConcern,
        Need::Offending,
        Need::AntiSocialBehaviour,
        Need::DomesticAbuseIncident,
        Need::DomesticAbuseInvolved,
        Need::HousingNeed,
        Need::EvictionOrArrears,
        Need::Worklessness,
        Need::ProblemDebt,
    ];

    fn id(self) -> &'static str {
        match self {
            Need::PersistentAbsence => "persistent_absence",
            Need::SuspensionOrExclusion => "suspension_or_exclusion",
            Need::MissingEducation => "missing_education",
            Need::Neet => "neet",
            Need::DevelopmentConcern => "development_concern",
            Need::NoEarlyEducation => "no_early_education",
            Need::MentalHealth => "mental_health",
            Need::PhysicalHealth => "physical_health",
            Need::SubstanceMisuse => "substance_misuse",
            Need::ParentalConflict => "parental_conflict",
            Need::ParentChildConflict => "parent_child_conflict",
            Need::YoungCarer => "young_carer",
            Need::Exploitation => "exploitation",
            Need::MissingEpisodes => "missing_episodes",
            Need::SocialCare => "social_care",
            Need::ChildProtectionConcern => "child_protection_concern",
            Need::Offending => "offending",
            Need::AntiSocialBehaviour => "anti_social_behaviour",
            Need::DomesticAbuseIncident => "domestic_abuse_incident",
            Need::DomesticAbuseInvolved => "domestic_abuse_involved",
            Need::HousingNeed => "housing_need",
            Need::EvictionOrArrears => "eviction_or_arrears",
            Need::Worklessness => "worklessness",
            Need::ProblemDebt => "problem_debt",
        }
    }

    fn headline(self) -> Headline {
        use Need::*;
        match self {
            PersistentAbsence | SuspensionOrExclusion | MissingEducation | Neet => {
                Headline::Education
            }
            DevelopmentConcern | NoEarlyEducation => Headline::EarlyYears,
            MentalHealth | PhysicalHealth => Headline::Health,
            SubstanceMisuse => Headline::SubstanceUse,
            ParentalConflict | ParentChildConflict | YoungCarer => Headline::Relationships,
            Exploitation | MissingEpisodes | SocialCare | ChildProtectionConcern => {
                Headline::Safeguarding
            }
            Offending | AntiSocialBehaviour => Headline::Crime,
            DomesticAbuseIncident | DomesticAbuseInvolved => Headline::DomesticAbuse,
            HousingNeed | EvictionOrArrears => Headline::Housing,
            Worklessness | ProblemDebt => Headline::Financial,
        }
    }
}

/// The truth of every need, accumulated with Kleene `or` (so "any" over
/// members and incidents is a fold starting from `False`).
struct Findings([Truth; Need::COUNT]);

impl Index<Need> for Findings {
    type Output = Truth;
    fn index(&self, need: Need) -> &Truth {
        &self.0[need as usize]
    }
}

impl IndexMut<Need> for Findings {
    fn index_mut(&mut self, need: Need) -> &mut Truth {
        &mut self.0[need as usize]
    }
}

// ---------------------------------------------------------------------------
// Evaluation.
// ---------------------------------------------------------------------------

/// The decisions for one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `Some(true)` eligible, `Some(false)` not, `None` undetermined.
    pub eligible: Option<bool>,
    /// Headline ids known to be met, in the spec's table order.
    pub headlines: Vec<&'static str>,
    /// Need ids known to be present, in the spec's table order.
    pub needs: Vec<&'static str>,
}

/// Persistent absence: attendance of 90% or less, as the DfE counts it (exact: 90 <= 90,
/// 90.01 is not).
const ATTENDANCE_AT_MOST: Decimal = Decimal::from_parts(90, 0, 0, false, 0);

/// The programme's period: the outcome framework from 3 October 2022, the guidance to March
/// 2025 (inclusive).
pub const PERIOD: (NaiveDate, NaiveDate) = (
    match NaiveDate::from_ymd_opt(2022, 10, 3) {
        Some(d) => d,
        None => NaiveDate::MIN,
    },
    match NaiveDate::from_ymd_opt(2025, 3, 31) {
        Some(d) => d,
        None => NaiveDate::MAX,
    },
);

/// The council variants and the period override. `Settings::default()` is the national
/// reading, and is what [`evaluate`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// Count headline outcomes met instead of family needs present (a council variant).
    pub count_headlines: bool,
    /// Count every child under 18 as dependent, instead of the ONS dependent child.
    pub every_child_under_18: bool,
    /// Evaluate a record whose assessment date lies outside the programme's period.
    pub outside_period: bool,
}

/// A record assessed outside the programme's period, evaluated without
/// [`Settings::outside_period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutsidePeriod {
    /// The record's assessment date.
    pub assessment_date: NaiveDate,
}

impl std::fmt::Display for OutsidePeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "the assessment date {} is outside the Supporting Families period {} to {}",
            self.assessment_date, PERIOD.0, PERIOD.1
        )
    }
}

impl std::error::Error for OutsidePeriod {}

/// The assessment date and the start of the 12-month look-back window.
struct Today {
    date: NaiveDate,
    /// `today − 12 months`, clamped to month end (2024-02-29 → 2023-02-28).
    cutoff: NaiveDate,
}

impl Today {
    fn new(date: NaiveDate) -> Today {
        Today {
            date,
            // Decoded years are 0000–9999, far inside chrono's range; the
            // fallback only keeps this total.
            cutoff: date
                .checked_sub_months(Months::new(12))
                .unwrap_or(NaiveDate::MIN),
        }
    }

    /// Completed years from `dob` to today. Someone born on 29 February turns
    /// a year older on 1 March in non-leap years. Negative for a future `dob`.
    fn age(&self, dob: NaiveDate) -> i32 {
        calendar::age(dob, self.date)
    }

    /// `today − 12 months < d ≤ today`.
    fn recent(&self, d: NaiveDate) -> bool {
        self.cutoff < d && d <= self.date
    }

    /// `any d in dates: recent(d)`; unknown when the list is.
    fn any_recent(&self, dates: Option<&[NaiveDate]>) -> Truth {
        Truth::of(dates, |ds| ds.iter().any(|&d| self.recent(d)))
    }

    /// Folds one member into the member-level needs, and returns whether the
    /// member is a dependent child.
    fn member(&self, p: &Person, settings: &Settings, found: &mut Findings) -> Truth {
        let age = p.date_of_birth.map(|dob| self.age(dob));
        let age_in = |lo: i32, hi: i32| Truth::of(age, |a| (lo..=hi).contains(&a));
        let education = p.education.as_ref();
        let employment = p.employment.as_ref();
        let health = p.health.as_ref();
        let offending = p.offending.as_ref();
        let safeguarding = p.safeguarding.as_ref();
        let status = employment.and_then(|e| e.status);

        // Needs about any member, whatever their role.
        found[Need::Neet] |= age_in(16, 17) & Truth::of(status, |s| s == EmploymentStatus::Neet);
        found[Need::MentalHealth] |= health.and_then(|h| h.mental_health_concern).into();
        found[Need::PhysicalHealth] |= health.and_then(|h| h.physical_health_concern).into();
        found[Need::SubstanceMisuse] |= Truth::of(health.and_then(|h| h.substance_misuse), |s| {
            s != SubstanceMisuse::None
        });
        found[Need::Offending] |= self.any_recent(offending.and_then(|o| o.offences.as_deref()))
            | offending.and_then(|o| o.youth_justice).into();
        found[Need::AntiSocialBehaviour] |=
            self.any_recent(offending.and_then(|o| o.anti_social_behaviour.as_deref()));
        found[Need::DomesticAbuseInvolved] |=
            Truth::from(safeguarding.and_then(|s| s.domestic_abuse_victim))
                | safeguarding
                    .and_then(|s| s.domestic_abuse_perpetrator)
                    .into();

        // Role is always known, so "child and X" is false for everyone else
        // (whatever is unknown about them) and "adult and X" is false for
        // children: skipping the other branch is exact, not an approximation.
        match p.role {
            Role::Child => {
                let dob = p.date_of_birth;
                let csa = Truth::of(dob, |d| calendar::compulsory_school_age(d, self.date));
                // year(c): the recorded year group, else the chronological one.
                let year = education
                    .and_then(|e| e.year_group)
                    .or_else(|| dob.map(|d| calendar::year_group(d, self.date)));
                found[Need::PersistentAbsence] |= csa
                    & Truth::of(education.and_then(|e| e.attendance_pct), |pct| {
                        pct <= ATTENDANCE_AT_MOST
                    });
                found[Need::SuspensionOrExclusion] |= self
                    .any_recent(education.and_then(|e| e.suspensions.as_deref()))
                    | self.any_recent(education.and_then(|e| e.permanent_exclusions.as_deref()));
                found[Need::MissingEducation] |=
                    csa & education.and_then(|e| e.missing_education).into();
                found[Need::DevelopmentConcern] |= Truth::of(age, |a| a < 5)
                    & education.and_then(|e| e.development_concern).into();
                found[Need::NoEarlyEducation] |= age_in(3, 4)
                    & Truth::of(year, |y| y < 0)
                    & !Truth::from(education.and_then(|e| e.early_years_place));
                found[Need::YoungCarer] |= safeguarding.and_then(|s| s.young_carer).into();
                found[Need::Exploitation] |=
                    Truth::of(safeguarding.and_then(|s| s.exploitation_risk), |r| {
                        r != ExploitationRisk::None
                    });
                found[Need::MissingEpisodes] |=
                    self.any_recent(safeguarding.and_then(|s| s.missing_episodes.as_deref()));
                if settings.every_child_under_18 {
                    Truth::of(age, |a| a < 18)
                } else {
                    // ONS: under 16, or 16 to 18 in education.
                    Truth::of(age, |a| a < 16)
                        | (age_in(16, 18)
                            & Truth::of(status, |s| s == EmploymentStatus::InEducation))
                }
            }
            Role::ParentCarer | Role::OtherAdult => {
                found[Need::Worklessness] |=
                    Truth::from(employment.and_then(|e| e.out_of_work_benefits))
                        & Truth::of(status, |s| {
                            matches!(
                                s,
                                EmploymentStatus::Unemployed
                                    | EmploymentStatus::EconomicallyInactive
                            )
                        });
                Truth::False
            }
        }
    }

    /// Folds the incident list into the incident-based needs.
    fn incidents(&self, incidents: Option<&[Incident]>, found: &mut Findings) {
        let Some(incidents) = incidents else {
            // "any incident of type X has a recent date" over an unknown list.
            found[Need::ChildProtectionConcern] |= Truth::Unknown;
            found[Need::AntiSocialBehaviour] |= Truth::Unknown;
            found[Need::DomesticAbuseIncident] |= Truth::Unknown;
            return;
        };
        for incident in incidents.iter().filter(|i| self.recent(i.date)) {
            let need = match incident.kind {
                IncidentType::ChildProtectionConcern => Need::ChildProtectionConcern,
                IncidentType::AntiSocialBehaviour => Need::AntiSocialBehaviour,
                IncidentType::DomesticAbuse => Need::DomesticAbuseIncident,
                IncidentType::PoliceCallout | IncidentType::MissingPerson => continue,
            };
            found[need] = Truth::True;
        }
    }

    /// Sets the needs read from family-level fields.
    fn household(&self, family: &Family, found: &mut Findings) {
        let relationships = family.relationships.as_ref();
        let housing = family.housing.as_ref();
        found[Need::ParentalConflict] |= relationships.and_then(|r| r.parental_conflict).into();
        found[Need::ParentChildConflict] |=
            relationships.and_then(|r| r.parent_child_conflict).into();
        found[Need::SocialCare] |=
            Truth::of(family.social_care.as_ref().and_then(|s| s.status), |s| {
                matches!(
                    s,
                    SocialCareStatus::ChildInNeed | SocialCareStatus::ChildProtection
                )
            });
        found[Need::HousingNeed] |= Truth::of(housing.and_then(|h| h.status), |s| {
            matches!(
                s,
                HousingStatus::Homeless
                    | HousingStatus::TemporaryAccommodation
                    | HousingStatus::AtRiskOfHomelessness
            )
        });
        found[Need::EvictionOrArrears] |= Truth::from(housing.and_then(|h| h.rent_arrears))
            | self.any_recent(housing.and_then(|h| h.eviction_notices.as_deref()));
        found[Need::ProblemDebt] |= family.finances.as_ref().and_then(|f| f.problem_debt).into();
    }
}

/// Applies the Supporting Families rules (national reading) to a decoded family.
///
/// Allocates nothing but the two output vectors (and those only when
/// non-empty).
pub fn evaluate(family: &Family) -> Result<Outcome, OutsidePeriod> {
    evaluate_with(family, &Settings::default())
}

/// Applies the Supporting Families rules, with the council variants in `settings`.
pub fn evaluate_with(family: &Family, settings: &Settings) -> Result<Outcome, OutsidePeriod> {
    let assessment_date = family.assessment_date;
    let inside = PERIOD.0 <= assessment_date && assessment_date <= PERIOD.1;
    if !(inside || settings.outside_period) {
        return Err(OutsidePeriod { assessment_date });
    }
    let today = Today::new(assessment_date);
    let mut found = Findings([Truth::False; Need::COUNT]);

    let mut dependent_child = Truth::False;
    for person in &family.members {
        dependent_child |= today.member(person, settings, &mut found);
    }
    today.incidents(family.incidents.as_deref(), &mut found);
    today.household(family, &mut found);

    // A headline is met when any of its needs is present.
    let mut met = [Truth::False; Headline::COUNT];
    for need in Need::ALL {
        met[need.headline() as usize] |= found[need];
    }

    // "number of … ≥ 3" in three-valued logic: true when three are known, false when even
    // every undetermined one could not make three.
    let at_least_three = |truths: &[Truth]| {
        let known = truths.iter().filter(|&&t| t == Truth::True).count();
        let possible = truths.iter().filter(|&&t| t != Truth::False).count();
        if known >= 3 {
            Truth::True
        } else if possible < 3 {
            Truth::False
        } else {
            Truth::Unknown
        }
    };
    let enough = if settings.count_headlines {
        at_least_three(&met)
    } else {
        at_least_three(&found.0)
    };
    let dependants = dependent_child | family.expectant_parent.into();

    let known = met.iter().filter(|&&t| t == Truth::True).count();
    let needs_known = found.0.iter().filter(|&&t| t == Truth::True).count();
    let mut needs = Vec::with_capacity(needs_known);
    needs.extend(
        Need::ALL
            .into_iter()
            .filter(|&n| found[n] == Truth::True)
            .map(Need::id),
    );
    let mut headlines = Vec::with_capacity(known);
    headlines.extend(
        Headline::ALL
            .into_iter()
            .filter(|&h| met[h as usize] == Truth::True)
            .map(Headline::id),
    );

    Ok(Outcome {
        eligible: (dependants & enough).into(),
        headlines,
        needs,
    })
}

/// [`decode`] then [`evaluate`]; a record that does not decode or lies outside the programme's
/// period is an `Err` with a one-line message (that names no value of the record but the
/// assessment date).
pub fn evaluate_json(json: &str) -> Result<Outcome, String> {
    evaluate_json_with(json, &Settings::default())
}

/// [`decode`] then [`evaluate_with`].
pub fn evaluate_json_with(json: &str, settings: &Settings) -> Result<Outcome, String> {
    let family = decode(json)?;
    evaluate_with(&family, settings).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up() {
        for (i, n) in Need::ALL.into_iter().enumerate() {
            assert_eq!(n as usize, i);
        }
        for (i, h) in Headline::ALL.into_iter().enumerate() {
            assert_eq!(h as usize, i);
        }
        // Needs of one headline are contiguous and headlines appear in order.
        let order: Vec<usize> = Need::ALL.iter().map(|n| n.headline() as usize).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(order.last(), Some(&(Headline::COUNT - 1)));
    }

    #[test]
    fn kleene_tables() {
        use Truth::*;
        let all = [False, Unknown, True];
        for a in all {
            assert_eq!(False & a, False);
            assert_eq!(True | a, True);
            assert_eq!(True & a, a);
            assert_eq!(False | a, a);
            assert_eq!(!!a, a);
        }
        assert_eq!(Unknown & Unknown, Unknown);
        assert_eq!(Unknown | Unknown, Unknown);
        assert_eq!(!Unknown, Unknown);
    }

    #[test]
    fn strict_dates() {
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2024-1-01",
            "2024-01-1",
            "24-01-01",
            "+2024-01-01",
            "2024/01/01",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-01T00:00",
            "２０２４-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn exact_decimals() {
        let d = |s: &str| parse_decimal(s).map(|v| v.to_string());
        assert_eq!(d("89.99").as_deref(), Some("89.99"));
        assert_eq!(
            d("9e1").map(|s| s.parse::<Decimal>().unwrap()),
            Some(90.into())
        );
        assert_eq!(d("8.999E+1").as_deref(), Some("89.99"));
        assert_eq!(d("8999e-2").as_deref(), Some("89.99"));
        assert_eq!(d("-0.5").as_deref(), Some("-0.5"));
        assert_eq!(d("0e99999999999").as_deref(), Some("0"));
        assert_eq!(
            d("90.000000000000000000000000000000000").as_deref(),
            Some("90")
        );
        assert_eq!(d("1e29"), None);
        assert_eq!(d("1e-29"), None);
        assert_eq!(d("89.9999999999999999999999999999999"), None);
        assert_eq!(d("1e99999999999999999999"), None);
    }
}

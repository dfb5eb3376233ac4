//! Funded early education for two-year-olds (families receiving support): an independent
//! implementation of the shared spec `two-year-olds.md`, with the calendar of
//! `english-calendar.md`, in three-valued logic over the reference record v1.1. It is the
//! oracle the shipped policy is differentially tested against, so it shares no code with the
//! engine or the policy.
//!
//! [`Outcome::to_json`] gives the `outputs` object the engine prints: per-child decisions are
//! objects keyed by member id in member order (a child whose scope is undetermined is listed
//! with `null`), lists hold only what certainly holds, and an undetermined `eligible` is `null`.
//!
//! ```
//! use earlyhelp_benches::two_year_olds::evaluate_json;
//!
//! let out = evaluate_json(
//!     r#"{"id": "F1", "assessment_date": "2024-10-01",
//!         "members": [{"id": "C1", "role": "child", "date_of_birth": "2022-05-15"}],
//!         "finances": {"benefits": ["universal_credit"], "net_earned_income": 15400}}"#,
//! )
//! .unwrap();
//! assert_eq!(
//!     out.to_json().to_string(),
//!     r#"{"eligible_children":["C1"],"eligible":true,"funded_from":{"C1":"2024-09-01"},"funded_until":{"C1":"2025-08-31"},"routes":["universal_credit_low_earnings"]}"#
//! );
//! ```
//!
//! One reading the spec leaves open is made explicit here: the no-recourse income limit depends
//! on London and on "one child / two or more". When either is unknown, the route's income test
//! is decided if it comes out the same under every limit still possible (under all of them:
//! true; over all of them: false) and unknown otherwise — the answer a Kleene `or` of the four
//! (London, children) cases gives.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::calendar::{add_years, age, funding_period_end, next_funding_period};
use crate::native::{date, opt_date, opt_decimal, Truth};

// ---------------------------------------------------------------------------
// The record: the fields these rules read.
// ---------------------------------------------------------------------------

/// A family record (`family-record.md` v1.1), reduced to the fields the rules read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Family {
    /// The as-at date unless the caller names another.
    #[serde(deserialize_with = "date")]
    pub assessment_date: NaiveDate,
    /// ONS code of the council; London boroughs start `E09`.
    pub local_authority: Option<String>,
    /// Everyone in the household.
    pub members: Vec<Person>,
    /// The family has no recourse to public funds.
    pub no_recourse_to_public_funds: Option<bool>,
    /// Household finances.
    pub finances: Option<Finances>,
}

/// A member of the household.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Person {
    /// Unique within the family.
    pub id: String,
    /// The member's role.
    pub role: Role,
    /// Date of birth; `None` when unknown.
    #[serde(default, deserialize_with = "opt_date")]
    pub date_of_birth: Option<NaiveDate>,
    /// Only `sen` is read.
    pub education: Option<Education>,
    /// Receives Disability Living Allowance in their own right.
    pub disability_living_allowance: Option<bool>,
    /// Left care under an adoption, special guardianship or child arrangements order.
    pub left_care_under_order: Option<bool>,
    /// Looked after by a local authority.
    pub looked_after: Option<bool>,
}

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A parent or carer.
    ParentCarer,
    /// A child.
    Child,
    /// Another adult.
    OtherAdult,
}

/// `Person.education`, reduced to `sen`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Education {
    /// Special educational needs provision.
    pub sen: Option<Sen>,
}

/// `Education.sen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sen {
    None,
    SenSupport,
    Ehcp,
}

/// `Family.finances`, reduced to what the routes read.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Finances {
    /// Benefits the household receives; `None` when unknown.
    pub benefits: Option<Vec<Benefit>>,
    /// Earned income after tax, pounds a year.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub net_earned_income: Option<Decimal>,
    /// Income before tax, pounds a year.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub gross_income: Option<Decimal>,
    /// Savings and capital, pounds.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub savings: Option<Decimal>,
    /// Income after tax from all sources, pounds a year.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub net_income: Option<Decimal>,
}

/// A benefit of the reference record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    UniversalCredit,
    IncomeSupport,
    JobseekersAllowanceIncomeBased,
    EmploymentSupportAllowanceIncomeRelated,
    ChildTaxCredit,
    WorkingTaxCredit,
    PensionCreditGuarantee,
    AsylumSupport,
    WorkingTaxCreditRunOn,
}

/// Decodes one family record from JSON: absent and `null` fields are unknown; a wrong type, an
/// enum value not in the record spec or a date that is not a real day is an `Err`.
pub fn decode(json: &str) -> Result<Family, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------
// The rules.
// ---------------------------------------------------------------------------

const fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => NaiveDate::MIN,
    }
}

/// The scheme began in September 2013: an earlier as-at date is an error for the record.
pub const SCHEME_START: NaiveDate = day(2013, 9, 1);
const WORKING_TAX_CREDIT_FROM: NaiveDate = day(2014, 9, 1);
const UNIVERSAL_CREDIT_ANY_UNTIL: NaiveDate = day(2018, 3, 31);
const UNIVERSAL_CREDIT_EARNINGS_FROM: NaiveDate = day(2018, 4, 1);
const TAX_CREDITS_UNTIL: NaiveDate = day(2025, 4, 5);
const NO_RECOURSE_FROM: NaiveDate = day(2022, 9, 1);

const fn pounds(n: i64) -> Decimal {
    Decimal::from_parts(n as u32, 0, 0, false, 0)
}
const UNIVERSAL_CREDIT_EARNINGS_LIMIT: Decimal = pounds(15_400);
const TAX_CREDITS_INCOME_LIMIT: Decimal = pounds(16_190);
const NO_RECOURSE_SAVINGS_LIMIT: Decimal = pounds(16_000);
/// No-recourse income limits: (London, two or more children) → pounds a year.
fn no_recourse_income_limit(london: bool, two_or_more: bool) -> Decimal {
    match (london, two_or_more) {
        (false, false) => pounds(26_500),
        (false, true) => pounds(30_600),
        (true, false) => pounds(34_500),
        (true, true) => pounds(38_600),
    }
}

/// The routes, in the order of the spec's tables (household routes, then own-right ones).
pub const ROUTES: [&str; 11] = [
    "universal_credit",
    "universal_credit_low_earnings",
    "income_related_benefit",
    "asylum_support",
    "tax_credits_low_income",
    "working_tax_credit_run_on",
    "no_recourse_to_public_funds",
    "looked_after",
    "ehc_plan",
    "disability_living_allowance",
    "left_care_under_order",
];
const HOUSEHOLD_ROUTES: usize = 7;

/// `funded_from(c)`: the first day of the funding period after the second birthday.
pub fn funded_from(dob: NaiveDate) -> NaiveDate {
    next_funding_period(add_years(dob, 2))
}

/// `funded_until(c)`: the last day of the funding period of the third birthday.
pub fn funded_until(dob: NaiveDate) -> NaiveDate {
    funding_period_end(add_years(dob, 3))
}

/// Whether a child born on `dob` is in scope on `as_at`: from the second birthday to
/// `funded_until`.
pub fn in_scope(dob: NaiveDate, as_at: NaiveDate) -> bool {
    add_years(dob, 2) <= as_at && as_at <= funded_until(dob)
}

/// The decisions for one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// In-scope children for whom some route certainly holds, in member order.
    pub eligible_children: Vec<String>,
    /// `Some(true)` eligible, `Some(false)` not, `None` undetermined.
    pub eligible: Option<bool>,
    /// For each child in scope or of undetermined scope, in member order: `funded_from`
    /// (`None` when undetermined).
    pub funded_from: Vec<(String, Option<NaiveDate>)>,
    /// Likewise `funded_until`.
    pub funded_until: Vec<(String, Option<NaiveDate>)>,
    /// Routes that certainly hold for at least one in-scope child, in table order.
    pub routes: Vec<&'static str>,
}

impl Outcome {
    /// The `outputs` object the engine prints for these decisions.
    pub fn to_json(&self) -> Value {
        let per_child = |entries: &[(String, Option<NaiveDate>)]| {
            Value::Object(
                entries
                    .iter()
                    .map(|(id, d)| {
                        let v = d.map_or(Value::Null, |d| Value::String(d.to_string()));
                        (id.clone(), v)
                    })
                    .collect::<Map<String, Value>>(),
            )
        };
        let mut out = Map::new();
        out.insert(
            "eligible_children".into(),
            self.eligible_children.iter().cloned().collect(),
        );
        out.insert(
            "eligible".into(),
            self.eligible.map_or(Value::Null, Value::Bool),
        );
        out.insert("funded_from".into(), per_child(&self.funded_from));
        out.insert("funded_until".into(), per_child(&self.funded_until));
        out.insert(
            "routes".into(),
            self.routes.iter().map(|&r| Value::from(r)).collect(),
        );
        Value::Object(out)
    }
}

/// An as-at date before the scheme began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeforeScheme {
    /// The as-at date asked for.
    pub as_at: NaiveDate,
}

impl std::fmt::Display for BeforeScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "the as-at date {} is before funded places for two-year-olds began on {SCHEME_START}",
            self.as_at
        )
    }
}

impl std::error::Error for BeforeScheme {}

/// Evaluates at the record's assessment date.
pub fn evaluate(family: &Family) -> Result<Outcome, BeforeScheme> {
    evaluate_at(family, family.assessment_date)
}

/// Evaluates at the as-at date `t`.
pub fn evaluate_at(family: &Family, t: NaiveDate) -> Result<Outcome, BeforeScheme> {
    if t < SCHEME_START {
        return Err(BeforeScheme { as_at: t });
    }
    let household = household_routes(family, t);
    let children: Vec<&Person> = family
        .members
        .iter()
        .filter(|p| p.role == Role::Child)
        .collect();

    let mut out = Outcome {
        eligible_children: Vec::new(),
        eligible: None,
        funded_from: Vec::new(),
        funded_until: Vec::new(),
        routes: Vec::new(),
    };
    let mut eligible = Truth::False;
    let mut route_held = [Truth::False; ROUTES.len()];
    for c in children {
        let scope = Truth::of(c.date_of_birth, |b| in_scope(b, t));
        if scope != Truth::False {
            let dob = c.date_of_birth;
            out.funded_from.push((c.id.clone(), dob.map(funded_from)));
            out.funded_until.push((c.id.clone(), dob.map(funded_until)));
        }
        let own = [
            Truth::from(c.looked_after),
            Truth::of(c.education.as_ref().and_then(|e| e.sen), |s| s == Sen::Ehcp),
            Truth::from(c.disability_living_allowance),
            Truth::from(c.left_care_under_order),
        ];
        let mut some_route = Truth::False;
        for (i, route) in household.iter().chain(&own).enumerate() {
            route_held[i] |= scope & *route;
            some_route |= *route;
        }
        let this_child = scope & some_route;
        if this_child == Truth::True {
            out.eligible_children.push(c.id.clone());
        }
        eligible |= this_child;
    }
    out.eligible = eligible.into();
    out.routes = ROUTES
        .iter()
        .zip(route_held)
        .filter(|(_, held)| *held == Truth::True)
        .map(|(&r, _)| r)
        .collect();
    Ok(out)
}

/// The household routes on `t`, in table order: each false when not in force on `t`.
fn household_routes(family: &Family, t: NaiveDate) -> [Truth; HOUSEHOLD_ROUTES] {
    let finances = family.finances.as_ref();
    let benefits = finances.and_then(|f| f.benefits.as_deref());
    let claims = |b: Benefit| Truth::of(benefits, |list| list.contains(&b));
    let at_most = |v: Option<Decimal>, limit: Decimal| Truth::of(v, |v| v <= limit);
    let in_force = |from: NaiveDate, to: NaiveDate| from <= t && t <= to;
    let only_if = |cond: bool, truth: Truth| if cond { truth } else { Truth::False };

    let universal_credit = claims(Benefit::UniversalCredit);
    let income_related = Truth::of(benefits, |list| {
        list.iter().any(|b| {
            matches!(
                b,
                Benefit::IncomeSupport
                    | Benefit::JobseekersAllowanceIncomeBased
                    | Benefit::EmploymentSupportAllowanceIncomeRelated
                    | Benefit::PensionCreditGuarantee
            )
        })
    });
    let tax_credit_claimed = claims(Benefit::ChildTaxCredit)
        | only_if(
            t >= WORKING_TAX_CREDIT_FROM,
            claims(Benefit::WorkingTaxCredit),
        );
    [
        only_if(
            in_force(SCHEME_START, UNIVERSAL_CREDIT_ANY_UNTIL),
            universal_credit,
        ),
        only_if(
            t >= UNIVERSAL_CREDIT_EARNINGS_FROM,
            universal_credit
                & at_most(
                    finances.and_then(|f| f.net_earned_income),
                    UNIVERSAL_CREDIT_EARNINGS_LIMIT,
                ),
        ),
        income_related,
        claims(Benefit::AsylumSupport),
        only_if(
            t <= TAX_CREDITS_UNTIL,
            at_most(
                finances.and_then(|f| f.gross_income),
                TAX_CREDITS_INCOME_LIMIT,
            ) & tax_credit_claimed,
        ),
        only_if(
            in_force(WORKING_TAX_CREDIT_FROM, TAX_CREDITS_UNTIL),
            claims(Benefit::WorkingTaxCreditRunOn),
        ),
        only_if(
            t >= NO_RECOURSE_FROM,
            Truth::from(family.no_recourse_to_public_funds)
                & at_most(finances.and_then(|f| f.savings), NO_RECOURSE_SAVINGS_LIMIT)
                & no_recourse_income_test(family, t),
        ),
    ]
}

/// `net_income <= limit`, where the limit depends on London and on the number of children
/// under 18; decided when every limit still possible gives the same answer.
fn no_recourse_income_test(family: &Family, t: NaiveDate) -> Truth {
    let Some(income) = family.finances.as_ref().and_then(|f| f.net_income) else {
        return Truth::Unknown;
    };
    let london = Truth::of(family.local_authority.as_deref(), |la| {
        la.starts_with("E09")
    });
    // "count of children under 18 >= 2", three-valued.
    let (mut known, mut possible) = (0, 0);
    for c in family.members.iter().filter(|p| p.role == Role::Child) {
        match c.date_of_birth.map(|b| age(b, t) < 18) {
            Some(true) => {
                known += 1;
                possible += 1;
            }
            Some(false) => {}
            None => possible += 1,
        }
    }
    let two_or_more = if known >= 2 {
        Truth::True
    } else if possible < 2 {
        Truth::False
    } else {
        Truth::Unknown
    };
    let values = |t: Truth| match t {
        Truth::True => &[true][..],
        Truth::False => &[false][..],
        Truth::Unknown => &[false, true][..],
    };
    let mut under = Vec::with_capacity(4);
    for &l in values(london) {
        for &m in values(two_or_more) {
            under.push(income <= no_recourse_income_limit(l, m));
        }
    }
    if under.iter().all(|&u| u) {
        Truth::True
    } else if under.iter().all(|&u| !u) {
        Truth::False
    } else {
        Truth::Unknown
    }
}

/// [`decode`] then [`evaluate`]; a record that does not decode, or is assessed before the
/// scheme began, is an `Err` with a one-line message.
pub fn evaluate_json(json: &str) -> Result<Outcome, String> {
    let family = decode(json)?;
    evaluate(&family).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outputs(record: Value) -> Value {
        evaluate_json(&record.to_string())
            .unwrap_or_else(|e| panic!("{e}"))
            .to_json()
    }

    /// A child born on `dob` with no own-right route.
    fn child(id: &str, dob: &str) -> Value {
        json!({"id": id, "role": "child", "date_of_birth": dob, "looked_after": false,
               "education": {"sen": "none"}, "disability_living_allowance": false,
               "left_care_under_order": false})
    }

    /// A family with one child `C1` born on `dob`, assessed on `on`, with these finances.
    fn family(on: &str, dob: &str, finances: Value) -> Value {
        json!({"id": "F1", "assessment_date": on, "local_authority": "E08000025",
               "members": [{"id": "P1", "role": "parent_carer"}, child("C1", dob)],
               "no_recourse_to_public_funds": false,
               "finances": finances})
    }

    fn routes(v: &Value) -> Vec<&str> {
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect()
    }

    /// english-calendar.md "Funding periods" table; two-year-olds.md "The child's window".
    #[test]
    fn window_follows_the_funding_periods() {
        let v = outputs(family(
            "2024-09-02",
            "2022-05-15",
            json!({"benefits": ["income_support"]}),
        ));
        assert_eq!(v["funded_from"], json!({"C1": "2024-09-01"}));
        assert_eq!(v["funded_until"], json!({"C1": "2025-08-31"}));
        assert_eq!(v["eligible"], json!(true));
        assert_eq!(routes(&v), ["income_related_benefit"]);
        // In scope from the second birthday (before funding starts: "many accept
        // applications from the second birthday") …
        let v = outputs(family(
            "2024-05-15",
            "2022-05-15",
            json!({"benefits": ["income_support"]}),
        ));
        assert_eq!(v["funded_from"], json!({"C1": "2024-09-01"}));
        // … not the day before it …
        let v = outputs(family(
            "2024-05-14",
            "2022-05-15",
            json!({"benefits": ["income_support"]}),
        ));
        assert_eq!(v["funded_from"], json!({}));
        assert_eq!(v["eligible"], json!(false));
        assert_eq!(v["eligible_children"], json!([]));
        // … to the end of the period of the third birthday, not after.
        let v = outputs(family(
            "2025-08-31",
            "2022-05-15",
            json!({"benefits": ["income_support"]}),
        ));
        assert_eq!(v["eligible_children"], json!(["C1"]));
        let v = outputs(family(
            "2025-09-01",
            "2022-05-15",
            json!({"benefits": ["income_support"]}),
        ));
        assert_eq!(v["eligible"], json!(false));
    }

    /// english-calendar.md: "a birthday on 29 February falls on 1 March in other years".
    #[test]
    fn leap_day_child_turns_two_on_1_march() {
        let fin = json!({"benefits": ["asylum_support"]});
        let v = outputs(family("2022-02-28", "2020-02-29", fin.clone()));
        assert_eq!(v["eligible"], json!(false));
        let v = outputs(family("2022-03-01", "2020-02-29", fin));
        assert_eq!(v["funded_from"], json!({"C1": "2022-04-01"}));
        assert_eq!(v["funded_until"], json!({"C1": "2023-03-31"}));
        assert_eq!(routes(&v), ["asylum_support"]);
    }

    /// two-year-olds.md: `universal_credit` 2013-09-01 to 2018-03-31 (any claimant);
    /// `universal_credit_low_earnings` from 2018-04-01 with net earnings <= £15,400.
    #[test]
    fn universal_credit_routes_are_dated_and_the_limit_is_inclusive() {
        let uc = |income: &str| {
            let v: Value = serde_json::from_str(&format!(
                r#"{{"benefits": ["universal_credit"], "net_earned_income": {income}}}"#
            ))
            .unwrap();
            v
        };
        let v = outputs(family("2018-03-31", "2016-01-10", uc("40000")));
        assert_eq!(routes(&v), ["universal_credit"]);
        let v = outputs(family("2018-04-01", "2016-01-10", uc("40000")));
        assert_eq!(v["eligible"], json!(false));
        let v = outputs(family("2018-04-01", "2016-01-10", uc("15400.00")));
        assert_eq!(routes(&v), ["universal_credit_low_earnings"]);
        let v = outputs(family("2024-10-01", "2022-05-15", uc("15400.01")));
        assert_eq!(v["eligible"], json!(false));
        // Earnings unknown: undetermined; benefits unknown likewise.
        let v = outputs(family(
            "2024-10-01",
            "2022-05-15",
            json!({"benefits": ["universal_credit"]}),
        ));
        assert_eq!(v["eligible"], Value::Null);
        assert_eq!(v["eligible_children"], json!([]));
        let v = outputs(family("2024-10-01", "2022-05-15", json!({})));
        assert_eq!(v["eligible"], Value::Null);
    }

    /// two-year-olds.md: tax credits to 2025-04-05; working tax credit from 2014-09-01;
    /// gross income <= £16,190; the run-on 2014-09-01 to 2025-04-05.
    #[test]
    fn tax_credits_close_on_5_april_2025() {
        let tc = json!({"benefits": ["working_tax_credit"], "gross_income": 16190});
        let v = outputs(family("2025-04-05", "2023-01-10", tc.clone()));
        assert_eq!(routes(&v), ["tax_credits_low_income"]);
        let v = outputs(family("2025-04-06", "2023-01-10", tc.clone()));
        assert_eq!(v["eligible"], json!(false));
        // Working tax credit alone counts only from September 2014; child tax credit from 2013.
        let v = outputs(family("2014-08-31", "2012-05-01", tc));
        assert_eq!(v["eligible"], json!(false));
        let ctc = json!({"benefits": ["child_tax_credit"], "gross_income": 16190});
        let v = outputs(family("2014-08-31", "2012-05-01", ctc));
        assert_eq!(routes(&v), ["tax_credits_low_income"]);
        let over = json!({"benefits": ["child_tax_credit"], "gross_income": 16190.01});
        let v = outputs(family("2024-10-01", "2022-05-15", over));
        assert_eq!(v["eligible"], json!(false));
        let run_on = json!({"benefits": ["working_tax_credit_run_on"]});
        let v = outputs(family("2025-04-05", "2023-01-10", run_on.clone()));
        assert_eq!(routes(&v), ["working_tax_credit_run_on"]);
        let v = outputs(family("2025-04-06", "2023-01-10", run_on));
        assert_eq!(v["eligible"], json!(false));
    }

    fn no_recourse(on: &str, la: Option<&str>, children: &[&str], net_income: f64) -> Value {
        let mut members = vec![json!({"id": "P1", "role": "parent_carer"})];
        for (i, dob) in children.iter().enumerate() {
            members.push(child(&format!("C{}", i + 1), dob));
        }
        outputs(
            json!({"id": "F1", "assessment_date": on, "local_authority": la,
                       "members": members, "no_recourse_to_public_funds": true,
                       "finances": {"benefits": [], "savings": 16000, "net_income": net_income}}),
        )
    }

    /// two-year-olds.md: no recourse from 2022-09-01; £26,500 / £30,600 outside London,
    /// £34,500 / £38,600 in London (`E09`); savings <= £16,000.
    #[test]
    fn no_recourse_limits_by_london_and_children() {
        let two = "2022-05-15";
        let ten = "2014-05-15";
        // Outside London, one child: £26,500.
        let v = no_recourse("2024-10-01", Some("E08000025"), &[two], 26_500.0);
        assert_eq!(routes(&v), ["no_recourse_to_public_funds"]);
        let v = no_recourse("2024-10-01", Some("E08000025"), &[two], 26_500.5);
        assert_eq!(v["eligible"], json!(false));
        // Two children: £30,600.
        let v = no_recourse("2024-10-01", Some("E08000025"), &[ten, two], 30_600.0);
        assert_eq!(v["eligible"], json!(true));
        // London, one child: £34,500; two: £38,600.
        let v = no_recourse("2024-10-01", Some("E09000025"), &[two], 34_500.0);
        assert_eq!(v["eligible"], json!(true));
        let v = no_recourse("2024-10-01", Some("E09000025"), &[two], 34_501.0);
        assert_eq!(v["eligible"], json!(false));
        let v = no_recourse("2024-10-01", Some("E09000025"), &[ten, two], 38_600.0);
        assert_eq!(v["eligible"], json!(true));
        let v = no_recourse("2024-10-01", Some("E09000025"), &[ten, two], 38_600.01);
        assert_eq!(v["eligible"], json!(false));
        // A child of 18 is not counted.
        let v = no_recourse(
            "2024-10-01",
            Some("E08000025"),
            &["2006-01-01", two],
            30_000.0,
        );
        assert_eq!(v["eligible"], json!(false));
        // Before September 2022 the route does not exist.
        let v = no_recourse("2022-08-31", Some("E09000025"), &["2020-05-15"], 1_000.0);
        assert_eq!(v["eligible"], json!(false));
        // Council unknown: under every limit, over every limit, or in between.
        let v = no_recourse("2024-10-01", None, &[two], 26_000.0);
        assert_eq!(v["eligible"], json!(true));
        let v = no_recourse("2024-10-01", None, &[two], 40_000.0);
        assert_eq!(v["eligible"], json!(false));
        let v = no_recourse("2024-10-01", None, &[two], 30_000.0);
        assert_eq!(v["eligible"], Value::Null);
    }

    #[test]
    fn no_recourse_savings_cap() {
        let v = outputs(json!({"id": "F1", "assessment_date": "2024-10-01",
            "local_authority": "E08000025",
            "members": [child("C1", "2022-05-15")],
            "no_recourse_to_public_funds": true,
            "finances": {"benefits": [], "savings": 16000.01, "net_income": 1000}}));
        assert_eq!(v["eligible"], json!(false));
    }

    /// two-year-olds.md "Own-right routes — each holds for the child itself only": a
    /// looked-after foster child does not make the carers' own two-year-old eligible.
    #[test]
    fn looked_after_is_the_childs_own_route() {
        let v = outputs(json!({"id": "F1", "assessment_date": "2024-10-01",
            "members": [
                {"id": "P1", "role": "parent_carer"},
                {"id": "C1", "role": "child", "date_of_birth": "2022-06-01",
                 "looked_after": false, "education": {"sen": "none"},
                 "disability_living_allowance": false, "left_care_under_order": false},
                {"id": "C2", "role": "child", "date_of_birth": "2022-03-01",
                 "looked_after": true}],
            "no_recourse_to_public_funds": false,
            "finances": {"benefits": []}}));
        assert_eq!(v["eligible_children"], json!(["C2"]));
        assert_eq!(v["eligible"], json!(true));
        assert_eq!(routes(&v), ["looked_after"]);
        assert_eq!(
            v["funded_from"],
            json!({"C1": "2024-09-01", "C2": "2024-04-01"})
        );
    }

    /// "a child whose scope is undetermined is listed with `null`".
    #[test]
    fn undetermined_scope_is_listed_with_null() {
        let v = outputs(json!({"id": "F1", "assessment_date": "2024-10-01",
            "members": [{"id": "C1", "role": "child"},
                        {"id": "C2", "role": "child", "date_of_birth": "2010-01-01",
                         "looked_after": true},
                        {"id": "P1", "role": "parent_carer", "date_of_birth": "2022-05-15"}],
            "finances": {"benefits": ["income_support"]}}));
        assert_eq!(v["funded_from"], json!({"C1": null}));
        assert_eq!(v["funded_until"], json!({"C1": null}));
        assert_eq!(v["eligible"], Value::Null);
        assert_eq!(v["routes"], json!([]));
    }

    /// "Evaluating at a date before 2013-09-01 is an error for that record."
    #[test]
    fn before_the_scheme_is_an_error() {
        let text = family("2013-08-31", "2011-05-01", json!({})).to_string();
        let err = evaluate_json(&text).unwrap_err();
        assert!(err.contains("2013-09-01"), "{err}");
        assert!(evaluate_json(&family("2013-09-01", "2011-05-01", json!({})).to_string()).is_ok());
    }
}

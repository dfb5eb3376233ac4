//! A plain two-valued reading of the Supporting Families rules v2 (`spec/supporting-families.md`,
//! with the calendar of `spec/english-calendar.md`) over complete records (`missing = 0`), used
//! to check the generator's prevalence figures. It is not the engine: unknown values are simply
//! read as "no", and the programme period is not enforced.

#![allow(dead_code)] // each test binary uses a different part

use serde_json::Value;

pub type Ymd = (i32, u32, u32);

pub fn ymd(v: &Value) -> Option<Ymd> {
    let s = v.as_str()?;
    let part = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    Some((part(0..4)? as i32, part(5..7)?, part(8..10)?))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `today − 12 months < d ≤ today`, clamping to the end of the month.
pub fn recent(d: Ymd, today: Ymd) -> bool {
    let (y, m, day) = today;
    let cutoff = (y - 1, m, day.min(days_in_month(y - 1, m)));
    cutoff < d && d <= today
}

/// Completed years from `dob` to `today`.
pub fn age(dob: Ymd, today: Ymd) -> i32 {
    let years = today.0 - dob.0;
    if (today.1, today.2) < (dob.1, dob.2) {
        years - 1
    } else {
        years
    }
}

/// The same day `n` years later; 29 February falls on 1 March in other years.
pub fn add_years(d: Ymd, n: i32) -> Ymd {
    let y = d.0 + n;
    if (d.1, d.2) == (2, 29) && days_in_month(y, 2) == 28 {
        (y, 3, 1)
    } else {
        (y, d.1, d.2)
    }
}

fn school_year(d: Ymd) -> i32 {
    if d.1 >= 9 {
        d.0
    } else {
        d.0 - 1
    }
}

/// `year_group(dob, on)` of the calendar spec: the age on the 31 August before, less 4.
pub fn year_group(dob: Ymd, on: Ymd) -> i32 {
    age(dob, (school_year(on), 8, 31)) - 4
}

/// `compulsory_school_age(dob, on)` of the calendar spec.
pub fn compulsory_school_age(dob: Ymd, on: Ymd) -> bool {
    let fifth = add_years(dob, 5);
    let start = match fifth.1 {
        1..=3 => (fifth.0, 3, 31),
        4..=8 => (fifth.0, 8, 31),
        _ => (fifth.0, 12, 31),
    };
    let year = school_year(add_years(dob, 16)) + 1;
    // Sakamoto's weekday of 30 June (0 = Sunday; Friday is 5).
    let y = year;
    let june_30 = (y + y / 4 - y / 100 + y / 400 + 3 + 30).rem_euclid(7);
    let end = (year, 6, 30 - (june_30 - 5).rem_euclid(7) as u32);
    start <= on && on <= end
}

pub fn today(f: &Value) -> Ymd {
    ymd(&f["assessment_date"]).expect("assessment_date")
}

pub fn members(f: &Value) -> &[Value] {
    f["members"].as_array().map_or(&[], Vec::as_slice)
}

pub fn age_of(f: &Value, m: &Value) -> Option<i32> {
    Some(age(ymd(&m["date_of_birth"])?, today(f)))
}

pub fn is_child(m: &Value) -> bool {
    m["role"] == "child"
}

fn truthy(v: &Value) -> bool {
    v.as_bool() == Some(true)
}

fn csa(f: &Value, m: &Value) -> bool {
    ymd(&m["date_of_birth"]).is_some_and(|dob| compulsory_school_age(dob, today(f)))
}

/// `year(c)`: the recorded year group, else the chronological one.
fn year(f: &Value, m: &Value) -> Option<i32> {
    m["education"]["year_group"]
        .as_i64()
        .map(|y| y as i32)
        .or_else(|| Some(year_group(ymd(&m["date_of_birth"])?, today(f))))
}

fn any_recent(f: &Value, list: &Value) -> bool {
    let t = today(f);
    list.as_array()
        .is_some_and(|l| l.iter().filter_map(ymd).any(|d| recent(d, t)))
}

fn in_ages(f: &Value, m: &Value, low: i32, high: i32) -> bool {
    age_of(f, m).is_some_and(|a| (low..=high).contains(&a))
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The needs present, as `(headline, need)` in the order of the spec's table.
pub fn needs(f: &Value) -> Vec<(&'static str, &'static str)> {
    let ms = members(f);
    let children = || ms.iter().filter(|m| is_child(m));
    let t = today(f);
    let incident_recent = |kind: &str| {
        f["incidents"].as_array().is_some_and(|l| {
            l.iter()
                .any(|i| i["type"] == kind && ymd(&i["date"]).is_some_and(|d| recent(d, t)))
        })
    };
    let status_in = |v: &Value, set: &[&str]| v.as_str().is_some_and(|s| set.contains(&s));
    let checks: [(&str, &str, bool); 24] = [
        (
            "education",
            "persistent_absence",
            children().any(|c| {
                csa(f, c) && number(&c["education"]["attendance_pct"]).is_some_and(|a| a <= 90.0)
            }),
        ),
        (
            "education",
            "suspension_or_exclusion",
            children().any(|c| {
                any_recent(f, &c["education"]["suspensions"])
                    || any_recent(f, &c["education"]["permanent_exclusions"])
            }),
        ),
        (
            "education",
            "missing_education",
            children().any(|c| csa(f, c) && truthy(&c["education"]["missing_education"])),
        ),
        (
            "education",
            "neet",
            ms.iter()
                .any(|m| in_ages(f, m, 16, 17) && m["employment"]["status"] == "neet"),
        ),
        (
            "early_years",
            "development_concern",
            children().any(|c| {
                age_of(f, c).is_some_and(|a| a < 5)
                    && truthy(&c["education"]["development_concern"])
            }),
        ),
        (
            "early_years",
            "no_early_education",
            children().any(|c| {
                in_ages(f, c, 3, 4)
                    && year(f, c).is_some_and(|y| y < 0)
                    && c["education"]["early_years_place"] == Value::Bool(false)
            }),
        ),
        (
            "health",
            "mental_health",
            ms.iter()
                .any(|m| truthy(&m["health"]["mental_health_concern"])),
        ),
        (
            "health",
            "physical_health",
            ms.iter()
                .any(|m| truthy(&m["health"]["physical_health_concern"])),
        ),
        (
            "substance_use",
            "substance_misuse",
            ms.iter().any(|m| {
                status_in(
                    &m["health"]["substance_misuse"],
                    &["alcohol", "drugs", "both"],
                )
            }),
        ),
        (
            "relationships",
            "parental_conflict",
            truthy(&f["relationships"]["parental_conflict"]),
        ),
        (
            "relationships",
            "parent_child_conflict",
            truthy(&f["relationships"]["parent_child_conflict"]),
        ),
        (
            "relationships",
            "young_carer",
            children().any(|c| truthy(&c["safeguarding"]["young_carer"])),
        ),
        (
            "safeguarding",
            "exploitation",
            children().any(|c| {
                status_in(
                    &c["safeguarding"]["exploitation_risk"],
                    &["sexual", "criminal", "both"],
                )
            }),
        ),
        (
            "safeguarding",
            "missing_episodes",
            children().any(|c| any_recent(f, &c["safeguarding"]["missing_episodes"])),
        ),
        (
            "safeguarding",
            "social_care",
            status_in(
                &f["social_care"]["status"],
                &["child_in_need", "child_protection"],
            ),
        ),
        (
            "safeguarding",
            "child_protection_concern",
            incident_recent("child_protection_concern"),
        ),
        (
            "crime",
            "offending",
            ms.iter().any(|m| {
                any_recent(f, &m["offending"]["offences"])
                    || truthy(&m["offending"]["youth_justice"])
            }),
        ),
        (
            "crime",
            "anti_social_behaviour",
            ms.iter()
                .any(|m| any_recent(f, &m["offending"]["anti_social_behaviour"]))
                || incident_recent("anti_social_behaviour"),
        ),
        (
            "domestic_abuse",
            "domestic_abuse_incident",
            incident_recent("domestic_abuse"),
        ),
        (
            "domestic_abuse",
            "domestic_abuse_involved",
            ms.iter().any(|m| {
                truthy(&m["safeguarding"]["domestic_abuse_victim"])
                    || truthy(&m["safeguarding"]["domestic_abuse_perpetrator"])
            }),
        ),
        (
            "housing",
            "housing_need",
            status_in(
                &f["housing"]["status"],
                &[
                    "homeless",
                    "temporary_accommodation",
                    "at_risk_of_homelessness",
                ],
            ),
        ),
        (
            "housing",
            "eviction_or_arrears",
            truthy(&f["housing"]["rent_arrears"])
                || any_recent(f, &f["housing"]["eviction_notices"]),
        ),
        (
            "financial",
            "worklessness",
            ms.iter().any(|m| {
                !is_child(m)
                    && truthy(&m["employment"]["out_of_work_benefits"])
                    && status_in(
                        &m["employment"]["status"],
                        &["unemployed", "economically_inactive"],
                    )
            }),
        ),
        (
            "financial",
            "problem_debt",
            truthy(&f["finances"]["problem_debt"]),
        ),
    ];
    checks
        .into_iter()
        .filter(|c| c.2)
        .map(|(h, n, _)| (h, n))
        .collect()
}

pub fn headlines(f: &Value) -> Vec<&'static str> {
    let mut hs: Vec<&str> = needs(f).into_iter().map(|(h, _)| h).collect();
    hs.dedup();
    hs
}

/// The ONS dependent child: under 16, or 16 to 18 in education.
pub fn has_dependent_child(f: &Value) -> bool {
    members(f).iter().any(|m| {
        is_child(m)
            && age_of(f, m).is_some_and(|a| {
                a < 16 || ((16..=18).contains(&a) && m["employment"]["status"] == "in_education")
            })
    })
}

/// Eligible under the national reading: three family needs.
pub fn eligible(f: &Value) -> bool {
    (has_dependent_child(f) || truthy(&f["expectant_parent"])) && needs(f).len() >= 3
}

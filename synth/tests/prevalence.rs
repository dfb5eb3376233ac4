//! Sanity bands on the synthetic population: the shares that the documentation cites should
//! come out near their public figures, and the Supporting Families eligibility rate should be
//! plausible (neither almost nobody nor almost everybody).

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

const FAMILIES: u64 = 5_000;

/// Counts of "how many of these have that", keyed by a label.
#[derive(Default)]
struct Tally(BTreeMap<&'static str, (u64, u64)>);

impl Tally {
    fn add(&mut self, label: &'static str, hit: bool) {
        let e = self.0.entry(label).or_default();
        e.0 += u64::from(hit);
        e.1 += 1;
    }

    fn share(&self, label: &str) -> f64 {
        let (hit, of) = self.0.get(label).copied().unwrap_or_default();
        assert!(of > 0, "nothing counted for {label}");
        hit as f64 / of as f64
    }
}

fn population(seed: u64) -> Tally {
    let mut t = Tally::default();
    for index in 1..=FAMILIES {
        let f = earlyhelp_synth::family(seed, index, 0.0);
        count(&mut t, &f);
    }
    t
}

fn count(t: &mut Tally, f: &Value) {
    let today = today(f);
    let ms = members(f);
    let ages: Vec<i32> = ms.iter().map(|m| age_of(f, m).unwrap()).collect();
    let dependent = has_dependent_child(f);
    let parents = ms.iter().filter(|m| m["role"] == "parent_carer").count();
    let fin = &f["finances"];
    let benefits: Vec<&str> = fin["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();

    t.add(
        "families: dependent children or expectant",
        dependent || f["expectant_parent"] == true,
    );
    if dependent {
        t.add("families with children: lone parent", parents == 1);
        t.add(
            "families with children: universal credit",
            benefits.contains(&"universal_credit"),
        );
        let earners = ms.iter().any(|m| {
            m["role"] == "parent_carer"
                && matches!(
                    m["employment"]["status"].as_str(),
                    Some("employed" | "self_employed")
                )
        });
        t.add("families with children: no parent in work", !earners);
        let n = ms
            .iter()
            .zip(&ages)
            .filter(|(m, &a)| is_child(m) && a < 18)
            .count();
        t.add("families with children: 3 or more children", n >= 3);
        t.add(
            "families with children: another adult",
            ms.iter().any(|m| m["role"] == "other_adult"),
        );
    }
    let school_age = ms
        .iter()
        .zip(&ages)
        .any(|(m, a)| is_child(m) && (4..=17).contains(a));
    if school_age {
        t.add(
            "families with school-age children: free school meals",
            fin["free_school_meals"] == true,
        );
    }
    for (m, &a) in ms.iter().zip(&ages) {
        let e = &m["education"];
        if is_child(m) && (5..=15).contains(&a) {
            // A 5-year-old not yet at school (a deferred Reception start) has no attendance.
            let Some(att) = e["attendance_pct"].as_f64() else {
                continue;
            };
            t.add("children 5-15: attendance below 90", att < 90.0);
            t.add("children 5-15: attendance below 50", att < 50.0);
            t.add("children 5-15: EHC plan", e["sen"] == "ehcp");
            t.add("children 5-15: SEN support", e["sen"] == "sen_support");
            let susp = e["suspensions"].as_array().unwrap();
            t.add(
                "children 5-15: a suspension in the last 12 months",
                susp.iter().any(|d| recent(ymd(d).unwrap(), today)),
            );
        }
        if is_child(m) && a == 2 {
            t.add(
                "two-year-olds: funded place",
                e["early_years_place"] == true,
            );
        }
        if is_child(m) && (3..=4).contains(&a) {
            t.add(
                "three- and four-year-olds: funded place",
                e["early_years_place"] == true,
            );
        }
        if let Some(period) = is_child(m)
            .then(|| ymd(&m["date_of_birth"]))
            .flatten()
            .and_then(|dob| two_year_old_period(dob, today))
        {
            t.add(
                "two-year-olds in scope: second birthday in January to March",
                period == 0,
            );
            t.add(
                "two-year-olds in scope: second birthday in April to August",
                period == 1,
            );
            t.add(
                "two-year-olds in scope: second birthday in September to December",
                period == 2,
            );
        }
        if is_child(m) && a < 18 {
            t.add("children: aged 2", a == 2);
            t.add("children: looked after", m["looked_after"] == true);
            t.add(
                "children: year group recorded",
                e["year_group"].as_i64().is_some(),
            );
            let dob = ymd(&m["date_of_birth"]).unwrap();
            if let Some(y) = e["year_group"].as_i64() {
                let chronological = year_group(dob, today);
                assert_eq!(
                    (y - i64::from(chronological)).abs(),
                    1,
                    "{} {}",
                    f["id"],
                    m["id"]
                );
            }
            // Of compulsory school age: at school, so attendance is known.
            if compulsory_school_age(dob, today) {
                assert!(e["attendance_pct"].is_number(), "{} {}", f["id"], m["id"]);
            }
        }
        if !is_child(m) {
            t.add(
                "adults: mental health concern",
                m["health"]["mental_health_concern"] == true,
            );
        }
    }
    t.add(
        "families: no recourse to public funds",
        f["no_recourse_to_public_funds"] == true,
    );
    t.add(
        "families: a child aged 1 to 4",
        ms.iter()
            .zip(&ages)
            .any(|(m, a)| is_child(m) && (1..=4).contains(a)),
    );
    t.add(
        "families: assessed outside the Supporting Families period",
        !((2022, 10, 3)..=(2025, 3, 31)).contains(&today),
    );
    t.add(
        "families: working tax credit run-on",
        benefits.contains(&"working_tax_credit_run_on"),
    );
    for i in f["incidents"].as_array().unwrap() {
        if i["type"] == "child_protection_concern" {
            t.add(
                "child protection concerns: outcome section 47",
                i["outcome"] == "section_47",
            );
            t.add(
                "child protection concerns: outcome not yet known",
                i.get("outcome").is_none(),
            );
        }
    }
    let cutoff_hits = f["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| ymd(&i["date"]))
        .any(|d| !recent(d, today) && recent(d.add_day(), today));
    t.add(
        "families: an incident exactly 12 months before",
        cutoff_hits,
    );

    let needs = needs(f);
    for n in ALL_NEEDS {
        t.add(n, needs.iter().any(|x| x.1 == *n));
    }
    let hs = headlines(f);
    for h in ALL_HEADLINES {
        t.add(h, hs.contains(h));
    }
    t.add("eligible", eligible(f));
}

/// For a child in scope for a two-year-old place on `today` (from the second birthday to the end
/// of the funding period of the third: `spec/two-year-olds.md`), the funding period of the
/// second birthday: 0 January–March, 1 April–August, 2 September–December.
fn two_year_old_period(dob: Ymd, today: Ymd) -> Option<u8> {
    let period = |m: u32| match m {
        1..=3 => 0u8,
        4..=8 => 1,
        _ => 2,
    };
    let second = add_years(dob, 2);
    let third = add_years(dob, 3);
    let end = match period(third.1) {
        0 => (third.0, 3, 31),
        1 => (third.0, 8, 31),
        _ => (third.0, 12, 31),
    };
    (second <= today && today <= end).then(|| period(second.1))
}

trait NextDay {
    fn add_day(self) -> Self;
}

impl NextDay for Ymd {
    fn add_day(self) -> Self {
        let (y, m, d) = self;
        let last = match m {
            2 if y % 4 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        match (d == last, m == 12) {
            (false, _) => (y, m, d + 1),
            (true, false) => (y, m + 1, 1),
            (true, true) => (y + 1, 1, 1),
        }
    }
}

const ALL_NEEDS: &[&str] = &[
    "persistent_absence",
    "suspension_or_exclusion",
    "missing_education",
    "neet",
    "development_concern",
    "no_early_education",
    "mental_health",
    "physical_health",
    "substance_misuse",
    "parental_conflict",
    "parent_child_conflict",
    "young_carer",
    "exploitation",
    "missing_episodes",
    "social_care",
    "child_protection_concern",
    "offending",
    "anti_social_behaviour",
    "domestic_abuse_incident",
    "domestic_abuse_involved",
    "housing_need",
    "eviction_or_arrears",
    "worklessness",
    "problem_debt",
];

const ALL_HEADLINES: &[&str] = &[
    "education",
    "early_years",
    "health",
    "substance_use",
    "relationships",
    "safeguarding",
    "crime",
    "domestic_abuse",
    "housing",
    "financial",
];

fn assert_band(t: &Tally, label: &str, low: f64, high: f64) {
    let share = t.share(label);
    assert!(
        (low..=high).contains(&share),
        "{label}: {share:.3} is outside {low}..={high}"
    );
}

#[test]
fn prevalence_is_near_the_public_figures() {
    let t = population(7);
    // DfE pupil absence 2022/23: 21% persistently absent, 2% severely absent.
    assert_band(&t, "children 5-15: attendance below 90", 0.10, 0.35);
    assert_band(&t, "children 5-15: attendance below 50", 0.005, 0.05);
    // ONS families and households: about a quarter of families are lone-parent families.
    assert_band(&t, "families with children: lone parent", 0.18, 0.32);
    // DfE schools, pupils and their characteristics: about 24% eligible for free meals.
    assert_band(
        &t,
        "families with school-age children: free school meals",
        0.15,
        0.33,
    );
    // DfE SEN in England 2024: 4.8% EHC plans, 13.6% SEN support.
    assert_band(&t, "children 5-15: EHC plan", 0.03, 0.07);
    assert_band(&t, "children 5-15: SEN support", 0.10, 0.20);
    // Suspensions are rare.
    assert_band(
        &t,
        "children 5-15: a suspension in the last 12 months",
        0.005,
        0.06,
    );
    // Workless households with children: about 1 in 10.
    assert_band(&t, "families with children: no parent in work", 0.06, 0.16);
    // Two-year-olds exist, and some have a funded place.
    assert_band(&t, "children: aged 2", 0.03, 0.09);
    assert_band(&t, "two-year-olds: funded place", 0.15, 0.6);
    // Boundary dates occur.
    assert_band(
        &t,
        "families: an incident exactly 12 months before",
        0.001,
        0.05,
    );
    // Supporting Families: eligible, but far from everyone.
    assert_band(&t, "eligible", 0.10, 0.30);
    // The v1.1 fields: rare, but there.
    assert_band(&t, "families: no recourse to public funds", 0.002, 0.03);
    assert_band(&t, "children: looked after", 0.001, 0.01);
    assert_band(&t, "children: year group recorded", 0.005, 0.04);
    assert_band(&t, "families: working tax credit run-on", 0.0005, 0.02);
    assert_band(
        &t,
        "child protection concerns: outcome section 47",
        0.05,
        0.3,
    );
    assert_band(
        &t,
        "child protection concerns: outcome not yet known",
        0.005,
        0.2,
    );
    // A fair test of the two-year-old offer: children of every funding period, and of the
    // programme period.
    for period in [
        "January to March",
        "April to August",
        "September to December",
    ] {
        let label = format!("two-year-olds in scope: second birthday in {period}");
        assert_band(&t, &label, 0.15, 0.6);
    }
    assert_band(&t, "families: a child aged 1 to 4", 0.25, 0.6);
    assert_band(
        &t,
        "families: assessed outside the Supporting Families period",
        0.1,
        0.22,
    );
    for need in ALL_NEEDS {
        assert_band(&t, need, 0.001, 0.45);
    }
}

#[test]
fn other_seeds_give_similar_populations() {
    let a = population(11).share("eligible");
    let b = population(12).share("eligible");
    assert!((a - b).abs() < 0.03, "eligible share {a:.3} vs {b:.3}");
}

/// Prints every tallied share (for `docs/synthetic-data.md`):
/// `cargo test -p earlyhelp-synth --release --test prevalence -- --ignored --nocapture report`
#[test]
#[ignore]
fn report() {
    let t = population(1);
    for (label, (hit, of)) in &t.0 {
        println!(
            "{label:60} {:6.2}%  ({hit}/{of})",
            100.0 * *hit as f64 / *of as f64
        );
    }
    let mut counts = [0u64; 11];
    for index in 1..=FAMILIES {
        let f = earlyhelp_synth::family(1, index, 0.0);
        counts[headlines(&f).len()] += 1;
    }
    println!("families by number of headlines met: {counts:?}");
    // With unknowns, the families that are certainly eligible (unknown read as "no").
    let missing = earlyhelp_synth::Options::default().missing;
    let known = (1..=FAMILIES)
        .filter(|&i| eligible(&earlyhelp_synth::family(1, i, missing)))
        .count();
    println!(
        "certainly eligible at missing {missing}: {:.2}%",
        100.0 * known as f64 / FAMILIES as f64
    );
}

/// Times `write_jsonl` for a million families:
/// `cargo test -p earlyhelp-synth --release --test prevalence -- --ignored --nocapture million`
#[test]
#[ignore]
fn million_families_timing() {
    let opts = earlyhelp_synth::Options {
        families: 1_000_000,
        ..Default::default()
    };
    let mut bytes = CountingSink(0);
    let start = std::time::Instant::now();
    earlyhelp_synth::write_jsonl(&opts, &mut bytes).unwrap();
    let took = start.elapsed();
    println!(
        "write_jsonl, 1,000,000 families: {:.2} s, {:.0} MB",
        took.as_secs_f64(),
        bytes.0 as f64 / 1e6
    );

    // For comparison: the same families through a serde_json::Value each.
    let start = std::time::Instant::now();
    let mut sink = CountingSink(0);
    for index in 1..=100_000 {
        serde_json::to_writer(&mut sink, &earlyhelp_synth::family(1, index, 0.08)).unwrap();
    }
    println!(
        "via serde_json::Value, 100,000 families: {:.2} s",
        start.elapsed().as_secs_f64()
    );
}

struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

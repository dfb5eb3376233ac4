//! Draws one family with every value known. The figures and their public sources are listed
//! in `docs/synthetic-data.md`; the constants here are the same numbers.
//!
//! Needs cluster in real families (a workless lone parent in temporary accommodation is far
//! more likely than average to have a child persistently absent), so each family first draws a
//! latent adversity [`Tier`] and most rates are a base figure times the tier's multiplier. The
//! multipliers average about 1 over the population, so the base figures are close to the
//! population shares that the documentation cites.
//!
//! Only exact arithmetic is used on random numbers (no `ln`, `exp`, `powf`): those come from the
//! platform's maths library and may differ in the last bit, which would change the output.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::date::Date;
use crate::model::*;
use crate::places;

/// Supporting Families 2022–25: the outcome framework in force from 3 October 2022, the
/// guidance to 31 March 2025. Most assessments fall inside; some deliberately do not.
const PROGRAMME_START: Date = Date::ymd(2022, 10, 3);
const PROGRAMME_END: Date = Date::ymd(2025, 3, 31);
/// The working-parent entitlement for two-year-olds started in April 2024.
const WORKING_PARENT_OFFER: Date = Date::ymd(2024, 4, 1);
/// Tax credits closed on 5 April 2025.
const TAX_CREDITS_CLOSED: Date = Date::ymd(2025, 4, 6);

/// Where an assessment date falls: the share of families and the range (inclusive).
const ASSESSMENT_PERIODS: &[((Date, Date), f64)] = &[
    // The programme period.
    ((PROGRAMME_START, PROGRAMME_END), 0.84),
    // After it: families assessed under the Families First Partnership programme.
    ((Date::ymd(2025, 4, 1), Date::ymd(2025, 12, 31)), 0.06),
    // The guidance was out but the outcome framework not yet in force.
    ((Date::ymd(2022, 4, 1), Date::ymd(2022, 10, 2)), 0.05),
    // Historical records (earlier programmes), as far back as any Universal Credit claimant
    // qualifying a two-year-old (to March 2018).
    ((Date::ymd(2016, 4, 1), Date::ymd(2022, 3, 31)), 0.05),
];

/// Month and day of the calendar's edges: school years, funding periods, prescribed days and
/// 29 February.
const EDGE_BIRTHDAYS: &[(u32, u32)] =
    &[(8, 31), (9, 1), (12, 31), (1, 1), (3, 31), (4, 1), (2, 29)];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Two parents or carers with dependent children.
    Couple,
    /// A lone parent with dependent children.
    Lone,
    /// Expecting a first baby, no children yet.
    Expectant,
    /// Only grown-up children at home: not a Supporting Families family unless expecting.
    Grown,
}

#[derive(Clone, Copy)]
enum Tier {
    Low,
    Medium,
    High,
}

/// Multipliers for needs that cluster strongly in disadvantaged families (crime, housing,
/// domestic abuse, social care, substance misuse).
const STRONG: [f64; 3] = [0.4, 1.5, 4.0];
/// Multipliers for common needs that cluster less (health, absence, worklessness).
const MILD: [f64; 3] = [0.6, 1.3, 2.4];

/// Absence from school as a percentage of sessions, as a piecewise-linear inverse CDF.
/// Shaped on DfE "Pupil absence in schools in England" 2022/23: overall absence 7.4%, about
/// 1 pupil in 5 persistently absent (10%+) and 2% severely absent (50%+). The top 20% of the
/// table is the persistent-absence tail.
const ABSENCE_PCT: &[(f64, f64)] = &[
    (0.0, 0.0),
    (0.10, 0.6),
    (0.25, 1.8),
    (0.50, 4.0),
    (0.70, 6.8),
    (0.80, 10.0),
    (0.90, 15.5),
    (0.95, 22.0),
    (0.98, 50.0),
    (0.995, 75.0),
    (1.0, 100.0),
];
const PERSISTENT_ABSENCE: f64 = 0.20;

/// Gross annual earnings of one employee job in pounds, as a piecewise-linear inverse CDF,
/// rounded from the percentiles of ONS ASHE 2023 (all employee jobs, full- and part-time).
const EARNINGS: &[(f64, f64)] = &[
    (0.0, 1_500.0),
    (0.10, 6_500.0),
    (0.20, 12_500.0),
    (0.30, 18_000.0),
    (0.40, 23_500.0),
    (0.50, 28_500.0),
    (0.60, 33_000.0),
    (0.70, 39_000.0),
    (0.80, 47_000.0),
    (0.90, 62_000.0),
    (0.95, 80_000.0),
    (0.99, 140_000.0),
    (1.0, 250_000.0),
];

/// Income thresholds, in pence, that policies test against (funded places for two-year-olds,
/// free school meals); some families sit exactly on them.
const UC_EARNINGS_LIMIT_2YO: u64 = 1_540_000;
const TAX_CREDIT_INCOME_LIMIT: u64 = 1_619_000;
const UC_EARNINGS_LIMIT_FSM: u64 = 740_000;

/// The random source for one family, with the family's as-at date and adversity tier.
struct Sampler<'r> {
    rng: &'r mut ChaCha8Rng,
    today: Date,
    tier: Tier,
}

impl Sampler<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    /// A base rate scaled for a need that clusters strongly.
    fn strong(&mut self, base: f64) -> bool {
        self.chance(base * STRONG[self.tier as usize])
    }

    /// A base rate scaled for a need that clusters mildly.
    fn mild(&mut self, base: f64) -> bool {
        self.chance(base * MILD[self.tier as usize])
    }

    /// One of the values, in proportion to the weights (which need not sum to 1).
    fn pick<T: Copy>(&mut self, table: &[(T, f64)]) -> T {
        let total: f64 = table.iter().map(|&(_, w)| w).sum();
        let mut x = self.rng.gen::<f64>() * total;
        for &(value, weight) in table {
            if x < weight {
                return value;
            }
            x -= weight;
        }
        table[table.len() - 1].0
    }

    fn between(&mut self, low: i32, high: i32) -> i32 {
        self.rng.gen_range(low..=high)
    }

    /// About N(0, 1): the Irwin–Hall sum of four uniforms, centred and scaled.
    fn normal(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| self.rng.gen::<f64>()).sum();
        (sum - 2.0) * 1.732_050_8
    }

    /// A value from a piecewise-linear inverse CDF at the quantile `u`.
    fn quantile(table: &[(f64, f64)], u: f64) -> f64 {
        for pair in table.windows(2) {
            let ((p0, x0), (p1, x1)) = (pair[0], pair[1]);
            if u <= p1 {
                return x0 + (x1 - x0) * (u - p0) / (p1 - p0);
            }
        }
        table[table.len() - 1].1
    }

    /// `today − 12 months < d ≤ today`, the look-back window of the Supporting Families rules.
    fn recent(&self, d: Date) -> bool {
        self.today.sub_months(12) < d && d <= self.today
    }

    /// A date for a recorded event: mostly in the last year, many 1–3 years back, and a few on
    /// the edges of the 12-month window so that policies are tested exactly there.
    fn event_date(&mut self) -> Date {
        let today = self.today;
        let cutoff = today.sub_months(12);
        let r: f64 = self.rng.gen();
        if r < 0.04 {
            cutoff // exactly 12 months before: just outside the window
        } else if r < 0.05 {
            cutoff.add_days(1) // the first day inside it
        } else if r < 0.06 {
            today // the last day inside it
        } else if r < 0.07 {
            // Recorded after the as-at date (a back-dated assessment): never recent.
            today.add_days(self.between(1, 60))
        } else if r < 0.67 {
            cutoff.add_days(self.between(2, today.days_since(cutoff) - 1))
        } else if r < 0.95 {
            let from = today.sub_months(24);
            from.add_days(self.between(0, cutoff.days_since(from) - 1))
        } else {
            let from = today.sub_months(36);
            from.add_days(self.between(0, today.sub_months(24).days_since(from) - 1))
        }
    }

    /// A sorted list of event dates: empty unless `happened`, else a count from `counts`.
    fn events(&mut self, happened: bool, counts: &[(u32, f64)]) -> Vec<Date> {
        if !happened {
            return Vec::new();
        }
        let n = self.pick(counts);
        let mut dates: Vec<Date> = (0..n).map(|_| self.event_date()).collect();
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// A date of birth giving completed age `age` at the assessment date; 1% have their
    /// birthday on the assessment date itself, the edge of every age band, and 3% on an edge
    /// of the school or funding calendar (31 August, 1 September, 29 February, …).
    fn date_of_birth(&mut self, age: u32) -> Date {
        let latest = self.today.sub_months(12 * age);
        if self.chance(0.01) {
            return latest;
        }
        if self.chance(0.03) {
            let (month, day) = EDGE_BIRTHDAYS[self.rng.gen_range(0..EDGE_BIRTHDAYS.len())];
            let year = self.today.to_ymd().0 - age as i32;
            for y in [year, year - 1] {
                let leap_ok =
                    (month, day) != (2, 29) || Date::ymd(y, 3, 1).add_days(-1).to_ymd().2 == 29;
                if leap_ok && Date::ymd(y, month, day).age_on(self.today) == age as i32 {
                    return Date::ymd(y, month, day);
                }
            }
        }
        let earliest = self.today.sub_months(12 * (age + 1)).add_days(1);
        earliest.add_days(self.between(0, latest.days_since(earliest)))
    }
}

const ONE_EVENT: &[(u32, f64)] = &[(1, 1.0)];
const FEW_EVENTS: &[(u32, f64)] = &[(1, 0.6), (2, 0.25), (3, 0.15)];
const MANY_EVENTS: &[(u32, f64)] = &[(1, 0.45), (2, 0.25), (3, 0.15), (4, 0.1), (5, 0.05)];

/// Samples family number `index` from its own random stream.
pub(crate) fn family(rng: &mut ChaCha8Rng, index: u64) -> Family {
    // 1% on 29 February 2024, where "12 months before" has to be clamped.
    let today = if rng.gen_bool(0.01) {
        Date::ymd(2024, 2, 29)
    } else {
        let mut x = rng.gen::<f64>();
        let mut range = ASSESSMENT_PERIODS[0].0;
        for &(r, share) in ASSESSMENT_PERIODS {
            range = r;
            if x < share {
                break;
            }
            x -= share;
        }
        range
            .0
            .add_days(rng.gen_range(0..=range.1.days_since(range.0)))
    };
    let (local_authority, postcode) = places::address(rng);
    let mut s = Sampler {
        rng,
        today,
        tier: Tier::Low,
    };
    // ONS "Families and households in the UK: 2023": about a quarter of families with
    // dependent children are lone-parent families (0.235 / 0.935).
    let kind = s.pick(&[
        (Kind::Couple, 0.700),
        (Kind::Lone, 0.235),
        (Kind::Expectant, 0.040),
        (Kind::Grown, 0.025),
    ]);
    // The tier shares are a modelling choice (no public source), tuned so that the rates
    // below come out near their published population figures.
    s.tier = match kind {
        Kind::Lone => s.pick(&[(Tier::Low, 0.45), (Tier::Medium, 0.37), (Tier::High, 0.18)]),
        Kind::Expectant => s.pick(&[(Tier::Low, 0.55), (Tier::Medium, 0.30), (Tier::High, 0.15)]),
        Kind::Couple | Kind::Grown => {
            s.pick(&[(Tier::Low, 0.68), (Tier::Medium, 0.25), (Tier::High, 0.07)])
        }
    };

    let shape = household(&mut s, kind);
    // No recourse to public funds (an immigration condition): NRPF Network and council
    // figures put supported families at a few per 1,000, concentrated in London.
    let london = local_authority.starts_with("E09");
    let no_recourse_to_public_funds =
        kind != Kind::Grown && s.chance(if london { 0.03 } else { 0.005 });
    let economy = economy(&mut s, kind, &shape, no_recourse_to_public_funds);

    let mut members: Vec<Person> = Vec::with_capacity(shape.len());
    let (mut parents, mut children, mut others) = (0, 0, 0);
    for (i, &(role, age)) in shape.iter().enumerate() {
        let number = match role {
            Role::ParentCarer => &mut parents,
            Role::Child => &mut children,
            Role::OtherAdult => &mut others,
        };
        *number += 1;
        let mut p = person(&mut s, role, *number, age, &economy, i);
        if role == Role::Child {
            // Census 2021: about 1% of 5–17 year olds give unpaid care, mostly to a parent with
            // a health or substance need; services know of more (Children's Society estimates).
            let parent_needs_care = members.iter().any(|m| {
                m.is_adult()
                    && (m.health.mental_health_concern
                        || m.health.physical_health_concern
                        || m.health.substance_misuse != Substance::None)
            });
            let base = if parent_needs_care { 0.06 } else { 0.02 };
            p.safeguarding.young_carer = (8..18).contains(&age) && s.mild(base);
        }
        members.push(p);
    }

    let has_children = members.iter().any(|m| m.role == Role::Child && m.age < 18);
    let expectant_parent = match kind {
        Kind::Expectant => true,
        Kind::Grown => s.chance(0.02),
        Kind::Couple | Kind::Lone => s.chance(0.05),
    };
    let free_school_meals = free_school_meals(&mut s, &members, &economy);
    let mut incidents = domestic_abuse(&mut s, &mut members);
    incidents.extend(other_incidents(&mut s, &members));
    incidents.sort_by_key(|i| i.date);

    let housing = housing(&mut s, economy.workless);
    let problem_debt = s.strong(if housing.rent_arrears { 0.12 } else { 0.06 });
    let relationships = relationships(&mut s, &members);
    let social_care = social_care(&mut s, has_children || expectant_parent);

    Family {
        index,
        assessment: today,
        local_authority,
        postcode,
        members,
        expectant_parent,
        no_recourse_to_public_funds,
        incidents,
        housing,
        finances: Finances {
            problem_debt,
            free_school_meals,
            benefits: economy.benefits,
            net_earned_pence: economy.net_earned_pence,
            gross_income_pence: economy.gross_income_pence,
            savings_pence: economy.savings_pence,
            net_income_pence: economy.net_income_pence,
        },
        relationships,
        social_care,
    }
}

/// Roles and ages, parents first, then other adults, then children eldest first.
fn household(s: &mut Sampler<'_>, kind: Kind) -> Vec<(Role, u32)> {
    let mut children: Vec<(Role, u32)> = Vec::new();
    match kind {
        Kind::Couple | Kind::Lone => {
            // ONS families and households: of families with dependent children about 44% have
            // one, 38% two and the rest three or more.
            let n = s.pick(&[(1, 0.44), (2, 0.38), (3, 0.13), (4, 0.04), (5, 0.01)]);
            let mut gaps: Vec<u32> = (1..n)
                .map(|_| {
                    s.pick(&[
                        (0, 0.02),
                        (1, 0.12),
                        (2, 0.33),
                        (3, 0.25),
                        (4, 0.14),
                        (5, 0.08),
                        (6, 0.06),
                    ])
                })
                .collect();
            // Squeeze the spacing so everyone is still under 18.
            while gaps.iter().sum::<u32>() > 17 {
                if let Some(widest) = gaps.iter_mut().max() {
                    *widest -= 1;
                }
            }
            let spread: u32 = gaps.iter().sum();
            let mut age = s.between(0, 17 - spread as i32) as u32;
            children.push((Role::Child, age));
            for gap in gaps {
                age += gap;
                children.push((Role::Child, age));
            }
            // A grown-up son or daughter still at home, recorded as a child of the family.
            if s.chance(0.025) {
                let eldest = age;
                children.push((Role::Child, (eldest + 1).max(18) + s.between(0, 2) as u32));
            }
        }
        Kind::Grown => {
            let role = if s.chance(0.75) {
                Role::Child
            } else {
                Role::OtherAdult
            };
            for _ in 0..s.between(1, 2) {
                children.push((role, s.between(18, 22) as u32));
            }
        }
        Kind::Expectant => {}
    }
    children.sort_by_key(|c| std::cmp::Reverse(c.1));
    let eldest = children.first().map_or(0, |c| c.1);

    // Parent's age: the eldest child's age plus age at first birth (ONS "Births in England and
    // Wales": mothers' average age at first birth about 29; lone parents are younger).
    let first_birth_mean = if kind == Kind::Lone { 26.0 } else { 29.0 };
    let parent1 = if kind == Kind::Expectant {
        (27.0 + 6.0 * s.normal()).round().clamp(16.0, 44.0) as u32
    } else {
        let at_first = (first_birth_mean + 5.5 * s.normal())
            .round()
            .clamp(16.0, 45.0);
        eldest + at_first as u32
    };
    let mut members = vec![(Role::ParentCarer, parent1)];
    let two_parents = match kind {
        Kind::Couple => true,
        Kind::Lone => false,
        Kind::Expectant => s.chance(0.6),
        Kind::Grown => s.chance(0.6),
    };
    if two_parents {
        let partner = parent1 as f64 + (2.0 + 3.0 * s.normal()).round();
        let youngest_plausible = (eldest + 16).max(17) as f64;
        members.push((
            Role::ParentCarer,
            partner.clamp(youngest_plausible, 80.0) as u32,
        ));
    }
    // About 7% of households with children include another adult: a grandparent or a relative.
    if kind != Kind::Expectant && s.chance(0.07) {
        let age = if s.chance(0.55) {
            (parent1 + s.between(20, 30) as u32).min(90)
        } else {
            s.between(18, 35) as u32
        };
        members.push((Role::OtherAdult, age));
    }
    members.extend(children);
    members
}

/// Work, benefits and income of the household (the parents' benefit unit).
struct Economy {
    workless: bool,
    /// Every parent works, as the working-parent childcare offer requires.
    parents_all_work: bool,
    /// Work status for each member aged 16+, by member index.
    status: Vec<Option<WorkStatus>>,
    benefits: Vec<Benefit>,
    out_of_work_household: bool,
    net_earned_pence: u64,
    gross_income_pence: u64,
    savings_pence: u64,
    net_income_pence: u64,
}

/// The limits of the two-year-old offer's no-recourse route, in pence: outside London one
/// child, two or more; in London one, two or more. Some families sit exactly on them.
const NO_RECOURSE_INCOME_LIMITS: [u64; 4] = [2_650_000, 3_060_000, 3_450_000, 3_860_000];
const NO_RECOURSE_SAVINGS_LIMIT: u64 = 1_600_000;

/// Household savings and capital in pounds, as a piecewise-linear inverse CDF: most families
/// with children have little (ONS *Household total wealth*, Resolution Foundation analyses of
/// families' liquid savings: about 3 in 10 have none to speak of).
const SAVINGS: &[(f64, f64)] = &[
    (0.0, 0.0),
    (0.30, 0.0),
    (0.50, 400.0),
    (0.70, 2_500.0),
    (0.85, 9_000.0),
    (0.93, 16_000.0),
    (1.0, 80_000.0),
];

fn economy(s: &mut Sampler<'_>, kind: Kind, shape: &[(Role, u32)], no_recourse: bool) -> Economy {
    let parents = shape.iter().filter(|m| m.0 == Role::ParentCarer).count();
    let has_children = shape.iter().any(|m| m.0 == Role::Child && m.1 < 18);
    // Home Office asylum statistics: roughly 0.4% of families with children are supported
    // asylum seekers, who may not work.
    let asylum = !no_recourse && has_children && s.chance(0.004);
    // ONS "Working and workless households": about 1 in 10 households with dependent children
    // is workless, over a quarter of lone-parent households.
    let workless = asylum
        || s.mild(match kind {
            Kind::Couple => 0.045,
            Kind::Lone => 0.22,
            Kind::Expectant | Kind::Grown => 0.10,
        });
    let both_work = parents == 2 && !workless && s.chance(0.72);
    let earner = if parents == 2 { s.between(0, 1) } else { 0 };

    let mut status = Vec::with_capacity(shape.len());
    let mut parent_index = 0;
    for &(role, age) in shape {
        let st = match role {
            Role::ParentCarer => {
                let works = !workless && (both_work || parent_index == earner);
                parent_index += 1;
                Some(parent_status(s, works, asylum, age))
            }
            Role::OtherAdult => Some(other_adult_status(s, age)),
            Role::Child if age >= 16 => Some(if age < 18 && s.mild(0.05) {
                // DfE "Participation in education, training and employment": about 5% of
                // 16–17 year olds are NEET.
                WorkStatus::Neet
            } else if s.chance(if age < 18 { 0.065 } else { 0.5 }) {
                WorkStatus::Employed
            } else {
                WorkStatus::InEducation
            }),
            Role::Child => None,
        };
        status.push(st);
    }

    // Earnings of the parents who work, before and after income tax and National Insurance.
    let mut gross_earned = 0;
    let mut net_earned = 0;
    for (i, &(role, _)) in shape.iter().enumerate() {
        if role == Role::ParentCarer && status[i].is_some_and(WorkStatus::earns) {
            let mut u: f64 = s.rng.gen();
            if kind == Kind::Lone {
                u *= 0.85; // more part-time work
            }
            u = match s.tier {
                Tier::Low => 0.1 + 0.9 * u,
                Tier::Medium => 0.9 * u,
                Tier::High => 0.75 * u,
            };
            let gross = (Sampler::quantile(EARNINGS, u) * 100.0).round() as u64;
            gross_earned += gross;
            net_earned += net_of(gross);
        }
    }

    let benefits = if no_recourse {
        Vec::new() // no public funds: no benefits at all
    } else {
        benefits(s, kind, shape, workless, asylum, net_earned)
    };
    let claims = |b: Benefit| benefits.contains(&b);
    // Some families sit exactly on the thresholds that the funded-childcare rules use.
    if claims(Benefit::UniversalCredit) && net_earned > 0 && s.chance(0.04) {
        net_earned = s.pick(&[
            (UC_EARNINGS_LIMIT_2YO, 1.0),
            (UC_EARNINGS_LIMIT_2YO - 1, 1.0),
            (UC_EARNINGS_LIMIT_2YO + 1, 1.0),
        ]);
        gross_earned = gross_of(net_earned);
    }
    if claims(Benefit::ChildTaxCredit) && net_earned > 0 && s.chance(0.06) {
        gross_earned = s.pick(&[
            (TAX_CREDIT_INCOME_LIMIT, 1.0),
            (TAX_CREDIT_INCOME_LIMIT - 1, 1.0),
            (TAX_CREDIT_INCOME_LIMIT + 1, 1.0),
        ]);
        net_earned = net_of(gross_earned);
    }
    // Other income before tax: child maintenance for lone parents, small pensions or savings.
    let other_income = if kind == Kind::Lone && s.chance(0.3) {
        s.between(1_000, 6_000) as u64 * 100
    } else if s.chance(0.08) {
        s.between(200, 4_000) as u64 * 100
    } else {
        0
    };
    let out_of_work_household = benefits.iter().any(|b| b.out_of_work())
        || (claims(Benefit::UniversalCredit) && net_earned == 0);
    let tax_credit_income_limit_applies =
        claims(Benefit::ChildTaxCredit) || claims(Benefit::WorkingTaxCredit);
    let gross_income_pence = if tax_credit_income_limit_applies
        && (TAX_CREDIT_INCOME_LIMIT - 1..=TAX_CREDIT_INCOME_LIMIT + 1).contains(&gross_earned)
    {
        gross_earned // keep the boundary value exact
    } else {
        gross_earned + other_income
    };

    // Income after tax from all sources: earnings after tax, other income, and the benefits
    // (amounts are rough: £4,000–£9,000 a year plus £3,000 a child) and child benefit.
    let children = shape
        .iter()
        .filter(|m| m.0 == Role::Child && m.1 < 18)
        .count() as u64;
    let benefit_income = if benefits.is_empty() {
        0
    } else {
        (s.between(4_000, 9_000) as u64 + 3_000 * children) * 100
    };
    let child_benefit = if no_recourse || children == 0 {
        0
    } else {
        (1_330 + 880 * (children - 1)) * 100
    };
    let mut net_income_pence =
        net_earned + (gross_income_pence - gross_earned) + benefit_income + child_benefit;
    let mut savings_pence = (Sampler::quantile(SAVINGS, s.rng.gen()) * 100.0).round() as u64;
    if no_recourse && s.chance(0.15) {
        let limit = NO_RECOURSE_INCOME_LIMITS[s.rng.gen_range(0..4)];
        net_income_pence = s.pick(&[(limit, 1.0), (limit - 1, 1.0), (limit + 1, 1.0)]);
    }
    if no_recourse && s.chance(0.1) {
        savings_pence = s.pick(&[
            (NO_RECOURSE_SAVINGS_LIMIT, 1.0),
            (NO_RECOURSE_SAVINGS_LIMIT - 1, 1.0),
            (NO_RECOURSE_SAVINGS_LIMIT + 1, 1.0),
        ]);
    }

    let parents_all_work = shape
        .iter()
        .zip(&status)
        .filter(|(m, _)| m.0 == Role::ParentCarer)
        .all(|(_, st)| st.is_some_and(WorkStatus::earns));
    Economy {
        workless,
        parents_all_work,
        status,
        benefits,
        out_of_work_household,
        net_earned_pence: net_earned,
        gross_income_pence,
        savings_pence,
        net_income_pence,
    }
}

fn parent_status(s: &mut Sampler<'_>, works: bool, asylum: bool, age: u32) -> WorkStatus {
    if asylum {
        WorkStatus::Inactive
    } else if works {
        if s.chance(0.14) {
            WorkStatus::SelfEmployed
        } else {
            WorkStatus::Employed
        }
    } else if age < 18 {
        s.pick(&[(WorkStatus::InEducation, 0.55), (WorkStatus::Neet, 0.45)])
    } else {
        s.pick(&[
            (WorkStatus::Inactive, 0.62),
            (WorkStatus::Unemployed, 0.32),
            (WorkStatus::InEducation, 0.06),
        ])
    }
}

fn other_adult_status(s: &mut Sampler<'_>, age: u32) -> WorkStatus {
    if age >= 66 {
        WorkStatus::Inactive // retired
    } else if age <= 24 {
        s.pick(&[
            (WorkStatus::Employed, 0.5),
            (WorkStatus::InEducation, 0.25),
            (WorkStatus::Neet, 0.1),
            (WorkStatus::Unemployed, 0.05),
            (WorkStatus::Inactive, 0.1),
        ])
    } else {
        s.pick(&[
            (WorkStatus::Employed, 0.6),
            (WorkStatus::SelfEmployed, 0.07),
            (WorkStatus::Unemployed, 0.1),
            (WorkStatus::Inactive, 0.23),
        ])
    }
}

/// Annual earnings after income tax and employee National Insurance, in pence, at 2024/25
/// rates for England (personal allowance £12,570, basic 20% to £50,270 then 40%; NI 8% then
/// 2%). Ignores the allowance taper above £100,000 and self-employed differences.
fn net_of(gross: u64) -> u64 {
    const ALLOWANCE: u64 = 1_257_000;
    const HIGHER: u64 = 5_027_000;
    let basic_band = gross.clamp(ALLOWANCE, HIGHER) - ALLOWANCE;
    let higher_band = gross.saturating_sub(HIGHER);
    let deductions = basic_band * 28 / 100 + higher_band * 42 / 100;
    gross - deductions
}

/// The gross earnings that leave `net` after tax, for a single basic-rate earner.
fn gross_of(net: u64) -> u64 {
    const ALLOWANCE: u64 = 1_257_000;
    if net <= ALLOWANCE {
        net
    } else {
        ALLOWANCE + (net - ALLOWANCE) * 100 / 72
    }
}

fn benefits(
    s: &mut Sampler<'_>,
    kind: Kind,
    shape: &[(Role, u32)],
    workless: bool,
    asylum: bool,
    net_earned: u64,
) -> Vec<Benefit> {
    use Benefit::*;
    let has_children = shape.iter().any(|m| m.0 == Role::Child && m.1 < 18);
    let mut list = if asylum {
        vec![AsylumSupport]
    } else if workless {
        // DWP benefit statistics: most workless families now claim Universal Credit; a few
        // remain on legacy benefits (with child tax credit), some claim nothing.
        let legacy = s.pick(&[
            (Some(UniversalCredit), 0.84),
            (Some(EsaIncomeRelated), 0.05),
            (Some(IncomeSupport), 0.03),
            (Some(JsaIncomeBased), 0.02),
            (None, 0.06),
        ]);
        match legacy {
            Some(UniversalCredit) => vec![UniversalCredit],
            Some(b) if has_children => vec![b, ChildTaxCredit],
            Some(b) => vec![b],
            None => Vec::new(),
        }
    } else {
        let low_income_limit: u64 = match kind {
            Kind::Couple => 3_200_000,
            Kind::Lone => 2_400_000,
            Kind::Expectant | Kind::Grown => 1_500_000,
        };
        if net_earned < low_income_limit {
            // Tax credits were being moved to Universal Credit through 2023–25 and closed on
            // 5 April 2025; a few records after that still list them (not yet updated).
            let tax_credits = if s.today < WORKING_PARENT_OFFER {
                0.22
            } else if s.today < TAX_CREDITS_CLOSED {
                0.10
            } else {
                0.02
            };
            let choice = s.pick(&[
                (0, 0.84 - tax_credits),
                (1, tax_credits),
                (2, if has_children { 0.04 } else { 0.0 }),
                (3, 0.12),
            ]);
            // The four-week run-on of Working Tax Credit after work stops.
            let working = if s.chance(0.05) {
                WorkingTaxCreditRunOn
            } else {
                WorkingTaxCredit
            };
            match choice {
                0 => vec![UniversalCredit],
                1 if has_children => vec![ChildTaxCredit, working],
                1 => vec![working],
                2 => vec![ChildTaxCredit],
                _ => Vec::new(),
            }
        } else if s.chance(0.04) {
            vec![UniversalCredit]
        } else {
            Vec::new()
        }
    };
    // A grandparent living with the family on the guarantee element of Pension Credit.
    if shape.iter().any(|m| m.0 == Role::OtherAdult && m.1 >= 66) && s.chance(0.2) {
        list.push(PensionCreditGuarantee);
    }
    list.sort_unstable();
    list
}

fn person(
    s: &mut Sampler<'_>,
    role: Role,
    number: u32,
    age: u32,
    economy: &Economy,
    index: usize,
) -> Person {
    let child = role == Role::Child;
    let date_of_birth = s.date_of_birth(age);

    // Health. Adults: APMS 2014 (about 1 in 6 adults with a common mental disorder; a recorded
    // concern is rarer). Children: NHS England "Mental health of children and young people in
    // England, 2023" (about 1 in 5 aged 8–16 with a probable disorder). Substance misuse:
    // OHID treatment statistics and the estimates of adults with alcohol or drug dependency
    // living with children.
    let mental = match (child, age) {
        (false, _) => 0.10,
        (true, 0..=4) => 0.005,
        (true, 5..=10) => 0.04,
        (true, _) => 0.09,
    };
    let physical = match (child, age) {
        (false, 60..) => 0.25,
        (false, _) => 0.07,
        (true, _) => 0.03,
    };
    let mental_health_concern = s.mild(mental);
    let physical_health_concern = s.mild(physical);
    let misuse = match (child, age) {
        (false, _) => 0.03,
        (true, 13..) => 0.012,
        (true, _) => 0.0,
    };
    let substance_misuse = if s.strong(misuse) {
        s.pick(&[
            (Substance::Alcohol, 0.45),
            (Substance::Drugs, 0.40),
            (Substance::Both, 0.15),
        ])
    } else {
        Substance::None
    };
    let substance_treatment = substance_misuse != Substance::None && s.chance(0.35);

    // Offending from age 10 (the age of criminal responsibility). MoJ criminal justice
    // statistics and YJB "Youth justice statistics 2022 to 2023".
    let adult_age = age >= 18;
    let (offence_rate, asb_rate) = match (adult_age, age) {
        (true, _) => (0.012, 0.012),
        (false, 10..) => (0.006, 0.015),
        (false, _) => (0.0, 0.0),
    };
    let happened = s.strong(offence_rate);
    let offences = s.events(happened, FEW_EVENTS);
    let happened = s.strong(asb_rate);
    let anti_social_behaviour = s.events(happened, FEW_EVENTS);
    let recent_offence = offences.iter().any(|&d| s.recent(d));
    let youth_justice =
        (10..18).contains(&age) && ((recent_offence && s.chance(0.5)) || s.strong(0.003));

    // Missing and exploitation: NCA UK Missing Persons Unit data (well under 1% of children are
    // reported missing in a year, many more than once) and the CIN census assessment factors
    // for child sexual and criminal exploitation.
    let missing_rate = match (adult_age, age) {
        (true, _) => 0.002,
        (false, 10..) => 0.008,
        (false, 5..=9) => 0.001,
        (false, _) => 0.0,
    };
    let happened = s.strong(missing_rate);
    let missing_episodes = s.events(happened, MANY_EVENTS);
    let exploited = !adult_age
        && age >= 10
        && (s.strong(0.006) || (!missing_episodes.is_empty() && s.chance(0.3)));
    let exploitation_risk = if exploited {
        s.pick(&[
            (Exploitation::Criminal, 0.55),
            (Exploitation::Sexual, 0.35),
            (Exploitation::Both, 0.10),
        ])
    } else {
        Exploitation::None
    };

    let education = child.then(|| education(s, age, date_of_birth));
    let sen = education.as_ref().map(|e| e.sen);
    // DWP "Disability Living Allowance" statistics: about 5% of children under 16 receive it;
    // most adults have moved to PIP.
    let dla_rate = match (child, age) {
        _ if sen == Some(Sen::Ehcp) => 0.4,
        (false, 66..) => 0.05,
        (false, _) => 0.01,
        (true, 0..=2) => 0.015,
        (true, 3..=15) => 0.05,
        (true, _) => 0.03,
    };
    let disability_living_allowance = s.chance(dla_rate);
    // DfE "Children looked after in England": about 7,000 children a year leave care through
    // adoption, special guardianship or child arrangements orders, so at any time roughly
    // 1 child in 200 has.
    let left_care_under_order = child.then(|| s.chance(0.005));
    // DfE "Children looked after in England": about 7 children in 1,000 are looked after,
    // seven in ten of them in foster homes, which are households like these.
    let looked_after = child.then(|| s.chance(0.007));

    let mut person = Person {
        role,
        number,
        date_of_birth,
        age,
        education,
        employment: economy.status[index].map(|status| Employment {
            status,
            out_of_work_benefits: false,
        }),
        health: Health {
            mental_health_concern,
            physical_health_concern,
            substance_misuse,
            substance_treatment,
        },
        offending: Offending {
            offences,
            anti_social_behaviour,
            youth_justice,
        },
        safeguarding: Safeguarding {
            missing_episodes,
            exploitation_risk,
            young_carer: false,
            domestic_abuse_victim: false,
            domestic_abuse_perpetrator: false,
        },
        disability_living_allowance,
        left_care_under_order,
        looked_after,
    };
    if let Some(e) = person.employment.as_mut() {
        let not_working = matches!(
            e.status,
            WorkStatus::Unemployed | WorkStatus::Inactive | WorkStatus::Neet
        );
        e.out_of_work_benefits = match role {
            Role::ParentCarer => economy.out_of_work_household && not_working,
            // Another adult's own claim, e.g. Universal Credit of an adult son or daughter.
            Role::OtherAdult => not_working && age < 66 && s.chance(0.3),
            Role::Child => false,
        };
    }
    // The two-year-old offer depends on the child as well as the household.
    if let Some(e) = person.education.as_mut() {
        if age == 2 {
            let eligible = two_year_old_eligible(economy)
                || e.sen == Sen::Ehcp
                || person.disability_living_allowance
                || person.left_care_under_order == Some(true)
                || person.looked_after == Some(true);
            let working_offer = s.today >= WORKING_PARENT_OFFER && economy.parents_all_work;
            // DfE "Education provision: children under 5": about 3 in 4 eligible two-year-olds
            // take up the place.
            let take_up = if eligible {
                0.75
            } else if working_offer {
                0.5
            } else {
                0.0
            };
            e.early_years_place = Some(s.chance(take_up));
        }
    }
    person
}

/// The benefit and income routes to a funded place for a two-year-old (gov.uk "Free childcare
/// for 2-year-olds").
fn two_year_old_eligible(economy: &Economy) -> bool {
    use Benefit::*;
    economy.benefits.iter().any(|&b| match b {
        UniversalCredit => economy.net_earned_pence <= UC_EARNINGS_LIMIT_2YO,
        ChildTaxCredit | WorkingTaxCredit => economy.gross_income_pence <= TAX_CREDIT_INCOME_LIMIT,
        IncomeSupport
        | JsaIncomeBased
        | EsaIncomeRelated
        | PensionCreditGuarantee
        | AsylumSupport
        | WorkingTaxCreditRunOn => true,
    })
}

fn education(s: &mut Sampler<'_>, age: u32, dob: Date) -> Education {
    // DfE "Special educational needs in England, January 2024": 4.8% of pupils have an EHC
    // plan and 13.6% SEN support; fewer are identified before school.
    let (ehcp, support) = match age {
        0..=1 => (0.003, 0.02),
        2..=4 => (0.015, 0.06),
        5..=15 => (0.048, 0.136),
        _ => (0.035, 0.08),
    };
    let sen = if s.chance(ehcp) {
        Sen::Ehcp
    } else if s.mild(support) {
        Sen::Support
    } else {
        Sen::None
    };

    // A year group is recorded only for a child taught out of their chronological one (DfE
    // summer-born admissions data: a few per cent defer Reception; fewer are held back or
    // moved up): then one year below, or more rarely above.
    let chronological = dob.year_group(s.today);
    let year_group = ((-1..=13).contains(&chronological) && s.chance(0.02))
        .then(|| chronological + if s.chance(0.75) { -1 } else { 1 });
    let year = year_group.unwrap_or(chronological);
    // School data for a child at school (Reception to Year 11) or of compulsory school age.
    let at_school = (0..=11).contains(&year) || dob.compulsory_school_age(s.today);
    let school = at_school.then(|| school(s));
    // DfE "Suspensions and permanent exclusions in England, 2022/23": suspensions are
    // concentrated in secondary schools; permanent exclusions are about 1 in 1,000 pupils.
    let (suspension_rate, exclusion_rate) = match age {
        5..=10 => (0.01, 0.0003),
        11..=15 => (0.06, 0.003),
        16..=17 => (0.03, 0.003),
        _ => (0.0, 0.0),
    };
    let happened = s.strong(suspension_rate);
    let suspensions = s.events(happened, MANY_EVENTS);
    let happened = s.strong(exclusion_rate);
    let permanent_exclusions = s.events(happened, ONE_EVENT);

    // OHID "Child development outcomes at 2 to 2½ years": about 1 in 5 children are below the
    // expected level in at least one area; a recorded concern is rarer.
    let development_concern = (age < 5).then(|| s.mild(if age < 2 { 0.03 } else { 0.09 }));
    // DfE "Education provision: children under 5": about 94% of 3- and 4-year-olds take up
    // the universal entitlement. Two-year-olds are settled by the caller.
    let early_years_place = match age {
        2 => Some(false),
        3..=4 => Some(!s.mild(0.06)),
        _ => None,
    };
    Education {
        sen,
        suspensions,
        permanent_exclusions,
        school,
        development_concern,
        early_years_place,
        year_group,
    }
}

fn school(s: &mut Sampler<'_>) -> School {
    // DfE "Children missing education" and "Elective home education" collections: about 0.4%
    // and 1% of school-age children.
    let missing_education = s.strong(0.003);
    let elective_home_education = !missing_education && s.mild(0.01);
    let attendance_hundredths = if missing_education {
        // Attendance at the last school on roll, which is poor.
        s.between(200, 800) as u64 * 10
    } else if s.chance(0.03) {
        // On or next to the 90% line that defines persistent absence.
        s.pick(&[(9000, 1.0), (8999, 1.0), (9001, 1.0), (8990, 1.0)])
    } else {
        // Persistent absence scales with the family's tier; the shape of the tail does not.
        let tail = s.mild(PERSISTENT_ABSENCE);
        let v: f64 = s.rng.gen();
        let u = if tail {
            1.0 - PERSISTENT_ABSENCE * v
        } else {
            (1.0 - PERSISTENT_ABSENCE) * v
        };
        let absence = Sampler::quantile(ABSENCE_PCT, u);
        // Most systems hold one decimal place; some hold two.
        let attendance = 100.0 - absence;
        if s.chance(0.3) {
            (attendance * 100.0).round() as u64
        } else {
            (attendance * 10.0).round() as u64 * 10
        }
    };
    School {
        attendance_hundredths,
        missing_education,
        elective_home_education,
    }
}

/// Free school meals for any child of school age: legacy income benefits, asylum support,
/// child tax credit alone with income under £16,190, Universal Credit with earnings under
/// £7,400, plus transitional protection, which keeps many Universal Credit families eligible
/// after their earnings rise (DfE "Schools, pupils and their characteristics": 24.6% of pupils
/// in January 2024).
fn free_school_meals(s: &mut Sampler<'_>, members: &[Person], economy: &Economy) -> bool {
    use Benefit::*;
    let school_age = members
        .iter()
        .any(|m| m.role == Role::Child && (4..=17).contains(&m.age));
    let claims = |b: Benefit| economy.benefits.contains(&b);
    let eligible = [
        IncomeSupport,
        JsaIncomeBased,
        EsaIncomeRelated,
        AsylumSupport,
    ]
    .into_iter()
    .any(claims)
        || (claims(ChildTaxCredit)
            && !claims(WorkingTaxCredit)
            && economy.gross_income_pence <= TAX_CREDIT_INCOME_LIMIT)
        || (claims(UniversalCredit) && economy.net_earned_pence <= UC_EARNINGS_LIMIT_FSM);
    let protected = claims(UniversalCredit) && s.chance(0.45);
    school_age && (eligible || protected)
}

/// Domestic abuse: flags on the people involved and police notifications with a DASH risk.
/// ONS "Domestic abuse in England and Wales overview: November 2023": about 5% of adults
/// experienced domestic abuse in the last year; SafeLives: about 1 in 10 police-assessed
/// cases are high risk, which go to a MARAC.
fn domestic_abuse(s: &mut Sampler<'_>, members: &mut [Person]) -> Vec<Incident> {
    let parents: Vec<usize> = (0..members.len())
        .filter(|&i| members[i].role == Role::ParentCarer)
        .collect();
    if parents.is_empty() || !s.strong(0.045) {
        return Vec::new();
    }
    let victim = if parents.len() == 2 && s.chance(0.2) {
        parents[1]
    } else {
        parents[0]
    };
    // The perpetrator is the other parent in the household, or an ex-partner who is not.
    let perpetrator = parents
        .iter()
        .copied()
        .find(|&p| p != victim)
        .filter(|_| s.chance(0.6));
    members[victim].safeguarding.domestic_abuse_victim = s.chance(0.85);
    if let Some(p) = perpetrator {
        members[p].safeguarding.domestic_abuse_perpetrator = s.chance(0.8);
    }
    for m in members.iter_mut().filter(|m| m.role == Role::Child) {
        m.safeguarding.domestic_abuse_victim = s.chance(0.15);
    }
    if !s.chance(0.7) {
        return Vec::new(); // known through a disclosure, with no police notification
    }
    let n = s.pick(&[(1, 0.55), (2, 0.25), (3, 0.12), (4, 0.08)]);
    (0..n)
        .map(|_| {
            let risk = s.pick(&[
                (Risk::Standard, 0.58),
                (Risk::Medium, 0.30),
                (Risk::High, 0.12),
            ]);
            let source = if risk == Risk::High && s.chance(0.4) {
                Source::Marac
            } else {
                s.pick(&[
                    (Source::Police, 0.88),
                    (Source::Health, 0.06),
                    (Source::SelfReport, 0.06),
                ])
            };
            Incident {
                kind: IncidentKind::DomesticAbuse,
                date: s.event_date(),
                source,
                risk: Some(risk),
                people: std::iter::once(victim).chain(perpetrator).collect(),
                outcome: None,
            }
        })
        .collect()
}

/// Police call-outs, anti-social behaviour, missing-person reports and child protection
/// concerns, mirroring the dates already on members where they are the same events.
fn other_incidents(s: &mut Sampler<'_>, members: &[Person]) -> Vec<Incident> {
    let mut out = Vec::new();
    let incident = |kind, date, source, people| Incident {
        kind,
        date,
        source,
        risk: None,
        people,
        outcome: None,
    };
    let adults: Vec<usize> = (0..members.len())
        .filter(|&i| members[i].is_adult())
        .collect();
    let children: Vec<usize> = (0..members.len())
        .filter(|&i| members[i].role == Role::Child)
        .collect();

    if !adults.is_empty() && s.strong(0.04) {
        for _ in 0..s.between(1, 2) {
            let who = adults[s.rng.gen_range(0..adults.len())];
            let date = s.event_date();
            out.push(incident(
                IncidentKind::PoliceCallout,
                date,
                Source::Police,
                vec![who],
            ));
        }
    }
    for (i, m) in members.iter().enumerate() {
        for &date in &m.offending.anti_social_behaviour {
            if s.chance(0.5) {
                let source = s.pick(&[(Source::Police, 0.6), (Source::Housing, 0.4)]);
                out.push(incident(
                    IncidentKind::AntiSocialBehaviour,
                    date,
                    source,
                    vec![i],
                ));
            }
        }
        if m.role == Role::Child {
            for &date in &m.safeguarding.missing_episodes {
                if s.chance(0.8) {
                    out.push(incident(
                        IncidentKind::MissingPerson,
                        date,
                        Source::Police,
                        vec![i],
                    ));
                }
            }
        }
    }
    // A complaint about the household with nobody named (noise, a neighbour dispute).
    if s.strong(0.01) {
        let date = s.event_date();
        let source = s.pick(&[(Source::Police, 0.5), (Source::Housing, 0.5)]);
        out.push(incident(
            IncidentKind::AntiSocialBehaviour,
            date,
            source,
            Vec::new(),
        ));
    }
    let today_minus_month = s.today.sub_months(1);
    if !children.is_empty() && s.strong(0.02) {
        for _ in 0..s.between(1, 2) {
            let who = children[s.rng.gen_range(0..children.len())];
            let date = s.event_date();
            let source = s.pick(&[
                (Source::School, 0.45),
                (Source::Health, 0.25),
                (Source::Police, 0.2),
                (Source::Other, 0.1),
            ]);
            // What the concern led to (DfE "Characteristics of children in need": most referrals
            // end in no further action or early help; about 1 in 7 leads to a section 47
            // enquiry). Undecided for half of those from the last month.
            let undecided = today_minus_month < date && s.chance(0.5);
            let outcome = (!undecided).then(|| {
                s.pick(&[
                    (ConcernOutcome::NoFurtherAction, 0.35),
                    (ConcernOutcome::EarlyHelp, 0.30),
                    (ConcernOutcome::Section17, 0.20),
                    (ConcernOutcome::Section47, 0.15),
                ])
            });
            out.push(Incident {
                outcome,
                ..incident(
                    IncidentKind::ChildProtectionConcern,
                    date,
                    source,
                    vec![who],
                )
            });
        }
    }
    out
}

/// MHCLG "Statutory homelessness in England: 2023-24": about 1.1% of families with children
/// in temporary accommodation; English Housing Survey: about 1 renting family in 20 in arrears.
fn housing(s: &mut Sampler<'_>, workless: bool) -> Housing {
    let status = if s.strong(0.002) {
        HousingStatus::Homeless
    } else if s.strong(0.010) {
        HousingStatus::Temporary
    } else if s.strong(0.013) {
        HousingStatus::AtRisk
    } else {
        HousingStatus::Settled
    };
    let rent_arrears = s.strong(if workless { 0.07 } else { 0.045 });
    let happened = s.strong(0.012);
    let eviction_notices = s.events(happened, &[(1, 0.8), (2, 0.2)]);
    // A recent notice usually means the council owes a prevention duty.
    let notice_pending = eviction_notices.iter().any(|&d| s.recent(d));
    let status = if status == HousingStatus::Settled && notice_pending && s.chance(0.4) {
        HousingStatus::AtRisk
    } else {
        status
    };
    Housing {
        status,
        rent_arrears,
        eviction_notices,
    }
}

/// DWP "Parental conflict indicator": about 1 child in 10 in a couple family lives with
/// parents in a distressed relationship.
fn relationships(s: &mut Sampler<'_>, members: &[Person]) -> Relationships {
    let parents = members
        .iter()
        .filter(|m| m.role == Role::ParentCarer)
        .count();
    let children = members.iter().any(|m| m.role == Role::Child);
    let parental_conflict = match (parents, children) {
        (2, _) => s.mild(0.10),
        (_, true) => s.mild(0.06), // with a separated parent outside the household
        _ => s.mild(0.03),
    };
    let teenager = members
        .iter()
        .any(|m| m.role == Role::Child && (10..18).contains(&m.age));
    let parent_child_conflict = children && s.strong(if teenager { 0.05 } else { 0.01 });
    Relationships {
        parental_conflict,
        parent_child_conflict,
    }
}

/// DfE "Characteristics of children in need: 2024": about 3.3% of children are children in
/// need, 0.4% on a child protection plan and 0.7% looked after; early help reaches a few
/// per cent of families.
fn social_care(s: &mut Sampler<'_>, involved: bool) -> SocialCare {
    let status = if !involved {
        CareStatus::None
    } else if s.strong(0.005) {
        CareStatus::ChildProtection
    } else if s.strong(0.003) {
        CareStatus::LookedAfter
    } else if s.strong(0.025) {
        CareStatus::ChildInNeed
    } else if s.mild(0.04) {
        CareStatus::EarlyHelp
    } else {
        CareStatus::None
    };
    let previous_early_help_closed = s.mild(0.06).then(|| s.today.add_days(-s.between(90, 1460)));
    SocialCare {
        status,
        previous_early_help_closed,
    }
}

//! The family as the generator samples it: every value known. Unknowns are applied only when
//! the family is written (see `render`), so the missing rate never changes the true family.
//!
//! `Option` here means "does not apply to this person" (a toddler has no attendance, an adult
//! no education record): such fields are left out of the record at every missing rate.

use crate::date::Date;

/// Declares a fieldless enum whose variants print as the given reference-record strings.
macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) enum $name { $($variant),+ }

        impl $name {
            pub(crate) const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

wire_enum!(Role { ParentCarer => "parent_carer", Child => "child", OtherAdult => "other_adult" });
wire_enum!(Sen { None => "none", Support => "sen_support", Ehcp => "ehcp" });
wire_enum!(WorkStatus {
    Employed => "employed",
    SelfEmployed => "self_employed",
    Unemployed => "unemployed",
    Inactive => "economically_inactive",
    InEducation => "in_education",
    Neet => "neet",
});
wire_enum!(Substance { None => "none", Alcohol => "alcohol", Drugs => "drugs", Both => "both" });
wire_enum!(Exploitation { None => "none", Sexual => "sexual", Criminal => "criminal", Both => "both" });
wire_enum!(IncidentKind {
    DomesticAbuse => "domestic_abuse",
    PoliceCallout => "police_callout",
    AntiSocialBehaviour => "anti_social_behaviour",
    MissingPerson => "missing_person",
    ChildProtectionConcern => "child_protection_concern",
});
wire_enum!(Source {
    Police => "police",
    Marac => "marac",
    School => "school",
    Health => "health",
    Housing => "housing",
    SelfReport => "self",
    Other => "other",
});
wire_enum!(Risk { Standard => "standard", Medium => "medium", High => "high" });
wire_enum!(HousingStatus {
    Settled => "settled",
    Temporary => "temporary_accommodation",
    Homeless => "homeless",
    AtRisk => "at_risk_of_homelessness",
});
// Declared in the schema's order, so sorting a household's list gives a stable order.
wire_enum!(Benefit {
    UniversalCredit => "universal_credit",
    IncomeSupport => "income_support",
    JsaIncomeBased => "jobseekers_allowance_income_based",
    EsaIncomeRelated => "employment_support_allowance_income_related",
    ChildTaxCredit => "child_tax_credit",
    WorkingTaxCredit => "working_tax_credit",
    PensionCreditGuarantee => "pension_credit_guarantee",
    AsylumSupport => "asylum_support",
    WorkingTaxCreditRunOn => "working_tax_credit_run_on",
});
wire_enum!(ConcernOutcome {
    NoFurtherAction => "no_further_action",
    EarlyHelp => "early_help",
    Section17 => "section_17",
    Section47 => "section_47",
});
wire_enum!(CareStatus {
    None => "none",
    EarlyHelp => "early_help",
    ChildInNeed => "child_in_need",
    ChildProtection => "child_protection",
    LookedAfter => "looked_after",
});

impl WorkStatus {
    pub(crate) fn earns(self) -> bool {
        matches!(self, WorkStatus::Employed | WorkStatus::SelfEmployed)
    }
}

impl Benefit {
    /// Benefits paid because nobody in the benefit unit works (DWP's "out-of-work benefits").
    /// Universal Credit counts only when there are no earnings, which the caller checks.
    pub(crate) fn out_of_work(self) -> bool {
        matches!(
            self,
            Benefit::IncomeSupport | Benefit::JsaIncomeBased | Benefit::EsaIncomeRelated
        )
    }
}

pub(crate) struct Family {
    pub index: u64,
    pub assessment: Date,
    pub local_authority: &'static str,
    pub postcode: String,
    pub members: Vec<Person>,
    pub expectant_parent: bool,
    pub no_recourse_to_public_funds: bool,
    pub incidents: Vec<Incident>,
    pub housing: Housing,
    pub finances: Finances,
    pub relationships: Relationships,
    pub social_care: SocialCare,
}

pub(crate) struct Person {
    pub role: Role,
    /// 1-based number within the role: `P1`, `C2`, `A1`.
    pub number: u32,
    pub date_of_birth: Date,
    /// Completed years at the assessment date (what the rules compute from the date of birth).
    pub age: u32,
    pub education: Option<Education>,
    pub employment: Option<Employment>,
    pub health: Health,
    pub offending: Offending,
    pub safeguarding: Safeguarding,
    pub disability_living_allowance: bool,
    pub left_care_under_order: Option<bool>,
    /// Children only: looked after by a local authority (a foster child in the household).
    pub looked_after: Option<bool>,
}

impl Person {
    pub(crate) fn is_adult(&self) -> bool {
        self.role != Role::Child
    }

    /// The member id: a letter for the role and a number.
    pub(crate) fn id(&self) -> String {
        let letter = match self.role {
            Role::ParentCarer => 'P',
            Role::Child => 'C',
            Role::OtherAdult => 'A',
        };
        format!("{letter}{}", self.number)
    }
}

pub(crate) struct Education {
    pub sen: Sen,
    pub suspensions: Vec<Date>,
    pub permanent_exclusions: Vec<Date>,
    /// Children of compulsory school age (5–15).
    pub school: Option<School>,
    /// Children under 5.
    pub development_concern: Option<bool>,
    /// Children aged 2–4.
    pub early_years_place: Option<bool>,
    /// The year group taught in, recorded only for a child out of their chronological one.
    pub year_group: Option<i32>,
}

pub(crate) struct School {
    /// Attendance in hundredths of a percent (0–10000), printed as an exact decimal.
    pub attendance_hundredths: u64,
    pub missing_education: bool,
    pub elective_home_education: bool,
}

pub(crate) struct Employment {
    pub status: WorkStatus,
    pub out_of_work_benefits: bool,
}

pub(crate) struct Health {
    pub mental_health_concern: bool,
    pub physical_health_concern: bool,
    pub substance_misuse: Substance,
    pub substance_treatment: bool,
}

pub(crate) struct Offending {
    pub offences: Vec<Date>,
    pub anti_social_behaviour: Vec<Date>,
    pub youth_justice: bool,
}

pub(crate) struct Safeguarding {
    pub missing_episodes: Vec<Date>,
    pub exploitation_risk: Exploitation,
    pub young_carer: bool,
    pub domestic_abuse_victim: bool,
    pub domestic_abuse_perpetrator: bool,
}

pub(crate) struct Incident {
    pub kind: IncidentKind,
    pub date: Date,
    pub source: Source,
    /// DASH risk, assessed for domestic abuse notifications only.
    pub risk: Option<Risk>,
    /// Indices into `Family::members`.
    pub people: Vec<usize>,
    /// Child protection concerns once decided; `None` otherwise (never written).
    pub outcome: Option<ConcernOutcome>,
}

pub(crate) struct Housing {
    pub status: HousingStatus,
    pub rent_arrears: bool,
    pub eviction_notices: Vec<Date>,
}

pub(crate) struct Finances {
    pub problem_debt: bool,
    pub free_school_meals: bool,
    pub benefits: Vec<Benefit>,
    pub net_earned_pence: u64,
    pub gross_income_pence: u64,
    pub savings_pence: u64,
    /// Income after tax from all sources, benefits included.
    pub net_income_pence: u64,
}

pub(crate) struct Relationships {
    pub parental_conflict: bool,
    pub parent_child_conflict: bool,
}

pub(crate) struct SocialCare {
    pub status: CareStatus,
    /// `None`: never had early help (written as an absent field, which the record reads as
    /// "unknown or never").
    pub previous_early_help_closed: Option<Date>,
}

//! Writes a sampled [`Family`] as one reference record, hiding optional fields as the mask says.
//!
//! Keys come in the order of `family-record.md`. Required fields (`id`, `assessment_date`,
//! `members`, a member's `id` and `role`, an incident's `type` and `date`) are always written.

use crate::json::Writer;
use crate::model::{
    Education, Employment, Family, Health, Incident, Offending, Person, Safeguarding,
};

pub(crate) fn family(w: &mut Writer<'_>, f: &Family) {
    w.begin_object();
    w.key("id");
    w.str(&format!("F{:07}", f.index));
    w.key("assessment_date");
    w.date(f.assessment);
    if w.optional("local_authority") {
        w.str(f.local_authority);
    }
    if w.optional("postcode") {
        w.str(&f.postcode);
    }
    w.key("members");
    w.begin_array();
    for p in &f.members {
        person(w, p);
    }
    w.end_array();
    if w.optional("expectant_parent") {
        w.bool(f.expectant_parent);
    }
    if w.optional("no_recourse_to_public_funds") {
        w.bool(f.no_recourse_to_public_funds);
    }
    w.optional_list("incidents", |w| {
        for i in &f.incidents {
            incident(w, f, i);
        }
    });
    w.record("housing", |w| {
        let h = &f.housing;
        if w.optional("status") {
            w.str(h.status.as_str());
        }
        if w.optional("rent_arrears") {
            w.bool(h.rent_arrears);
        }
        if w.optional("eviction_notices") {
            w.dates(&h.eviction_notices);
        }
    });
    w.record("finances", |w| {
        let m = &f.finances;
        if w.optional("problem_debt") {
            w.bool(m.problem_debt);
        }
        if w.optional("free_school_meals") {
            w.bool(m.free_school_meals);
        }
        if w.optional("benefits") {
            w.begin_array();
            for b in &m.benefits {
                w.str(b.as_str());
            }
            w.end_array();
        }
        if w.optional("net_earned_income") {
            w.decimal(m.net_earned_pence, 2);
        }
        if w.optional("gross_income") {
            w.decimal(m.gross_income_pence, 2);
        }
        if w.optional("savings") {
            w.decimal(m.savings_pence, 2);
        }
        if w.optional("net_income") {
            w.decimal(m.net_income_pence, 2);
        }
    });
    w.record("relationships", |w| {
        let r = &f.relationships;
        if w.optional("parental_conflict") {
            w.bool(r.parental_conflict);
        }
        if w.optional("parent_child_conflict") {
            w.bool(r.parent_child_conflict);
        }
    });
    w.record("social_care", |w| {
        let s = &f.social_care;
        if w.optional("status") {
            w.str(s.status.as_str());
        }
        if let Some(closed) = s.previous_early_help_closed {
            if w.optional("previous_early_help_closed") {
                w.date(closed);
            }
        }
    });
    w.end_object();
}

fn person(w: &mut Writer<'_>, p: &Person) {
    w.begin_object();
    w.key("id");
    w.str(&p.id());
    w.key("role");
    w.str(p.role.as_str());
    if w.optional("date_of_birth") {
        w.date(p.date_of_birth);
    }
    if let Some(e) = &p.education {
        w.record("education", |w| education(w, e));
    }
    if let Some(e) = &p.employment {
        w.record("employment", |w| employment(w, e));
    }
    w.record("health", |w| health(w, &p.health));
    w.record("offending", |w| offending(w, &p.offending));
    w.record("safeguarding", |w| safeguarding(w, &p.safeguarding));
    if w.optional("disability_living_allowance") {
        w.bool(p.disability_living_allowance);
    }
    if let Some(left) = p.left_care_under_order {
        if w.optional("left_care_under_order") {
            w.bool(left);
        }
    }
    if let Some(looked_after) = p.looked_after {
        if w.optional("looked_after") {
            w.bool(looked_after);
        }
    }
    w.end_object();
}

fn education(w: &mut Writer<'_>, e: &Education) {
    if let Some(s) = &e.school {
        if w.optional("attendance_pct") {
            // Whole tenths print with one decimal (93.4), others with two (89.99).
            let places = if s.attendance_hundredths % 10 == 0 {
                1
            } else {
                2
            };
            w.decimal(s.attendance_hundredths, places);
        }
    }
    if w.optional("suspensions") {
        w.dates(&e.suspensions);
    }
    if w.optional("permanent_exclusions") {
        w.dates(&e.permanent_exclusions);
    }
    if let Some(s) = &e.school {
        if w.optional("missing_education") {
            w.bool(s.missing_education);
        }
        if w.optional("elective_home_education") {
            w.bool(s.elective_home_education);
        }
    }
    if w.optional("sen") {
        w.str(e.sen.as_str());
    }
    if let Some(place) = e.early_years_place {
        if w.optional("early_years_place") {
            w.bool(place);
        }
    }
    if let Some(concern) = e.development_concern {
        if w.optional("development_concern") {
            w.bool(concern);
        }
    }
    if let Some(year) = e.year_group {
        if w.optional("year_group") {
            w.int(i64::from(year));
        }
    }
}

fn employment(w: &mut Writer<'_>, e: &Employment) {
    if w.optional("status") {
        w.str(e.status.as_str());
    }
    if w.optional("out_of_work_benefits") {
        w.bool(e.out_of_work_benefits);
    }
}

fn health(w: &mut Writer<'_>, h: &Health) {
    if w.optional("mental_health_concern") {
        w.bool(h.mental_health_concern);
    }
    if w.optional("physical_health_concern") {
        w.bool(h.physical_health_concern);
    }
    if w.optional("substance_misuse") {
        w.str(h.substance_misuse.as_str());
    }
    if w.optional("substance_treatment") {
        w.bool(h.substance_treatment);
    }
}

fn offending(w: &mut Writer<'_>, o: &Offending) {
    if w.optional("offences") {
        w.dates(&o.offences);
    }
    if w.optional("anti_social_behaviour") {
        w.dates(&o.anti_social_behaviour);
    }
    if w.optional("youth_justice") {
        w.bool(o.youth_justice);
    }
}

fn safeguarding(w: &mut Writer<'_>, s: &Safeguarding) {
    if w.optional("missing_episodes") {
        w.dates(&s.missing_episodes);
    }
    if w.optional("exploitation_risk") {
        w.str(s.exploitation_risk.as_str());
    }
    if w.optional("young_carer") {
        w.bool(s.young_carer);
    }
    if w.optional("domestic_abuse_victim") {
        w.bool(s.domestic_abuse_victim);
    }
    if w.optional("domestic_abuse_perpetrator") {
        w.bool(s.domestic_abuse_perpetrator);
    }
}

fn incident(w: &mut Writer<'_>, f: &Family, i: &Incident) {
    w.begin_object();
    w.key("type");
    w.str(i.kind.as_str());
    w.key("date");
    w.date(i.date);
    if w.optional("source") {
        w.str(i.source.as_str());
    }
    if let Some(risk) = i.risk {
        if w.optional("risk") {
            w.str(risk.as_str());
        }
    }
    if w.optional("person_ids") {
        w.begin_array();
        for &m in &i.people {
            w.str(&f.members[m].id());
        }
        w.end_array();
    }
    if let Some(outcome) = i.outcome {
        if w.optional("outcome") {
            w.str(outcome.as_str());
        }
    }
    w.end_object();
}

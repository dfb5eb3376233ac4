//! Councils (ONS codes) and real postcode districts inside them, for realistic-looking addresses.
//!
//! The districts are real outward codes in each council's area; the inward part (sector digit
//! and unit letters) is random, so a generated postcode has the right shape but usually is not a
//! real delivery point. Weights are rough shares of the children living in these councils.

use rand::Rng;

pub(crate) struct Council {
    pub code: &'static str,
    pub weight: u32,
    pub districts: &'static [&'static str],
}

pub(crate) const COUNCILS: &[Council] = &[
    Council {
        code: "E08000025", // Birmingham
        weight: 30,
        districts: &[
            "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12", "B13", "B14", "B17", "B18", "B19",
            "B20", "B21", "B23", "B24", "B25", "B26", "B27", "B28", "B29", "B30", "B31", "B32",
            "B33", "B34", "B36", "B38", "B42", "B44",
        ],
    },
    Council {
        code: "E08000003", // Manchester
        weight: 14,
        districts: &[
            "M8", "M9", "M11", "M12", "M13", "M14", "M15", "M16", "M18", "M19", "M20", "M21",
            "M22", "M23", "M40",
        ],
    },
    Council {
        code: "E08000035", // Leeds
        weight: 17,
        districts: &[
            "LS6", "LS7", "LS8", "LS9", "LS10", "LS11", "LS12", "LS13", "LS14", "LS15", "LS16",
            "LS17",
        ],
    },
    Council {
        code: "E08000012", // Liverpool
        weight: 10,
        districts: &[
            "L4", "L5", "L6", "L7", "L8", "L9", "L11", "L13", "L15", "L17", "L18", "L24", "L25",
        ],
    },
    Council {
        code: "E08000019", // Sheffield
        weight: 12,
        districts: &[
            "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S14",
        ],
    },
    Council {
        code: "E08000021", // Newcastle upon Tyne
        weight: 6,
        districts: &["NE1", "NE2", "NE3", "NE4", "NE5", "NE6", "NE7", "NE15"],
    },
    Council {
        code: "E08000032", // Bradford
        weight: 13,
        districts: &[
            "BD1", "BD2", "BD3", "BD4", "BD5", "BD6", "BD7", "BD8", "BD9", "BD10",
        ],
    },
    Council {
        code: "E08000026", // Coventry
        weight: 8,
        districts: &["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"],
    },
    Council {
        code: "E06000023", // Bristol, City of
        weight: 9,
        districts: &[
            "BS2", "BS3", "BS4", "BS5", "BS7", "BS10", "BS11", "BS13", "BS14", "BS16",
        ],
    },
    Council {
        code: "E06000018", // Nottingham
        weight: 6,
        districts: &["NG2", "NG3", "NG5", "NG6", "NG7", "NG8", "NG11"],
    },
    Council {
        code: "E06000016", // Leicester
        weight: 7,
        districts: &["LE1", "LE2", "LE3", "LE4", "LE5"],
    },
    Council {
        code: "E06000010", // Kingston upon Hull, City of
        weight: 6,
        districts: &["HU3", "HU4", "HU5", "HU6", "HU7", "HU8", "HU9"],
    },
    Council {
        code: "E06000021", // Stoke-on-Trent
        weight: 5,
        districts: &["ST1", "ST2", "ST3", "ST4", "ST6"],
    },
    Council {
        code: "E09000025", // Newham
        weight: 8,
        districts: &["E6", "E7", "E12", "E13", "E15", "E16"],
    },
    Council {
        code: "E09000012", // Hackney
        weight: 5,
        districts: &["E2", "E5", "E8", "E9", "N16"],
    },
    Council {
        code: "E09000028", // Southwark
        weight: 6,
        districts: &["SE1", "SE5", "SE15", "SE16", "SE17", "SE22"],
    },
    Council {
        code: "E10000017", // Lancashire
        weight: 25,
        districts: &[
            "PR1", "PR2", "PR5", "PR25", "LA1", "LA3", "BB9", "BB10", "BB11", "FY5", "FY8",
        ],
    },
    Council {
        code: "E10000014", // Hampshire
        weight: 27,
        districts: &[
            "SO21", "SO22", "SO23", "SO50", "SO53", "GU14", "RG21", "RG22", "PO7", "PO9",
        ],
    },
];

/// Letters allowed in the unit part of a postcode (Royal Mail never uses C, I, K, M, O or V there).
const UNIT_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Picks a council by weight and a postcode inside it: `"B11 4QT"`.
pub(crate) fn address(rng: &mut impl Rng) -> (&'static str, String) {
    let total: u32 = COUNCILS.iter().map(|c| c.weight).sum();
    let mut pick = rng.gen_range(0..total);
    let council = COUNCILS
        .iter()
        .find(|c| {
            if pick < c.weight {
                true
            } else {
                pick -= c.weight;
                false
            }
        })
        .unwrap_or(&COUNCILS[0]);
    let district = council.districts[rng.gen_range(0..council.districts.len())];
    let sector = rng.gen_range(1..10u8);
    let a = UNIT_LETTERS[rng.gen_range(0..UNIT_LETTERS.len())];
    let b = UNIT_LETTERS[rng.gen_range(0..UNIT_LETTERS.len())];
    let postcode = format!("{district} {sector}{}{}", a as char, b as char);
    (council.code, postcode)
}

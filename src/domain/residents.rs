//! The residents' register as a CSV file (居民名册), and the electorate of the residents' assembly
//! (居民会议).
//!
//! Owners vote on owners' matters, but residents' conventions (居民公约) are adopted by the
//! residents' assembly, which under the Organic Law of Urban Residents' Committees (Art. 12)
//! consists of the residents aged 18 or over: either all adult residents, or one representative
//! per household (户). This module turns an uploaded register into validated households (or into
//! the list of *every* problem found, each with its line and column), writes a register back
//! out, and counts who is entitled to take part in the assembly.
//!
//! # The format
//!
//! - UTF-8 text; a leading byte-order mark is tolerated and skipped. Input that is not UTF-8 is
//!   rejected with one problem at line 1.
//! - Comma-separated, with `"` quoting (RFC 4180). Every field is trimmed.
//! - The first non-blank row is the header; columns may come in any order. Each column has an
//!   English name (ASCII case ignored) and a Chinese alias:
//!
//!   | column | alias | |
//!   |---|---|---|
//!   | `household_ref` | `户编号` | required: the organisers' reference of the household, e.g. `H0012` |
//!   | `household_name` | `户名` | required, e.g. `张三户` |
//!   | `building` | `楼栋` | optional column; must be one of the community's known buildings |
//!   | `room` | `房号` | optional column |
//!   | `resident_ref` | `居民编号` | required; unique in the file |
//!   | `resident_name` | `姓名` | required |
//!   | `birth_year` | `出生年份` | required: four digits, from 1900 to the current year |
//!   | `representative` | `户代表` | optional: `yes` / `是` / `1`, or `no` / `否` / `0` / empty |
//!
//!   `building` and `room` come together: a header naming one of them without the other misses
//!   a column. On each line both are empty (the household has no recorded unit) or both are
//!   filled in.
//! - One line per resident. All lines of one household must carry the same household name,
//!   building and room. A household has at most one representative, who must be 18 or older in
//!   the current year.
//! - Blank lines are skipped; a line with another number of fields than the header is a problem.
//! - At most [`MAX_ROWS`] data rows. Lengths, in characters: references at most 64, names at
//!   most 100, building and room at most 40.
//! - Line numbers are the physical 1-based lines; the header is line 1. A record whose quoted
//!   field spans lines is reported at the line where it starts.
//!
//! Problems reuse [`Problem`] and the owner roster's message ids where the meaning is the same
//! (`roster-error-*`); the rules of this file alone have `residents-error-*` ids.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::csv_table::{self, ids::*, problem, Column, Header};
pub use super::roster_csv::Problem;

/// The most data rows one file may hold.
pub const MAX_ROWS: usize = 50_000;
/// Longest household or resident reference, in characters.
pub const MAX_REF_LEN: usize = 64;
/// Longest household or resident name, in characters.
pub const MAX_NAME_LEN: usize = 100;
/// Longest building name, in characters.
pub const MAX_BUILDING_LEN: usize = 40;
/// Longest room number, in characters.
pub const MAX_ROOM_LEN: usize = 40;
/// The earliest birth year the register accepts.
pub const MIN_BIRTH_YEAR: i32 = 1900;
/// The age from which a resident belongs to the residents' assembly (Art. 12).
pub const ADULT_AGE: i64 = 18;

/// One resident (居民).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resident {
    pub resident_ref: String,
    pub name: String,
    pub birth_year: i32,
    /// Whether this resident represents the household (户代表).
    pub representative: bool,
}

/// One household (户).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Household {
    pub household_ref: String,
    pub name: String,
    /// Both `Some` or both `None`.
    pub building: Option<String>,
    pub room: Option<String>,
    /// Sorted by `resident_ref`; never empty in a parsed file.
    pub residents: Vec<Resident>,
}

/// A whole validated register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentsFile {
    /// Sorted by `household_ref`.
    pub households: Vec<Household>,
}

// The ids shared with the owner roster are in `csv_table::ids`.
const CONFLICTING_HOUSEHOLD: &str = "residents-error-conflicting-household";
const DUPLICATE_RESIDENT: &str = "residents-error-duplicate-resident";
const BAD_YEAR: &str = "residents-error-bad-year";
const BAD_FLAG: &str = "residents-error-bad-flag";
const TWO_REPRESENTATIVES: &str = "residents-error-two-representatives";
const REPRESENTATIVE_MINOR: &str = "residents-error-representative-minor";

// Column indices into `COLUMNS`, which is also the export order.
const HOUSEHOLD_REF: usize = 0;
const HOUSEHOLD_NAME: usize = 1;
const BUILDING: usize = 2;
const ROOM: usize = 3;
const RESIDENT_REF: usize = 4;
const RESIDENT_NAME: usize = 5;
const BIRTH_YEAR: usize = 6;
const REPRESENTATIVE: usize = 7;
const NCOLS: usize = 8;
const COLUMNS: [Column; NCOLS] = [
    Column::required("household_ref", "户编号"),
    Column::required("household_name", "户名"),
    Column::optional("building", "楼栋"),
    Column::optional("room", "房号"),
    Column::required("resident_ref", "居民编号"),
    Column::required("resident_name", "姓名"),
    Column::required("birth_year", "出生年份"),
    Column::optional("representative", "户代表"),
];

/// Whether someone born in `birth_year` is 18 or over in `current_year`. The register only knows
/// years, so a resident counts as 18 for the whole of the year they turn 18.
pub fn is_adult(birth_year: i32, current_year: i32) -> bool {
    i64::from(current_year) - i64::from(birth_year) >= ADULT_AGE
}

fn parse_flag(s: &str) -> Option<bool> {
    match s {
        "" | "否" | "0" => Some(false),
        "是" | "1" => Some(true),
        _ if s.eq_ignore_ascii_case("no") => Some(false),
        _ if s.eq_ignore_ascii_case("yes") => Some(true),
        _ => None,
    }
}

/// Building and room only make sense together: a header naming one misses the other.
fn check_header(h: &Header, line: u64, problems: &mut Vec<Problem>) -> bool {
    match (h.has(BUILDING), h.has(ROOM)) {
        (true, false) => h.require(line, ROOM, problems),
        (false, true) => h.require(line, BUILDING, problems),
        _ => true,
    }
}

/// What is known of a household so far, from its first valid line.
struct HouseholdAcc {
    line: u64,
    name: String,
    unit: Option<(String, String)>,
    residents: Vec<Resident>,
}

struct Parser<'k> {
    known_buildings: &'k [String],
    current_year: i32,
    problems: Vec<Problem>,
    households: BTreeMap<String, HouseholdAcc>,
    /// Each resident reference with the line where it first appeared.
    resident_lines: BTreeMap<String, u64>,
    /// Each household's first representative's line.
    representative_lines: BTreeMap<String, u64>,
}

/// Parse and validate an uploaded residents' register. `known_buildings` are the building names
/// of the community; any other building is a problem. Birth years after `current_year` are
/// problems, and so is a representative younger than 18 in `current_year`. On failure, every
/// problem found is returned, in the order of the lines.
pub fn parse(
    bytes: &[u8],
    known_buildings: &[String],
    current_year: i32,
) -> Result<ResidentsFile, Vec<Problem>> {
    let mut p = Parser {
        known_buildings,
        current_year,
        problems: Vec::new(),
        households: BTreeMap::new(),
        resident_lines: BTreeMap::new(),
        representative_lines: BTreeMap::new(),
    };
    let Some(mut table) = csv_table::open(bytes, &COLUMNS, MAX_ROWS, check_header, &mut p.problems)
    else {
        return Err(p.problems);
    };
    while let Some((line, record)) = table.next_row(&mut p.problems) {
        p.row(table.header(), line, &record);
    }
    if !p.problems.is_empty() {
        return Err(p.problems);
    }
    let households = p
        .households
        .into_iter()
        .map(|(household_ref, mut acc)| {
            acc.residents
                .sort_by(|a, b| a.resident_ref.cmp(&b.resident_ref));
            let (building, room) = acc.unit.unzip();
            Household {
                household_ref,
                name: acc.name,
                building,
                room,
                residents: acc.residents,
            }
        })
        .collect();
    Ok(ResidentsFile { households })
}

impl Parser<'_> {
    fn row(&mut self, h: &Header, line: u64, record: &csv::StringRecord) {
        let household_ref = self.text(h, line, record, HOUSEHOLD_REF, MAX_REF_LEN);
        let household_name = self.text(h, line, record, HOUSEHOLD_NAME, MAX_NAME_LEN);
        let unit = self.unit(h, line, record);
        let resident_ref = self.text(h, line, record, RESIDENT_REF, MAX_REF_LEN);
        let resident_name = self.text(h, line, record, RESIDENT_NAME, MAX_NAME_LEN);
        let birth_year = self.birth_year(h, line, record);
        let representative = self.flag(h, line, record);

        let household_ok = match (household_ref, household_name, &unit) {
            (Some(r), Some(n), Some(u)) => self.register_household(h, line, r, n, u),
            _ => false,
        };
        let resident_ok = resident_ref.is_some_and(|r| self.register_resident_ref(h, line, r));
        if representative == Some(true) {
            if let Some(hr) = household_ref {
                self.register_representative(h, line, hr);
            }
            if let (Some(r), Some(y)) = (resident_ref, birth_year) {
                if !is_adult(y, self.current_year) {
                    let args = vec![("resident_ref", r.to_string())];
                    let column = h.name(REPRESENTATIVE);
                    self.problems
                        .push(problem(line, column, REPRESENTATIVE_MINOR, args));
                }
            }
        }
        if !(household_ok && resident_ok) {
            return;
        }
        if let (Some(hr), Some(r), Some(name), Some(y), Some(rep)) = (
            household_ref,
            resident_ref,
            resident_name,
            birth_year,
            representative,
        ) {
            if let Some(acc) = self.households.get_mut(hr) {
                acc.residents.push(Resident {
                    resident_ref: r.to_string(),
                    name: name.to_string(),
                    birth_year: y,
                    representative: rep,
                });
            }
        }
    }

    /// A required text field: checks emptiness and length. `None` if invalid.
    fn text<'r>(
        &mut self,
        h: &Header,
        line: u64,
        record: &'r csv::StringRecord,
        c: usize,
        max: usize,
    ) -> Option<&'r str> {
        h.text(line, record, c, max, true, &mut self.problems)
    }

    /// The building and room: `Some(None)` when both are empty, `None` when invalid.
    fn unit(
        &mut self,
        h: &Header,
        line: u64,
        record: &csv::StringRecord,
    ) -> Option<Option<(String, String)>> {
        if h.get(record, BUILDING).is_empty() && h.get(record, ROOM).is_empty() {
            return Some(None);
        }
        let building = self.text(h, line, record, BUILDING, MAX_BUILDING_LEN);
        let mut known = true;
        if let Some(b) = building {
            if !self.known_buildings.iter().any(|k| k == b) {
                let args = vec![
                    ("building", b.to_string()),
                    ("known", self.known_buildings.join("、")),
                ];
                let column = h.name(BUILDING);
                self.problems
                    .push(problem(line, column, UNKNOWN_BUILDING, args));
                known = false;
            }
        }
        let room = self.text(h, line, record, ROOM, MAX_ROOM_LEN);
        match (building, room) {
            (Some(b), Some(r)) if known => Some(Some((b.to_string(), r.to_string()))),
            _ => None,
        }
    }

    fn birth_year(&mut self, h: &Header, line: u64, record: &csv::StringRecord) -> Option<i32> {
        let value = h.get(record, BIRTH_YEAR);
        if value.is_empty() {
            h.empty(line, BIRTH_YEAR, &mut self.problems);
            return None;
        }
        let year = (value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| value.parse::<i32>().ok())
            .flatten()
            .filter(|y| (MIN_BIRTH_YEAR..=self.current_year).contains(y));
        if year.is_none() {
            let args = vec![("value", value.to_string())];
            self.problems
                .push(problem(line, h.name(BIRTH_YEAR), BAD_YEAR, args));
        }
        year
    }

    fn flag(&mut self, h: &Header, line: u64, record: &csv::StringRecord) -> Option<bool> {
        let value = h.get(record, REPRESENTATIVE);
        let flag = parse_flag(value);
        if flag.is_none() {
            let args = vec![("value", value.to_string())];
            self.problems
                .push(problem(line, h.name(REPRESENTATIVE), BAD_FLAG, args));
        }
        flag
    }

    /// Record the household fields of one line; `false` if they conflict with an earlier line.
    fn register_household(
        &mut self,
        h: &Header,
        line: u64,
        household_ref: &str,
        name: &str,
        unit: &Option<(String, String)>,
    ) -> bool {
        let Some(first) = self.households.get(household_ref) else {
            self.households.insert(
                household_ref.to_string(),
                HouseholdAcc {
                    line,
                    name: name.to_string(),
                    unit: unit.clone(),
                    residents: Vec::new(),
                },
            );
            return true;
        };
        let first_building = first.unit.as_ref().map(|(b, _)| b);
        let first_room = first.unit.as_ref().map(|(_, r)| r);
        let differs = if first.name != name {
            Some(HOUSEHOLD_NAME)
        } else if first_building != unit.as_ref().map(|(b, _)| b) {
            Some(BUILDING)
        } else if first_room != unit.as_ref().map(|(_, r)| r) {
            Some(ROOM)
        } else {
            None
        };
        let Some(c) = differs else {
            return true;
        };
        let args = vec![
            ("household_ref", household_ref.to_string()),
            ("first_line", first.line.to_string()),
        ];
        self.problems
            .push(problem(line, h.name(c), CONFLICTING_HOUSEHOLD, args));
        false
    }

    /// Record a resident reference; `false` if it was already used.
    fn register_resident_ref(&mut self, h: &Header, line: u64, resident_ref: &str) -> bool {
        let Some(&first_line) = self.resident_lines.get(resident_ref) else {
            self.resident_lines.insert(resident_ref.to_string(), line);
            return true;
        };
        let args = vec![
            ("resident_ref", resident_ref.to_string()),
            ("first_line", first_line.to_string()),
        ];
        self.problems.push(problem(
            line,
            h.name(RESIDENT_REF),
            DUPLICATE_RESIDENT,
            args,
        ));
        false
    }

    fn register_representative(&mut self, h: &Header, line: u64, household_ref: &str) {
        let Some(&first_line) = self.representative_lines.get(household_ref) else {
            self.representative_lines
                .insert(household_ref.to_string(), line);
            return;
        };
        let args = vec![
            ("household_ref", household_ref.to_string()),
            ("first_line", first_line.to_string()),
        ];
        self.problems.push(problem(
            line,
            h.name(REPRESENTATIVE),
            TWO_REPRESENTATIVES,
            args,
        ));
    }
}

/// Export a register in the format [`parse`] reads: English header, one line per resident,
/// `yes` / `no` for the representative flag, no byte-order mark. Any file that `parse` returned
/// parses back to an equal file (with the same known buildings and a current year no earlier).
pub fn to_csv(file: &ResidentsFile) -> String {
    let mut out = String::new();
    csv_table::push_header(&mut out, &COLUMNS);
    for hh in &file.households {
        let building = hh.building.as_deref().unwrap_or("");
        let room = hh.room.as_deref().unwrap_or("");
        for r in &hh.residents {
            let year = r.birth_year.to_string();
            csv_table::push_row(
                &mut out,
                &[
                    &hh.household_ref,
                    &hh.name,
                    building,
                    room,
                    &r.resident_ref,
                    &r.name,
                    &year,
                    if r.representative { "yes" } else { "no" },
                ],
            );
        }
    }
    out
}

/// How a residents' assembly is made up (Art. 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssemblyMode {
    /// Every resident aged 18 or over.
    AllAdults,
    /// One representative per household.
    HouseholdRepresentatives,
}

/// One person entitled to take part in the residents' assembly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentVoter {
    pub household_ref: String,
    pub resident_ref: String,
    pub name: String,
}

/// Who is entitled to take part in a residents' assembly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentsElectorate {
    pub mode: AssemblyMode,
    /// Sorted by (`household_ref`, `resident_ref`).
    pub voters: Vec<ResidentVoter>,
    /// The number of households in the register.
    pub households: usize,
    /// In [`AssemblyMode::HouseholdRepresentatives`] mode, the references of the households
    /// with no adult representative, sorted; they are not counted. Empty in the other mode.
    pub households_without_representative: Vec<String>,
}

/// The electorate of a residents' assembly.
///
/// - [`AssemblyMode::AllAdults`]: every resident aged 18 or over in `current_year`
///   (`birth_year <= current_year - 18`: a person turns 18 during that year, and the year is the
///   register's granularity).
/// - [`AssemblyMode::HouseholdRepresentatives`]: each household's representative. Households
///   without one are listed, not counted. A representative who is not 18 in `current_year`
///   does not count (a parsed file has none such for the year it was parsed with); should a
///   hand-built file mark several, only the first by `resident_ref` counts.
pub fn electorate(
    file: &ResidentsFile,
    mode: AssemblyMode,
    current_year: i32,
) -> ResidentsElectorate {
    let voter = |hh: &Household, r: &Resident| ResidentVoter {
        household_ref: hh.household_ref.clone(),
        resident_ref: r.resident_ref.clone(),
        name: r.name.clone(),
    };
    let mut voters = Vec::new();
    let mut without = Vec::new();
    for hh in &file.households {
        let mut adults = hh
            .residents
            .iter()
            .filter(|r| is_adult(r.birth_year, current_year));
        match mode {
            AssemblyMode::AllAdults => voters.extend(adults.map(|r| voter(hh, r))),
            AssemblyMode::HouseholdRepresentatives => {
                let representative = adults
                    .by_ref()
                    .filter(|r| r.representative)
                    .min_by(|a, b| a.resident_ref.cmp(&b.resident_ref));
                match representative {
                    Some(r) => voters.push(voter(hh, r)),
                    None => without.push(hh.household_ref.clone()),
                }
            }
        }
    }
    voters.sort_by(|a, b| {
        (&a.household_ref, &a.resident_ref).cmp(&(&b.household_ref, &b.resident_ref))
    });
    without.sort();
    ResidentsElectorate {
        mode,
        voters,
        households: file.households.len(),
        households_without_representative: without,
    }
}

/// Art. 12 quorum: the assembly can be held only if more than half of those entitled attend
/// (`attending * 2 > entitled`, in exact integers).
pub fn quorum_met(entitled: u64, attending: u64) -> bool {
    u128::from(attending) * 2 > u128::from(entitled)
}

/// Art. 12 majority: a decision passes with more than half of those attending
/// (`agree * 2 > attending`, in exact integers).
pub fn passes(attending: u64, agree: u64) -> bool {
    u128::from(agree) * 2 > u128::from(attending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const YEAR: i32 = 2025;
    const H: &str =
        "household_ref,household_name,building,room,resident_ref,resident_name,birth_year,representative\n";

    fn buildings() -> Vec<String> {
        vec!["1栋".to_string(), "2栋".to_string()]
    }

    fn parse_str(s: &str) -> Result<ResidentsFile, Vec<Problem>> {
        parse(s.as_bytes(), &buildings(), YEAR)
    }

    /// The only problem of `s`.
    fn one_problem(s: &str) -> Problem {
        let problems = parse_str(s).expect_err("should fail");
        assert_eq!(problems.len(), 1, "{problems:#?}");
        problems.into_iter().next().unwrap()
    }

    fn check(p: &Problem, line: u64, column: Option<&str>, message_id: &str) {
        assert_eq!(
            (p.line, p.column.as_deref(), p.message_id),
            (line, column, message_id),
            "{p:#?}"
        );
    }

    fn arg<'a>(p: &'a Problem, name: &str) -> &'a str {
        p.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no arg {name} in {p:#?}"))
    }

    fn resident(resident_ref: &str, birth_year: i32, representative: bool) -> Resident {
        Resident {
            resident_ref: resident_ref.to_string(),
            name: format!("居民{resident_ref}"),
            birth_year,
            representative,
        }
    }

    fn household(household_ref: &str, residents: Vec<Resident>) -> Household {
        Household {
            household_ref: household_ref.to_string(),
            name: format!("{household_ref}户"),
            building: None,
            room: None,
            residents,
        }
    }

    #[test]
    fn a_plain_file_parses_and_is_sorted() {
        let f = parse_str(&format!(
            "{H}H2,李四户,2栋,301,R9,李四,1970,yes\n\
             H1,张三户,1栋,101,R5,张小三,2015,\n\
             H1,张三户,1栋,101,R1,张三,1980,是\n\
             H3,王五户,,,R3,王五,1900,0\n"
        ))
        .unwrap();
        let refs: Vec<_> = f.households.iter().map(|h| &h.household_ref).collect();
        assert_eq!(refs, ["H1", "H2", "H3"]);
        let h1 = &f.households[0];
        assert_eq!(h1.name, "张三户");
        assert_eq!(
            (h1.building.as_deref(), h1.room.as_deref()),
            (Some("1栋"), Some("101"))
        );
        assert_eq!(
            h1.residents,
            vec![
                Resident {
                    resident_ref: "R1".into(),
                    name: "张三".into(),
                    birth_year: 1980,
                    representative: true,
                },
                Resident {
                    resident_ref: "R5".into(),
                    name: "张小三".into(),
                    birth_year: 2015,
                    representative: false,
                },
            ]
        );
        assert!(f.households[1].residents[0].representative);
        assert_eq!(f.households[2].building, None);
        assert_eq!(f.households[2].room, None);
    }

    #[test]
    fn a_header_alone_is_an_empty_register() {
        assert_eq!(parse_str(H), Ok(ResidentsFile { households: vec![] }));
    }

    #[test]
    fn optional_columns_may_be_left_out() {
        let f = parse_str(
            "resident_ref,resident_name,birth_year,household_ref,household_name\nR1,甲,1990,H1,甲户\n",
        )
        .unwrap();
        assert_eq!(f.households[0].building, None);
        assert!(!f.households[0].residents[0].representative);
    }

    #[test]
    fn not_utf8() {
        let mut bytes = H.as_bytes().to_vec();
        bytes.extend_from_slice(b"H1,x,1\xb6\xb0,101,R1,y,1990,\n"); // GBK "栋"
        let problems = parse(&bytes, &buildings(), YEAR).unwrap_err();
        assert_eq!(problems, vec![problem(1, None, NOT_UTF8, vec![])]);
    }

    #[test]
    fn missing_column() {
        let p = one_problem("household_ref,household_name,resident_ref,birth_year\nH1,x,R1,1990\n");
        check(&p, 1, Some("resident_name"), MISSING_COLUMN);
        assert_eq!(arg(&p, "column"), "resident_name");
    }

    #[test]
    fn building_and_room_columns_come_together() {
        let p = one_problem(
            "household_ref,household_name,楼栋,resident_ref,resident_name,birth_year\n",
        );
        check(&p, 1, Some("room"), MISSING_COLUMN);
        let p = one_problem(
            "household_ref,household_name,room,resident_ref,resident_name,birth_year\n",
        );
        check(&p, 1, Some("building"), MISSING_COLUMN);
    }

    #[test]
    fn an_empty_file_misses_every_required_column() {
        let problems = parse_str("").unwrap_err();
        assert_eq!(problems.len(), 5);
        assert!(problems
            .iter()
            .all(|p| p.line == 1 && p.message_id == MISSING_COLUMN));
    }

    #[test]
    fn unknown_column() {
        let p = one_problem(&format!("{}, phone \n", H.trim_end()));
        check(&p, 1, Some("phone"), UNKNOWN_COLUMN);
        assert_eq!(arg(&p, "column"), "phone");
    }

    #[test]
    fn duplicate_column() {
        let p = one_problem(&format!("{},姓名\n", H.trim_end()));
        check(&p, 1, Some("姓名"), DUPLICATE_COLUMN);
        assert_eq!(arg(&p, "column"), "姓名");
    }

    #[test]
    fn field_count() {
        let p = one_problem(&format!("{H}H1,x,,,R1,y,1990,\nH1,x,,,R2,z\n"));
        check(&p, 3, None, FIELD_COUNT);
        assert_eq!((arg(&p, "expected"), arg(&p, "found")), ("8", "6"));
    }

    #[test]
    fn empty_field() {
        let p = one_problem(&format!("{H}H1,,,,R1,y,1990,\n"));
        check(&p, 2, Some("household_name"), EMPTY_FIELD);
        assert_eq!(arg(&p, "column"), "household_name");
        let p = one_problem(&format!("{H}H1,x,,,R1,y, ,\n"));
        check(&p, 2, Some("birth_year"), EMPTY_FIELD);
        let p = one_problem(&format!("{H}H1,x,,,,y,1990,\n"));
        check(&p, 2, Some("resident_ref"), EMPTY_FIELD);
    }

    #[test]
    fn building_and_room_are_both_given_or_neither() {
        let p = one_problem(&format!("{H}H1,x,1栋,,R1,y,1990,\n"));
        check(&p, 2, Some("room"), EMPTY_FIELD);
        let p = one_problem(&format!("{H}H1,x,,101,R1,y,1990,\n"));
        check(&p, 2, Some("building"), EMPTY_FIELD);
    }

    #[test]
    fn too_long() {
        let name = "名".repeat(101);
        let p = one_problem(&format!("{H}H1,x,,,R1,{name},1990,\n"));
        check(&p, 2, Some("resident_name"), TOO_LONG);
        assert_eq!(
            (arg(&p, "column"), arg(&p, "max")),
            ("resident_name", "100")
        );
        // Exactly at the limit is fine.
        let name = "名".repeat(100);
        assert!(parse_str(&format!("{H}H1,{name},,,R1,{name},1990,\n")).is_ok());
        let p = one_problem(&format!("{H}{},x,,,R1,y,1990,\n", "h".repeat(65)));
        check(&p, 2, Some("household_ref"), TOO_LONG);
        assert_eq!(arg(&p, "max"), "64");
        let p = one_problem(&format!("{H}H1,x,1栋,{},R1,y,1990,\n", "1".repeat(41)));
        check(&p, 2, Some("room"), TOO_LONG);
        assert_eq!(arg(&p, "max"), "40");
    }

    #[test]
    fn too_many_rows() {
        let mut s = H.to_string();
        for i in 0..=MAX_ROWS {
            s.push_str(&format!("H{},x,,,R{i},y,1990,\n", i / 3));
        }
        let p = one_problem(&s);
        check(&p, MAX_ROWS as u64 + 2, None, TOO_MANY_ROWS);
        assert_eq!(arg(&p, "max"), "50000");
        // The limit itself is fine.
        let cut = s.trim_end().rsplit_once('\n').unwrap().0;
        let f = parse_str(cut).unwrap();
        let n: usize = f.households.iter().map(|h| h.residents.len()).sum();
        assert_eq!(n, MAX_ROWS);
    }

    #[test]
    fn unknown_building() {
        let p = one_problem(&format!("{H}H1,x,3栋,101,R1,y,1990,\n"));
        check(&p, 2, Some("building"), UNKNOWN_BUILDING);
        assert_eq!((arg(&p, "building"), arg(&p, "known")), ("3栋", "1栋、2栋"));
    }

    #[test]
    fn conflicting_household() {
        let p = one_problem(&format!(
            "{H}H1,张三户,1栋,101,R1,张三,1980,\nH2,李四户,,,R2,李四,1980,\nH1,张三家,1栋,101,R3,张小三,2010,\n"
        ));
        check(&p, 4, Some("household_name"), CONFLICTING_HOUSEHOLD);
        assert_eq!(
            (arg(&p, "household_ref"), arg(&p, "first_line")),
            ("H1", "2")
        );
        let p = one_problem(&format!(
            "{H}H1,x,1栋,101,R1,y,1980,\nH1,x,2栋,101,R2,z,1980,\n"
        ));
        check(&p, 3, Some("building"), CONFLICTING_HOUSEHOLD);
        let p = one_problem(&format!(
            "{H}H1,x,1栋,101,R1,y,1980,\nH1,x,1栋,102,R2,z,1980,\n"
        ));
        check(&p, 3, Some("room"), CONFLICTING_HOUSEHOLD);
        // No unit on one line and a unit on another conflict too.
        let p = one_problem(&format!("{H}H1,x,,,R1,y,1980,\nH1,x,1栋,101,R2,z,1980,\n"));
        check(&p, 3, Some("building"), CONFLICTING_HOUSEHOLD);
    }

    #[test]
    fn duplicate_resident() {
        let p = one_problem(&format!(
            "{H}H1,x,,,R1,y,1980,\nH1,x,,,R2,z,1980,\nH2,w,,,R1,y,1980,\n"
        ));
        check(&p, 4, Some("resident_ref"), DUPLICATE_RESIDENT);
        assert_eq!(
            (arg(&p, "resident_ref"), arg(&p, "first_line")),
            ("R1", "2")
        );
    }

    #[test]
    fn bad_year() {
        for bad in [
            "1899",
            "2026",
            "85",
            "01990",
            "19x0",
            "+199",
            "１９９０",
            "1990.0",
        ] {
            let p = one_problem(&format!("{H}H1,x,,,R1,y,{bad},\n"));
            check(&p, 2, Some("birth_year"), BAD_YEAR);
            assert_eq!(arg(&p, "value"), bad);
        }
        // The bounds themselves are fine.
        for good in ["1900", "2025"] {
            assert!(parse_str(&format!("{H}H1,x,,,R1,y,{good},\n")).is_ok());
        }
    }

    #[test]
    fn bad_flag() {
        let p = one_problem(&format!("{H}H1,x,,,R1,y,1990,maybe\n"));
        check(&p, 2, Some("representative"), BAD_FLAG);
        assert_eq!(arg(&p, "value"), "maybe");
        let flags = ["yes", "YES", "是", "1", "no", "No", "否", "0", ""];
        let expected = [true, true, true, true, false, false, false, false, false];
        for (i, (flag, want)) in flags.iter().zip(expected).enumerate() {
            let f = parse_str(&format!("{H}H{i},x,,,R1,y,1990,{flag}\n")).unwrap();
            assert_eq!(f.households[0].residents[0].representative, want, "{flag}");
        }
    }

    #[test]
    fn two_representatives() {
        let p = one_problem(&format!(
            "{H}H1,x,,,R1,y,1980,yes\nH2,w,,,R2,v,1980,yes\nH1,x,,,R3,z,1980,yes\n"
        ));
        check(&p, 4, Some("representative"), TWO_REPRESENTATIVES);
        assert_eq!(
            (arg(&p, "household_ref"), arg(&p, "first_line")),
            ("H1", "2")
        );
    }

    #[test]
    fn representative_minor() {
        // 17 in 2025.
        let p = one_problem(&format!("{H}H1,x,,,R1,y,2008,yes\n"));
        check(&p, 2, Some("representative"), REPRESENTATIVE_MINOR);
        assert_eq!(arg(&p, "resident_ref"), "R1");
        // 18 in 2025 is old enough.
        assert!(parse_str(&format!("{H}H1,x,,,R1,y,2007,yes\n")).is_ok());
    }

    #[test]
    fn a_bom_is_skipped() {
        let f = parse_str(&format!("\u{feff}{H}H1,x,1栋,101,R1,y,1990,\n")).unwrap();
        assert_eq!(f.households[0].household_ref, "H1");
    }

    #[test]
    fn chinese_headers_and_values() {
        let s = "\u{feff}姓名, 户编号 ,出生年份,户名,楼栋,房号,居民编号,户代表\n\
                 张三,H0012,1975,张三户,2栋,301,J1,是\n\
                 张小三,H0012,2012,张三户,2栋,301,J2,否\n";
        let f = parse_str(s).unwrap();
        assert_eq!(f.households.len(), 1);
        let h = &f.households[0];
        assert_eq!(
            (h.household_ref.as_str(), h.name.as_str()),
            ("H0012", "张三户")
        );
        assert_eq!(h.building.as_deref(), Some("2栋"));
        assert_eq!(h.residents[0].name, "张三");
        assert!(h.residents[0].representative);
        assert_eq!(h.residents[1].birth_year, 2012);
        // Problems name the column as written.
        let p = one_problem("户编号,户名,居民编号,姓名,出生年份,户代表\nH1,x,R1,y,1990,对\n");
        check(&p, 2, Some("户代表"), BAD_FLAG);
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_stay_physical() {
        let s =
            format!("\n{H}\nH1,x,,,R1,\"two\nlines\",1990,\n,,,,,,,\n   \nH1,x,,,R2,y,1990,bad\n");
        let p = one_problem(&s);
        check(&p, 8, Some("representative"), BAD_FLAG);
        let s = format!("{H}H1,x,,,R1,\"two\nlines\",1990,\n");
        assert_eq!(
            parse_str(&s).unwrap().households[0].residents[0].name,
            "two\nlines"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let s = format!(
            "{H}\
             H1,x,9栋,101,R1,y,1990,\n\
             H2,w,,,R2,v,1800,\n\
             H3,u,,,R3,t,1990,yes,extra\n\
             H2,w,,,R2,v,1990,\n\
             H4,s,,,R4,r,2020,yes\n"
        );
        let problems = parse_str(&s).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line, p.message_id)).collect();
        assert_eq!(
            got,
            vec![
                (2, UNKNOWN_BUILDING),
                (3, BAD_YEAR),
                (4, FIELD_COUNT),
                (5, DUPLICATE_RESIDENT),
                (6, REPRESENTATIVE_MINOR),
            ]
        );
        // Several problems on one line are all reported too.
        let problems = parse_str(&format!("{H},x,1栋,,R1,,19,maybe\n")).unwrap_err();
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.line, p.column.as_deref(), p.message_id))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, Some("household_ref"), EMPTY_FIELD),
                (2, Some("room"), EMPTY_FIELD),
                (2, Some("resident_name"), EMPTY_FIELD),
                (2, Some("birth_year"), BAD_YEAR),
                (2, Some("representative"), BAD_FLAG),
            ]
        );
    }

    #[test]
    fn export_quotes_what_needs_quoting() {
        let f = parse_str(&format!(
            "{H}H1,\"Wang, \"\"Xiao\"\" Ming\",1栋,101,R1,王,1980,yes\nH2,李户,,,R2,李,2010,\n"
        ))
        .unwrap();
        let csv = to_csv(&f);
        assert!(csv.starts_with(
            "household_ref,household_name,building,room,resident_ref,resident_name,birth_year,representative\r\n"
        ));
        assert!(csv.contains("H1,\"Wang, \"\"Xiao\"\" Ming\",1栋,101,R1,王,1980,yes\r\n"));
        assert!(csv.contains("H2,李户,,,R2,李,2010,no\r\n"));
        assert_eq!(parse_str(&csv), Ok(f));
    }

    fn sample() -> ResidentsFile {
        ResidentsFile {
            households: vec![
                household(
                    "H1",
                    vec![
                        resident("R1", 1980, true),
                        resident("R2", 2007, false), // 18 in 2025
                        resident("R3", 2008, false), // 17 in 2025
                    ],
                ),
                household("H2", vec![resident("R4", 1950, false)]),
                household(
                    "H3",
                    vec![resident("R5", 2020, false), resident("R6", 1999, true)],
                ),
            ],
        }
    }

    fn voter_refs(e: &ResidentsElectorate) -> Vec<(&str, &str)> {
        e.voters
            .iter()
            .map(|v| (v.household_ref.as_str(), v.resident_ref.as_str()))
            .collect()
    }

    #[test]
    fn electorate_of_all_adults() {
        let e = electorate(&sample(), AssemblyMode::AllAdults, YEAR);
        assert_eq!(e.mode, AssemblyMode::AllAdults);
        assert_eq!(
            voter_refs(&e),
            [("H1", "R1"), ("H1", "R2"), ("H2", "R4"), ("H3", "R6")]
        );
        assert_eq!(e.voters[0].name, "居民R1");
        assert_eq!(e.households, 3);
        assert!(e.households_without_representative.is_empty());
    }

    #[test]
    fn the_boundary_age() {
        let f = ResidentsFile {
            households: vec![household(
                "H1",
                vec![resident("A", 2007, false), resident("B", 2008, false)],
            )],
        };
        let e = electorate(&f, AssemblyMode::AllAdults, 2025);
        assert_eq!(voter_refs(&e), [("H1", "A")]);
        let e = electorate(&f, AssemblyMode::AllAdults, 2026);
        assert_eq!(e.voters.len(), 2);
        let e = electorate(&f, AssemblyMode::AllAdults, 2024);
        assert!(e.voters.is_empty());
        assert!(is_adult(2007, 2025));
        assert!(!is_adult(2008, 2025));
        // No overflow at the extremes.
        assert!(is_adult(i32::MIN, i32::MAX));
        assert!(!is_adult(i32::MAX, i32::MIN));
    }

    #[test]
    fn electorate_of_household_representatives() {
        let e = electorate(&sample(), AssemblyMode::HouseholdRepresentatives, YEAR);
        assert_eq!(e.mode, AssemblyMode::HouseholdRepresentatives);
        assert_eq!(voter_refs(&e), [("H1", "R1"), ("H3", "R6")]);
        assert_eq!(e.households, 3);
        assert_eq!(e.households_without_representative, ["H2"]);
        // A representative who is not yet 18 in the given year does not count.
        let e = electorate(&sample(), AssemblyMode::HouseholdRepresentatives, 2016);
        assert_eq!(voter_refs(&e), [("H1", "R1")]);
        assert_eq!(e.households_without_representative, ["H2", "H3"]);
    }

    #[test]
    fn assembly_mode_serialises_in_snake_case() {
        let json = serde_json::to_string(&AssemblyMode::HouseholdRepresentatives).unwrap();
        assert_eq!(json, "\"household_representatives\"");
        let mode: AssemblyMode = serde_json::from_str("\"all_adults\"").unwrap();
        assert_eq!(mode, AssemblyMode::AllAdults);
    }

    #[test]
    fn quorum_needs_more_than_half_of_those_entitled() {
        assert!(!quorum_met(100, 50));
        assert!(quorum_met(100, 51));
        assert!(!quorum_met(101, 50));
        assert!(quorum_met(101, 51));
        assert!(!quorum_met(0, 0));
        assert!(quorum_met(u64::MAX, u64::MAX / 2 + 1));
        assert!(!quorum_met(u64::MAX, u64::MAX / 2));
    }

    #[test]
    fn a_decision_needs_more_than_half_of_those_attending() {
        assert!(!passes(60, 30));
        assert!(passes(60, 31));
        assert!(!passes(61, 30));
        assert!(passes(61, 31));
        assert!(!passes(0, 0));
        assert!(passes(u64::MAX, u64::MAX / 2 + 1));
        assert!(!passes(u64::MAX, u64::MAX / 2));
    }

    const BUILDINGS: [&str; 3] = ["1栋", "2栋", "A座"];
    const NAMES: [&str; 6] = [
        "张三",
        "李四户",
        "Wang, Xiao Ming",
        "O\"Brien",
        "欧阳 娜娜",
        "line\nbreak",
    ];

    /// Name index, birth year, wants to be the representative.
    type RawResident = (usize, i32, bool);
    /// Name index, unit (building index, floor, number), residents.
    type RawHousehold = (usize, Option<(usize, u32, u32)>, Vec<RawResident>);

    fn arb_household() -> impl Strategy<Value = RawHousehold> {
        (
            0..NAMES.len(),
            proptest::option::of((0..BUILDINGS.len(), 1u32..=30, 1u32..=4)),
            proptest::collection::vec((0..NAMES.len(), MIN_BIRTH_YEAR..=YEAR, any::<bool>()), 1..6),
        )
    }

    /// Random registers that satisfy every rule of the format for `YEAR`.
    fn arb_file() -> impl Strategy<Value = ResidentsFile> {
        proptest::collection::vec(arb_household(), 0..15).prop_map(|raw| {
            let mut next_resident = 0;
            let households = raw
                .into_iter()
                .enumerate()
                .map(|(i, (name, unit, raw_residents))| {
                    let mut has_representative = false;
                    let residents = raw_residents
                        .into_iter()
                        .map(|(name, birth_year, wants)| {
                            let representative =
                                wants && !has_representative && is_adult(birth_year, YEAR);
                            has_representative |= representative;
                            next_resident += 1;
                            Resident {
                                resident_ref: format!("R{next_resident:04}"),
                                name: NAMES[name].to_string(),
                                birth_year,
                                representative,
                            }
                        })
                        .collect();
                    let (building, room) = unit
                        .map(|(b, floor, n)| (BUILDINGS[b].to_string(), format!("{floor}{n:02}")))
                        .unzip();
                    Household {
                        household_ref: format!("H{i:03}"),
                        name: NAMES[name].to_string(),
                        building,
                        room,
                        residents,
                    }
                })
                .collect();
            ResidentsFile { households }
        })
    }

    proptest! {
        #[test]
        fn export_then_parse_round_trips(f in arb_file()) {
            let known: Vec<String> = BUILDINGS.iter().map(|b| b.to_string()).collect();
            prop_assert_eq!(parse(to_csv(&f).as_bytes(), &known, YEAR), Ok(f));
        }

        #[test]
        fn all_adults_is_a_naive_count(f in arb_file(), y in 1850i32..=2150) {
            let naive = f
                .households
                .iter()
                .flat_map(|h| &h.residents)
                .filter(|r| y - r.birth_year >= 18)
                .count();
            let e = electorate(&f, AssemblyMode::AllAdults, y);
            prop_assert_eq!(e.voters.len(), naive);
            prop_assert_eq!(e.households, f.households.len());
            let keys: Vec<_> = e.voters.iter().map(|v| (&v.household_ref, &v.resident_ref)).collect();
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        }

        #[test]
        fn every_household_has_a_representative_or_is_listed(f in arb_file(), y in 1850i32..=2150) {
            let e = electorate(&f, AssemblyMode::HouseholdRepresentatives, y);
            prop_assert_eq!(
                e.voters.len() + e.households_without_representative.len(),
                f.households.len()
            );
            let voting: BTreeSet<&String> = e.voters.iter().map(|v| &v.household_ref).collect();
            prop_assert_eq!(voting.len(), e.voters.len());
            prop_assert!(e
                .households_without_representative
                .iter()
                .all(|h| !voting.contains(h)));
        }
    }
}

//! The owner roster as a CSV file (业主名册): turning the bytes of an uploaded spreadsheet export
//! into a validated in-memory roster, or into the list of *every* problem found, each with its
//! line and column; and writing a roster back out in the same format.
//!
//! # The format
//!
//! - UTF-8 text; a leading byte-order mark (EF BB BF) is tolerated and skipped. Input that is
//!   not UTF-8 (a spreadsheet saved as GBK, say) is rejected with one problem at line 1.
//! - Comma-separated, with `"` quoting where a field holds a comma, a quote or a line break
//!   (RFC 4180). Every field is trimmed of surrounding whitespace.
//! - The first non-blank row is the header. Columns may come in any order. Each column has an
//!   English name and a Chinese alias, matched after trimming (English names ignore ASCII case):
//!
//!   | column | alias | |
//!   |---|---|---|
//!   | `building` | `楼栋` | required; must be one of the community's known buildings |
//!   | `room` | `房号` | required |
//!   | `area_registry` | `登记面积` | m² with a decimal point, e.g. `89.50` |
//!   | `area_survey` | `实测面积` | m² |
//!   | `area_contract` | `合同面积` | m² |
//!   | `status` | `交付状态` | optional: `delivered` / `已交付` (also when empty), `unsold` / `未出售`, `undelivered` / `已售未交付` |
//!   | `owner_ref` | `业主编号` | required column: the owner's identifier within the roster |
//!   | `owner_name` | `业主姓名` | required column |
//!   | `owner_kind` | `业主类型` | optional: `person` / `个人` (also when empty), `organisation` / `单位`, `developer` / `建设单位` |
//!   | `owner_phone` | `联系电话` | optional |
//!
//!   At least one of the three area columns must be in the header, and every row needs at least
//!   one non-empty area. Areas follow [`parse_area`]: `89,5` (comma as decimal point) is
//!   rejected. A header missing a required column, naming an unknown column or naming one column
//!   twice is a problem at the header's line.
//! - One data row per (unit, owner). A co-owned unit (共有) takes one row per co-owner, with the
//!   same building and room, and must carry the same areas and status on each. An `unsold` unit
//!   may leave `owner_ref` and `owner_name` empty (the developer holds it); every other row needs
//!   both.
//! - Owners are identified by `owner_ref`. Every row of one owner must carry the same name, kind
//!   and phone (an empty phone on one row and a phone on another conflict).
//! - Blank rows are skipped. A row with another number of fields than the header is a problem.
//! - At most [`MAX_ROWS`] data rows. Lengths, in characters: building and room at most 40, owner
//!   name at most 100, phone at most 40, owner reference at most 64.
//! - Line numbers are the physical 1-based lines a spreadsheet user sees; the header is line 1.
//!   A record whose quoted field spans lines is reported at the line where it starts.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::area::{format_area, parse_area, AreaCenti, AreaRecord};
use super::csv_table::{self, ids::*, problem, Column, Header};
use super::headcount::{OwnerKind, UnitStatus};

/// The most data rows one file may hold.
pub const MAX_ROWS: usize = 20_000;
/// Longest building name, in characters.
pub const MAX_BUILDING_LEN: usize = 40;
/// Longest room number, in characters.
pub const MAX_ROOM_LEN: usize = 40;
/// Longest owner name, in characters.
pub const MAX_NAME_LEN: usize = 100;
/// Longest phone number, in characters.
pub const MAX_PHONE_LEN: usize = 40;
/// Longest owner reference, in characters.
pub const MAX_REF_LEN: usize = 64;

/// One thing wrong with an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based physical line; the header is line 1.
    pub line: u64,
    /// The column's header name as written in the file (trimmed), or its canonical English name
    /// if the column is missing from the header; `None` when the whole row is concerned.
    pub column: Option<String>,
    /// The Fluent message id explaining the problem.
    pub message_id: &'static str,
    /// The Fluent arguments of the message.
    pub args: Vec<(&'static str, String)>,
}

/// One owner of record (业主).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterOwner {
    pub owner_ref: String,
    pub name: String,
    pub kind: OwnerKind,
    pub phone: Option<String>,
}

/// One exclusive unit (专有部分).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterUnit {
    pub building: String,
    pub room: String,
    pub area: AreaRecord,
    pub status: UnitStatus,
    /// The owners of record, sorted and unique; empty only for an unsold unit.
    pub owner_refs: Vec<String>,
}

/// A whole validated roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterFile {
    /// Sorted by (building, room).
    pub units: Vec<RosterUnit>,
    /// Sorted by `owner_ref`; each is an owner of at least one unit.
    pub owners: Vec<RosterOwner>,
}

// The ids common to both uploaded files are in `csv_table::ids`.
const NO_AREA: &str = "roster-error-no-area";
const BAD_STATUS: &str = "roster-error-bad-status";
const BAD_KIND: &str = "roster-error-bad-kind";
const DUPLICATE_ROOM: &str = "roster-error-duplicate-room";
const CONFLICTING_UNIT: &str = "roster-error-conflicting-unit";
const CONFLICTING_OWNER: &str = "roster-error-conflicting-owner";

// Column indices into `COLUMNS`, which is also the export order.
const BUILDING: usize = 0;
const ROOM: usize = 1;
const AREA_REGISTRY: usize = 2;
const AREA_SURVEY: usize = 3;
const AREA_CONTRACT: usize = 4;
const STATUS: usize = 5;
const OWNER_REF: usize = 6;
const OWNER_NAME: usize = 7;
const OWNER_KIND: usize = 8;
const OWNER_PHONE: usize = 9;
const NCOLS: usize = 10;
const AREA_COLUMNS: [usize; 3] = [AREA_REGISTRY, AREA_SURVEY, AREA_CONTRACT];

const COLUMNS: [Column; NCOLS] = [
    Column::required("building", "楼栋"),
    Column::required("room", "房号"),
    Column::optional("area_registry", "登记面积"),
    Column::optional("area_survey", "实测面积"),
    Column::optional("area_contract", "合同面积"),
    Column::optional("status", "交付状态"),
    Column::required("owner_ref", "业主编号"),
    Column::required("owner_name", "业主姓名"),
    Column::optional("owner_kind", "业主类型"),
    Column::optional("owner_phone", "联系电话"),
];

fn parse_status(s: &str) -> Option<UnitStatus> {
    match s {
        "已交付" => Some(UnitStatus::Delivered),
        "未出售" => Some(UnitStatus::Unsold),
        "已售未交付" | "已出售未交付" => Some(UnitStatus::Undelivered),
        _ => UnitStatus::parse(&s.to_ascii_lowercase()),
    }
}

fn parse_kind(s: &str) -> Option<OwnerKind> {
    match s {
        "个人" => Some(OwnerKind::Person),
        "单位" => Some(OwnerKind::Organisation),
        "建设单位" => Some(OwnerKind::Developer),
        _ => OwnerKind::parse(&s.to_ascii_lowercase()),
    }
}

/// The header needs at least one of the area columns.
fn check_header(h: &Header, line: u64, problems: &mut Vec<Problem>) -> bool {
    if AREA_COLUMNS.iter().any(|&c| h.has(c)) {
        return true;
    }
    let all = AREA_COLUMNS.map(|c| COLUMNS[c].name).join(" / ");
    let column = Some(COLUMNS[AREA_REGISTRY].name.to_string());
    problems.push(problem(line, column, MISSING_COLUMN, vec![("column", all)]));
    false
}

/// What is known of a unit so far, from its first valid row.
struct UnitAcc {
    line: u64,
    area: AreaRecord,
    status: UnitStatus,
    owner_refs: BTreeSet<String>,
    /// An ownerless row (allowed for unsold units) has been seen.
    ownerless: bool,
}

struct Parser<'k> {
    known_buildings: &'k [String],
    problems: Vec<Problem>,
    units: BTreeMap<(String, String), UnitAcc>,
    /// Each owner with the line where it first appeared.
    owners: BTreeMap<String, (u64, RosterOwner)>,
}

/// Parse and validate an uploaded roster. `known_buildings` are the building names of the
/// community; any other building is a problem. On failure, every problem found is returned, in
/// the order of the lines.
pub fn parse(bytes: &[u8], known_buildings: &[String]) -> Result<RosterFile, Vec<Problem>> {
    let mut p = Parser {
        known_buildings,
        problems: Vec::new(),
        units: BTreeMap::new(),
        owners: BTreeMap::new(),
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
    let units = p
        .units
        .into_iter()
        .map(|((building, room), u)| RosterUnit {
            building,
            room,
            area: u.area,
            status: u.status,
            owner_refs: u.owner_refs.into_iter().collect(),
        })
        .collect();
    let owners = p.owners.into_values().map(|(_, o)| o).collect();
    Ok(RosterFile { units, owners })
}

impl Parser<'_> {
    fn row(&mut self, h: &Header, line: u64, record: &csv::StringRecord) {
        let building = self.text(h, line, record, BUILDING, MAX_BUILDING_LEN, true);
        if let Some(b) = building {
            if !self.known_buildings.iter().any(|k| k == b) {
                let args = vec![
                    ("building", b.to_string()),
                    ("known", self.known_buildings.join("、")),
                ];
                let column = h.name(BUILDING);
                self.problems
                    .push(problem(line, column, UNKNOWN_BUILDING, args));
            }
        }
        let room = self.text(h, line, record, ROOM, MAX_ROOM_LEN, true);
        let area = self.area(h, line, record);
        let status = self.status(h, line, record);

        // An unsold unit (or one whose status could not be read) may have no owner.
        let may_be_ownerless = status.is_none_or(|s| s == UnitStatus::Unsold);
        let ownerless = h.get(record, OWNER_REF).is_empty() && h.get(record, OWNER_NAME).is_empty();
        // `None`: the owner fields are invalid; `Some(None)`: no owner on this row.
        let owner = if ownerless && may_be_ownerless {
            Some(None)
        } else {
            self.owner(h, line, record).map(Some)
        };
        if let Some(Some(o)) = &owner {
            self.register_owner(h, line, o);
        }
        if let (Some(b), Some(r), Some(a), Some(s)) = (building, room, area, status) {
            let owner_ref = owner.map(|o| o.map(|o| o.owner_ref));
            self.register_unit(h, line, (b, r), a, s, owner_ref);
        }
    }

    /// A text field: checks emptiness (if `required`) and length. `None` if invalid or empty.
    fn text<'r>(
        &mut self,
        h: &Header,
        line: u64,
        record: &'r csv::StringRecord,
        c: usize,
        max: usize,
        required: bool,
    ) -> Option<&'r str> {
        h.text(line, record, c, max, required, &mut self.problems)
    }

    fn area(&mut self, h: &Header, line: u64, record: &csv::StringRecord) -> Option<AreaRecord> {
        let mut out = AreaRecord::default();
        let mut valid = true;
        let mut any = false;
        for (c, slot) in [
            (AREA_REGISTRY, &mut out.registry),
            (AREA_SURVEY, &mut out.survey),
            (AREA_CONTRACT, &mut out.contract),
        ] {
            let value = h.get(record, c);
            if value.is_empty() {
                continue;
            }
            any = true;
            match parse_area(value) {
                Ok(a) => *slot = Some(a),
                Err(e) => {
                    self.problems
                        .push(problem(line, h.name(c), e.message_id(), vec![]));
                    valid = false;
                }
            }
        }
        if !any {
            let column = AREA_COLUMNS
                .iter()
                .find(|&&c| h.has(c))
                .and_then(|&c| h.name(c));
            self.problems.push(problem(line, column, NO_AREA, vec![]));
            return None;
        }
        valid.then_some(out)
    }

    fn status(&mut self, h: &Header, line: u64, record: &csv::StringRecord) -> Option<UnitStatus> {
        let value = h.get(record, STATUS);
        if value.is_empty() {
            return Some(UnitStatus::Delivered);
        }
        let status = parse_status(value);
        if status.is_none() {
            let args = vec![("value", value.to_string())];
            self.problems
                .push(problem(line, h.name(STATUS), BAD_STATUS, args));
        }
        status
    }

    /// The owner fields of a row that must name an owner; `None` if any is invalid.
    fn owner(&mut self, h: &Header, line: u64, record: &csv::StringRecord) -> Option<RosterOwner> {
        let owner_ref = self.text(h, line, record, OWNER_REF, MAX_REF_LEN, true);
        let name = self.text(h, line, record, OWNER_NAME, MAX_NAME_LEN, true);
        let kind_text = h.get(record, OWNER_KIND);
        let kind = if kind_text.is_empty() {
            Some(OwnerKind::Person)
        } else {
            parse_kind(kind_text)
        };
        if kind.is_none() {
            let args = vec![("value", kind_text.to_string())];
            self.problems
                .push(problem(line, h.name(OWNER_KIND), BAD_KIND, args));
        }
        let phone_text = h.get(record, OWNER_PHONE);
        let phone = self.text(h, line, record, OWNER_PHONE, MAX_PHONE_LEN, false);
        let phone_valid = phone_text.is_empty() || phone.is_some();
        match (owner_ref, name, kind) {
            (Some(owner_ref), Some(name), Some(kind)) if phone_valid => Some(RosterOwner {
                owner_ref: owner_ref.to_string(),
                name: name.to_string(),
                kind,
                phone: phone.map(str::to_string),
            }),
            _ => None,
        }
    }

    fn register_owner(&mut self, h: &Header, line: u64, owner: &RosterOwner) {
        let Some((first_line, first)) = self.owners.get(&owner.owner_ref) else {
            self.owners
                .insert(owner.owner_ref.clone(), (line, owner.clone()));
            return;
        };
        let differs = if first.name != owner.name {
            Some(OWNER_NAME)
        } else if first.kind != owner.kind {
            Some(OWNER_KIND)
        } else if first.phone != owner.phone {
            Some(OWNER_PHONE)
        } else {
            None
        };
        if let Some(c) = differs {
            let args = vec![
                ("owner_ref", owner.owner_ref.clone()),
                ("first_line", first_line.to_string()),
            ];
            self.problems
                .push(problem(line, h.name(c), CONFLICTING_OWNER, args));
        }
    }

    /// Record one row of a unit. `owner_ref` is `Some(None)` for an ownerless (unsold) row and
    /// `None` when the row's owner fields are invalid.
    fn register_unit(
        &mut self,
        h: &Header,
        line: u64,
        (building, room): (&str, &str),
        area: AreaRecord,
        status: UnitStatus,
        owner_ref: Option<Option<String>>,
    ) {
        let key = (building.to_string(), room.to_string());
        let existed = self.units.contains_key(&key);
        let unit = self.units.entry(key).or_insert_with(|| UnitAcc {
            line,
            area,
            status,
            owner_refs: BTreeSet::new(),
            ownerless: false,
        });
        if existed {
            let differs = [
                (AREA_REGISTRY, unit.area.registry != area.registry),
                (AREA_SURVEY, unit.area.survey != area.survey),
                (AREA_CONTRACT, unit.area.contract != area.contract),
                (STATUS, unit.status != status),
            ]
            .into_iter()
            .find(|&(_, d)| d);
            if let Some((c, _)) = differs {
                let args = vec![
                    ("building", building.to_string()),
                    ("room", room.to_string()),
                    ("first_line", unit.line.to_string()),
                ];
                self.problems
                    .push(problem(line, h.name(c), CONFLICTING_UNIT, args));
                return;
            }
        }
        let duplicate = match owner_ref {
            None => None,
            Some(Some(r)) => (!unit.owner_refs.insert(r.clone())).then_some(r),
            Some(None) => std::mem::replace(&mut unit.ownerless, true).then(String::new),
        };
        if let Some(r) = duplicate {
            let args = vec![
                ("building", building.to_string()),
                ("room", room.to_string()),
                ("owner_ref", r),
            ];
            self.problems
                .push(problem(line, None, DUPLICATE_ROOM, args));
        }
    }
}

/// Export a roster in the format [`parse`] reads: English header, one row per (unit, owner),
/// and one row with empty owner fields for a unit without owners. No byte-order mark is
/// written. Any roster that `parse` returned parses back to an equal roster.
pub fn to_csv(file: &RosterFile) -> String {
    let owners: BTreeMap<&str, &RosterOwner> = file
        .owners
        .iter()
        .map(|o| (o.owner_ref.as_str(), o))
        .collect();
    let mut out = String::new();
    csv_table::push_header(&mut out, &COLUMNS);
    let area = |a: Option<AreaCenti>| a.map(format_area).unwrap_or_default();
    for unit in &file.units {
        let areas = [
            area(unit.area.registry),
            area(unit.area.survey),
            area(unit.area.contract),
        ];
        let mut row = |owner_ref: &str, owner: Option<&RosterOwner>| {
            csv_table::push_row(
                &mut out,
                &[
                    &unit.building,
                    &unit.room,
                    &areas[0],
                    &areas[1],
                    &areas[2],
                    unit.status.as_str(),
                    owner_ref,
                    owner.map_or("", |o| o.name.as_str()),
                    owner.map_or("", |o| o.kind.as_str()),
                    owner.and_then(|o| o.phone.as_deref()).unwrap_or(""),
                ],
            )
        };
        if unit.owner_refs.is_empty() {
            row("", None);
        }
        for r in &unit.owner_refs {
            row(r, owners.get(r.as_str()).copied());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: &str =
        "building,room,area_registry,status,owner_ref,owner_name,owner_kind,owner_phone\n";

    fn buildings() -> Vec<String> {
        vec!["1栋".to_string(), "2栋".to_string()]
    }

    fn parse_str(s: &str) -> Result<RosterFile, Vec<Problem>> {
        parse(s.as_bytes(), &buildings())
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

    #[test]
    fn a_plain_file_parses() {
        let f = parse_str(&format!(
            "{H}1栋,101,89.50,,A1,张三,,13800000000\n2栋,202,120,delivered,B2,某公司,organisation,\n"
        ))
        .unwrap();
        assert_eq!(f.units.len(), 2);
        assert_eq!(f.units[0].area.registry, Some(8950));
        assert_eq!(f.units[0].status, UnitStatus::Delivered);
        assert_eq!(f.units[0].owner_refs, vec!["A1"]);
        assert_eq!(f.owners[0].phone.as_deref(), Some("13800000000"));
        assert_eq!(f.owners[1].kind, OwnerKind::Organisation);
        assert_eq!(f.owners[1].phone, None);
    }

    #[test]
    fn not_utf8() {
        let mut bytes = H.as_bytes().to_vec();
        bytes.extend_from_slice(b"1\xb6\xb0,101,89.5,,A1,x,,\n"); // GBK "栋"
        let problems = parse(&bytes, &buildings()).unwrap_err();
        assert_eq!(problems, vec![problem(1, None, NOT_UTF8, vec![])]);
    }

    #[test]
    fn missing_column() {
        let p = one_problem("building,room,area_registry,owner_ref\n1栋,101,89.5,A1\n");
        check(&p, 1, Some("owner_name"), MISSING_COLUMN);
        assert_eq!(arg(&p, "column"), "owner_name");
    }

    #[test]
    fn missing_area_columns() {
        let p = one_problem("building,room,owner_ref,owner_name\n1栋,101,A1,x\n");
        check(&p, 1, Some("area_registry"), MISSING_COLUMN);
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
        let p = one_problem("building,room,area_survey,owner_ref,owner_name, colour \n");
        check(&p, 1, Some("colour"), UNKNOWN_COLUMN);
        assert_eq!(arg(&p, "column"), "colour");
    }

    #[test]
    fn duplicate_column() {
        let p = one_problem("building,room,area_survey,owner_ref,owner_name,楼栋\n");
        check(&p, 1, Some("楼栋"), DUPLICATE_COLUMN);
    }

    #[test]
    fn field_count() {
        let p = one_problem(&format!("{H}1栋,101,89.5,,A1,x,,\n1栋,102,89.5,,A2,y\n"));
        check(&p, 3, None, FIELD_COUNT);
        assert_eq!((arg(&p, "expected"), arg(&p, "found")), ("8", "6"));
    }

    #[test]
    fn empty_field() {
        let p = one_problem(&format!("{H}1栋,101,89.5,,A1,,,\n"));
        check(&p, 2, Some("owner_name"), EMPTY_FIELD);
        let p = one_problem(&format!("{H}1栋,,89.5,,A1,x,,\n"));
        check(&p, 2, Some("room"), EMPTY_FIELD);
        // Only unsold units may go without an owner.
        let problems = parse_str(&format!("{H}1栋,101,89.5,undelivered,,,,\n")).unwrap_err();
        assert_eq!(problems.len(), 2);
        check(&problems[0], 2, Some("owner_ref"), EMPTY_FIELD);
        check(&problems[1], 2, Some("owner_name"), EMPTY_FIELD);
    }

    #[test]
    fn an_unsold_unit_needs_both_owner_fields_or_neither() {
        let p = one_problem(&format!("{H}1栋,101,89.5,unsold,D1,,,\n"));
        check(&p, 2, Some("owner_name"), EMPTY_FIELD);
    }

    #[test]
    fn no_area() {
        let p = one_problem(
            "building,room,area_contract,area_survey,owner_ref,owner_name\n1栋,101,,,A1,x\n",
        );
        check(&p, 2, Some("area_survey"), NO_AREA);
    }

    #[test]
    fn bad_area() {
        let p = one_problem(&format!("{H}1栋,101,\"89,5\",,A1,x,,\n"));
        check(&p, 2, Some("area_registry"), "area-error-comma");
        assert!(p.args.is_empty());
        let p = one_problem(&format!("{H}1栋,101,0,,A1,x,,\n"));
        check(&p, 2, Some("area_registry"), "area-error-not-positive");
    }

    #[test]
    fn bad_status() {
        let p = one_problem(&format!("{H}1栋,101,89.5,sold,A1,x,,\n"));
        check(&p, 2, Some("status"), BAD_STATUS);
        assert_eq!(arg(&p, "value"), "sold");
    }

    #[test]
    fn bad_kind() {
        let p = one_problem(&format!("{H}1栋,101,89.5,,A1,x,company,\n"));
        check(&p, 2, Some("owner_kind"), BAD_KIND);
        assert_eq!(arg(&p, "value"), "company");
    }

    #[test]
    fn duplicate_room() {
        let p = one_problem(&format!(
            "{H}1栋,101,89.5,,A1,x,,\n1栋,102,89.5,,A2,y,,\n1栋,101,89.5,,A1,x,,\n"
        ));
        check(&p, 4, None, DUPLICATE_ROOM);
        assert_eq!(
            (arg(&p, "building"), arg(&p, "room"), arg(&p, "owner_ref")),
            ("1栋", "101", "A1")
        );
    }

    #[test]
    fn conflicting_unit() {
        let p = one_problem(&format!("{H}1栋,101,89.5,,A1,x,,\n1栋,101,89.6,,A2,y,,\n"));
        check(&p, 3, Some("area_registry"), CONFLICTING_UNIT);
        assert_eq!(arg(&p, "first_line"), "2");
        assert_eq!((arg(&p, "building"), arg(&p, "room")), ("1栋", "101"));
        let p = one_problem(&format!(
            "{H}1栋,101,89.5,,A1,x,,\n1栋,101,89.5,undelivered,A2,y,,\n"
        ));
        check(&p, 3, Some("status"), CONFLICTING_UNIT);
    }

    #[test]
    fn conflicting_owner() {
        let p = one_problem(&format!(
            "{H}1栋,101,89.5,,A1,x,,139\n1栋,102,89.5,,A1,x,,\n"
        ));
        check(&p, 3, Some("owner_phone"), CONFLICTING_OWNER);
        assert_eq!((arg(&p, "owner_ref"), arg(&p, "first_line")), ("A1", "2"));
        let p = one_problem(&format!("{H}1栋,101,89.5,,A1,x,,\n1栋,102,89.5,,A1,X,,\n"));
        check(&p, 3, Some("owner_name"), CONFLICTING_OWNER);
        let p = one_problem(&format!(
            "{H}1栋,101,89.5,,A1,x,,\n1栋,102,89.5,,A1,x,developer,\n"
        ));
        check(&p, 3, Some("owner_kind"), CONFLICTING_OWNER);
    }

    #[test]
    fn unknown_building() {
        let p = one_problem(&format!("{H}3栋,101,89.5,,A1,x,,\n"));
        check(&p, 2, Some("building"), UNKNOWN_BUILDING);
        assert_eq!((arg(&p, "building"), arg(&p, "known")), ("3栋", "1栋、2栋"));
    }

    #[test]
    fn too_long() {
        let name = "名".repeat(101);
        let p = one_problem(&format!("{H}1栋,101,89.5,,A1,{name},,\n"));
        check(&p, 2, Some("owner_name"), TOO_LONG);
        assert_eq!((arg(&p, "column"), arg(&p, "max")), ("owner_name", "100"));
        // Exactly at the limit is fine.
        let name = "名".repeat(100);
        assert!(parse_str(&format!("{H}1栋,101,89.5,,A1,{name},,\n")).is_ok());
        let p = one_problem(&format!("{H}1栋,101,89.5,,{},x,,\n", "r".repeat(65)));
        check(&p, 2, Some("owner_ref"), TOO_LONG);
    }

    #[test]
    fn too_many_rows() {
        let mut s = H.to_string();
        for i in 0..=MAX_ROWS {
            s.push_str(&format!("1栋,{i},89.5,,A{i},x,,\n"));
        }
        let p = one_problem(&s);
        check(&p, MAX_ROWS as u64 + 2, None, TOO_MANY_ROWS);
        assert_eq!(arg(&p, "max"), "20000");
        // The limit itself is fine.
        let cut = s.trim_end().rsplit_once('\n').unwrap().0;
        assert_eq!(parse_str(cut).unwrap().units.len(), MAX_ROWS);
    }

    #[test]
    fn a_bom_is_skipped() {
        let s = format!("\u{feff}{H}1栋,101,89.5,,A1,x,,\n");
        let f = parse_str(&s).unwrap();
        assert_eq!(f.units[0].building, "1栋");
    }

    #[test]
    fn chinese_headers_and_values() {
        let s = "楼栋, 房号 ,实测面积,合同面积,交付状态,业主编号,业主姓名,业主类型,联系电话\n\
                 2栋,301,95.00,96,已交付,Z1,李四,个人,\n\
                 2栋,302,,80.5,已售未交付,Z2,某某有限公司,单位,010-1234\n\
                 2栋,303,,80.5,未出售,,,,\n";
        let f = parse_str(s).unwrap();
        assert_eq!(f.units.len(), 3);
        assert_eq!(f.units[0].area.survey, Some(9500));
        assert_eq!(f.units[0].area.contract, Some(9600));
        assert_eq!(f.units[0].area.registry, None);
        assert_eq!(f.units[1].status, UnitStatus::Undelivered);
        assert_eq!(f.units[2].status, UnitStatus::Unsold);
        assert_eq!(f.owners[1].kind, OwnerKind::Organisation);
        // Problems name the column as written.
        let p =
            one_problem("楼栋,房号,实测面积,业主编号,业主姓名,业主类型\n2栋,301,95,Z1,李四,个体\n");
        check(&p, 2, Some("业主类型"), BAD_KIND);
    }

    #[test]
    fn co_owners_share_one_unit() {
        let f = parse_str(&format!(
            "{H}1栋,101,89.5,,B7,乙,,\n1栋,101,89.50,,A3,甲,,\n1栋,102,70,,A3,甲,,\n"
        ))
        .unwrap();
        assert_eq!(f.units.len(), 2);
        assert_eq!(f.units[0].owner_refs, vec!["A3", "B7"]);
        assert_eq!(f.units[1].owner_refs, vec!["A3"]);
        assert_eq!(f.owners.len(), 2);
    }

    #[test]
    fn an_unsold_unit_without_owner() {
        let f = parse_str(&format!("{H}1栋,101,89.5,unsold,,,,\n")).unwrap();
        assert_eq!(f.units[0].status, UnitStatus::Unsold);
        assert!(f.units[0].owner_refs.is_empty());
        assert!(f.owners.is_empty());
        let p = one_problem(&format!(
            "{H}1栋,101,89.5,unsold,,,,\n1栋,101,89.5,unsold,,,,\n"
        ));
        check(&p, 3, None, DUPLICATE_ROOM);
    }

    #[test]
    fn blank_rows_are_skipped_and_lines_stay_physical() {
        let s = format!(
            "{H}\n1栋,101,89.5,,A1,\"two\nlines\",,\n,,,,,,,\n   \n1栋,102,89.5,bad,A2,y,,\n"
        );
        let p = one_problem(&s);
        check(&p, 7, Some("status"), BAD_STATUS);
        let s = format!("{H}\n1栋,101,89.5,,A1,\"two\nlines\",,\n");
        assert_eq!(parse_str(&s).unwrap().owners[0].name, "two\nlines");
    }

    #[test]
    fn every_problem_is_reported() {
        let s = format!(
            "{H}\
             9栋,101,89.5,,A1,x,,\n\
             1栋,102,,,A2,y,,\n\
             1栋,103,89.5,,A3,z,robot,\n\
             1栋,104,89.5\n\
             1栋,105,89.5,,A1,x,,138\n"
        );
        let problems = parse_str(&s).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line, p.message_id)).collect();
        assert_eq!(
            got,
            vec![
                (2, UNKNOWN_BUILDING),
                (3, NO_AREA),
                (4, BAD_KIND),
                (5, FIELD_COUNT),
                (6, CONFLICTING_OWNER),
            ]
        );
        // Several problems on one row are all reported too.
        let problems = parse_str(&format!("{H},101,x,sold,A1,,,\n")).unwrap_err();
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.line, p.column.as_deref(), p.message_id))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, Some("building"), EMPTY_FIELD),
                (2, Some("area_registry"), "area-error-not-a-number"),
                (2, Some("status"), BAD_STATUS),
                (2, Some("owner_name"), EMPTY_FIELD),
            ]
        );
    }

    #[test]
    fn export_quotes_what_needs_quoting() {
        let f = parse_str(&format!(
            "{H}1栋,101,89.5,,A1,\"Wang, \"\"Xiao\"\" Ming\",,\n1栋,102,3,unsold,,,,\n"
        ))
        .unwrap();
        let csv = to_csv(&f);
        assert!(csv.starts_with(
            "building,room,area_registry,area_survey,area_contract,status,owner_ref,owner_name,owner_kind,owner_phone\r\n"
        ));
        assert!(
            csv.contains("1栋,101,89.50,,,delivered,A1,\"Wang, \"\"Xiao\"\" Ming\",person,\r\n")
        );
        assert!(csv.contains("1栋,102,3.00,,,unsold,,,,\r\n"));
        assert_eq!(parse_str(&csv), Ok(f));
    }

    const BUILDINGS: [&str; 4] = ["1栋", "2栋", "A座", "10号楼"];
    const NAMES: [&str; 6] = [
        "张三",
        "李四",
        "Wang, Xiao Ming",
        "O\"Brien",
        "某某置业有限公司",
        "line\nbreak",
    ];

    fn arb_owner() -> impl Strategy<Value = (usize, OwnerKind, Option<u32>)> {
        let kind = prop_oneof![
            Just(OwnerKind::Person),
            Just(OwnerKind::Organisation),
            Just(OwnerKind::Developer),
        ];
        (
            0..NAMES.len(),
            kind,
            proptest::option::of(0u32..100_000_000),
        )
    }

    /// Building index, floor, number on the floor, areas, status, owner indices.
    type RawUnit = (
        usize,
        u32,
        u32,
        [Option<AreaCenti>; 3],
        UnitStatus,
        Vec<usize>,
    );

    fn arb_unit() -> impl Strategy<Value = RawUnit> {
        let area = || proptest::option::of(1i64..=10_000_000);
        let status = prop_oneof![
            4 => Just(UnitStatus::Delivered),
            1 => Just(UnitStatus::Unsold),
            1 => Just(UnitStatus::Undelivered),
        ];
        (
            0..BUILDINGS.len(),
            1u32..=30,
            1u32..=4,
            [area(), area(), area()],
            status,
            proptest::collection::vec(0usize..12, 0..4),
        )
    }

    /// Random rosters that satisfy every rule of the format.
    fn arb_roster() -> impl Strategy<Value = RosterFile> {
        (
            proptest::collection::vec(arb_owner(), 1..12),
            proptest::collection::vec(arb_unit(), 0..40),
        )
            .prop_map(|(pool, raw_units)| {
                let pool: Vec<RosterOwner> = pool
                    .into_iter()
                    .enumerate()
                    .map(|(i, (name, kind, phone))| RosterOwner {
                        owner_ref: format!("R{i:03}"),
                        name: NAMES[name].to_string(),
                        kind,
                        phone: phone.map(|p| format!("1{p:010}")),
                    })
                    .collect();
                let mut units = BTreeMap::new();
                for (b, floor, n, [registry, survey, contract], status, owners) in raw_units {
                    let mut area = AreaRecord {
                        registry,
                        survey,
                        contract,
                    };
                    if area.effective().is_none() {
                        area.survey = Some(4200);
                    }
                    let mut refs: BTreeSet<String> = owners
                        .iter()
                        .map(|&i| pool[i % pool.len()].owner_ref.clone())
                        .collect();
                    if refs.is_empty() && status != UnitStatus::Unsold {
                        refs.insert(pool[0].owner_ref.clone());
                    }
                    let building = BUILDINGS[b].to_string();
                    let room = format!("{floor}{n:02}");
                    units.insert(
                        (building.clone(), room.clone()),
                        RosterUnit {
                            building,
                            room,
                            area,
                            status,
                            owner_refs: refs.into_iter().collect(),
                        },
                    );
                }
                let used: BTreeSet<&String> =
                    units.values().flat_map(|u| u.owner_refs.iter()).collect();
                let owners = pool
                    .iter()
                    .filter(|o| used.contains(&o.owner_ref))
                    .cloned()
                    .collect();
                RosterFile {
                    units: units.into_values().collect(),
                    owners,
                }
            })
    }

    proptest! {
        #[test]
        fn export_then_parse_round_trips(f in arb_roster()) {
            let known: Vec<String> = BUILDINGS.iter().map(|b| b.to_string()).collect();
            prop_assert_eq!(parse(to_csv(&f).as_bytes(), &known), Ok(f));
        }
    }
}

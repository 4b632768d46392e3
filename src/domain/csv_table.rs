//! The machinery shared by the uploaded CSV files (the owner roster in [`super::roster_csv`] and
//! the residents' register in [`super::residents`]): the encoding check, the header with its
//! English names and Chinese aliases, the loop over the data rows with physical line numbers,
//! field lengths, and writing rows back out. The rules of each file stay in its own module.
//!
//! The format common to both: UTF-8 (a leading byte-order mark is skipped), RFC 4180 quoting,
//! every field trimmed, the first non-blank row is the header, blank rows are skipped, every data
//! row has as many fields as the header, at most a given number of data rows. Line numbers are
//! the physical 1-based lines; a record whose quoted field spans lines is reported at the line
//! where it starts.

use super::roster_csv::Problem;

/// The Fluent message ids of the problems common to the uploaded files. They are the owner
/// roster's, which the residents' register shares.
pub mod ids {
    pub const NOT_UTF8: &str = "roster-error-not-utf8";
    pub const MISSING_COLUMN: &str = "roster-error-missing-column";
    pub const UNKNOWN_COLUMN: &str = "roster-error-unknown-column";
    pub const DUPLICATE_COLUMN: &str = "roster-error-duplicate-column";
    pub const FIELD_COUNT: &str = "roster-error-field-count";
    pub const EMPTY_FIELD: &str = "roster-error-empty-field";
    pub const TOO_LONG: &str = "roster-error-too-long";
    pub const TOO_MANY_ROWS: &str = "roster-error-too-many-rows";
    pub const UNKNOWN_BUILDING: &str = "roster-error-unknown-building";
}

use ids::*;

/// A [`Problem`] at `line`, in `column` (`None` for the whole row).
pub fn problem(
    line: u64,
    column: Option<String>,
    message_id: &'static str,
    args: Vec<(&'static str, String)>,
) -> Problem {
    Problem {
        line,
        column,
        message_id,
        args,
    }
}

/// One known column of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The canonical English name, matched ignoring ASCII case; the name written on export.
    pub name: &'static str,
    /// The Chinese alias, matched exactly.
    pub alias: &'static str,
    /// Whether the header must name this column.
    pub required: bool,
}

impl Column {
    pub const fn required(name: &'static str, alias: &'static str) -> Column {
        Column {
            name,
            alias,
            required: true,
        }
    }

    pub const fn optional(name: &'static str, alias: &'static str) -> Column {
        Column {
            name,
            alias,
            required: false,
        }
    }
}

/// The known columns of a file; a column's index here is how the parser names it.
pub type Columns = [Column];

/// The trimmed field `index` of `record`, empty if there is none.
pub fn field(record: &csv::StringRecord, index: usize) -> &str {
    record.get(index).map_or("", str::trim)
}

/// Whether `value` is at most `max` characters long; a problem for `column` (as written in the
/// header) at `line` otherwise.
pub fn check_len(
    line: u64,
    column: &str,
    value: &str,
    max: usize,
    problems: &mut Vec<Problem>,
) -> bool {
    if value.chars().count() <= max {
        return true;
    }
    let args = vec![("column", column.to_string()), ("max", max.to_string())];
    problems.push(problem(line, Some(column.into()), TOO_LONG, args));
    false
}

/// Where each known column sits in the file, and its name as written there.
pub struct Header {
    /// The number of fields of the header row, which every data row must have.
    width: usize,
    /// For each known column, its index in the file's rows.
    pos: Vec<Option<usize>>,
    /// For each known column, its name as written in the header (trimmed), or its canonical
    /// name when the header does not name it.
    names: Vec<String>,
}

impl Header {
    /// Match the header row's names against `columns`, reporting unknown and repeated names.
    fn read(
        columns: &Columns,
        line: u64,
        record: &csv::StringRecord,
        problems: &mut Vec<Problem>,
    ) -> Header {
        let mut header = Header {
            width: record.len(),
            pos: vec![None; columns.len()],
            names: columns.iter().map(|c| c.name.to_string()).collect(),
        };
        for (i, raw) in record.iter().enumerate() {
            let name = raw.trim();
            let col = columns
                .iter()
                .position(|c| name.eq_ignore_ascii_case(c.name) || name == c.alias);
            let args = vec![("column", name.to_string())];
            match col {
                None => problems.push(problem(line, Some(name.into()), UNKNOWN_COLUMN, args)),
                Some(c) if header.pos[c].is_some() => {
                    problems.push(problem(line, Some(name.into()), DUPLICATE_COLUMN, args))
                }
                Some(c) => {
                    header.pos[c] = Some(i);
                    header.names[c] = name.to_string();
                }
            }
        }
        header
    }

    /// Whether the header names column `c`.
    pub fn has(&self, c: usize) -> bool {
        self.pos[c].is_some()
    }

    /// Whether the header names column `c`; a problem at the header's `line` otherwise.
    pub fn require(&self, line: u64, c: usize, problems: &mut Vec<Problem>) -> bool {
        if self.has(c) {
            return true;
        }
        let name = self.names[c].clone();
        let args = vec![("column", name.clone())];
        problems.push(problem(line, Some(name), MISSING_COLUMN, args));
        false
    }

    /// Column `c` as a problem's column: its name as written in the header.
    pub fn name(&self, c: usize) -> Option<String> {
        Some(self.names[c].clone())
    }

    /// The trimmed value of column `c` in `record`, empty if the column is absent.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, c: usize) -> &'r str {
        self.pos[c].map_or("", |i| field(record, i))
    }

    /// Report that column `c` is empty on `line`.
    pub fn empty(&self, line: u64, c: usize, problems: &mut Vec<Problem>) {
        let args = vec![("column", self.names[c].clone())];
        problems.push(problem(line, self.name(c), EMPTY_FIELD, args));
    }

    /// A text field: a problem if it is empty (when `required`) or too long. `None` if invalid
    /// or empty.
    pub fn text<'r>(
        &self,
        line: u64,
        record: &'r csv::StringRecord,
        c: usize,
        max: usize,
        required: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<&'r str> {
        let value = self.get(record, c);
        if value.is_empty() {
            if required {
                self.empty(line, c, problems);
            }
            return None;
        }
        check_len(line, &self.names[c], value, max, problems).then_some(value)
    }
}

type Records<'b> = csv::StringRecordsIntoIter<&'b [u8]>;

/// The next non-blank record with its line; `None` at the end, or after a read error (reported).
fn next_record(
    records: &mut Records<'_>,
    text: &[u8],
    cursor: &mut Cursor,
    problems: &mut Vec<Problem>,
) -> Option<(u64, csv::StringRecord)> {
    for result in records {
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                // The input is valid UTF-8 and read from memory, so this should not happen.
                let line = e.position().map_or(1, |pos| pos.line());
                problems.push(problem(line, None, NOT_UTF8, vec![]));
                return None;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record
            .position()
            .map_or(1, |pos| physical_line(text, pos.byte(), cursor));
        return Some((line, record));
    }
    None
}

/// Where line counting has got to: (byte offset, line number at that offset).
type Cursor = (usize, u64);

/// The spreadsheet line of a record that starts at `byte`. The csv crate skips empty lines
/// and reports a record after them at the first empty line; count the line breaks instead,
/// from where the last count stopped (records come in order, so the whole file is counted
/// once).
fn physical_line(text: &[u8], byte: u64, cursor: &mut Cursor) -> u64 {
    let mut start = usize::try_from(byte).unwrap_or(text.len()).min(text.len());
    while start < text.len() && matches!(text[start], b'\r' | b'\n') {
        start += 1;
    }
    if start < cursor.0 {
        *cursor = (0, 1);
    }
    let breaks = text[cursor.0..start]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64;
    *cursor = (start, cursor.1 + breaks);
    cursor.1
}

/// An uploaded file whose header has been read, and whose data rows are still to come.
pub struct Table<'b> {
    header: Header,
    text: &'b [u8],
    cursor: Cursor,
    records: Records<'b>,
    max_rows: usize,
    rows: usize,
    done: bool,
}

/// Check that `bytes` are UTF-8 (after an optional byte-order mark) and read the header: the
/// first non-blank row, or, if there is none, an empty header at line 1 (so that every required
/// column is missing). `rule` checks what the file's own format asks of the header beyond its
/// required `columns`, given the header and its line, and returns whether the rows can be read.
/// Returns `None`, with `problems` saying why, when the rows cannot be read.
pub fn open<'b>(
    bytes: &'b [u8],
    columns: &Columns,
    max_rows: usize,
    rule: impl FnOnce(&Header, u64, &mut Vec<Problem>) -> bool,
    problems: &mut Vec<Problem>,
) -> Option<Table<'b>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        problems.push(problem(1, None, NOT_UTF8, vec![]));
        return None;
    }
    let mut cursor: Cursor = (0, 1);
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .into_records();
    let (line, record) = next_record(&mut records, bytes, &mut cursor, problems)
        .unwrap_or_else(|| (1, csv::StringRecord::new()));
    let header = Header::read(columns, line, &record, problems);
    let mut complete = true;
    for (c, column) in columns.iter().enumerate() {
        if column.required {
            complete &= header.require(line, c, problems);
        }
    }
    complete &= rule(&header, line, problems);
    complete.then_some(Table {
        header,
        text: bytes,
        cursor,
        records,
        max_rows,
        rows: 0,
        done: false,
    })
}

impl Table<'_> {
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next data row with its line. A row with another number of fields than the header is
    /// reported and skipped. `None` at the end, after a read error, or at the first row past the
    /// most rows allowed (reported).
    pub fn next_row(&mut self, problems: &mut Vec<Problem>) -> Option<(u64, csv::StringRecord)> {
        while !self.done {
            let Some((line, record)) =
                next_record(&mut self.records, self.text, &mut self.cursor, problems)
            else {
                break;
            };
            self.rows += 1;
            if self.rows > self.max_rows {
                let args = vec![("max", self.max_rows.to_string())];
                problems.push(problem(line, None, TOO_MANY_ROWS, args));
                break;
            }
            if record.len() != self.header.width {
                let args = vec![
                    ("expected", self.header.width.to_string()),
                    ("found", record.len().to_string()),
                ];
                problems.push(problem(line, None, FIELD_COUNT, args));
                continue;
            }
            return Some((line, record));
        }
        self.done = true;
        None
    }
}

/// Write `field` to `out`, quoted if it holds a comma, a quote or a line break.
pub fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Write one row of `fields` to `out`, comma-separated and ended by CRLF.
pub fn push_row(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, f);
    }
    out.push_str("\r\n");
}

/// Write the header row naming `columns` by their English names.
pub fn push_header(out: &mut String, columns: &Columns) {
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    push_row(out, &names);
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 3] = [
        Column::required("name", "姓名"),
        Column::optional("note", "备注"),
        Column::required("ref", "编号"),
    ];

    /// Each data row's line and the values of `COLUMNS` in it.
    type Rows = Vec<(u64, Vec<String>)>;

    /// Every data row of `s`, or `None` when the header is unusable; and every problem.
    fn read(s: impl AsRef<[u8]>, max_rows: usize) -> (Option<Rows>, Vec<Problem>) {
        let mut problems = Vec::new();
        let rule = |_: &Header, _: u64, _: &mut Vec<Problem>| true;
        let Some(mut table) = open(s.as_ref(), &COLUMNS, max_rows, rule, &mut problems) else {
            return (None, problems);
        };
        let mut rows = Vec::new();
        while let Some((line, record)) = table.next_row(&mut problems) {
            let h = table.header();
            rows.push((
                line,
                (0..3).map(|c| h.get(&record, c).to_string()).collect(),
            ));
        }
        (Some(rows), problems)
    }

    fn ids(problems: &[Problem]) -> Vec<(u64, Option<&str>, &str)> {
        problems
            .iter()
            .map(|p| (p.line, p.column.as_deref(), p.message_id))
            .collect()
    }

    #[test]
    fn the_header_matches_names_and_aliases_in_any_order() {
        let (rows, problems) = read(
            "\u{feff}\n 编号 ,NAME\nR1, 甲 \n,\n\"R2\",\"乙\n丙\"\nR3,丁\n",
            10,
        );
        assert!(problems.is_empty(), "{problems:#?}");
        let rows = rows.expect("a usable header");
        let got: Vec<_> = rows.iter().map(|(l, f)| (*l, f.join("|"))).collect();
        assert_eq!(
            got,
            [
                (3, "甲||R1".into()),
                (5, "乙\n丙||R2".into()),
                (7, "丁||R3".into())
            ]
        );
    }

    #[test]
    fn header_problems() {
        let (rows, problems) = read("name,ref,colour,姓名\n", 10);
        assert_eq!(rows, Some(vec![]));
        assert_eq!(
            ids(&problems),
            [
                (1, Some("colour"), UNKNOWN_COLUMN),
                (1, Some("姓名"), DUPLICATE_COLUMN)
            ]
        );
        let (rows, problems) = read(" \n,\nnote\n", 10);
        assert_eq!(rows, None);
        assert_eq!(
            ids(&problems),
            [
                (3, Some("name"), MISSING_COLUMN),
                (3, Some("ref"), MISSING_COLUMN)
            ]
        );
        let (rows, problems) = read(" \n", 10);
        assert_eq!(rows, None);
        assert_eq!(problems.len(), 2);
        let (rows, problems) = read(b"name,ref\n\xff", 10);
        assert_eq!(rows, None);
        assert_eq!(ids(&problems), [(1, None, NOT_UTF8)]);
    }

    #[test]
    fn field_count_and_row_limit() {
        let (rows, problems) = read("name,ref\na,1\nb\nc,3,x\nd,4\ne,5\n", 3);
        assert_eq!(rows.map(|r| r.len()), Some(1));
        assert_eq!(
            ids(&problems),
            [
                (3, None, FIELD_COUNT),
                (4, None, FIELD_COUNT),
                (5, None, TOO_MANY_ROWS)
            ]
        );
    }

    #[test]
    fn lengths_count_characters() {
        let mut problems = Vec::new();
        assert!(check_len(2, "姓名", "张三", 2, &mut problems));
        assert!(!check_len(2, "姓名", "张三丰", 2, &mut problems));
        assert_eq!(ids(&problems), [(2, Some("姓名"), TOO_LONG)]);
        assert_eq!(problems[0].args[1], ("max", "2".to_string()));
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = String::new();
        push_header(&mut out, &COLUMNS);
        push_row(&mut out, &["a,b", "say \"hi\"", "two\nlines", "plain", ""]);
        assert_eq!(
            out,
            "name,note,ref\r\n\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain,\r\n"
        );
    }

    #[test]
    fn rows_after_empty_lines_report_their_own_line() {
        let text = b"name,ref\n\n\na,1\r\n\r\nb,2\n";
        let mut cursor = (0, 1);
        assert_eq!(physical_line(text, 0, &mut cursor), 1);
        assert_eq!(physical_line(text, 9, &mut cursor), 4);
        assert_eq!(physical_line(text, 1000, &mut cursor), 7);
        // Out of order (never happens with the reader) still counts right.
        assert_eq!(physical_line(text, 9, &mut cursor), 4);
    }
}

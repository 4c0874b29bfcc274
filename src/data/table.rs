//! A table of raw, named columns: what [`super::io`] reads from a file and writes to one.
//!
//! Cells are optional (a missing cell is `None`). CSV files arrive as all-text columns
//! ([`Column::CsvText`]: the cells of the whole file in one shared buffer, no string per cell) so
//! that our own parsing decides what a cell means and can name the row; Parquet files arrive with
//! typed columns. Rows are numbered from 1 in messages (the first data row is row 1); for CSV the
//! file line of each row is kept so a message can say "row 17 (line 18 of the file)".

use std::sync::Arc;

use super::time::format_timestamp;
use super::TimeKind;
use crate::error::{Error, Result};

/// One column of cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text cells (text columns of Parquet files, text to write).
    Text(Vec<Option<String>>),
    /// Text cells of a CSV file (every CSV column), stored compactly.
    CsvText(CsvText),
    /// Numbers (numeric Parquet columns, or values to write).
    Number(Vec<Option<f64>>),
    /// Times in seconds since the epoch (or row numbers), with their kind.
    Time(Vec<Option<i64>>, TimeKind),
}

impl Column {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::CsvText(v) => v.len(),
            Column::Number(v) => v.len(),
            Column::Time(v, _) => v.len(),
        }
    }

    /// True when the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A word for the column's type, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Column::Text(_) | Column::CsvText(_) => "text",
            Column::Number(_) => "numeric",
            Column::Time(_, TimeKind::Date) => "date",
            Column::Time(_, TimeKind::DateTime) => "date-time",
            Column::Time(_, TimeKind::RowNumber) => "row-number",
        }
    }

    /// Cell `i` as text (numbers in Rust's shortest round-trip form, times formatted), `None`
    /// when missing or out of range.
    pub fn cell_text(&self, i: usize) -> Option<String> {
        match self {
            Column::Text(v) => v.get(i)?.clone(),
            Column::CsvText(v) => v.get(i).map(str::to_string),
            Column::Number(v) => v.get(i).copied().flatten().map(format_number),
            Column::Time(v, kind) => v.get(i).copied().flatten().map(|t| format_timestamp(t, *kind)),
        }
    }

    /// The cells of a text column, without copying them; `None` for numbers and times.
    pub fn texts(&self) -> Option<Texts<'_>> {
        match self {
            Column::Text(v) => Some(Texts::Owned(v.iter())),
            Column::CsvText(v) => Some(Texts::Csv(v.iter())),
            Column::Number(_) | Column::Time(..) => None,
        }
    }
}

/// The cells of a CSV file in one buffer: the text of every cell (quotes removed, `""` read as
/// `"`), one after the other in row order, and where each cell ends. An empty cell is missing.
/// One `String` per cell would cost an allocation and 24 bytes of header per cell, several
/// times the size of the file.
#[derive(Debug, PartialEq)]
pub struct CsvCells {
    /// The cells' text, back to back.
    text: String,
    /// End (in `text`) of cell `row * width + column`; each cell starts where the previous ends.
    ends: CellEnds,
    /// Cells per row.
    width: usize,
}

impl CsvCells {
    /// Cells from their text and ends (row-major, `width` per row). Errors when the ends are
    /// not increasing within `text`, fall inside a character, or do not fill whole rows.
    pub fn new(text: String, ends: CellEnds, width: usize) -> Result<CsvCells> {
        let mut start = 0;
        for k in 0..ends.len() {
            let end = ends.get(k);
            if end < start || !text.is_char_boundary(end) {
                return Err(Error::runtime(format!(
                    "internal: CSV cell ends at {end} after a cell that ends at {start}"
                )));
            }
            start = end;
        }
        if width == 0 || !ends.len().is_multiple_of(width) || (!ends.is_empty() && start != text.len()) {
            return Err(Error::runtime(format!(
                "internal: {} CSV cells do not make rows of {width}",
                ends.len()
            )));
        }
        Ok(CsvCells { text, ends, width })
    }

    /// The columns, each sharing these cells.
    pub fn into_columns(self) -> Vec<CsvText> {
        let shared = Arc::new(self);
        (0..shared.width)
            .map(|column| CsvText {
                cells: Arc::clone(&shared),
                column,
            })
            .collect()
    }

    /// Cell `k` (row-major); `None` when empty.
    #[inline]
    fn cell(&self, k: usize) -> Option<&str> {
        let start = if k == 0 { 0 } else { self.ends.get(k - 1) };
        let text = &self.text[start..self.ends.get(k)];
        (!text.is_empty()).then_some(text)
    }
}

/// Cell ends of [`CsvCells`]: 4 bytes each for text under 4 GiB (every real file), else 8.
#[derive(Debug, Clone, PartialEq)]
pub enum CellEnds {
    /// Ends below 2^32.
    Short(Vec<u32>),
    /// Any ends.
    Long(Vec<usize>),
}

impl CellEnds {
    /// Empty, for a text of at most `text_len` bytes, with room for `capacity` ends.
    pub fn for_text(text_len: usize, capacity: usize) -> CellEnds {
        if u32::try_from(text_len).is_ok() {
            CellEnds::Short(Vec::with_capacity(capacity))
        } else {
            CellEnds::Long(Vec::with_capacity(capacity))
        }
    }

    /// Number of ends.
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            CellEnds::Short(v) => v.len(),
            CellEnds::Long(v) => v.len(),
        }
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// End `k`.
    #[inline]
    pub fn get(&self, k: usize) -> usize {
        match self {
            CellEnds::Short(v) => v[k] as usize,
            CellEnds::Long(v) => v[k],
        }
    }

    /// Appends an end (within the text length given to [`CellEnds::for_text`]).
    #[inline]
    pub fn push(&mut self, end: usize) {
        match self {
            CellEnds::Short(v) => v.push(end as u32),
            CellEnds::Long(v) => v.push(end),
        }
    }

    /// Appends the ends of `other`, each plus `offset` (within the text length given to
    /// [`CellEnds::for_text`]).
    pub fn extend_shifted(&mut self, other: &CellEnds, offset: usize) {
        match (self, other) {
            (CellEnds::Short(v), CellEnds::Short(o)) => v.extend(o.iter().map(|&e| e + offset as u32)),
            (this, other) => {
                for k in 0..other.len() {
                    this.push(other.get(k) + offset);
                }
            }
        }
    }

    /// Keeps the first `len` ends.
    pub fn truncate(&mut self, len: usize) {
        match self {
            CellEnds::Short(v) => v.truncate(len),
            CellEnds::Long(v) => v.truncate(len),
        }
    }
}

/// One column of a CSV file's [`CsvCells`].
#[derive(Clone)]
pub struct CsvText {
    cells: Arc<CsvCells>,
    column: usize,
}

impl CsvText {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.ends.len() / self.cells.width
    }

    /// True when the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell `row`; `None` when empty or out of range.
    #[inline]
    pub fn get(&self, row: usize) -> Option<&str> {
        (row < self.len()).then(|| self.cells.cell(row * self.cells.width + self.column))?
    }

    /// The cells in row order.
    pub fn iter(&self) -> CsvTextIter<'_> {
        CsvTextIter {
            cells: &self.cells,
            next: self.column,
        }
    }
}

impl std::fmt::Debug for CsvText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for CsvText {
    fn eq(&self, other: &CsvText) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Iterator over the cells of a [`CsvText`].
pub struct CsvTextIter<'a> {
    cells: &'a CsvCells,
    /// Index of the next cell in `cells.ends`.
    next: usize,
}

impl<'a> Iterator for CsvTextIter<'a> {
    type Item = Option<&'a str>;

    #[inline]
    fn next(&mut self) -> Option<Option<&'a str>> {
        if self.next >= self.cells.ends.len() {
            return None;
        }
        let k = self.next;
        self.next += self.cells.width;
        Some(self.cells.cell(k))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self
            .cells
            .ends
            .len()
            .saturating_sub(self.next)
            .div_ceil(self.cells.width);
        (n, Some(n))
    }
}

impl ExactSizeIterator for CsvTextIter<'_> {}

/// The cells of a text column ([`Column::texts`]).
pub enum Texts<'a> {
    /// Of [`Column::Text`].
    Owned(std::slice::Iter<'a, Option<String>>),
    /// Of [`Column::CsvText`].
    Csv(CsvTextIter<'a>),
}

impl<'a> Iterator for Texts<'a> {
    type Item = Option<&'a str>;

    #[inline]
    fn next(&mut self) -> Option<Option<&'a str>> {
        match self {
            Texts::Owned(it) => it.next().map(Option::as_deref),
            Texts::Csv(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Texts::Owned(it) => it.size_hint(),
            Texts::Csv(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Texts<'_> {}

/// A number as written to CSV and messages: shortest text that reads back to the same `f64`.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x}")
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names, unique, in file order.
    pub names: Vec<String>,
    /// The columns, parallel to `names`.
    pub columns: Vec<Column>,
    /// For CSV files: the 1-based file line of each data row (same length as the columns).
    pub lines: Option<Vec<usize>>,
}

impl Table {
    /// A table from names and columns; errors when lengths differ or names repeat.
    pub fn new(names: Vec<String>, columns: Vec<Column>) -> Result<Table> {
        if names.len() != columns.len() {
            return Err(Error::runtime(format!(
                "internal: {} column names for {} columns",
                names.len(),
                columns.len()
            )));
        }
        if let Some(first) = columns.first() {
            if let Some((i, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != first.len()) {
                return Err(Error::runtime(format!(
                    "internal: column '{}' has {} cells but column '{}' has {}",
                    names[i],
                    c.len(),
                    names[0],
                    first.len()
                )));
            }
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::data(format!(
                    "column name '{name}' appears twice; rename one of the columns"
                )));
            }
        }
        Ok(Table {
            names,
            columns,
            lines: None,
        })
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Index of the column called `name`: exact match first, then ignoring ASCII case.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.names
            .iter()
            .position(|n| n == name)
            .or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(name)))
    }

    /// The column called `name` (see [`Table::index_of`]).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.index_of(name).map(|i| &self.columns[i])
    }

    /// How a message names 0-based data row `row`: "row 17 (line 18 of the file)" for CSV,
    /// "row 17" otherwise.
    pub fn row_label(&self, row: usize) -> String {
        match self.lines.as_ref().and_then(|l| l.get(row)) {
            Some(line) => format!("row {} (line {line} of the file)", row + 1),
            None => format!("row {}", row + 1),
        }
    }

    /// The column names quoted and comma-separated, for messages.
    pub fn names_list(&self) -> String {
        quote_list(&self.names)
    }
}

/// `'a', 'b', 'c'` (or "(none)").
pub fn quote_list(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &[&str]) -> Column {
        Column::Text(v.iter().map(|s| Some(s.to_string())).collect())
    }

    #[test]
    fn builds_and_finds_columns() {
        let t = Table::new(
            vec!["Date".into(), "OT".into()],
            vec![
                text(&["2020-01-01", "2020-01-02"]),
                Column::Number(vec![Some(1.5), None]),
            ],
        )
        .unwrap();
        assert_eq!(t.rows(), 2);
        assert_eq!(t.index_of("date"), Some(0));
        assert_eq!(t.index_of("OT"), Some(1));
        assert_eq!(t.index_of("x"), None);
        assert_eq!(t.columns[1].cell_text(0).as_deref(), Some("1.5"));
        assert_eq!(t.columns[1].cell_text(1), None);
        assert_eq!(t.row_label(16), "row 17");
        let mut t = t;
        t.lines = Some(vec![2, 3]);
        assert_eq!(t.row_label(1), "row 2 (line 3 of the file)");
    }

    #[test]
    fn rejects_ragged_columns_and_repeated_names() {
        let e = Table::new(
            vec!["a".into(), "b".into()],
            vec![text(&["1"]), text(&["1", "2"])],
        );
        assert!(e.is_err());
        let e = Table::new(vec!["a".into(), "a".into()], vec![text(&["1"]), text(&["2"])]);
        assert!(e.unwrap_err().to_string().contains("'a' appears twice"));
    }

    #[test]
    fn formats_numbers_and_times() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(f64::NEG_INFINITY), "-inf");
        let c = Column::Time(vec![Some(86_400)], TimeKind::Date);
        assert_eq!(c.cell_text(0).as_deref(), Some("1970-01-02"));
        assert_eq!(c.kind_name(), "date");
    }

    #[test]
    fn csv_cells_share_one_buffer_and_compare_by_content() {
        let mut ends = CellEnds::for_text(7, 4);
        for end in [1, 1, 4, 7] {
            ends.push(end);
        }
        let columns = CsvCells::new("ab12cde".to_string(), ends, 2)
            .unwrap()
            .into_columns();
        let (first, second) = (Column::CsvText(columns[0].clone()), &columns[1]);
        assert_eq!((first.len(), first.kind_name()), (2, "text"));
        assert_eq!(first.cell_text(0).as_deref(), Some("a"));
        assert_eq!(second.get(0), None, "an empty cell is missing");
        assert_eq!(second.get(2), None);
        assert_eq!(second.iter().collect::<Vec<_>>(), [None, Some("cde")]);
        assert_eq!(first.texts().unwrap().len(), 2);
        let mut ends = CellEnds::for_text(4, 0);
        ends.push(1);
        ends.push(4);
        let same = CsvCells::new("ab12".to_string(), ends, 1).unwrap().into_columns();
        assert_eq!(columns[0], same[0]);
        assert_ne!(columns[1], same[0]);
        assert_eq!(format!("{:?}", same[0]), "[Some(\"a\"), Some(\"b12\")]");
        // Ends that go back, split a character or leave part of a row are refused.
        for (text, ends, width) in [
            ("ab", vec![2, 1], 1),
            ("é", vec![1, 2], 1),
            ("abc", vec![1, 3, 3], 2),
        ] {
            let mut e = CellEnds::for_text(text.len(), 0);
            ends.into_iter().for_each(|x| e.push(x));
            assert!(
                CsvCells::new(text.to_string(), e, width).is_err(),
                "{text} {width}"
            );
        }
    }

    #[test]
    fn cell_ends_past_four_gigabytes_take_eight_bytes() {
        let mut long = CellEnds::for_text(1 << 33, 0);
        assert!(matches!(long, CellEnds::Long(_)));
        long.push(1 << 32);
        let mut short = CellEnds::for_text(10, 0);
        short.push(3);
        long.extend_shifted(&short, 1 << 32);
        assert_eq!((long.get(0), long.get(1)), (1 << 32, (1 << 32) + 3));
        short.extend_shifted(&short.clone(), 5);
        short.truncate(5);
        assert_eq!((short.len(), short.get(1)), (2, 8));
    }
}

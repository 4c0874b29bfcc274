//! A table of raw, named columns: what [`super::io`] reads from a file and writes to one.
//!
//! Cells are optional (a missing cell is `None`). CSV files arrive as all-text columns
//! ([`Column::CsvText`]: the cells as polars read them, no string per cell) so that our own
//! parsing decides what a cell means and can name the row; Parquet files arrive with typed
//! columns. Rows are numbered from 1 in messages (the first data row is row 1); for CSV the file
//! line of each row is found when a message first needs one ([`RowLines`]), so a message can say
//! "row 17 (line 18 of the file)".

use std::sync::{Arc, OnceLock};

use super::io::{CsvText, CsvTextIter};
use super::time::{format_timestamp, TimeFormat};
use super::TimeKind;
use crate::error::{Error, Result};

/// One column of cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text cells (text columns of Parquet files, text to write).
    Text(Vec<Option<String>>),
    /// Text cells of a CSV file (every CSV column), as polars read them.
    CsvText(CsvText),
    /// Numbers (numeric Parquet columns, or values to write).
    Number(Vec<Option<f64>>),
    /// Times in seconds since the epoch (or row numbers), with their kind; written as ISO 8601.
    Time(Vec<Option<i64>>, TimeKind),
    /// Times written in a style of their own (`2010Q1`, `2020-W06`, ...): the times, their kind
    /// (for Parquet) and their text (for CSV and JSON).
    Styled(Vec<Option<i64>>, TimeKind, Vec<Option<String>>),
}

impl Column {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::CsvText(v) => v.len(),
            Column::Number(v) => v.len(),
            Column::Time(v, _) | Column::Styled(v, ..) => v.len(),
        }
    }

    /// Times written in `format` (see [`TimeFormat::writer`]).
    pub fn styled_times(times: Vec<Option<i64>>, kind: TimeKind, format: &TimeFormat) -> Column {
        let writer = format.writer(kind);
        let text = times.iter().map(|t| t.map(|t| writer.write(t))).collect();
        Column::Styled(times, kind, text)
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
            Column::Time(_, TimeKind::Date) | Column::Styled(_, TimeKind::Date, _) => "date",
            Column::Time(_, TimeKind::DateTime) | Column::Styled(_, TimeKind::DateTime, _) => "date-time",
            Column::Time(_, TimeKind::RowNumber) | Column::Styled(_, TimeKind::RowNumber, _) => "row-number",
        }
    }

    /// Cell `i` as text (numbers in Rust's shortest round-trip form, times formatted), `None`
    /// when missing or out of range.
    pub fn cell_text(&self, i: usize) -> Option<String> {
        match self {
            Column::Text(v) | Column::Styled(.., v) => v.get(i)?.clone(),
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
            Column::Number(_) | Column::Time(..) | Column::Styled(..) => None,
        }
    }
}

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
    pub lines: RowLines,
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
            lines: RowLines::default(),
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
        match self.lines.get(row) {
            Some(line) => format!("row {} (line {line} of the file)", row + 1),
            None => format!("row {}", row + 1),
        }
    }

    /// The column names quoted and comma-separated, for messages.
    pub fn names_list(&self) -> String {
        quote_list(&self.names)
    }
}

/// Finds the file line of every data row (a CSV reader's second pass over the file).
pub trait FindLines: Send + Sync {
    /// The 1-based line of every data row, or `None` when they cannot be found.
    fn find_lines(&self) -> Option<Vec<usize>>;
}

/// The file line of every data row of a CSV table: known, found when first asked for, or none
/// (Parquet, tables built in memory).
#[derive(Clone, Default)]
pub struct RowLines(Option<Arc<Lines>>);

struct Lines {
    finder: Option<Box<dyn FindLines>>,
    found: OnceLock<Option<Vec<usize>>>,
}

impl RowLines {
    /// Lines already known.
    pub fn known(lines: Vec<usize>) -> RowLines {
        RowLines(Some(Arc::new(Lines {
            finder: None,
            found: OnceLock::from(Some(lines)),
        })))
    }

    /// Lines that `finder` finds when they are first asked for.
    pub fn deferred(finder: impl FindLines + 'static) -> RowLines {
        RowLines(Some(Arc::new(Lines {
            finder: Some(Box::new(finder)),
            found: OnceLock::new(),
        })))
    }

    /// The line of every row, if known or found.
    pub fn all(&self) -> Option<&[usize]> {
        let lines = self.0.as_ref()?;
        lines
            .found
            .get_or_init(|| lines.finder.as_ref().and_then(|f| f.find_lines()))
            .as_deref()
    }

    /// The line of 0-based data row `row`.
    pub fn get(&self, row: usize) -> Option<usize> {
        self.all()?.get(row).copied()
    }
}

impl std::fmt::Debug for RowLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_ref().and_then(|l| l.found.get()) {
            Some(found) => write!(f, "RowLines({found:?})"),
            None if self.0.is_some() => write!(f, "RowLines(not yet found)"),
            None => write!(f, "RowLines(none)"),
        }
    }
}

impl PartialEq for RowLines {
    fn eq(&self, other: &RowLines) -> bool {
        self.all() == other.all()
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
        t.lines = RowLines::known(vec![2, 3]);
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
    fn row_lines_are_found_once_when_first_needed() {
        struct Count(std::sync::atomic::AtomicUsize);
        impl FindLines for Arc<Count> {
            fn find_lines(&self) -> Option<Vec<usize>> {
                self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Some(vec![2, 4])
            }
        }
        let count = Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        let lines = RowLines::deferred(Arc::clone(&count));
        assert_eq!(format!("{lines:?}"), "RowLines(not yet found)");
        assert_eq!(
            (lines.get(1), lines.get(0), lines.get(2)),
            (Some(4), Some(2), None)
        );
        assert_eq!(count.0.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(lines, RowLines::known(vec![2, 4]));
        assert_eq!(RowLines::default().get(0), None);
    }

    #[test]
    fn styled_times_keep_their_text_and_their_kind() {
        let format = TimeFormat::from_pattern("%YQ%q").unwrap();
        let column = Column::styled_times(vec![Some(0), None], TimeKind::Date, &format);
        assert_eq!(
            (column.cell_text(0).as_deref(), column.cell_text(1)),
            (Some("1970Q1"), None)
        );
        assert_eq!((column.kind_name(), column.len()), ("date", 2));
    }
}

//! A table of raw, named columns: what [`super::io`] reads from a file and writes to one.
//!
//! Cells are optional (a missing cell is `None`). CSV files arrive as all-[`Column::Text`] so
//! that our own parsing decides what a cell means and can name the row; Parquet files arrive with
//! typed columns. Rows are numbered from 1 in messages (the first data row is row 1); for CSV the
//! file line of each row is kept so a message can say "row 17 (line 18 of the file)".

use super::time::format_timestamp;
use super::TimeKind;
use crate::error::{Error, Result};

/// One column of cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text cells (every CSV column).
    Text(Vec<Option<String>>),
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
            Column::Text(_) => "text",
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
            Column::Number(v) => v.get(i).copied().flatten().map(format_number),
            Column::Time(v, kind) => v.get(i).copied().flatten().map(|t| format_timestamp(t, *kind)),
        }
    }
}

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
}

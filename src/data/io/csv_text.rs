//! The text cells of a CSV column as polars read them, without a copy: [`super::csv`] reads
//! every column as strings, and [`crate::data::load`] decides what each cell means.

use polars::prelude as pl;

/// One text column of a CSV file. An empty cell is missing.
#[derive(Clone)]
pub struct CsvText(pl::StringChunked);

impl CsvText {
    /// The column of a polars string array.
    pub(super) fn new(cells: pl::StringChunked) -> CsvText {
        CsvText(cells)
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Cell `row`; `None` when empty or out of range.
    pub fn get(&self, row: usize) -> Option<&str> {
        self.0.get(row).filter(|text| !text.is_empty())
    }

    /// The cells in row order.
    pub fn iter(&self) -> CsvTextIter<'_> {
        Box::new(self.0.iter().map(|cell| cell.filter(|text| !text.is_empty())))
    }
}

/// Iterator over the cells of a [`CsvText`].
pub type CsvTextIter<'a> = Box<dyn ExactSizeIterator<Item = Option<&'a str>> + 'a>;

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

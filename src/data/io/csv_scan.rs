//! The second pass over a CSV file, run only when it is needed: after polars refuses a file (to
//! name the line and the problem), when a row may be short or blank (polars fills the missing
//! fields of a short line with nulls and reads a blank line as a row of nulls), and when a message
//! names a row's line in the file.
//!
//! The rules are those polars reads by (RFC 4180): a field that starts with `"` is quoted: it runs
//! to the next lone `"` (`""` inside it is one `"`), may hold the separator and line breaks, and
//! only the separator or the end of the line may follow it. A record ends at a line break outside
//! quoted fields; a record of only whitespace is blank. The first record after `skip_lines`
//! leading lines is the header.

/// What the scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Fields in the header record.
    pub header_fields: usize,
    /// Every record after the header, blank ones included (polars reads those as rows).
    pub records: Vec<Record>,
    /// The line of a quote that is never closed, if any.
    pub open_quote: Option<usize>,
    /// The first line with text after the closing quote of a quoted field, and that text's first byte.
    pub after_quote: Option<(usize, u8)>,
    /// The first line with a quote inside a field that does not start with one (polars refuses
    /// such a file when the quotes of a line do not pair up).
    pub stray_quote: Option<usize>,
    /// True when the file does not end with a line break.
    pub no_final_newline: bool,
}

/// One record of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// The 1-based file line the record starts on.
    pub line: usize,
    /// Its number of fields.
    pub fields: usize,
    /// Only whitespace, one field and no quotes: a blank line.
    pub blank: bool,
}

impl Scan {
    /// The first record that is not blank and has another number of fields than the header:
    /// its index among the records and the record.
    pub fn first_ragged(&self) -> Option<(usize, Record)> {
        self.records
            .iter()
            .copied()
            .enumerate()
            .find(|(_, r)| !r.blank && r.fields != self.header_fields)
    }

    /// The lines of the records that are not blank: the file line of every data row.
    pub fn row_lines(&self) -> Vec<usize> {
        self.records.iter().filter(|r| !r.blank).map(|r| r.line).collect()
    }
}

/// The leading lines of only whitespace (after a byte-order mark), which polars is told to skip;
/// a last line without a line break is not counted. Only the start of the file is read.
pub fn leading_blank_lines(bytes: &[u8]) -> usize {
    let mut rest = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut blank = 0;
    while let Some(end) = rest.iter().position(|&b| b == b'\n') {
        if !rest[..end].iter().all(u8::is_ascii_whitespace) {
            break;
        }
        blank += 1;
        rest = &rest[end + 1..];
    }
    blank
}

/// Scans `bytes` (a byte-order mark is skipped) with `delimiter`, after `skip_lines` lines.
pub fn scan(bytes: &[u8], delimiter: u8, skip_lines: usize) -> Scan {
    let bom = if bytes.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    let mut line = 1;
    let mut i = bom;
    while line <= skip_lines {
        match bytes[i..].iter().position(|&b| b == b'\n') {
            Some(p) => (i, line) = (i + p + 1, line + 1),
            None => break,
        }
    }
    let mut out = Scan {
        header_fields: 0,
        records: Vec::new(),
        open_quote: None,
        after_quote: None,
        stray_quote: None,
        no_final_newline: !bytes.ends_with(b"\n"),
    };
    let mut header = true;
    // The record being read.
    let (mut start_line, mut fields, mut quoted, mut blank) = (line, 1, false, true);
    // The field being read: at its start, inside quotes, after its closing quote.
    let (mut field_start, mut in_quotes, mut closed) = (true, false, false);
    let mut quote_line = line;
    let body_start = i;
    let mut end_record = |out: &mut Scan, record: Record| {
        if !header {
            out.records.push(record);
        } else if !record.blank {
            out.header_fields = record.fields;
            header = false;
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if in_quotes {
            match b {
                b'"' if bytes.get(i) == Some(&b'"') => i += 1,
                b'"' => (in_quotes, closed) = (false, true),
                b'\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match b {
            b'\n' => {
                let record = Record {
                    line: start_line,
                    fields,
                    blank: blank && fields == 1 && !quoted,
                };
                end_record(&mut out, record);
                line += 1;
                (start_line, fields, quoted) = (line, 1, false);
                (blank, field_start, closed) = (true, true, false);
            }
            _ if b == delimiter => {
                fields += 1;
                (field_start, closed) = (true, false);
            }
            b'"' if field_start => {
                (in_quotes, quoted, field_start) = (true, true, false);
                quote_line = line;
                blank = false;
            }
            // A carriage return before the line break or the end of the file ends the line.
            b'\r' if closed && matches!(bytes.get(i), None | Some(b'\n')) => {}
            _ => {
                if closed {
                    out.after_quote.get_or_insert((line, b));
                } else if b == b'"' {
                    out.stray_quote.get_or_insert(line);
                }
                blank &= b.is_ascii_whitespace();
                field_start = false;
            }
        }
    }
    if in_quotes {
        out.open_quote = Some(quote_line);
    } else if bytes.len() > body_start && !bytes.ends_with(b"\n") {
        // The last record, without a line break after it.
        let blank = blank && fields == 1 && !quoted;
        end_record(
            &mut out,
            Record {
                line: start_line,
                fields,
                blank,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<(usize, usize, bool)> {
        scan(text, b',', 0)
            .records
            .iter()
            .map(|r| (r.line, r.fields, r.blank))
            .collect()
    }

    #[test]
    fn records_lines_fields_and_blank_lines() {
        let text = b"\xef\xbb\xbfdate,y\r\n2020-01-01,1\r\n\r\n\"2020-01-02\",\"2,5\"\r\n2020-01-03,\r\n";
        assert_eq!(
            lines(text),
            [(2, 2, false), (3, 1, true), (4, 2, false), (5, 2, false)]
        );
        assert_eq!(scan(text, b',', 0).row_lines(), [2, 4, 5]);
        // A quoted field over two lines; the next record starts two lines down.
        assert_eq!(lines(b"a,b\n\"x\ny\",1\n2,3"), [(2, 2, false), (4, 2, false)]);
        assert!(scan(b"a,b\n1,2", b',', 0).no_final_newline);
        // Only a quoted empty field is not blank; spaces are.
        assert_eq!(
            lines(b"a\n\"\"\n  \n1\n"),
            [(2, 1, false), (3, 1, true), (4, 1, false)]
        );
    }

    #[test]
    fn finds_ragged_lines_and_quote_problems() {
        let s = scan(b"a,b,c\n1,2,3\n1,2\n4,5,6\n", b',', 0);
        assert_eq!(s.header_fields, 3);
        assert_eq!(
            s.first_ragged().map(|(k, r)| (k, r.line, r.fields)),
            Some((1, 3, 2))
        );
        assert_eq!(scan(b"a,b\n\"1,2\n3,4\n", b',', 0).open_quote, Some(2));
        assert_eq!(
            scan(b"a,b\n1,2\n\"3\"x,4\n", b',', 0).after_quote,
            Some((3, b'x'))
        );
        assert_eq!(scan(b"a,b\n\"3\"\r\n", b',', 0).after_quote, None);
        assert_eq!(scan(b"a,b\n12\" pipe,3\n", b',', 0).stray_quote, Some(2));
        assert_eq!(scan(b"a;b\n\"1\";\"2\"\n", b';', 0).after_quote, None);
    }

    #[test]
    fn leading_blank_lines_are_skipped_before_the_header() {
        let text = b"  \n\na,b\n1,2\n";
        assert_eq!(leading_blank_lines(text), 2);
        let s = scan(text, b',', 2);
        assert_eq!((s.header_fields, s.row_lines()), (2, vec![4]));
        assert_eq!(leading_blank_lines(b"a,b\n"), 0);
        assert_eq!(leading_blank_lines(b"   "), 0);
    }
}

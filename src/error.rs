//! The crate's error type and the exit codes it maps to.
//!
//! Messages are complete sentences for a person: what is wrong, where (file, column, row,
//! timestamp) and how to fix it. `Usage` errors exit with 2, everything else with 1.

use std::path::Path;

/// Every error `xlstm` reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible or contradictory (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The input data cannot be used as it is (exit code 1).
    #[error("{0}")]
    Data(String),
    /// Something failed while running: training diverged, a model file is unreadable, ... (exit code 1).
    #[error("{0}")]
    Runtime(String),
    /// A file could not be read or written (exit code 1).
    #[error("{path}: {source}{}", io_hint(source))]
    Io {
        /// The file involved.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// How to fix the commonest file errors, after the operating system's words.
fn io_hint(source: &std::io::Error) -> &'static str {
    match source.kind() {
        std::io::ErrorKind::NotFound => {
            "; check the path (relative paths start in the current directory, and a file to write needs an existing folder)"
        }
        std::io::ErrorKind::PermissionDenied => "; check the file's permissions or choose another path",
        _ => "",
    }
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A usage error (bad flags).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }
    /// A data error (bad input file contents).
    pub fn data(message: impl Into<String>) -> Self {
        Error::Data(message.into())
    }
    /// A runtime error.
    pub fn runtime(message: impl Into<String>) -> Self {
        Error::Runtime(message.into())
    }
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
    /// The process exit code for this error: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_with_2_and_others_with_1() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::data("x").exit_code(), 1);
        assert_eq!(Error::runtime("x").exit_code(), 1);
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert_eq!(Error::io(Path::new("a.csv"), io).exit_code(), 1);
    }

    /// A missing file or a refused permission says what to check; other file errors keep the
    /// operating system's words alone.
    #[test]
    fn file_errors_name_the_file_and_how_to_fix_the_common_ones() {
        let message = |kind| Error::io(Path::new("a.csv"), std::io::Error::new(kind, "os words")).to_string();
        let missing = message(std::io::ErrorKind::NotFound);
        assert!(
            missing.starts_with("a.csv: os words; check the path"),
            "{missing}"
        );
        let denied = message(std::io::ErrorKind::PermissionDenied);
        assert!(
            denied.contains("os words; check the file's permissions"),
            "{denied}"
        );
        assert_eq!(message(std::io::ErrorKind::Other), "a.csv: os words");
    }
}

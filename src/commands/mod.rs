//! The `xlstm` subcommands: each turns parsed arguments into calls on the library and prints
//! results (tables and progress on stderr, machine-readable output on stdout).

mod bench;
mod check;
mod compare;
mod eval;
mod figures;
mod fit;
mod forecast;
mod progress;
mod setup;
pub mod table;

use crate::cli::{Cli, Command};
use crate::error::Result;

/// Where messages go and how much to say.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Print nothing but errors on stderr.
    pub quiet: bool,
    /// Print extra detail.
    pub verbose: bool,
}

impl Output {
    /// A line on stderr unless quiet.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
    /// A line on stderr only with -v.
    pub fn detail(&self, message: &str) {
        if self.verbose && !self.quiet {
            eprintln!("{message}");
        }
    }
}

/// Run the command the user asked for.
pub fn run(cli: Cli) -> Result<()> {
    let out = Output {
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    match cli.command {
        Command::Check(args) => check::run(args, out),
        Command::Fit(args) => fit::run(args, out),
        Command::Forecast(args) => forecast::run(args, out),
        Command::Eval(args) => eval::run(args, out),
        Command::Compare(args) => compare::run(args, out),
        Command::Bench(args) => bench::run(args, out),
    }
}

/// Print `value` as JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| crate::error::Error::runtime(format!("cannot encode JSON: {e}")))?;
    print_stdout(format!("{text}\n").as_bytes())
}

/// Write `bytes` to stdout. A reader that has gone (`xlstm compare … --json | head`) ends the
/// output quietly, as in other command-line tools, instead of a panic; any other write error is
/// a runtime error.
fn print_stdout(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(crate::error::Error::runtime(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

/// The names of the interval bound columns of `levels`, as StatsForecast names them without the
/// model: `lo-80`, `hi-80`, `lo-95`, `hi-95`.
fn bound_names(levels: &[f64]) -> Vec<String> {
    levels
        .iter()
        .flat_map(|l| ["lo", "hi"].map(|side| format!("{side}-{}", crate::metrics::level_name(*l))))
        .collect()
}

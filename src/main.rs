//! The `xlstm` binary: parse the command line, run, map errors to exit codes
//! (0 success, 1 data or runtime error, 2 usage error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    xlstm::allocator::keep_large_blocks();
    let cli = match xlstm::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match xlstm::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xlstm: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

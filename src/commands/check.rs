//! `xlstm check`: the data report, without training.

use crate::cli::CheckArgs;
use crate::commands::setup::load_options;
use crate::commands::{print_json, print_stdout, Output};
use crate::data::load::inspect;
use crate::error::Result;

/// Run `xlstm check`.
pub fn run(args: CheckArgs, _out: Output) -> Result<()> {
    let report = inspect(&args.data, &load_options(&args.data_args))?;
    if args.json {
        print_json(&serde_json::to_value(&report).map_err(|e| crate::Error::runtime(e.to_string()))?)
    } else {
        print_stdout(report.render().as_bytes())
    }
}

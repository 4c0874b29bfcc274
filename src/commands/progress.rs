//! Fitting's progress on stderr: a bar with the time left on a terminal, one line per epoch
//! otherwise, notes unless `-q`, details with `-v`, and the Ctrl-C flag of `fit --checkpoint`.
//! The only module that uses indicatif.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::commands::Output;
use crate::model::Progress;
use crate::nn::train::EpochReport;

/// Progress for the command line.
pub struct Terminal {
    out: Output,
    /// Print the epoch lines and the summary of training (a leaderboard keeps them for `-v`).
    epochs_shown: bool,
    bar: Option<indicatif::ProgressBar>,
    epochs: usize,
    stop: Option<Arc<AtomicBool>>,
}

impl Terminal {
    /// Progress printed as `out` says.
    pub fn new(out: Output) -> Terminal {
        Terminal {
            out,
            epochs_shown: !out.quiet,
            bar: None,
            epochs: 0,
            stop: None,
        }
    }

    /// Training epochs shown only with `-v` (many models are trained).
    pub fn epochs_only_when_verbose(mut self) -> Terminal {
        self.epochs_shown = self.out.verbose && !self.out.quiet;
        self
    }

    /// Training stops after the current step once `flag` is set.
    pub fn with_stop_flag(mut self, flag: Arc<AtomicBool>) -> Terminal {
        self.stop = Some(flag);
        self
    }
}

impl Progress for Terminal {
    fn start(&mut self, epochs: usize) {
        self.epochs = epochs;
        self.bar = (self.epochs_shown && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(epochs as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "epoch {pos}/{len} [{bar:30}] {msg} (about {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
    }

    fn epoch(&mut self, r: &EpochReport) {
        // without validation windows (a refit on every row) the trainer reports the training loss twice
        let line = if r.val_loss == r.train_loss {
            format!(
                "train loss {:.4} (no validation part), {:.1}s",
                r.train_loss, r.seconds
            )
        } else {
            format!(
                "train loss {:.4}, validation loss {:.4}, {:.1}s",
                r.train_loss, r.val_loss, r.seconds
            )
        };
        match &self.bar {
            Some(bar) => {
                bar.set_position(r.epoch as u64);
                bar.set_message(line);
            }
            None if self.epochs_shown => eprintln!("epoch {}/{}: {line}", r.epoch, self.epochs),
            None => {}
        }
    }

    fn finish(&mut self, summary: Option<&str>) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let (Some(summary), true) = (summary, self.epochs_shown) {
            eprintln!("{summary}");
        }
    }

    fn note(&mut self, message: &str) {
        self.out.note(message);
    }

    fn detail(&mut self, message: &str) {
        self.out.detail(message);
    }

    fn stop_flag(&self) -> Option<Arc<AtomicBool>> {
        self.stop.clone()
    }
}

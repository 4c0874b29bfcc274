//! What fitting tells the outside while it runs, through one small trait: the command line shows
//! it on stderr (a bar on a terminal), a library user can ignore it with [`Silent`].

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::nn::train::EpochReport;

/// Receives what fitting has to say. Every method does nothing by default.
pub trait Progress {
    /// Training of a neural model starts: `epochs` at most.
    fn start(&mut self, _epochs: usize) {}
    /// A training epoch finished.
    fn epoch(&mut self, _report: &EpochReport) {}
    /// Training ended: why, and which epoch's weights were kept (one sentence); None when it
    /// failed (the error follows).
    fn finish(&mut self, _summary: Option<&str>) {}
    /// Something the user should know (a shortened lookback, an empty validation part).
    fn note(&mut self, _message: &str) {}
    /// Detail for the curious (memory estimates, validation errors of each ridge penalty).
    fn detail(&mut self, _message: &str) {}
    /// A flag that, once set (by a Ctrl-C handler), ends training after the current step and
    /// keeps the best weights so far.
    fn stop_flag(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

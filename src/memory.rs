//! Memory estimates: before anything large is allocated, `fit`, `eval` and `compare` estimate
//! the memory a configuration needs (parameters with their gradients and optimiser state,
//! activations of the windows processed at once, window matrices) and refuse one that cannot fit
//! in the memory available, naming the flag to change. `-v` prints the estimate.
//!
//! The estimates are deliberately generous upper bounds (counted in `f64` so they never
//! overflow); they only need to be right within a small factor to tell 100 MiB from 100 GiB.

use crate::error::{Error, Result};
use crate::nn::forecaster::{CellKind, CoreKind, ForecasterConfig, HeadKind};
use crate::nn::mlstm_block::MlstmForm;
use crate::nn::train::TrainConfig;

/// Windows evaluated at once per thread, kept at 256 although `nn::train` now uses chunks of 64
/// (validation) and 32 (prediction): a conservative estimate that still refuses configurations
/// whose T×T activations cannot fit.
const EVAL_CHUNK: f64 = 256.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// An estimate in bytes, by what needs the memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Number of trainable parameters (0 for models without any).
    pub parameters: f64,
    /// Parameters, gradients, optimiser moments, shard gradients and the best-weights copy.
    pub parameter_bytes: f64,
    /// Activations kept for the windows processed at once.
    pub activation_bytes: f64,
    /// Window index and window matrices.
    pub window_bytes: f64,
    /// What to change when the estimate is too large, by the largest term.
    pub advice: &'static str,
}

impl Estimate {
    /// Total bytes.
    pub fn total(&self) -> f64 {
        self.parameter_bytes + self.activation_bytes + self.window_bytes
    }

    /// One line for `-v`.
    pub fn describe(&self) -> String {
        format!(
            "estimated memory: {} ({:.3e} parameters with gradients and optimiser state {}, activations {}, windows {})",
            size(self.total()),
            self.parameters,
            size(self.parameter_bytes),
            size(self.activation_bytes),
            size(self.window_bytes)
        )
    }
}

/// Bytes as MiB or GiB.
pub fn size(bytes: f64) -> String {
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    }
}

/// Trainable parameters of a forecaster, from its sizes alone (upper bound per block:
/// mLSTM 18·D², sLSTM 12·D², LSTM layer 8·D², bare cell 8·D²).
pub fn parameters(c: &ForecasterConfig) -> (f64, f64) {
    let d = c.width as f64;
    let core = match &c.kind {
        CoreKind::Lstm { layers } => *layers as f64 * (8.0 * d * d + 8.0 * d),
        CoreKind::Xlstm { blocks } => blocks
            .chars()
            .map(|b| {
                if b == 'm' {
                    18.0 * d * d + 40.0 * d
                } else {
                    12.0 * d * d + 40.0 * d
                }
            })
            .sum(),
        CoreKind::Cell { .. } => 8.0 * d * d + (8.0 + 2.0 * c.heads as f64) * d,
    };
    let head_inputs = match c.head {
        HeadKind::Flatten => c.tokens() as f64 * d,
        HeadKind::Last => d,
    };
    let head = (head_inputs + 1.0) * c.horizon as f64;
    let skip = if c.linear_skip {
        (c.lookback * c.horizon) as f64
    } else {
        0.0
    };
    let base = if c.base {
        ((c.lookback + 1) * c.horizon) as f64
    } else {
        0.0
    };
    let embed = (c.patch as f64 + 1.0) * d + 4.0 * d;
    (core + embed + skip + base, head)
}

/// The estimate for training a neural forecaster on `train_windows` windows.
pub fn neural(c: &ForecasterConfig, t: &TrainConfig, train_windows: usize, val_windows: usize) -> Estimate {
    let (body, head) = parameters(c);
    let n = body + head;
    let shards = (t.batch_size.min(train_windows.max(1)) as f64 / t.shard_size as f64).ceil();
    // f32 weights, gradients, two Adam moments, the best copy, one gradient per shard, f64 result
    let parameter_bytes = n * (4.0 * 5.0 + 4.0 * shards + 8.0 * 2.0);
    let (tokens, d) = (c.tokens() as f64, c.width as f64);
    let blocks = match &c.kind {
        CoreKind::Lstm { layers } => *layers as f64,
        CoreKind::Xlstm { blocks } => blocks.len() as f64,
        CoreKind::Cell { .. } => 1.0,
    };
    // the mLSTM cells' own caches: (cells, their form, head width)
    let (cells, form, d_head) = match &c.kind {
        CoreKind::Xlstm { blocks } => {
            let d_head = 2 * c.width / c.heads.max(1);
            let form = MlstmForm::fastest(c.tokens(), d_head);
            (blocks.chars().filter(|b| *b == 'm').count() as f64, form, d_head)
        }
        CoreKind::Cell {
            cell: CellKind::Mlstm { form },
        } => (1.0, *form, c.width / c.heads.max(1)),
        CoreKind::Lstm { .. } | CoreKind::Cell { .. } => (0.0, MlstmForm::Parallel, 0),
    };
    let cell_cache = cells * c.heads as f64 * form.cache_floats_per_head(c.tokens(), d_head);
    // per window: ~40 cached values per token, width and block, the mLSTM cells' caches
    // (T×T matrices per head in the parallel form), the input, patches and outputs
    let per_window = 4.0
        * (40.0 * tokens * d * blocks
            + cell_cache
            + 2.0 * tokens * c.patch as f64
            + (c.lookback + 4 * c.horizon) as f64);
    let at_once = EVAL_CHUNK.max(t.shard_size as f64) * t.threads as f64;
    let activation_bytes = per_window * at_once;
    let window_bytes = 16.0 * (train_windows + val_windows) as f64;
    let advice = if parameter_bytes >= activation_bytes.max(window_bytes) {
        if head > body {
            "use a smaller --hidden or --lookback, a longer --patch, or --head last (the flattened head has tokens × width × horizon weights)"
        } else {
            "use a smaller --hidden (or fewer --blocks / --layers)"
        }
    } else if activation_bytes >= window_bytes {
        "use a shorter --lookback, a longer --patch, a smaller --hidden or fewer --threads"
    } else {
        "use a larger --stride (fewer training windows) or less data"
    };
    Estimate {
        parameters: n,
        parameter_bytes,
        activation_bytes,
        window_bytes,
        advice,
    }
}

/// The estimate for a closed-form linear model: the window matrices (inputs of `features`
/// columns per window, targets) and the normal equations.
pub fn linear(features: usize, horizon: usize, train_windows: usize, val_windows: usize) -> Estimate {
    let (f, h) = (features as f64, horizon as f64);
    let windows = (train_windows + val_windows) as f64;
    let window_bytes = 8.0 * windows * (f + h) * 2.0 + 16.0 * windows;
    let parameter_bytes = 8.0 * (3.0 * f * f + 2.0 * f * h);
    let advice = if parameter_bytes > window_bytes {
        "use a shorter --lookback"
    } else {
        "use a shorter --lookback or a larger --stride (fewer training windows)"
    };
    Estimate {
        parameters: f * h + h,
        parameter_bytes,
        activation_bytes: 0.0,
        window_bytes,
        advice,
    }
}

/// Memory available to this process: `MemAvailable` of `/proc/meminfo`, if it can be read.
pub fn available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// A usage error when `estimate` exceeds `available` bytes (when known), naming what to change.
pub fn ensure_fits(estimate: &Estimate, available: Option<f64>) -> Result<()> {
    match available {
        Some(bytes) if estimate.total() > bytes => Err(Error::usage(format!(
            "this configuration needs about {} of memory ({:.3e} parameters: {} with gradients and \
             optimiser state; activations {}; windows {}) but about {} is available: {}",
            size(estimate.total()),
            estimate.parameters,
            size(estimate.parameter_bytes),
            size(estimate.activation_bytes),
            size(estimate.window_bytes),
            size(bytes),
            estimate.advice
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_width_of_a_million_needs_terabytes_and_the_default_model_megabytes() {
        let t = TrainConfig {
            batch_size: 64,
            threads: 2,
            ..TrainConfig::default()
        };
        let mut c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "ms".into() }, 96, 24);
        let small = neural(&c, &t, 2000, 300);
        assert!(small.total() < 2.0 * GIB, "{}", small.describe());
        assert!(ensure_fits(&small, Some(4.0 * GIB)).is_ok());
        c.width = 1_000_000;
        let huge = neural(&c, &t, 2000, 300);
        assert!(huge.total() > 1e4 * GIB, "{}", huge.describe());
        let e = ensure_fits(&huge, Some(4.0 * GIB)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--hidden"), "{e}");
        assert!(ensure_fits(&huge, None).is_ok(), "unknown memory: no refusal");
    }

    #[test]
    fn long_token_sequences_are_limited_by_activations() {
        let t = TrainConfig {
            threads: 2,
            ..TrainConfig::default()
        };
        let mut c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "m".into() }, 20_000, 24);
        c.patch = 1;
        c.stride = 1;
        c.head = HeadKind::Last;
        let e = neural(&c, &t, 100, 10);
        assert!(e.activation_bytes > e.parameter_bytes);
        assert!(e.advice.contains("--lookback"), "{}", e.advice);
        let l = linear(1_000_000, 24, 1_000_000, 0);
        assert!(l.total() > 1e4 * GIB);
    }
}

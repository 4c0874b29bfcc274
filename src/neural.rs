//! The neural forecasters (xLSTM, sLSTM, mLSTM, LSTM) as the command sees them: building their
//! configuration from the flags, training with progress on stderr, and their configuration in
//! the model file. The networks themselves live in [`crate::nn`]; this is the only module that
//! uses indicatif.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{json, Value};

use crate::data::window::WindowSet;
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::nn::forecaster::{CellKind, CoreKind, ForecasterConfig, HeadKind};
use crate::nn::loss::Loss;
use crate::nn::train::{self, EpochReport, StopReason, TrainConfig, Trained, WindowSource};

/// Settings of a neural model and its training, as given on the command line.
#[derive(Debug, Clone)]
pub struct NeuralSettings {
    /// Block letters for xLSTM stacks (None: the kind's default).
    pub blocks: Option<String>,
    /// Stacked LSTM layers.
    pub layers: usize,
    /// Width D.
    pub hidden: usize,
    /// Heads.
    pub heads: usize,
    /// Patch length (None: min(16, L)).
    pub patch: Option<usize>,
    /// Patch stride (None: half the patch).
    pub patch_stride: Option<usize>,
    /// Head input.
    pub head: HeadKind,
    /// Linear skip from the normalised window to the output.
    pub linear_skip: bool,
    /// The linear base the network refines (None: no base).
    pub base: Option<crate::baseline::BaselineKind>,
    /// Training settings.
    pub train: TrainConfig,
}

impl WindowSource for WindowSet {
    fn len(&self) -> usize {
        self.starts.len()
    }
    fn lookback(&self) -> usize {
        self.lookback
    }
    fn horizon(&self) -> usize {
        self.horizon
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        input.copy_from_slice(self.input(index));
        target.copy_from_slice(self.target(index));
    }
}

/// Parse `--blocks` ("ms", "m,s,m") or `--ratio` ("1:1" → "ms", "3:1" → "mmms").
pub fn parse_blocks(blocks: Option<&str>, ratio: Option<&str>) -> Result<Option<String>> {
    if let Some(b) = blocks {
        let letters: String = b.chars().filter(|c| !matches!(c, ',' | ' ')).collect();
        if letters.is_empty() || letters.chars().any(|c| !matches!(c, 'm' | 's')) {
            return Err(Error::usage(format!(
                "--blocks '{b}' must list blocks as 'm' (mLSTM) and 's' (sLSTM), e.g. ms or m,s,m"
            )));
        }
        return Ok(Some(letters));
    }
    if let Some(r) = ratio {
        let parts: Vec<Option<usize>> = r.split(':').map(|p| p.trim().parse().ok()).collect();
        return match parts.as_slice() {
            [Some(a), Some(b)] if a + b > 0 && a + b <= 12 => Ok(Some("m".repeat(*a) + &"s".repeat(*b))),
            _ => Err(Error::usage(format!(
                "--ratio '{r}' must be A:B with A mLSTM and B sLSTM blocks, 1 to 12 in all, e.g. 1:1"
            ))),
        };
    }
    Ok(None)
}

/// The architecture for `kind` with lookback `l` and horizon `h`.
pub fn forecaster_config(
    kind: ModelKind,
    s: &NeuralSettings,
    l: usize,
    h: usize,
) -> Result<ForecasterConfig> {
    let core = match kind {
        ModelKind::Lstm => CoreKind::Lstm { layers: s.layers },
        ModelKind::Xlstm => CoreKind::Xlstm {
            blocks: s.blocks.clone().unwrap_or_else(|| "ms".into()),
        },
        ModelKind::Slstm => CoreKind::Xlstm {
            blocks: only(s, 's', "s")?,
        },
        ModelKind::Mlstm => CoreKind::Xlstm {
            blocks: only(s, 'm', "m")?,
        },
        other => return Err(Error::usage(format!("{} is not a neural model", other.name()))),
    };
    let mut config = ForecasterConfig::new(core, l, h);
    config.width = s.hidden;
    config.heads = s.heads;
    config.head = s.head;
    config.linear_skip = s.linear_skip && s.base.is_none();
    config.base = s.base.is_some();
    if let Some(p) = s.patch {
        config.patch = p;
        config.stride = (p / 2).max(1);
    }
    if let Some(stride) = s.patch_stride {
        config.stride = stride;
    }
    config
        .validate()
        .map_err(|e| Error::usage(format!("model settings: {e}")))?;
    Ok(config)
}

fn only(s: &NeuralSettings, letter: char, default: &str) -> Result<String> {
    match &s.blocks {
        None => Ok(default.to_string()),
        Some(b) if b.chars().all(|c| c == letter) => Ok(b.clone()),
        Some(b) => Err(Error::usage(format!(
            "--blocks '{b}' mixes block kinds; use --model xlstm for mixed stacks"
        ))),
    }
}

/// Train with progress on stderr: a bar on a terminal, one line per epoch otherwise.
pub fn fit(
    config: ForecasterConfig,
    base: Option<&crate::nn::forecaster::LinearBase>,
    settings: &TrainConfig,
    train_windows: &WindowSet,
    val_windows: &WindowSet,
    quiet: bool,
) -> Result<Trained> {
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(settings.epochs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("epoch {pos}/{len} [{bar:30}] {msg} (about {eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    let mut on_epoch = |r: &EpochReport| {
        let line = format!(
            "train loss {:.4}, validation loss {:.4}, {:.1}s",
            r.train_loss, r.val_loss, r.seconds
        );
        match &bar {
            Some(bar) => {
                bar.set_position(r.epoch as u64);
                bar.set_message(line);
            }
            None if !quiet => eprintln!("epoch {}/{}: {line}", r.epoch, settings.epochs),
            None => {}
        }
    };
    let result = train::fit_with_base(settings, config, base, train_windows, val_windows, &mut on_epoch);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let trained = result.map_err(|e| Error::runtime(e.to_string()))?;
    if !quiet {
        let why = match &trained.stop {
            StopReason::Epochs => "all epochs run".to_string(),
            StopReason::EarlyStopping => "validation loss stopped improving".to_string(),
            StopReason::TimeBudget => "time budget reached".to_string(),
            StopReason::Interrupted => "interrupted (Ctrl-C) after the current step".to_string(),
            StopReason::NonFinite { epoch, step } => format!(
                "the loss became non-finite at epoch {epoch}, step {step} (diverged: try a lower --lr)"
            ),
        };
        eprintln!(
            "stopped after {} epoch(s): {why}; keeping the weights of epoch {} (validation loss {:.4})",
            trained.history.len(),
            trained.best_epoch,
            trained.best_val_loss
        );
    }
    Ok(trained)
}

/// Build the training settings from flags.
#[allow(clippy::too_many_arguments)]
pub fn train_config(
    epochs: usize,
    batch: usize,
    lr: f64,
    loss: Loss,
    patience: usize,
    max_time: Option<f64>,
    threads: usize,
    seed: u64,
) -> Result<TrainConfig> {
    if epochs == 0 || batch == 0 || threads == 0 {
        return Err(Error::usage("--epochs, --batch and --threads must be at least 1"));
    }
    if !(lr.is_finite() && lr > 0.0) {
        return Err(Error::usage(format!("--lr {lr} must be a positive number")));
    }
    let max_time = match max_time {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(Error::usage(format!(
                "--max-time {t} must be a number of seconds ≥ 0"
            )))
        }
        Some(t) => Some(Duration::from_secs_f64(t)),
        None => None,
    };
    Ok(TrainConfig {
        epochs,
        batch_size: batch,
        lr,
        loss,
        patience,
        max_time,
        threads,
        seed,
        ..TrainConfig::default()
    })
}

/// The name of a bare cell core in the model file (`"cell"`) and in `xlstm bench`.
pub fn cell_name(cell: CellKind) -> &'static str {
    match cell {
        CellKind::Slstm => "slstm",
        CellKind::Mlstm { parallel: false } => "mlstm",
        CellKind::Mlstm { parallel: true } => "mlstm_par",
    }
}

/// The architecture as JSON for the model file.
pub fn config_to_json(c: &ForecasterConfig) -> Value {
    let (core, blocks, layers) = match &c.kind {
        CoreKind::Lstm { layers } => ("lstm", String::new(), *layers),
        CoreKind::Xlstm { blocks } => ("xlstm", blocks.clone(), 0),
        CoreKind::Cell { .. } => ("cell", String::new(), 1),
    };
    let mut doc = json!({
        "core": core, "blocks": blocks, "layers": layers, "lookback": c.lookback, "horizon": c.horizon,
        "patch": c.patch, "stride": c.stride, "width": c.width, "heads": c.heads,
        "conv_kernel": c.conv_kernel,
        "head": match c.head { HeadKind::Flatten => "flatten", HeadKind::Last => "last" },
        "linear_skip": c.linear_skip,
        "base": c.base,
    });
    if let CoreKind::Cell { cell } = &c.kind {
        doc["cell"] = json!(cell_name(*cell));
    }
    doc
}

/// The architecture from the model file's JSON.
pub fn config_from_json(v: &Value) -> Result<ForecasterConfig> {
    let bad = |field: &str| {
        Error::runtime(format!(
            "the model file's network settings lack a valid '{field}'"
        ))
    };
    let number = |field: &str| v[field].as_u64().map(|x| x as usize).ok_or_else(|| bad(field));
    let kind = match v["core"].as_str() {
        Some("lstm") => CoreKind::Lstm {
            layers: number("layers")?,
        },
        Some("xlstm") => CoreKind::Xlstm {
            blocks: v["blocks"].as_str().ok_or_else(|| bad("blocks"))?.to_string(),
        },
        Some("cell") => {
            let cell = [
                CellKind::Slstm,
                CellKind::Mlstm { parallel: false },
                CellKind::Mlstm { parallel: true },
            ]
            .into_iter()
            .find(|c| v["cell"].as_str() == Some(cell_name(*c)))
            .ok_or_else(|| bad("cell"))?;
            CoreKind::Cell { cell }
        }
        _ => return Err(bad("core")),
    };
    let config = ForecasterConfig {
        kind,
        lookback: number("lookback")?,
        horizon: number("horizon")?,
        patch: number("patch")?,
        stride: number("stride")?,
        width: number("width")?,
        heads: number("heads")?,
        conv_kernel: number("conv_kernel")?,
        head: match v["head"].as_str() {
            Some("flatten") => HeadKind::Flatten,
            Some("last") => HeadKind::Last,
            _ => return Err(bad("head")),
        },
        linear_skip: v["linear_skip"].as_bool().ok_or_else(|| bad("linear_skip"))?,
        base: v["base"].as_bool().unwrap_or(false),
    };
    config
        .validate()
        .map_err(|e| Error::runtime(format!("the model file's network settings are invalid: {e}")))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_ratios_parse_and_bad_ones_are_usage_errors() {
        assert_eq!(parse_blocks(Some("m,s,m"), None).unwrap(), Some("msm".into()));
        assert_eq!(parse_blocks(None, Some("3:1")).unwrap(), Some("mmms".into()));
        assert_eq!(parse_blocks(None, None).unwrap(), None);
        assert_eq!(parse_blocks(Some("mx"), None).unwrap_err().exit_code(), 2);
        assert_eq!(parse_blocks(None, Some("0:0")).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn config_round_trips_through_json() {
        let mut c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "msm".into() }, 96, 24);
        c.head = HeadKind::Last;
        assert_eq!(config_from_json(&config_to_json(&c)).unwrap(), c);
        let l = ForecasterConfig::new(CoreKind::Lstm { layers: 2 }, 48, 12);
        assert_eq!(config_from_json(&config_to_json(&l)).unwrap(), l);
        for cell in [
            CellKind::Slstm,
            CellKind::Mlstm { parallel: false },
            CellKind::Mlstm { parallel: true },
        ] {
            let c = ForecasterConfig::new(CoreKind::Cell { cell }, 96, 24);
            assert_eq!(config_from_json(&config_to_json(&c)).unwrap(), c);
        }
        let mut bad = config_to_json(&ForecasterConfig::new(
            CoreKind::Cell {
                cell: CellKind::Slstm,
            },
            9,
            3,
        ));
        bad["cell"] = json!("gru");
        assert!(config_from_json(&bad).unwrap_err().to_string().contains("'cell'"));
        assert!(config_from_json(&json!({"core": "gru"})).is_err());
    }
}

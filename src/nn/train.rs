//! The training loop: shuffled mini-batches, AdamW, clipping, warm-up + cosine schedule, early
//! stopping with best-weight restore, a wall-clock budget, divergence detection and deterministic
//! data-parallel gradients.
//!
//! **Determinism.** A batch is always cut into the same shards of [`TrainConfig::shard_size`]
//! windows, whatever the thread count. Each shard's gradient is computed into its own buffer (the
//! loss factor is the whole batch's 1/(B·P), so shard gradients add up to the batch gradient) and
//! the buffers are summed in shard order. Threads only decide *who* computes a shard, so the
//! result is bit-identical for any `threads` (`docs/derivations/forecaster.md` §5). Validation
//! losses are likewise summed over fixed chunks in order. Dropout masks come from a generator
//! seeded by the training seed, the step and the shard index ([`super::dropout::mask_rng`]), so
//! they too are the same for any thread count.
//!
//! The data side implements [`WindowSource`]; `nn` does not depend on `crate::data`.

use std::time::{Duration, Instant};

use ndarray::{Array2, ArrayView2};

use super::dropout::mask_rng;
use super::forecaster::convert;
use super::forecaster::{self, ForecasterConfig, ForecasterParams, LinearBase};
use super::loss::Loss;
use super::optim::{clip_grad_norm, AdamW, AdamWConfig, LrSchedule};
use super::parallel::Workers;
use super::quantile;
use super::rng::Rng;
use super::{cast, Float, Params};

/// Windows of a series, as the trainer sees them.
pub trait WindowSource: Sync {
    /// Number of windows.
    fn len(&self) -> usize;
    /// Whether there are no windows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Input length L.
    fn lookback(&self) -> usize;
    /// Values of one input: L·(1 + C) with C covariate channels (L without).
    fn width(&self) -> usize {
        self.lookback()
    }
    /// Target length P.
    fn horizon(&self) -> usize;
    /// Copies window `index` (scaled values) into `input` (L·(1 + C)) and `target` (P).
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]);
    /// Whether each window lies in the later half of the windows (in time, per series): the two
    /// folds a correction must improve on both ([`TrainConfig::confirm_halves`]). By default
    /// the later half of the indices.
    fn later_half(&self) -> Vec<bool> {
        let n = self.len();
        (0..n).map(|i| 2 * i >= n).collect()
    }
    /// The loss weight of window `index`: its forecast and target are multiplied by it before
    /// the loss, so an MAE or pinball loss counts the window `weight` times (an MSE loss
    /// weight² times). 1 by default.
    fn weight(&self, _index: usize) -> f64 {
        1.0
    }
}

/// Floating-point type used for training (gradient checks always use f64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Single precision.
    F32,
    /// Double precision.
    F64,
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Windows per mini-batch.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Final learning rate of the cosine decay.
    pub min_lr: f64,
    /// Linear warm-up length, in optimiser steps.
    pub warmup_steps: usize,
    /// AdamW moments, ε and decoupled weight decay.
    pub adamw: AdamWConfig,
    /// Global gradient-norm clipping threshold (0: no clipping).
    pub clip: f64,
    /// Training loss (validation uses the same loss).
    pub loss: Loss,
    /// Epochs without validation improvement before stopping (0: never stop early).
    pub patience: usize,
    /// Wall-clock budget; training stops after the step that exceeds it.
    pub max_time: Option<Duration>,
    /// Seed for initialisation and shuffling.
    pub seed: u64,
    /// Worker threads for the shards of a batch (results do not depend on it).
    pub threads: usize,
    /// Windows per shard: the fixed unit of data parallelism.
    pub shard_size: usize,
    /// Training precision.
    pub precision: Precision,
    /// Learning-rate factor of the linear base (models with a base only): 0 keeps the base
    /// frozen at its closed-form start, 1 trains it jointly at the network's rate.
    pub base_lr_scale: f64,
    /// Set from outside (a Ctrl-C handler) to stop after the current step: the epoch so far is
    /// scored like a finished one and training ends with [`StopReason::Interrupted`].
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Models with a base: keep the weights early stopping chose only when they beat the base on
    /// both halves of the validation windows ([`WindowSource::later_half`]), else keep the base
    /// (epoch 0), so that a correction must hold up on two validation folds.
    pub confirm_halves: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 100,
            batch_size: 32,
            lr: 1e-3,
            min_lr: 1e-5,
            warmup_steps: 50,
            adamw: AdamWConfig::default(),
            clip: 1.0,
            loss: Loss::Mse,
            patience: 10,
            max_time: None,
            seed: 0,
            threads: 1,
            shard_size: 16,
            precision: Precision::F32,
            base_lr_scale: 0.0,
            stop: None,
            confirm_halves: false,
        }
    }
}

/// One line of the training log.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (before each update).
    pub train_loss: f64,
    /// Validation loss after the epoch (the training loss when there is no validation data).
    pub val_loss: f64,
    /// Seconds since training started.
    pub seconds: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
}

/// Why training ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// All epochs ran.
    Epochs,
    /// Validation loss did not improve for `patience` epochs.
    EarlyStopping,
    /// The wall-clock budget ran out.
    TimeBudget,
    /// [`TrainConfig::stop`] was set.
    Interrupted,
    /// A loss or gradient became non-finite at this epoch and step; the best weights were kept.
    NonFinite {
        /// Epoch (from 1).
        epoch: usize,
        /// Step within the epoch (from 0).
        step: usize,
    },
}

/// A trained forecaster.
#[derive(Debug, Clone)]
pub struct Trained {
    /// Architecture.
    pub config: ForecasterConfig,
    /// Best weights (lowest validation loss), in f64.
    pub params: ForecasterParams<f64>,
    /// Epoch of the best weights (from 1).
    pub best_epoch: usize,
    /// Validation loss of the best weights.
    pub best_val_loss: f64,
    /// One report per finished epoch.
    pub history: Vec<EpochReport>,
    /// Why training ended.
    pub stop: StopReason,
    /// With [`TrainConfig::confirm_halves`], the validation losses of the base and of the
    /// weights early stopping chose on each half, when the check ran: `[[base early, base late],
    /// [chosen early, chosen late]]`; the base was kept unless the chosen weights beat it on both.
    pub halves: Option<[[f64; 2]; 2]>,
}

impl Trained {
    /// Whether training was cut short by a non-finite loss (the best finite weights are kept).
    pub fn diverged(&self) -> bool {
        matches!(self.stop, StopReason::NonFinite { .. })
    }
}

/// Training failures.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainError {
    /// The loss became non-finite before any epoch finished with a finite loss.
    NonFinite {
        /// Epoch (from 1).
        epoch: usize,
        /// Step within the epoch (from 0).
        step: usize,
    },
    /// The settings or the data do not fit together.
    Invalid(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::NonFinite { epoch, step } => write!(
                f,
                "training diverged (non-finite loss) at epoch {epoch}, step {step}, before any \
                 finite epoch; lower the learning rate"
            ),
            TrainError::Invalid(msg) => write!(f, "invalid training setup: {msg}"),
        }
    }
}

impl std::error::Error for TrainError {}

/// Train a forecaster of architecture `model` on `train`, selecting weights on `val` (on the
/// training loss when `val` is empty). `on_epoch` is called after every epoch.
///
/// # Errors
/// [`TrainError::Invalid`] when the settings, the model or the window sizes do not fit together;
/// [`TrainError::NonFinite`] when the loss became non-finite before any epoch finished finite
/// (later divergence returns the best weights with [`StopReason::NonFinite`]).
pub fn fit(
    config: &TrainConfig,
    model: ForecasterConfig,
    train: &dyn WindowSource,
    val: &dyn WindowSource,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<Trained, TrainError> {
    fit_with_base(config, model, None, train, val, on_epoch)
}

/// [`fit`] for a model with a linear base ([`ForecasterConfig::base`]), started at `base`. The
/// untrained model (the base alone, since the head starts at zero) is scored on `val` first as
/// epoch 0, so early stopping keeps the base whenever no epoch improves on it.
pub fn fit_with_base(
    config: &TrainConfig,
    model: ForecasterConfig,
    base: Option<&LinearBase>,
    train: &dyn WindowSource,
    val: &dyn WindowSource,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<Trained, TrainError> {
    if model.base != base.is_some() {
        return Err(TrainError::Invalid(
            "a model with a linear base needs its starting weights (and only such a model)".into(),
        ));
    }
    match config.precision {
        Precision::F32 => fit_in::<f32>(config, model, base, train, val, on_epoch),
        Precision::F64 => fit_in::<f64>(config, model, base, train, val, on_epoch),
    }
}

fn validate(
    config: &TrainConfig,
    model: &ForecasterConfig,
    train: &dyn WindowSource,
    val: &dyn WindowSource,
) -> Result<(), TrainError> {
    model.validate().map_err(TrainError::Invalid)?;
    let invalid = |m: String| Err(TrainError::Invalid(m));
    if train.is_empty() {
        return invalid("no training windows".into());
    }
    for (what, src) in [("training", train), ("validation", val)] {
        if !src.is_empty() && (src.width(), src.horizon()) != (model.input_width(), model.horizon) {
            return invalid(format!(
                "{what} windows are {}→{}, the model expects {}→{}",
                src.width(),
                src.horizon(),
                model.input_width(),
                model.horizon
            ));
        }
    }
    // zero epochs are allowed with a base: the untrained model is the base
    if (config.epochs == 0 && !model.base)
        || config.batch_size == 0
        || config.shard_size == 0
        || config.threads == 0
    {
        return invalid(
            "epochs (without a linear base), batch_size, shard_size and threads must be positive".into(),
        );
    }
    if let Loss::Huber { delta } = config.loss {
        if !(delta > 0.0 && delta.is_finite()) {
            return invalid(format!("Huber delta {delta} must be positive"));
        }
    }
    if !(config.lr > 0.0 && config.lr.is_finite()) {
        return invalid(format!("learning rate {} must be positive", config.lr));
    }
    Ok(())
}

/// One shard's work space: its index and window range in the batch, inputs, targets and
/// gradients.
struct Shard<F> {
    index: usize,
    start: usize,
    end: usize,
    grads: ForecasterParams<F>,
    loss: F,
}

/// Training state that lives across steps.
struct Trainer<'a, F> {
    model: &'a ForecasterConfig,
    loss: Loss,
    /// Training seed (dropout masks).
    seed: u64,
    workers: Workers,
    shards: Vec<Shard<F>>,
    /// Flat scratch for summing shard gradients.
    flat: Vec<F>,
}

impl<'a, F: Float> Trainer<'a, F> {
    /// Forward + backward of one batch (window indices `batch`) of optimiser step `step` into
    /// `grads`; returns the loss.
    fn batch_gradient(
        &mut self,
        params: &ForecasterParams<F>,
        src: &dyn WindowSource,
        batch: &[usize],
        (shard_size, step): (usize, usize),
        grads: &mut ForecasterParams<F>,
    ) -> f64 {
        let n_shards = batch.len().div_ceil(shard_size);
        for (s, shard) in self.shards.iter_mut().enumerate().take(n_shards) {
            shard.index = s;
            shard.start = s * shard_size;
            shard.end = ((s + 1) * shard_size).min(batch.len());
        }
        let denom = batch.len() * self.model.horizon;
        let (model, loss, seed) = (self.model, self.loss, self.seed);
        let work = |shard: &mut Shard<F>| {
            let indices = &batch[shard.start..shard.end];
            let (x, mut y) = load(src, indices);
            let mut masks = mask_rng(seed, step, shard.index);
            let (mut pred, cache) = forecaster::forward_train(params, model, x.view(), &mut masks);
            let weights = weights_of::<F>(src, indices);
            if let Some(w) = &weights {
                scale_rows(&mut pred, w);
                scale_rows(&mut y, w);
            }
            shard.loss = objective(model, loss, pred.view(), y.view(), denom);
            let mut d_pred = objective_gradient(model, loss, pred.view(), y.view(), denom);
            if let Some(w) = &weights {
                scale_rows(&mut d_pred, w); // the chain rule through pred·w
            }
            super::fill(&mut shard.grads, F::zero());
            forecaster::backward(params, model, &cache, d_pred.view(), &mut shard.grads);
        };
        self.workers.for_each(&mut self.shards[..n_shards], work);
        // Sum in shard order: bit-identical whatever thread computed which shard.
        super::fill(grads, F::zero());
        let mut total = F::zero();
        for shard in &self.shards[..n_shards] {
            add_into(grads, &shard.grads, &mut self.flat);
            total += shard.loss;
        }
        total.to_f64().unwrap_or(f64::NAN)
    }
}

/// `dst += src`, tensor by tensor (`flat` is scratch).
fn add_into<F: Float, P: Params<F>>(dst: &mut P, src: &P, flat: &mut Vec<F>) {
    flat.clear();
    src.visit("", &mut |_, vals| flat.extend_from_slice(vals));
    let mut off = 0;
    dst.visit_mut("", &mut |_, vals| {
        let n = vals.len();
        for (d, s) in vals.iter_mut().zip(&flat[off..off + n]) {
            *d += *s;
        }
        off += n;
    });
}

/// Inputs (n, L·(1 + C)) and targets (n, P) of the windows `indices`, in the training float type.
fn load<F: Float>(src: &dyn WindowSource, indices: &[usize]) -> (Array2<F>, Array2<F>) {
    let (l, p) = (src.width(), src.horizon());
    let mut input = vec![0.0; l];
    let mut target = vec![0.0; p];
    let mut x = Array2::zeros((indices.len(), l)); // (n, L·(1 + C))
    let mut y = Array2::zeros((indices.len(), p)); // (n, P)
    for (r, &i) in indices.iter().enumerate() {
        src.fill(i, &mut input, &mut target);
        x.row_mut(r)
            .iter_mut()
            .zip(&input)
            .for_each(|(a, &v)| *a = cast(v));
        y.row_mut(r)
            .iter_mut()
            .zip(&target)
            .for_each(|(a, &v)| *a = cast(v));
    }
    (x, y)
}

/// The loss weights of the windows `indices` (n), or None when they are all 1 (the default:
/// nothing allocated).
fn weights_of<F: Float>(src: &dyn WindowSource, indices: &[usize]) -> Option<Vec<F>> {
    if indices.iter().all(|&i| src.weight(i) == 1.0) {
        return None;
    }
    Some(indices.iter().map(|&i| cast(src.weight(i))).collect())
}

/// Multiplies row r of `a` (n, ·) by `weights[r]`.
fn scale_rows<F: Float>(a: &mut Array2<F>, weights: &[F]) {
    for (mut row, &w) in a.rows_mut().into_iter().zip(weights) {
        row.mapv_inplace(|v| v * w);
    }
}

/// The training loss of forecasts `pred` of `model` against `target` (B, P), summed and divided
/// by `denom`: the pinball loss over a quantile model's quantiles, else `loss`.
fn objective<F: Float>(
    model: &ForecasterConfig,
    loss: Loss,
    pred: ArrayView2<F>,
    target: ArrayView2<F>,
    denom: usize,
) -> F {
    if model.quantiles.is_empty() {
        loss.forward(pred, target, denom)
    } else {
        quantile::pinball_loss(pred, target, &model.quantiles, denom)
    }
}

/// ∂[`objective`]/∂pred, shaped like `pred`.
fn objective_gradient<F: Float>(
    model: &ForecasterConfig,
    loss: Loss,
    pred: ArrayView2<F>,
    target: ArrayView2<F>,
    denom: usize,
) -> Array2<F> {
    if model.quantiles.is_empty() {
        loss.backward(pred, target, denom)
    } else {
        quantile::pinball_backward(pred, target, &model.quantiles, denom)
    }
}

/// Windows per evaluation chunk (fixed, so evaluation sums are thread-independent).
const EVAL_CHUNK: usize = 64;

/// Windows per prediction chunk: small enough that one chunk's activations stay in the caches.
const PREDICT_CHUNK: usize = 32;

/// Rows start..end of `n`, cut in chunks of `size`: (start, end, slot for the chunk's result).
fn chunks<T: Default>(n: usize, size: usize) -> Vec<(usize, usize, T)> {
    (0..n.div_ceil(size))
        .map(|c| (c * size, ((c + 1) * size).min(n), T::default()))
        .collect()
}

/// Mean loss of `params` over all windows of `src` (fixed chunks, summed in order).
fn evaluate<F: Float>(
    params: &ForecasterParams<F>,
    model: &ForecasterConfig,
    loss: Loss,
    src: &dyn WindowSource,
    workers: &Workers,
) -> f64 {
    let all: Vec<usize> = (0..src.len()).collect();
    evaluate_on(params, model, loss, src, &all, workers)
}

/// Mean loss of `params` over the windows `indices` of `src` (fixed chunks, summed in order).
fn evaluate_on<F: Float>(
    params: &ForecasterParams<F>,
    model: &ForecasterConfig,
    loss: Loss,
    src: &dyn WindowSource,
    indices: &[usize],
    workers: &Workers,
) -> f64 {
    let score = |pred: ArrayView2<F>, target: ArrayView2<F>| objective(model, loss, pred, target, 1);
    evaluate_with(params, model, src, indices, workers, score)
}

/// Mean of `score` (a sum over the entries of one chunk's forecasts and targets, both weighted
/// by their windows' weights) over the windows `indices` of `src`, per window and horizon step.
fn evaluate_with<F: Float>(
    params: &ForecasterParams<F>,
    model: &ForecasterConfig,
    src: &dyn WindowSource,
    indices: &[usize],
    workers: &Workers,
    score: impl Fn(ArrayView2<F>, ArrayView2<F>) -> F + Sync + Send,
) -> f64 {
    let n = indices.len();
    let mut sums = chunks::<f64>(n, EVAL_CHUNK);
    workers.for_each(&mut sums, |(a, b, sum)| {
        let (x, mut y) = load::<F>(src, &indices[*a..*b]);
        let (mut pred, _) = forecaster::forward(params, model, x.view());
        if let Some(w) = weights_of::<F>(src, &indices[*a..*b]) {
            scale_rows(&mut pred, &w);
            scale_rows(&mut y, &w);
        }
        *sum = score(pred.view(), y.view()).to_f64().unwrap_or(f64::NAN);
    });
    sums.iter().map(|(_, _, sum)| sum).sum::<f64>() / (n * model.horizon).max(1) as f64
}

/// The loss of an ensemble's point forecast on the earlier and the later half of `src`'s windows
/// ([`WindowSource::later_half`]; NaN for a half without windows), in f64 on `threads` workers,
/// with the windows' weights. The point forecast is the mean of the `members`' (trained weights
/// and network) point forecasts, as the ensemble forecasts, so that it is judged as it will be
/// used (an ensemble's mean is better than its members on average, and more so for a network
/// alone than for its blends with a base). A point member's point forecast is its output, judged
/// by `loss`; a quantile member's is its median block, and the point is then judged by MAE (its
/// other quantiles are not compared: a model without trained spreads would lose on them
/// whatever its point forecasts).
pub fn point_loss_on_halves(
    members: &[(&ForecasterParams<f64>, &ForecasterConfig)],
    loss: Loss,
    src: &dyn WindowSource,
    threads: usize,
) -> [f64; 2] {
    let workers = Workers::new(threads);
    let quantile = members.iter().any(|(_, model)| !model.quantiles.is_empty());
    let loss = if quantile || loss == Loss::Quantile {
        Loss::Mae
    } else {
        loss
    };
    let p = src.horizon();
    on_halves(src, |indices| {
        let mut sums = chunks::<f64>(indices.len(), EVAL_CHUNK);
        workers.for_each(&mut sums, |(a, b, sum)| {
            let rows = &indices[*a..*b];
            let (x, mut y) = load::<f64>(src, rows); // (n, L·(1 + C)), (n, P)
            let mut point = Array2::<f64>::zeros(y.raw_dim()); // (n, P)
            for (params, model) in members {
                let (pred, _) = forecaster::forward(*params, model, x.view()); // (n, P) or (n, Q·P)
                let m = model.quantiles.len() / 2;
                point += &pred.slice(ndarray::s![.., m * p..(m + 1) * p]);
            }
            point /= members.len().max(1) as f64;
            if let Some(w) = weights_of::<f64>(src, rows) {
                scale_rows(&mut point, &w);
                scale_rows(&mut y, &w);
            }
            *sum = loss.forward(point.view(), y.view(), 1);
        });
        sums.iter().map(|(_, _, sum)| sum).sum::<f64>() / (indices.len() * p).max(1) as f64
    })
}

/// Mean loss of `params` on the earlier and the later half of `src`'s windows (NaN for a half
/// without windows).
fn evaluate_halves<F: Float>(
    params: &ForecasterParams<F>,
    model: &ForecasterConfig,
    loss: Loss,
    src: &dyn WindowSource,
    workers: &Workers,
) -> [f64; 2] {
    on_halves(src, |indices| {
        evaluate_on(params, model, loss, src, indices, workers)
    })
}

/// `score` of the windows of the earlier and of the later half of `src` (NaN for a half without
/// windows).
fn on_halves(src: &dyn WindowSource, score: impl Fn(&[usize]) -> f64) -> [f64; 2] {
    let later = src.later_half();
    [false, true].map(|half| {
        let indices: Vec<usize> = (0..src.len()).filter(|&i| later[i] == half).collect();
        if indices.is_empty() {
            f64::NAN
        } else {
            score(&indices)
        }
    })
}

/// Whether AdamW decays a tensor: weight matrices (`w*` of dense, conv and recurrent layers, and
/// the sLSTM recurrent `r`); not biases, not norm offsets (`*norm*.w`, `ln_*.w`, `gn.w`), not
/// RevIN, not the mLSTM skip, not the linear base (it starts at a fitted solution, not at zero).
pub fn decays(name: &str) -> bool {
    let mut parts = name.rsplit('.');
    let last = parts.next().unwrap_or("");
    let parent = parts.next().unwrap_or("");
    let is_norm = parent.contains("norm") || parent.starts_with("ln") || parent == "gn";
    !name.starts_with("revin")
        && !name.starts_with("base.")
        && !is_norm
        && (last.starts_with('w') || last == "r")
}

fn fit_in<F: Float>(
    config: &TrainConfig,
    model: ForecasterConfig,
    base: Option<&LinearBase>,
    train: &dyn WindowSource,
    val: &dyn WindowSource,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<Trained, TrainError> {
    validate(config, &model, train, val)?;
    let started = Instant::now();
    let mut params: ForecasterParams<F> = forecaster::init(&model, config.seed);
    if let Some(base) = base {
        if base.w.dim() != (model.horizon, model.input_width()) || base.b.len() != model.horizon {
            return Err(TrainError::Invalid(format!(
                "the linear base is {:?}, the model expects ({}, {})",
                base.w.dim(),
                model.horizon,
                model.input_width()
            )));
        }
        forecaster::set_base(&mut params, &base.w, &base.b);
    }
    let mut grads = super::zeros_like(&params);
    let base_lr_scale = config.base_lr_scale;
    let mut opt = AdamW::new(config.adamw, &params, decays).scale_lr(&params, |name| {
        if name.starts_with("base.") {
            base_lr_scale
        } else {
            1.0
        }
    });
    let batch_size = config.batch_size.min(train.len());
    let batches = train.len().div_ceil(batch_size);
    let schedule = LrSchedule {
        base_lr: config.lr,
        min_lr: config.min_lr.min(config.lr),
        warmup_steps: config.warmup_steps,
        total_steps: config.epochs * batches,
    };
    let n_shards = batch_size.div_ceil(config.shard_size);
    let mut trainer = Trainer {
        model: &model,
        loss: config.loss,
        seed: config.seed,
        workers: Workers::new(config.threads),
        shards: (0..n_shards)
            .map(|_| Shard {
                index: 0,
                start: 0,
                end: 0,
                grads: grads.clone(),
                loss: F::zero(),
            })
            .collect(),
        flat: Vec::with_capacity(super::count(&params)),
    };
    let mut rng = Rng::new(config.seed ^ 0x7261_696e);
    let mut order: Vec<usize> = (0..train.len()).collect();
    // Epoch 0: the untrained model, scored when it is a meaningful forecaster (the base alone),
    // and kept as it is when no epoch is to run.
    let mut best: Option<(ForecasterParams<F>, usize, f64)> = None;
    if base.is_some() && !val.is_empty() {
        let val_loss = evaluate(&params, &model, config.loss, val, &trainer.workers);
        if val_loss.is_finite() {
            best = Some((params.clone(), 0, val_loss));
        }
    } else if base.is_some() && config.epochs == 0 {
        // no validation part: its loss is the training loss, as for the epochs below
        let train_loss = evaluate(&params, &model, config.loss, train, &trainer.workers);
        best = Some((params.clone(), 0, train_loss));
    }
    // the base, kept for the check of the chosen weights on both validation halves
    let epoch_zero = best
        .as_ref()
        .filter(|_| config.confirm_halves && !val.is_empty() && val.len() >= 2)
        .cloned();
    let mut history = Vec::new();
    let mut wait = 0;
    let mut step = 0;
    let mut stop = StopReason::Epochs;
    'epochs: for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let (mut loss_sum, mut windows, mut lr) = (0.0, 0, config.lr);
        let (mut out_of_time, mut interrupted) = (false, false);
        for (k, batch) in order.chunks(batch_size).enumerate() {
            let loss = trainer.batch_gradient(&params, train, batch, (config.shard_size, step), &mut grads);
            if base_lr_scale == 0.0 {
                if let Some(g) = grads.base.as_mut() {
                    super::fill(g, F::zero()); // frozen: no share of the clipping norm either
                }
            }
            let norm = if config.clip > 0.0 {
                clip_grad_norm(&mut grads, config.clip)
            } else {
                super::optim::grad_norm(&grads)
            };
            if !loss.is_finite() || !norm.is_finite() {
                stop = StopReason::NonFinite { epoch, step: k };
                break 'epochs;
            }
            lr = schedule.at(step);
            opt.step(&mut params, &grads, lr);
            step += 1;
            loss_sum += loss * batch.len() as f64;
            windows += batch.len();
            if config.max_time.is_some_and(|t| started.elapsed() >= t) {
                out_of_time = true;
                break;
            }
            if config
                .stop
                .as_ref()
                .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
            {
                interrupted = true;
                break;
            }
        }
        let train_loss = loss_sum / windows as f64;
        let val_loss = if val.is_empty() {
            train_loss
        } else {
            evaluate(&params, &model, config.loss, val, &trainer.workers)
        };
        let report = EpochReport {
            epoch,
            train_loss,
            val_loss,
            seconds: started.elapsed().as_secs_f64(),
            lr,
        };
        on_epoch(&report);
        history.push(report);
        if !val_loss.is_finite() {
            stop = StopReason::NonFinite { epoch, step: batches };
            break;
        }
        if best.as_ref().is_none_or(|b| val_loss < b.2) {
            best = Some((params.clone(), epoch, val_loss));
            wait = 0;
        } else {
            wait += 1;
        }
        if out_of_time {
            stop = StopReason::TimeBudget;
            break;
        }
        if interrupted {
            stop = StopReason::Interrupted;
            break;
        }
        if config.patience > 0 && wait >= config.patience {
            stop = StopReason::EarlyStopping;
            break;
        }
    }
    let Some((mut best_params, mut best_epoch, mut best_val_loss)) = best else {
        return Err(match stop {
            StopReason::NonFinite { epoch, step } => TrainError::NonFinite { epoch, step },
            _ => TrainError::Invalid("no epoch finished".into()),
        });
    };
    let mut halves = None;
    if let (Some((base_params, _, base_loss)), true) = (epoch_zero, best_epoch > 0) {
        let workers = &trainer.workers;
        let before = evaluate_halves(&base_params, &model, config.loss, val, workers);
        let after = evaluate_halves(&best_params, &model, config.loss, val, workers);
        halves = Some([before, after]);
        // a half without windows (one validation window per series) does not vote
        let better = |k: usize| before[k].is_nan() || after[k] < before[k];
        if !(better(0) && better(1)) {
            (best_params, best_epoch, best_val_loss) = (base_params, 0, base_loss);
        }
    }
    Ok(Trained {
        params: convert(&best_params, forecaster::init(&model, 0)),
        config: model,
        best_epoch,
        best_val_loss,
        history,
        stop,
        halves,
    })
}

/// Forecast every row of `inputs` (N, L) → (N, P) on all available cores; see
/// [`predict_with_threads`].
pub fn predict(
    params: &ForecasterParams<f64>,
    config: &ForecasterConfig,
    inputs: ArrayView2<f64>,
) -> Array2<f64> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    predict_with_threads(params, config, inputs, threads)
}

/// Forecast every row of `inputs` (N, L) → (N, P) (or (N, Q·P) for a quantile model) in the training precision (f32), in fixed
/// chunks of windows spread over `threads` workers. Each row's forecast depends only on that row
/// (the kernels sum every output in a fixed order), so the result is the same for any `threads`.
pub fn predict_with_threads(
    params: &ForecasterParams<f64>,
    config: &ForecasterConfig,
    inputs: ArrayView2<f64>,
    threads: usize,
) -> Array2<f64> {
    let n = inputs.nrows();
    let params32: ForecasterParams<f32> = convert(params, forecaster::init(config, 0));
    let mut out = Array2::zeros((n, config.outputs())); // (N, P) or (N, Q·P)
    let mut parts = chunks::<Array2<f64>>(n, PREDICT_CHUNK);
    Workers::new(threads).for_each(&mut parts, |(start, end, part)| {
        let chunk = inputs.slice(ndarray::s![*start..*end, ..]).mapv(|v| v as f32); // (n, L)
        *part = forecaster::predict(&params32, config, chunk.view()).mapv(f64::from);
        // (n, P)
    });
    for (start, end, part) in &parts {
        out.slice_mut(ndarray::s![*start..*end, ..]).assign(part);
    }
    out
}

#[cfg(test)]
#[path = "train_tests.rs"]
mod tests;

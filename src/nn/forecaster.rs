//! The forecaster: RevIN → patch embedding → recurrent core → LayerNorm → linear head → RevIN⁻¹.
//!
//! ```text
//! x (B, L) ─RevIN─▶ x̂ (B, L) ─patch─▶ tokens (B, T, D) ─core─▶ (B, T, D) ─LN─▶ h (B, T, D)
//!   ─head─▶ ŷ (B, P) ─RevIN⁻¹─▶ y (B, P)
//! ```
//! The core is a stack of classic LSTM layers (hidden width D), an xLSTM residual stack of mLSTM
//! ('m') and sLSTM ('s') blocks, or one bare sLSTM or mLSTM cell layer without a block around it
//! (the PyTorch anchors' networks, used by `xlstm bench`); everything around it is shared, so
//! comparisons isolate the recurrent core. The head reads either the flattened hidden states
//! (T·D → P, the P-sLSTM choice) or the last hidden state (D → P). Derivation:
//! `docs/derivations/forecaster.md`.
//!
//! The blocks follow the official xLSTM as options, each off by default (the defaults are the
//! network this crate shipped before them): the causal conv in both block kinds
//! ([`ConvScope::Both`]), head-wise q, k, v and gate input projections, the 1.3 FFN factor and
//! dropout. [`forward_train`] is the training pass with dropout; [`forward`] and [`predict`]
//! never drop.

use ndarray::{Array2, Array3, ArrayView2, Axis, CowArray, Ix2};

use super::dropout::Dropout;
use super::ffn::{self, FfnFactor};
use super::linear::{self, LinearParams};
use super::lstm::{self, LstmCache, LstmParams};
use super::mlstm_block::{self, MlstmBlockCache, MlstmBlockConfig, MlstmBlockParams, MlstmForm};
use super::mlstm_layer::{self, MlstmLayerCache, MlstmLayerConfig, MlstmLayerParams};
use super::norm::{self, NormCache, NormParams};
use super::patch::{self, PatchCache, PatchGeometry, PatchParams};
use super::quantile;
use super::revin::{self, RevinCache, RevinParams};
use super::rng::Rng;
use super::slstm::{self, ForgetInit, SlstmCache, SlstmConfig, SlstmParams};
use super::slstm_block::{self, SlstmBlockCache, SlstmBlockConfig, SlstmBlockParams};
use super::{join, Float, Params};

/// Which hidden states the linear head reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// All T hidden states, flattened: a (T·D → P) map.
    Flatten,
    /// The last hidden state only: a (D → P) map.
    Last,
}

/// Which xLSTM blocks take the causal conv of [`ForecasterConfig::conv_kernel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvScope {
    /// The network before the option (default): sLSTM blocks take `conv_kernel` (0: no conv);
    /// mLSTM blocks always convolve, with max(`conv_kernel`, 1) taps (1 tap is a per-channel
    /// scale and bias).
    Legacy,
    /// As the paper and the official code (kernel 4 there): both block kinds take
    /// `conv_kernel`, and 0 means no conv in either (an mLSTM block then computes
    /// x_c = SiLU(x_m), like the official `CausalConv1d` with kernel size 0).
    Both,
}

/// The recurrent core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreKind {
    /// `layers` stacked classic LSTM layers of width D.
    Lstm {
        /// Number of stacked layers (≥ 1).
        layers: usize,
    },
    /// xLSTM residual blocks, in order: 'm' mLSTM, 's' sLSTM (e.g. "ms" or "ss").
    Xlstm {
        /// One letter per block.
        blocks: String,
    },
    /// One bare cell layer of width D, no block around it: the recurrent layer of the PyTorch
    /// anchors (`../shared/anchors/torch_anchor.py`).
    Cell {
        /// Which cell.
        cell: CellKind,
    },
}

/// The bare cell of a [`CoreKind::Cell`] core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// The sLSTM cell (`slstm.rs`), forget-gate biases linspace(3, 6).
    Slstm,
    /// The mLSTM layer (`mlstm_layer.rs`): one projection, the cell, an output gate.
    Mlstm {
        /// The form the cell runs in (recurrent, parallel or chunkwise; one function).
        form: MlstmForm,
    },
}

/// Architecture of a forecaster.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecasterConfig {
    /// The recurrent core.
    pub kind: CoreKind,
    /// Lookback window length L: the steps the core reads (RevIN, patches, skip).
    pub lookback: usize,
    /// Forecast horizon P.
    pub horizon: usize,
    /// Patch length p (1: one token per time step).
    pub patch: usize,
    /// Patch stride s.
    pub stride: usize,
    /// Model width D.
    pub width: usize,
    /// Heads NH of the xLSTM cells (D must be a multiple).
    pub heads: usize,
    /// Causal-conv kernel K in the xLSTM blocks; which blocks take it, and what 0 means, is
    /// [`ForecasterConfig::conv_scope`].
    pub conv_kernel: usize,
    /// What the head reads.
    pub head: HeadKind,
    /// Add a linear map of the normalised window (L → P) to the head's output, so the network
    /// refines a linear forecast (the "linear baseline inside the model" of xLSTM-Mixer and
    /// xLSTMTime) instead of learning it from scratch.
    pub linear_skip: bool,
    /// Which blocks take the conv ([`ConvScope::Legacy`] by default).
    pub conv_scope: ConvScope,
    /// Block size b of head-wise (block-diagonal) q, k, v projections in mLSTM blocks (official
    /// 4; 2D must be a multiple); 0: dense 2D×2D projections (default).
    pub qkv_blocksize: usize,
    /// Head-wise gate input projections in sLSTM blocks (one DH×DH block per head for each of
    /// i, f, z, o: the official `LinearHeadwiseExpand`) instead of a dense (4D, D) matrix
    /// (default false).
    pub headwise_gates: bool,
    /// FFN factor of the sLSTM blocks: P = ⌈PF·D⌉ ([`FfnFactor::FourThirds`] by default; the
    /// official 1.3 is [`FfnFactor::OnePointThree`]).
    pub ffn_factor: FfnFactor,
    /// P is rounded up to a multiple of this (1..=256; default 8; the official code uses 64).
    pub ffn_multiple: usize,
    /// Dropout rate in the xLSTM blocks, in training passes only (after the sLSTM cell, after
    /// the FFN and after the mLSTM down-projection, as the official code); 0 = off (default).
    /// LSTM layers and bare cells have none (`head_dropout` applies to every core).
    pub dropout: f64,
    /// Dropout rate on the head's input, in training passes only; 0 = off (default).
    pub head_dropout: f64,
    /// The quantiles τ the head forecasts (ascending, the median 0.5 in the middle; see
    /// [`super::quantile`]); empty: a point forecast (default).
    pub quantiles: Vec<f64>,
    /// A linear base forecast on the raw (globally standardised) window, w (P, L) and b (P),
    /// to which the network adds its correction σ·ŷ (RevIN's scale, without its mean): the
    /// residual-over-linear forecaster. The base is set from a closed-form baseline before
    /// training and the head starts at zero, so the untrained model is exactly that baseline.
    pub base: bool,
    /// Covariate channels C beside the target (default 0): the input is (B, L·(1 + C)) (with a
    /// crop E, (B, (E + L)·(1 + C))), each channel's window read by the patch embedding beside
    /// the target's and by the base.
    pub covariates: usize,
    /// Steps E at the start of each input window (and of each channel's) that the core does not
    /// read (default 0): the input is (B, (E + L)·(1 + C)), the core reads the last L steps of
    /// every channel and the base all E + L. Ensemble members over shorter lookbacks than the
    /// model's read the model's windows this way.
    pub crop: usize,
}

impl ForecasterConfig {
    /// Defaults for a `lookback` → `horizon` forecaster: width 64, 4 heads, patches of
    /// min(16, L) with half-patch stride (P-sLSTM's 16/8), no conv, flattened head.
    pub fn new(kind: CoreKind, lookback: usize, horizon: usize) -> Self {
        let patch = lookback.clamp(1, 16);
        ForecasterConfig {
            kind,
            lookback,
            horizon,
            patch,
            stride: (patch / 2).max(1),
            width: 64,
            heads: 4,
            conv_kernel: 0,
            head: HeadKind::Flatten,
            linear_skip: true,
            conv_scope: ConvScope::Legacy,
            qkv_blocksize: 0,
            headwise_gates: false,
            ffn_factor: FfnFactor::FourThirds,
            ffn_multiple: 8,
            dropout: 0.0,
            head_dropout: 0.0,
            quantiles: Vec::new(),
            base: false,
            covariates: 0,
            crop: 0,
        }
    }

    /// Values of one input window: (E + L)·(1 + C).
    pub fn input_width(&self) -> usize {
        (self.crop + self.lookback) * (1 + self.covariates)
    }

    /// Values of the input the core reads: L·(1 + C) (see [`ForecasterConfig::crop`]).
    pub fn core_width(&self) -> usize {
        self.lookback * (1 + self.covariates)
    }

    /// Values the forecaster outputs per window: P, or P per quantile.
    pub fn outputs(&self) -> usize {
        self.horizon * self.quantiles.len().max(1)
    }

    /// The conv kernel of mLSTM blocks (see [`ConvScope`]).
    pub fn mlstm_conv_kernel(&self) -> usize {
        match self.conv_scope {
            ConvScope::Legacy => self.conv_kernel.max(1),
            ConvScope::Both => self.conv_kernel,
        }
    }

    /// The FFN width P of sLSTM blocks.
    pub fn ffn_width(&self) -> usize {
        ffn::width(self.width, self.ffn_factor, self.ffn_multiple)
    }

    /// Patch geometry (L, p, s).
    pub fn geometry(&self) -> PatchGeometry {
        PatchGeometry {
            lookback: self.lookback,
            patch: self.patch,
            stride: self.stride,
            channels: 1 + self.covariates,
        }
    }

    /// Number of tokens T.
    pub fn tokens(&self) -> usize {
        self.geometry().tokens()
    }

    /// Input width of the head: T·D (flatten) or D (last).
    pub fn head_inputs(&self) -> usize {
        match self.head {
            HeadKind::Flatten => self.tokens() * self.width,
            HeadKind::Last => self.width,
        }
    }

    /// Check the sizes; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if self.lookback == 0 || self.horizon == 0 || self.width == 0 {
            return Err("lookback, horizon and width must be positive".into());
        }
        if self.patch == 0 || self.patch > self.lookback {
            return Err(format!("patch {} must be in 1..={}", self.patch, self.lookback));
        }
        if self.stride == 0 {
            return Err("stride must be positive".into());
        }
        self.check_block_options()?;
        self.check_quantiles()?;
        match &self.kind {
            CoreKind::Lstm { layers } if *layers == 0 => Err("an LSTM core needs at least one layer".into()),
            CoreKind::Lstm { .. } => Ok(()),
            CoreKind::Xlstm { blocks } => {
                if let Some(c) = blocks.chars().find(|c| !matches!(c, 'm' | 's')) {
                    return Err(format!("block letter '{c}' is not 'm' or 's'"));
                }
                self.check_heads()
            }
            CoreKind::Cell { .. } => self.check_heads(),
        }
    }

    fn check_block_options(&self) -> Result<(), String> {
        for (name, rate) in [("dropout", self.dropout), ("head dropout", self.head_dropout)] {
            if !(0.0..1.0).contains(&rate) {
                return Err(format!("{name} {rate} must be in [0, 1)"));
            }
        }
        if !(1..=256).contains(&self.ffn_multiple) {
            return Err(format!("FFN multiple {} must be in 1..=256", self.ffn_multiple));
        }
        let inner = 2 * self.width; // the mLSTM block's E
        if self.qkv_blocksize > 0 && !inner.is_multiple_of(self.qkv_blocksize) {
            return Err(format!(
                "q, k, v block size {} does not divide the mLSTM inner width {inner} (2 × width)",
                self.qkv_blocksize
            ));
        }
        Ok(())
    }

    fn check_quantiles(&self) -> Result<(), String> {
        let q = &self.quantiles;
        let ascending = q.windows(2).all(|w| w[0] < w[1]) && q.iter().all(|t| *t > 0.0 && *t < 1.0);
        if !q.is_empty() && (q.len().is_multiple_of(2) || q[q.len() / 2] != 0.5 || !ascending) {
            return Err(format!(
                "quantiles {q:?} must ascend in (0, 1) with the median 0.5 in the middle"
            ));
        }
        Ok(())
    }

    fn check_heads(&self) -> Result<(), String> {
        if self.heads == 0 || !self.width.is_multiple_of(self.heads) {
            return Err(format!(
                "width {} is not a multiple of heads {}",
                self.width, self.heads
            ));
        }
        Ok(())
    }
}

/// All weights of a forecaster.
#[derive(Debug, Clone)]
pub struct ForecasterParams<F> {
    /// RevIN affine scalars.
    pub revin: RevinParams<F>,
    /// Patch embedding p·(1 + C) → D: w (D, p·(1 + C)), b (D).
    pub embed: PatchParams<F>,
    /// The recurrent core, each layer (B, T, D) → (B, T, D).
    pub layers: Vec<Layer<F>>,
    /// Final LayerNorm offsets (D).
    pub norm: NormParams<F>,
    /// Head: w (P, T·D) or (P, D), b (P).
    pub head: LinearParams<F>,
    /// Linear skip from the normalised window: w (P, L), no bias (None when disabled).
    pub skip: Option<LinearParams<F>>,
    /// Linear base on the raw window and its covariates: w (P, L·(1 + C)), b (P) (None when
    /// disabled).
    pub base: Option<LinearParams<F>>,
}

impl<F: Float> Params<F> for ForecasterParams<F> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[F])) {
        self.revin.visit(&join(prefix, "revin"), f);
        self.embed.visit(&join(prefix, "embed"), f);
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit(&join(prefix, &format!("layer{i}")), f);
        }
        self.norm.visit(&join(prefix, "norm"), f);
        self.head.visit(&join(prefix, "head"), f);
        if let Some(skip) = &self.skip {
            skip.visit(&join(prefix, "skip"), f);
        }
        if let Some(base) = &self.base {
            base.visit(&join(prefix, "base"), f);
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [F])) {
        self.revin.visit_mut(&join(prefix, "revin"), f);
        self.embed.visit_mut(&join(prefix, "embed"), f);
        for (i, layer) in self.layers.iter_mut().enumerate() {
            layer.visit_mut(&join(prefix, &format!("layer{i}")), f);
        }
        self.norm.visit_mut(&join(prefix, "norm"), f);
        self.head.visit_mut(&join(prefix, "head"), f);
        if let Some(skip) = &mut self.skip {
            skip.visit_mut(&join(prefix, "skip"), f);
        }
        if let Some(base) = &mut self.base {
            base.visit_mut(&join(prefix, "base"), f);
        }
    }
}

/// One layer of the recurrent core.
#[derive(Debug, Clone)]
pub enum Layer<F> {
    /// Classic LSTM, hidden width D (not residual, like a stacked `nn.LSTM`).
    Lstm(LstmParams<F>),
    /// mLSTM residual block.
    Mlstm(Box<MlstmBlockParams<F>>),
    /// sLSTM residual block.
    Slstm(Box<SlstmBlockParams<F>>),
    /// Bare sLSTM cell, hidden width D (not residual).
    SlstmCell(SlstmParams<F>),
    /// Bare mLSTM layer, inner width D (not residual).
    MlstmCell(MlstmLayerParams<F>),
}

impl<F: Float> Params<F> for Layer<F> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[F])) {
        match self {
            Layer::Lstm(p) => p.visit(&join(prefix, "lstm"), f),
            Layer::Mlstm(p) => p.visit(&join(prefix, "mlstm"), f),
            Layer::Slstm(p) => p.visit(&join(prefix, "slstm"), f),
            Layer::SlstmCell(p) => p.visit(&join(prefix, "slstm_cell"), f),
            Layer::MlstmCell(p) => p.visit(&join(prefix, "mlstm_cell"), f),
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [F])) {
        match self {
            Layer::Lstm(p) => p.visit_mut(&join(prefix, "lstm"), f),
            Layer::Mlstm(p) => p.visit_mut(&join(prefix, "mlstm"), f),
            Layer::Slstm(p) => p.visit_mut(&join(prefix, "slstm"), f),
            Layer::SlstmCell(p) => p.visit_mut(&join(prefix, "slstm_cell"), f),
            Layer::MlstmCell(p) => p.visit_mut(&join(prefix, "mlstm_cell"), f),
        }
    }
}

/// Cache of one core layer.
#[derive(Debug, Clone)]
enum LayerCache<F> {
    Lstm(Box<LstmCache<F>>),
    Mlstm(Box<MlstmBlockCache<F>>),
    Slstm(Box<SlstmBlockCache<F>>),
    SlstmCell(Box<SlstmCache<F>>),
    MlstmCell(Box<MlstmLayerCache<F>>),
}

fn init_layers<F: Float>(config: &ForecasterConfig, rng: &mut Rng) -> Vec<Layer<F>> {
    let d = config.width;
    match &config.kind {
        CoreKind::Lstm { layers } => (0..*layers)
            .map(|_| Layer::Lstm(LstmParams::init(d, d, rng)))
            .collect(),
        CoreKind::Xlstm { blocks } => {
            let n = blocks.len();
            let layer = |(i, c): (usize, char)| match c {
                'm' => {
                    let mut cfg = MlstmBlockConfig::new(d, config.heads);
                    cfg.conv_kernel = config.mlstm_conv_kernel();
                    cfg.qkv_blocksize = config.qkv_blocksize;
                    cfg.num_blocks = n;
                    cfg.form = MlstmForm::fastest(config.tokens(), cfg.d_inner() / config.heads);
                    Layer::Mlstm(Box::new(cfg.init(rng)))
                }
                _ => {
                    let mut cfg = SlstmBlockConfig::new(d, config.heads, i, n);
                    cfg.conv_kernel = config.conv_kernel;
                    cfg.headwise = config.headwise_gates;
                    cfg.d_ff = config.ffn_width();
                    Layer::Slstm(Box::new(slstm_block::init(&cfg, rng)))
                }
            };
            blocks.chars().enumerate().map(layer).collect()
        }
        CoreKind::Cell {
            cell: CellKind::Slstm,
        } => {
            let cfg = SlstmConfig {
                d_input: d,
                d_hidden: d,
                n_heads: config.heads,
                forget_init: ForgetInit::Linspace,
                headwise: false,
            };
            vec![Layer::SlstmCell(slstm::init(&cfg, rng))]
        }
        CoreKind::Cell {
            cell: CellKind::Mlstm { form },
        } => {
            let cfg = MlstmLayerConfig {
                d_input: d,
                d_inner: d,
                n_heads: config.heads,
                form: *form,
            };
            vec![Layer::MlstmCell(cfg.init(rng))]
        }
    }
}

fn layer_forward<F: Float>(
    layer: &Layer<F>,
    x: &Array3<F>,
    drop: &mut Dropout<'_>,
) -> (Array3<F>, LayerCache<F>) {
    match layer {
        Layer::Lstm(p) => {
            let (h, _, cache) = lstm::forward(p, x, None);
            (h, LayerCache::Lstm(Box::new(cache)))
        }
        Layer::Mlstm(p) => {
            let (y, cache) = mlstm_block::forward_train(p, x, drop);
            (y, LayerCache::Mlstm(Box::new(cache)))
        }
        Layer::Slstm(p) => {
            let (y, cache) = slstm_block::forward_train(p, x, drop);
            (y, LayerCache::Slstm(Box::new(cache)))
        }
        Layer::SlstmCell(p) => {
            let (h, _, cache) = slstm::forward(p, x, None);
            (h, LayerCache::SlstmCell(Box::new(cache)))
        }
        Layer::MlstmCell(p) => {
            let (h, cache) = mlstm_layer::forward(p, x);
            (h, LayerCache::MlstmCell(Box::new(cache)))
        }
    }
}

fn layer_backward<F: Float>(
    layer: &Layer<F>,
    cache: &LayerCache<F>,
    d_y: &Array3<F>,
    grads: &mut Layer<F>,
) -> Array3<F> {
    match (layer, cache, grads) {
        (Layer::Lstm(p), LayerCache::Lstm(c), Layer::Lstm(g)) => lstm::backward(p, c, d_y, None, g).0,
        (Layer::Mlstm(p), LayerCache::Mlstm(c), Layer::Mlstm(g)) => mlstm_block::backward(p, c, d_y, g),
        (Layer::Slstm(p), LayerCache::Slstm(c), Layer::Slstm(g)) => slstm_block::backward(p, c, d_y, g),
        (Layer::SlstmCell(p), LayerCache::SlstmCell(c), Layer::SlstmCell(g)) => {
            slstm::backward(p, c, d_y, None, g).0
        }
        (Layer::MlstmCell(p), LayerCache::MlstmCell(c), Layer::MlstmCell(g)) => {
            mlstm_layer::backward(p, c, d_y, g)
        }
        _ => unreachable!("gradient and cache layouts follow the parameters"),
    }
}

/// Initialise a forecaster (`xlstm-math.md` §4; RevIN identity, LN offsets zero, head with the
/// PyTorch-default scale √(1/(3·fan_in)) and zero bias).
pub fn init<F: Float>(config: &ForecasterConfig, seed: u64) -> ForecasterParams<F> {
    let mut rng = Rng::new(seed);
    let embed = patch::init(&config.geometry(), config.width, &mut rng);
    let layers = init_layers(config, &mut rng);
    let fan_in = config.head_inputs();
    // With a linear base the head starts at zero: the untrained model is the base exactly.
    let head_std = if config.base {
        0.0
    } else {
        (1.0 / (3.0 * fan_in as f64)).sqrt()
    };
    ForecasterParams {
        revin: RevinParams::init(),
        embed,
        layers,
        norm: NormParams::new(config.width),
        head: LinearParams::init(fan_in, config.outputs(), true, head_std, &mut rng),
        // zero start: the model begins at the window mean and learns the linear part first
        skip: config
            .linear_skip
            .then(|| LinearParams::init(config.lookback, config.horizon, false, 0.0, &mut rng)),
        // zeros until the caller sets it from a fitted baseline (`set_base`)
        base: config
            .base
            .then(|| LinearParams::init(config.input_width(), config.horizon, true, 0.0, &mut rng)),
    }
}

/// A linear base forecast y = w x + b over the lookback window (and its covariate channels), in
/// the standardised units the network sees: w (P, L·(1 + C)), b (P). Any affine baseline (naive, seasonal naive, Linear, NLinear,
/// DLinear) is one; `crate::baseline::Baseline::affine` turns a fitted baseline into this form.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearBase {
    /// Weights, (P, L·(1 + C)).
    pub w: Array2<f64>,
    /// Intercepts, (P).
    pub b: ndarray::Array1<f64>,
}

/// Set the linear base to the affine map `w` (P, L), `b` (P) (for example a ridge NLinear fitted
/// in closed form); does nothing when the model has no base.
pub fn set_base<F: Float>(params: &mut ForecasterParams<F>, w: &Array2<f64>, b: &ndarray::Array1<f64>) {
    if let Some(base) = params.base.as_mut() {
        debug_assert_eq!(base.w.dim(), w.dim(), "set_base: (P, L)");
        base.w.zip_mut_with(w, |d, &s| *d = super::cast(s));
        base.b.zip_mut_with(b, |d, &s| *d = super::cast(s));
    }
}

/// What [`backward`] needs.
#[derive(Debug, Clone)]
pub struct ForecasterCache<F> {
    revin: RevinCache<F>,
    embed: PatchCache<F>,
    layers: Vec<LayerCache<F>>,
    norm: NormCache<F>,
    /// Head input rows, (B, T·D) or (B, D) (after dropout in a training pass).
    head_in: Array2<F>,
    /// Dropout mask on the head input, in training passes with head dropout.
    head_mask: Option<Array2<F>>,
    /// Head output in normalised units ŷ, (B, P) or (B, Q·P) (median block, then spreads).
    y_hat: Array2<F>,
    /// The normalised window x̂ (B, L), kept when the linear skip is on.
    x_hat: Option<Array2<F>>,
    /// The raw window x (B, L·(1 + C)), kept when the model has a linear base.
    x: Option<Array2<F>>,
}

/// What the core reads of `inputs` (B, (E + L)·(1 + C)): the last L steps of the target and of
/// every channel, (B, L·(1 + C)); `inputs` itself when nothing is cropped.
fn core_inputs<'a, F: Float>(config: &ForecasterConfig, inputs: ArrayView2<'a, F>) -> CowArray<'a, F, Ix2> {
    if config.crop == 0 {
        return CowArray::from(inputs);
    }
    let (e, l) = (config.crop, config.lookback);
    let mut core = Array2::zeros((inputs.nrows(), config.core_width())); // (B, L·(1 + C))
    for c in 0..=config.covariates {
        let from = c * (e + l) + e;
        core.slice_mut(ndarray::s![.., c * l..(c + 1) * l])
            .assign(&inputs.slice(ndarray::s![.., from..from + l]));
    }
    CowArray::from(core)
}

/// The embedding's input: the normalised target window `x_hat` (B, L) followed by the covariate
/// channels of `inputs` (B, L·(1 + C)), which RevIN leaves alone (they are standardised by their
/// training statistics already); `x_hat` itself without covariates.
fn embedding_input<F: Float>(
    config: &ForecasterConfig,
    x_hat: &Array2<F>,
    inputs: ArrayView2<F>,
) -> Option<Array2<F>> {
    if config.covariates == 0 {
        return None;
    }
    let mut all = Array2::zeros((x_hat.nrows(), config.core_width())); // (B, L·(1 + C))
    all.slice_mut(ndarray::s![.., ..config.lookback]).assign(x_hat);
    all.slice_mut(ndarray::s![.., config.lookback..])
        .assign(&inputs.slice(ndarray::s![.., config.lookback..]));
    Some(all)
}

/// Forecast `inputs` (B, L·(1 + C)) → (B, P) in the units of the inputs (no dropout).
pub fn forward<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    inputs: ArrayView2<F>,
) -> (Array2<F>, ForecasterCache<F>) {
    forward_with(params, config, inputs, &mut Dropout::off())
}

/// The training pass of [`forward`]: the configured dropout, masks drawn from `masks` (the same
/// generator state gives the same masks). Without dropout it is [`forward`], bit for bit.
pub fn forward_train<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    inputs: ArrayView2<F>,
    masks: &mut Rng,
) -> (Array2<F>, ForecasterCache<F>) {
    forward_with(params, config, inputs, &mut Dropout::new(config.dropout, masks))
}

fn forward_with<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    inputs: ArrayView2<F>,
    drop: &mut Dropout<'_>,
) -> (Array2<F>, ForecasterCache<F>) {
    let core = core_inputs(config, inputs); // (B, L·(1 + C))
    let target = core.slice(ndarray::s![.., ..config.lookback]); // (B, L)
    let (x_hat, revin_cache) = revin::normalise(&params.revin, target); // (B, L)
    let embedded = embedding_input(config, &x_hat, core.view()); // (B, L·(1 + C))
    let (tokens, embed) = patch::forward(
        &params.embed,
        &config.geometry(),
        embedded.as_ref().unwrap_or(&x_hat).view(),
    ); // (B, T, D)
    let mut hidden = tokens; // (B, T, D)
    let mut layers = Vec::with_capacity(params.layers.len());
    for layer in &params.layers {
        let (next, cache) = layer_forward(layer, &hidden, drop);
        hidden = next;
        layers.push(cache);
    }
    let mut head_drop = drop.with_rate(config.head_dropout);
    let (head_in, head_mask, norm, y_hat) = read_out(params, config, &hidden, x_hat.view(), &mut head_drop);
    let y = output(params, config, &revin_cache, y_hat.view(), inputs); // (B, P) or (B, Q·P)
    (
        y,
        ForecasterCache {
            revin: revin_cache,
            embed,
            layers,
            norm,
            head_in,
            head_mask,
            y_hat,
            x_hat: params.skip.as_ref().map(|_| x_hat),
            x: params.base.as_ref().map(|_| inputs.to_owned()),
        },
    )
}

/// From the core's output `hidden` (B, T, D) to ŷ (B, P) in normalised units: LayerNorm, head
/// dropout (`drop`, training passes), head and the linear skip from `x_hat` (B, L). Returns the
/// head input (B, T·D) or (B, D), its dropout mask, the norm cache and ŷ. LayerNorm is per
/// token, so with the last-state head only the last token is normalised.
fn read_out<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    hidden: &Array3<F>,
    x_hat: ArrayView2<F>,
    drop: &mut Dropout<'_>,
) -> (Array2<F>, Option<Array2<F>>, NormCache<F>, Array2<F>) {
    let b = hidden.dim().0;
    let (mut head_in, norm) = match config.head {
        HeadKind::Flatten => {
            let (h, norm) = norm::layer_norm(&params.norm, hidden); // (B, T, D)
            let h = h
                .into_shape_with_order((b, config.head_inputs()))
                .expect("contiguous");
            (h, norm) // (B, T·D)
        }
        HeadKind::Last => {
            let last = hidden.index_axis(Axis(1), config.tokens() - 1).to_owned(); // (B, D)
            norm::layer_norm(&params.norm, &last)
        }
    };
    let head_mask = drop.apply(&mut head_in);
    let mut y_hat = linear::apply(&params.head, head_in.view()); // (B, P) or (B, Q·P)
    if let Some(skip) = &params.skip {
        // the skip forecasts the point (or median) block only
        let mut point = y_hat.slice_mut(ndarray::s![.., ..config.horizon]); // (B, P)
        point += &linear::apply(skip, x_hat);
    }
    (head_in, head_mask, norm, y_hat)
}

/// The forecast in data units from the head's ŷ: RevIN⁻¹ of the point, or with a linear base
/// y = base(x) + ((ŷ − β)/γ)·σ (the correction carries the window's scale, not its mean); with
/// quantiles that point is the median and the other quantiles step out from it by the window's
/// scale ([`quantile::forward`]), so the base moves every quantile alike. `inputs` is the raw
/// window x (B, L·(1 + C)).
fn output<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    revin_cache: &RevinCache<F>,
    y_hat: ArrayView2<F>,
    inputs: ArrayView2<F>,
) -> Array2<F> {
    let p = config.horizon;
    let mut point = revin::denormalise(&params.revin, revin_cache, y_hat.slice(ndarray::s![.., ..p])); // (B, P)
    if let Some(base) = &params.base {
        for (mut row, &mu) in point.rows_mut().into_iter().zip(&revin_cache.mu) {
            row.mapv_inplace(|v| v - mu);
        }
        point += &linear::apply(base, inputs);
    }
    if config.quantiles.is_empty() {
        return point;
    }
    let spreads = y_hat.slice(ndarray::s![.., p..]); // (B, (Q − 1)·P)
    quantile::forward(point.view(), spreads, revin_cache.sigma.view()) // (B, Q·P)
}

/// Backward of [`output`]: adds the gradients of RevIN and of the base into `grads` and returns
/// δŷ (like ŷ).
fn output_backward<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    cache: &ForecasterCache<F>,
    d_out: ArrayView2<F>,
    grads: &mut ForecasterParams<F>,
) -> Array2<F> {
    let p = config.horizon;
    let point_hat = cache.y_hat.slice(ndarray::s![.., ..p]); // (B, P)
    let spreads = cache.y_hat.slice(ndarray::s![.., p..]); // (B, (Q − 1)·P)
    let (d_point, d_spreads) = if config.quantiles.is_empty() {
        (d_out.to_owned(), None)
    } else {
        let (d_median, d_spreads) = quantile::backward(spreads, cache.revin.sigma.view(), d_out);
        (d_median, Some(d_spreads)) // (B, P), (B, (Q − 1)·P)
    };
    if let (Some(base), Some(x), Some(g)) = (&params.base, &cache.x, grads.base.as_mut()) {
        linear::backward_with_input(base, x.view(), d_point.view(), g); // the window is data: its d_x is dropped
    }
    let d_point_hat = revin::denormalise_backward(
        &params.revin,
        &cache.revin,
        point_hat,
        d_point.view(),
        &mut grads.revin,
    ); // (B, P)
    let Some(d_spreads) = d_spreads else {
        return d_point_hat;
    };
    let mut d_y_hat = Array2::zeros(cache.y_hat.dim()); // (B, Q·P)
    d_y_hat.slice_mut(ndarray::s![.., ..p]).assign(&d_point_hat);
    d_y_hat.slice_mut(ndarray::s![.., p..]).assign(&d_spreads);
    d_y_hat
}

/// Forecast `inputs` (B, L) → (B, P) for inference: the same function as [`forward`], with the
/// patch embedding folded into the first core layer when that layer starts with a dense input
/// map (LSTM, bare sLSTM, bare mLSTM layer) and the patch is narrower than the model:
///
/// ```text
/// W_x (x_p W_eᵀ + b_e) + b = x_p (W_x W_e)ᵀ + (W_x b_e + b)      W_x W_e: (rows, p) instead of (rows, D)
/// ```
/// so the first layer's input projection reads the p patch values instead of the D-wide tokens
/// (p = 1 in the bench: the projection of every step shrinks from D·rows to rows multiply-adds).
/// The embedding becomes the identity on patches. Equal to [`forward`] up to rounding (tested).
/// LSTM layers and the bare cells run their cache-free inference paths ([`lstm::infer`],
/// [`slstm::infer`], [`mlstm_layer::infer`]).
pub fn predict<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    inputs: ArrayView2<F>,
) -> Array2<F> {
    let folded = fold_embedding(params, config);
    let params = folded.as_ref().unwrap_or(params);
    let core = core_inputs(config, inputs); // (B, L·(1 + C))
    let target = core.slice(ndarray::s![.., ..config.lookback]); // (B, L)
    let (x_hat, revin_cache) = revin::normalise(&params.revin, target); // (B, L)
    let embedded = embedding_input(config, &x_hat, core.view()); // (B, L·(1 + C))
    let (mut hidden, _) = patch::forward(
        &params.embed,
        &config.geometry(),
        embedded.as_ref().unwrap_or(&x_hat).view(),
    ); // (B, T, D)
    for layer in &params.layers {
        hidden = match layer {
            Layer::Lstm(p) => lstm::infer(p, &hidden),
            Layer::SlstmCell(p) => slstm::infer(p, &hidden),
            Layer::MlstmCell(p) => mlstm_layer::infer(p, &hidden),
            _ => layer_forward(layer, &hidden, &mut Dropout::off()).0,
        };
    }
    let (_, _, _, y_hat) = read_out(params, config, &hidden, x_hat.view(), &mut Dropout::off());
    output(params, config, &revin_cache, y_hat.view(), inputs) // (B, P) or (B, Q·P)
}

/// The parameters with the embedding folded into layer 0 (see [`predict`]), when that applies.
pub(crate) fn fold_embedding<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
) -> Option<ForecasterParams<F>> {
    let (w_e, b_e) = (&params.embed.w, &params.embed.b); // (D, p), (D)
    let p = w_e.ncols();
    if p >= w_e.nrows() {
        return None;
    }
    // (W, b) of a dense input map (rows, D) → (W W_e, W b_e + b)
    let fold = |w: &Array2<F>, b: &ndarray::Array1<F>| (w.dot(w_e), w.dot(b_e) + b);
    let first = match params.layers.first()? {
        Layer::Lstm(l) => {
            let (w_x, b) = fold(&l.w_x, &l.b);
            Layer::Lstm(LstmParams { w_x, b, ..l.clone() })
        }
        Layer::SlstmCell(l) => {
            let (w_x, b) = fold(&l.w_x, &l.b);
            Layer::SlstmCell(SlstmParams { w_x, b, ..l.clone() })
        }
        Layer::MlstmCell(l) => {
            let (w, b) = fold(&l.w, &l.b);
            let mut cfg = l.cfg.clone();
            cfg.d_input = p;
            Layer::MlstmCell(MlstmLayerParams { cfg, w, b })
        }
        _ => return None,
    };
    let mut folded = params.clone();
    folded.embed = LinearParams {
        w: Array2::eye(p),
        b: ndarray::Array1::zeros(p),
    };
    folded.layers[0] = first;
    debug_assert_eq!(
        folded.embed.d_in(),
        config.geometry().patch_width(),
        "fold: patch width"
    );
    Some(folded)
}

/// Backward for the upstream gradient `d_out` (B, P); adds every parameter gradient into `grads`.
pub fn backward<F: Float>(
    params: &ForecasterParams<F>,
    config: &ForecasterConfig,
    cache: &ForecasterCache<F>,
    d_out: ArrayView2<F>,
    grads: &mut ForecasterParams<F>,
) {
    let b = d_out.nrows();
    let (t, d) = (config.tokens(), config.width);
    let d_y_hat = output_backward(params, config, cache, d_out, grads); // like ŷ
    let mut d_head_in = linear::backward_with_input(
        &params.head,
        cache.head_in.view(),
        d_y_hat.view(),
        &mut grads.head,
    );
    if let Some(mask) = &cache.head_mask {
        d_head_in *= mask; // dropout backward
    }
    let d_hidden = match config.head {
        HeadKind::Flatten => {
            let d_h = d_head_in.into_shape_with_order((b, t, d)).expect("contiguous");
            norm::backward(&params.norm, &cache.norm, &d_h, &mut grads.norm) // (B, T, D)
        }
        HeadKind::Last => {
            let d_last = norm::backward(&params.norm, &cache.norm, &d_head_in, &mut grads.norm); // (B, D)
            let mut d_hidden = Array3::zeros((b, t, d)); // (B, T, D)
            d_hidden.index_axis_mut(Axis(1), t - 1).assign(&d_last);
            d_hidden
        }
    };
    let mut d_tokens = d_hidden; // (B, T, D)
    for ((layer, cache), g) in params
        .layers
        .iter()
        .zip(&cache.layers)
        .zip(grads.layers.iter_mut())
        .rev()
    {
        d_tokens = layer_backward(layer, cache, &d_tokens, g);
    }
    let d_embedded = patch::backward(
        &params.embed,
        &config.geometry(),
        &cache.embed,
        d_tokens.view(),
        &mut grads.embed,
    ); // (B, L·(1 + C)); the covariates are data: their part is dropped
    let mut d_x_hat = d_embedded.slice(ndarray::s![.., ..config.lookback]).to_owned(); // (B, L)
    if let (Some(skip), Some(x_hat), Some(g)) = (&params.skip, &cache.x_hat, grads.skip.as_mut()) {
        let d_point = d_y_hat.slice(ndarray::s![.., ..config.horizon]); // (B, P)
        d_x_hat += &linear::backward_with_input(skip, x_hat.view(), d_point, g);
    }
    revin::normalise_backward(&cache.revin, d_x_hat.view(), &mut grads.revin);
}

/// Copy every value of `src` into `dst` (same tensor list, possibly another float type).
pub fn convert<F: Float, G: Float, P: Params<F>, Q: Params<G>>(src: &P, mut dst: Q) -> Q {
    let mut flat = Vec::new();
    src.visit("", &mut |_, vals| {
        flat.extend(vals.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)))
    });
    let mut off = 0;
    dst.visit_mut("", &mut |_, vals| {
        debug_assert!(
            off + vals.len() <= flat.len(),
            "convert: parameter layouts differ"
        );
        vals.iter_mut()
            .zip(&flat[off..])
            .for_each(|(d, &s)| *d = super::cast(s));
        off += vals.len();
    });
    debug_assert_eq!(off, flat.len(), "convert: parameter layouts differ");
    dst
}

/// Every tensor as `(dotted name, values in f64)`, in visit order (for the model file).
pub fn params_to_named<F: Float>(params: &ForecasterParams<F>) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    params.visit("", &mut |name, vals| {
        out.push((
            name.to_string(),
            vals.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect(),
        ))
    });
    out
}

/// Rebuild the parameters of `config` from [`params_to_named`] output; names, order and lengths
/// must match exactly, and every value must be finite.
pub fn load_named<F: Float>(
    config: &ForecasterConfig,
    named: &[(String, Vec<f64>)],
) -> Result<ForecasterParams<F>, String> {
    config.validate()?;
    let mut params: ForecasterParams<F> = init(config, 0);
    let mut expected = Vec::new();
    params.visit("", &mut |name, vals| {
        expected.push((name.to_string(), vals.len()))
    });
    if expected.len() != named.len() {
        return Err(format!(
            "the model has {} weight tensors, the file has {}",
            expected.len(),
            named.len()
        ));
    }
    for ((name, len), (got_name, vals)) in expected.iter().zip(named) {
        if name != got_name {
            return Err(format!("expected weight tensor '{name}', found '{got_name}'"));
        }
        if *len != vals.len() {
            return Err(format!(
                "weight tensor '{name}' has {} values, expected {len}",
                vals.len()
            ));
        }
        if vals.iter().any(|v| !v.is_finite()) {
            return Err(format!("weight tensor '{name}' has a non-finite value"));
        }
    }
    let mut k = 0;
    params.visit_mut("", &mut |_, vals| {
        vals.iter_mut()
            .zip(&named[k].1)
            .for_each(|(d, &s)| *d = super::cast(s));
        k += 1;
    });
    Ok(params)
}

#[cfg(test)]
#[path = "forecaster_tests.rs"]
pub(crate) mod tests;

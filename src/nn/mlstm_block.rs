//! The mLSTM block ("pre up-projection", `xlstm-math.md` §3.3) with forward and backward.
//!
//! ```text
//! x_n = LN(x)                                   (B, T, D)
//! [x_m, z] = x_n W_upᵀ                          (B, T, 2E), E = proj_factor·D
//! x_c = SiLU(causal depthwise conv_K(x_m))      (B, T, E); K = 0: x_c = SiLU(x_m)
//! [q, k] = x_c W_qkᵀ,  v = x_m W_vᵀ             dense E×E, or head-wise blocks of `qkv_blocksize`
//! [ĩ, f̃] = concat(q, k, v) W_gᵀ + b_g           (B, T, 2·NH)
//! h̃ = mLSTM cell(q, k, v, ĩ, f̃)                parallel or recurrent form, empty initial state
//! h_s = GroupNorm_NH(h̃) + s ⊙ x_c               learnable skip s (E)
//! y = x + dropout((h_s ⊙ SiLU(z)) W_downᵀ)      (B, T, D); dropout only in training passes
//! ```
//! No biases except the conv's and the gates'; widths are not rounded to 64. The head-wise
//! q, k, v projections (the official `qkv_proj_blocksize = 4`) store (2E, b) and (E, b) weights:
//! output unit u reads the b inputs of its block only (`headwise.rs`). Initialisation per §4. The backward pass runs the same chain in reverse and adds into the
//! gradient struct; derivation in `docs/derivations/mlstm.md` §7.
//!
//! Public API: [`MlstmBlockConfig::new`]`(d_model, nh)` (then adjust fields),
//! [`MlstmBlockConfig::init`]`(&mut rng) -> MlstmBlockParams`; [`forward`]`(&p, &x) -> (y, cache)`
//! (evaluation) or [`forward_train`]`(&p, &x, &mut dropout)`;
//! [`backward`]`(&p, &cache, &d_y, &mut grads) -> d_x`, with `grads = nn::zeros_like(&p)`.

use super::activation::{silu, silu_grad};
use super::conv::{self, ConvCache, ConvParams};
use super::dropout::{self, Dropout};
use super::headwise;
use super::linear::{self, cols3, rows, LinearParams};
use super::mlstm::{MlstmCell, MlstmInput, MlstmState, RecurrentCache, EPS};
use super::mlstm_chunkwise::{chunk_for, ChunkwiseCache};
use super::mlstm_parallel::ParallelCache;
use super::norm::{self, NormCache, NormParams};
use super::rng::Rng;
use super::{cast, join, Float, Params};
use ndarray::{s, Array1, Array2, Array3, Axis, Zip};

/// Which form of the cell the block runs (same outputs and gradients up to rounding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MlstmForm {
    /// O(T·d²) per head, cache B·NH·T·d² (C at every step).
    Recurrent,
    /// O(T²·d) per head, cache B·NH·T² (full masked T×T products).
    Parallel,
    /// Recurrent between chunks of `chunk` steps, parallel inside: O(T·(chunk·d + d²)) per head,
    /// cache B·NH·(T·2·chunk + (T/chunk)·d²) (`mlstm_chunkwise.rs`).
    Chunkwise {
        /// Steps per chunk.
        chunk: usize,
    },
}

impl MlstmForm {
    /// The fastest form for `t_len` steps of head width `d`, as measured (forward and backward
    /// of a training shard, `cargo bench --bench training_timing -- mlstm_forms`, in
    /// `docs/performance.md`): the parallel form while T ≤ 2d (its T×T products run through the
    /// packed GEMM kernel and cost little at such T), the chunkwise form with chunks of
    /// [`chunk_for`]`(d)` beyond (linear in T; the parallel form is quadratic and the recurrent
    /// one reads a d×d matrix per step back in the backward pass).
    pub fn fastest(t_len: usize, d: usize) -> MlstmForm {
        if t_len <= 2 * d {
            MlstmForm::Parallel
        } else {
            MlstmForm::Chunkwise { chunk: chunk_for(d) }
        }
    }

    /// Floats the cell caches per (window, head) for `t_len` steps of head width `d`, beside the
    /// inputs and outputs: C at every step (recurrent), three T×T matrices (parallel), two T×chunk
    /// matrices and C once per chunk (chunkwise). For memory estimates.
    pub fn cache_floats_per_head(self, t_len: usize, d: usize) -> f64 {
        let (t, d2) = (t_len as f64, (d * d) as f64);
        match self {
            MlstmForm::Recurrent => (t + 1.0) * (d2 + d as f64),
            MlstmForm::Parallel => 3.0 * t * t,
            MlstmForm::Chunkwise { chunk } => {
                let chunk = chunk.clamp(1, t_len.max(1)) as f64;
                2.0 * t * chunk + ((t / chunk).ceil() + 1.0) * (d2 + d as f64)
            }
        }
    }

    /// Run `cell` over `x` from the empty state in this form: h̃ (B, T, E) and the cache.
    pub(crate) fn forward<F: Float>(self, cell: &MlstmCell, x: &MlstmInput<F>) -> (Array3<F>, CellCache<F>) {
        let (b, _, e) = x.q.dim();
        let empty = || MlstmState::zeros(b, cell.nh, e / cell.nh);
        match self {
            MlstmForm::Recurrent => {
                let (h, _, c) = cell.forward_recurrent(x, &empty());
                (h, CellCache::Recurrent(c))
            }
            MlstmForm::Parallel => {
                let (h, c) = cell.forward_parallel(x);
                (h, CellCache::Parallel(c))
            }
            MlstmForm::Chunkwise { chunk } => {
                let (h, _, c) = cell.forward_chunkwise(x, &empty(), chunk);
                (h, CellCache::Chunkwise(c))
            }
        }
    }
}

/// Sizes and options of one mLSTM block.
#[derive(Clone, Debug, PartialEq)]
pub struct MlstmBlockConfig {
    /// Model width D.
    pub d_model: usize,
    /// Heads NH (E must be a multiple of NH).
    pub nh: usize,
    /// E = proj_factor·D (official 2).
    pub proj_factor: usize,
    /// Causal conv kernel K (official 4); 0: no conv, x_c = SiLU(x_m).
    pub conv_kernel: usize,
    /// Block size b of the head-wise q, k, v projections (official 4; E must be a multiple);
    /// 0: dense E×E projections.
    pub qkv_blocksize: usize,
    /// Number of blocks in the stack (scales the "wang" init of the down-projection).
    pub num_blocks: usize,
    /// Cell form.
    pub form: MlstmForm,
    /// ε of the cell normaliser (official [`EPS`]).
    pub eps: f64,
}

impl MlstmBlockConfig {
    /// Official defaults for width `d_model` and `nh` heads: E = 2D, K = 4, parallel form (the
    /// forecaster sets the [fastest](MlstmForm::fastest) form for its sequence length); dense
    /// q, k, v projections (set `qkv_blocksize` to 4 for the official head-wise ones).
    pub fn new(d_model: usize, nh: usize) -> Self {
        MlstmBlockConfig {
            d_model,
            nh,
            proj_factor: 2,
            conv_kernel: 4,
            qkv_blocksize: 0,
            num_blocks: 1,
            form: MlstmForm::Parallel,
            eps: EPS,
        }
    }

    /// Inner width E.
    pub fn d_inner(&self) -> usize {
        self.proj_factor * self.d_model
    }

    /// Official initialisation (§4): LN/GroupNorm offsets 0; up, q, k, v ~ N(0, 2/(5D));
    /// conv PyTorch default; gate weights 0, input-gate bias N(0, 0.1²), forget-gate bias
    /// linspace(3, 6) over heads; skip ones; down ~ N(0, (2/(num_blocks·√D))²).
    pub fn init<F: Float>(&self, rng: &mut Rng) -> MlstmBlockParams<F> {
        let (d, e, nh) = (self.d_model, self.d_inner(), self.nh);
        assert!(
            nh > 0 && e % nh == 0,
            "mLSTM block: E = {e} is not a multiple of NH = {nh}"
        );
        let block = self.qkv_blocksize;
        assert!(
            block == 0 || e % block == 0,
            "mLSTM block: E = {e} is not a multiple of the q, k, v block size {block}"
        );
        let small = (2.0 / (5.0 * d as f64)).sqrt();
        let wang = 2.0 / (self.num_blocks.max(1) as f64 * (d as f64).sqrt());
        let up = LinearParams::init(d, 2 * e, false, small, rng);
        let conv = match self.conv_kernel {
            0 => ConvParams::none(e),
            k => ConvParams::init(e, k, rng),
        };
        // dense (O, E) or head-wise (O, b): output u reads input block u / b only
        let reads = if block == 0 { e } else { block };
        let qk = LinearParams::init(reads, 2 * e, false, small, rng);
        let v = LinearParams::init(reads, e, false, small, rng);
        let mut gates = LinearParams::init(3 * e, 2 * nh, true, 0.0, rng);
        for h in 0..nh {
            gates.b[h] = cast(0.1 * rng.normal());
            let frac = if nh > 1 { h as f64 / (nh - 1) as f64 } else { 0.0 };
            gates.b[nh + h] = cast(3.0 + 3.0 * frac);
        }
        MlstmBlockParams {
            cfg: self.clone(),
            norm: NormParams::new(d),
            up,
            conv,
            qk,
            v,
            gates,
            out_norm: NormParams::new(e),
            skip: Array1::ones(e),
            down: LinearParams::init(e, d, false, wang, rng),
        }
    }
}

/// Parameters of one block (gradients use the same type). `cfg` is carried along, not trained.
#[derive(Clone, Debug)]
pub struct MlstmBlockParams<F> {
    /// Sizes and options.
    pub cfg: MlstmBlockConfig,
    /// Pre-LayerNorm, w (D).
    pub norm: NormParams<F>,
    /// Up-projection, w (2E, D), no bias; rows 0..E give x_m, E..2E give z.
    pub up: LinearParams<F>,
    /// Causal depthwise conv, w (E, K), b (E); both empty when K = 0.
    pub conv: ConvParams<F>,
    /// q and k projections in one map, no bias; rows 0..E give q, E..2E k. Dense, w (2E, E), or
    /// head-wise, w (2E, b) (`headwise.rs`).
    pub qk: LinearParams<F>,
    /// v projection, no bias: dense w (E, E) or head-wise w (E, b).
    pub v: LinearParams<F>,
    /// Gate pre-activations from concat(q, k, v), w (2NH, 3E), b (2NH); rows 0..NH give ĩ.
    pub gates: LinearParams<F>,
    /// Head-wise GroupNorm on the cell output, w (E).
    pub out_norm: NormParams<F>,
    /// Learnable skip s.
    pub skip: Array1<F>, // (E)
    /// Down-projection, w (D, E), no bias.
    pub down: LinearParams<F>,
}

impl<F: Float> Params<F> for MlstmBlockParams<F> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[F])) {
        self.norm.visit(&join(prefix, "norm"), f);
        self.up.visit(&join(prefix, "up"), f);
        self.conv.visit(&join(prefix, "conv"), f);
        self.qk.visit(&join(prefix, "qk"), f);
        self.v.visit(&join(prefix, "v"), f);
        self.gates.visit(&join(prefix, "gates"), f);
        self.out_norm.visit(&join(prefix, "out_norm"), f);
        f(&join(prefix, "skip"), self.skip.as_slice().expect("contiguous"));
        self.down.visit(&join(prefix, "down"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [F])) {
        self.norm.visit_mut(&join(prefix, "norm"), f);
        self.up.visit_mut(&join(prefix, "up"), f);
        self.conv.visit_mut(&join(prefix, "conv"), f);
        self.qk.visit_mut(&join(prefix, "qk"), f);
        self.v.visit_mut(&join(prefix, "v"), f);
        self.gates.visit_mut(&join(prefix, "gates"), f);
        self.out_norm.visit_mut(&join(prefix, "out_norm"), f);
        f(
            &join(prefix, "skip"),
            self.skip.as_slice_mut().expect("contiguous"),
        );
        self.down.visit_mut(&join(prefix, "down"), f);
    }
}

/// The cell's cache in whichever form ran. (One per block and batch: the size difference between
/// the variants, a few array headers, does not matter.)
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum CellCache<F> {
    Recurrent(RecurrentCache<F>),
    Parallel(ParallelCache<F>),
    Chunkwise(ChunkwiseCache<F>),
}

impl<F: Float> CellCache<F> {
    /// Distance of the cell's normaliser from its kink (see [`super::mlstm::kink_margin`]).
    pub(crate) fn kink_margin(&self) -> (f64, f64) {
        match self {
            CellCache::Recurrent(c) => c.kink_margin(),
            CellCache::Parallel(c) => c.kink_margin(),
            CellCache::Chunkwise(c) => c.kink_margin(),
        }
    }

    /// The backward pass of the form that made this cache: the gradient of the cell inputs `x`
    /// for the upstream `d_h` (B, T, E).
    pub(crate) fn backward(&self, cell: &MlstmCell, x: &MlstmInput<F>, d_h: &Array3<F>) -> MlstmInput<F> {
        match self {
            CellCache::Recurrent(c) => cell.backward_recurrent(x, c, d_h).0,
            CellCache::Parallel(c) => cell.backward_parallel(x, c, d_h),
            CellCache::Chunkwise(c) => cell.backward_chunkwise(x, c, d_h).0,
        }
    }
}

/// What [`backward`] needs.
#[derive(Clone, Debug)]
pub struct MlstmBlockCache<F> {
    norm: NormCache<F>,
    /// LN output.
    x_n: Array3<F>, // (B, T, D)
    /// Conv cache; it keeps x_m (B, T, E), also the input of the v projection.
    conv: ConvCache<F>,
    /// Conv output before SiLU.
    x_conv: Array3<F>, // (B, T, E)
    /// SiLU(conv(x_m)).
    x_c: Array3<F>, // (B, T, E)
    /// Output-gate branch.
    z: Array3<F>, // (B, T, E)
    /// concat(q, k, v), the gate input.
    gate_in: Array2<F>, // (B·T, 3E)
    /// The cell inputs q, k, v (B, T, E), ĩ, f̃ (B, T, NH).
    cell_in: MlstmInput<F>,
    cell: CellCache<F>,
    out_norm: NormCache<F>,
    /// GroupNorm(h̃) + s ⊙ x_c.
    h_s: Array3<F>, // (B, T, E)
    /// h_s ⊙ SiLU(z), the input of the down-projection.
    y_g: Array3<F>, // (B, T, E)
    /// Dropout mask on the down-projection's output, in training passes with dropout.
    drop_mask: Option<Array3<F>>, // (B, T, D)
}

impl<F: Float> MlstmBlockCache<F> {
    /// Distance of the cell's normaliser from its kink (see [`super::mlstm::kink_margin`]).
    pub fn kink_margin(&self) -> (f64, f64) {
        self.cell.kink_margin()
    }
}

/// (B, T, W_i) tensors side by side as one (B·T, ΣW_i) matrix.
fn concat_rows<F: Float>(parts: &[&Array3<F>]) -> Array2<F> {
    let views: Vec<_> = parts.iter().map(|p| rows(p)).collect();
    ndarray::concatenate(Axis(1), &views).expect("same number of rows")
}

/// [`concat_rows`] in standard (row-major) layout, for the head-wise maps, which read rows as
/// slices (`concatenate` along columns returns a column-major matrix, which the GEMMs read as
/// fast, and changing their operands' layout would change their rounding).
fn concat_rows_standard<F: Float>(parts: &[&Array3<F>]) -> Array2<F> {
    let n = parts.first().map_or(0, |p| p.dim().0 * p.dim().1);
    let width = parts.iter().map(|p| p.dim().2).sum();
    let mut out = Array2::zeros((n, width)); // (B·T, Σ W)
    let mut start = 0;
    for part in parts {
        let w = part.dim().2;
        out.slice_mut(s![.., start..start + w]).assign(&rows(part));
        start += w;
    }
    out
}

fn to3<F: Float>(a: Array2<F>, (b, t): (usize, usize)) -> Array3<F> {
    let w = a.ncols();
    a.into_shape_with_order((b, t, w)).expect("contiguous")
}

/// Forward over `x` (B, T, D) → y (B, T, D), from the empty cell state (no dropout).
pub fn forward<F: Float>(p: &MlstmBlockParams<F>, x: &Array3<F>) -> (Array3<F>, MlstmBlockCache<F>) {
    forward_train(p, x, &mut Dropout::off())
}

/// [`forward`] with `drop` applied to the down-projection's output (a training pass).
pub fn forward_train<F: Float>(
    p: &MlstmBlockParams<F>,
    x: &Array3<F>,
    drop: &mut Dropout<'_>,
) -> (Array3<F>, MlstmBlockCache<F>) {
    let (b, t, _) = x.dim();
    let (e, nh) = (p.cfg.d_inner(), p.cfg.nh);
    let (x_n, norm_cache) = norm::forward(&p.norm, &x.as_standard_layout().into_owned(), 1);
    let up = linear::apply(&p.up, rows(&x_n)); // (B·T, 2E)
    let (x_m, z) = (cols3(&up, (0, e), (b, t)), cols3(&up, (e, 2 * e), (b, t)));
    let (x_conv, conv_cache) = conv::forward(&p.conv, &x_m);
    let x_c = x_conv.mapv(silu);
    let qk = headwise::apply(&p.qk, rows(&x_c)); // (B·T, 2E)
    let v = to3(headwise::apply(&p.v, rows(&x_m)), (b, t)); // (B, T, E)
    let (q, k) = (cols3(&qk, (0, e), (b, t)), cols3(&qk, (e, 2 * e), (b, t)));
    let gate_in = concat_rows(&[&q, &k, &v]);
    let gates = linear::apply(&p.gates, gate_in.view()); // (B·T, 2NH)
    let (i_pre, f_pre) = (
        cols3(&gates, (0, nh), (b, t)),
        cols3(&gates, (nh, 2 * nh), (b, t)),
    );
    let cell_in = MlstmInput {
        q,
        k,
        v,
        i_pre,
        f_pre,
    };
    let cell = MlstmCell { nh, eps: p.cfg.eps };
    let (h, cell_cache) = p.cfg.form.forward(&cell, &cell_in);
    let (h_n, out_norm_cache) = norm::forward(&p.out_norm, &h, nh);
    let h_s = h_n + &(&x_c * &p.skip);
    let y_g = Zip::from(&h_s).and(&z).map_collect(|&h, &z| h * silu(z));
    let mut y = to3(linear::apply(&p.down, rows(&y_g)), (b, t)); // (B, T, D)
    let drop_mask = drop.apply(&mut y);
    let y = y + x;
    let cache = MlstmBlockCache {
        norm: norm_cache,
        x_n,
        conv: conv_cache,
        x_conv,
        x_c,
        z,
        gate_in,
        cell_in,
        cell: cell_cache,
        out_norm: out_norm_cache,
        h_s,
        y_g,
        drop_mask,
    };
    (y, cache)
}

/// Backward for `d_y` (B, T, D): adds every parameter gradient into `grads`, returns d_x.
pub fn backward<F: Float>(
    p: &MlstmBlockParams<F>,
    cache: &MlstmBlockCache<F>,
    d_y: &Array3<F>,
    grads: &mut MlstmBlockParams<F>,
) -> Array3<F> {
    let d_y = d_y.as_standard_layout().into_owned();
    let (b, t, _) = d_y.dim();
    let nh = p.cfg.nh;
    let d_down = dropout::backward(cache.drop_mask.as_ref(), &d_y); // (B, T, D)
    let d_yg = linear::backward_with_input(&p.down, rows(&cache.y_g), rows(&d_down), &mut grads.down);
    let d_yg = to3(d_yg, (b, t)); // (B, T, E)
    let d_hs = Zip::from(&d_yg).and(&cache.z).map_collect(|&g, &z| g * silu(z));
    let d_z = Zip::from(&d_yg)
        .and(&cache.h_s)
        .and(&cache.z)
        .map_collect(|&g, &h, &z| g * h * silu_grad(z));
    grads.skip += &(&d_hs * &cache.x_c).sum_axis(Axis(0)).sum_axis(Axis(0));
    let d_xc_skip = &d_hs * &p.skip;
    let d_h = norm::backward(&p.out_norm, &cache.out_norm, &d_hs, &mut grads.out_norm);
    let cell = MlstmCell { nh, eps: p.cfg.eps };
    let d_in = cache.cell.backward(&cell, &cache.cell_in, &d_h);
    let (d_xc, mut d_xm) = backward_projections(p, cache, d_in, grads);
    let d_xc = d_xc + d_xc_skip;
    let d_xconv = Zip::from(&d_xc)
        .and(&cache.x_conv)
        .map_collect(|&g, &x| g * silu_grad(x));
    d_xm += &conv::backward(&p.conv, &cache.conv, &d_xconv, &mut grads.conv);
    let d_up = concat_rows(&[&d_xm, &d_z]); // (B·T, 2E)
    let d_xn = linear::backward_with_input(&p.up, rows(&cache.x_n), d_up.view(), &mut grads.up);
    let d_x = norm::backward(&p.norm, &cache.norm, &to3(d_xn, (b, t)), &mut grads.norm);
    d_x + &d_y
}

/// From the cell-input gradients back through the gate Linear and the q, k, v projections.
/// Returns (d_x_c, d_x_m), both (B, T, E).
fn backward_projections<F: Float>(
    p: &MlstmBlockParams<F>,
    cache: &MlstmBlockCache<F>,
    mut d_in: MlstmInput<F>,
    grads: &mut MlstmBlockParams<F>,
) -> (Array3<F>, Array3<F>) {
    let (b, t, e) = d_in.q.dim();
    let d_gates = concat_rows(&[&d_in.i_pre, &d_in.f_pre]); // (B·T, 2NH)
    let d_gate_in =
        linear::backward_with_input(&p.gates, cache.gate_in.view(), d_gates.view(), &mut grads.gates);
    d_in.q += &cols3(&d_gate_in, (0, e), (b, t));
    d_in.k += &cols3(&d_gate_in, (e, 2 * e), (b, t));
    d_in.v += &cols3(&d_gate_in, (2 * e, 3 * e), (b, t));
    let d_qk = concat_rows_standard(&[&d_in.q, &d_in.k]); // (B·T, 2E)
    let d_xc = headwise::backward_with_input(&p.qk, rows(&cache.x_c), d_qk.view(), &mut grads.qk);
    let d_xm = headwise::backward_with_input(&p.v, rows(&cache.conv.x), rows(&d_in.v), &mut grads.v);
    (to3(d_xc, (b, t)), to3(d_xm, (b, t)))
}

#[cfg(test)]
#[path = "mlstm_block_tests.rs"]
mod tests;

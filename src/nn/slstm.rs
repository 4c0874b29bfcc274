//! sLSTM cell (`xlstm-math.md` §1): exponential input gate, sigmoid forget gate in log space,
//! normaliser n, stabiliser m, block-diagonal recurrence per head. Derivation and the backward
//! pass (m is a constant, §5.1-5.2): `docs/derivations/slstm.md`.
//!
//! ```text
//! pre_t = W_x x_t + R h_{t−1} + b          (B, 4H) = [ĩ | f̃ | z̃ | õ]; R per head (NH blocks)
//! ℓ = logσ(f̃);  m_t = max(ℓ + m_{t−1}, ĩ)   (m_t = ĩ where n_{t−1} == 0: first-step rule)
//! i' = min(exp(ĩ − m_t), 1);  f' = min(exp(ℓ + m_{t−1} − m_t), 1);  z = tanh z̃;  o = σ(õ)
//! c_t = f' c_{t−1} + i' z;  n_t = f' n_{t−1} + i';  h_t = o c_t / n_t
//! ```
//! Gate rows of `w_x` and `b` are ordered i, f, z, o, each block of H units with unit
//! `u = head·DH + j`. `w_x` is dense (4H, D), the paper's general form, or head-wise (4H, DH) with
//! D = H, the official `LinearHeadwiseExpand`: row u then reads only the DH inputs of its own head
//! (`headwise.rs`; the input width tells the two apart). `r[k, j_in, g·DH + j_out]` maps unit j_in of head k to gate g, unit j_out of
//! the same head. Input projections of all steps are one GEMM; each step adds one product per
//! head (h_{t−1}'s DH columns × R_k packed once per pass, written straight into the head's four
//! gate blocks, `kernel.rs`) in place into the preallocated pre-activation array, which then holds
//! the activations (the cache). The pointwise loops are branch-free and vectorise.
//!
//! Public API:
//! - [`init`]`(&SlstmConfig, rng) -> SlstmParams` (§4: R = 0, forget bias schedule, small init)
//! - [`forward`]`(&p, &x, state0: Option<&SlstmState>) -> (h (B,T,H), final SlstmState, SlstmCache)`
//! - [`forward_split`]`(&p, &x_if, &x_zo, state0)`: i, f rows read `x_if`, z, o rows read `x_zo`
//! - [`backward`]`(&p, &cache, &d_h, d_final, &mut g) -> (d_x, d_state0)`
//! - [`backward_split`]`(..) -> (d_x_if, d_x_zo, d_state0)` for caches made by `forward_split`
//! - [`infer`]`(&p, &x)` and [`infer_split`]`(&p, &x_if, &x_zo)`: h from the zero state without
//!   the cache (one step's pre-activations and the running state only), for forecasting
//!
//! `d_final` (gradient w.r.t. the final h, c, n) is exact when the downstream loss depends on the
//! state only through gauge-invariant quantities (such as a later segment of the same cell);
//! `d_state0.m` is the exact gradient w.r.t. m_0.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array3, ArrayView2, ArrayViewMut2, Axis};

use super::activation::sigmoid;
use super::headwise;
use super::kernel::{gemm, gemm_segmented, Packed, Segments};
use super::linear::rows;
use super::lstm::{prev_next, row, row_mut};
use super::rng::Rng;
use super::{cast, Float};

/// sLSTM weights, gate order i, f, z, o.
#[derive(Clone, Debug)]
pub struct SlstmParams<F> {
    /// Input weights: dense (the paper's general form) or head-wise (one DH×DH block per head and
    /// gate, stored as its rows).
    pub w_x: Array2<F>, // (4H, D) dense or (4H, DH) head-wise
    /// Block-diagonal recurrent weights, one block per head.
    pub r: Array3<F>, // (NH, DH, 4·DH)
    /// Biases.
    pub b: Array1<F>, // (4H)
}
crate::impl_params!(SlstmParams { w_x, r, b });

impl<F: Float> SlstmParams<F> {
    /// Hidden width H.
    pub fn d_hidden(&self) -> usize {
        self.b.len() / 4
    }
    /// Number of heads NH.
    pub fn n_heads(&self) -> usize {
        self.r.dim().0
    }
}

/// Recurrent state (h, c, n, m); also used for its gradient.
#[derive(Clone, Debug)]
pub struct SlstmState<F> {
    /// Hidden state.
    pub h: Array2<F>, // (B, H)
    /// Cell state (stabilised).
    pub c: Array2<F>, // (B, H)
    /// Normaliser (stabilised).
    pub n: Array2<F>, // (B, H)
    /// Stabiliser.
    pub m: Array2<F>, // (B, H)
}

impl<F: Float> SlstmState<F> {
    /// The zero state (n = 0 triggers the first-step rule).
    pub fn zeros(batch: usize, d_hidden: usize) -> Self {
        let z = Array2::zeros((batch, d_hidden));
        SlstmState {
            h: z.clone(),
            c: z.clone(),
            n: z.clone(),
            m: z,
        }
    }
}

/// Forget-gate bias initialisation (`xlstm-math.md` §4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ForgetInit {
    /// Official default: unit j of each head gets 5 − 12·(j/(DH−1))^{0.3 + 1.3·r},
    /// r = block_idx / (num_blocks − 1) (0 for a single block).
    Powerlaw {
        /// Index of this block in the stack.
        block_idx: usize,
        /// Number of blocks in the stack.
        num_blocks: usize,
    },
    /// linspace(3, 6) over the H units.
    Linspace,
}

/// Sizes and initialisation of an sLSTM cell.
#[derive(Clone, Debug)]
pub struct SlstmConfig {
    /// Input width D.
    pub d_input: usize,
    /// Hidden width H (a multiple of `n_heads`).
    pub d_hidden: usize,
    /// Heads NH.
    pub n_heads: usize,
    /// Forget-gate bias schedule.
    pub forget_init: ForgetInit,
    /// Head-wise input weights (needs D = H): each gate unit reads its own head's DH inputs.
    pub headwise: bool,
}

/// The forget-gate bias vector (H) for a schedule.
pub fn forget_bias(init: ForgetInit, d_hidden: usize, n_heads: usize) -> Vec<f64> {
    let dh = d_hidden / n_heads;
    (0..d_hidden)
        .map(|u| match init {
            ForgetInit::Powerlaw {
                block_idx,
                num_blocks,
            } => {
                let r = if num_blocks > 1 {
                    block_idx as f64 / (num_blocks - 1) as f64
                } else {
                    0.0
                };
                let ratio = if dh > 1 {
                    (u % dh) as f64 / (dh - 1) as f64
                } else {
                    0.0
                };
                5.0 - 12.0 * ratio.powf(0.3 + 1.3 * r)
            }
            ForgetInit::Linspace => 3.0 + 3.0 * u as f64 / (d_hidden.max(2) - 1) as f64,
        })
        .collect()
}

/// §4 initialisation: w_x ~ N(0, 2/(5D)) (dense or head-wise), R = 0, biases 0 except the
/// forget schedule.
pub fn init<F: Float>(config: &SlstmConfig, rng: &mut Rng) -> SlstmParams<F> {
    let (d, hd, nh) = (config.d_input, config.d_hidden, config.n_heads);
    assert!(
        nh > 0 && hd.is_multiple_of(nh),
        "sLSTM: H = {hd} is not a multiple of NH = {nh}"
    );
    assert!(
        !config.headwise || d == hd,
        "sLSTM: head-wise input weights need D = H (D = {d}, H = {hd})"
    );
    let std = (2.0 / (5.0 * d as f64)).sqrt();
    let reads = if config.headwise { hd / nh } else { d };
    let w_x = Array2::from_shape_fn((4 * hd, reads), |_| cast(std * rng.normal()));
    let r = Array3::zeros((nh, hd / nh, 4 * (hd / nh)));
    let mut b = Array1::zeros(4 * hd);
    for (u, v) in forget_bias(config.forget_init, hd, nh).into_iter().enumerate() {
        b[hd + u] = cast(v);
    }
    SlstmParams { w_x, r, b }
}

/// What the backward pass needs.
#[derive(Clone, Debug)]
pub struct SlstmCache<F> {
    /// Input of the i, f rows (of all rows when `x_zo` is `None`).
    pub x_if: Array3<F>, // (B, T, D)
    /// Input of the z, o rows, when it differs from `x_if`.
    pub x_zo: Option<Array3<F>>, // (B, T, D)
    /// Activations [i' | f' | z | o].
    pub act: Array3<F>, // (B, T, 4H)
    /// σ(−f̃) = d logσ(f̃) / d f̃.
    pub sig_nf: Array3<F>, // (B, T, H)
    /// h_{t−1} per step.
    pub h_prev: Array3<F>, // (B, T, H)
    /// h_t per step (the output).
    pub h: Array3<F>, // (B, T, H)
    /// c_0 ..= c_T.
    pub c: Array3<F>, // (B, T+1, H)
    /// n_0 ..= n_T.
    pub n: Array3<F>, // (B, T+1, H)
}

/// x W_xᵀ + b for all steps: one GEMM (two when the i, f rows read a different input); head-wise
/// weights go through `headwise::forward_into` instead.
fn project<F: Float>(p: &SlstmParams<F>, x_if: &Array3<F>, x_zo: Option<&Array3<F>>) -> Array3<F> {
    let (bs, t_len, d) = x_if.dim();
    let h2 = 2 * p.d_hidden();
    let mut pre = Array2::from_shape_fn((bs * t_len, 2 * h2), |(_, k)| p.b[k]); // (B·T, 4H)
    if p.w_x.ncols() != d {
        let (w_if, w_zo) = (p.w_x.slice(s![..h2, ..]), p.w_x.slice(s![h2.., ..]));
        let (pre_if, pre_zo) = pre.multi_slice_mut((s![.., ..h2], s![.., h2..]));
        headwise::forward_into(w_if, rows(x_if), pre_if);
        headwise::forward_into(w_zo, rows(x_zo.unwrap_or(x_if)), pre_zo);
        return pre
            .into_shape_with_order((bs, t_len, 2 * h2))
            .expect("contiguous");
    }
    match x_zo {
        None => gemm(rows(x_if), &Packed::new(p.w_x.t()), pre.view_mut(), true),
        Some(x_zo) => {
            let (w_if, w_zo) = (p.w_x.slice(s![..h2, ..]), p.w_x.slice(s![h2.., ..]));
            gemm(
                rows(x_if),
                &Packed::new(w_if.t()),
                pre.slice_mut(s![.., ..h2]),
                true,
            );
            gemm(
                rows(x_zo),
                &Packed::new(w_zo.t()),
                pre.slice_mut(s![.., h2..]),
                true,
            );
        }
    }
    pre.into_shape_with_order((bs, t_len, 2 * h2))
        .expect("contiguous")
}

/// R packed per head for the forward step: head k's (DH, 4·DH) block, columns gate-major.
fn pack_heads<F: Float>(r: &Array3<F>) -> Vec<Packed<F>> {
    r.outer_iter().map(|rk| Packed::new(rk)).collect()
}

/// Rᵀ packed per head for the backward step: head k's (4·DH, DH) block.
fn pack_heads_t<F: Float>(r: &Array3<F>) -> Vec<Packed<F>> {
    r.outer_iter().map(|rk| Packed::new(rk.t())).collect()
}

/// pre_t += R h_{t−1}: per head, one product of h_{t−1}'s DH columns with R_k (DH, 4·DH) whose
/// output columns land in the head's four gate blocks (DH columns every H), in place.
fn add_recurrent<F: Float>(r: &[Packed<F>], h_prev: ArrayView2<F>, mut pre: ArrayViewMut2<F>) {
    let (nh, hd) = (r.len(), h_prev.ncols());
    let dh = hd / nh;
    let gates = Segments::new(dh, hd).expect("head blocks DH ≤ H");
    for (k, rk) in r.iter().enumerate() {
        let hk = h_prev.slice(s![.., k * dh..(k + 1) * dh]); // (B, DH)
        gemm_segmented(
            hk,
            Segments::dense(dh),
            rk,
            pre.slice_mut(s![.., k * dh..]),
            gates,
            true,
        );
    }
}

/// The pointwise part of one step for one batch row; `g` holds pre-activations on entry and
/// activations [i' | f' | z | o] on exit.
struct StepRow<'a, F> {
    g: &'a mut [F],
    sig_nf: &'a mut [F],
    c_prev: &'a [F],
    c: &'a mut [F],
    n_prev: &'a [F],
    n: &'a mut [F],
    m: &'a mut [F],
    h: &'a mut [F],
}

#[inline(always)]
fn cell_step<F: Float>(s: StepRow<'_, F>) {
    let hd = s.h.len();
    let one = F::one();
    let (gi, rest) = s.g.split_at_mut(hd);
    let (gf, rest) = rest.split_at_mut(hd);
    let (gz, go) = rest.split_at_mut(hd);
    let (sig_nf, c_prev, c) = (&mut s.sig_nf[..hd], &s.c_prev[..hd], &mut s.c[..hd]);
    let (n_prev, n, m) = (&s.n_prev[..hd], &mut s.n[..hd], &mut s.m[..hd]);
    for u in 0..hd {
        let (i_pre, f_pre) = (gi[u], gf[u]);
        let (l, snf) = log_sigmoid_and_sigmoid_neg(f_pre);
        // d = (ℓ + m_{t−1}) − ĩ decides the max; the winning branch's exponent is exactly 0, so
        // one exp, e^{−|d|}, gives both gates (same values as max + two exps + clamps). With
        // n_{t−1} = 0 (first-step rule) m_t = ĩ and i' = 1; f' = min(e^d, 1) either way.
        let d = l + m[u] - i_pre;
        let e = (-d.abs()).fast_exp();
        let first = n_prev[u] == F::zero();
        let grow = d >= F::zero();
        let m_new = if grow && !first { l + m[u] } else { i_pre };
        let i = if grow && !first { e } else { one };
        let f = if grow { one } else { e };
        let z = gz[u].fast_tanh();
        let o = sigmoid(go[u]);
        c[u] = f * c_prev[u] + i * z;
        n[u] = f * n_prev[u] + i;
        s.h[u] = o * c[u] / n[u];
        m[u] = m_new;
        sig_nf[u] = snf;
        (gi[u], gf[u], gz[u], go[u]) = (i, f, z, o);
    }
}

/// (logσ(x), σ(−x)) from one exp: with e = e^{−|x|}, logσ(x) = −(max(−x, 0) + ln1p(e)) and
/// σ(−x) = e/(1+e) for x ≥ 0, 1/(1+e) for x < 0 (no cancellation either way).
#[inline(always)]
fn log_sigmoid_and_sigmoid_neg<F: Float>(x: F) -> (F, F) {
    let e = (-x.abs()).fast_exp();
    let l = -((-x).max(F::zero()) + e.fast_ln_1p());
    let numerator = if x >= F::zero() { e } else { F::one() };
    (l, numerator / (F::one() + e))
}

crate::simd_entry!(fn run<F>(
    p: &SlstmParams<F>,
    x_if: &Array3<F>,
    x_zo: Option<&Array3<F>>,
    state0: Option<&SlstmState<F>>,
) -> (Array3<F>, SlstmState<F>, SlstmCache<F>) => run_impl);

#[inline(always)]
fn run_impl<F: Float>(
    p: &SlstmParams<F>,
    x_if: &Array3<F>,
    x_zo: Option<&Array3<F>>,
    state0: Option<&SlstmState<F>>,
) -> (Array3<F>, SlstmState<F>, SlstmCache<F>) {
    let (bs, t_len, _) = x_if.dim();
    let hd = p.d_hidden();
    debug_assert!(t_len > 0, "sLSTM: empty sequence");
    let mut act = project(p, x_if, x_zo); // (B, T, 4H)
    let mut sig_nf = Array3::<F>::zeros((bs, t_len, hd)); // (B, T, H)
    let mut h_prev = Array3::<F>::zeros((bs, t_len, hd)); // (B, T, H)
    let mut h = Array3::<F>::zeros((bs, t_len, hd)); // (B, T, H)
    let mut c = Array3::<F>::zeros((bs, t_len + 1, hd)); // (B, T+1, H)
    let mut n = Array3::<F>::zeros((bs, t_len + 1, hd)); // (B, T+1, H)
    let mut m = Array2::<F>::zeros((bs, hd)); // (B, H), running stabiliser
    if let Some(s0) = state0 {
        h_prev.slice_mut(s![.., 0, ..]).assign(&s0.h);
        c.slice_mut(s![.., 0, ..]).assign(&s0.c);
        n.slice_mut(s![.., 0, ..]).assign(&s0.n);
        m.assign(&s0.m);
    }
    let r = pack_heads(&p.r); // NH × (DH, 4·DH), packed once for all steps
    for t in 0..t_len {
        add_recurrent(&r, h_prev.slice(s![.., t, ..]), act.slice_mut(s![.., t, ..]));
        for b in 0..bs {
            let (c_prev, c_new) = prev_next(&mut c, b, t);
            let (n_prev, n_new) = prev_next(&mut n, b, t);
            let m_row = m.row_mut(b).into_slice().expect("contiguous");
            let (g, sig_nf) = (row_mut(&mut act, b, t), row_mut(&mut sig_nf, b, t));
            let h = row_mut(&mut h, b, t);
            cell_step(StepRow {
                g,
                sig_nf,
                c_prev,
                c: c_new,
                n_prev,
                n: n_new,
                m: m_row,
                h,
            });
        }
        if t + 1 < t_len {
            let h_t = h.slice(s![.., t, ..]);
            h_prev.slice_mut(s![.., t + 1, ..]).assign(&h_t);
        }
    }
    let last = |a: &Array3<F>| a.index_axis(Axis(1), a.dim().1 - 1).to_owned();
    let final_state = SlstmState {
        h: last(&h),
        c: last(&c),
        n: last(&n),
        m,
    };
    let x_zo = x_zo.cloned();
    let cache = SlstmCache {
        x_if: x_if.clone(),
        x_zo,
        act,
        sig_nf,
        h_prev,
        h: h.clone(),
        c,
        n,
    };
    (h, final_state, cache)
}

crate::simd_entry!(fn infer_run<F>(
    p: &SlstmParams<F>,
    x_if: &Array3<F>,
    x_zo: Option<&Array3<F>>,
) -> Array3<F> => infer_impl);

/// The inference twin of [`run_impl`] from the zero state: per step, the input projection of
/// that step only (B, 4H) and the running (h, c, n, m) of (B, H) each, no cache. The products
/// sum every entry in the same order as the training pass and the pointwise step is the same
/// function, so the result is the training forward's, bit for bit.
#[inline(always)]
fn infer_impl<F: Float>(p: &SlstmParams<F>, x_if: &Array3<F>, x_zo: Option<&Array3<F>>) -> Array3<F> {
    let (bs, t_len, d) = x_if.dim();
    let hd = p.d_hidden();
    let h2 = 2 * hd;
    let headwise = p.w_x.ncols() != d;
    // dense input weights packed once: all rows (D, 4H), or the i, f and z, o halves (D, 2H)
    let pack = |rows: std::ops::Range<usize>| Packed::new(p.w_x.slice(s![rows, ..]).t());
    let (w_all, w_if, w_zo) = match (headwise, x_zo.is_some()) {
        (true, _) => (None, None, None),
        (false, false) => (Some(pack(0..2 * h2)), None, None),
        (false, true) => (None, Some(pack(0..h2)), Some(pack(h2..2 * h2))),
    };
    let r = pack_heads(&p.r); // NH × (DH, 4·DH)
    let mut pre = Array2::<F>::zeros((bs, 2 * h2)); // (B, 4H) one step, then its activations
    let mut h = Array2::<F>::zeros((bs, hd)); // (B, H) h_{t−1}, then h_t
    let (mut c, mut c_next) = (Array2::<F>::zeros((bs, hd)), Array2::<F>::zeros((bs, hd))); // (B, H)
    let (mut n, mut n_next) = (Array2::<F>::zeros((bs, hd)), Array2::<F>::zeros((bs, hd))); // (B, H)
    let mut m = Array2::<F>::zeros((bs, hd)); // (B, H)
    let mut sig_nf = vec![F::zero(); hd]; // (H) scratch (only the backward pass needs σ(−f̃))
    let mut y = Array3::<F>::zeros((bs, t_len, hd)); // (B, T, H)
    for t in 0..t_len {
        pre.rows_mut().into_iter().for_each(|mut row| row.assign(&p.b));
        let (xi, xz) = (x_if.slice(s![.., t, ..]), x_zo.map(|x| x.slice(s![.., t, ..])));
        match (&w_all, &w_if, &w_zo) {
            (Some(w), _, _) => gemm(xi, w, pre.view_mut(), true),
            (None, Some(wi), Some(wz)) => {
                gemm(xi, wi, pre.slice_mut(s![.., ..h2]), true);
                gemm(xz.expect("split input"), wz, pre.slice_mut(s![.., h2..]), true);
            }
            _ => {
                let (pre_if, pre_zo) = pre.multi_slice_mut((s![.., ..h2], s![.., h2..]));
                headwise::forward_into(p.w_x.slice(s![..h2, ..]), xi, pre_if);
                headwise::forward_into(p.w_x.slice(s![h2.., ..]), xz.unwrap_or(xi), pre_zo);
            }
        }
        add_recurrent(&r, h.view(), pre.view_mut());
        for b in 0..bs {
            let out = y.slice_mut(s![b, t, ..]).into_slice().expect("contiguous row");
            cell_step(StepRow {
                g: pre.row_mut(b).into_slice().expect("contiguous row"),
                sig_nf: &mut sig_nf,
                c_prev: c.row(b).to_slice().expect("contiguous row"),
                c: c_next.row_mut(b).into_slice().expect("contiguous row"),
                n_prev: n.row(b).to_slice().expect("contiguous row"),
                n: n_next.row_mut(b).into_slice().expect("contiguous row"),
                m: m.row_mut(b).into_slice().expect("contiguous row"),
                h: out,
            });
            h.row_mut(b).assign(&y.slice(s![b, t, ..]));
        }
        std::mem::swap(&mut c, &mut c_next);
        std::mem::swap(&mut n, &mut n_next);
    }
    y
}

/// Inference: h (B, T, H) of [`forward`] from the zero state, without the cache (bit-identical).
pub fn infer<F: Float>(p: &SlstmParams<F>, x: &Array3<F>) -> Array3<F> {
    infer_run(p, x, None)
}

/// Inference: h (B, T, H) of [`forward_split`] from the zero state, without the cache.
pub fn infer_split<F: Float>(p: &SlstmParams<F>, x_if: &Array3<F>, x_zo: &Array3<F>) -> Array3<F> {
    infer_run(p, x_if, Some(x_zo))
}

/// Run the cell over `x` (B, T, D) from `state0` (zero state when `None`): returns h (B, T, H),
/// the final state and the cache.
pub fn forward<F: Float>(
    p: &SlstmParams<F>,
    x: &Array3<F>,
    state0: Option<&SlstmState<F>>,
) -> (Array3<F>, SlstmState<F>, SlstmCache<F>) {
    run(p, x, None, state0)
}

/// Like [`forward`], but the i and f rows of `w_x` read `x_if` and the z and o rows read `x_zo`
/// (the sLSTM block's conv path, `xlstm-math.md` §3.2). Both are (B, T, D).
pub fn forward_split<F: Float>(
    p: &SlstmParams<F>,
    x_if: &Array3<F>,
    x_zo: &Array3<F>,
    state0: Option<&SlstmState<F>>,
) -> (Array3<F>, SlstmState<F>, SlstmCache<F>) {
    run(p, x_if, Some(x_zo), state0)
}

/// d_h_{t−1} = Σ_g R_gᵀ d_pre_g per head, written (not added) into `d_h`: one product per head of
/// the head's four gate blocks of d_pre (DH columns every H) with R_kᵀ (4·DH, DH).
fn recurrent_back<F: Float>(r_t: &[Packed<F>], d_pre: ArrayView2<F>, d_h: &mut Array2<F>) {
    let (nh, hd) = (r_t.len(), d_h.ncols());
    let dh = hd / nh;
    let gates = Segments::new(dh, hd).expect("head blocks DH ≤ H");
    for (k, rk) in r_t.iter().enumerate() {
        let out = d_h.slice_mut(s![.., k * dh..(k + 1) * dh]); // (B, DH)
        gemm_segmented(
            d_pre.slice(s![.., k * dh..]),
            gates,
            rk,
            out,
            Segments::dense(dh),
            false,
        );
    }
}

/// Rows of one batch entry at one step for the pointwise backward (§5.2 steps 1-7).
struct BackRow<'a, F> {
    a: &'a [F],
    snf: &'a [F],
    h: &'a [F],
    c_prev: &'a [F],
    n_prev: &'a [F],
    n: &'a [F],
    dy: &'a [F],
    dh_rec: &'a [F],
    dp: &'a mut [F],
    dc: &'a mut [F],
    dn: &'a mut [F],
}

/// δpre_t from δh = δy + δh_rec and the carried δc, δn; then carries f'δc, f'δn to step t−1.
#[inline(always)]
fn cell_step_back<F: Float>(r: BackRow<'_, F>) {
    let hd = r.h.len();
    let one = F::one();
    for u in 0..hd {
        let (i, f, z, o) = (r.a[u], r.a[hd + u], r.a[2 * hd + u], r.a[3 * hd + u]);
        let inv_n = one / r.n[u];
        let dh = r.dy[u] + r.dh_rec[u];
        let dc = r.dc[u] + dh * o * inv_n;
        let dn = r.dn[u] - dh * r.h[u] * inv_n;
        r.dp[u] = i * (dc * z + dn);
        r.dp[hd + u] = f * (dc * r.c_prev[u] + dn * r.n_prev[u]) * r.snf[u];
        r.dp[2 * hd + u] = dc * i * (one - z * z);
        r.dp[3 * hd + u] = dh * r.h[u] * (one - o);
        r.dc[u] = f * dc;
        r.dn[u] = f * dn;
    }
}

crate::simd_entry!(
/// BPTT through the recurrence (§5.2). Returns d_pre (B, T, 4H) and d_state0; adds ∇R, ∇b.
fn backward_core<F>(
    p: &SlstmParams<F>,
    cache: &SlstmCache<F>,
    d_h: &Array3<F>,
    d_final: Option<&SlstmState<F>>,
    grads: &mut SlstmParams<F>,
) -> (Array3<F>, SlstmState<F>) => backward_core_impl);

#[inline(always)]
fn backward_core_impl<F: Float>(
    p: &SlstmParams<F>,
    cache: &SlstmCache<F>,
    d_h: &Array3<F>,
    d_final: Option<&SlstmState<F>>,
    grads: &mut SlstmParams<F>,
) -> (Array3<F>, SlstmState<F>) {
    let (bs, t_len, hd) = cache.h.dim();
    let one = F::one();
    let mut carry = d_final.cloned().unwrap_or_else(|| SlstmState::zeros(bs, hd)); // (h, c, n) into step t
    let mut d_pre = Array3::<F>::zeros((bs, t_len, 4 * hd)); // (B, T, 4H)
    let r_t = pack_heads_t(&p.r); // NH × (4·DH, DH), packed once for all steps
    for t in (0..t_len).rev() {
        for b in 0..bs {
            let (dc, dn) = (carry.c.row_mut(b), carry.n.row_mut(b));
            cell_step_back(BackRow {
                a: row(&cache.act, b, t),
                snf: row(&cache.sig_nf, b, t),
                h: row(&cache.h, b, t),
                c_prev: row(&cache.c, b, t),
                n_prev: row(&cache.n, b, t),
                n: row(&cache.n, b, t + 1),
                dy: row(d_h, b, t),
                dh_rec: carry.h.row(b).to_slice().expect("contiguous"),
                dp: row_mut(&mut d_pre, b, t),
                dc: dc.into_slice().expect("contiguous"),
                dn: dn.into_slice().expect("contiguous"),
            });
        }
        recurrent_back(&r_t, d_pre.slice(s![.., t, ..]), &mut carry.h);
    }
    // m_0 enters only through f'_1 = exp(ℓ_1 + m_0 − m_1) (m_1 held fixed): d m_0 = f'_1(δc c_0 + δn n_0).
    carry.m = &carry.c * &cache.c.index_axis(Axis(1), 0) + &carry.n * &cache.n.index_axis(Axis(1), 0);
    let (nh, dh, _) = p.r.dim();
    let (d_pre2, h_prev2) = (rows(&d_pre), rows(&cache.h_prev)); // (B·T, 4H), (B·T, H)
    for k in 0..nh {
        let hk = h_prev2.slice(s![.., k * dh..(k + 1) * dh]);
        for g in 0..4 {
            let col = g * hd + k * dh;
            let mut gr = grads.r.slice_mut(s![k, .., g * dh..(g + 1) * dh]);
            general_mat_mul(one, &hk.t(), &d_pre2.slice(s![.., col..col + dh]), one, &mut gr);
        }
    }
    grads.b += &d_pre2.sum_axis(Axis(0));
    (d_pre, carry)
}

/// Backward of [`forward`]: `d_h` (B, T, H) for every output, `d_final` for the final (h, c, n)
/// (zero when `None`; its `m` is ignored). Adds into `grads`; returns d_x (B, T, D) and d_state0.
pub fn backward<F: Float>(
    p: &SlstmParams<F>,
    cache: &SlstmCache<F>,
    d_h: &Array3<F>,
    d_final: Option<&SlstmState<F>>,
    grads: &mut SlstmParams<F>,
) -> (Array3<F>, SlstmState<F>) {
    debug_assert!(
        cache.x_zo.is_none(),
        "sLSTM: use backward_split for a forward_split cache"
    );
    let (d_pre, d0) = backward_core(p, cache, d_h, d_final, grads);
    let d_x = input_backward(
        p.w_x.view(),
        rows(&cache.x_if),
        rows(&d_pre),
        grads.w_x.view_mut(),
    );
    let d_x = d_x.into_shape_with_order(cache.x_if.dim()).expect("contiguous");
    (d_x, d0)
}

/// Backward of [`forward_split`]: returns (d_x_if, d_x_zo, d_state0).
pub fn backward_split<F: Float>(
    p: &SlstmParams<F>,
    cache: &SlstmCache<F>,
    d_h: &Array3<F>,
    d_final: Option<&SlstmState<F>>,
    grads: &mut SlstmParams<F>,
) -> (Array3<F>, Array3<F>, SlstmState<F>) {
    let x_zo = cache
        .x_zo
        .as_ref()
        .expect("sLSTM: backward_split needs a forward_split cache");
    let (d_pre, d0) = backward_core(p, cache, d_h, d_final, grads);
    let h2 = 2 * p.d_hidden();
    let d_pre2 = rows(&d_pre);
    let (dp_if, dp_zo) = (d_pre2.slice(s![.., ..h2]), d_pre2.slice(s![.., h2..]));
    let (g_if, g_zo) = grads.w_x.multi_slice_mut((s![..h2, ..], s![h2.., ..]));
    let d_if = input_backward(p.w_x.slice(s![..h2, ..]), rows(&cache.x_if), dp_if, g_if);
    let d_zo = input_backward(p.w_x.slice(s![h2.., ..]), rows(x_zo), dp_zo, g_zo);
    let d_if = d_if.into_shape_with_order(cache.x_if.dim()).expect("contiguous");
    let d_zo = d_zo.into_shape_with_order(x_zo.dim()).expect("contiguous");
    (d_if, d_zo, d0)
}

/// The input projection's backward for gate rows `w` (rows, D or DH), their input `x` (B·T, D)
/// and `d_pre` (B·T, rows): adds ∇w into `d_w`, returns d_x (B·T, D). Dense weights take two
/// GEMMs, head-wise ones `headwise::backward_into`.
fn input_backward<F: Float>(
    w: ArrayView2<F>,
    x: ArrayView2<F>,
    d_pre: ArrayView2<F>,
    mut d_w: ArrayViewMut2<F>,
) -> Array2<F> {
    if w.ncols() != x.ncols() {
        let mut d_x = Array2::zeros(x.dim()); // (B·T, D)
        headwise::backward_into(w, x, d_pre, d_w, d_x.view_mut());
        return d_x;
    }
    general_mat_mul(F::one(), &d_pre.t(), &x, F::one(), &mut d_w);
    d_pre.dot(&w)
}

#[cfg(test)]
#[path = "slstm_tests.rs"]
mod tests;

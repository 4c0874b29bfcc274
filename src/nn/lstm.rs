//! Classic LSTM cell over a sequence, with backpropagation through time.
//!
//! Gates are stacked in the order i, f, z, o (rows of `w_x`, `w_h`, `b`). Derivation:
//! `docs/derivations/lstm.md`.
//!
//! ```text
//! pre_t = x_t W_xᵀ + h_{t−1} W_hᵀ + b                (B, 4H): [ĩ | f̃ | z̃ | õ]
//! i = σ(ĩ), f = σ(f̃), z = tanh(z̃), o = σ(õ)
//! c_t = f ⊙ c_{t−1} + i ⊙ z;   h_t = o ⊙ tanh(c_t)
//! ```
//! The input projection for all steps is one GEMM before the loop; each step adds one
//! (B, H)×(H, 4H) product in place into the preallocated pre-activation array (against W_hᵀ
//! packed once per pass, `kernel.rs`), which then holds the gate activations (the cache). Nothing
//! is allocated inside the time loop; the pointwise loops are branch-free and vectorise.
//!
//! The caches are **time-major**, (T, B, ·): the B rows one step reads and writes are contiguous.
//! In the batch-major (B, T, ·) layout they were T·4H floats apart, a multiple of 64 KiB at
//! T = 192 or 384, so every row of a step fell into the same L2 cache sets and they evicted each
//! other (training time grew as T^1.29). Inputs, outputs and upstream gradients stay (B, T, ·);
//! they are transposed once per pass, and the weight gradients are summed over the rows in the
//! batch-major order as before, so results are unchanged bit for bit.
//!
//! Public API:
//! - [`LstmParams::init`]`(d_input, d_hidden, rng)` (PyTorch's U(±1/√H), forget bias 1)
//! - [`forward`]`(&p, &x, state0: Option<&LstmState>) -> (h (B,T,H), final LstmState, LstmCache)`
//! - [`backward`]`(&p, &cache, &d_h, d_final: Option<&LstmState>, &mut g) -> (d_x (B,T,D), d_state0)`

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array3, ArrayView3, Axis};

use super::activation::sigmoid;
use super::kernel::{gemm, Packed};
use super::linear::rows;
use super::rng::Rng;
use super::{cast, Float};

/// LSTM weights, gate order i, f, z, o.
#[derive(Clone, Debug)]
pub struct LstmParams<F> {
    /// Input weights.
    pub w_x: Array2<F>, // (4H, D)
    /// Recurrent weights.
    pub w_h: Array2<F>, // (4H, H)
    /// Biases.
    pub b: Array1<F>, // (4H)
}
crate::impl_params!(LstmParams { w_x, w_h, b });

/// Hidden and cell state (also used for their gradients).
#[derive(Clone, Debug)]
pub struct LstmState<F> {
    /// Hidden state.
    pub h: Array2<F>, // (B, H)
    /// Cell state.
    pub c: Array2<F>, // (B, H)
}

impl<F: Float> LstmState<F> {
    /// The zero state.
    pub fn zeros(batch: usize, d_hidden: usize) -> Self {
        LstmState {
            h: Array2::zeros((batch, d_hidden)),
            c: Array2::zeros((batch, d_hidden)),
        }
    }
}

/// What [`backward`] needs; the per-step arrays are time-major (see the module doc).
#[derive(Clone, Debug)]
pub struct LstmCache<F> {
    /// Layer input.
    pub x: Array3<F>, // (B, T, D)
    /// Gate activations [i | f | z | o].
    pub gates: Array3<F>, // (T, B, 4H)
    /// h_{t−1} for each step (index 0 holds h_0).
    pub h_prev: Array3<F>, // (T, B, H)
    /// c_0 ..= c_T.
    pub c: Array3<F>, // (T+1, B, H)
    /// tanh(c_t).
    pub tanh_c: Array3<F>, // (T, B, H)
}

/// `a` (X, Y, W) as a standard-layout (Y, X, W) array: batch-major ↔ time-major, one contiguous
/// row of W values at a time.
pub(crate) fn swap_outer<F: Float>(a: ArrayView3<F>) -> Array3<F> {
    let (nx, ny, w) = a.dim();
    let a = a.as_standard_layout();
    let src = a.as_slice().expect("standard layout");
    let mut out = vec![F::zero(); nx * ny * w];
    for (x, block) in src.chunks_exact((ny * w).max(1)).enumerate() {
        for (y, row) in block.chunks_exact(w.max(1)).enumerate() {
            out[(y * nx + x) * w..(y * nx + x + 1) * w].copy_from_slice(row);
        }
    }
    Array3::from_shape_vec((ny, nx, w), out).expect("(Y, X, W) values")
}

/// Planes t (read-only) and t+1 (mutable) of a standard-layout time-major (T', B, W) array, each
/// (B·W) values.
#[inline]
fn planes<F>(a: &mut Array3<F>, t: usize) -> (&[F], &mut [F]) {
    let plane = a.dim().1 * a.dim().2;
    let all = a.as_slice_mut().expect("standard layout");
    let (lo, hi) = all[t * plane..(t + 2) * plane].split_at_mut(plane);
    (lo, hi)
}

/// Plane t of a standard-layout time-major (T, B, W) array: the B rows of step t.
#[inline]
fn plane<F>(a: &Array3<F>, t: usize) -> &[F] {
    let plane = a.dim().1 * a.dim().2;
    &a.as_slice().expect("standard layout")[t * plane..(t + 1) * plane]
}

/// Mutable plane t of a standard-layout time-major (T, B, W) array.
#[inline]
fn plane_mut<F>(a: &mut Array3<F>, t: usize) -> &mut [F] {
    let plane = a.dim().1 * a.dim().2;
    &mut a.as_slice_mut().expect("standard layout")[t * plane..(t + 1) * plane]
}

impl<F: Float> LstmParams<F> {
    /// Every weight U(±1/√H) (PyTorch's default), biases 0 except the forget-gate bias 1.
    pub fn init(d_input: usize, d_hidden: usize, rng: &mut Rng) -> Self {
        let k = 1.0 / (d_hidden as f64).sqrt();
        let mut u = |_| cast(rng.uniform_range(-k, k));
        let w_x = Array2::from_shape_fn((4 * d_hidden, d_input), &mut u);
        let w_h = Array2::from_shape_fn((4 * d_hidden, d_hidden), &mut u);
        let mut b = Array1::zeros(4 * d_hidden);
        b.slice_mut(s![d_hidden..2 * d_hidden]).fill(F::one());
        LstmParams { w_x, w_h, b }
    }

    /// Hidden width H.
    pub fn d_hidden(&self) -> usize {
        self.w_h.ncols()
    }
}

/// Contiguous row (b, t, ..) of a standard-layout 3-D array.
#[inline]
pub(crate) fn row<F: Float>(a: &Array3<F>, b: usize, t: usize) -> &[F] {
    let (_, tl, d) = a.dim();
    let off = (b * tl + t) * d;
    &a.as_slice().expect("standard layout")[off..off + d]
}

/// Rows (b, t, ..) read-only and (b, t+1, ..) mutable of a standard-layout 3-D array.
#[inline]
pub(crate) fn prev_next<F: Float>(a: &mut Array3<F>, b: usize, t: usize) -> (&[F], &mut [F]) {
    let (_, tl, d) = a.dim();
    let off = (b * tl + t) * d;
    let (lo, hi) = a.as_slice_mut().expect("standard layout")[off..off + 2 * d].split_at_mut(d);
    (lo, hi)
}

/// Mutable contiguous row (b, t, ..) of a standard-layout 3-D array.
#[inline]
pub(crate) fn row_mut<F: Float>(a: &mut Array3<F>, b: usize, t: usize) -> &mut [F] {
    let (_, tl, d) = a.dim();
    let off = (b * tl + t) * d;
    &mut a.as_slice_mut().expect("standard layout")[off..off + d]
}

/// Pointwise part of one step for one batch row: `g` holds [ĩ, f̃, z̃, õ] on entry and
/// [i, f, z, o] on exit; writes c_t, tanh(c_t) and h_t. Branch-free, so it vectorises over units.
#[inline(always)]
fn cell_step<F: Float>(g: &mut [F], c_prev: &[F], c: &mut [F], tanh_c: &mut [F], h: &mut [F]) {
    let hd = h.len();
    let (gi, rest) = g.split_at_mut(hd);
    let (gf, rest) = rest.split_at_mut(hd);
    let (gz, go) = rest.split_at_mut(hd);
    // every slice exactly H long, so the loop has no bounds checks and vectorises
    let (go, c_prev, c, tanh_c) = (&mut go[..hd], &c_prev[..hd], &mut c[..hd], &mut tanh_c[..hd]);
    for u in 0..hd {
        let i = sigmoid(gi[u]);
        let f = sigmoid(gf[u]);
        let z = gz[u].fast_tanh();
        let o = sigmoid(go[u]);
        (gi[u], gf[u], gz[u], go[u]) = (i, f, z, o);
        c[u] = f * c_prev[u] + i * z;
        tanh_c[u] = c[u].fast_tanh();
        h[u] = o * tanh_c[u];
    }
}

crate::simd_entry!(
/// [`cell_step`] behind a function boundary: its slices arrive as separate arguments, so the
/// compiler knows they do not overlap and vectorises the loop over units (inlined into a loop
/// over rows of one buffer it could not tell, and ran the scalar loop).
fn step_row<F>(g: &mut [F], c_prev: &[F], c: &mut [F], tanh_c: &mut [F], h: &mut [F]) => cell_step);

crate::simd_entry!(
/// Run the LSTM over `x` (B, T, D) from `state0` (zero state when `None`).
/// Returns all hidden states (B, T, H), the final state and the cache.
pub fn forward<F>(
    p: &LstmParams<F>,
    x: &Array3<F>,
    state0: Option<&LstmState<F>>,
) -> (Array3<F>, LstmState<F>, LstmCache<F>) => forward_impl);

#[inline(always)]
fn forward_impl<F: Float>(
    p: &LstmParams<F>,
    x: &Array3<F>,
    state0: Option<&LstmState<F>>,
) -> (Array3<F>, LstmState<F>, LstmCache<F>) {
    let (bs, t_len, _) = x.dim();
    let hd = p.d_hidden();
    debug_assert!(t_len > 0, "lstm: empty sequence");
    debug_assert_eq!(x.dim().2, p.w_x.ncols(), "lstm: input width");
    // One GEMM for the input projection of every step, bias added once, rows in time-major
    // order (each row's sum does not depend on the other rows, so the values are the same).
    let x_tm = swap_outer(x.view()); // (T, B, D)
    let mut gates = Array2::from_shape_fn((t_len * bs, 4 * hd), |(_, k)| p.b[k]); // (T·B, 4H)
    gemm(rows(&x_tm), &Packed::new(p.w_x.t()), gates.view_mut(), true);
    let mut gates = gates
        .into_shape_with_order((t_len, bs, 4 * hd))
        .expect("contiguous"); // (T, B, 4H)
    let w_h_t = Packed::new(p.w_h.t()); // (H, 4H), packed once for all steps
    let mut h_prev = Array3::<F>::zeros((t_len, bs, hd)); // (T, B, H)
    let mut c = Array3::<F>::zeros((t_len + 1, bs, hd)); // (T+1, B, H)
    let mut tanh_c = Array3::<F>::zeros((t_len, bs, hd)); // (T, B, H)
    let mut y = Array3::<F>::zeros((t_len, bs, hd)); // (T, B, H)
    if let Some(s0) = state0 {
        h_prev.index_axis_mut(Axis(0), 0).assign(&s0.h);
        c.index_axis_mut(Axis(0), 0).assign(&s0.c);
    }
    for t in 0..t_len {
        // pre_t (B, 4H) += h_{t−1} W_hᵀ, in place
        gemm(
            h_prev.index_axis(Axis(0), t),
            &w_h_t,
            gates.index_axis_mut(Axis(0), t),
            true,
        );
        let (c_prev, c_new) = planes(&mut c, t);
        let (g, tc, h) = (
            plane_mut(&mut gates, t),
            plane_mut(&mut tanh_c, t),
            plane_mut(&mut y, t),
        );
        for b in 0..bs {
            let (unit, gate) = (b * hd..(b + 1) * hd, b * 4 * hd..(b + 1) * 4 * hd);
            let c_new = &mut c_new[unit.clone()];
            step_row(
                &mut g[gate],
                &c_prev[unit.clone()],
                c_new,
                &mut tc[unit.clone()],
                &mut h[unit],
            );
        }
        if t + 1 < t_len {
            let (h_t, h_next) = (plane(&y, t), plane_mut(&mut h_prev, t + 1));
            h_next.copy_from_slice(h_t);
        }
    }
    let final_state = LstmState {
        h: y.index_axis(Axis(0), t_len - 1).to_owned(),
        c: c.index_axis(Axis(0), t_len).to_owned(),
    };
    (
        swap_outer(y.view()), // (B, T, H)
        final_state,
        LstmCache {
            x: x.clone(),
            gates,
            h_prev,
            c,
            tanh_c,
        },
    )
}

crate::simd_entry!(
/// Inference: the hidden states (B, T, H) of [`forward`] from the zero state, without the cache.
/// Only one step's pre-activations (B, 4H) and the running (h, c) are kept, so a step touches a
/// few kilobytes instead of rows of the (B, T, 4H) cache.
pub fn infer<F>(p: &LstmParams<F>, x: &Array3<F>) -> Array3<F> => infer_impl);

#[inline(always)]
fn infer_impl<F: Float>(p: &LstmParams<F>, x: &Array3<F>) -> Array3<F> {
    let (bs, t_len, _) = x.dim();
    let hd = p.d_hidden();
    let (w_x_t, w_h_t) = (Packed::new(p.w_x.t()), Packed::new(p.w_h.t())); // (D, 4H), (H, 4H)
    let mut pre = Array2::<F>::zeros((bs, 4 * hd)); // (B, 4H) one step
    let mut h = Array2::<F>::zeros((bs, hd)); // (B, H) h_{t−1}, then h_t
    let mut c = Array2::<F>::zeros((bs, hd)); // (B, H) c_{t−1}, then c_t
    let mut c_next = Array2::<F>::zeros((bs, hd)); // (B, H)
    let mut tanh_c = vec![F::zero(); hd]; // (H) scratch
    let mut y = Array3::<F>::zeros((bs, t_len, hd)); // (B, T, H)
    for t in 0..t_len {
        pre.rows_mut().into_iter().for_each(|mut r| r.assign(&p.b));
        gemm(x.slice(s![.., t, ..]), &w_x_t, pre.view_mut(), true);
        gemm(h.view(), &w_h_t, pre.view_mut(), true);
        for b in 0..bs {
            let out = y.slice_mut(s![b, t, ..]).into_slice().expect("contiguous row");
            cell_step(
                pre.row_mut(b).into_slice().expect("contiguous row"),
                c.row(b).to_slice().expect("contiguous row"),
                c_next.row_mut(b).into_slice().expect("contiguous row"),
                &mut tanh_c,
                out,
            );
            h.row_mut(b).assign(&y.slice(s![b, t, ..]));
        }
        std::mem::swap(&mut c, &mut c_next);
    }
    y
}

/// δpre for one batch row at one step from δh = δy + δh_rec and the carried δc; leaves f·δc in
/// `dc` for step t−1. Branch-free over units.
#[inline(always)]
fn cell_step_back<F: Float>(
    g: &[F],
    c_prev: &[F],
    tc: &[F],
    dy: &[F],
    dh_rec: &[F],
    dc: &mut [F],
    dp: &mut [F],
) {
    let hd = dc.len();
    let one = F::one();
    let (gi, gf, gz, go) = (&g[..hd], &g[hd..2 * hd], &g[2 * hd..3 * hd], &g[3 * hd..4 * hd]);
    let (dpi, rest) = dp.split_at_mut(hd);
    let (dpf, rest) = rest.split_at_mut(hd);
    let (dpz, dpo) = rest.split_at_mut(hd);
    let dpo = &mut dpo[..hd];
    let (c_prev, tc, dy, dh_rec) = (&c_prev[..hd], &tc[..hd], &dy[..hd], &dh_rec[..hd]);
    for u in 0..hd {
        let (i, f, z, o) = (gi[u], gf[u], gz[u], go[u]);
        let dh = dy[u] + dh_rec[u];
        let dcu = dc[u] + dh * o * (one - tc[u] * tc[u]);
        dpi[u] = dcu * z * i * (one - i);
        dpf[u] = dcu * c_prev[u] * f * (one - f);
        dpz[u] = dcu * i * (one - z * z);
        dpo[u] = dh * tc[u] * o * (one - o);
        dc[u] = dcu * f;
    }
}

crate::simd_entry!(
/// [`cell_step_back`] behind a function boundary (see [`step_row`]).
fn back_row<F>(
    g: &[F],
    c_prev: &[F],
    tc: &[F],
    dy: &[F],
    dh_rec: &[F],
    dc: &mut [F],
    dp: &mut [F],
) => cell_step_back);

crate::simd_entry!(
/// BPTT. `d_h` (B, T, H) is the gradient of the loss w.r.t. every output; `d_final` that w.r.t.
/// the final state (zero when `None`). Adds into `grads`; returns d_x (B, T, D) and d_state0.
pub fn backward<F>(
    p: &LstmParams<F>,
    cache: &LstmCache<F>,
    d_h: &Array3<F>,
    d_final: Option<&LstmState<F>>,
    grads: &mut LstmParams<F>,
) -> (Array3<F>, LstmState<F>) => backward_impl);

#[inline(always)]
fn backward_impl<F: Float>(
    p: &LstmParams<F>,
    cache: &LstmCache<F>,
    d_h: &Array3<F>,
    d_final: Option<&LstmState<F>>,
    grads: &mut LstmParams<F>,
) -> (Array3<F>, LstmState<F>) {
    let (t_len, bs, hd) = cache.h_prev.dim();
    let mut carry = match d_final {
        Some(d) => LstmState {
            h: d.h.as_standard_layout().into_owned(),
            c: d.c.as_standard_layout().into_owned(),
        },
        None => LstmState::zeros(bs, hd),
    }; // d_h_rec (B, H) and d_c (B, H) flowing into step t from step t+1
    let w_h = Packed::new(p.w_h.view()); // (4H, H), packed once for all steps
    let w_x = Packed::new(p.w_x.view()); // (4H, D)
    let d_h = swap_outer(d_h.view()); // (T, B, H)
    let mut d_pre = Array3::<F>::zeros((t_len, bs, 4 * hd)); // (T, B, 4H)
    for t in (0..t_len).rev() {
        let (g, c_prev, tc) = (
            plane(&cache.gates, t),
            plane(&cache.c, t),
            plane(&cache.tanh_c, t),
        );
        let (dy, dp) = (plane(&d_h, t), plane_mut(&mut d_pre, t));
        for b in 0..bs {
            let (unit, gate) = (b * hd..(b + 1) * hd, b * 4 * hd..(b + 1) * 4 * hd);
            let dh_rec = carry.h.row(b).to_slice().expect("contiguous");
            let dc = carry.c.row_mut(b).into_slice().expect("contiguous");
            back_row(
                &g[gate.clone()],
                &c_prev[unit.clone()],
                &tc[unit.clone()],
                &dy[unit],
                dh_rec,
                dc,
                &mut dp[gate],
            );
        }
        // d_h_{t−1} = d_pre_t W_h (overwrites the carry).
        gemm(d_pre.index_axis(Axis(0), t), &w_h, carry.h.view_mut(), false);
    }
    // Parameter gradients for all steps at once, summed over the rows in batch-major order.
    let d_pre = swap_outer(d_pre.view()); // (B, T, 4H)
    let d_pre2 = rows(&d_pre); // (B·T, 4H)
    let one = F::one();
    let h_prev = swap_outer(cache.h_prev.view()); // (B, T, H)
    general_mat_mul(one, &d_pre2.t(), &rows(&h_prev), one, &mut grads.w_h);
    general_mat_mul(one, &d_pre2.t(), &rows(&cache.x), one, &mut grads.w_x);
    grads.b += &d_pre2.sum_axis(Axis(0));
    let mut d_x = Array3::zeros(cache.x.dim()); // (B, T, D)
    let (n_rows, d_in) = (bs * t_len, cache.x.dim().2);
    let d_x2 = d_x
        .view_mut()
        .into_shape_with_order((n_rows, d_in))
        .expect("contiguous");
    gemm(d_pre2, &w_x, d_x2, false);
    (d_x, carry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as2, as3, randn, GradCheck, WithInputs};
    use ndarray::array;

    /// D = H = 1, every input weight 0.5, W_h = 0, b = 0, x = 1, c_0 = 0.5:
    /// all pre-activations are 0.5, so i = f = o = σ(0.5) = 0.6224593312018546 and
    /// z = tanh(0.5) = 0.46211715726000974; c_1 = f·0.5 + i·z = 0.5988788022458953;
    /// h_1 = o·tanh(c_1) = 0.6224593312018546 · 0.5362512672560383 = 0.3337946051723406.
    #[test]
    fn hand_computed_one_unit_step() {
        let p = LstmParams {
            w_x: Array2::from_elem((4, 1), 0.5),
            w_h: Array2::zeros((4, 1)),
            b: Array1::zeros(4),
        };
        let s0 = LstmState {
            h: array![[0.0]],
            c: array![[0.5]],
        };
        let (y, fin, _) = forward(&p, &Array3::from_elem((1, 1, 1), 1.0), Some(&s0));
        assert!((y[[0, 0, 0]] - 0.3337946051723406f64).abs() < 1e-15);
        assert!((fin.c[[0, 0]] - 0.5988788022458953f64).abs() < 1e-15);
    }

    /// Fake loss Σ h ⊙ g + Σ h_T ⊙ g_h + Σ c_T ⊙ g_c, so the final-state gradient is checked too.
    #[test]
    fn lstm_grads_match_finite_differences() {
        let (bs, t_len, d, hd) = (2, 7, 3, 4);
        let mut rng = Rng::new(21);
        let mut p = LstmParams::<f64>::init(d, hd, &mut rng);
        p.w_x.mapv_inplace(|_| 0.5 * rng.normal());
        p.w_h.mapv_inplace(|_| 0.5 * rng.normal());
        p.b.mapv_inplace(|_| 0.5 * rng.normal());
        let inputs = vec![
            ("x", randn(&mut rng, &[bs, t_len, d], 1.0)),
            ("h0", randn(&mut rng, &[bs, hd], 0.5)),
            ("c0", randn(&mut rng, &[bs, hd], 1.0)),
        ];
        let upstream = [
            randn(&mut rng, &[bs, t_len, hd], 1.0),
            randn(&mut rng, &[bs, hd], 1.0),
            randn(&mut rng, &[bs, hd], 1.0),
        ];
        GradCheck::default().assert_layer(
            "lstm",
            &WithInputs::new(p, inputs),
            &upstream,
            |pt| {
                let s0 = LstmState {
                    h: pt.get2("h0"),
                    c: pt.get2("c0"),
                };
                let (y, fin, cache) = forward(&pt.params, &pt.get3("x"), Some(&s0));
                (vec![y.into_dyn(), fin.h.into_dyn(), fin.c.into_dyn()], cache)
            },
            |pt, cache, g, grads| {
                let d_fin = LstmState {
                    h: as2(&g[1]),
                    c: as2(&g[2]),
                };
                let (d_x, d0) = backward(&pt.params, cache, &as3(&g[0]), Some(&d_fin), grads);
                vec![d_x.into_dyn(), d0.h.into_dyn(), d0.c.into_dyn()]
            },
        );
    }

    #[test]
    fn forget_bias_starts_at_one_and_zero_state_is_the_default() {
        let mut rng = Rng::new(3);
        let p = LstmParams::<f64>::init(2, 3, &mut rng);
        assert_eq!(
            p.b.to_vec(),
            vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        let x = as3(&randn(&mut rng, &[2, 4, 2], 1.0));
        let (y0, _, _) = forward(&p, &x, None);
        let (y1, _, _) = forward(&p, &x, Some(&LstmState::zeros(2, 3)));
        assert_eq!(y0, y1);
        let (p32, x32) = (
            LstmParams {
                w_x: p.w_x.mapv(|v| v as f32),
                w_h: p.w_h.mapv(|v| v as f32),
                b: p.b.mapv(|v| v as f32),
            },
            x.mapv(|v| v as f32),
        );
        assert_eq!(infer(&p, &x), y0, "inference without the cache, f64");
        assert_eq!(
            infer(&p32, &x32),
            forward(&p32, &x32, None).0,
            "inference without the cache, f32"
        );
    }
}

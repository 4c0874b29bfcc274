//! The mLSTM cell in its parallel (attention-like) form: forward and exact backward.
//!
//! Per (batch, head), with F̄_t = Σ_{s≤t} logσ(f̃_s) (`xlstm-math.md` §2.3):
//! log D_ts = F̄_t − F̄_s + ĩ_s for s ≤ t (−∞ above the diagonal), m_t = max_s log D_ts,
//! D'_ts = exp(log D_ts − m_t), S = Q Kᵀ/√d, C̃ = S ⊙ D', r_t = Σ_s C̃_ts,
//! N_t = max(|r_t|, exp(−m_t)) + ε and H̃ = (C̃/N) V. It computes the same h̃ as the recurrent
//! form started from the empty state ([`MlstmState::zeros`](super::mlstm::MlstmState::zeros), m_0 = −∞ gives the same m_t, so
//! even the ε term agrees). Backward per §5.4, exact including the normaliser term, m constant.
//! Cost O(T²d) per head and B·NH·T² floats of cache, against O(T d²) for the recurrent form.
//! Full masked matrix products are used (the causal half is not skipped).

use super::activation::{log_sigmoid, sigmoid};
use super::fastmath::sum_lanes;
use super::kernel::{gemm, Packed};
use super::mlstm::{kink_margin, zeros_like_input, MlstmCell, MlstmInput};
use super::{cast, Float};
use ndarray::{s, Array2, Array3, Array4, ArrayView2, ArrayViewMut2};

/// What the parallel backward pass needs (besides the inputs).
#[derive(Clone, Debug)]
pub struct ParallelCache<F> {
    /// C̃ = S ⊙ D' (D' itself is recomputed in the backward pass, with the same expression).
    c_tilde: Array4<F>, // (B, NH, T, T)
    /// r_t = Σ_s C̃_ts.
    r: Array3<F>, // (B, NH, T)
    /// Row maximum m_t of log D.
    m: Array3<F>, // (B, NH, T)
    /// Normaliser N_t.
    norm: Array3<F>, // (B, NH, T)
    /// Output h̃.
    h: Array3<F>, // (B, T, E)
}

impl<F: Float> ParallelCache<F> {
    /// Distance to the normaliser kink (r_t against e^{−m_t}); see [`kink_margin`].
    pub fn kink_margin(&self) -> (f64, f64) {
        kink_margin(self.r.iter().copied(), self.m.iter().map(|m| (-*m).exp()))
    }
}

/// The stabiliser of one (batch, head) in O(T): F̄_t = Σ_{s≤t} logσ(f̃_s) into `f_bar`,
/// g_s = ĩ_s − F̄_s into `g` and the running maximum g*_t = max_{s≤t} g_s into `g_max`, so that
/// log D_ts = F̄_t + g_s, m_t = F̄_t + g*_t and D'_ts = exp(g_s − g*_t) (all T).
fn stabiliser<F: Float>(
    x: &MlstmInput<F>,
    (bi, hi): (usize, usize),
    f_bar: &mut [F],
    g: &mut [F],
    g_max: &mut [F],
) {
    let (mut acc, mut best) = (F::zero(), F::neg_infinity());
    for t in 0..f_bar.len() {
        acc += log_sigmoid(x.f_pre[[bi, t, hi]]);
        f_bar[t] = acc;
        g[t] = x.i_pre[[bi, t, hi]] - acc;
        best = best.max(g[t]);
        g_max[t] = best;
    }
}

/// The (T, d) slice of head `hi` of batch element `bi` in a (B, T, E) tensor.
fn head_view<F>(a: &Array3<F>, bi: usize, hi: usize, d: usize) -> ArrayView2<'_, F> {
    a.slice(s![bi, .., hi * d..(hi + 1) * d])
}

fn head_view_mut<F>(a: &mut Array3<F>, bi: usize, hi: usize, d: usize) -> ArrayViewMut2<'_, F> {
    a.slice_mut(s![bi, .., hi * d..(hi + 1) * d])
}

crate::simd_entry!(fn forward_parallel<F>(cell: &MlstmCell, x: &MlstmInput<F>) -> (Array3<F>, ParallelCache<F>) => forward_impl);

#[inline(always)]
fn forward_impl<F: Float>(cell: &MlstmCell, x: &MlstmInput<F>) -> (Array3<F>, ParallelCache<F>) {
    let (batch, t_len, e) = x.q.dim();
    let (nh, d) = (cell.nh, e / cell.nh);
    debug_assert_eq!(nh * d, e, "E = {e} is not a multiple of NH = {nh}");
    debug_assert_eq!(x.f_pre.dim(), (batch, t_len, nh), "gate shape");
    let mut cache = ParallelCache {
        c_tilde: Array4::zeros((batch, nh, t_len, t_len)),
        r: Array3::zeros((batch, nh, t_len)),
        m: Array3::zeros((batch, nh, t_len)),
        norm: Array3::zeros((batch, nh, t_len)),
        h: Array3::zeros((batch, t_len, e)),
    };
    let scale = cast::<F>(1.0 / (d as f64).sqrt());
    let eps = cast::<F>(cell.eps);
    let (mut f_bar, mut g, mut g_max) = (
        vec![F::zero(); t_len],
        vec![F::zero(); t_len],
        vec![F::zero(); t_len],
    ); // (T) each
    let (mut k_t, mut v) = (Packed::empty(), Packed::empty()); // Kᵀ/√d (d, T), V (T, d)
    for bi in 0..batch {
        for hi in 0..nh {
            let qh = head_view(&x.q, bi, hi, d);
            k_t.pack_scaled(head_view(&x.k, bi, hi, d).t(), scale);
            let mut c_tilde = cache.c_tilde.slice_mut(s![bi, hi, .., ..]); // (T, T)
            gemm(qh, &k_t, c_tilde.view_mut(), false); // S
            stabiliser(x, (bi, hi), &mut f_bar, &mut g, &mut g_max);
            for (t, mut row) in c_tilde.outer_iter_mut().enumerate() {
                let row = row.as_slice_mut().expect("contiguous row");
                let (past, future) = row.split_at_mut(t + 1);
                let g_max_t = g_max[t];
                for (c, &g_s) in past.iter_mut().zip(&g[..=t]) {
                    *c *= (g_s - g_max_t).fast_exp();
                }
                future.iter_mut().for_each(|c| *c = F::zero());
                let r = sum_lanes(past);
                let m = f_bar[t] + g_max[t];
                cache.m[[bi, hi, t]] = m;
                cache.r[[bi, hi, t]] = r;
                cache.norm[[bi, hi, t]] = r.abs().max((-m).exp()) + eps;
            }
            let mut h = head_view_mut(&mut cache.h, bi, hi, d);
            v.pack(head_view(&x.v, bi, hi, d));
            gemm(c_tilde.view(), &v, h.view_mut(), false);
            for (t, mut row) in h.outer_iter_mut().enumerate() {
                let inv_norm = F::one() / cache.norm[[bi, hi, t]];
                row.iter_mut().for_each(|z| *z *= inv_norm);
            }
        }
    }
    (cache.h.clone(), cache)
}

impl MlstmCell {
    /// Parallel forward from the empty state. Returns h̃ (B, T, E) and the cache.
    pub fn forward_parallel<F: Float>(&self, x: &MlstmInput<F>) -> (Array3<F>, ParallelCache<F>) {
        forward_parallel(self, x)
    }

    /// Exact parallel backward (§5.4) for the upstream gradient `d_h` (B, T, E); returns the
    /// gradients with respect to the inputs.
    pub fn backward_parallel<F: Float>(
        &self,
        x: &MlstmInput<F>,
        cache: &ParallelCache<F>,
        d_h: &Array3<F>,
    ) -> MlstmInput<F> {
        let (batch, t_len, e) = x.q.dim();
        let nh = self.nh;
        debug_assert_eq!(d_h.dim(), (batch, t_len, e), "d_h shape");
        let mut dx = zeros_like_input(x);
        let mut packed = Packed::empty(); // one right-hand operand at a time
        let mut d_ct = Array2::zeros((t_len, t_len)); // (T, T) δC̃, then δS, then C̃/N
        let mut d_log_d = Array2::zeros((t_len, t_len)); // (T, T) δ log D
        let (mut f_bar, mut g, mut g_max) = (
            vec![F::zero(); t_len],
            vec![F::zero(); t_len],
            vec![F::zero(); t_len],
        ); // (T) each
        for bi in 0..batch {
            for hi in 0..nh {
                stabiliser(x, (bi, hi), &mut f_bar, &mut g, &mut g_max);
                let bufs = (&mut d_ct, &mut d_log_d, &mut packed);
                backward_scores(self, x, cache, d_h, (bi, hi), (&g, &g_max), bufs, &mut dx);
                // δĩ_s = Σ_t δlogD_ts; δF̄_t = Σ_s δlogD_ts − Σ_u δlogD_ut; δℓ_t = Σ_{u≥t} δF̄_u.
                let mut d_l = F::zero();
                let col_sums = d_log_d.sum_axis(ndarray::Axis(0)); // (T) Σ_t δlogD_ts
                for t in (0..t_len).rev() {
                    let col = col_sums[t];
                    dx.i_pre[[bi, t, hi]] += col;
                    d_l += sum_lanes(d_log_d.row(t).as_slice().expect("contiguous row")) - col;
                    let f_pre = x.f_pre[[bi, t, hi]];
                    dx.f_pre[[bi, t, hi]] += d_l * sigmoid(-f_pre);
                }
            }
        }
        dx
    }
}

crate::simd_entry!(
/// For one (batch, head): δQ, δK, δV into `dx`, and δ log D into `d_log_d`.
#[allow(clippy::too_many_arguments)]
fn backward_scores<F>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    cache: &ParallelCache<F>,
    d_h: &Array3<F>,
    head: (usize, usize),
    stab: (&[F], &[F]),
    bufs: (&mut Array2<F>, &mut Array2<F>, &mut Packed<F>),
    dx: &mut MlstmInput<F>,
) => backward_scores_impl);

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_scores_impl<F: Float>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    cache: &ParallelCache<F>,
    d_h: &Array3<F>,
    (bi, hi): (usize, usize),
    (g, g_max): (&[F], &[F]),
    (d_ct, d_log_d, packed): (&mut Array2<F>, &mut Array2<F>, &mut Packed<F>),
    dx: &mut MlstmInput<F>,
) {
    let (t_len, d) = (x.q.dim().1, x.q.dim().2 / cell.nh);
    let scale = cast::<F>(1.0 / (d as f64).sqrt());
    let (dh, h) = (head_view(d_h, bi, hi, d), head_view(&cache.h, bi, hi, d));
    let c_tilde = cache.c_tilde.slice(s![bi, hi, .., ..]); // (T, T)
                                                           // δC̃_ts = δh̃_t·v_s / N_t + [|r_t| > e^{−m_t}] sign(r_t) δN_t, with δN_t = −δh̃_t·h̃_t / N_t.
    packed.pack(head_view(&x.v, bi, hi, d).t());
    gemm(dh, packed, d_ct.view_mut(), false);
    for t in 0..t_len {
        let (r, m, norm) = (
            cache.r[[bi, hi, t]],
            cache.m[[bi, hi, t]],
            cache.norm[[bi, hi, t]],
        );
        let d_norm = -dh.row(t).dot(&h.row(t)) / norm;
        let d_r = if r.abs() > (-m).exp() {
            d_norm * r.signum()
        } else {
            F::zero()
        };
        let inv_norm = F::one() / norm;
        let ct_row = c_tilde.row(t);
        let ct_row = ct_row.as_slice().expect("contiguous row");
        let mut dct_row = d_ct.row_mut(t);
        let dct_row = dct_row.as_slice_mut().expect("contiguous row");
        let mut dld_row = d_log_d.row_mut(t);
        let dld_row = dld_row.as_slice_mut().expect("contiguous row");
        let g_max_t = g_max[t];
        let (dct_past, dld_past) = (&mut dct_row[..=t], &mut dld_row[..=t]);
        for s in 0..=t {
            let grad = dct_past[s] * inv_norm + d_r;
            let d_prime = (g[s] - g_max_t).fast_exp(); // as in the forward pass
            dld_past[s] = grad * ct_row[s];
            dct_past[s] = grad * d_prime; // δS
        }
        dld_row[t + 1..].iter_mut().for_each(|v| *v = F::zero());
        dct_row[t + 1..].iter_mut().for_each(|v| *v = F::zero());
    }
    // δQ = δS K/√d; δK = δSᵀ Q/√d.
    let (qh, kh) = (head_view(&x.q, bi, hi, d), head_view(&x.k, bi, hi, d));
    packed.pack_scaled(kh, scale);
    gemm(d_ct.view(), packed, head_view_mut(&mut dx.q, bi, hi, d), true);
    packed.pack_scaled(qh, scale);
    gemm(d_ct.t(), packed, head_view_mut(&mut dx.k, bi, hi, d), true);
    // δV = (C̃/N)ᵀ δH̃.
    for (t, (mut out, ct_row)) in d_ct.outer_iter_mut().zip(c_tilde.outer_iter()).enumerate() {
        let inv_norm = F::one() / cache.norm[[bi, hi, t]];
        out.iter_mut().zip(ct_row).for_each(|(o, &c)| *o = c * inv_norm);
    }
    packed.pack(dh);
    gemm(d_ct.t(), packed, head_view_mut(&mut dx.v, bi, hi, d), true);
}

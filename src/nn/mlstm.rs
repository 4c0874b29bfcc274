//! The mLSTM cell (matrix memory), stabilised recurrent form: forward and exact backward.
//!
//! Per head (NH heads of width d = E/NH), for t = 0..T (`xlstm-math.md` §2.2):
//! ℓ_t = logσ(f̃_t), m_t = max(ℓ_t + m_{t−1}, ĩ_t), f'_t = exp(ℓ_t + m_{t−1} − m_t),
//! i'_t = exp(ĩ_t − m_t), k̂_t = k_t/√d, C_t = f'_t C_{t−1} + i'_t k̂_t v_tᵀ (d×d, key-major),
//! n_t = f'_t n_{t−1} + i'_t k̂_t, b_t = q_t·n_t, N_t = max(|b_t|, exp(−m_t)) + ε and
//! h̃_t = C_tᵀ q_t / N_t. The attention-like parallel form of the same cell is in
//! `mlstm_parallel.rs`; derivations of both are in `docs/derivations/mlstm.md`.
//!
//! The backward pass (§5.3) holds m constant (exact by gauge invariance, §5.1, up to ε) and keeps
//! the normaliser term δN, which the official `mlstm_kernels` drop (§5.5).
//! Memory: the recurrent cache stores C_t for every step, B·NH·(T+1)·d² floats (§8.3). That is fine
//! for the small models here; checkpointing C every L ≈ √T steps is the known fix if it is not.
//!
//! Public API: [`MlstmCell::new`]`(nh)`; [`MlstmCell::forward_recurrent`]`(&x, &s0) -> (h, s_T,
//! RecurrentCache)`; [`MlstmCell::backward_recurrent`]`(&x, &cache, &d_h) -> (d_x, d_s0)`;
//! `forward_parallel` / `backward_parallel` in `mlstm_parallel.rs`; [`MlstmInput`] (q, k, v, ĩ, f̃,
//! also the type of their gradient) and [`MlstmState`] (C, n, m; [`MlstmState::zeros`]).
//! Inputs are (B, T, ·) arrays in standard layout.

use super::activation::{log_sigmoid, sigmoid};
use super::fastmath::dot_lanes;
use super::{cast, Float};
use ndarray::{s, Array2, Array3, Array4};

/// The ε added to the normaliser N_t in stabilised units (official value, §6.5).
pub const EPS: f64 = 1e-6;

/// Settings of the mLSTM cell (it has no parameters of its own).
#[derive(Clone, Debug, PartialEq)]
pub struct MlstmCell {
    /// Number of heads NH; the head width is d = E/NH.
    pub nh: usize,
    /// ε in N_t = max(|q·n|, exp(−m)) + ε. [`EPS`] by default; 0 makes the cell exactly gauge
    /// invariant (used by tests).
    pub eps: f64,
}

/// The cell's inputs over a sequence; the gradient with respect to them has the same type.
#[derive(Clone, Debug)]
pub struct MlstmInput<F> {
    /// Queries.
    pub q: Array3<F>, // (B, T, E)
    /// Keys (scaled by 1/√d inside the cell).
    pub k: Array3<F>, // (B, T, E)
    /// Values.
    pub v: Array3<F>, // (B, T, E)
    /// Input-gate pre-activations ĩ.
    pub i_pre: Array3<F>, // (B, T, NH)
    /// Forget-gate pre-activations f̃ (sigmoid forget gate, in log space).
    pub f_pre: Array3<F>, // (B, T, NH)
}
crate::impl_params!(MlstmInput {
    q,
    k,
    v,
    i_pre,
    f_pre
});

/// Recurrent state (C, n, m) in stabilised units: the memory is C·exp(m).
#[derive(Clone, Debug)]
pub struct MlstmState<F> {
    /// Matrix memory, key-major: c[b, h, a, j] accumulates k̂_a v_j.
    pub c: Array4<F>, // (B, NH, d, d)
    /// Normaliser state.
    pub n: Array3<F>, // (B, NH, d)
    /// Stabiliser.
    pub m: Array2<F>, // (B, NH)
}
crate::impl_params!(MlstmState { c, n, m });

impl<F: Float> MlstmState<F> {
    /// The empty memory: C = 0, n = 0 and m = −∞. The official code starts from m = 0; the two
    /// give the same h up to ε (§2.2), and m = −∞ makes the recurrent stabiliser equal the
    /// parallel form's row maximum, so both forms agree to rounding.
    pub fn zeros(batch: usize, nh: usize, d: usize) -> Self {
        MlstmState {
            c: Array4::zeros((batch, nh, d, d)),
            n: Array3::zeros((batch, nh, d)),
            m: Array2::from_elem((batch, nh), F::neg_infinity()),
        }
    }
}

/// What the recurrent backward pass needs (besides the inputs, which it is given again).
#[derive(Clone, Debug)]
pub struct RecurrentCache<F> {
    /// C_t for t = 0..=T (index 0 is the initial state), each row a key-major d×d matrix.
    c: Array4<F>, // (B, NH, T+1, d·d)
    /// n_t for t = 0..=T.
    n: Array4<F>, // (B, NH, T+1, d)
    /// Stabilised input gate i'_t.
    ip: Array3<F>, // (B, NH, T)
    /// Stabilised forget gate f'_t.
    fp: Array3<F>, // (B, NH, T)
    /// b_t = q_t·n_t.
    b: Array3<F>, // (B, NH, T)
    /// Floor exp(−m_t).
    floor: Array3<F>, // (B, NH, T)
    /// Normaliser N_t.
    norm: Array3<F>, // (B, NH, T)
    /// Output h̃.
    h: Array3<F>, // (B, T, E)
}

impl<F: Float> RecurrentCache<F> {
    /// Distance to the normaliser kink; see [`kink_margin`].
    pub fn kink_margin(&self) -> (f64, f64) {
        kink_margin(self.b.iter().copied(), self.floor.iter().copied())
    }
}

/// Smallest relative distance ||b| − floor| / floor to the kink of N = max(|b|, floor), and the
/// fraction of (batch, head, step) entries on the |b| branch. Gradient-check test points need a
/// margin well above the finite-difference step (§6.4).
pub fn kink_margin<F: Float>(b: impl Iterator<Item = F>, floor: impl Iterator<Item = F>) -> (f64, f64) {
    let (mut margin, mut abs_branch, mut count) = (f64::INFINITY, 0usize, 0usize);
    for (b, fl) in b.zip(floor) {
        let (b, fl) = (b.to_f64().unwrap_or(f64::NAN), fl.to_f64().unwrap_or(f64::NAN));
        margin = margin.min((b.abs() - fl).abs() / fl);
        abs_branch += usize::from(b.abs() > fl);
        count += 1;
    }
    (margin, abs_branch as f64 / count.max(1) as f64)
}

/// One step of the stabiliser: returns (i'_t, f'_t, m_t).
#[inline(always)]
fn stabilised_gates<F: Float>(i_pre: F, f_pre: F, m_prev: F) -> (F, F, F) {
    let l = log_sigmoid(f_pre);
    let m = (l + m_prev).max(i_pre);
    ((i_pre - m).fast_exp(), (l + m_prev - m).fast_exp(), m)
}

crate::simd_entry!(fn forward_recurrent<F>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    s0: &MlstmState<F>,
) -> (Array3<F>, MlstmState<F>, RecurrentCache<F>) => forward_recurrent_body);

#[inline(always)]
fn forward_recurrent_body<F: Float>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    s0: &MlstmState<F>,
) -> (Array3<F>, MlstmState<F>, RecurrentCache<F>) {
    cell.forward_recurrent_impl(x, s0)
}

crate::simd_entry!(fn infer_recurrent<F>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    s0: &MlstmState<F>,
) -> Array3<F> => infer_recurrent_body);

#[inline(always)]
fn infer_recurrent_body<F: Float>(cell: &MlstmCell, x: &MlstmInput<F>, s0: &MlstmState<F>) -> Array3<F> {
    cell.infer_recurrent_impl(x, s0)
}

crate::simd_entry!(fn backward_recurrent<F>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    cache: &RecurrentCache<F>,
    d_h: &Array3<F>,
) -> (MlstmInput<F>, MlstmState<F>) => backward_recurrent_body);

#[inline(always)]
fn backward_recurrent_body<F: Float>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    cache: &RecurrentCache<F>,
    d_h: &Array3<F>,
) -> (MlstmInput<F>, MlstmState<F>) {
    cell.backward_recurrent_impl(x, cache, d_h)
}

/// Index helpers over the flat (row-major) buffers of one (batch, head) pair.
#[derive(Clone, Copy)]
pub(super) struct Head {
    pub(super) bi: usize,
    pub(super) hi: usize,
    pub(super) t_len: usize,
    pub(super) nh: usize,
    pub(super) d: usize,
}

impl Head {
    /// Start of head hi at step t in a (B, T, E) buffer.
    pub(super) fn x(&self, t: usize) -> usize {
        (self.bi * self.t_len + t) * self.nh * self.d + self.hi * self.d
    }
    /// Gate index at step t in a (B, T, NH) buffer.
    pub(super) fn gate(&self, t: usize) -> usize {
        (self.bi * self.t_len + t) * self.nh + self.hi
    }
    /// Step index in a (B, NH, T) buffer.
    pub(super) fn step(&self, t: usize) -> usize {
        (self.bi * self.nh + self.hi) * self.t_len + t
    }
    /// Start of state t (0..=T) in a (B, NH, T+1, width) buffer.
    fn state(&self, t: usize, width: usize) -> usize {
        ((self.bi * self.nh + self.hi) * (self.t_len + 1) + t) * width
    }
}

impl MlstmCell {
    /// A cell with `nh` heads and the official ε.
    pub fn new(nh: usize) -> Self {
        MlstmCell { nh, eps: EPS }
    }

    /// Recurrent forward from the state `s0`. Returns h̃ (B, T, E), the final state and the cache.
    pub fn forward_recurrent<F: Float>(
        &self,
        x: &MlstmInput<F>,
        s0: &MlstmState<F>,
    ) -> (Array3<F>, MlstmState<F>, RecurrentCache<F>) {
        forward_recurrent(self, x, s0)
    }

    #[inline(always)]
    fn forward_recurrent_impl<F: Float>(
        &self,
        x: &MlstmInput<F>,
        s0: &MlstmState<F>,
    ) -> (Array3<F>, MlstmState<F>, RecurrentCache<F>) {
        let (batch, t_len, e) = x.q.dim();
        let (nh, d) = (self.nh, e / self.nh);
        debug_assert_eq!(nh * d, e, "E = {e} is not a multiple of NH = {nh}");
        debug_assert_eq!(x.i_pre.dim(), (batch, t_len, nh), "gate shape");
        debug_assert_eq!(s0.c.dim(), (batch, nh, d, d), "C0 shape");
        let mut cache = RecurrentCache {
            c: Array4::zeros((batch, nh, t_len + 1, d * d)),
            n: Array4::zeros((batch, nh, t_len + 1, d)),
            ip: Array3::zeros((batch, nh, t_len)),
            fp: Array3::zeros((batch, nh, t_len)),
            b: Array3::zeros((batch, nh, t_len)),
            floor: Array3::zeros((batch, nh, t_len)),
            norm: Array3::zeros((batch, nh, t_len)),
            h: Array3::zeros((batch, t_len, e)),
        };
        let mut last = MlstmState {
            c: Array4::zeros((batch, nh, d, d)),
            n: Array3::zeros((batch, nh, d)),
            m: Array2::zeros((batch, nh)),
        };
        for bi in 0..batch {
            for hi in 0..nh {
                let c0 = s0.c.slice(s![bi, hi, .., ..]);
                cache
                    .c
                    .slice_mut(s![bi, hi, 0, ..])
                    .iter_mut()
                    .zip(c0.iter())
                    .for_each(|(a, b)| *a = *b);
                cache
                    .n
                    .slice_mut(s![bi, hi, 0, ..])
                    .assign(&s0.n.slice(s![bi, hi, ..]));
                let head = Head { bi, hi, t_len, nh, d };
                last.m[[bi, hi]] = self.forward_head(x, head, s0.m[[bi, hi]], &mut cache);
                let c_t = cache.c.slice(s![bi, hi, t_len, ..]);
                last.c
                    .slice_mut(s![bi, hi, .., ..])
                    .iter_mut()
                    .zip(c_t.iter())
                    .for_each(|(a, b)| *a = *b);
                last.n
                    .slice_mut(s![bi, hi, ..])
                    .assign(&cache.n.slice(s![bi, hi, t_len, ..]));
            }
        }
        (cache.h.clone(), last, cache)
    }

    /// The recurrence of one (batch, head) pair; the cache already holds C_0 and n_0.
    /// Returns m_T.
    #[inline(always)]
    fn forward_head<F: Float>(&self, x: &MlstmInput<F>, hd: Head, m0: F, cache: &mut RecurrentCache<F>) -> F {
        let (d, dd) = (hd.d, hd.d * hd.d);
        let scale = cast::<F>(1.0 / (d as f64).sqrt());
        let eps = cast::<F>(self.eps);
        let (q, k, v) = (slice(&x.q), slice(&x.k), slice(&x.v));
        let (i_pre, f_pre) = (slice(&x.i_pre), slice(&x.f_pre));
        let c_all = cache.c.as_slice_mut().expect("standard layout");
        let n_all = cache.n.as_slice_mut().expect("standard layout");
        let h = cache.h.as_slice_mut().expect("standard layout");
        let (ip_all, fp_all) = (slice_mut(&mut cache.ip), slice_mut(&mut cache.fp));
        let (b_all, floor_all) = (slice_mut(&mut cache.b), slice_mut(&mut cache.floor));
        let norm_all = slice_mut(&mut cache.norm);
        let mut m_prev = m0;
        for t in 0..hd.t_len {
            let (x0, g, st) = (hd.x(t), hd.gate(t), hd.step(t));
            let (ip, fp, m) = stabilised_gates(i_pre[g], f_pre[g], m_prev);
            let (c_prev, c_t) = c_all[hd.state(t, dd)..hd.state(t + 2, dd)].split_at_mut(dd);
            let (n_prev, n_t) = n_all[hd.state(t, d)..hd.state(t + 2, d)].split_at_mut(d);
            let (q_t, k_t, v_t) = (&q[x0..x0 + d], &k[x0..x0 + d], &v[x0..x0 + d]);
            let mut b = F::zero();
            for a in 0..d {
                let ik = ip * k_t[a] * scale;
                let rows = c_t[a * d..(a + 1) * d]
                    .iter_mut()
                    .zip(&c_prev[a * d..(a + 1) * d]);
                rows.zip(v_t)
                    .for_each(|((c, &c_p), &v_j)| *c = fp * c_p + ik * v_j);
                n_t[a] = fp * n_prev[a] + ik;
                b += q_t[a] * n_t[a];
            }
            let floor = (-m).exp();
            let norm = b.abs().max(floor) + eps;
            let h_t = &mut h[x0..x0 + d];
            for (a, c_row) in c_t.chunks_exact(d).enumerate() {
                let qa = q_t[a] / norm;
                h_t.iter_mut().zip(c_row).for_each(|(h, &c)| *h += c * qa);
            }
            (ip_all[st], fp_all[st], norm_all[st]) = (ip, fp, norm);
            (b_all[st], floor_all[st]) = (b, floor);
            m_prev = m;
        }
        m_prev
    }

    /// Inference: h̃ (B, T, E) of [`MlstmCell::forward_recurrent`] without the cache. Only the
    /// running C (d, d) and n (d) of one (batch, head) pair are kept, instead of C_t for every step.
    pub fn infer_recurrent<F: Float>(&self, x: &MlstmInput<F>, s0: &MlstmState<F>) -> Array3<F> {
        infer_recurrent(self, x, s0)
    }

    #[inline(always)]
    fn infer_recurrent_impl<F: Float>(&self, x: &MlstmInput<F>, s0: &MlstmState<F>) -> Array3<F> {
        let (batch, t_len, e) = x.q.dim();
        let (nh, d) = (self.nh, e / self.nh);
        let scale = cast::<F>(1.0 / (d as f64).sqrt());
        let eps = cast::<F>(self.eps);
        let (q, k, v) = (slice(&x.q), slice(&x.k), slice(&x.v));
        let (i_pre, f_pre) = (slice(&x.i_pre), slice(&x.f_pre));
        let mut h = Array3::zeros((batch, t_len, e)); // (B, T, E)
        let h_all = h.as_slice_mut().expect("standard layout");
        let mut c = vec![F::zero(); d * d]; // (d, d) running C, key-major
        let mut n = vec![F::zero(); d]; // (d) running n
        for bi in 0..batch {
            for hi in 0..nh {
                c.iter_mut()
                    .zip(s0.c.slice(s![bi, hi, .., ..]).iter())
                    .for_each(|(a, b)| *a = *b);
                n.iter_mut()
                    .zip(s0.n.slice(s![bi, hi, ..]).iter())
                    .for_each(|(a, b)| *a = *b);
                let hd = Head { bi, hi, t_len, nh, d };
                let mut m_prev = s0.m[[bi, hi]];
                for t in 0..t_len {
                    let (x0, g) = (hd.x(t), hd.gate(t));
                    let (ip, fp, m) = stabilised_gates(i_pre[g], f_pre[g], m_prev);
                    let (q_t, k_t, v_t) = (&q[x0..x0 + d], &k[x0..x0 + d], &v[x0..x0 + d]);
                    let mut b = F::zero();
                    for a in 0..d {
                        let ik = ip * k_t[a] * scale;
                        c[a * d..(a + 1) * d]
                            .iter_mut()
                            .zip(v_t)
                            .for_each(|(c, &v_j)| *c = fp * *c + ik * v_j);
                        n[a] = fp * n[a] + ik;
                        b += q_t[a] * n[a];
                    }
                    let norm = b.abs().max((-m).exp()) + eps;
                    let h_t = &mut h_all[x0..x0 + d];
                    for (a, c_row) in c.chunks_exact(d).enumerate() {
                        let qa = q_t[a] / norm;
                        h_t.iter_mut().zip(c_row).for_each(|(h, &c)| *h += c * qa);
                    }
                    m_prev = m;
                }
            }
        }
        h
    }

    /// Exact recurrent backward (§5.3) for the upstream gradient `d_h` (B, T, E). Returns the
    /// gradients with respect to the inputs and to the initial state (δm_0 = ⟨δC_0, C_0⟩ + δn_0·n_0,
    /// the derivative through C̄_0 = C_0·e^{m_0} with m_1.. held constant).
    pub fn backward_recurrent<F: Float>(
        &self,
        x: &MlstmInput<F>,
        cache: &RecurrentCache<F>,
        d_h: &Array3<F>,
    ) -> (MlstmInput<F>, MlstmState<F>) {
        backward_recurrent(self, x, cache, d_h)
    }

    #[inline(always)]
    fn backward_recurrent_impl<F: Float>(
        &self,
        x: &MlstmInput<F>,
        cache: &RecurrentCache<F>,
        d_h: &Array3<F>,
    ) -> (MlstmInput<F>, MlstmState<F>) {
        let (batch, t_len, e) = x.q.dim();
        let (nh, d) = (self.nh, e / self.nh);
        debug_assert_eq!(d_h.dim(), (batch, t_len, e), "d_h shape");
        let mut dx = zeros_like_input(x);
        let mut ds = MlstmState {
            c: Array4::zeros((batch, nh, d, d)),
            n: Array3::zeros((batch, nh, d)),
            m: Array2::zeros((batch, nh)),
        };
        let mut d_c = vec![F::zero(); d * d]; // δC carried from t+1, (d, d)
        let mut d_n = vec![F::zero(); d]; // δn carried from t+1, (d)
        let d_h = d_h.as_standard_layout();
        let d_h = d_h.as_slice().expect("standard layout");
        for bi in 0..batch {
            for hi in 0..nh {
                d_c.iter_mut().for_each(|z| *z = F::zero());
                d_n.iter_mut().for_each(|z| *z = F::zero());
                let hd = Head { bi, hi, t_len, nh, d };
                self.backward_head(x, cache, d_h, hd, &mut dx, &mut d_c, &mut d_n);
                let (c0, n0) = (
                    &cache.c.as_slice().unwrap()[hd.state(0, d * d)..],
                    &cache.n.as_slice().unwrap()[hd.state(0, d)..],
                );
                let mut dm = F::zero();
                for (idx, dc) in ds.c.slice_mut(s![bi, hi, .., ..]).iter_mut().enumerate() {
                    *dc = d_c[idx];
                    dm += d_c[idx] * c0[idx];
                }
                for (a, dn) in ds.n.slice_mut(s![bi, hi, ..]).iter_mut().enumerate() {
                    *dn = d_n[a];
                    dm += d_n[a] * n0[a];
                }
                ds.m[[bi, hi]] = dm;
            }
        }
        (dx, ds)
    }

    /// BPTT over one (batch, head) pair, t = T−1 down to 0. On return `d_c`, `d_n` hold δC_0, δn_0.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn backward_head<F: Float>(
        &self,
        x: &MlstmInput<F>,
        cache: &RecurrentCache<F>,
        d_h: &[F],
        hd: Head,
        dx: &mut MlstmInput<F>,
        d_c: &mut [F],
        d_n: &mut [F],
    ) {
        let (d, dd) = (hd.d, hd.d * hd.d);
        let scale = cast::<F>(1.0 / (d as f64).sqrt());
        let (q, k, v, f_pre) = (slice(&x.q), slice(&x.k), slice(&x.v), slice(&x.f_pre));
        let (c_all, n_all, h) = (slice(&cache.c), slice(&cache.n), slice(&cache.h));
        let (dq, dk, dv) = (slice_mut(&mut dx.q), slice_mut(&mut dx.k), slice_mut(&mut dx.v));
        let (di, df) = (slice_mut(&mut dx.i_pre), slice_mut(&mut dx.f_pre));
        let (ip_all, fp_all, norm_all) = (slice(&cache.ip), slice(&cache.fp), slice(&cache.norm));
        let (b_all, floor_all) = (slice(&cache.b), slice(&cache.floor));
        for t in (0..hd.t_len).rev() {
            let (x0, g, st) = (hd.x(t), hd.gate(t), hd.step(t));
            let (ip, fp, norm) = (ip_all[st], fp_all[st], norm_all[st]);
            let c_prev = &c_all[hd.state(t, dd)..hd.state(t + 1, dd)];
            let c_t = &c_all[hd.state(t + 1, dd)..hd.state(t + 2, dd)];
            let n_prev = &n_all[hd.state(t, d)..hd.state(t + 1, d)];
            let n_t = &n_all[hd.state(t + 1, d)..hd.state(t + 2, d)];
            let (dh_t, h_t) = (&d_h[x0..x0 + d], &h[x0..x0 + d]);
            // δa = δh̃/N; δN = −δh̃·h̃/N; δb only on the |q·n| branch (the floor depends on m only).
            let d_norm = -dot_lanes(dh_t, h_t) / norm;
            let (b, floor) = (b_all[st], floor_all[st]);
            let d_b = if b.abs() > floor {
                d_norm * b.signum()
            } else {
                F::zero()
            };
            // δq = C_t δa + n_t δb; then δC += q δaᵀ, δn += q δb.
            let (q_t, k_t, v_t) = (&q[x0..x0 + d], &k[x0..x0 + d], &v[x0..x0 + d]);
            let inv_norm = F::one() / norm;
            for a in 0..d {
                let (c_row, dc_row) = (&c_t[a * d..(a + 1) * d], &mut d_c[a * d..(a + 1) * d]);
                dq[x0 + a] += dot_lanes(c_row, dh_t) * inv_norm + n_t[a] * d_b;
                let qa = q_t[a] * inv_norm;
                dc_row.iter_mut().zip(dh_t).for_each(|(dc, &dh)| *dc += qa * dh);
                d_n[a] += q_t[a] * d_b;
            }
            // δk̂ = i'(δC v + δn); δĩ = k̂·δk̂; δv = i' δCᵀ k̂; δf̃ = f'(⟨δC, C_{t−1}⟩ + δn·n_{t−1}) σ(−f̃).
            // Each row of δC and δn is then scaled by f' for step t−1 (the carry).
            let (mut d_i, mut d_f) = (F::zero(), F::zero());
            let dv_t = &mut dv[x0..x0 + d];
            for a in 0..d {
                let (dc_row, c_row) = (&mut d_c[a * d..(a + 1) * d], &c_prev[a * d..(a + 1) * d]);
                let ikh = ip * k_t[a] * scale;
                let dcv = d_n[a] + dot_lanes(dc_row, v_t);
                let dcc = d_n[a] * n_prev[a] + dot_lanes(dc_row, c_row);
                dv_t.iter_mut().zip(dc_row.iter_mut()).for_each(|(dv_j, dc)| {
                    *dv_j += ikh * *dc;
                    *dc *= fp;
                });
                d_n[a] *= fp;
                d_f += dcc;
                dk[x0 + a] += ip * dcv * scale;
                d_i += ikh * dcv;
            }
            di[g] += d_i;
            df[g] += fp * d_f * sigmoid(-f_pre[g]);
        }
    }
}

/// A zero gradient buffer shaped like `x`.
pub fn zeros_like_input<F: Float>(x: &MlstmInput<F>) -> MlstmInput<F> {
    MlstmInput {
        q: Array3::zeros(x.q.dim()),
        k: Array3::zeros(x.k.dim()),
        v: Array3::zeros(x.v.dim()),
        i_pre: Array3::zeros(x.i_pre.dim()),
        f_pre: Array3::zeros(x.f_pre.dim()),
    }
}

/// The contiguous values of a standard-layout array (a programmer error otherwise).
pub(crate) fn slice<F, D: ndarray::Dimension>(a: &ndarray::Array<F, D>) -> &[F] {
    a.as_slice().expect("tensors are in standard layout")
}

pub(crate) fn slice_mut<F, D: ndarray::Dimension>(a: &mut ndarray::Array<F, D>) -> &mut [F] {
    a.as_slice_mut().expect("tensors are in standard layout")
}

#[cfg(test)]
#[path = "mlstm_tests.rs"]
pub(crate) mod tests;

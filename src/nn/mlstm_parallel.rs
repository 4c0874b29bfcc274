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
use super::mlstm::{kink_margin, zeros_like_input, MlstmCell, MlstmInput};
use super::{cast, Float};
use ndarray::linalg::general_mat_mul;
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

/// F̄_t = Σ_{s≤t} logσ(f̃_s) for one (batch, head), into `f_bar` (T).
fn cumulative_log_forget<F: Float>(x: &MlstmInput<F>, (bi, hi): (usize, usize), f_bar: &mut [F]) {
    let mut acc = F::zero();
    for (t, fb) in f_bar.iter_mut().enumerate() {
        acc += log_sigmoid(x.f_pre[[bi, t, hi]]);
        *fb = acc;
    }
}

/// The (T, d) slice of head `hi` of batch element `bi` in a (B, T, E) tensor.
fn head_view<F>(a: &Array3<F>, bi: usize, hi: usize, d: usize) -> ArrayView2<'_, F> {
    a.slice(s![bi, .., hi * d..(hi + 1) * d])
}

fn head_view_mut<F>(a: &mut Array3<F>, bi: usize, hi: usize, d: usize) -> ArrayViewMut2<'_, F> {
    a.slice_mut(s![bi, .., hi * d..(hi + 1) * d])
}

impl MlstmCell {
    /// Parallel forward from the empty state. Returns h̃ (B, T, E) and the cache.
    pub fn forward_parallel<F: Float>(&self, x: &MlstmInput<F>) -> (Array3<F>, ParallelCache<F>) {
        let (batch, t_len, e) = x.q.dim();
        let (nh, d) = (self.nh, e / self.nh);
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
        let eps = cast::<F>(self.eps);
        let mut f_bar = vec![F::zero(); t_len]; // (T) cumulative log forget gates
        for bi in 0..batch {
            for hi in 0..nh {
                let (qh, kh) = (head_view(&x.q, bi, hi, d), head_view(&x.k, bi, hi, d));
                let mut c_tilde = cache.c_tilde.slice_mut(s![bi, hi, .., ..]);
                general_mat_mul(scale, &qh, &kh.t(), F::zero(), &mut c_tilde); // S
                cumulative_log_forget(x, (bi, hi), &mut f_bar);
                let i_pre = x.i_pre.slice(s![bi, .., hi]);
                for t in 0..t_len {
                    let log_d = |s: usize| f_bar[t] - f_bar[s] + i_pre[s];
                    let m = (0..=t).map(log_d).fold(F::neg_infinity(), F::max);
                    let mut r = F::zero();
                    for s in 0..t_len {
                        c_tilde[[t, s]] *= if s <= t { (log_d(s) - m).exp() } else { F::zero() };
                        r += c_tilde[[t, s]];
                    }
                    cache.m[[bi, hi, t]] = m;
                    cache.r[[bi, hi, t]] = r;
                    cache.norm[[bi, hi, t]] = r.abs().max((-m).exp()) + eps;
                }
                let mut h = head_view_mut(&mut cache.h, bi, hi, d);
                general_mat_mul(F::one(), &c_tilde, &head_view(&x.v, bi, hi, d), F::zero(), &mut h);
                for (t, mut row) in h.outer_iter_mut().enumerate() {
                    let norm = cache.norm[[bi, hi, t]];
                    row.iter_mut().for_each(|z| *z /= norm);
                }
            }
        }
        (cache.h.clone(), cache)
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
        let mut d_ct = Array2::zeros((t_len, t_len)); // (T, T) δC̃, then δS, then C̃/N
        let mut d_log_d = Array2::zeros((t_len, t_len)); // (T, T) δ log D
        let mut f_bar = vec![F::zero(); t_len]; // (T) cumulative log forget gates
        for bi in 0..batch {
            for hi in 0..nh {
                cumulative_log_forget(x, (bi, hi), &mut f_bar);
                let bufs = (&mut d_ct, &mut d_log_d);
                self.backward_scores(x, cache, d_h, (bi, hi), &f_bar, bufs, &mut dx);
                // δĩ_s = Σ_t δlogD_ts; δF̄_t = Σ_s δlogD_ts − Σ_u δlogD_ut; δℓ_t = Σ_{u≥t} δF̄_u.
                let mut d_l = F::zero();
                for t in (0..t_len).rev() {
                    let col = d_log_d.column(t).sum();
                    dx.i_pre[[bi, t, hi]] += col;
                    d_l += d_log_d.row(t).sum() - col;
                    let f_pre = x.f_pre[[bi, t, hi]];
                    dx.f_pre[[bi, t, hi]] += d_l * sigmoid(-f_pre);
                }
            }
        }
        dx
    }

    /// For one (batch, head): δQ, δK, δV into `dx`, and δ log D into `d_log_d`.
    #[allow(clippy::too_many_arguments)]
    fn backward_scores<F: Float>(
        &self,
        x: &MlstmInput<F>,
        cache: &ParallelCache<F>,
        d_h: &Array3<F>,
        (bi, hi): (usize, usize),
        f_bar: &[F],
        (d_ct, d_log_d): (&mut Array2<F>, &mut Array2<F>),
        dx: &mut MlstmInput<F>,
    ) {
        let (t_len, d) = (x.q.dim().1, x.q.dim().2 / self.nh);
        let scale = cast::<F>(1.0 / (d as f64).sqrt());
        let (dh, h) = (head_view(d_h, bi, hi, d), head_view(&cache.h, bi, hi, d));
        let c_tilde = cache.c_tilde.slice(s![bi, hi, .., ..]);
        let i_pre = x.i_pre.slice(s![bi, .., hi]);
        // δC̃_ts = δh̃_t·v_s / N_t + [|r_t| > e^{−m_t}] sign(r_t) δN_t, with δN_t = −δh̃_t·h̃_t / N_t.
        general_mat_mul(F::one(), &dh, &head_view(&x.v, bi, hi, d).t(), F::zero(), d_ct);
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
            for s in 0..t_len {
                if s > t {
                    (d_log_d[[t, s]], d_ct[[t, s]]) = (F::zero(), F::zero());
                    continue;
                }
                let g = d_ct[[t, s]] / norm + d_r;
                let d_prime = (f_bar[t] - f_bar[s] + i_pre[s] - m).exp(); // as in the forward pass
                d_log_d[[t, s]] = g * c_tilde[[t, s]];
                d_ct[[t, s]] = g * d_prime; // δS
            }
        }
        // δQ = δS K/√d; δK = δSᵀ Q/√d.
        let (qh, kh) = (head_view(&x.q, bi, hi, d), head_view(&x.k, bi, hi, d));
        general_mat_mul(
            scale,
            &d_ct.view(),
            &kh,
            F::one(),
            &mut head_view_mut(&mut dx.q, bi, hi, d),
        );
        general_mat_mul(
            scale,
            &d_ct.t(),
            &qh,
            F::one(),
            &mut head_view_mut(&mut dx.k, bi, hi, d),
        );
        // δV = (C̃/N)ᵀ δH̃.
        for t in 0..t_len {
            let norm = cache.norm[[bi, hi, t]];
            for s in 0..t_len {
                d_ct[[t, s]] = c_tilde[[t, s]] / norm;
            }
        }
        general_mat_mul(
            F::one(),
            &d_ct.t(),
            &dh,
            F::one(),
            &mut head_view_mut(&mut dx.v, bi, hi, d),
        );
    }
}

//! The mLSTM cell in its chunkwise form (the form of the official `xlstm_large` kernels):
//! recurrent between chunks of L steps, parallel inside them. Forward and exact backward.
//!
//! Per (batch, head), chunk j covers steps τ..τ+L (the last chunk may be shorter) and starts from
//! the state (C_prev, n_prev, m_prev) the recurrent form has at step τ−1. With the local
//! cumulative log forget gate b_t = Σ_{u=τ..t} logσ(f̃_u), k̂ = k/√d and the recurrent form's own
//! stabiliser m_t = max(ℓ_t + m_{t−1}, ĩ_t) (`xlstm-math.md` §2.2), unrolling the recurrence over
//! the chunk gives, for t in the chunk and s ≤ t in it:
//!
//! ```text
//! α_t  = exp(b_t + m_prev − m_t)                      inter-chunk weight (≤ 1)
//! D_ts = exp(b_t − b_s + ĩ_s − m_t)                   intra-chunk decay (≤ 1)
//! P_ts = D_ts (q_t·k̂_s)                               (T, L) per head: no T×T matrix
//! r_t  = α_t q_t·n_prev + Σ_s P_ts                    = q_t·n_t of the recurrent form
//! h̃_t  = (α_t C_prevᵀ q_t + Σ_s P_ts v_s) / (max(|r_t|, e^{−m_t}) + ε)
//! C_end = α_e C_prev + Σ_s D_es k̂_s v_sᵀ,  n_end = α_e n_prev + Σ_s D_es k̂_s   (e: last step)
//! ```
//! Because m_t is the recurrent stabiliser, the ε term, the floor and every intermediate value
//! agree with [`MlstmCell::forward_recurrent`] from the same initial state (and with the parallel
//! form from the empty state) up to rounding; the three forms compute one function. Cost per
//! step and head: about L·d + 2d² multiply-adds forward (d = head width), linear in T; the cache
//! holds C once per chunk (B·NH·(T/L+1)·d² floats) and the (T, L) matrices D and P, instead of
//! C at every step (recurrent) or T×T matrices (parallel).
//!
//! The backward pass holds every m_t constant, exactly as the recurrent one (exact by gauge
//! invariance, §5.1, up to ε); its derivation is `docs/derivations/mlstm.md` §6b. Writing
//! δnum_t = δh̃_t/N_t, δN_t = −δh̃_t·h̃_t/N_t and δr_t = sign(r_t) δN_t on the |r| branch:
//!
//! ```text
//! δP_ts = δnum_t·v_s + δr_t;  δS_ts = δP_ts D_ts;  δlog D_ts = δP_ts P_ts
//! δq_t = Σ_s δS_ts k̂_s + α_t (C_prev δnum_t + δr_t n_prev);   δk̂_s = Σ_t δS_ts q_t;  δv_s = Σ_t P_ts δnum_t
//! δC_prev = Σ_t α_t q_t δnum_tᵀ + α_e δC_end;   δn_prev = Σ_t α_t δr_t q_t + α_e δn_end
//! state: δk̂_s += D_es (δC_end v_s + δn_end), δv_s += D_es δC_endᵀ k̂_s
//! gates: δĩ_s = Σ_t δlog D_ts + δlog D_es(state);  δℓ_u = Σ_{t≥u} δb_t (b is a cumulative sum)
//! ```
//!
//! Public API: [`MlstmCell::forward_chunkwise`]`(&x, &s0, chunk) -> (h, s_T, ChunkwiseCache)`,
//! [`MlstmCell::backward_chunkwise`]`(&x, &cache, &d_h) -> (d_x, d_s0)`, [`chunk_for`] (the chunk
//! length the blocks use). Inputs are (B, T, ·) arrays in standard layout, as in `mlstm.rs`.

use super::activation::{log_sigmoid, sigmoid};
use super::fastmath::dot_lanes;
use super::mlstm::{
    kink_margin, slice, slice_mut, zeros_like_input, Head, MlstmCell, MlstmInput, MlstmState,
};
use super::{cast, Float};
use ndarray::{s, Array2, Array3, Array4};

/// The chunk length for head width `d`: 8 up to d = 16, else 16. It balances the intra-chunk work
/// (about L·d per step) against the state work (2d² per step); measured (`cargo bench --bench
/// training_timing -- mlstm_forms`, `docs/performance.md`): at d = 16 chunks of 8 beat 16 and 32
/// at every T; at d = 32 chunks of 8 and 16 are within a few per cent, 32 is slower.
pub fn chunk_for(d: usize) -> usize {
    if d <= 16 {
        8
    } else {
        16
    }
}

/// What the chunkwise backward pass needs (besides the inputs, which it is given again).
#[derive(Clone, Debug)]
pub struct ChunkwiseCache<F> {
    /// Chunk length L.
    chunk: usize,
    /// C entering chunk j (j = 0..J) and the final C (index J), J = ⌈T/L⌉, key-major rows.
    c: Array4<F>, // (B, NH, J+1, d·d)
    /// n entering chunk j and the final n.
    n: Array4<F>, // (B, NH, J+1, d)
    /// Stabiliser m_t.
    m: Array3<F>, // (B, NH, T)
    /// Inter-chunk weight α_t.
    alpha: Array3<F>, // (B, NH, T)
    /// Intra-chunk decay D_ts, column s − (start of t's chunk); zero for s > t.
    decay: Array4<F>, // (B, NH, T, L)
    /// P_ts = D_ts (q_t·k̂_s), same layout.
    p: Array4<F>, // (B, NH, T, L)
    /// r_t = q_t·n_t.
    r: Array3<F>, // (B, NH, T)
    /// Normaliser N_t.
    norm: Array3<F>, // (B, NH, T)
    /// Output h̃.
    h: Array3<F>, // (B, T, E)
}

impl<F: Float> ChunkwiseCache<F> {
    /// Distance to the normaliser kink (r_t against e^{−m_t}); see [`kink_margin`].
    pub fn kink_margin(&self) -> (f64, f64) {
        kink_margin(self.r.iter().copied(), self.m.iter().map(|m| (-*m).exp()))
    }

    /// Number of floats held: linear in T for a fixed chunk length (no T×T or per-step d×d term).
    pub fn floats(&self) -> usize {
        self.c.len()
            + self.n.len()
            + self.m.len()
            + self.alpha.len()
            + self.decay.len()
            + self.p.len()
            + self.r.len()
            + self.norm.len()
            + self.h.len()
    }
}

/// Offsets of one (batch, head) pair in the cache's per-chunk and per-step buffers.
#[derive(Clone, Copy)]
struct Layout {
    head: Head,
    /// Chunk length L.
    chunk: usize,
    /// Number of chunks J.
    chunks: usize,
}

impl Layout {
    /// Start of state j (0..=J) in a (B, NH, J+1, width) buffer.
    fn state(&self, j: usize, width: usize) -> usize {
        ((self.head.bi * self.head.nh + self.head.hi) * (self.chunks + 1) + j) * width
    }
    /// Start of row t in a (B, NH, T, L) buffer.
    fn row(&self, t: usize) -> usize {
        self.head.step(t) * self.chunk
    }
    /// Steps of chunk j.
    fn steps(&self, j: usize) -> std::ops::Range<usize> {
        j * self.chunk..((j + 1) * self.chunk).min(self.head.t_len)
    }
}

crate::simd_entry!(fn forward_chunkwise<F>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    s0: &MlstmState<F>,
    chunk: usize,
) -> (Array3<F>, MlstmState<F>, ChunkwiseCache<F>) => forward_body);

#[inline(always)]
fn forward_body<F: Float>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    s0: &MlstmState<F>,
    chunk: usize,
) -> (Array3<F>, MlstmState<F>, ChunkwiseCache<F>) {
    let (batch, t_len, e) = x.q.dim();
    let (nh, d) = (cell.nh, e / cell.nh);
    debug_assert_eq!(nh * d, e, "E = {e} is not a multiple of NH = {nh}");
    debug_assert_eq!(x.i_pre.dim(), (batch, t_len, nh), "gate shape");
    debug_assert_eq!(s0.c.dim(), (batch, nh, d, d), "C0 shape");
    let chunk = chunk.clamp(1, t_len.max(1));
    let chunks = t_len.div_ceil(chunk);
    let mut cache = ChunkwiseCache {
        chunk,
        c: Array4::zeros((batch, nh, chunks + 1, d * d)),
        n: Array4::zeros((batch, nh, chunks + 1, d)),
        m: Array3::zeros((batch, nh, t_len)),
        alpha: Array3::zeros((batch, nh, t_len)),
        decay: Array4::zeros((batch, nh, t_len, chunk)),
        p: Array4::zeros((batch, nh, t_len, chunk)),
        r: Array3::zeros((batch, nh, t_len)),
        norm: Array3::zeros((batch, nh, t_len)),
        h: Array3::zeros((batch, t_len, e)),
    };
    let mut last = MlstmState {
        c: Array4::zeros((batch, nh, d, d)),
        n: Array3::zeros((batch, nh, d)),
        m: Array2::zeros((batch, nh)),
    };
    let mut b_cum = vec![F::zero(); chunk]; // (L) local cumulative log forget gate
    for bi in 0..batch {
        for hi in 0..nh {
            let lay = Layout {
                head: Head { bi, hi, t_len, nh, d },
                chunk,
                chunks,
            };
            let (c0, n0) = (lay.state(0, d * d), lay.state(0, d));
            let c_all = slice_mut(&mut cache.c);
            c_all[c0..c0 + d * d]
                .iter_mut()
                .zip(s0.c.slice(s![bi, hi, .., ..]).iter())
                .for_each(|(a, b)| *a = *b);
            slice_mut(&mut cache.n)[n0..n0 + d]
                .iter_mut()
                .zip(s0.n.slice(s![bi, hi, ..]).iter())
                .for_each(|(a, b)| *a = *b);
            last.m[[bi, hi]] = forward_head(cell, x, lay, s0.m[[bi, hi]], &mut cache, &mut b_cum);
            let (cj, nj) = (lay.state(chunks, d * d), lay.state(chunks, d));
            last.c
                .slice_mut(s![bi, hi, .., ..])
                .iter_mut()
                .zip(&slice(&cache.c)[cj..cj + d * d])
                .for_each(|(a, b)| *a = *b);
            last.n
                .slice_mut(s![bi, hi, ..])
                .iter_mut()
                .zip(&slice(&cache.n)[nj..nj + d])
                .for_each(|(a, b)| *a = *b);
        }
    }
    (cache.h.clone(), last, cache)
}

/// The chunks of one (batch, head) pair; the cache already holds C_0 and n_0. Returns m_T.
#[inline(always)]
fn forward_head<F: Float>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    lay: Layout,
    m0: F,
    cache: &mut ChunkwiseCache<F>,
    b_cum: &mut [F],
) -> F {
    let (hd, d, dd) = (lay.head, lay.head.d, lay.head.d * lay.head.d);
    let scale = cast::<F>(1.0 / (d as f64).sqrt());
    let eps = cast::<F>(cell.eps);
    let (q, k, v) = (slice(&x.q), slice(&x.k), slice(&x.v));
    let (i_pre, f_pre) = (slice(&x.i_pre), slice(&x.f_pre));
    let (c_all, n_all) = (slice_mut(&mut cache.c), slice_mut(&mut cache.n));
    let (m_all, alpha_all) = (slice_mut(&mut cache.m), slice_mut(&mut cache.alpha));
    let (decay, p_all) = (slice_mut(&mut cache.decay), slice_mut(&mut cache.p));
    let (r_all, norm_all) = (slice_mut(&mut cache.r), slice_mut(&mut cache.norm));
    let h = slice_mut(&mut cache.h);
    let mut m_prev = m0;
    for j in 0..lay.chunks {
        let steps = lay.steps(j);
        let t0 = steps.start;
        // the recurrent stabiliser, the local cumulative forget gate and α_t
        let (mut acc, mut m) = (F::zero(), m_prev);
        for t in steps.clone() {
            let g = hd.gate(t);
            let l = log_sigmoid(f_pre[g]);
            acc += l;
            m = (l + m).max(i_pre[g]);
            b_cum[t - t0] = acc;
            m_all[hd.step(t)] = m;
            alpha_all[hd.step(t)] = (acc + m_prev - m).fast_exp();
        }
        let (c_prev, c_next) = c_all[lay.state(j, dd)..lay.state(j + 2, dd)].split_at_mut(dd);
        let (n_prev, n_next) = n_all[lay.state(j, d)..lay.state(j + 2, d)].split_at_mut(d);
        for t in steps.clone() {
            let (st, x0, row) = (hd.step(t), hd.x(t), lay.row(t));
            let (m_t, alpha) = (m_all[st], alpha_all[st]);
            let q_t = &q[x0..x0 + d];
            let h_t = &mut h[x0..x0 + d];
            let mut r = F::zero();
            for s in t0..=t {
                let xs = hd.x(s);
                let d_ts = (b_cum[t - t0] - b_cum[s - t0] + i_pre[hd.gate(s)] - m_t).fast_exp();
                let p_ts = dot_lanes(q_t, &k[xs..xs + d]) * scale * d_ts;
                (decay[row + s - t0], p_all[row + s - t0]) = (d_ts, p_ts);
                r += p_ts;
                h_t.iter_mut()
                    .zip(&v[xs..xs + d])
                    .for_each(|(h, &v_j)| *h += p_ts * v_j);
            }
            r += alpha * dot_lanes(q_t, n_prev);
            for (a, c_row) in c_prev.chunks_exact(d).enumerate() {
                let qa = alpha * q_t[a];
                h_t.iter_mut().zip(c_row).for_each(|(h, &c)| *h += qa * c);
            }
            let norm = r.abs().max((-m_t).exp()) + eps;
            let inv_norm = F::one() / norm;
            h_t.iter_mut().for_each(|h| *h *= inv_norm);
            (r_all[st], norm_all[st]) = (r, norm);
        }
        // the state at the chunk's last step e: weights α_e and D_es (row e of the decay)
        let e = steps.end - 1;
        let alpha_e = alpha_all[hd.step(e)];
        c_next
            .iter_mut()
            .zip(&*c_prev)
            .for_each(|(c, &c_p)| *c = alpha_e * c_p);
        n_next
            .iter_mut()
            .zip(&*n_prev)
            .for_each(|(n, &n_p)| *n = alpha_e * n_p);
        for s in steps.clone() {
            let (xs, w) = (hd.x(s), decay[lay.row(e) + s - t0] * scale);
            let v_s = &v[xs..xs + d];
            for (a, c_row) in c_next.chunks_exact_mut(d).enumerate() {
                let wk = w * k[xs + a];
                c_row.iter_mut().zip(v_s).for_each(|(c, &v_j)| *c += wk * v_j);
                n_next[a] += wk;
            }
        }
        m_prev = m_all[hd.step(e)];
    }
    m_prev
}

crate::simd_entry!(fn backward_chunkwise<F>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    cache: &ChunkwiseCache<F>,
    d_h: &Array3<F>,
) -> (MlstmInput<F>, MlstmState<F>) => backward_body);

/// Scratch of the backward pass of one (batch, head) pair, allocated once per call.
struct Scratch<F> {
    /// δC and δn carried into the current chunk's end from the later chunks.
    d_c: Vec<F>, // (d·d)
    d_n: Vec<F>, // (d)
    /// The current chunk's contributions to δC_prev and δn_prev.
    d_c_prev: Vec<F>, // (d·d)
    d_n_prev: Vec<F>, // (d)
    /// δnum_t = δh̃_t / N_t.
    d_num: Vec<F>, // (d)
    /// Per step of the chunk: row sums Σ_s δlog D_ts, column sums Σ_t δlog D_ts, δg_t (the
    /// inter-chunk weight's log) and δlog D_es of the state.
    rows: Vec<F>, // (L)
    cols: Vec<F>, // (L)
    d_g: Vec<F>, // (L)
    d_state: Vec<F>, // (L)
}

#[inline(always)]
fn backward_body<F: Float>(
    cell: &MlstmCell,
    x: &MlstmInput<F>,
    cache: &ChunkwiseCache<F>,
    d_h: &Array3<F>,
) -> (MlstmInput<F>, MlstmState<F>) {
    let (batch, t_len, e) = x.q.dim();
    let (nh, d, chunk) = (cell.nh, e / cell.nh, cache.chunk);
    debug_assert_eq!(d_h.dim(), (batch, t_len, e), "d_h shape");
    let chunks = t_len.div_ceil(chunk);
    let mut dx = zeros_like_input(x);
    let mut ds = MlstmState {
        c: Array4::zeros((batch, nh, d, d)),
        n: Array3::zeros((batch, nh, d)),
        m: Array2::zeros((batch, nh)),
    };
    let zeros = |len| vec![F::zero(); len];
    let mut scratch = Scratch {
        d_c: zeros(d * d),
        d_n: zeros(d),
        d_c_prev: zeros(d * d),
        d_n_prev: zeros(d),
        d_num: zeros(d),
        rows: zeros(chunk),
        cols: zeros(chunk),
        d_g: zeros(chunk),
        d_state: zeros(chunk),
    };
    let d_h = d_h.as_standard_layout();
    let d_h = d_h.as_slice().expect("standard layout");
    for bi in 0..batch {
        for hi in 0..nh {
            let lay = Layout {
                head: Head { bi, hi, t_len, nh, d },
                chunk,
                chunks,
            };
            scratch.d_c.iter_mut().for_each(|z| *z = F::zero());
            scratch.d_n.iter_mut().for_each(|z| *z = F::zero());
            for j in (0..chunks).rev() {
                backward_chunk(x, cache, d_h, lay, j, &mut dx, &mut scratch);
            }
            // δm_0 = ⟨δC_0, C_0⟩ + δn_0·n_0, as in the recurrent backward
            let (c0, n0) = (
                &slice(&cache.c)[lay.state(0, d * d)..lay.state(1, d * d)],
                &slice(&cache.n)[lay.state(0, d)..lay.state(1, d)],
            );
            ds.m[[bi, hi]] = dot_lanes(&scratch.d_c, c0) + dot_lanes(&scratch.d_n, n0);
            ds.c.slice_mut(s![bi, hi, .., ..])
                .iter_mut()
                .zip(&scratch.d_c)
                .for_each(|(a, b)| *a = *b);
            ds.n.slice_mut(s![bi, hi, ..])
                .iter_mut()
                .zip(&scratch.d_n)
                .for_each(|(a, b)| *a = *b);
        }
    }
    (dx, ds)
}

/// The backward pass of chunk j of one (batch, head) pair: adds into `dx`, and turns the carried
/// δC, δn (at the chunk's end) into those at its start.
#[inline(always)]
fn backward_chunk<F: Float>(
    x: &MlstmInput<F>,
    cache: &ChunkwiseCache<F>,
    d_h: &[F],
    lay: Layout,
    j: usize,
    dx: &mut MlstmInput<F>,
    sc: &mut Scratch<F>,
) {
    let (hd, d, dd) = (lay.head, lay.head.d, lay.head.d * lay.head.d);
    let scale = cast::<F>(1.0 / (d as f64).sqrt());
    let (q, k, v, f_pre) = (slice(&x.q), slice(&x.k), slice(&x.v), slice(&x.f_pre));
    let (c_all, n_all, h) = (slice(&cache.c), slice(&cache.n), slice(&cache.h));
    let (m_all, alpha_all) = (slice(&cache.m), slice(&cache.alpha));
    let (decay, p_all) = (slice(&cache.decay), slice(&cache.p));
    let (r_all, norm_all) = (slice(&cache.r), slice(&cache.norm));
    let (dq, dk, dv) = (slice_mut(&mut dx.q), slice_mut(&mut dx.k), slice_mut(&mut dx.v));
    let (di, df) = (slice_mut(&mut dx.i_pre), slice_mut(&mut dx.f_pre));
    let c_prev = &c_all[lay.state(j, dd)..lay.state(j, dd) + dd];
    let n_prev = &n_all[lay.state(j, d)..lay.state(j, d) + d];
    let steps = lay.steps(j);
    let (t0, e) = (steps.start, steps.end - 1);
    sc.cols.iter_mut().for_each(|z| *z = F::zero());
    sc.d_c_prev.iter_mut().for_each(|z| *z = F::zero());
    sc.d_n_prev.iter_mut().for_each(|z| *z = F::zero());
    // outputs of the chunk: intra-chunk (P, D) and inter-chunk (α, C_prev, n_prev) terms
    for t in steps.clone() {
        let (st, x0, row) = (hd.step(t), hd.x(t), lay.row(t));
        let (alpha, norm, r) = (alpha_all[st], norm_all[st], r_all[st]);
        let inv_norm = F::one() / norm;
        let (dh_t, h_t, q_t) = (&d_h[x0..x0 + d], &h[x0..x0 + d], &q[x0..x0 + d]);
        // δN = −δh̃·h̃/N; δr only on the |r| branch (the floor depends on m only)
        let d_norm = -dot_lanes(dh_t, h_t) * inv_norm;
        let d_r = if r.abs() > (-m_all[st]).exp() {
            d_norm * r.signum()
        } else {
            F::zero()
        };
        sc.d_num
            .iter_mut()
            .zip(dh_t)
            .for_each(|(n, &g)| *n = g * inv_norm);
        let d_num = &sc.d_num;
        let mut row_sum = F::zero();
        for s in t0..=t {
            let xs = hd.x(s);
            let (d_ts, p_ts) = (decay[row + s - t0], p_all[row + s - t0]);
            let d_p = dot_lanes(d_num, &v[xs..xs + d]) + d_r;
            let d_log = d_p * p_ts;
            let d_s = d_p * d_ts * scale; // δS_ts, and the 1/√d of k̂
            row_sum += d_log;
            sc.cols[s - t0] += d_log;
            dv[xs..xs + d]
                .iter_mut()
                .zip(d_num)
                .for_each(|(g, &n)| *g += p_ts * n);
            dk[xs..xs + d]
                .iter_mut()
                .zip(q_t)
                .for_each(|(g, &q_a)| *g += d_s * q_a);
            let k_s = &k[xs..xs + d];
            dq[x0..x0 + d]
                .iter_mut()
                .zip(k_s)
                .for_each(|(g, &k_a)| *g += d_s * k_a);
        }
        sc.rows[t - t0] = row_sum;
        // inter-chunk: y = C_prev δnum; δq += α(y + δr n_prev); δg = α(q·y + δr q·n_prev)
        let mut q_y = F::zero();
        for (a, c_row) in c_prev.chunks_exact(d).enumerate() {
            let y_a = dot_lanes(c_row, d_num);
            q_y += q_t[a] * y_a;
            dq[x0 + a] += alpha * (y_a + n_prev[a] * d_r);
            let aq = alpha * q_t[a];
            sc.d_c_prev[a * d..(a + 1) * d]
                .iter_mut()
                .zip(d_num)
                .for_each(|(g, &n)| *g += aq * n);
            sc.d_n_prev[a] += aq * d_r;
        }
        sc.d_g[t - t0] = alpha * (q_y + d_r * dot_lanes(q_t, n_prev));
    }
    // the chunk's end state, with δC, δn carried from the later chunks
    let (alpha_e, row_e) = (alpha_all[hd.step(e)], lay.row(e));
    let mut d_state_sum = F::zero();
    for s in steps.clone() {
        let xs = hd.x(s);
        let w = decay[row_e + s - t0];
        let (k_s, v_s) = (&k[xs..xs + d], &v[xs..xs + d]);
        let mut k_u = F::zero();
        for (a, dc_row) in sc.d_c.chunks_exact(d).enumerate() {
            let u = dot_lanes(dc_row, v_s) + sc.d_n[a]; // (δC v_s + δn)_a
            k_u += k_s[a] * u;
            dk[xs + a] += scale * w * u;
            let wk = w * scale * k_s[a];
            dv[xs..xs + d]
                .iter_mut()
                .zip(dc_row)
                .for_each(|(g, &c)| *g += wk * c);
        }
        sc.d_state[s - t0] = w * scale * k_u;
        d_state_sum += sc.d_state[s - t0];
    }
    let d_g_end = alpha_e * (dot_lanes(&sc.d_c, c_prev) + dot_lanes(&sc.d_n, n_prev));
    // carry to the chunk's start: δC ← α_e δC + Σ_t α_t q_t δnum_tᵀ (and δn likewise)
    sc.d_c
        .iter_mut()
        .zip(&sc.d_c_prev)
        .for_each(|(c, &g)| *c = alpha_e * *c + g);
    sc.d_n
        .iter_mut()
        .zip(&sc.d_n_prev)
        .for_each(|(n, &g)| *n = alpha_e * *n + g);
    // gates: log D_ts = b_t − b_s + ĩ_s − m_t, g_t = b_t + m_prev − m_t, b_t = Σ_{u≤t} ℓ_u
    let mut d_l = F::zero(); // δℓ_t = Σ_{u ≥ t} δb_u
    for t in steps.rev() {
        let (c, g) = (t - t0, hd.gate(t));
        di[g] += sc.cols[c] + sc.d_state[c];
        let mut d_b = sc.rows[c] - sc.cols[c] + sc.d_g[c] - sc.d_state[c];
        if t == e {
            d_b += d_g_end + d_state_sum;
        }
        d_l += d_b;
        df[g] += d_l * sigmoid(-f_pre[g]);
    }
}

impl MlstmCell {
    /// Chunkwise forward from the state `s0`, in chunks of `chunk` steps (clamped to 1..=T).
    /// Returns h̃ (B, T, E), the final state and the cache; equal to
    /// [`MlstmCell::forward_recurrent`] up to rounding.
    pub fn forward_chunkwise<F: Float>(
        &self,
        x: &MlstmInput<F>,
        s0: &MlstmState<F>,
        chunk: usize,
    ) -> (Array3<F>, MlstmState<F>, ChunkwiseCache<F>) {
        forward_chunkwise(self, x, s0, chunk)
    }

    /// Exact chunkwise backward for the upstream gradient `d_h` (B, T, E): the gradients with
    /// respect to the inputs and to the initial state, as [`MlstmCell::backward_recurrent`].
    pub fn backward_chunkwise<F: Float>(
        &self,
        x: &MlstmInput<F>,
        cache: &ChunkwiseCache<F>,
        d_h: &Array3<F>,
    ) -> (MlstmInput<F>, MlstmState<F>) {
        backward_chunkwise(self, x, cache, d_h)
    }
}

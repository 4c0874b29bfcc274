//! Tests of the mLSTM cell: float64 gradient checks of both forms on both normaliser branches,
//! recurrent == parallel, gauge invariance in m_0, and the cheap gradient identities of §5.3.

use super::*;
use crate::nn::gradcheck::{as3, assert_reports, GradCheck, TensorReport, WithInputs};
use crate::nn::rng::Rng;
use crate::nn::{join, Params};
use ndarray::{Array, Dimension, ShapeBuilder};

const B: usize = 2;
const T: usize = 6;
const NH: usize = 2;
const DH: usize = 4;
const E: usize = NH * DH;

fn randn<D: Dimension>(
    rng: &mut Rng,
    shape: impl ShapeBuilder<Dim = D>,
    scale: f64,
    shift: f64,
) -> Array<f64, D> {
    Array::from_shape_simple_fn(shape, || shift + scale * rng.normal())
}

fn random_input(rng: &mut Rng, q_scale: f64) -> MlstmInput<f64> {
    random_input_of(rng, T, q_scale)
}

/// Random cell inputs over `t` steps.
fn random_input_of(rng: &mut Rng, t: usize, q_scale: f64) -> MlstmInput<f64> {
    MlstmInput {
        q: randn(rng, (B, t, E), q_scale, 0.0),
        k: randn(rng, (B, t, E), 1.0, 0.0),
        v: randn(rng, (B, t, E), 1.0, 0.0),
        i_pre: randn(rng, (B, t, NH), 1.0, 0.0),
        f_pre: randn(rng, (B, t, NH), 1.0, 2.5), // forget bias +2.5: the forget branch of m sometimes wins
    }
}

fn random_state(rng: &mut Rng) -> MlstmState<f64> {
    MlstmState {
        c: randn(rng, (B, NH, DH, DH), 0.5, 0.0),
        n: randn(rng, (B, NH, DH), 0.5, 0.0),
        m: randn(rng, (B, NH), 0.5, 0.3),
    }
}

/// Inputs and initial state together, so one gradient check covers all of them.
#[derive(Clone, Debug)]
struct Point {
    x: MlstmInput<f64>,
    s0: MlstmState<f64>,
}

impl Params<f64> for Point {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[f64])) {
        self.x.visit(&join(prefix, "x"), f);
        self.s0.visit(&join(prefix, "s0"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [f64])) {
        self.x.visit_mut(&join(prefix, "x"), f);
        self.s0.visit_mut(&join(prefix, "s0"), f);
    }
}

/// A seeded test point whose steps all keep the kink margin of §6.4 (relative 1e-3) and whose
/// fraction of |q·n|-branch steps is in `abs_range`; seeds that miss are rejected.
fn test_point(q_scale: f64, abs_range: (f64, f64)) -> (Point, Array3<f64>) {
    let cell = MlstmCell::new(NH);
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let p = Point {
            x: random_input(&mut rng, q_scale),
            s0: random_state(&mut rng),
        };
        let w = randn(&mut rng, (B, T, E), 1.0, 0.0);
        let (_, _, cache) = cell.forward_recurrent(&p.x, &p.s0);
        let (margin, abs_fraction) = cache.kink_margin();
        if margin > 1e-3 && abs_fraction >= abs_range.0 && abs_fraction <= abs_range.1 {
            eprintln!("seed {seed}: kink margin {margin:.3e}, |q·n| branch in {abs_fraction:.2} of steps");
            return (p, w);
        }
    }
    panic!("no seed gives a test point with the kink margin");
}

/// With ε = 0 holding m constant is exact (§5.1), so the check is the strict one of §7. With the
/// official ε the true derivative has an extra O(ε·e^{m}/N̄) term through m (most visible on the
/// floor branch, where N = e^{−m} + ε); that run only bounds the gap (normalised error < 1e-4).
pub(crate) fn judge(what: &str, eps: f64, reports: &[TensorReport]) {
    if eps == 0.0 {
        assert_reports(what, reports);
        return;
    }
    let worst = reports.iter().map(|r| r.normalised_error).fold(0.0, f64::max);
    eprintln!("{what}, ε = {eps:e}: worst normalised error {worst:.2e}");
    assert!(worst < 1e-4, "{what}, ε = {eps:e}: normalised error {worst:.2e}");
}

/// The cell's outputs for a [`Point`] and the cell's backward as the gradient of the point
/// (which holds only inputs: the cell has no parameters).
fn check_cell<C>(
    what: &str,
    eps: f64,
    point: &Point,
    w: &Array3<f64>,
    forward: impl Fn(&Point) -> (Array3<f64>, C),
    backward: impl FnOnce(&Point, &C, &Array3<f64>) -> Point,
) {
    let reports = GradCheck::default().layer(
        &WithInputs::new(point.clone(), vec![]),
        &[w.clone().into_dyn()],
        |pt| {
            let (h, cache) = forward(&pt.params);
            (vec![h.into_dyn()], cache)
        },
        |pt, cache, g, grads| {
            *grads = backward(&pt.params, cache, &as3(&g[0]));
            vec![]
        },
    );
    judge(what, eps, &reports);
}

/// Gradient check of a form that starts from any state: the recurrent one (`chunk` None) or
/// the chunkwise one with chunks of `chunk` steps; the initial state is probed too.
fn check_from_state(what: &str, q_scale: f64, abs_range: (f64, f64), chunk: Option<usize>) {
    let (p, w) = test_point(q_scale, abs_range);
    for eps in [0.0, EPS] {
        let cell = MlstmCell { nh: NH, eps };
        match chunk {
            None => check_cell(
                what,
                eps,
                &p,
                &w,
                |pt| {
                    let (h, _, cache) = cell.forward_recurrent(&pt.x, &pt.s0);
                    (h, cache)
                },
                |pt, cache, w| {
                    let (x, s0) = cell.backward_recurrent(&pt.x, cache, w);
                    Point { x, s0 }
                },
            ),
            Some(chunk) => check_cell(
                what,
                eps,
                &p,
                &w,
                |pt| {
                    let (h, _, cache) = cell.forward_chunkwise(&pt.x, &pt.s0, chunk);
                    (h, cache)
                },
                |pt, cache, w| {
                    let (x, s0) = cell.backward_chunkwise(&pt.x, cache, w);
                    Point { x, s0 }
                },
            ),
        }
    }
}

#[test]
fn recurrent_grads_match_finite_differences_on_the_floor_branch() {
    check_from_state("mlstm recurrent, floor branch (q ×0.05)", 0.05, (0.0, 0.0), None);
}

#[test]
fn recurrent_grads_match_finite_differences_on_the_abs_branch() {
    check_from_state("mlstm recurrent, |q·n| branch (q ×3)", 3.0, (0.75, 1.0), None);
}

/// T = 6 in chunks of 4 (a full and a partial chunk, so the state crosses a chunk boundary),
/// of 1 (every step its own chunk) and of 6 (one chunk), from a non-zero initial state.
#[test]
fn chunkwise_grads_match_finite_differences_on_both_branches() {
    for chunk in [4, 1, 6] {
        let floor = format!("mlstm chunkwise, chunk {chunk}, floor branch (q ×0.05)");
        check_from_state(&floor, 0.05, (0.0, 0.0), Some(chunk));
        let abs = format!("mlstm chunkwise, chunk {chunk}, |q·n| branch (q ×3)");
        check_from_state(&abs, 3.0, (0.75, 1.0), Some(chunk));
    }
}

fn check_parallel(what: &str, q_scale: f64, abs_range: (f64, f64)) {
    let (p, w) = test_point(q_scale, abs_range); // |b|/e^{−m} is gauge invariant: same margin
    for eps in [0.0, EPS] {
        let cell = MlstmCell { nh: NH, eps };
        // The parallel form starts from the empty state: s0 gets no gradient.
        check_cell(
            what,
            eps,
            &p,
            &w,
            |pt| cell.forward_parallel(&pt.x),
            |pt, cache, w| Point {
                x: cell.backward_parallel(&pt.x, cache, w),
                s0: crate::nn::zeros_like(&pt.s0),
            },
        );
    }
}

#[test]
fn parallel_grads_match_finite_differences_on_both_branches() {
    check_parallel("mlstm parallel, floor branch (q ×0.05)", 0.05, (0.0, 0.0));
    check_parallel("mlstm parallel, |q·n| branch (q ×3)", 3.0, (0.75, 1.0));
}

/// max |a − b| ≤ rel · max(|a|, |b|) over all entries.
fn assert_close(what: &str, a: &[f64], b: &[f64], rel: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let scale = a.iter().chain(b).fold(0.0f64, |m, x| m.max(x.abs()));
    let diff = a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(scale > 0.0, "{what}: all zero, the comparison could not fail");
    assert!(
        diff <= rel * scale,
        "{what}: max difference {diff:.3e} against scale {scale:.3e}"
    );
}

#[test]
fn recurrent_equals_parallel_in_outputs_and_gradients() {
    let cell = MlstmCell::new(NH);
    for (seed, q_scale) in [(1, 0.05), (2, 1.0), (3, 3.0)] {
        let mut rng = Rng::new(seed);
        let x = random_input(&mut rng, q_scale);
        let w = randn(&mut rng, (B, T, E), 1.0, 0.0);
        let (h_rec, _, rec) = cell.forward_recurrent(&x, &MlstmState::zeros(B, NH, DH));
        let (h_par, par) = cell.forward_parallel(&x);
        assert_close("h", slice(&h_rec), slice(&h_par), 1e-12);
        let (d_rec, _) = cell.backward_recurrent(&x, &rec, &w);
        let d_par = cell.backward_parallel(&x, &par, &w);
        let mut rec_grads = Vec::new();
        d_rec.visit("", &mut |name, g| rec_grads.push((name.to_string(), g.to_vec())));
        let mut k = 0;
        d_par.visit("", &mut |name, g| {
            assert_close(&format!("d {name}, q ×{q_scale}"), &rec_grads[k].1, g, 1e-12);
            k += 1;
        });
    }
}

/// Every gradient tensor of `a` against `b` (same tensor list), relative tolerance `rel`.
fn assert_grads_close<P: Params<f64>>(what: &str, a: &P, b: &P, rel: f64) {
    let mut first = Vec::new();
    a.visit("", &mut |name, g| first.push((name.to_string(), g.to_vec())));
    let mut k = 0;
    b.visit("", &mut |name, g| {
        assert_eq!(first[k].0, name, "{what}: tensor lists differ");
        assert_close(&format!("{what}: d {name}"), &first[k].1, g, rel);
        k += 1;
    });
}

/// The chunkwise form equals the recurrent form from a non-zero state (outputs, final state,
/// gradients of the inputs and of the initial state) and the parallel form from the empty state,
/// for chunks that divide T, that do not, of one step and longer than T; T = 6 and T = 40.
#[test]
fn chunkwise_equals_recurrent_and_parallel_in_outputs_and_gradients() {
    let cell = MlstmCell::new(NH);
    for (seed, t_len, q_scale) in [(1, T, 0.05), (2, T, 1.0), (3, T, 3.0), (4, 40, 1.0), (5, 40, 3.0)] {
        let mut rng = Rng::new(seed);
        let x = random_input_of(&mut rng, t_len, q_scale);
        let s0 = random_state(&mut rng);
        let w = randn(&mut rng, (B, t_len, E), 1.0, 0.0);
        let (h_rec, last_rec, rec) = cell.forward_recurrent(&x, &s0);
        let (d_rec, d0_rec) = cell.backward_recurrent(&x, &rec, &w);
        let empty = MlstmState::zeros(B, NH, DH);
        let (h_par, par) = cell.forward_parallel(&x);
        let d_par = cell.backward_parallel(&x, &par, &w);
        for chunk in [1, 2, 4, 5, 16, t_len, t_len + 3] {
            let what = format!("T {t_len}, chunk {chunk}, q ×{q_scale}");
            let (h, last, cache) = cell.forward_chunkwise(&x, &s0, chunk);
            assert_close(&format!("{what}: h"), slice(&h_rec), slice(&h), 1e-12);
            assert_grads_close(&format!("{what}: final state"), &last_rec, &last, 1e-12);
            let (d, d0) = cell.backward_chunkwise(&x, &cache, &w);
            assert_grads_close(&format!("{what}: inputs"), &d_rec, &d, 1e-11);
            assert_grads_close(&format!("{what}: initial state"), &d0_rec, &d0, 1e-11);
            let (h, _, cache) = cell.forward_chunkwise(&x, &empty, chunk);
            assert_close(&format!("{what}: h from empty"), slice(&h_par), slice(&h), 1e-12);
            let (d, _) = cell.backward_chunkwise(&x, &cache, &w);
            assert_grads_close(&format!("{what}: inputs from empty"), &d_par, &d, 1e-11);
        }
    }
}

/// The chunkwise cache grows linearly with T (no T×T term, no d×d matrix per step): doubling T
/// at most doubles it, and it is far smaller than the recurrent cache of C at every step.
#[test]
fn chunkwise_cache_is_linear_in_the_sequence_length() {
    let cell = MlstmCell::new(NH);
    let floats = |t_len: usize| {
        let x = random_input_of(&mut Rng::new(7), t_len, 1.0);
        let (_, _, cache) = cell.forward_chunkwise(&x, &MlstmState::zeros(B, NH, DH), 16);
        cache.floats()
    };
    for t_len in [64, 128, 256] {
        let (one, two) = (floats(t_len), floats(2 * t_len));
        assert!(
            two <= 2 * one && 10 * two >= 19 * one,
            "T {t_len}: {one} floats, 2T: {two}"
        );
    }
}

#[test]
fn changing_m0_leaves_h_unchanged() {
    let mut rng = Rng::new(5);
    let x = random_input(&mut rng, 1.0);
    let s0 = random_state(&mut rng);
    // Same memory in another gauge: C̄_0 = C_0·e^{m_0} is what counts.
    let shifted = |s: &MlstmState<f64>, delta: f64| MlstmState {
        c: s.c.mapv(|c| c * (-delta).exp()),
        n: s.n.mapv(|n| n * (-delta).exp()),
        m: s.m.mapv(|m| m + delta),
    };
    let empty = MlstmState::zeros(B, NH, DH);
    let (exact, cell) = (MlstmCell { nh: NH, eps: 0.0 }, MlstmCell::new(NH));
    for delta in [-1.5, 2.5, 7.3] {
        let empty_at = MlstmState {
            m: empty.m.mapv(|_| delta),
            ..empty.clone()
        };
        for (sa, sb) in [(&s0, &shifted(&s0, delta)), (&empty, &empty_at)] {
            let h = exact.forward_recurrent(&x, sa).0;
            assert_close(
                "h, ε = 0",
                slice(&h),
                slice(&exact.forward_recurrent(&x, sb).0),
                1e-13,
            );
            // With the official ε the only difference is the ε term, of order ε·e^{m}/N̄.
            let (ha, hb) = (cell.forward_recurrent(&x, sa).0, cell.forward_recurrent(&x, sb).0);
            assert_close("h, ε = 1e-6", slice(&ha), slice(&hb), 1e-4 * delta.max(0.0).exp());
        }
    }
}

/// Per head: δĩ_t = k_t·δk_t, and δf̃_t = σ(−f̃_t) Σ_{u≥t} (q_u·δq_u − k_u·δk_u) (§5.3).
fn assert_gate_identities(what: &str, x: &MlstmInput<f64>, dx: &MlstmInput<f64>) {
    let (mut lhs_i, mut rhs_i, mut lhs_f, mut rhs_f) = (vec![], vec![], vec![], vec![]);
    for b in 0..B {
        for h in 0..NH {
            let mut acc = 0.0;
            for t in (0..T).rev() {
                let dot = |a: &Array3<f64>, g: &Array3<f64>| {
                    (0..DH)
                        .map(|j| a[[b, t, h * DH + j]] * g[[b, t, h * DH + j]])
                        .sum::<f64>()
                };
                let k_dk = dot(&x.k, &dx.k);
                acc += dot(&x.q, &dx.q) - k_dk;
                lhs_i.push(dx.i_pre[[b, t, h]]);
                rhs_i.push(k_dk);
                lhs_f.push(dx.f_pre[[b, t, h]]);
                rhs_f.push(acc / (1.0 + x.f_pre[[b, t, h]].exp()));
            }
        }
    }
    assert_close(&format!("{what}: δĩ = k·δk"), &lhs_i, &rhs_i, 1e-12);
    assert_close(&format!("{what}: δf̃ reverse cumsum"), &lhs_f, &rhs_f, 1e-12);
}

#[test]
fn gate_gradients_satisfy_the_k_dot_dk_and_cumsum_identities() {
    let cell = MlstmCell::new(NH);
    let mut rng = Rng::new(9);
    let x = random_input(&mut rng, 2.0);
    let s0 = random_state(&mut rng);
    let w = randn(&mut rng, (B, T, E), 1.0, 0.0);
    let (_, _, cache) = cell.forward_recurrent(&x, &s0);
    assert_gate_identities("recurrent", &x, &cell.backward_recurrent(&x, &cache, &w).0);
    let (_, cache) = cell.forward_parallel(&x);
    assert_gate_identities("parallel", &x, &cell.backward_parallel(&x, &cache, &w));
    let (_, _, cache) = cell.forward_chunkwise(&x, &s0, 4);
    assert_gate_identities("chunkwise", &x, &cell.backward_chunkwise(&x, &cache, &w).0);
}

#[test]
fn f32_forward_agrees_with_f64_and_survives_extreme_gates() {
    let cell = MlstmCell::new(NH);
    let mut rng = Rng::new(11);
    let mut x = random_input(&mut rng, 1.0);
    let s0 = MlstmState::zeros(B, NH, DH);
    let to32 = |a: &Array3<f64>| a.mapv(|v| v as f32);
    let x32 = |x: &MlstmInput<f64>| MlstmInput {
        q: to32(&x.q),
        k: to32(&x.k),
        v: to32(&x.v),
        i_pre: to32(&x.i_pre),
        f_pre: to32(&x.f_pre),
    };
    let h64 = cell.forward_recurrent(&x, &s0).0;
    let empty32 = MlstmState::zeros(B, NH, DH);
    let h32 = cell.forward_recurrent(&x32(&x), &empty32).0;
    let h32_chunks = cell.forward_chunkwise(&x32(&x), &empty32, 4).0;
    for (what, h32) in [("recurrent", h32), ("chunkwise", h32_chunks)] {
        assert_close(
            &format!("{what}: f32 vs f64"),
            slice(&h64),
            &h32.mapv(f64::from).into_raw_vec_and_offset().0,
            1e-5,
        );
    }
    // Gate pre-activations far beyond exp's f32 range stay finite (stabiliser, stable logσ).
    x.i_pre.iter_mut().step_by(2).for_each(|v| *v += 120.0);
    x.f_pre.iter_mut().step_by(3).for_each(|v| *v = -150.0);
    let (h, _, cache) = cell.forward_recurrent(&x32(&x), &MlstmState::zeros(B, NH, DH));
    assert!(h.iter().all(|v| v.is_finite()), "recurrent h not finite");
    let d = cell.backward_recurrent(&x32(&x), &cache, &h).0;
    assert!(
        d.q.iter().chain(&d.f_pre).all(|v| v.is_finite()),
        "recurrent gradients not finite"
    );
    assert!(
        cell.forward_parallel(&x32(&x)).0.iter().all(|v| v.is_finite()),
        "parallel h not finite"
    );
    let (h, _, cache) = cell.forward_chunkwise(&x32(&x), &MlstmState::zeros(B, NH, DH), 4);
    assert!(h.iter().all(|v| v.is_finite()), "chunkwise h not finite");
    let d = cell.backward_chunkwise(&x32(&x), &cache, &h).0;
    assert!(
        d.q.iter()
            .chain(&d.k)
            .chain(&d.v)
            .chain(&d.i_pre)
            .chain(&d.f_pre)
            .all(|v| v.is_finite()),
        "chunkwise gradients not finite"
    );
}

//! Tests of the sLSTM cell (`slstm.rs`): f64 gradient checks (with and without initial state,
//! plain and split inputs), stabilised == unstabilised forward, gauge invariance in m_0, the
//! zero input-gate-bias gradient from the zero state, the f32 first step with a huge input-gate
//! bias, initialisation, and a hand-computed one-unit case.

use super::*;
use crate::nn::gradcheck::{as2, as3, randn, GradCheck, WithInputs};
use crate::nn::zeros_like;
use ndarray::ArrayD;

const B: usize = 2;
const T: usize = 8;
const D: usize = 3;
const H: usize = 8;
const NH: usize = 2;

/// Weights ~ N(0, 0.5²), non-zero R, forget bias around +2.5 (§7 of xlstm-math.md).
fn random_params(rng: &mut Rng) -> SlstmParams<f64> {
    random_params_with(rng, false)
}

/// [`random_params`] with dense input weights from D inputs, or head-wise ones (D = H).
fn random_params_with(rng: &mut Rng, headwise: bool) -> SlstmParams<f64> {
    let mut p = init::<f64>(
        &SlstmConfig {
            d_input: if headwise { H } else { D },
            d_hidden: H,
            n_heads: NH,
            forget_init: ForgetInit::Linspace,
            headwise,
        },
        rng,
    );
    p.w_x.mapv_inplace(|_| 0.5 * rng.normal());
    p.r.mapv_inplace(|_| 0.5 * rng.normal());
    p.b.mapv_inplace(|_| 0.5 * rng.normal());
    p.b.slice_mut(s![H..2 * H]).mapv_inplace(|v| v + 2.5);
    p
}

fn random_state(rng: &mut Rng) -> Vec<(&'static str, ArrayD<f64>)> {
    let n0 = ArrayD::from_shape_fn(vec![B, H], |_| rng.uniform_range(0.5, 2.0));
    vec![
        ("h0", randn(rng, &[B, H], 0.5)),
        ("c0", randn(rng, &[B, H], 1.0)),
        ("n0", n0),
        ("m0", randn(rng, &[B, H], 1.0)),
    ]
}

fn state_of(a: &WithInputs<SlstmParams<f64>>) -> Option<SlstmState<f64>> {
    a.has("h0").then(|| SlstmState {
        h: a.get2("h0"),
        c: a.get2("c0"),
        n: a.get2("n0"),
        m: a.get2("m0"),
    })
}

/// What the backward pass of the check needs: the cache and the final state.
type Saved = (SlstmCache<f64>, SlstmState<f64>);

/// Outputs [h, c_T / n_T] (a gauge-invariant use of the final state) and the cache with the
/// final state.
fn run_any(a: &WithInputs<SlstmParams<f64>>) -> (Vec<ArrayD<f64>>, Saved) {
    let s0 = state_of(a);
    let (h, fin, cache) = match a.has("x_zo") {
        true => forward_split(&a.params, &a.get3("x"), &a.get3("x_zo"), s0.as_ref()),
        false => forward(&a.params, &a.get3("x"), s0.as_ref()),
    };
    let ratio = &fin.c / &fin.n;
    (vec![h.into_dyn(), ratio.into_dyn()], (cache, fin))
}

/// Both branches of the stabiliser max occur: f' = 1 (forget branch) and i' = 1 (input branch).
fn assert_both_branches(cache: &SlstmCache<f64>) {
    let (i_act, f_act) = (
        cache.act.slice(s![.., 1.., ..H]),
        cache.act.slice(s![.., 1.., H..2 * H]),
    );
    let forget_wins = f_act
        .iter()
        .zip(i_act.iter())
        .filter(|(f, i)| **f == 1.0 && **i < 1.0)
        .count();
    let input_wins = f_act
        .iter()
        .zip(i_act.iter())
        .filter(|(f, i)| **f < 1.0 && **i == 1.0)
        .count();
    assert!(
        forget_wins > 5 && input_wins > 5,
        "branches: forget {forget_wins}, input {input_wins}"
    );
}

/// Gradient check of L = Σ h ⊙ g + Σ g_r ⊙ c_T / n_T (a gauge-invariant use of the final state).
/// Head-wise input weights read D = H inputs.
fn check(with_state: bool, split: bool, headwise: bool, seed: u64) {
    let mut rng = Rng::new(seed);
    let params = random_params_with(&mut rng, headwise);
    let d = if headwise { H } else { D };
    let mut inputs = vec![("x", randn(&mut rng, &[B, T, d], 1.0))];
    if split {
        inputs.push(("x_zo", randn(&mut rng, &[B, T, d], 1.0)));
    }
    if with_state {
        inputs.extend(random_state(&mut rng));
    }
    let upstream = [randn(&mut rng, &[B, T, H], 1.0), randn(&mut rng, &[B, H], 1.0)];
    let point = WithInputs::new(params, inputs);
    assert_both_branches(&run_any(&point).1 .0);
    GradCheck::default().assert_layer(
        "slstm",
        &point,
        &upstream,
        run_any,
        |pt, (cache, fin), g, grads| {
            let g_r = as2(&g[1]);
            let d_final = SlstmState {
                h: Array2::zeros((B, H)),
                c: &g_r / &fin.n,
                n: -(&g_r * &fin.c / &fin.n / &fin.n),
                m: Array2::zeros((B, H)),
            };
            let mut d_inputs = Vec::new();
            let d0 = if split {
                let (d_if, d_zo, d0) = backward_split(&pt.params, cache, &as3(&g[0]), Some(&d_final), grads);
                d_inputs.extend([d_if.into_dyn(), d_zo.into_dyn()]);
                d0
            } else {
                let (d_x, d0) = backward(&pt.params, cache, &as3(&g[0]), Some(&d_final), grads);
                d_inputs.push(d_x.into_dyn());
                d0
            };
            if with_state {
                d_inputs.extend([d0.h, d0.c, d0.n, d0.m].map(|v| v.into_dyn()));
            }
            d_inputs
        },
    );
}

#[test]
fn slstm_grads_match_finite_differences_with_initial_state() {
    check(true, false, false, 31);
}

#[test]
fn slstm_grads_match_finite_differences_from_zero_state() {
    check(false, false, false, 32);
}

#[test]
fn slstm_split_input_grads_match_finite_differences() {
    check(true, true, false, 33);
}

#[test]
fn slstm_headwise_grads_match_finite_differences() {
    check(true, false, true, 34);
    check(true, true, true, 35);
}

/// Head-wise input weights are the dense (4H, H) matrix with each gate row's DH weights on its
/// head's columns and zeros elsewhere: same outputs (plain and split inputs).
#[test]
fn headwise_inputs_equal_the_block_diagonal_dense_matrix() {
    let mut rng = Rng::new(36);
    let p = random_params_with(&mut rng, true);
    assert_eq!(p.w_x.dim(), (4 * H, H / NH));
    let dh = H / NH;
    let dense = Array2::from_shape_fn((4 * H, H), |(u, c)| {
        let head = (u % H) / dh;
        if c / dh == head {
            p.w_x[[u, c % dh]]
        } else {
            0.0
        }
    });
    let p_dense = SlstmParams {
        w_x: dense,
        ..p.clone()
    };
    let x = as3(&randn(&mut rng, &[B, T, H], 1.0));
    let x_zo = as3(&randn(&mut rng, &[B, T, H], 1.0));
    let (a, b) = (forward(&p, &x, None).0, forward(&p_dense, &x, None).0);
    assert!(max_rel_diff(&a, &b) < 1e-13, "plain");
    let (a, b) = (
        forward_split(&p, &x, &x_zo, None).0,
        forward_split(&p_dense, &x, &x_zo, None).0,
    );
    assert!(max_rel_diff(&a, &b) < 1e-13, "split");
}

/// Unstabilised reference: c̄ = σ(f̃) c̄ + e^ĩ z, n̄ = σ(f̃) n̄ + e^ĩ, h = o c̄ / n̄, started from
/// c̄_0 = c_0 e^{m_0}, n̄_0 = n_0 e^{m_0}.
fn naive(p: &SlstmParams<f64>, x: &Array3<f64>, s0: &SlstmState<f64>) -> Array3<f64> {
    let (nh, dh) = (p.n_heads(), H / p.n_heads());
    let mut h = s0.h.clone();
    let mut c = &s0.c * &s0.m.mapv(f64::exp);
    let mut n = &s0.n * &s0.m.mapv(f64::exp);
    let mut out = Array3::zeros((B, T, H));
    for t in 0..T {
        let mut pre = x.slice(s![.., t, ..]).dot(&p.w_x.t()) + &p.b; // (B, 4H)
        for (b, k, g, jo, ji) in itertools(nh, dh) {
            pre[[b, g * H + k * dh + jo]] += h[[b, k * dh + ji]] * p.r[[k, ji, g * dh + jo]];
        }
        for b in 0..B {
            for u in 0..H {
                let (ip, fp, zp, op) = (
                    pre[[b, u]],
                    pre[[b, H + u]],
                    pre[[b, 2 * H + u]],
                    pre[[b, 3 * H + u]],
                );
                let f = 1.0 / (1.0 + (-fp).exp());
                c[[b, u]] = f * c[[b, u]] + ip.exp() * zp.tanh();
                n[[b, u]] = f * n[[b, u]] + ip.exp();
                h[[b, u]] = c[[b, u]] / n[[b, u]] / (1.0 + (-op).exp());
                out[[b, t, u]] = h[[b, u]];
            }
        }
    }
    out
}

/// All (batch, head, gate, out unit, in unit) index tuples.
fn itertools(nh: usize, dh: usize) -> Vec<(usize, usize, usize, usize, usize)> {
    let mut v = Vec::new();
    for b in 0..B {
        for k in 0..nh {
            for g in 0..4 {
                for jo in 0..dh {
                    for ji in 0..dh {
                        v.push((b, k, g, jo, ji));
                    }
                }
            }
        }
    }
    v
}

fn max_rel_diff(a: &Array3<f64>, b: &Array3<f64>) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b.iter())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

#[test]
fn stabilised_forward_equals_unstabilised_reference() {
    let mut rng = Rng::new(41);
    let p = random_params(&mut rng);
    let x = as3(&randn(&mut rng, &[B, T, D], 1.0));
    let st = random_state(&mut rng);
    let s0 = SlstmState {
        h: as2(&st[0].1),
        c: as2(&st[1].1),
        n: as2(&st[2].1),
        m: as2(&st[3].1),
    };
    let (y, _, _) = forward(&p, &x, Some(&s0));
    let err = max_rel_diff(&y, &naive(&p, &x, &s0));
    assert!(err <= 1e-12, "with initial state: relative difference {err:e}");
    let (y0, _, _) = forward(&p, &x, None);
    let err0 = max_rel_diff(&y0, &naive(&p, &x, &SlstmState::zeros(B, H)));
    assert!(err0 <= 1e-12, "from zero state: relative difference {err0:e}");
}

#[test]
fn shifting_m0_with_rescaled_c0_n0_leaves_h_unchanged() {
    let mut rng = Rng::new(42);
    let p = random_params(&mut rng);
    let x = as3(&randn(&mut rng, &[B, T, D], 1.0));
    let st = random_state(&mut rng);
    let s0 = SlstmState {
        h: as2(&st[0].1),
        c: as2(&st[1].1),
        n: as2(&st[2].1),
        m: as2(&st[3].1),
    };
    let shift = (-2.7f64).exp();
    let s1 = SlstmState {
        h: s0.h.clone(),
        c: &s0.c * shift,
        n: &s0.n * shift,
        m: &s0.m + 2.7,
    };
    let (y0, _, _) = forward(&p, &x, Some(&s0));
    let (y1, _, _) = forward(&p, &x, Some(&s1));
    assert!(max_rel_diff(&y1, &y0) <= 1e-13);
}

/// From the zero state a constant added to every ĩ scales c̄ and n̄ alike, so ∇b_i ≡ 0 (§4 note).
#[test]
fn input_gate_bias_gradient_vanishes_from_zero_state() {
    let mut rng = Rng::new(43);
    let p = random_params(&mut rng);
    let x = as3(&randn(&mut rng, &[B, T, D], 1.0));
    let g = as3(&randn(&mut rng, &[B, T, H], 1.0));
    let (_, _, cache) = forward(&p, &x, None);
    let mut grads = zeros_like(&p);
    backward(&p, &cache, &g, None, &mut grads);
    let b_i = grads.b.slice(s![..H]).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let others = grads.b.slice(s![H..]).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(
        others > 1e-2,
        "other bias gradients should be O(1), got {others:e}"
    );
    assert!(
        b_i <= 1e-12 * others,
        "input-gate bias gradient {b_i:e} vs {others:e}"
    );
}

/// First step with input-gate bias ±120 in f32: the first-step rule plus the ≤ 1 clamps keep
/// every output finite and close to the f64 result (xlstm-math.md §1.3).
#[test]
fn huge_input_gate_bias_stays_finite_in_f32() {
    for bias in [120.0, -120.0] {
        let mut rng = Rng::new(44);
        let mut p = random_params(&mut rng);
        p.b.slice_mut(s![..H]).fill(bias);
        let x = as3(&randn(&mut rng, &[B, T, D], 1.0));
        let (y64, _, _) = forward(&p, &x, None);
        let p32 = SlstmParams {
            w_x: p.w_x.mapv(|v| v as f32),
            r: p.r.mapv(|v| v as f32),
            b: p.b.mapv(|v| v as f32),
        };
        let (y32, fin, _) = forward(&p32, &x.mapv(|v| v as f32), None);
        assert!(
            y32.iter()
                .chain(fin.c.iter())
                .chain(fin.n.iter())
                .all(|v| v.is_finite()),
            "bias {bias}"
        );
        let diff = y32
            .iter()
            .zip(y64.iter())
            .fold(0.0f64, |m, (a, b)| m.max((*a as f64 - b).abs()));
        assert!(diff < 1e-4, "bias {bias}: f32 vs f64 differ by {diff:e}");
    }
}

#[test]
fn init_follows_the_official_schedule() {
    let mut rng = Rng::new(1);
    let cfg = SlstmConfig {
        d_input: 4,
        d_hidden: 8,
        n_heads: 2,
        forget_init: ForgetInit::Powerlaw {
            block_idx: 0,
            num_blocks: 1,
        },
        headwise: false,
    };
    let p = init::<f64>(&cfg, &mut rng);
    assert_eq!(p.r.dim(), (2, 4, 16));
    assert!(p.r.iter().all(|&v| v == 0.0));
    let b_f = p.b.slice(s![8..16]).to_vec();
    for k in 0..2 {
        assert_eq!(b_f[4 * k], 5.0);
        assert!((b_f[4 * k + 1] - (5.0 - 12.0 * (1.0f64 / 3.0).powf(0.3))).abs() < 1e-12);
        assert!((b_f[4 * k + 3] + 7.0).abs() < 1e-12);
    }
    assert!(p
        .b
        .slice(s![..8])
        .iter()
        .chain(p.b.slice(s![16..]).iter())
        .all(|&v| v == 0.0));
    let lin = forget_bias(ForgetInit::Linspace, 4, 1);
    assert_eq!(lin, vec![3.0, 4.0, 5.0, 6.0]);
}

/// D = H = NH = 1; w_x = [1, 0, 0.5, 0] (i, f, z, o), R = 0, b = 0, x = [1, 2], zero state.
/// Step 1: ĩ = 1, first-step rule m_1 = 1, i' = 1, z = tanh 0.5 = 0.46211715726000974, c_1 = z,
///         n_1 = 1, o = σ(0) = 0.5, h_1 = 0.23105857863000487.
/// Step 2: ĩ = 2, ℓ = logσ(0) = −ln 2, m_2 = max(1 − ln 2, 2) = 2, i' = 1,
///         f' = exp(−ln 2 + 1 − 2) = 0.18393972058572117, z = tanh 1 = 0.7615941559557649,
///         c_2 = f'·c_1 + z = 0.8465958567400388, n_2 = f' + 1 = 1.1839397205857212,
///         h_2 = 0.5·c_2/n_2 = 0.3575333448231676.
#[test]
fn hand_computed_one_unit_two_steps() {
    let p = SlstmParams {
        w_x: Array2::from_shape_vec((4, 1), vec![1.0, 0.0, 0.5, 0.0]).unwrap(),
        r: Array3::zeros((1, 1, 4)),
        b: Array1::zeros(4),
    };
    let x = Array3::from_shape_vec((1, 2, 1), vec![1.0, 2.0]).unwrap();
    let (y, fin, _) = forward(&p, &x, None);
    assert!((y[[0, 0, 0]] - 0.23105857863000487f64).abs() < 1e-15);
    assert!((y[[0, 1, 0]] - 0.3575333448231676f64).abs() < 1e-15);
    assert!((fin.n[[0, 0]] - 1.1839397205857212f64).abs() < 1e-15);
    assert_eq!(fin.m[[0, 0]], 2.0);
}

#[test]
fn shared_exp_log_sigmoid_matches_the_separate_formulas() {
    for x in [-150.0f64, -20.0, -1.5, -1e-3, 0.0, 0.7, 9.0, 200.0] {
        let (l, s) = log_sigmoid_and_sigmoid_neg(x);
        assert!(
            (l - crate::nn::activation::log_sigmoid(x)).abs() <= 1e-15 * l.abs().max(1.0),
            "logσ({x})"
        );
        assert!((s - sigmoid(-x)).abs() <= 1e-15 * s.abs(), "σ(−{x})");
    }
}

/// The cache-free inference path equals the training forward from the zero state bit for bit,
/// in f64 and f32, for dense, split and head-wise input weights.
#[test]
fn inference_without_the_cache_equals_the_training_forward() {
    let mut rng = Rng::new(41);
    for headwise in [false, true] {
        let p = random_params_with(&mut rng, headwise);
        let d_in = if headwise { H } else { D };
        let x = as3(&randn(&mut rng, &[B, T, d_in], 1.0));
        let x_zo = as3(&randn(&mut rng, &[B, T, d_in], 1.0));
        assert_eq!(infer(&p, &x), forward(&p, &x, None).0, "headwise {headwise}");
        assert_eq!(
            infer_split(&p, &x, &x_zo),
            forward_split(&p, &x, &x_zo, None).0,
            "split, headwise {headwise}"
        );
        let p32 = SlstmParams {
            w_x: p.w_x.mapv(|v| v as f32),
            r: p.r.mapv(|v| v as f32),
            b: p.b.mapv(|v| v as f32),
        };
        let (x32, x_zo32) = (x.mapv(|v| v as f32), x_zo.mapv(|v| v as f32));
        assert_eq!(
            infer(&p32, &x32),
            forward(&p32, &x32, None).0,
            "f32, headwise {headwise}"
        );
        assert_eq!(
            infer_split(&p32, &x32, &x_zo32),
            forward_split(&p32, &x32, &x_zo32, None).0,
            "f32 split, headwise {headwise}"
        );
    }
}

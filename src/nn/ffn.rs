//! Gated feed-forward network D → 2P → D without biases (`xlstm-math.md` §3.2 step 5, §5.6).
//! Derivation: `docs/derivations/layers.md` §5.
//!
//! ```text
//! [a | v] = x W_upᵀ            (N, 2P): gate half a, value half v
//! y = (act(a) ⊙ v) W_downᵀ     (N, D)
//! backward: d_g = d_y W_down;  ∇W_down += d_yᵀ (act(a) ⊙ v)
//!           d_a = act'(a) ⊙ v ⊙ d_g;  d_v = act(a) ⊙ d_g;  ∇W_up += [d_a | d_v]ᵀ x;  d_x = [d_a | d_v] W_up
//! ```
//! The cache keeps x (N, D), [a | v] (N, 2P), act(a) ⊙ v, act(a) and act'(a) (N, P each); N = B·T.
//! act(a) and act'(a) come from one evaluation in the forward pass (one erf per entry for GELU).
//!
//! Public API: [`ffn_width`]`(d_model)` and [`width`]`(d_model, factor, multiple)`;
//! [`init`]`(&FfnConfig, rng) -> FfnParams`;
//! [`forward`]`(&p, &x) -> (y, FfnCache)`; [`backward`]`(&p, &cache, &d_y, &mut g) -> d_x`;
//! tensors (B, T, D).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, Array3, Zip};

use super::activation::Activation;
use super::linear::rows;
use super::rng::Rng;
use super::{cast, Float};

/// Weights of the gated FFN. `act` is a setting, not a trained tensor.
#[derive(Clone, Debug)]
pub struct FfnParams<F> {
    /// Up-projection; rows 0..P give the gate a, rows P..2P the value v.
    pub w_up: Array2<F>, // (2P, D)
    /// Down-projection.
    pub w_down: Array2<F>, // (D, P)
    /// Gate activation (GELU as in the official block, or SiLU as in TiRex).
    pub act: Activation,
}
crate::impl_params!(FfnParams { w_up, w_down });

/// Sizes and initialisation of the FFN.
#[derive(Clone, Debug)]
pub struct FfnConfig {
    /// Model width D.
    pub d_model: usize,
    /// Inner width P (see [`ffn_width`]).
    pub d_ff: usize,
    /// Gate activation.
    pub act: Activation,
    /// Number of blocks in the stack (scales the down-projection init).
    pub num_blocks: usize,
}

/// The projection factor PF of the inner width P = PF·D.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FfnFactor {
    /// PF = 4/3 (`xlstm-math.md` §3.5; this crate's default).
    FourThirds,
    /// PF = 1.3, the official xLSTM's `proj_factor`.
    OnePointThree,
}

/// P = ⌈PF·D⌉ rounded up to a multiple of `multiple` (≥ 1), in integers: ⌈4D/3⌉ or ⌈13D/10⌉.
/// The official code rounds to 64 (a GPU tiling concern: D = 32 gives P = 64, D = 64 gives 128);
/// this crate's default is 8, which keeps P near PF·D at small widths.
pub fn width(d_model: usize, factor: FfnFactor, multiple: usize) -> usize {
    let exact = match factor {
        FfnFactor::FourThirds => (4 * d_model).div_ceil(3),
        FfnFactor::OnePointThree => (13 * d_model).div_ceil(10),
    };
    let multiple = multiple.max(1);
    exact.div_ceil(multiple) * multiple
}

/// The default width: P = ⌈4D/3⌉ rounded up to a multiple of 8.
pub fn ffn_width(d_model: usize) -> usize {
    width(d_model, FfnFactor::FourThirds, 8)
}

/// Up-projection N(0, 2/(5D)) ("small init"), down-projection N(0, (2/(num_blocks·√D))²)
/// ("wang init"), `xlstm-math.md` §4.
pub fn init<F: Float>(config: &FfnConfig, rng: &mut Rng) -> FfnParams<F> {
    let (d, pw) = (config.d_model, config.d_ff);
    let std_up = (2.0 / (5.0 * d as f64)).sqrt();
    let std_down = 2.0 / (config.num_blocks.max(1) as f64 * (d as f64).sqrt());
    let w_up = Array2::from_shape_fn((2 * pw, d), |_| cast(std_up * rng.normal()));
    let w_down = Array2::from_shape_fn((d, pw), |_| cast(std_down * rng.normal()));
    FfnParams {
        w_up,
        w_down,
        act: config.act,
    }
}

/// What [`backward`] needs.
#[derive(Clone, Debug)]
pub struct FfnCache<F> {
    /// Input rows.
    pub x: Array2<F>, // (N, D)
    /// Gate and value pre-activations [a | v].
    pub av: Array2<F>, // (N, 2P)
    /// act(a) ⊙ v.
    pub gv: Array2<F>, // (N, P)
    /// act(a), saved so the backward evaluates no activation.
    pub act_a: Array2<F>, // (N, P)
    /// act'(a).
    pub d_act_a: Array2<F>, // (N, P)
}

/// y = W_down(act(a) ⊙ v) for `x` (B, T, D) → (B, T, D).
pub fn forward<F: Float>(p: &FfnParams<F>, x: &Array3<F>) -> (Array3<F>, FfnCache<F>) {
    let (bs, t_len, d) = x.dim();
    let pw = p.w_down.ncols();
    let x2 = rows(x); // (N, D)
    let av = x2.dot(&p.w_up.t()); // (N, 2P)
    let act = p.act;
    let mut act_a = Array2::<F>::zeros((x2.nrows(), pw)); // (N, P)
    let mut d_act_a = Array2::<F>::zeros((x2.nrows(), pw)); // (N, P)
    let mut gv = Array2::<F>::zeros((x2.nrows(), pw)); // (N, P)
    Zip::from(&mut act_a)
        .and(&mut d_act_a)
        .and(&mut gv)
        .and(av.slice(s![.., ..pw]))
        .and(av.slice(s![.., pw..]))
        .for_each(|y, dy, q, &a, &v| {
            (*y, *dy) = act.value_and_grad(a);
            *q = *y * v;
        });
    let y = gv
        .dot(&p.w_down.t())
        .into_shape_with_order((bs, t_len, d))
        .expect("contiguous");
    (
        y,
        FfnCache {
            x: x2.to_owned(),
            av,
            gv,
            act_a,
            d_act_a,
        },
    )
}

/// Backward of [`forward`]: adds ∇W_up, ∇W_down into `grads`, returns d_x (B, T, D).
pub fn backward<F: Float>(
    p: &FfnParams<F>,
    cache: &FfnCache<F>,
    d_y: &Array3<F>,
    grads: &mut FfnParams<F>,
) -> Array3<F> {
    let pw = p.w_down.ncols();
    let d_y2 = rows(d_y); // (N, D)
    general_mat_mul(F::one(), &d_y2.t(), &cache.gv, F::one(), &mut grads.w_down);
    let d_g = d_y2.dot(&p.w_down); // (N, P)
    let mut d_av = Array2::<F>::zeros(cache.av.dim()); // (N, 2P)
    let v = cache.av.slice(s![.., pw..]);
    let (mut d_a, mut d_v) = d_av.multi_slice_mut((s![.., ..pw], s![.., pw..]));
    Zip::from(&mut d_a)
        .and(&mut d_v)
        .and(&cache.act_a)
        .and(&cache.d_act_a)
        .and(v)
        .and(&d_g)
        .for_each(|da, dv, &y, &dy, &v, &g| {
            *da = dy * v * g;
            *dv = y * g;
        });
    general_mat_mul(F::one(), &d_av.t(), &cache.x, F::one(), &mut grads.w_up);
    d_av.dot(&p.w_up)
        .into_shape_with_order(d_y.dim())
        .expect("contiguous")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{randn, GradCheck};
    use ndarray::array;

    #[test]
    fn width_is_four_thirds_rounded_up_to_eight() {
        assert_eq!(ffn_width(64), 88); // ⌈85.3⌉ = 86 → 88
        assert_eq!(ffn_width(6), 8);
        assert_eq!(ffn_width(48), 64);
    }

    /// 1.3·D in integers, and the official rounding to 64 (`xlstm-math.md` §3.2: D = 64 → 128).
    #[test]
    fn official_factor_and_rounding() {
        let official = |d| width(d, FfnFactor::OnePointThree, 64);
        assert_eq!((official(32), official(64), official(256)), (64, 128, 384));
        let by_eight = |d| width(d, FfnFactor::OnePointThree, 8);
        assert_eq!(
            (by_eight(32), by_eight(64), by_eight(100), by_eight(128)),
            (48, 88, 136, 168)
        );
        assert_eq!(width(10, FfnFactor::OnePointThree, 1), 13);
        assert_eq!(width(3, FfnFactor::FourThirds, 1), 4);
    }

    /// D = 1, P = 1, W_up = [[1], [2]], W_down = [[3]], SiLU, x = 1:
    /// a = 1, v = 2, SiLU(1) = σ(1) = 0.7310585786300049, y = 3·0.7310585786300049·2 = 4.386351471780029.
    #[test]
    fn hand_computed_silu_gate() {
        let p = FfnParams {
            w_up: array![[1.0], [2.0]],
            w_down: array![[3.0]],
            act: Activation::Silu,
        };
        let (y, _) = forward(&p, &Array3::from_elem((1, 1, 1), 1.0));
        assert!((y[[0, 0, 0]] - 4.386351471780029f64).abs() < 1e-14);
    }

    fn check(act: Activation) {
        let mut rng = Rng::new(51);
        let cfg = FfnConfig {
            d_model: 4,
            d_ff: 6,
            act,
            num_blocks: 1,
        };
        let mut p = init::<f64>(&cfg, &mut rng);
        p.w_up.mapv_inplace(|_| 0.7 * rng.normal());
        p.w_down.mapv_inplace(|_| 0.7 * rng.normal());
        let x = randn(&mut rng, &[2, 5, 4], 1.0);
        let g = randn(&mut rng, &[2, 5, 4], 1.0);
        GradCheck::default().assert_sequence_layer("ffn", p, x, g, forward, backward);
    }

    #[test]
    fn ffn_grads_match_finite_differences_gelu() {
        check(Activation::Gelu);
    }

    #[test]
    fn ffn_grads_match_finite_differences_silu() {
        check(Activation::Silu);
    }
}

//! Dense (fully connected) layer: `y = x Wᵀ + b`, one GEMM over all rows.
//!
//! Input is an `(N, I)` matrix, or a `(B, T, I)` tensor that is flattened to `(B·T, I)` rows
//! ([`forward3`] / [`backward3`]). The bias is optional: a layer without bias stores `b` with
//! length 0. Derivation: `docs/derivations/layers.md` §1.
//!
//! ```text
//! forward:  y = x Wᵀ + b                        (N, O)
//! backward: d_x = d_y W;  ∇W += d_yᵀ x;  ∇b += Σ_rows d_y
//! ```
//!
//! Public API:
//! - [`LinearParams::init`]`(d_in, d_out, bias, std, rng)`
//! - [`forward`]`(&p, &x2) -> (y2, LinearCache)`, [`backward`]`(&p, &cache, &d_y2, &mut g) -> d_x2`
//! - [`forward3`] / [`backward3`]: the same for `(B, T, I)` tensors
//! - [`apply`]`(&p, x_view) -> y` (no cache) and [`backward_with_input`]`(&p, x_view, d_y_view, &mut g)`
//!   for callers that keep the input themselves.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array3, ArrayView2, Axis};

use super::rng::Rng;
use super::{cast, Float};

/// Weights of a dense layer. A layer without bias has `b.len() == 0`.
#[derive(Clone, Debug)]
pub struct LinearParams<F> {
    /// Weight matrix.
    pub w: Array2<F>, // (O, I)
    /// Bias, or empty when the layer has none.
    pub b: Array1<F>, // (O) or (0)
}
crate::impl_params!(LinearParams { w, b });

/// What [`backward`] needs: the layer input.
#[derive(Clone, Debug)]
pub struct LinearCache<F> {
    /// Input rows.
    pub x: Array2<F>, // (N, I)
}

impl<F: Float> LinearParams<F> {
    /// Weights drawn from N(0, std²), bias zero (absent when `bias` is false).
    pub fn init(d_in: usize, d_out: usize, bias: bool, std: f64, rng: &mut Rng) -> Self {
        let w = Array2::from_shape_fn((d_out, d_in), |_| cast(std * rng.normal()));
        let b = Array1::zeros(if bias { d_out } else { 0 });
        LinearParams { w, b }
    }

    /// Input width `I`.
    pub fn d_in(&self) -> usize {
        self.w.ncols()
    }

    /// Output width `O`.
    pub fn d_out(&self) -> usize {
        self.w.nrows()
    }

    /// Whether the layer adds a bias.
    pub fn has_bias(&self) -> bool {
        !self.b.is_empty()
    }
}

/// `y = x Wᵀ + b` without keeping a cache. `x`: (N, I) → (N, O).
pub fn apply<F: Float>(p: &LinearParams<F>, x: ArrayView2<F>) -> Array2<F> {
    debug_assert_eq!(x.ncols(), p.d_in(), "linear: input width");
    let mut y = Array2::zeros((x.nrows(), p.d_out())); // (N, O)
    if p.has_bias() {
        y += &p.b;
    }
    general_mat_mul(F::one(), &x, &p.w.t(), F::one(), &mut y);
    y
}

/// Backward given the forward input `x` (N, I) and `d_y` (N, O); adds into `grads`, returns d_x.
pub fn backward_with_input<F: Float>(
    p: &LinearParams<F>,
    x: ArrayView2<F>,
    d_y: ArrayView2<F>,
    grads: &mut LinearParams<F>,
) -> Array2<F> {
    debug_assert_eq!(d_y.dim(), (x.nrows(), p.d_out()), "linear: d_y shape");
    general_mat_mul(F::one(), &d_y.t(), &x, F::one(), &mut grads.w);
    if p.has_bias() {
        grads.b += &d_y.sum_axis(Axis(0));
    }
    d_y.dot(&p.w)
}

/// Forward over rows: `x` (N, I) → `y` (N, O); the cache keeps a copy of `x`.
pub fn forward<F: Float>(p: &LinearParams<F>, x: &Array2<F>) -> (Array2<F>, LinearCache<F>) {
    (apply(p, x.view()), LinearCache { x: x.clone() })
}

/// Backward over rows: adds ∇W, ∇b into `grads`, returns d_x (N, I).
pub fn backward<F: Float>(
    p: &LinearParams<F>,
    cache: &LinearCache<F>,
    d_y: &Array2<F>,
    grads: &mut LinearParams<F>,
) -> Array2<F> {
    backward_with_input(p, cache.x.view(), d_y.view(), grads)
}

/// View a standard-layout (B, T, D) tensor as (B·T, D) rows.
pub fn rows<F: Float>(x: &Array3<F>) -> ArrayView2<'_, F> {
    let (b, t, d) = x.dim();
    x.view()
        .into_shape_with_order((b * t, d))
        .expect("(B, T, D) tensor in standard layout")
}

/// Columns lo..hi of a (B·T, W) matrix as a standard-layout (B, T, hi − lo) tensor: one part of
/// a fused projection (such as q, k and v from one GEMM).
pub fn cols3<F: Float>(a: &Array2<F>, (lo, hi): (usize, usize), (b, t): (usize, usize)) -> Array3<F> {
    let part = a.slice(s![.., lo..hi]).as_standard_layout().into_owned(); // (B·T, hi − lo)
    part.into_shape_with_order((b, t, hi - lo)).expect("contiguous")
}

/// Forward over a (B, T, I) tensor → (B, T, O). The cache keeps `x` as (B·T, I) rows.
pub fn forward3<F: Float>(p: &LinearParams<F>, x: &Array3<F>) -> (Array3<F>, LinearCache<F>) {
    let (b, t, _) = x.dim();
    let x2 = rows(x);
    let y = apply(p, x2)
        .into_shape_with_order((b, t, p.d_out()))
        .expect("contiguous");
    (y, LinearCache { x: x2.to_owned() })
}

/// Backward over a (B, T, O) output gradient; returns d_x (B, T, I).
pub fn backward3<F: Float>(
    p: &LinearParams<F>,
    cache: &LinearCache<F>,
    d_y: &Array3<F>,
    grads: &mut LinearParams<F>,
) -> Array3<F> {
    let (b, t, _) = d_y.dim();
    let d_x = backward_with_input(p, cache.x.view(), rows(d_y), grads);
    d_x.into_shape_with_order((b, t, p.d_in())).expect("contiguous")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{randn, GradCheck};
    use crate::nn::zeros_like;
    use ndarray::{array, Ix2};

    /// 2 inputs → 1 output, W = [[1, 2]], b = [0.5]: y = 1·3 + 2·(−1) + 0.5 = 1.5.
    #[test]
    fn hand_computed_row() {
        let p = LinearParams {
            w: array![[1.0, 2.0]],
            b: array![0.5],
        };
        let (y, _) = forward(&p, &array![[3.0, -1.0]]);
        assert_eq!(y, array![[1.5]]);
    }

    fn check(bias: bool) {
        let mut rng = Rng::new(5);
        let p = LinearParams::<f64>::init(3, 4, bias, 0.7, &mut rng);
        let mut p = p;
        p.b.mapv_inplace(|_| rng.normal());
        let x = randn(&mut rng, &[2, 5, 3], 1.0);
        let g = randn(&mut rng, &[2, 5, 4], 1.0);
        GradCheck::default().assert_sequence_layer("linear", p, x, g, forward3, backward3);
    }

    #[test]
    fn linear_grads_match_finite_differences_with_bias() {
        check(true);
    }

    #[test]
    fn linear_grads_match_finite_differences_without_bias() {
        check(false);
    }

    #[test]
    fn backward_adds_into_grads() {
        let mut rng = Rng::new(2);
        let p = LinearParams::<f64>::init(2, 3, true, 1.0, &mut rng);
        let x = randn(&mut rng, &[4, 2], 1.0)
            .into_dimensionality::<Ix2>()
            .unwrap();
        let d_y = randn(&mut rng, &[4, 3], 1.0)
            .into_dimensionality::<Ix2>()
            .unwrap();
        let (_, cache) = forward(&p, &x);
        let mut once = zeros_like(&p);
        backward(&p, &cache, &d_y, &mut once);
        let mut twice = zeros_like(&p);
        backward(&p, &cache, &d_y, &mut twice);
        backward(&p, &cache, &d_y, &mut twice);
        assert!((&twice.w - &(&once.w * 2.0)).iter().all(|e| e.abs() < 1e-12));
        assert!((&twice.b - &(&once.b * 2.0)).iter().all(|e| e.abs() < 1e-12));
    }
}

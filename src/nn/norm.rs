//! LayerNorm and head-wise GroupNorm without bias, scale `(1 + w)`, eps 1e-5 (`xlstm-math.md` §3.1).
//!
//! Both normalise the last axis of a tensor of any rank. GroupNorm with `groups = NH` is a LayerNorm
//! over each head's `DH = D / NH` contiguous units; LayerNorm is the case `groups = 1`. The weight
//! `w` always has the full width D (one offset per unit). Derivation: `docs/derivations/layers.md` §2.
//!
//! ```text
//! forward:  x̂ = (x − μ)/s,  s = √(var + eps),  y = (1 + w) ⊙ x̂   (μ, var per row and group)
//! backward: g = d_y ⊙ (1 + w);  d_x = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / s;  ∇w += Σ_rows d_y ⊙ x̂
//! ```
//! The cache keeps x̂ (N, D) and 1/s (N, groups), N = product of the leading axes.
//!
//! Public API: [`NormParams::new`]`(d)`; [`forward`]`(&p, &x, groups) -> (y, NormCache)`;
//! [`backward`]`(&p, &cache, &d_y, &mut g) -> d_x`; [`layer_norm`] / [`group_norm`] shorthands.

use ndarray::{Array, Array1, Array2, Dimension};

use super::{cast, Float};

/// Variance epsilon of every norm in the model.
pub const EPS: f64 = 1e-5;

/// Scale offsets of a LayerNorm / GroupNorm; effective scale is `1 + w`.
#[derive(Clone, Debug)]
pub struct NormParams<F> {
    /// Scale offset per unit (initialised to 0).
    pub w: Array1<F>, // (D)
}
crate::impl_params!(NormParams { w });

/// What [`backward`] needs.
#[derive(Clone, Debug)]
pub struct NormCache<F> {
    /// Normalised input.
    pub x_hat: Array2<F>, // (N, D)
    /// Reciprocal standard deviation per row and group.
    pub inv_std: Array2<F>, // (N, groups)
}

impl<F: Float> NormParams<F> {
    /// Offsets zero: the norm starts as a plain standardisation.
    pub fn new(d: usize) -> Self {
        NormParams { w: Array1::zeros(d) }
    }
}

/// Normalise each of the `groups` slices of the last axis of `x`; output has the shape of `x`.
pub fn forward<F: Float, D: Dimension>(
    p: &NormParams<F>,
    x: &Array<F, D>,
    groups: usize,
) -> (Array<F, D>, NormCache<F>) {
    let d = *x.shape().last().expect("at least one axis");
    debug_assert_eq!(p.w.len(), d, "norm: weight width");
    debug_assert!(
        groups > 0 && d.is_multiple_of(groups),
        "norm: {d} units in {groups} groups"
    );
    let n = x.len() / d;
    let dg = d / groups;
    let eps: F = cast(EPS);
    let inv_dg: F = cast(1.0 / dg as f64);
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let mut x_hat = Array2::<F>::zeros((n, d)); // (N, D)
    let mut inv_std = Array2::<F>::zeros((n, groups)); // (N, groups)
    let mut y = Vec::with_capacity(x.len());
    for r in 0..n {
        for g in 0..groups {
            let lo = r * d + g * dg;
            let seg = &xs[lo..lo + dg];
            let mean = seg.iter().fold(F::zero(), |a, &v| a + v) * inv_dg;
            let var = seg.iter().fold(F::zero(), |a, &v| a + (v - mean) * (v - mean)) * inv_dg;
            let is = F::one() / (var + eps).sqrt();
            inv_std[[r, g]] = is;
            for (j, &v) in seg.iter().enumerate() {
                let u = g * dg + j;
                let xh = (v - mean) * is;
                x_hat[[r, u]] = xh;
                y.push((F::one() + p.w[u]) * xh);
            }
        }
    }
    let y = Array::from_shape_vec(x.raw_dim(), y).expect("same size");
    (y, NormCache { x_hat, inv_std })
}

/// Backward of [`forward`]: adds ∇w into `grads`, returns d_x shaped like `d_y`.
pub fn backward<F: Float, D: Dimension>(
    p: &NormParams<F>,
    cache: &NormCache<F>,
    d_y: &Array<F, D>,
    grads: &mut NormParams<F>,
) -> Array<F, D> {
    let (n, d) = cache.x_hat.dim();
    let groups = cache.inv_std.ncols();
    let dg = d / groups;
    let inv_dg: F = cast(1.0 / dg as f64);
    let dys = d_y.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    debug_assert_eq!(dys.len(), n * d, "norm: d_y size");
    let mut d_x = Vec::with_capacity(n * d);
    for r in 0..n {
        let xh = cache.x_hat.row(r);
        for g in 0..groups {
            let (mut mean_g, mut mean_gx) = (F::zero(), F::zero());
            for u in g * dg..(g + 1) * dg {
                let dy = dys[r * d + u];
                grads.w[u] += dy * xh[u];
                let gu = dy * (F::one() + p.w[u]);
                mean_g += gu;
                mean_gx += gu * xh[u];
            }
            mean_g *= inv_dg;
            mean_gx *= inv_dg;
            let is = cache.inv_std[[r, g]];
            for u in g * dg..(g + 1) * dg {
                let gu = dys[r * d + u] * (F::one() + p.w[u]);
                d_x.push((gu - mean_g - xh[u] * mean_gx) * is);
            }
        }
    }
    Array::from_shape_vec(d_y.raw_dim(), d_x).expect("same size")
}

/// LayerNorm over the last axis (`groups = 1`).
pub fn layer_norm<F: Float, D: Dimension>(p: &NormParams<F>, x: &Array<F, D>) -> (Array<F, D>, NormCache<F>) {
    forward(p, x, 1)
}

/// Head-wise GroupNorm: a LayerNorm per head slice of width D / `n_heads`.
pub fn group_norm<F: Float, D: Dimension>(
    p: &NormParams<F>,
    x: &Array<F, D>,
    n_heads: usize,
) -> (Array<F, D>, NormCache<F>) {
    forward(p, x, n_heads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{randn, GradCheck, WithInputs};
    use crate::nn::rng::Rng;
    use ndarray::array;

    /// x = [1, 3]: μ = 2, var = 1, s = √(1 + 1e-5); with w = [0, 1]: y = [−1/s, 2/s].
    #[test]
    fn hand_computed_layer_norm() {
        let p = NormParams { w: array![0.0, 1.0] };
        let (y, _) = layer_norm(&p, &array![[1.0, 3.0]]);
        let s = (1.0f64 + 1e-5).sqrt();
        assert!((y[[0, 0]] + 1.0 / s).abs() < 1e-15 && (y[[0, 1]] - 2.0 / s).abs() < 1e-15);
    }

    #[test]
    fn group_norm_normalises_each_head_separately() {
        let p = NormParams::<f64>::new(4);
        let (y, _) = group_norm(&p, &array![[1.0, 3.0, 10.0, 30.0]], 2);
        let s1 = (1.0f64 + 1e-5).sqrt();
        let s2 = (100.0f64 + 1e-5).sqrt();
        let want = [-1.0 / s1, 1.0 / s1, -10.0 / s2, 10.0 / s2];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-14);
        }
    }

    fn check(groups: usize) {
        let mut rng = Rng::new(11 + groups as u64);
        let mut p = NormParams::<f64>::new(6);
        p.w.mapv_inplace(|_| 0.3 * rng.normal());
        let x = randn(&mut rng, &[2, 5, 6], 1.5);
        let g = randn(&mut rng, &[2, 5, 6], 1.0);
        GradCheck::default().assert_layer(
            "norm",
            &WithInputs::new(p, vec![("x", x)]),
            &[g],
            |pt| {
                let (y, cache) = forward(&pt.params, pt.get("x"), groups);
                (vec![y], cache)
            },
            |pt, cache, g, grads| vec![backward(&pt.params, cache, &g[0], grads)],
        );
    }

    #[test]
    fn layer_norm_grads_match_finite_differences() {
        check(1);
    }

    #[test]
    fn group_norm_grads_match_finite_differences() {
        check(3);
    }
}

//! Head-wise (block-diagonal) linear maps, stored compactly: the official xLSTM's
//! `LinearHeadwiseExpand` (the sLSTM gate inputs, one DH×DH block per head and gate) and the
//! mLSTM block's q, k, v projections (blocks of 4). Derivation: `docs/derivations/layers.md` §6.
//!
//! A weight `w` (O, K) applied to an input x (N, I) whose width I is a multiple K·NB of K is the
//! block-diagonal map whose output unit u reads only the K inputs of its block
//! j(u) = (u / K) mod NB. No zero is stored: a dense (O, I) matrix would hold O·I values, this one
//! O·K. Stacked outputs (the four sLSTM gates, or q and k) simply continue the block count, so
//! block j + NB reads the same inputs as block j. With K = I there is one block and the map is
//! the dense `x Wᵀ` (so [`apply`] hands it to the dense GEMM of `linear.rs`).
//!
//! ```text
//! forward:  y[r, u] (+)= Σ_{i<K} w[u, i] · x[r, j(u)·K + i]
//! backward: ∇w[u, i] += Σ_r δy[r, u] · x[r, j(u)·K + i];   δx[r, j(u)·K + i] += δy[r, u] · w[u, i]
//! ```
//! Both loops run over rows and outputs with the K products of a block innermost; they write
//! into views the caller owns and allocate nothing. Each output sums its K products in order, so
//! a row's result does not depend on the other rows.
//!
//! Public API: [`forward_into`] and [`backward_into`] on views; [`apply`] and
//! [`backward_with_input`] for a bias-free [`LinearParams`] whose `w` is dense (O, I) or
//! head-wise (O, K).

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use super::linear::{self, LinearParams};
use super::Float;

/// Number of input blocks NB = I / K; panics when I is not a multiple of K (a programmer error:
/// configurations are validated before a network is built).
fn blocks(k: usize, i: usize) -> usize {
    assert!(
        k > 0 && i.is_multiple_of(k),
        "head-wise map: input width {i} is not a multiple of the block width {k}"
    );
    i / k
}

/// `y += x Wᵀ` for the block-diagonal map `w` (O, K), `x` (N, I), `y` (N, O).
pub fn forward_into<F: Float>(w: ArrayView2<F>, x: ArrayView2<F>, mut y: ArrayViewMut2<F>) {
    let (o, k) = w.dim();
    let nb = blocks(k, x.ncols());
    debug_assert_eq!(y.dim(), (x.nrows(), o), "head-wise map: output shape");
    for (x_row, mut y_row) in x.rows().into_iter().zip(y.rows_mut()) {
        for (u, (w_row, y_u)) in w.rows().into_iter().zip(y_row.iter_mut()).enumerate() {
            let start = (u / k) % nb * k;
            let mut acc = F::zero();
            for (i, &w_ui) in w_row.iter().enumerate() {
                acc += w_ui * x_row[start + i];
            }
            *y_u += acc;
        }
    }
}

/// Backward of [`forward_into`] for `d_y` (N, O): `d_w` (O, K) += the weight gradient and
/// `d_x` (N, I) += the input gradient.
pub fn backward_into<F: Float>(
    w: ArrayView2<F>,
    x: ArrayView2<F>,
    d_y: ArrayView2<F>,
    mut d_w: ArrayViewMut2<F>,
    mut d_x: ArrayViewMut2<F>,
) {
    let (o, k) = w.dim();
    let nb = blocks(k, x.ncols());
    debug_assert_eq!(d_y.dim(), (x.nrows(), o), "head-wise map: d_y shape");
    debug_assert_eq!(
        (d_w.dim(), d_x.dim()),
        (w.dim(), x.dim()),
        "head-wise map: gradient shapes"
    );
    for ((x_row, dy_row), mut dx_row) in x.rows().into_iter().zip(d_y.rows()).zip(d_x.rows_mut()) {
        for (u, (w_row, mut dw_row)) in w.rows().into_iter().zip(d_w.rows_mut()).enumerate() {
            let (start, g) = ((u / k) % nb * k, dy_row[u]);
            for i in 0..k {
                dw_row[i] += g * x_row[start + i];
                dx_row[start + i] += g * w_row[i];
            }
        }
    }
}

/// `x Wᵀ` for a bias-free layer whose `w` is dense (O, I) or head-wise (O, K): `x` (N, I) →
/// (N, O).
pub fn apply<F: Float>(p: &LinearParams<F>, x: ArrayView2<F>) -> Array2<F> {
    debug_assert!(!p.has_bias(), "head-wise map: no bias");
    if p.d_in() == x.ncols() {
        return linear::apply(p, x);
    }
    let mut y = Array2::zeros((x.nrows(), p.d_out())); // (N, O)
    forward_into(p.w.view(), x, y.view_mut());
    y
}

/// Backward of [`apply`] given its input `x` (N, I) and `d_y` (N, O): adds ∇w into `grads`,
/// returns d_x (N, I).
pub fn backward_with_input<F: Float>(
    p: &LinearParams<F>,
    x: ArrayView2<F>,
    d_y: ArrayView2<F>,
    grads: &mut LinearParams<F>,
) -> Array2<F> {
    if p.d_in() == x.ncols() {
        return linear::backward_with_input(p, x, d_y, grads);
    }
    let mut d_x = Array2::zeros(x.dim()); // (N, I)
    backward_into(p.w.view(), x, d_y, grads.w.view_mut(), d_x.view_mut());
    d_x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as2, randn, GradCheck, WithInputs};
    use crate::nn::rng::Rng;
    use ndarray::Array1;

    /// The compact map equals the dense matrix with the same blocks on its diagonal (and zeros
    /// elsewhere), for one stack (O = I) and for stacked outputs (O = 2I, the q and k layout).
    #[test]
    fn equals_the_dense_block_diagonal_matrix() {
        let mut rng = Rng::new(3);
        for (o, i, k) in [(8, 8, 4), (16, 8, 2), (12, 12, 3)] {
            let w = as2(&randn(&mut rng, &[o, k], 1.0));
            let x = as2(&randn(&mut rng, &[5, i], 1.0));
            let dense = Array2::from_shape_fn((o, i), |(u, c)| {
                let start = (u / k) % (i / k) * k;
                if (start..start + k).contains(&c) {
                    w[[u, c - start]]
                } else {
                    0.0
                }
            });
            let p = LinearParams {
                w,
                b: Array1::zeros(0),
            };
            let diff = (&apply(&p, x.view()) - &x.dot(&dense.t())).fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(diff < 1e-12, "({o}, {i}, {k}): differs by {diff}");
        }
    }

    /// One block per head, four gates: gate g, head h, unit j of the output reads head h's inputs
    /// only (a hand-made weight with one non-zero entry per row).
    #[test]
    fn each_output_reads_its_own_head() {
        let (heads, dh) = (2, 2);
        let mut w = Array2::<f64>::zeros((4 * heads * dh, dh)); // (4H, DH)
        for u in 0..4 * heads * dh {
            w[[u, u % dh]] = 1.0; // output u copies input unit u mod DH of its head
        }
        let x = ndarray::array![[10.0, 11.0, 20.0, 21.0]]; // head 0: 10, 11; head 1: 20, 21
        let p = LinearParams {
            w,
            b: Array1::zeros(0),
        };
        let y = apply(&p, x.view());
        let want: Vec<f64> = (0..4).flat_map(|_| [10.0, 11.0, 20.0, 21.0]).collect();
        assert_eq!(y.row(0).to_vec(), want);
    }

    #[test]
    fn headwise_grads_match_finite_differences() {
        let mut rng = Rng::new(8);
        for (o, i, k) in [(16, 8, 2), (8, 8, 4)] {
            let p = LinearParams {
                w: as2(&randn(&mut rng, &[o, k], 0.7)),
                b: Array1::zeros(0),
            };
            let x = randn(&mut rng, &[6, i], 1.0);
            let g = randn(&mut rng, &[6, o], 1.0);
            GradCheck::default().assert_layer(
                &format!("head-wise ({o}, {i}, {k})"),
                &WithInputs::new(p, vec![("x", x)]),
                &[g],
                |pt| (vec![apply(&pt.params, pt.get2("x").view()).into_dyn()], ()),
                |pt, _, g, grads| {
                    let x = pt.get2("x");
                    vec![backward_with_input(&pt.params, x.view(), as2(&g[0]).view(), grads).into_dyn()]
                },
            );
        }
    }
}

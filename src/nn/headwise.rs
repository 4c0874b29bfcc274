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

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

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
    let w_flat = w.as_slice().filter(|_| o.is_multiple_of(k)); // (O·K) when whole blocks
    for (x_row, mut y_row) in x.rows().into_iter().zip(y.rows_mut()) {
        if let (Some(w_flat), Some(x_row), Some(y_row)) = (w_flat, x_row.as_slice(), y_row.as_slice_mut()) {
            match k {
                4 => forward_row(w_flat, x_row, y_row, nb, 4),
                8 => forward_row(w_flat, x_row, y_row, nb, 8),
                _ => forward_row(w_flat, x_row, y_row, nb, k),
            }
            continue;
        }
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

/// One row of [`forward_into`] on contiguous memory: output block b (k outputs, weights `w`
/// rows b·k..) reads input block b mod NB. The same sums in the same order as the indexed loop.
/// Always inlined, so that the callers' literal widths (the official blocks of 4, the sLSTM heads
/// of 8) compile to fixed-length loops.
#[inline(always)]
fn forward_row<F: Float>(w: &[F], x: &[F], y: &mut [F], nb: usize, k: usize) {
    for (b, (y_b, w_b)) in y.chunks_exact_mut(k).zip(w.chunks_exact(k * k)).enumerate() {
        let x_b = &x[b % nb * k..][..k];
        for (y_u, w_u) in y_b.iter_mut().zip(w_b.chunks_exact(k)) {
            let mut acc = F::zero();
            for i in 0..k {
                acc += w_u[i] * x_b[i];
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
    let whole = o.is_multiple_of(k);
    if let (true, Some(w_flat), Some(dw_flat)) = (whole, w.as_slice(), d_w.as_slice_mut()) {
        for ((x_row, dy_row), mut dx_row) in x.rows().into_iter().zip(d_y.rows()).zip(d_x.rows_mut()) {
            if let (Some(x_row), Some(dy_row), Some(dx_row)) =
                (x_row.as_slice(), dy_row.as_slice(), dx_row.as_slice_mut())
            {
                let row = (x_row, dy_row, dx_row);
                match k {
                    4 => backward_row(w_flat, dw_flat, row, nb, 4),
                    8 => backward_row(w_flat, dw_flat, row, nb, 8),
                    _ => backward_row(w_flat, dw_flat, row, nb, k),
                }
            } else {
                let dw = ArrayViewMut2::from_shape((o, k), &mut *dw_flat).expect("(O, K)");
                backward_row_strided(w, (x_row, dy_row, dx_row), dw, nb);
            }
        }
        return;
    }
    for ((x_row, dy_row), dx_row) in x.rows().into_iter().zip(d_y.rows()).zip(d_x.rows_mut()) {
        backward_row_strided(w, (x_row, dy_row, dx_row), d_w.view_mut(), nb);
    }
}

/// One row of [`backward_into`] on any layout: (x (I), δy (O), δx (I)).
fn backward_row_strided<F: Float>(
    w: ArrayView2<F>,
    (x_row, dy_row, mut dx_row): (ArrayView1<F>, ArrayView1<F>, ArrayViewMut1<F>),
    mut d_w: ArrayViewMut2<F>,
    nb: usize,
) {
    let k = w.ncols();
    for (u, (w_row, mut dw_row)) in w.rows().into_iter().zip(d_w.rows_mut()).enumerate() {
        let (start, g) = ((u / k) % nb * k, dy_row[u]);
        for i in 0..k {
            dw_row[i] += g * x_row[start + i];
            dx_row[start + i] += g * w_row[i];
        }
    }
}

/// One row of [`backward_into`] on contiguous memory; the same sums in the same order as
/// [`backward_row_strided`], always inlined like [`forward_row`].
#[inline(always)]
fn backward_row<F: Float>(
    w: &[F],
    d_w: &mut [F],
    (x, d_y, d_x): (&[F], &[F], &mut [F]),
    nb: usize,
    k: usize,
) {
    let blocks = d_y
        .chunks_exact(k)
        .zip(w.chunks_exact(k * k))
        .zip(d_w.chunks_exact_mut(k * k));
    for (b, ((dy_b, w_b), dw_b)) in blocks.enumerate() {
        let start = b % nb * k;
        let (x_b, dx_b) = (&x[start..][..k], &mut d_x[start..][..k]);
        for ((&g, w_u), dw_u) in dy_b.iter().zip(w_b.chunks_exact(k)).zip(dw_b.chunks_exact_mut(k)) {
            for i in 0..k {
                dw_u[i] += g * x_b[i];
                dx_b[i] += g * w_u[i];
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
    use ndarray::{Array1, ShapeBuilder};

    /// `a` in column-major layout: its rows are not slices, so the maps take their strided loops.
    fn column_major(a: &Array2<f64>) -> Array2<f64> {
        let mut f = Array2::zeros(a.dim().f());
        f.assign(a);
        f
    }

    /// The slice loops (blocks of 4 and 8 as literals, any other width at run time) give
    /// bit for bit what the strided loops give on column-major views, forward and backward.
    #[test]
    fn row_slices_and_strided_views_agree_exactly() {
        let mut rng = Rng::new(5);
        for (o, i, k) in [(16, 8, 4), (32, 16, 8), (12, 6, 3), (8, 8, 4)] {
            let w = as2(&randn(&mut rng, &[o, k], 1.0)); // (O, K)
            let x = as2(&randn(&mut rng, &[7, i], 1.0)); // (N, I)
            let d_y = as2(&randn(&mut rng, &[7, o], 1.0)); // (N, O)
            let start = as2(&randn(&mut rng, &[7, o], 1.0)); // (N, O)
            let (mut y_fast, mut y_strided) = (start.clone(), column_major(&start));
            forward_into(w.view(), x.view(), y_fast.view_mut());
            forward_into(w.view(), column_major(&x).view(), y_strided.view_mut());
            assert_eq!(y_fast, y_strided, "forward ({o}, {i}, {k})");
            let (mut dw_fast, mut dx_fast) = (Array2::zeros((o, k)), Array2::zeros((7, i)));
            backward_into(
                w.view(),
                x.view(),
                d_y.view(),
                dw_fast.view_mut(),
                dx_fast.view_mut(),
            );
            let (mut dw_strided, mut dx_strided) = (Array2::zeros((o, k)), Array2::zeros((7, i)));
            let d_y_f = column_major(&d_y);
            backward_into(
                w.view(),
                x.view(),
                d_y_f.view(),
                dw_strided.view_mut(),
                dx_strided.view_mut(),
            );
            assert_eq!(
                (&dw_fast, &dx_fast),
                (&dw_strided, &dx_strided),
                "backward ({o}, {i}, {k})"
            );
            // a column-major ∇w takes the loop over every row's strided form too
            let (mut dw_f, mut dx_f) = (column_major(&Array2::zeros((o, k))), Array2::zeros((7, i)));
            backward_into(w.view(), x.view(), d_y.view(), dw_f.view_mut(), dx_f.view_mut());
            assert_eq!(
                (&dw_fast, &dx_fast),
                (&dw_f, &dx_f),
                "column-major ∇w ({o}, {i}, {k})"
            );
            assert!(dw_fast.iter().any(|v| *v != 0.0) && dx_fast.iter().any(|v| *v != 0.0));
        }
    }

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

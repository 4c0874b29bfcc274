//! A quantile head that cannot cross, and the pinball loss that trains it.
//!
//! A quantile forecaster predicts Q = 2m + 1 quantiles τ_0 < … < τ_m = 0.5 < … < τ_2m of each of
//! the P steps. Its head gives Q blocks of P values: block 0 is the median, in the network's
//! normalised units, and goes through the same output path as a point forecast (RevIN⁻¹ and the
//! skip); blocks 1..=m and m+1..=2m are raw spreads r below and above it. With σ (B) the scale
//! RevIN measured on each window (data, no gradient) and softplus(r) = ln(1 + eʳ) > 0:
//!
//! ```text
//! q_m = median,   q_{m−k} = q_{m−k+1} − σ·softplus(r_k),   q_{m+k} = q_{m+k−1} + σ·softplus(r_{m+k})
//! ```
//! so every quantile is above the one below it, whatever the weights (no crossing), and the
//! spreads scale with the window as the median does.
//!
//! Backward: every quantile is the median plus a signed sum of spreads, so
//! δmedian = Σ_j δq_j; δr_k = −σ·sigmoid(r_k)·Σ_{k' ≥ k} δq_{m−k'} below and
//! δr_{m+k} = σ·sigmoid(r_{m+k})·Σ_{k' ≥ k} δq_{m+k'} above (`docs/derivations/forecaster.md`).
//!
//! The pinball loss of quantile τ at residual u = y − q is ρ_τ(u) = max(τu, (τ − 1)u); the
//! training loss is its mean over the B·P·Q entries, and ∂ρ_τ/∂q = −τ for u > 0, 1 − τ for
//! u < 0 (0 at u = 0).

use ndarray::{s, Array2, ArrayView1, ArrayView2, Zip};

use super::activation::sigmoid;
use super::{cast, Float};

/// The quantiles of intervals at `levels` (percent): (1 − ℓ/100)/2 and (1 + ℓ/100)/2 for every
/// level, and the median, ascending.
pub fn taus(levels: &[f64]) -> Vec<f64> {
    let mut taus: Vec<f64> = levels
        .iter()
        .flat_map(|l| [(100.0 - l) / 200.0, (100.0 + l) / 200.0])
        .chain([0.5])
        .collect();
    taus.sort_by(f64::total_cmp);
    taus.dedup();
    taus
}

/// The interval levels (percent, ascending) whose quantiles `taus` holds.
pub fn levels_of(taus: &[f64]) -> Vec<f64> {
    let mut levels: Vec<f64> = taus
        .iter()
        .filter(|t| **t > 0.5)
        .map(|t| ((2.0 * t - 1.0) * 100.0 * 1e9).round() / 1e9)
        .collect();
    levels.sort_by(f64::total_cmp);
    levels
}

/// Softplus ln(1 + eˣ), finite for every finite x.
#[inline]
fn softplus<F: Float>(x: F) -> F {
    x.max(F::zero()) + (-x.abs()).exp().ln_1p()
}

/// Index of the median among `quantiles` ascending quantiles (Q odd).
fn median_index(quantiles: usize) -> usize {
    debug_assert!(quantiles % 2 == 1, "quantile head: an odd number of quantiles");
    quantiles / 2
}

/// The quantiles (B, Q·P), block j = quantile τ_j, from the `median` (B, P) in data units, the
/// raw `spreads` (B, (Q − 1)·P) and the windows' scales `sigma` (B).
pub fn forward<F: Float>(median: ArrayView2<F>, spreads: ArrayView2<F>, sigma: ArrayView1<F>) -> Array2<F> {
    let (b, p) = median.dim();
    let q = spreads.ncols() / p + 1;
    let m = median_index(q);
    let mut out = Array2::zeros((b, q * p)); // (B, Q·P)
    out.slice_mut(s![.., m * p..(m + 1) * p]).assign(&median);
    for k in 1..=m {
        for (side, raw, from, to) in [(-1.0, k, m - k + 1, m - k), (1.0, m + k, m + k - 1, m + k)] {
            let sign: F = cast(side);
            for r in 0..b {
                for h in 0..p {
                    let step = sigma[r] * softplus(spreads[[r, (raw - 1) * p + h]]);
                    out[[r, to * p + h]] = out[[r, from * p + h]] + sign * step;
                }
            }
        }
    }
    out
}

/// Backward of [`forward`] for the upstream `d_quantiles` (B, Q·P): (δmedian (B, P),
/// δspreads (B, (Q − 1)·P)).
pub fn backward<F: Float>(
    spreads: ArrayView2<F>,
    sigma: ArrayView1<F>,
    d_quantiles: ArrayView2<F>,
) -> (Array2<F>, Array2<F>) {
    let (b, width) = d_quantiles.dim();
    let p = width - spreads.ncols();
    let q = width / p;
    let m = median_index(q);
    let mut d_median = Array2::zeros((b, p)); // (B, P)
    for j in 0..q {
        d_median += &d_quantiles.slice(s![.., j * p..(j + 1) * p]);
    }
    let mut d_spreads = Array2::zeros(spreads.dim()); // (B, (Q − 1)·P)
    for r in 0..b {
        for h in 0..p {
            // running sums of δq outward from the median, one per side
            let (mut below, mut above) = (F::zero(), F::zero());
            for k in (1..=m).rev() {
                below += d_quantiles[[r, (m - k) * p + h]];
                above += d_quantiles[[r, (m + k) * p + h]];
                let (lower, upper) = ((k - 1) * p + h, (m + k - 1) * p + h);
                d_spreads[[r, lower]] = -sigma[r] * sigmoid(spreads[[r, lower]]) * below;
                d_spreads[[r, upper]] = sigma[r] * sigmoid(spreads[[r, upper]]) * above;
            }
        }
    }
    (d_median, d_spreads)
}

/// Σ over entries of ρ_τ(y − q) divided by `denom`·Q, for quantiles `pred` (B, Q·P) of the
/// targets `target` (B, P); with `denom = B·P` this is the mean pinball loss.
pub fn pinball_loss<F: Float>(pred: ArrayView2<F>, target: ArrayView2<F>, taus: &[f64], denom: usize) -> F {
    let p = target.ncols();
    let mut total = F::zero();
    for (j, &tau) in taus.iter().enumerate() {
        let tau: F = cast(tau);
        Zip::from(pred.slice(s![.., j * p..(j + 1) * p]))
            .and(&target)
            .for_each(|&q, &y| {
                let u = y - q;
                total += (tau * u).max((tau - F::one()) * u);
            });
    }
    total / cast::<F>((denom * taus.len()) as f64)
}

/// ∂[`pinball_loss`]/∂pred with the same `denom`, (B, Q·P).
pub fn pinball_backward<F: Float>(
    pred: ArrayView2<F>,
    target: ArrayView2<F>,
    taus: &[f64],
    denom: usize,
) -> Array2<F> {
    let p = target.ncols();
    let scale = F::one() / cast::<F>((denom * taus.len()) as f64);
    let mut d_pred = Array2::zeros(pred.dim()); // (B, Q·P)
    for (j, &tau) in taus.iter().enumerate() {
        let tau: F = cast(tau);
        Zip::from(d_pred.slice_mut(s![.., j * p..(j + 1) * p]))
            .and(pred.slice(s![.., j * p..(j + 1) * p]))
            .and(&target)
            .for_each(|d, &q, &y| {
                *d = if y > q {
                    -tau * scale
                } else if y < q {
                    (F::one() - tau) * scale
                } else {
                    F::zero()
                };
            });
    }
    d_pred
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as2, randn, GradCheck, WithInputs};
    use crate::nn::linear::LinearParams;
    use crate::nn::rng::Rng;
    use ndarray::{arr1, arr2, Array1};

    #[test]
    fn the_quantiles_of_levels_are_their_bounds_and_the_median() {
        assert_eq!(taus(&[80.0, 95.0]), vec![0.025, 0.1, 0.5, 0.9, 0.975]);
        assert_eq!(levels_of(&taus(&[95.0, 80.0])), vec![80.0, 95.0]);
        assert_eq!(taus(&[]), vec![0.5]);
    }

    /// Median 10, σ 2, raw spreads 0 (softplus ln 2): the quantiles step by 2 ln 2 outwards.
    #[test]
    fn quantiles_step_out_from_the_median_by_scaled_softplus_spreads() {
        let median = arr2(&[[10.0]]);
        let spreads = arr2(&[[0.0, 0.0, 0.0, 0.0]]);
        let q = forward(median.view(), spreads.view(), arr1(&[2.0]).view());
        let step = 2.0 * 2f64.ln();
        let expected = [
            10.0 - 2.0 * step,
            10.0 - step,
            10.0,
            10.0 + step,
            10.0 + 2.0 * step,
        ];
        for (got, want) in q.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{q}");
        }
    }

    #[test]
    fn quantiles_never_cross_whatever_the_raw_spreads() {
        let mut rng = Rng::new(3);
        let (b, p) = (4, 3);
        let median = Array2::from_shape_fn((b, p), |_| 5.0 * rng.normal());
        let spreads = Array2::from_shape_fn((b, 4 * p), |_| 30.0 * rng.normal());
        let sigma = Array1::from_shape_fn(b, |_| 0.01 + rng.uniform());
        let q = forward(median.view(), spreads.view(), sigma.view());
        for r in 0..b {
            for h in 0..p {
                for j in 1..5 {
                    assert!(q[[r, j * p + h]] >= q[[r, (j - 1) * p + h]], "{q}");
                }
            }
        }
    }

    /// Residuals y − q of +2 at τ 0.1 (loss 0.2) and −1 at τ 0.9 (loss 0.1), median exact:
    /// mean over 3 entries = 0.1.
    #[test]
    fn pinball_loss_matches_a_hand_computed_mean() {
        let pred: Array2<f64> = arr2(&[[-2.0, 0.0, 1.0]]); // τ 0.1, 0.5, 0.9 of one step
        let target = arr2(&[[0.0]]);
        let loss = pinball_loss(pred.view(), target.view(), &[0.1, 0.5, 0.9], 1);
        assert!((loss - 0.1).abs() < 1e-12, "{loss}");
        let d = pinball_backward(pred.view(), target.view(), &[0.1, 0.5, 0.9], 1);
        let expected = arr2(&[[-0.1 / 3.0, 0.0, 0.1 / 3.0]]);
        assert!((d - expected).iter().all(|e| e.abs() < 1e-15));
    }

    /// The head and the pinball loss together, checked through a linear map that produces the
    /// median and the spreads: every weight and the map's input get their gradients.
    #[test]
    fn quantile_head_and_pinball_grads_match_finite_differences() {
        let mut rng = Rng::new(17);
        let (b, d, p) = (3, 4, 2);
        let taus = [0.025, 0.1, 0.5, 0.9, 0.975];
        let mut map = LinearParams::<f64>::init(d, 5 * p, true, 0.7, &mut rng);
        map.b.mapv_inplace(|_| rng.normal());
        let x = randn(&mut rng, &[b, d], 1.0);
        let sigma = Array1::from_shape_fn(b, |_| 0.5 + rng.uniform());
        // targets spread so that no residual sits at the pinball kink
        let target = Array2::from_shape_fn((b, p), |_| 3.0 * rng.normal());
        let loss = |pt: &WithInputs<LinearParams<f64>>| {
            let out = crate::nn::linear::apply(&pt.params, pt.get2("x").view()); // (B, 5P)
            let q = forward(out.slice(s![.., ..p]), out.slice(s![.., p..]), sigma.view());
            (out, q)
        };
        GradCheck::default().assert_layer(
            "quantile head",
            &WithInputs::new(map, vec![("x", x)]),
            &[ndarray::arr0(1.0).into_dyn()],
            |pt| {
                let (out, q) = loss(pt);
                let value = pinball_loss(q.view(), target.view(), &taus, b * p);
                (vec![ndarray::arr0(value).into_dyn()], (out, q))
            },
            |pt, (out, q), _, grads| {
                let d_q = pinball_backward(q.view(), target.view(), &taus, b * p);
                let (d_median, d_spreads) = backward(out.slice(s![.., p..]), sigma.view(), d_q.view());
                let mut d_out = Array2::zeros(out.dim());
                d_out.slice_mut(s![.., ..p]).assign(&d_median);
                d_out.slice_mut(s![.., p..]).assign(&d_spreads);
                let d_x = crate::nn::linear::backward_with_input(
                    &pt.params,
                    as2(&pt.get("x").clone()).view(),
                    d_out.view(),
                    grads,
                );
                vec![d_x.into_dyn()]
            },
        );
    }
}

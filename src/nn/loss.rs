//! Point-forecast losses: mean squared error, mean absolute error and Huber.
//!
//! Every loss is a **mean over all B·P entries** of a per-entry loss ℓ(r) of the residual
//! r = ŷ − y. The backward pass returns ∂L/∂ŷ = ℓ'(r) / `denom`; with `denom = B·P` this is the
//! gradient of the mean. The trainer passes the *whole* batch's B·P as `denom` for every shard,
//! so shard gradients add up to the batch gradient (`docs/derivations/forecaster.md` §3).
//!
//! | loss | ℓ(r) | ℓ'(r) |
//! |---|---|---|
//! | MSE | r² | 2r |
//! | MAE | \|r\| | sign(r) (0 at r = 0) |
//! | Huber(δ) | ½r² if \|r\| ≤ δ, else δ(\|r\| − ½δ) | r if \|r\| ≤ δ, else δ·sign(r) |
//! | Quantile | ½\|r\| (the pinball loss at the median) | ½sign(r) |
//!
//! A network trained with [`Loss::Quantile`] forecasts several quantiles and is trained with the
//! pinball loss over all of them ([`super::quantile`]); the per-entry form here is that loss at
//! the median, what it means for a single point forecast.

use ndarray::{Array2, ArrayView2, Zip};

use super::{cast, Float};

/// Which point loss to train with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    Mae,
    /// Huber loss with threshold `delta` (quadratic inside, linear outside).
    Huber {
        /// Threshold between the quadratic and the linear part.
        delta: f64,
    },
    /// The pinball loss over the network's quantiles (½|r| for a point forecast).
    Quantile,
}

impl Loss {
    /// Per-entry loss ℓ(r).
    #[inline]
    fn value<F: Float>(self, r: F) -> F {
        match self {
            Loss::Mse => r * r,
            Loss::Mae => r.abs(),
            Loss::Huber { delta } => {
                let d: F = cast(delta);
                if r.abs() <= d {
                    cast::<F>(0.5) * r * r
                } else {
                    d * (r.abs() - cast::<F>(0.5) * d)
                }
            }
            Loss::Quantile => cast::<F>(0.5) * r.abs(),
        }
    }

    /// Per-entry derivative ℓ'(r).
    #[inline]
    fn derivative<F: Float>(self, r: F) -> F {
        let sign = |r: F| {
            if r > F::zero() {
                F::one()
            } else if r < F::zero() {
                -F::one()
            } else {
                F::zero()
            }
        };
        match self {
            Loss::Mse => cast::<F>(2.0) * r,
            Loss::Mae => sign(r),
            Loss::Huber { delta } => {
                let d: F = cast(delta);
                if r.abs() <= d {
                    r
                } else {
                    d * sign(r)
                }
            }
            Loss::Quantile => cast::<F>(0.5) * sign(r),
        }
    }

    /// Sum of ℓ(ŷ − y) over all entries, divided by `denom`.
    /// `pred`, `target`: (B, P). With `denom = B·P` this is the mean loss.
    pub fn forward<F: Float>(self, pred: ArrayView2<F>, target: ArrayView2<F>, denom: usize) -> F {
        debug_assert_eq!(
            pred.dim(),
            target.dim(),
            "loss: prediction and target shapes differ"
        );
        let mut total = F::zero();
        Zip::from(&pred)
            .and(&target)
            .for_each(|&p, &y| total += self.value(p - y));
        total / cast::<F>(denom as f64)
    }

    /// ∂L/∂ŷ for the loss of [`Loss::forward`] with the same `denom`: ℓ'(ŷ − y) / denom, (B, P).
    pub fn backward<F: Float>(self, pred: ArrayView2<F>, target: ArrayView2<F>, denom: usize) -> Array2<F> {
        debug_assert_eq!(
            pred.dim(),
            target.dim(),
            "loss: prediction and target shapes differ"
        );
        let scale = F::one() / cast::<F>(denom as f64);
        let mut d_pred = Array2::zeros(pred.dim()); // (B, P)
        Zip::from(&mut d_pred)
            .and(&pred)
            .and(&target)
            .for_each(|d, &p, &y| *d = self.derivative(p - y) * scale);
        d_pred
    }

    /// Mean loss over all entries, in f64 (for reports).
    pub fn mean<F: Float>(self, pred: ArrayView2<F>, target: ArrayView2<F>) -> f64 {
        let n = pred.len().max(1);
        self.forward(pred, target, n).to_f64().unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Residuals −3, −0.5, 0, 2: MSE = (9 + 0.25 + 0 + 4)/4 = 3.3125; MAE = 5.5/4 = 1.375;
    /// Huber(1) = (2.5 + 0.125 + 0 + 1.5)/4 = 1.03125.
    #[test]
    fn losses_match_hand_computed_means() {
        let pred = array![[-3.0, -0.5], [0.0, 2.0]];
        let target = Array2::<f64>::zeros((2, 2));
        assert!((Loss::Mse.mean(pred.view(), target.view()) - 3.3125).abs() < 1e-15);
        assert!((Loss::Mae.mean(pred.view(), target.view()) - 1.375).abs() < 1e-15);
        let huber = Loss::Huber { delta: 1.0 };
        assert!((huber.mean(pred.view(), target.view()) - 1.03125).abs() < 1e-15);
    }

    #[test]
    fn loss_gradients_match_finite_differences() {
        let target: Array2<f64> = array![[0.3, -1.2, 0.7], [2.0, 0.1, -0.4]];
        // Residuals kept away from the kinks at 0 and ±δ.
        let pred = array![[1.2, -0.2, 0.75], [0.2, 0.45, -2.9]];
        for loss in [Loss::Mse, Loss::Mae, Loss::Huber { delta: 0.8 }, Loss::Quantile] {
            let d = loss.backward(pred.view(), target.view(), 6);
            for (idx, &g) in d.indexed_iter() {
                let h = 1e-6;
                let mut p = pred.clone();
                p[idx] += h;
                let plus = loss.forward(p.view(), target.view(), 6);
                p[idx] -= 2.0 * h;
                let minus = loss.forward(p.view(), target.view(), 6);
                let num = (plus - minus) / (2.0 * h);
                assert!(
                    (num - g).abs() < 1e-8,
                    "{loss:?} at {idx:?}: analytic {g}, numeric {num}"
                );
            }
        }
    }

    #[test]
    fn shard_gradients_with_the_batch_denominator_add_up() {
        let pred: Array2<f64> = array![[1.0, 2.0], [3.0, -1.0]];
        let target = array![[0.5, 2.5], [1.0, 0.0]];
        let whole = Loss::Mse.backward(pred.view(), target.view(), 4);
        let top = Loss::Mse.backward(
            pred.slice(ndarray::s![0..1, ..]),
            target.slice(ndarray::s![0..1, ..]),
            4,
        );
        assert_eq!(whole.row(0), top.row(0));
        let l_top = Loss::Mse.forward(
            pred.slice(ndarray::s![0..1, ..]),
            target.slice(ndarray::s![0..1, ..]),
            4,
        );
        let l_bot = Loss::Mse.forward(
            pred.slice(ndarray::s![1..2, ..]),
            target.slice(ndarray::s![1..2, ..]),
            4,
        );
        let l = Loss::Mse.forward(pred.view(), target.view(), 4);
        assert!((l_top + l_bot - l).abs() < 1e-15);
    }
}

//! Reversible instance normalisation (RevIN, Kim et al. 2022) of each lookback window.
//!
//! For window b with values x_b (L): μ_b = mean(x_b), σ_b = √(var(x_b) + ε) (population variance),
//! z = (x − μ_b)/σ_b and the normalised input is x̂ = γ·z + β. The model works in normalised
//! units; its output ŷ (P) is mapped back as y = ((ŷ − β)/γ)·σ_b + μ_b. γ, β are learnable
//! scalars (univariate series); μ and σ are statistics of the data and carry no gradient.
//!
//! Backward (`docs/derivations/forecaster.md` §2):
//! - normalise: ∇γ += Σ δx̂ ⊙ z, ∇β += Σ δx̂; the input x is data, so no δx is formed;
//! - denormalise: δŷ = δy·σ/γ, ∇β −= Σ δy·σ/γ, ∇γ −= Σ δy·σ·(ŷ − β)/γ².

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

use super::{cast, Float};

/// Variance floor ε inside σ = √(var + ε).
pub const REVIN_EPS: f64 = 1e-5;

/// Learnable affine part of RevIN.
#[derive(Debug, Clone)]
pub struct RevinParams<F> {
    /// Scale γ, (1).
    pub gamma: Array1<F>,
    /// Shift β, (1).
    pub beta: Array1<F>,
}
crate::impl_params!(RevinParams { gamma, beta });

impl<F: Float> RevinParams<F> {
    /// The identity affine map: γ = 1, β = 0.
    pub fn init() -> Self {
        RevinParams {
            gamma: Array1::ones(1),
            beta: Array1::zeros(1),
        }
    }
}

/// What the backward passes need from [`normalise`].
#[derive(Debug, Clone)]
pub struct RevinCache<F> {
    /// Window means μ, (B).
    pub mu: Array1<F>,
    /// Window scales σ = √(var + ε), (B).
    pub sigma: Array1<F>,
    /// Standardised windows z = (x − μ)/σ, (B, L).
    pub z: Array2<F>,
}

/// Normalise each window (row) of `x` (B, L); returns x̂ (B, L) and the statistics.
pub fn normalise<F: Float>(params: &RevinParams<F>, x: ArrayView2<F>) -> (Array2<F>, RevinCache<F>) {
    let (b, l) = x.dim();
    let (gamma, beta) = (params.gamma[0], params.beta[0]);
    let inv_l = F::one() / cast::<F>(l as f64);
    let eps: F = cast(REVIN_EPS);
    let mut mu = Array1::zeros(b); // (B)
    let mut sigma = Array1::zeros(b); // (B)
    let mut z = Array2::zeros((b, l)); // (B, L)
    let mut x_hat = Array2::zeros((b, l)); // (B, L)
    for r in 0..b {
        let row = x.row(r);
        let m = row.sum() * inv_l;
        let var = row.fold(F::zero(), |acc, &v| acc + (v - m) * (v - m)) * inv_l;
        let s = (var + eps).sqrt();
        mu[r] = m;
        sigma[r] = s;
        Zip::from(z.row_mut(r))
            .and(x_hat.row_mut(r))
            .and(row)
            .for_each(|z, xh, &v| {
                *z = (v - m) / s;
                *xh = gamma * *z + beta;
            });
    }
    (x_hat, RevinCache { mu, sigma, z })
}

/// Backward of [`normalise`]: adds ∇γ, ∇β for the upstream gradient `d_x_hat` (B, L).
pub fn normalise_backward<F: Float>(
    cache: &RevinCache<F>,
    d_x_hat: ArrayView2<F>,
    grads: &mut RevinParams<F>,
) {
    let mut d_gamma = F::zero();
    let mut d_beta = F::zero();
    Zip::from(&d_x_hat).and(&cache.z).for_each(|&d, &z| {
        d_gamma += d * z;
        d_beta += d;
    });
    grads.gamma[0] += d_gamma;
    grads.beta[0] += d_beta;
}

/// Map model outputs ŷ (B, P) back to data units: y = ((ŷ − β)/γ)·σ + μ, (B, P).
pub fn denormalise<F: Float>(
    params: &RevinParams<F>,
    cache: &RevinCache<F>,
    y_hat: ArrayView2<F>,
) -> Array2<F> {
    let (gamma, beta) = (params.gamma[0], params.beta[0]);
    let mut y = y_hat.to_owned(); // (B, P)
    for (r, mut row) in y.axis_iter_mut(Axis(0)).enumerate() {
        let (m, s) = (cache.mu[r], cache.sigma[r]);
        row.mapv_inplace(|v| (v - beta) / gamma * s + m);
    }
    y
}

/// Backward of [`denormalise`]: adds ∇γ, ∇β and returns δŷ (B, P) for the upstream δy (B, P).
pub fn denormalise_backward<F: Float>(
    params: &RevinParams<F>,
    cache: &RevinCache<F>,
    y_hat: ArrayView2<F>,
    d_y: ArrayView2<F>,
    grads: &mut RevinParams<F>,
) -> Array2<F> {
    let (gamma, beta) = (params.gamma[0], params.beta[0]);
    let mut d_y_hat = Array2::zeros(d_y.dim()); // (B, P)
    let mut d_gamma = F::zero();
    let mut d_beta = F::zero();
    for r in 0..d_y.nrows() {
        let k = cache.sigma[r] / gamma; // ∂y/∂ŷ = σ/γ
        Zip::from(d_y_hat.row_mut(r))
            .and(d_y.row(r))
            .and(y_hat.row(r))
            .for_each(|dyh, &dy, &yh| {
                *dyh = dy * k;
                d_beta -= dy * k;
                d_gamma -= dy * k * (yh - beta) / gamma;
            });
    }
    grads.gamma[0] += d_gamma;
    grads.beta[0] += d_beta;
    d_y_hat
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as2, GradCheck, WithInputs};
    use crate::nn::rng::Rng;

    fn random(rows: usize, cols: usize, rng: &mut Rng, scale: f64, shift: f64) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |_| shift + scale * rng.normal())
    }

    #[test]
    fn normalised_windows_have_mean_beta_and_scale_gamma_and_denormalise_inverts() {
        let mut rng = Rng::new(4);
        let x = random(3, 20, &mut rng, 7.0, 100.0);
        let p = RevinParams {
            gamma: Array1::from(vec![2.0]),
            beta: Array1::from(vec![0.5]),
        };
        let (x_hat, cache) = normalise(&p, x.view());
        for row in x_hat.rows() {
            let mean = row.mean().unwrap();
            let var = row.mapv(|v| (v - mean).powi(2)).mean().unwrap();
            assert!((mean - 0.5).abs() < 1e-12);
            assert!((var - 4.0).abs() < 1e-4, "var {var}"); // 4·var/(var + ε)
        }
        let back = denormalise(&p, &cache, x_hat.view());
        assert!((&back - &x).fold(0.0f64, |m, d| m.max(d.abs())) < 1e-10);
    }

    /// The path normalise → (fixed non-linear map: x̂ summarised into P outputs) → denormalise →
    /// loss Σ w ⊙ y, checked over γ and β.
    #[test]
    fn revin_grads_match_finite_differences() {
        let mut rng = Rng::new(9);
        let (b, l, horizon) = (3, 6, 4);
        let x = random(b, l, &mut rng, 2.0, 1.0);
        let mix = random(l, horizon, &mut rng, 0.5, 0.0); // (L, P)
        let w = random(b, horizon, &mut rng, 1.0, 0.0); // (B, P)
        let p = RevinParams {
            gamma: Array1::from(vec![1.3]),
            beta: Array1::from(vec![-0.4]),
        };
        GradCheck::default().assert_layer(
            "revin",
            &WithInputs::new(p, vec![]),
            &[w.into_dyn()],
            |pt| {
                let (x_hat, cache) = normalise(&pt.params, x.view());
                let y_hat = x_hat.mapv(f64::tanh).dot(&mix); // (B, P)
                let y = denormalise(&pt.params, &cache, y_hat.view());
                (vec![y.into_dyn()], (x_hat, cache, y_hat))
            },
            |pt, (x_hat, cache, y_hat), w, g| {
                let w = as2(&w[0]);
                let d_y_hat = denormalise_backward(&pt.params, cache, y_hat.view(), w.view(), g);
                let d_x_hat = d_y_hat.dot(&mix.t()) * x_hat.mapv(|v| 1.0 - v.tanh().powi(2));
                normalise_backward(cache, d_x_hat.view(), g);
                vec![]
            },
        );
    }
}

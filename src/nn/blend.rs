//! A convex blend of a network trained without a linear base and a linear forecast, as one
//! network over a linear base: no new layer, only a change of parameters.
//!
//! A network without a base forecasts y = μ + σ·(ŷ − β)/γ (RevIN⁻¹, [`super::revin`]), where
//! μ is the mean of the target's lookback window, a linear function of the window: μ = m·x with
//! m = (1/L, …, 1/L, 0, …) over the target's L columns of x (L·(1 + C)). A network over a base
//! forecasts y = base(x) + σ·(ŷ − β)/γ. So the blend with share s of the network,
//!
//!   s·(μ + σ·(ŷ − β)/γ) + (1 − s)·(W x + b) = [s·m + (1 − s)·W] x + (1 − s)·b + σ·(ŷ′ − β)/γ,
//!
//! is a network over the base (s·m + (1 − s)·W, (1 − s)·b) whose head forecasts
//! ŷ′ = β + s·(ŷ − β). ŷ is affine in the head and skip weights (ŷ = head(h) + skip(x̂)), so ŷ′ is
//! the same network with the head's weights and bias and the skip's weights scaled by s and
//! (1 − s)·β added to the head's bias. Only point heads blend: a quantile head's spreads would
//! shrink with s.

use ndarray::{s, Array1, Array2};

use super::forecaster::{ForecasterConfig, ForecasterParams};
use super::linear::LinearParams;

/// The network `params` (trained without a base, point forecasts) blended with the linear
/// forecast `w` (P, (E + L)·(1 + C)) (E: the steps the network's core leaves out), `b` (P) as share·network + (1 − share)·linear; returns the
/// blended network, whose config has a base. `share` is in [0, 1].
pub fn blend(
    params: &ForecasterParams<f64>,
    config: &ForecasterConfig,
    w: &Array2<f64>,
    b: &Array1<f64>,
    share: f64,
) -> (ForecasterParams<f64>, ForecasterConfig) {
    debug_assert!(
        params.base.is_none() && !config.base,
        "blend: a network without a base"
    );
    debug_assert!(config.quantiles.is_empty(), "blend: a point network");
    debug_assert!((0.0..=1.0).contains(&share), "blend: a share in [0, 1]");
    let (p, l, e) = (config.horizon, config.lookback, config.crop);
    debug_assert_eq!(
        w.dim(),
        (p, config.input_width()),
        "blend: w (P, (E + L)·(1 + C))"
    );
    let mut blended = params.clone();
    let beta = params.revin.beta[0];
    blended.head.w.mapv_inplace(|v| v * share);
    blended.head.b.mapv_inplace(|v| share * v + (1.0 - share) * beta);
    if let Some(skip) = &mut blended.skip {
        skip.w.mapv_inplace(|v| v * share);
    }
    let mut base_w = w * (1.0 - share); // (P, (E + L)·(1 + C))
    base_w
        .slice_mut(s![.., e..e + l]) // the L target steps RevIN's mean reads
        .mapv_inplace(|v| v + share / l as f64);
    blended.base = Some(LinearParams {
        w: base_w,
        b: b * (1.0 - share), // (P)
    });
    let config = ForecasterConfig {
        base: true,
        ..config.clone()
    };
    (blended, config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::forecaster::{self, CoreKind};
    use crate::nn::rng::Rng;

    /// The blended network forecasts share·network + (1 − share)·linear, to rounding, for every
    /// core, with and without covariates, the linear skip and a crop (a network over the last L
    /// of E + L steps: RevIN's mean reads those), with trained-looking RevIN scalars.
    #[test]
    fn the_blended_network_forecasts_the_convex_blend_of_its_parts() {
        let mut rng = Rng::new(5);
        let xlstm = |blocks: &str| CoreKind::Xlstm {
            blocks: blocks.into(),
        };
        for (kind, covariates, linear_skip, crop) in [
            (xlstm("ms"), 0, true, 0),
            (CoreKind::Lstm { layers: 1 }, 1, false, 0),
            (xlstm("s"), 2, true, 0),
            (xlstm("ms"), 0, true, 5),
            (xlstm("sm"), 1, false, 3),
        ] {
            let config = ForecasterConfig {
                width: 8,
                covariates,
                linear_skip,
                crop,
                ..ForecasterConfig::new(kind.clone(), 12, 4)
            };
            let mut params = forecaster::init::<f64>(&config, 3);
            params.revin.gamma[0] = 1.3;
            params.revin.beta[0] = -0.4;
            params.head.w.mapv_inplace(|_| rng.normal() * 0.3);
            params.head.b.mapv_inplace(|_| rng.normal());
            if let Some(skip) = &mut params.skip {
                skip.w.mapv_inplace(|_| rng.normal() * 0.1);
            }
            let width = (crop + 12) * (1 + covariates);
            let w = Array2::from_shape_fn((4, width), |_| rng.normal() * 0.2);
            let b = Array1::from_shape_fn(4, |_| rng.normal());
            let x = Array2::from_shape_fn((6, width), |_| rng.normal() + 2.0); // (B, (E + L)·(1 + C))
            let network = forecaster::predict(&params, &config, x.view()); // (B, P)
            let linear = x.dot(&w.t()) + &b; // (B, P)
            for share in [0.0, 0.3, 0.75, 1.0] {
                let (blended, blended_config) = blend(&params, &config, &w, &b, share);
                assert!(blended_config.base);
                let got = forecaster::predict(&blended, &blended_config, x.view());
                let want = &network * share + &linear * (1.0 - share);
                let gap = (&got - &want).mapv(f64::abs).fold(0.0, |a: f64, &v| a.max(v));
                assert!(gap < 1e-10, "{kind:?} share {share}: {gap}");
            }
        }
    }
}

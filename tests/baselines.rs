//! Baselines against independent computations: linfa-linear's OLS and linfa-elasticnet's ridge
//! on the same windows, exact recovery of a known linear map, and the naive rules by hand.

use std::sync::Arc;

use linfa::prelude::*;
use ndarray::{Array1, Array2};
use xlstm::baseline::{Baseline, BaselineKind};
use xlstm::data::window::WindowSet;
use xlstm::nn::rng::Rng;

/// All stride-1 windows of one series.
fn windows(values: Vec<f64>, lookback: usize, horizon: usize) -> WindowSet {
    let n = values.len();
    let starts = (0..=n - lookback - horizon).map(|t| (0, t)).collect();
    WindowSet {
        values: Arc::new(vec![values]),
        lookback,
        horizon,
        starts,
        channels: Default::default(),
    }
}

fn noisy_series(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut x = 0.0;
    (0..n)
        .map(|k| {
            x = 0.7 * x + rng.normal();
            x + (k as f64 * 0.3).sin()
        })
        .collect()
}

#[test]
fn linear_matches_linfa_linear_ols_for_every_horizon_step() {
    let set = windows(noisy_series(300, 1), 6, 3);
    let ours = Baseline::fit(BaselineKind::Linear, &set, 1, 0.0).unwrap();
    let (x, y) = (set.inputs(), set.targets());
    let predicted = ours.predict(x.view(), x.ncols(), 3);
    for step in 0..3 {
        let dataset = Dataset::new(x.clone(), y.column(step).to_owned());
        let fitted = linfa_linear::LinearRegression::new().fit(&dataset).unwrap();
        let reference: Array1<f64> = fitted.predict(&x);
        let worst = (&predicted.column(step) - &reference)
            .iter()
            .fold(0.0f64, |m, e| m.max(e.abs()));
        assert!(
            worst < 1e-8,
            "step {step}: largest difference from linfa-linear {worst}"
        );
    }
}

#[test]
fn ridge_matches_linfa_elasticnet_ridge() {
    let set = windows(noisy_series(400, 2), 5, 2);
    let (x, y) = (set.inputs(), set.targets());
    let n = x.nrows() as f64;
    // elastic net minimises 1/(2n)‖r‖² + a/2‖w‖², i.e. ‖r‖² + n·a‖w‖²
    let a = 0.05;
    let ours = Baseline::fit(BaselineKind::Linear, &set, 1, n * a).unwrap();
    let predicted = ours.predict(x.view(), x.ncols(), 2);
    // linfa-elasticnet centres y but not X, so its intercept is only the usual (unpenalised) one
    // when the columns of X are centred; the slopes of a ridge with a free intercept do not
    // depend on that centring, so both fits must give the same predictions.
    let centred = &x - &x.mean_axis(ndarray::Axis(0)).unwrap();
    for step in 0..2 {
        let dataset = Dataset::new(centred.clone(), y.column(step).to_owned());
        let fitted = linfa_elasticnet::ElasticNet::ridge()
            .penalty(a)
            .tolerance(1e-12)
            .max_iterations(100_000)
            .fit(&dataset)
            .unwrap();
        let reference: Array1<f64> = fitted.predict(&centred);
        let worst = (&predicted.column(step) - &reference)
            .iter()
            .fold(0.0f64, |m, e| m.max(e.abs()));
        assert!(
            worst < 1e-5,
            "step {step}: largest difference from linfa-elasticnet {worst}"
        );
    }
}

#[test]
fn linear_recovers_an_exact_linear_recurrence() {
    // 5 + sin(ωt) satisfies y_t = 2cos(ω)·y_{t−1} − y_{t−2} + 5(2 − 2cos ω) exactly
    let omega: f64 = 0.37;
    let v: Vec<f64> = (0..200).map(|t| 5.0 + (omega * t as f64).sin()).collect();
    let set = windows(v, 2, 1);
    let model = Baseline::fit(BaselineKind::Linear, &set, 1, 0.0).unwrap();
    let Baseline::Linear(map) = model else {
        panic!("not a linear model")
    };
    let expected = [-1.0, 2.0 * omega.cos()];
    for (w, e) in map.weights.column(0).iter().zip(expected) {
        assert!((w - e).abs() < 1e-7, "weight {w}, expected {e}");
    }
    let c = 5.0 * (2.0 - 2.0 * omega.cos());
    assert!(
        (map.bias[0] - c).abs() < 1e-6,
        "bias {}, expected {c}",
        map.bias[0]
    );
}

#[test]
fn nlinear_is_invariant_to_a_level_shift_and_dlinear_fits() {
    let set = windows(noisy_series(300, 3), 8, 4);
    let model = Baseline::fit(BaselineKind::NLinear, &set, 1, 0.0).unwrap();
    let x = set.inputs();
    let shifted = x.mapv(|v| v + 100.0);
    let difference =
        model.predict(shifted.view(), shifted.ncols(), 4) - model.predict(x.view(), x.ncols(), 4) - 100.0;
    assert!(difference.iter().all(|d| d.abs() < 1e-9));
    let dlinear = Baseline::fit(BaselineKind::DLinear, &set, 1, 0.0).unwrap();
    let mse = (dlinear.predict(x.view(), x.ncols(), 4) - set.targets())
        .mapv(|e| e * e)
        .mean()
        .unwrap();
    let naive = Baseline::fit(BaselineKind::Naive, &set, 1, 0.0).unwrap();
    let naive_mse = (naive.predict(x.view(), x.ncols(), 4) - set.targets())
        .mapv(|e| e * e)
        .mean()
        .unwrap();
    assert!(
        mse < naive_mse,
        "DLinear {mse} should beat naive {naive_mse} in-sample"
    );
}

#[test]
fn naive_and_seasonal_naive_by_hand() {
    let set = windows((0..20).map(|v| v as f64).collect(), 6, 5);
    let x = Array2::from_shape_vec((1, 6), vec![1.0, 2.0, 3.0, 10.0, 20.0, 30.0]).unwrap();
    let naive = Baseline::fit(BaselineKind::Naive, &set, 1, 0.0).unwrap();
    assert_eq!(
        naive.predict(x.view(), x.ncols(), 5).row(0).to_vec(),
        vec![30.0; 5]
    );
    let seasonal = Baseline::fit(BaselineKind::SeasonalNaive, &set, 3, 0.0).unwrap();
    assert_eq!(
        seasonal.predict(x.view(), x.ncols(), 5).row(0).to_vec(),
        vec![10.0, 20.0, 30.0, 10.0, 20.0]
    );
    let too_long = Baseline::fit(BaselineKind::SeasonalNaive, &set, 7, 0.0).unwrap_err();
    assert_eq!(too_long.exit_code(), 2);
}

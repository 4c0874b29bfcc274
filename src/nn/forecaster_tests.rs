//! Tests of the whole forecaster: gradient checks of every kind with its loss, names, precision.
use super::*;
use crate::nn::gradcheck::GradCheck;
use crate::nn::loss::Loss;
use crate::nn::zeros_like;

pub(crate) fn config(kind: CoreKind, head: HeadKind) -> ForecasterConfig {
    ForecasterConfig {
        kind,
        lookback: 12,
        horizon: 3,
        patch: 4,
        stride: 2,
        width: 4,
        heads: 2,
        conv_kernel: 2,
        head,
        linear_skip: true,
        base: false,
    }
}

/// Move every tensor away from its special initial values (γ = 1, zero offsets and biases)
/// so that no gradient is trivially zero or symmetric.
fn jitter(p: &mut ForecasterParams<f64>, seed: u64) {
    let mut rng = Rng::new(seed);
    p.visit_mut("", &mut |_, vals| {
        vals.iter_mut().for_each(|v| *v += 0.2 * rng.normal())
    });
}

fn check_whole_model(kind: CoreKind, head: HeadKind) {
    check_model(config(kind, head));
}

fn check_model(config: ForecasterConfig) {
    config.validate().unwrap();
    let mut params: ForecasterParams<f64> = init(&config, 3);
    jitter(&mut params, 4);
    let mut rng = Rng::new(5);
    let b = 3;
    let x = Array2::from_shape_fn((b, config.lookback), |(_, t)| {
        (t as f64 * 0.7).sin() * 2.0 + 5.0 + 0.5 * rng.normal()
    });
    let y = Array2::from_shape_fn((b, config.horizon), |_| 5.0 + rng.normal());
    let loss = Loss::Mse;
    let denom = b * config.horizon;
    let (pred, cache) = forward(&params, &config, x.view());
    let d_pred = loss.backward(pred.view(), y.view(), denom);
    let mut grads = zeros_like(&params);
    backward(&params, &config, &cache, d_pred.view(), &mut grads);
    let what = format!("forecaster {:?} {:?}", config.kind, config.head);
    GradCheck::default().assert(&what, &params, &grads, |p| {
        loss.forward(forward(p, &config, x.view()).0.view(), y.view(), denom)
    });
}

#[test]
fn lstm_forecaster_grads_match_finite_differences_flatten_head() {
    check_whole_model(CoreKind::Lstm { layers: 2 }, HeadKind::Flatten);
}

#[test]
fn lstm_forecaster_grads_match_finite_differences_last_head() {
    check_whole_model(CoreKind::Lstm { layers: 1 }, HeadKind::Last);
}

fn xlstm(blocks: &str) -> CoreKind {
    CoreKind::Xlstm {
        blocks: blocks.into(),
    }
}

#[test]
fn slstm_forecaster_grads_match_finite_differences() {
    check_whole_model(xlstm("ss"), HeadKind::Flatten);
}

#[test]
fn mlstm_forecaster_grads_match_finite_differences() {
    check_whole_model(xlstm("mm"), HeadKind::Flatten);
}

#[test]
fn mixed_forecaster_grads_match_finite_differences() {
    check_whole_model(xlstm("ms"), HeadKind::Last);
}

/// The residual-over-linear forecaster: a linear base on the raw window plus the network's
/// correction scaled by the window's σ (without the linear skip, and with it).
#[test]
fn forecaster_with_a_linear_base_grads_match_finite_differences() {
    for (kind, skip) in [(xlstm("ms"), false), (CoreKind::Lstm { layers: 1 }, true)] {
        let mut c = config(kind, HeadKind::Flatten);
        (c.base, c.linear_skip) = (true, skip);
        check_model(c);
    }
}

/// With its head at zero (as initialised) the residual forecaster is exactly its linear base.
#[test]
fn an_untrained_forecaster_with_a_base_is_the_base() {
    let mut c = config(xlstm("ms"), HeadKind::Flatten);
    (c.base, c.linear_skip) = (true, false);
    let mut p: ForecasterParams<f64> = init(&c, 3);
    let mut rng = Rng::new(8);
    let w = Array2::from_shape_fn((c.horizon, c.lookback), |_| rng.normal());
    let b = ndarray::Array1::from_shape_fn(c.horizon, |_| rng.normal());
    set_base(&mut p, &w, &b);
    let x = Array2::from_shape_fn((5, c.lookback), |_| 3.0 + rng.normal());
    let expected = x.dot(&w.t()) + &b;
    for got in [forward(&p, &c, x.view()).0, predict(&p, &c, x.view())] {
        let err = (&got - &expected).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-12, "base mismatch {err}");
    }
}

fn cell(cell: CellKind) -> CoreKind {
    CoreKind::Cell { cell }
}

#[test]
fn slstm_cell_forecaster_grads_match_finite_differences() {
    check_whole_model(cell(CellKind::Slstm), HeadKind::Last);
}

#[test]
fn mlstm_cell_forecaster_grads_match_finite_differences() {
    check_whole_model(cell(CellKind::Mlstm { parallel: false }), HeadKind::Last);
    check_whole_model(cell(CellKind::Mlstm { parallel: true }), HeadKind::Flatten);
}

/// The bench's anchor-shaped networks have the anchors' parameter counts plus what the shared
/// path adds around the core: the RevIN affine pair and the final LayerNorm's scale offsets (D).
#[test]
fn cell_cores_match_the_anchor_shapes() {
    let anchor = |kind: CoreKind| {
        let mut c = ForecasterConfig::new(kind, 96, 24);
        (c.patch, c.stride, c.head, c.linear_skip) = (1, 1, HeadKind::Last, false);
        c.validate().unwrap();
        let p: ForecasterParams<f64> = init(&c, 0);
        assert_eq!(c.tokens(), 96);
        crate::nn::count(&p) - crate::nn::count(&p.revin) - crate::nn::count(&p.norm)
    };
    // ../shared/anchors/README.md: slstm 22,424, mlstm_rec and mlstm_par 18,848 parameters
    assert_eq!(anchor(cell(CellKind::Slstm)), 22_424);
    assert_eq!(anchor(cell(CellKind::Mlstm { parallel: false })), 18_848);
    assert_eq!(anchor(cell(CellKind::Mlstm { parallel: true })), 18_848);
}

#[test]
fn blocks_are_built_in_the_configured_order() {
    let p: ForecasterParams<f64> = init(&config(xlstm("msm"), HeadKind::Flatten), 1);
    let kinds: Vec<char> = p
        .layers
        .iter()
        .map(|l| match l {
            Layer::Lstm(_) => 'l',
            Layer::Mlstm(_) => 'm',
            Layer::Slstm(_) => 's',
            Layer::SlstmCell(_) | Layer::MlstmCell(_) => 'c',
        })
        .collect();
    assert_eq!(kinds, vec!['m', 's', 'm']);
}

#[test]
fn named_weights_round_trip_and_bad_files_are_rejected() {
    let config = config(CoreKind::Lstm { layers: 1 }, HeadKind::Flatten);
    let params: ForecasterParams<f64> = init(&config, 8);
    let named = params_to_named(&params);
    assert_eq!(named[0].0, "revin.gamma");
    assert!(named.iter().any(|(n, _)| n == "layer0.lstm.w_h"));
    let back: ForecasterParams<f64> = load_named(&config, &named).unwrap();
    assert_eq!(params_to_named(&back), named);
    let mut renamed = named.clone();
    renamed[2].0 = "embed.x".into();
    assert!(load_named::<f64>(&config, &renamed)
        .unwrap_err()
        .contains("embed.x"));
    let mut short = named.clone();
    short[3].1.pop();
    assert!(load_named::<f64>(&config, &short).unwrap_err().contains("values"));
    assert!(load_named::<f64>(&config, &named[1..]).is_err());
    let other = ForecasterConfig {
        width: 6,
        heads: 2,
        ..config
    };
    assert!(load_named::<f64>(&other, &named).is_err());
}

#[test]
fn f32_and_f64_forward_agree_after_conversion() {
    let config = config(CoreKind::Lstm { layers: 1 }, HeadKind::Flatten);
    let p64: ForecasterParams<f64> = init(&config, 2);
    let p32: ForecasterParams<f32> = convert(&p64, init(&config, 0));
    let x = Array2::from_shape_fn((2, config.lookback), |(b, t)| (t * (b + 1)) as f64 * 0.1);
    let (y64, _) = forward(&p64, &config, x.view());
    let (y32, _) = forward(&p32, &config, x.mapv(|v| v as f32).view());
    let diff = (&y64 - &y32.mapv(f64::from)).fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(diff < 1e-4, "f32 vs f64 forecast differ by {diff}");
}

#[test]
fn default_config_is_valid_and_uses_half_overlapping_patches() {
    let c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "s".into() }, 96, 24);
    c.validate().unwrap();
    assert_eq!((c.patch, c.stride, c.tokens()), (16, 8, 11));
    let short = ForecasterConfig::new(CoreKind::Lstm { layers: 1 }, 5, 2);
    short.validate().unwrap();
    assert_eq!((short.patch, short.stride, short.tokens()), (5, 2, 1));
    let bad = ForecasterConfig { heads: 3, ..c };
    assert!(bad.validate().unwrap_err().contains("heads"));
}

//! Tests of the whole forecaster: gradient checks of every kind with its loss, names, precision.
use super::*;
use crate::nn::gradcheck::{GradCheck, WithInputs};
use crate::nn::loss::Loss;
use crate::nn::rng::Rng;

pub(crate) fn config(kind: CoreKind, head: HeadKind) -> ForecasterConfig {
    ForecasterConfig {
        patch: 4,
        stride: 2,
        width: 4,
        heads: 2,
        conv_kernel: 2,
        head,
        ..ForecasterConfig::new(kind, 12, 3)
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
    check_config(&config(kind, head), None);
}

/// The gradient check of the whole model with its real loss (MSE, or the pinball loss of a
/// quantile head); with `masks`, a training pass whose dropout masks come from a generator
/// restarted at that seed for every evaluation (fixed masks).
fn check_config(config: &ForecasterConfig, masks: Option<u64>) {
    config.validate().unwrap();
    let mut params: ForecasterParams<f64> = init(config, 3);
    jitter(&mut params, 4);
    let mut rng = Rng::new(5);
    let b = 3;
    // the target window, then each covariate channel's (standardised-looking values)
    let window = config.crop + config.lookback; // per channel
    let x = Array2::from_shape_fn((b, config.input_width()), |(_, j)| {
        let (channel, t) = (j / window, j % window);
        match channel {
            0 => (t as f64 * 0.7).sin() * 2.0 + 5.0 + 0.5 * rng.normal(),
            _ => (t as f64 * 0.3 * channel as f64).cos() + 0.5 * rng.normal(),
        }
    });
    let y = Array2::from_shape_fn((b, config.horizon), |_| 5.0 + rng.normal());
    let (loss, denom) = (Loss::Mse, b * config.horizon);
    let what = format!("forecaster {config:?}");
    let run = |p: &ForecasterParams<f64>| match masks {
        Some(seed) => forward_train(p, config, x.view(), &mut Rng::new(seed)),
        None => forward(p, config, x.view()),
    };
    if masks.is_some() {
        let head_mask = run(&params).1.head_mask;
        assert_eq!(head_mask.is_some(), config.head_dropout > 0.0, "head dropout");
    }
    // The real loss is the one output, with upstream gradient 1.
    GradCheck::default().assert_layer(
        &what,
        &WithInputs::new(params, vec![]),
        &[ndarray::arr1(&[1.0]).into_dyn()],
        |pt| {
            let (pred, cache) = run(&pt.params);
            let value = match config.quantiles.as_slice() {
                [] => loss.forward(pred.view(), y.view(), denom),
                taus => quantile::pinball_loss(pred.view(), y.view(), taus, denom),
            };
            (vec![ndarray::arr1(&[value]).into_dyn()], (pred, cache))
        },
        |pt, (pred, cache), _, grads| {
            let d_pred = match config.quantiles.as_slice() {
                [] => loss.backward(pred.view(), y.view(), denom),
                taus => quantile::pinball_backward(pred.view(), y.view(), taus, denom),
            };
            backward(&pt.params, config, cache, d_pred.view(), grads);
            vec![]
        },
    );
}

/// Every block option of the official code on: conv kernel 4 in both block kinds, head-wise
/// q, k, v (blocks of 4) and gate inputs, FFN factor 1.3 rounded to 64.
pub(crate) fn paper_blocks(mut c: ForecasterConfig) -> ForecasterConfig {
    (c.conv_kernel, c.conv_scope, c.qkv_blocksize, c.headwise_gates) = (4, ConvScope::Both, 4, true);
    (c.ffn_factor, c.ffn_multiple) = (FfnFactor::OnePointThree, 64);
    c
}

#[test]
fn paper_block_forecaster_grads_match_finite_differences() {
    check_config(&paper_blocks(config(xlstm("ms"), HeadKind::Flatten)), None);
    let mut no_conv = paper_blocks(config(xlstm("sm"), HeadKind::Last));
    no_conv.conv_kernel = 0;
    check_config(&no_conv, None);
}

/// A quantile head (80 and 95 % intervals: five quantiles) through the pinball loss, for both
/// head kinds, with and without the linear skip on the median.
#[test]
fn quantile_forecaster_grads_match_finite_differences() {
    for (kind, head, skip) in [
        (xlstm("ms"), HeadKind::Flatten, true),
        (CoreKind::Lstm { layers: 1 }, HeadKind::Last, false),
    ] {
        let mut c = config(kind, head);
        (c.quantiles, c.linear_skip) = (quantile::taus(&[80.0, 95.0]), skip);
        check_config(&c, None);
    }
}

/// The quantile head forecasts Q blocks of P values in ascending order, and a point model's
/// forecast is its median's place.
#[test]
fn a_quantile_forecaster_outputs_ascending_quantile_blocks() {
    let mut c = config(xlstm("ms"), HeadKind::Flatten);
    c.quantiles = quantile::taus(&[50.0, 90.0]);
    assert_eq!(c.outputs(), 5 * c.horizon);
    let mut params: ForecasterParams<f64> = init(&c, 8);
    jitter(&mut params, 9);
    let x = Array2::from_shape_fn((4, c.lookback), |(b, t)| ((b + t) as f64).sin());
    let (y, _) = forward(&params, &c, x.view());
    assert_eq!(y.dim(), (4, 5 * c.horizon));
    let p = c.horizon;
    for r in 0..4 {
        for h in 0..p {
            for j in 1..5 {
                assert!(y[[r, j * p + h]] > y[[r, (j - 1) * p + h]], "{y}");
            }
        }
    }
    assert!((predict(&params, &c, x.view()) - &y)
        .iter()
        .all(|d| d.abs() < 1e-9));
    c.quantiles = vec![0.1, 0.5];
    assert!(c.validate().unwrap_err().contains("median 0.5 in the middle"));
}

/// Dropout in the blocks and on the head input, with fixed masks (a training pass).
#[test]
fn dropout_forecaster_grads_match_finite_differences_with_fixed_masks() {
    for (kind, head) in [(xlstm("ms"), HeadKind::Flatten), (xlstm("sm"), HeadKind::Last)] {
        let mut c = paper_blocks(config(kind, head));
        (c.dropout, c.head_dropout) = (0.2, 0.3);
        check_config(&c, Some(21));
    }
}

/// Without dropout a training pass is the evaluation pass, bit for bit, and draws nothing; with
/// it, the training pass differs and evaluation and prediction still do not drop.
#[test]
fn only_training_passes_with_dropout_drop() {
    let mut c = config(xlstm("ms"), HeadKind::Flatten);
    let p: ForecasterParams<f64> = init(&c, 1);
    let x = Array2::from_shape_fn((2, c.lookback), |(b, t)| ((b + t) as f64 * 0.3).cos());
    let mut masks = Rng::new(4);
    let eval = forward(&p, &c, x.view()).0;
    assert_eq!(forward_train(&p, &c, x.view(), &mut masks).0, eval);
    assert_eq!(masks.next_u64(), Rng::new(4).next_u64(), "no mask was drawn");
    (c.dropout, c.head_dropout) = (0.3, 0.3);
    assert_ne!(forward_train(&p, &c, x.view(), &mut masks).0, eval);
    assert_eq!(forward(&p, &c, x.view()).0, eval);
    let predicted = predict(&p, &c, x.view());
    assert!((&predicted - &eval).fold(0.0f64, |m, d| m.max(d.abs())) < 1e-10);
}

/// What the conv settings build: legacy gives mLSTM blocks a kernel of max(K, 1) and sLSTM
/// blocks K (0: none); `Both` gives both K, and 0 means no conv parameters at all.
#[test]
fn conv_scope_decides_which_blocks_convolve() {
    let kernels = |conv_kernel, conv_scope| {
        let c = ForecasterConfig {
            conv_kernel,
            conv_scope,
            ..config(xlstm("ms"), HeadKind::Flatten)
        };
        let p: ForecasterParams<f64> = init(&c, 1);
        p.layers
            .iter()
            .map(|l| match l {
                Layer::Mlstm(b) => (b.conv.w.ncols(), b.conv.b.len()),
                Layer::Slstm(b) => (b.conv.w.ncols(), b.conv.b.len()),
                _ => unreachable!("an xLSTM stack"),
            })
            .collect::<Vec<_>>()
    };
    let (e, d) = (8, 4);
    assert_eq!(kernels(0, ConvScope::Legacy), vec![(1, e), (0, 0)]);
    assert_eq!(kernels(4, ConvScope::Legacy), vec![(4, e), (4, d)]);
    assert_eq!(kernels(0, ConvScope::Both), vec![(0, 0), (0, 0)]);
    assert_eq!(kernels(4, ConvScope::Both), vec![(4, e), (4, d)]);
}

/// Bad option values are configuration errors that name the option.
#[test]
fn bad_block_options_are_rejected() {
    let base = config(xlstm("ms"), HeadKind::Flatten);
    let cases = [
        (
            ForecasterConfig {
                dropout: 1.0,
                ..base.clone()
            },
            "dropout",
        ),
        (
            ForecasterConfig {
                head_dropout: -0.1,
                ..base.clone()
            },
            "head dropout",
        ),
        (
            ForecasterConfig {
                qkv_blocksize: 3,
                ..base.clone()
            },
            "block size 3",
        ),
        (
            ForecasterConfig {
                ffn_multiple: 0,
                ..base.clone()
            },
            "FFN multiple",
        ),
    ];
    for (c, what) in cases {
        let e = c.validate().unwrap_err();
        assert!(e.contains(what), "{what}: {e}");
    }
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
        check_config(&c, None);
    }
}

/// A quantile head over a linear base: the base moves the median and, through it, every
/// quantile (pinball loss, with and without the linear skip).
#[test]
fn quantile_forecaster_with_a_linear_base_grads_match_finite_differences() {
    for (kind, head, skip) in [
        (xlstm("sm"), HeadKind::Flatten, false),
        (CoreKind::Lstm { layers: 1 }, HeadKind::Last, true),
    ] {
        let mut c = config(kind, head);
        (c.quantiles, c.base, c.linear_skip) = (quantile::taus(&[80.0, 95.0]), true, skip);
        check_config(&c, None);
    }
}

/// With its head at zero, a quantile forecaster over a base forecasts the base as its median,
/// and its other quantiles are the median moved by amounts that do not depend on the base.
#[test]
fn an_untrained_quantile_forecaster_with_a_base_has_the_base_as_its_median() {
    let mut c = config(xlstm("ms"), HeadKind::Flatten);
    (c.quantiles, c.base, c.linear_skip) = (quantile::taus(&[80.0]), true, false);
    let (q, h) = (c.quantiles.len(), c.horizon);
    let mut p: ForecasterParams<f64> = init(&c, 3);
    let mut rng = Rng::new(8);
    let x = Array2::from_shape_fn((5, c.lookback), |_| 3.0 + rng.normal());
    let at_zero = predict(&p, &c, x.view()); // (B, Q·P), base w = 0, b = 0
    let w = Array2::from_shape_fn((h, c.lookback), |_| rng.normal());
    let b = ndarray::Array1::from_shape_fn(h, |_| rng.normal());
    set_base(&mut p, &w, &b);
    let shift = x.dot(&w.t()) + &b; // (B, P)
    for got in [forward(&p, &c, x.view()).0, predict(&p, &c, x.view())] {
        for k in 0..q {
            let block = ndarray::s![.., k * h..(k + 1) * h];
            let expected = &at_zero.slice(block) + &shift;
            let err = (&got.slice(block) - &expected).fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(err < 1e-12, "quantile {k}: base shift mismatch {err}");
        }
        let median = got
            .slice(ndarray::s![.., (q / 2) * h..(q / 2 + 1) * h])
            .to_owned();
        let err = (&median - &shift).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-12, "the median is the base: {err}");
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

/// Covariate channels: read by the patch embedding beside the normalised target (not through
/// RevIN) and by the linear base; every parameter's gradient through both paths, with point and
/// quantile heads, with and without the linear skip.
#[test]
fn forecaster_with_covariate_channels_grads_match_finite_differences() {
    for (kind, head, base, skip, quantiles) in [
        (xlstm("ms"), HeadKind::Flatten, true, false, false),
        (xlstm("sm"), HeadKind::Last, false, true, true),
        (CoreKind::Lstm { layers: 1 }, HeadKind::Flatten, true, true, true),
    ] {
        let mut c = config(kind, head);
        (c.covariates, c.base, c.linear_skip) = (2, base, skip);
        if quantiles {
            c.quantiles = quantile::taus(&[80.0]);
        }
        check_config(&c, None);
    }
}

/// The covariates reach the forecast: changing one channel's window changes the output, and
/// the inference path (embedding folded into an LSTM's input map) agrees with the training pass.
#[test]
fn covariate_channels_change_the_forecast_and_inference_agrees() {
    for kind in [xlstm("ms"), CoreKind::Lstm { layers: 1 }] {
        let mut c = config(kind, HeadKind::Flatten);
        (c.covariates, c.base) = (2, true);
        let mut p: ForecasterParams<f64> = init(&c, 3);
        jitter(&mut p, 5);
        let mut rng = Rng::new(9);
        let x = Array2::from_shape_fn((4, c.input_width()), |_| rng.normal());
        let (y, _) = forward(&p, &c, x.view());
        let err = (&predict(&p, &c, x.view()) - &y).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-10, "{:?}: predict differs from forward by {err}", c.kind);
        let mut moved = x.clone();
        moved[[0, 2 * c.lookback + 5]] += 1.0; // channel 2, step 5 of window 0
        let (z, _) = forward(&p, &c, moved.view());
        let change = (&z - &y).row(0).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(
            change > 1e-6,
            "{:?}: the covariate did not reach the forecast",
            c.kind
        );
        assert_eq!((&z - &y).row(1).fold(0.0f64, |m, d| m.max(d.abs())), 0.0);
    }
}

/// A network that leaves out the first E steps of each window (an ensemble member over a
/// shorter lookback than the model's), with covariates, a linear base and quantiles.
#[test]
fn a_cropped_forecaster_grads_match_finite_differences() {
    for (kind, covariates, base, quantiles) in [
        (xlstm("ms"), 0, false, false),
        (xlstm("sm"), 2, true, false),
        (CoreKind::Lstm { layers: 1 }, 1, true, true),
    ] {
        let mut c = paper_blocks(config(kind, HeadKind::Flatten));
        (c.crop, c.covariates, c.base) = (5, covariates, base);
        if quantiles {
            c.quantiles = quantile::taus(&[80.0]);
        }
        check_config(&c, None);
    }
}

/// A cropped network forecasts what the same weights forecast from the last L steps of every
/// channel alone; with a base, the first E steps reach the forecast through the base only.
#[test]
fn a_cropped_forecaster_reads_only_the_last_steps_of_every_channel() {
    for kind in [xlstm("ms"), CoreKind::Lstm { layers: 1 }] {
        let mut c = config(kind, HeadKind::Flatten);
        (c.crop, c.covariates) = (5, 1);
        let (e, l) = (c.crop, c.lookback);
        let mut p: ForecasterParams<f64> = init(&c, 3);
        jitter(&mut p, 5);
        let mut rng = Rng::new(9);
        let x = Array2::from_shape_fn((4, c.input_width()), |_| rng.normal()); // (4, 2·(E + L))
        let tail = ndarray::concatenate(
            ndarray::Axis(1),
            &[
                x.slice(ndarray::s![.., e..e + l]),
                x.slice(ndarray::s![.., 2 * e + l..]),
            ],
        )
        .unwrap(); // (4, 2·L)
        let whole = ForecasterConfig { crop: 0, ..c.clone() };
        let (y, _) = forward(&p, &c, x.view());
        assert_eq!(y, forward(&p, &whole, tail.view()).0, "{:?}", c.kind);
        let err = (&predict(&p, &c, x.view()) - &y).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-10, "{:?}: predict differs from forward by {err}", c.kind);
        // over a base: moving a left-out step of window 0 moves its forecast by the base's column
        c.base = true;
        let mut p: ForecasterParams<f64> = init(&c, 3);
        jitter(&mut p, 6);
        let mut moved = x.clone();
        moved[[0, 2]] += 1.0;
        let change = &forward(&p, &c, moved.view()).0 - &forward(&p, &c, x.view()).0; // (4, P)
        let column = p.base.as_ref().unwrap().w.column(2).to_owned();
        let err = (&change.row(0) - &column).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-12, "{:?}: {change} against {column}", c.kind);
        assert!(column.iter().any(|w| w.abs() > 1e-3));
        assert!(change.slice(ndarray::s![1.., ..]).iter().all(|&d| d == 0.0));
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
    let mlstm = |form| cell(CellKind::Mlstm { form });
    check_whole_model(mlstm(MlstmForm::Recurrent), HeadKind::Last);
    check_whole_model(mlstm(MlstmForm::Parallel), HeadKind::Flatten);
    check_whole_model(mlstm(MlstmForm::Chunkwise { chunk: 3 }), HeadKind::Flatten);
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
    for form in [
        MlstmForm::Recurrent,
        MlstmForm::Parallel,
        MlstmForm::fastest(96, 16),
    ] {
        assert_eq!(anchor(cell(CellKind::Mlstm { form })), 18_848);
    }
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

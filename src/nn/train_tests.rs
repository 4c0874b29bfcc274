//! Tests of the training loop: overfitting, determinism across thread counts, learning a sine,
//! divergence handling, budgets, early stopping and batched prediction.
use super::*;
use crate::nn::forecaster::{init, params_to_named, CoreKind, HeadKind};

/// Windows of a noisy sine (period 12) around 3, one window per start index.
struct Sine {
    series: Vec<f64>,
    lookback: usize,
    horizon: usize,
    /// Replace targets by noise (a validation set that cannot be learned).
    noise_targets: bool,
}

impl Sine {
    fn new(windows: usize, seed: u64) -> Sine {
        let (lookback, horizon) = (16, 4);
        let mut rng = Rng::new(seed);
        let series = (0..windows + lookback + horizon - 1)
            .map(|t| 3.0 + (2.0 * std::f64::consts::PI * t as f64 / 12.0).sin() + 0.05 * rng.normal())
            .collect();
        Sine {
            series,
            lookback,
            horizon,
            noise_targets: false,
        }
    }
}

impl WindowSource for Sine {
    fn len(&self) -> usize {
        self.series.len() + 1 - self.lookback - self.horizon
    }
    fn lookback(&self) -> usize {
        self.lookback
    }
    fn horizon(&self) -> usize {
        self.horizon
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        input.copy_from_slice(&self.series[index..index + self.lookback]);
        let t = index + self.lookback;
        target.copy_from_slice(&self.series[t..t + self.horizon]);
        if self.noise_targets {
            let mut rng = Rng::new(index as u64);
            target.iter_mut().for_each(|v| *v = 3.0 + rng.normal());
        }
    }
}

fn model(kind: CoreKind) -> ForecasterConfig {
    ForecasterConfig {
        patch: 4,
        stride: 4,
        width: 8,
        heads: 2,
        conv_kernel: 0,
        head: HeadKind::Flatten,
        ..ForecasterConfig::new(kind, 16, 4)
    }
}

fn lstm() -> ForecasterConfig {
    model(CoreKind::Lstm { layers: 1 })
}

fn quick(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        warmup_steps: 5,
        shard_size: 4,
        patience: 0,
        ..Default::default()
    }
}

fn mean_loss(params: &ForecasterParams<f64>, config: &ForecasterConfig, src: &dyn WindowSource) -> f64 {
    evaluate(params, config, Loss::Mse, src, &Workers::new(1))
}

#[test]
fn overfits_a_small_batch_to_near_zero_loss() {
    for kind in [
        CoreKind::Lstm { layers: 1 },
        CoreKind::Xlstm { blocks: "ms".into() },
    ] {
        let data = Sine::new(4, 1);
        let config = TrainConfig {
            batch_size: 4,
            lr: 1e-2,
            min_lr: 1e-2,
            warmup_steps: 0,
            precision: Precision::F64,
            adamw: AdamWConfig {
                weight_decay: 0.0,
                ..Default::default()
            },
            ..quick(300)
        };
        let trained = fit(&config, model(kind.clone()), &data, &data, &mut |_| {}).unwrap();
        let first = trained.history[0].train_loss;
        assert!(
            trained.best_val_loss < 1e-4,
            "{kind:?}: loss {} (first {first})",
            trained.best_val_loss
        );
    }
}

/// The block stack "ms" with every official block option and dropout in the blocks and on the
/// head input.
fn with_dropout() -> ForecasterConfig {
    let mut c = crate::nn::forecaster::tests::paper_blocks(model(CoreKind::Xlstm { blocks: "ms".into() }));
    (c.dropout, c.head_dropout) = (0.2, 0.1);
    c
}

#[test]
fn same_seed_gives_bit_identical_weights_for_one_and_two_threads() {
    let data = Sine::new(64, 2);
    let val = Sine::new(20, 3);
    for arch in [
        lstm(),
        model(CoreKind::Xlstm { blocks: "ms".into() }),
        with_dropout(),
    ] {
        let kind = &arch.kind;
        let run = |threads| {
            let config = TrainConfig { threads, ..quick(3) };
            fit(&config, arch.clone(), &data, &val, &mut |_| {}).unwrap()
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(
            params_to_named(&one.params),
            params_to_named(&two.params),
            "{kind:?}"
        );
        let losses = |t: &Trained| {
            t.history
                .iter()
                .map(|r| (r.train_loss, r.val_loss))
                .collect::<Vec<_>>()
        };
        assert_eq!(losses(&one), losses(&two));
        // The check can fail: a different shard size changes the summation order.
        let other = TrainConfig {
            shard_size: 3,
            ..quick(3)
        };
        let three = fit(&other, arch.clone(), &data, &val, &mut |_| {}).unwrap();
        assert_ne!(params_to_named(&one.params), params_to_named(&three.params));
    }
}

/// Dropout acts in training: the same seed without dropout trains other weights.
#[test]
fn dropout_changes_training() {
    let data = Sine::new(16, 2);
    let with = with_dropout();
    let without = ForecasterConfig {
        dropout: 0.0,
        head_dropout: 0.0,
        ..with.clone()
    };
    let train = |arch: &ForecasterConfig| {
        let config = TrainConfig {
            batch_size: 16,
            ..quick(2)
        };
        params_to_named(
            &fit(&config, arch.clone(), &data, &data, &mut |_| {})
                .unwrap()
                .params,
        )
    };
    assert_ne!(train(&with), train(&without));
}

#[test]
fn loss_decreases_on_a_sine() {
    let (train, val) = (Sine::new(200, 4), Sine::new(50, 5));
    let config = TrainConfig {
        lr: 3e-3,
        ..quick(10)
    };
    let kinds = [
        CoreKind::Lstm { layers: 1 },
        CoreKind::Xlstm { blocks: "s".into() },
        CoreKind::Xlstm { blocks: "ms".into() },
    ];
    for kind in kinds {
        let m = model(kind.clone());
        let untrained = mean_loss(&init(&m, config.seed), &m, &val);
        let mut reports = Vec::new();
        let trained = fit(&config, m.clone(), &train, &val, &mut |r| reports.push(r.clone())).unwrap();
        assert_eq!(reports, trained.history);
        assert_eq!(trained.stop, StopReason::Epochs);
        let (best, first) = (trained.best_val_loss, trained.history[0].train_loss);
        assert!(
            best < 0.1 * untrained,
            "{kind:?}: {best} vs untrained {untrained}"
        );
        assert!(
            trained.history.last().unwrap().train_loss < 0.2 * first,
            "{kind:?}"
        );
        // The returned weights are the best epoch's: their validation loss is the recorded one
        // (up to f32 training vs f64 evaluation).
        let again = mean_loss(&trained.params, &m, &val);
        assert!((again - best).abs() < 1e-4 * best, "{kind:?}: {again} vs {best}");
    }
}

#[test]
fn divergence_without_a_finite_epoch_is_an_error() {
    let data = Sine::new(64, 6);
    let config = TrainConfig {
        lr: 1e6,
        warmup_steps: 0,
        batch_size: 4,
        ..quick(5)
    };
    match fit(&config, lstm(), &data, &data, &mut |_| {}) {
        Err(TrainError::NonFinite { epoch: 1, step }) => assert!(step < 16),
        other => panic!("expected a non-finite error in epoch 1, got {other:?}"),
    }
}

/// Learning rate 1e6 reached by a very long warm-up (0.1·(k + 1) at step k) with weight decay 1:
/// the first epochs are finite, then the decayed weights grow by |1 − lr| per step until the loss
/// overflows. The best finite weights must come back, flagged.
#[test]
fn divergence_after_finite_epochs_keeps_the_best_weights() {
    let (train, val) = (Sine::new(64, 7), Sine::new(20, 8));
    let config = TrainConfig {
        lr: 1e6,
        warmup_steps: 10_000_000,
        batch_size: 4,
        precision: Precision::F64,
        adamw: AdamWConfig {
            weight_decay: 1.0,
            ..Default::default()
        },
        ..quick(200)
    };
    let trained = fit(&config, lstm(), &train, &val, &mut |_| {}).unwrap();
    assert!(trained.diverged(), "stopped by {:?}", trained.stop);
    assert!(trained.history.len() > 1);
    let named = params_to_named(&trained.params);
    assert!(named.iter().all(|(_, v)| v.iter().all(|x| x.is_finite())));
    let again = mean_loss(&trained.params, &lstm(), &val);
    assert_eq!(again, trained.best_val_loss);
    let best = trained
        .history
        .iter()
        .map(|r| r.val_loss)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best, trained.best_val_loss);
}

#[test]
fn a_zero_time_budget_stops_after_one_step() {
    let data = Sine::new(64, 9);
    let config = TrainConfig {
        max_time: Some(Duration::ZERO),
        ..quick(50)
    };
    let trained = fit(&config, lstm(), &data, &data, &mut |_| {}).unwrap();
    assert_eq!(trained.stop, StopReason::TimeBudget);
    assert_eq!(trained.history.len(), 1);
}

#[test]
fn a_stop_request_ends_training_after_the_current_step_with_the_best_weights() {
    let data = Sine::new(64, 9);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let config = TrainConfig {
        stop: Some(stop.clone()),
        ..quick(50)
    };
    let mut epochs = 0;
    let trained = fit(&config, lstm(), &data, &data, &mut |_| {
        epochs += 1;
        if epochs == 2 {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .unwrap();
    assert_eq!(trained.stop, StopReason::Interrupted);
    assert_eq!(trained.history.len(), 3, "two epochs and one step of the third");
    assert!(trained.best_val_loss.is_finite());
}

#[test]
fn early_stopping_restores_the_best_epoch() {
    let train = Sine::new(64, 10);
    let mut val = Sine::new(32, 11);
    val.noise_targets = true;
    let config = TrainConfig {
        patience: 3,
        lr: 1e-2,
        ..quick(200)
    };
    let trained = fit(&config, lstm(), &train, &val, &mut |_| {}).unwrap();
    assert_eq!(trained.stop, StopReason::EarlyStopping);
    assert_eq!(trained.history.len(), trained.best_epoch + 3);
    let best = &trained.history[trained.best_epoch - 1];
    assert_eq!(best.val_loss, trained.best_val_loss);
    assert!(trained.history[trained.best_epoch..]
        .iter()
        .all(|r| r.val_loss >= best.val_loss));
}

#[test]
fn invalid_setups_are_reported() {
    let data = Sine::new(8, 12);
    let empty = Sine::new(0, 12);
    let invalid = |config: &TrainConfig, model: ForecasterConfig, train: &Sine| {
        matches!(
            fit(config, model, train, &data, &mut |_| {}),
            Err(TrainError::Invalid(_))
        )
    };
    assert!(invalid(
        &quick(1),
        ForecasterConfig { patch: 17, ..lstm() },
        &data
    ));
    assert!(invalid(
        &quick(1),
        ForecasterConfig { horizon: 3, ..lstm() },
        &data
    ));
    assert!(invalid(&quick(1), lstm(), &empty));
    assert!(invalid(&quick(0), lstm(), &data));
    assert!(invalid(
        &TrainConfig {
            loss: Loss::Huber { delta: 0.0 },
            ..quick(1)
        },
        lstm(),
        &data
    ));
    assert!(invalid(
        &TrainConfig {
            lr: f64::NAN,
            ..quick(1)
        },
        lstm(),
        &data
    ));
    assert!(!invalid(&quick(1), lstm(), &data));
}

#[test]
fn predict_in_chunks_equals_one_forward_pass() {
    let config = lstm();
    let params: ForecasterParams<f64> = init(&config, 5);
    let mut rng = Rng::new(13);
    let n = PREDICT_CHUNK * 3 + 7;
    let x = Array2::from_shape_fn((n, config.lookback), |_| rng.normal());
    let chunked = predict(&params, &config, x.view());
    let (whole, _) = forecaster::forward(&params, &config, x.view());
    assert_eq!(chunked.dim(), (n, 4));
    // prediction runs in f32: agreement with the f64 forward pass to f32 rounding
    let scale = whole.fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = (&chunked - &whole).fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(worst < 1e-5 * scale.max(1.0), "worst difference {worst}");
}

#[test]
fn predictions_do_not_depend_on_the_thread_count() {
    for config in [
        lstm(),
        ForecasterConfig::new(CoreKind::Xlstm { blocks: "ms".into() }, 12, 4),
    ] {
        let params: ForecasterParams<f64> = init(&config, 8);
        let mut rng = Rng::new(21);
        let x = Array2::from_shape_fn((3 * PREDICT_CHUNK + 5, config.lookback), |_| rng.normal());
        let one = predict_with_threads(&params, &config, x.view(), 1);
        for threads in [2, 3] {
            assert_eq!(
                one,
                predict_with_threads(&params, &config, x.view(), threads),
                "{threads} threads"
            );
        }
    }
}

#[test]
fn weight_decay_applies_to_weight_matrices_only() {
    for name in [
        "embed.w",
        "layer0.lstm.w_x",
        "layer1.slstm.cell.r",
        "layer0.mlstm.qk.w",
        "head.w",
    ] {
        assert!(decays(name), "{name}");
    }
    for name in [
        "revin.gamma",
        "embed.b",
        "norm.w",
        "layer1.slstm.gn.w",
        "layer1.slstm.ln_ffn.w",
    ] {
        assert!(!decays(name), "{name}");
    }
    for name in ["layer0.mlstm.out_norm.w", "layer0.mlstm.skip", "layer0.lstm.b"] {
        assert!(!decays(name), "{name}");
    }
}

/// The f32 path (AVX2 kernels and polynomial exp/tanh where the CPU has them) agrees with the
/// f64 path, which the finite-difference tests check, in outputs and in every gradient tensor,
/// for every core, and for the block stack with every official block option (head-wise
/// projections, conv 4 in both kinds, FFN 1.3). Width 32 and 4 heads give head widths of 8 and
/// 16 (partial and full panels).
#[test]
fn f32_forward_and_backward_agree_with_f64() {
    for kind in every_core() {
        for (width, patch, head) in [(32, 1, HeadKind::Last), (64, 4, HeadKind::Flatten)] {
            let mut config = model(kind.clone());
            (
                config.width,
                config.heads,
                config.patch,
                config.stride,
                config.head,
            ) = (width, 4, patch, patch, head);
            assert_f32_matches_f64(&config);
            if matches!(kind, CoreKind::Xlstm { .. }) {
                assert_f32_matches_f64(&crate::nn::forecaster::tests::paper_blocks(config));
            }
        }
    }
}

fn assert_f32_matches_f64(config: &ForecasterConfig) {
    let (kind, width) = (&config.kind, config.width);
    let p64: ForecasterParams<f64> = init(config, 3);
    let p32: ForecasterParams<f32> = convert(&p64, init(config, 0));
    let mut rng = Rng::new(5);
    let x = Array2::from_shape_fn((13, config.lookback), |(_, t)| {
        (t as f64 * 0.7).sin() + 0.3 * rng.normal()
    });
    let (y64, c64) = forecaster::forward(&p64, config, x.view());
    let (y32, c32) = forecaster::forward(&p32, config, x.mapv(|v| v as f32).view());
    let scale = y64.fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = (&y32.mapv(f64::from) - &y64).fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(
        worst < 1e-4 * scale.max(1.0),
        "{kind:?} width {width}: outputs differ by {worst}"
    );
    let d_out = Array2::from_shape_fn(y64.dim(), |_| rng.normal());
    let mut g64 = crate::nn::zeros_like(&p64);
    forecaster::backward(&p64, config, &c64, d_out.view(), &mut g64);
    let mut g32 = crate::nn::zeros_like(&p32);
    forecaster::backward(&p32, config, &c32, d_out.mapv(|v| v as f32).view(), &mut g32);
    for ((name, a), (_, b)) in params_to_named(&g64).iter().zip(params_to_named(&g32).iter()) {
        let norm = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let diff = a
            .iter()
            .zip(b)
            .map(|(u, v)| (u - v) * (u - v))
            .sum::<f64>()
            .sqrt();
        assert!(
            diff <= 1e-3 * norm + 1e-6,
            "{kind:?} width {width}: gradient {name} differs by {diff} (norm {norm})"
        );
    }
}

/// Inference with the embedding folded into the first layer equals the training forward pass, for
/// every core that folds (and the block stack, which does not), with patches of 1 and 4.
#[test]
fn folded_prediction_equals_the_forward_pass() {
    for kind in every_core() {
        for patch in [1, 4] {
            let mut config = model(kind.clone());
            (config.width, config.patch, config.stride) = (16, patch, patch);
            let mut params: ForecasterParams<f64> = init(&config, 4);
            params.embed.b.mapv_inplace(|_| 0.3); // a non-zero embedding bias must fold too
            let blocks = matches!(kind, CoreKind::Xlstm { .. });
            let folds = crate::nn::forecaster::fold_embedding(&params, &config).is_some();
            assert_eq!(
                folds, !blocks,
                "{kind:?}: fold applies to dense-input first layers only"
            );
            let mut rng = Rng::new(2);
            let x = Array2::from_shape_fn((5, config.lookback), |_| rng.normal());
            let folded = forecaster::predict(&params, &config, x.view());
            let (plain, _) = forecaster::forward(&params, &config, x.view());
            let worst = (&folded - &plain).fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(worst < 1e-10, "{kind:?} patch {patch}: differs by {worst}");
        }
    }
}

/// One core of every kind: a two-layer LSTM, the block stack "ms", the bare sLSTM and the bare
/// mLSTM layer in its three forms.
fn every_core() -> Vec<CoreKind> {
    use crate::nn::forecaster::CellKind;
    use crate::nn::mlstm_block::MlstmForm;
    let cell = |cell| CoreKind::Cell { cell };
    vec![
        CoreKind::Lstm { layers: 2 },
        CoreKind::Xlstm { blocks: "ms".into() },
        cell(CellKind::Slstm),
        cell(CellKind::Mlstm {
            form: MlstmForm::Recurrent,
        }),
        cell(CellKind::Mlstm {
            form: MlstmForm::Parallel,
        }),
        cell(CellKind::Mlstm {
            form: MlstmForm::Chunkwise { chunk: 5 },
        }),
    ]
}

/// Windows of a clean sine around 0 whose targets are zero from window `zero_from` on (a regime
/// the lookback cannot reveal): a correction learned on the sine helps before and hurts after.
struct Regimes {
    sine: Sine,
    zero_from: usize,
}

impl WindowSource for Regimes {
    fn len(&self) -> usize {
        self.sine.len()
    }
    fn lookback(&self) -> usize {
        self.sine.lookback
    }
    fn horizon(&self) -> usize {
        self.sine.horizon
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        self.sine.fill(index, input, target);
        input.iter_mut().for_each(|v| *v -= 3.0);
        target.iter_mut().for_each(|v| *v -= 3.0);
        if index >= self.zero_from {
            target.fill(0.0);
        }
    }
    fn later_half(&self) -> Vec<bool> {
        (0..self.len()).map(|i| i >= self.zero_from).collect()
    }
}

/// With `confirm_halves`, a correction that lowers the validation loss overall but raises it on
/// the later half is dropped for the base; without it, early stopping keeps it.
#[test]
fn a_correction_must_beat_the_base_on_both_validation_halves() {
    let train = Regimes {
        sine: Sine::new(200, 3),
        zero_from: usize::MAX,
    };
    let val = Regimes {
        sine: Sine::new(80, 4),
        zero_from: 60,
    };
    let mut model = lstm();
    (model.base, model.linear_skip) = (true, false);
    let base = LinearBase {
        w: Array2::zeros((model.horizon, model.lookback)),
        b: ndarray::Array1::zeros(model.horizon),
    };
    let run = |confirm_halves: bool| {
        let config = TrainConfig {
            lr: 1e-2,
            confirm_halves,
            ..quick(15)
        };
        fit_with_base(&config, model.clone(), Some(&base), &train, &val, &mut |_| {}).unwrap()
    };
    let plain = run(false);
    assert!(
        plain.best_epoch > 0,
        "the correction lowers the whole validation loss"
    );
    assert!(plain.halves.is_none());
    let confirmed = run(true);
    let [[base_early, base_late], [early, late]] = confirmed.halves.expect("the check ran");
    assert!(
        early < base_early,
        "better on the sine: {early} against {base_early}"
    );
    assert!(
        late > base_late,
        "worse on the zero regime: {late} against {base_late}"
    );
    assert_eq!(confirmed.best_epoch, 0, "the base is kept");
    // the kept weights are the untrained model: the zero base plus a zero head forecasts 0
    let x = Array2::from_shape_fn((3, model.lookback), |(b, t)| ((b + t) as f64).sin());
    let (forecast, _) = crate::nn::forecaster::forward(&confirmed.params, &model, x.view());
    assert!(forecast.iter().all(|v| *v == 0.0), "{forecast:?}");
}

/// Regimes whose windows all fall in the earlier half (as when every series has one validation
/// window): the empty later half does not vote, so the check keeps what early stopping chose.
struct OneHalf(Regimes);

impl WindowSource for OneHalf {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn lookback(&self) -> usize {
        self.0.lookback()
    }
    fn horizon(&self) -> usize {
        self.0.horizon()
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        self.0.fill(index, input, target)
    }
    fn later_half(&self) -> Vec<bool> {
        vec![false; self.len()]
    }
}

#[test]
fn an_empty_validation_half_does_not_veto_a_correction() {
    let train = Regimes {
        sine: Sine::new(200, 3),
        zero_from: usize::MAX,
    };
    let val = OneHalf(Regimes {
        sine: Sine::new(60, 4),
        zero_from: usize::MAX,
    });
    let mut model = lstm();
    (model.base, model.linear_skip) = (true, false);
    let base = LinearBase {
        w: Array2::zeros((model.horizon, model.lookback)),
        b: ndarray::Array1::zeros(model.horizon),
    };
    let config = TrainConfig {
        lr: 1e-2,
        confirm_halves: true,
        ..quick(10)
    };
    let trained = fit_with_base(&config, model, Some(&base), &train, &val, &mut |_| {}).unwrap();
    let [[_, base_late], [_, late]] = trained.halves.expect("the check ran");
    assert!(base_late.is_nan() && late.is_nan(), "no later half");
    assert!(trained.best_epoch > 0, "the sine's correction is kept");
}

/// Windows `indices` of a sine, each with a loss weight.
struct Picked {
    sine: Sine,
    indices: Vec<usize>,
    weights: Vec<f64>,
}

impl WindowSource for Picked {
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn lookback(&self) -> usize {
        self.sine.lookback
    }
    fn horizon(&self) -> usize {
        self.sine.horizon
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        self.sine.fill(self.indices[index], input, target);
    }
    fn weight(&self, index: usize) -> f64 {
        self.weights[index]
    }
}

/// The loss and the gradient of one batch of all windows of `src`, in f64.
fn batch_loss_and_gradient(
    params: &ForecasterParams<f64>,
    model: &ForecasterConfig,
    loss: Loss,
    src: &dyn WindowSource,
) -> (f64, Vec<f64>) {
    let shard_size = 2;
    let n = src.len();
    let mut grads = crate::nn::zeros_like(params);
    let mut trainer = Trainer {
        model,
        loss,
        seed: 0,
        workers: Workers::new(1),
        shards: (0..n.div_ceil(shard_size))
            .map(|_| Shard {
                index: 0,
                start: 0,
                end: 0,
                grads: grads.clone(),
                loss: 0.0,
            })
            .collect(),
        flat: Vec::new(),
    };
    let batch: Vec<usize> = (0..n).collect();
    let value = trainer.batch_gradient(params, src, &batch, (shard_size, 0), &mut grads);
    let mut flat = Vec::new();
    grads.visit("", &mut |_, v| flat.extend_from_slice(v));
    (value, flat)
}

/// A window of weight w counts as w copies of it: for the MAE and pinball losses (positively
/// homogeneous), windows 0, 1, 2 weighted 2, 1, 3 give exactly twice the loss and the gradient of
/// the six unweighted windows 0, 0, 1, 2, 2, 2 (twice, as the mean runs over 3 windows, not 6),
/// in training and in evaluation.
#[test]
fn weighted_windows_count_as_their_weight_in_the_loss_and_its_gradient() {
    let mut quantile_model = model(CoreKind::Xlstm { blocks: "ms".into() });
    quantile_model.quantiles = vec![0.1, 0.5, 0.9];
    for (config, loss) in [
        (model(CoreKind::Xlstm { blocks: "ms".into() }), Loss::Mae),
        (lstm(), Loss::Mae),
        (quantile_model, Loss::Quantile),
    ] {
        let params = init::<f64>(&config, 7);
        let weighted = Picked {
            sine: Sine::new(3, 5),
            indices: vec![0, 1, 2],
            weights: vec![2.0, 1.0, 3.0],
        };
        let copies = Picked {
            sine: Sine::new(3, 5),
            indices: vec![0, 0, 1, 2, 2, 2],
            weights: vec![1.0; 6],
        };
        let (loss_w, grad_w) = batch_loss_and_gradient(&params, &config, loss, &weighted);
        let (loss_c, grad_c) = batch_loss_and_gradient(&params, &config, loss, &copies);
        assert!(
            loss_c > 0.0 && (loss_w - 2.0 * loss_c).abs() < 1e-12 * loss_w,
            "{loss_w} vs 2·{loss_c}"
        );
        assert!(grad_c.iter().any(|g| g.abs() > 1e-6), "a gradient to compare");
        for (a, b) in grad_w.iter().zip(&grad_c) {
            assert!(
                (a - 2.0 * b).abs() <= 1e-10 * (1.0 + a.abs()),
                "{config:?}: {a} vs 2·{b}"
            );
        }
        let workers = Workers::new(1);
        let eval_w = evaluate(&params, &config, loss, &weighted, &workers);
        let eval_c = evaluate(&params, &config, loss, &copies, &workers);
        assert!(
            (eval_w - 2.0 * eval_c).abs() < 1e-12 * eval_w,
            "{eval_w} vs 2·{eval_c}"
        );
    }
}

/// The MAE of the point forecasts `forecast` gives for each window's input (1, L) of `src` (P
/// values) on the earlier and the later half of its windows, one window at a time.
fn mae_on_halves_by_hand(
    src: &dyn WindowSource,
    p: usize,
    forecast: impl Fn(ArrayView2<f64>) -> Vec<f64>,
) -> [f64; 2] {
    let mut sums = [0.0; 2];
    let mut counts = [0usize; 2];
    for (i, &is_later) in src.later_half().iter().enumerate() {
        let (x, y) = load::<f64>(src, &[i]); // (1, L), (1, P)
        let point = forecast(x.view());
        let half = usize::from(is_later);
        sums[half] += (0..p).map(|h| (point[h] - y[[0, h]]).abs()).sum::<f64>();
        counts[half] += p;
    }
    [0, 1].map(|half| sums[half] / counts[half] as f64)
}

/// A quantile model's point loss on the validation halves is the MAE of its median block alone,
/// computed here by hand from one forward pass; a point model's is its training loss.
#[test]
fn the_point_loss_on_halves_of_a_quantile_model_is_its_median_mae() {
    let mut config = model(CoreKind::Xlstm { blocks: "ms".into() });
    config.quantiles = vec![0.1, 0.5, 0.9];
    let params = init::<f64>(&config, 3);
    let src = Sine::new(10, 2);
    let [early, late] = point_loss_on_halves(&[(&params, &config)], Loss::Quantile, &src, 1);
    let p = config.horizon;
    let by_hand = mae_on_halves_by_hand(&src, p, |x| {
        let (pred, _) = forecaster::forward(&params, &config, x); // (1, 3·P)
        (0..p).map(|h| pred[[0, p + h]]).collect()
    });
    assert!((early - by_hand[0]).abs() < 1e-12, "{early}");
    assert!((late - by_hand[1]).abs() < 1e-12, "{late}");
    let point = lstm();
    let params = init::<f64>(&point, 3);
    let halves = point_loss_on_halves(&[(&params, &point)], Loss::Mse, &src, 1);
    let expected = evaluate_halves(&params, &point, Loss::Mse, &src, &Workers::new(1));
    assert_eq!(
        halves, expected,
        "a single member scores exactly as the model alone"
    );
}

/// An ensemble's point loss on the validation halves is the loss of its forecast, the mean of
/// its members' forecasts (computed here by hand), not the mean of its members' losses, which
/// under MAE is higher for members that disagree.
#[test]
fn the_point_loss_on_halves_of_an_ensemble_is_the_loss_of_its_mean_forecast() {
    let config = model(CoreKind::Xlstm { blocks: "ms".into() });
    let (first, second) = (init::<f64>(&config, 3), init::<f64>(&config, 4));
    let src = Sine::new(10, 2);
    let members = [(&first, &config), (&second, &config)];
    let [early, late] = point_loss_on_halves(&members, Loss::Mae, &src, 2);
    let by_hand = mae_on_halves_by_hand(&src, config.horizon, |x| {
        let (a, _) = forecaster::forward(&first, &config, x); // (1, P)
        let (b, _) = forecaster::forward(&second, &config, x);
        ((&a + &b) / 2.0).iter().copied().collect()
    });
    assert!((early - by_hand[0]).abs() < 1e-12, "{early}");
    assert!((late - by_hand[1]).abs() < 1e-12, "{late}");
    let alone = |params| point_loss_on_halves(&[(params, &config)], Loss::Mae, &src, 1);
    let (one, two) = (alone(&first), alone(&second));
    for half in 0..2 {
        let members_mean = (one[half] + two[half]) / 2.0;
        let ours = [early, late][half];
        assert!(
            ours <= members_mean + 1e-12,
            "half {half}: {ours} above {members_mean}"
        );
        assert!(
            ours != members_mean,
            "half {half}: members that differ, a different loss"
        );
    }
}

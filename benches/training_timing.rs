//! Release-mode timing probes of the training loop, on a noisy sine (period 12), lookback 16,
//! horizon 4, width 64, 4 heads, one token per step (T = 16), batch 32, f32 unless said:
//!
//! ```text
//! cargo bench --bench training_timing -- precision   # f32 against f64, two epochs
//! cargo bench --bench training_timing -- shards      # shard sizes and thread counts
//! cargo bench --bench training_timing -- step        # one step: core, forecaster, update
//! cargo bench --bench training_timing -- mlstm_forms # the mLSTM cell's three forms against T
//! cargo bench --bench training_timing -- lstm_lookback # the LSTM layer against T
//! cargo bench --bench training_timing -- lstm_footprint # ... against T and the shard's rows
//! ```
//!
//! Each measurement is the best of two runs. They print timings only, so they are not tests;
//! run them on an otherwise idle machine (timings are meaningless while other work runs).

use std::time::Instant;

use ndarray::{Array2, Array3};
use xlstm::nn::forecaster::{self, CoreKind, ForecasterConfig, ForecasterParams, HeadKind, Layer};
use xlstm::nn::loss::Loss;
use xlstm::nn::mlstm::{MlstmCell, MlstmInput, MlstmState};
use xlstm::nn::optim::{clip_grad_norm, AdamW, AdamWConfig};
use xlstm::nn::rng::Rng;
use xlstm::nn::train::{decays, fit, Precision, TrainConfig, WindowSource};
use xlstm::nn::{lstm, zeros_like};

const USAGE: &str =
    "usage: cargo bench --bench training_timing -- precision|shards|step|mlstm_forms|lstm_lookback|lstm_footprint";

/// Windows of a noisy sine (period 12) around 3, one window per start index.
struct Sine {
    series: Vec<f64>,
}

impl Sine {
    const LOOKBACK: usize = 16;
    const HORIZON: usize = 4;

    fn new(windows: usize, seed: u64) -> Sine {
        let mut rng = Rng::new(seed);
        let series = (0..windows + Self::LOOKBACK + Self::HORIZON - 1)
            .map(|t| 3.0 + (std::f64::consts::TAU * t as f64 / 12.0).sin() + 0.05 * rng.normal())
            .collect();
        Sine { series }
    }
}

impl WindowSource for Sine {
    fn len(&self) -> usize {
        self.series.len() + 1 - Self::LOOKBACK - Self::HORIZON
    }
    fn lookback(&self) -> usize {
        Self::LOOKBACK
    }
    fn horizon(&self) -> usize {
        Self::HORIZON
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        input.copy_from_slice(&self.series[index..index + Self::LOOKBACK]);
        let t = index + Self::LOOKBACK;
        target.copy_from_slice(&self.series[t..t + Self::HORIZON]);
    }
}

/// The probed network: width 64, 4 heads, one token per step, a flattened head.
fn network(kind: CoreKind) -> ForecasterConfig {
    let mut c = ForecasterConfig::new(kind, Sine::LOOKBACK, Sine::HORIZON);
    (c.width, c.heads, c.patch, c.stride, c.head) = (64, 4, 1, 1, HeadKind::Flatten);
    c
}

/// Two epochs, batch 32, without early stopping.
fn two_epochs() -> TrainConfig {
    TrainConfig {
        epochs: 2,
        batch_size: 32,
        warmup_steps: 5,
        patience: 0,
        ..TrainConfig::default()
    }
}

/// The best of two timings of `f`, in seconds.
fn best_of_two(mut f: impl FnMut()) -> f64 {
    (0..2)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// f32 against f64 training of the LSTM, sLSTM and mLSTM cores.
fn precision() {
    let (train, val) = (Sine::new(512, 14), Sine::new(64, 15));
    for kind in [
        CoreKind::Lstm { layers: 1 },
        CoreKind::Xlstm { blocks: "s".into() },
        CoreKind::Xlstm { blocks: "m".into() },
    ] {
        let seconds = [Precision::F32, Precision::F64].map(|precision| {
            let config = TrainConfig {
                precision,
                shard_size: 8,
                ..two_epochs()
            };
            best_of_two(|| {
                fit(&config, network(kind.clone()), &train, &val, &mut |_| {}).expect("training");
            })
        });
        println!(
            "{kind:?}: f32 {:.3} s, f64 {:.3} s, f64/f32 {:.2}",
            seconds[0],
            seconds[1],
            seconds[1] / seconds[0]
        );
    }
}

/// Shard sizes and thread counts of the LSTM and sLSTM cores.
fn shards() {
    let (train, val) = (Sine::new(512, 14), Sine::new(64, 15));
    for kind in [
        CoreKind::Lstm { layers: 1 },
        CoreKind::Xlstm { blocks: "s".into() },
    ] {
        for (shard_size, threads) in [(8, 1), (16, 1), (32, 1), (8, 2), (16, 2)] {
            let config = TrainConfig {
                shard_size,
                threads,
                ..two_epochs()
            };
            let seconds = best_of_two(|| {
                fit(&config, network(kind.clone()), &train, &val, &mut |_| {}).expect("training");
            });
            println!("{kind:?} shard {shard_size} threads {threads}: {seconds:.3} s");
        }
    }
}

/// One training step of the LSTM forecaster (B = 32), broken down: the core layer's forward and
/// backward alone, the whole forecaster's, and forecaster + gradient clipping + AdamW update.
fn step() {
    let config = network(CoreKind::Lstm { layers: 1 });
    let params: ForecasterParams<f32> = forecaster::init(&config, 1);
    let data = Sine::new(32, 16);
    let (mut x, mut y) = (Array2::<f32>::zeros((32, 16)), Array2::<f32>::zeros((32, 4))); // (B, L), (B, H)
    let (mut input, mut target) = ([0.0; 16], [0.0; 4]);
    for b in 0..32 {
        data.fill(b, &mut input, &mut target);
        x.row_mut(b)
            .iter_mut()
            .zip(input)
            .for_each(|(o, v)| *o = v as f32);
        y.row_mut(b)
            .iter_mut()
            .zip(target)
            .for_each(|(o, v)| *o = v as f32);
    }
    let reps = 50;
    let per_rep = |seconds: f64| seconds * 1e3 / reps as f64;
    let Layer::Lstm(core) = &params.layers[0] else {
        unreachable!("an LSTM core")
    };
    let tokens = Array3::<f32>::from_elem((32, 16, 64), 0.1); // (B, T, D)
    let mut core_grads = zeros_like(core);
    let core_ms = per_rep(best_of_two(|| {
        for _ in 0..reps {
            let (h, _, cache) = lstm::forward(core, &tokens, None);
            lstm::backward(core, &cache, &h, None, &mut core_grads);
        }
    }));
    let mut grads = zeros_like(&params);
    let forward_backward = |p: &ForecasterParams<f32>, grads: &mut ForecasterParams<f32>| {
        let (predicted, cache) = forecaster::forward(p, &config, x.view());
        let d = Loss::Mse.backward(predicted.view(), y.view(), 128);
        forecaster::backward(p, &config, &cache, d.view(), grads);
    };
    let model_ms = per_rep(best_of_two(|| {
        (0..reps).for_each(|_| forward_backward(&params, &mut grads))
    }));
    let mut p = params.clone();
    let mut optimiser = AdamW::new(AdamWConfig::default(), &p, decays);
    let step_ms = per_rep(best_of_two(|| {
        for _ in 0..reps {
            forward_backward(&p, &mut grads);
            clip_grad_norm(&mut grads, 1.0);
            optimiser.step(&mut p, &grads, 1e-3);
        }
    }));
    println!("core {core_ms:.2} ms, forecaster {model_ms:.2} ms, training step {step_ms:.2} ms");
}

/// The fastest of `reps` timings of `f`, in milliseconds: on a loaded machine the fastest
/// repetition is the one that ran without being preempted.
fn fastest_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

/// Forward + backward of the mLSTM cell alone for one training shard (B = 16 windows, 4 heads,
/// f32) in its recurrent, parallel and chunkwise forms (chunks of 8, 16, 32), against the
/// sequence length T, at head widths 16 (the default model's and the bench's) and 32; µs per
/// window, the fastest of 15 repetitions.
fn mlstm_forms() {
    let (b, nh) = (16, 4);
    println!("µs per window:");
    println!();
    println!("| d | T | recurrent | parallel | chunk 8 | chunk 16 | chunk 32 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for d in [16, 32] {
        for t in [11, 16, 32, 48, 96, 192, 384] {
            let mut rng = Rng::new(3);
            let mut randn = |shape: (usize, usize, usize), scale: f32, shift: f32| {
                Array3::from_shape_simple_fn(shape, || shift + scale * rng.normal() as f32)
            };
            let e = nh * d;
            let x = MlstmInput {
                q: randn((b, t, e), 1.0, 0.0),
                k: randn((b, t, e), 1.0, 0.0),
                v: randn((b, t, e), 1.0, 0.0),
                i_pre: randn((b, t, nh), 1.0, 0.0),
                f_pre: randn((b, t, nh), 1.0, 3.0),
            };
            let g = randn((b, t, e), 1.0, 0.0);
            let cell = MlstmCell::new(nh);
            let empty = MlstmState::zeros(b, nh, d);
            let per_window = |ms: f64| ms * 1e3 / b as f64;
            let recurrent = per_window(fastest_ms(15, || {
                let (_, _, cache) = cell.forward_recurrent(&x, &empty);
                std::hint::black_box(cell.backward_recurrent(&x, &cache, &g));
            }));
            let parallel = per_window(fastest_ms(15, || {
                let (_, cache) = cell.forward_parallel(&x);
                std::hint::black_box(cell.backward_parallel(&x, &cache, &g));
            }));
            let chunks = [8, 16, 32].map(|chunk| {
                per_window(fastest_ms(15, || {
                    let (_, _, cache) = cell.forward_chunkwise(&x, &empty, chunk);
                    std::hint::black_box(cell.backward_chunkwise(&x, &cache, &g));
                }))
            });
            println!(
                "| {d} | {t} | {recurrent:.1} | {parallel:.1} | {:.1} | {:.1} | {:.1} |",
                chunks[0], chunks[1], chunks[2]
            );
        }
    }
}

/// Forward + backward of one LSTM layer (width 64, f32) for one training shard (B = 16) against
/// T: µs per window and per step, the fastest of 15 repetitions (flat per step = linear in T).
fn lstm_lookback() {
    let mut rng = Rng::new(5);
    let layer = lstm::LstmParams::<f32>::init(64, 64, &mut rng);
    let mut grads = zeros_like(&layer);
    println!("| T | µs per window | ns per window and step |");
    println!("|---:|---:|---:|");
    for t in [48, 96, 192, 384] {
        let x = Array3::from_shape_simple_fn((16, t, 64), || rng.normal() as f32);
        let ms = fastest_ms(15, || {
            let (h, _, cache) = lstm::forward(&layer, &x, None);
            std::hint::black_box(lstm::backward(&layer, &cache, &h, None, &mut grads));
        });
        let per_window = ms * 1e3 / 16.0;
        println!("| {t} | {per_window:.1} | {:.0} |", per_window * 1e3 / t as f64);
    }
}

/// The LSTM's cost per window and step against the footprint of its training cache: shards of
/// B = 4, 8 and 16 windows at every T. The cache (gates, c, tanh c, h_{t−1}: 7H floats per window
/// and step, plus the input and output rows, 2H) grows as B·T; if the cost per step follows the
/// footprint and not T itself, the lookback exponent is a cache effect.
fn lstm_footprint() {
    let mut rng = Rng::new(5);
    let layer = lstm::LstmParams::<f32>::init(64, 64, &mut rng);
    let mut grads = zeros_like(&layer);
    println!("| B | T | cache KiB | ns per window and step |");
    println!("|---:|---:|---:|---:|");
    for b in [4, 8, 16] {
        for t in [48, 96, 192, 384] {
            let x = Array3::from_shape_simple_fn((b, t, 64), || rng.normal() as f32);
            let ms = fastest_ms(15, || {
                let (h, _, cache) = lstm::forward(&layer, &x, None);
                std::hint::black_box(lstm::backward(&layer, &cache, &h, None, &mut grads));
            });
            let kib = (b * t * 9 * 64 * 4) as f64 / 1024.0;
            println!("| {b} | {t} | {kib:.0} | {:.0} |", ms * 1e6 / (b * t) as f64);
        }
    }
}

fn main() {
    // `cargo bench` adds `--bench` to the arguments
    let probe = std::env::args().skip(1).find(|a| a != "--bench");
    match probe.as_deref() {
        Some("precision") => precision(),
        Some("shards") => shards(),
        Some("step") => step(),
        Some("mlstm_forms") => mlstm_forms(),
        Some("lstm_lookback") => lstm_lookback(),
        Some("lstm_footprint") => lstm_footprint(),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

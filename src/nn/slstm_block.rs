//! sLSTM residual block ("post up-projection", `xlstm-math.md` §3.2), input and output (B, T, D),
//! sLSTM hidden width H = D. Derivation: `docs/derivations/slstm.md` §4.
//!
//! ```text
//! u   = LN_cell(x)
//! u_c = SiLU(conv(u))            (only when conv_kernel > 0; otherwise u_c = u)
//! h   = sLSTM(i, f from u_c; z, o from u), zero initial state; dense or head-wise gate inputs
//! x₁  = x + GroupNorm_NH(dropout(h))
//! y   = x₁ + dropout(FFN(LN_ffn(x₁)))
//! ```
//! Dropout (the official places: after the cell, after the FFN's down-projection) acts in
//! training passes only ([`forward_train`]). Backward runs the same chain in reverse; the
//! residual branches add their gradients.
//!
//! Public API: [`SlstmBlockConfig`] (with [`SlstmBlockConfig::new`]); [`init`]`(&config, rng)`;
//! [`forward`]`(&p, &x) -> (y, SlstmBlockCache)` (evaluation) or
//! [`forward_train`]`(&p, &x, &mut dropout)`; [`backward`]`(&p, &cache, &d_y, &mut g) -> d_x`.

use ndarray::Array3;

use super::activation::Activation;
use super::conv::{self, ConvCache, ConvParams};
use super::dropout::{self, Dropout};
use super::ffn::{self, ffn_width, FfnCache, FfnConfig, FfnParams};
use super::norm::{self, NormCache, NormParams};
use super::rng::Rng;
use super::slstm::{self, ForgetInit, SlstmCache, SlstmConfig, SlstmParams};
use super::{join, Float, Params};

/// Sizes and options of one sLSTM block.
#[derive(Clone, Debug)]
pub struct SlstmBlockConfig {
    /// Model width D (= sLSTM hidden width H).
    pub d_model: usize,
    /// sLSTM heads NH (D must be a multiple).
    pub n_heads: usize,
    /// Causal conv kernel on the i/f path; 0 disables the conv.
    pub conv_kernel: usize,
    /// Head-wise gate input projections (the official `LinearHeadwiseExpand`) instead of a
    /// dense (4D, D) matrix.
    pub headwise: bool,
    /// FFN inner width P.
    pub d_ff: usize,
    /// FFN gate activation.
    pub ffn_act: Activation,
    /// Forget-gate bias schedule of the cell.
    pub forget_init: ForgetInit,
    /// Number of blocks in the stack (FFN down-projection init).
    pub num_blocks: usize,
}

impl SlstmBlockConfig {
    /// Defaults for block `block_idx` of `num_blocks`: no conv, dense gate inputs,
    /// P = [`ffn_width`]`(D)`, GELU gate, powerlaw forget-gate bias.
    pub fn new(d_model: usize, n_heads: usize, block_idx: usize, num_blocks: usize) -> Self {
        SlstmBlockConfig {
            d_model,
            n_heads,
            conv_kernel: 0,
            headwise: false,
            d_ff: ffn_width(d_model),
            ffn_act: Activation::Gelu,
            forget_init: ForgetInit::Powerlaw {
                block_idx,
                num_blocks,
            },
            num_blocks,
        }
    }
}

/// Parameters of one block.
#[derive(Clone, Debug)]
pub struct SlstmBlockParams<F> {
    /// Pre-norm of the cell branch.
    pub ln_cell: NormParams<F>, // w (D)
    /// Causal conv on the i/f path; `w` (D, K) and `b` (D), both empty when K = 0.
    pub conv: ConvParams<F>,
    /// The sLSTM cell, input D, hidden D.
    pub cell: SlstmParams<F>,
    /// Head-wise GroupNorm of the cell output.
    pub gn: NormParams<F>, // w (D)
    /// Pre-norm of the FFN branch.
    pub ln_ffn: NormParams<F>, // w (D)
    /// Gated FFN.
    pub ffn: FfnParams<F>,
}

impl<F: Float> Params<F> for SlstmBlockParams<F> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[F])) {
        self.ln_cell.visit(&join(prefix, "ln_cell"), f);
        self.conv.visit(&join(prefix, "conv"), f);
        self.cell.visit(&join(prefix, "cell"), f);
        self.gn.visit(&join(prefix, "gn"), f);
        self.ln_ffn.visit(&join(prefix, "ln_ffn"), f);
        self.ffn.visit(&join(prefix, "ffn"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [F])) {
        self.ln_cell.visit_mut(&join(prefix, "ln_cell"), f);
        self.conv.visit_mut(&join(prefix, "conv"), f);
        self.cell.visit_mut(&join(prefix, "cell"), f);
        self.gn.visit_mut(&join(prefix, "gn"), f);
        self.ln_ffn.visit_mut(&join(prefix, "ln_ffn"), f);
        self.ffn.visit_mut(&join(prefix, "ffn"), f);
    }
}

/// Initialise a block (norm offsets 0, conv PyTorch default, cell and FFN per `xlstm-math.md` §4).
pub fn init<F: Float>(config: &SlstmBlockConfig, rng: &mut Rng) -> SlstmBlockParams<F> {
    let d = config.d_model;
    let conv = if config.conv_kernel > 0 {
        ConvParams::init(d, config.conv_kernel, rng)
    } else {
        ConvParams::none(d)
    };
    let cell_cfg = SlstmConfig {
        d_input: d,
        d_hidden: d,
        n_heads: config.n_heads,
        forget_init: config.forget_init,
        headwise: config.headwise,
    };
    let ffn_cfg = FfnConfig {
        d_model: d,
        d_ff: config.d_ff,
        act: config.ffn_act,
        num_blocks: config.num_blocks,
    };
    SlstmBlockParams {
        ln_cell: NormParams::new(d),
        conv,
        cell: slstm::init(&cell_cfg, rng),
        gn: NormParams::new(d),
        ln_ffn: NormParams::new(d),
        ffn: ffn::init(&ffn_cfg, rng),
    }
}

/// What [`backward`] needs.
#[derive(Clone, Debug)]
pub struct SlstmBlockCache<F> {
    ln_cell: NormCache<F>,
    /// Conv cache and the conv output before SiLU (B, T, D), when the conv is on.
    conv: Option<(ConvCache<F>, Array3<F>)>,
    cell: SlstmCache<F>,
    /// Dropout mask on the cell output, in training passes with dropout.
    cell_mask: Option<Array3<F>>, // (B, T, D)
    gn: NormCache<F>,
    ln_ffn: NormCache<F>,
    ffn: FfnCache<F>,
    /// Dropout mask on the FFN output, in training passes with dropout.
    ffn_mask: Option<Array3<F>>, // (B, T, D)
}

/// One block: `x` (B, T, D) → `y` (B, T, D), no dropout.
pub fn forward<F: Float>(p: &SlstmBlockParams<F>, x: &Array3<F>) -> (Array3<F>, SlstmBlockCache<F>) {
    forward_train(p, x, &mut Dropout::off())
}

/// [`forward`] with `drop` applied to the cell output and to the FFN output (a training pass).
pub fn forward_train<F: Float>(
    p: &SlstmBlockParams<F>,
    x: &Array3<F>,
    drop: &mut Dropout<'_>,
) -> (Array3<F>, SlstmBlockCache<F>) {
    let (u, ln_cell) = norm::layer_norm(&p.ln_cell, x); // (B, T, D)
    let (mut h, conv, cell) = if p.conv.kernel() > 0 {
        let (uc_pre, cc) = conv::forward(&p.conv, &u); // (B, T, D)
        let u_c = Activation::Silu.forward(&uc_pre); // (B, T, D)
        let (h, _, cell) = slstm::forward_split(&p.cell, &u_c, &u, None);
        (h, Some((cc, uc_pre)), cell)
    } else {
        let (h, _, cell) = slstm::forward(&p.cell, &u, None);
        (h, None, cell)
    };
    let cell_mask = drop.apply(&mut h);
    let (g, gn) = norm::group_norm(&p.gn, &h, p.cell.n_heads()); // (B, T, D)
    let x1 = x + &g; // (B, T, D)
    let (v, ln_ffn) = norm::layer_norm(&p.ln_ffn, &x1); // (B, T, D)
    let (mut f, ffn) = ffn::forward(&p.ffn, &v); // (B, T, D)
    let ffn_mask = drop.apply(&mut f);
    let y = x1 + f;
    (
        y,
        SlstmBlockCache {
            ln_cell,
            conv,
            cell,
            cell_mask,
            gn,
            ln_ffn,
            ffn,
            ffn_mask,
        },
    )
}

/// Backward of [`forward`]: adds every parameter gradient into `grads`, returns d_x (B, T, D).
pub fn backward<F: Float>(
    p: &SlstmBlockParams<F>,
    cache: &SlstmBlockCache<F>,
    d_y: &Array3<F>,
    grads: &mut SlstmBlockParams<F>,
) -> Array3<F> {
    let d_f = dropout::backward(cache.ffn_mask.as_ref(), d_y); // (B, T, D)
    let d_v = ffn::backward(&p.ffn, &cache.ffn, &d_f, &mut grads.ffn);
    let d_x1 = d_y + &norm::backward(&p.ln_ffn, &cache.ln_ffn, &d_v, &mut grads.ln_ffn);
    let d_h = norm::backward(&p.gn, &cache.gn, &d_x1, &mut grads.gn);
    let d_h = dropout::backward(cache.cell_mask.as_ref(), &d_h); // (B, T, D)
    let d_u = match &cache.conv {
        Some((cc, uc_pre)) => {
            let (d_uc, d_zo, _) = slstm::backward_split(&p.cell, &cache.cell, &d_h, None, &mut grads.cell);
            let d_uc_pre = Activation::Silu.backward(uc_pre, &d_uc);
            d_zo + conv::backward(&p.conv, cc, &d_uc_pre, &mut grads.conv)
        }
        None => slstm::backward(&p.cell, &cache.cell, &d_h, None, &mut grads.cell).0,
    };
    d_x1 + norm::backward(&p.ln_cell, &cache.ln_cell, &d_u, &mut grads.ln_cell)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::count;
    use crate::nn::gradcheck::{randn, GradCheck};
    use ndarray::s;

    /// D = 8, two heads, P = 8, with the given conv, FFN gate and gate-input layout.
    fn small(conv_kernel: usize, ffn_act: Activation, headwise: bool) -> SlstmBlockConfig {
        SlstmBlockConfig {
            conv_kernel,
            ffn_act,
            headwise,
            d_ff: 8,
            ..SlstmBlockConfig::new(8, 2, 0, 1)
        }
    }

    fn random_block(cfg: &SlstmBlockConfig, seed: u64) -> SlstmBlockParams<f64> {
        let mut rng = Rng::new(seed);
        let mut p = init::<f64>(cfg, &mut rng);
        // Move every tensor away from its special initial value so each path is exercised.
        p.visit_mut("", &mut |_, v| {
            v.iter_mut().for_each(|x| *x += 0.3 * rng.normal())
        });
        p.cell.r.mapv_inplace(|v| v + 0.3 * rng.normal());
        p.cell.b.slice_mut(s![8..16]).fill(2.5);
        p
    }

    /// Gradient check of a training pass with dropout `rate`; the mask generator restarts from
    /// the same state at every evaluation, so the mask is fixed.
    fn check(cfg: SlstmBlockConfig, rate: f64, seed: u64) {
        let p = random_block(&cfg, seed);
        let mut rng = Rng::new(seed + 100);
        let x = randn(&mut rng, &[2, 6, 8], 1.0);
        let g = randn(&mut rng, &[2, 6, 8], 1.0);
        let run = |p: &SlstmBlockParams<f64>, x: &Array3<f64>| {
            forward_train(p, x, &mut Dropout::new(rate, &mut Rng::new(seed + 200)))
        };
        let masks = run(&p, &crate::nn::gradcheck::as3(&x)).1;
        let dropped = masks
            .cell_mask
            .iter()
            .chain(&masks.ffn_mask)
            .flatten()
            .filter(|m| **m == 0.0);
        assert_eq!(dropped.count() > 0, rate > 0.0, "dropout {rate}");
        let what = format!("slstm block {cfg:?}, dropout {rate}");
        GradCheck::default().assert_sequence_layer(&what, p, x, g, run, backward);
    }

    #[test]
    fn block_grads_match_finite_differences_without_conv() {
        check(small(0, Activation::Gelu, false), 0.0, 61);
    }

    #[test]
    fn block_grads_match_finite_differences_with_conv() {
        check(small(3, Activation::Silu, false), 0.0, 62);
        check(small(4, Activation::Gelu, false), 0.0, 63);
    }

    #[test]
    fn block_grads_match_finite_differences_with_headwise_gates() {
        check(small(0, Activation::Gelu, true), 0.0, 64);
        check(small(4, Activation::Gelu, true), 0.0, 65);
    }

    #[test]
    fn block_grads_match_finite_differences_with_dropout() {
        check(small(4, Activation::Gelu, true), 0.3, 66);
        check(small(0, Activation::Silu, false), 0.2, 67);
    }

    /// Evaluation never drops: `forward` equals a training pass with rate 0.
    #[test]
    fn only_training_passes_drop() {
        let p = random_block(&small(4, Activation::Gelu, false), 68);
        let x = Array3::from_shape_fn((2, 5, 8), |(b, t, c)| ((b + 2 * t + 3 * c) as f64).sin());
        let eval = forward(&p, &x).0;
        assert_eq!(
            eval,
            forward_train(&p, &x, &mut Dropout::new(0.0, &mut Rng::new(1))).0
        );
        assert_ne!(
            eval,
            forward_train(&p, &x, &mut Dropout::new(0.5, &mut Rng::new(1))).0
        );
    }

    /// Head-wise gate inputs hold 4·D·DH weights instead of 4·D², and the official FFN width
    /// (⌈1.3·D⌉ rounded to 64) replaces P.
    #[test]
    fn headwise_gates_and_official_ffn_parameter_count() {
        let cfg = SlstmBlockConfig {
            conv_kernel: 4,
            headwise: true,
            d_ff: crate::nn::ffn::width(16, crate::nn::ffn::FfnFactor::OnePointThree, 64),
            ..SlstmBlockConfig::new(16, 4, 0, 2)
        };
        let p = init::<f64>(&cfg, &mut Rng::new(1));
        assert_eq!((p.cell.w_x.dim(), cfg.d_ff), ((64, 4), 64));
        // LN, GN, LN: 3·16; conv 16·4 + 16; cell 64·4 + 4·4·16 + 64; FFN 2·64·16 + 16·64.
        let want = 3 * 16 + (16 * 4 + 16) + (64 * 4 + 4 * 4 * 16 + 64) + (2 * 64 * 16 + 16 * 64);
        assert_eq!(count(&p), want);
    }

    #[test]
    fn init_shapes_and_parameter_count() {
        let mut rng = Rng::new(1);
        let cfg = SlstmBlockConfig {
            conv_kernel: 4,
            ..SlstmBlockConfig::new(16, 4, 0, 2)
        };
        let p = init::<f32>(&cfg, &mut rng);
        let pw = ffn_width(16); // 24
                                // LN, GN, LN: 3·16; conv 16·4 + 16; cell 64·16 + 4·4·16 + 64; FFN 2·24·16 + 16·24.
        let want = 3 * 16 + (16 * 4 + 16) + (64 * 16 + 4 * 4 * 16 + 64) + (2 * pw * 16 + 16 * pw);
        assert_eq!(count(&p), want);
        let x = Array3::<f32>::from_elem((2, 5, 16), 0.1);
        let (y, _) = forward(&p, &x);
        assert_eq!(y.dim(), (2, 5, 16));
        assert!(y.iter().all(|v| v.is_finite()));
    }
}

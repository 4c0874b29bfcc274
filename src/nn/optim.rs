//! AdamW, global gradient-norm clipping and the warm-up + cosine learning-rate schedule.
//!
//! AdamW (Loshchilov & Hutter 2019) with bias correction and *decoupled* weight decay, in the form
//! PyTorch uses: at step t (from 1), for every parameter p with gradient g,
//!
//! ```text
//! p ← p − lr·λ·p                       (decay, only for tensors selected by the decay mask)
//! m ← β1·m + (1 − β1)·g
//! v ← β2·v + (1 − β2)·g²
//! p ← p − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
//! ```
//!
//! The moments m, v are stored in the same [`Params`] type as the parameters. Tensors are matched
//! by their position in the visit order, which [`Params`] guarantees to be fixed.

use super::{cast, Float, Params};

/// AdamW hyper-parameters (the learning rate comes from the schedule at each step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    /// Decay rate of the first moment.
    pub beta1: f64,
    /// Decay rate of the second moment.
    pub beta2: f64,
    /// Added to √v̂ in the denominator.
    pub eps: f64,
    /// Decoupled weight decay λ (multiplied by the learning rate).
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 1e-4,
        }
    }
}

/// AdamW state for one parameter set `P`.
#[derive(Debug, Clone)]
pub struct AdamW<F, P> {
    /// Hyper-parameters.
    pub config: AdamWConfig,
    /// First moments, shaped like the parameters.
    m: P,
    /// Second moments, shaped like the parameters.
    v: P,
    /// Steps taken so far.
    t: u64,
    /// Per tensor (visit order): whether weight decay applies.
    decay: Vec<bool>,
    /// Per tensor (visit order): factor on the learning rate (1 unless set; 0 freezes a tensor).
    lr_scale: Vec<f64>,
    /// Flat scratch: the gradients of the current step (all tensors, visit order).
    g: Vec<F>,
    /// Flat scratch: the Adam direction m̂ / (√v̂ + ε).
    u: Vec<F>,
}

impl<F: Float, P: Params<F> + Clone> AdamW<F, P> {
    /// Zero moments for `params`; `decays(name)` selects the tensors that get weight decay.
    pub fn new(config: AdamWConfig, params: &P, decays: impl Fn(&str) -> bool) -> Self {
        let zeros = super::zeros_like(params);
        let mut decay = Vec::new();
        params.visit("", &mut |name, _| decay.push(decays(name)));
        let n = super::count(params);
        let lr_scale = vec![1.0; decay.len()];
        AdamW {
            config,
            m: zeros.clone(),
            v: zeros,
            t: 0,
            decay,
            lr_scale,
            g: vec![F::zero(); n],
            u: vec![F::zero(); n],
        }
    }

    /// Multiply the learning rate (and the decay) of each tensor by `scale(name)`; 0 freezes it.
    pub fn scale_lr(mut self, params: &P, scale: impl Fn(&str) -> f64) -> Self {
        let mut k = 0;
        let lr_scale = &mut self.lr_scale;
        params.visit("", &mut |name, _| {
            lr_scale[k] = scale(name);
            k += 1;
        });
        self
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One AdamW update of `params` with `grads` at learning rate `lr`.
    pub fn step(&mut self, params: &mut P, grads: &P, lr: f64) {
        self.t += 1;
        let c = self.config;
        let (b1, b2): (F, F) = (cast(c.beta1), cast(c.beta2));
        let bc1: F = cast(1.0 - c.beta1.powi(self.t as i32));
        let bc2: F = cast(1.0 - c.beta2.powi(self.t as i32));
        let eps: F = cast(c.eps);
        let one = F::one();

        let g = &mut self.g;
        let mut off = 0;
        grads.visit("", &mut |_, vals| {
            g[off..off + vals.len()].copy_from_slice(vals);
            off += vals.len();
        });
        let u = &mut self.u;
        let mut off = 0;
        self.m.visit_mut("", &mut |_, m| {
            for (j, m) in m.iter_mut().enumerate() {
                *m = b1 * *m + (one - b1) * g[off + j];
                u[off + j] = *m / bc1;
            }
            off += m.len();
        });
        let mut off = 0;
        self.v.visit_mut("", &mut |_, v| {
            for (j, v) in v.iter_mut().enumerate() {
                let gj = g[off + j];
                *v = b2 * *v + (one - b2) * gj * gj;
                u[off + j] /= (*v / bc2).sqrt() + eps;
            }
            off += v.len();
        });
        let (mut off, mut tensor) = (0, 0);
        let (decay, lr_scale) = (&self.decay, &self.lr_scale);
        params.visit_mut("", &mut |_, p| {
            let lr = lr * lr_scale[tensor];
            let lr_f: F = cast(lr);
            let decay_f: F = cast(lr * c.weight_decay);
            let keep = if decay[tensor] { one - decay_f } else { one };
            for (j, p) in p.iter_mut().enumerate() {
                *p = *p * keep - lr_f * u[off + j];
            }
            off += p.len();
            tensor += 1;
        });
    }
}

/// Global L2 norm of all gradient entries (accumulated in f64).
pub fn grad_norm<F: Float, P: Params<F>>(grads: &P) -> f64 {
    let mut sum = 0.0f64;
    grads.visit("", &mut |_, vals| {
        for &x in vals {
            let x = x.to_f64().unwrap_or(f64::NAN);
            sum += x * x;
        }
    });
    sum.sqrt()
}

/// Scale all gradients by `max_norm / norm` when their global norm exceeds `max_norm`.
/// Returns the norm before clipping (non-finite norms are returned and nothing is scaled).
pub fn clip_grad_norm<F: Float, P: Params<F>>(grads: &mut P, max_norm: f64) -> f64 {
    let norm = grad_norm(grads);
    if norm.is_finite() && norm > max_norm {
        let scale: F = cast(max_norm / norm);
        grads.visit_mut("", &mut |_, vals| vals.iter_mut().for_each(|x| *x *= scale));
    }
    norm
}

/// Linear warm-up from `base_lr / warmup_steps` to `base_lr` over the first `warmup_steps` steps,
/// then cosine decay to `min_lr` at `total_steps` (constant `min_lr` afterwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSchedule {
    /// Peak learning rate (reached at the end of warm-up).
    pub base_lr: f64,
    /// Final learning rate.
    pub min_lr: f64,
    /// Warm-up length in steps (0: no warm-up).
    pub warmup_steps: usize,
    /// Total number of steps of the run.
    pub total_steps: usize,
}

impl LrSchedule {
    /// Learning rate of step `step` (0-based).
    pub fn at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.base_lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    #[derive(Debug, Clone)]
    struct Two<F> {
        w: Array1<F>, // (2)
        b: Array1<F>, // (1)
    }
    crate::impl_params!(Two { w, b });

    /// lr 0.1, λ 0.01, β1 0.9, β2 0.999, ε 1e-8, first step (bias corrections 0.1 and 0.001):
    /// w0 = 1, g = 0.5: decay → 0.999; m̂ = 0.5, v̂ = 0.25, step 0.1·0.5/(0.5 + 1e-8) = 0.099999998
    ///   → 0.899000002.
    /// w1 = −2, g = −0.1: decay → −1.998; m̂ = −0.1, v̂ = 0.01, step −0.1·0.1/(0.1 + 1e-8)
    ///   = −0.09999999 → −1.89800001.
    /// b = 3, g = 2, no decay for `b`: m̂ = 2, v̂ = 4, step 0.1·2/(2 + 1e-8) = 0.0999999995
    ///   → 2.9000000005.
    #[test]
    fn adamw_first_step_matches_hand_computation() {
        let mut p: Two<f64> = Two {
            w: array![1.0, -2.0],
            b: array![3.0],
        };
        let g = Two {
            w: array![0.5, -0.1],
            b: array![2.0],
        };
        let config = AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let mut opt = AdamW::new(config, &p, |name| name == "w");
        opt.step(&mut p, &g, 0.1);
        assert!((p.w[0] - 0.899000002).abs() < 1e-12, "{}", p.w[0]);
        assert!((p.w[1] - -1.89800001).abs() < 1e-12, "{}", p.w[1]);
        assert!((p.b[0] - 2.9000000005).abs() < 1e-12, "{}", p.b[0]);
        assert_eq!(opt.steps(), 1);
    }

    /// Second step with the same gradient g = 0.5 on w0 (no decay): m = 0.095, v = 0.00049975,
    /// m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25 → the step is again ≈ lr.
    #[test]
    fn adamw_constant_gradient_moves_by_about_lr_each_step() {
        let mut p: Two<f64> = Two {
            w: array![1.0, 0.0],
            b: array![0.0],
        };
        let g = Two {
            w: array![0.5, 0.0],
            b: array![0.0],
        };
        let config = AdamWConfig {
            weight_decay: 0.0,
            ..Default::default()
        };
        let mut opt = AdamW::new(config, &p, |_| true);
        opt.step(&mut p, &g, 0.1);
        opt.step(&mut p, &g, 0.1);
        assert!((p.w[0] - 0.8).abs() < 1e-7, "{}", p.w[0]);
        assert_eq!(p.w[1], 0.0);
    }

    #[test]
    fn clipping_scales_to_the_norm_and_leaves_small_gradients_alone() {
        let mut g: Two<f64> = Two {
            w: array![3.0, 0.0],
            b: array![4.0],
        };
        let before = clip_grad_norm(&mut g, 1.0);
        assert!((before - 5.0).abs() < 1e-15);
        assert!((grad_norm(&g) - 1.0).abs() < 1e-15);
        assert!((g.w[0] - 0.6).abs() < 1e-15 && (g.b[0] - 0.8).abs() < 1e-15);
        let mut small: Two<f64> = Two {
            w: array![0.3, 0.0],
            b: array![0.4],
        };
        clip_grad_norm(&mut small, 1.0);
        assert_eq!(small.w[0], 0.3);
        assert_eq!(small.b[0], 0.4);
    }

    #[test]
    fn schedule_warms_up_linearly_then_decays_to_the_minimum() {
        let s = LrSchedule {
            base_lr: 1e-3,
            min_lr: 1e-5,
            warmup_steps: 10,
            total_steps: 110,
        };
        assert!((s.at(0) - 1e-4).abs() < 1e-18);
        assert!((s.at(4) - 5e-4).abs() < 1e-18);
        assert!((s.at(9) - 1e-3).abs() < 1e-18);
        assert!((s.at(10) - 1e-3).abs() < 1e-18);
        assert!((s.at(60) - (1e-5 + 0.5 * (1e-3 - 1e-5))).abs() < 1e-15);
        assert!((s.at(110) - 1e-5).abs() < 1e-18);
        assert!((s.at(500) - 1e-5).abs() < 1e-18);
        for k in 10..110 {
            assert!(s.at(k + 1) <= s.at(k));
        }
    }
}

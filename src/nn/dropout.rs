//! Inverted dropout for training forward passes. Derivation: `docs/derivations/layers.md` §7.
//!
//! ```text
//! forward:  y = x ⊙ mask,  mask = 0 with probability p, 1/(1 − p) otherwise
//! backward: δx = δy ⊙ mask
//! ```
//! The expected value of y is x, so evaluation and prediction use the network unchanged (they
//! pass [`Dropout::off`] and draw nothing). A training pass draws every mask from one
//! generator in a fixed order (layer by layer, entries in row-major order); the trainer seeds it
//! from the training seed, the optimiser step and the shard index ([`mask_rng`]), never from the
//! thread that runs the shard, so masks and results are the same for any thread count. With
//! p = 0 nothing is drawn and the pass is the evaluation pass, bit for bit.
//!
//! Public API: [`Dropout::off`], [`Dropout::new`]`(rate, &mut rng)`, [`Dropout::with_rate`];
//! [`Dropout::apply`]`(&mut x) -> Option<mask>`; [`backward`]`(mask, &d) -> δx`.

use std::borrow::Cow;

use ndarray::{Array, Dimension};

use super::rng::Rng;
use super::{cast, Float};

/// The dropout of one forward pass: a rate and the mask generator, or nothing (evaluation).
#[derive(Debug)]
pub struct Dropout<'a> {
    rate: f64,
    rng: Option<&'a mut Rng>,
}

impl Dropout<'static> {
    /// No dropout (evaluation and prediction).
    pub fn off() -> Self {
        Dropout { rate: 0.0, rng: None }
    }
}

impl<'a> Dropout<'a> {
    /// Drop entries with probability `rate` (in [0, 1)), masks drawn from `rng`.
    pub fn new(rate: f64, rng: &'a mut Rng) -> Self {
        debug_assert!((0.0..1.0).contains(&rate), "dropout rate {rate} outside [0, 1)");
        Dropout { rate, rng: Some(rng) }
    }

    /// The same generator with another rate (the head's dropout beside the blocks').
    pub fn with_rate(&mut self, rate: f64) -> Dropout<'_> {
        Dropout {
            rate,
            rng: self.rng.as_deref_mut(),
        }
    }

    /// Whether this pass drops anything.
    pub fn is_on(&self) -> bool {
        self.rng.is_some() && self.rate > 0.0
    }

    /// Multiply `x` by a fresh mask in place and return the mask (the cache of the backward
    /// pass), or leave `x` alone and return `None` when off.
    pub fn apply<F: Float, D: Dimension>(&mut self, x: &mut Array<F, D>) -> Option<Array<F, D>> {
        if !self.is_on() {
            return None;
        }
        let (rate, rng) = (self.rate, self.rng.as_deref_mut()?);
        let keep: F = cast(1.0 / (1.0 - rate));
        let mask =
            Array::from_shape_simple_fn(
                x.raw_dim(),
                || {
                    if rng.uniform() < rate {
                        F::zero()
                    } else {
                        keep
                    }
                },
            );
        *x *= &mask;
        Some(mask)
    }
}

/// Backward of [`Dropout::apply`]: `d ⊙ mask`, or `d` itself (not copied) when the pass dropped
/// nothing.
pub fn backward<'a, F: Float, D: Dimension>(
    mask: Option<&Array<F, D>>,
    d: &'a Array<F, D>,
) -> Cow<'a, Array<F, D>> {
    match mask {
        Some(mask) => Cow::Owned(d * mask),
        None => Cow::Borrowed(d),
    }
}

/// The mask generator of one shard of one training step: a function of the training seed, the
/// optimiser step and the shard's index in the batch only.
pub fn mask_rng(seed: u64, step: usize, shard: usize) -> Rng {
    let mut rng = Rng::new(seed ^ 0x6472_6f70_6f75_7421); // "dropout!"
    let step_key = rng.next_u64() ^ step as u64;
    let mut rng = Rng::new(step_key);
    Rng::new(rng.next_u64() ^ shard as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn masks_drop_about_the_rate_and_keep_the_mean() {
        let mut rng = Rng::new(1);
        let mut x = Array2::<f64>::ones((200, 50));
        let mask = Dropout::new(0.3, &mut rng).apply(&mut x).unwrap();
        let dropped = mask.iter().filter(|m| **m == 0.0).count() as f64 / mask.len() as f64;
        assert!((dropped - 0.3).abs() < 0.02, "dropped {dropped}");
        assert!(mask.iter().all(|m| *m == 0.0 || (*m - 1.0 / 0.7).abs() < 1e-15));
        assert_eq!(x, mask, "x = 1 ⊙ mask");
        assert!(
            (x.mean().unwrap() - 1.0).abs() < 0.03,
            "mean {}",
            x.mean().unwrap()
        );
    }

    #[test]
    fn off_and_rate_zero_draw_nothing_and_change_nothing() {
        let mut rng = Rng::new(2);
        let before = rng.clone().next_u64();
        let mut x = Array2::<f32>::from_elem((3, 4), 2.5);
        assert!(Dropout::off().apply(&mut x).is_none());
        assert!(Dropout::new(0.0, &mut rng).apply(&mut x).is_none());
        assert!(x.iter().all(|v| *v == 2.5));
        assert_eq!(rng.next_u64(), before, "rate 0 drew from the generator");
    }

    #[test]
    fn backward_multiplies_by_the_same_mask() {
        let mut rng = Rng::new(3);
        let mut x = Array2::<f64>::from_elem((4, 5), 1.0);
        let mask = Dropout::new(0.5, &mut rng).apply(&mut x);
        let d = backward(mask.as_ref(), &Array2::from_elem((4, 5), 3.0)).into_owned();
        assert_eq!(d, &x * 3.0);
        assert!(d.iter().any(|v| *v == 0.0) && d.iter().any(|v| *v == 6.0));
    }

    #[test]
    fn shard_generators_depend_on_seed_step_and_shard_only() {
        let draw = |seed, step, shard| mask_rng(seed, step, shard).next_u64();
        assert_eq!(draw(7, 3, 1), draw(7, 3, 1));
        let others = [draw(8, 3, 1), draw(7, 4, 1), draw(7, 3, 2), draw(7, 1, 3)];
        assert!(others.iter().all(|v| *v != draw(7, 3, 1)), "{others:?}");
    }
}

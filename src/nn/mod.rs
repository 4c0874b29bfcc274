//! Hand-written neural-network layers with explicit forward and backward passes.
//!
//! Dimension letters used in shape comments throughout `nn`:
//! `B` batch, `T` time steps (tokens), `D` input / model width, `H` hidden width,
//! `NH` heads, `DH` head width (`H / NH`), `E` mLSTM inner width, `P` forecast horizon.
//!
//! # The layer contract
//! 1. Parameters are ndarray fields in standard (row-major, contiguous) layout, each with a shape
//!    comment. Every parameter struct implements [`Params`], which lists `(name, slice)` pairs in a
//!    fixed order; gradients use **the same struct type**, built with [`zeros_like`]. Optimiser,
//!    gradient check, parameter count, gradient clipping and the model file all iterate that list.
//! 2. `forward(&params, input, ..) -> (output, Cache)` is pure; the cache keeps exactly what the
//!    backward pass needs.
//! 3. `backward(&params, &cache, d_output, &mut grads) -> d_input` **adds** into `grads` (`+=`), so
//!    residual fan-out and shared weights need no special cases; the trainer zeroes gradients once
//!    per step.
//! 4. Recurrences run t = 0..T forward and t = T-1 down to 0 backward. The xLSTM stabiliser `m` is a
//!    constant in the backward pass (exact by gauge invariance, `xlstm-math.md` §5.1).
//! 5. Layers are generic over [`Float`] so that gradient checks run in `f64` and training may run in
//!    `f32`. Hot loops allocate nothing per time step; inputs for all time steps are projected with
//!    one matrix product before the recurrence.
//! 6. Shape mismatches inside `nn` are programmer errors (`debug_assert!`); user data is validated
//!    before it gets here.

pub mod activation;
pub mod blend;
pub mod conv;
pub mod dropout;
pub mod fastmath;
pub mod ffn;
pub mod forecaster;
pub mod gradcheck;
pub mod headwise;
pub mod kernel;
pub mod linear;
pub mod loss;
pub mod lstm;
pub mod mlstm;
pub mod mlstm_block;
pub mod mlstm_chunkwise;
pub mod mlstm_layer;
pub mod mlstm_parallel;
pub mod norm;
pub mod optim;
pub mod parallel;
pub mod patch;
pub mod quantile;
pub mod revin;
pub mod rng;
pub mod slstm;
pub mod slstm_block;
pub mod train;

use ndarray::NdFloat;
use num_traits::FromPrimitive;

/// The floating-point types the layers run in (`f32` for speed, `f64` for gradient checks).
pub trait Float: NdFloat + FromPrimitive + Default + fastmath::FastMath {}
impl Float for f32 {}
impl Float for f64 {}

/// Convert an `f64` constant into the layer's float type.
#[inline]
pub fn cast<F: Float>(x: f64) -> F {
    F::from_f64(x).expect("finite constant")
}

/// A set of named parameter tensors. Gradients are stored in the same type.
pub trait Params<F> {
    /// Visit every tensor, in a fixed order, as `(dotted name, contiguous values)`.
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[F]));
    /// The mutable twin of [`Params::visit`], in the same order.
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [F]));
}

/// Join a prefix and a field name with a dot (`"block0" + "w" -> "block0.w"`).
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A copy of `params` with every entry set to zero: the gradient buffer for it.
pub fn zeros_like<F: Float, P: Params<F> + Clone>(params: &P) -> P {
    let mut grads = params.clone();
    fill(&mut grads, F::zero());
    grads
}

/// Set every entry of every tensor to `value`.
pub fn fill<F: Float, P: Params<F>>(params: &mut P, value: F) {
    params.visit_mut("", &mut |_, values| values.iter_mut().for_each(|x| *x = value));
}

/// Number of scalar parameters.
pub fn count<F: Float, P: Params<F>>(params: &P) -> usize {
    let mut total = 0;
    params.visit("", &mut |_, values| total += values.len());
    total
}

/// Implement [`Params`] for a struct whose listed fields are ndarray arrays or nested `Params`.
///
/// ```text
/// impl_params!(LinearParams { w, b });            // arrays
/// impl_params!(BlockParams { norm, cell } nested); // fields that implement Params themselves
/// ```
#[macro_export]
macro_rules! impl_params {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl<F: $crate::nn::Float> $crate::nn::Params<F> for $ty<F> {
            fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[F])) {
                $( f(&$crate::nn::join(prefix, stringify!($field)),
                     self.$field.as_slice().expect("parameters are contiguous")); )*
            }
            fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [F])) {
                $( f(&$crate::nn::join(prefix, stringify!($field)),
                     self.$field.as_slice_mut().expect("parameters are contiguous")); )*
            }
        }
    };
}

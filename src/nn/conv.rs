//! Causal depthwise 1-D convolution over time, kernel K, with bias and zero left padding
//! (`xlstm-math.md` §3.2, §5.6). Each channel has its own K taps; output step t sees inputs
//! t−K+1 ..= t only. Derivation: `docs/derivations/layers.md` §4.
//!
//! ```text
//! forward:  y[b,t,c] = bias[c] + Σ_{j<K} w[c,j] x[b, t−K+1+j, c]      (x = 0 before t = 0)
//! backward: d_x[b,s,c] = Σ_j w[c,j] d_y[b, s+K−1−j, c]   (terms with s+K−1−j < T)
//!           ∇w[c,j] += Σ_{b,t} d_y[b,t,c] x[b,t−K+1+j,c];  ∇bias[c] += Σ_{b,t} d_y[b,t,c]
//! ```
//! The cache keeps the input x (B, T, D). K = 0 is no convolution: y = x, with no taps and no
//! bias ([`ConvParams::none`]), as the official `CausalConv1d` with kernel size 0.
//!
//! Public API: [`ConvParams::init`]`(d, kernel, rng)`; [`forward`]`(&p, &x) -> (y, ConvCache)`;
//! [`backward`]`(&p, &cache, &d_y, &mut g) -> d_x`. All tensors are (B, T, D).

use ndarray::{s, Array1, Array2, Array3, Axis, Zip};

use super::rng::Rng;
use super::{cast, Float};

/// Taps and bias of a causal depthwise convolution.
#[derive(Clone, Debug)]
pub struct ConvParams<F> {
    /// Taps; `w[c, K−1]` multiplies the current step.
    pub w: Array2<F>, // (D, K)
    /// Bias per channel.
    pub b: Array1<F>, // (D)
}
crate::impl_params!(ConvParams { w, b });

/// What [`backward`] needs: the input.
#[derive(Clone, Debug)]
pub struct ConvCache<F> {
    /// Conv input.
    pub x: Array3<F>, // (B, T, D)
}

impl<F: Float> ConvParams<F> {
    /// PyTorch's default for a depthwise conv (fan-in K): taps and bias ~ U(±1/√K).
    pub fn init(d: usize, kernel: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (kernel.max(1) as f64).sqrt();
        let w = Array2::from_shape_fn((d, kernel), |_| cast(rng.uniform_range(-bound, bound)));
        let b = Array1::from_shape_fn(d, |_| cast(rng.uniform_range(-bound, bound)));
        ConvParams { w, b }
    }

    /// No convolution (K = 0): no taps, no bias; [`forward`] is the identity.
    pub fn none(d: usize) -> Self {
        ConvParams {
            w: Array2::zeros((d, 0)),
            b: Array1::zeros(0),
        }
    }

    /// Kernel size K.
    pub fn kernel(&self) -> usize {
        self.w.ncols()
    }
}

/// Causal depthwise convolution of `x` (B, T, D) → (B, T, D).
pub fn forward<F: Float>(p: &ConvParams<F>, x: &Array3<F>) -> (Array3<F>, ConvCache<F>) {
    let (bs, t_len, d) = x.dim();
    debug_assert_eq!(p.w.nrows(), d, "conv: channels");
    let k = p.kernel();
    if k == 0 {
        return (x.clone(), ConvCache { x: x.clone() });
    }
    let w_t = p.w.t().as_standard_layout().into_owned(); // (K, D), rows contiguous
    let mut y = Array3::<F>::zeros((bs, t_len, d)); // (B, T, D)
    for b in 0..bs {
        for t in 0..t_len {
            let mut yr = y.slice_mut(s![b, t, ..]);
            yr.assign(&p.b);
            for j in 0..k {
                let Some(s) = (t + j + 1).checked_sub(k) else {
                    continue;
                };
                Zip::from(&mut yr)
                    .and(w_t.row(j))
                    .and(x.slice(s![b, s, ..]))
                    .for_each(|y, &w, &v| *y += w * v);
            }
        }
    }
    (y, ConvCache { x: x.clone() })
}

/// Backward of [`forward`]: adds ∇w, ∇b into `grads`, returns d_x (B, T, D).
pub fn backward<F: Float>(
    p: &ConvParams<F>,
    cache: &ConvCache<F>,
    d_y: &Array3<F>,
    grads: &mut ConvParams<F>,
) -> Array3<F> {
    let x = &cache.x;
    let (bs, t_len, d) = x.dim();
    let k = p.kernel();
    if k == 0 {
        return d_y.clone();
    }
    let mut d_x = Array3::<F>::zeros((bs, t_len, d)); // (B, T, D)
    let mut d_w_t = Array2::<F>::zeros((k, d)); // (K, D)
    let w_t = p.w.t().as_standard_layout().into_owned(); // (K, D)
    for b in 0..bs {
        for t in 0..t_len {
            let dy = d_y.slice(s![b, t, ..]);
            for j in 0..k {
                let Some(s) = (t + j + 1).checked_sub(k) else {
                    continue;
                };
                Zip::from(d_w_t.row_mut(j))
                    .and(d_x.slice_mut(s![b, s, ..]))
                    .and(dy)
                    .and(x.slice(s![b, s, ..]))
                    .and(w_t.row(j))
                    .for_each(|dw, dx, &g, &v, &w| {
                        *dw += g * v;
                        *dx += g * w;
                    });
            }
        }
    }
    grads.w += &d_w_t.t();
    grads.b += &d_y.sum_axis(Axis(0)).sum_axis(Axis(0));
    d_x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as3, randn, GradCheck};
    use ndarray::array;

    /// One channel, K = 2, w = [0.5, 2] (0.5 on the previous step), bias 1, x = [1, 2, 3]:
    /// y0 = 1 + 2·1 = 3 (zero padding), y1 = 1 + 0.5·1 + 2·2 = 5.5, y2 = 1 + 0.5·2 + 2·3 = 8.
    #[test]
    fn hand_computed_causal_conv() {
        let p = ConvParams {
            w: array![[0.5, 2.0]],
            b: array![1.0],
        };
        let x = Array3::from_shape_vec((1, 3, 1), vec![1.0, 2.0, 3.0]).unwrap();
        let (y, _) = forward(&p, &x);
        assert_eq!(y.iter().copied().collect::<Vec<f64>>(), vec![3.0, 5.5, 8.0]);
    }

    #[test]
    fn output_does_not_depend_on_future_inputs() {
        let mut rng = Rng::new(4);
        let p = ConvParams::<f64>::init(3, 4, &mut rng);
        let x = as3(&randn(&mut rng, &[1, 6, 3], 1.0));
        let mut x2 = x.clone();
        x2[[0, 4, 1]] += 1.0;
        let (y, _) = forward(&p, &x);
        let (y2, _) = forward(&p, &x2);
        for t in 0..6 {
            let same = (0..3).all(|c| y[[0, t, c]] == y2[[0, t, c]]);
            assert_eq!(same, t < 4, "step {t}");
        }
    }

    #[test]
    fn kernel_zero_is_the_identity_without_parameters() {
        let mut rng = Rng::new(5);
        let p = ConvParams::<f64>::none(3);
        assert_eq!((p.kernel(), crate::nn::count(&p)), (0, 0));
        let x = as3(&randn(&mut rng, &[2, 4, 3], 1.0));
        let (y, cache) = forward(&p, &x);
        assert_eq!(y, x);
        let d_y = as3(&randn(&mut rng, &[2, 4, 3], 1.0));
        let mut grads = crate::nn::zeros_like(&p);
        assert_eq!(backward(&p, &cache, &d_y, &mut grads), d_y);
    }

    #[test]
    fn conv_grads_match_finite_differences() {
        let mut rng = Rng::new(9);
        let p = ConvParams::<f64>::init(3, 4, &mut rng);
        let x = randn(&mut rng, &[2, 7, 3], 1.0);
        let g = randn(&mut rng, &[2, 7, 3], 1.0);
        GradCheck::default().assert_sequence_layer("conv", p, x, g, forward, backward);
    }
}

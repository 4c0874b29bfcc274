//! Patch embedding: a lookback window (B, L) becomes a token sequence (B, T, D).
//!
//! With K input channels (the target and K − 1 covariates, `crate::data::covariates`) the window
//! is (B, K·L), channel after channel, and each token's patch holds the p values of every channel
//! at the same positions, (p·K) values, channel after channel.
//!
//! The window is cut into T = (L − p)/s + 1 patches of length p with stride s (p = s = 1: one
//! token per time step). Patches are aligned to the **end** of the window, so the most recent value
//! is always in the last patch; when (L − p) is not a multiple of s the first
//! `offset = (L − p) mod s` values are unused. Each patch goes through one shared dense layer
//! p → D with bias (`nn::linear`), all B·T patches in one matrix product.
//!
//! Backward (`docs/derivations/forecaster.md` §2): the dense layer gives δpatches (B·T, p); the
//! input gradient scatter-adds them back, δx[b, offset + t·s + j] += δpatch[b·T + t, j]
//! (overlapping patches, s < p, add up).

use ndarray::{Array2, Array3, ArrayView2, ArrayView3};

use super::linear::{self, LinearParams};
use super::rng::Rng;
use super::Float;

/// Geometry of the patching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchGeometry {
    /// Window length L.
    pub lookback: usize,
    /// Patch length p (≤ L).
    pub patch: usize,
    /// Stride s (≥ 1).
    pub stride: usize,
    /// Input channels K (≥ 1): the target, then the covariates.
    pub channels: usize,
}

impl PatchGeometry {
    /// Number of tokens T = (L − p)/s + 1.
    pub fn tokens(&self) -> usize {
        (self.lookback - self.patch) / self.stride + 1
    }

    /// Index of the first value used: the patches end exactly at the end of the window.
    pub fn offset(&self) -> usize {
        self.lookback - self.patch - (self.tokens() - 1) * self.stride
    }

    /// Values of one patch, p·K.
    pub fn patch_width(&self) -> usize {
        self.patch * self.channels
    }
}

/// The patch embedding is one dense layer p·K → D with bias, `w` (D, p·K), `b` (D).
pub type PatchParams<F> = LinearParams<F>;

/// PyTorch-default scale for the embedding: std √(1/(3pK)) (the variance of U(±1/√(pK))), bias zero.
pub fn init<F: Float>(geometry: &PatchGeometry, width: usize, rng: &mut Rng) -> PatchParams<F> {
    let fan_in = geometry.patch_width();
    let std = (1.0 / (3.0 * fan_in as f64)).sqrt();
    LinearParams::init(fan_in, width, true, std, rng)
}

/// What [`backward`] needs: the patch matrix.
#[derive(Debug, Clone)]
pub struct PatchCache<F> {
    /// All patches as rows, row b·T + t, (B·T, p·K).
    pub patches: Array2<F>,
}

/// Cut `x` (B, K·L) into patches, (B·T, p·K).
pub fn unfold<F: Float>(geometry: &PatchGeometry, x: ArrayView2<F>) -> Array2<F> {
    let (b, width) = x.dim();
    let (l, channels) = (geometry.lookback, geometry.channels);
    debug_assert_eq!(width, l * channels, "patch: window length");
    let (t, p, s, off) = (
        geometry.tokens(),
        geometry.patch,
        geometry.stride,
        geometry.offset(),
    );
    let mut patches = Array2::zeros((b * t, p * channels)); // (B·T, p·K)
    for r in 0..b {
        let row = x.row(r);
        for k in 0..t {
            let start = off + k * s;
            for c in 0..channels {
                for j in 0..p {
                    patches[[r * t + k, c * p + j]] = row[c * l + start + j];
                }
            }
        }
    }
    patches
}

/// Embed `x` (B, K·L) into tokens (B, T, D).
pub fn forward<F: Float>(
    params: &PatchParams<F>,
    geometry: &PatchGeometry,
    x: ArrayView2<F>,
) -> (Array3<F>, PatchCache<F>) {
    let b = x.nrows();
    let patches = unfold(geometry, x); // (B·T, p)
    let tokens = linear::apply(params, patches.view()) // (B·T, D)
        .into_shape_with_order((b, geometry.tokens(), params.d_out()))
        .expect("contiguous");
    (tokens, PatchCache { patches })
}

/// Backward: adds ∇w, ∇b for `d_tokens` (B, T, D) and returns δx (B, K·L).
pub fn backward<F: Float>(
    params: &PatchParams<F>,
    geometry: &PatchGeometry,
    cache: &PatchCache<F>,
    d_tokens: ArrayView3<F>,
    grads: &mut PatchParams<F>,
) -> Array2<F> {
    let (b, t, d) = d_tokens.dim();
    let d_rows = d_tokens
        .into_shape_with_order((b * t, d))
        .expect("standard layout"); // (B·T, D)
    let d_patches = linear::backward_with_input(params, cache.patches.view(), d_rows, grads);
    let (p, s, off) = (geometry.patch, geometry.stride, geometry.offset());
    let (l, channels) = (geometry.lookback, geometry.channels);
    let mut d_x = Array2::zeros((b, l * channels)); // (B, K·L)
    for r in 0..b {
        for k in 0..t {
            let start = off + k * s;
            for c in 0..channels {
                for j in 0..p {
                    d_x[[r, c * l + start + j]] += d_patches[[r * t + k, c * p + j]];
                }
            }
        }
    }
    d_x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as3, randn, GradCheck, WithInputs};
    use ndarray::array;

    #[test]
    fn geometry_counts_tokens_and_aligns_patches_to_the_end() {
        let g = PatchGeometry {
            lookback: 10,
            patch: 4,
            stride: 3,
            channels: 1,
        };
        assert_eq!((g.tokens(), g.offset()), (3, 0));
        let g = PatchGeometry {
            lookback: 11,
            patch: 4,
            stride: 3,
            channels: 1,
        };
        assert_eq!((g.tokens(), g.offset()), (3, 1));
        let x = array![[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]];
        let patches = unfold(&g, x.view());
        assert_eq!(patches.row(0).to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(patches.row(2).to_vec(), vec![7.0, 8.0, 9.0, 10.0]);
        let one = PatchGeometry {
            lookback: 5,
            patch: 1,
            stride: 1,
            channels: 1,
        };
        assert_eq!((one.tokens(), one.offset()), (5, 0));
    }

    fn check(geometry: PatchGeometry) {
        let mut rng = Rng::new(11);
        let mut p = init::<f64>(&geometry, 3, &mut rng);
        p.b.mapv_inplace(|_| rng.normal());
        let x = randn(&mut rng, &[2, geometry.lookback * geometry.channels], 1.0);
        let g = randn(&mut rng, &[2, geometry.tokens(), 3], 1.0);
        GradCheck::default().assert_layer(
            "patch",
            &WithInputs::new(p, vec![("x", x)]),
            &[g],
            |pt| {
                let (y, cache) = forward(&pt.params, &geometry, pt.get2("x").view());
                (vec![y.into_dyn()], cache)
            },
            |pt, cache, g, grads| {
                let g3 = as3(&g[0]);
                vec![backward(&pt.params, &geometry, cache, g3.view(), grads).into_dyn()]
            },
        );
    }

    #[test]
    fn patch_grads_match_finite_differences_with_overlap_and_offset() {
        check(PatchGeometry {
            lookback: 11,
            patch: 4,
            stride: 3,
            channels: 1,
        });
    }

    #[test]
    fn patch_grads_match_finite_differences_one_step_per_token() {
        check(PatchGeometry {
            lookback: 6,
            patch: 1,
            stride: 1,
            channels: 1,
        });
    }

    #[test]
    fn patch_grads_match_finite_differences_with_covariate_channels() {
        check(PatchGeometry {
            lookback: 11,
            patch: 4,
            stride: 3,
            channels: 3,
        });
    }

    #[test]
    fn each_patch_holds_every_channel_at_the_same_positions() {
        let g = PatchGeometry {
            lookback: 5,
            patch: 2,
            stride: 2,
            channels: 2,
        };
        let x = array![[0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0, 13.0, 14.0]];
        let patches = unfold(&g, x.view());
        assert_eq!(patches.row(0).to_vec(), vec![1.0, 2.0, 11.0, 12.0]);
        assert_eq!(patches.row(1).to_vec(), vec![3.0, 4.0, 13.0, 14.0]);
    }
}

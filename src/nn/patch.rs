//! Patch embedding: a lookback window (B, L) becomes a token sequence (B, T, D).
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
}

/// The patch embedding is one dense layer p → D with bias, `w` (D, p), `b` (D).
pub type PatchParams<F> = LinearParams<F>;

/// PyTorch-default scale for the embedding: std √(1/(3p)) (the variance of U(±1/√p)), bias zero.
pub fn init<F: Float>(geometry: &PatchGeometry, width: usize, rng: &mut Rng) -> PatchParams<F> {
    let std = (1.0 / (3.0 * geometry.patch as f64)).sqrt();
    LinearParams::init(geometry.patch, width, true, std, rng)
}

/// What [`backward`] needs: the patch matrix.
#[derive(Debug, Clone)]
pub struct PatchCache<F> {
    /// All patches as rows, row b·T + t, (B·T, p).
    pub patches: Array2<F>,
}

/// Cut `x` (B, L) into patches, (B·T, p).
pub fn unfold<F: Float>(geometry: &PatchGeometry, x: ArrayView2<F>) -> Array2<F> {
    let (b, l) = x.dim();
    debug_assert_eq!(l, geometry.lookback, "patch: window length");
    let (t, p, s, off) = (
        geometry.tokens(),
        geometry.patch,
        geometry.stride,
        geometry.offset(),
    );
    let mut patches = Array2::zeros((b * t, p)); // (B·T, p)
    for r in 0..b {
        let row = x.row(r);
        for k in 0..t {
            let start = off + k * s;
            for j in 0..p {
                patches[[r * t + k, j]] = row[start + j];
            }
        }
    }
    patches
}

/// Embed `x` (B, L) into tokens (B, T, D).
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

/// Backward: adds ∇w, ∇b for `d_tokens` (B, T, D) and returns δx (B, L).
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
    let mut d_x = Array2::zeros((b, geometry.lookback)); // (B, L)
    for r in 0..b {
        for k in 0..t {
            let start = off + k * s;
            for j in 0..p {
                d_x[[r, start + j]] += d_patches[[r * t + k, j]];
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
        };
        assert_eq!((g.tokens(), g.offset()), (3, 0));
        let g = PatchGeometry {
            lookback: 11,
            patch: 4,
            stride: 3,
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
        };
        assert_eq!((one.tokens(), one.offset()), (5, 0));
    }

    fn check(geometry: PatchGeometry) {
        let mut rng = Rng::new(11);
        let mut p = init::<f64>(&geometry, 3, &mut rng);
        p.b.mapv_inplace(|_| rng.normal());
        let x = randn(&mut rng, &[2, geometry.lookback], 1.0);
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
        });
    }

    #[test]
    fn patch_grads_match_finite_differences_one_step_per_token() {
        check(PatchGeometry {
            lookback: 6,
            patch: 1,
            stride: 1,
        });
    }
}

//! The bare mLSTM layer of the PyTorch anchors (`MLSTMLayer` in
//! `../shared/anchors/torch_anchor.py`): one Linear map from the input to the queries, keys,
//! values, output gate and gate pre-activations, the mLSTM cell (`mlstm.rs`, or its parallel form
//! in `mlstm_parallel.rs`) from the empty state, and a sigmoid output gate. It has no norm, conv,
//! up- or down-projection and no residual (that is the mLSTM *block*, `mlstm_block.rs`); it
//! exists so that `xlstm bench` times the same network as the anchors.
//!
//! ```text
//! p = x Wᵀ + b                       (B, T, 4E+2NH) = [q | k | v | õ | ĩ | f̃], each E or NH wide
//! h̃ = mLSTM cell(q, k, v, ĩ, f̃)     (B, T, E); the cell scales k by 1/√d, d = E/NH
//! h = σ(õ) ⊙ h̃                       (B, T, E)
//! ```
//! Backward: δh̃ = δh ⊙ σ(õ), δõ = δh ⊙ h̃ ⊙ σ(õ)(1 − σ(õ)); the cell's backward gives δq, δk,
//! δv, δĩ, δf̃; δp is their concatenation, ∇W += δpᵀ x, ∇b += Σ_rows δp and δx = δp W.
//! Initialisation as the anchor: W ~ U(±1/√D), biases 0 except the forget gate's, linspace(3, 6)
//! over the heads.
//!
//! Public API: [`MlstmLayerConfig::init`]`(rng) -> MlstmLayerParams`;
//! [`forward`]`(&p, &x) -> (h (B,T,E), MlstmLayerCache)`;
//! [`backward`]`(&p, &cache, &d_h, &mut grads) -> d_x (B,T,D)`.

use ndarray::linalg::general_mat_mul;
use ndarray::{concatenate, Array1, Array2, Array3, Axis, Zip};

use super::activation::sigmoid;
use super::linear::{cols3, rows};
use super::mlstm::{MlstmCell, MlstmInput, MlstmState};
use super::mlstm_block::{CellCache, MlstmForm};
use super::rng::Rng;
use super::{cast, Float};

/// Sizes and form of a bare mLSTM layer.
#[derive(Clone, Debug, PartialEq)]
pub struct MlstmLayerConfig {
    /// Input width D.
    pub d_input: usize,
    /// Inner (cell and output) width E, a multiple of `n_heads`.
    pub d_inner: usize,
    /// Heads NH.
    pub n_heads: usize,
    /// Which form of the cell runs (same outputs and gradients up to rounding).
    pub form: MlstmForm,
}

impl MlstmLayerConfig {
    /// Output rows of the projection: 4E + 2NH.
    pub fn projections(&self) -> usize {
        4 * self.d_inner + 2 * self.n_heads
    }

    /// The anchor's initialisation: W ~ U(±1/√D), biases 0 except the forget gate's
    /// linspace(3, 6) over the heads.
    pub fn init<F: Float>(&self, rng: &mut Rng) -> MlstmLayerParams<F> {
        let (d, e, nh) = (self.d_input, self.d_inner, self.n_heads);
        assert!(
            nh > 0 && e.is_multiple_of(nh),
            "mLSTM layer: E = {e} is not a multiple of NH = {nh}"
        );
        let k = 1.0 / (d.max(1) as f64).sqrt();
        let w = Array2::from_shape_fn((self.projections(), d), |_| cast(rng.uniform_range(-k, k)));
        let mut b = Array1::zeros(self.projections());
        for h in 0..nh {
            let frac = if nh > 1 { h as f64 / (nh - 1) as f64 } else { 0.0 };
            b[4 * e + nh + h] = cast(3.0 + 3.0 * frac);
        }
        MlstmLayerParams {
            cfg: self.clone(),
            w,
            b,
        }
    }
}

/// Weights of the layer (gradients use the same type). `cfg` is carried along, not trained.
#[derive(Clone, Debug)]
pub struct MlstmLayerParams<F> {
    /// Sizes and form.
    pub cfg: MlstmLayerConfig,
    /// Projection; row blocks q, k, v, õ (E each), ĩ, f̃ (NH each).
    pub w: Array2<F>, // (4E+2NH, D)
    /// Projection bias, same row blocks.
    pub b: Array1<F>, // (4E+2NH)
}
crate::impl_params!(MlstmLayerParams { w, b });

/// What [`backward`] needs.
#[derive(Clone, Debug)]
pub struct MlstmLayerCache<F> {
    /// Layer input as rows.
    x: Array2<F>, // (B·T, D)
    /// Cell inputs q, k, v (B, T, E), ĩ, f̃ (B, T, NH).
    cell_in: MlstmInput<F>,
    cell: CellCache<F>,
    /// Cell output h̃.
    h_tilde: Array3<F>, // (B, T, E)
    /// Output gate σ(õ).
    o: Array3<F>, // (B, T, E)
}

impl<F: Float> MlstmLayerCache<F> {
    /// Distance of the cell's normaliser from its kink (see [`super::mlstm::kink_margin`]).
    pub fn kink_margin(&self) -> (f64, f64) {
        self.cell.kink_margin()
    }
}

/// Inference: h (B, T, E) of [`forward`] without the cache. The cell runs in its recurrent form
/// whatever `form` says (both forms compute the same function, to rounding; without a cache the
/// recurrent form keeps only the running C of one (batch, head) pair).
pub fn infer<F: Float>(p: &MlstmLayerParams<F>, x: &Array3<F>) -> Array3<F> {
    let (bs, e, nh) = (x.dim().0, p.cfg.d_inner, p.cfg.n_heads);
    let (cell_in, o) = project(p, x);
    let h_tilde = MlstmCell::new(nh).infer_recurrent(&cell_in, &MlstmState::zeros(bs, nh, e / nh));
    &o * &h_tilde // (B, T, E)
}

/// The projection: the cell inputs and σ(õ) (B, T, E).
fn project<F: Float>(p: &MlstmLayerParams<F>, x: &Array3<F>) -> (MlstmInput<F>, Array3<F>) {
    let (bs, t_len, d) = x.dim();
    let (e, nh) = (p.cfg.d_inner, p.cfg.n_heads);
    let x2 = x
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((bs * t_len, d))
        .expect("contiguous"); // (B·T, D)
    let mut pre = Array2::from_shape_fn((bs * t_len, p.cfg.projections()), |(_, j)| p.b[j]); // (B·T, 4E+2NH)
    general_mat_mul(F::one(), &x2, &p.w.t(), F::one(), &mut pre);
    let col = |j: usize, w: usize| cols3(&pre, (j, j + w), (bs, t_len));
    let cell_in = MlstmInput {
        q: col(0, e),               // (B, T, E)
        k: col(e, e),               // (B, T, E)
        v: col(2 * e, e),           // (B, T, E)
        i_pre: col(4 * e, nh),      // (B, T, NH)
        f_pre: col(4 * e + nh, nh), // (B, T, NH)
    };
    (cell_in, col(3 * e, e).mapv(sigmoid))
}

/// Forward over `x` (B, T, D) → h (B, T, E), from the empty cell state.
pub fn forward<F: Float>(p: &MlstmLayerParams<F>, x: &Array3<F>) -> (Array3<F>, MlstmLayerCache<F>) {
    let (bs, t_len, d) = x.dim();
    let nh = p.cfg.n_heads;
    debug_assert_eq!(p.w.dim(), (p.cfg.projections(), d), "mLSTM layer: input width");
    let (cell_in, o) = project(p, x); // cell inputs, σ(õ) (B, T, E)
    let x2 = x
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((bs * t_len, d))
        .expect("contiguous"); // (B·T, D)
    let (h_tilde, cell_cache) = p.cfg.form.forward(&MlstmCell::new(nh), &cell_in); // (B, T, E)
    let h = &o * &h_tilde; // (B, T, E)
    let cache = MlstmLayerCache {
        x: x2,
        cell_in,
        cell: cell_cache,
        h_tilde,
        o,
    };
    (h, cache)
}

/// Backward for `d_h` (B, T, E): adds ∇W, ∇b into `grads`, returns d_x (B, T, D).
pub fn backward<F: Float>(
    p: &MlstmLayerParams<F>,
    cache: &MlstmLayerCache<F>,
    d_h: &Array3<F>,
    grads: &mut MlstmLayerParams<F>,
) -> Array3<F> {
    let d_h = d_h.as_standard_layout(); // (B, T, E)
    let (bs, t_len, _) = d_h.dim();
    let one = F::one();
    let d_ht = &d_h * &cache.o; // (B, T, E) δh̃
    let d_o = Zip::from(&d_h)
        .and(&cache.h_tilde)
        .and(&cache.o)
        .map_collect(|&g, &h, &o| g * h * o * (one - o)); // (B, T, E) δõ
    let cell = MlstmCell::new(p.cfg.n_heads);
    let d_in = cache.cell.backward(&cell, &cache.cell_in, &d_ht);
    let parts = [&d_in.q, &d_in.k, &d_in.v, &d_o, &d_in.i_pre, &d_in.f_pre].map(|a| rows(a));
    let d_pre = concatenate(Axis(1), &parts).expect("same number of rows"); // (B·T, 4E+2NH)
    general_mat_mul(one, &d_pre.t(), &cache.x, one, &mut grads.w);
    grads.b += &d_pre.sum_axis(Axis(0));
    let d_x = d_pre.dot(&p.w); // (B·T, D)
    d_x.into_shape_with_order((bs, t_len, p.cfg.d_input))
        .expect("contiguous")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{as3, randn, GradCheck};
    use crate::nn::zeros_like;
    use ndarray::{array, s};

    fn config(form: MlstmForm) -> MlstmLayerConfig {
        MlstmLayerConfig {
            d_input: 3,
            d_inner: 4,
            n_heads: 2,
            form,
        }
    }

    /// D = E = NH = 1, x = 1, W = [2, 3, 0.5, 0, 0, 0]ᵀ, b = 0: q = 2, k̂ = 3 (d = 1), v = 0.5,
    /// σ(õ) = 0.5, ĩ = 0. From the empty state m_1 = ĩ = 0, i' = 1, C_1 = k̂v = 1.5, n_1 = 3,
    /// N = max(|q·n|, e⁰) + ε = 6 + 1e-6, h̃ = C_1 q / N = 3/(6 + 1e-6), h = 0.5·h̃.
    #[test]
    fn hand_computed_one_step() {
        let chunkwise = MlstmForm::Chunkwise { chunk: 1 };
        for form in [MlstmForm::Recurrent, MlstmForm::Parallel, chunkwise] {
            let p = MlstmLayerParams {
                cfg: MlstmLayerConfig {
                    d_input: 1,
                    d_inner: 1,
                    n_heads: 1,
                    form,
                },
                w: array![[2.0], [3.0], [0.5], [0.0], [0.0], [0.0]],
                b: Array1::zeros(6),
            };
            let (h, _) = forward(&p, &Array3::<f64>::from_elem((1, 1, 1), 1.0));
            let expected = 0.5 * 3.0 / (6.0 + 1e-6);
            assert!(
                (h[[0, 0, 0]] - expected).abs() < 1e-15,
                "{form:?}: {}",
                h[[0, 0, 0]]
            );
        }
    }

    #[test]
    fn init_follows_the_anchor() {
        let cfg = MlstmLayerConfig {
            d_input: 64,
            d_inner: 64,
            n_heads: 4,
            form: MlstmForm::Recurrent,
        };
        let p: MlstmLayerParams<f64> = cfg.init(&mut Rng::new(1));
        assert_eq!(p.w.dim(), (264, 64));
        assert!(p.w.iter().all(|w| w.abs() <= 0.125));
        assert_eq!(p.b.slice(s![260..]).to_vec(), vec![3.0, 4.0, 5.0, 6.0]);
        assert!(p.b.slice(s![..260]).iter().all(|b| *b == 0.0));
    }

    /// Fake loss Σ h ⊙ g over T = 6 steps; every parameter tensor and the input are probed.
    fn check(form: MlstmForm) {
        let cfg = config(form);
        let (bs, t_len) = (2, 6);
        let mut rng = Rng::new(31);
        let mut p = cfg.init::<f64>(&mut rng);
        p.w.mapv_inplace(|_| 0.7 * rng.normal());
        p.b.mapv_inplace(|b| b + 0.5 * rng.normal());
        let x = randn(&mut rng, &[bs, t_len, cfg.d_input], 1.0);
        let g = randn(&mut rng, &[bs, t_len, cfg.d_inner], 1.0);
        let (_, cache) = forward(&p, &as3(&x));
        let (margin, _) = cache.kink_margin();
        assert!(
            margin > 1e-3,
            "{form:?}: test point too close to the normaliser kink ({margin})"
        );
        let what = format!("mlstm layer {form:?}");
        GradCheck::default().assert_sequence_layer(&what, p, x, g, forward, backward);
    }

    #[test]
    fn recurrent_grads_match_finite_differences() {
        check(MlstmForm::Recurrent);
    }

    #[test]
    fn parallel_grads_match_finite_differences() {
        check(MlstmForm::Parallel);
    }

    /// T = 6 in chunks of 4: a full and a partial chunk.
    #[test]
    fn chunkwise_grads_match_finite_differences() {
        check(MlstmForm::Chunkwise { chunk: 4 });
    }

    #[test]
    fn all_forms_agree() {
        let mut rng = Rng::new(4);
        let rec = config(MlstmForm::Recurrent).init::<f64>(&mut rng);
        let x = as3(&randn(&mut rng, &[3, 9, 3], 1.0));
        let g = as3(&randn(&mut rng, &[3, 9, 4], 1.0));
        let (h_r, c_r) = forward(&rec, &x);
        let mut g_r = zeros_like(&rec);
        let dx_r = backward(&rec, &c_r, &g, &mut g_r);
        let max_diff = |a: &Array3<f64>, b: &Array3<f64>| (a - b).fold(0.0f64, |m, d| m.max(d.abs()));
        // inference without the cache (always the recurrent form) gives the same h
        assert_eq!(infer(&rec, &x), h_r, "inference, recurrent layer");
        for form in [MlstmForm::Parallel, MlstmForm::Chunkwise { chunk: 4 }] {
            let other = MlstmLayerParams {
                cfg: config(form),
                ..rec.clone()
            };
            let (h, c) = forward(&other, &x);
            let mut g_o = zeros_like(&other);
            let dx = backward(&other, &c, &g, &mut g_o);
            assert!(max_diff(&h_r, &h) < 1e-12, "{form:?}: h");
            assert!(max_diff(&dx_r, &dx) < 1e-12, "{form:?}: d_x");
            assert!(max_diff(&infer(&other, &x), &h) < 1e-12, "{form:?}: inference");
            let d_w = (&g_r.w - &g_o.w).fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(d_w < 1e-12, "{form:?}: ∇W");
        }
    }
}

//! Pointwise nonlinearities: sigmoid, log-sigmoid, SiLU and exact (erf) GELU.
//!
//! Scalar functions are used inside the recurrent cells; [`Activation`] applies SiLU or GELU to a
//! whole array, with a backward that takes the forward *input* as its cache. Derivation:
//! `docs/derivations/layers.md` §3.
//!
//! ```text
//! σ(x) = 1/(1+e^{−x})                     σ' = σ(1−σ)
//! logσ(x) = −(max(−x,0) + ln1p(e^{−|x|}))  (never ln(σ(x)): σ underflows for x ≲ −88 in f32)
//! SiLU(x) = x σ(x)                        SiLU' = σ(x)(1 + x(1 − σ(x)))
//! GELU(x) = x Φ(x), Φ(x) = ½(1 + erf(x/√2)) GELU' = Φ(x) + x φ(x)
//! ```
//!
//! Public API: [`sigmoid`], [`log_sigmoid`], [`silu`], [`silu_grad`], [`gelu`], [`gelu_grad`],
//! [`erf`]; [`Activation::forward`]`(x) -> y`, [`Activation::backward`]`(x, d_y) -> d_x`.

use ndarray::{Array, Dimension, Zip};

use super::{cast, Float};

/// Logistic sigmoid 1/(1+e^{−x}), branch-free (e^{−x} = ∞ gives exactly 0) so that loops over it
/// vectorise; [`FastMath::fast_exp`] is the polynomial exp in f32 and `f64::exp` in f64.
#[inline(always)]
pub fn sigmoid<F: Float>(x: F) -> F {
    F::one() / (F::one() + (-x).fast_exp())
}

/// ln σ(x) = −(max(−x, 0) + ln1p(e^{−|x|})): finite for every finite x.
#[inline(always)]
pub fn log_sigmoid<F: Float>(x: F) -> F {
    -((-x).max(F::zero()) + (-x.abs()).fast_exp().fast_ln_1p())
}

/// SiLU (swish): x σ(x).
#[inline]
pub fn silu<F: Float>(x: F) -> F {
    x * sigmoid(x)
}

/// d SiLU / dx = σ(x)(1 + x(1 − σ(x))).
#[inline]
pub fn silu_grad<F: Float>(x: F) -> F {
    let s = sigmoid(x);
    s * (F::one() + x * (F::one() - s))
}

/// The error function, accurate to a few ulp in f64.
///
/// For |x| < 6 it sums the everywhere-positive series
/// erf(x) = (2/√π) e^{−x²} Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·…·(2n+1)) (no cancellation);
/// for |x| ≥ 6, 1 − |erf(x)| < 3e-17, so ±1 is returned.
pub fn erf(x: f64) -> f64 {
    erf_to(x, 1e-17)
}

/// [`erf`] with the series stopped once a term falls below `tol` times the partial sum; past the
/// largest term the terms shrink at least geometrically, so the relative error is about `tol`.
fn erf_to(x: f64, tol: f64) -> f64 {
    let a = x.abs();
    if a >= 6.0 {
        return x.signum();
    }
    let two_x2 = 2.0 * a * a;
    let (mut term, mut sum) = (a, a);
    let mut n = 0.0;
    while term > tol * sum {
        n += 1.0;
        term *= two_x2 / (2.0 * n + 1.0);
        sum += term;
    }
    let value = std::f64::consts::FRAC_2_SQRT_PI * (-a * a).exp() * sum;
    value.min(1.0).copysign(x)
}

/// Φ(x) and φ(x) of the standard normal, with erf only as precise as `F` needs: the series stops
/// ~100× below `F`'s epsilon relative to Φ(x). For x < 0, Φ = ½(1 + erf) cancels, so the tolerance
/// is scaled by e^{−x²/2}/(1 + |x|), a lower bound of 2Φ(x) up to a factor 0.8.
#[inline]
fn normal_cdf_pdf<F: Float>(v: f64) -> (f64, f64) {
    let gauss = (-0.5 * v * v).exp();
    let scale = if v < 0.0 { gauss / (1.0 - v) } else { 1.0 };
    let tol = (F::epsilon().to_f64().expect("finite") * 1e-2 * scale).max(1e-17);
    let cdf = 0.5 * (1.0 + erf_to(v * std::f64::consts::FRAC_1_SQRT_2, tol));
    let pdf = gauss * (0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
    (cdf, pdf)
}

/// Exact GELU: x Φ(x) with Φ the standard normal CDF.
#[inline]
pub fn gelu<F: Float>(x: F) -> F {
    let v = x.to_f64().expect("finite");
    cast(v * normal_cdf_pdf::<F>(v).0)
}

/// d GELU / dx = Φ(x) + x φ(x).
#[inline]
pub fn gelu_grad<F: Float>(x: F) -> F {
    let v = x.to_f64().expect("finite");
    let (cdf, pdf) = normal_cdf_pdf::<F>(v);
    cast(cdf + v * pdf)
}

/// An elementwise activation applied to whole arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// x σ(x).
    Silu,
    /// x Φ(x), exact (erf-based).
    Gelu,
}

impl Activation {
    /// The activation of one value.
    #[inline]
    pub fn value<F: Float>(self, x: F) -> F {
        match self {
            Activation::Silu => silu(x),
            Activation::Gelu => gelu(x),
        }
    }

    /// The value and the derivative at `x`, sharing one σ / erf evaluation.
    #[inline]
    pub fn value_and_grad<F: Float>(self, x: F) -> (F, F) {
        match self {
            Activation::Silu => {
                let s = sigmoid(x);
                (x * s, s * (F::one() + x * (F::one() - s)))
            }
            Activation::Gelu => {
                let v = x.to_f64().expect("finite");
                let (cdf, pdf) = normal_cdf_pdf::<F>(v);
                (cast(v * cdf), cast(cdf + v * pdf))
            }
        }
    }

    /// Its derivative at `x`.
    #[inline]
    pub fn grad<F: Float>(self, x: F) -> F {
        match self {
            Activation::Silu => silu_grad(x),
            Activation::Gelu => gelu_grad(x),
        }
    }

    /// y = act(x), same shape. The backward pass needs `x` itself (keep it as the cache).
    pub fn forward<F: Float, D: Dimension>(self, x: &Array<F, D>) -> Array<F, D> {
        x.mapv(|v| self.value(v))
    }

    /// d_x = act'(x) ⊙ d_y.
    pub fn backward<F: Float, D: Dimension>(self, x: &Array<F, D>, d_y: &Array<F, D>) -> Array<F, D> {
        debug_assert_eq!(x.shape(), d_y.shape(), "activation: d_y shape");
        Zip::from(x).and(d_y).map_collect(|&v, &g| self.grad(v) * g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn central<Fun: Fn(f64) -> f64>(f: Fun, x: f64) -> f64 {
        let h = 1e-6;
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    #[test]
    fn erf_matches_reference_values() {
        // Reference values of erf (Abramowitz & Stegun table 7.1 / high-precision tables).
        let cases = [
            (0.0, 0.0),
            (0.1, 0.1124629160182849),
            (0.5, 0.5204998778130465),
            (1.0, 0.8427007929497149),
            (-1.5, -0.9661051464753108),
            (2.0, 0.9953222650189527),
            (3.0, 0.9999779095030014),
            (4.5, 0.9999999998033839),
            (7.0, 1.0),
        ];
        for (x, want) in cases {
            let got = erf(x);
            assert!(
                (got - want).abs() <= 4e-16_f64.max(2e-15 * want.abs()),
                "erf({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn log_sigmoid_is_finite_where_ln_sigmoid_is_not() {
        assert!(log_sigmoid(-200.0f32).is_finite());
        assert!((log_sigmoid(-200.0f32) + 200.0).abs() < 1e-3);
        assert!((log_sigmoid(0.3f64) - sigmoid(0.3f64).ln()).abs() < 1e-15);
        assert!((log_sigmoid(-4.0f64) - sigmoid(-4.0f64).ln()).abs() < 1e-14);
        assert_eq!(sigmoid(-1000.0f64), 0.0);
        assert_eq!(sigmoid(1000.0f64), 1.0);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for &x in &[-7.0, -2.3, -0.4, 0.0, 0.7, 1.9, 5.5] {
            let gs = central(silu::<f64>, x);
            assert!((silu_grad(x) - gs).abs() < 1e-8, "silu' at {x}");
            let gg = central(gelu::<f64>, x);
            assert!(
                (gelu_grad(x) - gg).abs() < 1e-8,
                "gelu' at {x}: {} vs {gg}",
                gelu_grad(x)
            );
            let gl = central(log_sigmoid::<f64>, x);
            assert!((sigmoid(-x) - gl).abs() < 1e-8, "logσ' at {x}");
        }
    }

    #[test]
    fn array_backward_matches_scalar_rule() {
        let x = Array1::from(vec![-1.0, 0.5, 2.0]);
        let d_y = Array1::from(vec![1.0, -2.0, 0.5]);
        for act in [Activation::Silu, Activation::Gelu] {
            let d_x = act.backward(&x, &d_y);
            for k in 0..3 {
                let num = central(|v| act.value(v), x[k]) * d_y[k];
                assert!((d_x[k] - num).abs() < 1e-8, "{act:?} entry {k}");
            }
            for v in [-3.0, -0.2, 0.0, 1.7] {
                let (val, grad) = act.value_and_grad(v);
                assert_eq!((val, grad), (act.value(v), act.grad(v)), "{act:?} at {v}");
            }
        }
        // The f32 GELU stops its series early but stays within f32 rounding of the f64 value.
        for v in [-4.0f32, -1.3, -0.01, 0.4, 2.2, 5.0] {
            let (lo, hi) = (gelu(v) as f64, gelu(v as f64));
            assert!(
                (lo - hi).abs() <= 2e-7 * hi.abs().max(1e-3),
                "gelu f32 at {v}: {lo} vs {hi}"
            );
            let (lo, hi) = (gelu_grad(v) as f64, gelu_grad(v as f64));
            assert!(
                (lo - hi).abs() <= 2e-7 * hi.abs().max(1e-3),
                "gelu' f32 at {v}: {lo} vs {hi}"
            );
        }
        // GELU(1) = Φ(1) = 0.8413447460685429.
        assert!((gelu(1.0f64) - 0.8413447460685429).abs() < 1e-15);
    }
}

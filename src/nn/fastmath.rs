//! Branch-free exp, tanh and ln(1+x) that the compiler can vectorise: the transcendental
//! functions of the recurrent cells, applied to every unit of every step.
//!
//! For `f32` (training precision) they are polynomial approximations in the style of Cephes
//! (`expf`, `logf`), written with selects instead of branches so a loop over units becomes SIMD
//! code; errors are a few ulp (tested against `f64` below). For `f64` (gradient checks) they are
//! the standard library's functions, so the float64 checks test the exact formulas.
//!
//! ```text
//! exp(x) = 2ⁿ · e^r,  n = round(x·log2 e), r = x − n·ln 2 (two-part ln 2),  e^r ≈ 1 + r + r²·P(r)
//! tanh(x) = x·Q(x²) for |x| < 0.4 (Taylor to x¹³),  sign(x)·(1 − 2/(e^{2|x|} + 1)) otherwise
//! ln(1+u) = ln(w) + (u − (w − 1))/w, w = 1 + u,  ln w = e·ln 2 + ln m, m ∈ [√½, √2)
//! ```

/// Vectorisable transcendental functions (see the module docs).
pub trait FastMath: Copy {
    /// e^x; 0 below the smallest normal result, +∞ above the largest.
    fn fast_exp(self) -> Self;
    /// tanh x.
    fn fast_tanh(self) -> Self;
    /// ln(1 + x) for x > −1.
    fn fast_ln_1p(self) -> Self;
}

impl FastMath for f64 {
    #[inline(always)]
    fn fast_exp(self) -> f64 {
        self.exp()
    }
    #[inline(always)]
    fn fast_tanh(self) -> f64 {
        self.tanh()
    }
    #[inline(always)]
    fn fast_ln_1p(self) -> f64 {
        self.ln_1p()
    }
}

/// Above this, e^x is returned as +∞ (the exact f32 overflow point is 88.7228).
const EXP_HI: f32 = 88.7;
/// Smallest x with a normal f32 e^x.
const EXP_LO: f32 = -87.33654;

impl FastMath for f32 {
    #[inline(always)]
    fn fast_exp(self) -> f32 {
        let x = self.clamp(EXP_LO, EXP_HI);
        // round to nearest through the 1.5·2²³ shifter: exact for |x·log2 e| < 2²²
        let shifter = 12_582_912.0f32;
        let n = (x * std::f32::consts::LOG2_E + shifter) - shifter;
        let r = x - n * 0.693_359_4 - n * (-2.121_944_4e-4);
        let p = ((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
            + 1.666_666_5e-1)
            * r
            + 0.5;
        let e_r = p * (r * r) + r + 1.0;
        // n ∈ [−126, 128]; 2ⁿ = 2^min(n, 127) · (1 or 2), both factors normal. The biased
        // exponent n + 127 ∈ [1, 254] is read off the mantissa bits of n + 127 + 2²³ (no
        // float-to-int conversion, which would not vectorise).
        let n_low = n.min(127.0);
        let biased = (n_low + (127.0 + 8_388_608.0)).to_bits() & 0x007f_ffff;
        let two_n = f32::from_bits(biased << 23);
        let y = e_r * two_n * (1.0 + (n - n_low));
        let y = if self > EXP_HI { f32::INFINITY } else { y };
        if self < EXP_LO {
            0.0
        } else {
            y
        }
    }

    #[inline(always)]
    fn fast_tanh(self) -> f32 {
        let a = self.abs();
        let x2 = self * self;
        let small = self
            * (1.0
                + x2 * (-1.0 / 3.0
                    + x2 * (2.0 / 15.0
                        + x2 * (-17.0 / 315.0
                            + x2 * (62.0 / 2835.0
                                + x2 * (-1382.0 / 155_925.0 + x2 * (21_844.0 / 6_081_075.0)))))));
        let large = (1.0 - 2.0 / ((2.0 * a).fast_exp() + 1.0)).copysign(self);
        if a < 0.4 {
            small
        } else {
            large
        }
    }

    #[inline(always)]
    fn fast_ln_1p(self) -> f32 {
        let w = 1.0 + self;
        let bits = w.to_bits();
        let mut e = ((bits >> 23) & 0xff) as i32 - 126;
        let mut m = f32::from_bits((bits & 0x807f_ffff) | 0x3f00_0000); // w = m·2^e, m ∈ [0.5, 1)
        let below = m < std::f32::consts::FRAC_1_SQRT_2;
        e -= i32::from(below);
        m = if below { m + m - 1.0 } else { m - 1.0 };
        let z = m * m;
        let mut y =
            ((((((((7.037_683_6e-2 * m - 1.151_461e-1) * m + 1.167_699_9e-1) * m - 1.242_014_1e-1) * m
                + 1.424_932_3e-1)
                * m
                - 1.666_805_8e-1)
                * m
                + 2.000_071_4e-1)
                * m
                - 2.499_999_4e-1)
                * m
                + 3.333_333e-1)
                * m
                * z;
        let ef = e as f32;
        y += -2.121_944_4e-4 * ef;
        y += -0.5 * z;
        let ln_w = m + y + 0.693_359_4 * ef;
        // ln(1+u) = ln w + (u − (w − 1))/w recovers the rounding of w = 1 + u
        let corrected = ln_w + (self - (w - 1.0)) / w;
        if w == 1.0 {
            self
        } else {
            corrected
        }
    }
}

/// Σ values in a fixed order that vectorises: eight running partial sums (lane j takes the
/// entries j, j+8, …), added pairwise at the end. Deterministic for a given length.
#[inline(always)]
pub fn sum_lanes<F: crate::nn::Float>(values: &[F]) -> F {
    let mut lanes = [F::zero(); 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        let chunk: &[F; 8] = chunk.try_into().expect("8");
        for j in 0..8 {
            lanes[j] += chunk[j];
        }
    }
    for (lane, v) in lanes.iter_mut().zip(rest) {
        *lane += *v;
    }
    ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))
}

/// Σ a_j b_j with the eight-lane order of [`sum_lanes`] (vectorises; deterministic).
#[inline(always)]
pub fn dot_lanes<F: crate::nn::Float>(a: &[F], b: &[F]) -> F {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut lanes = [F::zero(); 8];
    let split = n - n % 8;
    for (ca, cb) in a[..split].chunks_exact(8).zip(b[..split].chunks_exact(8)) {
        let (ca, cb): (&[F; 8], &[F; 8]) = (ca.try_into().expect("8"), cb.try_into().expect("8"));
        for j in 0..8 {
            lanes[j] += ca[j] * cb[j];
        }
    }
    for (j, (x, y)) in a[split..].iter().zip(&b[split..]).enumerate() {
        lanes[j] += *x * *y;
    }
    ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest relative error of `fast` against the f64 function over `n` points of [lo, hi].
    fn worst(lo: f64, hi: f64, n: usize, fast: impl Fn(f32) -> f32, exact: impl Fn(f64) -> f64) -> f64 {
        (0..=n)
            .map(|i| {
                let x = (lo + (hi - lo) * i as f64 / n as f64) as f32;
                let (got, want) = (fast(x) as f64, exact(x as f64));
                (got - want).abs() / want.abs().max(f64::MIN_POSITIVE)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn f32_exp_is_within_a_few_ulp() {
        let err = worst(-87.0, 88.5, 200_000, f32::fast_exp, f64::exp);
        assert!(err < 3e-7, "exp relative error {err}");
    }

    #[test]
    fn f32_exp_limits() {
        assert_eq!(f32::fast_exp(-100.0), 0.0);
        assert_eq!(f32::fast_exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(f32::fast_exp(100.0), f32::INFINITY);
        assert_eq!(f32::fast_exp(f32::INFINITY), f32::INFINITY);
        assert!(f32::fast_exp(f32::NAN).is_nan());
        assert_eq!(f32::fast_exp(0.0), 1.0);
    }

    #[test]
    fn f32_tanh_is_accurate_near_zero_and_saturates() {
        let err = worst(-9.0, 9.0, 200_000, f32::fast_tanh, f64::tanh);
        assert!(err < 6e-7, "tanh relative error {err}");
        let tiny = worst(-1e-3, 1e-3, 10_000, f32::fast_tanh, f64::tanh);
        assert!(tiny < 2e-7, "tanh relative error near 0: {tiny}");
        assert_eq!(f32::fast_tanh(50.0), 1.0);
        assert_eq!(f32::fast_tanh(-50.0), -1.0);
        assert!(f32::fast_tanh(f32::NAN).is_nan());
    }

    #[test]
    fn f32_ln_1p_is_accurate_on_the_unit_interval() {
        let err = worst(0.0, 1.0, 200_000, f32::fast_ln_1p, f64::ln_1p);
        assert!(err < 3e-7, "ln_1p relative error {err}");
        let tiny = worst(1e-9, 1e-5, 10_000, f32::fast_ln_1p, f64::ln_1p);
        assert!(tiny < 3e-7, "ln_1p relative error for tiny u: {tiny}");
        assert_eq!(f32::fast_ln_1p(0.0), 0.0);
    }

    #[test]
    fn sum_lanes_adds_every_entry() {
        for n in [0, 1, 7, 8, 9, 96, 101] {
            let v: Vec<f64> = (0..n).map(|i| (i * i) as f64).collect();
            assert_eq!(sum_lanes(&v), v.iter().sum::<f64>(), "n = {n}");
        }
    }

    #[test]
    fn dot_lanes_matches_the_plain_dot_product() {
        for n in [0, 3, 8, 16, 21] {
            let a: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
            let b: Vec<f64> = (0..n).map(|i| 2.0 - i as f64).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert_eq!(dot_lanes(&a, &b), plain, "n = {n}");
        }
    }

    #[test]
    fn f64_is_the_standard_library() {
        for x in [-3.5, -0.1, 0.0, 0.7, 12.0] {
            assert_eq!(x.fast_exp(), f64::exp(x));
            assert_eq!(x.fast_tanh(), f64::tanh(x));
        }
        assert_eq!(0.3f64.fast_ln_1p(), 0.3f64.ln_1p());
    }
}

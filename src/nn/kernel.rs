//! Small dense kernels for the recurrences: a matrix product against a pre-packed right-hand
//! side, and a switch that runs a closure with AVX2 + FMA code generation when the CPU has them.
//!
//! The per-step products of a recurrence are small (B ≤ 64 rows, K ≤ 256, N ≤ 256) and repeat
//! T times against the same weight matrix. A general GEMM (matrixmultiply) repacks both operands
//! on every call; here the weight is packed once per forward or backward pass into column panels
//! of [`NR`] values, and each step only streams the left-hand rows through a register-blocked
//! 4 × [`NR`] micro-kernel:
//!
//! ```text
//! C[i, j] (+)= Σ_p A[i, p] · B[p, j]        A (M, K) any strides, B packed (K, N), C (M, N) rows
//! packed B: panel q holds B[:, q·NR .. (q+1)·NR] as K rows of NR values (zero padded)
//! ```
//! Each output entry is summed over p = 0..K in order by one accumulator, whatever M is, so a row
//! of C does not depend on the other rows in the call (batch-size independence of results).
//!
//! [`simd_entry!`](crate::simd_entry) defines a layer entry point whose body is compiled a second
//! time with `avx2,fma` enabled and picked at run time, so the pointwise loops of the cells use
//! 256-bit registers; without those features the same code runs with the baseline instruction set.

use std::sync::OnceLock;

use ndarray::{ArrayView2, ArrayViewMut2};

use super::Float;

/// Columns per packed panel (two 256-bit registers of f32).
pub const NR: usize = 16;
/// Rows per micro-kernel call.
const MR: usize = 4;

/// A right-hand matrix B (K, N) packed into column panels of [`NR`]. The buffer is reused by
/// [`Packed::pack`], so packing inside a training loop does not allocate after the first call.
#[derive(Clone, Debug, Default)]
pub struct Packed<F> {
    k: usize,
    n: usize,
    data: Vec<F>, // (⌈N/NR⌉, K, NR)
}

impl<F: Float> Packed<F> {
    /// An empty packed matrix (0 × 0), to be filled by [`Packed::pack`].
    pub fn empty() -> Self {
        Packed {
            k: 0,
            n: 0,
            data: Vec::new(),
        }
    }

    /// Pack `b` (K, N), any strides.
    pub fn new(b: ArrayView2<F>) -> Self {
        let mut packed = Packed::empty();
        packed.pack(b);
        packed
    }

    /// Repack from `b` (K, N), reusing the buffer.
    pub fn pack(&mut self, b: ArrayView2<F>) {
        let (k, n) = b.dim();
        let panels = n.div_ceil(NR);
        self.k = k;
        self.n = n;
        self.data.clear();
        self.data.resize(panels * k * NR, F::zero());
        for q in 0..panels {
            for p in 0..k {
                let dst = &mut self.data[(q * k + p) * NR..(q * k + p + 1) * NR];
                for (j, d) in dst.iter_mut().enumerate().take(n - q * NR) {
                    *d = b[[p, q * NR + j]];
                }
            }
        }
    }

    /// Repack from `factor · b`, reusing the buffer.
    pub fn pack_scaled(&mut self, b: ArrayView2<F>, factor: F) {
        self.pack(b);
        self.data.iter_mut().for_each(|v| *v *= factor);
    }

    /// Rows K of the packed matrix.
    pub fn rows(&self) -> usize {
        self.k
    }

    /// Columns N of the packed matrix.
    pub fn cols(&self) -> usize {
        self.n
    }
}

fn has_avx2_fma() -> bool {
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// Whether [`simd_entry!`](crate::simd_entry) bodies and [`gemm`] use AVX2 + FMA on this CPU.
pub fn simd_enabled() -> bool {
    has_avx2_fma()
}

/// Define `fn $name<F: Float>(args) -> ret` that runs `$body_fn(args)` compiled with AVX2 and FMA
/// when the CPU has them (runtime-detected once), else as is. `$body_fn` should be
/// `#[inline(always)]` so that it, and the small `#[inline]` helpers it calls (activations, the
/// fast exp), are generated inside the AVX2 copy: their loops over units then use 256-bit
/// registers and fused multiply-adds. Results may differ in the last bits between the two paths
/// (an FMA rounds once), never between runs on one machine.
#[macro_export]
macro_rules! simd_entry {
    ($(#[$meta:meta])* $vis:vis fn $name:ident<F>($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $body_fn:ident) => {
        $(#[$meta])*
        $vis fn $name<F: $crate::nn::Float>($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn with_avx2_fma<F: $crate::nn::Float>($($arg: $ty),*) $(-> $ret)? {
                    $body_fn($($arg),*)
                }
                if $crate::nn::kernel::simd_enabled() {
                    // SAFETY: the CPU has avx2 and fma (runtime check just above).
                    return unsafe { with_avx2_fma($($arg),*) };
                }
            }
            $body_fn($($arg),*)
        }
    };
}

/// Blocks of `len` logical columns placed every `stride` physical columns: logical column j is
/// physical column (j / len)·stride + j mod len. This lets one product read or write the four
/// gate blocks of one sLSTM head, which sit H columns apart in a (B, 4H) array.
///
/// The fields are private and every constructor checks `1 ≤ len ≤ stride`: then the physical
/// column grows with the logical one, so [`gemm_segmented`] bounds every access by checking the
/// last logical column alone (blocks that overlapped, `stride < len`, would defeat that check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segments {
    /// Logical columns per block (≥ 1).
    len: usize,
    /// Physical distance between block starts (≥ `len`).
    stride: usize,
}

impl Segments {
    /// Blocks of `len` columns every `stride` columns.
    ///
    /// # Errors
    /// When `len` is 0 or the blocks would overlap (`stride < len`).
    pub fn new(len: usize, stride: usize) -> Result<Self, String> {
        if len == 0 || stride < len {
            return Err(format!(
                "segments of {len} columns every {stride} columns: need 1 ≤ len ≤ stride"
            ));
        }
        Ok(Segments { len, stride })
    }

    /// The identity layout for `n` columns.
    pub fn dense(n: usize) -> Self {
        Segments {
            len: n.max(1),
            stride: n.max(1),
        }
    }

    /// Physical column of logical column `j`.
    #[inline(always)]
    pub fn at(&self, j: usize) -> usize {
        (j / self.len) * self.stride + j % self.len
    }
}

/// `C = A·B` (`accumulate == false`) or `C += A·B` for `a` (M, K), packed `b` (K, N) and `c`
/// (M, N) with unit column stride.
///
/// # Panics
/// When the shapes do not match or `c`'s columns are not contiguous (programmer errors).
pub fn gemm<F: Float>(a: ArrayView2<F>, b: &Packed<F>, c: ArrayViewMut2<F>, accumulate: bool) {
    assert_eq!(
        a.ncols(),
        b.k,
        "gemm: A has {} columns, B has {} rows",
        a.ncols(),
        b.k
    );
    assert_eq!(c.ncols(), b.n, "gemm: C has {} columns, B has {}", c.ncols(), b.n);
    gemm_segmented(a, Segments::dense(b.k), b, c, Segments::dense(b.n), accumulate);
}

/// [`gemm`] where the K logical columns of A and the N logical columns of C are laid out as
/// `a_seg` and `c_seg` describe inside the given (wider) views.
///
/// # Panics
/// When a segment reaches past its view, the row counts differ, or `c`'s columns are not
/// contiguous (programmer errors).
pub fn gemm_segmented<F: Float>(
    a: ArrayView2<F>,
    a_seg: Segments,
    b: &Packed<F>,
    mut c: ArrayViewMut2<F>,
    c_seg: Segments,
    accumulate: bool,
) {
    let m = a.nrows();
    assert_eq!(c.nrows(), m, "gemm: A has {m} rows, C has {}", c.nrows());
    if m == 0 || b.n == 0 {
        return;
    }
    // Segments keep 1 ≤ len ≤ stride (checked constructors, private fields), so `at` grows with
    // the logical column and the last column bounds them all.
    assert!(
        b.k == 0 || a_seg.at(b.k - 1) < a.ncols(),
        "gemm: A segments reach past A"
    );
    assert!(c_seg.at(b.n - 1) < c.ncols(), "gemm: C segments reach past C");
    assert!(
        c.ncols() <= 1 || c.strides()[1] == 1,
        "gemm: C columns must be contiguous"
    );
    let view = Operands {
        a: a.as_ptr(),
        a_row: a.strides()[0],
        a_col: a.strides()[1],
        a_seg,
        c: c.as_mut_ptr(),
        c_row: c.strides()[0],
        c_seg,
        m,
        accumulate,
    };
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        let any: &dyn std::any::Any = &view;
        if let (Some(ops), Some(packed)) = (
            any.downcast_ref::<Operands<f32>>(),
            (b as &dyn std::any::Any).downcast_ref::<Packed<f32>>(),
        ) {
            // SAFETY: avx2 and fma are present (checked just above); `ops` addresses only
            // elements of the views checked above: rows < M, logical columns < K (A) and < N (C).
            unsafe { avx2::gemm_f32(ops, packed) };
        } else {
            // SAFETY: as for the f32 kernel: the features are present and the views checked.
            unsafe { gemm_avx2_fma(&view, b) };
        }
        return;
    }
    // SAFETY: `view` addresses only elements of the views checked above (rows < M, logical
    // columns < K of A and < N of C).
    unsafe { gemm_body::<F, false>(&view, b) };
}

/// Raw operands of one [`gemm`] call (strides in elements).
struct Operands<F> {
    a: *const F,
    a_row: isize,
    a_col: isize,
    a_seg: Segments,
    c: *mut F,
    c_row: isize,
    c_seg: Segments,
    m: usize,
    accumulate: bool,
}

impl<F> Operands<F> {
    /// Element offset of logical column p of an A row, walking p = 0..K segment by segment
    /// (no division in the inner loop).
    #[inline(always)]
    fn for_each_a_column(&self, k: usize, mut f: impl FnMut(usize, isize)) {
        let mut p = 0;
        let mut base = 0;
        while p < k {
            let run = self.a_seg.len.min(k - p);
            for q in 0..run {
                f(p + q, (base + q) as isize * self.a_col);
            }
            p += run;
            base += self.a_seg.stride;
        }
    }

    /// Writes (or adds) `values` into row `row` of C at logical columns `col..col+values.len()`.
    ///
    /// # Safety
    /// The row and columns must be inside C.
    #[inline(always)]
    unsafe fn store(&self, row: usize, col: usize, values: &[F])
    where
        F: Float,
    {
        // SAFETY: `row` is a row of C (caller), so the offset stays inside C's allocation.
        let c_row = unsafe { self.c.offset(row as isize * self.c_row) };
        let first = self.c_seg.at(col);
        if col % self.c_seg.len + values.len() <= self.c_seg.len {
            // SAFETY: the columns lie in one block, so they are the physical columns
            // first..first+len, contiguous (unit column stride, checked in `gemm_segmented`) and
            // inside C (caller); nothing else refers to them during this call.
            let dst = unsafe { std::slice::from_raw_parts_mut(c_row.add(first), values.len()) };
            if self.accumulate {
                dst.iter_mut().zip(values).for_each(|(c, v)| *c += *v);
            } else {
                dst.copy_from_slice(values);
            }
        } else {
            for (j, v) in values.iter().enumerate() {
                // SAFETY: logical column col + j is inside C (caller).
                let dst = unsafe { &mut *c_row.add(self.c_seg.at(col + j)) };
                *dst = if self.accumulate { *dst + *v } else { *v };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_avx2_fma<F: Float>(ops: &Operands<F>, b: &Packed<F>) {
    // SAFETY: the caller passes operands of checked views (the contract of `gemm_body`).
    unsafe { gemm_body::<F, true>(ops, b) }
}

/// Panels outer (one panel of B, K·NR values, stays in L1), row blocks of [`MR`] inner.
///
/// # Safety
/// `ops` must describe valid views of M × K (A) and M × N (C) logical elements.
#[inline(always)]
unsafe fn gemm_body<F: Float, const FMA: bool>(ops: &Operands<F>, b: &Packed<F>) {
    let (k, n) = (b.k, b.n);
    for q in 0..n.div_ceil(NR) {
        let panel = &b.data[q * k * NR..(q + 1) * k * NR];
        let width = (n - q * NR).min(NR);
        let mut i = 0;
        // SAFETY (every call below): rows i..i+R ≤ M and logical columns q·NR..q·NR+width ≤ N
        // lie inside the views that `ops` describes (the contract of this function).
        while i + MR <= ops.m {
            unsafe { micro::<F, MR, FMA>(ops, panel, k, i, q * NR, width) };
            i += MR;
        }
        match ops.m - i {
            3 => unsafe { micro::<F, 3, FMA>(ops, panel, k, i, q * NR, width) },
            2 => unsafe { micro::<F, 2, FMA>(ops, panel, k, i, q * NR, width) },
            1 => unsafe { micro::<F, 1, FMA>(ops, panel, k, i, q * NR, width) },
            _ => {}
        }
    }
}

/// R rows × one panel: R·NR accumulators, one pass over p = 0..K.
///
/// # Safety
/// Rows `i..i+R` of A and C and logical columns `col..col+width` of C must be in bounds.
#[inline(always)]
unsafe fn micro<F: Float, const R: usize, const FMA: bool>(
    ops: &Operands<F>,
    panel: &[F],
    k: usize,
    i: usize,
    col: usize,
    width: usize,
) {
    let mut acc = [[F::zero(); NR]; R];
    // SAFETY: rows i..i+R are rows of A (caller), so each row start is inside A.
    let a_rows: [*const F; R] =
        std::array::from_fn(|r| unsafe { ops.a.offset((i + r) as isize * ops.a_row) });
    ops.for_each_a_column(k, |p, offset| {
        let bp: &[F; NR] = panel[p * NR..(p + 1) * NR].try_into().expect("panel row");
        for r in 0..R {
            // SAFETY: `offset` is logical column p < K of the row, inside A (checked views).
            let av = unsafe { *a_rows[r].offset(offset) };
            for j in 0..NR {
                acc[r][j] = if FMA {
                    av.mul_add(bp[j], acc[r][j])
                } else {
                    acc[r][j] + av * bp[j]
                };
            }
        }
    });
    for (r, acc_row) in acc.iter().enumerate() {
        // SAFETY: row i + r and logical columns col..col+width are inside C (caller).
        unsafe { ops.store(i + r, col, &acc_row[..width]) };
    }
}

/// Measured f32 fused-multiply-add throughput of `threads` cores, in GFLOP/s (2 FLOPs per FMA):
/// each thread runs independent FMA chains on registers for about `seconds`. The denominator of
/// "fraction of peak" in `xlstm bench`; 0 when the CPU has no AVX2/FMA.
pub fn fma_peak_gflops(threads: usize, seconds: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        let threads = threads.max(1);
        let start = std::time::Instant::now();
        let flops: f64 = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|w| {
                    scope.spawn(move || {
                        let (mut total, begin) = (0.0, std::time::Instant::now());
                        let mut sink = 0.0f32;
                        while begin.elapsed().as_secs_f64() < seconds {
                            // SAFETY: avx2 and fma are present (checked above).
                            sink += unsafe { avx2::fma_chains(1 << 20, w as f32) };
                            total += avx2::FLOPS_PER_ITERATION * (1u64 << 20) as f64;
                        }
                        std::hint::black_box(sink);
                        total
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or(0.0)).sum()
        });
        return flops / start.elapsed().as_secs_f64() / 1e9;
    }
    let _ = (threads, seconds);
    0.0
}

/// The f32 micro-kernel in AVX2 intrinsics: 6 rows × 16 columns in 12 registers, the way BLIS's
/// Haswell kernel is blocked; per p, two loads of B, one broadcast and two FMAs per row.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Operands, Packed, NR};
    use std::arch::x86_64::*;

    const MR: usize = 6;

    /// FLOPs of one [`fma_chains`] iteration: 10 chains × 8 lanes × 2.
    pub(super) const FLOPS_PER_ITERATION: f64 = 160.0;

    /// `iterations` rounds of 10 independent 8-lane FMA chains (enough to cover the FMA latency
    /// on two pipes); returns a value that depends on all of them.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn fma_chains(iterations: u64, seed: f32) -> f32 {
        let mut acc = [_mm256_set1_ps(seed); 10];
        let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        for _ in 0..iterations {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let mut out = [0.0f32; 8];
        let sum = acc.iter().fold(_mm256_setzero_ps(), |s, x| _mm256_add_ps(s, *x));
        // SAFETY: `out` holds the 8 floats the unaligned store writes.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
        out.iter().sum()
    }

    /// # Safety
    /// The CPU must have avx2 and fma; `ops` must describe valid views (see [`super::gemm`]).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm_f32(ops: &Operands<f32>, b: &Packed<f32>) {
        let (k, n) = (b.k, b.n);
        for q in 0..n.div_ceil(NR) {
            let panel = b.data[q * k * NR..(q + 1) * k * NR].as_ptr(); // K rows of NR values
            let width = (n - q * NR).min(NR);
            let mut i = 0;
            // SAFETY (every call below): the panel holds K·NR values; rows i..i+R ≤ M and
            // logical columns q·NR..q·NR+width ≤ N lie inside the views of `ops` (caller).
            while i + MR <= ops.m {
                unsafe { micro::<MR>(ops, panel, k, i, q * NR, width) };
                i += MR;
            }
            match ops.m - i {
                5 => unsafe { micro::<5>(ops, panel, k, i, q * NR, width) },
                4 => unsafe { micro::<4>(ops, panel, k, i, q * NR, width) },
                3 => unsafe { micro::<3>(ops, panel, k, i, q * NR, width) },
                2 => unsafe { micro::<2>(ops, panel, k, i, q * NR, width) },
                1 => unsafe { micro::<1>(ops, panel, k, i, q * NR, width) },
                _ => {}
            }
        }
    }

    /// R rows × one panel of NR columns.
    ///
    /// # Safety
    /// The CPU must have avx2 and fma; `panel` must hold K·NR values; rows `i..i+R` of A and C
    /// and logical columns `col..col+width` of C must be inside the views of `ops`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn micro<const R: usize>(
        ops: &Operands<f32>,
        panel: *const f32,
        k: usize,
        i: usize,
        col: usize,
        width: usize,
    ) {
        let mut lo = [_mm256_setzero_ps(); R];
        let mut hi = [_mm256_setzero_ps(); R];
        // SAFETY: rows i..i+R are rows of A (caller), so each row start is inside A.
        let a_rows: [*const f32; R] =
            std::array::from_fn(|r| unsafe { ops.a.offset((i + r) as isize * ops.a_row) });
        ops.for_each_a_column(k, |p, off| {
            // SAFETY: p < K, and panel row p holds NR = 16 values (caller).
            let (b0, b1) = unsafe {
                (
                    _mm256_loadu_ps(panel.add(p * NR)),
                    _mm256_loadu_ps(panel.add(p * NR + 8)),
                )
            };
            for r in 0..R {
                // SAFETY: `off` is logical column p < K of row i + r, inside A (caller).
                let a = unsafe { _mm256_broadcast_ss(&*a_rows[r].offset(off)) };
                lo[r] = _mm256_fmadd_ps(a, b0, lo[r]);
                hi[r] = _mm256_fmadd_ps(a, b1, hi[r]);
            }
        });
        let contiguous = width == NR && col % ops.c_seg.len + NR <= ops.c_seg.len;
        for r in 0..R {
            if contiguous {
                // SAFETY: the NR logical columns col.. lie in one block (checked just above), so
                // they are NR contiguous physical columns of row i + r of C, inside C (caller).
                unsafe {
                    let c = ops.c.offset((i + r) as isize * ops.c_row).add(ops.c_seg.at(col));
                    let (mut v0, mut v1) = (lo[r], hi[r]);
                    if ops.accumulate {
                        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(c));
                        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(c.add(8)));
                    }
                    _mm256_storeu_ps(c, v0);
                    _mm256_storeu_ps(c.add(8), v1);
                }
            } else {
                let mut tmp = [0.0f32; NR];
                // SAFETY: `tmp` holds the NR = 16 floats the two stores write; row i + r and
                // logical columns col..col+width are inside C (caller).
                unsafe {
                    _mm256_storeu_ps(tmp.as_mut_ptr(), lo[r]);
                    _mm256_storeu_ps(tmp.as_mut_ptr().add(8), hi[r]);
                    ops.store(i + r, col, &tmp[..width]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::rng::Rng;
    use ndarray::{s, Array2};

    fn random(rng: &mut Rng, rows: usize, cols: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |_| rng.normal())
    }

    /// Every shape class: remainder rows (M mod 4 = 1..3), partial panels (N mod 16 ≠ 0), K = 1,
    /// strided A (a column slice and a transposed view), C a column slice of a wider array.
    #[test]
    fn gemm_matches_the_naive_product() {
        let mut rng = Rng::new(9);
        for &(m, k, n) in &[(1, 1, 1), (5, 3, 17), (7, 16, 16), (64, 64, 256), (3, 33, 40)] {
            let a_wide = random(&mut rng, m, k + 3);
            let a = a_wide.slice(s![.., 1..k + 1]);
            let b = random(&mut rng, k, n);
            let packed = Packed::new(b.view());
            let mut c_wide = random(&mut rng, m, n + 5);
            let before = c_wide.clone();
            gemm(a, &packed, c_wide.slice_mut(s![.., 2..n + 2]), true);
            let expected = &before.slice(s![.., 2..n + 2]) + &a.dot(&b);
            let err = (&c_wide.slice(s![.., 2..n + 2]) - &expected)
                .iter()
                .fold(0.0f64, |e, x| e.max(x.abs()));
            assert!(err < 1e-12, "({m}, {k}, {n}): max error {err}");
            assert_eq!(
                c_wide.slice(s![.., ..2]),
                before.slice(s![.., ..2]),
                "left of C touched"
            );
            assert_eq!(
                c_wide.slice(s![.., n + 2..]),
                before.slice(s![.., n + 2..]),
                "right of C touched"
            );
            let at = random(&mut rng, k, m);
            let mut c = Array2::zeros((m, n));
            gemm(at.t(), &packed, c.view_mut(), false);
            let err = (&c - &at.t().dot(&b)).iter().fold(0.0f64, |e, x| e.max(x.abs()));
            assert!(err < 1e-12, "transposed A ({m}, {k}, {n}): max error {err}");
        }
    }

    /// Segmented A and C (the sLSTM head layout: blocks of DH columns every H columns), in f64
    /// and f32, against gathering the blocks by hand; block widths below, equal to and above NR.
    #[test]
    fn segmented_gemm_matches_gathered_blocks() {
        let mut rng = Rng::new(31);
        for &(m, dh, heads, head) in &[(5, 16, 4, 1), (7, 8, 4, 3), (3, 20, 2, 0)] {
            let hd = dh * heads;
            let a_full = random(&mut rng, m, 4 * hd);
            let b = random(&mut rng, 4 * dh, 4 * dh);
            let seg = Segments::new(dh, hd).unwrap();
            let cols: Vec<usize> = (0..4 * dh).map(|j| head * dh + seg.at(j)).collect();
            let a = a_full.select(ndarray::Axis(1), &cols); // (M, 4·DH) gathered
            let want = a.dot(&b);
            let c0 = random(&mut rng, m, 4 * hd);
            let mut c = c0.clone();
            let a_view = a_full.slice(s![.., head * dh..]);
            let c_view = c.slice_mut(s![.., head * dh..]);
            gemm_segmented(a_view, seg, &Packed::new(b.view()), c_view, seg, true);
            let mut c32 = c0.mapv(|x| x as f32);
            let (a32, b32) = (
                a_full.mapv(|x| x as f32),
                Packed::new(b.mapv(|x| x as f32).view()),
            );
            gemm_segmented(
                a32.slice(s![.., head * dh..]),
                seg,
                &b32,
                c32.slice_mut(s![.., head * dh..]),
                seg,
                true,
            );
            for (j, &col) in cols.iter().enumerate() {
                for i in 0..m {
                    let expected = c0[[i, col]] + want[[i, j]];
                    assert!((c[[i, col]] - expected).abs() < 1e-12, "f64 ({i}, {col})");
                    assert!(
                        (f64::from(c32[[i, col]]) - expected).abs() < 1e-4,
                        "f32 ({i}, {col})"
                    );
                }
            }
            let untouched = (0..4 * hd).filter(|c| !cols.contains(c));
            for col in untouched {
                assert_eq!(c.column(col), c0.column(col), "column {col} outside the segments");
            }
        }
    }

    /// Overlapping blocks (stride < len) or empty blocks cannot be built, so the bounds check
    /// of `gemm_segmented` (last logical column only) covers every column; the layouts the
    /// sLSTM uses are accepted and address the columns they should.
    #[test]
    fn segments_refuse_overlapping_or_empty_blocks() {
        for (len, stride) in [(0, 4), (5, 4), (2, 1), (0, 0)] {
            let e = Segments::new(len, stride).unwrap_err();
            assert!(e.contains("1 ≤ len ≤ stride"), "({len}, {stride}): {e}");
        }
        let seg = Segments::new(4, 16).unwrap();
        assert_eq!(
            (0..8).map(|j| seg.at(j)).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 16, 17, 18, 19]
        );
        assert_eq!(Segments::new(3, 3).unwrap(), Segments::dense(3));
    }

    /// The f32 path (the AVX2 kernel where available) against an f64 product.
    #[test]
    fn f32_gemm_matches_f64() {
        let mut rng = Rng::new(12);
        for &(m, k, n) in &[(1, 1, 1), (5, 3, 17), (13, 16, 16), (64, 64, 256), (7, 33, 40)] {
            let a = random(&mut rng, m, k);
            let b = random(&mut rng, k, n);
            let c0 = random(&mut rng, m, n);
            let mut c = c0.mapv(|x| x as f32);
            gemm(
                a.mapv(|x| x as f32).view(),
                &Packed::new(b.mapv(|x| x as f32).view()),
                c.view_mut(),
                true,
            );
            let want = &c0 + &a.dot(&b);
            let err = (&c.mapv(f64::from) - &want)
                .iter()
                .fold(0.0f64, |e, x| e.max(x.abs()));
            assert!(err < 1e-4 * (k as f64).sqrt(), "({m}, {k}, {n}): max error {err}");
        }
    }

    /// A row's result does not depend on which other rows are in the call.
    #[test]
    fn rows_do_not_depend_on_the_batch() {
        let mut rng = Rng::new(4);
        let a = random(&mut rng, 9, 20).mapv(|x| x as f32);
        let b = Packed::new(random(&mut rng, 20, 35).mapv(|x| x as f32).view());
        let mut all = Array2::zeros((9, 35));
        gemm(a.view(), &b, all.view_mut(), false);
        for i in 0..9 {
            let mut one = Array2::zeros((1, 35));
            gemm(a.slice(s![i..i + 1, ..]), &b, one.view_mut(), false);
            assert_eq!(one.row(0), all.row(i), "row {i}");
        }
    }

    #[test]
    fn peak_is_positive_with_fma_and_zero_without() {
        let peak = fma_peak_gflops(1, 0.02);
        assert_eq!(peak > 0.0, simd_enabled(), "peak {peak}");
    }

    #[inline(always)]
    fn doubled_sum<F: Float>(v: &[F]) -> F {
        v.iter().fold(F::zero(), |s, x| s + *x + *x)
    }
    crate::simd_entry!(fn doubled_sum_entry<F>(v: &[F]) -> F => doubled_sum);

    #[test]
    fn simd_entry_runs_the_body() {
        let v: Vec<f32> = (0..100).map(|i| i as f32).collect();
        assert_eq!(doubled_sum_entry(&v), 9900.0);
    }
}

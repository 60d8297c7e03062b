#!/usr/bin/python3
"""Derives the constants of tanh_f32 in source/activation_formulas.hpp and checks them.

tanh|x| = e / (e + 2) with e = expm1(2|x|) = 2^k (1 + q(h)) - 1, 2|x| = k ln2 + 2h, |h| <= ln2/4.
q(h) = h (2 + c2 h + ... + c6 h^5) is fitted to expm1(2h) for least maximum relative error
(Lawson's iteratively reweighted least squares, float64), its coefficients rounded to float32.
The whole evaluation is then replayed in float32 with fused multiply-adds over every float in
[2^-30, threshold) with a stride, against float64 numpy.tanh, and the worst error printed in ulp.
Run: /usr/bin/python3 python/fit_tanh_f32.py [--stride N]   (stride 1: every float, minutes)
"""
import argparse

import numpy as np

f32, f64 = np.float32, np.float64
H = np.log(2.0) / 4 * 1.002  # |h| bound, with room for k rounded off by one without FMA


def fit_expm1_2h(degree: int = 6, iterations: int = 60) -> np.ndarray:
    """c2..c_degree of q(h) = h (2 + c2 h + ...) ~ expm1(2h), minimax in relative error."""
    h = np.linspace(-H, H, 200_001)
    h = h[h != 0]
    f = np.expm1(2 * h)
    basis = np.stack([h**j for j in range(2, degree + 1)], 1)
    weights, best = np.ones_like(h), None
    for _ in range(iterations):
        w = np.sqrt(weights) / np.abs(f)
        c, *_ = np.linalg.lstsq(basis * w[:, None], (f - 2 * h) * w, rcond=None)
        err = (2 * h + basis @ c) / f - 1
        if best is None or np.abs(err).max() < best[0]:
            best = (np.abs(err).max(), c)
        weights = weights * np.abs(err)
        weights /= weights.max()
    print(f"expm1 fit: degree {degree}, max relative error {best[0]:.3g} (float64)")
    return best[1]


def fma(a, b, c):
    """float32 fused multiply-add: a*b is exact in float64, one rounding of the sum (then to float32,
    which differs from a true fma only in double-rounding ties)."""
    return (np.asarray(a, f32).astype(f64) * np.asarray(b, f32) + np.asarray(c, f32)).astype(f32)


def ulp(t: np.ndarray) -> np.ndarray:
    return 2.0 ** (np.floor(np.log2(np.maximum(np.abs(t), 2.0**-126))) - 23)


def hexf(v) -> str:
    """A float32 as a C++ hexadecimal float literal."""
    mantissa, exponent = float(v).hex().split("p")
    return f"{mantissa.rstrip('0').rstrip('.')}p{exponent}f"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stride", type=int, default=7)
    stride = parser.parse_args().stride

    x = f32(10.0)
    while f32(np.tanh(f64(np.nextafter(x, f32(0))))) == f32(1):
        x = np.nextafter(x, f32(0))
    threshold = x  # the first float whose tanh rounds to 1
    # ln2/2 = hi + lo, hi with 9 significant bits so k * hi (k <= 26) is exact without FMA.
    half_ln2 = np.log(2.0) / 2
    hi = f32(np.round(half_ln2 * 2**10) / 2**10)
    lo = f32(half_ln2 - f64(hi))
    coefficients = np.concatenate([[2.0], fit_expm1_2h()]).astype(f32)  # c1 = 2 exactly
    two_over_ln2 = f32(2 / np.log(2.0))
    shifter = f32(1.5 * 2**23)

    print(f"threshold {hexf(threshold)} ({threshold})")
    print(f"2/ln2 {hexf(two_over_ln2)}  -hi {hexf(-hi)}  -lo {hexf(-lo)}")
    print("q from c6 down to c1:", ", ".join(hexf(c) for c in coefficients[::-1]))

    worst = (0.0, 0.0)
    start, stop = f32(2.0**-30).view(np.int32), threshold.view(np.int32)
    for first in range(start, stop, 1 << 24):
        a = np.arange(first, min(first + (1 << 24), stop), stride, dtype=np.int32).view(f32)
        shifted = fma(a, two_over_ln2, shifter)
        k = (shifted - shifter).astype(f32)
        h = fma(k, -lo, fma(k, -hi, a))
        q = np.full_like(h, coefficients[-1])
        for c in coefficients[-2::-1]:
            q = fma(q, h, c)
        scale = (2.0**k).astype(f32)
        e = fma(scale, (q * h).astype(f32), (scale - f32(1)).astype(f32))
        t = (e / (e + f32(2)).astype(f32)).astype(f32)
        assert (t <= 1).all()
        reference = np.tanh(a.astype(f64))
        err = np.abs(t - reference) / ulp(reference)
        i = int(err.argmax())
        worst = max(worst, (float(err[i]), float(a[i])))
    print(f"float32 evaluation: max error {worst[0]:.2f} ulp at x = {worst[1]:.9g} (stride {stride})")


if __name__ == "__main__":
    main()

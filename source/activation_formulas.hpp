#pragma once
// Every elementwise Keras activation, written once for scalars and for SIMD batches:
// the scalar form serves Activation::apply_last_axis, the batch form is fused into the
// convolution kernels' store. Internal linkage throughout, because the kernel files
// compile this header with different instruction-set flags.
#include "rtconv/activations.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace rtconv::detail {
namespace {

// Scalar counterparts of the xsimd batch operations the formulas use.
template <class T> inline T if_else(bool condition, T a, T b) { return condition ? a : b; }
template <class T, class A>
inline xsimd::batch<T, A> if_else(const xsimd::batch_bool<T, A>& condition, const xsimd::batch<T, A>& a,
                                  const xsimd::batch<T, A>& b)
{
    return xsimd::select(condition, a, b);
}
template <class T> inline T max_of(T a, T b) { return std::max(a, b); }
template <class T> inline T min_of(T a, T b) { return std::min(a, b); }
template <class T, class A> inline xsimd::batch<T, A> max_of(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b)
{
    return xsimd::max(a, b);
}
template <class T, class A> inline xsimd::batch<T, A> min_of(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b)
{
    return xsimd::min(a, b);
}
template <class T> inline bool is_nan(T x) { return std::isnan(x); }
template <class T, class A> inline xsimd::batch_bool<T, A> is_nan(const xsimd::batch<T, A>& x) { return xsimd::isnan(x); }
template <class T> inline T copysign_of(T magnitude, T sign) { return std::copysign(magnitude, sign); }
template <class T, class A>
inline xsimd::batch<T, A> copysign_of(const xsimd::batch<T, A>& magnitude, const xsimd::batch<T, A>& sign)
{
    return xsimd::copysign(magnitude, sign);
}

/// Whether V is float or a batch of floats.
template <class V> inline constexpr bool is_float_v = std::is_same_v<V, float>;
template <class A> inline constexpr bool is_float_v<xsimd::batch<float, A>> = true;

/// a * b + c, fused. xsimd 8.1 has no AVX-512 fused multiply-add (it falls back to a separate
/// multiply and add); without FMA hardware (SSE2) xsimd::fma is that fallback too.
template <class T> inline T fma_of(T a, T b, T c) { return std::fma(a, b, c); }
template <class T, class A>
inline xsimd::batch<T, A> fma_of(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b, const xsimd::batch<T, A>& c)
{
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<A, xsimd::avx512f>) {
        if constexpr (std::is_same_v<T, float>)
            return _mm512_fmadd_ps(a, b, c);
        else
            return _mm512_fmadd_pd(a, b, c);
    } else
#endif
        return xsimd::fma(a, b, c);
}

/// 2^k from s = 0x1.8p23f + k, k a small non-negative integer held in s's low mantissa bits:
/// shifting them into the exponent field of 1.0f costs two integer operations and no conversion.
inline float exp2_of_shifted(float s) { return std::bit_cast<float>((std::bit_cast<std::uint32_t>(s) << 23) + 0x3f800000u); }
template <class A> inline xsimd::batch<float, A> exp2_of_shifted(const xsimd::batch<float, A>& s)
{
    using I = xsimd::batch<std::int32_t, A>;
    return xsimd::bitwise_cast<xsimd::batch<float, A>>((xsimd::bitwise_cast<I>(s) << 23) + I(0x3f800000));
}

/// float32 tanh without branches, within 4 ulp everywhere (3.2 at worst, tests/test_activations.cpp)
/// at about a third of xsimd::tanh's cost in the kernels: xsimd branches on the lanes and its exp
/// guards ranges tanh never reaches. With e = expm1(2|x|), tanh|x| = e / (e + 2), and
/// e = 2^k (1 + q(h)) - 1 for 2|x| = k ln2 + 2h, |h| <= ln2/4, with q a minimax fit of expm1(2h) (python/fit_tanh_f32.py). Past 9.010914,
/// the first float whose tanh rounds to 1, the result is 1: this also covers infinities, while
/// NaN fails the comparison and stays NaN.
template <class V> inline V tanh_f32(const V& x)
{
    const V a = xsimd::abs(x);
    const V shifter(0x1.8p23f); // adding it rounds to an integer, in the low mantissa bits
    const V shifted = fma_of(a, V(0x1.715476p+1f), shifter); // 2/ln2
    const V k = shifted - shifter;
    // ln2/2 in two parts, the first short enough for k * part to be exact without FMA.
    const V h = fma_of(k, V(0x1.bd0106p-14f), fma_of(k, V(-0x1.63p-2f), a));
    V q = V(0x1.6beb88p-4f); // q(h) / h, from h^5 down
    q = fma_of(q, h, V(0x1.12285ep-2f));
    q = fma_of(q, h, V(0x1.555676p-1f));
    q = fma_of(q, h, V(0x1.5554bp+0f));
    q = fma_of(q, h, V(0x1.fffffep+0f));
    q = fma_of(q, h, V(2));
    const V scale = exp2_of_shifted(shifted);
    const V e = fma_of(scale, q * h, scale - V(1));
    return copysign_of(if_else(a >= V(0x1.205968p+3f), V(1), e / (e + V(2))), x);
}
/// f(x), for float64 with x limited to [-limit, limit] and NaN set aside: xsimd's float64 exp,
/// expm1, tanh and erf convert a multiple of x to int64 before they check its range, which for NaN
/// or |x| past 6.4e18 has no value (undefined behaviour, which UBSan reports; found by fuzzing
/// models whose weights reach 1e21). `limit` is where f has its final value, so no result changes,
/// and NaN stays NaN. Their float32 counterparts convert with an instruction, defined for any input.
template <class V, class F> inline V saturating(const V& x, double limit, F&& f)
{
    if constexpr (is_float_v<V>) {
        return f(x);
    } else {
        const auto nan = is_nan(x); // not x != x: xsimd's AVX-512 != is an ordered compare, false for NaN
        const V within = if_else(x < V(-limit), V(-limit), if_else(x > V(limit), V(limit), x));
        return if_else(nan, x, f(if_else(nan, V(0), within)));
    }
}
/// exp(x) is 0 or infinite in float64 past |x| = 746, expm1(x) -1 or infinite.
template <class V> inline V exp_of(const V& x) { return saturating(x, 746.0, [](const V& v) { return xsimd::exp(v); }); }
template <class V> inline V expm1_of(const V& x) { return saturating(x, 746.0, [](const V& v) { return xsimd::expm1(v); }); }
/// erf(6) is 1 in float64.
template <class V> inline V erf_of(const V& x) { return saturating(x, 6.0, [](const V& v) { return xsimd::erf(v); }); }

/// tanh in float32 and float64; float64 keeps xsimd's, accurate to double precision (tanh(20) is
/// 1 in float64).
template <class V> inline V tanh_of(const V& x)
{
    if constexpr (is_float_v<V>) return tanh_f32(x);
    else return saturating(x, 20.0, [](const V& v) { return xsimd::tanh(v); });
}

/// V is float, double or an xsimd batch of them.
template <class V> inline V sigmoid(const V& x) { return V(1) / (V(1) + exp_of(-x)); }
/// log(1 + exp(x)) without overflow for large x.
template <class V> inline V softplus(const V& x)
{
    return max_of(x, V(0)) + xsimd::log1p(exp_of(-xsimd::abs(x)));
}
template <class V> inline V relu6(const V& x) { return min_of(max_of(x, V(0)), V(6)); }
template <class V> inline V hard_sigmoid(const V& x) { return relu6(x + V(3)) / V(6); }

/// Keras' activation of kind K with its default arguments, as keras.activations.get(name) gives it.
template <Activation::Kind K, class V> inline V activate(const V& x)
{
    using Kind = Activation::Kind;
    if constexpr (K == Kind::relu) return max_of(x, V(0));
    else if constexpr (K == Kind::relu6) return relu6(x);
    else if constexpr (K == Kind::leaky_relu) return if_else(x >= V(0), x, V(0.2) * x);
    else if constexpr (K == Kind::elu) return if_else(x > V(0), x, expm1_of(x));
    else if constexpr (K == Kind::selu) {
        const V scale(1.0507009873554804934193349852946), alpha(1.6732632423543772848170429916717);
        return scale * if_else(x > V(0), x, alpha * expm1_of(x));
    }
    else if constexpr (K == Kind::celu) return max_of(x, V(0)) + min_of(expm1_of(x), V(0)); // alpha = 1
    else if constexpr (K == Kind::gelu) return V(0.5) * x * (V(1) + erf_of(x * V(0.70710678118654752440084436210485)));
    else if constexpr (K == Kind::silu) return x * sigmoid(x);
    else if constexpr (K == Kind::hard_silu) return x * hard_sigmoid(x);
    else if constexpr (K == Kind::mish) return x * tanh_of(softplus(x));
    else if constexpr (K == Kind::sigmoid) return sigmoid(x);
    else if constexpr (K == Kind::hard_sigmoid) return hard_sigmoid(x);
    else if constexpr (K == Kind::log_sigmoid) return -softplus(-x);
    else if constexpr (K == Kind::sparse_sigmoid) return min_of(max_of(V(0.5) * (x + V(1)), V(0)), V(1));
    else if constexpr (K == Kind::tanh) return tanh_of(x);
    else if constexpr (K == Kind::hard_tanh) return min_of(max_of(x, V(-1)), V(1));
    else if constexpr (K == Kind::tanh_shrink) return x - tanh_of(x);
    else if constexpr (K == Kind::soft_shrink) // threshold 0.5
        return if_else(x > V(0.5), x - V(0.5), if_else(x < V(-0.5), x + V(0.5), V(0)));
    else if constexpr (K == Kind::hard_shrink) return if_else(xsimd::abs(x) > V(0.5), x, V(0)); // threshold 0.5
    else if constexpr (K == Kind::softplus) return softplus(x);
    else if constexpr (K == Kind::softsign) return x / (V(1) + xsimd::abs(x));
    else if constexpr (K == Kind::squareplus) return V(0.5) * (x + xsimd::sqrt(x * x + V(4))); // b = 4
    else if constexpr (K == Kind::sparse_plus) {
        const V middle = V(0.25) * (x + V(1)) * (x + V(1));
        return if_else(x <= V(-1), V(0), if_else(x >= V(1), x, middle));
    }
    else if constexpr (K == Kind::exponential) return exp_of(x);
    else return x; // linear; last-axis kinds never reach an elementwise path
}

/// Calls f(std::integral_constant<Kind, kind>{}) for a run-time elementwise kind, so callers
/// switch once and then run a loop specialised for that activation.
template <class F, std::size_t... I> inline void visit_elementwise(Activation::Kind kind, F&& f, std::index_sequence<I...>)
{
    (void)((kind == static_cast<Activation::Kind>(I)
                ? (f(std::integral_constant<Activation::Kind, static_cast<Activation::Kind>(I)>{}), true)
                : false) || ...);
}
template <class F> inline void visit_elementwise(Activation::Kind kind, F&& f)
{
    visit_elementwise(kind, f, std::make_index_sequence<static_cast<std::size_t>(Activation::Kind::softmax)>{});
}

} // namespace
} // namespace rtconv::detail

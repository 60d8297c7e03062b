#pragma once
// Every elementwise Keras activation, written once for scalars and for SIMD batches:
// the scalar form serves Activation::apply_last_axis, the batch form is fused into the
// convolution kernels' store. Internal linkage throughout, because the kernel files
// compile this header with different instruction-set flags.
#include "rtconv/activations.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

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

/// V is float, double or an xsimd batch of them.
template <class V> inline V sigmoid(const V& x) { return V(1) / (V(1) + xsimd::exp(-x)); }
/// log(1 + exp(x)) without overflow for large x.
template <class V> inline V softplus(const V& x)
{
    return max_of(x, V(0)) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
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
    else if constexpr (K == Kind::elu) return if_else(x > V(0), x, xsimd::expm1(x));
    else if constexpr (K == Kind::selu) {
        const V scale(1.0507009873554804934193349852946), alpha(1.6732632423543772848170429916717);
        return scale * if_else(x > V(0), x, alpha * xsimd::expm1(x));
    }
    else if constexpr (K == Kind::celu) return max_of(x, V(0)) + min_of(xsimd::expm1(x), V(0)); // alpha = 1
    else if constexpr (K == Kind::gelu) return V(0.5) * x * (V(1) + xsimd::erf(x * V(0.70710678118654752440084436210485)));
    else if constexpr (K == Kind::silu) return x * sigmoid(x);
    else if constexpr (K == Kind::hard_silu) return x * hard_sigmoid(x);
    else if constexpr (K == Kind::mish) return x * xsimd::tanh(softplus(x));
    else if constexpr (K == Kind::sigmoid) return sigmoid(x);
    else if constexpr (K == Kind::hard_sigmoid) return hard_sigmoid(x);
    else if constexpr (K == Kind::log_sigmoid) return -softplus(-x);
    else if constexpr (K == Kind::sparse_sigmoid) return min_of(max_of(V(0.5) * (x + V(1)), V(0)), V(1));
    else if constexpr (K == Kind::tanh) return xsimd::tanh(x);
    else if constexpr (K == Kind::hard_tanh) return min_of(max_of(x, V(-1)), V(1));
    else if constexpr (K == Kind::tanh_shrink) return x - xsimd::tanh(x);
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
    else if constexpr (K == Kind::exponential) return xsimd::exp(x);
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

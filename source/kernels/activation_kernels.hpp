#pragma once
// Elementwise activations on SIMD batches, fused into the convolution kernel's store.
// Included only by the per-instruction-set kernel files; internal linkage throughout.
#include "rtconv/activations.hpp"

#include <xsimd/xsimd.hpp>

namespace rtconv::detail {
namespace {

template <class A, class T> inline xsimd::batch<T, A> activate(const Activation& act, const xsimd::batch<T, A>& x)
{
    using B = xsimd::batch<T, A>;
    switch (act.kind()) {
    case Activation::Kind::linear: return x;
    case Activation::Kind::relu: return xsimd::max(x, B(T(0)));
    case Activation::Kind::tanh: return xsimd::tanh(x);
    case Activation::Kind::sigmoid: return B(T(1)) / (B(T(1)) + xsimd::exp(-x));
    default: return x; // TODO(helper): every elementwise kind
    }
}

} // namespace
} // namespace rtconv::detail

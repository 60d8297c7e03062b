#pragma once
// The body of the convolution kernel, compiled once per instruction set by the
// kernels/conv_kernel_<arch>.cpp files with that set's compiler flags.
// Everything here has internal linkage, so no inline function compiled for one
// instruction set can be picked by the linker for another.
#include "conv_kernel.hpp"
#include "activation_formulas.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rtconv::detail {
namespace {

/// Time vectors per register tile: kPackRows x V accumulators plus V inputs and a broadcast
/// weight must fit the register file.
template <class A> constexpr std::size_t tile_vectors()
{
    if constexpr (std::is_same_v<A, xsimd::avx512f>) return 4; // 32 registers
    else if constexpr (xsimd::batch<float, A>::size == 8) return 3; // AVX2: 16 registers
    else return 2;
}

/// One register tile: kPackRows output channels x V vectors of time starting at column t.
template <class A, class T, std::size_t V>
inline void conv_tile(const ConvKernelArgs<T>& a, std::size_t block, std::size_t t)
{
    using B = xsimd::batch<T, A>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t R = kPackRows;
    const std::size_t row0 = block * R;
    const std::size_t rows_here = a.rows - row0 < R ? a.rows - row0 : R;

    B acc[R][V];
    for (std::size_t r = 0; r < R; ++r) {
        const B b(a.bias && r < rows_here ? a.bias[row0 + r] : T(0));
        for (std::size_t v = 0; v < V; ++v) acc[r][v] = b;
    }
    for (std::size_t j = 0; j < a.num_taps; ++j) {
        const ConvTap<T>& tap = a.taps[j];
        const T* w = tap.w + block * R * a.cin;
        const T* x = tap.x + t;
        for (std::size_t c = 0; c < a.cin; ++c, w += R, x += tap.ldx) {
            B xv[V];
            for (std::size_t v = 0; v < V; ++v) xv[v] = B::load_unaligned(x + v * W);
            for (std::size_t r = 0; r < R; ++r) {
                const B wr(w[r]);
                for (std::size_t v = 0; v < V; ++v) acc[r][v] = fma_of(wr, xv[v], acc[r][v]);
            }
        }
    }
    const Activation* activation = a.gate_activation && row0 >= a.gate_row ? a.gate_activation : a.activation;
    if (activation)
        visit_elementwise(activation->kind(), [&](auto kind) {
            for (std::size_t r = 0; r < rows_here; ++r)
                for (std::size_t v = 0; v < V; ++v) acc[r][v] = activate<kind.value>(acc[r][v]);
        });
    const ConvEpilogue<T>& e = a.epilogue;
    for (std::size_t r = 0; r < rows_here; ++r) {
        T* y = a.y + (row0 + r) * a.ldy + t;
        const T* add = e.add ? e.add + (row0 + r) * e.ld_add + t : nullptr;
        T* sum = e.sum ? e.sum + (row0 + r) * e.ld_sum + t : nullptr;
        for (std::size_t v = 0; v < V; ++v) {
            if (add) acc[r][v] += B::load_unaligned(add + v * W);
            acc[r][v].store_unaligned(y + v * W);
            if (!sum) continue;
            // Past `cols` the sum belongs to the next segment of a stream: a store there would
            // be overwritten, but an addition would count twice.
            const std::size_t first = t + v * W;
            if (first + W <= a.cols) {
                (B::load_unaligned(sum + v * W) + acc[r][v]).store_unaligned(sum + v * W);
            } else {
                alignas(64) T lanes[W];
                acc[r][v].store_aligned(lanes);
                for (std::size_t i = 0; first + i < a.cols; ++i) sum[v * W + i] += lanes[i];
            }
        }
    }
}

template <class A, class T> void conv_kernel(const ConvKernelArgs<T>& a)
{
    constexpr std::size_t W = xsimd::batch<T, A>::size;
    constexpr std::size_t V = tile_vectors<A>();
    static_assert(W <= kTimeSlack, "the last partial vector must fit in the buffers' slack");
    static_assert(V <= 4, "the tail switch covers tiles of up to 4 vectors");
    const std::size_t blocks = (a.rows + kPackRows - 1) / kPackRows;
    for (std::size_t b = 0; b < blocks; ++b) {
        std::size_t t = 0;
        for (; t + V * W <= a.cols; t += V * W) conv_tile<A, T, V>(a, b, t);
        // The rest in one narrower tile: more accumulators in flight than vector by vector.
        switch ((a.cols - t + W - 1) / W) {
        case 0: break;
        case 1: conv_tile<A, T, 1>(a, b, t); break;
        case 2: conv_tile<A, T, 2>(a, b, t); break;
        case 3: conv_tile<A, T, 3>(a, b, t); break;
        default: conv_tile<A, T, 4>(a, b, t); break;
        }
    }
}

/// Output frames per frame tile for V vectors of output channels: V * F accumulators, V weight
/// vectors and a broadcast input must fit the register file.
template <class A> constexpr std::size_t frame_tile_frames(std::size_t vectors)
{
    if constexpr (std::is_same_v<A, xsimd::avx512f>) return vectors == 1 ? 12 : vectors == 2 ? 10 : vectors == 3 ? 7 : 5;
    else return vectors == 1 ? 8 : vectors == 2 ? 5 : vectors == 3 ? 3 : 2;
}
inline constexpr std::size_t kFrameTileVectors = 4;

/// Bias, activation and store of F output frames x V vectors of output channels from o0.
template <class A, class T, std::size_t V, std::size_t F>
inline void frame_store(const FrameKernelArgs<T>& a, xsimd::batch<T, A> (&acc)[F][V], std::size_t o0, std::size_t t0)
{
    using B = xsimd::batch<T, A>;
    constexpr std::size_t W = B::size;
    if (a.activation)
        visit_elementwise(a.activation->kind(), [&](auto kind) {
            for (std::size_t f = 0; f < F; ++f)
                for (std::size_t v = 0; v < V; ++v) acc[f][v] = activate<kind.value>(acc[f][v]);
        });
    const ConvEpilogue<T>& e = a.epilogue;
    for (std::size_t f = 0; f < F; ++f) {
        const std::size_t t = t0 + f;
        T* y = a.y + t * a.ldy + o0 * a.y_chan;
        for (std::size_t v = 0; v < V; ++v) {
            const std::size_t first = o0 + v * W;
            if (a.y_chan == 1 && first + W <= a.cout && !e.add && !e.sum) {
                acc[f][v].store_unaligned(y + v * W);
            } else if (first < a.cout) { // strided channels, a partial vector or an epilogue: lane by lane
                alignas(64) T lanes[W];
                acc[f][v].store_aligned(lanes);
                for (std::size_t i = 0; i < W && first + i < a.cout; ++i) {
                    const std::size_t o = first + i;
                    T value = lanes[i];
                    if (e.add) value += e.add[o * e.ld_add + t];
                    y[(v * W + i) * a.y_chan] = value;
                    if (e.sum) e.sum[o * e.ld_sum + t] += value;
                }
            }
        }
    }
}

template <class A, class T, std::size_t V> inline void load_bias(const FrameKernelArgs<T>& a, std::size_t o0, xsimd::batch<T, A> (&b)[V])
{
    using B = xsimd::batch<T, A>;
    for (std::size_t v = 0; v < V; ++v) b[v] = a.bias ? B::load_unaligned(a.bias + o0 + v * B::size) : B(T(0));
}

/// F output frames x V vectors of output channels from o0.
template <class A, class T, std::size_t V, std::size_t F>
inline void frame_tile(const FrameKernelArgs<T>& a, std::size_t o0, std::size_t t0)
{
    using B = xsimd::batch<T, A>;
    constexpr std::size_t W = B::size;
    B acc[F][V], bias[V];
    load_bias<A, T, V>(a, o0, bias);
    for (std::size_t f = 0; f < F; ++f)
        for (std::size_t v = 0; v < V; ++v) acc[f][v] = bias[v];
    for (std::size_t j = 0; j < a.num_taps; ++j) {
        const ConvTap<T>& tap = a.taps[j];
        const T* x = tap.x + t0 * a.x_step;
        const T* w = tap.w + o0;
        for (std::size_t c = 0; c < a.cin; ++c, w += a.w_stride, x += tap.ldx) {
            B wv[V];
            for (std::size_t v = 0; v < V; ++v) wv[v] = B::load_unaligned(w + v * W);
            for (std::size_t f = 0; f < F; ++f) {
                const B xb(x[f * a.x_step]);
                for (std::size_t v = 0; v < V; ++v) acc[f][v] = fma_of(wv[v], xb, acc[f][v]);
            }
        }
    }
    frame_store<A, T, V, F>(a, acc, o0, t0);
}

/// One output frame: its sum runs as kChains independent chains over the input channels,
/// or every multiply-add would wait for the previous one's latency.
template <class A, class T, std::size_t V>
inline void frame_single(const FrameKernelArgs<T>& a, std::size_t o0, std::size_t t0)
{
    using B = xsimd::batch<T, A>;
    constexpr std::size_t W = B::size;
    // Independent accumulators to cover the FMA latency: one output vector alone would wait on
    // each multiply-add before the next.
    constexpr std::size_t kChains = V == 1 ? 8 : 4;
    B chains[kChains][V], bias[V];
    load_bias<A, T, V>(a, o0, bias);
    for (std::size_t v = 0; v < V; ++v) {
        chains[0][v] = bias[v];
        for (std::size_t k = 1; k < kChains; ++k) chains[k][v] = B(T(0));
    }
    for (std::size_t j = 0; j < a.num_taps; ++j) {
        const ConvTap<T>& tap = a.taps[j];
        const T* x = tap.x + t0 * a.x_step;
        const T* w = tap.w + o0;
        std::size_t c = 0;
        for (; c + kChains <= a.cin; c += kChains)
            for (std::size_t k = 0; k < kChains; ++k) {
                const B xb(x[(c + k) * tap.ldx]);
                for (std::size_t v = 0; v < V; ++v)
                    chains[k][v] = fma_of(B::load_unaligned(w + (c + k) * a.w_stride + v * W), xb, chains[k][v]);
            }
        for (; c < a.cin; ++c) {
            const B xb(x[c * tap.ldx]);
            for (std::size_t v = 0; v < V; ++v)
                chains[0][v] = fma_of(B::load_unaligned(w + c * a.w_stride + v * W), xb, chains[0][v]);
        }
    }
    B acc[1][V];
    for (std::size_t v = 0; v < V; ++v) {
        acc[0][v] = chains[0][v];
        for (std::size_t k = 1; k < kChains; ++k) acc[0][v] += chains[k][v];
    }
    frame_store<A, T, V, 1>(a, acc, o0, t0);
}

template <class A, class T, std::size_t V> void frame_columns(const FrameKernelArgs<T>& a, std::size_t o0)
{
    constexpr std::size_t F = frame_tile_frames<A>(V);
    std::size_t t = 0;
    for (; t + F <= a.frames; t += F) frame_tile<A, T, V, F>(a, o0, t);
    for (; t < a.frames; ++t) frame_single<A, T, V>(a, o0, t);
}

template <class A, class T> void frame_kernel(const FrameKernelArgs<T>& a)
{
    constexpr std::size_t W = xsimd::batch<T, A>::size;
    const std::size_t vectors = (a.cout + W - 1) / W;
    for (std::size_t v0 = 0; v0 < vectors; v0 += kFrameTileVectors) {
        switch (std::min(kFrameTileVectors, vectors - v0)) {
        case 1: frame_columns<A, T, 1>(a, v0 * W); break;
        case 2: frame_columns<A, T, 2>(a, v0 * W); break;
        case 3: frame_columns<A, T, 3>(a, v0 * W); break;
        default: frame_columns<A, T, 4>(a, v0 * W); break;
        }
    }
}

template <class A, class T> std::size_t fma_probe(std::size_t iterations)
{
    using B = xsimd::batch<T, A>;
    // Enough independent chains to cover FMA latency times the number of FMA ports.
    constexpr std::size_t chains = 12;
    B acc[chains];
    for (std::size_t j = 0; j < chains; ++j) acc[j] = B(T(j + 1));
    const B decay(T(0.9999999)), step(T(1e-7)); // converges instead of overflowing or going denormal
    for (std::size_t i = 0; i < iterations; ++i)
        for (std::size_t j = 0; j < chains; ++j) acc[j] = fma_of(acc[j], decay, step);
    B sum = acc[0];
    for (std::size_t j = 1; j < chains; ++j) sum += acc[j];
    volatile T sink = xsimd::hadd(sum);
    (void)sink;
    return iterations * chains * B::size;
}

template <class A, class T> bool any_non_finite(const T* values, std::size_t n)
{
    using B = xsimd::batch<T, A>;
    constexpr std::size_t W = B::size;
    // |x| <= max is false for NaN and for infinity alike; no early exit, so the loop stays simple.
    const B largest(std::numeric_limits<T>::max());
    auto bad = xsimd::batch_bool<T, A>(false);
    std::size_t i = 0;
    for (; i + W <= n; i += W) bad = bad | !(xsimd::abs(B::load_unaligned(values + i)) <= largest);
    bool found = xsimd::any(bad);
    for (; i < n; ++i) found = found || !(std::abs(values[i]) <= std::numeric_limits<T>::max());
    return found;
}

template <class A> KernelSet make_kernel_set(const char* name)
{
    KernelSet set{};
    set.arch = name;
    set.f32 = {&conv_kernel<A, float>, &frame_kernel<A, float>, &fma_probe<A, float>, &any_non_finite<A, float>};
    set.f64 = {&conv_kernel<A, double>, &frame_kernel<A, double>, &fma_probe<A, double>, &any_non_finite<A, double>};
    return set;
}

} // namespace
} // namespace rtconv::detail

#pragma once
// Matrix transpose in 128-bit SIMD tiles: between the caller's interleaved frames and the
// engine's channel rows. 128-bit on purpose: there xsimd's zip_lo/zip_hi interleave whole
// registers (on AVX they work per 128-bit lane), and every x86-64 and arm64 CPU has it.
#include <xsimd/xsimd.hpp>

#include <cstddef>

namespace rtconv::detail {

#if defined(__x86_64__) || defined(_M_X64)
using Arch128 = xsimd::sse2;
#elif defined(__aarch64__)
using Arch128 = xsimd::neon64;
#endif

/// dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols.
template <class T>
void transpose(const T* src, std::size_t ld_src, T* dst, std::size_t ld_dst, std::size_t rows, std::size_t cols)
{
    using B = xsimd::batch<T, Arch128>;
    constexpr std::size_t W = B::size;
    std::size_t r0 = 0;
    for (; r0 + W <= rows; r0 += W) {
        std::size_t c0 = 0;
        for (; c0 + W <= cols; c0 += W) {
            // log2(W) rounds of pairing row j with row j + W/2 transpose a W x W tile.
            B tile[W];
            for (std::size_t i = 0; i < W; ++i) tile[i] = B::load_unaligned(src + (r0 + i) * ld_src + c0);
            for (std::size_t round = W; round > 1; round /= 2) {
                B next[W];
                for (std::size_t j = 0; j < W / 2; ++j) {
                    next[2 * j] = xsimd::zip_lo(tile[j], tile[j + W / 2]);
                    next[2 * j + 1] = xsimd::zip_hi(tile[j], tile[j + W / 2]);
                }
                for (std::size_t i = 0; i < W; ++i) tile[i] = next[i];
            }
            for (std::size_t i = 0; i < W; ++i) tile[i].store_unaligned(dst + (c0 + i) * ld_dst + r0);
        }
        for (std::size_t r = r0; r < r0 + W; ++r)
            for (std::size_t c = c0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
    }
    for (std::size_t r = r0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
}

} // namespace rtconv::detail

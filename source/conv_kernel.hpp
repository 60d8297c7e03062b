#pragma once
// The convolution kernel: the one hot loop every rtconv layer runs, whole-sequence or streaming.
//
//   Y[r, t] = act( bias[r] + sum over taps j, input channels c of  W_j[r, c] * X_j[c, t] )
//
// Each tap j reads its own window X_j (a pointer to column 0, rows `ldx` apart), so a dilated
// conv is taps at offsets k*d, a strided conv taps into polyphase copies of the input, a
// transposed conv taps into its input with per-phase offsets, and a stream taps into its
// ring-buffer history or the current block. Time is contiguous; SIMD runs along it.
#include "rtconv/activations.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace rtconv::detail {

/// Output channels per packed weight block (the register tile's rows).
inline constexpr std::size_t kPackRows = 4;
/// Elements past `cols` a kernel may read in each X row and write in each Y row:
/// buffers handed to the kernel keep this much slack so tails need no scalar loop.
inline constexpr std::size_t kTimeSlack = 16;

template <class T> struct ConvTap {
    const T* x;      ///< column 0 of this tap's window
    std::size_t ldx; ///< distance between input-channel rows
    const T* w;      ///< packed weights (pack_weights) for this tap, rows x cin
};

/// What a kernel adds to its result as it stores it, after the activation: a residual input
/// (`add`) and a running sum that receives the result (`sum`, a WaveNet's head). Rows of both
/// are `ld_*` apart and line up with the output's rows and columns.
template <class T> struct ConvEpilogue {
    const T* add = nullptr;
    std::size_t ld_add = 0;
    T* sum = nullptr;
    std::size_t ld_sum = 0;
};

template <class T> struct ConvKernelArgs {
    T* y;
    std::size_t ldy;
    std::size_t rows; ///< output channels
    std::size_t cols; ///< time steps
    std::size_t cin;  ///< input channels per tap
    const ConvTap<T>* taps;
    std::size_t num_taps;
    const T* bias;                 ///< `rows` values, or null
    const Activation* activation;  ///< elementwise, fused into the store; null for linear
    /// Rows from gate_row on take gate_activation instead (a gated WaveNet's gate half; a
    /// multiple of kPackRows); null: every row takes `activation`.
    const Activation* gate_activation;
    std::size_t gate_row;
    ConvEpilogue<T> epilogue;
};

template <class T> using ConvKernelFn = void (*)(const ConvKernelArgs<T>&);

/// The frame kernel: whole output frames, SIMD across output channels, for time-major data
/// (channels_last sequences), where the time-contiguous kernel would need a transpose.
///
///   y[t * ldy + o * y_chan] = act( bias[o] + sum over taps j, input channels c of w_j[c][o] * x_j[t * x_step + c * ldx_j] )
///
/// It also serves streams on blocks too short to fill the time kernel's vectors (block size 1).
template <class T> struct FrameKernelArgs {
    T* y;
    std::size_t ldy;         ///< distance between output frames
    std::size_t y_chan;      ///< distance between output channels: 1 for time-major output
    std::size_t frames;
    std::size_t cout;        ///< output channels
    std::size_t w_stride;    ///< packed weight row length: cout rounded up to kFrameLanes<T>
    std::size_t cin;
    /// Per tap: x = its input for output frame 0, ldx = distance between input channels,
    /// w = [cin][w_stride] weights, zero past cout.
    const ConvTap<T>* taps;
    std::size_t num_taps;
    std::size_t x_step;      ///< distance between the inputs of consecutive output frames
    const T* bias;           ///< w_stride values (zero past cout), or null
    const Activation* activation;
    /// For channels-by-time output (ldy 1): add and sum laid out like y, channels ld_* apart.
    ConvEpilogue<T> epilogue;
};

/// Packed frame weights pad each row of output channels to a whole number of the widest vectors.
template <class T> inline constexpr std::size_t kFrameLanes = 64 / sizeof(T);

template <class T> struct ConvKernels {
    ConvKernelFn<T> conv = nullptr;
    void (*frames)(const FrameKernelArgs<T>&) = nullptr;
    /// Runs `iterations` rounds of independent fused multiply-adds on full registers and returns
    /// how many scalar multiply-adds that was: the yardstick for "% of FMA peak".
    std::size_t (*fma_probe)(std::size_t iterations) = nullptr;
    /// Whether any of n values is NaN or infinite: a stream checks every block it passes.
    bool (*any_non_finite)(const T* values, std::size_t n) = nullptr;
};

struct KernelSet {
    const char* arch;
    ConvKernels<float> f32;
    ConvKernels<double> f64;
};

/// The kernels for the best instruction set this CPU runs (or the one chosen by select_kernel_arch).
const KernelSet& kernels();
template <class T> const ConvKernels<T>& kernels_for();

/// Packed size of a rows x cin weight matrix.
inline std::size_t packed_weight_size(std::size_t rows, std::size_t cin)
{
    return (rows + kPackRows - 1) / kPackRows * kPackRows * cin;
}

/// Packs W[r, c] = w[r * row_stride + c * col_stride] into blocks of kPackRows rows,
/// [block][c][row in block], zero-filling the rows past `rows`.
template <class T>
void pack_weights(const T* w, std::size_t row_stride, std::size_t col_stride, std::size_t rows, std::size_t cin,
                  T* packed)
{
    for (std::size_t b = 0; b * kPackRows < rows; ++b)
        for (std::size_t c = 0; c < cin; ++c)
            for (std::size_t i = 0; i < kPackRows; ++i) {
                const std::size_t r = b * kPackRows + i;
                *packed++ = r < rows ? w[r * row_stride + c * col_stride] : T(0);
            }
}

} // namespace rtconv::detail

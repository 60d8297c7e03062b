#pragma once
// rtconv's limits on what a file, or a host's stream sizes, may make the library allocate. Each is
// far beyond any trained model and turns a corrupt or hostile input into an rtconv::Error naming
// the limit, where it would otherwise be an allocation of gigabytes, a crash or a hang
// (docs/robustness.md lists them with what each refusal says). The limits a host may want to
// check itself are public: max_model_file_bytes, max_npy_file_bytes, min_sample_rate and
// max_sample_rate, max_stream_bytes.
#include <cstddef>
#include <cstdint>

namespace rtconv::detail {

/// Weights of one layer (a WaveNet's arrays together): 2^26, 256 MiB in float32. NAM's standard
/// WaveNet holds 13,802.
constexpr std::size_t kMaxWeights = std::size_t(1) << 26;

/// Layers of a model file's Sequential, and of a WaveNet (its arrays together). However small, a
/// layer costs kilobytes of plans, buffers and bookkeeping, and adding one walks those before it.
constexpr std::size_t kMaxLayers = 4096;

/// (kernel_size - 1) * dilation of one convolution: the history it keeps, 87 s at 48 kHz.
constexpr std::int64_t kMaxLayerSpan = std::int64_t(1) << 22;

/// Nesting of a model file's JSON. Model files nest about 8 deep; nlohmann's dump, copy and
/// comparison recurse once per level, so a file of a million '[' would overflow the stack.
constexpr std::size_t kMaxJsonDepth = 64;

/// What nlohmann's parsed document may take in memory, counted before it is built. 16 bytes a
/// number, so a model at kMaxWeights takes 1 GiB; the rest is room for configs. Without it a file
/// of "{}" repeated would take 27 times its size.
constexpr std::size_t kMaxJsonMemory = std::size_t(3) << 29;

/// Channels of a layer a stream runs as a per-channel (depthwise) kernel-1 convolution: an
/// Activation, a PReLU, a BatchNormalization. Each channel costs about 200 bytes of kernel padded
/// for the SIMD kernels, and an Activation's channels come from the model's input shape, which a
/// file may state as 10^12 with no weights behind them.
constexpr std::size_t kMaxStreamChannels = std::size_t(1) << 20;

/// Product of a streamed model's strides, up and down separately: the stream's frame counts are
/// multiplied by it, and a transposed layer streams as one convolution per output phase.
constexpr std::size_t kMaxStreamRate = std::size_t(1) << 16;

} // namespace rtconv::detail

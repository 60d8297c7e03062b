#pragma once
// A Sequential model run live, block by block, in the audio-processor convention:
// prepare() sizes every buffer, process() takes any number of frames and never allocates,
// locks or throws, reset() clears the history.
//
//   rtconv::ModelStream stream(model);
//   stream.prepare({.sample_rate = 48000, .max_block_size = 512, .channels = 2});
//   std::size_t m = stream.process(inputs, outputs, n);   // inputs[ch]: n frames of input features
//
// The stream reproduces the whole-sequence output delayed by latency() output frames
// (DESIGN §4): causal layers add none, `same` layers their right padding, `valid` layers their
// (kernel_size - 1) * dilation_rate warm-up. Strided Conv1D layers decimate and
// Conv1DTranspose layers upsample, so n input frames give about n * rate_up() / rate_down()
// output frames; the phase carries across blocks. A strided `same` layer streams Keras'
// padding split for sequence lengths that are multiples of its stride.
#include "rtconv/sequential.hpp"

#include <cstddef>
#include <memory>

namespace rtconv {

/// The most prepare() allocates for one stream: 1 GiB. A host's block size and channel count
/// multiply with the model's channels and history; beyond this prepare() throws instead.
inline constexpr std::size_t max_stream_bytes = std::size_t(1) << 30;

struct StreamSpec {
    double sample_rate = 48000.0;
    std::size_t max_block_size = 512;
    std::size_t channels = 1; ///< independent audio channels, each with its own state
};

namespace detail { template <class T> struct ModelStreamState; }

template <class T> class BasicModelStream {
public:
    /// Copies what it needs from the model; throws rtconv::Error naming a layer it cannot stream,
    /// among them strides that multiply to more than 65536 (up or down), rtconv's limit.
    explicit BasicModelStream(const Sequential& model);
    ~BasicModelStream();
    BasicModelStream(BasicModelStream&&) noexcept;
    BasicModelStream& operator=(BasicModelStream&&) noexcept;

    /// Allocates everything process() will use. Throws rtconv::Error, leaving the stream as it
    /// was, when that would be more than max_stream_bytes.
    void prepare(const StreamSpec& spec);
    /// Bytes prepare(spec) allocates: buffers and history, not the vectors' own bookkeeping.
    /// A double, since a host's sizes may overflow any integer.
    double prepare_bytes(const StreamSpec& spec) const;
    void reset();
    /// Settles every history into the steady state of silent input, as if silence had always been
    /// playing (NAM's prewarm), so a model whose biases make sound from silence starts without a
    /// click. Runs receptive_field() frames of silence: call after prepare() or reset(), off the
    /// audio thread.
    void prewarm();
    /// in[ch]: n frames for audio channel ch, features interleaved within a frame; out[ch] has
    /// room for max_output_frames(n) frames. Returns the output frames written per channel.
    /// A piece of up to max_block_size frames with NaN or infinity in its input or output comes
    /// out as silence and resets that audio channel's history, so the next clean block recovers.
    std::size_t process(const T* const* in, T* const* out, std::size_t n) noexcept;

    std::size_t input_channels() const;
    std::size_t output_channels() const;
    /// Output frames by which the output trails the whole-sequence result.
    std::size_t latency() const;
    /// Output rate / input rate = rate_up() / rate_down() (products of the transposes' and the
    /// strided layers' strides).
    std::size_t rate_up() const;
    std::size_t rate_down() const;
    /// The most output frames a process() call of n input frames writes.
    std::size_t max_output_frames(std::size_t n) const;
    /// Input frames one output frame depends on.
    std::size_t receptive_field() const;
    /// History frames times channels, summed over layers: sum of (k - 1) * d * channels, the
    /// whole state of one audio channel.
    std::size_t state_values() const;
    /// Values prepare() allocated for that state per audio channel (0 before prepare()).
    std::size_t allocated_state_values() const;

private:
    std::unique_ptr<detail::ModelStreamState<T>> state_;
};

using ModelStream = BasicModelStream<float>;
using ModelStream64 = BasicModelStream<double>;

} // namespace rtconv

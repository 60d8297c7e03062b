#pragma once
// A Sequential model run live, block by block, in the audio-processor convention:
// prepare() sizes every buffer, process() takes any number of frames and never allocates,
// locks or throws, reset() clears the history.
//
//   rtconv::ModelStream stream(model);
//   stream.prepare({.sample_rate = 48000, .max_block_size = 512, .channels = 2});
//   stream.process(inputs, outputs, n);   // inputs[ch]: n frames of the model's input features
//
// The stream reproduces the whole-sequence output delayed by latency() frames (DESIGN §4):
// causal layers add none, `same` layers their right padding, `valid` layers their
// (kernel_size - 1) * dilation_rate warm-up.
#include "rtconv/sequential.hpp"

#include <cstddef>
#include <memory>

namespace rtconv {

struct StreamSpec {
    double sample_rate = 48000.0;
    std::size_t max_block_size = 512;
    std::size_t channels = 1; ///< independent audio channels, each with its own state
};

namespace detail { template <class T> struct ModelStreamState; }

template <class T> class BasicModelStream {
public:
    /// Copies what it needs from the model; throws rtconv::Error naming a layer it cannot stream.
    explicit BasicModelStream(const Sequential& model);
    ~BasicModelStream();
    BasicModelStream(BasicModelStream&&) noexcept;
    BasicModelStream& operator=(BasicModelStream&&) noexcept;

    /// Allocates everything process() will use.
    void prepare(const StreamSpec& spec);
    void reset();
    /// in[ch] / out[ch]: n frames for audio channel ch, features interleaved within a frame.
    void process(const T* const* in, T* const* out, std::size_t n) noexcept;

    std::size_t input_channels() const;
    std::size_t output_channels() const;
    /// Frames by which the output trails the whole-sequence result.
    std::size_t latency() const;
    /// Input frames one output frame depends on.
    std::size_t receptive_field() const;
    /// History frames times channels, summed over layers: the whole state of one audio channel.
    std::size_t state_values() const;

private:
    std::unique_ptr<detail::ModelStreamState<T>> state_;
};

using ModelStream = BasicModelStream<float>;
using ModelStream64 = BasicModelStream<double>;

} // namespace rtconv

#pragma once
// One layer of a streamed model: a Conv1D (any stride) or Conv1DTranspose, run block by block
// on top of the stride-1 causal ConvStream, or a WaveNet (its own WaveNetStream of ConvStreams).
//
//  - A strided Conv1D computes the causal convolution and keeps every `down`-th frame; the
//    decimation phase carries across blocks.
//  - A Conv1DTranspose with stride s is s stride-1 convolutions (its polyphase components),
//    one per output phase, whose outputs interleave: s output frames per input frame.
//  - A last-axis activation over channels (softmax, glu, ...) is applied frame by frame.
//  - A PReLU's slopes multiply the negative outputs, channel by channel.
//  - Output frames before `delay` stand where the whole-sequence run has zero padding for
//    the next layer, and are zeroed.
#include "conv_plan.hpp"
#include "conv_stream.hpp"
#include "rtconv/activations.hpp"
#include "wavenet_stream.hpp"

#include <cstddef>
#include <memory>
#include <vector>

namespace rtconv::detail {

/// What a layer streams: fixed when the model stream is built.
struct StreamLayer {
    std::vector<ConvPlan> phases;   ///< one plan; a transpose has one per output phase
    std::size_t down = 1;           ///< a Conv1D's stride: keeps every down-th frame
    std::size_t up = 1;             ///< a Conv1DTranspose's stride: output frames per input frame
    std::size_t decimation_phase = 0; ///< input frame (mod down) whose output is kept
    Activation frame_activation;    ///< last-axis activation over channels, or linear
    std::vector<double> negative_slopes; ///< PReLU: per channel, multiplies negative outputs; else empty
    std::size_t in_channels = 0, out_channels = 0;
    std::size_t delay = 0;          ///< output frames before the one that is whole-sequence output 0
    std::shared_ptr<const WaveNetPlan> wavenet; ///< set for a WaveNet, which has no phases

    /// Rows of the layer's output before a frame activation.
    std::size_t conv_channels() const { return wavenet ? out_channels : phases.front().geometry.filters; }
    /// Input frames before the current one that an output frame reads.
    std::size_t history_span() const;
    /// Sum of (k - 1) * d * input channels over the layer's convolutions.
    std::size_t state_values() const;
    /// Most output frames `n` input frames can give.
    std::size_t max_output_frames(std::size_t n) const { return (n * up + down - 1) / down; }
};

template <class T> class LayerStream {
public:
    /// Allocates for blocks of up to max_frames input frames. `layer` must outlive the stream.
    void prepare(const StreamLayer& layer, std::size_t max_frames);
    /// Bytes prepare(layer, max_frames) allocates (see ConvStream::footprint).
    static double footprint(const StreamLayer& layer, double max_frames);
    void reset();
    /// Reads n frames of `in`, writes the output frames to `out` and returns how many.
    std::size_t process(const Planar<T>& in, std::size_t n, Planar<T>& out);

    /// Values allocated for this layer's history (its whole state).
    std::size_t allocated_history() const;

private:
    /// The convolution at the input rate (n frames), or interleaved phases (n * up frames).
    void convolve(const Planar<T>& in, std::size_t n, Planar<T>& out);

    const StreamLayer* layer_ = nullptr;
    std::vector<ConvStream<T>> phases_;
    WaveNetStream<T> wavenet_;
    Planar<T> conv_out_;   ///< convolution output when it cannot go straight to `out`
    Planar<T> resampled_;  ///< after decimation/interleaving, before a frame activation
    std::vector<T> frame_in_, frame_out_;
    std::vector<T> negative_slopes_;
    std::size_t clock_ = 0;    ///< input frames since reset, mod down
    std::size_t produced_ = 0; ///< output frames since reset, saturating at delay
};

} // namespace rtconv::detail

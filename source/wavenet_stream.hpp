#pragma once
// The WaveNet block, run block by block on ConvStreams: every convolution of a WaveNet layer
// array (rechannel, dilated conv, 1x1s, head) is a ConvPlan, so it uses the same kernels and
// ring buffers as a Conv1D. The condition mixin is folded into the dilated conv as extra input
// channels whose only non-zero tap is the newest, so bias, mixin and a plain activation all
// happen in the kernel's one pass.
#include "conv_plan.hpp"
#include "conv_stream.hpp"
#include "rtconv/wavenet.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace rtconv::detail {

struct WaveNetLayerPlan {
    ConvPlan conv;                 ///< (channels + condition) -> bottleneck (x2 gated); kernel activation when fused
    WaveNetActivation activation;
    WaveNetGating gating = WaveNetGating::none;
    WaveNetActivation gate_activation;
    bool activation_fused = false; ///< the conv's kernel applies the activation (and the gate's)
    std::optional<ConvPlan> layer1x1;
    std::optional<ConvPlan> head1x1;
    std::size_t bottleneck = 0;
};

struct WaveNetArrayPlan {
    ConvPlan rechannel;
    std::vector<WaveNetLayerPlan> layers;
    std::optional<ConvPlan> head;
    std::size_t channels = 0, condition = 0, head_inputs = 0, head_outputs = 0;
};

struct WaveNetPlan {
    std::vector<WaveNetArrayPlan> arrays;
    std::size_t input_channels = 0, output_channels = 0;
    std::size_t history_span = 0; ///< input frames before the newest that an output reads (WaveNet::receptive_field() - 1)
    /// head_scale when the last array has no head conv to fold it into, else 1.
    double output_scale = 1.0;

    /// From a built WaveNet's weights, in `dtype`.
    static WaveNetPlan make(const WaveNet& wavenet, DType dtype);
    /// Sum of (k - 1) * d * input channels over every conv: the history values of one stream.
    std::size_t state_values() const;
};

template <class T> class WaveNetStream {
public:
    /// Allocates for blocks of up to max_frames. `plan` must outlive the stream.
    void prepare(const WaveNetPlan& plan, std::size_t max_frames);
    /// Bytes prepare(plan, max_frames) allocates (see ConvStream::footprint).
    static double footprint(const WaveNetPlan& plan, double max_frames);
    void reset();
    /// in: input_channels rows; out: output_channels rows; n <= max_frames. No allocation.
    void process(const Planar<T>& in, std::size_t n, Planar<T>& out);
    std::size_t allocated_history() const;

private:
    struct LayerStreams {
        ConvStream<T> conv, layer1x1, head1x1;
    };
    struct ArrayStreams {
        ConvStream<T> rechannel, head;
        std::vector<LayerStreams> layers;
    };

    void run_layer(const WaveNetLayerPlan& layer, LayerStreams& streams, const WaveNetArrayPlan& array,
                   std::size_t n);

    const WaveNetPlan* plan_ = nullptr;
    std::vector<ArrayStreams> arrays_;
    Planar<T> x_, y_;       ///< a layer's input and output: channels rows, then the condition rows
    Planar<T> z_;           ///< the dilated conv's output
    Planar<T> side_;        ///< head1x1 output, and a blend's pre-activation copy
    Planar<T> head_, head_out_;
};

} // namespace rtconv::detail

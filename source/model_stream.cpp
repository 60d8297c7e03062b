#include "rtconv/stream.hpp"

#include "conv_stream.hpp"
#include "denormals.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/error.hpp"

#include <algorithm>

namespace rtconv {
namespace detail {

/// A layer as the stream runs it: its packed weights and where its output sits in time.
struct StreamLayer {
    ConvPlan plan;
    std::size_t latency = 0;     ///< frames this layer's output trails its input
    std::size_t origin = 0;      ///< stream frame of this layer's whole-sequence output index 0
};

template <class T> struct Lane {
    std::vector<ConvStream<T>> convs;
    std::vector<Planar<T>> buffers; ///< buffers[0]: model input; buffers[i + 1]: output of layer i
    std::size_t frames_seen = 0;    ///< since reset, saturating at the largest origin
};

template <class T> struct ModelStreamState {
    std::vector<StreamLayer> layers;
    std::vector<Lane<T>> lanes;
    std::size_t max_block = 0;
    std::size_t max_origin = 0;
};

namespace {

StreamLayer stream_layer(const Layer& layer)
{
    const auto* conv = dynamic_cast<const Conv1D*>(&layer);
    if (!conv) throw Error("Layer '" + layer.name() + "' (" + layer.class_name() + ") cannot be streamed yet");
    const Conv1DOptions& o = conv->options();
    if (o.strides != 1)
        throw Error("Layer '" + layer.name() + "' (Conv1D): strided convolutions cannot be streamed yet");
    if (!o.activation.is_elementwise())
        throw Error("Layer '" + layer.name() + "' (Conv1D): activation '" + o.activation.name() +
                    "' is not elementwise and cannot be streamed yet");
    if (!conv->built()) throw Error("Layer '" + layer.name() + "' (Conv1D) is not built: it has no weights yet");

    const auto weights = conv->get_weights();
    StreamLayer s;
    const std::size_t k = static_cast<std::size_t>(o.kernel_size), d = static_cast<std::size_t>(o.dilation_rate);
    const std::size_t groups = static_cast<std::size_t>(o.groups);
    s.plan.geometry = {weights[0].shape()[1] * groups, static_cast<std::size_t>(o.filters), k, 1, d, groups, false};
    s.plan.activation = o.activation;
    const std::size_t span = (k - 1) * d;
    // The stream computes the causal form; `same` is it shifted by the right padding, `valid` by the whole span.
    s.latency = o.padding == "causal" ? 0 : o.padding == "same" ? span - span / 2 : span;
    return s;
}

} // namespace
} // namespace detail

template <class T> BasicModelStream<T>::BasicModelStream(const Sequential& model)
    : state_(std::make_unique<detail::ModelStreamState<T>>())
{
    if (model.layers().empty()) throw Error("Sequential model '" + model.name() + "' has no layers to stream");
    std::size_t origin = 0;
    for (const auto& layer : model.layers()) {
        detail::StreamLayer s = detail::stream_layer(*layer);
        const DType dtype = std::is_same_v<T, float> ? DType::float32 : DType::float64;
        const auto weights = layer->get_weights();
        s.plan.pack(weights[0].astype(dtype), weights.size() > 1 ? &weights[1] : nullptr);
        origin += s.latency;
        s.origin = origin;
        state_->max_origin = std::max(state_->max_origin, origin);
        state_->layers.push_back(std::move(s));
    }
    for (std::size_t i = 1; i < state_->layers.size(); ++i)
        if (state_->layers[i].plan.geometry.in_channels != state_->layers[i - 1].plan.geometry.filters)
            throw Error("Layer '" + model.layers()[i]->name() + "' expects " +
                        std::to_string(state_->layers[i].plan.geometry.in_channels) + " channels but receives " +
                        std::to_string(state_->layers[i - 1].plan.geometry.filters));
}

template <class T> BasicModelStream<T>::~BasicModelStream() = default;
template <class T> BasicModelStream<T>::BasicModelStream(BasicModelStream&&) noexcept = default;
template <class T> BasicModelStream<T>& BasicModelStream<T>::operator=(BasicModelStream&&) noexcept = default;

template <class T> void BasicModelStream<T>::prepare(const StreamSpec& spec)
{
    if (spec.max_block_size == 0) throw Error("StreamSpec.max_block_size must be at least 1");
    if (spec.channels == 0) throw Error("StreamSpec.channels must be at least 1");
    auto& st = *state_;
    st.max_block = spec.max_block_size;
    st.lanes.assign(spec.channels, {});
    for (auto& lane : st.lanes) {
        lane.convs.resize(st.layers.size());
        lane.buffers.resize(st.layers.size() + 1);
        lane.buffers[0].resize(input_channels(), st.max_block);
        for (std::size_t i = 0; i < st.layers.size(); ++i) {
            lane.convs[i].prepare(st.layers[i].plan);
            lane.buffers[i + 1].resize(st.layers[i].plan.geometry.filters, st.max_block);
        }
    }
}

template <class T> void BasicModelStream<T>::reset()
{
    for (auto& lane : state_->lanes) {
        for (auto& conv : lane.convs) conv.reset();
        lane.frames_seen = 0;
    }
}

template <class T> void BasicModelStream<T>::process(const T* const* in, T* const* out, std::size_t n) noexcept
{
    detail::ScopedFlushDenormals flush;
    auto& st = *state_;
    const std::size_t cin = input_channels(), cout = output_channels();
    for (std::size_t ch = 0; ch < st.lanes.size(); ++ch) {
        detail::Lane<T>& lane = st.lanes[ch];
        for (std::size_t done = 0; done < n;) {
            const std::size_t m = std::min(st.max_block, n - done);
            detail::Planar<T>& input = lane.buffers[0];
            for (std::size_t t = 0; t < m; ++t)
                for (std::size_t c = 0; c < cin; ++c) input.row(c)[t] = in[ch][(done + t) * cin + c];
            for (std::size_t i = 0; i < st.layers.size(); ++i) {
                detail::Planar<T>& x = lane.buffers[i];
                detail::Planar<T>& y = lane.buffers[i + 1];
                lane.convs[i].process(x.row(0), x.ld, y.row(0), y.ld, m);
                // Before its origin a layer's output stands where the whole-sequence run has the
                // next layer's zero padding: make it so.
                const std::size_t origin = st.layers[i].origin;
                if (lane.frames_seen < origin) {
                    const std::size_t zeros = std::min(m, origin - lane.frames_seen);
                    for (std::size_t c = 0; c < y.rows; ++c) std::fill(y.row(c), y.row(c) + zeros, T(0));
                }
            }
            const detail::Planar<T>& result = lane.buffers.back();
            for (std::size_t t = 0; t < m; ++t)
                for (std::size_t c = 0; c < cout; ++c) out[ch][(done + t) * cout + c] = result.row(c)[t];
            lane.frames_seen = std::min(lane.frames_seen + m, st.max_origin);
            done += m;
        }
    }
}

template <class T> std::size_t BasicModelStream<T>::input_channels() const
{
    return state_->layers.front().plan.geometry.in_channels;
}

template <class T> std::size_t BasicModelStream<T>::output_channels() const
{
    return state_->layers.back().plan.geometry.filters;
}

template <class T> std::size_t BasicModelStream<T>::latency() const
{
    return state_->layers.back().origin;
}

template <class T> std::size_t BasicModelStream<T>::receptive_field() const
{
    std::size_t field = 1;
    for (const auto& layer : state_->layers)
        field += (layer.plan.geometry.kernel_size - 1) * layer.plan.geometry.dilation;
    return field;
}

template <class T> std::size_t BasicModelStream<T>::state_values() const
{
    std::size_t values = 0;
    for (const auto& layer : state_->layers)
        values += (layer.plan.geometry.kernel_size - 1) * layer.plan.geometry.dilation * layer.plan.geometry.in_channels;
    return values;
}

template class BasicModelStream<float>;
template class BasicModelStream<double>;

} // namespace rtconv

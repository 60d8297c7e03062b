#include "rtconv/stream.hpp"

#include "conv_config.hpp"
#include "denormals.hpp"
#include "layer_stream.hpp"
#include "limits.hpp"
#include "printable.hpp"
#include "rtconv/activation_layer.hpp"
#include "rtconv/batch_normalization.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/conv1d_transpose.hpp"
#include "rtconv/dense.hpp"
#include "rtconv/error.hpp"
#include "rtconv/prelu.hpp"
#include "rtconv/wavenet.hpp"
#include "transpose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rtconv {
namespace detail {

/// One audio channel's state: a stream per layer and the buffers between them.
template <class T> struct Lane {
    std::vector<LayerStream<T>> layers;
    std::vector<Planar<T>> buffers; ///< buffers[0]: model input; buffers[i + 1]: output of layer i
};

template <class T> struct ModelStreamState {
    std::vector<StreamLayer> layers;
    std::vector<Lane<T>> lanes;
    std::size_t max_block = 0;
};

namespace {

// Between the caller's frames (channels interleaved) and the engine's channels x time rows.
template <class T> void deinterleave(const T* frames, std::size_t channels, std::size_t n, Planar<T>& rows)
{
    transpose(frames, channels, rows.row(0), rows.ld, n, channels);
}

template <class T> void interleave(const Planar<T>& rows, std::size_t channels, std::size_t n, T* frames)
{
    transpose(rows.row(0), rows.ld, frames, channels, channels, n);
}

[[noreturn]] void refuse(const Layer& layer, const std::string& why)
{
    throw Error(printable("Layer '" + layer.name() + "' (" + layer.class_name() + ") cannot be streamed: " + why));
}

DType dtype_of_stream(bool is_float)
{
    return is_float ? DType::float32 : DType::float64;
}

/// A frame-by-frame activation must act on channels: with channels_first, Keras' last axis is time.
Activation frame_activation(const Layer& layer, const Activation& activation, const std::string& data_format,
                            std::size_t channels)
{
    if (activation.is_elementwise()) return {};
    if (data_format == "channels_first")
        refuse(layer, "activation '" + activation.name() + "' acts on the last axis, which is time with "
                      "channels_first: it needs the whole sequence");
    if (activation.kind() == Activation::Kind::glu && channels % 2 != 0)
        refuse(layer, "glu needs an even number of channels, not " + std::to_string(channels));
    return activation;
}

/// Delay bookkeeping shared by both layer kinds: the stream's input frame `tau` is the
/// whole-sequence input index tau - delay_in.
StreamLayer conv1d_layer(const Conv1D& conv, DType dtype, std::size_t delay_in)
{
    const Conv1DOptions& o = conv.options();
    const auto weights = conv.get_weights();
    const std::size_t k = static_cast<std::size_t>(o.kernel_size), d = static_cast<std::size_t>(o.dilation_rate),
                      s = static_cast<std::size_t>(o.strides), groups = static_cast<std::size_t>(o.groups);
    const std::size_t span = (k - 1) * d;
    StreamLayer layer;
    layer.in_channels = weights[0].shape()[1] * groups;
    layer.frame_activation = frame_activation(conv, o.activation, o.data_format, static_cast<std::size_t>(o.filters));
    layer.out_channels = layer.frame_activation.output_channels(static_cast<std::size_t>(o.filters));
    layer.down = s;

    ConvPlan plan;
    plan.geometry = {layer.in_channels, static_cast<std::size_t>(o.filters), k, 1, d, groups, false};
    if (o.activation.is_elementwise()) plan.activation = o.activation;
    plan.pack(weights[0].astype(dtype), weights.size() > 1 ? &weights[1] : nullptr);
    layer.phases.push_back(std::move(plan));

    // Whole-sequence output j reads input up to j*s - pad_left + span; the stream has that frame
    // once input frame j*s - pad_left + span + delay_in has arrived. A strided `same` layer's left
    // padding depends on the sequence length mod s: the stream takes Keras' split for lengths
    // that are multiples of s.
    const std::size_t pad_left = static_cast<std::size_t>(
        conv_pad_left(static_cast<std::int64_t>(s), o.kernel_size, o.padding, o.strides, o.dilation_rate));
    const std::size_t arrival = delay_in + span - pad_left;
    layer.decimation_phase = arrival % s;
    layer.delay = arrival / s;
    return layer;
}

/// A stride-s transpose: output frame q*s + p is the causal convolution of the input with
/// taps p, p + s, p + 2s, ... (dilation 1 when s > 1, as Keras requires; taps k*d when s = 1).
StreamLayer conv1d_transpose_layer(const Conv1DTranspose& conv, DType dtype, std::size_t delay_in)
{
    const Conv1DTransposeOptions& o = conv.options();
    const auto weights = conv.get_weights();
    const Tensor kernel = weights[0].astype(dtype); // (k, filters, in)
    const std::size_t k = static_cast<std::size_t>(o.kernel_size), d = static_cast<std::size_t>(o.dilation_rate),
                      s = static_cast<std::size_t>(o.strides), filters = static_cast<std::size_t>(o.filters);
    StreamLayer layer;
    layer.in_channels = kernel.shape()[2];
    // One convolution per output phase, each of at least one tap: max(k, s) taps in all.
    if (s > kMaxStreamRate)
        refuse(conv, "strides " + std::to_string(s) + " is more than " + std::to_string(kMaxStreamRate) +
                         " output phases, rtconv's limit");
    if (double(std::max(k, s)) * double(filters) * double(layer.in_channels) > double(kMaxWeights))
        refuse(conv, "its " + std::to_string(s) + " phases would hold more than " + std::to_string(kMaxWeights) +
                         " weights, rtconv's limit");
    layer.frame_activation = frame_activation(conv, o.activation, o.data_format, filters);
    layer.out_channels = layer.frame_activation.output_channels(filters);
    layer.up = s;
    const std::size_t tap_values = filters * layer.in_channels;
    for (std::size_t p = 0; p < s; ++p) {
        // Tap m of phase p (delay m input frames) is kernel tap p + m*s; ConvStream's tap i
        // reads frame t - (taps - 1 - i) * dilation, so tap m goes to i = taps - 1 - m.
        const std::size_t taps = p < k ? (k - p + s - 1) / s : 0;
        ConvPlan plan;
        plan.geometry = {layer.in_channels, filters, std::max<std::size_t>(taps, 1), 1, s > 1 ? 1 : d, 1, true};
        if (o.activation.is_elementwise()) plan.activation = o.activation;
        Tensor phase_kernel({plan.geometry.kernel_size, filters, layer.in_channels}, dtype);
        for (std::size_t m = 0; m < taps; ++m)
            for (std::size_t v = 0; v < tap_values; ++v)
                phase_kernel.set_flat((taps - 1 - m) * tap_values + v, kernel.flat((p + m * s) * tap_values + v));
        plan.pack(phase_kernel, weights.size() > 1 ? &weights[1] : nullptr);
        layer.phases.push_back(std::move(plan));
    }
    // Input frame tau gives full-result indices (tau - delay_in)*s + p; output n is full index
    // n + crop_left, where crop_left is the left half of what Keras crops (independent of length).
    const std::int64_t out_one = conv_transpose_output_length(1, o.kernel_size, o.padding,
                                                              o.output_padding ? std::optional<std::int64_t>(*o.output_padding)
                                                                               : std::nullopt,
                                                              o.strides, o.dilation_rate);
    const std::int64_t total = static_cast<std::int64_t>((k - 1) * d + 1) - out_one;
    const std::size_t crop_left = o.padding == "same" && total > 0 ? static_cast<std::size_t>(total / 2) : 0;
    layer.delay = delay_in * s + crop_left;
    return layer;
}

/// A kernel-1 convolution, with no history and no latency of its own: how Dense,
/// BatchNormalization, PReLU and Activation stream. `kernel` is (1, in_channels / groups, filters).
StreamLayer pointwise_layer(const Layer& layer, const Tensor& kernel, const Tensor* bias, std::size_t groups,
                            const Activation& activation, DType dtype, std::size_t delay_in)
{
    const std::size_t filters = kernel.shape()[2];
    StreamLayer s;
    s.in_channels = kernel.shape()[1] * groups;
    s.frame_activation = frame_activation(layer, activation, "channels_last", filters);
    s.out_channels = s.frame_activation.output_channels(filters);
    s.delay = delay_in;
    ConvPlan plan;
    plan.geometry = {s.in_channels, filters, 1, 1, 1, groups, false};
    if (activation.is_elementwise()) plan.activation = activation;
    plan.pack(kernel.astype(dtype), bias);
    s.phases.push_back(std::move(plan));
    return s;
}

/// y = x * scale + offset per channel (scale null: 1, offset null: none), then the activation: a
/// depthwise kernel-1 convolution.
StreamLayer channelwise_layer(const Layer& layer, std::size_t channels, const std::vector<double>* scale,
                              const std::vector<double>* offset, const Activation& activation, DType dtype,
                              std::size_t delay_in)
{
    if (channels == 0) refuse(layer, "its input channels are unknown (give the model an input shape)");
    if (channels > kMaxStreamChannels)
        refuse(layer, "it would stream " + std::to_string(channels) + " channels, more than " +
                          std::to_string(kMaxStreamChannels) + ", rtconv's limit for a per-channel layer");
    Tensor kernel({1, 1, channels}, dtype), bias({channels}, dtype);
    for (std::size_t c = 0; c < channels; ++c) {
        kernel.set_flat(c, scale ? (*scale)[c] : 1.0);
        if (offset) bias.set_flat(c, (*offset)[c]);
    }
    return pointwise_layer(layer, kernel, offset ? &bias : nullptr, channels, activation, dtype, delay_in);
}

/// The identity, then negative values times alpha per channel. The stream has no time index, so
/// alpha must be the same at every step: shared along time (or a one-step input).
StreamLayer prelu_layer(const PReLU& prelu, std::size_t channels_in, DType dtype, std::size_t delay_in)
{
    const Tensor alpha = prelu.get_weights()[0];
    if (alpha.rank() != 2) refuse(prelu, "it was built for inputs of rank " + std::to_string(alpha.rank() + 1) +
                                             ", not (batch, steps, channels)");
    if (alpha.shape()[0] != 1)
        refuse(prelu, "its alpha varies over time (shape " + shape_to_string(alpha.shape()) +
                          "): share the time axis (shared_axes=[1]) to stream it");
    const bool one_alpha = alpha.shape()[1] == 1;
    StreamLayer s =
        channelwise_layer(prelu, one_alpha ? channels_in : alpha.shape()[1], nullptr, nullptr, {}, dtype, delay_in);
    for (std::size_t c = 0; c < s.out_channels; ++c) s.negative_slopes.push_back(alpha.flat(one_alpha ? 0 : c));
    return s;
}

/// `channels_in`: the channels the layer receives (0: unknown), for layers whose weights do not say.
StreamLayer stream_layer(const Layer& layer, DType dtype, std::size_t delay_in, std::size_t channels_in)
{
    if (!layer.built()) refuse(layer, "it is not built (it has no weights yet)");
    if (const auto* conv = dynamic_cast<const Conv1D*>(&layer)) return conv1d_layer(*conv, dtype, delay_in);
    if (const auto* conv = dynamic_cast<const Conv1DTranspose*>(&layer))
        return conv1d_transpose_layer(*conv, dtype, delay_in);
    if (const auto* wavenet = dynamic_cast<const WaveNet*>(&layer)) {
        // Its inner histories hold activations, not inputs: the zeros a delaying layer sends
        // first would leave them where the whole-sequence run (which starts from zeros) is not.
        if (delay_in > 0) refuse(layer, "it follows a layer with latency (same or valid padding)");
        StreamLayer s;
        s.wavenet = std::make_shared<const WaveNetPlan>(WaveNetPlan::make(*wavenet, dtype));
        s.in_channels = wavenet->input_channels();
        s.out_channels = wavenet->output_channels();
        s.delay = delay_in;
        return s;
    }
    if (const auto* dense = dynamic_cast<const Dense*>(&layer)) {
        const auto weights = dense->get_weights();
        const Tensor kernel = weights[0].reshaped({1, weights[0].shape()[0], weights[0].shape()[1]});
        return pointwise_layer(layer, kernel, weights.size() > 1 ? &weights[1] : nullptr, 1,
                               dense->options().activation, dtype, delay_in);
    }
    if (const auto* norm = dynamic_cast<const BatchNormalization*>(&layer))
        return channelwise_layer(layer, norm->multiplier().size(), &norm->multiplier(), &norm->offset(), {}, dtype,
                                 delay_in);
    if (const auto* prelu = dynamic_cast<const PReLU*>(&layer)) return prelu_layer(*prelu, channels_in, dtype, delay_in);
    if (const auto* activation = dynamic_cast<const ActivationLayer*>(&layer))
        return channelwise_layer(layer, channels_in, nullptr, nullptr, activation->options().activation, dtype, delay_in);
    refuse(layer, "rtconv streams Conv1D, Conv1DTranspose, WaveNet, Dense, BatchNormalization, PReLU and Activation "
                  "layers");
}

} // namespace
} // namespace detail

template <class T> BasicModelStream<T>::BasicModelStream(const Sequential& model)
    : state_(std::make_unique<detail::ModelStreamState<T>>())
{
    if (model.layers().empty()) throw Error("Sequential model '" + model.name() + "' has no layers to stream");
    std::size_t delay = 0, up = 1, down = 1;
    const auto& input_shape = model.input_shape();
    std::size_t channels = input_shape && input_shape->back() ? static_cast<std::size_t>(*input_shape->back()) : 0;
    for (const auto& layer : model.layers()) {
        detail::StreamLayer s =
            detail::stream_layer(*layer, detail::dtype_of_stream(std::is_same_v<T, float>), delay, channels);
        if (!state_->layers.empty() && s.in_channels != state_->layers.back().out_channels)
            throw Error(detail::printable("Layer '" + layer->name() + "' expects " + std::to_string(s.in_channels) +
                                          " channels but receives " +
                                          std::to_string(state_->layers.back().out_channels)));
        // Frame counts are multiplied by these products (and prewarm runs whole decimation
        // periods), so they must stay far from overflowing.
        up *= s.up;
        down *= s.down;
        if (up > detail::kMaxStreamRate || down > detail::kMaxStreamRate)
            detail::refuse(*layer, "the strides up to it multiply to " + std::to_string(std::max(up, down)) +
                                       ", more than " + std::to_string(detail::kMaxStreamRate) + ", rtconv's limit");
        delay = s.delay;
        channels = s.out_channels;
        state_->layers.push_back(std::move(s));
    }
}

template <class T> BasicModelStream<T>::~BasicModelStream() = default;
template <class T> BasicModelStream<T>::BasicModelStream(BasicModelStream&&) noexcept = default;
template <class T> BasicModelStream<T>& BasicModelStream<T>::operator=(BasicModelStream&&) noexcept = default;

template <class T> double BasicModelStream<T>::prepare_bytes(const StreamSpec& spec) const
{
    // What prepare() allocates, lane by lane: the buffers between layers and each layer's stream.
    double frames = double(spec.max_block_size);
    double lane = detail::Planar<T>::bytes(double(input_channels()), frames);
    for (const auto& layer : state_->layers) {
        lane += detail::LayerStream<T>::footprint(layer, frames);
        frames = std::ceil(frames * double(layer.up) / double(layer.down));
        lane += detail::Planar<T>::bytes(double(layer.conv_channels()), frames);
    }
    return double(spec.channels) * lane;
}

template <class T> void BasicModelStream<T>::prepare(const StreamSpec& spec)
{
    if (spec.max_block_size == 0) throw Error("StreamSpec.max_block_size must be at least 1");
    if (spec.channels == 0) throw Error("StreamSpec.channels must be at least 1");
    if (const double bytes = prepare_bytes(spec); bytes > double(max_stream_bytes)) {
        char amount[32];
        std::snprintf(amount, sizeof amount, "%.3g", bytes);
        throw Error("StreamSpec: max_block_size " + std::to_string(spec.max_block_size) + " and channels " +
                    std::to_string(spec.channels) + " would make the stream allocate " + amount +
                    " bytes, more than rtconv's limit of " + std::to_string(max_stream_bytes) + " (1 GiB)");
    }
    auto& st = *state_;
    st.max_block = spec.max_block_size;
    st.lanes.assign(spec.channels, {});
    for (auto& lane : st.lanes) {
        lane.layers.resize(st.layers.size());
        lane.buffers.resize(st.layers.size() + 1);
        std::size_t frames = st.max_block;
        lane.buffers[0].resize(input_channels(), frames);
        for (std::size_t i = 0; i < st.layers.size(); ++i) {
            lane.layers[i].prepare(st.layers[i], frames);
            frames = st.layers[i].max_output_frames(frames);
            lane.buffers[i + 1].resize(st.layers[i].conv_channels(), frames);
        }
    }
}

template <class T> void BasicModelStream<T>::reset()
{
    for (auto& lane : state_->lanes)
        for (auto& layer : lane.layers) layer.reset();
}

template <class T> void BasicModelStream<T>::prewarm()
{
    detail::ScopedFlushDenormals flush;
    auto& st = *state_;
    // A whole number of decimation periods keeps the strided layers' phase where it was.
    const std::size_t down = rate_down();
    const std::size_t frames = (receptive_field() + down - 1) / down * down;
    for (detail::Lane<T>& lane : st.lanes) {
        std::fill(lane.buffers[0].data.begin(), lane.buffers[0].data.end(), T(0));
        for (std::size_t done = 0; done < frames;) {
            std::size_t m = std::min(st.max_block, frames - done);
            done += m;
            for (std::size_t i = 0; i < st.layers.size(); ++i)
                m = lane.layers[i].process(lane.buffers[i], m, lane.buffers[i + 1]);
        }
    }
}

template <class T> std::size_t BasicModelStream<T>::process(const T* const* in, T* const* out, std::size_t n) noexcept
{
    detail::ScopedFlushDenormals flush;
    auto& st = *state_;
    const std::size_t cin = input_channels(), cout = output_channels();
    std::size_t written = 0;
    for (std::size_t ch = 0; ch < st.lanes.size(); ++ch) {
        detail::Lane<T>& lane = st.lanes[ch];
        written = 0;
        for (std::size_t done = 0; done < n;) {
            std::size_t m = std::min(st.max_block, n - done);
            const T* block = in[ch] + done * cin;
            const auto any_non_finite = detail::kernels_for<T>().any_non_finite;
            const bool bad_input = any_non_finite(block, m * cin);
            detail::deinterleave(block, cin, m, lane.buffers[0]);
            done += m;
            for (std::size_t i = 0; i < st.layers.size(); ++i)
                m = lane.layers[i].process(lane.buffers[i], m, lane.buffers[i + 1]);
            T* frames = out[ch] + written * cout;
            detail::interleave(lane.buffers.back(), cout, m, frames);
            // NaN or infinity, arriving or made inside, would stay in the history for good:
            // this block goes out silent and the lane starts afresh with the next one.
            if (bad_input || any_non_finite(frames, m * cout)) {
                std::fill_n(frames, m * cout, T(0));
                for (auto& layer : lane.layers) layer.reset();
            }
            written += m;
        }
    }
    return written;
}

template <class T> std::size_t BasicModelStream<T>::input_channels() const
{
    return state_->layers.front().in_channels;
}

template <class T> std::size_t BasicModelStream<T>::output_channels() const
{
    return state_->layers.back().out_channels;
}

template <class T> std::size_t BasicModelStream<T>::latency() const
{
    return state_->layers.back().delay;
}

template <class T> std::size_t BasicModelStream<T>::rate_up() const
{
    std::size_t up = 1;
    for (const auto& layer : state_->layers) up *= layer.up;
    return up;
}

template <class T> std::size_t BasicModelStream<T>::rate_down() const
{
    std::size_t down = 1;
    for (const auto& layer : state_->layers) down *= layer.down;
    return down;
}

template <class T> std::size_t BasicModelStream<T>::max_output_frames(std::size_t n) const
{
    // Blocks larger than max_block_size are split; each piece rounds up at every decimator.
    const std::size_t block = std::max<std::size_t>(state_->max_block, 1);
    std::size_t total = 0;
    for (std::size_t done = 0; done < n;) {
        std::size_t m = std::min(block, n - done);
        done += m;
        for (const auto& layer : state_->layers) m = layer.max_output_frames(m);
        total += m;
    }
    return total;
}

template <class T> std::size_t BasicModelStream<T>::receptive_field() const
{
    // `frame`: input frames per frame of this layer's input; it grows through decimators and
    // shrinks through upsamplers. A transpose's widest phase (the first) spans the most frames.
    double field = 1.0, frame = 1.0;
    for (const auto& layer : state_->layers) {
        field += double(layer.history_span()) * frame;
        frame = frame * double(layer.down) / double(layer.up);
    }
    return static_cast<std::size_t>(std::ceil(field));
}

template <class T> std::size_t BasicModelStream<T>::state_values() const
{
    std::size_t values = 0;
    for (const auto& layer : state_->layers) values += layer.state_values();
    return values;
}

template <class T> std::size_t BasicModelStream<T>::allocated_state_values() const
{
    if (state_->lanes.empty()) return 0;
    std::size_t values = 0;
    for (const auto& layer : state_->lanes.front().layers) values += layer.allocated_history();
    return values;
}

template class BasicModelStream<float>;
template class BasicModelStream<double>;

} // namespace rtconv

#include "wavenet_stream.hpp"

#include <algorithm>
#include <utility>

namespace rtconv::detail {
namespace {

/// Reads the WaveNet's variables in the order WaveNet::build_weights made them.
class VariableCursor {
public:
    VariableCursor(const WaveNet& wavenet, DType dtype) : variables_(wavenet.variables()), dtype_(dtype) {}
    Tensor next() { return variables_.at(index_++).value.astype(dtype_); }

private:
    const std::vector<Variable>& variables_;
    DType dtype_;
    std::size_t index_ = 0;
};

/// A stride-1 conv plan from a Keras-layout kernel (k, in, out) and an optional bias.
ConvPlan conv_plan(const Tensor& kernel, const Tensor* bias, std::size_t dilation, const Activation& activation = {})
{
    ConvPlan plan;
    plan.geometry = {kernel.shape()[1], kernel.shape()[2], kernel.shape()[0], 1, dilation, 1, false};
    plan.activation = activation;
    plan.pack(kernel, bias);
    return plan;
}

/// The dilated conv with the condition mixin as extra input channels: kernel
/// (k, channels + condition, out) whose condition rows are zero except on the newest tap.
Tensor conv_with_mixin(const Tensor& conv, const Tensor* mixin, DType dtype)
{
    const std::size_t k = conv.shape()[0], channels = conv.shape()[1], out = conv.shape()[2];
    const std::size_t condition = mixin ? mixin->shape()[1] : 0, in = channels + condition;
    Tensor kernel({k, in, out}, dtype);
    for (std::size_t t = 0; t < k; ++t)
        for (std::size_t c = 0; c < channels; ++c)
            for (std::size_t o = 0; o < out; ++o)
                kernel.set_flat((t * in + c) * out + o, conv.flat((t * channels + c) * out + o));
    for (std::size_t c = 0; c < condition; ++c)
        for (std::size_t o = 0; o < out; ++o)
            kernel.set_flat(((k - 1) * in + channels + c) * out + o, mixin->flat(c * out + o));
    return kernel;
}

Tensor scaled(Tensor t, double scale)
{
    for (std::size_t i = 0; i < t.size(); ++i) t.set_flat(i, t.flat(i) * scale);
    return t;
}

template <class T> void add_rows(Planar<T>& into, const Planar<T>& from, std::size_t rows, std::size_t n)
{
    for (std::size_t r = 0; r < rows; ++r) {
        T* y = into.row(r);
        const T* x = from.row(r);
        for (std::size_t t = 0; t < n; ++t) y[t] += x[t];
    }
}

template <class T>
void copy_rows(const Planar<T>& from, std::size_t from_row, Planar<T>& into, std::size_t into_row, std::size_t rows,
               std::size_t n)
{
    for (std::size_t r = 0; r < rows; ++r) std::copy_n(from.row(from_row + r), n, into.row(into_row + r));
}

} // namespace

WaveNetPlan WaveNetPlan::make(const WaveNet& wavenet, DType dtype)
{
    const WaveNetOptions& o = wavenet.options();
    WaveNetPlan plan;
    plan.input_channels = wavenet.input_channels();
    plan.output_channels = wavenet.output_channels();
    plan.history_span = wavenet.receptive_field() - 1;
    VariableCursor weights(wavenet, dtype);
    for (std::size_t a = 0; a < o.arrays.size(); ++a) {
        const WaveNetArrayOptions& ao = o.arrays[a];
        const bool last = a + 1 == o.arrays.size();
        WaveNetArrayPlan array;
        array.channels = static_cast<std::size_t>(ao.channels);
        array.condition = static_cast<std::size_t>(ao.condition_size);
        array.head_inputs = static_cast<std::size_t>(ao.head_input_channels());
        array.head_outputs = static_cast<std::size_t>(ao.head_output_channels());
        const Tensor rechannel = weights.next();
        const Tensor rechannel_bias = ao.rechannel_bias ? weights.next() : Tensor();
        array.rechannel = conv_plan(rechannel, ao.rechannel_bias ? &rechannel_bias : nullptr, 1);
        for (const WaveNetLayerOptions& lo : ao.layers) {
            WaveNetLayerPlan layer;
            layer.activation = lo.activation;
            layer.gating = lo.gating;
            layer.gate_activation = lo.gate_activation;
            layer.bottleneck = static_cast<std::size_t>(ao.bottleneck_channels());
            const Tensor conv = weights.next();
            const Tensor conv_bias = weights.next();
            const Tensor mixin = ao.condition_size > 0 ? weights.next() : Tensor();
            // The kernel applies Keras-named activations as it stores; a gated layer's two halves
            // each get their own (the gate half starts on a register-tile boundary).
            const auto value = lo.activation.keras(), gate = lo.gate_activation.keras();
            layer.activation_fused = value && (lo.gating == WaveNetGating::none ||
                                               (lo.gating == WaveNetGating::gated && gate &&
                                                layer.bottleneck % kPackRows == 0));
            layer.conv = conv_plan(conv_with_mixin(conv, ao.condition_size > 0 ? &mixin : nullptr, dtype), &conv_bias,
                                   static_cast<std::size_t>(lo.dilation),
                                   layer.activation_fused ? *value : Activation());
            if (layer.activation_fused && lo.gating == WaveNetGating::gated) {
                layer.conv.gate_activation = *gate;
                layer.conv.gate_row = layer.bottleneck;
            }
            if (ao.layer1x1) {
                const Tensor kernel = weights.next();
                const Tensor bias = weights.next();
                layer.layer1x1 = conv_plan(kernel, &bias, 1);
            }
            if (ao.head1x1_channels) {
                const Tensor kernel = weights.next();
                const Tensor bias = weights.next();
                layer.head1x1 = conv_plan(kernel, &bias, 1);
            }
            array.layers.push_back(std::move(layer));
        }
        if (ao.head) {
            // The last head conv takes head_scale into its weights: one multiply fewer per sample.
            const double scale = last ? o.head_scale : 1.0;
            const Tensor kernel = scaled(weights.next(), scale);
            const Tensor bias = ao.head->bias ? scaled(weights.next(), scale) : Tensor();
            array.head = conv_plan(kernel, ao.head->bias ? &bias : nullptr, 1);
        } else if (last) {
            plan.output_scale = o.head_scale;
        }
        plan.arrays.push_back(std::move(array));
    }
    return plan;
}

std::size_t WaveNetPlan::state_values() const
{
    const auto history = [](const ConvPlan& p) {
        return (p.geometry.kernel_size - 1) * p.geometry.dilation * p.geometry.in_channels;
    };
    std::size_t values = 0;
    for (const auto& array : arrays) {
        for (const auto& layer : array.layers) values += history(layer.conv);
        if (array.head) values += history(*array.head);
    }
    return values;
}

template <class T> void WaveNetStream<T>::prepare(const WaveNetPlan& plan, std::size_t max_frames)
{
    plan_ = &plan;
    arrays_.resize(plan.arrays.size());
    std::size_t rows = 0, conv_rows = 0, side_rows = 0, head_rows = plan.output_channels;
    for (std::size_t a = 0; a < plan.arrays.size(); ++a) {
        const WaveNetArrayPlan& array = plan.arrays[a];
        ArrayStreams& streams = arrays_[a];
        streams.rechannel.prepare(array.rechannel, max_frames);
        if (array.head) streams.head.prepare(*array.head, max_frames);
        streams.layers.resize(array.layers.size());
        for (std::size_t l = 0; l < array.layers.size(); ++l) {
            const WaveNetLayerPlan& layer = array.layers[l];
            streams.layers[l].conv.prepare(layer.conv, max_frames);
            if (layer.layer1x1) streams.layers[l].layer1x1.prepare(*layer.layer1x1, max_frames);
            if (layer.head1x1) streams.layers[l].head1x1.prepare(*layer.head1x1, max_frames);
            conv_rows = std::max(conv_rows, layer.conv.geometry.filters);
            side_rows = std::max(side_rows, layer.bottleneck);
        }
        rows = std::max(rows, array.channels + array.condition);
        side_rows = std::max(side_rows, array.head_inputs);
        head_rows = std::max({head_rows, array.head_inputs, array.head_outputs});
    }
    x_.resize(rows, max_frames);
    y_.resize(rows, max_frames);
    z_.resize(conv_rows, max_frames);
    side_.resize(side_rows, max_frames);
    head_.resize(head_rows, max_frames);
    head_out_.resize(head_rows, max_frames);
}

template <class T> double WaveNetStream<T>::footprint(const WaveNetPlan& plan, double max_frames)
{
    double bytes = 0;
    std::size_t rows = 0, conv_rows = 0, side_rows = 0, head_rows = plan.output_channels;
    for (const WaveNetArrayPlan& array : plan.arrays) {
        bytes += ConvStream<T>::footprint(array.rechannel, max_frames);
        if (array.head) bytes += ConvStream<T>::footprint(*array.head, max_frames);
        for (const WaveNetLayerPlan& layer : array.layers) {
            bytes += ConvStream<T>::footprint(layer.conv, max_frames);
            if (layer.layer1x1) bytes += ConvStream<T>::footprint(*layer.layer1x1, max_frames);
            if (layer.head1x1) bytes += ConvStream<T>::footprint(*layer.head1x1, max_frames);
            conv_rows = std::max(conv_rows, layer.conv.geometry.filters);
            side_rows = std::max(side_rows, layer.bottleneck);
        }
        rows = std::max(rows, array.channels + array.condition);
        side_rows = std::max(side_rows, array.head_inputs);
        head_rows = std::max({head_rows, array.head_inputs, array.head_outputs});
    }
    return bytes + 2 * Planar<T>::bytes(double(rows), max_frames) + Planar<T>::bytes(double(conv_rows), max_frames) +
           Planar<T>::bytes(double(side_rows), max_frames) + 2 * Planar<T>::bytes(double(head_rows), max_frames);
}

template <class T> void WaveNetStream<T>::reset()
{
    for (auto& array : arrays_) {
        array.rechannel.reset();
        array.head.reset();
        for (auto& layer : array.layers) {
            layer.conv.reset();
            layer.layer1x1.reset();
            layer.head1x1.reset();
        }
    }
}

template <class T> std::size_t WaveNetStream<T>::allocated_history() const
{
    std::size_t values = 0;
    for (const auto& array : arrays_) {
        values += array.rechannel.allocated_history() + array.head.allocated_history();
        for (const auto& layer : array.layers)
            values += layer.conv.allocated_history() + layer.layer1x1.allocated_history() +
                      layer.head1x1.allocated_history();
    }
    return values;
}

template <class T>
void WaveNetStream<T>::run_layer(const WaveNetLayerPlan& layer, LayerStreams& streams, const WaveNetArrayPlan& array,
                                 std::size_t n)
{
    const std::size_t b = layer.bottleneck;
    const ConvEpilogue<T> into_head{nullptr, 0, head_.row(0), head_.ld};
    // The head sums the activations themselves unless a head 1x1 maps them first; an ungated
    // layer's kernel adds them to the head as it stores them.
    const bool head_sums_activation = !layer.head1x1;
    const bool head_fused = head_sums_activation && layer.gating == WaveNetGating::none && layer.activation_fused;
    streams.conv.process(x_.row(0), x_.ld, z_.row(0), z_.ld, n, head_fused ? into_head : ConvEpilogue<T>{});

    bool head_done = head_fused;
    switch (layer.gating) {
    case WaveNetGating::none:
        if (!layer.activation_fused)
            for (std::size_t r = 0; r < b; ++r) layer.activation.apply(z_.row(r), n, r);
        break;
    case WaveNetGating::gated:
        for (std::size_t r = 0; r < b; ++r) {
            T* value = z_.row(r);
            T* gate = z_.row(b + r);
            if (!layer.activation_fused) {
                layer.activation.apply(value, n, r);
                layer.gate_activation.apply(gate, n, r);
            }
            if (head_sums_activation) {
                T* head = head_.row(r);
                for (std::size_t t = 0; t < n; ++t) {
                    value[t] *= gate[t];
                    head[t] += value[t];
                }
            } else {
                for (std::size_t t = 0; t < n; ++t) value[t] *= gate[t];
            }
        }
        head_done = head_sums_activation;
        break;
    case WaveNetGating::blended:
        for (std::size_t r = 0; r < b; ++r) {
            T* value = z_.row(r);
            T* gate = z_.row(b + r);
            T* before = side_.row(0);
            std::copy_n(value, n, before);
            layer.activation.apply(value, n, r);
            layer.gate_activation.apply(gate, n, r);
            for (std::size_t t = 0; t < n; ++t) value[t] = gate[t] * value[t] + (T(1) - gate[t]) * before[t];
        }
        break;
    }

    if (layer.head1x1)
        streams.head1x1.process(z_.row(0), z_.ld, side_.row(0), side_.ld, n, into_head);
    else if (!head_done)
        add_rows(head_, z_, array.head_inputs, n);

    if (layer.layer1x1) {
        streams.layer1x1.process(z_.row(0), z_.ld, y_.row(0), y_.ld, n, {x_.row(0), x_.ld, nullptr, 0});
        std::swap(x_, y_); // both hold the condition rows
    }
}

template <class T> void WaveNetStream<T>::process(const Planar<T>& in, std::size_t n, Planar<T>& out)
{
    const WaveNetPlan& plan = *plan_;
    for (std::size_t a = 0; a < plan.arrays.size(); ++a) {
        const WaveNetArrayPlan& array = plan.arrays[a];
        ArrayStreams& streams = arrays_[a];
        const Planar<T>& source = a == 0 ? in : x_;
        streams.rechannel.process(source.row(0), source.ld, y_.row(0), y_.ld, n);
        std::swap(x_, y_);
        // The condition is the model input; both layer buffers carry it below their channels.
        copy_rows(in, 0, x_, array.channels, array.condition, n);
        copy_rows(in, 0, y_, array.channels, array.condition, n);
        if (a == 0)
            for (std::size_t r = 0; r < array.head_inputs; ++r) std::fill_n(head_.row(r), n, T(0));
        else
            std::swap(head_, head_out_);

        for (std::size_t l = 0; l < array.layers.size(); ++l) run_layer(array.layers[l], streams.layers[l], array, n);

        if (array.head)
            streams.head.process(head_.row(0), head_.ld, head_out_.row(0), head_out_.ld, n);
        else
            std::swap(head_, head_out_);
    }
    const T scale = static_cast<T>(plan.output_scale);
    for (std::size_t r = 0; r < plan.output_channels; ++r) {
        const T* from = head_out_.row(r);
        T* to = out.row(r);
        for (std::size_t t = 0; t < n; ++t) to[t] = scale * from[t];
    }
}

template class WaveNetStream<float>;
template class WaveNetStream<double>;

} // namespace rtconv::detail

#include "rtconv/wavenet.hpp"

#include "activation_formulas.hpp"
#include "json_reading.hpp"
#include "limits.hpp"
#include "rtconv/error.hpp"
#include "rtconv/stream.hpp"
#include "wavenet_stream.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

namespace rtconv {
namespace {

using nlohmann::json;
using Kind = WaveNetActivation::Kind;

struct ActivationName {
    const char* name;
    Kind kind;
};

// NAM's names; "Linear" is rtconv's, for WaveNetVA's un-activated layers.
constexpr ActivationName kActivationNames[] = {
    {"Linear", Kind::linear},       {"Tanh", Kind::tanh},
    {"Fasttanh", Kind::fast_tanh},  {"Hardtanh", Kind::hard_tanh},
    {"LeakyHardtanh", Kind::leaky_hard_tanh}, {"LeakyHardTanh", Kind::leaky_hard_tanh},
    {"ReLU", Kind::relu},           {"LeakyReLU", Kind::leaky_relu},
    {"PReLU", Kind::prelu},         {"Sigmoid", Kind::sigmoid},
    {"SiLU", Kind::silu},           {"Hardswish", Kind::hard_swish},
    {"Softsign", Kind::softsign},
};

const char* activation_name(Kind kind)
{
    for (const auto& entry : kActivationNames)
        if (entry.kind == kind) return entry.name;
    return "?";
}

double number_parameter(const json& config, const char* key, double fallback)
{
    const auto it = config.find(key);
    if (it == config.end() || it->is_null()) return fallback;
    if (!it->is_number()) throw Error(std::string(key) + ": expected a number, got " + it->dump());
    const double value = it->get<double>();
    if (!std::isfinite(value)) throw Error(std::string(key) + ": expected a finite number, got " + it->dump());
    return value;
}

/// NAM's Fasttanh: a rational approximation it uses in place of tanh when asked to.
template <class T> T fast_tanh(T x)
{
    const T ax = std::abs(x), x2 = x * x;
    return x * (T(2.45550750702956) + T(2.45550750702956) * ax + (T(0.893229853513558) + T(0.821226666969744) * ax) * x2) /
           (T(2.44506634652299) + (T(2.44506634652299) + x2) * std::abs(x + T(0.814642734961073) * x * ax));
}

template <class T, class F> void for_each_value(T* values, std::size_t n, F&& f)
{
    for (std::size_t i = 0; i < n; ++i) values[i] = f(values[i]);
}

[[noreturn]] void invalid(const std::string& where, const std::string& message)
{
    throw Error("WaveNet: " + where + ": " + message);
}

// Far beyond any trained WaveNet: they turn a corrupt or hostile file's sizes into an error
// instead of an allocation of gigabytes (with limits.hpp's kMaxLayerSpan and kMaxWeights).
constexpr int kMaxChannels = 4096;
constexpr int kMaxKernelSize = 1024;
using detail::kMaxLayerSpan;
using detail::kMaxWeights;

void require_positive(int value, const std::string& where)
{
    if (value <= 0) invalid(where, "must be a positive integer, got " + std::to_string(value));
}

void require_size(int value, int limit, const std::string& where)
{
    require_positive(value, where);
    if (value > limit)
        invalid(where, "must be at most " + std::to_string(limit) + " (rtconv's limit), got " + std::to_string(value));
}

/// PReLU's per-channel slopes must cover exactly the channels they act on.
void require_slopes_fit(const WaveNetActivation& activation, int channels, const std::string& where)
{
    const std::size_t slopes = activation.negative_slopes().size();
    if (slopes != 0 && slopes != std::size_t(channels))
        invalid(where, "negative_slopes has " + std::to_string(slopes) + " entries for " + std::to_string(channels) +
                           " channels");
}

const char* gating_name(WaveNetGating gating)
{
    switch (gating) {
    case WaveNetGating::gated: return "gated";
    case WaveNetGating::blended: return "blended";
    case WaveNetGating::none: break;
    }
    return "none";
}

WaveNetGating gating_from_name(const std::string& name)
{
    if (name == "none") return WaveNetGating::none;
    if (name == "gated") return WaveNetGating::gated;
    if (name == "blended") return WaveNetGating::blended;
    throw Error("gating: expected \"none\", \"gated\" or \"blended\", got \"" + name + "\"");
}

json head_config(const std::optional<WaveNetHeadOptions>& head)
{
    if (!head) return nullptr;
    return {{"out_channels", head->out_channels}, {"kernel_size", head->kernel_size}, {"bias", head->bias}};
}

int int_member(const json& config, const char* key)
{
    const json& value = config.at(key);
    const std::optional<int> integer = detail::int_value(value);
    if (!integer) throw Error(std::string(key) + ": expected a 32-bit integer, got " + value.dump());
    return *integer;
}

} // namespace

// --- WaveNetActivation ----------------------------------------------------------------------------

WaveNetActivation WaveNetActivation::from_config(const json& config)
{
    if (!config.is_string() && !config.is_object())
        throw Error("activation: expected a name or an object {\"type\": name, ...}, got " + config.dump());
    const json& type = config.is_string() ? config : config.contains("type") ? config.at("type") : json();
    if (!type.is_string()) throw Error("activation: missing \"type\" in " + config.dump());
    const std::string name = type.get<std::string>();
    WaveNetActivation activation;
    const auto known = std::find_if(std::begin(kActivationNames), std::end(kActivationNames),
                                    [&](const ActivationName& entry) { return name == entry.name; });
    if (known == std::end(kActivationNames)) {
        std::string names;
        for (const auto& entry : kActivationNames) names += (names.empty() ? "" : ", ") + std::string(entry.name);
        throw Error("activation: unknown activation '" + name + "' (rtconv runs " + names + ")");
    }
    activation.kind_ = known->kind;
    if (!config.is_object()) return activation;
    activation.negative_slope_ = number_parameter(config, "negative_slope", activation.negative_slope_);
    if (const auto it = config.find("negative_slopes"); it != config.end() && !it->is_null()) {
        if (!it->is_array()) throw Error("activation: negative_slopes: expected a list of numbers");
        for (const auto& v : *it) {
            if (!v.is_number() || !std::isfinite(v.get<double>()))
                throw Error("activation: negative_slopes: expected finite numbers, got " + v.dump());
            activation.negative_slopes_.push_back(v.get<double>());
        }
    }
    activation.min_val_ = number_parameter(config, "min_val", activation.min_val_);
    activation.max_val_ = number_parameter(config, "max_val", activation.max_val_);
    activation.min_slope_ = number_parameter(config, "min_slope", activation.min_slope_);
    activation.max_slope_ = number_parameter(config, "max_slope", activation.max_slope_);
    return activation;
}

json WaveNetActivation::to_config() const
{
    json config = {{"type", activation_name(kind_)}};
    if (kind_ == Kind::leaky_relu || (kind_ == Kind::prelu && negative_slopes_.empty()))
        config["negative_slope"] = negative_slope_;
    if (kind_ == Kind::prelu && !negative_slopes_.empty()) config["negative_slopes"] = negative_slopes_;
    if (kind_ == Kind::leaky_hard_tanh) {
        config["min_val"] = min_val_;
        config["max_val"] = max_val_;
        config["min_slope"] = min_slope_;
        config["max_slope"] = max_slope_;
    }
    return config;
}

std::optional<Activation> WaveNetActivation::keras() const
{
    switch (kind_) {
    case Kind::linear: return Activation("linear");
    case Kind::tanh: return Activation("tanh");
    case Kind::hard_tanh: return Activation("hard_tanh");
    case Kind::relu: return Activation("relu");
    case Kind::sigmoid: return Activation("sigmoid");
    case Kind::silu: return Activation("silu");
    case Kind::hard_swish: return Activation("hard_silu");
    case Kind::softsign: return Activation("softsign");
    default: return std::nullopt;
    }
}

template <class T> void WaveNetActivation::apply(T* values, std::size_t n, std::size_t channel) const
{
    switch (kind_) {
    case Kind::fast_tanh: for_each_value(values, n, [](T x) { return fast_tanh(x); }); return;
    case Kind::leaky_relu:
    case Kind::prelu: {
        const T slope = static_cast<T>(kind_ == Kind::prelu && !negative_slopes_.empty()
                                           ? negative_slopes_[std::min(channel, negative_slopes_.size() - 1)]
                                           : negative_slope_);
        for_each_value(values, n, [slope](T x) { return x > T(0) ? x : slope * x; });
        return;
    }
    case Kind::leaky_hard_tanh: {
        const T lo = T(min_val_), hi = T(max_val_), lo_slope = T(min_slope_), hi_slope = T(max_slope_);
        for_each_value(values, n, [=](T x) {
            return x < lo ? (x - lo) * lo_slope + lo : x > hi ? (x - hi) * hi_slope + hi : x;
        });
        return;
    }
    default: break;
    }
    detail::visit_elementwise(keras()->kind(), [&](auto kind) {
        using Formula = decltype(kind);
        for_each_value(values, n, [](T x) { return detail::activate<Formula::value>(x); });
    });
}

template void WaveNetActivation::apply<float>(float*, std::size_t, std::size_t) const;
template void WaveNetActivation::apply<double>(double*, std::size_t, std::size_t) const;

// --- WaveNetOptions -------------------------------------------------------------------------------

void WaveNetOptions::validate() const
{
    if (arrays.empty()) invalid("arrays", "a WaveNet needs at least one layer array");
    std::size_t layers = 0;
    for (const auto& a : arrays) layers += a.layers.size();
    if (layers > detail::kMaxLayers)
        invalid("arrays", "the arrays hold " + std::to_string(layers) + " layers, more than rtconv's limit of " +
                              std::to_string(detail::kMaxLayers));
    if (!std::isfinite(head_scale)) invalid("head_scale", "must be a finite number");
    for (std::size_t a = 0; a < arrays.size(); ++a) {
        const WaveNetArrayOptions& ao = arrays[a];
        const std::string at = "arrays[" + std::to_string(a) + "]";
        require_size(ao.input_size, kMaxChannels, at + ".input_size");
        require_size(ao.channels, kMaxChannels, at + ".channels");
        if (ao.condition_size != 0 && ao.condition_size != arrays[0].input_size)
            invalid(at + ".condition_size", "the condition is the model input, so it must be 0 or the input size (" +
                                                std::to_string(arrays[0].input_size) + "), got " +
                                                std::to_string(ao.condition_size));
        if (ao.bottleneck < 0) invalid(at + ".bottleneck", "must not be negative");
        if (ao.bottleneck > 0) require_size(ao.bottleneck, kMaxChannels, at + ".bottleneck");
        if (!ao.layer1x1 && ao.bottleneck_channels() != ao.channels)
            invalid(at + ".layer1x1", "without a layer 1x1 the bottleneck (" + std::to_string(ao.bottleneck_channels()) +
                                          ") must equal the channels (" + std::to_string(ao.channels) + ")");
        if (ao.head1x1_channels) require_size(*ao.head1x1_channels, kMaxChannels, at + ".head1x1_channels");
        if (ao.head) {
            require_size(ao.head->out_channels, kMaxChannels, at + ".head.out_channels");
            require_size(ao.head->kernel_size, kMaxKernelSize, at + ".head.kernel_size");
        }
        if (ao.layers.empty()) invalid(at + ".layers", "a layer array needs at least one layer");
        for (std::size_t l = 0; l < ao.layers.size(); ++l) {
            const WaveNetLayerOptions& lo = ao.layers[l];
            const std::string lat = at + ".layers[" + std::to_string(l) + "]";
            require_size(lo.kernel_size, kMaxKernelSize, lat + ".kernel_size");
            require_positive(lo.dilation, lat + ".dilation");
            if (std::int64_t(lo.kernel_size - 1) * lo.dilation > kMaxLayerSpan)
                invalid(lat + ".dilation", "(kernel_size - 1) * dilation must be at most " + std::to_string(kMaxLayerSpan) +
                                               " (rtconv's limit), got " + std::to_string(lo.kernel_size - 1) + " * " +
                                               std::to_string(lo.dilation));
            require_slopes_fit(lo.activation, ao.bottleneck_channels(), lat + ".activation");
            if (lo.gating != WaveNetGating::none)
                require_slopes_fit(lo.gate_activation, ao.bottleneck_channels(), lat + ".gate_activation");
        }
        if (a == 0) continue;
        const WaveNetArrayOptions& prev = arrays[a - 1];
        if (ao.input_size != prev.channels)
            invalid(at + ".input_size", "must equal the previous array's channels (" + std::to_string(prev.channels) +
                                            "), got " + std::to_string(ao.input_size));
        if (ao.head_input_channels() != prev.head_output_channels())
            invalid(at, "the head accumulator has " + std::to_string(ao.head_input_channels()) +
                            " channels but the previous array's head gives " +
                            std::to_string(prev.head_output_channels()));
    }
    if (const std::size_t count = weight_count(); count > kMaxWeights)
        invalid("arrays", "the arrays hold " + std::to_string(count) + " weights, more than rtconv's limit of " +
                              std::to_string(kMaxWeights));
}

std::size_t WaveNetOptions::weight_count() const
{
    std::size_t count = 0;
    for (const auto& a : arrays) {
        const std::size_t c = std::size_t(a.channels), b = std::size_t(a.bottleneck_channels()),
                          h = std::size_t(a.head_input_channels());
        count += std::size_t(a.input_size) * c + (a.rechannel_bias ? c : 0);
        for (const auto& l : a.layers) {
            const std::size_t conv_out = l.gating == WaveNetGating::none ? b : 2 * b;
            count += std::size_t(l.kernel_size) * c * conv_out + conv_out + std::size_t(a.condition_size) * conv_out;
            if (a.layer1x1) count += b * c + c;
            if (a.head1x1_channels) count += b * h + h;
        }
        if (a.head) {
            const std::size_t out = std::size_t(a.head->out_channels);
            count += std::size_t(a.head->kernel_size) * h * out + (a.head->bias ? out : 0);
        }
    }
    return count;
}

// --- WaveNet --------------------------------------------------------------------------------------

static LayerArgs wavenet_layer_args(const WaveNetOptions& o)
{
    LayerArgs args;
    args.name = o.name;
    args.dtype = o.dtype;
    args.trainable = o.trainable;
    args.weights = o.weights;
    args.input_shape = TensorShape{std::nullopt, o.arrays.empty() ? 1 : o.arrays[0].input_size};
    return args;
}

// Validated before the base class is made: a bad config must fail before anything is allocated.
WaveNet::WaveNet(WaveNetOptions options)
    : Layer("wave_net", (options.validate(), wavenet_layer_args(options))), options_(std::move(options))
{
    options_.weights.clear();
    build_if_shape_fixed();
}

std::size_t WaveNet::input_channels() const
{
    return static_cast<std::size_t>(options_.arrays.front().input_size);
}

std::size_t WaveNet::output_channels() const
{
    return static_cast<std::size_t>(options_.arrays.back().head_output_channels());
}

std::size_t WaveNet::receptive_field() const
{
    std::size_t field = 1;
    for (const auto& array : options_.arrays) {
        for (const auto& layer : array.layers)
            field += static_cast<std::size_t>(layer.kernel_size - 1) * static_cast<std::size_t>(layer.dilation);
        if (array.head) field += static_cast<std::size_t>(array.head->kernel_size - 1);
    }
    return field;
}

std::size_t WaveNet::macs_per_sample() const
{
    std::size_t macs = 0;
    for (const auto& a : options_.arrays) {
        const std::size_t c = std::size_t(a.channels), b = std::size_t(a.bottleneck_channels()),
                          h = std::size_t(a.head_input_channels());
        macs += std::size_t(a.input_size) * c;
        for (const auto& l : a.layers) {
            const std::size_t conv_out = l.gating == WaveNetGating::none ? b : 2 * b;
            macs += std::size_t(l.kernel_size) * c * conv_out + std::size_t(a.condition_size) * conv_out;
            if (a.layer1x1) macs += b * c;
            if (a.head1x1_channels) macs += b * h;
        }
        if (a.head) macs += std::size_t(a.head->kernel_size) * h * std::size_t(a.head->out_channels);
    }
    return macs;
}

WaveNet WaveNet::from_config(const json& config)
{
    const LayerArgs args = layer_args_from_config(config);
    WaveNetOptions o;
    o.name = args.name;
    o.dtype = args.dtype;
    o.trainable = args.trainable;
    o.head_scale = config.at("head_scale").get<double>();
    const json& arrays = config.at("arrays");
    if (!arrays.is_array()) throw Error("arrays: expected a list of layer arrays");
    for (std::size_t a = 0; a < arrays.size(); ++a) {
        const json& aj = arrays[a];
        const std::string at = "arrays[" + std::to_string(a) + "].";
        try {
            WaveNetArrayOptions ao;
            ao.input_size = int_member(aj, "input_size");
            ao.condition_size = int_member(aj, "condition_size");
            ao.channels = int_member(aj, "channels");
            ao.bottleneck = int_member(aj, "bottleneck");
            ao.rechannel_bias = aj.at("rechannel_bias").get<bool>();
            ao.layer1x1 = aj.at("layer1x1").get<bool>();
            if (!aj.at("head1x1_channels").is_null()) ao.head1x1_channels = int_member(aj, "head1x1_channels");
            if (const json& head = aj.at("head"); !head.is_null())
                ao.head = WaveNetHeadOptions{int_member(head, "out_channels"), int_member(head, "kernel_size"),
                                             head.at("bias").get<bool>()};
            for (const json& lj : aj.at("layers")) {
                WaveNetLayerOptions lo;
                lo.kernel_size = int_member(lj, "kernel_size");
                lo.dilation = int_member(lj, "dilation");
                lo.activation = WaveNetActivation::from_config(lj.at("activation"));
                lo.gating = gating_from_name(lj.at("gating").get<std::string>());
                lo.gate_activation = WaveNetActivation::from_config(lj.at("gate_activation"));
                ao.layers.push_back(std::move(lo));
            }
            o.arrays.push_back(std::move(ao));
        } catch (const json::exception& e) {
            throw Error(at + std::string(e.what()));
        } catch (const Error& e) {
            throw Error(at + e.what());
        }
    }
    return WaveNet(std::move(o));
}

json WaveNet::get_config() const
{
    json config = Layer::get_config();
    json arrays = json::array();
    for (const auto& a : options_.arrays) {
        json layers = json::array();
        for (const auto& l : a.layers)
            layers.push_back({{"kernel_size", l.kernel_size},
                              {"dilation", l.dilation},
                              {"activation", l.activation.to_config()},
                              {"gating", gating_name(l.gating)},
                              {"gate_activation", l.gate_activation.to_config()}});
        arrays.push_back({{"input_size", a.input_size},
                          {"condition_size", a.condition_size},
                          {"channels", a.channels},
                          {"bottleneck", a.bottleneck},
                          {"rechannel_bias", a.rechannel_bias},
                          {"layer1x1", a.layer1x1},
                          {"head1x1_channels", a.head1x1_channels ? json(*a.head1x1_channels) : json(nullptr)},
                          {"head", head_config(a.head)},
                          {"layers", std::move(layers)}});
    }
    config["arrays"] = std::move(arrays);
    config["head_scale"] = options_.head_scale;
    return config;
}

void WaveNet::check_input_shape(const TensorShape& input_shape) const
{
    if (input_shape.size() != 3 || (input_shape[2] && std::size_t(*input_shape[2]) != input_channels()))
        throw Error("Input of layer '" + name() + "' (WaveNet) must be (batch, steps, " +
                    std::to_string(input_channels()) + "), got " + shape_to_string(input_shape));
}

TensorShape WaveNet::compute_output_shape(const TensorShape& input_shape) const
{
    check_input_shape(input_shape);
    return {input_shape[0], input_shape[1], static_cast<std::int64_t>(output_channels())};
}

void WaveNet::build_weights(const TensorShape& input_shape)
{
    check_input_shape(input_shape);
    const auto weight = [&](const std::string& name, const Shape& shape, const char* initializer) {
        add_weight(name, shape, initializer, std::nullopt, std::nullopt);
    };
    for (std::size_t a = 0; a < options_.arrays.size(); ++a) {
        const WaveNetArrayOptions& ao = options_.arrays[a];
        const std::size_t c = std::size_t(ao.channels), b = std::size_t(ao.bottleneck_channels()),
                          h = std::size_t(ao.head_input_channels());
        const std::string prefix = "array" + std::to_string(a) + ".";
        weight(prefix + "rechannel.kernel", {1, std::size_t(ao.input_size), c}, "glorot_uniform");
        if (ao.rechannel_bias) weight(prefix + "rechannel.bias", {c}, "zeros");
        for (std::size_t l = 0; l < ao.layers.size(); ++l) {
            const WaveNetLayerOptions& lo = ao.layers[l];
            const std::string layer = prefix + "layer" + std::to_string(l) + ".";
            const std::size_t conv_out = lo.gating == WaveNetGating::none ? b : 2 * b;
            weight(layer + "conv.kernel", {std::size_t(lo.kernel_size), c, conv_out}, "glorot_uniform");
            weight(layer + "conv.bias", {conv_out}, "zeros");
            if (ao.condition_size > 0)
                weight(layer + "mixin.kernel", {1, std::size_t(ao.condition_size), conv_out}, "glorot_uniform");
            if (ao.layer1x1) {
                weight(layer + "layer1x1.kernel", {1, b, c}, "glorot_uniform");
                weight(layer + "layer1x1.bias", {c}, "zeros");
            }
            if (ao.head1x1_channels) {
                weight(layer + "head1x1.kernel", {1, b, h}, "glorot_uniform");
                weight(layer + "head1x1.bias", {h}, "zeros");
            }
        }
        if (ao.head) {
            weight(prefix + "head.kernel", {std::size_t(ao.head->kernel_size), h, std::size_t(ao.head->out_channels)},
                   "glorot_uniform");
            if (ao.head->bias) weight(prefix + "head.bias", {std::size_t(ao.head->out_channels)}, "zeros");
        }
    }
}

template <class T> static void run_wavenet(const WaveNet& wavenet, const Tensor& x, Tensor& y)
{
    // The whole sequence streams through the same blocks, in chunks that stay in cache: a causal
    // network's whole-sequence output is its stream from silence.
    constexpr std::size_t kChunk = 4096;
    const detail::WaveNetPlan plan = detail::WaveNetPlan::make(wavenet, x.dtype());
    const std::size_t steps = x.shape()[1], cin = plan.input_channels, cout = plan.output_channels;
    // The run is a stream, so it is refused where ModelStream::prepare would be: a file's
    // dilations times channels could otherwise ask for many gigabytes of history.
    if (const double bytes = detail::WaveNetStream<T>::footprint(plan, kChunk); bytes > double(max_stream_bytes)) {
        char amount[32];
        std::snprintf(amount, sizeof amount, "%.3g", bytes);
        throw Error("Layer '" + wavenet.name() + "' (WaveNet): its history and buffers would take " + amount +
                    " bytes, more than rtconv's limit of " + std::to_string(max_stream_bytes) + " (1 GiB)");
    }
    detail::WaveNetStream<T> stream;
    stream.prepare(plan, kChunk);
    detail::Planar<T> in, out;
    in.resize(cin, kChunk);
    out.resize(cout, kChunk);
    for (std::size_t b = 0; b < x.shape()[0]; ++b) {
        stream.reset();
        const T* xb = x.data<T>() + b * steps * cin;
        T* yb = y.data<T>() + b * steps * cout;
        for (std::size_t t0 = 0; t0 < steps; t0 += kChunk) {
            const std::size_t n = std::min(kChunk, steps - t0);
            for (std::size_t t = 0; t < n; ++t)
                for (std::size_t c = 0; c < cin; ++c) in.row(c)[t] = xb[(t0 + t) * cin + c];
            stream.process(in, n, out);
            for (std::size_t t = 0; t < n; ++t)
                for (std::size_t c = 0; c < cout; ++c) yb[(t0 + t) * cout + c] = out.row(c)[t];
        }
    }
}

Tensor WaveNet::call(const Tensor& inputs)
{
    Tensor y({inputs.shape()[0], inputs.shape()[1], output_channels()}, dtype());
    if (dtype() == DType::float32) run_wavenet<float>(*this, inputs, y);
    else run_wavenet<double>(*this, inputs, y);
    return y;
}

} // namespace rtconv

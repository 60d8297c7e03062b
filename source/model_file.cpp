// The native model file. The reader accepts the Keras 3 and the Keras 2 spelling of every key it
// reads (batch_shape / batch_input_shape, DTypePolicy dicts / dtype strings, config as an object
// with "layers" / as the bare layer list of old Keras 2), so it never needs to know which Keras
// wrote the file; "keras_version" and other keys it does not use are ignored.
#include "rtconv/model_file.hpp"

#include "file_io.hpp"
#include "json_reading.hpp"
#include "limits.hpp"
#include "model_formats.hpp"
#include "rtconv/activation_layer.hpp"
#include "rtconv/batch_normalization.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/conv1d_transpose.hpp"
#include "rtconv/dense.hpp"
#include "rtconv/prelu.hpp"
#include "rtconv/error.hpp"
#include "rtconv/wavenet.hpp"
#include "weight_budget.hpp"

#include <cmath>
#include <functional>
#include <string_view>

namespace rtconv {
namespace {

using nlohmann::json;
using detail::find_member;
using detail::nested_list_shape;
using detail::string_member;
using detail::Where;

std::string layer_label(const std::string& name, const std::string& class_name)
{
    return "layer '" + name + "' (" + class_name + ")";
}

std::string weights_field(const std::string& layer_name)
{
    return "weights[" + json(layer_name).dump() + "]";
}

// --- the layer registry ------------------------------------------------------------------------

TensorShape unknown_steps_shape(std::size_t channels, const std::string& data_format)
{
    const auto c = static_cast<std::int64_t>(channels);
    if (data_format == "channels_first") return {std::nullopt, c, std::nullopt};
    return {std::nullopt, std::nullopt, c};
}

struct LayerKind {
    std::string_view class_name;
    std::function<std::unique_ptr<Layer>(const json& config)> from_config;
    /// The input shape (steps unknown) a layer's first weight array implies, for files that state
    /// none; throws when that array has the wrong rank. Empty for layers whose weights imply none.
    std::function<TensorShape(const Layer& layer, const Shape& kernel_shape)> input_shape_from_kernel;
};

template <class L> std::unique_ptr<Layer> layer_from_config(const json& config)
{
    return std::make_unique<L>(L::from_config(config));
}

void require_rank(const Shape& kernel, std::size_t rank)
{
    if (kernel.size() != rank)
        throw Error("expected a rank-" + std::to_string(rank) + " kernel, got a nested list of shape " +
                    shape_to_string(kernel));
}

// Conv1D kernel: (kernel_size, in_channels / groups, filters).
TensorShape conv1d_input_shape(const Layer& layer, const Shape& kernel)
{
    require_rank(kernel, 3);
    const auto& options = static_cast<const Conv1D&>(layer).options();
    return unknown_steps_shape(kernel[1] * static_cast<std::size_t>(options.groups), options.data_format);
}

// Conv1DTranspose kernel: (kernel_size, filters, in_channels).
TensorShape conv1d_transpose_input_shape(const Layer& layer, const Shape& kernel)
{
    require_rank(kernel, 3);
    return unknown_steps_shape(kernel[2], static_cast<const Conv1DTranspose&>(layer).options().data_format);
}

// Dense kernel: (input_dim, units).
TensorShape dense_input_shape(const Layer&, const Shape& kernel)
{
    require_rank(kernel, 2);
    return unknown_steps_shape(kernel[0], "channels_last");
}

// BatchNormalization: every weight is (channels,).
TensorShape batch_normalization_input_shape(const Layer&, const Shape& weight)
{
    require_rank(weight, 1);
    return unknown_steps_shape(weight[0], "channels_last");
}

const std::vector<LayerKind>& layer_kinds()
{
    static const std::vector<LayerKind> kinds = {
        {"Conv1D", layer_from_config<Conv1D>, conv1d_input_shape},
        {"Convolution1D", layer_from_config<Conv1D>, conv1d_input_shape}, // Keras 1/2 alias
        {"Conv1DTranspose", layer_from_config<Conv1DTranspose>, conv1d_transpose_input_shape},
        {"Convolution1DTranspose", layer_from_config<Conv1DTranspose>, conv1d_transpose_input_shape},
        {"Dense", layer_from_config<Dense>, dense_input_shape},
        {"BatchNormalization", layer_from_config<BatchNormalization>, batch_normalization_input_shape},
        {"PReLU", layer_from_config<PReLU>, nullptr},
        {"Activation", layer_from_config<ActivationLayer>, nullptr},
        // rtconv's own, for NAM and WaveNetVA models saved natively: its config fixes the input.
        {"WaveNet", layer_from_config<WaveNet>, nullptr},
    };
    return kinds;
}

const LayerKind* find_layer_kind(const std::string& class_name)
{
    for (const auto& kind : layer_kinds())
        if (kind.class_name == class_name) return &kind;
    return nullptr;
}

std::string supported_classes()
{
    std::string names;
    for (const auto& kind : layer_kinds()) names += (names.empty() ? "" : ", ") + std::string(kind.class_name);
    return names;
}

// --- reading ------------------------------------------------------------------------------------

/// A shape as Keras writes it: a list of non-negative ints and nulls.
TensorShape shape_from_json(const json& j, const Where& where, const std::string& field)
{
    if (!j.is_array()) where.fail(field, "expected a shape (a list of integers and nulls), got " + j.dump());
    TensorShape shape;
    for (const auto& d : j) {
        if (d.is_null()) shape.push_back(std::nullopt);
        else if (d.is_number_integer() && d.get<std::int64_t>() >= 0) shape.push_back(d.get<std::int64_t>());
        else where.fail(field, "expected a shape (a list of non-negative integers and nulls), got " + j.dump());
    }
    return shape;
}


/// The shape in {"input_shape": [...]} (Keras 3 build_config), if present.
std::optional<TensorShape> build_config_shape(const json& owner, const Where& where, const std::string& owner_field)
{
    const json* build_config = find_member(owner, "build_config");
    const json* shape = build_config ? find_member(*build_config, "input_shape") : nullptr;
    if (!shape) return std::nullopt;
    return shape_from_json(*shape, where, owner_field + "build_config.input_shape");
}

/// One entry of config.layers, created but not built yet.
struct LayerEntry {
    std::unique_ptr<Layer> layer;
    const LayerKind* kind = nullptr;
    Where where;
    std::optional<TensorShape> build_config_shape;
};


LayerEntry make_layer(const json& entry, std::size_t index, const std::string& source)
{
    const std::string field = "config.layers[" + std::to_string(index) + "]";
    const Where file{source, ""};
    if (!entry.is_object()) file.fail(field, "expected a layer object {\"class_name\": ..., \"config\": {...}}");
    const std::string class_name = string_member(entry, "class_name");
    if (class_name.empty()) file.fail(field + ".class_name", "missing or not a string");
    const json* config = find_member(entry, "config");
    const std::string config_name = config ? string_member(*config, "name") : std::string();
    Where where{source, layer_label(config_name.empty() ? field : config_name, class_name)};

    const LayerKind* kind = find_layer_kind(class_name);
    if (!kind)
        where.fail("class_name", "unsupported layer class '" + class_name + "' (rtconv loads " + supported_classes() +
                                     ")");
    if (!config) where.fail("config", "missing");
    LayerEntry loaded{where.run("config", [&] { return kind->from_config(*config); }), kind, where, std::nullopt};
    loaded.where.layer = layer_label(loaded.layer->name(), class_name);
    loaded.build_config_shape = build_config_shape(entry, loaded.where, "");
    return loaded;
}

/// Appends the numbers of a nested list of the given shape in row-major order; `path` names the
/// element at fault in errors.
void read_nested_list(const json& j, const Shape& shape, std::size_t depth, const std::string& path,
                      const Where& where, std::vector<double>& out)
{
    if (depth == shape.size()) {
        if (!j.is_number()) where.fail(path, "expected a number, got " + j.dump());
        const double value = j.get<double>();
        if (!std::isfinite(value)) where.fail(path, "expected a finite number, got " + j.dump());
        out.push_back(value);
        return;
    }
    if (!j.is_array() || j.size() != shape[depth])
        where.fail(path, "ragged nested list: expected a list of " + std::to_string(shape[depth]) + ", got " +
                             (j.is_array() ? "a list of " + std::to_string(j.size()) : j.dump()));
    for (std::size_t i = 0; i < j.size(); ++i)
        read_nested_list(j[i], shape, depth + 1, path + "[" + std::to_string(i) + "]", where, out);
}

Tensor read_weight_array(const json& j, const Variable& variable, const std::string& field, const Where& where)
{
    const Shape& expected = variable.value.shape();
    const Shape actual = nested_list_shape(j);
    if (actual != expected)
        where.fail(field, "expected '" + variable.name + "' of shape " + shape_to_string(expected) + ", got " +
                              (j.is_array() ? "a nested list of shape " + shape_to_string(actual) : j.dump()));
    std::vector<double> values;
    values.reserve(variable.value.size());
    read_nested_list(j, expected, 0, field, where, values);
    return Tensor(expected, std::move(values));
}

std::string describe_variables(const Layer& layer)
{
    std::string text;
    for (const auto& v : layer.variables())
        text += (text.empty() ? "" : ", ") + v.name + " " + shape_to_string(v.value.shape());
    return text;
}

void load_layer_weights(Layer& layer, const json* weights, const Where& where)
{
    const std::size_t count = layer.variables().size();
    if (count == 0 && (!weights || !weights->contains(layer.name()))) return;
    const std::string field = weights_field(layer.name());
    if (!weights)
        where.fail("weights", "the file has no top-level \"weights\" object; this layer needs " +
                                  std::to_string(count) + " arrays (" + describe_variables(layer) + ")");
    const auto it = weights->find(layer.name());
    if (it == weights->end())
        where.fail(field, "missing; expected " + std::to_string(count) + " arrays (" + describe_variables(layer) + ")");
    detail::set_weights_from_json(layer, *it, field, where);
}

/// The Sequential's own config: {"name", "layers": [...]} (Keras 3, Keras 2) or the bare list of
/// layer entries (Keras 2 before 2.2).
const json& sequential_config(const json& document, const Where& file)
{
    if (!document.is_object()) file.fail("", "expected a JSON object {\"class_name\": \"Sequential\", ...}");
    const std::string class_name = string_member(document, "class_name");
    if (class_name != "Sequential")
        file.fail("class_name", class_name.empty() ? "missing; expected \"Sequential\""
                                                   : "rtconv loads Sequential models, not '" + class_name + "'");
    const json* config = find_member(document, "config");
    if (!config || !(config->is_object() || config->is_array()))
        file.fail("config", "missing or not an object with \"layers\"");
    return *config;
}

const json& layer_list(const json& config, const Where& file)
{
    if (config.is_array()) return config;
    const json* layers = find_member(config, "layers");
    if (!layers || !layers->is_array()) file.fail("config.layers", "missing or not a list");
    return *layers;
}

/// The model input shape the file states, by the first of: an InputLayer, the Sequential's
/// build_input_shape, the model's build_config.
std::optional<TensorShape> stated_input_shape(const json& document, const json& config, const json& layers,
                                              const Where& file)
{
    if (!layers.empty() && string_member(layers[0], "class_name") == "InputLayer") {
        const json* input_config = find_member(layers[0], "config");
        for (const char* key : {"batch_shape", "batch_input_shape"})
            if (const json* shape = input_config ? find_member(*input_config, key) : nullptr)
                return shape_from_json(*shape, file, std::string("config.layers[0].config.") + key);
        file.fail("config.layers[0]", "InputLayer without \"batch_shape\" or \"batch_input_shape\"");
    }
    if (const json* shape = find_member(config, "build_input_shape"))
        return shape_from_json(*shape, file, "config.build_input_shape");
    return build_config_shape(document, file, "");
}

/// For files that state no input shape anywhere: what the first layer's own config or
/// build_config says, else the channel count its kernel implies (steps unknown).
TensorShape first_layer_input_shape(const LayerEntry& first, const json* weights)
{
    if (const auto& fixed = first.layer->build_input_shape()) return *fixed;
    if (first.build_config_shape) return *first.build_config_shape;
    const std::string field = weights_field(first.layer->name());
    const std::string no_shape = "the file states no input shape (no InputLayer, batch_input_shape or build_config)";
    if (!first.kind->input_shape_from_kernel)
        first.where.fail("", no_shape + ", and a first " + first.layer->class_name() +
                                 " layer's weights do not give the input channels");
    const json* arrays = weights ? find_member(*weights, first.layer->name().c_str()) : nullptr;
    if (!arrays || !arrays->is_array() || arrays->empty())
        first.where.fail(weights ? field : "weights",
                         "missing; " + no_shape + ", so the input channels must come from this layer's kernel");
    const Shape kernel = nested_list_shape(arrays->front());
    return first.where.run(field + "[0]", [&] { return first.kind->input_shape_from_kernel(*first.layer, kernel); });
}

const json* weights_object(const json& document, const Where& file)
{
    const json* weights = find_member(document, "weights");
    if (weights && !weights->is_object()) file.fail("weights", "expected an object {\"layer name\": [arrays]}");
    return weights;
}

void check_weight_names(const json* weights, const Sequential& model, const Where& file)
{
    if (!weights) return;
    for (const auto& item : weights->items()) {
        bool known = false;
        for (const auto& layer : model.layers()) known = known || layer->name() == item.key();
        if (!known) file.fail(weights_field(item.key()), "no layer of this name in the model");
    }
}

// --- writing ------------------------------------------------------------------------------------

json shape_to_json(const TensorShape& shape)
{
    json list = json::array();
    for (const auto& d : shape) list.push_back(d ? json(*d) : json(nullptr));
    return list;
}

json nested_list(const Tensor& tensor, std::size_t depth, std::size_t& flat_index)
{
    if (depth == tensor.rank()) return tensor.flat(flat_index++);
    json list = json::array();
    for (std::size_t i = 0; i < tensor.shape()[depth]; ++i) list.push_back(nested_list(tensor, depth + 1, flat_index));
    return list;
}

json weights_to_json(const Layer& layer)
{
    json arrays = json::array();
    for (const auto& variable : layer.variables()) {
        for (std::size_t i = 0; i < variable.value.size(); ++i)
            if (!std::isfinite(variable.value.flat(i)))
                throw Error("cannot save " + layer_label(layer.name(), layer.class_name()) + ": weight '" +
                            variable.name + "' holds NaN or infinity, which JSON cannot represent");
        std::size_t flat_index = 0;
        arrays.push_back(nested_list(variable.value, 0, flat_index));
    }
    return arrays;
}

json input_layer_json(const TensorShape& batch_shape, DType dtype)
{
    return {{"module", "keras.layers"},
            {"class_name", "InputLayer"},
            {"config", {{"batch_shape", shape_to_json(batch_shape)}, {"dtype", dtype_name(dtype)},
                        {"sparse", false}, {"name", "input_layer"}}},
            {"registered_name", nullptr}};
}

/// rtconv's top-level "metadata" object: what a model converted from NAM keeps of its file.
ModelMetadata read_metadata(const json& document, const Where& file)
{
    ModelMetadata metadata;
    const json* object = find_member(document, "metadata");
    if (!object) return metadata;
    if (!object->is_object()) file.fail("metadata", "expected an object");
    const auto number = [&](const char* key) { return detail::optional_finite_number(*object, key, file, "metadata."); };
    metadata.sample_rate = detail::optional_sample_rate(*object, "sample_rate", file, "metadata.");
    metadata.loudness = number("loudness");
    metadata.input_level_dbu = number("input_level_dbu");
    metadata.output_level_dbu = number("output_level_dbu");
    metadata.prewarm = detail::optional_bool(*object, "prewarm", false, file, "metadata.");
    return metadata;
}

json metadata_to_json(const ModelMetadata& metadata)
{
    json object = json::object();
    const auto number = [&](const char* key, const std::optional<double>& value) {
        if (value) object[key] = *value;
    };
    number("sample_rate", metadata.sample_rate);
    number("loudness", metadata.loudness);
    number("input_level_dbu", metadata.input_level_dbu);
    number("output_level_dbu", metadata.output_level_dbu);
    if (metadata.prewarm) object["prewarm"] = true;
    return object;
}

/// Walks a document without building it, stopping at nesting deeper than kMaxJsonDepth or at
/// values that would take more than kMaxJsonMemory once parsed, so that no small file can make
/// the parse overflow the stack or take gigabytes. The sizes are what glibc gives nlohmann's
/// values: 16 bytes each, plus the block of an array (32), an object (64), an object member (96)
/// or a string (48, and its text beyond the 15 bytes kept inline).
class JsonLimits final : public json::json_sax_t {
public:
    /// What stopped the walk: a parse error or a limit.
    std::string problem;

    bool null() override { return add(kValue); }
    bool boolean(bool) override { return add(kValue); }
    bool number_integer(number_integer_t) override { return add(kValue); }
    bool number_unsigned(number_unsigned_t) override { return add(kValue); }
    bool number_float(number_float_t, const string_t&) override { return add(kValue); }
    bool string(string_t& text) override { return add(kValue + kString + outside(text)); }
    bool binary(binary_t&) override { return add(kValue); } // JSON text has none
    bool start_object(std::size_t) override { return open() && add(kValue + kObject); }
    bool key(string_t& text) override { return add(kMember + outside(text)); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open() && add(kValue + kArray); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const json::exception& e) override
    {
        // parse_error, and out_of_range for a number like 1e999
        problem = "not valid JSON: " + detail::json_message(e);
        return false;
    }

private:
    static constexpr std::size_t kValue = 16, kArray = 32, kObject = 64, kMember = 96, kString = 48;
    static std::size_t outside(const string_t& text) { return text.size() > 15 ? text.size() + 1 : 0; }

    bool open()
    {
        if (++depth_ <= detail::kMaxJsonDepth) return true;
        problem = "JSON nested more than " + std::to_string(detail::kMaxJsonDepth) +
                  " levels deep, rtconv's limit (model files nest about 8)";
        return false;
    }
    bool close()
    {
        --depth_;
        return true;
    }
    bool add(std::size_t bytes)
    {
        memory_ += bytes;
        if (memory_ <= detail::kMaxJsonMemory) return true;
        problem = "the JSON's values would take more than " + std::to_string(detail::kMaxJsonMemory >> 20) +
                  " MiB in memory once parsed, rtconv's limit (room for " + std::to_string(detail::kMaxWeights) +
                  " weights and their configs)";
        return false;
    }

    std::size_t depth_ = 0, memory_ = 0;
};

/// The parsed document, within JsonLimits' bounds.
json parse_document(std::string_view text, const std::string& source)
{
    JsonLimits limits;
    if (!json::sax_parse(text, &limits)) throw Error(detail::printable(source + ": " + limits.problem));
    return json::parse(text);
}

} // namespace

namespace detail {

void set_weights_from_json(Layer& layer, const json& arrays, const std::string& field, const Where& where)
{
    const std::size_t count = layer.variables().size();
    if (!arrays.is_array() || arrays.size() != count)
        where.fail(field, "expected a list of " + std::to_string(count) + " arrays (" + describe_variables(layer) +
                              "), got " + (arrays.is_array() ? std::to_string(arrays.size()) + " arrays" : arrays.dump()));
    std::vector<Tensor> tensors;
    for (std::size_t i = 0; i < count; ++i)
        tensors.push_back(
            read_weight_array(arrays[i], layer.variables()[i], field + "[" + std::to_string(i) + "]", where));
    where.run(field, [&] { layer.set_weights(tensors); });
}

ModelFormat detect_model_format(const json& document, const std::string& source)
{
    if (document.is_object()) {
        if (document.contains("architecture") && document.contains("config")) return ModelFormat::nam;
        if (document.contains("residual_channels") && document.contains("variables")) return ModelFormat::wavenetva;
        if (document.contains("in_shape") || (document.contains("layers") && !document.contains("class_name")))
            return ModelFormat::rtneural;
        if (document.contains("class_name")) return ModelFormat::keras;
    }
    throw Error(printable(source) + ": not a model file rtconv reads: expected a Keras Sequential model (\"class_name\"), "
                         "a NAM .nam file (\"architecture\", \"config\"), a WaveNetVA model (\"residual_channels\", "
                         "\"variables\") or an RTNeural model (\"in_shape\", \"layers\")");
}

Sequential keras_model_from_json(const json& document, const std::string& source)
{
    const Where file{source, ""};
    const WeightBudget budget(count_values(document));
    const json& config = sequential_config(document, file);
    const json& layers = layer_list(config, file);
    const json* weights = weights_object(document, file);
    std::optional<TensorShape> input_shape = stated_input_shape(document, config, layers, file);

    // Where the layers are in config.layers: an InputLayer first gives the input shape, not a layer.
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (string_member(layers[i], "class_name") == "InputLayer") {
            if (i == 0) continue;
            file.fail("config.layers[" + std::to_string(i) + "]", "an InputLayer may only come first");
        }
        indices.push_back(i);
    }
    if (indices.size() > kMaxLayers)
        file.fail("config.layers", std::to_string(indices.size()) + " layers, more than rtconv's limit of " +
                                       std::to_string(kMaxLayers));
    // Layers are made one at a time and each takes its weights from the file before the next is
    // made (a layer whose config fixes its input shape builds as it is made): the layers built
    // never hold more than the file's weights and one layer, which Layer::add_weight bounds.
    std::optional<LayerEntry> first;
    if (!indices.empty()) first = make_layer(layers[indices.front()], indices.front(), source);
    if (!input_shape && first) input_shape = first_layer_input_shape(*first, weights);

    // Built into a local model that is returned only complete: a failure leaves nothing behind.
    Sequential model(config.is_object() && !string_member(config, "name").empty() ? string_member(config, "name")
                                                                                   : "sequential");
    if (!input_shape) return model; // no layers: nothing to build
    model.set_input_shape(*input_shape);
    TensorShape shape = *input_shape;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        LayerEntry entry = k == 0 ? std::move(*first) : make_layer(layers[indices[k]], indices[k], source);
        entry.where.run("input shape " + shape_to_string(shape), [&] {
            model.add(std::move(entry.layer));
            shape = model.layers().back()->compute_output_shape(shape);
        });
        load_layer_weights(*model.layers().back(), weights, entry.where);
    }
    check_weight_names(weights, model, file);
    model.metadata() = read_metadata(document, file);
    return model;
}

} // namespace detail

Sequential model_from_json(const json& document, const std::string& source)
{
    switch (detail::detect_model_format(document, source)) {
    case detail::ModelFormat::nam: return detail::nam_model_from_json(document, source);
    case detail::ModelFormat::wavenetva: return detail::wavenetva_model_from_json(document, source);
    case detail::ModelFormat::rtneural: return detail::rtneural_model_from_json(document, source);
    case detail::ModelFormat::keras: break;
    }
    return detail::keras_model_from_json(document, source);
}

Sequential model_from_bytes(std::string_view text, const std::string& source)
{
    detail::check_file_size(source, text.size(), max_model_file_bytes, "a model file");
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        throw Error(detail::printable(source) + ": not valid JSON: the file is empty");
    return model_from_json(parse_document(text, source), source);
}

Sequential load_model(const std::filesystem::path& path)
{
    return model_from_bytes(detail::read_file(path, max_model_file_bytes, "a model file"), path.string());
}

json model_to_json(const Sequential& model)
{
    const auto& input_shape = model.input_shape();
    const DType dtype = model.layers().empty() ? DType::float32 : model.layers().front()->dtype();
    json layers = json::array();
    json weights = json::object();
    if (input_shape) layers.push_back(input_layer_json(*input_shape, dtype));
    std::optional<TensorShape> shape = input_shape;
    for (const auto& layer : model.layers()) {
        if (!layer->built())
            throw Error("cannot save model '" + model.name() + "': " + layer_label(layer->name(), layer->class_name()) +
                        " is not built (give the model an input shape or run it once)");
        json entry = {{"module", "keras.layers"},
                      {"class_name", layer->class_name()},
                      {"config", layer->get_config()},
                      {"registered_name", nullptr}};
        if (shape) {
            entry["build_config"] = {{"input_shape", shape_to_json(*shape)}};
            shape = layer->compute_output_shape(*shape);
        }
        layers.push_back(std::move(entry));
        weights[layer->name()] = weights_to_json(*layer);
    }
    json config = {{"name", model.name()}, {"trainable", true}, {"dtype", serialize_dtype(dtype)}, {"layers", layers}};
    json document = {{"module", "keras"}, {"class_name", "Sequential"}, {"config", config}, {"registered_name", nullptr}};
    if (input_shape) {
        document["config"]["build_input_shape"] = shape_to_json(*input_shape);
        document["build_config"] = {{"input_shape", shape_to_json(*input_shape)}};
    }
    document["weights"] = std::move(weights);
    if (json metadata = metadata_to_json(model.metadata()); !metadata.empty()) document["metadata"] = std::move(metadata);
    return document;
}

void save_model(const Sequential& model, const std::filesystem::path& path)
{
    detail::write_file(path, model_to_json(model).dump() + "\n");
}

} // namespace rtconv

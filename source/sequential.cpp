#include "rtconv/sequential.hpp"

#include "rtconv/error.hpp"

namespace rtconv {

Sequential::Sequential(std::string name) : name_(std::move(name)) {}

void Sequential::add(std::unique_ptr<Layer> layer)
{
    if (!layer) throw Error("Sequential model '" + name_ + "': cannot add a null layer");
    for (const auto& existing : layers_)
        if (existing->name() == layer->name())
            throw Error("All layers added to a Sequential model should have unique names. Name '" + layer->name() +
                        "' is already the name of a layer in this model. Update the `name` argument to pass a "
                        "unique name.");
    // A first layer given input_shape/batch_input_shape fixes the model's input, as in Keras.
    if (layers_.empty() && !input_shape_ && layer->build_input_shape()) input_shape_ = layer->build_input_shape();
    // With a known input shape Keras builds each layer as it is added; the layer joins the model
    // only once that succeeded, so a failed add leaves the model as it was.
    if (input_shape_) {
        TensorShape shape = *input_shape_;
        for (const auto& existing : layers_) shape = existing->compute_output_shape(shape);
        if (!layer->built() || layer->build_input_shape()) layer->build(shape);
    }
    layers_.push_back(std::move(layer));
}

Layer& Sequential::get_layer(const std::string& name) const
{
    std::string existing;
    for (const auto& layer : layers_) {
        if (layer->name() == name) return *layer;
        existing += (existing.empty() ? "" : ", ") + layer->name();
    }
    throw Error("No such layer: " + name + ". Existing layers are: [" + existing + "].");
}

void Sequential::set_input_shape(TensorShape batch_shape)
{
    // Layers that are built already keep their weights (building again would re-initialize
    // them); a mismatch with their input then shows when the model runs, with Keras' message.
    TensorShape shape = batch_shape;
    for (const auto& layer : layers_) {
        if (!layer->built() || layer->build_input_shape()) layer->build(shape);
        shape = layer->compute_output_shape(shape);
    }
    input_shape_ = std::move(batch_shape);
}

Tensor Sequential::operator()(const Tensor& inputs)
{
    if (layers_.empty()) throw Error("Sequential model '" + name_ + "' has no layers to run");
    Tensor x = (*layers_.front())(inputs);
    for (std::size_t i = 1; i < layers_.size(); ++i) x = (*layers_[i])(x);
    return x;
}

std::size_t Sequential::count_params() const
{
    std::size_t n = 0;
    for (const auto& layer : layers_) {
        if (!layer->built())
            throw Error("You tried to call `count_params` on model '" + name_ + "', but its layer '" +
                        layer->name() + "' isn't built. Give the model an input shape (set_input_shape) or run "
                        "it once.");
        n += layer->count_params();
    }
    return n;
}

} // namespace rtconv

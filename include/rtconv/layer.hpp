#pragma once
// The base of every rtconv layer, shaped after keras.layers.Layer: lazy build from the
// first input, weights with initializers/regularizers/constraints, get_config, losses.
#include "rtconv/constraints.hpp"
#include "rtconv/initializers.hpp"
#include "rtconv/regularizers.hpp"
#include "rtconv/tensor.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rtconv {

/// A layer variable, as Keras' add_weight makes it.
struct Variable {
    std::string name;
    Tensor value;
    Initializer initializer = "zeros";
    std::optional<Regularizer> regularizer;
    std::optional<Constraint> constraint;
};

/// The arguments every Keras layer takes.
struct LayerArgs {
    std::string name;                 ///< empty: a unique name like Keras' ("conv1d", "conv1d_1", ...)
    std::string dtype = "float32";    ///< "float32" or "float64", or a Keras DTypePolicy name
    bool trainable = true;
    std::optional<Regularizer> activity_regularizer;
    /// input_shape without the batch axis, batch_input_shape with it (R / TF 1.x Keras): fixes the build shape.
    std::optional<TensorShape> input_shape;
    std::optional<TensorShape> batch_input_shape;
    std::optional<std::int64_t> batch_size;
    /// Initial weights (Keras' `weights=` argument), set when the layer is built.
    std::vector<Tensor> weights;
};

/// Forget the automatic-name counters (Keras' clear_session).
void clear_session();

class Layer {
public:
    virtual ~Layer() = default;
    Layer(const Layer&) = default;
    Layer& operator=(const Layer&) = default;

    /// Keras' class name ("Conv1D", ...).
    virtual std::string class_name() const = 0;
    const std::string& name() const { return name_; }
    DType dtype() const { return dtype_; }
    bool trainable() const { return trainable_; }
    void set_trainable(bool trainable) { trainable_ = trainable; }

    bool built() const { return built_; }
    /// The build shape fixed by input_shape/batch_input_shape, if any: (batch, ...).
    const std::optional<TensorShape>& build_input_shape() const { return fixed_input_shape_; }
    /// Creates the weights for inputs of this shape (batch axis included; None allowed).
    void build(const TensorShape& input_shape);

    /// Keras' __call__: casts to the layer dtype, builds on first use, checks the input, runs.
    Tensor operator()(const Tensor& inputs);

    virtual TensorShape compute_output_shape(const TensorShape& input_shape) const = 0;
    std::size_t count_params() const;

    /// Keras layout and order (kernel, then bias).
    std::vector<Tensor> get_weights() const;
    /// Shape-checked; casts to the layer dtype.
    void set_weights(const std::vector<Tensor>& weights);
    const std::vector<Variable>& variables() const { return variables_; }

    /// The Keras 3 config dict of this layer.
    virtual nlohmann::json get_config() const;

    /// Keras' layer.losses: the activity loss of the last call (divided by its batch size), then
    /// one loss per regularized weight while the layer is trainable.
    std::vector<double> losses() const;
    /// Projects every weight through its constraint.
    void apply_constraints();

protected:
    Layer(const std::string& snake_name, LayerArgs args);

    /// Derived constructors end with this: builds at once when input_shape/batch_input_shape fixed the shape.
    void build_if_shape_fixed();

    virtual void build_weights(const TensorShape& input_shape) = 0;
    virtual Tensor call(const Tensor& inputs) = 0;
    /// Checks an input shape against what the layer was built for; throws Keras-style messages.
    virtual void check_input_shape(const TensorShape& input_shape) const = 0;

    Variable& add_weight(const std::string& name, const Shape& shape, const Initializer& initializer,
                         const std::optional<Regularizer>& regularizer,
                         const std::optional<Constraint>& constraint);
    /// Called after set_weights/apply_constraints so layers can repack weights.
    virtual void weights_changed() {}

    std::vector<Variable> variables_;

private:
    std::string name_;
    DType dtype_ = DType::float32;
    bool trainable_ = true;
    bool built_ = false;
    std::optional<Regularizer> activity_regularizer_;
    std::optional<TensorShape> fixed_input_shape_;
    std::vector<Tensor> initial_weights_;
    double activity_loss_ = 0.0;
    bool has_activity_loss_ = false;
};

/// Parses the common Keras layer keys of a config (name, dtype, trainable, batch_input_shape ...).
LayerArgs layer_args_from_config(const nlohmann::json& config);
/// Keras 3 DTypePolicy dict for a dtype.
nlohmann::json serialize_dtype(DType dtype);

} // namespace rtconv

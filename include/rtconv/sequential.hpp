#pragma once
// keras.Sequential for the layers rtconv runs: a stack applied in order, with Keras' JSON form.
#include "rtconv/layer.hpp"

#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rtconv {

/// What a model file says about the audio around the model (NAM's metadata, sample rates).
struct ModelMetadata {
    std::string format = "keras";             ///< the reader: "keras", "nam", "wavenetva" or "rtneural"
    std::string version;                      ///< the file's own version string, when it has one
    std::optional<double> sample_rate;        ///< Hz the model was trained at, when the file says
    std::optional<double> loudness;           ///< NAM: loudness of the model's output, dB
    std::optional<double> input_level_dbu;    ///< NAM: dBu of a full-scale input
    std::optional<double> output_level_dbu;   ///< NAM: dBu of a full-scale output
    bool prewarm = false;                     ///< the original software starts in silence's steady state
};

class Sequential {
public:
    explicit Sequential(std::string name = "sequential");

    /// Appends a layer (any rtconv layer type), returning a reference to the stored copy.
    template <class L>
        requires std::derived_from<L, Layer>
    L& add(L layer)
    {
        auto owned = std::make_unique<L>(std::move(layer));
        L& ref = *owned;
        add(std::move(owned));
        return ref;
    }
    void add(std::unique_ptr<Layer> layer);

    const std::string& name() const { return name_; }
    const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
    /// Throws rtconv::Error naming the layer when there is none of that name.
    Layer& get_layer(const std::string& name) const;

    /// (batch, ...) shape of the InputLayer, when the model has one.
    const std::optional<TensorShape>& input_shape() const { return input_shape_; }
    void set_input_shape(TensorShape batch_shape);

    /// Runs every layer in order (Keras' model(x) / predict).
    Tensor operator()(const Tensor& inputs);
    std::size_t count_params() const;

    const ModelMetadata& metadata() const { return metadata_; }
    ModelMetadata& metadata() { return metadata_; }

private:
    std::string name_;
    ModelMetadata metadata_;
    std::optional<TensorShape> input_shape_;
    std::vector<std::unique_ptr<Layer>> layers_;
};

} // namespace rtconv

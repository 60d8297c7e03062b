#pragma once
// A dense n-d array with a run-time dtype (float32 or float64), row-major,
// the shape of what Keras layers take and return: (batch, steps, channels).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace rtconv {

enum class DType { float32, float64 };

/// "float32" / "float64"; throws rtconv::Error on anything else.
DType dtype_from_name(const std::string& name);
const char* dtype_name(DType dtype);

/// A concrete shape.
using Shape = std::vector<std::size_t>;
/// A symbolic shape as Keras' compute_output_shape takes it: nullopt is None.
using TensorShape = std::vector<std::optional<std::int64_t>>;

std::string shape_to_string(const Shape& shape);
std::string shape_to_string(const TensorShape& shape);
TensorShape to_tensor_shape(const Shape& shape);

class Tensor {
public:
    Tensor() = default;
    /// Zero-filled.
    explicit Tensor(Shape shape, DType dtype = DType::float32);
    Tensor(Shape shape, std::vector<float> values);
    Tensor(Shape shape, std::vector<double> values);

    const Shape& shape() const { return shape_; }
    std::size_t rank() const { return shape_.size(); }
    std::size_t size() const;
    DType dtype() const { return dtype_; }

    /// Typed access; throws rtconv::Error when T does not match dtype().
    template <class T> T* data();
    template <class T> const T* data() const;
    template <class T> std::span<T> values() { return {data<T>(), size()}; }
    template <class T> std::span<const T> values() const { return {data<T>(), size()}; }

    /// Element i of the flat (row-major) array, widened to double.
    double flat(std::size_t i) const;
    void set_flat(std::size_t i, double value);

    Tensor astype(DType dtype) const;
    /// Same data, new shape of the same size.
    Tensor reshaped(Shape shape) const;

private:
    Shape shape_;
    DType dtype_ = DType::float32;
    std::variant<std::vector<float>, std::vector<double>> storage_;
};

} // namespace rtconv

#include "rtconv/tensor.hpp"

#include "rtconv/error.hpp"

#include <functional>
#include <numeric>

namespace rtconv {

DType dtype_from_name(const std::string& name)
{
    if (name == "float32") return DType::float32;
    if (name == "float64") return DType::float64;
    throw Error("Unsupported dtype '" + name + "': rtconv computes in 'float32' or 'float64'");
}

const char* dtype_name(DType dtype)
{
    return dtype == DType::float32 ? "float32" : "float64";
}

std::string shape_to_string(const Shape& shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::string shape_to_string(const TensorShape& shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + (shape[i] ? std::to_string(*shape[i]) : std::string("None"));
    return s + (shape.size() == 1 ? ",)" : ")");
}

TensorShape to_tensor_shape(const Shape& shape)
{
    return TensorShape(shape.begin(), shape.end());
}

static std::size_t element_count(const Shape& shape)
{
    return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

Tensor::Tensor(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype)
{
    if (dtype == DType::float32)
        storage_ = std::vector<float>(element_count(shape_));
    else
        storage_ = std::vector<double>(element_count(shape_));
}

Tensor::Tensor(Shape shape, std::vector<float> values)
    : shape_(std::move(shape)), dtype_(DType::float32), storage_(std::move(values))
{
    if (std::get<0>(storage_).size() != element_count(shape_))
        throw Error("Tensor of shape " + shape_to_string(shape_) + " needs " +
                    std::to_string(element_count(shape_)) + " values, got " +
                    std::to_string(std::get<0>(storage_).size()));
}

Tensor::Tensor(Shape shape, std::vector<double> values)
    : shape_(std::move(shape)), dtype_(DType::float64), storage_(std::move(values))
{
    if (std::get<1>(storage_).size() != element_count(shape_))
        throw Error("Tensor of shape " + shape_to_string(shape_) + " needs " +
                    std::to_string(element_count(shape_)) + " values, got " +
                    std::to_string(std::get<1>(storage_).size()));
}

std::size_t Tensor::size() const
{
    return element_count(shape_);
}

template <class T> T* Tensor::data()
{
    auto* v = std::get_if<std::vector<T>>(&storage_);
    if (!v) throw Error(std::string("Tensor holds ") + dtype_name(dtype_) + ", not the type asked for");
    return v->data();
}

template <class T> const T* Tensor::data() const
{
    return const_cast<Tensor*>(this)->data<T>();
}

template float* Tensor::data<float>();
template double* Tensor::data<double>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;

double Tensor::flat(std::size_t i) const
{
    return std::visit([i](const auto& v) { return static_cast<double>(v[i]); }, storage_);
}

void Tensor::set_flat(std::size_t i, double value)
{
    std::visit([&](auto& v) { v[i] = static_cast<typename std::decay_t<decltype(v)>::value_type>(value); },
               storage_);
}

Tensor Tensor::astype(DType dtype) const
{
    if (dtype == dtype_) return *this;
    Tensor out(shape_, dtype);
    std::visit([&](const auto& src) {
        std::visit([&](auto& dst) {
            for (std::size_t i = 0; i < src.size(); ++i)
                dst[i] = static_cast<typename std::decay_t<decltype(dst)>::value_type>(src[i]);
        }, out.storage_);
    }, storage_);
    return out;
}

Tensor Tensor::reshaped(Shape shape) const
{
    if (element_count(shape) != size())
        throw Error("Cannot reshape a tensor of shape " + shape_to_string(shape_) + " to " +
                    shape_to_string(shape));
    Tensor out = *this;
    out.shape_ = std::move(shape);
    return out;
}

} // namespace rtconv

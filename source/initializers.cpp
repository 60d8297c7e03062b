#include "rtconv/initializers.hpp"

#include "keras_object.hpp"
#include "rtconv/error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <iterator>
#include <numbers>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace rtconv {
namespace {

using json = nlohmann::json;
using Kind = Initializer::Kind;
using detail::python_repr;

struct KindName {
    Kind kind;
    const char* class_name; // what Keras 3 writes as class_name
    const char* snake_name; // keras.utils.to_snake_case of it
};

constexpr KindName kind_names[] = {
    {Kind::zeros, "Zeros", "zeros"},
    {Kind::ones, "Ones", "ones"},
    {Kind::constant, "Constant", "constant"},
    {Kind::random_normal, "RandomNormal", "random_normal"},
    {Kind::random_uniform, "RandomUniform", "random_uniform"},
    {Kind::truncated_normal, "TruncatedNormal", "truncated_normal"},
    {Kind::variance_scaling, "VarianceScaling", "variance_scaling"},
    {Kind::glorot_normal, "GlorotNormal", "glorot_normal"},
    {Kind::glorot_uniform, "GlorotUniform", "glorot_uniform"},
    {Kind::he_normal, "HeNormal", "he_normal"},
    {Kind::he_uniform, "HeUniform", "he_uniform"},
    {Kind::lecun_normal, "LecunNormal", "lecun_normal"},
    {Kind::lecun_uniform, "LecunUniform", "lecun_uniform"},
    {Kind::orthogonal, "Orthogonal", "orthogonal"},
    {Kind::identity, "Identity", "identity"},
    {Kind::stft, "STFT", "stft"},
};

// keras.initializers' aliases, and the class names Keras 3 releases before 3.7 wrote.
constexpr std::pair<const char*, Kind> aliases[] = {
    {"uniform", Kind::random_uniform},
    {"normal", Kind::random_normal},
    {"one", Kind::ones},
    {"zero", Kind::zeros},
    {"OrthogonalInitializer", Kind::orthogonal},
    {"orthogonal_initializer", Kind::orthogonal},
    {"IdentityInitializer", Kind::identity},
    {"identity_initializer", Kind::identity},
    {"STFTInitializer", Kind::stft},
    {"stft_initializer", Kind::stft},
};

constexpr bool listed_in_enum_order()
{
    for (std::size_t i = 0; i < std::size(kind_names); ++i)
        if (static_cast<std::size_t>(kind_names[i].kind) != i) return false;
    return std::size(kind_names) == static_cast<std::size_t>(Kind::stft) + 1;
}
static_assert(listed_in_enum_order(), "kind_names is indexed by Kind");

const char* class_name_of(Kind kind)
{
    return kind_names[static_cast<std::size_t>(kind)].class_name;
}

/// Names are case-sensitive, as in keras.initializers.get.
Kind kind_named(const std::string& name)
{
    for (const auto& k : kind_names)
        if (name == k.class_name || name == k.snake_name) return k.kind;
    for (const auto& [alias, kind] : aliases)
        if (name == alias) return kind;
    throw Error("Could not interpret initializer identifier: " + name);
}

bool is_seeded_kind(Kind kind)
{
    return kind != Kind::zeros && kind != Kind::ones && kind != Kind::constant && kind != Kind::identity &&
           kind != Kind::stft;
}

/// The arguments of each Keras class with their defaults: the keys of its get_config.
json default_config(Kind kind)
{
    switch (kind) {
    case Kind::zeros:
    case Kind::ones: return json::object();
    case Kind::constant: return {{"value", 0.0}};
    case Kind::random_normal:
    case Kind::truncated_normal: return {{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}};
    case Kind::random_uniform: return {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}};
    case Kind::variance_scaling:
        return {{"scale", 1.0}, {"mode", "fan_in"}, {"distribution", "truncated_normal"}, {"seed", nullptr}};
    case Kind::orthogonal: return {{"gain", 1.0}, {"seed", nullptr}};
    case Kind::identity: return {{"gain", 1.0}};
    case Kind::stft: return {{"side", "real"}, {"window", "hann"}, {"scaling", "density"}, {"periodic", false}};
    default: return {{"seed", nullptr}}; // the Glorot, He and Lecun families take only a seed
    }
}

double number(const json& config, const char* key)
{
    return config.at(key).get<double>();
}

void require_number(const json& config, const char* key, Kind kind)
{
    const json& v = config.at(key);
    if (!v.is_number())
        throw Error(std::string(class_name_of(kind)) + ": argument `" + key + "` must be a number. Received: " + key +
                    "=" + python_repr(v));
}

void check_seed(const json& seed)
{
    if (!seed.is_null() && !seed.is_number_integer())
        throw Error("`seed` argument should be an integer or None (rtconv has no keras.random.SeedGenerator). "
                    "Received: seed=" + python_repr(seed));
}

void check_variance_scaling(json& config)
{
    require_number(config, "scale", Kind::variance_scaling);
    if (number(config, "scale") <= 0.0)
        throw Error("Argument `scale` must be positive float. Received: scale=" + python_repr(config["scale"]));
    const json& mode = config["mode"];
    if (mode != "fan_in" && mode != "fan_out" && mode != "fan_avg")
        throw Error("Invalid `mode` argument: " + python_repr(mode) + ". Please use one of {'fan_in', 'fan_out', 'fan_avg'}");
    if (!config["distribution"].is_string())
        throw Error("Invalid `distribution` argument: " + python_repr(config["distribution"]) +
                    ". Please use one of {'uniform', 'truncated_normal', 'untruncated_normal'}");
    // Keras lower-cases the name and reads Keras 2's "normal" as "truncated_normal".
    std::string distribution = config["distribution"];
    std::transform(distribution.begin(), distribution.end(), distribution.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (distribution == "normal") distribution = "truncated_normal";
    if (distribution != "uniform" && distribution != "truncated_normal" && distribution != "untruncated_normal")
        throw Error("Invalid `distribution` argument: " + distribution +
                    ". Please use one of {'uniform', 'truncated_normal', 'untruncated_normal'}");
    config["distribution"] = distribution;
}

// scipy.signal's general cosine windows rtconv implements, by their scipy names.
const std::vector<std::pair<std::string, std::vector<double>>> cosine_windows = {
    {"hann", {0.5, 0.5}}, {"hamming", {0.54, 0.46}}, {"blackman", {0.42, 0.5, 0.08}}, {"boxcar", {1.0}}};

const std::vector<double>* cosine_window_coefficients(const std::string& name)
{
    for (const auto& [window, coefficients] : cosine_windows)
        if (window == name) return &coefficients;
    return nullptr;
}

void check_stft(const json& config)
{
    if (config["side"] != "real" && config["side"] != "imag")
        throw Error("side should be 'real' or 'imag', not " + python_repr(config["side"]));
    const json& window = config["window"];
    if (window.is_string() && !cosine_window_coefficients(window.get<std::string>()))
        throw Error("STFT window '" + window.get<std::string>() +
                    "' is not supported by rtconv: use 'hann', 'hamming', 'blackman', 'boxcar', a list of values or None");
    if (!window.is_null() && !window.is_string() &&
        !(window.is_array() && std::all_of(window.begin(), window.end(), [](const json& v) { return v.is_number(); })))
        throw Error("STFT window must be a window name, a list of numbers or None. Received: window=" + python_repr(window));
    const json& scaling = config["scaling"];
    if (!scaling.is_null() && scaling != "density" && scaling != "spectrum")
        throw Error("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling=" +
                    python_repr(scaling));
    if (!config["periodic"].is_boolean())
        throw Error("STFT argument `periodic` must be True or False. Received: periodic=" + python_repr(config["periodic"]));
}

/// Keras' argument checks, plus the types a JSON config can get wrong.
void check_config(Kind kind, json& config)
{
    if (config.contains("seed")) check_seed(config["seed"]);
    for (const char* key : {"value", "mean", "stddev", "minval", "maxval", "gain"})
        if (config.contains(key)) require_number(config, key, kind);
    if (kind == Kind::variance_scaling) check_variance_scaling(config);
    if (kind == Kind::stft) check_stft(config);
}

/// Keras 3 draws a seed for an unseeded initializer when it is made (random.make_default_seed).
std::uint64_t fresh_seed()
{
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

json seed_json(std::optional<std::int64_t> seed)
{
    return seed ? json(*seed) : json(nullptr);
}

std::size_t element_count(const Shape& shape)
{
    return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

/// One seeded stream: uniforms on [0, 1) from the top 53 bits, normals by Box-Muller.
/// Written out (not std::*_distribution) so a seed gives the same values with every standard library.
class RandomStream {
public:
    explicit RandomStream(std::uint64_t seed) : engine_(seed) {}

    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    double normal()
    {
        if (spare_) return *std::exchange(spare_, std::nullopt);
        const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform())); // 1 - u is in (0, 1]
        const double angle = 2.0 * std::numbers::pi * uniform();
        spare_ = radius * std::sin(angle);
        return radius * std::cos(angle);
    }

    /// A standard normal redrawn until it lies within two standard deviations, as Keras' truncated_normal.
    double truncated_normal()
    {
        for (;;)
            if (const double z = normal(); std::abs(z) <= 2.0) return z;
    }

private:
    std::mt19937_64 engine_;
    std::optional<double> spare_;
};

template <class Draw> std::vector<double> draw(std::size_t n, Draw&& next)
{
    std::vector<double> values(n);
    for (double& v : values) v = next();
    return values;
}

/// keras.initializers' compute_fans: conv kernels (..., in, out) count the receptive field too.
std::pair<double, double> compute_fans(const Shape& shape)
{
    if (shape.empty()) return {1.0, 1.0};
    if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
    const double receptive_field = double(element_count(Shape(shape.begin(), shape.end() - 2)));
    return {receptive_field * double(shape[shape.size() - 2]), receptive_field * double(shape.back())};
}

struct VarianceScaling {
    double scale;
    std::string mode;
    std::string distribution;
};

VarianceScaling variance_scaling_of(Kind kind, const json& config)
{
    switch (kind) {
    case Kind::glorot_normal: return {1.0, "fan_avg", "truncated_normal"};
    case Kind::glorot_uniform: return {1.0, "fan_avg", "uniform"};
    case Kind::he_normal: return {2.0, "fan_in", "truncated_normal"};
    case Kind::he_uniform: return {2.0, "fan_in", "uniform"};
    case Kind::lecun_normal: return {1.0, "fan_in", "truncated_normal"};
    case Kind::lecun_uniform: return {1.0, "fan_in", "uniform"};
    default:
        return {number(config, "scale"), config.at("mode").get<std::string>(),
                config.at("distribution").get<std::string>()};
    }
}

std::vector<double> variance_scaling_values(const Shape& shape, const VarianceScaling& vs, RandomStream& rng)
{
    const auto [fan_in, fan_out] = compute_fans(shape);
    const double fan = vs.mode == "fan_in" ? fan_in : vs.mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2.0;
    const double variance = vs.scale / std::max(1.0, fan);
    const std::size_t n = element_count(shape);
    if (vs.distribution == "truncated_normal") {
        // The stddev of a standard normal truncated to [-2, 2]: divide it out so the result has `variance`.
        const double stddev = std::sqrt(variance) / 0.87962566103423978;
        return draw(n, [&] { return stddev * rng.truncated_normal(); });
    }
    if (vs.distribution == "untruncated_normal") {
        const double stddev = std::sqrt(variance);
        return draw(n, [&] { return stddev * rng.normal(); });
    }
    const double limit = std::sqrt(3.0 * variance);
    return draw(n, [&] { return -limit + 2.0 * limit * rng.uniform(); });
}

/// The Q of a thin QR of the rows x cols matrix `a` (row-major, rows >= cols) by Householder reflections,
/// with each column's sign set so that R has a non-negative diagonal (Keras: q *= sign(diag(r))).
std::vector<double> orthonormal_columns(std::vector<double> a, std::size_t rows, std::size_t cols)
{
    std::vector<std::vector<double>> reflectors(cols); // unit vectors v_k over rows k.., H_k = I - 2 v vᵀ
    std::vector<double> r_diagonal(cols);
    for (std::size_t k = 0; k < cols; ++k) {
        std::vector<double> v(rows - k);
        for (std::size_t i = k; i < rows; ++i) v[i - k] = a[i * cols + k];
        const double norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
        const double alpha = v[0] >= 0 ? -norm : norm; // the sign that avoids cancellation in v[0] - alpha
        v[0] -= alpha;
        const double v_norm = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
        r_diagonal[k] = alpha;
        if (v_norm == 0.0) continue; // a zero column: H_k = I
        for (double& x : v) x /= v_norm;
        for (std::size_t j = k; j < cols; ++j) {
            double dot = 0.0;
            for (std::size_t i = k; i < rows; ++i) dot += v[i - k] * a[i * cols + j];
            for (std::size_t i = k; i < rows; ++i) a[i * cols + j] -= 2.0 * dot * v[i - k];
        }
        reflectors[k] = std::move(v);
    }
    // Q = H_0 ... H_{cols-1} applied to the first cols columns of the identity.
    std::vector<double> q(rows * cols, 0.0);
    for (std::size_t j = 0; j < cols; ++j) q[j * cols + j] = 1.0;
    for (std::size_t k = cols; k-- > 0;) {
        const auto& v = reflectors[k];
        if (v.empty()) continue;
        for (std::size_t j = 0; j < cols; ++j) {
            double dot = 0.0;
            for (std::size_t i = k; i < rows; ++i) dot += v[i - k] * q[i * cols + j];
            for (std::size_t i = k; i < rows; ++i) q[i * cols + j] -= 2.0 * dot * v[i - k];
        }
    }
    for (std::size_t j = 0; j < cols; ++j) {
        const double sign = r_diagonal[j] > 0 ? 1.0 : r_diagonal[j] < 0 ? -1.0 : 0.0;
        for (std::size_t i = 0; i < rows; ++i) q[i * cols + j] *= sign;
    }
    return q;
}

std::vector<double> orthogonal_values(const Shape& shape, double gain, RandomStream& rng)
{
    if (shape.size() < 2)
        throw Error("The tensor to initialize must be at least two-dimensional. Received: shape=" +
                    shape_to_string(shape) + " of rank " + std::to_string(shape.size()) + ".");
    // Flattened to (prod(shape[:-1]), shape[-1]); the QR runs on the taller orientation.
    const std::size_t rows = element_count(Shape(shape.begin(), shape.end() - 1));
    const std::size_t cols = shape.back();
    const std::size_t tall = std::max(rows, cols), wide = std::min(rows, cols);
    const std::vector<double> q = orthonormal_columns(draw(tall * wide, [&] { return rng.normal(); }), tall, wide);
    std::vector<double> values(rows * cols);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            values[i * cols + j] = gain * (rows >= cols ? q[i * cols + j] : q[j * rows + i]);
    return values;
}

std::vector<double> identity_values(const Shape& shape, double gain)
{
    if (shape.size() != 2)
        throw Error("Identity matrix initializer can only be used for 2D matrices. Received: shape=" +
                    shape_to_string(shape) + " of rank " + std::to_string(shape.size()) + ".");
    std::vector<double> values(shape[0] * shape[1], 0.0);
    for (std::size_t i = 0; i < std::min(shape[0], shape[1]); ++i) values[i * shape[1] + i] = gain;
    return values;
}

/// scipy.signal.get_window(name, length, fftbins=periodic) for the general cosine windows:
/// w[n] = sum_k (-1)^k a_k cos(2 pi k n / N), N = length - 1 (symmetric) or length (periodic).
std::vector<double> named_window(const std::string& name, std::size_t length, bool periodic)
{
    if (length <= 1) return std::vector<double>(length, 1.0);
    const std::vector<double>& coefficients = *cosine_window_coefficients(name);
    const double period = double(periodic ? length : length - 1);
    std::vector<double> window(length);
    for (std::size_t n = 0; n < length; ++n) {
        double w = 0.0;
        for (std::size_t k = 0; k < coefficients.size(); ++k)
            w += (k % 2 ? -1.0 : 1.0) * coefficients[k] * std::cos(2.0 * std::numbers::pi * double(k * n) / period);
        window[n] = w;
    }
    return window;
}

std::vector<double> stft_window(const json& config, std::size_t frame_length)
{
    const json& window = config["window"];
    if (window.is_string()) return named_window(window.get<std::string>(), frame_length, config["periodic"].get<bool>());
    std::vector<double> values = window.get<std::vector<double>>();
    if (values.size() != frame_length)
        throw Error("The shape of `window` must be equal to [frame_length]. Received: window shape=(" +
                    std::to_string(values.size()) + ",), frame_length=" + std::to_string(frame_length));
    return values;
}

/// Keras' STFT kernel (frame_length, 1, fft_bins): cos (real) or sin (imag) of -2 pi t f / fft_length,
/// times the window divided by its L2 ("density") or L1 ("spectrum") norm.
std::vector<double> stft_values(const Shape& shape, const json& config)
{
    if (shape.size() != 3 || shape[1] != 1 || shape[2] < 2)
        throw Error("The STFT initializer makes kernels of shape (frame_length, 1, fft_bins) with fft_bins >= 2. "
                    "Received: shape=" + shape_to_string(shape));
    const std::size_t frame_length = shape[0], bins = shape[2];
    const double fft_length = 2.0 * double(bins - 1);
    std::vector<double> window(frame_length, 1.0);
    double scaling = 1.0;
    if (!config["window"].is_null()) {
        window = stft_window(config, frame_length);
        if (config["scaling"] == "density")
            scaling = std::sqrt(std::inner_product(window.begin(), window.end(), window.begin(), 0.0));
        else if (config["scaling"] == "spectrum")
            scaling = std::accumulate(window.begin(), window.end(), 0.0,
                                      [](double sum, double w) { return sum + std::abs(w); });
    }
    const bool real = config["side"] == "real";
    std::vector<double> values(frame_length * bins);
    for (std::size_t t = 0; t < frame_length; ++t)
        for (std::size_t f = 0; f < bins; ++f) {
            const double angle = -2.0 * std::numbers::pi * double(t) * double(f) / fft_length;
            values[t * bins + f] = (real ? std::cos(angle) : std::sin(angle)) * window[t] / scaling;
        }
    return values;
}

std::vector<double> initial_values(Kind kind, const json& config, std::uint64_t seed, const Shape& shape)
{
    const std::size_t n = element_count(shape);
    RandomStream rng(seed);
    switch (kind) {
    case Kind::zeros: return std::vector<double>(n, 0.0);
    case Kind::ones: return std::vector<double>(n, 1.0);
    case Kind::constant: return std::vector<double>(n, number(config, "value"));
    case Kind::random_normal: {
        const double mean = number(config, "mean"), stddev = number(config, "stddev");
        return draw(n, [&] { return mean + stddev * rng.normal(); });
    }
    case Kind::truncated_normal: {
        const double mean = number(config, "mean"), stddev = number(config, "stddev");
        return draw(n, [&] { return mean + stddev * rng.truncated_normal(); });
    }
    case Kind::random_uniform: {
        const double minval = number(config, "minval"), maxval = number(config, "maxval");
        return draw(n, [&] { return minval + (maxval - minval) * rng.uniform(); });
    }
    case Kind::orthogonal: return orthogonal_values(shape, number(config, "gain"), rng);
    case Kind::identity: return identity_values(shape, number(config, "gain"));
    case Kind::stft: return stft_values(shape, config);
    default: return variance_scaling_values(shape, variance_scaling_of(kind, config), rng);
    }
}

} // namespace

Initializer::Initializer(Kind kind, nlohmann::json config) : kind_(kind), config_(std::move(config))
{
    check_config(kind_, config_);
    if (is_seeded_kind(kind_))
        stream_seed_ = config_["seed"].is_null() ? fresh_seed()
                                                 : static_cast<std::uint64_t>(config_["seed"].get<std::int64_t>());
}

Initializer::Initializer(const char* name) : Initializer(std::string(name)) {}

Initializer::Initializer(const std::string& name)
{
    const Kind kind = kind_named(name);
    *this = Initializer(kind, default_config(kind));
}

Initializer Initializer::from_config(const nlohmann::json& config)
{
    if (config.is_string()) return Initializer(config.get<std::string>());
    // A null initializer is what Keras' Layer.add_weight replaces by glorot_uniform for float weights.
    if (config.is_null()) return Initializer("glorot_uniform");
    Kind kind{};
    // tf.keras 2 wrote an unused dtype into some initializer configs.
    json arguments = detail::keras_object_arguments(
        config, "initializer",
        [&](const std::string& class_name) {
            kind = kind_named(class_name);
            return default_config(kind);
        },
        "dtype");
    return Initializer(kind, std::move(arguments));
}

Initializer Initializer::constant(double value)
{
    return Initializer(Kind::constant, {{"value", value}});
}

Initializer Initializer::random_normal(double mean, double stddev, std::optional<std::int64_t> seed)
{
    return Initializer(Kind::random_normal, {{"mean", mean}, {"stddev", stddev}, {"seed", seed_json(seed)}});
}

Initializer Initializer::random_uniform(double minval, double maxval, std::optional<std::int64_t> seed)
{
    return Initializer(Kind::random_uniform, {{"minval", minval}, {"maxval", maxval}, {"seed", seed_json(seed)}});
}

Initializer Initializer::truncated_normal(double mean, double stddev, std::optional<std::int64_t> seed)
{
    return Initializer(Kind::truncated_normal, {{"mean", mean}, {"stddev", stddev}, {"seed", seed_json(seed)}});
}

Initializer Initializer::variance_scaling(double scale, const std::string& mode, const std::string& distribution,
                                          std::optional<std::int64_t> seed)
{
    return Initializer(Kind::variance_scaling,
                       {{"scale", scale}, {"mode", mode}, {"distribution", distribution}, {"seed", seed_json(seed)}});
}

Initializer Initializer::orthogonal(double gain, std::optional<std::int64_t> seed)
{
    return Initializer(Kind::orthogonal, {{"gain", gain}, {"seed", seed_json(seed)}});
}

Initializer Initializer::identity(double gain)
{
    return Initializer(Kind::identity, {{"gain", gain}});
}

Initializer Initializer::with_seed(std::optional<std::int64_t> seed) const
{
    if (!is_seeded_kind(kind_)) return *this; // like Keras' Zeros or Identity, these take no seed
    json config = config_;
    config["seed"] = seed_json(seed);
    return Initializer(kind_, std::move(config));
}

Tensor Initializer::operator()(const Shape& shape, DType dtype) const
{
    return Tensor(shape, initial_values(kind_, config_, stream_seed_, shape)).astype(dtype);
}

nlohmann::json Initializer::serialize() const
{
    return detail::keras_object("keras.initializers", class_name_of(kind_), config_);
}

} // namespace rtconv

// keras.initializers: distributions checked statistically on large tensors (tolerances from the
// sample size), Keras' fan rules, seeds, orthogonal/identity/STFT values, names, config dicts, errors.
#include "rtconv/error.hpp"
#include "rtconv/initializers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

using rtconv::DType;
using rtconv::Initializer;
using rtconv::Shape;
using rtconv::Tensor;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using json = nlohmann::json;
using Kind = Initializer::Kind;

namespace {

/// A conv kernel (kernel_size 3, 64 input channels, 256 filters): fan_in 192, fan_out 768. 49152 samples.
const Shape conv_kernel{3, 64, 256};

std::vector<double> values_of(const Tensor& t)
{
    std::vector<double> v(t.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = t.flat(i);
    return v;
}

struct Stats {
    double mean = 0, stddev = 0, min = 0, max = 0;
    std::size_t n = 0;
};

Stats stats_of(const Tensor& t)
{
    const std::vector<double> v = values_of(t);
    Stats s;
    s.n = v.size();
    for (double x : v) s.mean += x / double(s.n);
    for (double x : v) s.stddev += (x - s.mean) * (x - s.mean) / double(s.n);
    s.stddev = std::sqrt(s.stddev);
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    return s;
}

double fraction_where(const Tensor& t, const std::function<bool(double)>& predicate)
{
    const std::vector<double> v = values_of(t);
    return double(std::count_if(v.begin(), v.end(), predicate)) / double(v.size());
}

/// Sample mean and standard deviation within six standard errors of the distribution's:
/// sigma/sqrt(n) for the mean, about sigma/sqrt(2n) for the standard deviation (normal or lighter tails).
void check_moments(const Stats& s, double mean, double stddev)
{
    const double n = double(s.n);
    CHECK(s.mean == Approx(mean).margin(6.0 * stddev / std::sqrt(n)));
    CHECK(s.stddev == Approx(stddev).epsilon(6.0 / std::sqrt(2.0 * n)));
}

/// The standard deviation of a standard normal truncated to [-2, 2]: 1 - 2*2*phi(2)/(Phi(2) - Phi(-2)).
double truncated_unit_stddev()
{
    const double density_at_2 = std::exp(-2.0) / std::sqrt(2.0 * std::numbers::pi);
    const double mass = std::erf(2.0 / std::sqrt(2.0));
    return std::sqrt(1.0 - 4.0 * density_at_2 / mass);
}

/// Uniform on [-limit, limit): every value inside, the extremes near the limits, stddev limit/sqrt(3).
void check_uniform_limit(const Tensor& t, double limit)
{
    const Stats s = stats_of(t);
    // No value within 30/n of the limit has probability (1 - 15/n)^n ~ e^-15.
    const double near = limit * (1.0 - 30.0 / double(s.n));
    CHECK(s.min >= -limit);
    CHECK(s.max <= limit);
    CHECK(s.min < -near);
    CHECK(s.max > near);
    check_moments(s, 0.0, limit / std::sqrt(3.0));
}

/// Truncated normal whose stddev after truncation is `stddev`: bounded by 2 stddev of the untruncated normal.
void check_truncated_stddev(const Tensor& t, double stddev)
{
    const double bound = 2.0 * stddev / truncated_unit_stddev();
    const Stats s = stats_of(t);
    CHECK(s.min >= -bound * (1 + 1e-6));
    CHECK(s.max <= bound * (1 + 1e-6));
    CHECK(s.max > 0.99 * bound); // the tails are filled up to the bound, not cut earlier
    check_moments(s, 0.0, stddev);
}

/// Row-major (rows x cols) matrix product AᵀA (columns) or AAᵀ (rows) of the tensor flattened to 2-D.
std::vector<double> gram(const Tensor& t, std::size_t rows, std::size_t cols, bool of_columns)
{
    const std::size_t n = of_columns ? cols : rows;
    std::vector<double> g(n * n, 0.0);
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b < n; ++b)
            for (std::size_t i = 0; i < (of_columns ? rows : cols); ++i)
                g[a * n + b] += of_columns ? t.flat(i * cols + a) * t.flat(i * cols + b)
                                           : t.flat(a * cols + i) * t.flat(b * cols + i);
    return g;
}

void check_scaled_identity(const std::vector<double>& g, std::size_t n, double diagonal)
{
    double worst = 0.0;
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b < n; ++b) worst = std::max(worst, std::abs(g[a * n + b] - (a == b ? diagonal : 0.0)));
    CHECK(worst < 1e-10);
}

json keras3(const std::string& class_name, const json& config)
{
    return {{"module", "keras.initializers"}, {"class_name", class_name}, {"config", config}, {"registered_name", nullptr}};
}

} // namespace

TEST_CASE("zeros, ones and constant fill the tensor in the asked dtype", "[initializers]")
{
    const Tensor zeros = Initializer("zeros")({2, 3}, DType::float64);
    CHECK(zeros.dtype() == DType::float64);
    CHECK(zeros.shape() == Shape{2, 3});
    CHECK(values_of(zeros) == std::vector<double>(6, 0.0));
    const Tensor ones = Initializer("ones")({4});
    CHECK(ones.dtype() == DType::float32);
    CHECK(values_of(ones) == std::vector<double>(4, 1.0));
    CHECK(values_of(Initializer::constant(-2.5)({3, 1, 2})) == std::vector<double>(6, -2.5));
    CHECK(values_of(Initializer("constant")({2})) == std::vector<double>{0.0, 0.0}); // Keras' default value 0
    CHECK(values_of(Initializer::constant(7)({})) == std::vector<double>{7.0});       // a scalar: one value
}

TEST_CASE("random_normal: mean, stddev and the untruncated tails", "[initializers]")
{
    const Tensor t = Initializer::random_normal(1.5, 0.3, 11)(conv_kernel, DType::float64);
    check_moments(stats_of(t), 1.5, 0.3);
    // P(|z| > 2) = 1 - erf(sqrt 2) = 4.55%; six binomial standard errors of slack.
    const double beyond = 1.0 - std::erf(std::sqrt(2.0));
    const double slack = 6.0 * std::sqrt(beyond * (1 - beyond) / double(t.size()));
    CHECK(fraction_where(t, [](double x) { return std::abs(x - 1.5) > 0.6; }) == Approx(beyond).margin(slack));
    check_moments(stats_of(Initializer("random_normal")(conv_kernel)), 0.0, 0.05); // Keras' defaults
    check_moments(stats_of(Initializer("normal")(conv_kernel)), 0.0, 0.05);
}

TEST_CASE("random_uniform: inside minval..maxval, mean and stddev of the interval", "[initializers]")
{
    const Tensor t = Initializer::random_uniform(-0.2, 0.6, 3)(conv_kernel, DType::float64);
    const Stats s = stats_of(t);
    CHECK(s.min >= -0.2);
    CHECK(s.max < 0.6);
    CHECK(s.min < -0.199);
    CHECK(s.max > 0.599);
    check_moments(s, 0.2, 0.8 / std::sqrt(12.0));
    check_uniform_limit(Initializer("uniform")(conv_kernel, DType::float64), 0.05); // Keras' defaults
}

TEST_CASE("truncated_normal: redrawn beyond two standard deviations", "[initializers]")
{
    const Tensor t = Initializer::truncated_normal(-1.0, 0.5, 5)(conv_kernel);
    const Stats s = stats_of(t);
    CHECK(s.min >= -2.0 - 1e-6);
    CHECK(s.max <= 0.0 + 1e-6);
    CHECK(s.min < -1.99); // filled up to the bounds
    CHECK(s.max > -0.01);
    CHECK(truncated_unit_stddev() == Approx(0.87962566103423978).epsilon(1e-12)); // Keras' constant
    check_moments(s, -1.0, 0.5 * truncated_unit_stddev());
    const Tensor d = Initializer("truncated_normal")(conv_kernel, DType::float64);
    CHECK(fraction_where(d, [](double x) { return std::abs(x) > 0.1; }) == 0.0);
}

TEST_CASE("variance scaling families use Keras' fan rules on conv kernels", "[initializers]")
{
    // conv_kernel (k=3, in=64, out=256): fan_in = 3*64 = 192, fan_out = 3*256 = 768, fan_avg = 480.
    check_uniform_limit(Initializer("glorot_uniform")(conv_kernel, DType::float64), std::sqrt(6.0 / (192 + 768)));
    check_truncated_stddev(Initializer("glorot_normal")(conv_kernel, DType::float64), std::sqrt(2.0 / (192 + 768)));
    check_uniform_limit(Initializer("he_uniform")(conv_kernel, DType::float64), std::sqrt(6.0 / 192));
    check_truncated_stddev(Initializer("he_normal")(conv_kernel, DType::float64), std::sqrt(2.0 / 192));
    check_uniform_limit(Initializer("lecun_uniform")(conv_kernel, DType::float64), std::sqrt(3.0 / 192));
    check_truncated_stddev(Initializer("lecun_normal")(conv_kernel, DType::float64), std::sqrt(1.0 / 192));
    check_truncated_stddev(Initializer("variance_scaling")(conv_kernel, DType::float64), std::sqrt(1.0 / 192));
    check_uniform_limit(Initializer::variance_scaling(0.5, "fan_avg", "uniform")(conv_kernel, DType::float64),
                        std::sqrt(3.0 * 0.5 / 480));

    const Tensor untruncated =
        Initializer::variance_scaling(3.0, "fan_out", "untruncated_normal", 1)(conv_kernel, DType::float64);
    const double stddev = std::sqrt(3.0 / 768);
    check_moments(stats_of(untruncated), 0.0, stddev);
    CHECK(fraction_where(untruncated, [&](double x) { return std::abs(x) > 2 * stddev; }) > 0.04);

    // A Conv1DTranspose kernel (k=5, filters=128, in=32): fan_in = 5*128, fan_out = 5*32.
    check_uniform_limit(Initializer("he_uniform")({5, 128, 32}, DType::float64), std::sqrt(6.0 / 640));
    check_uniform_limit(Initializer::variance_scaling(1.0, "fan_out", "uniform")({5, 128, 32}, DType::float64),
                        std::sqrt(3.0 / 160));
    // Dense-like (in, out), a bias (n,) counting n both ways, and a scalar counting 1.
    check_uniform_limit(Initializer("glorot_uniform")({300, 200}, DType::float64), std::sqrt(6.0 / 500));
    check_uniform_limit(Initializer("lecun_uniform")({20000}, DType::float64), std::sqrt(3.0 / 20000));
    double largest = 0.0; // a scalar counts fan 1: limit sqrt(3)
    for (std::int64_t seed = 0; seed < 2000; ++seed)
        largest = std::max(largest, std::abs(Initializer("lecun_uniform").with_seed(seed)({}, DType::float64).flat(0)));
    CHECK(largest <= std::sqrt(3.0));
    CHECK(largest > 0.99 * std::sqrt(3.0));
}

TEST_CASE("seeds: the same values on every call, unseeded initializers differ from each other", "[initializers]")
{
    const Initializer seeded = Initializer::random_normal(0.0, 1.0, 42);
    const std::vector<double> first = values_of(seeded({8, 4}, DType::float64));
    CHECK(values_of(seeded({8, 4}, DType::float64)) == first);
    CHECK(values_of(Initializer::random_normal(0.0, 1.0, 42)({8, 4}, DType::float64)) == first);
    CHECK(values_of(Initializer::random_normal(0.0, 1.0, 43)({8, 4}, DType::float64)) != first);
    // float32 holds the same draws, rounded.
    const Tensor single = seeded({8, 4}, DType::float32);
    for (std::size_t i = 0; i < first.size(); ++i) CHECK(single.flat(i) == double(static_cast<float>(first[i])));

    // with_seed: the same kind with the seed of the factory.
    const Initializer glorot = Initializer("glorot_uniform").with_seed(7);
    CHECK(glorot.serialize()["config"]["seed"] == 7);
    CHECK(values_of(glorot({3, 4, 5})) == values_of(Initializer("GlorotUniform").with_seed(7)({3, 4, 5})));
    CHECK(values_of(Initializer::random_uniform().with_seed(9)({16})) ==
          values_of(Initializer::random_uniform(-0.05, 0.05, 9)({16})));
    CHECK(Initializer("zeros").with_seed(3).serialize()["config"] == json::object()); // Zeros takes no seed

    // Keras 3: an unseeded initializer draws its seed when made, so one initializer repeats itself
    // and two of them differ.
    const Initializer unseeded("he_normal");
    CHECK(values_of(unseeded({16, 16})) == values_of(unseeded({16, 16})));
    CHECK(values_of(Initializer("he_normal")({16, 16})) != values_of(Initializer("he_normal")({16, 16})));
    CHECK(values_of(glorot.with_seed(std::nullopt)({3, 4, 5})) != values_of(glorot({3, 4, 5})));
    CHECK(glorot.with_seed(std::nullopt).serialize()["config"]["seed"].is_null());
}

TEST_CASE("orthogonal: orthonormal columns (or rows) times the gain", "[initializers]")
{
    // (3, 64, 48) flattens to 192 x 48: orthonormal columns, WᵀW = gain² I.
    const Tensor tall = Initializer::orthogonal(2.0, 1)({3, 64, 48}, DType::float64);
    CHECK(tall.shape() == Shape{3, 64, 48});
    check_scaled_identity(gram(tall, 192, 48, true), 48, 4.0);
    // The columns are random unit vectors of length 192: each element has variance gain²/192.
    const Stats s = stats_of(tall);
    CHECK(s.stddev == Approx(2.0 / std::sqrt(192.0)).epsilon(0.05));
    CHECK(s.mean == Approx(0.0).margin(0.05 * s.stddev));

    // Fewer rows than columns: orthonormal rows, WWᵀ = I.
    const Tensor wide = Initializer::orthogonal(1.0, 3)({16, 40}, DType::float64);
    check_scaled_identity(gram(wide, 16, 40, false), 16, 1.0);
    CHECK(stats_of(wide).stddev == Approx(1.0 / std::sqrt(40.0)).epsilon(0.1));

    const Tensor square = Initializer::orthogonal(1.0, 2)({32, 32}, DType::float64);
    check_scaled_identity(gram(square, 32, 32, true), 32, 1.0);
    check_scaled_identity(gram(square, 32, 32, false), 32, 1.0);

    // Keras draws the matrix as random.normal(flat_shape, seed): with the same seed it is RandomNormal(0, 1)'s.
    // Q comes from its QR with the signs making R = QᵀA upper triangular with a positive diagonal.
    const Tensor a = Initializer::random_normal(0.0, 1.0, 8)({10, 4}, DType::float64);
    const Tensor q = Initializer::orthogonal(1.0, 8)({10, 4}, DType::float64);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j <= i; ++j) {
            double r = 0.0;
            for (std::size_t k = 0; k < 10; ++k) r += q.flat(k * 4 + i) * a.flat(k * 4 + j);
            INFO("R(" << i << ", " << j << ") = " << r);
            if (i == j) CHECK(r > 0.0);
            else CHECK(std::abs(r) < 1e-12);
        }
    // Fewer rows than columns: the transpose of the QR of the (cols, rows) normal matrix.
    const Tensor q_wide = Initializer::orthogonal(1.0, 8)({4, 10}, DType::float64);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t k = 0; k < 10; ++k) CHECK(q_wide.flat(i * 10 + k) == q.flat(k * 4 + i));

    CHECK(values_of(Initializer::orthogonal(1.0, 5)({6, 3})) == values_of(Initializer::orthogonal(1.0, 5)({6, 3})));
    CHECK(values_of(Initializer::orthogonal(1.0, 5)({6, 3})) != values_of(Initializer::orthogonal(1.0, 6)({6, 3})));
    CHECK_THROWS_WITH(Initializer("orthogonal")({5}),
                      Equals("The tensor to initialize must be at least two-dimensional. Received: shape=(5,) of rank 1."));
}

TEST_CASE("identity: gain on the diagonal of 2-D shapes only", "[initializers]")
{
    CHECK(values_of(Initializer::identity(2.0)({3, 4})) == std::vector<double>{2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0});
    CHECK(values_of(Initializer("identity")({3, 2})) == std::vector<double>{1, 0, 0, 1, 0, 0});
    CHECK_THROWS_WITH(Initializer("Identity")({3, 3, 3}),
                      Equals("Identity matrix initializer can only be used for 2D matrices. "
                             "Received: shape=(3, 3, 3) of rank 3."));
}

TEST_CASE("stft: Fourier kernels with scipy windows", "[initializers]")
{
    // frame 4, 3 bins: fft_length 4, angle -2 pi t f / 4. Symmetric hann(4) = [0, .75, .75, 0],
    // density scaling sqrt(2 * .75²): the two middle taps become ±1/sqrt(2) or 0.
    const double r = 1.0 / std::sqrt(2.0);
    const Tensor real = Initializer("stft")({4, 1, 3}, DType::float64);
    const std::vector<double> expected_real{0, 0, 0, r, 0, -r, r, -r, r, 0, 0, 0};
    for (std::size_t i = 0; i < expected_real.size(); ++i) CHECK(real.flat(i) == Approx(expected_real[i]).margin(1e-12));
    const Tensor imag = Initializer::from_config(
        {{"class_name", "STFT"}, {"config", {{"side", "imag"}}}})({4, 1, 3}, DType::float64);
    const std::vector<double> expected_imag{0, 0, 0, 0, -r, 0, 0, 0, 0, 0, 0, 0};
    for (std::size_t i = 0; i < expected_imag.size(); ++i) CHECK(imag.flat(i) == Approx(expected_imag[i]).margin(1e-12));

    // Periodic hann(4) = [0, .5, 1, .5], spectrum scaling by the sum 2: t=2, f=0 gives 1 * 1 / 2.
    const Tensor periodic = Initializer::from_config(
        {{"class_name", "STFT"}, {"config", {{"periodic", true}, {"scaling", "spectrum"}}}})({4, 1, 3}, DType::float64);
    CHECK(periodic.flat(2 * 3 + 0) == Approx(0.5));
    CHECK(periodic.flat(1 * 3 + 2) == Approx(-0.25)); // cos(-pi) * .5 / 2
    // No window: the bare cosines; t=3, f=2: cos(-3 pi) = -1.
    const Tensor bare = Initializer::from_config({{"class_name", "STFT"}, {"config", {{"window", nullptr}}}})({4, 1, 3});
    CHECK(bare.flat(3 * 3 + 2) == Approx(-1.0));
    CHECK(bare.flat(0) == 1.0);
    // Symmetric hamming(3) = [.08, 1, .08] unscaled; an explicit window list.
    const Tensor hamming = Initializer::from_config(
        {{"class_name", "STFTInitializer"}, {"config", {{"window", "hamming"}, {"scaling", nullptr}}}})({3, 1, 2});
    CHECK(hamming.flat(0) == Approx(0.08));
    CHECK(hamming.flat(2) == Approx(1.0));
    CHECK(hamming.flat(3) == Approx(-1.0)); // t=1, f=1: cos(-pi) * 1
    const Tensor listed = Initializer::from_config(
        {{"class_name", "STFT"}, {"config", {{"window", {1, 2, 3}}, {"scaling", nullptr}}}})({3, 1, 2});
    CHECK(listed.flat(4) == Approx(3.0)); // t=2, f=0

    CHECK(Initializer("stft").serialize() ==
          keras3("STFT", {{"side", "real"}, {"window", "hann"}, {"scaling", "density"}, {"periodic", false}}));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "STFT"}, {"config", {{"side", "both"}}}}),
                      Equals("side should be 'real' or 'imag', not both"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "STFT"}, {"config", {{"window", "kaiser"}}}}),
                      Contains("'kaiser' is not supported"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "STFT"}, {"config", {{"scaling", "power"}}}}),
                      Contains("Received scaling=power"));
    CHECK_THROWS_WITH(Initializer("stft")({4, 2, 3}), Contains("(frame_length, 1, fft_bins)") && Contains("(4, 2, 3)"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "STFT"}, {"config", {{"window", {1, 2}}}}})({3, 1, 2}),
                      Contains("The shape of `window` must be equal to [frame_length]"));
}

TEST_CASE("names and aliases as keras.initializers.get takes them", "[initializers]")
{
    const std::vector<std::pair<std::string, Kind>> names{
        {"zeros", Kind::zeros}, {"Zeros", Kind::zeros}, {"zero", Kind::zeros}, {"ones", Kind::ones},
        {"Ones", Kind::ones}, {"one", Kind::ones}, {"constant", Kind::constant}, {"Constant", Kind::constant},
        {"random_normal", Kind::random_normal}, {"RandomNormal", Kind::random_normal},
        {"normal", Kind::random_normal}, {"random_uniform", Kind::random_uniform},
        {"RandomUniform", Kind::random_uniform}, {"uniform", Kind::random_uniform},
        {"truncated_normal", Kind::truncated_normal}, {"TruncatedNormal", Kind::truncated_normal},
        {"variance_scaling", Kind::variance_scaling}, {"VarianceScaling", Kind::variance_scaling},
        {"glorot_normal", Kind::glorot_normal}, {"GlorotNormal", Kind::glorot_normal},
        {"glorot_uniform", Kind::glorot_uniform}, {"GlorotUniform", Kind::glorot_uniform},
        {"he_normal", Kind::he_normal}, {"HeNormal", Kind::he_normal}, {"he_uniform", Kind::he_uniform},
        {"HeUniform", Kind::he_uniform}, {"lecun_normal", Kind::lecun_normal}, {"LecunNormal", Kind::lecun_normal},
        {"lecun_uniform", Kind::lecun_uniform}, {"LecunUniform", Kind::lecun_uniform},
        {"orthogonal", Kind::orthogonal}, {"Orthogonal", Kind::orthogonal},
        {"OrthogonalInitializer", Kind::orthogonal}, {"identity", Kind::identity}, {"Identity", Kind::identity},
        {"IdentityInitializer", Kind::identity}, {"stft", Kind::stft}, {"STFT", Kind::stft},
        {"STFTInitializer", Kind::stft}};
    for (const auto& [name, kind] : names) {
        INFO(name);
        CHECK(Initializer(name).kind() == kind);
        CHECK(Initializer::from_config(name).kind() == kind);
    }
    CHECK(Initializer("OrthogonalInitializer").serialize()["class_name"] == "Orthogonal"); // Keras 3.7's name
    CHECK(Initializer("uniform").serialize()["class_name"] == "RandomUniform");
    // Case-sensitive, as in Keras.
    CHECK_THROWS_WITH(Initializer("glorious"), Equals("Could not interpret initializer identifier: glorious"));
    CHECK_THROWS_WITH(Initializer("Glorot_Uniform"), Equals("Could not interpret initializer identifier: Glorot_Uniform"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "Xavier"}, {"config", json::object()}}),
                      Equals("Could not interpret initializer identifier: Xavier"));
    CHECK_THROWS_WITH(Initializer::from_config(42), Equals("Could not interpret initializer identifier: 42"));
}

TEST_CASE("serialize writes Keras 3's dicts", "[initializers]")
{
    CHECK(Initializer("glorot_uniform").serialize() ==
          json::parse(R"({"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
                          "registered_name": null})"));
    CHECK(Initializer("zeros").serialize() == keras3("Zeros", json::object()));
    CHECK(Initializer("ones").serialize() == keras3("Ones", json::object()));
    CHECK(Initializer::constant(3.5).serialize() == keras3("Constant", {{"value", 3.5}}));
    CHECK(Initializer::random_normal(0.5, 2.0, 3).serialize() ==
          keras3("RandomNormal", {{"mean", 0.5}, {"stddev", 2.0}, {"seed", 3}}));
    CHECK(Initializer("random_uniform").serialize() ==
          keras3("RandomUniform", {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}}));
    CHECK(Initializer("truncated_normal").serialize() ==
          keras3("TruncatedNormal", {{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}}));
    CHECK(Initializer::variance_scaling(2.0, "fan_out", "uniform", 9).serialize() ==
          keras3("VarianceScaling", {{"scale", 2.0}, {"mode", "fan_out"}, {"distribution", "uniform"}, {"seed", 9}}));
    CHECK(Initializer("he_normal").with_seed(1).serialize() == keras3("HeNormal", {{"seed", 1}}));
    CHECK(Initializer("lecun_uniform").serialize() == keras3("LecunUniform", {{"seed", nullptr}}));
    CHECK(Initializer::orthogonal(1.5, 4).serialize() == keras3("Orthogonal", {{"gain", 1.5}, {"seed", 4}}));
    CHECK(Initializer::identity(2.0).serialize() == keras3("Identity", {{"gain", 2.0}}));
}

TEST_CASE("from_config reads Keras 3 dicts, Keras 2 dicts and names", "[initializers]")
{
    const std::vector<Initializer> all{Initializer("zeros"), Initializer::constant(-1.25),
                                       Initializer::random_normal(1, 2, 3), Initializer::random_uniform(-3, 4),
                                       Initializer::truncated_normal(0, 1, -8),
                                       Initializer::variance_scaling(0.5, "fan_avg", "untruncated_normal", 12),
                                       Initializer("glorot_normal"), Initializer("he_uniform").with_seed(0),
                                       Initializer::orthogonal(3, 1), Initializer::identity(0.5), Initializer("stft")};
    for (const Initializer& init : all) {
        INFO(init.serialize().dump());
        const Initializer back = Initializer::from_config(init.serialize());
        CHECK(back.kind() == init.kind());
        CHECK(back.serialize() == init.serialize());
    }
    // A seeded initializer keeps its values through its config.
    const Initializer seeded = Initializer::truncated_normal(0, 1, 77);
    CHECK(values_of(Initializer::from_config(seeded.serialize())({10})) == values_of(seeded({10})));

    // Keras 2: no module; "normal" is truncated_normal; tf.keras wrote an unused dtype.
    const Initializer keras2 = Initializer::from_config(
        {{"class_name", "VarianceScaling"},
         {"config", {{"scale", 2.0}, {"mode", "fan_in"}, {"distribution", "normal"}, {"seed", nullptr}}}});
    CHECK(keras2.serialize()["config"]["distribution"] == "truncated_normal");
    const Initializer with_dtype = Initializer::from_config(
        {{"class_name", "RandomUniform"}, {"config", {{"minval", -1}, {"maxval", 1}, {"seed", 42}, {"dtype", "float32"}}}});
    CHECK(values_of(with_dtype({20})) == values_of(Initializer::random_uniform(-1, 1, 42)({20})));
    CHECK_FALSE(with_dtype.serialize()["config"].contains("dtype"));
    // Keras 3.0-3.6 wrote OrthogonalInitializer; missing arguments take Keras' defaults.
    const Initializer old = Initializer::from_config(
        keras3("OrthogonalInitializer", {{"seed", 5}}));
    CHECK(old.serialize() == keras3("Orthogonal", {{"gain", 1.0}, {"seed", 5}}));
    CHECK(Initializer::from_config("he_normal").kind() == Kind::he_normal);
    CHECK(Initializer::from_config({{"class_name", "Zeros"}}).kind() == Kind::zeros);
    // null: what Keras' add_weight uses for float weights without an initializer.
    CHECK(Initializer::from_config(nullptr).kind() == Kind::glorot_uniform);
}

TEST_CASE("invalid initializer arguments give Keras' messages", "[initializers]")
{
    CHECK_THROWS_WITH(Initializer::variance_scaling(0.0),
                      Equals("Argument `scale` must be positive float. Received: scale=0.0"));
    CHECK_THROWS_WITH(Initializer::variance_scaling(-2.0), Contains("scale=-2.0"));
    CHECK_THROWS_WITH(Initializer::variance_scaling(1.0, "fan_sideways"),
                      Contains("Invalid `mode` argument: fan_sideways") && Contains("fan_avg"));
    CHECK_THROWS_WITH(Initializer::variance_scaling(1.0, "fan_in", "gaussian"),
                      Contains("Invalid `distribution` argument: gaussian") && Contains("untruncated_normal"));
    // Keras lower-cases the distribution name.
    CHECK(Initializer::variance_scaling(1.0, "fan_in", "Uniform").serialize()["config"]["distribution"] == "uniform");
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "RandomNormal"}, {"config", {{"stdev", 1.0}}}}),
                      Contains("Unrecognized argument `stdev`") && Contains("RandomNormal"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "RandomNormal"}, {"config", {{"stddev", "big"}}}}),
                      Contains("`stddev` must be a number") && Contains("stddev=big"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "GlorotUniform"}, {"config", {{"seed", "abc"}}}}),
                      Contains("`seed` argument should be an integer") && Contains("seed=abc"));
    CHECK_THROWS_WITH(Initializer::from_config({{"class_name", "Constant"}, {"config", {{"value", {1, 2}}}}}),
                      Contains("`value` must be a number"));
}

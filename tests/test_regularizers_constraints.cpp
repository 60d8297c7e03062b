// keras.regularizers and keras.constraints: penalties and projections hand-computed on small
// tensors, Keras' argument checks and messages, names, config dicts.
#include "rtconv/constraints.hpp"
#include "rtconv/error.hpp"
#include "rtconv/regularizers.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using rtconv::Constraint;
using rtconv::DType;
using rtconv::Regularizer;
using rtconv::Shape;
using rtconv::Tensor;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using json = nlohmann::json;

namespace {

constexpr double epsilon = 1e-7; // keras.backend.epsilon()

std::vector<double> values_of(const Tensor& t)
{
    std::vector<double> v(t.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = t.flat(i);
    return v;
}

void check_values(const Tensor& t, const std::vector<double>& expected)
{
    REQUIRE(t.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("element " << i);
        CHECK(t.flat(i) == Approx(expected[i]).epsilon(1e-6).margin(1e-12));
    }
}

json keras3(const std::string& module, const std::string& class_name, const json& config)
{
    return {{"module", module}, {"class_name", class_name}, {"config", config}, {"registered_name", nullptr}};
}

/// [[1, -2], [3, -4]]: sum |x| = 10, sum x² = 30.
const Tensor small_matrix({2, 2}, std::vector<double>{1, -2, 3, -4});

} // namespace

TEST_CASE("L1, L2 and L1L2 penalties", "[regularizers]")
{
    CHECK(Regularizer::l1(0.1)(small_matrix) == Approx(1.0));
    CHECK(Regularizer::l2(0.5)(small_matrix) == Approx(15.0));
    CHECK(Regularizer::l1_l2(0.1, 0.5)(small_matrix) == Approx(16.0));
    CHECK(Regularizer::l2(0.5)(small_matrix.astype(DType::float32)) == Approx(15.0));
    // By name, Keras' defaults: L1 and L2 0.01, L1L2 zero for both.
    CHECK(Regularizer("l1")(small_matrix) == Approx(0.1));
    CHECK(Regularizer("L2")(small_matrix) == Approx(0.3));
    CHECK(Regularizer("l1_l2")(small_matrix) == 0.0);
    CHECK(Regularizer::l1_l2(0.0, 0.25)(Tensor({3}, std::vector<float>{2, 0, -2})) == Approx(2.0));
    // A zero factor adds no term at all: no 0 * inf.
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(Regularizer::l1_l2(0.0, 0.0)(Tensor({1}, std::vector<double>{inf})) == 0.0);
}

TEST_CASE("OrthogonalRegularizer: factor times the mean |cosine| between rows or columns", "[regularizers]")
{
    // Rows [3, 4], [0, 2], [1, 0] normalize to [.6, .8], [0, 1], [1, 0]: |dots| .8, .6, 0 over 3 pairs.
    const Tensor x({3, 2}, std::vector<double>{3, 4, 0, 2, 1, 0});
    CHECK(Regularizer::orthogonal(0.3)(x) == Approx(0.3 * 1.4 / 3));
    // Columns [3, 0, 1] and [4, 2, 0]: one pair, cosine 12 / sqrt(10 * 20).
    CHECK(Regularizer::orthogonal(0.3, "columns")(x) == Approx(0.3 * 12 / std::sqrt(200.0)));
    // 2x2 [[1, 0], [1, 1]]: one pair of rows at 45 degrees.
    CHECK(Regularizer("orthogonal_regularizer")(Tensor({2, 2}, std::vector<float>{1, 0, 1, 1})) ==
          Approx(0.01 / std::sqrt(2.0)));
    // A zero row stays zero (normalize's 1/epsilon cap) and still counts in the pairs.
    CHECK(Regularizer::orthogonal(1.0)(Tensor({3, 2}, std::vector<double>{0, 0, 1, 1, 1, 0})) ==
          Approx(1.0 / std::sqrt(2.0) / 3));
    // Orthogonal rows cost nothing.
    CHECK(Regularizer::orthogonal(5.0)(Tensor({2, 3}, std::vector<double>{1, 2, 0, -2, 1, 7})) == 0.0);

    CHECK_THROWS_WITH(Regularizer::orthogonal()(Tensor({3, 1, 2})),
                      Equals("Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=(3, 1, 2)"));
    CHECK_THROWS_WITH(Regularizer::orthogonal()(Tensor({4})), Contains("must have rank 2") && Contains("(4,)"));
    CHECK_THROWS_WITH(Regularizer::orthogonal(0.01, "diagonal"),
                      Equals("Invalid value for argument `mode`. Expected one of {\"rows\", \"columns\"}. "
                             "Received: mode=diagonal"));
}

TEST_CASE("regularizer factors must be finite and non-negative, as Keras' validate_float_arg", "[regularizers]")
{
    CHECK_THROWS_WITH(Regularizer::l1(-1.0),
                      Equals("Invalid value for argument l1: expected a non-negative float. Received: l1=-1.0"));
    CHECK_THROWS_WITH(Regularizer::l2(std::nan("")), Contains("argument l2") && Contains("l2=nan"));
    CHECK_THROWS_WITH(Regularizer::l1_l2(0.0, std::numeric_limits<double>::infinity()), Contains("l2=inf"));
    CHECK_THROWS_WITH(Regularizer::orthogonal(-0.5), Contains("argument factor") && Contains("factor=-0.5"));
    CHECK_THROWS_WITH(Regularizer::from_config({{"class_name", "L1"}, {"config", {{"l1", "big"}}}}),
                      Contains("expected a non-negative float") && Contains("l1=big"));
    CHECK_THROWS_WITH(Regularizer::from_config({{"class_name", "L1"}, {"config", {{"l1", true}}}}),
                      Contains("l1=True"));
    // None: the default for L1, L2 and L1L2; an error for OrthogonalRegularizer.
    CHECK(Regularizer::from_config({{"class_name", "L1"}, {"config", {{"l1", nullptr}}}})->serialize()["config"] ==
          json{{"l1", 0.01}});
    CHECK(Regularizer::from_config({{"class_name", "L1L2"}, {"config", {{"l1", nullptr}, {"l2", 0.5}}}})
              ->serialize()["config"] == json{{"l1", 0.0}, {"l2", 0.5}});
    CHECK_THROWS_WITH(Regularizer::from_config({{"class_name", "OrthogonalRegularizer"}, {"config", {{"factor", nullptr}}}}),
                      Contains("factor=None"));
    CHECK_THROWS_WITH(Regularizer::from_config({{"class_name", "L2"}, {"config", {{"l1", 0.1}}}}),
                      Contains("Unrecognized argument `l1`") && Contains("L2"));
}

TEST_CASE("regularizer names, dicts and round trips", "[regularizers]")
{
    using Kind = Regularizer::Kind;
    const std::vector<std::pair<std::string, Kind>> names{
        {"l1", Kind::l1}, {"L1", Kind::l1}, {"l2", Kind::l2}, {"L2", Kind::l2}, {"l1_l2", Kind::l1l2},
        {"l1l2", Kind::l1l2}, {"L1L2", Kind::l1l2}, {"orthogonal_regularizer", Kind::orthogonal},
        {"OrthogonalRegularizer", Kind::orthogonal}};
    for (const auto& [name, kind] : names) {
        INFO(name);
        CHECK(Regularizer(name).kind() == kind);
        CHECK(Regularizer::from_config(name)->kind() == kind);
    }
    CHECK_THROWS_WITH(Regularizer("l3"), Equals("Could not interpret regularizer identifier: l3"));
    CHECK_THROWS_WITH(Regularizer::from_config(3), Equals("Could not interpret regularizer identifier: 3"));

    CHECK(Regularizer::l2(0.01).serialize() ==
          json::parse(R"({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01},
                          "registered_name": null})"));
    CHECK(Regularizer::l1(0.5).serialize() == keras3("keras.regularizers", "L1", {{"l1", 0.5}}));
    CHECK(Regularizer::l1_l2(0.1, 0.2).serialize() == keras3("keras.regularizers", "L1L2", {{"l1", 0.1}, {"l2", 0.2}}));
    CHECK(Regularizer("orthogonal_regularizer").serialize() ==
          keras3("keras.regularizers", "OrthogonalRegularizer", {{"factor", 0.01}, {"mode", "rows"}}));
    CHECK(rtconv::serialize(std::optional<Regularizer>{}).is_null());
    CHECK(rtconv::serialize(std::optional<Regularizer>(Regularizer::l2(0.5))) ==
          keras3("keras.regularizers", "L2", {{"l2", 0.5}}));

    CHECK_FALSE(Regularizer::from_config(nullptr).has_value());
    for (const Regularizer& r : {Regularizer::l1(0.25), Regularizer::l2(3), Regularizer::l1_l2(0.0, 0.125),
                                 Regularizer::orthogonal(0.5, "columns")}) {
        const auto back = Regularizer::from_config(r.serialize());
        REQUIRE(back);
        CHECK(back->kind() == r.kind());
        CHECK(back->serialize() == r.serialize());
    }
    // Keras 2: no module; integers become floats as Keras' get_config writes them.
    const auto keras2 = Regularizer::from_config({{"class_name", "L1L2"}, {"config", {{"l1", 0}, {"l2", 2}}}});
    CHECK((*keras2)(small_matrix) == Approx(60.0));
    CHECK(keras2->serialize()["config"]["l2"].is_number_float());
}

TEST_CASE("MaxNorm rescales slices whose norm exceeds max_value", "[constraints]")
{
    // [[3, 0], [4, 1]]: column norms 5 and 1 (axis 0), row norms 3 and sqrt(17) (axis 1).
    const Tensor w({2, 2}, std::vector<double>{3, 0, 4, 1});
    check_values(Constraint::max_norm(2.0)(w),
                 {3 * 2 / (epsilon + 5), 0, 4 * 2 / (epsilon + 5), 1 * 1 / (epsilon + 1)});
    const double r17 = std::sqrt(17.0);
    check_values(Constraint::max_norm(2.0, {1})(w),
                 {3 * 2 / (epsilon + 3), 0, 4 * 2 / (epsilon + r17), 1 * 2 / (epsilon + r17)});
    check_values(Constraint::max_norm(2.0, {-1})(w), values_of(Constraint::max_norm(2.0, {1})(w)));
    // A norm of 5e-7 is below max_value: the weights keep 5e-7 / (1e-7 + 5e-7) of their size.
    check_values(Constraint::max_norm(1.0)(Tensor({2}, std::vector<double>{3e-7, 4e-7})), {2.5e-7, 4e-7 * 5 / 6});
    // The default by name: max_value 2 over axis 0.
    check_values(Constraint("max_norm")(w), values_of(Constraint::max_norm(2.0)(w)));

    // A conv kernel (k=2, in=2, out=2) constrained per filter over axes [0, 1]:
    // filter 0 holds 1, 2, 2, 4 (norm 5), filter 1 holds 1, 1, 1, 1 (norm 2); max_value 1.
    const Tensor kernel({2, 2, 2}, std::vector<float>{1, 1, 2, 1, 2, 1, 4, 1});
    const Tensor projected = Constraint::max_norm(1.0, {0, 1})(kernel);
    CHECK(projected.dtype() == DType::float32);
    CHECK(projected.shape() == Shape{2, 2, 2});
    check_values(projected, {0.2, 0.5, 0.4, 0.5, 0.4, 0.5, 0.8, 0.5});
    check_values(Constraint::max_norm(1.0, {-3, -2})(kernel), values_of(projected));
    // Over the last axis instead: each (k, in) pair's two filter weights.
    check_values(Constraint::max_norm(1.0, {2})(kernel),
                 {1 / std::sqrt(2.0), 1 / std::sqrt(2.0), 2 / std::sqrt(5.0), 1 / std::sqrt(5.0), 2 / std::sqrt(5.0),
                  1 / std::sqrt(5.0), 4 / std::sqrt(17.0), 1 / std::sqrt(17.0)});
}

TEST_CASE("MinMaxNorm moves norms toward min_value..max_value at `rate`", "[constraints]")
{
    // Columns of [[3, 0, 1], [4, 0.5, 0]]: norms 5, 0.5, 1. With min 1, max 3, rate 0.5 the desired
    // norms are .5*3 + .5*5 = 4, .5*1 + .5*.5 = .75 and 1.
    const Tensor w({2, 3}, std::vector<double>{3, 0, 1, 4, 0.5, 0});
    check_values(Constraint::min_max_norm(1.0, 3.0, 0.5)(w),
                 {3 * 4 / (epsilon + 5), 0, 1 / (epsilon + 1), 4 * 4 / (epsilon + 5), 0.5 * 0.75 / (epsilon + 0.5), 0});
    // Keras' defaults (0, 1, rate 1): every column to unit norm or less.
    check_values(Constraint("min_max_norm")(w),
                 {3 / (epsilon + 5), 0, 1 / (epsilon + 1), 4 / (epsilon + 5), 0.5 * 0.5 / (epsilon + 0.5), 0});
}

TEST_CASE("NonNeg and UnitNorm", "[constraints]")
{
    const Tensor signed_values({4}, std::vector<float>{-1, 0, 2.5f, -0.1f});
    const Tensor non_neg = Constraint("non_neg")(signed_values);
    CHECK(non_neg.dtype() == DType::float32);
    CHECK(values_of(non_neg) == std::vector<double>{0, 0, 2.5, 0});
    CHECK(values_of(Constraint::non_neg()(Tensor({2}, std::vector<double>{-3, 4}))) == std::vector<double>{0, 4});

    // Columns [3, 4] and [0, 2]; a zero column stays zero.
    check_values(Constraint::unit_norm()(Tensor({2, 2}, std::vector<double>{3, 0, 4, 2})),
                 {3 / (epsilon + 5), 0, 4 / (epsilon + 5), 2 / (epsilon + 2)});
    check_values(Constraint("UnitNorm")(Tensor({2, 2}, std::vector<double>{0, 1, 0, 0})), {0, 1 / (epsilon + 1), 0, 0});
    // Norms near epsilon show its value: 1e-7 / (1e-7 + 1e-7).
    check_values(Constraint::unit_norm()(Tensor({2, 1}, std::vector<double>{1e-7, 0})), {0.5, 0});
    // axis None (from a config): the whole tensor; axis []: every element alone.
    const auto all_axes = Constraint::from_config({{"class_name", "UnitNorm"}, {"config", {{"axis", nullptr}}}});
    check_values((*all_axes)(Tensor({2, 2}, std::vector<double>{1, 1, 1, 1})), {0.5, 0.5, 0.5, 0.5});
    const auto no_axes = Constraint::from_config({{"class_name", "UnitNorm"}, {"config", {{"axis", json::array()}}}});
    check_values((*no_axes)(Tensor({3}, std::vector<double>{-2, 4, 0})), {-1, 1, 0});
}

TEST_CASE("constraint axes out of range or repeated are errors", "[constraints]")
{
    const Tensor w({2, 2});
    CHECK_THROWS_WITH(Constraint::max_norm(2.0, {2})(w), Contains("MaxNorm") && Contains("axis 2 is out of bounds"));
    CHECK_THROWS_WITH(Constraint::unit_norm({-3})(w), Contains("axis -3 is out of bounds"));
    CHECK_THROWS_WITH(Constraint::unit_norm({0, -2})(w), Contains("duplicate value in 'axis'"));
    CHECK_THROWS_WITH(Constraint::from_config({{"class_name", "MaxNorm"}, {"config", {{"axis", "rows"}}}}),
                      Contains("`axis` must be an integer") && Contains("\"rows\""));
    CHECK_THROWS_WITH(Constraint::from_config({{"class_name", "MaxNorm"}, {"config", {{"max_value", "2"}}}}),
                      Contains("`max_value` must be a number"));
    CHECK_THROWS_WITH(Constraint::from_config({{"class_name", "NonNeg"}, {"config", {{"axis", 0}}}}),
                      Contains("Unrecognized argument `axis`") && Contains("NonNeg"));
}

TEST_CASE("constraint names, dicts and round trips", "[constraints]")
{
    using Kind = Constraint::Kind;
    const std::vector<std::pair<std::string, Kind>> names{
        {"max_norm", Kind::max_norm},    {"MaxNorm", Kind::max_norm}, {"min_max_norm", Kind::min_max_norm},
        {"MinMaxNorm", Kind::min_max_norm}, {"non_neg", Kind::non_neg},  {"NonNeg", Kind::non_neg},
        {"unit_norm", Kind::unit_norm},  {"UnitNorm", Kind::unit_norm}};
    for (const auto& [name, kind] : names) {
        INFO(name);
        CHECK(Constraint(name).kind() == kind);
        CHECK(Constraint::from_config(name)->kind() == kind);
    }
    CHECK_THROWS_WITH(Constraint("maxnorm"), Equals("Could not interpret constraint identifier: maxnorm"));
    CHECK_THROWS_WITH(Constraint::from_config({{"class_name", "Clip"}, {"config", json::object()}}),
                      Equals("Could not interpret constraint identifier: Clip"));

    CHECK(Constraint::max_norm(2.0).serialize() ==
          json::parse(R"({"module": "keras.constraints", "class_name": "MaxNorm",
                          "config": {"max_value": 2.0, "axis": 0}, "registered_name": null})"));
    CHECK(Constraint("max_norm").serialize()["config"]["max_value"].is_number_integer()); // Keras' default is the int 2
    CHECK(Constraint::max_norm(1.5, {0, 1}).serialize()["config"]["axis"] == json::array({0, 1}));
    CHECK(Constraint::min_max_norm(0.5, 2.0, 0.25, {1}).serialize() ==
          keras3("keras.constraints", "MinMaxNorm",
                 {{"min_value", 0.5}, {"max_value", 2.0}, {"rate", 0.25}, {"axis", 1}}));
    CHECK(Constraint::non_neg().serialize() == keras3("keras.constraints", "NonNeg", json::object()));
    CHECK(Constraint::unit_norm().serialize() == keras3("keras.constraints", "UnitNorm", {{"axis", 0}}));
    CHECK(rtconv::serialize(std::optional<Constraint>{}).is_null());
    CHECK(rtconv::serialize(std::optional<Constraint>(Constraint::non_neg()))["class_name"] == "NonNeg");

    CHECK_FALSE(Constraint::from_config(nullptr).has_value());
    for (const Constraint& c : {Constraint::max_norm(3.0, {0, 1}), Constraint::min_max_norm(), Constraint::non_neg(),
                                Constraint::unit_norm({-1})}) {
        const auto back = Constraint::from_config(c.serialize());
        REQUIRE(back);
        CHECK(back->kind() == c.kind());
        CHECK(back->serialize() == c.serialize());
    }
    // Keras 2 dict without module; missing arguments take Keras' defaults.
    const auto keras2 = Constraint::from_config({{"class_name", "MaxNorm"}, {"config", {{"max_value", 1}}}});
    check_values((*keras2)(Tensor({2, 1}, std::vector<double>{3, 4})), {3 / (epsilon + 5), 4 / (epsilon + 5)});
    CHECK(keras2->serialize()["config"] == json{{"max_value", 1}, {"axis", 0}});
}

// The .npy reader and writer, on files assembled byte by byte here. Float bit patterns are
// written out by hand (IEEE 754: 1.0f = 0x3F800000, -2.5f = 0xC0200000, 0.5f = 0x3F000000,
// 3.0f = 0x40400000, 1.5 = 0x3FF8000000000000, -0.25 = 0xBFD0000000000000).
#include "temp_dir.hpp"

#include <rtconv/error.hpp>
#include <rtconv/npy.hpp>

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

using rtconv::DType;
using rtconv::Shape;
using rtconv::Tensor;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string bytes(std::initializer_list<int> values)
{
    std::string out;
    for (const int v : values) out += static_cast<char>(v);
    return out;
}

const std::string f32_one = bytes({0x00, 0x00, 0x80, 0x3F});
const std::string f32_minus_2_5 = bytes({0x00, 0x00, 0x20, 0xC0});
const std::string f32_half = bytes({0x00, 0x00, 0x00, 0x3F});
const std::string f32_three = bytes({0x00, 0x00, 0x40, 0x40});
const std::string f64_1_5 = bytes({0, 0, 0, 0, 0, 0, 0xF8, 0x3F});
const std::string f64_minus_0_25 = bytes({0, 0, 0, 0, 0, 0, 0xD0, 0xBF});

/// Magic, version `major`.0, the little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0),
/// the header exactly as given, then the data.
std::string npy_file(int major, const std::string& header, const std::string& data)
{
    std::string out = "\x93NUMPY" + bytes({major, 0});
    const std::size_t width = major == 1 ? 2 : 4;
    for (std::size_t i = 0, n = header.size(); i < width; ++i, n >>= 8) out += static_cast<char>(n & 0xff);
    return out + header + data;
}

/// A version 1.0 file with this header dict (ended with spaces and the newline).
std::string npy_v1(const std::string& dict, const std::string& data)
{
    return npy_file(1, dict + "   \n", data);
}

std::string load_error(const std::string& file_bytes)
{
    try {
        rtconv::npy_from_bytes(file_bytes, "case.npy");
    } catch (const rtconv::Error& e) {
        return e.what();
    }
    FAIL("the file was accepted");
    return {};
}

std::vector<double> values_of(const Tensor& t)
{
    std::vector<double> out;
    for (std::size_t i = 0; i < t.size(); ++i) out.push_back(t.flat(i));
    return out;
}

} // namespace

TEST_CASE("npy: reads a version 1.0 little-endian float32 vector", "[npy]")
{
    const Tensor t = rtconv::npy_from_bytes(
        npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f32_one + f32_minus_2_5 + f32_half),
        "v1.npy");
    CHECK(t.dtype() == DType::float32);
    CHECK(t.shape() == Shape{3});
    CHECK(values_of(t) == std::vector<double>{1.0, -2.5, 0.5});
}

TEST_CASE("npy: reads version 2.0 and 3.0 headers (4-byte length)", "[npy]")
{
    const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }   \n";
    for (const int major : {2, 3}) {
        const Tensor t = rtconv::npy_from_bytes(npy_file(major, dict, f64_1_5 + f64_minus_0_25), "v.npy");
        CHECK(t.dtype() == DType::float64);
        CHECK(t.shape() == Shape{2});
        CHECK(values_of(t) == std::vector<double>{1.5, -0.25});
    }
}

TEST_CASE("npy: reads big-endian floats", "[npy]")
{
    const Tensor f = rtconv::npy_from_bytes(
        npy_v1("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
               bytes({0x3F, 0x80, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00})),
        "be.npy");
    CHECK(f.dtype() == DType::float32);
    CHECK(values_of(f) == std::vector<double>{1.0, 3.0});

    const Tensor d = rtconv::npy_from_bytes(
        npy_v1("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", bytes({0x3F, 0xF8, 0, 0, 0, 0, 0, 0})),
        "be.npy");
    CHECK(d.dtype() == DType::float64);
    CHECK(values_of(d) == std::vector<double>{1.5});
}

TEST_CASE("npy: Fortran-ordered arrays come back in C order", "[npy]")
{
    // A (2, 3) array [[1, 2, 3], [4, 5, 6]] stored column by column: 1 4 2 5 3 6.
    std::string columns;
    for (const float v : {1.f, 4.f, 2.f, 5.f, 3.f, 6.f})
        columns += std::string(reinterpret_cast<const char*>(&v), sizeof v);
    const Tensor t =
        rtconv::npy_from_bytes(npy_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", columns), "f.npy");
    CHECK(t.shape() == Shape{2, 3});
    CHECK(values_of(t) == std::vector<double>{1, 2, 3, 4, 5, 6});

    // Rank 3: element [i][j][k] = 100i + 10j + k, stored with i fastest.
    std::string fortran3;
    for (const double v : {0., 100., 10., 110., 1., 101., 11., 111.})
        fortran3 += std::string(reinterpret_cast<const char*>(&v), sizeof v);
    const Tensor t3 = rtconv::npy_from_bytes(
        npy_v1("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 2), }", fortran3), "f3.npy");
    CHECK(values_of(t3) == std::vector<double>{0, 1, 10, 11, 100, 101, 110, 111});
}

TEST_CASE("npy: scalars, empty arrays and other spellings NumPy accepts", "[npy]")
{
    const Tensor scalar =
        rtconv::npy_from_bytes(npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", f64_1_5), "s.npy");
    CHECK(scalar.rank() == 0);
    CHECK(values_of(scalar) == std::vector<double>{1.5});

    const Tensor empty =
        rtconv::npy_from_bytes(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", ""), "e.npy");
    CHECK(empty.shape() == Shape{0, 3});
    CHECK(empty.size() == 0);

    // Double quotes, another key order, no trailing comma, Python 2 longs, native order '='.
    const Tensor other = rtconv::npy_from_bytes(
        npy_v1("{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"=f4\"}", f32_three + f32_half), "o.npy");
    CHECK(other.shape() == Shape{1, 2});
    CHECK(values_of(other) == std::vector<double>{3.0, 0.5});
}

TEST_CASE("npy: writes version 1.0, little-endian, C order, header padded to 64 bytes", "[npy]")
{
    const Tensor t(Shape{2, 3}, std::vector<float>{1.0f, -2.5f, 0.5f, 3.0f, 1.0f, 0.5f});
    const std::string out = rtconv::npy_to_bytes(t);
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    // 10 bytes of magic, version and length + 59 of dict + 1 newline = 70, padded to 128.
    REQUIRE(out.size() == 128 + 6 * 4);
    CHECK(out.substr(0, 8) == "\x93NUMPY" + bytes({1, 0}));
    CHECK(out.substr(8, 2) == bytes({118, 0}));
    CHECK(out.substr(10, dict.size()) == dict);
    CHECK(out.substr(10 + dict.size(), 58) == std::string(58, ' '));
    CHECK(out[127] == '\n');
    CHECK(out.substr(128) == f32_one + f32_minus_2_5 + f32_half + f32_three + f32_one + f32_half);

    const Tensor back = rtconv::npy_from_bytes(out, "round.npy");
    CHECK(back.shape() == t.shape());
    CHECK(values_of(back) == values_of(t));
}

TEST_CASE("npy: float64 files round-trip through the file system", "[npy]")
{
    const rtconv_test::TempDir dir("npy");
    const Tensor t(Shape{1, 2, 1}, std::vector<double>{1.0 / 3.0, -0.1});
    rtconv::write_npy(dir / "x.npy", t);
    const Tensor back = rtconv::read_npy(dir / "x.npy");
    CHECK(back.dtype() == DType::float64);
    CHECK(back.shape() == Shape{1, 2, 1});
    CHECK(back.flat(0) == 1.0 / 3.0);
    CHECK(back.flat(1) == -0.1);

    CHECK_THROWS_WITH(rtconv::read_npy(dir / "missing.npy"), Contains("missing.npy") && Contains("cannot open"));
}

TEST_CASE("npy: malformed files are errors naming the file and the problem", "[npy]")
{
    const std::string header3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    const std::string data3 = f32_one + f32_one + f32_one;

    SECTION("bad magic")
    {
        CHECK_THAT(load_error("\x93NUMPX" + bytes({1, 0, 0, 0})), StartsWith("case.npy: not a NumPy .npy file"));
        CHECK_THAT(load_error("PK\x03\x04"), StartsWith("case.npy: not a NumPy .npy file"));
        CHECK_THAT(load_error(""), StartsWith("case.npy: not a NumPy .npy file"));
    }
    SECTION("unsupported version")
    {
        CHECK_THAT(load_error(npy_file(4, header3 + "\n", data3)), Contains("version 4.0"));
    }
    SECTION("truncated header")
    {
        CHECK_THAT(load_error("\x93NUMPY" + bytes({2, 0, 5, 0})), Contains("too short for the header length field"));
        const std::string whole = npy_v1(header3, data3);
        CHECK_THAT(load_error(whole.substr(0, 30)),
                   Contains("truncated .npy header") && Contains("declares " + std::to_string(header3.size() + 4)));
    }
    SECTION("truncated or overlong data")
    {
        CHECK_THAT(load_error(npy_v1(header3, f32_one + f32_one)),
                   StartsWith("case.npy: truncated .npy data") && Contains("needs 12 bytes, the file has 8"));
        CHECK_THAT(load_error(npy_v1(header3, data3 + f32_one)),
                   Contains("extra bytes") && Contains("needs 12 bytes, the file has 16"));
    }
    SECTION("unsupported dtypes are named")
    {
        const auto with_descr = [&](const std::string& descr) {
            return load_error(npy_v1("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (3,), }", data3));
        };
        CHECK_THAT(with_descr("<i4"), Contains("unsupported dtype '<i4'") && Contains("integer"));
        CHECK_THAT(with_descr("<u2"), Contains("'<u2'") && Contains("unsigned integer"));
        CHECK_THAT(with_descr("<c8"), Contains("'<c8'") && Contains("complex"));
        CHECK_THAT(with_descr("|O"), Contains("'|O'") && Contains("object"));
        CHECK_THAT(with_descr("<f2"), Contains("'<f2'"));
        CHECK_THAT(with_descr("|b1"), Contains("'|b1'") && Contains("boolean"));
        CHECK_THAT(load_error(npy_v1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", data3)),
                   Contains("structured"));
    }
    SECTION("bad shape text")
    {
        const auto with_shape = [&](const std::string& shape) {
            return load_error(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", data3));
        };
        CHECK_THAT(with_shape("(3, x)"), Contains("bad .npy header") && Contains("non-negative integers"));
        CHECK_THAT(with_shape("(-3,)"), Contains("non-negative integers"));
        CHECK_THAT(with_shape("(3)"), Contains("not a tuple"));
        CHECK_THAT(with_shape("[3]"), Contains("tuple"));
        CHECK_THAT(with_shape("(3,"), Contains("bad .npy header"));
        CHECK_THAT(with_shape("(99999999999999999999999,)"), Contains("too large"));
        CHECK_THAT(with_shape("(4294967296, 4294967296)"), Contains("too large"));
    }
    SECTION("bad header dicts")
    {
        CHECK_THAT(load_error(npy_v1("{'descr': '<f4', 'shape': (3,), }", data3)), Contains("missing key 'fortran_order'"));
        CHECK_THAT(load_error(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", data3)),
                   Contains("unexpected key 'x'"));
        CHECK_THAT(load_error(npy_v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", data3)),
                   Contains("'descr' appears twice"));
        CHECK_THAT(load_error(npy_v1("{'descr': '<f4', 'fortran_order': maybe, 'shape': (3,)}", data3)),
                   Contains("True or False"));
        CHECK_THAT(load_error(npy_v1("{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", data3)),
                   Contains("bad .npy header"));
        CHECK_THAT(load_error(npy_v1("[1, 2, 3]", data3)), Contains("start with '{'"));
        CHECK_THAT(load_error(npy_v1(header3 + " junk", data3)), Contains("unexpected text after the header dict"));
        CHECK_THAT(load_error(npy_file(1, header3, data3)), Contains("must end with a newline"));
    }
}

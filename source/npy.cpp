#include "rtconv/npy.hpp"

#include "file_io.hpp"
#include "printable.hpp"
#include "rtconv/error.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace rtconv {
namespace {

// The format: magic, major and minor version bytes, a little-endian header length (2 bytes in
// version 1.0, 4 bytes in 2.0 and 3.0), the header (a Python dict literal), then the raw data.
constexpr std::string_view magic{"\x93NUMPY", 6};
constexpr std::size_t header_alignment = 64;
constexpr char native_order = std::endian::native == std::endian::little ? '<' : '>';

struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
};

/// How the data section stores its floats.
struct FloatLayout {
    DType dtype;
    std::size_t item_size;
    bool byte_swapped;
};

/// Messages echo the header's keys and dtype, which the file chose: printable() keeps their bytes
/// off the terminal.
[[noreturn]] void fail(const std::string& source, const std::string& message)
{
    throw Error(detail::printable(source + ": " + message));
}

std::size_t read_little_endian(std::string_view bytes, std::size_t offset, std::size_t width)
{
    std::size_t value = 0;
    for (std::size_t i = width; i-- > 0;)
        value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

/// A strict reader of the one dict literal NumPy writes; Python's eval is what np.load uses,
/// but only this small grammar is valid: {'key': value, ...} with str, bool and int-tuple values.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

    NpyHeader parse()
    {
        NpyHeader header;
        bool seen_descr = false, seen_fortran = false, seen_shape = false;
        expect('{', "the header to start with '{'");
        while (!peek('}')) {
            const std::string key = parse_string();
            expect(':', "':' after key '" + key + "'");
            if (key == "descr") {
                mark_seen(seen_descr, key);
                if (peek('[')) bad("structured dtypes (a list as 'descr') are not supported");
                header.descr = parse_string();
            } else if (key == "fortran_order") {
                mark_seen(seen_fortran, key);
                header.fortran_order = parse_bool();
            } else if (key == "shape") {
                mark_seen(seen_shape, key);
                header.shape = parse_shape();
            } else {
                bad("unexpected key '" + key + "' (a header has exactly 'descr', 'fortran_order' and 'shape')");
            }
            if (!consume(',')) break;
        }
        expect('}', "',' or '}' after a value");
        if (!seen_descr || !seen_fortran || !seen_shape)
            bad(std::string("missing key '") + (!seen_descr ? "descr" : !seen_fortran ? "fortran_order" : "shape") +
                "'");
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
        if (pos_ != text_.size()) bad("unexpected text after the header dict");
        return header;
    }

private:
    [[noreturn]] void bad(const std::string& what) const
    {
        fail(source_, "bad .npy header at character " + std::to_string(pos_ + 1) + ": " + what);
    }

    void mark_seen(bool& seen, const std::string& key) const
    {
        if (seen) bad("key '" + key + "' appears twice");
        seen = true;
    }

    void skip_spaces()
    {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    }

    bool peek(char c)
    {
        skip_spaces();
        return pos_ < text_.size() && text_[pos_] == c;
    }

    bool consume(char c)
    {
        if (!peek(c)) return false;
        ++pos_;
        return true;
    }

    void expect(char c, const std::string& what)
    {
        if (!consume(c)) bad("expected " + what);
    }

    std::string parse_string()
    {
        skip_spaces();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) bad("expected a quoted string");
        const char quote = text_[pos_++];
        const std::size_t end = text_.find(quote, pos_);
        if (end == std::string_view::npos) bad("unterminated string");
        std::string value(text_.substr(pos_, end - pos_));
        if (value.find('\\') != std::string::npos) bad("escape sequences in strings are not supported");
        pos_ = end + 1;
        return value;
    }

    bool parse_bool()
    {
        skip_spaces();
        for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {"False", false}})
            if (text_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                return value;
            }
        bad("'fortran_order' must be True or False");
    }

    /// A Python tuple of non-negative ints: (), (n,), (n, m), (n, m,) ...
    Shape parse_shape()
    {
        expect('(', "'shape' to be a tuple such as (2, 3) or (3,)");
        Shape shape;
        bool trailing_comma = false;
        while (!peek(')')) {
            shape.push_back(parse_dimension());
            trailing_comma = consume(',');
            if (!trailing_comma) break;
        }
        expect(')', "',' or ')' in 'shape'");
        if (shape.size() == 1 && !trailing_comma) bad("'shape' (n) is not a tuple; NumPy writes a 1-d shape as (n,)");
        return shape;
    }

    std::size_t parse_dimension()
    {
        skip_spaces();
        const std::size_t start = pos_;
        std::size_t value = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            const std::size_t digit = static_cast<std::size_t>(text_[pos_] - '0');
            if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10) bad("dimension too large in 'shape'");
            value = value * 10 + digit;
            ++pos_;
        }
        if (pos_ == start) bad("'shape' must hold non-negative integers");
        if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_; // Python 2 wrote longs as 3L
        return value;
    }

    std::string_view text_;
    const std::string& source_;
    std::size_t pos_ = 0;
};

const char* dtype_kind_name(char kind)
{
    switch (kind) {
    case 'b': return "boolean";
    case 'i': return "signed integer";
    case 'u': return "unsigned integer";
    case 'f': return "floating point of an unsupported width";
    case 'c': return "complex";
    case 'O': return "Python object";
    case 'S': case 'a': return "byte string";
    case 'U': return "unicode string";
    case 'V': return "raw bytes";
    case 'M': case 'm': return "date/time";
    default: return "unknown kind";
    }
}

FloatLayout float_layout(const std::string& descr, const std::string& source)
{
    const bool has_order = !descr.empty() && std::string_view("<>=|").find(descr[0]) != std::string_view::npos;
    const std::string_view type = std::string_view(descr).substr(has_order ? 1 : 0);
    const char order = has_order ? descr[0] : '|';
    if (type == "f4" || type == "f8") {
        // '=' and '|' mean the machine's own order, as np.dtype reads them.
        const bool swapped = (order == '<' || order == '>') && order != native_order;
        return type == "f4" ? FloatLayout{DType::float32, 4, swapped} : FloatLayout{DType::float64, 8, swapped};
    }
    fail(source, "unsupported dtype '" + descr + "' (" + dtype_kind_name(type.empty() ? '?' : type[0]) +
                     "): rtconv reads float32 ('<f4') and float64 ('<f8') arrays");
}

std::size_t checked_byte_count(const Shape& shape, std::size_t item_size, const std::string& source)
{
    std::size_t bytes = item_size;
    for (const std::size_t d : shape) {
        if (d != 0 && bytes > std::numeric_limits<std::size_t>::max() / d)
            fail(source, "shape " + shape_to_string(shape) + " is too large");
        bytes *= d;
    }
    return bytes;
}

/// Reorders a column-major (Fortran) array into row-major order, the order np.load presents.
template <class T> std::vector<T> fortran_to_c_order(const std::vector<T>& fortran, const Shape& shape)
{
    std::vector<T> c(fortran.size());
    if (c.empty()) return c;
    const std::size_t rank = shape.size();
    Shape fortran_stride(rank, 1);
    for (std::size_t k = 1; k < rank; ++k) fortran_stride[k] = fortran_stride[k - 1] * shape[k - 1];
    Shape index(rank, 0);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        c[i] = fortran[offset];
        // Step the row-major index like an odometer, last axis fastest, tracking the Fortran offset.
        for (std::size_t k = rank; k-- > 0;) {
            if (++index[k] < shape[k]) {
                offset += fortran_stride[k];
                break;
            }
            offset -= (shape[k] - 1) * fortran_stride[k];
            index[k] = 0;
        }
    }
    return c;
}

template <class T> Tensor decode_data(std::string_view data, const NpyHeader& header, bool byte_swapped)
{
    std::vector<T> values(data.size() / sizeof(T));
    // An empty array's vector has no storage, and memcpy takes no null pointer, even for 0 bytes.
    if (!values.empty()) std::memcpy(values.data(), data.data(), data.size());
    if (byte_swapped)
        for (T& v : values) {
            auto* bytes = reinterpret_cast<unsigned char*>(&v);
            std::reverse(bytes, bytes + sizeof(T));
        }
    if (header.fortran_order) values = fortran_to_c_order(values, header.shape);
    return Tensor(header.shape, std::move(values));
}

template <class T> void append_little_endian(std::string& out, std::span<const T> values)
{
    if (values.empty()) return; // values.data() may be null, which memcpy does not take
    const std::size_t start = out.size();
    out.resize(start + values.size_bytes());
    std::memcpy(out.data() + start, values.data(), values.size_bytes());
    if constexpr (std::endian::native != std::endian::little)
        for (std::size_t i = start; i < out.size(); i += sizeof(T))
            std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                         out.begin() + static_cast<std::ptrdiff_t>(i + sizeof(T)));
}

} // namespace

Tensor npy_from_bytes(std::string_view bytes, const std::string& source)
{
    if (bytes.size() < magic.size() + 2 || bytes.substr(0, magic.size()) != magic)
        fail(source, "not a NumPy .npy file (it does not start with \\x93NUMPY)");
    const int major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
    if (major < 1 || major > 3 || minor != 0)
        fail(source, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                         " (rtconv reads 1.0, 2.0 and 3.0)");
    const std::size_t length_width = major == 1 ? 2 : 4;
    const std::size_t header_start = magic.size() + 2 + length_width;
    if (bytes.size() < header_start)
        fail(source, "truncated .npy file: " + std::to_string(bytes.size()) +
                         " bytes, too short for the header length field");
    const std::size_t header_length = read_little_endian(bytes, magic.size() + 2, length_width);
    if (bytes.size() - header_start < header_length)
        fail(source, "truncated .npy header: it declares " + std::to_string(header_length) + " bytes, the file has " +
                         std::to_string(bytes.size() - header_start) + " after the length field");
    std::string_view header_text = bytes.substr(header_start, header_length);
    if (header_text.empty() || header_text.back() != '\n')
        fail(source, "bad .npy header: it must end with a newline");
    header_text.remove_suffix(1);

    const NpyHeader header = HeaderParser(header_text, source).parse();
    const FloatLayout layout = float_layout(header.descr, source);
    const std::size_t expected = checked_byte_count(header.shape, layout.item_size, source);
    const std::string_view data = bytes.substr(header_start + header_length);
    if (data.size() != expected)
        fail(source, std::string(data.size() < expected ? "truncated .npy data" : "extra bytes after the .npy data") +
                         ": shape " + shape_to_string(header.shape) + " of '" + header.descr + "' needs " +
                         std::to_string(expected) + " bytes, the file has " + std::to_string(data.size()));
    if (layout.dtype == DType::float32) return decode_data<float>(data, header, layout.byte_swapped);
    return decode_data<double>(data, header, layout.byte_swapped);
}

std::string npy_to_bytes(const Tensor& tensor)
{
    const std::string descr = tensor.dtype() == DType::float32 ? "<f4" : "<f8";
    std::string header =
        "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_to_string(tensor.shape()) + ", }";
    // Version 1.0 stores the header length in 2 bytes; longer headers (huge ranks) need 2.0.
    const bool version1 = header.size() + header_alignment < 65536;
    const std::size_t prefix = magic.size() + 2 + (version1 ? 2 : 4);
    const std::size_t unpadded = prefix + header.size() + 1; // + the closing newline
    header.append((header_alignment - unpadded % header_alignment) % header_alignment, ' ');
    header += '\n';

    std::string out(magic);
    out += static_cast<char>(version1 ? 1 : 2);
    out += '\0';
    for (std::size_t i = 0, n = header.size(); i < (version1 ? 2u : 4u); ++i, n >>= 8)
        out += static_cast<char>(n & 0xff);
    out += header;
    if (tensor.dtype() == DType::float32) append_little_endian(out, tensor.values<float>());
    else append_little_endian(out, tensor.values<double>());
    return out;
}

Tensor read_npy(const std::filesystem::path& path)
{
    return npy_from_bytes(detail::read_file(path, max_npy_file_bytes, "a .npy file"), path.string());
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor)
{
    detail::write_file(path, npy_to_bytes(tensor));
}

} // namespace rtconv

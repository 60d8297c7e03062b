#pragma once
// Text from files (layer names, paths, a parser's last token) made safe to echo in an error.
#include <cstddef>
#include <string>
#include <string_view>

namespace rtconv::detail {

/// `text` made safe to print on a terminal: control characters (C0, DEL, C1) and bidirectional
/// overrides become \u001b-style escapes, bytes that are not UTF-8 become \xff-style ones, the
/// rest stays as it is. Errors echo names a file chose, which could otherwise recolour or rewrite
/// the terminal (ESC sequences), reorder the line (U+202E) or break it in two.
inline std::string printable(std::string_view text)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
        const unsigned char lead = byte(0);
        // The sequence's length and the range its second byte must fall in (no overlong forms,
        // no surrogates, nothing past U+10FFFF), or 0 for a byte that cannot start one.
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xbf;
        if (lead < 0x80) {
            length = 1;
        } else if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            low = lead == 0xe0 ? 0xa0 : 0x80;
            high = lead == 0xed ? 0x9f : 0xbf;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            low = lead == 0xf0 ? 0x90 : 0x80;
            high = lead == 0xf4 ? 0x8f : 0xbf;
        }
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k)
            valid = byte(k) >= (k == 1 ? low : 0x80) && byte(k) <= (k == 1 ? high : 0xbf);
        if (!valid) {
            out += "\\x";
            out += digits[lead >> 4];
            out += digits[lead & 15];
            ++i;
            continue;
        }
        char32_t code = length == 1 ? lead : lead & (0xff >> (length + 1));
        for (std::size_t k = 1; k < length; ++k) code = (code << 6) | (byte(k) & 0x3f);
        if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) ||
            (code >= 0x2066 && code <= 0x2069)) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out += digits[(code >> shift) & 15];
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

} // namespace rtconv::detail

#pragma once
// What the plug-in's test programs share: a check that prints its line and counts failures, and
// figures formatted for those lines.
#include <cstdio>
#include <string>

namespace rtconv_plugin_test {

inline int failures = 0;

inline void check(bool passed, const std::string& what)
{
    std::printf("  %s %s\n", passed ? "ok  " : "FAIL", what.c_str());
    if (!passed) ++failures;
}

/// Three significant digits.
inline std::string format_value(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
}

} // namespace rtconv_plugin_test

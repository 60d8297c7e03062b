#include "arguments.hpp"

#include <cstdlib>

namespace rtconv::cli {

Arguments::Arguments(const std::vector<std::string>& args, const std::set<std::string>& valued_options,
                     const std::set<std::string>& flags)
{
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
            if (arg.size() > 1 && arg[0] == '-') throw UsageError("unknown option '" + arg + "'");
            positional_.push_back(arg);
            continue;
        }
        const std::size_t equals = arg.find('=');
        const std::string name = arg.substr(0, equals);
        if (values_.contains(name) || flags_.contains(name)) throw UsageError(name + " is given twice");
        if (flags.contains(name)) {
            if (equals != std::string::npos) throw UsageError(name + " takes no value");
            flags_.insert(name);
        } else if (valued_options.contains(name)) {
            if (equals != std::string::npos) values_[name] = arg.substr(equals + 1);
            else if (i + 1 < args.size()) values_[name] = args[++i];
            else throw UsageError(name + " needs a value");
        } else {
            throw UsageError("unknown option '" + name + "'");
        }
    }
}

std::optional<std::string> Arguments::value(const std::string& name) const
{
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::string Arguments::required(const std::string& name) const
{
    if (auto v = value(name)) return *v;
    throw UsageError(name + " is required");
}

std::optional<long> Arguments::whole_number(const std::string& name, const std::string& unit, long min, long max) const
{
    const auto text = value(name);
    if (!text) return std::nullopt;
    char* end = nullptr;
    const long number = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || number < min || number > max)
        throw UsageError(name + " must be a whole number of " + unit + " from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + *text + "'");
    return number;
}

} // namespace rtconv::cli

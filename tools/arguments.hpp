#pragma once
// The command line of one subcommand: positional arguments, `--name value` (or `--name=value`)
// options and `--flag`s, each declared up front so that anything else is a usage error.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace rtconv::cli {

/// A mistake in how the tool was called: reported with exit status 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Arguments {
public:
    /// Throws UsageError for an undeclared option, a missing value or a repeated option.
    Arguments(const std::vector<std::string>& args, const std::set<std::string>& valued_options,
              const std::set<std::string>& flags);

    const std::vector<std::string>& positional() const { return positional_; }
    bool has(const std::string& name) const { return values_.contains(name) || flags_.contains(name); }
    std::optional<std::string> value(const std::string& name) const;
    /// The option's value; throws UsageError naming the option when it was not given.
    std::string required(const std::string& name) const;
    /// The option's value as a whole number from `min` to `max` (nullopt when not given); throws
    /// UsageError naming the option and the `unit` ("frames") for anything else.
    std::optional<long> whole_number(const std::string& name, const std::string& unit, long min, long max) const;

private:
    std::vector<std::string> positional_;
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
};

} // namespace rtconv::cli

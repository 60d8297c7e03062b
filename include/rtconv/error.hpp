#pragma once
// The one exception type rtconv throws. Messages name the argument, layer, file
// and field involved, the way Keras' ValueError messages do.
#include <stdexcept>
#include <string>

namespace rtconv {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace rtconv

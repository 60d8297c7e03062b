#include "model_source.hpp"

#include <default_model.h>

#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>

namespace rtconv_plugin {

rtconv::Sequential parse_model(const ModelSource& source)
{
    return rtconv::model_from_bytes(source.bytes, source.name);
}

ModelSource default_model_source()
{
    return {"wavenet_a1_standard.nam",
            std::string(rtconv_plugin_binary::wavenet_a1_standard_nam,
                        static_cast<std::size_t>(rtconv_plugin_binary::wavenet_a1_standard_namSize))};
}

} // namespace rtconv_plugin

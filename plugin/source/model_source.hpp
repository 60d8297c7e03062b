#pragma once
// A model as the plug-in keeps it: the file's bytes, not its path, so that a saved session
// reopens with the same sound even when the file is gone.
#include <rtconv/sequential.hpp>

#include <string>

namespace rtconv_plugin {

struct ModelSource {
    std::string name;  ///< the file's name, shown in the editor and used in error messages
    std::string bytes; ///< the file's content
};

/// Any model file rtconv reads (native Keras JSON, NAM, WaveNetVA, RTNeural). Throws
/// rtconv::Error with the loader's message, naming the source.
rtconv::Sequential parse_model(const ModelSource& source);

/// The model compiled into the plug-in, so it makes sound the moment it is inserted.
ModelSource default_model_source();

} // namespace rtconv_plugin

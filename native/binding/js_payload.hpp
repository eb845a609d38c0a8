#pragma once
// Turns what JS passes to send/publish/ping (a string, or any ArrayBuffer
// view or ArrayBuffer) into an immutable payload, with as few N-API calls as
// possible: sending is the hottest call JS makes into the addon.
#include <napi.h>

#include <vector>

#include "hyphae/payload.hpp"

namespace hyphae::binding {

class PayloadReader {
public:
    // Strings are encoded as UTF-8. Returns false for any other type.
    bool read(napi_env env, napi_value data, SharedPayload& out);

private:
    // Most strings fit: one call encodes them here, where asking for the
    // length first would walk the string twice.
    std::vector<char> scratch_ = std::vector<char>(16 * 1024);
};

}  // namespace hyphae::binding

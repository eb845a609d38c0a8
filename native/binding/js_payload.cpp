#include "js_payload.hpp"

namespace hyphae::binding {

namespace {

bool read_binary(napi_env env, napi_value data, SharedPayload& out) {
    bool is = false;
    void* bytes = nullptr;
    std::size_t length = 0;
    napi_value buffer = nullptr;
    std::size_t offset = 0;
    if (napi_is_typedarray(env, data, &is) == napi_ok && is) {
        napi_typedarray_type type;
        if (napi_get_typedarray_info(env, data, &type, &length, &bytes, &buffer, &offset) !=
            napi_ok)
            return false;
        // length counts elements: the byte length comes from the element size.
        std::size_t element = 1;
        switch (type) {
            case napi_int16_array:
            case napi_uint16_array:
                element = 2;
                break;
            case napi_int32_array:
            case napi_uint32_array:
            case napi_float32_array:
                element = 4;
                break;
            case napi_float64_array:
            case napi_bigint64_array:
            case napi_biguint64_array:
                element = 8;
                break;
            default:
                break;
        }
        out = SharedPayload::copy(bytes, length * element);
        return true;
    }
    if (napi_is_dataview(env, data, &is) == napi_ok && is) {
        // Taken from the ArrayBuffer: N-API does not say whether a DataView's
        // data pointer includes its offset.
        std::size_t whole = 0;
        if (napi_get_dataview_info(env, data, &length, nullptr, &buffer, &offset) != napi_ok ||
            napi_get_arraybuffer_info(env, buffer, &bytes, &whole) != napi_ok)
            return false;
        out = SharedPayload::copy(static_cast<const char*>(bytes) + offset, length);
        return true;
    }
    if (napi_is_arraybuffer(env, data, &is) == napi_ok && is) {
        if (napi_get_arraybuffer_info(env, data, &bytes, &length) != napi_ok) return false;
        out = SharedPayload::copy(bytes, length);
        return true;
    }
    return false;
}

}  // namespace

bool PayloadReader::read(napi_env env, napi_value data, SharedPayload& out) {
    std::size_t length = 0;
    const napi_status status =
        napi_get_value_string_utf8(env, data, scratch_.data(), scratch_.size(), &length);
    if (status == napi_string_expected) return read_binary(env, data, out);
    if (status != napi_ok) return false;
    // Shorter than the room there was: the whole string.
    if (length + 1 < scratch_.size()) {
        out = SharedPayload::copy(scratch_.data(), length);
        return true;
    }
    if (napi_get_value_string_utf8(env, data, nullptr, 0, &length) != napi_ok) return false;
    napi_status written = napi_ok;
    // The size given counts the terminating NUL napi writes (build leaves room).
    out = SharedPayload::build(length, [&](char* bytes) {
        std::size_t copied = 0;
        written = napi_get_value_string_utf8(env, data, bytes, length + 1, &copied);
    });
    return written == napi_ok;
}

}  // namespace hyphae::binding

#include "js_payload.hpp"

namespace hyphae::binding {

namespace {

// Bytes per element; 0 for a kind added to N-API after this was written.
std::size_t element_size(napi_typedarray_type type) {
    switch (type) {
        case napi_int8_array:
        case napi_uint8_array:
        case napi_uint8_clamped_array:
            return 1;
        case napi_int16_array:
        case napi_uint16_array:
#ifdef NODE_API_HAS_FLOAT16_ARRAY
        case napi_float16_array:
#endif
            return 2;
        case napi_int32_array:
        case napi_uint32_array:
        case napi_float32_array:
            return 4;
        case napi_float64_array:
        case napi_bigint64_array:
        case napi_biguint64_array:
            return 8;
        default:
            return 0;
    }
}

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
        // length counts elements: the byte length comes from the element
        // size, or from `byteLength` for a kind this code does not know.
        std::size_t byte_length = length * element_size(type);
        if (element_size(type) == 0) {
            napi_value property = nullptr;
            double value = 0;
            if (napi_get_named_property(env, data, "byteLength", &property) != napi_ok ||
                napi_get_value_double(env, property, &value) != napi_ok || value < 0)
                return false;
            byte_length = static_cast<std::size_t>(value);
        }
        out = SharedPayload::copy(bytes, byte_length);
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

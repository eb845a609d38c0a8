// Module entry. The addon is context-aware: every environment (main thread
// or worker_thread) gets its own class and its own servers.
#include <napi.h>

#include "server_wrap.hpp"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
    exports.Set("NativeServer", hyphae::binding::ServerWrap::define(env));
    exports.Set("abiVersion", Napi::Number::New(env, 1));
    return exports;
}

}  // namespace

NODE_API_MODULE(hyphae, init)

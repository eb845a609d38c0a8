#include <gtest/gtest.h>

#include "hyphae/asio.hpp"
#include "hyphae/upgrade_policy.hpp"

namespace hyphae {
namespace {

UpgradePolicy on_path(std::string path) {
    UpgradePolicy policy;
    policy.path = std::move(path);
    return policy;
}

UpgradeRequest upgrade_request(std::string target) {
    UpgradeRequest request{http::verb::get, target, 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::connection, "Upgrade");
    request.set(http::field::upgrade, "websocket");
    request.set(http::field::sec_websocket_version, "13");
    request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    return request;
}

TEST(TargetPath, StripsQueryAndFragment) {
    EXPECT_EQ(target_path("/ws?token=1"), "/ws");
    EXPECT_EQ(target_path("/ws#frag"), "/ws");
    EXPECT_EQ(target_path("/ws"), "/ws");
    EXPECT_EQ(target_path(""), "");
}

TEST(UpgradePolicy, AcceptsUpgradeOnConfiguredPath) {
    const auto verdict = evaluate_upgrade(upgrade_request("/ws?x=1"), on_path("/ws"));
    EXPECT_TRUE(verdict.accept);
}

TEST(UpgradePolicy, AnyPathWhenNoneConfigured) {
    EXPECT_TRUE(evaluate_upgrade(upgrade_request("/anything"), on_path("")).accept);
}

TEST(UpgradePolicy, WrongPathIs404) {
    const auto verdict = evaluate_upgrade(upgrade_request("/other"), on_path("/ws"));
    EXPECT_FALSE(verdict.accept);
    EXPECT_EQ(verdict.status, 404u);
}

TEST(UpgradePolicy, PlainHttpIs426) {
    UpgradeRequest request{http::verb::get, "/ws", 11};
    request.set(http::field::host, "localhost");
    const auto verdict = evaluate_upgrade(request, on_path("/ws"));
    EXPECT_FALSE(verdict.accept);
    EXPECT_EQ(verdict.status, 426u);
}

TEST(UpgradePolicy, PathIsCheckedBeforeUpgrade) {
    UpgradeRequest request{http::verb::get, "/nope", 11};
    EXPECT_EQ(evaluate_upgrade(request, on_path("/ws")).status, 404u);
}

TEST(UpgradePolicy, OriginsAreCheckedCaseInsensitively) {
    UpgradePolicy policy;
    policy.allowed_origins = {"https://app.example"};
    auto request = upgrade_request("/");
    request.set(http::field::origin, "https://APP.example");
    EXPECT_TRUE(evaluate_upgrade(request, policy).accept);
    request.set(http::field::origin, "https://evil.example");
    EXPECT_EQ(evaluate_upgrade(request, policy).status, 403u);
    request.erase(http::field::origin);
    EXPECT_EQ(evaluate_upgrade(request, policy).status, 403u);
}

TEST(UpgradePolicy, ConnectionLimitsCountTheAskingConnection) {
    UpgradePolicy policy;
    policy.max_connections = 2;
    policy.max_connections_per_ip = 1;
    EXPECT_TRUE(evaluate_upgrade(upgrade_request("/"), policy, {2, 1}).accept);
    EXPECT_EQ(evaluate_upgrade(upgrade_request("/"), policy, {3, 1}).status, 503u);
    EXPECT_EQ(evaluate_upgrade(upgrade_request("/"), policy, {2, 2}).status, 429u);
}

TEST(UpgradePolicy, ChoosesOurPreferredProtocolAmongThoseOffered) {
    EXPECT_EQ(choose_protocol("chat.v1, chat.v2", {"chat.v2", "chat.v1"}), "chat.v2");
    EXPECT_EQ(choose_protocol(" chat.v1 ", {"chat.v2", "chat.v1"}), "chat.v1");
    EXPECT_EQ(choose_protocol("other", {"chat.v1"}), "");
    EXPECT_EQ(choose_protocol("", {"chat.v1"}), "");
    UpgradePolicy policy;
    policy.protocols = {"json", "msgpack"};
    auto request = upgrade_request("/");
    request.set(http::field::sec_websocket_protocol, "msgpack, json");
    EXPECT_EQ(evaluate_upgrade(request, policy).protocol, "json");
}

}  // namespace
}  // namespace hyphae

#include <gtest/gtest.h>

#include "hyphae/asio.hpp"
#include "hyphae/upgrade_policy.hpp"

namespace hyphae {
namespace {

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
    const auto verdict = evaluate_upgrade(upgrade_request("/ws?x=1"), {"/ws"});
    EXPECT_TRUE(verdict.accept);
}

TEST(UpgradePolicy, AnyPathWhenNoneConfigured) {
    EXPECT_TRUE(evaluate_upgrade(upgrade_request("/anything"), {""}).accept);
}

TEST(UpgradePolicy, WrongPathIs404) {
    const auto verdict = evaluate_upgrade(upgrade_request("/other"), {"/ws"});
    EXPECT_FALSE(verdict.accept);
    EXPECT_EQ(verdict.status, 404u);
}

TEST(UpgradePolicy, PlainHttpIs426) {
    UpgradeRequest request{http::verb::get, "/ws", 11};
    request.set(http::field::host, "localhost");
    const auto verdict = evaluate_upgrade(request, {"/ws"});
    EXPECT_FALSE(verdict.accept);
    EXPECT_EQ(verdict.status, 426u);
}

TEST(UpgradePolicy, PathIsCheckedBeforeUpgrade) {
    UpgradeRequest request{http::verb::get, "/nope", 11};
    EXPECT_EQ(evaluate_upgrade(request, {"/ws"}).status, 404u);
}

}  // namespace
}  // namespace hyphae

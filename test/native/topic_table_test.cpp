#include <gtest/gtest.h>

#include <algorithm>

#include "hyphae/topic_table.hpp"

namespace hyphae {
namespace {

// The table only stores Session pointers for fan-out; these tests never
// dereference them.
Session* fake_session(std::uintptr_t n) {
    return reinterpret_cast<Session*>(n * 64);
}

// Built with append: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
std::string topic_name(int n) {
    std::string name = "t";
    name.append(std::to_string(n));
    return name;
}

TEST(TopicTable, SubscribeIsIdempotentAndCounted) {
    TopicTable table;
    EXPECT_TRUE(table.subscribe("news", 1, fake_session(1)));
    EXPECT_FALSE(table.subscribe("news", 1, fake_session(1)));
    EXPECT_TRUE(table.subscribe("news", 2, fake_session(2)));
    EXPECT_TRUE(table.subscribe("sport", 1, fake_session(1)));
    EXPECT_EQ(table.subscriber_count("news"), 2u);
    EXPECT_EQ(table.subscriber_count("sport"), 1u);
    EXPECT_EQ(table.subscriber_count("none"), 0u);
    EXPECT_EQ(table.topic_count(), 2u);
    EXPECT_EQ(table.subscription_count(), 3u);
    EXPECT_TRUE(table.is_subscribed(1, "sport"));
    EXPECT_FALSE(table.is_subscribed(2, "sport"));
    auto topics = table.topics_of(1);
    std::sort(topics.begin(), topics.end());
    EXPECT_EQ(topics, (std::vector<std::string>{"news", "sport"}));
}

TEST(TopicTable, UnsubscribeFreesEmptyTopics) {
    TopicTable table;
    table.subscribe("a", 1, fake_session(1));
    table.subscribe("a", 2, fake_session(2));
    EXPECT_TRUE(table.unsubscribe("a", 1));
    EXPECT_FALSE(table.unsubscribe("a", 1));
    EXPECT_FALSE(table.unsubscribe("b", 2));
    EXPECT_EQ(table.subscriber_count("a"), 1u);
    EXPECT_TRUE(table.unsubscribe("a", 2));
    EXPECT_EQ(table.topic_count(), 0u);
    EXPECT_EQ(table.subscribers("a"), nullptr);
    EXPECT_TRUE(table.topics_of(2).empty());
}

TEST(TopicTable, RemoveConnectionLeavesEveryTopic) {
    TopicTable table;
    for (int t = 0; t < 10; ++t) {
        table.subscribe(topic_name(t), 7, fake_session(7));
        table.subscribe(topic_name(t), 8, fake_session(8));
    }
    table.remove_connection(7);
    table.remove_connection(99);  // unknown: nothing happens
    EXPECT_EQ(table.topic_count(), 10u);
    EXPECT_EQ(table.subscription_count(), 10u);
    for (int t = 0; t < 10; ++t) {
        const auto* subscribers = table.subscribers(topic_name(t));
        ASSERT_NE(subscribers, nullptr);
        ASSERT_EQ(subscribers->size(), 1u);
        EXPECT_EQ(subscribers->front().id, 8u);
    }
    table.remove_connection(8);
    EXPECT_EQ(table.topic_count(), 0u);
    EXPECT_EQ(table.subscription_count(), 0u);
}

TEST(TopicTable, ChurnKeepsCountsExact) {
    TopicTable table;
    for (ConnectionId id = 1; id <= 500; ++id) table.subscribe("room", id, fake_session(id));
    for (ConnectionId id = 1; id <= 500; id += 2) table.unsubscribe("room", id);
    for (ConnectionId id = 1; id <= 100; ++id) table.subscribe("room", id, fake_session(id));
    // Odd ids 1..99 came back (50), even ids were never gone (250).
    EXPECT_EQ(table.subscriber_count("room"), 300u);
    std::size_t seen = 0;
    for (const auto& subscriber : *table.subscribers("room")) {
        EXPECT_TRUE(subscriber.id % 2 == 0 || subscriber.id < 100);
        ++seen;
    }
    EXPECT_EQ(seen, 300u);
}

}  // namespace
}  // namespace hyphae

#pragma once
// Namespace aliases shared by the core's sources.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace hyphae {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

// Sockets and streams bound to the io_context's own executor type instead of
// the type-erased any_io_executor: copying and destroying a type-erased
// executor on every asynchronous operation showed up at ~6% in profiles.
using Executor = boost::asio::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Stream = boost::beast::basic_stream<tcp, Executor, boost::beast::unlimited_rate_policy>;
}  // namespace hyphae

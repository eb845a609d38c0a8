// hyphae_load: a WebSocket load generator (bench/load). Loopback only; every
// mode exits by itself and prints one JSON line.
//   echo   --port P [--connections N] [--depth D] [--size S] [--binary] [--spin]
//          [--warmup S] [--duration S]
//          throughput, latency percentiles, the generator's own CPU per message
//   fanout --port P --connections N [--messages M] [--size S] [--rate R]
//          N subscribers on /sub; one trigger on /trigger asks the server to
//          publish M messages, as fast as it can or R per second;
//          delivered msgs/s and publish→receive latency
//   idle   --port P --connections N --server-pid PID
//          opens N idle connections; the server's RSS delta per connection
//   churn  --port P [--connections C] [--duration S]
//          C loops of connect/upgrade/close; cycles per second
// With --server-pid, echo, fanout and churn also report the server's user and
// kernel CPU µs per message (or cycle) over the measuring window.
// Common: [--path /] [--sources K] spreads connections over 127.0.0.1..K.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "churn_client.hpp"
#include "echo_client.hpp"
#include "echo_loop.hpp"
#include "fanout_client.hpp"
#include "process_cpu.hpp"

#include <fstream>

namespace {

using namespace hyphae::load;

struct Arguments {
    std::string mode;
    unsigned port = 0;
    std::size_t connections = 100;
    std::size_t depth = 1;
    std::size_t size = 32;
    bool binary = false;
    bool spin = false;  // echo: busy-poll instead of sleeping in epoll_wait
    std::string path = "/";
    double warmup = 1;
    double duration = 5;
    unsigned sources = 8;
    std::size_t messages = 100;
    double rate = 0;  // fanout: publishes per second; 0 = as fast as the server goes
    int server_pid = 0;
};

Arguments parse(int argc, char** argv) {
    Arguments args;
    if (argc > 1) args.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        const auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (flag == "--port")
            args.port = static_cast<unsigned>(std::stoul(value()));
        else if (flag == "--connections")
            args.connections = std::stoul(value());
        else if (flag == "--depth")
            args.depth = std::stoul(value());
        else if (flag == "--size")
            args.size = std::max<std::size_t>(16, std::stoul(value()));
        else if (flag == "--binary")
            args.binary = true;
        else if (flag == "--spin")
            args.spin = true;
        else if (flag == "--path")
            args.path = value();
        else if (flag == "--warmup")
            args.warmup = std::stod(value());
        else if (flag == "--duration")
            args.duration = std::stod(value());
        else if (flag == "--sources")
            args.sources = static_cast<unsigned>(std::stoul(value()));
        else if (flag == "--messages")
            args.messages = std::stoul(value());
        else if (flag == "--rate")
            args.rate = std::stod(value());
        else if (flag == "--server-pid")
            args.server_pid = std::stoi(value());
        else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            std::exit(64);
        }
    }
    const bool known =
        args.mode == "echo" || args.mode == "fanout" || args.mode == "idle" || args.mode == "churn";
    if (!known || args.port == 0 || (args.mode == "idle" && args.server_pid == 0)) {
        std::fprintf(
            stderr,
            "usage: hyphae_load echo|fanout|idle|churn --port P [options] (see main.cpp)\n");
        std::exit(64);
    }
    return args;
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Resident set of a process, in bytes (VmRSS).
long long rss_bytes(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    }
    return -1;
}

// Opens `count` connections of type Client in waves of 256; returns how many upgraded.
template <class Make>
std::size_t open_all(net::io_context& io, std::size_t count, Make make) {
    std::size_t started = 0;
    std::size_t settled = 0;
    std::size_t upgraded = 0;
    std::function<void()> next = [&] {
        if (started >= count) return;
        make(started++, [&](bool ok) {
            ++settled;
            if (ok) ++upgraded;
            next();
        });
    };
    for (std::size_t i = 0; i < std::min<std::size_t>(256, count); ++i) next();
    while (settled < count && io.run_one() > 0) {
    }
    return upgraded;
}

int run_fanout(const Arguments& args, tcp::endpoint server) {
    net::io_context io(1);
    FanoutTotals totals;
    std::vector<std::shared_ptr<FanoutClient>> subscribers;
    const std::size_t upgraded = open_all(io, args.connections, [&](std::size_t i, auto ready) {
        auto client = std::make_shared<FanoutClient>(io, totals);
        subscribers.push_back(client);
        client->start(server, source_address(i, args.sources), "/sub", std::move(ready));
    });
    auto trigger = std::make_shared<FanoutClient>(io, totals);
    std::size_t trigger_ok = open_all(io, 1, [&](std::size_t, auto ready) {
        trigger->start(server, source_address(0, args.sources), "/trigger", std::move(ready));
    });
    if (upgraded < args.connections || trigger_ok != 1) {
        std::printf("{\"error\":\"only %zu of %zu subscribers upgraded\"}\n", upgraded,
                    args.connections);
        return 1;
    }
    const std::uint64_t expected = args.connections * args.messages;
    const double cpu_before = cpu_seconds();
    const ProcessCpu server_before = process_cpu(args.server_pid);
    const std::uint64_t started = now_ns();
    trigger->send_text("publish " + std::to_string(args.messages) + " " +
                       std::to_string(args.size) + " " + std::to_string(args.connections) + " " +
                       std::to_string(static_cast<long long>(args.rate)));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (totals.delivered < expected && std::chrono::steady_clock::now() < deadline) {
        io.run_for(std::chrono::milliseconds(50));
    }
    const double seconds = static_cast<double>(totals.last_ns - started) / 1e9;
    const double cpu = cpu_seconds() - cpu_before;
    const ProcessCpu server_after = process_cpu(args.server_pid);
    for (auto& client : subscribers) client->close();
    trigger->close();
    std::printf(
        "{\"mode\":\"fanout\",\"subscribers\":%zu,\"messages\":%zu,\"size\":%zu,\"rate\":%.0f,"
        "\"delivered\":%llu,"
        "\"expected\":%llu,\"seconds\":%.3f,\"msgsPerSec\":%.0f,\"p50us\":%.0f,\"p99us\":%.0f,"
        "\"errors\":%llu,\"loadCpuUsPerMsg\":%.3f%s}\n",
        args.connections, args.messages, args.size, args.rate,
        static_cast<unsigned long long>(totals.delivered),
        static_cast<unsigned long long>(expected), seconds,
        seconds > 0 ? static_cast<double>(totals.delivered) / seconds : 0.0,
        totals.latency.percentile(0.5), totals.latency.percentile(0.99),
        static_cast<unsigned long long>(totals.errors),
        totals.delivered ? cpu * 1e6 / static_cast<double>(totals.delivered) : 0.0,
        server_cpu_fields(args.server_pid, server_before, server_after,
                          static_cast<double>(totals.delivered))
            .c_str());
    return totals.delivered == expected ? 0 : 1;
}

int run_idle(const Arguments& args, tcp::endpoint server) {
    net::io_context io(1);
    FanoutTotals totals;  // idle connections receive nothing; reuse the subscriber type
    std::vector<std::shared_ptr<FanoutClient>> clients;
    const long long before = rss_bytes(args.server_pid);
    const std::size_t upgraded = open_all(io, args.connections, [&](std::size_t i, auto ready) {
        auto client = std::make_shared<FanoutClient>(io, totals);
        clients.push_back(client);
        client->start(server, source_address(i, args.sources), args.path, std::move(ready));
    });
    // Let the server settle (JS objects for the connections, GC) before reading.
    io.run_for(std::chrono::milliseconds(1500));
    const long long after = rss_bytes(args.server_pid);
    for (auto& client : clients) client->close();
    std::printf(
        "{\"mode\":\"idle\",\"connections\":%zu,\"upgraded\":%zu,\"rssBefore\":%lld,\"rssAfter\":%"
        "lld,"
        "\"bytesPerConnection\":%.0f}\n",
        args.connections, upgraded, before, after,
        upgraded ? static_cast<double>(after - before) / static_cast<double>(upgraded) : 0.0);
    return upgraded == args.connections ? 0 : 1;
}

int run_churn(const Arguments& args, tcp::endpoint server) {
    net::io_context io(1);
    ChurnTotals totals;
    std::vector<std::shared_ptr<ChurnLoop>> loops;
    for (std::size_t i = 0; i < args.connections; ++i) {
        loops.push_back(
            std::make_shared<ChurnLoop>(io, server, source_address(i, args.sources), totals));
        loops.back()->cycle();
    }
    io.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(args.warmup)));
    const std::uint64_t warm = totals.cycles;
    const ProcessCpu server_before = process_cpu(args.server_pid);
    const auto started = std::chrono::steady_clock::now();
    io.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(args.duration)));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::uint64_t cycles = totals.cycles - warm;
    const ProcessCpu server_after = process_cpu(args.server_pid);
    totals.running = false;
    std::printf(
        "{\"mode\":\"churn\",\"concurrency\":%zu,\"seconds\":%.3f,\"cycles\":%llu,\"cyclesPerSec\":"
        "%.0f,"
        "\"errors\":%llu%s}\n",
        args.connections, seconds, static_cast<unsigned long long>(cycles),
        static_cast<double>(cycles) / seconds, static_cast<unsigned long long>(totals.errors),
        server_cpu_fields(args.server_pid, server_before, server_after, static_cast<double>(cycles))
            .c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Arguments args = parse(argc, argv);
    raise_open_file_limit();
    const tcp::endpoint server(net::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(args.port));
    if (args.mode == "fanout") return run_fanout(args, server);
    if (args.mode == "idle") return run_idle(args, server);
    if (args.mode == "churn") return run_churn(args, server);
    net::io_context io(1);
    EchoSettings settings;
    settings.server =
        tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(args.port));
    settings.path = args.path;
    settings.depth = args.depth;
    settings.size = args.size;
    settings.binary = args.binary;
    EchoTotals totals;

    std::vector<std::shared_ptr<EchoClient>> clients;
    const std::size_t upgraded = open_all(io, args.connections, [&](std::size_t i, auto ready) {
        auto client =
            std::make_shared<EchoClient>(io, settings, totals, source_address(i, args.sources));
        clients.push_back(client);
        client->start(std::move(ready));
    });
    if (upgraded < args.connections) {
        std::printf("{\"error\":\"only %zu of %zu connections upgraded\"}\n", upgraded,
                    args.connections);
        return 1;
    }

    for (auto& client : clients) client->begin_load();
    EchoLoop loop(clients, args.spin);
    loop.run_for(args.warmup);
    totals.measuring = true;
    const double cpu_before = cpu_seconds();
    const ProcessCpu server_before = process_cpu(args.server_pid);
    const auto started_at = std::chrono::steady_clock::now();
    loop.run_for(args.duration);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
    const double cpu = cpu_seconds() - cpu_before;
    const ProcessCpu server_after = process_cpu(args.server_pid);
    totals.measuring = false;
    totals.sending = false;
    for (auto& client : clients) client->close();

    const double messages = static_cast<double>(totals.messages);
    std::printf(
        "{\"mode\":\"echo\",\"connections\":%zu,\"depth\":%zu,\"size\":%zu,\"binary\":%s,\"spin\":%"
        "s,"
        "\"seconds\":%.3f,"
        "\"messages\":%.0f,\"msgsPerSec\":%.0f,\"p50us\":%.0f,\"p99us\":%.0f,\"p999us\":%.0f,"
        "\"errors\":%llu,"
        "\"loadCpuSeconds\":%.3f,\"loadCpuUsPerMsg\":%.3f%s}\n",
        args.connections, args.depth, args.size, args.binary ? "true" : "false",
        args.spin ? "true" : "false", elapsed, messages, messages / elapsed,
        totals.latency.percentile(0.5), totals.latency.percentile(0.99),
        totals.latency.percentile(0.999), static_cast<unsigned long long>(totals.errors), cpu,
        messages > 0 ? cpu * 1e6 / messages : 0.0,
        server_cpu_fields(args.server_pid, server_before, server_after, messages).c_str());
    return 0;
}

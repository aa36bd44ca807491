import Foundation
import Testing
import ValonKit
import ValonTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The follow loop's watch on the host's addresses and routes (`NetworkChangeMonitor`): in a
/// namespace of its own nothing happens until an address or a route changes, then it tells at
/// once; a link that goes away with its address and route is told too.
@Suite(.serialized, .tags(.root), .timeLimit(.minutes(2)))
struct NetworkChangeMonitorRootTests {
    /// A monitor opened on a thread that entered `namespace` (its socket stays there).
    static func monitor(in namespace: NetworkNamespace, changes: Locked<Int>) throws -> NetworkChangeMonitor {
        let result = Locked<Result<NetworkChangeMonitor, NetlinkError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            let fd = open("/var/run/netns/\(namespace.name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0, enterNamespace(fd, 0x4000_0000) == 0 else {
                result.value = .failure(NetlinkError(.socket, "cannot enter \(namespace.name)"))
                return
            }
            close(fd)
            result.value = Result { () throws(NetlinkError) in try NetworkChangeMonitor { changes.withLock { $0 += 1 } } }
        }.start()
        done.wait()
        return try result.value!.get()
    }

    @Test("quiet until an address is added; a new route and a removed link (veth) are changes too")
    func changes() async throws {
        let namespace = try NetworkNamespace(prefix: "vnw")
        defer { namespace.delete() }
        // No IPv6 on new links: bringing one up then adds no link-local address or route.
        _ = try namespace.ipOutput(["netns", "exec", namespace.name, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"])
        let changes = Locked(0)
        let monitor = try Self.monitor(in: namespace, changes: changes)
        monitor.start()
        defer { Task { await monitor.stop() } }
        try namespace.ip(["link", "add", "d0", "type", "veth", "peer", "name", "d1"])
        try namespace.ip(["link", "set", "d0", "up"])
        try namespace.ip(["link", "set", "d1", "up"])
        // A link without addresses changes no address and no route.
        try await Task.sleep(for: .milliseconds(400))
        let quiet = changes.value
        #expect(quiet == 0, "nothing told before an address or a route changed")
        try namespace.ip(["addr", "add", "10.9.9.1/24", "dev", "d0"])
        try await eventually("the new address to be told", limit: .seconds(5)) { changes.value > quiet }
        let afterAddress = changes.value
        try namespace.ip(["route", "add", "10.77.0.0/16", "via", "10.9.9.2"])
        try await eventually("the new route to be told", limit: .seconds(5)) { changes.value > afterAddress }
        let afterRoute = changes.value
        try namespace.ip(["link", "del", "d0"])
        try await eventually("the removed link to be told", limit: .seconds(5)) { changes.value > afterRoute }
        await monitor.stop()
        let stopped = changes.value
        try namespace.ip(["link", "add", "e0", "type", "veth", "peer", "name", "e1"])
        try namespace.ip(["addr", "add", "10.9.8.1/24", "dev", "e0"])
        try await Task.sleep(for: .milliseconds(400))
        #expect(changes.value == stopped, "a stopped monitor tells nothing")
    }
}

@_silgen_name("setns")
private func enterNamespace(_ fd: Int32, _ type: Int32) -> Int32

import Foundation
import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway network namespace (`ip netns add`) with a unique name, for tests that
/// change links, addresses and routes. Delete it with ``delete()`` in a `defer`.
///
/// How ValonKit's netlink code acts inside it: ``openSocket(bus:)`` starts a dedicated
/// thread, enters the namespace there with `setns(2)` (which changes only the calling
/// thread), opens the netlink socket on that thread and lets the thread end. A netlink
/// socket stays in the namespace it was created in, so the test may then use it from any
/// thread while the test process itself never leaves the host's namespace.
public final class NetworkNamespace: Sendable {
    public let name: String

    public init(prefix: String = "vknl") throws {
        name = "\(prefix)-\(randomSuffix())"
        try Command.check(["ip", "netns", "add", name])
        try ip(["link", "set", "lo", "up"])
    }

    public func delete() {
        _ = try? Command.run(["ip", "netns", "del", name])
    }

    /// Runs `ip -n NAME ARGS…` and returns its output.
    @discardableResult
    public func ip(_ arguments: [String]) throws -> String {
        try Command.check(["ip", "-n", name] + arguments)
    }

    /// Runs `ip ARGS…` (no `-n`), for `ip netns exec NAME …`.
    public func ipOutput(_ arguments: [String]) throws -> String {
        try Command.check(["ip"] + arguments)
    }

    /// `ip -j -n NAME ARGS…` parsed as a JSON array of objects.
    public func ipJSON(_ arguments: [String]) throws -> [[String: Any]] {
        let output = try Command.check(["ip", "-j", "-n", name] + arguments)
        if output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [] }
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] ?? []
    }

    /// A netlink socket opened inside this namespace (see the type's documentation).
    public func openSocket(bus: Int32) throws(NetlinkError) -> NetlinkSocket {
        let path = "/var/run/netns/\(name)"
        let result = Locked<Result<NetlinkSocket, NetlinkError>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { finished.signal() }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                result.value = .failure(NetlinkError(.socket, "cannot open the namespace \(path)",
                                                     cause: SystemError(operation: "open", target: path, errno: errno)))
                return
            }
            defer { close(fd) }
            guard enterNetworkNamespace(fd) == 0 else {
                result.value = .failure(NetlinkError(.socket, "cannot enter the namespace \(path)",
                                                     cause: SystemError(operation: "setns", target: path, errno: errno)))
                return
            }
            result.value = Result { () throws(NetlinkError) in try NetlinkSocket(bus: bus) }
        }
        thread.start()
        finished.wait()
        return try result.value!.get()
    }

    /// The kernel WireGuard backend acting inside this namespace.
    public func wireGuardBackend(messageLimit: Int = WireGuardNetlink.defaultMessageLimit) -> WireGuardNetlinkBackend {
        WireGuardNetlinkBackend(messageLimit: messageLimit) { [self] bus throws(NetlinkError) in try openSocket(bus: bus) }
    }

    /// A route client whose socket lives in this namespace.
    public func routeClient() throws -> RouteNetlinkClient {
        RouteNetlinkClient(socket: try openSocket(bus: Netlink.Bus.route))
    }
}

/// Eight random hex digits for unique namespace and interface names.
public func randomSuffix(_ digits: Int = 8) -> String {
    String(String(format: "%016llx", UInt64.random(in: 0...UInt64.max)).prefix(digits))
}

/// `setns(fd, CLONE_NEWNET)` from glibc; Glibc's module map hides it (it is a GNU extension).
@_silgen_name("setns")
private func setns(_ fd: Int32, _ namespaceType: Int32) -> Int32

private func enterNetworkNamespace(_ fd: Int32) -> Int32 {
    setns(fd, 0x4000_0000)  // CLONE_NEWNET, <linux/sched.h>
}

import NIOPosix
import ValonKit

/// Runs ValonKit's blocking WireGuard calls (a UNIX socket to wireguard-go, or netlink)
/// on NIO's blocking thread pool, so they never hold up an event loop or the
/// cooperative pool.
struct BlockingWireGuard: Sendable {
    let backend: any WireGuardBackend
    let interface: String

    func device() async throws(WireGuardError) -> WireGuardDevice {
        try await run { [backend, interface] () throws(WireGuardError) in try backend.device(named: interface) }
    }

    func apply(_ update: WireGuardDevice) async throws(WireGuardError) {
        try await run { [backend, interface] () throws(WireGuardError) in try backend.apply(update, to: interface) }
    }

    private func run<Value: Sendable>(_ work: @escaping @Sendable () throws(WireGuardError) -> Value) async throws(WireGuardError) -> Value {
        let result: Result<Value, WireGuardError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { Result { () throws(WireGuardError) in try work() } }
        } catch {
            result = .failure(WireGuardError(.system, operation: "run", device: interface, "the blocking thread pool is shut down"))
        }
        return try result.get()
    }
}

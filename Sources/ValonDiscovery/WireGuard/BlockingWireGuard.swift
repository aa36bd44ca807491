import ValonKit

/// Runs ValonKit's blocking WireGuard calls (a UNIX socket to wireguard-go, or netlink)
/// on ``BlockingPool``, so they never hold up an event loop or the cooperative pool.
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
        try await runBlocking { Result { () throws(WireGuardError) in try work() } }.get()
    }
}

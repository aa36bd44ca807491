/// One way of controlling WireGuard devices: the kernel over generic netlink, or a
/// userspace implementation (`wireguard-go`) over its UNIX socket.
///
/// The three operations are those of wireguard-tools' `ipc.h`: list the devices, read one
/// (`ipc_get_device`), and apply an update to one (`ipc_set_device`). Implementations are
/// synchronous and blocking; each call opens and closes its own socket.
public protocol WireGuardBackend: Sendable {
    /// The names of the WireGuard interfaces this backend can see, sorted.
    func listDevices() throws(WireGuardError) -> [String]

    /// Reads the device's whole configuration and its peers' statistics.
    func device(named name: String) throws(WireGuardError) -> WireGuardDevice

    /// Applies `update` (see ``WireGuardDevice`` for what `nil` fields and flags mean) to
    /// the interface `name`, in one request where the backend allows it. `update.name` is
    /// not consulted: `name` is the target.
    func apply(_ update: WireGuardDevice, to name: String) throws(WireGuardError)
}

extension WireGuardBackend {
    /// Applies `update` to the interface it names.
    public func apply(_ update: WireGuardDevice) throws(WireGuardError) {
        try apply(update, to: update.name)
    }
}

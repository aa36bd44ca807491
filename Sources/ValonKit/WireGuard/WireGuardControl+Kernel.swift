extension WireGuardControl {
    /// The backend for interfaces without a userspace socket: the kernel's.
    public static var kernelBackend: any WireGuardBackend { WireGuardNetlinkBackend() }
}

/// The kernel backend of a system whose kernel offers no WireGuard control: it lists no
/// devices and finds none.
public struct WireGuardNoKernelBackend: WireGuardBackend {
    public init() {}

    public func listDevices() throws(WireGuardError) -> [String] { [] }

    public func device(named name: String) throws(WireGuardError) -> WireGuardDevice {
        throw missing(name, "get")
    }

    public func apply(_ update: WireGuardDevice, to name: String) throws(WireGuardError) {
        throw missing(name, "set")
    }

    private func missing(_ name: String, _ operation: String) -> WireGuardError {
        WireGuardError(.noSuchDevice, operation: operation, device: name,
                       "no userspace socket for it and no kernel WireGuard backend")
    }
}
